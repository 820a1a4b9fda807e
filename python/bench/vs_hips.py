"""hipscut against the `hips` package on hips's own test field: FermiColor, 2000×1000, GLON-AIT,
CDELT 0.01°, the same WCS for both, tiles served over HTTP on 127.0.0.1 from the repository's
sample (nothing leaves the machine).

Each package runs in its own process (hips 0.2 needs astropy < 6 and numpy < 2, so it lives in
a venv of its own); each times its renders in-process and reports its peak RSS. Every render
does the whole work: fetch the tiles over HTTP, decode, paint (hipscut with no disk cache and
no decoded-tile cache, as hips keeps none); then hipscut-warm, the engine keeping its decoded
tiles between renders as it does by default.

    python python/bench/vs_hips.py --hips-python target/hips-venv/bin/python \\
        --hipscut-python target/py-venv/bin/python --repeat 9
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SURVEY = REPO / "tests" / "data" / "FermiColor"
WIDTH, HEIGHT, CDELT = 2000, 1000, 0.01


def header():
    """The field's WCS cards."""
    return {
        "NAXIS1": WIDTH, "NAXIS2": HEIGHT, "CTYPE1": "GLON-AIT", "CTYPE2": "GLAT-AIT",
        "CRVAL1": 0.0, "CRVAL2": 0.0, "CRPIX1": WIDTH / 2 + 0.5, "CRPIX2": HEIGHT / 2 + 0.5,
        "CDELT1": -CDELT, "CDELT2": CDELT, "CUNIT1": "deg", "CUNIT2": "deg",
    }


def run_hips(url, repeat):
    from astropy.wcs import WCS
    from hips import HipsSurveyProperties, WCSGeometry, make_sky_image

    survey = HipsSurveyProperties.read(str(SURVEY / "properties"))
    survey.data["hips_service_url"] = url  # never the address the properties give
    wcs = WCS(header())
    geometry = WCSGeometry(wcs, width=WIDTH, height=HEIGHT)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = make_sky_image(geometry, survey, "jpg", progress_bar=False)
        times.append(time.perf_counter() - start)
    return times, list(result.image.shape)


def run_hipscut(url, repeat, warm=False):
    """Every render from the server (no disk cache, no decoded tiles kept); or, `warm`, the
    engine as it is meant to run, its decoded tiles kept between renders (the first render
    fetches and decodes, the others reuse)."""
    import hipscut

    hipscut.configure(cache=False, decoded_cache_bytes=(512 << 20) if warm else 0)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = hipscut.render(url, wcs=header())
        times.append(time.perf_counter() - start)
    return times, list(result.data.shape)


def child(package, url, repeat):
    runs = {
        "hips": run_hips,
        "hipscut": run_hipscut,
        "hipscut-warm": lambda url, repeat: run_hipscut(url, repeat, warm=True),
    }
    times, shape = runs[package](url, repeat)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "shape": shape, "peak_rss_mb": peak_mb}))


class Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 drops the SYNs of a client that opens 16 connections at
    # once, and TCP sends them again a second later: a second per render that is not hips's
    # or hipscut's.
    request_queue_size = 128


class Survey(SimpleHTTPRequestHandler):
    """The sample, and a black tile for the one tile hips asks for that the sample lacks
    (Npix669, which its bounding circle takes in; hips fails on a 404)."""

    blank = b""

    def do_GET(self):
        if self.path.startswith("/Norder") and not (SURVEY / self.path.lstrip("/")).is_file():
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(self.blank)))
            self.end_headers()
            self.wfile.write(self.blank)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def black_jpeg():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (512, 512)).save(out, format="JPEG")
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hips-python", required=True)
    parser.add_argument("--hipscut-python", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=["hips", "hipscut", "hipscut-warm"])
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.url, args.repeat)
    Survey.blank = black_jpeg()
    server = Server(("127.0.0.1", 0), partial(Survey, directory=str(SURVEY)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    results = {}
    runs = (("hips", args.hips_python), ("hipscut", args.hipscut_python),
            ("hipscut-warm", args.hipscut_python))
    for package, python in runs:
        out = subprocess.run(
            [python, __file__, "--child", package, "--url", url, "--repeat", str(args.repeat),
             "--hips-python", "-", "--hipscut-python", "-"],
            check=True, capture_output=True, text=True,
        ).stdout
        results[package] = json.loads(out.strip().splitlines()[-1])
    server.shutdown()
    for package, r in results.items():
        t = r["times"]
        print(f"{package:12} median {statistics.median(t) * 1000:9.1f} ms  min {min(t) * 1000:9.1f} ms"
              f"  first {t[0] * 1000:9.1f} ms  peak RSS {r['peak_rss_mb']:7.1f} MB  shape {r['shape']}")
    hips = statistics.median(results["hips"]["times"])
    for package in ("hipscut", "hipscut-warm"):
        ratio = hips / statistics.median(results[package]["times"])
        print(f"{package} is {ratio:.1f}× faster than hips (medians of {args.repeat} renders)")


if __name__ == "__main__":
    sys.exit(main())
