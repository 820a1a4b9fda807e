//! Decoding of tile bytes (JPEG, PNG, WebP, FITS, gzipped FITS) into display-oriented rasters, with
//! every size checked before any pixel is decoded.
//!
//! A tile comes from a server or a disk we do not control, so nothing in it is trusted: its
//! dimensions are read from its header and compared with the survey's tile width (or the
//! Allsky's expected grid) first, gzip is inflated only up to what such an image can need, and
//! a body cut short (a JPEG without its end marker, a PNG without IEND, a FITS without its full
//! data) is an error rather than a half-grey tile.

use super::image::TileImage;
use super::{allsky_grid_columns, TileFormat};
use crate::error::{Error, Result};
use crate::fits::{check_fits_complete, read_fits_image};
use crate::raster::Raster;
use std::borrow::Cow;
use std::io::{Cursor, Read};

/// The most pixels an Allsky may hold: an order-3 Allsky of 64-px cells (27×29 cells) is 3.2 Mpx.
pub(crate) const ALLSKY_MAX_PIXELS: u64 = 4 << 20;
/// Room for a FITS header (100 blocks of 2880 bytes) on top of the data.
const FITS_HEADER_ROOM: u64 = 100 * 2880;

/// The size a file must have, checked from its header before any pixel is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A tile of `width`×`width` px.
    Tile(usize),
    /// The Allsky of `order` of a survey whose tiles are `tile_width` px wide: a grid of
    /// `⌊√(12·4^order)⌋` columns of square cells, at most `tile_width` px each.
    Allsky { order: u8, tile_width: usize },
}

impl Shape {
    /// Checks an image's dimensions against the shape.
    pub fn check(self, width: u64, height: u64) -> std::result::Result<(), String> {
        match self {
            Shape::Tile(n) if width == n as u64 && height == n as u64 => Ok(()),
            Shape::Tile(n) => Err(format!("{width}×{height} px, expected {n}×{n}")),
            Shape::Allsky { order, tile_width } => {
                let cols = allsky_grid_columns(order) as u64;
                let rows = (12u64 << (2 * order)).div_ceil(cols);
                let cell = width / cols.max(1);
                let fits = cell >= 1
                    && width.is_multiple_of(cols)
                    && cell.is_power_of_two()
                    && cell <= tile_width as u64
                    && (rows * cell..(rows + 1) * cell).contains(&height)
                    && width * height <= ALLSKY_MAX_PIXELS;
                if fits {
                    Ok(())
                } else {
                    Err(format!(
                        "{width}×{height} px is not an Allsky of order {order}: {cols} columns by \
                         {rows} rows of square cells, a power of two up to {tile_width} px wide, \
                         {} Mpx at most",
                        ALLSKY_MAX_PIXELS >> 20
                    ))
                }
            }
        }
    }

    /// The most pixels an image of this shape holds.
    pub fn max_pixels(self) -> u64 {
        match self {
            Shape::Tile(n) => (n as u64) * (n as u64),
            Shape::Allsky { .. } => ALLSKY_MAX_PIXELS,
        }
    }

    /// The most bytes an uncompressed FITS file of this shape needs (64-bit pixels).
    pub fn max_fits_bytes(self) -> u64 {
        FITS_HEADER_ROOM + self.max_pixels() * 8 + 2880
    }
}

/// Decodes a tile or Allsky file into a raster with `channels` (1 = grey, 3 = RGB) per pixel.
///
/// JPEG/PNG rows are stored top-down and come out as they are; FITS is flipped (see
/// `read_fits_image`). PNG alpha 0 and FITS BLANK/NaN become NaN ("no data"). The image must
/// have `shape`, which is checked before its pixels are decoded. `what` names the file in
/// errors.
pub fn decode_raster(
    bytes: &[u8],
    format: TileFormat,
    channels: usize,
    shape: Shape,
    what: &str,
) -> Result<Raster> {
    let bytes = ungzipped(bytes, shape, what)?;
    let bytes = &bytes[..];
    match format {
        TileFormat::Fits => {
            let grey = read_fits_image(bytes, |w, h| shape.check(w, h))
                .map_err(|e| Error::decode(what, e))?;
            Ok(if channels == 1 {
                grey
            } else {
                expand_grey(grey, channels)
            })
        }
        TileFormat::Jpeg | TileFormat::Png | TileFormat::Webp => {
            decode_picture(bytes, format, shape)
                .map(|img| picture_raster(&img, channels))
                .map_err(|e| Error::decode(what, e))
        }
    }
}

