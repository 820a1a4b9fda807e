//! Planning a render: the tile order for the output pixel scale, and the tiles the field needs.

use crate::geometry::{xyz_to_lonlat, FrameRotation, OutputGeometry};
use crate::survey::Properties;
use crate::tile::TileId;
use rayon::prelude::*;
use std::collections::BTreeSet;

/// Side of a HEALPix cell at `depth`, θ(d) = √(4π / (12·4^d)), in degrees.
pub fn cell_size_deg(depth: u8) -> f64 {
    (4.0 * std::f64::consts::PI / (12.0 * 4f64.powi(depth as i32)))
        .sqrt()
        .to_degrees()
}

/// The tile order for output pixels of `pixel_deg`: the smallest depth whose cells are no larger
/// than an output pixel, less the tile depth, clamped to the survey's orders.
pub fn choose_order(pixel_deg: f64, props: &Properties) -> u8 {
    let depth = (0..=29u8)
        .find(|&d| cell_size_deg(d) <= pixel_deg)
        .unwrap_or(29);
    depth
        .saturating_sub(props.tile_depth())
        .clamp(props.order_min, props.order_max)
}

/// The tiles of `order` under the output pixels, found by hashing a grid of pixel centres fine
/// enough to hit every tile with more than a sliver in the image, plus every pixel of the image
/// border. Pixels off the projection are skipped, so no invalid tile is ever asked for.
///
/// The painter loads any further tile it touches (slivers, bilinear neighbours across tile
/// borders, parents of missing tiles) on demand, so this set is the bulk to load up front.
pub fn tiles_under(
    geometry: &OutputGeometry,
    to_survey: &FrameRotation,
    order: u8,
    pixel_deg: f64,
) -> Vec<TileId> {
    let (w, h) = (geometry.width, geometry.height);
    let tile_px = cell_size_deg(order) / pixel_deg;
    let step = ((tile_px / 4.0).floor() as usize).clamp(1, 32);
    let layer = cdshealpix::nested::get(order);
    let mut points: Vec<(usize, usize)> = Vec::new();
    for row in (0..h).step_by(step).chain([h - 1]) {
        for col in (0..w).step_by(step).chain([w - 1]) {
            points.push((col, row));
        }
    }
    for col in 0..w {
        points.push((col, 0));
        points.push((col, h - 1));
    }
    for row in 0..h {
        points.push((0, row));
        points.push((w - 1, row));
    }
    let hashes: BTreeSet<u64> = points
        .par_iter()
        .filter_map(|&(col, row)| {
            let v = to_survey.apply(geometry.pixel_to_sky(col as f64, row as f64)?);
            let (lon, lat) = xyz_to_lonlat(v);
            Some(layer.hash(lon, lat))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .collect();
    hashes.into_iter().map(|h| TileId::new(order, h)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_follows_the_conventions_note() {
        let p = Properties::parse("hips_order=9\nhips_order_min=3\nhips_tile_width=512").unwrap();
        // Depth 12 cells are 0.0143°: a 0.015° pixel wants depth 12, i.e. order 3.
        assert_eq!(choose_order(0.015, &p), 3);
        assert_eq!(choose_order(0.01, &p), 4);
        assert_eq!(choose_order(1e-6, &p), 9);
        assert_eq!(choose_order(10.0, &p), 3);
        assert!((cell_size_deg(12) - 0.014314).abs() < 1e-5);
    }
}
