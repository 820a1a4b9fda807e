//! Tile-compressed FITS images: an empty primary HDU, then a BINTABLE with `ZIMAGE = T` whose
//! rows hold the compressed tiles of the image (RICE_1, GZIP_1, GZIP_2, HCOMPRESS_1, PLIO_1,
//! NOCOMPRESS; floats quantised and dithered).
//!
//! The pixels are decoded by cfitsio, the reference implementation of the convention (fpack is
//! its command-line front), through fitsio's raw bindings: the dithering's random sequence, the
//! quantisation and HCOMPRESS's smoothing must match it bit for bit, and writing these codecs by
//! hand would be a second, less tested cfitsio. cfitsio is C and trusts its headers, so every size
//! in them is checked here first: the image must be the tile's size, its compression tiles no
//! larger than the image, and the table and its heap inside the bytes given.

use super::cards::{card_number, find_card, header_cards, Cards, BLOCK};
use crate::error::{Error, Result};
use crate::raster::Raster;
use std::ffi::{c_char, c_int, c_long, c_void};

/// The compression algorithms of the tiled-image convention that cfitsio decodes.
const ALGORITHMS: [&str; 6] = [
    "RICE_1",
    "GZIP_1",
    "GZIP_2",
    "HCOMPRESS_1",
    "PLIO_1",
    "NOCOMPRESS",
];

/// What the headers of a compressed image say, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CompressedImage {
    pub width: usize,
    pub height: usize,
    /// The byte just past the table's heap: the file must hold it.
    pub end: usize,
}

fn number(cards: &Cards, key: &str) -> Result<Option<f64>> {
    card_number(cards, key, "compressed FITS tile")
}

