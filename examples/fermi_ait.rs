//! Renders the benchmark field (FermiColor, 2000×1000 AIT galactic) repeatedly, for profilers.

use hipscut::geometry::Frame;
use hipscut::{render_with_store, tile_store, RenderRequest, Survey};

fn main() -> anyhow::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/FermiColor");
    let survey = Survey::open(Some(dir))?;
    let store = tile_store(&survey, None)?;
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
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    for _ in 0..runs {
        let t = std::time::Instant::now();
        let r = render_with_store(&survey, &store, &req)?;
        println!("{:?} ({} tiles loaded)", t.elapsed(), r.stats.loaded);
    }
    Ok(())
}
