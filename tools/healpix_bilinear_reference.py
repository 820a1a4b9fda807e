#!/usr/bin/env python3
"""Regenerates tests/data/healpix_bilinear_reference.json: the error of astropy-healpix's
bilinear interpolation (the ring-based textbook scheme) on the tests' analytic sky, in small TAN
views at the HEALPix base-cell junctions and poles.

The Rust test tests/analytic.rs renders the same views from the analytic survey (64-px tiles at
order 1: nside 128) and checks that both painters' largest error is at most twice astropy's.
Needs numpy, astropy and astropy-healpix. Run from the repository root:

    python3 tools/healpix_bilinear_reference.py
"""
import json
from pathlib import Path

import astropy.units as u
import numpy as np
from astropy.wcs import WCS
from astropy_healpix import HEALPix

NSIDE = 128
# (lon, lat, fov, width): three base cells meet at (0, 41.81) and (90, -41.81), four at
# (45, 0), and the four polar cells at the poles; the rest are ordinary points for scale.
VIEWS = [(0.0, 41.81), (45.0, 0.0), (90.0, -41.81), (135.0, 90.0), (0.0, 90.0),
         (180.0, -90.0), (270.0, 41.81), (90.0, 60.0), (10.0, 20.0)]
FOV, WIDTH = 3.0, 150


def analytic(lon, lat):
    """tests/support's analytic sky: a polynomial in the direction's x, y, z."""
    x, y, z = np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)
    return 100 + 30 * x + 20 * y + 10 * z + 15 * x * y - 12 * y * z + 8 * z * z


def view_wcs(lon, lat):
    """The header hipscut writes for a TAN view: reference pixel at the centre, north up."""
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [lon, lat]
    w.wcs.crpix = [(WIDTH + 1) / 2, (WIDTH + 1) / 2]
    w.wcs.cd = [[-FOV / WIDTH, 0.0], [0.0, FOV / WIDTH]]
    return w


def main():
    healpix = HEALPix(nside=NSIDE, order="nested")
    lon, lat = healpix.healpix_to_lonlat(np.arange(healpix.npix))
    # The survey's tiles hold float32 values at the cell centres.
    values = analytic(lon.rad, lat.rad).astype(np.float32).astype(np.float64)
    out = []
    for lon0, lat0 in VIEWS:
        y, x = np.mgrid[0:WIDTH, 0:WIDTH]
        sky = view_wcs(lon0, lat0).pixel_to_world(x, y)
        ra, dec = sky.ra.rad, sky.dec.rad
        got = healpix.interpolate_bilinear_lonlat(ra * u.rad, dec * u.rad, values)
        error = np.abs(got - analytic(ra, dec))
        out.append({"lon": lon0, "lat": lat0, "fov": FOV, "width": WIDTH,
                    "max_error": float(error.max()), "mean_error": float(error.mean())})
    root = Path(__file__).resolve().parent.parent
    target = root / "tests" / "data" / "healpix_bilinear_reference.json"
    import astropy_healpix
    target.write_text(json.dumps({"astropy_healpix": astropy_healpix.__version__,
                                  "nside": NSIDE, "views": out}, indent=1) + "\n")
    print(f"wrote {target} ({len(out)} views)")


if __name__ == "__main__":
    main()
