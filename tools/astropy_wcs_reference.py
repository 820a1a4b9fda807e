#!/usr/bin/env python3
"""Regenerates tests/data/wcs/astropy_reference.json: astropy's pixel -> sky mapping of the FITS
headers that hipscut writes, for views in every projection.

The Rust test tests/wcs_astropy.rs rebuilds each view and checks hipscut's mapping against
these values, so the header hipscut writes and the mapping it paints with are the ones astropy
(wcslib) reads. Run from the repository root after `cargo build --release`:

    python3 tools/astropy_wcs_reference.py
"""
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

CODES = ["AZP", "SZP", "TAN", "STG", "SIN", "ARC", "ZPN", "ZEA", "AIR", "NCP", "CYP", "CEA",
         "CAR", "MER", "SFL", "PAR", "MOL", "AIT", "COP", "COD", "COE", "COO", "HPX", "BON",
         "PCO", "TSC", "CSC", "QSC", "XPH"]

# (projection, lon, lat, fov, width, height, rotation, frame)
CASES = [(code, 40.0, 25.0, 30.0, 41, 31, 15.0, "icrs") for code in CODES] + [
    ("TAN", 83.63, 22.01, 0.5, 40, 30, 0.0, "icrs"),
    ("TAN", 266.4, -28.9, 2.0, 32, 32, -70.0, "galactic"),
    ("SIN", 10.0, 89.9, 20.0, 32, 32, 0.0, "icrs"),
    ("AIT", 0.0, 0.0, 360.0, 60, 30, 0.0, "galactic"),
    ("MOL", 180.0, 0.0, 360.0, 60, 30, 0.0, "icrs"),
    ("CAR", 180.0, 0.0, 60.0, 40, 20, 0.0, "icrs"),
    ("CAR", 180.0, 30.0, 60.0, 40, 20, 0.0, "icrs"),
    ("CAR", 0.0, -60.0, 90.0, 40, 20, 10.0, "galactic"),
    ("AIT", 100.0, 40.0, 200.0, 50, 25, 0.0, "icrs"),
    ("COD", 200.0, -40.0, 60.0, 41, 31, 0.0, "icrs"),
    ("BON", 10.0, -30.0, 60.0, 41, 31, 20.0, "galactic"),
    ("TSC", 0.0, 0.0, 200.0, 61, 41, 0.0, "icrs"),
    ("CSC", 120.0, 60.0, 200.0, 61, 41, 0.0, "icrs"),
    ("QSC", 250.0, -70.0, 200.0, 61, 41, 0.0, "icrs"),
    ("PCO", 30.0, 10.0, 120.0, 61, 41, 0.0, "icrs"),
    ("PAR", 0.0, 0.0, 360.0, 61, 31, 0.0, "icrs"),
    ("AIR", 40.0, 60.0, 120.0, 41, 41, 0.0, "icrs"),
    ("XPH", 0.0, 90.0, 360.0, 61, 61, 0.0, "icrs"),
    ("XPH", 120.0, -30.0, 200.0, 61, 41, 30.0, "galactic"),
]

# Headers with projection parameters (PVi_j): (code, {PV2_m: value}, lon, lat, fov, width, height)
PV_CASES = [
    ("AZP", {1: 2.0, 2: 30.0}, 30.0, 20.0, 40.0, 41, 31),
    ("SZP", {1: 2.0, 2: 180.0, 3: 60.0}, 30.0, 20.0, 40.0, 41, 31),
    ("SIN", {1: 0.2, 2: -0.1}, 30.0, 20.0, 40.0, 41, 31),
    ("ZPN", {0: 0.0, 1: 1.0, 2: 0.0, 3: -0.05}, 30.0, 20.0, 40.0, 41, 31),
    ("AIR", {1: 45.0}, 30.0, 20.0, 40.0, 41, 31),
    ("CYP", {1: 1.0, 2: 0.8}, 30.0, 20.0, 60.0, 41, 31),
    ("CEA", {1: 0.7}, 30.0, 20.0, 60.0, 41, 31),
    ("COP", {1: 30.0, 2: 15.0}, 30.0, 20.0, 60.0, 41, 31),
    ("COE", {1: 30.0, 2: 15.0}, 30.0, 20.0, 60.0, 41, 31),
    ("COD", {1: 30.0, 2: 15.0}, 30.0, 20.0, 60.0, 41, 31),
    ("COO", {1: 30.0, 2: 15.0}, 30.0, 20.0, 60.0, 41, 31),
    ("BON", {1: 30.0}, 30.0, 20.0, 60.0, 41, 31),
    ("HPX", {1: 6.0, 2: 5.0}, 30.0, 20.0, 200.0, 41, 31),
]


