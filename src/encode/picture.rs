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
        (Pixels::Bytes(bytes), false) => PngEncoder::new(out)
            .write_image(bytes, w, h, colour)
            .map_err(|e| fail(e.to_string())),
        (Pixels::TransparentLevels(_), false) => {
            png_by_rows(picture, out).map_err(|e| fail(e.to_string()))
        }
        (Pixels::TransparentLevels(_), true) => Err(Error::Internal(
            "a JPEG has no transparency to show no data with".into(),
        )),
    }
}

/// Encodes `picture` as an 8-bit PNG row by row, the rows made as the encoder takes them, with
/// the settings `image`'s PNG encoder takes by default (fast compression, adaptive filters).
/// The `png` crate directly: `image` encodes whole buffers only.
fn png_by_rows(picture: &Picture, out: &mut dyn Write) -> std::result::Result<(), String> {
    let (colour, samples) = match picture.colour {
        ExtendedColorType::L8 => (png::ColorType::Grayscale, 1),
        ExtendedColorType::La8 => (png::ColorType::GrayscaleAlpha, 2),
        ExtendedColorType::Rgb8 => (png::ColorType::Rgb, 3),
        ExtendedColorType::Rgba8 => (png::ColorType::Rgba, 4),
        other => return Err(format!("no 8-bit PNG layout for {other:?}")),
    };
    let mut encoder = png::Encoder::new(out, picture.width, picture.height);
    encoder.set_color(colour);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::Filter::Adaptive);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    let mut stream = writer.stream_writer().map_err(|e| e.to_string())?;
    let mut row = vec![0u8; picture.width as usize * samples];
    for r in 0..picture.height as usize {
        picture.row(r, &mut row);
        stream.write_all(&row).map_err(|e| e.to_string())?;
    }
    stream.finish().map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())
}
