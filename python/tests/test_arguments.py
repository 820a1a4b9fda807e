"""Every argument form astroquery's hips2fits accepts is accepted, with the same payload; every
bad argument raises a clear exception that names it."""

import astropy.units as u
import matplotlib
import numpy as np
import pytest
from astropy.coordinates import Angle, Latitude, Longitude, SkyCoord
from astroquery.hips2fits import hips2fits as astroquery_hips2fits

import hipscut
from hipscut.hips2fits import hips2fits

from conftest import DATA

FERMI = str(DATA / "FermiColor")
#: The field astroquery's forms describe, in degrees: FermiColor's tiles cover it.
BASE = dict(hips=FERMI, width=200, height=100, projection="TAN", ra=Longitude(266.4 * u.deg),
            dec=Latitude(-28.9 * u.deg), fov=Angle(4 * u.deg))

FORMS = [
    {},
    dict(ra=Angle("17h45m36s"), dec=Angle("-28d54m")),
    dict(ra=266.4 * u.deg, dec=-1734 * u.arcmin, fov=240 * u.arcmin),
    dict(ra=Angle(4.6495571 * u.rad), fov=14400 * u.arcsec),
    dict(coordsys="galactic", ra=Longitude(0.5 * u.deg), dec=Latitude(-0.5 * u.deg)),
    dict(rotation_angle=Angle(30 * u.deg)),
    dict(rotation_angle=-0.25 * u.rad, projection="SIN"),
    dict(projection="AIT", fov=Angle(8 * u.deg), width=400, height=200),
    dict(projection="CAR"),
    dict(projection="STG"),
    dict(projection="ZEA"),
    dict(format="png", cmap="viridis", stretch="asinh"),
    dict(format="png", cmap=matplotlib.colormaps["magma"], stretch="sqrt", min_cut=1, max_cut=99),
    dict(format="jpg", stretch="log", min_cut=2.5, max_cut=97.5),
    dict(format="png", stretch="power", cmap="Greys_r"),
    dict(format="jpg", stretch="linear"),
    dict(width=np.int64(200), height=np.int32(100)),
]


@pytest.mark.parametrize("form", range(len(FORMS)))
def test_astroquery_forms_give_astroquery_payloads_and_images(form):
    args = {**BASE, **FORMS[form]}
    theirs = astroquery_hips2fits.query(**args, get_query_payload=True)
    ours = hips2fits.query(**args, get_query_payload=True)
    assert ours == {k: str(v) for k, v in {"hips": FERMI, **theirs}.items()}
    result = hips2fits.query(**args)
    fmt = args.get("format", "fits")
    width, height = int(args["width"]), int(args["height"])
    if fmt == "fits":
        data = result[0].data
        assert data.shape == (3, height, width)
        assert np.isfinite(data).mean() > 0.5
    else:
        assert result.dtype == np.uint8
        assert result.shape[:2] == (height, width)
        assert result.std() > 1, "an image, not a flat field"


def test_plain_numbers_and_strings_are_degrees():
    by_angle = hips2fits.query(**BASE)[0].data
    by_number = hips2fits.query(**{**BASE, "ra": 266.4, "dec": -28.9, "fov": 4})[0].data
    by_text = hips2fits.query(**{**BASE, "ra": "266.4", "dec": "-28.9", "fov": "4"})[0].data
    np.testing.assert_array_equal(by_angle, by_number)
    np.testing.assert_array_equal(by_angle, by_text)
    sexagesimal = hips2fits.query(**{**BASE, "ra": "17:45:36", "dec": "-28:54:00"})[0].data
    np.testing.assert_array_equal(by_angle, sexagesimal)


def test_render_takes_a_skycoord_target():
    coord = SkyCoord(266.4 * u.deg, -28.9 * u.deg)
    aimed = hipscut.render(FERMI, target=coord, fov=4, width=400, height=200)
    placed = hipscut.render(FERMI, ra=266.4, dec=-28.9, fov=4, width=400, height=200)
    np.testing.assert_allclose(aimed.data, placed.data, atol=0, rtol=0)
    galactic = hipscut.render(FERMI, target=coord, coordsys="galactic", fov=4, width=400,
                              height=200)
    assert galactic.wcs.wcs.ctype[0] == "GLON-TAN"
    np.testing.assert_allclose(galactic.wcs.wcs.crval, [coord.galactic.l.deg, coord.galactic.b.deg])


