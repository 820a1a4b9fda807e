//! Hostile and broken servers: endless and cut bodies, redirects elsewhere, a server that
//! never answers, and a cache folder shared with the user's files or with other surveys.
//! Each case runs the binary against the local test server and checks its exit status, its
//! message, its peak memory and wall time, and what the cache holds afterwards.

mod support;

use hipscut::TileFormat;
use std::path::Path;
use std::time::Duration;
use support::hostile::{files_below, picture_survey, tile_at};
use support::process::{run_measured, Measured};
use support::server::{Fault, TestServer};
use support::AnalyticSurvey;

const MEMORY_MARGIN_MIB: f64 = 64.0;

/// Quick failures for a field of a few tiles: short timeouts, one retry.
const QUICK: [&str; 6] = ["--fov", "40", "--timeout", "2", "--retries", "1"];

/// Renders 64 px around (10°, 10°) from `survey` through the cache at `cache`, with `extra`
/// flags (the field of view among them).
fn render(survey: &str, cache: &Path, out: &Path, extra: &[&str]) -> Measured {
    let mut args = vec![
        "-q",
        "render",
        "--survey",
        survey,
        "--cache-dir",
        cache.to_str().unwrap(),
        "--lon",
        "10",
        "--lat",
        "10",
        "--width",
        "64",
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend(extra);
    run_measured(&args, &[], Duration::from_secs(90))
}

/// The cached files of every survey folder, without the folder names.
fn cached(cache: &Path) -> Vec<String> {
    files_below(&cache.join("hipscut-v1/surveys"))
        .into_iter()
        .filter_map(|p| p.split_once('/').map(|(_, rest)| rest.to_string()))
        .collect()
}

#[test]
fn endless_and_cut_bodies_fail_without_being_cached() {
    let dir = tempfile::tempdir().unwrap();
    let survey = picture_survey(dir.path(), "jpg", TileFormat::Jpeg);
    let server = TestServer::start(&survey);
    let tile = tile_at(1, 10.0, 10.0).path(TileFormat::Jpeg);
    let out = dir.path().join("out.png");
    let baseline = render(&server.url(), &dir.path().join("c0"), &out, &QUICK);
    assert!(baseline.ok(), "{}", baseline.stderr);
    // An oversized body is not retried; a cut one is, once (--retries 1).
    for (fault, requests, needle) in [
        (Fault::Endless, 1, "longer than"),
        (Fault::TruncateUnannounced, 2, "end marker"),
        (Fault::Truncate, 2, "truncated or broken body"),
    ] {
        let cache = dir.path().join(format!("cache-{needle}"));
        server.fault(&tile, fault, Some(requests));
        let run = render(&server.url(), &cache, &out, &QUICK);
        assert!(run.ok(), "{needle}: {}", run.stderr);
        assert!(
            run.stderr.contains("1 failed") && run.stderr.contains(needle),
            "{}",
            run.stderr
        );
        assert!(
            run.peak_mib <= baseline.peak_mib + MEMORY_MARGIN_MIB,
            "{needle}: {run:?}"
        );
        assert!(
            run.wall < Duration::from_secs(15),
            "{needle}: {:?}",
            run.wall
        );
        eprintln!(
            "{needle}: peak {:.1} MiB (a normal render: {:.1} MiB), {:.2} s",
            run.peak_mib,
            baseline.peak_mib,
            run.wall.as_secs_f64()
        );
        let held = cached(&cache);
        assert!(!held.contains(&tile), "{needle}: the bad body was cached");
        assert!(held.contains(&"properties".to_string()), "{held:?}");
        assert!(files_below(&cache.join("hipscut-v1/tmp")).is_empty());
    }
    // An endless `properties` is refused as such, quickly.
    server.fault("properties", Fault::Endless, Some(10));
    let run = render(&server.url(), &dir.path().join("c1"), &out, &QUICK);
    assert_eq!(run.code, Some(3));
    assert!(
        run.stderr.contains("longer than the 1048576 bytes"),
        "{}",
        run.stderr
    );
    assert!(run.wall < Duration::from_secs(10) && run.peak_mib < baseline.peak_mib + 64.0);
}

#[test]
fn redirects_stay_on_the_survey_host_and_are_cached_where_served() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let survey = picture_survey(&root, "real", TileFormat::Jpeg);
    std::fs::rename(&survey, root.join("moved")).unwrap();
    std::fs::create_dir(root.join("real")).unwrap();
    std::fs::copy(root.join("moved/properties"), root.join("real/properties")).unwrap();
    let server = TestServer::start(&root);
    let tile = tile_at(1, 10.0, 10.0).path(TileFormat::Jpeg);
    let out = dir.path().join("out.png");
    // Same host: followed, and cached under the folder that served it.
    let moved = format!("{}/moved/", server.url());
    server.fault(
        "/real/Norder",
        Fault::Redirect("/real/".into(), moved),
        None,
    );
    let cache = dir.path().join("cache");
    let run = render(&format!("{}/real", server.url()), &cache, &out, &QUICK);
    assert!(
        run.ok() && run.stderr.contains("0 failed"),
        "{}",
        run.stderr
    );
    let folders = files_below(&cache.join("hipscut-v1/surveys"));
    assert!(
        folders
            .iter()
            .any(|f| f.contains("_moved-") && f.ends_with(&tile)),
        "{folders:?}"
    );
    assert!(!folders
        .iter()
        .any(|f| f.contains("_real-") && f.ends_with(&tile)));
    // Another host (the same server, named differently): refused, reported, not cached.
    let elsewhere = format!("{}/moved/", server.url().replace("127.0.0.1", "localhost"));
    let server2 = TestServer::start(&root);
    server2.fault(
        "/real/Norder",
        Fault::Redirect("/real/".into(), elsewhere),
        None,
    );
    let cache2 = dir.path().join("cache2");
    let run = render(&format!("{}/real", server2.url()), &cache2, &out, &QUICK);
    assert!(
        run.stderr
            .contains("redirect to another host (localhost) refused"),
        "{}",
        run.stderr
    );
    assert!(!cached(&cache2).iter().any(|f| f.starts_with("Norder1")));
}

