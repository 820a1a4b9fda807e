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

/// Where bilinear interpolation in `tile`'s grid crosses the bend of the HEALPix projection:
/// `Some(k)` when the quads of four pixel centres whose lowest corner (i0, j0) has
/// i0 + j0 = k straddle the edge of the polar cap (|z| = 2/3), for a tile `2^tile_depth`
/// pixels wide.
///
/// A polar base cell is half in the cap and half in the equatorial belt, split along its
/// east–west diagonal; the projection is continuous there but its derivative jumps, so a
/// bilinear quad across it misplaces the point by up to a few hundredths of a cell where the cap
/// is most sheared (near the corners where three base cells meet). Equatorial base cells never
/// cross it.
pub(crate) fn cap_edge_diagonal(tile: TileId, tile_depth: u8) -> Option<i64> {
    let base = tile.ipix >> (2 * tile.order);
    if (4..8).contains(&base) {
        return None;
    }
    let within = tile.ipix & ((1u64 << (2 * tile.order)) - 1);
    let width = 1i64 << tile_depth;
    let (tx, ty) = (even_bits(within) as i64, even_bits(within >> 1) as i64);
    let nside = 1i64 << (tile.order + tile_depth);
    // Pixel centres sit at (I + ½, J + ½) of the base cell; the diagonal is I + J = nside − 1
    // there, so the quads with I0 + J0 = nside − 2 hold centres on both sides of it.
    let k = nside - 2 - (tx + ty) * width;
    (-2..=2 * width - 2).contains(&k).then_some(k)
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
