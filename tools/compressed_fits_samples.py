"""Makes the tile-compressed FITS samples of the tests, compressed by astropy's CompImageHDU
(cfitsio's compression code, as fpack uses it):

- tests/data/analytic-fits-rice/: the tests' analytic sky (order 1, 64-px tiles), every tile
  RICE_1 with floats quantised in steps of 0.01 and SUBTRACTIVE_DITHER_1;
- tests/data/fits-compressed/: one tile in each algorithm (RICE_1, GZIP_1 with
  SUBTRACTIVE_DITHER_2, lossless GZIP_2, HCOMPRESS_1, PLIO_1 and RICE_1 of 16-bit integers with
  BLANK pixels), each with NAME.expected.fits: the values astropy decompresses, as a plain
  float32 image (NaN for no data), which hipscut must reproduce bit for bit;
- fuzz/seeds/fits_tile/: 16-px RICE_1 and HCOMPRESS_1 tiles for the fits_tile fuzzer (its
  first byte, 4, picks 16-px tiles).

    python3 tools/compressed_fits_samples.py      (needs astropy and numpy; from the repository's root)
"""
import pathlib
import shutil
import subprocess
import tempfile

import numpy as np
from astropy.io import fits

STEP = -0.01  # a negative quantize_level is the absolute quantisation step
RICE = pathlib.Path("tests/data/analytic-fits-rice")
SAMPLES = pathlib.Path("tests/data/fits-compressed")


def compressed(data, **kw):
    return fits.HDUList([fits.PrimaryHDU(), fits.CompImageHDU(data, **kw)])


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["cargo", "run", "--release", "--quiet", "--example", "analytic_survey", "--", "fits", tmp],
            check=True,
        )
        src = pathlib.Path(tmp) / "analytic"
        if RICE.exists():
            shutil.rmtree(RICE)
        for tile in sorted(src.glob("Norder*/Dir*/Npix*.fits")):
            dest = RICE / tile.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = fits.getdata(tile).astype(np.float32)
            compressed(data, compression_type="RICE_1", quantize_level=STEP,
                       quantize_method=1, dither_seed=1).writeto(dest)
        props = (src / "properties").read_text()
        props = props.replace("obs_title = Analytic sky", "obs_title = Analytic sky, RICE_1 tiles quantised in steps of 0.01")
        (RICE / "properties").write_text(props)
        sky = fits.getdata(src / "Norder1/Dir0/Npix5.fits").astype(np.float32)

    SAMPLES.mkdir(parents=True, exist_ok=True)
    with_holes = sky.copy()
    with_holes[10:14, 20:30] = np.nan
    ints = np.round((sky - 100.0) * 300.0).astype(np.int16)
    ints[30:33, 5:9] = -32768
    levels = (np.round(sky - sky.min()) % 8).astype(np.int32)
    samples = {
        "rice_float": (with_holes, dict(compression_type="RICE_1", quantize_level=STEP, quantize_method=1, dither_seed=7)),
        "gzip1_dither2": (with_holes, dict(compression_type="GZIP_1", quantize_level=STEP, quantize_method=2, dither_seed=9)),
        "gzip2_lossless": (with_holes, dict(compression_type="GZIP_2", quantize_level=0.0)),
        "hcompress_float": (sky, dict(compression_type="HCOMPRESS_1", quantize_level=STEP, quantize_method=1, dither_seed=3, tile_shape=(64, 64))),
        "plio_int": (levels, dict(compression_type="PLIO_1")),
        "rice_int16_blank": (ints, dict(compression_type="RICE_1")),
    }
    for name, (data, kw) in samples.items():
        path = SAMPLES / f"{name}.fits"
        hdus = compressed(data, **kw)
        if data.dtype == np.int16:
            hdus[1].header["BLANK"] = -32768
        hdus.writeto(path, overwrite=True)
        with fits.open(path) as f:
            back = f[1].data.astype(np.float32)
            if data.dtype == np.int16:
                back[f[1].data == -32768] = np.nan
        fits.PrimaryHDU(back).writeto(SAMPLES / f"{name}.expected.fits", overwrite=True)

    seeds = pathlib.Path("fuzz/seeds/fits_tile")
    small = sky[:16, :16].copy()
    small[2, 3] = np.nan
    for name, kw in [("rice16", dict(compression_type="RICE_1", quantize_level=STEP, dither_seed=1)),
                     ("hcompress16", dict(compression_type="HCOMPRESS_1", quantize_level=STEP, dither_seed=1))]:
        path = pathlib.Path(tempfile.gettempdir()) / f"{name}.fits"
        compressed(small, **kw).writeto(path, overwrite=True)
        (seeds / f"{name}.fits").write_bytes(b"\x04" + path.read_bytes())


if __name__ == "__main__":
    main()
