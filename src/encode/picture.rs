//! PNG and JPEG output of a picture (the display module made its channels and levels).

use crate::display::{Picture, Pixels};
use crate::error::{Error, Result};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use std::io::Write;

/// Encodes `picture` as PNG, or JPEG when `jpeg`, into `out` (with the encoders' defaults, as
/// `image`'s `save` uses them).
pub(crate) fn encode_picture(picture: &Picture, jpeg: bool, out: &mut dyn Write) -> Result<()> {
    let (w, h, colour) = (picture.width, picture.height, picture.colour);
    let format = if jpeg { "JPEG" } else { "PNG" };
    let fail = |reason: String| Error::Encode { format, reason };
    match (&picture.pixels, jpeg) {
        (Pixels::Bytes(bytes), true) => JpegEncoder::new(out)
            .write_image(bytes, w, h, colour)
            .map_err(|e| fail(e.to_string())),
        // 16-bit samples are native-endian here: `image` turns them big-endian for PNG.
        (Pixels::Bytes(bytes), false) if png_layout(colour).is_none() => PngEncoder::new(out)
            .write_image(bytes, w, h, colour)
            .map_err(|e| fail(e.to_string())),
        (Pixels::Bytes(_) | Pixels::TransparentLevels(_), false) => {
            png_8(picture, out).map_err(|e| fail(e.to_string()))
        }
        (Pixels::TransparentLevels(_), true) => Err(Error::Internal(
            "a JPEG has no transparency to show no data with".into(),
        )),
    }
}

/// The PNG colour type and samples per pixel of an 8-bit layout.
fn png_layout(colour: ExtendedColorType) -> Option<(png::ColorType, usize)> {
    match colour {
        ExtendedColorType::L8 => Some((png::ColorType::Grayscale, 1)),
        ExtendedColorType::La8 => Some((png::ColorType::GrayscaleAlpha, 2)),
        ExtendedColorType::Rgb8 => Some((png::ColorType::Rgb, 3)),
        ExtendedColorType::Rgba8 => Some((png::ColorType::Rgba, 4)),
        _ => None,
    }
}

/// Encodes `picture` as an 8-bit PNG with the `png` crate: `image` encodes whole buffers only,
/// with its adaptive filter. Fast compression (fdeflate, as `image` by default) and the Paeth
/// filter on every row: the adaptive filter tries four per row and picked Paeth on every row of
/// the AIT benchmark's picture (the same bytes), in two thirds of the time. Transparent levels
/// go row by row, the rows made as the encoder takes them.
fn png_8(picture: &Picture, out: &mut dyn Write) -> std::result::Result<(), String> {
    let (colour, samples) = png_layout(picture.colour)
        .ok_or_else(|| format!("no 8-bit PNG layout for {:?}", picture.colour))?;
    let mut encoder = png::Encoder::new(out, picture.width, picture.height);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Paeth);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    if let Pixels::Bytes(bytes) = &picture.pixels {
        writer.write_image_data(bytes).map_err(|e| e.to_string())?;
        return writer.finish().map_err(|e| e.to_string());
    }
    let mut stream = writer.stream_writer().map_err(|e| e.to_string())?;
    let mut row = vec![0u8; picture.width as usize * samples];
    for r in 0..picture.height as usize {
        picture.row(r, &mut row);
        stream.write_all(&row).map_err(|e| e.to_string())?;
    }
    stream.finish().map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())
}
