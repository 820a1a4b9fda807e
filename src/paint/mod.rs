//! Painting the output image from survey tiles.

mod precise;
mod sampler;
mod seam;

pub use precise::paint_precise;
pub use sampler::{fallback_levels, Level, Sampler};

/// How a value is taken between tile pixel centres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interpolation {
    Nearest,
    #[default]
    Bilinear,
}