def grid_points(wcs, w, h):
    """astropy's sky position of every 4th pixel (rows from the top, 0-based)."""
    cols = sorted(set(list(range(0, w, 4)) + [w - 1]))
    rows = sorted(set(list(range(0, h, 4)) + [h - 1]))
    points = []
    for row in rows:
        for col in cols:
            # Rows count from the top; FITS y counts from the bottom, 1-based.
            world = wcs.all_pix2world(np.array([[col + 1.0, h - row]]), 1)[0]
            valid = bool(np.all(np.isfinite(world)))
            points.append([col, row, float(world[0]) if valid else None,
                           float(world[1]) if valid else None])
    return points


def pv_header(code, pv, lon, lat, fov, w, h):
    """The cards of a header in `code` with parameters `pv`, centred on (lon, lat)."""
    c = fov / max(w, h)
    cards = {"NAXIS1": w, "NAXIS2": h, "CTYPE1": f"RA---{code}", "CTYPE2": f"DEC--{code}",
             "CRPIX1": (w + 1) / 2, "CRPIX2": (h + 1) / 2, "CRVAL1": lon, "CRVAL2": lat,
             "CD1_1": -c, "CD1_2": 0.0, "CD2_1": 0.0, "CD2_2": c}
    cards.update({f"PV2_{m}": v for m, v in pv.items()})
    return cards


def main():
    root = Path(__file__).resolve().parent.parent
    exe = root / "target" / "release" / "hipscut"
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, (code, lon, lat, fov, w, h, rot, frame) in enumerate(CASES):
            path = Path(tmp) / f"case{k}.fits"
            subprocess.run(
                [str(exe), "render", "--lon", str(lon), "--lat", str(lat), "--fov", str(fov),
                 "--width", str(w), "--height", str(h), "--projection", code,
                 "--rotation", str(rot), "--frame", frame, "--order", "0", "-o", str(path)],
                check=True, capture_output=True)
            wcs = WCS(fits.getheader(path)).celestial
            out.append({"projection": code, "lon": lon, "lat": lat, "fov": fov, "width": w,
                        "height": h, "rotation": rot, "frame": frame,
                        "points": grid_points(wcs, w, h)})
        for k, (code, pv, lon, lat, fov, w, h) in enumerate(PV_CASES):
            cards = pv_header(code, pv, lon, lat, fov, w, h)
            text = Path(tmp) / f"pv{k}.json"
            text.write_text(json.dumps(cards))
            path = Path(tmp) / f"pv{k}.fits"
            subprocess.run([str(exe), "render", "--wcs", str(text), "--order", "0",
                            "--allow-empty", "-o", str(path)], check=True, capture_output=True)
            wcs = WCS(fits.getheader(path)).celestial
            out.append({"projection": code, "header": cards, "width": w, "height": h,
                        "points": grid_points(wcs, w, h)})
    target = root / "tests" / "data" / "wcs" / "astropy_reference.json"
    target.write_text(json.dumps({"astropy": __import__("astropy").__version__, "cases": out},
                                 separators=(",", ":")))
    print(f"wrote {target} ({len(out)} cases)")


if __name__ == "__main__":
    main()
