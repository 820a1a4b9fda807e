//! The `hipscut` command: successful renders, their files, and clear failures on bad input.

mod support;

use std::path::Path;
use std::process::{Command, Output};
use support::{data_dir, key_f64, key_str, read_fits};

fn hipscut(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(args)
        .output()
        .expect("hipscut runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn default_render_makes_a_real_all_sky_picture() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sky.png");
    let o = hipscut(&["render", "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let img = image::open(&out).unwrap().to_rgba8();
    assert_eq!((img.width(), img.height()), (1024, 512));
    // The all-sky ellipse is painted, its outside corners are transparent.
    assert_eq!(img.get_pixel(0, 0)[3], 0);
    let centre = img.get_pixel(512, 256);
    assert_eq!(centre[3], 255);
    let lit = img
        .pixels()
        .filter(|p| p[3] == 255 && p[0] as u32 + p[1] as u32 + p[2] as u32 > 60)
        .count();
    assert!(lit > 20_000, "the Milky Way shows: {lit} bright pixels");
    assert!(stderr(&o).contains("order 0"), "{}", stderr(&o));
}

#[test]
fn colour_fits_output_is_a_cube_with_wcs_and_credits() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gc.fits");
    let o = hipscut(&[
        "render",
        "--lon",
        "0",
        "--lat",
        "0",
        "--frame",
        "galactic",
        "--fov",
        "60",
        "--width",
        "120",
        "--height",
        "90",
        "--projection",
        "CAR",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, data, mut f) = read_fits(&out);
    assert_eq!(shape, vec![3, 90, 120]);
    assert!(
        data.iter().all(|v| v.is_finite()),
        "the whole sky is covered"
    );
    assert_eq!(key_str(&mut f, "CTYPE1"), "GLON-CAR");
    assert_eq!(key_f64(&mut f, "CRPIX1"), 60.5);
    assert_eq!(key_f64(&mut f, "CRPIX2"), 45.5);
    assert!((key_f64(&mut f, "CD1_1") + 0.5).abs() < 1e-12);
    assert!(key_str(&mut f, "COPYRGHT").contains("Mellinger"));
    assert_eq!(
        key_str(&mut f, "HIPS_ID"),
        "ivo://test/P/stellarium_milkyway"
    );
    assert!(key_str(&mut f, "CREATOR").starts_with("hipscut "));
}

#[test]
fn fits_survey_gives_float_fits_and_stretched_png() {
    let dir = tempfile::tempdir().unwrap();
    let survey = data_dir("DSS2Red");
    let fits = dir.path().join("dss.fits");
    // Centred on tile 448, wide enough to reach past the sample's tiles.
    let (lon, lat) = cdshealpix::nested::get(3).center(448);
    let (lon, lat) = (lon.to_degrees().to_string(), lat.to_degrees().to_string());
    let args = |out: &str| {
        vec![
            "render".to_string(),
            "--survey".into(),
            survey.to_str().unwrap().into(),
            "--lon".into(),
            lon.clone(),
            "--lat".into(),
            lat.clone(),
            "--fov".into(),
            "12".into(),
            "--width".into(),
            "200".into(),
            "--height".into(),
            "150".into(),
            "--tile-format".into(),
            "fits".into(),
            // The sample holds order 3 only; the pixel scale alone would ask for order 1.
            "--order".into(),
            "3".into(),
            "-o".into(),
            out.into(),
        ]
    };
    let o = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(args(fits.to_str().unwrap()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let (shape, data, mut f) = read_fits(&fits);
    assert_eq!(shape, vec![150, 200]);
    let finite = data.iter().filter(|v| v.is_finite()).count();
    assert!(
        finite > 0 && finite < data.len(),
        "part of the field is outside the sample tiles"
    );
    assert_eq!(key_f64(&mut f, "HIPSORDR"), 3.0);
    assert_eq!(key_str(&mut f, "HIPSFMT"), "fits");

    let png = dir.path().join("dss.png");
    let o = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(args(png.to_str().unwrap()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let img = image::open(&png).unwrap().to_luma_alpha8();
    // FITS row 1 is the bottom PNG row: no-data pixels agree between the two files.
    for (k, v) in data.iter().enumerate() {
        let (fits_row, col) = (k / 200, k % 200);
        let alpha = img.get_pixel(col as u32, (149 - fits_row) as u32)[1];
        assert_eq!(alpha == 0, v.is_nan(), "pixel {col},{fits_row}");
    }
    let levels: Vec<u8> = img.pixels().filter(|p| p[1] == 255).map(|p| p[0]).collect();
    assert!(
        levels.contains(&0) && levels.contains(&255),
        "the stretch spans the 8 bits"
    );
}

#[test]
fn wcs_headers_in_text_json_and_fits_give_the_same_image() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("field.hdr");
    std::fs::write(
        &text,
        "NAXIS   =                    2\nNAXIS1  =                   64\nNAXIS2  =                   48\n\
         CTYPE1  = 'RA---SIN'\nCTYPE2  = 'DEC--SIN'\nCRPIX1  =                 32.5\nCRPIX2  =                 24.5\n\
         CRVAL1  =                 83.6\nCRVAL2  =                 22.0\nCDELT1  =                 -0.5\n\
         CDELT2  =                  0.5\nCROTA2  =                 20.0\nRADESYS = 'ICRS'\nEND\n",
    )
    .unwrap();
    let json = dir.path().join("field.json");
    std::fs::write(
        &json,
        r#"{"NAXIS1": 64, "NAXIS2": 48, "CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN", "CRPIX1": 32.5,
            "CRPIX2": 24.5, "CRVAL1": 83.6, "CRVAL2": 22.0, "CDELT1": -0.5, "CDELT2": 0.5, "CROTA2": 20.0}"#,
    )
    .unwrap();
    let from_text = dir.path().join("a.fits");
    let from_json = dir.path().join("b.fits");
    let from_fits = dir.path().join("c.fits");
    for (hdr, out) in [
        (&text, &from_text),
        (&json, &from_json),
        (&from_text, &from_fits),
    ] {
        let o = hipscut(&[
            "render",
            "--wcs",
            hdr.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}: {}", hdr.display(), stderr(&o));
    }
    let (shape, a, mut f) = read_fits(&from_text);
    assert_eq!(shape, vec![3, 48, 64]);
    assert_eq!(key_f64(&mut f, "CROTA2"), 20.0);
    let (_, b, _) = read_fits(&from_json);
    let (_, c, _) = read_fits(&from_fits);
    assert_eq!(a, b);
    assert_eq!(a, c);
}

/// On the analytic sky, around (0, 0), north (+z) and east (+y) are brighter: PNG and JPEG
/// must show north at the top and east on the left.
#[test]
fn png_and_jpeg_are_north_up_east_left() {
    let dir = tempfile::tempdir().unwrap();
    let survey = support::AnalyticSurvey::default().write(dir.path());
    for name in ["sky.png", "sky.jpg"] {
        let out = dir.path().join(name);
        let o = hipscut(&[
            "render",
            "--survey",
            survey.to_str().unwrap(),
            "--lon",
            "0",
            "--lat",
            "0",
            "--fov",
            "60",
            "--width",
            "90",
            "--height",
            "60",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        let img = image::open(&out).unwrap().to_luma8();
        let mean = |cols: std::ops::Range<u32>, rows: std::ops::Range<u32>| {
            let n = (cols.len() * rows.len()) as f64;
            rows.flat_map(|r| cols.clone().map(move |c| (c, r)))
                .map(|(c, r)| img.get_pixel(c, r)[0] as f64)
                .sum::<f64>()
                / n
        };
        let (top, bottom) = (mean(30..60, 0..10), mean(30..60, 50..60));
        let (left, right) = (mean(0..10, 20..40), mean(80..90, 20..40));
        assert!(
            top > bottom + 20.0,
            "{name}: north must be up ({top} vs {bottom})"
        );
        assert!(
            left > right + 20.0,
            "{name}: east must be left ({left} vs {right})"
        );
    }
}

#[test]
fn survey_command_describes_the_survey() {
    let o = hipscut(&["survey", data_dir("DSS2Red").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "DSS2 Red",
        "ivo://CDS/P/DSS2/red",
        "0..3",
        "512 px",
        "jpeg fits",
        "icrs",
        "STScI/NASA",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
}

/// Each bad input fails with a message naming the problem, and leaves no file behind.
#[test]
fn bad_inputs_fail_cleanly_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("properties"), "hips_order = lots\n").unwrap();
    let garbage = dir.path().join("garbage.hdr");
    std::fs::write(&garbage, "this is not a header\n").unwrap();
    let singular = dir.path().join("singular.hdr");
    std::fs::write(
        &singular,
        "NAXIS1 = 10\nNAXIS2 = 10\nCTYPE1 = 'RA---TAN'\nCTYPE2 = 'DEC--TAN'\nCDELT1 = 0\nCDELT2 = 0\n",
    )
    .unwrap();
    let conic = dir.path().join("conic.json");
    std::fs::write(
        &conic,
        r#"{"NAXIS1": 10, "NAXIS2": 10, "CTYPE1": "RA---COD", "CTYPE2": "DEC--COD"}"#,
    )
    .unwrap();
    let no_proj = dir.path().join("noproj.hdr");
    std::fs::write(
        &no_proj,
        "NAXIS1 = 10\nNAXIS2 = 10\nCTYPE1 = 'RA'\nCTYPE2 = 'DEC'\n",
    )
    .unwrap();
    let out = dir.path().join("out.png");
    let o = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--fov", "0"], "field of view"),
        (vec!["--fov", "400"], "field of view"),
        (vec!["--fov", "-3"], "field of view"),
        (vec!["--width", "0"], "from 1 to 30000"),
        (vec!["--width", "100000"], "from 1 to 30000"),
        (
            vec!["--width", "-5"],
            "`-5` is not a whole number from 1 to 30000",
        ),
        (
            vec!["--order", "-1"],
            "`-1` is not a whole number from 0 to 29",
        ),
        (vec!["--timeout", "1e300"], "at most 86400"),
        (
            vec!["--width", "20000", "--height", "20000"],
            "above the limit",
        ),
        (vec!["--lon", "10", "--lat", "95"], "latitude"),
        (vec!["--lon", "10"], "--lat"),
        (vec!["--projection", "XYZ"], "unknown projection"),
        (vec!["--survey", "/nonexistent/survey"], "not a directory"),
        (vec!["--survey", broken.to_str().unwrap()], "hips_order"),
        (
            vec!["--survey", "ftp://127.0.0.1/hips"],
            "unsupported survey location",
        ),
        (vec!["--wcs", "/nonexistent.hdr"], "nonexistent.hdr"),
        (vec!["--wcs", garbage.to_str().unwrap()], "invalid WCS"),
        (vec!["--wcs", no_proj.to_str().unwrap()], "CTYPE"),
        (vec!["--wcs", singular.to_str().unwrap()], "invalid WCS"),
        (
            vec!["--wcs", conic.to_str().unwrap()],
            "PV2_1 (theta_a) is required",
        ),
        (vec!["--tile-format", "fits"], "not offered"),
        (vec!["--order", "7"], "outside the survey's orders"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["render", "-o", o];
        args.extend(extra.iter());
        let result = hipscut(&args);
        let err = stderr(&result);
        assert!(!result.status.success(), "{extra:?} should fail");
        assert!(
            err.to_lowercase().contains(&needle.to_lowercase()),
            "{extra:?}: `{needle}` not in: {err}"
        );
        assert!(!err.contains("panicked"), "{extra:?} panicked: {err}");
        assert!(!out.exists(), "{extra:?} left an output file");
    }
    let bad_ext = dir.path().join("out.gif");
    let result = hipscut(&["render", "-o", bad_ext.to_str().unwrap()]);
    assert!(!result.status.success() && stderr(&result).contains(".fits, .png or .jpg"));
    assert!(!bad_ext.exists());
    // No temporary files are left in the output directory either.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".hipscut"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_failed_render_leaves_an_existing_output_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keep.png");
    std::fs::write(&out, b"previous contents").unwrap();
    let result = hipscut(&["render", "--fov", "0", "-o", out.to_str().unwrap()]);
    assert!(!result.status.success());
    assert_eq!(std::fs::read(&out).unwrap(), b"previous contents");
    let result = hipscut(&["render", "--width", "64", "-o", out.to_str().unwrap()]);
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(image::open(&out).is_ok(), "a successful render replaces it");
}

#[test]
fn http_render_reports_fetches_then_cache_hits() {
    let dir = tempfile::tempdir().unwrap();
    let survey = support::AnalyticSurvey::default().write(dir.path());
    let server = support::server::TestServer::start(&survey);
    let cache = dir.path().join("cache");
    let out = dir.path().join("web.fits");
    let run = || {
        hipscut(&[
            "render",
            "--survey",
            &server.url(),
            "--lon",
            "10",
            "--lat",
            "10",
            "--fov",
            "40",
            "--width",
            "64",
            "--cache-dir",
            cache.to_str().unwrap(),
            "--quiet",
            "-o",
            out.to_str().unwrap(),
        ])
    };
    let first = run();
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(stderr(&first).contains("fetched"), "{}", stderr(&first));
    let second = run();
    assert!(second.status.success(), "{}", stderr(&second));
    let report = stderr(&second);
    assert!(
        report.contains("from cache") && !report.contains("fetched"),
        "{report}"
    );
}

/// What astropy writes: `Header.totextfile` (80-column cards from SIMPLE on, one a line) and
/// `WCS.to_header()` (no NAXIS at all, so the size comes from --width/--height).
#[test]
fn astropy_text_headers_work_and_flags_give_a_missing_size() {
    let dir = tempfile::tempdir().unwrap();
    let card = |c: &str| format!("{c:<80}\n");
    let wcs_cards = [
        "WCSAXES =                    2 / Number of coordinate axes",
        "CRPIX1  =                 32.5 / Pixel coordinate of reference point",
        "CRPIX2  =                 24.5 / Pixel coordinate of reference point",
        "CDELT1  =                 -0.5 / [deg] Coordinate increment at reference point",
        "CDELT2  =                  0.5 / [deg] Coordinate increment at reference point",
        "CUNIT1  = 'deg'                / Units of coordinate increment and value",
        "CUNIT2  = 'deg'                / Units of coordinate increment and value",
        "CTYPE1  = 'RA---SIN'           / Right ascension, orthographic/synthesis projection",
        "CTYPE2  = 'DEC--SIN'           / Declination, orthographic/synthesis projection",
        "CRVAL1  =                 83.6 / [deg] Coordinate value at reference point",
        "CRVAL2  =                 22.0 / [deg] Coordinate value at reference point",
        "LONPOLE =                180.0 / [deg] Native longitude of celestial pole",
        "LATPOLE =                 22.0 / [deg] Native latitude of celestial pole",
        "MJDREF  =                  0.0 / [d] MJD of fiducial time",
        "RADESYS = 'ICRS'               / Equatorial coordinate system",
    ];
    let full: String = [
        "SIMPLE  =                    T / conforms to FITS standard",
        "BITPIX  =                  -32 / array data type",
        "NAXIS   =                    2 / number of array dimensions",
        "NAXIS1  =                   64",
        "NAXIS2  =                   48",
    ]
    .iter()
    .chain(wcs_cards.iter())
    .chain(["END"].iter())
    .map(|c| card(c))
    .collect();
    let bare: String = wcs_cards.iter().map(|c| card(c)).collect();
    let (full_hdr, bare_hdr) = (dir.path().join("full.txt"), dir.path().join("bare.txt"));
    std::fs::write(&full_hdr, full).unwrap();
    std::fs::write(&bare_hdr, bare).unwrap();
    let (a, b) = (dir.path().join("a.fits"), dir.path().join("b.fits"));
    let o = hipscut(&[
        "render",
        "--wcs",
        full_hdr.to_str().unwrap(),
        "-o",
        a.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = hipscut(&[
        "render",
        "--wcs",
        bare_hdr.to_str().unwrap(),
        "-o",
        b.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("the WCS header has no NAXIS1")
            && e.contains("hint: give the size with --width"),
        "{e}"
    );
    let o = hipscut(&[
        "render",
        "--wcs",
        bare_hdr.to_str().unwrap(),
        "--width",
        "64",
        "--height",
        "48",
        "-o",
        b.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ((shape, pa, _), (_, pb, _)) = (read_fits(&a), read_fits(&b));
    assert_eq!(shape, vec![3, 48, 64]);
    assert_eq!(pa, pb);
}

#[test]
fn what_a_newcomer_types_just_works() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sky.png");
    let o = out.to_str().unwrap();
    // -q before the subcommand; --width alone for an all-sky field gives a 2:1 image;
    // the format name `survey` prints is accepted.
    let run = hipscut(&[
        "-q",
        "render",
        "--fov",
        "360",
        "--width",
        "200",
        "--tile-format",
        "jpeg",
        "-o",
        o,
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let img = image::open(&out).unwrap();
    assert_eq!((img.width(), img.height()), (200, 100));
    // A network failure leads with its cause.
    let url = support::server::closed_port_url();
    let run = hipscut(&["render", "--survey", &url, "--retries", "0", "-o", o]);
    let err = stderr(&run);
    let cause = err.find("cannot connect").expect("the cause is named");
    let effect = err
        .find("no readable `properties`")
        .expect("the effect is named");
    assert!(cause < effect, "{err}");
}

#[test]
fn help_lists_every_projection_and_refuses_the_others_by_name() {
    let o = hipscut(&["render", "--help"]);
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout).into_owned();
    for p in hipscut::Projection::ALL {
        assert!(help.contains(p.code()), "--help does not list {p}");
    }
    let o = hipscut(&["render", "--projection", "abc", "-o", "never.png"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown projection `abc`"),
        "{}",
        stderr(&o)
    );
    assert!(!Path::new("never.png").exists());
}

#[test]
fn display_options_shape_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name);
    let view = ["render", "--fov", "60", "--width", "64", "--no-cache", "-q"];
    let run = |extra: &[&str], name: &str| {
        let path = out(name);
        let mut args = view.to_vec();
        args.extend_from_slice(extra);
        args.extend(["-o", path.to_str().unwrap()]);
        let o = hipscut(&args);
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        image::open(&path).unwrap()
    };
    // One band of the colour survey is that channel of the colour picture, in grey.
    let colour = run(&[], "colour.png").to_rgb8();
    let green = run(&["--band", "g"], "green.png");
    assert_eq!(green.color(), image::ColorType::L8);
    let green = green.to_luma8();
    assert!(colour
        .pixels()
        .zip(green.pixels())
        .all(|(c, g)| c[1] == g[0]));
    // A colormap makes colour of a band; 16 bits stay grey.
    let viridis = run(&["--band", "r", "--cmap", "viridis"], "viridis.png");
    assert_eq!(viridis.color(), image::ColorType::Rgb8);
    let deep = run(&["--band", "r", "--depth", "16"], "deep.png");
    assert_eq!(deep.color(), image::ColorType::L16);
    // Options that cannot make the picture are refused before any work.
    let path = out("deep.jpg");
    let o = hipscut(&["render", "--depth", "16", "-o", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("JPEG has 8 bits only"),
        "{}",
        stderr(&o)
    );
    assert!(!path.exists());
    for (flag, bad) in [
        ("--cmap", "jet"),
        ("--min-cut", "x%"),
        ("--stretch", "cube"),
    ] {
        let o = hipscut(&["render", flag, bad, "-o", out("x.png").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{flag} {bad}");
    }
}

#[test]
fn sexagesimal_centres_are_the_same_field_as_degrees() {
    let dir = tempfile::tempdir().unwrap();
    let lon = (17.0 + 45.0 / 60.0 + 40.0 / 3600.0) * 15.0;
    let lat = -(29.0 + 0.0 / 60.0 + 28.0 / 3600.0);
    let (lon, lat) = (format!("{lon:?}"), format!("{lat:?}"));
    let render = |lon: &str, lat: &str, name: &str| {
        let path = dir.path().join(name);
        let args = [
            "render", "--lon", lon, "--lat", lat, "--fov", "10", "--width", "48",
        ];
        let o = hipscut(&[&args[..], &["-q", "-o", path.to_str().unwrap()]].concat());
        assert!(o.status.success(), "{lon} {lat}: {}", stderr(&o));
        std::fs::read(path).unwrap()
    };
    let degrees = render(&lon, &lat, "deg.png");
    assert_eq!(render("17:45:40", "-29:00:28", "colons.png"), degrees);
    assert_eq!(render("17h45m40s", "-29d00m28s", "letters.png"), degrees);
    let o = hipscut(&["render", "--lon", "24:00:01", "--lat", "0", "-o", "x.png"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("outside 0–24 hours"), "{}", stderr(&o));
}

#[test]
fn an_rgb_composite_of_one_survey_thrice_is_grey_and_its_cuts_tint_it() {
    let dir = tempfile::tempdir().unwrap();
    let dss = data_dir("DSS2Red");
    let dss = dss.to_str().unwrap();
    let three = format!("{dss},{dss},{dss}");
    let field = [
        "--order",
        "3",
        "--tile-format",
        "fits",
        "--lon",
        "272.5",
        "--lat",
        "-33",
        "--fov",
        "3",
        "--width",
        "64",
        "--no-cache",
        "-q",
    ];
    let render = |extra: &[&str], name: &str| {
        let path = dir.path().join(name);
        let args = [&["render", "--rgb", three.as_str()][..], &field, extra];
        let o = hipscut(&[&args.concat()[..], &["-o", path.to_str().unwrap()]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        image::open(&path).unwrap().to_rgb8()
    };
    let grey = render(&[], "grey.png");
    assert!(grey.pixels().all(|p| p[0] == p[1] && p[1] == p[2]));
    let levels: std::collections::BTreeSet<u8> = grey.pixels().map(|p| p[0]).collect();
    assert!(levels.len() > 100, "a real picture, not a flat one");
    // The same band through its own cuts: red cut widest is darkest where the data is faint.
    let tinted = render(
        &[
            "--min-cut",
            "0.5%,20%,20%",
            "--max-cut",
            "99.5%,99.5%,99.5%",
        ],
        "t.png",
    );
    assert!(tinted.pixels().all(|p| p[0] >= p[1] && p[1] == p[2]));
    assert!(tinted.pixels().any(|p| p[0] > p[1]));
    // A composite needs three surveys, and three cuts need a composite.
    let o = hipscut(&["render", "--rgb", &format!("{dss},{dss}"), "-o", "x.png"]);
    assert_eq!(o.status.code(), Some(2));
    let o = hipscut(&[
        "render",
        "--min-cut",
        "1%,2%,3%",
        "-o",
        dir.path().join("y.png").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_dry_run_plans_the_tiles_the_render_reads_and_fine_pixels_are_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never.png");
    let field = [
        "render", "--lon", "30", "--lat", "20", "--fov", "60", "--width", "300",
    ];
    let o = hipscut(&[&field[..], &["--dry-run", "-o", out.to_str().unwrap()]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!out.exists(), "a dry run writes nothing");
    let plan = String::from_utf8_lossy(&o.stdout).into_owned();
    let tiles: usize = plan
        .split(" jpeg tiles")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no tile count in {plan}"));
    assert!(plan.contains("order 1"), "{plan}");
    let o = hipscut(&[&field[..], &["-o", out.to_str().unwrap()]].concat());
    assert!(o.status.success());
    let report = stderr(&o);
    assert!(
        report.contains(&format!("{tiles} read")),
        "{report} against {plan}"
    );
    assert!(!report.contains("finer than the survey"), "{report}");
    let fine = dir.path().join("fine.png");
    let o = hipscut(&[
        "render",
        "--fov",
        "1",
        "--width",
        "500",
        "-o",
        fine.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    assert!(
        stderr(&o).contains("× finer than the survey's finest"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn surveys_lists_and_searches_the_hips_list() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(
        &list,
        "ID = X/P/Radio/one\nobs_title = A radio sky\nobs_regime = Radio\nhips_frame = galactic\n\
         hips_order = 7\nhips_order_min = 2\nhips_tile_format = png fits\n\
         hips_service_url = http://127.0.0.1:9/one\n\n\
         ID = X/P/Optical/two\nobs_title = Two\nobs_regime = Optical\n\
         hips_service_url = http://127.0.0.1:9/two\n",
    )
    .unwrap();
    let search = |words: &[&str]| {
        let o = hipscut(
            &[
                &["surveys", "--hipslist", list.to_str().unwrap()][..],
                words,
            ]
            .concat(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let all = search(&[]);
    assert!(
        all.contains("X/P/Radio/one") && all.contains("X/P/Optical/two"),
        "{all}"
    );
    let radio = search(&["RADIO", "sky"]);
    let row = radio
        .lines()
        .find(|l| l.starts_with("X/P/Radio/one"))
        .unwrap();
    for field in ["A radio sky", "galactic", "2..7", "png fits", "Radio"] {
        assert!(row.contains(field), "{field} in {row}");
    }
    assert!(!radio.contains("two"));
    assert_eq!(
        search(&["microwave"]).lines().count(),
        1,
        "the header alone"
    );
    // The built-in list: word beginnings, not any substring.
    let o = hipscut(&["surveys", "dss", "red"]);
    let found = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        found.contains("CDS/P/DSS2/red") && !found.contains("DSS2/color"),
        "{found}"
    );
}

#[test]
fn the_run_report_agrees_with_what_the_server_saw() {
    let dir = tempfile::tempdir().unwrap();
    let survey = support::AnalyticSurvey::default().write(dir.path());
    let server = support::server::TestServer::start(&survey);
    let (out, json) = (dir.path().join("r.png"), dir.path().join("r.json"));
    let o = hipscut(&[
        "render",
        "--survey",
        &server.url(),
        "--lon",
        "10",
        "--lat",
        "10",
        "--fov",
        "40",
        "--width",
        "64",
        "--no-cache",
        "--report",
        json.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let tiles = &report["tiles"];
    let count = |k: &str| tiles[k].as_u64().unwrap() as usize;
    let served = server.requests("Norder");
    assert_eq!(
        count("fetched") + count("missing") + count("failed"),
        served,
        "{report}"
    );
    assert!(
        count("fetched") > 0 && count("planned") >= count("fetched"),
        "{report}"
    );
    let bytes: u64 = server
        .request_counts()
        .keys()
        .filter(|p| p.contains("Norder"))
        .filter_map(|p| std::fs::metadata(survey.join(p.trim_start_matches('/'))).ok())
        .map(|m| m.len())
        .sum();
    assert_eq!(tiles["bytes_fetched"].as_u64().unwrap(), bytes);
    let seconds = &report["seconds"];
    let wall = seconds["total_wall"].as_f64().unwrap();
    for stage in ["resolve", "plan", "encode"] {
        let s = seconds[stage].as_f64().unwrap();
        assert!(s >= 0.0 && s <= wall, "{stage}: {s} of {wall}");
    }
    assert!(report["cpu_seconds"].as_f64().unwrap() > 0.0);
    assert!(report["peak_rss_mib"].as_f64().unwrap() > 1.0);
    let image = &report["image"];
    assert!(image["min"].as_f64().unwrap() <= image["max"].as_f64().unwrap());
    assert_eq!(report["painter"], "projective");
    assert!(count("split") <= count("planned"));
    // Whole-sky tiles are split by the projective painter; the precise painter splits none.
    for (painter, split) in [("projective", true), ("precise", false)] {
        let sky = dir.path().join(format!("{painter}.json"));
        let o = hipscut(&[
            "render",
            "--fov",
            "360",
            "--width",
            "200",
            "--painter",
            painter,
            "-q",
            "--report",
            sky.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success());
        let sky: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&sky).unwrap()).unwrap();
        assert_eq!(
            sky["tiles"]["split"].as_u64().unwrap() > 0,
            split,
            "{painter}: {sky}"
        );
    }
    // The human summary goes to stderr, unless --quiet.
    assert!(stderr(&o).contains("time: resolve"), "{}", stderr(&o));
}

#[test]
fn the_profile_is_a_plausible_timeline_of_the_render() {
    let dir = tempfile::tempdir().unwrap();
    let (out, csv) = (dir.path().join("big.png"), dir.path().join("p.csv"));
    let plot = dir.path().join("p.png");
    let o = hipscut(&[
        "render",
        "--profile-plot",
        plot.to_str().unwrap(),
        "--fov",
        "120",
        "--width",
        "1500",
        "--painter",
        "precise",
        "-q",
        "--profile",
        csv.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("seconds,cpu_percent,rss_mib,stage"));
    let rows: Vec<(f64, f64, f64, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].into(),
            )
        })
        .collect();
    assert!(rows.len() >= 3, "{text}");
    assert!(
        rows.windows(2).all(|w| w[1].0 > w[0].0),
        "time runs forward: {text}"
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    for (t, cpu, rss, _) in &rows {
        assert!(
            *cpu >= 0.0 && *cpu <= 100.0 * cores * 1.5,
            "{t}: {cpu} % CPU"
        );
        assert!(*rss > 1.0 && *rss < 4096.0, "{t}: {rss} MiB");
    }
    assert!(rows.iter().any(|r| r.3 == "render"), "{text}");
    assert!(
        rows.iter().map(|r| r.1).fold(0.0, f64::max) > 10.0,
        "the render used the CPU"
    );
    // The plot: a picture with both lines in it (pure blue and pure red pixels).
    let plot = image::open(&plot).unwrap().to_rgb8();
    assert_eq!(plot.dimensions(), (900, 480));
    assert!(plot.pixels().any(|p| p.0 == [0, 0, 255]));
    assert!(plot.pixels().any(|p| p.0 == [255, 0, 0]));
}
