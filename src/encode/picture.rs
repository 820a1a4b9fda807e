//! PNG and JPEG output: 8-bit, north up, no data transparent in PNG (black in JPEG).

use super::stretch::LinearStretch;
use crate::error::{Error, Result};
use crate::raster::Raster;
use image::{DynamicImage, ImageBuffer};
use std::path::Path;

/// Converts the raster to 8 bits with `stretch` and writes it as PNG or JPEG (`jpeg`).
pub fn write_picture(
    image: &Raster,
    stretch: LinearStretch,
    path: &Path,
    jpeg: bool,
) -> Result<()> {
    let (w, h) = (image.width as u32, image.height as u32);
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
    let buffer_error = || Error::Write {
        path: path.to_path_buf(),
        reason: "image buffer size mismatch".into(),
    };
    let picture = match (image.channels, with_alpha) {
        (1, false) => {
            DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, bytes).ok_or_else(buffer_error)?)
        }
        (1, true) => {
            DynamicImage::ImageLumaA8(ImageBuffer::from_raw(w, h, bytes).ok_or_else(buffer_error)?)
        }
        (_, false) => {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, bytes).ok_or_else(buffer_error)?)
        }
        (_, true) => {
            DynamicImage::ImageRgba8(ImageBuffer::from_raw(w, h, bytes).ok_or_else(buffer_error)?)
        }
    };
    let format = if jpeg {
        image::ImageFormat::Jpeg
    } else {
        image::ImageFormat::Png
    };
    picture
        .save_with_format(path, format)
        .map_err(|e| Error::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
}
