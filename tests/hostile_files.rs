//! Hostile and broken local input: tiles that lie about their size, bombs, FIFOs, bad headers,
//! degenerate WCS, leftovers of killed runs, and what a newcomer trips over. Each case runs
//! the binary as a child and checks its exit status, its message, its peak memory against a
//! normal render of the same field, and its wall time.

mod support;

use hipscut::TileFormat;
use std::path::Path;
use std::time::Duration;
use support::hostile::{
    fits_header, gzip_bomb, jpeg_claiming, mkfifo, picture_survey, png_bomb, tile_at,
};
use support::process::{run_measured, Measured};
use support::AnalyticSurvey;

/// No hostile input may raise peak memory more than this above a normal render.
const MEMORY_MARGIN_MIB: f64 = 64.0;
/// Nor take longer than this.
const WALL_LIMIT: Duration = Duration::from_secs(10);
const FIELD: [&str; 8] = ["--lon", "10", "--lat", "10", "--fov", "40", "--width", "64"];

fn render(survey: &Path, out: &Path, extra: &[&str]) -> Measured {
    let mut args = vec![
        "-q",
        "render",
        "--survey",
        survey.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(FIELD);
    args.extend(extra);
    run_measured(&args, &[], Duration::from_secs(60))
}

fn assert_bounded(run: &Measured, baseline: &Measured, what: &str) {
    assert!(
        run.peak_mib <= baseline.peak_mib + MEMORY_MARGIN_MIB,
        "{what}: peak {:.0} MiB against {:.0} MiB for a normal render",
        run.peak_mib,
        baseline.peak_mib
    );
    assert!(run.wall < WALL_LIMIT, "{what}: took {:?}", run.wall);
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
}

/// Each hostile tile fails that tile alone: its parent paints the field, the warning names
/// the problem, `--strict` turns it into an error, and memory and time stay bounded.
fn check_hostile_tile(survey: &Path, tile_path: &Path, body: Option<&[u8]>, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.fits");
    let baseline = render(survey, &out, &[]);
    assert!(baseline.ok(), "{}", baseline.stderr);
    std::fs::remove_file(&out).unwrap();
    let original = std::fs::read(tile_path).unwrap();
    std::fs::remove_file(tile_path).unwrap();
    match body {
        Some(bytes) => std::fs::write(tile_path, bytes).unwrap(),
        None => mkfifo(tile_path),
    }
    let run = render(survey, &out, &[]);
    assert!(run.ok(), "{needle}: {}", run.stderr);
    assert!(run.stderr.contains("1 failed"), "{needle}: {}", run.stderr);
    assert!(
        run.stderr.contains(needle),
        "`{needle}` not in {}",
        run.stderr
    );
    assert_bounded(&run, &baseline, needle);
    eprintln!(
        "{needle}: peak {:.1} MiB (a normal render: {:.1} MiB), {:.2} s",
        run.peak_mib,
        baseline.peak_mib,
        run.wall.as_secs_f64()
    );
    std::fs::remove_file(&out).unwrap();
    let strict = render(survey, &out, &["--strict"]);
    assert_eq!(strict.code, Some(3), "{needle}: {}", strict.stderr);
    assert!(strict.stderr.contains(needle), "{}", strict.stderr);
    assert!(!out.exists(), "--strict left an output");
    std::fs::remove_file(tile_path).unwrap();
    std::fs::write(tile_path, original).unwrap();
}

#[test]
fn hostile_fits_tiles_fail_alone_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let survey = AnalyticSurvey {
        orders: vec![0, 1],
        ..Default::default()
    }
    .write(dir.path());
    let tile = survey.join(tile_at(1, 10.0, 10.0).path(TileFormat::Fits));
    let bomb = gzip_bomb(512 << 20);
    assert!(bomb.len() < 2 << 20, "the bomb is small: {}", bomb.len());
    let cases: Vec<(Option<Vec<u8>>, &str)> = vec![
        (Some(bomb), "inflates beyond"),
        (Some(fits_header(60_000, 60_000, &[])), "expected 64×64"),
        (
            Some(fits_header(64, 64, &["COMMENT caf\u{e9} \u{2603}"])),
            "not printable ASCII",
        ),
        (Some(fits_header(64, 64, &[])), "truncated"),
        (None, "not a regular file"),
    ];
    for (body, needle) in cases {
        check_hostile_tile(&survey, &tile, body.as_deref(), needle);
    }
}

