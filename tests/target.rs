//! `--target`: names found by a Sesame stand-in on 127.0.0.1, kept in the disk cache, and the
//! built-in table when Sesame fails, hangs, is unreachable or does not know the name.

mod support;

use hipscut::{resolve_target, Error, FetchOptions, OpenOptions, TargetSource};
use std::path::Path;
use std::time::{Duration, Instant};
use support::server::{closed_port_url, Fault, TestServer};

const CRAB: &str = "<?xml version=\"1.0\"?><Sesame><Target option=\"SNV\"><name>M1</name>\
    <Resolver name=\"S=Simbad\"><jpos>05:34:31.93 +22:00:52.1</jpos>\
    <jradeg>83.6332500</jradeg><jdedeg>+22.0145000</jdedeg></Resolver></Target></Sesame>";
const NOTHING: &str = "<?xml version=\"1.0\"?><Sesame><Target><name>x</name>\
    <INFO>*** Nothing found ***</INFO></Target></Sesame>";

fn options(sesame: &str, cache: &Path) -> OpenOptions {
    OpenOptions {
        fetch: FetchOptions {
            cache_dir: Some(cache.to_path_buf()),
            retries: 0,
            ..FetchOptions::default()
        },
        sesame: Some(sesame.to_string()),
        ..OpenOptions::default()
    }
}

#[test]
fn sesame_answers_are_used_and_kept_in_the_disk_cache() {
    let (root, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = TestServer::start(root.path());
    server.fault("SNV?M1", Fault::Body(CRAB.as_bytes().to_vec()), None);
    let opts = options(&format!("{}/sesame", server.url()), cache.path());
    let first = resolve_target("M1", &opts).unwrap();
    assert_eq!((first.ra, first.dec), (83.63325, 22.0145));
    assert_eq!(first.source, TargetSource::Sesame);
    assert!(first.size_deg.is_some(), "the table gives the size");
    let second = resolve_target("M1", &opts).unwrap();
    assert_eq!(second.source, TargetSource::Cache);
    assert_eq!(
        server.requests("SNV"),
        1,
        "the second answer comes from the disk cache"
    );
}

#[test]
fn the_table_answers_when_sesame_fails_hangs_is_away_or_does_not_know() {
    let (root, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = TestServer::start(root.path());
    server.fault("Andromeda", Fault::Body(NOTHING.as_bytes().to_vec()), None);
    server.fault("Pleiades", Fault::Status(500), None);
    server.fault("Crab", Fault::Hang(Duration::from_secs(30)), None);
    let here = format!("{}/sesame", server.url());
    let away = format!("{}/sesame", closed_port_url());
    for (name, sesame, ra) in [
        ("Andromeda Galaxy", &here, 10.68),
        ("Pleiades", &here, 56.87),
        ("Crab Nebula", &here, 83.63),
        ("M 42", &away, 83.82),
    ] {
        let start = Instant::now();
        let target = resolve_target(name, &options(sesame, cache.path())).unwrap();
        assert!((target.ra - ra).abs() < 0.01, "{name}: {target:?}");
        assert!(
            matches!(target.source, TargetSource::Table { .. }),
            "{name}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{name} waited too long"
        );
    }
    let unknown = resolve_target("Vulcan", &options(&away, cache.path())).unwrap_err();
    assert!(matches!(unknown, Error::UnknownTarget { .. }), "{unknown}");
    assert_eq!(unknown.kind(), hipscut::ErrorKind::NotFound);
    assert!(resolve_target(" ", &options(&away, cache.path())).is_err());
}

#[test]
fn a_target_centres_the_render_and_sizes_its_field() {
    let (root, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = TestServer::start(root.path());
    server.fault("SNV?M1", Fault::Body(CRAB.as_bytes().to_vec()), None);
    let out = cache.path().join("crab.fits");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args([
            "render",
            "--target",
            "M1",
            "--width",
            "20",
            "--allow-empty",
            "-q",
        ])
        .args(["--sesame", &format!("{}/sesame", server.url())])
        .args(["--cache-dir", cache.path().to_str().unwrap(), "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let header = std::fs::read(&out).unwrap();
    let card = |key: &str| {
        let at = header
            .chunks(80)
            .find(|c| c.starts_with(key.as_bytes()))
            .unwrap_or_else(|| panic!("no {key}"));
        let text = String::from_utf8_lossy(&at[10..]).into_owned();
        text.split('/')
            .next()
            .unwrap()
            .trim()
            .parse::<f64>()
            .unwrap()
    };
    assert!((card("CRVAL1") - 83.63325).abs() < 1e-9 && (card("CRVAL2") - 22.0145).abs() < 1e-9);
    // The Crab is 8′ across: the field is 1.5 times that, over 20 pixels.
    assert!(
        (card("CD2_2") - 12.0 / 60.0 / 20.0).abs() < 1e-12,
        "{}",
        card("CD2_2")
    );
}

#[test]
fn an_engine_finds_targets_through_its_own_client_and_cache() {
    let (root, cache) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let server = TestServer::start(root.path());
    server.fault("SNV?M1", Fault::Body(CRAB.as_bytes().to_vec()), None);
    let mut options = hipscut::EngineOptions::default();
    options.fetch = options_fetch(cache.path());
    options.sesame = Some(format!("{}/sesame", server.url()));
    let engine = hipscut::Engine::new(options).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let first = runtime.block_on(engine.target("M1")).unwrap();
    let again = runtime.block_on(engine.target("M1")).unwrap();
    assert_eq!(
        (first.source, again.source),
        (TargetSource::Sesame, TargetSource::Cache)
    );
    assert_eq!(server.requests("SNV"), 1);
}

fn options_fetch(cache: &Path) -> FetchOptions {
    options("unused", cache).fetch
}
