//! Rendering over HTTP from a local test server, clean and with injected faults: each render
//! must give the image a local render gives (or the documented fallback), report what happened,
//! and leave only good entries in the cache; a second render must be served by the cache alone.

mod support;

use hipscut::internals::{decode_raster, Shape, TileId};
use hipscut::{
    render, FetchOptions, OpenOptions, Raster, RenderRequest, Rendered, Survey, TileFormat, View,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::server::{closed_port_url, Fault, TestServer};
use support::{assert_bit_identical, AnalyticSurvey};

struct Setup {
    _dir: tempfile::TempDir,
    survey: PathBuf,
    cache: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let survey = AnalyticSurvey {
        orders: vec![0, 1],
        ..Default::default()
    }
    .write(dir.path());
    let cache = dir.path().join("cache");
    Setup {
        _dir: dir,
        survey,
        cache,
    }
}

fn options(cache: &Path) -> OpenOptions {
    OpenOptions {
        fetch: FetchOptions {
            concurrency: 4,
            retries: 2,
            timeout: Duration::from_millis(800),
            backoff: Duration::from_millis(5),
            cache_dir: Some(cache.to_path_buf()),
            use_cache: true,
            cache_size: 1 << 30,
            user_agent: None,
        },
        hipslist: None,
        sesame: None,
        deadline: None,
    }
}

fn request() -> RenderRequest {
    RenderRequest::new(View::default().centre(30.0, 20.0).fov(70.0).size(120, 90))
}

/// The tile of order 1 under the image centre: a tile every render here needs.
fn centre_tile() -> TileId {
    let (lon, lat) = (30f64.to_radians(), 20f64.to_radians());
    TileId::new(1, cdshealpix::nested::get(1).hash(lon, lat))
}

fn render_from(location: &str, opts: &OpenOptions) -> Rendered {
    let survey = Survey::open_with(Some(location), opts).expect("survey opens");
    render(&survey, &request()).expect("render")
}

fn local_render(dir: &Path) -> Raster {
    // A local survey needs no cache: none is opened (nothing is written outside the test's
    // folders).
    let mut opts = options(dir);
    opts.fetch.use_cache = false;
    render_from(dir.to_str().unwrap(), &opts).image
}

/// Every cached tile decodes, no temporary file is left, and `absent` is not cached as a tile.
fn assert_cache_clean(cache: &Path, absent: Option<TileId>) {
    let tmp = cache.join("hipscut-v1/tmp");
    let in_progress: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(
        in_progress.is_empty(),
        "temporary files left: {in_progress:?}"
    );
    let mut stack = vec![cache.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            assert!(
                !name.starts_with(".tmp"),
                "temporary file left: {}",
                path.display()
            );
            if let Some(t) = absent {
                assert!(
                    !path.ends_with(t.path(TileFormat::Fits)),
                    "a bad body was cached"
                );
            }
            if name.ends_with(".fits") {
                let bytes = std::fs::read(&path).unwrap();
                decode_raster(&bytes, TileFormat::Fits, 1, Shape::Tile(64), &name)
                    .expect("cached tiles decode");
            }
        }
    }
}

#[test]
fn clean_server_matches_local_and_the_second_render_is_served_by_the_cache() {
    let s = setup();
    let server = TestServer::start(&s.survey);
    let reference = local_render(&s.survey);
    let first = render_from(&server.url(), &options(&s.cache));
    assert_bit_identical(&first.image, &reference, "first render");
    assert!(first.stats.fetched >= 4, "{:?}", first.stats);
    assert_eq!(
        (
            first.stats.from_cache,
            first.stats.failed,
            first.stats.retried
        ),
        (0, 0, 0)
    );
    assert!(
        server.max_concurrent() <= 4,
        "at most --concurrency requests at once"
    );
    let requests = server.requests("/");
    let second = render_from(&server.url(), &options(&s.cache));
    assert_bit_identical(&second.image, &reference, "cached render");
    assert_eq!(
        server.requests("/"),
        requests,
        "the second render made requests"
    );
    assert_eq!(second.stats.fetched, 0);
    assert_eq!(second.stats.from_cache, first.stats.fetched);
    assert_cache_clean(&s.cache, None);
}

#[test]
fn latency_changes_nothing_but_time() {
    let s = setup();
    let server = TestServer::start(&s.survey);
    server.fault("Npix", Fault::Latency(Duration::from_millis(40)), None);
    let r = render_from(&server.url(), &options(&s.cache));
    assert_bit_identical(&r.image, &local_render(&s.survey), "slow server");
}

