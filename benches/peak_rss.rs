//! Peak memory of a 4000×4000 render through the pipeline, at a forced tile order (3: about
//! 300 tiles of 256 px; 2: four times fewer). Run each order in its own process and compare:
//!
//!     cargo bench --bench peak_rss -- 3
//!     cargo bench --bench peak_rss -- 2
//!
//! Prints the process's peak resident memory (VmHWM), the most decoded tiles held at once,
//! and the tile count.

#[path = "../tests/support/mod.rs"]
mod support;

use hipscut::internals::lonlat_to_xyz;
use hipscut::{render, Projection, RenderRequest, Survey, View};
use support::AnalyticSurvey;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let order: u8 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3);
    let (lon, lat) = (30.0f64, 20.0f64);
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey {
        orders: vec![order],
        order_max: 3,
        tile_width: 256,
        near: Some((lonlat_to_xyz(lon.to_radians(), lat.to_radians()), 100.0)),
        ..Default::default()
    }
    .write(dir.path());
    let before = peak_rss_mib();
    let survey = Survey::open(Some(root.to_str().unwrap())).unwrap();
    let req = RenderRequest::new(
        View::default()
            .centre(lon, lat)
            .fov(130.0)
            .size(4000, 4000)
            .projection(Projection::Arc),
    )
    .order(order);
    let t = std::time::Instant::now();
    let r = render(&survey, &req).unwrap();
    println!(
        "order {order}: {} tiles read, peak {} decoded tiles held, peak RSS {:.0} MiB \
         (after writing the survey: {before:.0} MiB; output image {:.0} MiB), {:.1} s",
        r.stats.local,
        r.stats.peak_tiles_held,
        peak_rss_mib(),
        (r.image.data.len() * 4) as f64 / (1 << 20) as f64,
        t.elapsed().as_secs_f64()
    );
}
