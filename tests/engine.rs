//! One engine shared by many renders: tiles fetched once and merged across concurrent renders,
//! the per-host limit held across renders, renders from tokio, rayon and plain threads, dropped
//! renders that stop, a panicking task that fails alone, and statistics of each render's own.

mod support;

use hipscut::{render, Engine, EngineOptions, FetchOptions, Raster, RenderRequest, Survey, View};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::server::TestServer;
use support::{assert_bit_identical, AnalyticSurvey};

/// The survey of orders 0–2, in a temporary folder, served with `latency` per tile request.
fn served(latency: Duration) -> (tempfile::TempDir, PathBuf, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let server = TestServer::start_slow(&root, latency);
    (dir, root, server)
}

/// An engine with `per_host` requests per host, no disk cache, and room for every tile.
fn engine(per_host: usize) -> Engine {
    let mut options = EngineOptions::default();
    options.fetch = FetchOptions {
        concurrency: per_host,
        retries: 1,
        timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(5),
        use_cache: false,
        ..FetchOptions::default()
    };
    options.decoded_cache_bytes = 1 << 30;
    Engine::new(options).unwrap()
}

/// Field `k` of a set of overlapping fields.
fn field(k: usize) -> RenderRequest {
    RenderRequest::new(
        View::default()
            .centre(20.0 + (k % 8) as f64 * 6.0, 10.0 + (k / 8) as f64 * 6.0)
            .fov(30.0)
            .size(96, 80),
    )
}

/// The same field rendered alone, from the survey folder, without an engine.
fn alone(dir: &Path, k: usize) -> Raster {
    alone_request(dir, &field(k))
}

fn alone_request(dir: &Path, request: &RenderRequest) -> Raster {
    let survey = Survey::open(Some(dir.to_str().unwrap())).unwrap();
    render(&survey, request).unwrap().image
}

/// Runs `work` on a thread of its own and fails the test if it takes longer than `limit`.
fn within<T: Send + 'static>(limit: Duration, work: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}: deadlock?"))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn concurrent_renders_fetch_each_tile_once_within_the_host_limit() {
    let (_dir, root, server) = served(Duration::from_millis(20));
    let engine = engine(3);
    let url = server.url();
    let rendered = runtime().block_on(async move {
        let survey = engine.survey(Some(&url)).await.unwrap();
        let mut renders = tokio::task::JoinSet::new();
        for k in 0..32 {
            let (engine, survey) = (engine.clone(), Arc::clone(&survey));
            renders.spawn(async move { (k, engine.render(&survey, &field(k)).await) });
        }
        let mut out = Vec::new();
        while let Some(joined) = renders.join_next().await {
            let (k, result) = joined.unwrap();
            out.push((k, result.unwrap()));
        }
        out
    });
    let tiles: Vec<(String, usize)> = server
        .request_counts()
        .into_iter()
        .filter(|(path, _)| path.contains("Norder"))
        .collect();
    let repeated: Vec<_> = tiles.iter().filter(|(_, n)| *n != 1).collect();
    assert!(
        repeated.is_empty(),
        "requested more than once: {repeated:?}"
    );
    assert!(server.max_concurrent() <= 3, "{}", server.max_concurrent());
    let fetched: usize = rendered.iter().map(|(_, r)| r.stats.fetched).sum();
    let shared: usize = rendered.iter().map(|(_, r)| r.stats.from_memory).sum();
    assert_eq!(fetched, tiles.len(), "each fetch is counted by one render");
    assert!(shared > fetched, "{shared} tiles shared, {fetched} fetched");
    eprintln!(
        "32 renders: {} tiles fetched once each, {shared} taken from memory, at most {} requests at once",
        tiles.len(),
        server.max_concurrent()
    );
    for (k, r) in &rendered {
        assert_bit_identical(&r.image, &alone(&root, *k), &format!("field {k}"));
    }
}

#[test]
fn renders_finish_from_tokio_rayon_and_plain_threads() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let location = root.to_str().unwrap().to_string();
    let engine = engine(4);
    let survey = engine.survey_blocking(Some(&location)).unwrap();
    let expected: Vec<Raster> = (0..8).map(|k| alone(&root, k)).collect();
    let expected = Arc::new(expected);

    // From inside a tokio runtime, async and blocking (which used to panic there).
    let (e, s, x, l) = (
        engine.clone(),
        Arc::clone(&survey),
        Arc::clone(&expected),
        location.clone(),
    );
    within(Duration::from_secs(60), move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut renders = tokio::task::JoinSet::new();
            for k in 0..8 {
                let (e, s) = (e.clone(), Arc::clone(&s));
                renders.spawn(async move { (k, e.render(&s, &field(k)).await.unwrap()) });
            }
            while let Some(joined) = renders.join_next().await {
                let (k, r) = joined.unwrap();
                assert_bit_identical(&r.image, &x[k], "tokio");
            }
            let opened = Survey::open(Some(&l)).unwrap();
            assert_bit_identical(
                &render(&opened, &field(0)).unwrap().image,
                &x[0],
                "in tokio",
            );
        });
    });

    // From the workers of a 2-thread rayon pool, eight at once (this deadlocked).
    let (e, s, x) = (engine.clone(), Arc::clone(&survey), Arc::clone(&expected));
    within(Duration::from_secs(60), move || {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            (0..8).into_par_iter().for_each(|k| {
                let r = e.render_blocking(&s, &field(k)).unwrap();
                assert_bit_identical(&r.image, &x[k], "rayon");
                let r = render(&s, &field(k)).unwrap();
                assert_bit_identical(&r.image, &x[k], "rayon, one-shot");
            });
        });
    });

    // From plain threads.
    let threads: Vec<_> = (0..8)
        .map(|k| {
            let (e, s, x) = (engine.clone(), Arc::clone(&survey), Arc::clone(&expected));
            std::thread::spawn(move || {
                let r = e.render_blocking(&s, &field(k)).unwrap();
                assert_bit_identical(&r.image, &x[k], "thread");
            })
        })
        .collect();
    within(Duration::from_secs(60), move || {
        threads.into_iter().for_each(|t| t.join().unwrap())
    });
}