/// An integer keyword within `range`.
fn integer(cards: &Cards, key: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64> {
    let v = number(cards, key)?.ok_or_else(|| bad(format!("{key} is missing")))?;
    if v.fract() != 0.0 || !range.contains(&(v as i64)) {
        return Err(bad(format!("{key} = {v} is out of range")));
    }
    Ok(v as i64)
}

fn bad(reason: String) -> Error {
    Error::decode("compressed FITS tile", reason)
}

/// The compressed image of a FITS file whose primary HDU is empty (`NAXIS = 0`) and whose first
/// extension is a BINTABLE with `ZIMAGE = T`; `None` if the file is not laid out so.
pub(crate) fn compressed_image(bytes: &[u8]) -> Result<Option<CompressedImage>> {
    let (primary, start) = header_cards(bytes)?;
    if number(&primary, "NAXIS")? != Some(0.0) {
        return Ok(None);
    }
    let Some(rest) = bytes.get(start..) else {
        return Ok(None);
    };
    let Ok((cards, header_len)) = header_cards(rest) else {
        return Ok(None);
    };
    let is = |key: &str, value: &str| find_card(&cards, key).map(str::trim) == Some(value);
    if !is("XTENSION", "BINTABLE") || !is("ZIMAGE", "T") {
        return Ok(None);
    }
    let algorithm = find_card(&cards, "ZCMPTYPE").map(str::trim).unwrap_or("");
    if !ALGORITHMS.contains(&algorithm) {
        return Err(bad(format!(
            "ZCMPTYPE = `{algorithm}` is not one of {}",
            ALGORITHMS.join(" ")
        )));
    }
    let zbitpix = integer(&cards, "ZBITPIX", -64..=64)?;
    if ![8, 16, 32, 64, -32, -64].contains(&zbitpix) {
        return Err(bad(format!("ZBITPIX = {zbitpix} is not valid")));
    }
    let axes = integer(&cards, "ZNAXIS", 2..=3)?;
    let width = integer(&cards, "ZNAXIS1", 1..=1 << 16)?;
    let height = integer(&cards, "ZNAXIS2", 1..=1 << 16)?;
    if axes == 3 && integer(&cards, "ZNAXIS3", 1..=1)? != 1 {
        return Err(bad("a tile is a 2-D image".into()));
    }
    for (k, len) in [(1, width), (2, height)] {
        if let Some(tile) = number(&cards, &format!("ZTILE{k}"))? {
            if !(1.0..=len as f64).contains(&tile) {
                return Err(bad(format!("ZTILE{k} = {tile} exceeds the image")));
            }
        }
    }
    let row = integer(&cards, "NAXIS1", 0..=1 << 20)?;
    let rows = integer(&cards, "NAXIS2", 0..=1 << 20)?;
    let heap = number(&cards, "PCOUNT")?.unwrap_or(0.0);
    if !(0.0..=(1u64 << 40) as f64).contains(&heap) {
        return Err(bad(format!("PCOUNT = {heap} is out of range")));
    }
    let end = (start + header_len) as u64 + (row * rows) as u64 + heap as u64;
    Ok(Some(CompressedImage {
        width: width as usize,
        height: height as usize,
        end: usize::try_from(end).map_err(|_| bad("the table is too large".into()))?,
    }))
}

/// Whether the file holds the whole table of `image`.
pub(crate) fn check_complete(bytes: &[u8], image: &CompressedImage) -> Result<()> {
    if bytes.len() < image.end {
        return Err(bad(format!(
            "the table is truncated ({} of {} bytes)",
            bytes.len(),
            image.end
        )));
    }
    Ok(())
}

/// cfitsio's message for `status`.
fn cfitsio_error(status: c_int) -> Error {
    let mut text = [0 as c_char; 31];
    // SAFETY: ffgerr writes at most 30 characters and a NUL into the 31 given.
    unsafe { fitsio::sys::ffgerr(status, text.as_mut_ptr()) };
    // SAFETY: the buffer is NUL-terminated (zeroed, and ffgerr terminates what it writes).
    let message = unsafe { std::ffi::CStr::from_ptr(text.as_ptr()) };
    bad(format!(
        "cfitsio: {} (status {status})",
        message.to_string_lossy()
    ))
}

/// Decodes the checked compressed `image` of `bytes` (BLANK and NaN as no data), in display
/// orientation.
pub(crate) fn read_compressed(bytes: &[u8], image: &CompressedImage) -> Result<Raster> {
    check_complete(bytes, image)?;
    let (width, height) = (image.width, image.height);
    // cfitsio's memory driver takes a mutable buffer (it does not write to a read-only file,
    // but it gets its own copy all the same) and reads it in whole FITS blocks of 2880 bytes:
    // the copy is padded to them, as a file on disk would be (else it reads past the end, as
    // the fits_tile fuzzer found under AddressSanitizer).
    let mut copy = bytes.get(..image.end).unwrap_or(bytes).to_vec();
    copy.resize(copy.len().div_ceil(BLOCK) * BLOCK, 0);
    let mut data = vec![0f32; width * height];
    let (mut status, mut hdu_type, mut any_null, mut axes) = (0 as c_int, 0, 0, [0 as c_long; 3]);
    let mut fptr = std::ptr::null_mut();
    let mut buffer = copy.as_mut_ptr() as *mut c_void;
    let mut size = copy.len();
    // SAFETY: `buffer` and `size` describe `copy`, which outlives the file (closed below); the
    // file is opened read-only; `data` holds the width × height pixels asked for, the sizes
    // having been checked against the headers cfitsio reads and against the dimensions it
    // reports before the read.
    unsafe {
        let name = c"tile.fits";
        fitsio::sys::ffomem(
            &mut fptr,
            name.as_ptr(),
            0,
            &mut buffer,
            &mut size,
            0,
            None,
            &mut status,
        );
        fitsio::sys::ffmahd(fptr, 2, &mut hdu_type, &mut status);
        fitsio::sys::ffgisz(fptr, 2, axes.as_mut_ptr(), &mut status);
        let same = axes[0] as usize == width && axes[1] as usize == height;
        if status == 0 && same {
            fitsio::sys::ffgpve(
                fptr,
                1,
                1,
                (width * height) as i64,
                f32::NAN,
                data.as_mut_ptr(),
                &mut any_null,
                &mut status,
            );
        } else if status == 0 {
            status = -1;
        }
        if !fptr.is_null() {
            let mut close_status = 0;
            fitsio::sys::ffclos(fptr, &mut close_status);
        }
    }
    match status {
        0 => Ok(Raster {
            width,
            height,
            channels: 1,
            data,
        }
        .flipped_rows()),
        -1 => Err(bad(format!(
            "cfitsio reads a {}×{} image where the header says {width}×{height}",
            axes[0], axes[1]
        ))),
        s => Err(cfitsio_error(s)),
    }
}
