//! PNG and JPEG output of a picture (the display module made its channels and levels).

use crate::display::Picture;
use crate::error::{Error, Result};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::ImageEncoder;
use std::io::Write;

/// Encodes `picture` as PNG, or JPEG when `jpeg`, into `out` (with the encoders' defaults, as
/// `image`'s `save` uses them).
pub(crate) fn encode_picture(picture: &Picture, jpeg: bool, out: &mut dyn Write) -> Result<()> {
    let (w, h, colour) = (picture.width, picture.height, picture.colour);
    let written = if jpeg {
        JpegEncoder::new(out).write_image(&picture.bytes, w, h, colour)
    } else {
        PngEncoder::new(out).write_image(&picture.bytes, w, h, colour)
    };
    written.map_err(|e| Error::Encode {
        format: if jpeg { "JPEG" } else { "PNG" },
        reason: e.to_string(),
    })
}