#[test]
fn a_dropped_render_stops_its_fetches_and_tasks() {
    let (_dir, _root, server) = served(Duration::from_millis(300));
    let engine = engine(2);
    let url = server.url();
    let (e, rt) = (engine.clone(), runtime());
    rt.block_on(async move {
        let survey = e.survey(Some(&url)).await.unwrap();
        let request = field(0);
        let cut = tokio::time::timeout(Duration::from_millis(400), e.render(&survey, &request));
        assert!(cut.await.is_err(), "the render was still fetching");
    });
    let dropped = Instant::now();
    let tiles = || server.requests("Norder");
    std::thread::sleep(Duration::from_millis(100));
    let after_100ms = tiles();
    std::thread::sleep(Duration::from_millis(900));
    assert!(after_100ms > 0, "the render had started fetching");
    assert_eq!(
        tiles(),
        after_100ms,
        "a request was sent after the render was dropped"
    );
    while engine.live_tasks() > 0 {
        assert!(
            dropped.elapsed() < Duration::from_secs(5),
            "{} tasks still alive",
            engine.live_tasks()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_panicking_decoder_fails_its_tile_alone() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let poisoned = support::hostile::tile_at(2, 44.0, 10.0);
    let poisoned_path = poisoned.path(hipscut::TileFormat::Fits);
    let mut options = EngineOptions::default();
    let hook_path = poisoned_path.clone();
    options.decode_hook = Some(Arc::new(move |path: &str| {
        if path == hook_path {
            panic!("test hook: decoding {path} panics");
        }
    }));
    let engine = Engine::new(options).unwrap();
    let survey = Survey::open(Some(root.to_str().unwrap())).unwrap();
    let survey = Arc::new(survey);
    let r = within(Duration::from_secs(60), {
        let (e, s) = (engine.clone(), Arc::clone(&survey));
        move || e.render_blocking(&s, &field(4))
    })
    .unwrap();
    assert_eq!(r.stats.failed, 1, "{:?}", r.stats.failures);
    assert!(
        r.stats.failures[0].contains("internal error"),
        "{:?}",
        r.stats.failures
    );
    assert!(
        r.image.data.iter().all(|v| !v.is_nan()),
        "the parent filled in"
    );
    let strict = field(4).strict(true);
    let err = engine.render_blocking(&survey, &strict).unwrap_err();
    assert_eq!(err.kind(), hipscut::ErrorKind::Unreachable, "{err}");
    // The engine keeps serving, elsewhere.
    let far = RenderRequest::new(View::default().centre(200.0, -40.0).fov(30.0).size(96, 80));
    let other = engine.render_blocking(&survey, &far).unwrap();
    assert_eq!(other.stats.failed, 0);
    assert_bit_identical(&other.image, &alone_request(&root, &far), "after a panic");
    assert_eq!(engine.live_tasks(), 0);
}

#[test]
fn each_render_reports_its_own_statistics() {
    let dir = tempfile::tempdir().unwrap();
    let root = AnalyticSurvey::three_orders().write(dir.path());
    let server = TestServer::start(&root);
    let engine = engine(4);
    let survey = engine.survey_blocking(Some(&server.url())).unwrap();
    let first = engine.render_blocking(&survey, &field(9)).unwrap();
    let second = engine.render_blocking(&survey, &field(9)).unwrap();
    let s1 = &first.stats;
    let s2 = &second.stats;
    assert!(
        s1.fetched > 0 && s1.bytes > 0 && s1.from_memory == 0,
        "{s1:?}"
    );
    assert_eq!((s2.fetched, s2.bytes, s2.retried), (0, 0, 0), "{s2:?}");
    assert_eq!(s2.from_memory, s1.fetched + s1.from_memory, "{s2:?}");
    assert_eq!(s1.pixels_painted, s2.pixels_painted);
    assert_bit_identical(&first.image, &second.image, "from memory");
}
