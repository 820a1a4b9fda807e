//! A lenient reader for the primary image of a FITS file, as real CDS tiles are written.
//!
//! Strict readers reject real tiles: `BLANK = -32768.0` written as a float literal, and files that
//! stop right after the last data byte without the padding to 2880 bytes. This reader accepts
//! both, applies BSCALE/BZERO, maps BLANK and NaN to "no data", and returns the image in display
//! orientation (FITS stores the bottom row first). The image's dimensions are checked by the
//! caller before any pixel is read, so a header that lies about its size costs nothing.
//! Tile-compressed images (`compressed.rs`) are recognised here and read there.

use super::cards::{card_number, header_cards};
use super::compressed::{check_complete, compressed_image, read_compressed};
use crate::error::{Error, Result};
use crate::raster::Raster;

/// The header keywords a tile reader needs.
#[derive(Debug, Default)]
struct ImageHeader {
    bitpix: i64,
    naxis: Vec<usize>,
    bscale: f64,
    bzero: f64,
    blank: Option<f64>,
    data_start: usize,
}

fn parse_header(bytes: &[u8]) -> Result<ImageHeader> {
    if !bytes.starts_with(b"SIMPLE  =") {
        return Err(Error::decode("FITS tile", "it does not start with SIMPLE"));
    }
    let (cards, data_start) = header_cards(bytes)?;
    let num = |k: &str| card_number(&cards, k, "FITS header");
    let int = |k: &str| -> Result<i64> {
        let v = num(k)?.ok_or_else(|| Error::decode("FITS header", format!("{k} is missing")))?;
        if v.fract() != 0.0 {
            return Err(Error::decode(
                "FITS header",
                format!("{k} = {v} is not an integer"),
            ));
        }
        Ok(v as i64)
    };
    let bitpix = int("BITPIX")?;
    if ![8, 16, 32, 64, -32, -64].contains(&bitpix) {
        return Err(Error::decode(
            "FITS header",
            format!("BITPIX = {bitpix} is not valid"),
        ));
    }
    let n = int("NAXIS")?;
    if !(2..=3).contains(&n) {
        return Err(Error::decode(
            "FITS tile",
            format!("NAXIS = {n}; a tile is a 2-D image"),
        ));
    }
    let mut naxis = Vec::new();
    for k in 1..=n {
        let len = int(&format!("NAXIS{k}"))?;
        if !(1..=1 << 16).contains(&len) {
            return Err(Error::decode(
                "FITS header",
                format!("NAXIS{k} = {len} is out of range"),
            ));
        }
        naxis.push(len as usize);
    }
    Ok(ImageHeader {
        bitpix,
        naxis,
        bscale: num("BSCALE")?.unwrap_or(1.0),
        bzero: num("BZERO")?.unwrap_or(0.0),
        blank: num("BLANK")?,
        data_start,
    })
}

/// The bytes of the first plane of the image, or an error saying how much is missing.
fn first_plane<'b>(bytes: &'b [u8], h: &ImageHeader) -> Result<&'b [u8]> {
    let size = (h.bitpix.unsigned_abs() / 8) as usize;
    let want = h.naxis[0] * h.naxis[1] * size;
    bytes.get(h.data_start..h.data_start + want).ok_or_else(|| {
        Error::decode(
            "FITS tile",
            format!(
                "the data is truncated ({} of {want} bytes)",
                bytes.len().saturating_sub(h.data_start),
            ),
        )
    })
}

/// Whether a FITS body holds its header and the full first plane of its data (for a
/// tile-compressed image: its whole table).
pub(crate) fn check_fits_complete(bytes: &[u8]) -> std::result::Result<(), String> {
    if let Some(image) = compressed_image(bytes).map_err(|e| e.to_string())? {
        return check_complete(bytes, &image).map_err(|e| e.to_string());
    }
    let h = parse_header(bytes).map_err(|e| e.to_string())?;
    first_plane(bytes, &h)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Decodes the first plane of the primary image of a FITS file, or its tile-compressed image,
/// after `check` has accepted its width and height.
pub(crate) fn read_fits_image(
    bytes: &[u8],
    check: impl FnOnce(u64, u64) -> std::result::Result<(), String>,
) -> Result<Raster> {
    if let Some(image) = compressed_image(bytes)? {
        check(image.width as u64, image.height as u64)
            .map_err(|e| Error::decode("compressed FITS tile", e))?;
        return read_compressed(bytes, &image);
    }
    let h = parse_header(bytes)?;
    let (width, height) = (h.naxis[0], h.naxis[1]);
    check(width as u64, height as u64).map_err(|e| Error::decode("FITS tile", e))?;
    let size = (h.bitpix.unsigned_abs() / 8) as usize;
    let data = first_plane(bytes, &h)?;
    let scale = |raw: f64| -> f32 {
        if h.blank == Some(raw) {
            f32::NAN
        } else {
            (h.bzero + h.bscale * raw) as f32
        }
    };
    let chunks = data.chunks_exact(size);
    let values: Vec<f32> = match h.bitpix {
        8 => data.iter().map(|&b| scale(b as f64)).collect(),
        16 => chunks
            .map(|c| scale(i16::from_be_bytes([c[0], c[1]]) as f64))
            .collect(),
        32 => chunks
            .map(|c| scale(i32::from_be_bytes(be(c)) as f64))
            .collect(),
        64 => chunks
            .map(|c| scale(i64::from_be_bytes(be(c)) as f64))
            .collect(),
        -32 => chunks
            .map(|c| (h.bzero + h.bscale * f32::from_be_bytes(be(c)) as f64) as f32)
            .collect(),
        _ => chunks
            .map(|c| (h.bzero + h.bscale * f64::from_be_bytes(be(c))) as f32)
            .collect(),
    };
    Ok(Raster {
        width,
        height,
        channels: 1,
        data: values,
    }
    .flipped_rows())
}

/// The N bytes of one big-endian sample (chunks come from `chunks_exact(N)`, so they fit).
fn be<const N: usize>(chunk: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&chunk[..N]);
    out
}

