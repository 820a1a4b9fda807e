//! The precise painter: every output pixel is projected to the sky and sampled on its own.

use super::sampler::{Level, Sampler};
use super::{Interpolation, SharedRaster};
use crate::geometry::{xyz_to_lonlat, FrameRotation, OutputGeometry};
use crate::plan::Run;
use crate::store::TileLookup;

/// Paints the pixels of `runs` from `tiles`. Pixels without survey data stay NaN.
// Never inlined: the instruction-count benchmark (benches/callgrind.rs) counts it by name.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn paint_runs(
    geometry: &OutputGeometry,
    to_survey: &FrameRotation,
    levels: &[Level],
    tiles: &dyn TileLookup,
    interpolation: Interpolation,
    runs: &[Run],
    out: &SharedRaster,
) {
    let sampler = Sampler::new(tiles, interpolation);
    for run in runs {
        for col in run.col0..run.col1 {
            let Some(v) = geometry.pixel_to_sky(col as f64, run.row as f64) else {
                continue;
            };
            let (lon, lat) = xyz_to_lonlat(to_survey.apply(v));
            let mut value = [f32::NAN; 4];
            let pixel = &mut value[..out.channels()];
            if sampler.sample(levels, lon, lat, pixel) {
                // SAFETY: the plan's runs lie in the image; runs of different buckets never
                // share a pixel, and one bucket's runs are painted by one job at a time (see
                // `SharedRaster`).
                unsafe { out.put(run.row as usize, col as usize, pixel) };
            }
        }
    }
}
