"""query_with_wcs and render(wcs=...) give back the WCS they were given."""

import numpy as np
import pytest
from astropy.wcs import WCS

import hipscut
from hipscut.hips2fits import hips2fits

from conftest import DATA

FERMI = str(DATA / "FermiColor")


def wcs_of(cards, shape):
    w = WCS(cards)
    w.pixel_shape = shape
    return w


#: Astropy WCS objects as users build them: CDELT, a PC rotation, a CD matrix, galactic.
WCSES = {
    "galactic AIT": wcs_of(
        {"CTYPE1": "GLON-AIT", "CTYPE2": "GLAT-AIT", "CRVAL1": 0.0, "CRVAL2": 0.0,
         "CRPIX1": 200.5, "CRPIX2": 100.5, "CDELT1": -0.02, "CDELT2": 0.02,
         "CUNIT1": "deg", "CUNIT2": "deg"},
        (400, 200),
    ),
    "equatorial TAN turned by PC": wcs_of(
        {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 266.0, "CRVAL2": -29.0,
         "CRPIX1": 150.0, "CRPIX2": 90.0, "CDELT1": -0.015, "CDELT2": 0.015,
         "PC1_1": 0.866025, "PC1_2": -0.5, "PC2_1": 0.5, "PC2_2": 0.866025},
        (300, 200),
    ),
    "equatorial SIN by CD": wcs_of(
        {"CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN", "CRVAL1": 268.0, "CRVAL2": -27.0,
         "CRPIX1": 128.5, "CRPIX2": 128.5, "CD1_1": -0.02, "CD1_2": 0.001,
         "CD2_1": 0.001, "CD2_2": 0.02},
        (256, 256),
    ),
}


def same_wcs(got: WCS, want: WCS, shape):
    """Equal as astropy reads them: the same sky at every 9th pixel, the same size and axes."""
    assert list(got.wcs.ctype) == list(want.wcs.ctype)
    assert got.pixel_shape == want.pixel_shape == shape
    ys, xs = np.mgrid[0 : shape[1] : 9, 0 : shape[0] : 9]
    g = np.array(got.pixel_to_world_values(xs, ys))
    w = np.array(want.pixel_to_world_values(xs, ys))
    assert np.array_equal(np.isnan(g), np.isnan(w))
    d = np.abs(g - w)
    d[0] = np.minimum(d[0], 360 - d[0])
    assert np.nanmax(d) < 1e-9, np.nanmax(d)
    np.testing.assert_allclose(got.pixel_scale_matrix, want.pixel_scale_matrix, atol=1e-15)


@pytest.mark.filterwarnings("ignore::astropy.wcs.FITSFixedWarning")  # the RGB third axis
@pytest.mark.parametrize("name", WCSES)
def test_query_with_wcs_round_trips(name):
    wcs = WCSES[name]
    hdul = hips2fits.query_with_wcs(hips=FERMI, wcs=wcs)
    data = hdul[0].data
    assert data.shape == (3, wcs.pixel_shape[1], wcs.pixel_shape[0])
    assert np.isfinite(data).mean() > 0.5, "the field has data"
    back = WCS(hdul[0].header).celestial
    back.pixel_shape = (hdul[0].header["NAXIS1"], hdul[0].header["NAXIS2"])
    same_wcs(back, wcs, wcs.pixel_shape)
    png = hips2fits.query_with_wcs(hips=FERMI, wcs=wcs, format="png")
    assert png.shape[:2] == (wcs.pixel_shape[1], wcs.pixel_shape[0])


@pytest.mark.parametrize("name", WCSES)
def test_render_with_a_wcs_returns_it(name):
    wcs = WCSES[name]
    result = hipscut.render(FERMI, wcs=wcs)
    same_wcs(result.wcs, wcs, wcs.pixel_shape)
    # a FITS header and a dict of cards describe the same field
    for form in (wcs.to_header(), dict(wcs.to_header())):
        again = hipscut.render(FERMI, wcs=form, width=wcs.pixel_shape[0], height=wcs.pixel_shape[1])
        np.testing.assert_array_equal(again.data, result.data)


def test_a_wcs_without_size_is_refused():
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    with pytest.raises(hipscut.BadRequest, match="pixel_shape"):
        hips2fits.query_with_wcs(hips=FERMI, wcs=wcs)
    with pytest.raises(hipscut.BadRequest, match="two pixel axes"):
        hips2fits.query_with_wcs(hips=FERMI, wcs=WCS(naxis=3))
