"""Makes tests/data/analytic-webp-lossy: the tests' analytic sky (order 1, 64-px tiles) as
lossy WebP tiles, and tests/data/webp/alpha_lossy.webp, a lossy RGBA tile whose left half is
transparent. The Rust decoder only reads lossy WebP, so these come from libwebp (Pillow).

    python3 tools/webp_lossy_survey.py      (needs pillow; run from the repository's root)

The PNG survey is written by `cargo run --release --example analytic_survey -- png DIR`, and
each PNG tile is re-encoded at quality 90.
"""
import pathlib
import shutil
import subprocess
import tempfile

from PIL import Image

QUALITY = 90
OUT = pathlib.Path("tests/data/analytic-webp-lossy")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["cargo", "run", "--release", "--quiet", "--example", "analytic_survey", "--", "png", tmp],
            check=True,
        )
        src = pathlib.Path(tmp) / "analytic"
        if OUT.exists():
            shutil.rmtree(OUT)
        for png in sorted(src.glob("Norder*/Dir*/Npix*.png")):
            dest = OUT / png.relative_to(src).with_suffix(".webp")
            dest.parent.mkdir(parents=True, exist_ok=True)
            Image.open(png).save(dest, "WEBP", quality=QUALITY, method=6)
        props = (src / "properties").read_text().replace("hips_tile_format = png", "hips_tile_format = webp")
        props = props.replace("obs_title = Analytic sky", f"obs_title = Analytic sky, lossy WebP (quality {QUALITY})")
        (OUT / "properties").write_text(props)
    alpha = Image.new("RGBA", (16, 16), (200, 100, 50, 255))
    for x in range(8):
        for y in range(16):
            alpha.putpixel((x, y), (0, 0, 0, 0))
    path = pathlib.Path("tests/data/webp/alpha_lossy.webp")
    path.parent.mkdir(parents=True, exist_ok=True)
    alpha.save(path, "WEBP", quality=QUALITY, method=6)


if __name__ == "__main__":
    main()
