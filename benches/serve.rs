//! Load on `hipscut serve`, on loopback only: CLIENTS concurrent clients ask for 512×512 PNG
//! cutouts of different fields around the Galactic Centre (FermiColor sample tiles, served by
//! the test tile server) from a warm cache, for SECONDS. Every answer must be a PNG or a clean
//! 503 with Retry-After, after which a client waits as long as it says. Prints requests/s,
//! p50/p99 latency of the images, the answers by status, and the server's resident memory
//! every 10 s and at its peak. (`benches/wrk/fields.lua` drives wrk, which never waits, the
//! same way.)
//!
//! Run: `cargo bench --bench serve` (`-- --seconds 300` for a soak, `--clients N`,
//! `--faulty` for a tile server that fails and a service that keeps no tile).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::server::TestServer;

/// A field's query: 512×512 PNG, 8° (order 3, where the sample's tiles are).
fn query(k: usize) -> String {
    let (lon, lat) = support::galactic_centre_field(k);
    format!("hips=fermi&ra={lon}&dec={lat}&fov=8&width=512&height=512&format=png")
}

/// `--faulty`: the tile server fails some tiles in every way it can, and the service keeps
/// no tile (no disk cache, no decoded tiles), so that every render meets the faults.
fn faulty() -> bool {
    std::env::args().any(|a| a == "--faulty")
}

/// Faults on five of the sample's ten tiles, every time they are asked for.
fn inject_faults(tiles: &TestServer) {
    use support::server::Fault;
    for (tile, fault) in [
        ("Npix449", Fault::Status(500)),
        ("Npix450", Fault::Truncate),
        ("Npix451", Fault::Drop),
        ("Npix454", Fault::Latency(Duration::from_millis(300))),
        ("Npix456", Fault::Garbage),
    ] {
        tiles.fault(tile, fault, None);
    }
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|k| args.get(k + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Starts `hipscut serve` on the tile server's survey with a disk cache in `cache`; returns
/// the process and its URL.
fn start_server(tiles: &str, cache: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args(["serve", "--listen", "127.0.0.1:0", "--survey"])
        .arg(format!("fermi={tiles}"))
        .arg("--cache-dir")
        .arg(cache)
        .args(if faulty() {
            &["--no-cache", "--decoded-cache", "0", "--retries", "1"][..]
        } else {
            &[]
        })
        .env("RUST_LOG", "warn")
        .stderr(Stdio::piped())
        .spawn()
        .expect("hipscut serve starts");
    let mut stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr
        .read_line(&mut line)
        .expect("the server's first line");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the address")
        .trim_end_matches('/')
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, url)
}

/// A line of /proc/PID/status in MiB (VmRSS, VmHWM).
fn memory(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb >> 10)
}

/// CPU seconds process `pid` has used (user + system, from /proc/PID/stat).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<f64> = after_name
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0.0))
        .collect();
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (fields.get(11).unwrap_or(&0.0) + fields.get(12).unwrap_or(&0.0)) / ticks.max(1.0)
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    statuses: BTreeMap<u16, usize>,
}

/// One client: one connection, requests one after another until `until`.
async fn client(url: String, first: usize, until: Instant, tally: Arc<Mutex<Tally>>) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .build()
        .expect("client");
    let mut k = first;
    while Instant::now() < until {
        let started = Instant::now();
        let response = http
            .get(format!("{url}/hips2fits?{}", query(k)))
            .send()
            .await
            .expect("every request is answered");
        let status = response.status().as_u16();
        let retry = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let body = response.bytes().await.expect("the body");
        let took = started.elapsed();
        match status {
            200 => assert!(body.starts_with(b"\x89PNG"), "a PNG"),
            503 => assert!(
                retry.is_some() && body.starts_with(b"{\"description\""),
                "a clean 503"
            ),
            // With --faulty, a render may fail cleanly: a JSON problem.
            502 | 504 if faulty() => assert!(body.starts_with(b"{\"description\""), "clean"),
            other => panic!("status {other}: {}", String::from_utf8_lossy(&body)),
        }
        {
            let mut tally = tally.lock().expect("tally");
            if status == 200 {
                tally.latencies.push(took);
            }
            *tally.statuses.entry(status).or_default() += 1;
        }
        // A polite client waits as long as Retry-After says.
        if let Some(seconds) = retry {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
        }
        k += 1;
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(k).map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn main() {
    let (seconds, clients) = (arg("--seconds", 30), arg("--clients", 200) as usize);
    let tiles = TestServer::start(&support::data_dir("FermiColor"));
    let cache = tempfile::tempdir().expect("cache dir");
    let (mut server, url) = start_server(&tiles.url(), cache.path());
    let pid = server.id();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // Warm: every tile of the region fetched once, into the disk cache and memory.
    let warm = Arc::new(Mutex::new(Tally::default()));
    runtime.block_on(client(
        url.clone(),
        0,
        Instant::now() + Duration::from_secs(3),
        warm,
    ));
    let fetched = tiles.requests("Norder");
    if faulty() {
        inject_faults(&tiles);
    }
    let tally = Arc::new(Mutex::new(Tally::default()));
    let (server_cpu, own_cpu) = (cpu_seconds(pid), cpu_seconds(std::process::id()));
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let sampled = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let sampled = Arc::clone(&sampled);
        std::thread::spawn(move || {
            let mut rss = Vec::new();
            while Instant::now() < until {
                std::thread::sleep(Duration::from_secs(10).min(until - Instant::now()));
                rss.push(memory(pid, "VmRSS:"));
                sampled.fetch_add(1, Ordering::SeqCst);
            }
            rss
        })
    };
    runtime.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| {
                tokio::spawn(client(
                    url.clone(),
                    1000 + c * 100_000,
                    until,
                    Arc::clone(&tally),
                ))
            })
            .collect();
        for task in tasks {
            task.await.expect("client");
        }
    });
    let took = started.elapsed().as_secs_f64();
    let server_cpu = cpu_seconds(pid) - server_cpu;
    let own_cpu = cpu_seconds(std::process::id()) - own_cpu;
    let rss = sampler.join().expect("sampler");
    let peak = memory(pid, "VmHWM:");
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let exit = server.wait().expect("the server exits");
    let mut tally = tally.lock().expect("tally");
    tally.latencies.sort();
    let n: usize = tally.statuses.values().sum();
    let ok = tally.statuses.get(&200).copied().unwrap_or(0);
    println!(
        "{clients} clients, {seconds} s: {n} answers, {:.1} requests/s ({:.1} images/s); \
         images in p50 {:.0} ms, p99 {:.0} ms; by status {:?}",
        n as f64 / took,
        ok as f64 / took,
        percentile(&tally.latencies, 0.5),
        percentile(&tally.latencies, 0.99),
        tally.statuses
    );
    println!(
        "CPU: the server {:.0} %, the clients and tile server {:.0} % (of one core)",
        100.0 * server_cpu / took,
        100.0 * own_cpu / took
    );
    println!(
        "server RSS every 10 s (MiB): {rss:?}; peak {peak} MiB; tile requests: {fetched} warming, \
         {} under load; exit {exit:?}",
        tiles.requests("Norder") - fetched
    );
}
