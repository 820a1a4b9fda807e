//! The second-order correction of a piece's homography: the projection of the HEALPix grid is
//! curved, so a homography solved at a piece's corners errs by an amount that grows with the
//! square of the piece's size. Its errors at the edge midpoints and the centre (zero at the
//! corners) define a biquadratic field over the piece, which is subtracted.

/// The homography's error, tile pixels, over a piece: a biquadratic polynomial in the piece's
/// relative coordinates (s, t) ∈ [0, 1]², through the errors at the edge midpoints and the
/// centre and zero at the corners.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Correction {
    /// `coefficients[i][j]` multiplies sⁱ tʲ, for the u and v errors.
    coefficients: [[(f64, f64); 3]; 3],
}

/// The quadratic Lagrange polynomials through 0, ½ and 1, as the coefficients of 1, x and x².
const LAGRANGE: [[f64; 3]; 3] = [[1.0, -3.0, 2.0], [0.0, 4.0, -4.0], [0.0, -1.0, 2.0]];

impl Correction {
    /// From the homography's errors at (½, 0), (½, 1), (0, ½), (1, ½) and (½, ½) of the piece,
    /// in that order.
    pub(crate) fn new(nodes: [(f64, f64); 5]) -> Self {
        // The Lagrange polynomial (index in `LAGRANGE`) in s and in t of each node.
        let basis = [(1, 0), (1, 2), (0, 1), (2, 1), (1, 1)];
        let mut coefficients = [[(0.0, 0.0); 3]; 3];
        for (&(ls, lt), node) in basis.iter().zip(&nodes) {
            for (i, row) in coefficients.iter_mut().enumerate() {
                for (j, c) in row.iter_mut().enumerate() {
                    let w = LAGRANGE[ls][i] * LAGRANGE[lt][j];
                    c.0 += w * node.0;
                    c.1 += w * node.1;
                }
            }
        }
        Correction { coefficients }
    }

    /// The error at the piece's relative position (s, t) (Horner's scheme, 16 multiply-adds).
    #[inline]
    pub(crate) fn at(&self, s: f64, t: f64) -> (f64, f64) {
        let c = &self.coefficients;
        let in_s = |j: usize| {
            (
                c[0][j].0 + s * (c[1][j].0 + s * c[2][j].0),
                c[0][j].1 + s * (c[1][j].1 + s * c[2][j].1),
            )
        };
        let (r0, r1, r2) = (in_s(0), in_s(1), in_s(2));
        (r0.0 + t * (r1.0 + t * r2.0), r0.1 + t * (r1.1 + t * r2.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_its_nodes_and_vanishes_at_the_corners() {
        let nodes = [
            (1.0, -1.0),
            (2.0, 0.5),
            (-3.0, 4.0),
            (0.25, 7.0),
            (5.0, -2.0),
        ];
        let c = Correction::new(nodes);
        let at = [(0.5, 0.0), (0.5, 1.0), (0.0, 0.5), (1.0, 0.5), (0.5, 0.5)];
        for (&(s, t), &n) in at.iter().zip(&nodes) {
            let e = c.at(s, t);
            assert!((e.0 - n.0).abs() < 1e-12 && (e.1 - n.1).abs() < 1e-12);
        }
        for (s, t) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
            let e = c.at(s, t);
            assert!(e.0.abs() < 1e-12 && e.1.abs() < 1e-12, "{e:?} at a corner");
        }
        // A field quadratic in s and t is reproduced exactly between the nodes.
        let field = |s: f64, t: f64| {
            (
                s * (1.0 - s) * 3.0 + t * (1.0 - t),
                s * t * (1.0 - s) * (1.0 - t),
            )
        };
        let c = Correction::new(at.map(|(s, t)| field(s, t)));
        let (e, f) = (c.at(0.3, 0.8), field(0.3, 0.8));
        assert!((e.0 - f.0).abs() < 1e-12 && (e.1 - f.1).abs() < 1e-12);
    }
}
