//! Sampling a survey at a sky position: HEALPix bilinear (or nearest, or bicubic) interpolation
//! over tile pixels, across tile borders, with fallback to coarser levels where tiles are
//! missing.

use super::cubic;
use super::ring::ring_weights;
use super::seam::seam_weights;
use super::Interpolation;
use crate::healpix::PolarGrid;
use crate::store::TileLookup;
use crate::tile::{locate_cell, TileId, TileImage};
use cdshealpix::nested::Layer;

/// One resolution the painter can sample: the tiles of an order, or the Allsky cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Level {
    pub order: u8,
    pub tile_depth: u8,
    pub allsky: bool,
}

/// Levels to try for each pixel, finest first: `order` down to the survey's shallowest order,
/// then the Allsky when there is one. Orders of which the bucket holds no tile are left out: a
/// pixel next to a missing tile would otherwise pay a HEALPix hash at each of them for nothing.
pub(crate) fn fallback_levels(
    tiles: &dyn TileLookup,
    order: u8,
    order_min: u8,
    tile_depth: u8,
) -> Vec<Level> {
    let mut levels: Vec<Level> = (order_min..=order)
        .rev()
        .filter(|&order| tiles.has_order(order))
        .map(|order| Level {
            order,
            tile_depth,
            allsky: false,
        })
        .collect();
    if let Some(a) = tiles.allsky() {
        levels.push(Level {
            order: a.order,
            tile_depth: a.tile_depth,
            allsky: true,
        });
    }
    levels
}

/// A running weighted mean of pixels that leaves no-data pixels out.
#[derive(Default)]
struct WeightedMean {
    sum: [f64; 4],
    weight: f64,
}

impl WeightedMean {
    /// Adds a pixel (as [`TileImage::pixel`] gives it: unused channels are 0) with weight `w`.
    #[inline]
    fn add(&mut self, px: [f32; 4], w: f64) {
        if w <= 0.0 || px.iter().any(|v| v.is_nan()) {
            return;
        }
        for (s, v) in self.sum.iter_mut().zip(px) {
            *s += w * v as f64;
        }
        self.weight += w;
    }

    /// Writes the mean into `out`; false when nothing with weight was added.
    fn write(&self, out: &mut [f32]) -> bool {
        if self.weight <= 1e-12 {
            return false;
        }
        for (o, s) in out.iter_mut().zip(&self.sum) {
            *o = (s / self.weight) as f32;
        }
        true
    }
}

/// What one level could give for a point.
enum Coverage {
    /// Every sample with weight was in a present tile (no-data pixels aside).
    Complete,
    /// Some weight fell in tiles the survey lacks; the value is from the rest.
    Partial,
    /// Nothing usable.
    Empty,
}

/// Samples the tiles a painter was given.
pub(crate) struct Sampler<'t> {
    tiles: &'t dyn TileLookup,
    interpolation: Interpolation,
}

impl<'t> Sampler<'t> {
    pub(crate) fn new(tiles: &'t dyn TileLookup, interpolation: Interpolation) -> Self {
        Sampler {
            tiles,
            interpolation,
        }
    }

