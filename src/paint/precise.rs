//! The precise painter: every output pixel is projected to the sky and sampled on its own.

use super::sampler::{Level, Sampler};
use super::Interpolation;
use crate::geometry::{xyz_to_lonlat, FrameRotation, OutputGeometry};
use crate::raster::Raster;
use crate::store::TileStore;
use rayon::prelude::*;

/// Paints the output image pixel by pixel, rows in parallel. Pixels off the projection or
/// without survey data stay NaN.
pub fn paint_precise(
    geometry: &OutputGeometry,
    to_survey: &FrameRotation,
    levels: &[Level],
    store: &TileStore,
    interpolation: Interpolation,
) -> Raster {
    let channels = store.channels;
    let mut image = Raster::blank(geometry.width, geometry.height, channels);
    image
        .data
        .par_chunks_mut(geometry.width * channels)
        .enumerate()
        .for_each(|(row, line)| {
            let mut sampler = Sampler::new(store, interpolation);
            for (col, out) in line.chunks_exact_mut(channels).enumerate() {
                let Some(v) = geometry.pixel_to_sky(col as f64, row as f64) else {
                    continue;
                };
                let (lon, lat) = xyz_to_lonlat(to_survey.apply(v));
                sampler.sample(levels, lon, lat, out);
            }
        });
    image
}
