//! Many small renders through one engine against one-shot CLI processes: 200 fields of
//! 256×256 px around the Galactic Centre (FermiColor sample tiles), served by the test tile
//! server with 20 ms of latency per request, then warm. Prints fields/s and the tile requests
//! the server saw for each. Run: `cargo bench --bench engine` (`-- --engine-only` runs only
//! the engine, ten more times warm, for a profiler).

#[path = "../tests/support/mod.rs"]
mod support;

use hipscut::{Engine, EngineOptions, FetchOptions, OutputFormat, RenderRequest, View};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::server::{Fault, TestServer};

const FIELDS: usize = 200;
/// Renders in flight at once through the engine.
const ENGINE_IN_FLIGHT: usize = 32;
/// CLI processes at once (a shell's `xargs -P`).
const PROCESSES_IN_FLIGHT: usize = 4;

fn request(k: usize) -> RenderRequest {
    let (lon, lat) = support::galactic_centre_field(k);
    RenderRequest::new(View::default().centre(lon, lat).fov(1.0).size(256, 256)).allow_empty(true)
}

/// Renders every field through one engine and encodes it as PNG; returns the seconds taken.
fn engine_pass(engine: &Engine, url: &str) -> f64 {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let start = Instant::now();
    rt.block_on(async {
        let survey = engine.survey(Some(url)).await.expect("survey");
        let gate = Arc::new(tokio::sync::Semaphore::new(ENGINE_IN_FLIGHT));
        let mut renders = tokio::task::JoinSet::new();
        for k in 0..FIELDS {
            let (engine, survey) = (engine.clone(), Arc::clone(&survey));
            let permit = Arc::clone(&gate).acquire_owned().await.expect("gate");
            renders.spawn(async move {
                let _permit = permit;
                let rendered = engine.render(&survey, &request(k)).await.expect("render");
                // Encoded as the processes write theirs, in memory as a service would.
                let mut png = Vec::new();
                rendered
                    .encode(OutputFormat::Png, &mut png)
                    .expect("encode");
            });
        }
        while renders.join_next().await.is_some() {}
    });
    start.elapsed().as_secs_f64()
}

/// Renders every field with one `hipscut render` process each, with the disk cache `cache`
/// (`None`: `--no-cache`); returns the seconds taken.
fn process_pass(url: &str, cache: Option<&Path>, out: &Path) -> f64 {
    let start = Instant::now();
    let mut running = Vec::new();
    for k in 0..FIELDS {
        if running.len() == PROCESSES_IN_FLIGHT {
            let child: std::process::Child = running.remove(0);
            wait_ok(child);
        }
        let (lon, lat) = support::galactic_centre_field(k);
        let child = Command::new(env!("CARGO_BIN_EXE_hipscut"))
            .args([
                "-q", "render", "--survey", url, "--fov", "1", "--width", "256",
            ])
            .args([
                "--lon",
                &lon.to_string(),
                "--lat",
                &lat.to_string(),
                "--allow-empty",
            ])
            .args(match cache {
                Some(dir) => vec!["--cache-dir".into(), dir.as_os_str().to_owned()],
                None => vec!["--no-cache".into()],
            })
            .arg("-o")
            .arg(out.join(format!("f{k}.png")))
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("hipscut runs");
        running.push(child);
    }
    running.into_iter().for_each(wait_ok);
    start.elapsed().as_secs_f64()
}

fn wait_ok(mut child: std::process::Child) {
    assert!(child.wait().expect("wait").success(), "a render failed");
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/FermiColor");
    let dir = tempfile::tempdir().expect("temp dir");
    let report = |what: &str, secs: f64, tiles: usize| {
        let rate = FIELDS as f64 / secs;
        println!("{what:<28} {rate:8.1} fields/s  ({secs:.2} s, {tiles} tile requests)");
        rate
    };

    let server = TestServer::start(&root);
    server.fault("Norder", Fault::Latency(Duration::from_millis(20)), None);
    let mut options = EngineOptions::default();
    options.fetch = FetchOptions {
        use_cache: false,
        ..FetchOptions::default()
    };
    let engine = Engine::new(options).expect("engine");
    let cold = engine_pass(&engine, &server.url());
    let engine_cold = report("engine, 20 ms latency", cold, server.requests("Norder"));
    let before = server.requests("Norder");
    let warm = engine_pass(&engine, &server.url());
    let engine_warm = report("engine, warm", warm, server.requests("Norder") - before);
    if std::env::args().any(|a| a == "--engine-only") {
        // For a profiler: ten more warm passes, and nothing else.
        for _ in 0..10 {
            engine_pass(&engine, &server.url());
        }
        return;
    }

    let server = TestServer::start(&root);
    server.fault("Norder", Fault::Latency(Duration::from_millis(20)), None);
    let alone = process_pass(&server.url(), None, dir.path());
    let cli_alone = report(
        "processes, no cache, 20 ms",
        alone,
        server.requests("Norder"),
    );

    let server = TestServer::start(&root);
    server.fault("Norder", Fault::Latency(Duration::from_millis(20)), None);
    let cache = dir.path().join("cache");
    let cold = process_pass(&server.url(), Some(&cache), dir.path());
    let cli_cold = report("processes, one disk cache", cold, server.requests("Norder"));
    let before = server.requests("Norder");
    let warm = process_pass(&server.url(), Some(&cache), dir.path());
    let cli_warm = report(
        "processes, warm disk cache",
        warm,
        server.requests("Norder") - before,
    );

    println!(
        "engine / processes: {:.1}× with latency (no cache), {:.1}× with latency (one disk \
         cache), {:.1}× warm",
        engine_cold / cli_alone,
        engine_cold / cli_cold,
        engine_warm / cli_warm
    );
}
