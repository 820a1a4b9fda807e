//! HEALPix as hipscut uses it, on top of cdshealpix: the size of a cell, the tile order for an
//! output pixel scale, and the neighbours a border pixel interpolates across.

use crate::tile::TileId;
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
