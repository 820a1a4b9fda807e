//! Interpolation weights across HEALPix base-cell seams, from the cells' true positions.
//!
//! Inside a base cell, HEALPix cells form a regular grid and bilinear weights in the cell
//! coordinates are accurate. Across the seams between the polar base cells the neighbour grid is
//! rotated by 90°: `cdshealpix::bilinear_interpolation`, working in the local cell's
//! coordinates, can pick four cells that do not surround the point, or weight them as if they
//! were on the local grid, misplacing the point by up to a third of a cell. There the cells and
//! their weights come from the true positions of the neighbouring cell centres, projected on the
//! plane tangent at the point (inverse bilinear in a quad; barycentric in a triangle where a
//! base-cell corner has seven neighbours).

use crate::geometry::lonlat_to_xyz;
use cdshealpix::compass_point::MainWind;
use cdshealpix::nested::Layer;

type V2 = [f64; 2];

fn cross(a: V2, b: V2) -> f64 {
    a[0] * b[1] - a[1] * b[0]
}

fn sub(a: V2, b: V2) -> V2 {
    [a[0] - b[0], a[1] - b[1]]
}

/// Projects the cell centres on the plane tangent at (lon, lat), the point at the origin.
pub(crate) fn tangent_positions<const N: usize>(
    layer: &Layer,
    lon: f64,
    lat: f64,
    cells: [u64; N],
) -> [V2; N] {
    let p = lonlat_to_xyz(lon, lat);
    let (sl, cl) = lon.sin_cos();
    let (sb, cb) = lat.sin_cos();
    let east = [-sl, cl, 0.0];
    let north = [-sb * cl, -sb * sl, cb];
    cells.map(|h| {
        let (clon, clat) = layer.center(h);
        let c = lonlat_to_xyz(clon, clat);
        let dot = |a: [f64; 3]| a[0] * c[0] + a[1] * c[1] + a[2] * c[2];
        let d = dot(p);
        [dot(east) / d, dot(north) / d]
    })
}

/// Re-weights the result of `bilinear_interpolation` when its cells span several base cells.
/// Returns it unchanged otherwise.
///
/// Near a seam the local cell coordinates are sheared, so the quarter of the cell that
/// `bilinear_interpolation` picks may not even surround the point. Here the four quads of the
/// 3×3 neighbourhood are tried and the one that holds the point is used.
pub(crate) fn seam_weights(
    layer: &Layer,
    lon: f64,
    lat: f64,
    cells: [(u64, f64); 4],
) -> [(u64, f64); 4] {
    let base = |h: u64| h >> (2 * layer.depth());
    if cells.iter().all(|(h, _)| base(*h) == base(cells[0].0)) {
        return cells;
    }
    let around = layer.neighbours(layer.hash(lon, lat), true);
    // Quads as (x0,y0), (x1,y0), (x0,y1), (x1,y1) in the centre cell's coordinates.
    const QUADS: [[MainWind; 4]; 4] = [
        [MainWind::S, MainWind::SE, MainWind::SW, MainWind::C],
        [MainWind::SE, MainWind::E, MainWind::C, MainWind::NE],
        [MainWind::SW, MainWind::C, MainWind::W, MainWind::NW],
        [MainWind::C, MainWind::NE, MainWind::NW, MainWind::N],
    ];
    let mut best: Option<(f64, [(u64, f64); 4])> = None;
    for quad in QUADS {
        let present: Vec<u64> = quad
            .iter()
            .filter_map(|w| around.get(*w).copied())
            .collect();
        let candidate = match present.len() {
            4 => quad_weights(
                layer,
                lon,
                lat,
                [present[0], present[1], present[2], present[3]],
            ),
            3 => triangle_weights(layer, lon, lat, [present[0], present[1], present[2]]),
            _ => None,
        };
        if let Some((outside, weights)) = candidate {
            if best.as_ref().is_none_or(|(o, _)| outside < *o) {
                best = Some((outside, weights));
            }
        }
    }
    best.map(|(_, w)| w).unwrap_or(cells)
}

/// How far (u, v) lies outside the unit square (0 inside).
fn outside(u: f64, v: f64) -> f64 {
    let excess = |x: f64| (-x).max(x - 1.0).max(0.0);
    excess(u) + excess(v)
}

/// Bilinear weights of the point in the quad of four cells, and how far outside it the point is.
fn quad_weights(
    layer: &Layer,
    lon: f64,
    lat: f64,
    hashes: [u64; 4],
) -> Option<(f64, [(u64, f64); 4])> {
    let [a, b, d, c] = tangent_positions(layer, lon, lat, hashes);
    let (u, v) = inverse_bilinear(a, b, c, d)?;
    let miss = outside(u, v);
    let (u, v) = (u.clamp(0.0, 1.0), v.clamp(0.0, 1.0));
    Some((
        miss,
        [
            (hashes[0], (1.0 - u) * (1.0 - v)),
            (hashes[1], u * (1.0 - v)),
            (hashes[2], (1.0 - u) * v),
            (hashes[3], u * v),
        ],
    ))
}

