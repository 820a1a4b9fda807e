//! Bicubic sampling: Keys' cubic convolution over a 4×4 block of a tile's grid, and on the
//! HEALPix rings where the block would leave the tile or cross the polar cap's edge.
//!
//! Inside a tile the cells form a regular grid and cubic convolution (Keys 1981, a = −½, the
//! kernel of GDAL's and Pillow's "cubic") applies directly. Elsewhere the ring scheme extends
//! the textbook bilinear one: cubic along each of the four rings around the point (their pixels
//! are evenly spaced in longitude), then a cubic through the four rings' colatitudes (Lagrange,
//! since rings are not evenly spaced in colatitude). Within eight rings of a pole, where rings
//! hold too few pixels for a cubic along them, a cubic surface is fitted by weighted least
//! squares to the cell centres around the point on its tangent plane. No kept crate offers any
//! of these on HEALPix.

use super::ring::{ring, ring_above, Ring};
use super::seam::tangent_positions;
use crate::healpix::PolarGrid;
use crate::tile::TileImage;
use cdshealpix::nested::Layer;
use nalgebra::{SMatrix, SVector};
use std::f64::consts::{PI, TAU};

/// Keys' cubic convolution weights (a = −½) of the samples at −1, 0, 1, 2 for a point at
/// `t` ∈ [0, 1).
#[inline]
pub(crate) fn keys_weights(t: f64) -> [f64; 4] {
    let t2 = t * t;
    let t3 = t2 * t;
    [
        -0.5 * t3 + t2 - 0.5 * t,
        1.5 * t3 - 2.5 * t2 + 1.0,
        -1.5 * t3 + 2.0 * t2 + 0.5 * t,
        0.5 * t3 - 0.5 * t2,
    ]
}

/// Lagrange weights of the cubic through `nodes`, at `x`.
fn lagrange_weights(nodes: [f64; 4], x: f64) -> [f64; 4] {
    std::array::from_fn(|i| {
        (0..4)
            .filter(|&j| j != i)
            .map(|j| (x - nodes[j]) / (nodes[i] - nodes[j]))
            .product()
    })
}

/// Samples `tile` at grid position (u, v) (tile pixels, centres at half-integers) when the 4×4
/// block is inside the tile, has data in every channel, and (in a polar base cell, `grid`)
/// neither crosses the polar cap's edge nor comes within [`POLAR_RINGS`] of the pole. Returns
/// false, leaving `out`, otherwise.
#[inline]
pub(crate) fn sample_tile(
    tile: &TileImage,
    u: f64,
    v: f64,
    grid: Option<PolarGrid>,
    out: &mut [f32],
) -> bool {
    let (a, b) = (u - 0.5, v - 0.5);
    let w = tile.width as f64;
    if a < 1.0 || b < 1.0 || a + 2.0 >= w || b + 2.0 >= w {
        return false;
    }
    // Truncation is the floor here (a, b ≥ 1).
    let (i0, j0) = (a as usize, b as usize);
    if let Some(g) = grid {
        let (i0, j0) = (i0 as i64, j0 as i64);
        if g.crosses_cap_edge(i0, j0, 2) || g.rings_from_pole(i0, j0, 2) <= POLAR_RINGS {
            return false;
        }
    }
    let (wu, wv) = (keys_weights(a - i0 as f64), keys_weights(b - j0 as f64));
    let mut sum = [0f64; 4];
    for (di, wi) in wu.iter().enumerate() {
        for (dj, wj) in wv.iter().enumerate() {
            let px = tile.pixel(i0 + di - 1, j0 + dj - 1);
            for (s, x) in sum.iter_mut().zip(px) {
                *s += wi * wj * x as f64;
            }
        }
    }
    for (o, s) in out.iter_mut().zip(sum) {
        if s.is_nan() {
            return false;
        }
        *o = s as f32;
    }
    true
}

/// Rings within this many of a pole (the 8th holds 32 pixels) are too short for a cubic along
/// them.
const POLAR_RINGS: i64 = 8;

