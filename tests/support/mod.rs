//! Test support: an analytic HiPS sky written as FITS tiles, a fault-injecting tile server,
//! and small image statistics.
#![allow(dead_code)]

pub mod hostile;
pub mod process;
pub mod server;

use hipscut::internals::{cell_of_pixel, lonlat_to_xyz, TileId};
use hipscut::Frame;
use std::io::Write;
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

/// A smooth function of the sky direction (a polynomial in x, y, z): no seam at lon 0/360, no
/// singularity at the poles.
pub fn analytic(v: [f64; 3]) -> f64 {
    let [x, y, z] = v;
    100.0 + 30.0 * x + 20.0 * y + 10.0 * z + 15.0 * x * y - 12.0 * y * z + 8.0 * z * z
}

/// |∇f| along the sphere (per radian) of [`analytic`] at `v`: the 3-D gradient less its
/// radial part.
pub fn analytic_gradient(v: [f64; 3]) -> f64 {
    let [x, y, z] = v;
    let g = [
        30.0 + 15.0 * y,
        20.0 + 15.0 * x - 12.0 * z,
        10.0 - 12.0 * y + 16.0 * z,
    ];
    let radial = g[0] * x + g[1] * y + g[2] * z;
    (0..3)
        .map(|k| (g[k] - radial * v[k]).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Options of the analytic survey.
pub struct AnalyticSurvey {
    pub frame: Frame,
    pub tile_width: usize,
    /// Orders that get tiles written (all tiles of each).
    pub orders: Vec<u8>,
    pub order_max: u8,
    /// Tiles left out (to exercise fallback).
    pub skip: Vec<TileId>,
    /// Write the tiles gzip-compressed under their `.fits` names.
    pub gzip: bool,
    /// Store FITS rows top-down, as a JPEG would (wrong for FITS): a negative control.
    pub unflipped: bool,
    /// Also write `Norder{order_max}/Allsky.fits` from the tiles of `order_max`.
    pub allsky: bool,
    /// Only write tiles whose centre lies within this many degrees of this direction.
    pub near: Option<([f64; 3], f64)>,
}

impl Default for AnalyticSurvey {
    fn default() -> Self {
        AnalyticSurvey {
            frame: Frame::Icrs,
            tile_width: 64,
            orders: vec![1],
            order_max: 1,
            skip: vec![],
            gzip: false,
            unflipped: false,
            allsky: false,
            near: None,
        }
    }
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

/// Builds a FITS file (BITPIX −32, no trailing padding, as real CDS tiles) from rows in file
/// order.
pub fn fits_f32(width: usize, height: usize, file_rows: &[f32]) -> Vec<u8> {
    let cards = [
        "SIMPLE  =                    T".to_string(),
        "BITPIX  =                  -32".to_string(),
        "NAXIS   =                    2".to_string(),
        format!("NAXIS1  = {width:>20}"),
        format!("NAXIS2  = {height:>20}"),
        "BUNIT   = 'MJy/sr'".to_string(),
        "END".to_string(),
    ];
    let mut out: Vec<u8> = cards
        .iter()
        .flat_map(|c| format!("{c:<80}").into_bytes())
        .collect();
    out.resize(2880, b' ');
    for v in file_rows {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

impl AnalyticSurvey {
    /// Every tile of orders 0–2 (64-px FITS tiles): a survey whose renders can fall back.
    pub fn three_orders() -> Self {
        AnalyticSurvey {
            orders: vec![0, 1, 2],
            order_max: 2,
            ..Default::default()
        }
    }

    /// Writes the survey under `dir` and returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let root = dir.join("analytic");
        std::fs::create_dir_all(&root).unwrap();
        let frame = match self.frame {
            Frame::Icrs => "equatorial",
            Frame::Galactic => "galactic",
            Frame::Ecliptic => "ecliptic",
        };
        let order_min = self.orders.iter().copied().min().unwrap_or(self.order_max);
        std::fs::write(
            root.join("properties"),
            format!(
                "creator_did = ivo://test/analytic\nobs_title = Analytic sky\nhips_order = {}\n\
                 hips_order_min = {order_min}\nhips_tile_width = {}\nhips_tile_format = fits\n\
                 hips_frame = {frame}\nobs_copyright = generated by the tests\n",
                self.order_max, self.tile_width
            ),
        )
        .unwrap();
        let w = self.tile_width;
        let tile_depth = w.trailing_zeros() as u8;
        if self.allsky {
            self.write_allsky(&root);
        }
        for &order in &self.orders {
            let layer = cdshealpix::nested::get(order + tile_depth);
            for ipix in 0..(12u64 << (2 * order)) {
                let id = TileId::new(order, ipix);
                if self.skip.contains(&id) {
                    continue;
                }
                if let Some((centre, radius)) = self.near {
                    let (lon, lat) = cdshealpix::nested::get(order).center(ipix);
                    let v = lonlat_to_xyz(lon, lat);
                    let cos = (0..3).map(|k| v[k] * centre[k]).sum::<f64>();
                    if cos < radius.to_radians().cos() {
                        continue;
                    }
                }
                // File row r holds tile row i = W − 1 − r (conventions note).
                let mut rows = vec![0f32; w * w];
                for i in 0..w {
                    for j in 0..w {
                        let (lon, lat) = layer.center(cell_of_pixel(id, tile_depth, i, j));
                        let r = if self.unflipped { i } else { w - 1 - i };
                        rows[r * w + j] = analytic(lonlat_to_xyz(lon, lat)) as f32;
                    }
                }
                let mut bytes = fits_f32(w, w, &rows);
                if self.gzip {
                    let mut gz =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    gz.write_all(&bytes).unwrap();
                    bytes = gz.finish().unwrap();
                }
                let path = root.join(id.path(hipscut::TileFormat::Fits));
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, bytes).unwrap();
            }
        }
        root
    }
}

impl AnalyticSurvey {
    /// An Allsky of `order_max` with 16-pixel cells, in FITS (flipped as a whole image).
    fn write_allsky(&self, root: &Path) {
        let order = self.order_max;
        let cell = 16usize;
        let n_tiles = 12usize << (2 * order);
        let cols = hipscut::internals::allsky_grid_columns(order);
        let rows = n_tiles.div_ceil(cols);
        let (width, height) = (cols * cell, rows * cell);
        let layer = cdshealpix::nested::get(order + 4);
        let mut display = vec![f32::NAN; width * height];
        for n in 0..n_tiles {
            let id = TileId::new(order, n as u64);
            let (r0, c0) = ((n / cols) * cell, (n % cols) * cell);
            for i in 0..cell {
                for j in 0..cell {
                    let (lon, lat) = layer.center(cell_of_pixel(id, 4, i, j));
                    display[(r0 + i) * width + c0 + j] = analytic(lonlat_to_xyz(lon, lat)) as f32;
                }
            }
        }
        let file_rows: Vec<f32> = (0..height)
            .rev()
            .flat_map(|r| display[r * width..(r + 1) * width].to_vec())
            .collect();
        let dir = root.join(format!("Norder{order}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Allsky.fits"), fits_f32(width, height, &file_rows)).unwrap();
    }
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

/// The shared sample data of the repository.
pub fn data_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
