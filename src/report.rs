//! The run report: where a render's time and memory went, what it fetched, and what the
//! image holds, as JSON (`--report`) and as a line for people.

use crate::encode::write_atomically;
use crate::error::{Error, Result};
use crate::raster::{LevelRaster, Raster};
use crate::render::Rendered;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use std::time::Duration;

/// A render's report, ready to serialise.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct RunReport {
    /// Image size, pixels.
    pub width: usize,
    /// Image height, pixels.
    pub height: usize,
    /// The HiPS order read.
    pub order: u8,
    /// The painter.
    pub painter: String,
    /// The tile format read.
    pub tile_format: String,
    /// Seconds per stage (fetch, decode and paint overlap: sums over tiles and jobs).
    pub seconds: Seconds,
    /// CPU time of the process so far (user and system), seconds.
    pub cpu_seconds: Option<f64>,
    /// Peak resident memory of the process so far, MiB.
    pub peak_rss_mib: Option<f64>,
    /// What became of the tiles.
    pub tiles: Tiles,
    /// What the image holds.
    pub image: ImageStats,
    /// Warnings about the image.
    pub warnings: Vec<String>,
}

/// Seconds per stage.
#[derive(Debug, Clone, Serialize)]
pub struct Seconds {
    /// Opening the survey(s).
    pub resolve: f64,
    /// Planning the pixels of each tile.
    pub plan: f64,
    /// Fetching tile bodies, summed over tiles.
    pub fetch: f64,
    /// Decoding tiles, summed over tiles.
    pub decode: f64,
    /// Painting, summed over jobs.
    pub paint: f64,
    /// Encoding and writing the output.
    pub encode: f64,
    /// The whole command, wall time.
    pub total_wall: f64,
}

/// Tile counts.
#[derive(Debug, Clone, Serialize)]
pub struct Tiles {
    /// Planned: the buckets of output pixels and their neighbours.
    pub planned: usize,
    /// Fetched from a server.
    pub fetched: usize,
    /// Read from the disk cache.
    pub from_disk_cache: usize,
    /// Taken decoded from the engine's memory.
    pub from_memory_cache: usize,
    /// Read from a local survey.
    pub local: usize,
    /// Not in the survey.
    pub missing: usize,
    /// Never asked for, being outside the survey's coverage (its `Moc.fits`).
    pub outside_coverage: usize,
    /// Failed to fetch or decode.
    pub failed: usize,
    /// Requests tried again.
    pub retried: u64,
    /// Split by the projective painter into pieces, being too distorted for one.
    pub split: usize,
    /// Bytes fetched from servers.
    pub bytes_fetched: u64,
}

/// Statistics of the image's values.
#[derive(Debug, Clone, Serialize)]
pub struct ImageStats {
    /// The smallest value (`None`: no data at all).
    pub min: Option<f32>,
    /// The largest value.
    pub max: Option<f32>,
    /// The share of pixels without data, 0 to 1.
    pub no_data_fraction: f64,
}

/// The process's CPU time and peak resident memory so far (`None` where the system does not
/// say).
pub fn process_usage() -> (Option<Duration>, Option<u64>) {
    // SAFETY: getrusage writes the struct it is given, which lives on this stack frame.
    let mut usage = unsafe { std::mem::zeroed::<libc::rusage>() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return (None, None);
    }
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    let cpu = time(usage.ru_utime) + time(usage.ru_stime);
    // Linux reports the maximum resident set size in KiB.
    let rss = u64::try_from(usage.ru_maxrss).ok().map(|kib| kib * 1024);
    (Some(cpu), rss)
}

impl RunReport {
    /// The report of `rendered`, which took `wall` in all.
    pub fn of(rendered: &Rendered, wall: Duration) -> RunReport {
        let s = &rendered.stats;
        let (cpu, rss) = process_usage();
        let (min, max, empty) = match &rendered.levels {
            Some(levels) => level_range(levels),
            None => value_range(&rendered.image),
        };
        let pixels = rendered.image.width * rendered.image.height;
        let t = &s.times;
        RunReport {
            width: rendered.image.width,
            height: rendered.image.height,
            order: rendered.order,
            painter: rendered.painter.to_string(),
            tile_format: rendered.tile_format.to_string(),
            seconds: Seconds {
                resolve: t.resolve.as_secs_f64(),
                plan: t.plan.as_secs_f64(),
                fetch: t.fetch.as_secs_f64(),
                decode: t.decode.as_secs_f64(),
                paint: t.paint.as_secs_f64(),
                encode: t.encode.as_secs_f64(),
                total_wall: wall.as_secs_f64(),
            },
            cpu_seconds: cpu.map(|c| c.as_secs_f64()),
            peak_rss_mib: rss.map(|b| b as f64 / f64::from(1 << 20)),
            tiles: Tiles {
                planned: s.tiles_planned,
                fetched: s.fetched,
                from_disk_cache: s.from_cache,
                from_memory_cache: s.from_memory,
                local: s.local,
                missing: s.missing,
                outside_coverage: s.outside_coverage,
                failed: s.failed,
                retried: s.retried,
                split: s.tiles_split,
                bytes_fetched: s.bytes,
            },
            image: ImageStats {
                min,
                max,
                no_data_fraction: if pixels == 0 {
                    1.0
                } else {
                    empty as f64 / pixels as f64
                },
            },
            warnings: rendered.warnings.clone(),
        }
    }

