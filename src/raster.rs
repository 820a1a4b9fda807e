//! Images in display orientation (row 0 at the top): float values, shared by tiles and outputs,
//! and the 8-bit levels a picture shows.

/// `channels` interleaved f32 samples per pixel, rows top-down; NaN marks "no data".
#[derive(Debug, Clone, PartialEq)]
pub struct Raster {
    /// Width, pixels.
    pub width: usize,
    /// Height, pixels.
    pub height: usize,
    /// Samples per pixel: 1 (grey) or 3 (red, green, blue).
    pub channels: usize,
    /// The samples, `width × height × channels` of them.
    pub data: Vec<f32>,
}

impl Raster {
    /// A raster of the given size filled with "no data", by the current rayon pool's threads:
    /// a large output's first write (and its page faults) took a tenth of a render on one core.
    pub(crate) fn blank(width: usize, height: usize, channels: usize) -> Self {
        use rayon::prelude::*;
        let len = width * height * channels;
        let mut data = Vec::with_capacity(len);
        data.spare_capacity_mut()
            .par_chunks_mut(1 << 16)
            .for_each(|chunk| {
                for v in chunk {
                    v.write(f32::NAN);
                }
            });
        // SAFETY: every one of the `len` elements was written just above.
        unsafe { data.set_len(len) };
        Raster {
            width,
            height,
            channels,
            data,
        }
    }

    /// The samples of pixel (`row`, `col`).
    ///
    /// # Panics
    /// If the pixel lies outside the image.
    #[inline]
    pub fn pixel(&self, row: usize, col: usize) -> &[f32] {
        let at = (row * self.width + col) * self.channels;
        &self.data[at..at + self.channels]
    }

    /// Whether pixel (`row`, `col`) holds data (no channel is NaN).
    pub fn has_data(&self, row: usize, col: usize) -> bool {
        self.pixel(row, col).iter().all(|v| !v.is_nan())
    }

    /// The same image upside down: FITS files store the bottom row first.
    pub fn flipped_rows(mut self) -> Self {
        let stride = self.width * self.channels;
        for r in 0..self.height / 2 {
            let (top, bottom) = self.data.split_at_mut((self.height - 1 - r) * stride);
            top[r * stride..(r + 1) * stride].swap_with_slice(&mut bottom[..stride]);
        }
        self
    }

    /// The `size`×`size` block whose top-left pixel is (`row0`, `col0`).
    pub(crate) fn crop(&self, row0: usize, col0: usize, size: usize) -> Raster {
        let mut data = Vec::with_capacity(size * size * self.channels);
        for r in row0..row0 + size {
            let at = (r * self.width + col0) * self.channels;
            data.extend_from_slice(&self.data[at..at + size * self.channels]);
        }
        Raster {
            width: size,
            height: size,
            channels: self.channels,
            data,
        }
    }
}

/// The 8-bit levels of a picture-tile render, as a PNG or JPEG shows them, with which pixels
/// hold data: what [`Raster`]'s values would give through [`byte_level`], in a quarter of the
/// memory.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LevelRaster {
    pub width: usize,
    pub height: usize,
    /// Samples per pixel: 1 (grey) or 3 (red, green, blue).
    pub channels: usize,
    /// The levels, `width × height × channels` of them; 0 where no data.
    pub bytes: Vec<u8>,
    /// Whether each pixel holds data.
    pub has_data: Vec<bool>,
}

impl LevelRaster {
    /// A raster of the given size with no data.
    pub(crate) fn blank(width: usize, height: usize, channels: usize) -> Self {
        // Zeroed memory comes from the allocator as untouched pages: nothing is written until
        // painted.
        LevelRaster {
            width,
            height,
            channels,
            bytes: vec![0; width * height * channels],
            has_data: vec![false; width * height],
        }
    }

    /// The levels of `values` (NaN where no data).
    pub(crate) fn of_values(values: &Raster) -> Self {
        let ch = values.channels.max(1);
        LevelRaster {
            width: values.width,
            height: values.height,
            channels: values.channels,
            bytes: values.data.iter().map(|&v| byte_level(v)).collect(),
            has_data: values
                .data
                .chunks_exact(ch)
                .map(|px| px.iter().all(|v| !v.is_nan()))
                .collect(),
        }
    }
}

/// The 8-bit level of a picture tile's value: rounded, clamped to 0–255, NaN as 0, in one
/// addition: `as u8` saturates (below −0.5 to 0, above 254.5 to 255) and maps NaN to 0, so
/// no clamp, no division and no call of libm's `round`.
#[inline]
pub(crate) fn byte_level(v: f32) -> u8 {
    (v + 0.5) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_and_crop() {
        let r = Raster {
            width: 2,
            height: 3,
            channels: 1,
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        };
        let f = r.clone().flipped_rows();
        assert_eq!(f.data, vec![5.0, 6.0, 3.0, 4.0, 1.0, 2.0]);
        assert_eq!(f.flipped_rows(), r);
        assert_eq!(r.crop(1, 0, 2).data, vec![3.0, 4.0, 5.0, 6.0]);
    }
}