#[test]
fn hostile_pictures_fail_alone_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    for format in [TileFormat::Png, TileFormat::Jpeg] {
        let survey = picture_survey(dir.path(), format.name(), format);
        let tile = survey.join(tile_at(1, 10.0, 10.0).path(format));
        let whole = std::fs::read(&tile).unwrap();
        let (bomb, lie) = match format {
            TileFormat::Png => (png_bomb(20_000), "20000×20000 px, expected 64×64"),
            _ => (jpeg_claiming(30_000), "30000×30000 px, expected 64×64"),
        };
        assert!(bomb.len() < 1 << 20, "the bomb is small: {}", bomb.len());
        check_hostile_tile(&survey, &tile, Some(&bomb), lie);
        let cut = &whole[..whole.len() * 2 / 3];
        let end = if format == TileFormat::Png {
            "IEND"
        } else {
            "end marker"
        };
        check_hostile_tile(&survey, &tile, Some(cut), end);
    }
}

#[test]
fn bad_headers_and_properties_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.png");
    let write = |name: &str, text: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let mut non_ascii = fits_header(10, 10, &["CTYPE1  = 'RA---TAN'", "OBSERVER= 'Ren\u{e9}e'"]);
    non_ascii.truncate(2880);
    let cases = [
        (write("non_ascii.fits", &non_ascii), "not printable ASCII"),
        (
            write("azp.json", br#"{"NAXIS1": 8, "NAXIS2": 8, "CTYPE1": "RA---AZP", "CTYPE2": "DEC--AZP", "CDELT1": -1, "CDELT2": 1, "PV2_2": 95}"#),
            "gamma",
        ),
        (
            write("cea.json", br#"{"NAXIS1": 8, "NAXIS2": 8, "CTYPE1": "RA---CEA", "CTYPE2": "DEC--CEA", "CDELT1": -1, "CDELT2": 1, "PV2_1": 0}"#),
            "lambda",
        ),
        (
            write("szp.json", br#"{"NAXIS1": 8, "NAXIS2": 8, "CTYPE1": "RA---SZP", "CTYPE2": "DEC--SZP", "CDELT1": -1, "CDELT2": 1, "PV2_3": 200}"#),
            "theta_c",
        ),
        (
            write("rank1.json", br#"{"NAXIS1": 8, "NAXIS2": 8, "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CD1_1": 0.1, "CD1_2": 0.1, "CD2_1": 0.1, "CD2_2": 0.1}"#),
            "parallel",
        ),
        (
            write("zero.json", br#"{"NAXIS1": 8, "NAXIS2": 8, "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CD1_1": 0, "CD1_2": 0, "CD2_1": 0, "CD2_2": 0}"#),
            "invalid WCS",
        ),
    ];
    let mut cases: Vec<(&str, String, &str)> = cases
        .iter()
        .map(|(path, needle)| ("--wcs", path.display().to_string(), *needle))
        .collect();
    // Inputs that hang or stream forever are refused before they are read.
    let fifo = dir.path().join("header.fifo");
    mkfifo(&fifo);
    cases.push(("--wcs", fifo.display().to_string(), "not a regular file"));
    cases.push(("--wcs", "/dev/zero".into(), "not a regular file"));
    let deep = dir.path().join("deep");
    std::fs::create_dir(&deep).unwrap();
    let deep_properties = "hips_order = 25\nhips_tile_width = 512\n";
    std::fs::write(deep.join("properties"), deep_properties).unwrap();
    cases.push(("--survey", deep.display().to_string(), "at most 20"));
    for (flag, value, needle) in &cases {
        let args = ["render", flag, value, "-o", out.to_str().unwrap()];
        let run = run_measured(&args, &[], Duration::from_secs(30));
        let expected = if *flag == "--wcs" { 2 } else { 3 };
        assert_eq!(run.code, Some(expected), "{needle}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "`{needle}` not in {}",
            run.stderr
        );
        assert!(
            run.wall < Duration::from_secs(3),
            "{needle}: {:?}",
            run.wall
        );
        assert!(run.peak_mib < 100.0, "{needle}: {} MiB", run.peak_mib);
        assert!(!run.stderr.contains("panicked") && !out.exists());
    }
}

#[test]
fn an_empty_field_is_an_error_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    // Tiles only within 30° of (0, 0); the field is on the other side of the sky.
    let survey = AnalyticSurvey {
        orders: vec![0, 1],
        near: Some(([1.0, 0.0, 0.0], 30.0)),
        ..Default::default()
    }
    .write(dir.path());
    let out = dir.path().join("empty.png");
    let args = |extra: &'static str| {
        let mut a = vec!["--lon", "180", "--lat", "0", "--fov", "10", "--width", "32"];
        if !extra.is_empty() {
            a.push(extra);
        }
        a
    };
    let s = survey.to_str().unwrap();
    let o = out.to_str().unwrap();
    let mut base = vec!["-q", "render", "--survey", s, "-o", o];
    base.extend(args(""));
    let run = run_measured(&base, &[], Duration::from_secs(30));
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert!(
        run.stderr.contains("no output pixel received data") && run.stderr.contains(s),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("(180.0000°, 0.0000°)"),
        "names the field: {}",
        run.stderr
    );
    assert!(!out.exists());
    let mut strict = base.clone();
    strict.push("--strict");
    assert_eq!(
        run_measured(&strict, &[], Duration::from_secs(30)).code,
        Some(4)
    );
    let mut allowed = base.clone();
    allowed.push("--allow-empty");
    let run = run_measured(&allowed, &[], Duration::from_secs(30));
    assert!(run.ok(), "{}", run.stderr);
    assert!(out.exists());
}

#[test]
fn leftovers_of_killed_runs_are_swept_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    // PID 2^31 - 2 is above any pid_max: that process cannot be running.
    let stale = dir.path().join(".hipscut-tmp-2147483646-x1y2");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("out.png"), b"half written").unwrap();
    let notes = dir.path().join(".hipscut-notes");
    std::fs::write(&notes, b"mine").unwrap();
    let out = dir.path().join("out.png");
    let run = run_measured(
        &["render", "--width", "32", "-o", out.to_str().unwrap()],
        &[],
        Duration::from_secs(30),
    );
    assert!(run.ok(), "{}", run.stderr);
    assert!(!stale.exists(), "the stale temporary folder is swept");
    assert!(notes.exists(), "other files stay");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".hipscut-tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn outputs_that_cannot_be_written_are_refused_before_any_work() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked.png");
    std::fs::write(&locked, b"keep me").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
    let no_dir = dir.path().join("missing/out.png");
    let a_dir = dir.path().join("adir.png");
    std::fs::create_dir(&a_dir).unwrap();
    for (out, needle) in [
        (&locked, "read-only"),
        (&no_dir, "does not exist"),
        (&a_dir, "is a folder"),
    ] {
        let run = run_measured(
            &["render", "-o", out.to_str().unwrap()],
            &[],
            Duration::from_secs(30),
        );
        assert_eq!(run.code, Some(2), "{needle}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "`{needle}` not in {}",
            run.stderr
        );
    }
    assert_eq!(std::fs::read(&locked).unwrap(), b"keep me");
}

