//! Decoding of tile bytes (JPEG, PNG, FITS, gzipped FITS) into display-oriented rasters.

use super::{read_fits_image, TileFormat};
use crate::error::{Error, Result};
use crate::raster::Raster;
use std::io::Read;

/// The most a gzip-compressed tile may inflate to (a 4096² float64 tile is 128 MiB).
const MAX_INFLATED: u64 = 256 << 20;

/// Decodes a tile or Allsky file into a raster with `channels` (1 = grey, 3 = RGB) per pixel.
///
/// JPEG/PNG rows are stored top-down and come out as they are; FITS is flipped (see
/// `read_fits_image`). PNG alpha 0 and FITS BLANK/NaN become NaN ("no data"). `what` names the
/// file in errors.
pub fn decode_raster(
    bytes: &[u8],
    format: TileFormat,
    channels: usize,
    what: &str,
) -> Result<Raster> {
    let inflated;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_INFLATED)
            .read_to_end(&mut out)
            .map_err(|e| Error::decode(what, format!("gzip: {e}")))?;
        inflated = out;
        &inflated[..]
    } else {
        bytes
    };
    match format {
        TileFormat::Fits => {
            let grey = read_fits_image(bytes).map_err(|e| Error::decode(what, e))?;
            Ok(if channels == 1 {
                grey
            } else {
                expand_grey(grey, channels)
            })
        }
        TileFormat::Jpeg | TileFormat::Png => {
            let fmt = if format == TileFormat::Jpeg {
                image::ImageFormat::Jpeg
            } else {
                image::ImageFormat::Png
            };
            let img = image::load_from_memory_with_format(bytes, fmt)
                .map_err(|e| Error::decode(what, e))?;
            let (width, height) = (img.width() as usize, img.height() as usize);
            let mut data = Vec::with_capacity(width * height * channels);
            if channels == 1 {
                for p in img.to_luma_alpha8().pixels() {
                    data.push(if p[1] == 0 { f32::NAN } else { p[0] as f32 });
                }
            } else {
                for p in img.to_rgba8().pixels() {
                    let nodata = p[3] == 0;
                    for c in 0..3 {
                        data.push(if nodata { f32::NAN } else { p[c] as f32 });
                    }
                }
            }
            Ok(Raster {
                width,
                height,
                channels,
                data,
            })
        }
    }
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
