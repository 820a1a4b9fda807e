//! Plane homographies from four point pairs (nalgebra), as used to map output pixels into tiles.

use nalgebra::{Matrix3, SMatrix, SVector, Vector3};

/// A projective map of the plane.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Homography(Matrix3<f64>);

/// A similarity that centres points on their mean and scales them to unit spread, which keeps
/// the 8×8 solve well conditioned.
fn normaliser(points: &[(f64, f64); 4]) -> Matrix3<f64> {
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0 / 4.0, b + p.1 / 4.0));
    let spread = points
        .iter()
        .map(|p| ((p.0 - mx).powi(2) + (p.1 - my).powi(2)).sqrt())
        .sum::<f64>()
        / 4.0;
    let s = if spread > 0.0 { 1.0 / spread } else { 1.0 };
    Matrix3::new(s, 0.0, -s * mx, 0.0, s, -s * my, 0.0, 0.0, 1.0)
}

impl Homography {
    /// The homography taking each `from[k]` to `to[k]`; `None` if the points are degenerate.
    pub(crate) fn from_pairs(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Option<Self> {
        let (tf, tt) = (normaliser(&from), normaliser(&to));
        let apply = |m: &Matrix3<f64>, p: (f64, f64)| {
            let v = m * Vector3::new(p.0, p.1, 1.0);
            (v.x, v.y)
        };
        let mut a = SMatrix::<f64, 8, 8>::zeros();
        let mut b = SVector::<f64, 8>::zeros();
        for k in 0..4 {
            let (x, y) = apply(&tf, from[k]);
            let (u, v) = apply(&tt, to[k]);
            let r = 2 * k;
            a.row_mut(r)
                .copy_from_slice(&[x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y]);
            a.row_mut(r + 1)
                .copy_from_slice(&[0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y]);
            b[r] = u;
            b[r + 1] = v;
        }
        let h = a.lu().solve(&b)?;
        let normalised = Matrix3::new(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0);
        let m = tt.try_inverse()? * normalised * tf;
        m.iter().all(|x| x.is_finite()).then_some(Homography(m))
    }

    /// The image of (x, y).
    #[inline]
    pub(crate) fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.0;
        // One division, not two: the painter's inner loop calls this for every pixel.
        let w = 1.0 / (m[(2, 0)] * x + m[(2, 1)] * y + m[(2, 2)]);
        (
            (m[(0, 0)] * x + m[(0, 1)] * y + m[(0, 2)]) * w,
            (m[(1, 0)] * x + m[(1, 1)] * y + m[(1, 2)]) * w,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_four_points_and_keeps_lines_straight() {
        let from = [(10.0, 20.0), (300.0, 35.0), (20.0, 250.0), (320.0, 280.0)];
        let to = [(0.0, 0.0), (512.0, 0.0), (0.0, 512.0), (512.0, 512.0)];
        let h = Homography::from_pairs(from, to).unwrap();
        for k in 0..4 {
            let (u, v) = h.apply(from[k].0, from[k].1);
            assert!((u - to[k].0).abs() < 1e-9 && (v - to[k].1).abs() < 1e-9);
        }
        // The midpoint of an edge in `from` maps onto the matching edge in `to`.
        let (u, v) = h.apply(155.0, 27.5);
        assert!(v.abs() < 1e-9 && u > 0.0 && u < 512.0, "{u} {v}");
        assert!(Homography::from_pairs([(0.0, 0.0); 4], to).is_none());
    }
}