#[test]
fn the_cache_keeps_to_itself_and_to_one_url_per_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    // Two surveys whose names the old cache mapped to one folder; their skies differ.
    let icrs = AnalyticSurvey::default().write(&dir.path().join("a"));
    let galactic = AnalyticSurvey {
        frame: hipscut::Frame::Galactic,
        ..Default::default()
    }
    .write(&dir.path().join("b"));
    std::fs::rename(&icrs, root.join("s_1")).unwrap();
    std::fs::rename(&galactic, root.join("s:1")).unwrap();
    let server = TestServer::start(&root);
    // The user's own files in the cache folder, which a tiny cap must not touch.
    let cache = dir.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::write(cache.join("thesis.tex"), vec![b'x'; 50_000]).unwrap();
    let stale_tmp = cache.join("hipscut-v1/tmp/2147483646-dead");
    std::fs::create_dir_all(stale_tmp.parent().unwrap()).unwrap();
    std::fs::write(&stale_tmp, b"half").unwrap();
    let authed = server.url().replace("http://", "http://user:s3cret@");
    let mut outs = Vec::new();
    for (name, base) in [("s_1", &server.url()), ("s:1", &authed)] {
        let out = dir.path().join(format!("{}.fits", name.replace(':', "-")));
        let run = render(&format!("{base}/{name}"), &cache, &out, &QUICK);
        assert!(run.ok(), "{name}: {}", run.stderr);
        let local = dir
            .path()
            .join(format!("{}-local.fits", name.replace(':', "-")));
        let run = render(root.join(name).to_str().unwrap(), &cache, &local, &QUICK);
        assert!(run.ok(), "{}", run.stderr);
        let (remote, here) = (std::fs::read(&out).unwrap(), std::fs::read(&local).unwrap());
        assert!(
            remote == here,
            "{name}: the served render differs from the local one"
        );
        outs.push(remote);
    }
    assert_ne!(
        outs[0], outs[1],
        "the two surveys differ, so no tile was shared"
    );
    assert!(
        cache.join("thesis.tex").exists(),
        "eviction deleted a user file"
    );
    assert!(
        !stale_tmp.exists(),
        "the dead writer's temporary file was swept"
    );
    let names = files_below(&cache).join("\n");
    assert!(
        !names.contains("s3cret") && !names.contains("user"),
        "{names}"
    );
}

