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
    let block_rows: Vec<RowPlan> = (0..geometry.height.div_ceil(BLOCK))
        .into_par_iter()
        .map(|br| planner.block_row(br))
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

    /// Whether a place lies far enough inside its tile that its block needs no neighbour.
    fn interior(&self, p: &PixelPlace) -> bool {
        let inside = INTERIOR_MARGIN..=self.last.saturating_sub(INTERIOR_MARGIN);
        inside.contains(&p.i) && inside.contains(&p.j)
    }

    /// The columns `[c0, c1)` of block column `bc`.
    fn block_cols(&self, bc: usize) -> (usize, usize) {
        (bc * BLOCK, ((bc + 1) * BLOCK).min(self.geometry.width))
    }

    /// The home tile of a block whose four corners lie inside one tile, else `None`.
    fn uniform_home(&self, bc: usize, r0: usize, r1: usize) -> Option<TileId> {
        let (c0, c1) = self.block_cols(bc);
        let corners = [(c0, r0), (c1 - 1, r0), (c0, r1 - 1), (c1 - 1, r1 - 1)];
        let places = corners.map(|(c, r)| self.place(c, r));
        let home = places[0].as_ref()?.home;
        places
            .iter()
            .all(|p| {
                p.as_ref()
                    .is_some_and(|p| self.interior(p) && p.home == home)
            })
            .then_some(home)
    }

    /// Plans block row `br`: uniform blocks whole, the others pixel by pixel, runs joined
    /// left to right where they touch.
    fn block_row(&self, br: usize) -> RowPlan {
        let (r0, r1) = (br * BLOCK, ((br + 1) * BLOCK).min(self.geometry.height));
        let homes: Vec<Option<TileId>> = (0..self.geometry.width.div_ceil(BLOCK))
            .map(|bc| self.uniform_home(bc, r0, r1))
            .collect();
        let (mut runs, mut edges): RowPlan = (Vec::new(), Vec::new());
        for row in r0..r1 {
            for (bc, home) in homes.iter().enumerate() {
                let (c0, c1) = self.block_cols(bc);
                if let Some(home) = home {
                    push_run(&mut runs, *home, row, c0, c1);
                    continue;
                }
                for col in c0..c1 {
                    let Some(p) = self.place(col, row) else {
                        continue;
                    };
                    self.add_edges(&p, &mut edges);
                    push_run(&mut runs, p.home, row, col, col + 1);
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

/// Appends pixels `[c0, c1)` of `row` to `home`'s runs, extending the last run if it touches.
fn push_run(runs: &mut Vec<(TileId, Run)>, home: TileId, row: usize, c0: usize, c1: usize) {
    match runs.last_mut() {
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
    }
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
