"""astroquery's hips2fits client, unmodified, against `hipscut serve`.

Usage: python astroquery_client.py http://127.0.0.1:PORT

The server serves DSS2=tests/data/DSS2Red (FITS and JPEG tiles at order 3) and the embedded
Mellinger survey. Checks that query_with_wcs returns a FITS whose WCS astropy reads back equal
to the one sent, that query returns the PNG and JPEG images at the requested size, and that a
refused request raises astroquery's error with the server's title and description.
"""

import sys

import numpy as np
from astropy import units as u
from astropy.coordinates import Angle, Latitude, Longitude
from astropy.wcs import WCS
from astroquery.hips2fits import hips2fits


def check_query_with_wcs():
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [272.8, -32.8]  # between tiles 448 and 449, which the sample holds
    wcs.wcs.crpix = [60.5, 40.5]
    wcs.wcs.cdelt = [-0.02, 0.02]
    wcs.pixel_shape = (120, 80)
    hdul = hips2fits.query_with_wcs(hips="DSS2", wcs=wcs, format="fits")
    data = hdul[0].data
    assert data.shape == (80, 120), data.shape
    assert np.isfinite(data).mean() > 0.5, "most pixels have data"
    back = WCS(hdul[0].header)
    assert list(back.wcs.ctype) == ["RA---TAN", "DEC--TAN"], back.wcs.ctype
    assert np.allclose(back.wcs.crval, wcs.wcs.crval, atol=1e-12), back.wcs.crval
    assert np.allclose(back.wcs.crpix, wcs.wcs.crpix, atol=1e-12), back.wcs.crpix
    assert np.allclose(back.pixel_scale_matrix, wcs.pixel_scale_matrix, atol=1e-15)
    assert back.pixel_shape == (120, 80), back.pixel_shape
    x, y = np.meshgrid([0, 59.5, 119], [0, 39.5, 79])
    sent = wcs.pixel_to_world(x, y)
    read = back.pixel_to_world(x, y)
    worst = sent.separation(read).max().to(u.arcsec).value
    assert worst < 1e-6, f"positions differ by {worst} arcsec"
    print(f"query_with_wcs: FITS {data.shape}, WCS read back (worst {worst:.1e}″)")


def check_query(fmt):
    image = hips2fits.query(
        hips="embedded:Mellinger",
        width=300,
        height=200,
        ra=Longitude(83.63 * u.deg),
        dec=Latitude(22.01 * u.deg),
        fov=Angle(40 * u.deg),
        projection="SIN",
        format=fmt,
        min_cut=0.5,
        max_cut=99.5,
        cmap="viridis",
        stretch="asinh",
    )
    assert image.shape[:2] == (200, 300), image.shape
    assert image.dtype == np.uint8
    assert image[..., :3].std() > 5, "the picture is not flat"
    print(f"query {fmt}: array {image.shape}")


def check_error():
    try:
        hips2fits.query(
            hips="CDS/P/nowhere",
            width=10,
            height=10,
            ra=Longitude(0 * u.deg),
            dec=Latitude(0 * u.deg),
            fov=Angle(1 * u.deg),
            projection="TAN",
        )
    except AttributeError as e:
        message = str(e)
        assert message.startswith("Unknown HiPS: no survey `CDS/P/nowhere`"), message
        print(f"refused: {message.strip()}")
        return
    raise AssertionError("an unknown survey was accepted")


def main():
    hips2fits.server = sys.argv[1].rstrip("/") + "/hips2fits"
    check_query_with_wcs()
    check_query("png")
    check_query("jpg")
    check_error()
    print("astroquery: all checks passed")


if __name__ == "__main__":
    main()
