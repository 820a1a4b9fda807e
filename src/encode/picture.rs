//! PNG and JPEG output: 8-bit, north up, no data transparent in PNG (black in JPEG).

use super::stretch::LinearStretch;
use crate::error::{Error, Result};
use crate::raster::Raster;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder};
use std::io::Write;

/// Converts the raster to 8 bits with `stretch` and encodes it as PNG, or JPEG when `jpeg`,
/// into `out` (with the encoders' defaults, as `image`'s `save` uses them).
pub(crate) fn encode_picture(
    image: &Raster,
    stretch: LinearStretch,
    jpeg: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let with_alpha = !jpeg && image.data.iter().any(|v| v.is_nan());
    let mut bytes = Vec::with_capacity(image.width * image.height * (image.channels + 1));
    for px in image.data.chunks_exact(image.channels) {
        bytes.extend(px.iter().map(|&v| stretch.apply(v)));
        if with_alpha {
            bytes.push(if px.iter().any(|v| v.is_nan()) {
                0
            } else {
                255
            });
        }
    }
    let colour = match (image.channels, with_alpha) {
        (1, false) => ExtendedColorType::L8,
        (1, true) => ExtendedColorType::La8,
        (_, false) => ExtendedColorType::Rgb8,
        (_, true) => ExtendedColorType::Rgba8,
    };
    let (w, h) = (image.width as u32, image.height as u32);
    let written = if jpeg {
        JpegEncoder::new(out).write_image(&bytes, w, h, colour)
    } else {
        PngEncoder::new(out).write_image(&bytes, w, h, colour)
    };
    written.map_err(|e| Error::Encode {
        format: if jpeg { "JPEG" } else { "PNG" },
        reason: e.to_string(),
    })
}
