//! HEALPix bilinear interpolation on the isolatitude rings: the textbook scheme (HEALPix C++
//! `get_interpol`, healpy's `get_interp_weights`, astropy-healpix's `interpolate_bilinear`).
//!
//! cdshealpix interpolates in a base cell's own grid, which is exact inside a base cell but has
//! no grid to work in where three base cells meet. The ring scheme needs no grid: linear in
//! longitude along the two rings around the point, then linear in colatitude between them. It is
//! written here because cdshealpix offers only the nested scheme; the ring arithmetic follows
//! Górski et al. (2005), and cdshealpix converts the ring indices to nested ones.

use cdshealpix::nested::Layer;
use std::f64::consts::{PI, TAU};

/// One isolatitude ring: its first pixel (ring scheme), pixel count, colatitude and whether its
/// pixel centres sit half a pixel east of longitude 0.
pub(crate) struct Ring {
    pub first: u64,
    pub count: u64,
    pub theta: f64,
    pub shifted: bool,
}

impl Ring {
    /// The angle between neighbouring pixel centres.
    pub(crate) fn step(&self) -> f64 {
        TAU / self.count as f64
    }

    /// The position of longitude `phi` along the ring, in pixels: pixel k's centre is at k.
    #[inline]
    pub(crate) fn position(&self, phi: f64) -> f64 {
        phi / self.step() - if self.shifted { 0.5 } else { 0.0 }
    }

    /// The ring-scheme hash of the ring's pixel `k`, counted round the ring (any integer).
    #[inline]
    pub(crate) fn pixel(&self, k: i64) -> u64 {
        self.first + k.rem_euclid(self.count as i64) as u64
    }
}

/// Ring `i` (1 ≤ i < 4·nside) of a map of side `nside`.
pub(crate) fn ring(nside: u64, i: u64) -> Ring {
    let n = nside as f64;
    let npix = 12 * nside * nside;
    if i < nside {
        let z = 1.0 - (i * i) as f64 / (3.0 * n * n);
        Ring {
            first: 2 * i * (i - 1),
            count: 4 * i,
            theta: z.acos(),
            shifted: true,
        }
    } else if i <= 3 * nside {
        let z = (2 * nside) as f64 / (1.5 * n) - i as f64 / (1.5 * n);
        Ring {
            first: 2 * nside * (nside - 1) + (i - nside) * 4 * nside,
            count: 4 * nside,
            theta: z.acos(),
            shifted: (i - nside).is_multiple_of(2),
        }
    } else {
        let mirrored = 4 * nside - i;
        let z = 1.0 - (mirrored * mirrored) as f64 / (3.0 * n * n);
        Ring {
            first: npix - 2 * mirrored * (mirrored + 1),
            count: 4 * mirrored,
            theta: PI - z.acos(),
            shifted: true,
        }
    }
}

/// The ring just north of colatitude cos⁻¹(z) (0 when the point is north of the first ring).
pub(crate) fn ring_above(nside: u64, z: f64) -> u64 {
    let n = nside as f64;
    if z.abs() <= 2.0 / 3.0 {
        return (n * (2.0 - 1.5 * z)) as u64;
    }
    let i = (n * (3.0 * (1.0 - z.abs())).sqrt()) as u64;
    if z > 0.0 {
        i
    } else {
        4 * nside - i - 1
    }
}

/// The two pixels of `ring` around longitude `phi`, with their weights.
fn along(ring: &Ring, phi: f64) -> [(u64, f64); 2] {
    let t = ring.position(phi);
    let i1 = t.floor();
    let w1 = t - i1;
    [
        (ring.pixel(i1 as i64), 1.0 - w1),
        (ring.pixel(i1 as i64 + 1), w1),
    ]
}

/// The four cells (nested hashes of `layer`) and weights that interpolate at (`lon`, `lat`)
/// radians.
pub(crate) fn ring_weights(layer: &Layer, lon: f64, lat: f64) -> [(u64, f64); 4] {
    let nside = 1u64 << layer.depth();
    let npix = 12 * nside * nside;
    let theta = PI / 2.0 - lat;
    let phi = lon.rem_euclid(TAU);
    let above = ring_above(nside, lat.sin());
    let mut w = [(0u64, 0.0f64); 4];
    if above == 0 {
        // North of the first ring: the ring's four pixels, reflected through the pole.
        let first = ring(nside, 1);
        let [p2, p3] = along(&first, phi);
        let t = theta / first.theta;
        let fac = (1.0 - t) * 0.25;
        w = [
            ((p2.0 + 2) & 3, fac),
            ((p3.0 + 2) & 3, fac),
            (p2.0, p2.1 * t + fac),
            (p3.0, p3.1 * t + fac),
        ];
    } else if above == 4 * nside - 1 {
        let last = ring(nside, above);
        let [p0, p1] = along(&last, phi);
        let t = (theta - last.theta) / (PI - last.theta);
        let fac = t * 0.25;
        w = [
            (p0.0, p0.1 * (1.0 - t) + fac),
            (p1.0, p1.1 * (1.0 - t) + fac),
            (((p0.0 + 2) & 3) + npix - 4, fac),
            (((p1.0 + 2) & 3) + npix - 4, fac),
        ];
    } else {
        let (north, south) = (ring(nside, above), ring(nside, above + 1));
        let t = (theta - north.theta) / (south.theta - north.theta);
        let [p0, p1] = along(&north, phi);
        let [p2, p3] = along(&south, phi);
        w[0] = (p0.0, p0.1 * (1.0 - t));
        w[1] = (p1.0, p1.1 * (1.0 - t));
        w[2] = (p2.0, p2.1 * t);
        w[3] = (p3.0, p3.1 * t);
    }
    w.map(|(ring_hash, weight)| (layer.from_ring(ring_hash), weight))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_sum_to_one_and_reproduce_the_cell_centres() {
        let layer = cdshealpix::nested::get(5);
        for hash in (0..layer.n_hash()).step_by(37) {
            let (lon, lat) = layer.center(hash);
            let w = ring_weights(layer, lon, lat);
            let total: f64 = w.iter().map(|c| c.1).sum();
            assert!((total - 1.0).abs() < 1e-12, "{hash}: {w:?}");
            let own: f64 = w.iter().filter(|c| c.0 == hash).map(|c| c.1).sum();
            assert!((own - 1.0).abs() < 1e-9, "{hash}: {w:?}");
        }
    }
}
