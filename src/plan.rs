//! Planning a render: the tile order for the output pixel scale, and which output pixels each
//! tile paints (the buckets the pipeline schedules).

use crate::geometry::{xyz_to_lonlat, FrameRotation, OutputGeometry};
use crate::tile::{locate_cell, TileId};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// A horizontal run of output pixels `[col0, col1)` on `row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub row: u32,
    pub col0: u32,
    pub col1: u32,
}

impl Run {
    pub(crate) fn len(&self) -> usize {
        (self.col1 - self.col0) as usize
    }
}

/// The output pixels whose centres fall in one tile, and the other tiles their interpolation
/// reads (pixels within a cell of the tile's border sample across it).
#[derive(Debug, Default, Clone)]
pub(crate) struct Bucket {
    pub runs: Vec<Run>,
    pub neighbours: BTreeSet<TileId>,
}

impl Bucket {
    pub(crate) fn pixel_count(&self) -> usize {
        self.runs.iter().map(Run::len).sum()
    }
}

/// Side of the pixel blocks that are classified by their corners.
const BLOCK: usize = 8;
/// Cells between a block's corners and its tile's border for the block to count as interior.
const INTERIOR_MARGIN: usize = 2;

/// Where one output pixel falls: its home tile, and whether it lies on the tile's border cells.
struct PixelPlace {
    home: TileId,
    i: usize,
    j: usize,
    hash: u64,
}

/// Assigns every output pixel on the projection to the tile of `order` holding its centre.
/// Pixels off the projection belong to no bucket, so no invalid tile is ever asked for.
///
/// The image is scanned in blocks of 8×8 pixels. A block whose four corners fall in the same
/// tile, at least two cells inside its border, is assigned whole (tile borders are smooth on
/// that scale); the other blocks, which straddle or touch a border, are classified pixel by
/// pixel, and their border pixels record the neighbour tiles their interpolation reads.
pub(crate) fn buckets(
    geometry: &OutputGeometry,
    to_survey: &FrameRotation,
    order: u8,
    tile_depth: u8,
) -> BTreeMap<TileId, Bucket> {
    let layer = cdshealpix::nested::get(order + tile_depth);
    let last = (1usize << tile_depth) - 1;
    let place = |col: usize, row: usize| -> Option<PixelPlace> {
        let v = geometry.pixel_to_sky(col as f64, row as f64)?;
        let (lon, lat) = xyz_to_lonlat(to_survey.apply(v));
        let hash = layer.hash(lon, lat);
        let (home, i, j) = locate_cell(hash, order, tile_depth);
        Some(PixelPlace { home, i, j, hash })
    };
    let interior = |p: &PixelPlace| {
        (INTERIOR_MARGIN..=last.saturating_sub(INTERIOR_MARGIN)).contains(&p.i)
            && (INTERIOR_MARGIN..=last.saturating_sub(INTERIOR_MARGIN)).contains(&p.j)
    };
    // Per block row: (home tile, run) pairs and (home, neighbour) tile pairs.
    type RowPlan = (Vec<(TileId, Run)>, Vec<(TileId, TileId)>);
    let block_rows: Vec<RowPlan> = (0..geometry.height.div_ceil(BLOCK))
        .into_par_iter()
        .map(|br| {
            let (r0, r1) = (br * BLOCK, ((br + 1) * BLOCK).min(geometry.height));
            let mut edges = Vec::new();
            // Classify the blocks of this row of blocks: the home of a uniform block, or None.
            let homes: Vec<Option<TileId>> = (0..geometry.width.div_ceil(BLOCK))
                .map(|bc| {
                    let (c0, c1) = (bc * BLOCK, ((bc + 1) * BLOCK).min(geometry.width));
                    let corners: Vec<Option<PixelPlace>> =
                        [(c0, r0), (c1 - 1, r0), (c0, r1 - 1), (c1 - 1, r1 - 1)]
                            .iter()
                            .map(|&(c, r)| place(c, r))
                            .collect();
                    let home = corners[0].as_ref().map(|c| c.home);
                    let uniform = corners.iter().all(|p| {
                        p.as_ref()
                            .is_some_and(|p| interior(p) && Some(p.home) == home)
                    });
                    if uniform {
                        home
                    } else {
                        None
                    }
                })
                .collect();
            // Then emit the runs row by row, left to right, joining the ones that touch.
            let mut runs: Vec<(TileId, Run)> = Vec::new();
            let mut push = |home: TileId, row: usize, c0: usize, c1: usize| match runs.last_mut() {
                Some((t, run)) if *t == home && run.row == row as u32 && run.col1 == c0 as u32 => {
                    run.col1 = c1 as u32
                }
                _ => runs.push((
                    home,
                    Run {
                        row: row as u32,
                        col0: c0 as u32,
                        col1: c1 as u32,
                    },
                )),
            };
            for row in r0..r1 {
                for (bc, home) in homes.iter().enumerate() {
                    let (c0, c1) = (bc * BLOCK, ((bc + 1) * BLOCK).min(geometry.width));
                    if let Some(home) = home {
                        push(*home, row, c0, c1);
                        continue;
                    }
                    for col in c0..c1 {
                        let Some(p) = place(col, row) else { continue };
                        if p.i == 0 || p.j == 0 || p.i == last || p.j == last {
                            for n in layer.neighbours(p.hash, false).values_vec() {
                                let tile = TileId::new(order, n >> (2 * tile_depth));
                                if tile != p.home {
                                    edges.push((p.home, tile));
                                }
                            }
                        }
                        push(p.home, row, col, col + 1);
                    }
                }
            }
            (runs, edges)
        })
        .collect();
    let mut buckets: BTreeMap<TileId, Bucket> = BTreeMap::new();
    for (runs, edges) in block_rows {
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
    fn block_plan_assigns_every_pixel_to_the_tile_holding_its_centre() {
        use crate::geometry::{Frame, ResolvedView};
        let views = [
            ("AIT", 0.0, 0.0, 360.0, 300, 150, 0.0),
            ("TAN", 45.0, 41.81, 30.0, 200, 160, 20.0),
            ("SIN", 0.0, 90.0, 60.0, 160, 160, 0.0),
            ("CAR", 180.0, 0.0, 120.0, 240, 120, 0.0),
        ];
        for (projection, lon, lat, fov, width, height, rotation) in views {
            let g = OutputGeometry::from_view(&ResolvedView {
                lon,
                lat,
                fov,
                width,
                height,
                projection: projection.parse().unwrap(),
                rotation,
                frame: Frame::Icrs,
            })
            .unwrap();
            let rot = FrameRotation::new(Frame::Icrs, Frame::Galactic);
            let (order, depth) = (2, 6);
            let plan = buckets(&g, &rot, order, depth);
            let mut owner = vec![None; width * height];
            for (tile, bucket) in &plan {
                for run in &bucket.runs {
                    for col in run.col0..run.col1 {
                        let at = run.row as usize * width + col as usize;
                        assert!(owner[at].is_none(), "{projection}: pixel in two buckets");
                        owner[at] = Some(*tile);
                    }
                }
            }
            let layer = cdshealpix::nested::get(order + depth);
            for row in 0..height {
                for col in 0..width {
                    let exact = g.pixel_to_sky(col as f64, row as f64).map(|v| {
                        let (lon, lat) = xyz_to_lonlat(rot.apply(v));
                        TileId::new(order, layer.hash(lon, lat) >> (2 * depth))
                    });
                    assert_eq!(
                        owner[row * width + col],
                        exact,
                        "{projection} pixel ({col}, {row})"
                    );
                }
            }
        }
    }
}
