//! Bilinear interpolation of 8-bit RGB tiles eight pixels at a time, with AVX2 gathers: the
//! projective painter's samples, where the scalar lerps of `image.rs` took half its time. The
//! same operations as those lerps, lane by lane (no fused multiply-add), so the same values.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// Quads per call: the painter's span of pixels.
pub(crate) const LANES: usize = 16;

/// The quads of `LANES` pixels: top-left sample (row `i0`, column `j0`) and the fractions down
/// (`fu`) and across (`fv`). Every lane is interpolated: a lane whose quad is not inside the tile
/// gets a value that means nothing (its loads are kept inside the tile all the same).
pub(crate) struct QuadLanes<'a> {
    pub i0: &'a [i32; LANES],
    pub j0: &'a [i32; LANES],
    pub fu: &'a [f32; LANES],
    pub fv: &'a [f32; LANES],
}

/// Proof that the CPU has AVX2: made only by [`Avx2::detect`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Avx2(());

impl Avx2 {
    /// The proof, where the CPU has AVX2.
    pub(crate) fn detect() -> Option<Avx2> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Some(Avx2(()));
        }
        None
    }
}

/// Interpolates the lanes of `quads` in the RGB tile `data` (`width` pixels a side) into `out`
/// (red, green, blue and 0 per lane). False, writing
/// nothing, where the tile is not `width`² RGB pixels or too large for 32-bit offsets.
pub(crate) fn lerp_rgb8(
    _cpu: Avx2,
    data: &[u8],
    width: usize,
    quads: &QuadLanes<'_>,
    out: &mut [[f32; 4]; LANES],
) -> bool {
    if !(2..=16_384).contains(&width) || data.len() != width * width * 3 {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `Avx2` proves the CPU has AVX2; the sizes were checked above.
        unsafe { lerp_rgb8_avx2(data, width, quads, out) };
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// [`lerp_rgb8`], eight lanes at a time.
///
/// # Safety
/// The CPU must have AVX2; `data` must hold `width`² RGB pixels, `width` in 2..=16384.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lerp_rgb8_avx2(
    data: &[u8],
    width: usize,
    q: &QuadLanes<'_>,
    out: &mut [[f32; 4]; LANES],
) {
    // Offsets are clamped to where six bytes remain, whatever the lanes say: every load stays
    // inside the tile (a lane outside it gets values it does not use).
    let last = _mm256_set1_epi32((data.len() - 6) as i32);
    let (zero, two) = (_mm256_setzero_si256(), _mm256_set1_epi32(2));
    let row = _mm256_set1_epi32((width * 3) as i32);
    let base = data.as_ptr().cast::<i32>();
    // Byte `k` of each lane, as a float.
    macro_rules! byte {
        ($v:expr, $k:literal) => {
            _mm256_cvtepi32_ps(_mm256_and_si256(
                _mm256_srli_epi32::<{ 8 * $k }>($v),
                _mm256_set1_epi32(0xff),
            ))
        };
    }
    for half in 0..LANES / 8 {
        let at = half * 8;
        // SAFETY: loads of eight lanes from arrays of LANES (at + 8 ≤ LANES); gathers of four
        // bytes at offsets clamped to [0, len − 6], plus 0 or 2: inside `data`.
        let (ta, tb, ba, bb, fu, fv) = unsafe {
            let i0 = _mm256_loadu_si256(q.i0.as_ptr().add(at).cast());
            let j0 = _mm256_loadu_si256(q.j0.as_ptr().add(at).cast());
            let clamp = |x| _mm256_max_epi32(zero, _mm256_min_epi32(x, last));
            let j3 = _mm256_add_epi32(j0, _mm256_add_epi32(j0, j0));
            let top = clamp(_mm256_add_epi32(_mm256_mullo_epi32(i0, row), j3));
            let bottom = clamp(_mm256_add_epi32(top, row));
            // Bytes 0–3 of each row of the quad (r0 g0 b0 r1), and bytes 2–5 (b0 r1 g1 b1).
            (
                _mm256_i32gather_epi32::<1>(base, top),
                _mm256_i32gather_epi32::<1>(base, _mm256_add_epi32(top, two)),
                _mm256_i32gather_epi32::<1>(base, bottom),
                _mm256_i32gather_epi32::<1>(base, _mm256_add_epi32(bottom, two)),
                _mm256_loadu_ps(q.fu.as_ptr().add(at)),
                _mm256_loadu_ps(q.fv.as_ptr().add(at)),
            )
        };
        // Each channel's (left, right) samples of the upper and the lower row.
        let channels = [
            [byte!(ta, 0), byte!(ta, 3), byte!(ba, 0), byte!(ba, 3)],
            [byte!(ta, 1), byte!(tb, 2), byte!(ba, 1), byte!(bb, 2)],
            [byte!(ta, 2), byte!(tb, 3), byte!(ba, 2), byte!(bb, 3)],
        ];
        let mut values = [[0f32; 8]; 3];
        for ([t0, t1, b0, b1], value) in channels.into_iter().zip(&mut values) {
            // As `lerp_quad`: t0 + fv (t1 − t0), b0 + fv (b1 − b0), then across by fu.
            let upper = _mm256_add_ps(t0, _mm256_mul_ps(fv, _mm256_sub_ps(t1, t0)));
            let lower = _mm256_add_ps(b0, _mm256_mul_ps(fv, _mm256_sub_ps(b1, b0)));
            let v = _mm256_add_ps(upper, _mm256_mul_ps(fu, _mm256_sub_ps(lower, upper)));
            // SAFETY: eight floats into an array of eight.
            unsafe { _mm256_storeu_ps(value.as_mut_ptr(), v) };
        }
        for (k, pixel) in out.iter_mut().skip(at).take(8).enumerate() {
            *pixel = [values[0][k], values[1][k], values[2][k], 0.0];
        }
    }
}
