//! HEALPix as hipscut uses it, on top of cdshealpix: the size of a cell, the tile order for an
//! output pixel scale, the neighbours a border pixel interpolates across, and where a polar base
//! cell bends.

use crate::tile::{even_bits, TileId};
use std::ops::RangeInclusive;

/// Side of a HEALPix cell at `depth`, θ(d) = √(4π / (12·4^d)), in degrees.
pub fn cell_size_deg(depth: u8) -> f64 {
    (4.0 * std::f64::consts::PI / (12.0 * 4f64.powi(depth as i32)))
        .sqrt()
        .to_degrees()
}

/// The tile order for output pixels of `pixel_deg`, with tiles `2^tile_depth` cells wide: the
/// smallest depth whose cells are no larger than an output pixel, less the tile depth, clamped
/// to the survey's `orders`.
pub(crate) fn choose_order(pixel_deg: f64, tile_depth: u8, orders: RangeInclusive<u8>) -> u8 {
    let depth = (0..=29u8)
        .find(|&d| cell_size_deg(d) <= pixel_deg)
        .unwrap_or(29);
    depth
        .saturating_sub(tile_depth)
        .clamp(*orders.start(), *orders.end())
}

/// The tiles around `tile` at its order (seven or eight).
pub(crate) fn neighbours(tile: TileId) -> Vec<TileId> {
    cdshealpix::nested::get(tile.order)
        .neighbours(tile.ipix, false)
        .values_vec()
        .into_iter()
        .map(|n| TileId::new(tile.order, n))
        .collect()
}

/// Where a tile of a polar base cell lies on its base cell's diagonals, the lines of constant
/// i + j along which the grid's trouble spots run. A polar base cell is half in the polar cap
/// and half in the equatorial belt, split along its east–west diagonal: the HEALPix projection
/// is continuous there but its derivative jumps, so interpolation in the grid across it misplaces
/// the point by up to a few hundredths of a cell where the cap is most sheared (near the corners
/// where three base cells meet). And its grid converges on the pole at one corner, where a cubic
/// in grid coordinates fails. Equatorial base cells have neither.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PolarGrid {
    /// I + J of the base cell at the tile's pixel (0, 0).
    offset: i64,
    nside: i64,
    north: bool,
}

impl PolarGrid {
    /// The diagonals of `tile` (`2^tile_depth` pixels wide); `None` for an equatorial tile.
    pub(crate) fn of(tile: TileId, tile_depth: u8) -> Option<PolarGrid> {
        let base = tile.ipix >> (2 * tile.order);
        if (4..8).contains(&base) {
            return None;
        }
        let within = tile.ipix & ((1u64 << (2 * tile.order)) - 1);
        let (tx, ty) = (even_bits(within) as i64, even_bits(within >> 1) as i64);
        Some(PolarGrid {
            offset: (tx + ty) << tile_depth,
            nside: 1i64 << (tile.order + tile_depth),
            north: base < 4,
        })
    }

    /// Whether the block of pixel centres from (i0 − reach + 1, j0 − reach + 1) to
    /// (i0 + reach, j0 + reach) holds centres on both sides of the cap's edge (reach 1: the
    /// bilinear quad at (i0, j0); reach 2: the bicubic 4×4 block).
    #[inline]
    pub(crate) fn crosses_cap_edge(&self, i0: i64, j0: i64, reach: i64) -> bool {
        // Centres sit at (I + ½, J + ½) of the base cell, the edge on I + J = nside − 1.
        let s = self.offset + i0 + j0 - (self.nside - 2);
        s.abs() <= 2 * (reach - 1)
    }

    /// The ring, counted from the base cell's own pole (1: the ring around the pole), of the
    /// block's centre nearest that pole (blocks as for [`PolarGrid::crosses_cap_edge`]).
    #[inline]
    pub(crate) fn rings_from_pole(&self, i0: i64, j0: i64, reach: i64) -> i64 {
        // The pixel (I, J) of a northern polar base cell is on ring 2·nside − (I + J + 1) from
        // the north pole; of a southern one, on ring I + J + 1 from the south pole.
        let s = self.offset + i0 + j0;
        if self.north {
            2 * self.nside - 1 - (s + 2 * reach)
        } else {
            s - 2 * (reach - 1) + 1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_follows_the_pixel_scale_within_the_survey_orders() {
        // 512-px tiles: tile depth 9. Depth 12 cells are 0.0143°: a 0.015° pixel wants depth
        // 12, i.e. order 3 (the conventions note).
        assert_eq!(choose_order(0.015, 9, 3..=9), 3);
        assert_eq!(choose_order(0.01, 9, 3..=9), 4);
        assert_eq!(choose_order(1e-6, 9, 3..=9), 9);
        assert_eq!(choose_order(10.0, 9, 3..=9), 3);
        assert!((cell_size_deg(12) - 0.014314).abs() < 1e-5);
    }

    #[test]
    fn a_tile_has_eight_neighbours_except_at_base_cell_corners() {
        assert_eq!(neighbours(TileId::new(3, 300)).len(), 8);
        // The corners of base cells where three cells meet leave seven or six.
        assert!((6..=7).contains(&neighbours(TileId::new(0, 0)).len()));
        assert!(neighbours(TileId::new(1, 0))
            .iter()
            .all(|n| n.order == 1 && n.ipix != 0));
    }
}
