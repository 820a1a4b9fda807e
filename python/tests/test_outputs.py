"""The package's outputs equal the CLI's byte for byte, FITS and PNG, same field; and its
arrays are those of the files."""

import io

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from PIL import Image

import hipscut
from hipscut import _native
from hipscut.hips2fits import hips2fits

from conftest import DATA, run_cli

#: A field of each sample: (survey, tile format, CLI arguments, hips2fits parameters).
FIELDS = {
    "DSS2Red FITS tiles, TAN": (
        DATA / "DSS2Red",
        "fits",
        dict(ra=272.5, dec=-33.0, fov=1.5, width=120, height=90, projection="TAN",
             coordsys="icrs", rotation_angle=0.0),
    ),
    "FermiColor JPEG tiles, galactic AIT turned": (
        DATA / "FermiColor",
        "jpeg",
        dict(ra=0.5, dec=-0.5, fov=8.0, width=400, height=200, projection="AIT",
             coordsys="galactic", rotation_angle=20.0),
    ),
}

HIPS2FITS_DISPLAY = ["--min-cut", "0.5%", "--max-cut", "99.5%", "--cmap", "Greys_r",
                     "--stretch", "linear"]


def cli_file(tmp_path, survey, tile_format, field, suffix):
    out = tmp_path / f"cli.{suffix}"
    run_cli(
        "render", "--survey", str(survey), "--tile-format", tile_format,
        "--lon", repr(field["ra"]), "--lat", repr(field["dec"]), "--fov", repr(field["fov"]),
        "--width", str(field["width"]), "--height", str(field["height"]),
        "--projection", field["projection"], "--frame", field["coordsys"],
        "--rotation", repr(field["rotation_angle"]), *HIPS2FITS_DISPLAY, "-o", str(out),
    )
    return out.read_bytes()


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("suffix", ["fits", "png"])
def test_render_file_and_bytes_equal_the_cli(tmp_path, name, suffix):
    survey, tile_format, field = FIELDS[name]
    want = cli_file(tmp_path, survey, tile_format, field, suffix)
    out = tmp_path / f"package.{suffix}"
    display = dict(min_cut="0.5%", max_cut="99.5%", cmap="Greys_r", stretch="linear")
    hipscut.render_file(out, survey, tile_format=tile_format, **field, **display)
    assert out.read_bytes() == want
    got = hipscut.render_bytes(survey, format=suffix, tile_format=tile_format, **field, **display)
    assert got == want


@pytest.mark.parametrize("suffix", ["fits", "png"])
def test_hips2fits_equals_the_cli(tmp_path, suffix):
    # hips2fits reads a survey's first tile format: FermiColor has only JPEG.
    survey, tile_format, field = FIELDS["FermiColor JPEG tiles, galactic AIT turned"]
    want = cli_file(tmp_path, survey, tile_format, field, suffix)
    params = dict(hips=str(survey), **field, format=suffix, min_cut=0.5, max_cut=99.5,
                  stretch="linear", cmap="Greys_r")
    payload = hips2fits.query(**params, get_query_payload=True)
    assert _native.query(list(payload.items())) == want, "the encoded bytes"
    result = hips2fits.query(**params)
    if suffix == "fits":
        with fits.open(io.BytesIO(want)) as cli:
            assert result[0].header == cli[0].header
            np.testing.assert_array_equal(result[0].data, cli[0].data)
    else:
        np.testing.assert_array_equal(result, np.asarray(Image.open(io.BytesIO(want))))


@pytest.mark.filterwarnings("ignore::astropy.wcs.FITSFixedWarning")  # the CLI's RGB axis
@pytest.mark.parametrize("name", FIELDS)
def test_render_returns_the_fits_values_and_wcs(tmp_path, name):
    survey, tile_format, field = FIELDS[name]
    with fits.open(io.BytesIO(cli_file(tmp_path, survey, tile_format, field, "fits"))) as cli:
        want, header = cli[0].data, cli[0].header
    result = hipscut.render(survey, tile_format=tile_format, **field)
    assert result.data.dtype == np.float32
    np.testing.assert_array_equal(result.data, want)
    data, wcs = result
    assert data is result.data
    cli_wcs = WCS(header).celestial
    ys, xs = np.mgrid[0 : data.shape[-2] : 7, 0 : data.shape[-1] : 7]
    got = wcs.pixel_to_world_values(xs, ys)
    ref = cli_wcs.pixel_to_world_values(xs, ys)
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(ref), rtol=0, atol=1e-12)
    assert wcs.pixel_shape == (data.shape[-1], data.shape[-2])
    assert result.info["tile_format"] == tile_format
    read = result.info["tiles_local"] + result.info["tiles_from_memory"]
    assert read > 0 and result.info["tiles_missing"] == 0, result.info


def test_a_failed_render_file_leaves_no_file(tmp_path):
    survey, tile_format, field = FIELDS["DSS2Red FITS tiles, TAN"]
    out = tmp_path / "never.png"
    with pytest.raises(hipscut.BadRequest, match="projection"):
        hipscut.render_file(out, survey, **{**field, "projection": "XYZ"})
    with pytest.raises(hipscut.NotFound):
        hipscut.render_file(out, survey, **{**field, "ra": 90.0, "dec": 60.0})
    with pytest.raises(hipscut.BadRequest, match="gif"):
        hipscut.render_file(tmp_path / "never.gif", survey, **field)
    with pytest.raises(hipscut.HipscutError):
        hipscut.render_file(tmp_path / "no" / "such" / "dir.png", survey, **field)
    assert list(tmp_path.iterdir()) == [], "no file, not even a temporary one"
