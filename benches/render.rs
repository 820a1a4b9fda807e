//! Render benchmarks on local sample tiles (warm: the files are in the OS cache), for both
//! painters: the FermiColor 2000×1000 AIT galactic field centred on (0, 0) with 0.01° pixels,
//! and a 4000×4000 TAN field on the same tiles.

use criterion::{criterion_group, criterion_main, Criterion};
use hipscut::{render, Frame, Painter, RenderRequest, Survey, View};
use std::path::Path;

fn field(
    projection: &str,
    fov: f64,
    width: usize,
    height: usize,
    painter: Painter,
) -> RenderRequest {
    RenderRequest::new(
        View::default()
            .centre(0.0, 0.0)
            .frame(Frame::Galactic)
            .fov(fov)
            .size(width, height)
            .projection(projection.parse().unwrap()),
    )
    .painter(painter)
}

fn fermi(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/FermiColor");
    let survey = Survey::open(Some(dir.to_str().unwrap())).expect("FermiColor sample");
    let mut group = c.benchmark_group("fermi");
    group.sample_size(10);
    for painter in [Painter::Precise, Painter::Projective] {
        let ait = field("AIT", 20.0, 2000, 1000, painter);
        let r = render(&survey, &ait).expect("render");
        eprintln!(
            "{painter:?} AIT: {:.1}% of pixels sampled precisely",
            100.0 * r.stats.pixels_precise as f64 / r.stats.pixels_painted as f64
        );
        group.bench_function(format!("ait_2000x1000_{painter:?}"), |b| {
            b.iter(|| render(&survey, &ait).expect("render"))
        });
        let tan = field("TAN", 20.0, 4000, 4000, painter);
        group.bench_function(format!("tan_4000x4000_{painter:?}"), |b| {
            b.iter(|| render(&survey, &tan).expect("render"))
        });
    }
    group.finish();
}

criterion_group!(benches, fermi);
criterion_main!(benches);
