//! HiPS cubes: one frame by index or by third-axis value, the cube's first frame by default,
//! and a stack of frames written as a FITS cube with the third axis's WCS. The test cube's frame
//! k is the analytic sky plus 10 k, so every frame is checked against its own values.

mod support;

use hipscut::{render, CubeFrame, OpenOptions, RenderRequest, Survey, View};
use std::process::Command;
use support::server::TestServer;
use support::{analytic, key_f64, key_str, read_fits, AnalyticSurvey, CUBE_STEP};

fn cube(dir: &std::path::Path) -> std::path::PathBuf {
    AnalyticSurvey {
        cube_frames: Some(4),
        ..Default::default()
    }
    .write(dir)
}

fn field() -> RenderRequest {
    RenderRequest::new(View::default().centre(30.0, 20.0).fov(30.0).size(90, 60))
}

/// The largest difference between `image` and the analytic sky plus `offset`.
fn error_against(image: &hipscut::Rendered, offset: f32) -> f64 {
    let g = &image.geometry;
    let mut largest = 0f64;
    for row in 0..g.height {
        for col in 0..g.width {
            let v = g.pixel_to_sky(col as f64, row as f64).unwrap();
            let got = image.image.pixel(row, col)[0];
            assert!(got.is_finite(), "({col}, {row}) has no data");
            largest = largest.max((got as f64 - analytic(v) - offset as f64).abs());
        }
    }
    largest
}

#[test]
fn each_frame_renders_its_own_values() {
    let dir = tempfile::tempdir().unwrap();
    let root = cube(dir.path());
    let server = TestServer::start(&root);
    let survey = Survey::open_with(Some(&server.url()), &OpenOptions::default()).unwrap();
    let axis = survey.properties.cube.clone().expect("a cube");
    assert_eq!((axis.depth, axis.first_frame), (4, 1));
    assert!(survey
        .describe()
        .contains("4 frames of VRAD, 100 to 107.5 km/s"));

    let mut errors = Vec::new();
    for k in 0..4u32 {
        let r = render(&survey, &field().cube_frame(CubeFrame::Index(k))).unwrap();
        assert_eq!(r.cube.as_ref().map(|c| (c.first, c.count)), Some((k, 1)));
        errors.push(error_against(&r, CUBE_STEP * k as f32));
        let suffix = format!("_{k}.fits");
        let asked = server.request_counts();
        assert!(
            k == 0 || asked.keys().any(|p| p.ends_with(&suffix)),
            "frame {k}'s tiles were not read: {asked:?}"
        );
    }
    eprintln!("largest error per frame: {errors:?}");
    // Measured 0.00086 in every frame: the interpolation's error, the same whatever the offset.
    assert!(errors.iter().all(|&e| e < 0.0018), "{errors:?}");

    let default = render(&survey, &field()).unwrap();
    assert_eq!(
        default.cube.as_ref().map(|c| c.first),
        Some(1),
        "the first frame shown"
    );
    assert!(error_against(&default, CUBE_STEP) < 0.0018);
    // 105.4 km/s is nearest frame 2 (105); 120 is beyond the cube (100 to 107.5).
    let by_value = render(&survey, &field().cube_frame(CubeFrame::Value(105.4))).unwrap();
    assert!(error_against(&by_value, 2.0 * CUBE_STEP) < 0.0018);
    assert_eq!(by_value.cube.map(|c| c.first), Some(2));
    let beyond = render(&survey, &field().cube_frame(CubeFrame::Value(120.0))).unwrap_err();
    assert!(beyond.to_string().contains("outside the cube"), "{beyond}");
    let missing = render(&survey, &field().cube_frame(CubeFrame::Index(4))).unwrap_err();
    assert!(
        missing.to_string().contains("beyond the cube's 4 frames"),
        "{missing}"
    );
}

#[test]
fn frames_make_a_fits_cube_with_the_third_axis() {
    let dir = tempfile::tempdir().unwrap();
    let root = cube(dir.path());
    let out = dir.path().join("cube.fits");
    let run = |extra: &[&str], out: &std::path::Path| {
        let mut args = vec![
            "render",
            "--survey",
            root.to_str().unwrap(),
            "--lon",
            "30",
            "--lat",
            "20",
            "--fov",
            "30",
            "--width",
            "90",
            "--height",
            "60",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        Command::new(env!("CARGO_BIN_EXE_hipscut"))
            .args(&args)
            .output()
            .unwrap()
    };
    let o = run(&["--frames", "1:3"], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (shape, data, mut f) = read_fits(&out);
    assert_eq!(shape, vec![3, 60, 90]);
    // Plane p (from 1) is frame p: value 100 + 2.5 p.
    assert_eq!(key_f64(&mut f, "CRPIX3"), 0.0);
    assert_eq!(
        (key_f64(&mut f, "CRVAL3"), key_f64(&mut f, "CDELT3")),
        (100.0, 2.5)
    );
    assert_eq!(key_str(&mut f, "CTYPE3"), "VRAD");
    assert_eq!(key_str(&mut f, "CUNIT3"), "km/s");
    let plane = 60 * 90;
    for p in 1..3 {
        for (a, b) in data[p * plane..(p + 1) * plane].iter().zip(&data[..plane]) {
            assert!(
                (a - b - CUBE_STEP * p as f32).abs() < 1e-3,
                "plane {p}: {a} vs {b}"
            );
        }
    }

    for (extra, refusal) in [
        (&["--frames", "2:1"][..], "the first is after the last"),
        (&["--frames", "1:4"][..], "beyond the cube's 4 frames"),
        (&["--frames", "1-3"][..], "is not A:B"),
        (
            &["--frame-index", "1", "--frames", "1:2"][..],
            "cannot be used with",
        ),
    ] {
        let o = run(extra, &dir.path().join("refused.fits"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(refusal),
            "{extra:?}: {err}"
        );
        assert!(!dir.path().join("refused.fits").exists());
    }
    let png = run(&["--frames", "0:1"], &dir.path().join("cube.png"));
    assert!(String::from_utf8_lossy(&png.stderr).contains("written as FITS only"));
    let image_survey = support::data_dir("FermiColor");
    let o = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args([
            "render",
            "--survey",
            image_survey.to_str().unwrap(),
            "--frame-index",
            "1",
        ])
        .args(["-o", dir.path().join("x.png").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a HiPS cube"));
}