/// `bytes`, inflated if they are a gzip stream (a file a server sent compressed).
fn ungzipped<'a>(bytes: &'a [u8], shape: Shape, what: &str) -> Result<Cow<'a, [u8]>> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let inflated = gunzip(bytes, shape.max_fits_bytes()).map_err(|e| Error::decode(what, e))?;
        Ok(Cow::Owned(inflated))
    } else {
        Ok(Cow::Borrowed(bytes))
    }
}

/// Inflates a gzip stream, refusing one that grows beyond `limit` bytes or stops early.
fn gunzip(bytes: &[u8], limit: u64) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "gzip inflates beyond the {limit} bytes such a tile can hold"
        ));
    }
    Ok(out)
}

/// Whether a body is whole: a JPEG ends with its EOI marker, a PNG with its IEND chunk, a
/// FITS file holds its full data. Trailing NUL or white-space padding is allowed. Gzip streams
/// are checked when they are inflated.
pub(crate) fn check_complete(bytes: &[u8], format: TileFormat) -> std::result::Result<(), String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(());
    }
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, 0 | b' ' | b'\n' | b'\r'))
        .map_or(0, |k| k + 1);
    let body = &bytes[..end];
    match format {
        TileFormat::Jpeg if !body.ends_with(&[0xff, 0xd9]) => Err(format!(
            "the JPEG ends without its end marker after {} bytes",
            bytes.len()
        )),
        TileFormat::Png if !body.ends_with(b"IEND\xaeB`\x82") => Err(format!(
            "the PNG ends without its IEND chunk after {} bytes",
            bytes.len()
        )),
        TileFormat::Webp => check_riff_complete(bytes),
        TileFormat::Fits => check_fits_complete(bytes),
        _ => Ok(()),
    }
}

/// Whether a WebP file (a RIFF container: `RIFF`, the size of what follows, `WEBP`) holds
/// every byte its header announces.
fn check_riff_complete(bytes: &[u8]) -> std::result::Result<(), String> {
    let size = match (bytes.get(..4), bytes.get(4..8), bytes.get(8..12)) {
        (Some(b"RIFF"), Some(size), Some(b"WEBP")) => {
            u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize
        }
        _ => return Err("not a WebP file (no RIFF/WEBP header)".into()),
    };
    if bytes.len() < size + 8 {
        return Err(format!(
            "the WebP holds {} bytes of the {} its header announces",
            bytes.len(),
            size + 8
        ));
    }
    Ok(())
}

/// Decodes a JPEG, PNG or WebP after checking its dimensions and that it is whole.
fn decode_picture(
    bytes: &[u8],
    format: TileFormat,
    shape: Shape,
) -> std::result::Result<image::DynamicImage, String> {
    let fmt = match format {
        TileFormat::Jpeg => image::ImageFormat::Jpeg,
        TileFormat::Webp => image::ImageFormat::WebP,
        _ => image::ImageFormat::Png,
    };
    let reader = || image::ImageReader::with_format(Cursor::new(bytes), fmt);
    check_complete(bytes, format)?;
    let (w, h) = reader().into_dimensions().map_err(|e| e.to_string())?;
    shape.check(w as u64, h as u64)?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    // Room for a 16-bit RGBA decode and its conversion, and no more.
    limits.max_alloc = Some(16 * shape.max_pixels() + (1 << 20));
    let mut decoder = reader();
    decoder.limits(limits);
    // zune-jpeg 0.5.15 (image's JPEG decoder) panics on some malformed scans: an index out of
    // range in its IDCT, found by the picture_tile fuzzer (fuzz/regressions/picture_tile/). Such
    // a file fails like any other that does not decode.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decoder.decode()))
        .map_err(|_| "the image decoder failed on this file".to_string())?
        .map_err(|e| e.to_string())
}

