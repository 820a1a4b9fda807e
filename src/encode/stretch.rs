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
    fn bytes_round_to_the_nearest_level() {
        assert_eq!(LinearStretch::BYTES.apply(128.0), 128);
        assert_eq!(LinearStretch::BYTES.apply(10.5), 11);
        assert_eq!(LinearStretch::BYTES.apply(-5.0), 0);
        assert_eq!(LinearStretch::BYTES.apply(1e9), 255);
        assert_eq!(LinearStretch::BYTES.apply(f32::NAN), 0);
    }
}
