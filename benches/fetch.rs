//! Fetch benchmarks against the local test tile server (tests/support/server.rs):
//! - a cold render of a field of about 100 tiles with 20 ms of latency per request and a
//!   concurrency of 16, to compare with the bound ⌈tiles/16⌉ × 20 ms + decoding time;
//! - decoding those tiles alone (for that bound);
//! - the same render served by the disk cache, against the render from a local folder.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use hipscut::internals::{decode_raster, Shape};
use hipscut::{render, FetchOptions, OpenOptions, RenderRequest, Survey, TileFormat, View};
use rayon::prelude::*;
use std::time::Duration;
use support::server::{Fault, TestServer};
use support::AnalyticSurvey;

fn options(cache: Option<&std::path::Path>) -> OpenOptions {
    OpenOptions {
        fetch: FetchOptions {
            concurrency: 16,
            cache_dir: cache.map(|c| c.to_path_buf()),
            use_cache: cache.is_some(),
            ..FetchOptions::default()
        },
        hipslist: None,
        sesame: None,
        deadline: None,
    }
}

fn request() -> RenderRequest {
    RenderRequest::new(View::default().centre(30.0, 20.0).fov(72.0).size(300, 300)).order(3)
}

fn fetch(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey {
        orders: vec![3],
        order_max: 3,
        tile_width: 128,
        ..Default::default()
    }
    .write(dir.path());
    let server = TestServer::start(&root);
    server.fault("Npix", Fault::Latency(Duration::from_millis(20)), None);

    let cold = Survey::open_with(Some(&server.url()), &options(None)).unwrap();
    let probe = render(&cold, &request()).unwrap();
    let tiles = probe.stats.fetched;
    let bound_fetch_ms = tiles.div_ceil(16) as f64 * 20.0;
    eprintln!("cold render needs {tiles} tiles; fetch bound {bound_fetch_ms} ms + decoding");

    let mut group = c.benchmark_group("fetch");
    group.sample_size(10);
    group.bench_function("cold_render_20ms_latency_concurrency_16", |b| {
        b.iter(|| render(&cold, &request()).unwrap())
    });

    let paths: Vec<_> = walk(&root.join("Norder3"));
    let needed: Vec<Vec<u8>> = paths
        .iter()
        .take(tiles)
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    group.bench_function("decode_the_same_number_of_tiles", |b| {
        b.iter(|| {
            needed
                .par_iter()
                .map(|bytes| {
                    decode_raster(bytes, TileFormat::Fits, 1, Shape::Tile(128), "t")
                        .unwrap()
                        .width
                })
                .sum::<usize>()
        })
    });

    let cache = dir.path().join("cache");
    let cached = Survey::open_with(Some(&server.url()), &options(Some(&cache))).unwrap();
    render(&cached, &request()).unwrap();
    group.bench_function("render_served_by_the_disk_cache", |b| {
        b.iter(|| render(&cached, &request()).unwrap())
    });
    let local = Survey::open(Some(root.to_str().unwrap())).unwrap();
    group.bench_function("render_from_a_local_folder", |b| {
        b.iter(|| render(&local, &request()).unwrap())
    });
    group.finish();
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

criterion_group!(benches, fetch);
criterion_main!(benches);