/// A picture's levels as floats with `channels` per pixel, alpha 0 as NaN.
fn picture_raster(img: &image::DynamicImage, channels: usize) -> Raster {
    let (width, height) = (img.width() as usize, img.height() as usize);
    let mut data = Vec::with_capacity(width * height * channels);
    if channels == 1 {
        for p in img.to_luma_alpha8().pixels() {
            data.push(if p[1] == 0 { f32::NAN } else { p[0] as f32 });
        }
    } else {
        for p in img.to_rgba8().pixels() {
            let nodata = p[3] == 0;
            for &v in &p.0[..3] {
                data.push(if nodata { f32::NAN } else { v as f32 });
            }
        }
    }
    Raster {
        width,
        height,
        channels,
        data,
    }
}

/// Decodes a tile, which must be `width`×`width` (checked before its pixels are decoded), with
/// `channels` per pixel. A picture with data in every pixel (every JPEG) goes from the
/// decoder's bytes to the tile's without floats in between: that round trip was a fifth of a
/// cold render's CPU.
pub(crate) fn decode_tile(
    bytes: &[u8],
    format: TileFormat,
    channels: usize,
    width: usize,
    what: &str,
) -> Result<TileImage> {
    if format == TileFormat::Fits {
        return decode_raster(bytes, format, channels, Shape::Tile(width), what)
            .map(TileImage::new);
    }
    let shape = Shape::Tile(width);
    let bytes = ungzipped(bytes, shape, what)?;
    let img = decode_picture(&bytes, format, shape).map_err(|e| Error::decode(what, e))?;
    // A LumaA pixel has two channels: p[1] is its alpha.
    let opaque = !img.color().has_alpha() || img.to_luma_alpha8().pixels().all(|p| p[1] != 0);
    if !opaque {
        return Ok(TileImage::new(picture_raster(&img, channels)));
    }
    let levels = if channels == 1 {
        img.into_luma8().into_raw()
    } else {
        img.into_rgb8().into_raw()
    };
    TileImage::of_levels(width, channels, levels)
        .ok_or_else(|| Error::decode(what, "the decoded picture is not of the tile's size"))
}