/// The cells (nested hashes of `layer`) and weights of bicubic interpolation at (`lon`, `lat`)
/// radians, off the tile grid: on the rings, or by a local fit near the poles.
pub(crate) fn off_grid_weights(layer: &Layer, lon: f64, lat: f64) -> Vec<(u64, f64)> {
    let nside = 1u64 << layer.depth();
    let above = ring_above(nside, lat.sin()) as i64;
    let last = 4 * nside as i64 - 1;
    if above < POLAR_RINGS || above > last - POLAR_RINGS {
        polar_fit_weights(layer, lon, lat, above <= last / 2)
    } else {
        ring_bicubic_weights(layer, lon, lat, above).to_vec()
    }
}

/// The 16 cells and weights of ring-based bicubic interpolation, from the ring just north of
/// the point, `above` (at least one ring from either pole).
fn ring_bicubic_weights(layer: &Layer, lon: f64, lat: f64, above: i64) -> [(u64, f64); 16] {
    let nside = 1u64 << layer.depth();
    let theta = PI / 2.0 - lat;
    let rings: [Ring; 4] = std::array::from_fn(|n| ring(nside, (above - 1 + n as i64) as u64));
    let across = lagrange_weights(rings.each_ref().map(|r| r.theta), theta);
    let mut cells = [(0u64, 0f64); 16];
    for (n, (r, w_ring)) in rings.iter().zip(across).enumerate() {
        let t = r.position(lon.rem_euclid(TAU));
        let i1 = t.floor();
        let along = keys_weights(t - i1);
        for (m, w_along) in along.iter().enumerate() {
            let hash = r.pixel(i1 as i64 - 1 + m as i64);
            cells[4 * n + m] = (layer.from_ring(hash), w_ring * w_along);
        }
    }
    cells
}

/// Weights of a cubic surface fitted to the cell centres near (`lon`, `lat`) on its tangent
/// plane, by least squares weighted by a Gaussian of two cells' width, evaluated at the point:
/// exact for any cubic in the plane's coordinates.
fn polar_fit_weights(layer: &Layer, lon: f64, lat: f64, north: bool) -> Vec<(u64, f64)> {
    let cell = (PI / 3.0).sqrt() / (1u64 << layer.depth()) as f64;
    let near: Vec<(u64, [f64; 2])> = cells_near_pole(layer, lon, lat, north, 2.6 * cell)
        .into_iter()
        .map(|h| {
            let [x, y] = tangent_positions(layer, lon, lat, [h])[0];
            (h, [x / cell, y / cell])
        })
        .filter(|(_, [x, y])| x * x + y * y < 2.5 * 2.5)
        .collect();
    let monomials = |[x, y]: [f64; 2]| {
        SVector::<f64, 10>::from([
            1.0,
            x,
            y,
            x * x,
            x * y,
            y * y,
            x * x * x,
            x * x * y,
            x * y * y,
            y * y * y,
        ])
    };
    let gauss = |[x, y]: [f64; 2]| (-(x * x + y * y) / 8.0).exp();
    let mut normal = SMatrix::<f64, 10, 10>::zeros();
    for (_, p) in &near {
        let m = monomials(*p);
        normal += gauss(*p) * m * m.transpose();
    }
    // Too few cells for ten coefficients (maps of a few cells, such as a tiny Allsky's): the
    // textbook bilinear weights instead.
    if near.len() < 16 {
        return super::ring::ring_weights(layer, lon, lat).to_vec();
    }
    // The value at the origin is the constant coefficient: e₀ᵀ (AᵀWA)⁻¹ AᵀW f.
    let Some(z) = normal
        .cholesky()
        .map(|c| c.solve(&SVector::<f64, 10>::from_fn(|i, _| f64::from(i == 0))))
    else {
        // Never seen with 16 cells or more around the point: a safety net.
        return super::ring::ring_weights(layer, lon, lat).to_vec();
    };
    near.into_iter()
        .map(|(h, p)| (h, gauss(p) * monomials(p).dot(&z)))
        .collect()
}

