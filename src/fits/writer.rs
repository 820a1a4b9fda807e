//! Writing FITS files through fitsio: a float32 image (one plane, or a cube of planes) in
//! display orientation, then its header cards in the order given.

use crate::raster::Raster;
use fitsio::hdu::FitsHdu;
use fitsio::images::{ImageDescription, ImageType};
use fitsio::FitsFile;
use std::ffi::CString;
use std::path::Path;

/// The value of a header card.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CardValue<'a> {
    /// A string of at most 68 characters.
    Text(&'a str),
    /// A string of any length, written with the CONTINUE long-string convention (non-ASCII
    /// and control characters become `?`).
    LongText(&'a str),
    /// A floating-point number.
    Real(f64),
    /// An integer.
    Integer(i64),
}

/// A header card to write: keyword, value and an optional comment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Card<'a> {
    pub key: &'a str,
    pub value: CardValue<'a>,
    pub comment: Option<&'a str>,
}

/// Writes `image` as the primary HDU of a new FITS file at `path` (which must not exist),
/// then `cards`. Row 0 of the raster (the top) becomes the last FITS row; the channels become
/// planes. Errors are cfitsio's, as text.
pub(crate) fn write_float_image(
    path: &Path,
    image: &Raster,
    cards: &[Card<'_>],
) -> Result<(), String> {
    let (w, h, ch) = (image.width, image.height, image.channels);
    let dims = if ch == 1 { vec![h, w] } else { vec![ch, h, w] };
    let description = ImageDescription {
        data_type: ImageType::Float,
        dimensions: &dims,
    };
    let text = |e: fitsio::errors::Error| e.to_string();
    let mut file = FitsFile::create(path)
        .with_custom_primary(&description)
        .open()
        .map_err(text)?;
    let hdu = file.primary_hdu().map_err(text)?;
    // FITS row 1 is the bottom row; planes are stored one after the other.
    let mut data: Vec<f32> = Vec::with_capacity(w * h * ch);
    for c in 0..ch {
        for row in image.data.chunks_exact(w * ch).rev() {
            if ch == 1 {
                data.extend_from_slice(row);
            } else {
                data.extend(row.chunks_exact(ch).filter_map(|px| px.get(c)));
            }
        }
    }
    hdu.write_image(&mut file, &data).map_err(text)?;
    for card in cards {
        write_card(&mut file, &hdu, card)?;
    }
    Ok(())
}

fn write_card(file: &mut FitsFile, hdu: &FitsHdu, card: &Card<'_>) -> Result<(), String> {
    let key = card.key;
    let written = match (card.value, card.comment) {
        (CardValue::LongText(text), _) => return write_long_string(file, key, text),
        (CardValue::Text(v), None) => hdu.write_key(file, key, v),
        (CardValue::Text(v), Some(c)) => hdu.write_key(file, key, (v, c)),
        (CardValue::Real(v), None) => hdu.write_key(file, key, v),
        (CardValue::Real(v), Some(c)) => hdu.write_key(file, key, (v, c)),
        (CardValue::Integer(v), None) => hdu.write_key(file, key, v),
        (CardValue::Integer(v), Some(c)) => hdu.write_key(file, key, (v, c)),
    };
    written.map_err(|e| e.to_string())
}

/// Writes a string card of any length with the CONTINUE long-string convention.
fn write_long_string(file: &mut FitsFile, key: &str, value: &str) -> Result<(), String> {
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
