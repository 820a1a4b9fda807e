//! The second-order correction of a piece's homography: the projection of the HEALPix grid is
//! curved, so a homography solved at a piece's corners errs by an amount that grows with the
//! square of the piece's size. Its errors at the edge midpoints and the centre (zero at the
//! corners) define a biquadratic field over the piece, which is subtracted.

/// The homography's error, tile pixels, at a piece's edge midpoints and centre.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Correction {
    /// At (½, 0), (½, 1), (0, ½), (1, ½) and (½, ½) of the piece, in that order.
    nodes: [(f64, f64); 5],
}

/// The three quadratic Lagrange polynomials through 0, ½ and 1.
#[inline]
fn lagrange(x: f64) -> [f64; 3] {
    [
        2.0 * (x - 0.5) * (x - 1.0),
        4.0 * x * (1.0 - x),
        2.0 * x * (x - 0.5),
    ]
}

impl Correction {
    /// From the homography's errors at the nodes (see [`Correction::nodes`]).
    pub(crate) fn new(nodes: [(f64, f64); 5]) -> Self {
        Correction { nodes }
    }

    /// The error at the piece's relative position (s, t) in [0, 1]², interpolated
    /// biquadratically (zero at the corners).
    #[inline]
    pub(crate) fn at(&self, s: f64, t: f64) -> (f64, f64) {
        let (ls, lt) = (lagrange(s), lagrange(t));
        let weights = [
            ls[1] * lt[0],
            ls[1] * lt[2],
            ls[0] * lt[1],
            ls[2] * lt[1],
            ls[1] * lt[1],
        ];
        let mut e = (0.0, 0.0);
        for (w, n) in weights.iter().zip(&self.nodes) {
            e.0 += w * n.0;
            e.1 += w * n.1;
        }
        e
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
            assert_eq!(c.at(s, t), (0.0, 0.0));
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