fn expand_grey(grey: Raster, channels: usize) -> Raster {
    let data = grey
        .data
        .iter()
        .flat_map(|&v| std::iter::repeat_n(v, channels))
        .collect();
    Raster {
        channels,
        data,
        ..grey
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(img: image::DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn png_alpha_zero_is_no_data_and_grey_expands_to_rgb() {
        let mut rgba = image::RgbaImage::new(2, 2);
        rgba.put_pixel(0, 0, image::Rgba([10, 20, 30, 255]));
        rgba.put_pixel(1, 0, image::Rgba([40, 50, 60, 0]));
        let r = decode_raster(&png(rgba.into()), TileFormat::Png, 3, Shape::Tile(2), "t").unwrap();
        assert_eq!(&r.data[..3], &[10.0, 20.0, 30.0]);
        assert!(r.data[3..6].iter().all(|v| v.is_nan()));

        let grey = image::GrayImage::from_raw(2, 2, vec![7, 9, 1, 2]).unwrap();
        let bytes = png(grey.into());
        let r = decode_raster(&bytes, TileFormat::Png, 3, Shape::Tile(2), "t").unwrap();
        assert_eq!(&r.data[..6], &[7.0, 7.0, 7.0, 9.0, 9.0, 9.0]);
        let r = decode_raster(&bytes, TileFormat::Png, 1, Shape::Tile(2), "t").unwrap();
        assert_eq!(r.data, vec![7.0, 9.0, 1.0, 2.0]);
    }

    #[test]
    fn webp_alpha_zero_is_no_data_and_a_cut_webp_is_refused() {
        let mut rgba = image::RgbaImage::new(4, 4);
        rgba.put_pixel(0, 0, image::Rgba([10, 20, 30, 255]));
        rgba.put_pixel(1, 0, image::Rgba([40, 50, 60, 0]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::from(rgba)
            .write_to(&mut out, image::ImageFormat::WebP)
            .unwrap();
        let webp = out.into_inner();
        let r = decode_raster(&webp, TileFormat::Webp, 3, Shape::Tile(4), "t").unwrap();
        assert_eq!(&r.data[..3], &[10.0, 20.0, 30.0], "lossless");
        assert!(r.data[3..6].iter().all(|v| v.is_nan()));
        let err = decode_raster(&webp, TileFormat::Webp, 3, Shape::Tile(8), "t").unwrap_err();
        assert!(err.to_string().contains("4×4 px, expected 8×8"), "{err}");
        let cut = &webp[..webp.len() - 5];
        let err = decode_raster(cut, TileFormat::Webp, 3, Shape::Tile(4), "t").unwrap_err();
        assert!(err.to_string().contains("its header announces"), "{err}");
        let err = decode_raster(b"RIFF", TileFormat::Webp, 3, Shape::Tile(4), "t").unwrap_err();
        assert!(err.to_string().contains("not a WebP"), "{err}");
    }

    #[test]
    fn corrupt_images_are_errors_naming_the_file() {
        let err = decode_raster(
            b"\xff\xd8 not really",
            TileFormat::Jpeg,
            3,
            Shape::Tile(512),
            "Norder3/Dir0/Npix1.jpg",
        );
        assert!(err.unwrap_err().to_string().contains("Npix1.jpg"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"not fits").unwrap();
        let gz = gz.finish().unwrap();
        assert!(decode_raster(&gz, TileFormat::Fits, 1, Shape::Tile(8), "t").is_err());
    }

    #[test]
    fn a_picture_of_the_wrong_size_is_refused_before_decoding() {
        let big = png(image::GrayImage::new(1000, 1000).into());
        let err = decode_raster(&big, TileFormat::Png, 1, Shape::Tile(512), "t").unwrap_err();
        assert!(
            err.to_string().contains("1000×1000 px, expected 512×512"),
            "{err}"
        );
    }

    #[test]
    fn gzip_bombs_and_cut_gzip_are_refused() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut gz, &vec![b' '; 10 << 20]).unwrap();
        let bomb = gz.finish().unwrap();
        let err = decode_raster(&bomb, TileFormat::Fits, 1, Shape::Tile(64), "t").unwrap_err();
        assert!(err.to_string().contains("inflates beyond"), "{err}");
        let cut = &bomb[..bomb.len() / 2];
        assert!(decode_raster(cut, TileFormat::Fits, 1, Shape::Tile(64), "t").is_err());
    }

    #[test]
    fn cut_pictures_are_incomplete() {
        let whole = png(image::GrayImage::new(4, 4).into());
        assert!(check_complete(&whole, TileFormat::Png).is_ok());
        assert!(check_complete(&whole[..whole.len() - 3], TileFormat::Png).is_err());
        let mut jpeg = std::io::Cursor::new(Vec::new());
        let noise =
            image::GrayImage::from_fn(64, 64, |x, y| image::Luma([((x * 37) ^ (y * 91)) as u8]));
        image::DynamicImage::from(noise)
            .write_to(&mut jpeg, image::ImageFormat::Jpeg)
            .unwrap();
        let jpeg = jpeg.into_inner();
        assert!(decode_raster(&jpeg, TileFormat::Jpeg, 1, Shape::Tile(64), "t").is_ok());
        let cut = &jpeg[..jpeg.len() * 2 / 3];
        let err = decode_raster(cut, TileFormat::Jpeg, 1, Shape::Tile(64), "t").unwrap_err();
        assert!(err.to_string().contains("end marker"), "{err}");
    }

    #[test]
    fn allsky_shapes() {
        let s = Shape::Allsky {
            order: 3,
            tile_width: 512,
        };
        assert!(s.check(1728, 1856).is_ok());
        assert!(s.check(1728, 1855).is_err());
        assert!(s.check(27 * 128, 29 * 128).is_err(), "too many pixels");
        assert!(s.check(27 * 48, 29 * 48).is_err(), "not a power of two");
        let small = Shape::Allsky {
            order: 0,
            tile_width: 64,
        };
        assert!(small.check(3 * 64, 4 * 64).is_ok());
        assert!(
            small.check(3 * 128, 4 * 128).is_err(),
            "cells wider than tiles"
        );
    }
}