    /// The tile (or Allsky cell) `id`.
    #[inline]
    fn tile(&self, id: TileId, allsky: bool) -> Option<&'t TileImage> {
        if allsky {
            self.tiles
                .allsky()
                .and_then(|a| a.tiles.get(id.ipix as usize))
                .map(|t| &**t)
        } else {
            self.tiles.tile(id)
        }
    }

    /// Writes into `out` the value at (`lon`, `lat`) radians in the survey frame, trying the
    /// levels finest first. Returns false (leaving `out` alone) where no level has data.
    ///
    /// A level whose interpolation lost weight to a missing tile yields to a coarser level that
    /// has all its samples (renormalising there would extrapolate up to a cell); it is used only
    /// when no coarser level does better. No-data pixels inside present tiles (BLANK, alpha 0)
    /// are simply left out of the weighted mean.
    pub(crate) fn sample(&self, levels: &[Level], lon: f64, lat: f64, out: &mut [f32]) -> bool {
        let mut fallback: Option<[f32; 4]> = None;
        let mut value = [0f32; 4];
        let value = &mut value[..out.len()];
        for level in levels {
            match self.sample_level(*level, lon, lat, value) {
                Coverage::Complete => {
                    out.copy_from_slice(value);
                    return true;
                }
                Coverage::Partial if fallback.is_none() => {
                    let mut kept = [0f32; 4];
                    kept[..value.len()].copy_from_slice(value);
                    fallback = Some(kept);
                }
                _ => {}
            }
        }
        match fallback {
            Some(kept) => {
                out.copy_from_slice(&kept[..out.len()]);
                true
            }
            None => false,
        }
    }

    fn sample_level(&self, level: Level, lon: f64, lat: f64, out: &mut [f32]) -> Coverage {
        let layer = cdshealpix::nested::get(level.order + level.tile_depth);
        match self.interpolation {
            Interpolation::Nearest => self.nearest(layer, level, lon, lat, out),
            Interpolation::Bilinear => self.bilinear(layer, level, lon, lat, out),
            Interpolation::Bicubic => self.bicubic(layer, level, lon, lat, out),
        }
    }

    fn nearest(
        &self,
        layer: &Layer,
        level: Level,
        lon: f64,
        lat: f64,
        out: &mut [f32],
    ) -> Coverage {
        let (id, i, j) = locate_cell(layer.hash(lon, lat), level.order, level.tile_depth);
        let Some(tile) = self.tile(id, level.allsky) else {
            return Coverage::Empty;
        };
        let px = tile.pixel(i, j);
        if px.iter().any(|v| v.is_nan()) {
            return Coverage::Empty;
        }
        out.copy_from_slice(&px[..out.len()]);
        Coverage::Complete
    }

    /// The mean of `cells` weighted, leaving out no-data pixels; the weight of cells in absent
    /// tiles is returned.
    fn gather(&self, level: Level, cells: &[(u64, f64)], mean: &mut WeightedMean) -> f64 {
        let mut absent = 0.0;
        for &(cell, w) in cells {
            let (id, i, j) = locate_cell(cell, level.order, level.tile_depth);
            match self.tile(id, level.allsky) {
                Some(tile) => mean.add(tile.pixel(i, j), w),
                None => absent += w,
            }
        }
        absent
    }

    fn bilinear(
        &self,
        layer: &Layer,
        level: Level,
        lon: f64,
        lat: f64,
        out: &mut [f32],
    ) -> Coverage {
        let width = 1usize << level.tile_depth;
        let (hash, dx, dy) = layer.hash_with_dxdy(lon, lat);
        let (id, i, j) = locate_cell(hash, level.order, level.tile_depth);
        // Bilinear weights between the four cell centres around the point, as cdshealpix's
        // `bilinear_interpolation` computes them; inside a tile they are plain array neighbours.
        let u = i as f64 + dx - 0.5;
        let v = j as f64 + dy - 0.5;
        let (i0, j0) = (u.floor(), v.floor());
        let (fu, fv) = (u - i0, v - j0);
        let mut mean = WeightedMean::default();
        let mut absent = 0.0;
        let inside =
            i0 >= 0.0 && j0 >= 0.0 && (i0 as usize) + 1 < width && (j0 as usize) + 1 < width;
        // Across the polar cap's edge the base cell's grid bends: interpolate on the rings.
        let grid = PolarGrid::of(id, level.tile_depth);
        if grid.is_some_and(|g| g.crosses_cap_edge(i0 as i64, j0 as i64, 1)) {
            absent = self.gather(level, &ring_weights(layer, lon, lat), &mut mean);
        } else if inside {
            let Some(tile) = self.tile(id, level.allsky) else {
                return Coverage::Empty;
            };
            let (i0, j0) = (i0 as usize, j0 as usize);
            mean.add(tile.pixel(i0, j0), (1.0 - fu) * (1.0 - fv));
            mean.add(tile.pixel(i0 + 1, j0), fu * (1.0 - fv));
            mean.add(tile.pixel(i0, j0 + 1), (1.0 - fu) * fv);
            mean.add(tile.pixel(i0 + 1, j0 + 1), fu * fv);
        } else {
            let cells = seam_weights(layer, lon, lat, layer.bilinear_interpolation(lon, lat));
            absent = self.gather(level, &cells, &mut mean);
        }
        if !mean.write(out) {
            return Coverage::Empty;
        }
        if absent > 1e-12 {
            Coverage::Partial
        } else {
            Coverage::Complete
        }
    }

    /// Cubic convolution in the tile where the 4×4 block fits, on the rings elsewhere; where a
    /// sample is missing or has no data, bilinear (cubic weights can be negative, so leaving a
    /// sample out cannot be renormalised away).
    fn bicubic(
        &self,
        layer: &Layer,
        level: Level,
        lon: f64,
        lat: f64,
        out: &mut [f32],
    ) -> Coverage {
        let (hash, dx, dy) = layer.hash_with_dxdy(lon, lat);
        let (id, i, j) = locate_cell(hash, level.order, level.tile_depth);
        let Some(tile) = self.tile(id, level.allsky) else {
            return self.bilinear(layer, level, lon, lat, out);
        };
        let grid = PolarGrid::of(id, level.tile_depth);
        if cubic::sample_tile(tile, i as f64 + dx, j as f64 + dy, grid, out) {
            return Coverage::Complete;
        }
        let mut sum = [0f64; 4];
        let channels = out.len();
        for (cell, w) in cubic::off_grid_weights(layer, lon, lat) {
            let (id, i, j) = locate_cell(cell, level.order, level.tile_depth);
            let Some(tile) = self.tile(id, level.allsky) else {
                return self.bilinear(layer, level, lon, lat, out);
            };
            for (s, x) in sum.iter_mut().zip(tile.pixel(i, j)) {
                *s += w * x as f64;
            }
        }
        if sum[..channels].iter().any(|s| s.is_nan()) {
            return self.bilinear(layer, level, lon, lat, out);
        }
        for (o, s) in out.iter_mut().zip(sum) {
            *o = s as f32;
        }
        Coverage::Complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raster::Raster;
    use crate::store::{AllskyLevel, BucketTiles};
    use std::sync::Arc;

    /// A hostile but valid survey: an order-0 Allsky of 1-pixel cells (a map of 12 cells), where
    /// no 4×4 block, ring cubic or polar fit has the cells it needs. Every interpolation still
    /// gives a finite value between the cells' own, everywhere.
    #[test]
    fn a_map_of_twelve_cells_samples_everywhere_with_every_interpolation() {
        let cells = (0..12)
            .map(|k| {
                let mut r = Raster::blank(1, 1, 1);
                r.data[0] = 10.0 * k as f32;
                Arc::new(TileImage::new(r))
            })
            .collect();
        let tiles = BucketTiles {
            allsky: Some(Arc::new(AllskyLevel {
                order: 0,
                tile_depth: 0,
                tiles: cells,
            })),
            ..Default::default()
        };
        let levels = fallback_levels(&tiles, 0, 0, 0);
        assert_eq!(levels.len(), 1, "only the Allsky");
        for interpolation in [
            Interpolation::Nearest,
            Interpolation::Bilinear,
            Interpolation::Bicubic,
        ] {
            let sampler = Sampler::new(&tiles, interpolation);
            for k in 0..200 {
                let (lon, lat) = (
                    k as f64 * 0.37,
                    (k as f64 * 0.61).sin() * std::f64::consts::FRAC_PI_2,
                );
                let mut out = [0f32];
                assert!(
                    sampler.sample(&levels, lon, lat, &mut out),
                    "{interpolation}"
                );
                // Bicubic has too few cells for any cubic here and falls back to the rings'
                // bilinear weights: no overshoot.
                assert!(
                    (0.0..=110.0).contains(&out[0]),
                    "{interpolation}: {}",
                    out[0]
                );
            }
        }
    }
}
