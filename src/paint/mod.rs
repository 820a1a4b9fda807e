//! Painting the output image from survey tiles.

mod correction;
mod cubic;
mod homography;
mod precise;
mod projective;
mod ring;
mod sampler;
mod seam;

pub(crate) use precise::paint_runs;
pub(crate) use projective::{paint_runs_projective, TileMesh};
pub(crate) use sampler::{fallback_levels, Level};

use crate::raster::{byte_level, LevelRaster, Raster};
use std::cell::UnsafeCell;

/// How a value is taken between tile pixel centres (`nearest`, `bilinear` or `bicubic`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    /// The value of the tile pixel whose centre is nearest.
    Nearest,
    /// Bilinear interpolation between the four nearest tile pixel centres: the default.
    #[default]
    Bilinear,
    /// Cubic convolution over the 4×4 nearest tile pixel centres (Keys, a = −½): smooth fields
    /// come out an order of magnitude more exact than bilinear; may overshoot at sharp edges.
    Bicubic,
}

crate::names::named_choices!(Interpolation, "interpolation", {
    Nearest => "nearest",
    Bilinear => "bilinear",
    Bicubic => "bicubic",
});

/// Which painter paints the pixels (`projective` or `precise`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Painter {
    /// Every pixel projected to the sky and sampled on its own: the reference.
    Precise,
    /// Tiles mapped into the output through homographies, split where distorted: the default.
    #[default]
    Projective,
}

crate::names::named_choices!(Painter, "painter", {
    Projective => "projective",
    Precise => "precise",
});

/// The output image, written concurrently by painters that own disjoint pixels.
///
/// Each output pixel belongs to exactly one bucket (the tile holding its centre), and a bucket's
/// pixels are painted by one job at a time, so no two threads ever write the same pixel.
pub(crate) struct SharedRaster {
    width: usize,
    channels: usize,
    painted: UnsafeCell<Painted>,
}

/// What a render painted: survey values, or 8-bit levels for a picture.
pub(crate) enum Painted {
    /// Survey values, NaN where no data.
    Values(Raster),
    /// The levels a PNG or JPEG shows of 8-bit picture tiles: a quarter of the values' memory.
    Levels(LevelRaster),
}

// SAFETY: writers touch disjoint pixels (see above); reading happens after all writers ended.
unsafe impl Sync for SharedRaster {}

impl SharedRaster {
    /// A blank output of values, or of 8-bit `levels`, filled by the current rayon pool's
    /// threads.
    pub(crate) fn new(width: usize, height: usize, channels: usize, levels: bool) -> Self {
        SharedRaster {
            width,
            channels,
            painted: UnsafeCell::new(if levels {
                Painted::Levels(LevelRaster::blank(width, height, channels))
            } else {
                Painted::Values(Raster::blank(width, height, channels))
            }),
        }
    }

    /// Writes pixel (`row`, `col`): `value` holds its samples, NaN where no data (levels keep
    /// a pixel with any NaN sample as no data).
    ///
    /// # Safety
    /// No other thread may write or read this pixel meanwhile.
    #[inline]
    pub(crate) unsafe fn put(&self, row: usize, col: usize, value: &[f32]) {
        let (ch, pixel) = (self.channels, row * self.width + col);
        // SAFETY: the caller guarantees exclusive access to this pixel; every slice stays
        // inside its vector, whose length never changes (rows and columns are the plan's).
        unsafe {
            match &mut *self.painted.get() {
                Painted::Values(raster) => {
                    let at = raster.data.as_mut_ptr().add(pixel * ch);
                    std::slice::from_raw_parts_mut(at, ch).copy_from_slice(&value[..ch]);
                }
                Painted::Levels(levels) => {
                    if value[..ch].iter().any(|v| v.is_nan()) {
                        return;
                    }
                    let at = levels.bytes.as_mut_ptr().add(pixel * ch);
                    let bytes = std::slice::from_raw_parts_mut(at, ch);
                    for (b, &v) in bytes.iter_mut().zip(value) {
                        *b = byte_level(v);
                    }
                    *levels.has_data.as_mut_ptr().add(pixel) = true;
                }
            }
        }
    }

    /// Samples per pixel.
    pub(crate) fn channels(&self) -> usize {
        self.channels
    }

    pub(crate) fn into_painted(self) -> Painted {
        self.painted.into_inner()
    }
}
