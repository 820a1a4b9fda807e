//! `hipscut batch` at scale: N fields of 256×256 px around the Galactic Centre (FermiColor
//! sample tiles) from the test server, warm (a disk cache filled first) and with 20 ms of
//! latency per tile request, each run in its own process. Prints fields/s, tile requests and
//! the process's peak RSS. Run: `cargo bench --bench batch` (`-- 100000` adds that many warm).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::server::{Fault, TestServer};

fn write_list(path: &Path, n: usize) {
    let mut csv = String::from("name,ra,dec\n");
    for k in 0..n {
        let (ra, dec) = support::galactic_centre_field(k);
        csv.push_str(&format!("f{k},{ra},{dec}\n"));
    }
    std::fs::write(path, csv).expect("list");
}

/// Runs one batch in its own process; returns (seconds, peak RSS in MiB of that process).
fn run(list: &Path, out: &Path, url: &str, cache: Option<&Path>) -> (f64, f64) {
    let _ = std::fs::remove_dir_all(out);
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hipscut"))
        .args([
            "batch",
            list.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap(),
            "-q",
        ])
        .args([
            "--set",
            &format!("survey={url}"),
            "--set",
            "fov=1",
            "--set",
            "width=256",
        ])
        .args(match cache {
            Some(dir) => vec!["--cache-dir".to_string(), dir.display().to_string()],
            None => vec!["--no-cache".to_string()],
        })
        .spawn()
        .expect("hipscut runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    let mut usage = unsafe { std::mem::zeroed::<libc::rusage>() };
    // SAFETY: wait4 fills `status` and `usage`, both on this stack frame, for our own child.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the batch failed"
    );
    let _ = child.try_wait();
    (
        start.elapsed().as_secs_f64(),
        usage.ru_maxrss as f64 / 1024.0,
    )
}

fn main() {
    let extra: Option<usize> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/FermiColor");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cache, out) = (dir.path().join("cache"), dir.path().join("out"));
    let report = |what: &str, n: usize, (secs, rss): (f64, f64), requests: usize| {
        println!(
            "{what:<34} {:8.1} fields/s  ({secs:.1} s, {requests} tile requests, peak RSS {rss:.0} MiB)",
            n as f64 / secs
        );
    };
    let server = TestServer::start(&root);
    let mut sizes = vec![1_000, 10_000];
    sizes.extend(extra);
    for n in sizes {
        let list = dir.path().join(format!("list{n}.csv"));
        write_list(&list, n);
        if n == 1_000 {
            run(&list, &out, &server.url(), Some(&cache)); // fills the disk cache
        }
        let before = server.requests("Norder");
        let warm = run(&list, &out, &server.url(), Some(&cache));
        report(
            &format!("{n} fields, warm disk cache"),
            n,
            warm,
            server.requests("Norder") - before,
        );
        if n == 1_000 {
            let slow = TestServer::start(&root);
            slow.fault("Norder", Fault::Latency(Duration::from_millis(20)), None);
            let cold = run(&list, &out, &slow.url(), None);
            report(
                "1000 fields, 20 ms latency, no cache",
                n,
                cold,
                slow.requests("Norder"),
            );
        }
    }
}