/// A deadline that passes while painting ends the render promptly: painting jobs not started
/// are skipped, and those running never block on a loop that stopped listening.
#[test]
fn a_deadline_during_painting_ends_the_render_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.png");
    let o = out.to_str().unwrap();
    let args = [
        "-q",
        "render",
        "--width",
        "6000",
        "--painter",
        "precise",
        "-o",
        o,
    ];
    let full = run_measured(&args, &[], Duration::from_secs(120));
    assert!(full.ok(), "{}", full.stderr);
    std::fs::remove_file(&out).unwrap();
    // Painting runs through the middle of the render (planning before, encoding after).
    let deadline = format!("{:.2}", (full.wall.as_secs_f64() * 0.4).max(0.3));
    let mut cut = args.to_vec();
    cut.extend(["--deadline", &deadline]);
    let run = run_measured(&cut, &[], Duration::from_secs(60));
    eprintln!(
        "painting 6000×3000 takes {:.2} s; with a {deadline} s deadline: {:.2} s",
        full.wall.as_secs_f64(),
        run.wall.as_secs_f64()
    );
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(run.stderr.contains("deadline"), "{}", run.stderr);
    let allowed = deadline.parse::<f64>().unwrap() + 1.0;
    assert!(
        run.wall.as_secs_f64() < allowed,
        "{:?} for a {deadline} s deadline",
        run.wall
    );
    assert!(!out.exists());
}
