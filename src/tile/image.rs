//! A decoded tile, held as compactly as its values allow: 8-bit samples where every value is an
//! integer from 0 to 255 with data (JPEG tiles, opaque PNG tiles, 8-bit FITS), a quarter of
//! float32's memory; float32 otherwise (FITS, and tiles with no-data pixels, held as NaN).

use super::gather::{lerp_rgb8, Avx2, QuadLanes, LANES};
use crate::raster::Raster;

/// The samples of a tile, row by row, `channels` per pixel.
#[derive(Debug, Clone)]
enum Samples {
    Bytes(Vec<u8>),
    Floats(Vec<f32>),
}

/// A square tile (or Allsky cell) of `width` pixels a side.
#[derive(Debug, Clone)]
pub(crate) struct TileImage {
    pub width: usize,
    pub channels: usize,
    samples: Samples,
}

impl TileImage {
    /// The tile of `raster` (square), as bytes when every value fits one exactly.
    pub(crate) fn new(raster: Raster) -> TileImage {
        // A saturating cast and back: no libm `truncf` call per sample (baseline x86-64 has no
        // rounding instruction), and NaN fails it.
        let fits_a_byte = |v: &f32| (*v as u8) as f32 == *v;
        let samples = if raster.data.iter().all(fits_a_byte) {
            Samples::Bytes(raster.data.iter().map(|&v| v as u8).collect())
        } else {
            Samples::Floats(raster.data)
        };
        TileImage {
            width: raster.width,
            channels: raster.channels,
            samples,
        }
    }

    /// A tile of `width` px a side whose `channels` samples per pixel are the 8-bit `levels`,
    /// every pixel with data; `None` if they are not `width`² pixels.
    pub(crate) fn of_levels(width: usize, channels: usize, levels: Vec<u8>) -> Option<TileImage> {
        (levels.len() == width * width * channels).then_some(TileImage {
            width,
            channels,
            samples: Samples::Bytes(levels),
        })
    }

    /// Bytes held, for the cache's bound.
    pub(crate) fn bytes(&self) -> usize {
        match &self.samples {
            Samples::Bytes(b) => b.len(),
            Samples::Floats(f) => 4 * f.len(),
        }
    }

    /// Whether the tile is held as 8-bit samples.
    #[cfg(test)]
    pub(crate) fn is_compact(&self) -> bool {
        matches!(self.samples, Samples::Bytes(_))
    }

    /// The samples of pixel (row `i`, column `j`); the first `channels` are meaningful.
    #[inline]
    pub(crate) fn pixel(&self, i: usize, j: usize) -> [f32; 4] {
        let at = (i * self.width + j) * self.channels;
        let mut px = [0f32; 4];
        match &self.samples {
            Samples::Bytes(b) => {
                for (p, &v) in px.iter_mut().zip(&b[at..at + self.channels]) {
                    *p = v as f32;
                }
            }
            Samples::Floats(f) => px[..self.channels].copy_from_slice(&f[at..at + self.channels]),
        }
        px
    }

    /// Bilinear interpolation between pixels (i0, j0) and (i0 + 1, j0 + 1), at fractions `fu`
    /// down and `fv` across, into `out` (one value per channel); false where the quad leaves
    /// the tile or a value is no data.
    #[inline]
    pub(crate) fn bilinear(&self, i0: usize, j0: usize, fu: f32, fv: f32, out: &mut [f32]) -> bool {
        let (at, f) = ((i0, j0), (fu, fv));
        // One copy per channel count, so that the compiler unrolls the channels.
        match (&self.samples, self.channels) {
            (Samples::Bytes(b), 3) => lerp_quad::<u8, 3>(b, self.width, at, f, out),
            (Samples::Bytes(b), 1) => lerp_quad::<u8, 1>(b, self.width, at, f, out),
            (Samples::Floats(v), 3) => lerp_quad::<f32, 3>(v, self.width, at, f, out),
            (Samples::Floats(v), 1) => lerp_quad::<f32, 1>(v, self.width, at, f, out),
            _ => false,
        }
    }
}

/// A tile's bilinear quads, its sample type and channel count known when compiled, so that a
/// loop over many pixels dispatches on them once (see [`TileImage::with_quads`]).
pub(crate) struct Quads<'a, T, const CH: usize> {
    data: &'a [T],
    width: usize,
}

/// Bilinear interpolation in one tile, as [`TileImage::bilinear`] does it.
pub(crate) trait QuadLerp {
    /// [`TileImage::bilinear`] of the tile.
    fn lerp(&self, i0: usize, j0: usize, fu: f32, fv: f32, out: &mut [f32]) -> bool;

    /// [`QuadLerp::lerp`] of every lane of `quads` into `out` (values that mean nothing where
    /// a quad is not inside the tile), in vector lanes: 8-bit RGB tiles; false, writing nothing,
    /// where the tile's type has no such path.
    fn lerp_lanes(&self, _cpu: Avx2, _quads: &QuadLanes<'_>, _out: &mut [[f32; 4]; LANES]) -> bool {
        false
    }
}

