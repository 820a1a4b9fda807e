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
    /// The run lies in a block whose pixels are all at least `INTERIOR_MARGIN` cells inside
    /// their tile: no interpolation of theirs reads another tile at the plan's order.
    pub interior: bool,
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

/// A block corner at least a cell inside its tile: the tile, and whether the corner is
/// `INTERIOR_MARGIN` cells inside.
#[derive(Debug, Clone, Copy)]
struct Corner {
    home: TileId,
    interior: bool,
}

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
/// The image is cut in blocks of `BLOCK` pixels a side. The pixel centres at the blocks'
/// corners (shared by neighbouring blocks, so about one projection per block) are placed
/// first; a block whose four corners lie at least a cell inside one tile goes to it whole (none
/// of its pixels is then on the tile's border cells, whose interpolation reads the neighbour
/// tiles), interior if they lie `INTERIOR_MARGIN` cells inside; the others are placed pixel by
/// pixel.
pub(crate) fn buckets(
    geometry: &OutputGeometry,
    to_survey: &FrameRotation,
    order: u8,
    tile_depth: u8,
) -> BTreeMap<TileId, Bucket> {
    let planner = Planner {
        geometry,
        to_survey,
        layer: cdshealpix::nested::get(order + tile_depth),
        order,
        tile_depth,
        last: (1usize << tile_depth) - 1,
    };
    let corner_rows: Vec<Vec<Option<Corner>>> = (0..=geometry.height.div_ceil(BLOCK))
        .into_par_iter()
        .map(|k| planner.corner_row(k))
        .collect();
    let block_rows: Vec<RowPlan> = corner_rows
        .par_windows(2)
        .enumerate()
        .map(|(br, pair)| planner.block_row(br, &pair[0], &pair[1]))
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

/// The plan of one row of blocks: (home tile, run) pairs, and (home, neighbour) tile pairs.
type RowPlan = (Vec<(TileId, Run)>, Vec<(TileId, TileId)>);

/// What planning a render needs to place its pixels in tiles.
struct Planner<'a> {
    geometry: &'a OutputGeometry,
    to_survey: &'a FrameRotation,
    layer: &'static cdshealpix::nested::Layer,
    order: u8,
    tile_depth: u8,
    /// The last row (or column) of cells in a tile.
    last: usize,
}

impl Planner<'_> {
    /// The tile and cell of the centre of output pixel (`col`, `row`).
    fn place(&self, col: usize, row: usize) -> Option<PixelPlace> {
        let v = self.geometry.pixel_to_sky(col as f64, row as f64)?;
        let (lon, lat) = xyz_to_lonlat(self.to_survey.apply(v));
        let hash = self.layer.hash(lon, lat);
        let (home, i, j) = locate_cell(hash, self.order, self.tile_depth);
        Some(PixelPlace { home, i, j, hash })
    }

    /// Whether a place lies at least `margin` cells inside its tile.
    fn inside_by(&self, p: &PixelPlace, margin: usize) -> bool {
        let inside = margin..=self.last.saturating_sub(margin);
        inside.contains(&p.i) && inside.contains(&p.j)
    }

    /// The pixel row or column of block corner `k` along an axis of `n` pixels: the first
    /// pixel of block `k`, or the last pixel for the far side of the last block.
    fn corner(k: usize, n: usize) -> usize {
        (k * BLOCK).min(n.saturating_sub(1))
    }

    /// The places of block corner row `k` (`None` where a corner is off the projection or on
    /// its tile's border cells).
    fn corner_row(&self, k: usize) -> Vec<Option<Corner>> {
        let row = Self::corner(k, self.geometry.height);
        (0..=self.geometry.width.div_ceil(BLOCK))
            .map(|kc| {
                let p = self.place(Self::corner(kc, self.geometry.width), row)?;
                self.inside_by(&p, 1).then(|| Corner {
                    home: p.home,
                    interior: self.inside_by(&p, INTERIOR_MARGIN),
                })
            })
            .collect()
    }

    /// The columns `[c0, c1)` of block column `bc`.
    fn block_cols(&self, bc: usize) -> (usize, usize) {
        (bc * BLOCK, ((bc + 1) * BLOCK).min(self.geometry.width))
    }

    /// Plans block row `br`, whose corners' places are `top` and `bottom`: uniform blocks
    /// whole, the others pixel by pixel, runs joined left to right where they touch.
    fn block_row(&self, br: usize, top: &[Option<Corner>], bottom: &[Option<Corner>]) -> RowPlan {
        let (r0, r1) = (br * BLOCK, ((br + 1) * BLOCK).min(self.geometry.height));
        let at = |row: &[Option<Corner>], k: usize| row.get(k).copied().flatten();
        let homes: Vec<Option<Corner>> = (0..self.geometry.width.div_ceil(BLOCK))
            .map(|bc| {
                let corners = [
                    at(top, bc),
                    at(top, bc + 1),
                    at(bottom, bc),
                    at(bottom, bc + 1),
                ];
                let home = corners[0]?.home;
                let same = corners.iter().all(|c| c.is_some_and(|c| c.home == home));
                same.then(|| Corner {
                    home,
                    interior: corners.iter().all(|c| c.is_some_and(|c| c.interior)),
                })
            })
            .collect();
        let (mut runs, mut edges): RowPlan = (Vec::new(), Vec::new());
        for row in r0..r1 {
            for (bc, home) in homes.iter().enumerate() {
                let (c0, c1) = self.block_cols(bc);
                if let Some(Corner { home, interior }) = *home {
                    push_run(&mut runs, home, row, (c0, c1), interior);
                    continue;
                }
                for col in c0..c1 {
                    let Some(p) = self.place(col, row) else {
                        continue;
                    };
                    self.add_edges(&p, &mut edges);
                    push_run(&mut runs, p.home, row, (col, col + 1), false);
                }
            }
        }
        (runs, edges)
    }

    /// The tiles other than its home that a pixel on a tile's border cells reads.
    fn add_edges(&self, p: &PixelPlace, edges: &mut Vec<(TileId, TileId)>) {
        if p.i == 0 || p.j == 0 || p.i == self.last || p.j == self.last {
            for n in self.layer.neighbours(p.hash, false).values_vec() {
                let tile = TileId::new(self.order, n >> (2 * self.tile_depth));
                if tile != p.home {
                    edges.push((p.home, tile));
                }
            }
        }
    }
}

