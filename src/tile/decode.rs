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
        let mut rgba = image::RgbaImage::new(2, 1);
        rgba.put_pixel(0, 0, image::Rgba([10, 20, 30, 255]));
        rgba.put_pixel(1, 0, image::Rgba([40, 50, 60, 0]));
        let r = decode_raster(&png(rgba.into()), TileFormat::Png, 3, "t").unwrap();
        assert_eq!(&r.data[..3], &[10.0, 20.0, 30.0]);
        assert!(r.data[3..].iter().all(|v| v.is_nan()));

        let grey = image::GrayImage::from_raw(2, 1, vec![7, 9]).unwrap();
        let bytes = png(grey.into());
        let r = decode_raster(&bytes, TileFormat::Png, 3, "t").unwrap();
        assert_eq!(r.data, vec![7.0, 7.0, 7.0, 9.0, 9.0, 9.0]);
        let r = decode_raster(&bytes, TileFormat::Png, 1, "t").unwrap();
        assert_eq!(r.data, vec![7.0, 9.0]);
    }

    #[test]
    fn corrupt_images_are_errors_naming_the_file() {
        let err = decode_raster(
            b"\xff\xd8 not really",
            TileFormat::Jpeg,
            3,
            "Norder3/Dir0/Npix1.jpg",
        );
        assert!(err.unwrap_err().to_string().contains("Npix1.jpg"));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, b"not fits").unwrap();
        assert!(decode_raster(&gz.finish().unwrap(), TileFormat::Fits, 1, "t").is_err());
    }
}