impl<T: Sample, const CH: usize> QuadLerp for Quads<'_, T, CH> {
    #[inline(always)]
    fn lerp(&self, i0: usize, j0: usize, fu: f32, fv: f32, out: &mut [f32]) -> bool {
        lerp_quad::<T, CH>(self.data, self.width, (i0, j0), (fu, fv), out)
    }

    #[inline(always)]
    fn lerp_lanes(&self, cpu: Avx2, quads: &QuadLanes<'_>, out: &mut [[f32; 4]; LANES]) -> bool {
        match T::bytes(self.data) {
            Some(bytes) if CH == 3 => lerp_rgb8(cpu, bytes, self.width, quads, out),
            _ => false,
        }
    }
}

/// Work that runs on a tile's [`Quads`] of whichever type the tile holds.
pub(crate) trait WithQuads {
    /// What the work gives.
    type Output;
    /// Runs the work on `quads`.
    fn run(self, quads: &impl QuadLerp) -> Self::Output;
}

impl TileImage {
    /// Runs `work` on this tile's quads; `None` for a channel count painters never make.
    pub(crate) fn with_quads<W: WithQuads>(&self, work: W) -> Option<W::Output> {
        let width = self.width;
        Some(match (&self.samples, self.channels) {
            (Samples::Bytes(data), 3) => work.run(&Quads::<u8, 3> { data, width }),
            (Samples::Bytes(data), 1) => work.run(&Quads::<u8, 1> { data, width }),
            (Samples::Floats(data), 3) => work.run(&Quads::<f32, 3> { data, width }),
            (Samples::Floats(data), 1) => work.run(&Quads::<f32, 1> { data, width }),
            _ => return None,
        })
    }
}

/// Two lerps along the rows and one across, in f32 (the projective painter's hot loop), for
/// pixels of `CH` channels.
#[inline]
fn lerp_quad<T: Sample, const CH: usize>(
    data: &[T],
    width: usize,
    (i0, j0): (usize, usize),
    (fu, fv): (f32, f32),
    out: &mut [f32],
) -> bool {
    let at = (i0 * width + j0) * CH;
    let below = at + width * CH;
    let (Some(top), Some(bottom), Some(out)) = (
        data.get(at..at + 2 * CH),
        data.get(below..below + 2 * CH),
        out.get_mut(..CH),
    ) else {
        return false;
    };
    let mut value = [0f32; CH];
    for (c, v) in value.iter_mut().enumerate() {
        let (t0, t1): (f32, f32) = (top[c].into(), top[CH + c].into());
        let (b0, b1): (f32, f32) = (bottom[c].into(), bottom[CH + c].into());
        let upper = t0 + fv * (t1 - t0);
        let lower = b0 + fv * (b1 - b0);
        *v = upper + fu * (lower - upper);
    }
    if T::MAY_BE_NO_DATA && value.iter().any(|v| v.is_nan()) {
        return false;
    }
    out.copy_from_slice(&value);
    true
}

/// A tile's sample type.
pub(crate) trait Sample: Copy + Into<f32> {
    /// Whether a sample may be no data (NaN): bytes always hold data.
    const MAY_BE_NO_DATA: bool;
    /// The samples as bytes, if they are.
    fn bytes(samples: &[Self]) -> Option<&[u8]>;
}

impl Sample for u8 {
    const MAY_BE_NO_DATA: bool = false;
    fn bytes(samples: &[u8]) -> Option<&[u8]> {
        Some(samples)
    }
}

impl Sample for f32 {
    const MAY_BE_NO_DATA: bool = true;
    fn bytes(_: &[f32]) -> Option<&[u8]> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(data: Vec<f32>) -> Raster {
        Raster {
            width: 2,
            height: 2,
            channels: 1,
            data,
        }
    }

    #[test]
    fn eight_bit_values_are_held_as_bytes_and_read_back_the_same() {
        let t = TileImage::new(raster(vec![0.0, 255.0, 17.0, 3.0]));
        assert!(t.is_compact());
        assert_eq!(t.bytes(), 4);
        assert_eq!(t.pixel(1, 0)[0], 17.0);
        let mut out = [0f32];
        assert!(t.bilinear(0, 0, 0.5, 0.5, &mut out));
        assert_eq!(out[0], (0.0 + 255.0 + 17.0 + 3.0) / 4.0);
    }

    #[test]
    fn no_data_fractions_and_large_values_stay_float() {
        for data in [
            vec![0.0, f32::NAN, 1.0, 2.0],
            vec![0.5, 1.0, 1.0, 2.0],
            vec![256.0, 1.0, 1.0, 2.0],
            vec![-1.0, 1.0, 1.0, 2.0],
        ] {
            let t = TileImage::new(raster(data.clone()));
            assert!(!t.is_compact(), "{data:?}");
            assert_eq!(t.bytes(), 16);
        }
        let t = TileImage::new(raster(vec![0.0, f32::NAN, 1.0, 2.0]));
        let mut out = [0f32];
        assert!(!t.bilinear(0, 0, 0.5, 0.5, &mut out), "a no-data corner");
        assert!(!t.bilinear(1, 0, 0.5, 0.5, &mut out), "out of the tile");
    }
}
