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

use crate::raster::Raster;
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
    raster: UnsafeCell<Raster>,
}

// SAFETY: writers touch disjoint pixels (see above); reading happens after all writers ended.
unsafe impl Sync for SharedRaster {}

impl SharedRaster {
    /// A blank output, filled by the current rayon pool's threads.
    pub(crate) fn new(width: usize, height: usize, channels: usize) -> Self {
        SharedRaster {
            width,
            channels,
            raster: UnsafeCell::new(Raster::blank(width, height, channels)),
        }
    }

    /// The samples of one pixel, for writing.
    ///
    /// # Safety
    /// No other reference to this pixel may exist while the returned one lives.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn pixel_mut(&self, row: usize, col: usize) -> &mut [f32] {
        let at = (row * self.width + col) * self.channels;
        // SAFETY: the caller guarantees exclusive access to this pixel; the slice stays inside
        // the vector, whose length never changes.
        let data = unsafe { (*self.raster.get()).data.as_mut_ptr() };
        unsafe { std::slice::from_raw_parts_mut(data.add(at), self.channels) }
    }

    pub(crate) fn into_raster(self) -> Raster {
        self.raster.into_inner()
    }
}