#[test]
fn transient_failures_are_retried_to_the_same_image() {
    let t = centre_tile();
    let name = format!("/{}", t.path(TileFormat::Fits));
    let cases = [
        ("500 then success", Fault::Status(500), 2),
        (
            "hang past the timeout",
            Fault::Hang(Duration::from_secs(3)),
            1,
        ),
        ("truncated body", Fault::Truncate, 1),
        ("garbage bytes", Fault::Garbage, 1),
        ("dropped connection", Fault::Drop, 1),
    ];
    for (what, fault, times) in cases {
        let s = setup();
        let server = TestServer::start(&s.survey);
        server.fault(&name, fault, Some(times));
        let r = render_from(&server.url(), &options(&s.cache));
        assert_bit_identical(&r.image, &local_render(&s.survey), what);
        assert_eq!(r.stats.failed, 0, "{what}: {:?}", r.stats);
        assert!(r.stats.retried >= times as u64, "{what}: {:?}", r.stats);
        assert!(
            server.requests(&name) > times,
            "{what}: the tile was asked for again"
        );
        assert_cache_clean(&s.cache, None);
    }
}

/// A survey folder without `tile`, for the reference of fallback renders.
fn without(survey: &Path, tile: TileId) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for e in std::fs::read_dir(survey.join(&rel)).unwrap().flatten() {
            let r = rel.join(e.file_name());
            if e.path().is_dir() {
                std::fs::create_dir_all(copy.path().join(&r)).unwrap();
                stack.push(r);
            } else if !r.ends_with(tile.path(TileFormat::Fits)) {
                std::fs::copy(e.path(), copy.path().join(&r)).unwrap();
            }
        }
    }
    copy
}

#[test]
fn missing_and_broken_tiles_fall_back_to_their_parent() {
    let t = centre_tile();
    let name = format!("/{}", t.path(TileFormat::Fits));
    let cases = [
        ("404", Fault::Status(404), false),
        ("always 500", Fault::Status(500), true),
        ("always garbage", Fault::Garbage, true),
    ];
    for (what, fault, counts_as_failed) in cases {
        let s = setup();
        let reference = local_render(without(&s.survey, t).path());
        let server = TestServer::start(&s.survey);
        server.fault(&name, fault, None);
        let r = render_from(&server.url(), &options(&s.cache));
        assert_bit_identical(&r.image, &reference, what);
        assert!(
            r.image.data.iter().all(|v| v.is_finite()),
            "{what}: no hole"
        );
        if counts_as_failed {
            assert_eq!(r.stats.failed, 1, "{what}: {:?}", r.stats);
            assert_eq!(r.stats.failures.len(), 1);
        } else {
            assert_eq!(
                (r.stats.failed, r.stats.missing),
                (0, 1),
                "{what}: {:?}",
                r.stats
            );
        }
        assert_cache_clean(&s.cache, Some(t));
        // --strict turns a failed tile into an error.
        if counts_as_failed {
            let survey = Survey::open_with(Some(&server.url()), &options(&s.cache)).unwrap();
            let strict = request().strict(true);
            let err = render(&survey, &strict)
                .expect_err("strict fails")
                .to_string();
            assert!(err.contains("strict"), "{err}");
        }
    }
}

#[test]
fn a_mirror_that_is_down_is_skipped_and_a_mirror_that_is_up_takes_over() {
    let s = setup();
    let reference = local_render(&s.survey);
    // The main server lists a dead mirror: the render works as if it were not there.
    let main = TestServer::start(&s.survey);
    main.set_mirrors(vec![closed_port_url()]);
    let r = render_from(&main.url(), &options(&s.cache));
    assert_bit_identical(&r.image, &reference, "dead mirror listed");
    assert_eq!(r.stats.failed, 0);

    // The main server fails every tile; the mirror it lists serves them.
    let s = setup();
    let main = TestServer::start(&s.survey);
    let mirror = TestServer::start(&s.survey);
    main.set_mirrors(vec![mirror.url()]);
    main.fault("Npix", Fault::Status(503), None);
    main.fault("properties", Fault::Latency(Duration::ZERO), None);
    let r = render_from(&main.url(), &options(&s.cache));
    assert_bit_identical(&r.image, &reference, "failover to the mirror");
    assert_eq!(r.stats.failed, 0, "{:?}", r.stats);
    assert!(mirror.requests("Npix") >= 4, "the mirror served the tiles");
}

#[test]
fn survey_ids_resolve_through_a_hips_list() {
    let s = setup();
    let server = TestServer::start(&s.survey);
    let list = s.cache.parent().unwrap().join("hipslist.txt");
    std::fs::write(
        &list,
        format!(
            "ID = TEST/P/analytic\nobs_title = Analytic\nhips_service_url = {}\n\n\
             ID = TEST/P/other\nhips_service_url = {}\n",
            server.url(),
            closed_port_url()
        ),
    )
    .unwrap();
    let mut opts = options(&s.cache);
    opts.hipslist = Some(list.to_str().unwrap().to_string());
    let r = render_from("TEST/P/analytic", &opts);
    assert_bit_identical(&r.image, &local_render(&s.survey), "survey by ID");
    let err = Survey::open_with(Some("TEST/P/analytik"), &opts)
        .err()
        .expect("unknown ID")
        .to_string();
    assert!(
        err.contains("TEST/P/analytic"),
        "the closest IDs are listed: {err}"
    );
}

#[test]
fn an_unreachable_survey_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Survey::open_with(Some(&closed_port_url()), &options(dir.path()))
        .err()
        .expect("no server")
        .to_string();
    assert!(err.contains("properties"), "{err}");
}
