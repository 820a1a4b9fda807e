//! FITS output: float32 image (or 3-plane RGB cube) with the full celestial WCS and credits.

use crate::error::{Error, Result};
use crate::fits::parse_fits_number;
use crate::geometry::OutputGeometry;
use crate::render::Rendered;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::FitsFile;
use std::ffi::CString;
use std::io::Write;
use std::path::Path;

/// Encodes `rendered` as FITS into `out`.
///
/// fitsio writes files only (the crate does not expose cfitsio's memory files), so the image
/// goes through a temporary file. A FITS writer of our own would write in memory, but it would
/// lose cfitsio's exact card formatting, which the CLI's outputs keep bit for bit.
pub(crate) fn encode_fits(rendered: &Rendered, out: &mut dyn Write) -> Result<()> {
    let fail = |reason: String| Error::Encode {
        format: "FITS",
        reason,
    };
    let dir = tempfile::tempdir().map_err(|e| fail(format!("no temporary folder: {e}")))?;
    let path = dir.path().join("image.fits");
    write_fits(rendered, &path)?;
    let mut file = std::fs::File::open(&path).map_err(|e| fail(e.to_string()))?;
    std::io::copy(&mut file, out).map_err(|e| fail(e.to_string()))?;
    Ok(())
}

/// Writes `rendered` to a new FITS file at `path` (which must not exist).
pub(crate) fn write_fits(rendered: &Rendered, path: &Path) -> Result<()> {
    let fail = |e: fitsio::errors::Error| Error::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let (image, geometry, meta) = (&rendered.image, &rendered.geometry, &rendered.provenance);
    let (w, h, ch) = (image.width, image.height, image.channels);
    let dims = if ch == 1 { vec![h, w] } else { vec![ch, h, w] };
    let description = ImageDescription {
        data_type: ImageType::Float,
        dimensions: &dims,
    };
    let mut file = FitsFile::create(path)
        .with_custom_primary(&description)
        .open()
        .map_err(fail)?;
    let hdu = file.primary_hdu().map_err(fail)?;
    // FITS row 1 is the bottom row; planes are stored one after the other.
    let mut data = Vec::with_capacity(w * h * ch);
    for c in 0..ch {
        for row in (0..h).rev() {
            for col in 0..w {
                data.push(image.data[(row * w + col) * ch + c]);
            }
        }
    }
    hdu.write_image(&mut file, &data).map_err(fail)?;
    for (key, value) in &geometry.cards {
        if OutputGeometry::card_is_string(key) {
            hdu.write_key(&mut file, key, value.as_str())
                .map_err(fail)?;
        } else if let Some(n) = parse_fits_number(value) {
            hdu.write_key(&mut file, key, n).map_err(fail)?;
        }
    }
    if ch == 3 {
        hdu.write_key(
            &mut file,
            "CTYPE3",
            ("RGB", "colour planes: red, green, blue"),
        )
        .map_err(fail)?;
    }
    let version = format!("hipscut {}", env!("CARGO_PKG_VERSION"));
    hdu.write_key(
        &mut file,
        "CREATOR",
        (version.as_str(), "software that made this file"),
    )
    .map_err(fail)?;
    hdu.write_key(
        &mut file,
        "HIPSORDR",
        (rendered.order as i64, "HiPS tile order used"),
    )
    .map_err(fail)?;
    hdu.write_key(
        &mut file,
        "HIPSFMT",
        (rendered.tile_format.name(), "HiPS tile format used"),
    )
    .map_err(fail)?;
    hdu.write_key(
        &mut file,
        "INTERP",
        (
            rendered.interpolation.name(),
            "sampling between tile pixels",
        ),
    )
    .map_err(fail)?;
    let mut strings: Vec<(&str, &str)> = Vec::new();
    if let Some(id) = &meta.survey_id {
        strings.push(("HIPS_ID", id));
    }
    if let Some(title) = &meta.title {
        strings.push(("HIPSTITL", title));
    }
    let credit_keys = ["COPYRGHT", "COPYRGH2", "COPYRGH3"];
    for (key, text) in credit_keys.iter().zip(&meta.copyright) {
        strings.push((key, text));
    }
    for (key, text) in strings {
        write_long_string(&mut file, key, text).map_err(|reason| Error::Write {
            path: path.to_path_buf(),
            reason,
        })?;
    }
    Ok(())
}

/// Writes a string card of any length with the CONTINUE long-string convention.
fn write_long_string(
    file: &mut FitsFile,
    key: &str,
    value: &str,
) -> std::result::Result<(), String> {
    let ascii: String = value
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect();
    let key_c = CString::new(key).map_err(|e| e.to_string())?;
    let value_c = CString::new(ascii).map_err(|e| e.to_string())?;
    let mut status = 0;
    // SAFETY: the pointer comes from an open FitsFile that outlives the calls, and both strings
    // are NUL-terminated; cfitsio copies them.
    unsafe {
        let fptr = file.as_raw();
        fitsio::sys::ffplsw(fptr, &mut status);
        fitsio::sys::ffpkls(
            fptr,
            key_c.as_ptr(),
            value_c.as_ptr(),
            std::ptr::null(),
            &mut status,
        );
    }
    if status == 0 {
        Ok(())
    } else {
        Err(format!("cfitsio status {status} writing {key}"))
    }
}