#[cfg(test)]
mod tests {
    use super::super::cards::BLOCK;
    use super::*;
    use crate::tile::Shape;

    /// Writes a minimal FITS file with the given extra cards and big-endian data, unpadded.
    pub(crate) fn fits_bytes(
        bitpix: i64,
        w: usize,
        h: usize,
        extra: &[&str],
        data: &[u8],
    ) -> Vec<u8> {
        let mut cards = vec![
            "SIMPLE  =                    T".to_string(),
            format!("BITPIX  = {bitpix:>20}"),
            "NAXIS   =                    2".to_string(),
            format!("NAXIS1  = {w:>20}"),
            format!("NAXIS2  = {h:>20}"),
        ];
        cards.extend(extra.iter().map(|s| s.to_string()));
        cards.push("END".into());
        let mut out: Vec<u8> = cards
            .iter()
            .flat_map(|c| format!("{c:<80}").into_bytes())
            .collect();
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, b' ');
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn a_tile_with_a_header_wcs_and_extra_hdus_is_read_by_its_primary_image() {
        let data: Vec<u8> = [1f32, 2.0, 3.0, 4.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let wcs = [
            "CTYPE1  = 'RA---HPX'",
            "CTYPE2  = 'DEC--HPX'",
            "CRPIX1  =                 -0.5",
            "CDELT1  =               -0.001",
            "EXTEND  =                    T",
        ];
        let mut bytes = fits_bytes(-32, 2, 2, &wcs, &data);
        bytes.resize(bytes.len().div_ceil(BLOCK) * BLOCK, 0);
        let mut extension = fits_bytes(16, 3, 3, &[], &[0; 18]);
        extension.splice(..30, format!("{:<30}", "XTENSION= 'IMAGE   '").into_bytes());
        bytes.extend(extension);
        let r = read_fits_image(&bytes, |w, h| {
            (w == 2 && h == 2).then_some(()).ok_or("size".into())
        })
        .unwrap();
        assert_eq!(
            r.data,
            vec![3.0, 4.0, 1.0, 2.0],
            "rows flipped, the extension ignored"
        );
    }

    #[test]
    fn int16_with_float_blank_scaling_and_no_padding() {
        let raw: Vec<i16> = vec![1, 2, -32768, 4];
        let data: Vec<u8> = raw.iter().flat_map(|v| v.to_be_bytes()).collect();
        let bytes = fits_bytes(
            16,
            2,
            2,
            &[
                "BSCALE  =                  2.0",
                "BZERO   =              1.0D1",
                "BLANK   =             -32768.0",
            ],
            &data,
        );
        let r = read_fits_image(&bytes, |w, h| Shape::Tile(2).check(w, h)).unwrap();
        // File rows: [1, 2], [blank, 4]; display flips them.
        assert!(r.data[0].is_nan());
        assert_eq!(&r.data[1..], &[18.0, 12.0, 14.0]);
    }

    #[test]
    fn every_bitpix_decodes() {
        let cases: Vec<(i64, Vec<u8>)> = vec![
            (8, vec![7u8]),
            (32, 7i32.to_be_bytes().to_vec()),
            (64, 7i64.to_be_bytes().to_vec()),
            (-32, 7f32.to_be_bytes().to_vec()),
            (-64, 7f64.to_be_bytes().to_vec()),
        ];
        for (bitpix, data) in cases {
            let r = read_fits_image(&fits_bytes(bitpix, 1, 1, &[], &data), |w, h| {
                Shape::Tile(1).check(w, h)
            })
            .unwrap();
            assert_eq!(r.data, vec![7.0], "BITPIX {bitpix}");
        }
        let nan = read_fits_image(
            &fits_bytes(-32, 1, 1, &[], &f32::NAN.to_be_bytes()),
            |w, h| Shape::Tile(1).check(w, h),
        )
        .unwrap();
        assert!(nan.data[0].is_nan());
    }

    #[test]
    fn broken_files_are_errors() {
        assert!(read_fits_image(b"not a fits file", |w, h| Shape::Tile(1).check(w, h)).is_err());
        let short = fits_bytes(16, 4, 4, &[], &[0u8; 10]);
        let err = read_fits_image(&short, |w, h| Shape::Tile(4).check(w, h))
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
        assert!(
            read_fits_image(&fits_bytes(12, 1, 1, &[], &[0u8; 2]), |w, h| Shape::Tile(1)
                .check(w, h))
            .is_err()
        );
    }

    #[test]
    fn non_ascii_cards_and_wrong_sizes_are_errors_not_panics() {
        // A two-byte UTF-8 character across the end of the keyword field.
        let mut bytes = fits_bytes(8, 1, 1, &["BSCALE \u{e9}=                  2.0"], &[1]);
        assert!(std::str::from_utf8(&bytes[400..480]).is_ok());
        let err = read_fits_image(&bytes, |w, h| Shape::Tile(1).check(w, h))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not printable ASCII"), "{err}");
        bytes[405] = 0xff;
        assert!(read_fits_image(&bytes, |w, h| Shape::Tile(1).check(w, h)).is_err());
        let huge = fits_bytes(-64, 60000, 60000, &[], &[]);
        let err = read_fits_image(&huge, |w, h| Shape::Tile(512).check(w, h))
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected 512×512"), "{err}");
    }
}