/// (u, v) with (1−u)(1−v)·a + u(1−v)·b + uv·c + (1−u)v·d = 0, for the quad a b c d in order.
fn inverse_bilinear(a: V2, b: V2, c: V2, d: V2) -> Option<(f64, f64)> {
    let scale = [a, b, c, d]
        .iter()
        .map(|p| p[0].abs().max(p[1].abs()))
        .fold(0.0, f64::max);
    if scale <= 0.0 {
        return None;
    }
    let n = |p: V2| [p[0] / scale, p[1] / scale];
    let (a, b, c, d) = (n(a), n(b), n(c), n(d));
    let e = sub(b, a);
    let f = sub(d, a);
    let g = [a[0] - b[0] + c[0] - d[0], a[1] - b[1] + c[1] - d[1]];
    let h = [-a[0], -a[1]];
    let k2 = cross(g, f);
    let k1 = cross(e, f) + cross(h, g);
    let k0 = cross(h, e);
    let u_of = |v: f64| {
        let (dx, dy) = (e[0] + g[0] * v, e[1] + g[1] * v);
        if dx.abs() > dy.abs() {
            (h[0] - f[0] * v) / dx
        } else {
            (h[1] - f[1] * v) / dy
        }
    };
    if k2.abs() < 1e-9 {
        if k1.abs() < 1e-12 {
            return None;
        }
        let v = -k0 / k1;
        return Some((u_of(v), v));
    }
    let disc = k1 * k1 - 4.0 * k0 * k2;
    if disc < 0.0 {
        return None;
    }
    let w = disc.sqrt();
    let candidates = [(-k1 - w) / (2.0 * k2), (-k1 + w) / (2.0 * k2)];
    candidates
        .iter()
        .map(|&v| (u_of(v), v))
        .filter(|(u, v)| u.is_finite() && v.is_finite())
        .min_by(|p, q| outside(p.0, p.1).total_cmp(&outside(q.0, q.1)))
}

/// Barycentric weights of the point in the triangle of three cell centres, and how far outside
/// it the point is.
fn triangle_weights(
    layer: &Layer,
    lon: f64,
    lat: f64,
    cells: [u64; 3],
) -> Option<(f64, [(u64, f64); 4])> {
    let [a, b, c] = tangent_positions(layer, lon, lat, cells);
    let area = cross(sub(b, a), sub(c, a));
    if area == 0.0 {
        return None;
    }
    let w = [cross(b, c) / area, cross(c, a) / area, cross(a, b) / area];
    let miss: f64 = w.iter().map(|x| (-x).max(0.0)).sum();
    let w = w.map(|x| x.max(0.0));
    Some((
        miss,
        [
            (cells[0], w[0]),
            (cells[1], w[1]),
            (cells[2], w[2]),
            (cells[0], 0.0),
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_bilinear_of_a_square_and_a_skewed_quad() {
        let (u, v) =
            inverse_bilinear([-0.25, -0.5], [0.75, -0.5], [0.75, 0.5], [-0.25, 0.5]).unwrap();
        assert!(
            (u - 0.25).abs() < 1e-12 && (v - 0.5).abs() < 1e-12,
            "{u} {v}"
        );
        // A trapezoid: the origin sits at u = 0.5, v = 0.5 of the map.
        let (u, v) = inverse_bilinear([-1.0, -1.0], [1.0, -1.0], [0.5, 1.0], [-0.5, 1.0]).unwrap();
        assert!(
            (u - 0.5).abs() < 1e-12 && (v - 0.5).abs() < 1e-12,
            "{u} {v}"
        );
    }

    #[test]
    fn seam_weights_put_the_point_where_it_is() {
        // A point near the seam between polar base cells 2 and 3 (lon 270°), near the upper row
        // of cell centres: most of the weight must go to that row.
        let layer = cdshealpix::nested::get(7);
        let (lon, lat) = (269.911f64.to_radians(), 69.748f64.to_radians());
        let cells = seam_weights(layer, lon, lat, layer.bilinear_interpolation(lon, lat));
        let upper: f64 = cells
            .iter()
            .filter(|(h, _)| layer.center(*h).1.to_degrees() > 69.6)
            .map(|c| c.1)
            .sum();
        assert!(upper > 0.8, "{cells:?}");
        let total: f64 = cells.iter().map(|c| c.1).sum();
        assert!((total - 1.0).abs() < 1e-9);
    }
}
