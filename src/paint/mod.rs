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
    /// The image, owned here and written only through `target` until `into_painted`.
    painted: Painted,
    target: Target,
}

/// What a render painted: survey values, or 8-bit levels for a picture.
pub(crate) enum Painted {
    /// Survey values, NaN where no data.
    Values(Raster),
    /// The levels a PNG or JPEG shows of 8-bit picture tiles: a quarter of the values' memory.
    Levels(LevelRaster),
}

/// Where the painters write: the buffers of the `Painted` (their heap memory stays put while
/// the vectors that own them move, and they are never resized).
enum Target {
    Values(*mut f32),
    Levels { bytes: *mut u8, has_data: *mut bool },
}

// SAFETY: writers touch disjoint pixels (see above), through the raw pointers alone; the image
// is read only after all writers ended (`into_painted` takes the raster by value).
unsafe impl Sync for SharedRaster {}
unsafe impl Send for SharedRaster {}

impl SharedRaster {
    /// A blank output of values, or of 8-bit `levels`, filled by the current rayon pool's
    /// threads.
    pub(crate) fn new(width: usize, height: usize, channels: usize, levels: bool) -> Self {
        let mut painted = if levels {
            Painted::Levels(LevelRaster::blank(width, height, channels))
        } else {
            Painted::Values(Raster::blank(width, height, channels))
        };
        let target = match &mut painted {
            Painted::Values(raster) => Target::Values(raster.data.as_mut_ptr()),
            Painted::Levels(l) => Target::Levels {
                bytes: l.bytes.as_mut_ptr(),
                has_data: l.has_data.as_mut_ptr(),
            },
        };
        SharedRaster {
            width,
            channels,
            painted,
            target,
        }
    }

    /// Writes pixel (`row`, `col`): `value` holds its samples, NaN where no data (levels keep
    /// a pixel with any NaN sample as no data).
    ///
    /// # Safety
    /// The pixel must lie in the image, and no other thread may write it meanwhile.
    #[inline(always)]
    pub(crate) unsafe fn put(&self, row: usize, col: usize, value: &[f32]) {
        let pixel = row * self.width + col;
        // SAFETY: passed on from the caller. One copy per channel count that painters make, so
        // that a pixel's samples move as a fixed-size array, not through a memcpy call.
        unsafe {
            match self.channels {
                3 => self.put_samples::<3>(pixel, value),
                1 => self.put_samples::<1>(pixel, value),
                // A true invariant, not data: `render_one_on` paints 3 channels for colour
                // picture tiles and 1 otherwise, whatever a survey or a request says (cube
                // stacks and composites combine 1-channel renders after painting).
                ch => unreachable!("{ch} channels painted"),
            }
        }
    }

    /// [`SharedRaster::put`] for images of `CH` channels.
    #[inline(always)]
    unsafe fn put_samples<const CH: usize>(&self, pixel: usize, value: &[f32]) {
        let Some(&value) = value.first_chunk::<CH>() else {
            return;
        };
        // SAFETY: the pixel lies in the image (the caller's word), whose buffers hold
        // width × height pixels of CH samples, and one flag per pixel.
        unsafe {
            match self.target {
                Target::Values(data) => data.add(pixel * CH).cast::<[f32; CH]>().write(value),
                Target::Levels { bytes, has_data } => {
                    if value.iter().any(|v| v.is_nan()) {
                        return;
                    }
                    bytes
                        .add(pixel * CH)
                        .cast::<[u8; CH]>()
                        .write(value.map(byte_level));
                    has_data.add(pixel).write(true);
                }
            }
        }
    }

    /// Samples per pixel.
    pub(crate) fn channels(&self) -> usize {
        self.channels
    }

    pub(crate) fn into_painted(self) -> Painted {
        self.painted
    }
}
