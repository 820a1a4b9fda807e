//! Render benchmarks on local sample tiles (warm: the files are in the OS cache).

use criterion::{criterion_group, criterion_main, Criterion};
use hipscut::geometry::Frame;
use hipscut::{render, RenderRequest, Survey};
use std::path::Path;

fn fermi_ait(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/FermiColor");
    let survey = Survey::open(Some(dir.to_str().unwrap())).expect("FermiColor sample");
    // 2000×1000 AIT, galactic, centred on (0, 0), 0.01° pixels.
    let req = RenderRequest {
        lon: Some(0.0),
        lat: Some(0.0),
        frame: Some(Frame::Galactic),
        fov: Some(20.0),
        width: Some(2000),
        height: Some(1000),
        projection: Some("AIT".into()),
        ..Default::default()
    };
    let mut group = c.benchmark_group("fermi_ait_2000x1000");
    group.sample_size(10);
    group.bench_function("precise_render_local_tiles", |b| {
        b.iter(|| render(&survey, &req).expect("render"))
    });

    group.finish();
}

criterion_group!(benches, fermi_ait);
criterion_main!(benches);