    /// Writes the report as JSON to `path`, atomically.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::Internal(e.to_string()))?;
        write_atomically(path, |tmp| {
            std::fs::write(tmp, &json).map_err(|e| Error::Write {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        })
    }

    /// The report as one line for people.
    pub fn summary(&self) -> String {
        let s = &self.seconds;
        let mut line = format!(
            "time: resolve {:.2} s, plan {:.2}, fetch {:.2}, decode {:.2}, paint {:.2}, encode \
             {:.2}; wall {:.2} s",
            s.resolve, s.plan, s.fetch, s.decode, s.paint, s.encode, s.total_wall
        );
        if let (Some(cpu), Some(rss)) = (self.cpu_seconds, self.peak_rss_mib) {
            line.push_str(&format!(", CPU {cpu:.2} s, peak RSS {rss:.0} MiB"));
        }
        match (self.image.min, self.image.max) {
            (Some(lo), Some(hi)) => line.push_str(&format!(
                "; values {lo} to {hi}, {:.1} % no data",
                self.image.no_data_fraction * 100.0
            )),
            _ => line.push_str("; no data"),
        }
        line
    }
}

/// The least and greatest finite values of `image`, and how many of its pixels have no data
/// (every channel NaN), in one parallel pass (three serial passes through `Option`s and
/// f32::min/max were a sixth of a CLI render's instructions).
fn value_range(image: &Raster) -> (Option<f32>, Option<f32>, usize) {
    let ch = image.channels.max(1);
    let (lo, hi, empty) = image
        .data
        .par_chunks(ch * 16_384)
        .map(|part| value_range_of(part, ch))
        .reduce(
            || (f32::INFINITY, f32::NEG_INFINITY, 0),
            |a, b| (a.0.min(b.0), a.1.max(b.1), a.2 + b.2),
        );
    let any = lo <= hi;
    (any.then_some(lo), any.then_some(hi), empty)
}

/// [`value_range`] of a picture's levels: the least and greatest level of the pixels with data.
fn level_range(levels: &LevelRaster) -> (Option<f32>, Option<f32>, usize) {
    let ch = levels.channels.max(1);
    let (lo, hi, empty) = levels
        .bytes
        .par_chunks(ch * 16_384)
        .zip(levels.has_data.par_chunks(16_384))
        .map(|(part, has_data)| {
            let (mut lo, mut hi, mut empty) = (u8::MAX, u8::MIN, 0);
            for (px, &data) in part.chunks_exact(ch).zip(has_data) {
                if data {
                    px.iter().for_each(|&v| (lo, hi) = (lo.min(v), hi.max(v)));
                }
                empty += usize::from(!data);
            }
            (lo, hi, empty)
        })
        .reduce(
            || (u8::MAX, u8::MIN, 0),
            |a, b| (a.0.min(b.0), a.1.max(b.1), a.2 + b.2),
        );
    let any = empty < levels.has_data.len();
    let value = |v: u8| any.then_some(f32::from(v));
    (value(lo), value(hi), empty)
}

/// [`value_range`] of whole pixels of `ch` samples, serially (∞ and −∞ when none is finite).
fn value_range_of(samples: &[f32], ch: usize) -> (f32, f32, usize) {
    let (mut lo, mut hi, mut empty) = (f32::INFINITY, f32::NEG_INFINITY, 0);
    for px in samples.chunks_exact(ch) {
        let mut no_data = true;
        for &v in px {
            // Comparisons, not f32::min/max, whose NaN handling costs four times as much; v is
            // finite here.
            if v.is_finite() {
                if v < lo {
                    lo = v;
                }
                if v > hi {
                    hi = v;
                }
            }
            no_data &= v.is_nan();
        }
        empty += usize::from(no_data);
    }
    (lo, hi, empty)
}
