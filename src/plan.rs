//! Planning a render: the tile order for the output pixel scale, and which output pixels each
//! tile paints (the buckets the pipeline schedules).

use crate::geometry::{xyz_to_lonlat, FrameRotation, OutputGeometry};
use crate::survey::Properties;
use crate::tile::{locate_cell, TileId};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

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

/// A horizontal run of output pixels `[col0, col1)` on `row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub row: u32,
    pub col0: u32,
    pub col1: u32,
}

impl Run {
    pub fn len(&self) -> usize {
        (self.col1 - self.col0) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.col1 == self.col0
    }
}

/// The output pixels whose centres fall in one tile, and the other tiles their interpolation
/// reads (pixels within a cell of the tile's border sample across it).
#[derive(Debug, Default, Clone)]
pub struct Bucket {
    pub runs: Vec<Run>,
    pub neighbours: BTreeSet<TileId>,
}

impl Bucket {
    pub fn pixel_count(&self) -> usize {
        self.runs.iter().map(Run::len).sum()
    }
}

/// Assigns every output pixel on the projection to the tile of `order` holding its centre.
/// Pixels off the projection belong to no bucket, so no invalid tile is ever asked for.
pub fn buckets(
    geometry: &OutputGeometry,
    to_survey: &FrameRotation,
    order: u8,
    tile_depth: u8,
) -> BTreeMap<TileId, Bucket> {
    let layer = cdshealpix::nested::get(order + tile_depth);
    let last = (1usize << tile_depth) - 1;
    // Per row: (home tile, run) pairs and (home, neighbour) tile pairs.
    type RowPlan = (Vec<(TileId, Run)>, Vec<(TileId, TileId)>);
    let rows: Vec<RowPlan> = (0..geometry.height)
        .into_par_iter()
        .map(|row| {
            let mut runs: Vec<(TileId, Run)> = Vec::new();
            let mut edges = Vec::new();
            for col in 0..geometry.width {
                let Some(v) = geometry.pixel_to_sky(col as f64, row as f64) else {
                    continue;
                };
                let (lon, lat) = xyz_to_lonlat(to_survey.apply(v));
                let hash = layer.hash(lon, lat);
                let (home, i, j) = locate_cell(hash, order, tile_depth);
                if i == 0 || j == 0 || i == last || j == last {
                    for n in layer.neighbours(hash, false).values_vec() {
                        let tile = TileId::new(order, n >> (2 * tile_depth));
                        if tile != home {
                            edges.push((home, tile));
                        }
                    }
                }
                let col = col as u32;
                match runs.last_mut() {
                    Some((t, run)) if *t == home && run.col1 == col => run.col1 += 1,
                    _ => runs.push((
                        home,
                        Run {
                            row: row as u32,
                            col0: col,
                            col1: col + 1,
                        },
                    )),
                }
            }
            (runs, edges)
        })
        .collect();
    let mut buckets: BTreeMap<TileId, Bucket> = BTreeMap::new();
    for (runs, edges) in rows {
        for (tile, run) in runs {
            buckets.entry(tile).or_default().runs.push(run);
        }
        for (home, other) in edges {
            buckets.entry(home).or_default().neighbours.insert(other);
        }
    }
    buckets
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