/// The cells of the rings around the `north` (or south) pole whose centres may lie within
/// `radius` radians of (`lon`, `lat`): on each ring, the arc of longitudes that can (the polar
/// cap is nearly flat at this scale, and a step of margin covers the rest).
fn cells_near_pole(layer: &Layer, lon: f64, lat: f64, north: bool, radius: f64) -> Vec<u64> {
    let nside = 1u64 << layer.depth();
    let from_pole = PI / 2.0 - if north { lat } else { -lat };
    let mut cells = Vec::new();
    for k in 1..=(2 * POLAR_RINGS as u64 + 2).min(2 * nside) {
        let r = ring(nside, if north { k } else { 4 * nside - k });
        let ring_from_pole = if north { r.theta } else { PI - r.theta };
        let c = (from_pole * from_pole + ring_from_pole * ring_from_pole - radius * radius)
            / (2.0 * from_pole * ring_from_pole).max(1e-300);
        if c > 1.0 {
            continue;
        }
        let half = if c < -1.0 { PI } else { c.acos() + r.step() };
        let first = r.position(lon - half).floor() as i64;
        let last = r.position(lon + half).ceil() as i64;
        let span = (last - first + 1).min(r.count as i64);
        cells.extend((first..first + span).map(|k| layer.from_ring(r.pixel(k))));
    }
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_of_a_few_cells_get_finite_weights_that_sum_to_one() {
        for depth in 0..=3 {
            let layer = cdshealpix::nested::get(depth);
            for (lon, lat) in [(0.3f64, 1.5f64), (2.0, -1.55), (4.0, 0.2), (1.0, 0.75)] {
                let w = off_grid_weights(layer, lon, lat);
                assert!(w.iter().all(|c| c.1.is_finite() && c.0 < layer.n_hash()));
                let total: f64 = w.iter().map(|c| c.1).sum();
                assert!((total - 1.0).abs() < 1e-9, "depth {depth}: {total}");
            }
        }
    }

    #[test]
    fn keys_weights_interpolate_cubics_exactly_up_to_second_order() {
        for t in [0.0, 0.25, 0.5, 0.9] {
            let w = keys_weights(t);
            let at = |f: &dyn Fn(f64) -> f64| (0..4).map(|k| w[k] * f(k as f64 - 1.0)).sum::<f64>();
            assert!((at(&|_| 1.0) - 1.0).abs() < 1e-12);
            assert!((at(&|x| x) - t).abs() < 1e-12);
            assert!((at(&|x| x * x) - t * t).abs() < 1e-12, "{t}");
        }
        assert_eq!(keys_weights(0.0), [0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn ring_bicubic_weights_sum_to_one_and_reproduce_cell_centres() {
        let layer = cdshealpix::nested::get(4);
        for hash in (0..layer.n_hash()).step_by(29) {
            let (lon, lat) = layer.center(hash);
            let w = off_grid_weights(layer, lon, lat);
            let total: f64 = w.iter().map(|c| c.1).sum();
            assert!((total - 1.0).abs() < 1e-9, "{hash}: {total}");
            // Off the polar fit's rings the scheme interpolates: a centre gets its own value.
            let rings_from_pole = (lat.abs().sin() - 1.0).abs().sqrt() * 16.0 * 3f64.sqrt();
            if rings_from_pole > POLAR_RINGS as f64 + 1.0 {
                let own: f64 = w.iter().filter(|c| c.0 == hash).map(|c| c.1).sum();
                assert!((own - 1.0).abs() < 1e-6, "{hash}: {w:?}");
            }
        }
        // Around both poles, a local fit: still a partition of unity, and exact to fourth order.
        let layer = cdshealpix::nested::get(7);
        for lat in [89.9f64, 89.0, -89.0, -89.9, -90.0, 90.0, 88.0] {
            let (lon, lat) = (1.0, lat.to_radians());
            let w = off_grid_weights(layer, lon, lat);
            let total: f64 = w.iter().map(|c| c.1).sum();
            assert!((total - 1.0).abs() < 1e-9, "{lat}: {total}");
            // A quadratic on the sphere is reproduced to the cubic fit's accuracy.
            let f = |lon: f64, lat: f64| {
                let [x, y, z] = crate::geometry::lonlat_to_xyz(lon, lat);
                x + 2.0 * y * z + z * z
            };
            let got: f64 = w
                .iter()
                .map(|&(h, w)| {
                    w * {
                        let (a, b) = layer.center(h);
                        f(a, b)
                    }
                })
                .sum();
            assert!(
                (got - f(lon, lat)).abs() < 5e-8,
                "{lat}: {got} vs {}",
                f(lon, lat)
            );
        }
    }
}