/// Appends pixels `[c0, c1)` of `row` to `home`'s runs, extending the last run if it touches
/// and is of the same kind (interior or not).
fn push_run(
    runs: &mut Vec<(TileId, Run)>,
    home: TileId,
    row: usize,
    (c0, c1): (usize, usize),
    interior: bool,
) {
    match runs.last_mut() {
        Some((t, run))
            if *t == home
                && run.row == row as u32
                && run.col1 == c0 as u32
                && run.interior == interior =>
        {
            run.col1 = c1 as u32
        }
        _ => runs.push((
            home,
            Run {
                row: row as u32,
                col0: c0 as u32,
                col1: c1 as u32,
                interior,
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_plan_assigns_every_pixel_to_the_tile_holding_its_centre() {
        use crate::geometry::{Frame, ResolvedView};
        // The last figure: at least half the share of pixels in interior runs measured (none
        // in the AIT view, whose pixels are wider than 8 cells of its tiles).
        let views = [
            ("AIT", 0.0, 0.0, 360.0, 300, 150, 0.0, 0.0),
            ("TAN", 45.0, 41.81, 30.0, 200, 160, 20.0, 0.35),
            ("SIN", 0.0, 90.0, 60.0, 160, 160, 0.0, 0.21),
            ("CAR", 180.0, 0.0, 120.0, 240, 120, 0.0, 0.19),
        ];
        for (projection, lon, lat, fov, width, height, rotation, min_interior) in views {
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
            let mut interior = vec![false; width * height];
            for (tile, bucket) in &plan {
                for run in &bucket.runs {
                    for col in run.col0..run.col1 {
                        let at = run.row as usize * width + col as usize;
                        assert!(owner[at].is_none(), "{projection}: pixel in two buckets");
                        owner[at] = Some(*tile);
                        interior[at] = run.interior;
                    }
                }
            }
            let layer = cdshealpix::nested::get(order + depth);
            let last = (1 << depth) - 1;
            for row in 0..height {
                for col in 0..width {
                    let hash = g.pixel_to_sky(col as f64, row as f64).map(|v| {
                        let (lon, lat) = xyz_to_lonlat(rot.apply(v));
                        layer.hash(lon, lat)
                    });
                    let exact = hash.map(|h| locate_cell(h, order, depth));
                    let at = row * width + col;
                    assert_eq!(
                        owner[at],
                        exact.map(|e| e.0),
                        "{projection} pixel ({col}, {row})"
                    );
                    // A pixel on its tile's border cells has the tiles it reads across them
                    // among its bucket's neighbours.
                    if let (Some(h), Some((home, i, j))) = (hash, exact) {
                        if i == 0 || j == 0 || i == last || j == last {
                            for n in layer.neighbours(h, false).values_vec() {
                                let tile = TileId::new(order, n >> (2 * depth));
                                assert!(
                                    tile == home || plan[&home].neighbours.contains(&tile),
                                    "{projection} pixel ({col}, {row}): {tile:?} not planned"
                                );
                            }
                        }
                    }
                    // An interior pixel's 4×4 bicubic block stays inside its tile.
                    if let (true, Some((_, i, j))) = (interior[at], exact) {
                        let inside = INTERIOR_MARGIN..=last - INTERIOR_MARGIN;
                        assert!(
                            inside.contains(&i) && inside.contains(&j),
                            "{projection} pixel ({col}, {row}) in cell ({i}, {j}) is not interior"
                        );
                    }
                }
            }
            let interior_share =
                interior.iter().filter(|&&i| i).count() as f64 / owner.len() as f64;
            assert!(
                interior_share >= min_interior,
                "{projection}: {interior_share} of the pixels in interior runs"
            );
        }
    }
}