BAD = [
    (dict(width=0), "width"),
    (dict(width=2.5), "width"),
    (dict(width="wide"), "width"),
    (dict(height=-3), "height"),
    (dict(width=True), "width"),
    (dict(projection="XYZ"), "projection"),
    (dict(projection=3), "projection"),
    (dict(ra=1 * u.m), "ra"),
    (dict(ra=[1, 2] * u.deg), "ra"),
    (dict(dec=100 * u.deg), "dec"),
    (dict(dec="north"), "dec"),
    (dict(fov=0 * u.deg), "fov"),
    (dict(fov=-1), "fov"),
    (dict(fov=float("nan")), "fov"),
    (dict(fov=None), "fov"),
    (dict(coordsys="fk4"), "coordsys"),
    (dict(rotation_angle="a lot"), "rotation_angle"),
    (dict(format="gif"), "format"),
    (dict(stretch="cube"), "stretch"),
    (dict(cmap="no-such-map"), "cmap"),
    (dict(min_cut="low"), "min_cut"),
    (dict(max_cut=[99]), "max_cut"),
    (dict(hips=42), "hips"),
    (dict(width=100000), "width"),
    (dict(width=30000, height=30000), "pixels"),
]


@pytest.mark.parametrize("case", range(len(BAD)))
def test_each_bad_argument_is_named(case):
    override, needle = BAD[case]
    with pytest.raises(hipscut.HipscutError) as caught:
        hips2fits.query(**{**BASE, **override})
    assert isinstance(caught.value, ValueError), f"{type(caught.value)}: {caught.value}"
    assert needle in str(caught.value), str(caught.value)


def test_render_arguments_are_checked():
    for kwargs, needle in [
        (dict(order=1.5), "order"),
        (dict(order=40), "order"),
        (dict(interpolation="cubic-ish"), "interpolation"),
        (dict(painter="oil"), "painter"),
        (dict(ra=1), "ra and dec"),
        (dict(ra=1, dec=2, target="M1"), "target"),
        (dict(wcs=object()), "wcs"),
        (dict(wcs={"CTYPE1": "RA---TAN"}, ra=1, dec=2), "wcs"),
        (dict(frames=(3, 1)), "frames"),
        (dict(frames="1:2"), "frames"),
        (dict(deadline=-1), "deadline"),
        (dict(strict="yes"), "strict"),
        (dict(target=12), "target"),
    ]:
        with pytest.raises(hipscut.BadRequest, match=needle):
            hipscut.render(FERMI, fov=1, width=10, height=10, **kwargs)
    with pytest.raises(hipscut.BadRequest, match="survey"):
        hipscut.render(42)
    for kwargs, needle in [
        (dict(concurrency=0), "concurrency"),
        (dict(concurrency=2.5), "concurrency"),
        (dict(timeout=float("inf")), "timeout"),
        (dict(timeout="slow"), "timeout"),
        (dict(cache_size=-1), "cache_size"),
        (dict(decoded_cache_bytes=-5), "decoded_cache_bytes"),
        (dict(retries=1000), "retries"),
        (dict(cache="no"), "cache"),
        (dict(user_agent=7), "user_agent"),
        (dict(user_agent="bad\nagent"), "HTTP client"),
    ]:
        with pytest.raises(hipscut.BadRequest, match=needle):
            hipscut.configure(**kwargs)


def test_empty_fields_and_unknown_names_raise_their_kind():
    with pytest.raises(hipscut.Unreachable, match="nothing-here"):
        hips2fits.query(**{**BASE, "hips": FERMI + "/nothing-here"})
    with pytest.raises(hipscut.NotFound, match="no output pixel"):
        hipscut.render(FERMI, ra=90, dec=60, fov=1, width=64, height=64)
    with pytest.raises(hipscut.NotFound):
        hipscut.render(FERMI, target="No such object, surely", fov=1, width=8, height=8)
    empty = hipscut.render(FERMI, ra=90, dec=60, fov=1, width=64, height=64, allow_empty=True)
    assert np.isnan(empty.data).all()


def test_positional_arguments_as_astroquery_takes_them():
    b = BASE
    positional = hips2fits.query(b["hips"], b["width"], b["height"], b["projection"], b["ra"],
                                 b["dec"], b["fov"])
    np.testing.assert_array_equal(positional[0].data, hips2fits.query(**BASE)[0].data)
    from hipscut.hips2fits import hips2fitsClass, query

    assert query(**BASE, get_query_payload=True) == hips2fitsClass().query(
        **BASE, get_query_payload=True)
