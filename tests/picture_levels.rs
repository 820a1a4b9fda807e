//! Renders for a picture (`RenderRequest::for_picture`) paint the 8-bit levels a PNG or JPEG
//! shows of picture tiles rather than float values: the same pictures, pixel for pixel, in a
//! quarter of the memory; and only where the display shows levels as they are.

mod support;

use hipscut::internals::lonlat_to_xyz;
use hipscut::{
    render, Band, Colormap, Display, Frame, OutputFormat, Projection, RenderRequest, Rgb, Survey,
    TileFormat, View,
};
use std::process::Command;
use support::AnalyticSurvey;

/// The pixels of an encoded picture, decoded, with its layout.
fn decoded(bytes: &[u8]) -> (image::ColorType, Vec<u8>) {
    let picture = image::load_from_memory(bytes).expect("a picture");
    (picture.color(), picture.into_bytes())
}

/// Encodes `request` rendered from `survey` as `format`, as values and as levels; asserts both
/// show the same pixels and whether the render for the picture held values.
fn same_picture(survey: &Survey, request: &RenderRequest, format: OutputFormat, levels: bool) {
    let what = format!("{format} {:?}", request.display);
    let values = render(survey, request).unwrap();
    let picture = render(survey, &request.clone().for_picture(true)).unwrap();
    assert_eq!(
        picture.image.data.is_empty(),
        levels,
        "{what}: painted as levels"
    );
    assert!(!values.image.data.is_empty());
    let (mut a, mut b) = (Vec::new(), Vec::new());
    values.encode(format, &mut a).unwrap();
    picture.encode(format, &mut b).unwrap();
    let (a, b) = (decoded(&a), decoded(&b));
    assert_eq!(a.0, b.0, "{what}: layout");
    assert!(a.1 == b.1, "{what}: the pictures differ");
}

#[test]
fn colour_tiles_show_the_same_picture_from_levels() {
    let survey = Survey::open(Some(support::data_dir("FermiColor").to_str().unwrap())).unwrap();
    let field = |lon: f64, fov: f64| {
        let mut request = RenderRequest::new(
            View::default()
                .frame(Frame::Galactic)
                .centre(lon, 0.0)
                .fov(fov)
                .size(300, 200)
                .projection(Projection::Ait),
        );
        // The order of the sample's tiles.
        request.order = Some(3);
        request
    };
    // Inside the sample's tiles, and across their edge (no data: transparent, or the
    // background in JPEG).
    for request in [field(0.0, 5.0), field(10.0, 40.0)] {
        for format in [OutputFormat::Png, OutputFormat::Jpeg] {
            same_picture(&survey, &request, format, true);
        }
        let mut white = Display::default();
        white.background = Rgb([255, 255, 255]);
        same_picture(
            &survey,
            &request.clone().display(white),
            OutputFormat::Jpeg,
            true,
        );
        // One band shown through a colormap: values.
        let mut band = Display::default().colormap(Colormap::GRAY);
        band.band = Some(Band::G);
        same_picture(
            &survey,
            &request.clone().display(band),
            OutputFormat::Png,
            false,
        );
    }
}

#[test]
fn grey_tiles_show_the_same_picture_from_levels_with_the_plain_display() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey {
        format: TileFormat::Png,
        near: Some((lonlat_to_xyz(0.5, 0.3), 40.0)),
        ..Default::default()
    }
    .write(dir.path());
    let survey = Survey::open(Some(root.to_str().unwrap())).unwrap();
    let request = RenderRequest::new(View::default().centre(30.0, 20.0).fov(90.0).size(240, 160));
    for format in [OutputFormat::Png, OutputFormat::Jpeg] {
        same_picture(&survey, &request, format, true);
    }
    let mut red = Display::default();
    red.background = Rgb([200, 0, 0]);
    same_picture(
        &survey,
        &request.clone().display(red),
        OutputFormat::Jpeg,
        true,
    );
    // Cuts or a colormap: values.
    let viridis = Display::default().colormap("viridis".parse().unwrap());
    same_picture(
        &survey,
        &request.clone().display(viridis),
        OutputFormat::Png,
        false,
    );
}

#[test]
fn a_render_for_a_picture_refuses_fits_and_reports_its_levels() {
    let survey = Survey::open(Some(support::data_dir("FermiColor").to_str().unwrap())).unwrap();
    let view = View::default()
        .frame(Frame::Galactic)
        .centre(10.0, 0.0)
        .fov(40.0)
        .size(300, 150);
    let mut request = RenderRequest::new(view);
    request.order = Some(3);
    let rendered = render(&survey, &request.clone().for_picture(true)).unwrap();
    let mut fits = Vec::new();
    let refused = rendered.encode(OutputFormat::Fits, &mut fits).unwrap_err();
    assert!(refused.to_string().contains("picture"), "{refused}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.fits");
    assert!(rendered.write_file(&path).is_err());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no file left"
    );
    // The report counts the pixels with no data as the values' report does.
    let values = render(&survey, &request).unwrap();
    let (a, b) = (
        hipscut::RunReport::of(&values, Default::default()).image,
        hipscut::RunReport::of(&rendered, Default::default()).image,
    );
    assert!(
        a.no_data_fraction > 0.1 && a.no_data_fraction < 0.9,
        "{a:?}"
    );
    assert_eq!(a.no_data_fraction, b.no_data_fraction);
    assert_eq!((b.min, b.max), (Some(0.0), Some(255.0)), "{b:?}");
}

/// The memory goal: a 4000×4000 colour PNG render, whose picture holds 48 MB of 8-bit
/// data, peaks at most at 1.3 × 48 MB + 64 MB resident (126 MB; 84 MB measured).
#[test]
fn a_large_colour_png_render_stays_within_its_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let (out, report) = (dir.path().join("big.png"), dir.path().join("report.json"));
    let status = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(["render", "-q", "--no-cache", "--survey"])
        .arg(support::data_dir("FermiColor"))
        .args([
            "--frame", "galactic", "--lon", "0", "--lat", "0", "--fov", "20",
        ])
        .args([
            "--width",
            "4000",
            "--height",
            "4000",
            "--projection",
            "TAN",
            "-o",
        ])
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .status()
        .unwrap();
    assert!(status.success());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let peak = report["peak_rss_mib"].as_f64().unwrap();
    let budget = 1.3 * 48.0 + 64.0;
    assert!(peak <= budget, "peak RSS {peak:.1} MiB above {budget} MiB");
    // The picture is whole: 4000 × 4000 pixels, transparent where the sample has no tile.
    let (colour, bytes) = decoded(&std::fs::read(&out).unwrap());
    assert_eq!(
        (colour, bytes.len()),
        (image::ColorType::Rgba8, 4000 * 4000 * 4)
    );
    let transparent = bytes.chunks_exact(4).filter(|px| px[3] == 0).count();
    assert!(
        transparent > 0 && transparent < 4000 * 4000 / 2,
        "{transparent}"
    );
}
