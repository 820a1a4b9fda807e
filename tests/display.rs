//! Display options: colormaps against matplotlib, stretches and cuts on known values, and the
//! pictures they make.

use hipscut::Colormap;
use serde_json::Value;

/// The largest channel difference from matplotlib of each colormap, at the reference levels
/// (tests/data/colormaps.json, made by tools/matplotlib_colormap_reference.py).
fn differences_from_matplotlib() -> Vec<(String, u8)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/colormaps.json");
    let reference: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let levels: Vec<u64> = reference["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap())
        .collect();
    let maps = reference["maps"].as_object().unwrap();
    let mut out = Vec::new();
    for (name, colours) in maps {
        let map: Colormap = name.parse().unwrap();
        let worst = levels
            .iter()
            .zip(colours.as_array().unwrap())
            .flat_map(|(&level, want)| {
                let ours = map.rgb(level as f64 / 255.0);
                (0..3).map(move |c| ours[c].abs_diff(want[c].as_u64().unwrap() as u8))
            })
            .max()
            .unwrap();
        out.push((name.clone(), worst));
    }
    out
}

/// The most a colormap may differ from matplotlib, in levels, by how colorous makes it (each
/// bound is the largest difference measured in its group).
fn bound(name: &str) -> u8 {
    let base = name.trim_end_matches("_r");
    match base {
        // The same tables or formulas as matplotlib's, up to its rounding down to bytes.
        "gray" | "hot" | "Greys" | "viridis" | "magma" | "inferno" | "plasma" | "cubehelix" => 2,
        // Moreland's function, of which matplotlib keeps 33 samples joined by straight lines.
        "coolwarm" => 3,
        // d3's polynomial fit of matplotlib's table.
        "cividis" => 15,
        // ColorBrewer anchors joined by B-splines in d3, by straight lines in matplotlib.
        _ => 16,
    }
}

#[test]
fn colormaps_match_matplotlib() {
    let diffs = differences_from_matplotlib();
    assert!(diffs.len() >= 60, "{} maps", diffs.len());
    for (name, worst) in &diffs {
        assert!(
            *worst <= bound(name),
            "{name} differs from matplotlib by {worst} levels"
        );
    }
    // Every name of the reference is accepted, and every accepted name is in the reference.
    let listed: Vec<&str> = diffs.iter().map(|(n, _)| n.as_str()).collect();
    for name in Colormap::names() {
        assert!(listed.contains(&name), "{name} has no matplotlib reference");
    }
}

#[test]
fn an_engine_composite_of_one_survey_thrice_is_grey_with_three_renders_of_figures() {
    use hipscut::{Bands, Engine, EngineOptions, RenderRequest, TileFormat, View};
    let engine = Engine::new(EngineOptions::default()).unwrap();
    let dss = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/DSS2Red");
    let survey = engine.survey_blocking(Some(dss)).unwrap();
    let view = View::default().centre(272.5, -33.0).fov(3.0).size(40, 30);
    let request = RenderRequest::new(view)
        .order(3)
        .tile_format(TileFormat::Fits);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let rgb = runtime
        .block_on(engine.render_rgb([&survey, &survey, &survey], &request))
        .unwrap();
    let alone = engine.render_blocking(&survey, &request).unwrap();
    assert_eq!(rgb.image.channels, 3);
    assert!(matches!(rgb.bands, Bands::Composite([b, _, _]) if b.values));
    for (px, v) in rgb.image.data.chunks_exact(3).zip(&alone.image.data) {
        assert!(
            px.iter().all(|c| c.to_bits() == v.to_bits()),
            "{px:?} against {v}"
        );
    }
    let tiles = |s: &hipscut::RenderStats| s.local + s.from_memory;
    assert_eq!(tiles(&rgb.stats), 3 * tiles(&alone.stats));
}

mod support;

#[test]
fn fits_outputs_keep_the_tiles_unit_fresh_from_memory_and_gzipped() {
    use hipscut::{Engine, EngineOptions, OutputFormat, RenderRequest, View};
    for gzip in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let root = support::AnalyticSurvey {
            gzip,
            ..Default::default()
        }
        .write(dir.path());
        let engine = Engine::new(EngineOptions::default()).unwrap();
        let survey = engine
            .survey_blocking(Some(root.to_str().unwrap()))
            .unwrap();
        let request = RenderRequest::new(View::default().centre(30.0, 20.0).fov(40.0).size(32, 32));
        for pass in ["fresh", "from memory"] {
            let rendered = engine.render_blocking(&survey, &request).unwrap();
            assert_eq!(
                rendered.stats.unit.as_deref(),
                Some("MJy/sr"),
                "{pass}, gzip {gzip}"
            );
            let mut fits = Vec::new();
            rendered.encode(OutputFormat::Fits, &mut fits).unwrap();
            let header = String::from_utf8_lossy(&fits[..2880 * 2]).into_owned();
            assert!(header.contains("BUNIT   = 'MJy/sr "), "{pass}: {header}");
        }
    }
}
