//! Test support: an analytic HiPS sky (`analytic.rs`), a fault-injecting tile server, and
//! small image statistics.
#![allow(dead_code)]

mod analytic;
pub mod hostile;
pub mod process;
pub mod server;

#[allow(unused_imports)] // not every test crate uses the analytic sky
pub use analytic::*;
use std::path::{Path, PathBuf};

/// Asserts that two rasters are the same image, sample for sample, bit for bit (NaN included).
pub fn assert_bit_identical(a: &hipscut::Raster, b: &hipscut::Raster, what: &str) {
    assert_eq!(
        (a.width, a.height, a.channels),
        (b.width, b.height, b.channels),
        "{what}: sizes differ"
    );
    let differ = a
        .data
        .iter()
        .zip(&b.data)
        .filter(|(x, y)| x.to_bits() != y.to_bits())
        .count();
    assert_eq!(
        differ, 0,
        "{what}: {differ} samples differ from the reference"
    );
}

/// Field `k` of the benchmarks: the centre of a 1° field within 3° of the Galactic Centre (a
/// fixed pseudo-random sequence over the FermiColor sample tiles).
pub fn galactic_centre_field(k: usize) -> (f64, f64) {
    let mut x = (k as u64 + 1).wrapping_mul(6364136223846793005);
    x ^= x >> 29;
    let u = (x % 10_000) as f64 / 10_000.0;
    let v = ((x / 10_000) % 10_000) as f64 / 10_000.0;
    (266.4 + (u - 0.5) * 6.0, -28.9 + (v - 0.5) * 6.0)
}

/// Pearson correlation of the pairs where both values are finite.
pub fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(&x, &y)| (x as f64, y as f64))
        .collect();
    let n = pairs.len() as f64;
    let (mx, my) = pairs
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x / n, sy + y / n));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    sxy / (sxx * syy).sqrt()
}

/// The shape (NAXISn, last first), the samples and the open file of a FITS file's primary
/// image.
pub fn read_fits(path: &Path) -> (Vec<usize>, Vec<f32>, fitsio::FitsFile) {
    let mut f = fitsio::FitsFile::open(path).unwrap();
    let hdu = f.primary_hdu().unwrap();
    let shape = match &hdu.info {
        fitsio::hdu::HduInfo::ImageInfo { shape, .. } => shape.clone(),
        _ => panic!("not an image"),
    };
    let data: Vec<f32> = hdu.read_image(&mut f).unwrap();
    (shape, data, f)
}

/// A number card of a FITS file's primary header.
pub fn key_f64(f: &mut fitsio::FitsFile, key: &str) -> f64 {
    f.primary_hdu().unwrap().read_key::<f64>(f, key).unwrap()
}

/// A string card of a FITS file's primary header.
pub fn key_str(f: &mut fitsio::FitsFile, key: &str) -> String {
    f.primary_hdu().unwrap().read_key::<String>(f, key).unwrap()
}

/// The shared sample data of the repository.
pub fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
