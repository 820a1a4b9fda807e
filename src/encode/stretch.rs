//! Mapping float pixel values to 8-bit display levels.

/// A linear map from [lo, hi] onto [0, 255].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LinearStretch {
    pub lo: f32,
    pub hi: f32,
}

impl LinearStretch {
    /// The identity on 8-bit data (JPEG/PNG tiles).
    pub(crate) const BYTES: LinearStretch = LinearStretch { lo: 0.0, hi: 255.0 };

    /// The stretch between the `lo_pct` and `hi_pct` percentiles of the finite values.
    pub(crate) fn percentiles(values: &[f32], lo_pct: f64, hi_pct: f64) -> Option<LinearStretch> {
        let mut finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if finite.is_empty() {
            return None;
        }
        let at = |p: f64, finite: &mut Vec<f32>| {
            let k = ((p / 100.0) * (finite.len() - 1) as f64).round() as usize;
            *finite.select_nth_unstable_by(k, f32::total_cmp).1
        };
        let lo = at(lo_pct, &mut finite);
        let hi = at(hi_pct, &mut finite);
        Some(LinearStretch { lo, hi })
    }

    /// The 8-bit level of `v` (NaN maps to 0; the caller marks it transparent).
    #[inline]
    pub(crate) fn apply(&self, v: f32) -> u8 {
        if v.is_nan() {
            return 0;
        }
        let span = self.hi - self.lo;
        let t = if span > 0.0 {
            (v - self.lo) / span
        } else {
            0.5
        };
        (t.clamp(0.0, 1.0) * 255.0).round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_stretch_clips_the_tails() {
        let mut v: Vec<f32> = (0..1000).map(|x| x as f32).collect();
        v.push(f32::NAN);
        v[999] = 1e9; // an outlier must not flatten the rest
        let s = LinearStretch::percentiles(&v, 0.5, 99.5).unwrap();
        assert!(
            s.lo >= 4.0 && s.lo <= 6.0 && s.hi >= 993.0 && s.hi <= 995.0,
            "{s:?}"
        );
        assert_eq!(s.apply(-5.0), 0);
        assert_eq!(s.apply(1e9), 255);
        assert_eq!(LinearStretch::BYTES.apply(128.0), 128);
        assert!(LinearStretch::percentiles(&[f32::NAN], 0.5, 99.5).is_none());
    }
}