#[test]
fn an_unresponsive_server_ends_within_the_deadline_naming_its_host() {
    let dir = tempfile::tempdir().unwrap();
    let survey = AnalyticSurvey::default().write(dir.path());
    let server = TestServer::start(&survey);
    let host = server.url().replace("http://", "");
    server.fault("Norder", Fault::Hang(Duration::from_secs(60)), None);
    let out = dir.path().join("out.png");
    let cache = dir.path().join("cache");
    // Default timeout and retries: only the deadline ends it.
    let flags = ["--fov", "40", "--deadline", "5"];
    let run = render(&server.url(), &cache, &out, &flags);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(run.wall < Duration::from_secs(8), "took {:?}", run.wall);
    assert!(
        run.stderr.contains("deadline") && run.stderr.contains(&host),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("nothing has arrived for 2 s") && run.stderr.contains(&host),
        "the wait is reported: {}",
        run.stderr
    );
    assert!(!out.exists());
    // A server that never answers at all, properties included (a fresh cache, so they are
    // not read from it).
    server.fault("properties", Fault::Hang(Duration::from_secs(60)), None);
    let run = render(&server.url(), &dir.path().join("cache2"), &out, &flags);
    assert_eq!(run.code, Some(3), "{}", run.stderr);
    assert!(run.wall < Duration::from_secs(8), "took {:?}", run.wall);
    let notice = format!("waiting for the survey's `properties` from {host}");
    assert!(run.stderr.contains(&notice), "{}", run.stderr);
    assert!(
        run.stderr.contains("deadline") && run.stderr.contains(&host),
        "{}",
        run.stderr
    );
}

/// When tiles time out, their fallback levels are asked for together: four levels of a
/// survey that never answers its tiles cost about two timeouts, not one per level.
#[test]
fn fallback_levels_after_a_timeout_are_fetched_together() {
    let dir = tempfile::tempdir().unwrap();
    let survey = AnalyticSurvey {
        orders: vec![0, 1, 2, 3],
        order_max: 3,
        near: Some(([0.97, 0.17, 0.17], 20.0)),
        ..Default::default()
    }
    .write(dir.path());
    let server = TestServer::start(&survey);
    server.fault("Norder", Fault::Hang(Duration::from_secs(30)), None);
    let out = dir.path().join("out.png");
    let cache = dir.path().join("cache");
    let flags = [
        "--fov",
        "3",
        "--timeout",
        "1",
        "--retries",
        "0",
        "--concurrency",
        "64",
        "--deadline",
        "30",
    ];
    let run = render(&server.url(), &cache, &out, &flags);
    // Order 3, then 2, 1, 0 and the Allsky at once: two timeouts of 1 s (and a probe).
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    assert!(
        run.stderr.contains("no output pixel received data"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    assert!(
        run.wall < Duration::from_millis(3500),
        "one timeout per level would take 5 s; took {:?}",
        run.wall
    );
}

/// A `properties` file that lists hundreds of mirrors makes hipscut probe a few of them, not
/// every one.
#[test]
fn a_flood_of_mirrors_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let survey = AnalyticSurvey::default().write(dir.path());
    let server = TestServer::start(&survey);
    let mirrors = (0..500).map(|k| format!("{}/m{k}", server.url())).collect();
    server.set_mirrors(mirrors);
    let out = dir.path().join("out.fits");
    let run = render(&server.url(), &dir.path().join("cache"), &out, &QUICK);
    assert!(run.ok(), "{}", run.stderr);
    let probed = server.requests("/m");
    assert!((1..=8).contains(&probed), "{probed} mirrors probed");
}
