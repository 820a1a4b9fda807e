//! Runs the `hipscut` binary as a child and measures it: exit code, output, peak memory
//! (the kernel's `ru_maxrss` of that child alone, through `wait4`) and wall time. A watchdog
//! kills a child that outlives its limit, so a hang fails the test instead of stalling it.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one run of the binary did.
#[derive(Debug)]
pub struct Measured {
    /// The exit code (`None`: killed by a signal, the watchdog's included).
    pub code: Option<i32>,
    pub stderr: String,
    /// Peak resident memory of the child, in MiB.
    pub peak_mib: f64,
    pub wall: Duration,
}

impl Measured {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs `hipscut ARGS` with `env` added, killing it after `limit`.
pub fn run_measured(args: &[&str], env: &[(&str, &str)], limit: Duration) -> Measured {
    let mut stderr_file = tempfile::tempfile().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hipscut"));
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr_file.try_clone().unwrap());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            while start.elapsed() < limit {
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !done.load(Ordering::SeqCst) {
                // SAFETY: kill(2) on our own child, which has not been reaped yet.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        })
    };
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    done.store(true, Ordering::SeqCst);
    watchdog.join().unwrap();
    assert_eq!(reaped, pid, "wait4 failed");
    drop(child);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let mut stderr = String::new();
    use std::io::Seek;
    stderr_file.seek(std::io::SeekFrom::Start(0)).unwrap();
    stderr_file.read_to_string(&mut stderr).unwrap();
    Measured {
        code,
        stderr,
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
        wall,
    }
}
