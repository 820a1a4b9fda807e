//! A psrecord-like timeline of a render: the process's CPU use and resident memory sampled
//! every period on a thread of its own, each sample marked with the stage under way.

use crate::encode::write_atomically;
use crate::error::{Error, Result};
use crate::report::process_usage;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One sample of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Seconds since the profiler started.
    pub seconds: f64,
    /// CPU use since the previous sample, percent of one core (above 100 with several).
    pub cpu_percent: f64,
    /// Resident memory, MiB.
    pub rss_mib: f64,
    /// The stage under way.
    pub stage: &'static str,
}

/// Samples the process until [`Profiler::finish`].
///
/// ```
/// let profiler = hipscut::Profiler::start(std::time::Duration::from_millis(10));
/// profiler.stage("work");
/// std::thread::sleep(std::time::Duration::from_millis(50));
/// let samples = profiler.finish();
/// assert!(samples.len() >= 3 && samples.windows(2).all(|w| w[1].seconds > w[0].seconds));
/// ```
#[derive(Debug)]
pub struct Profiler {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    samples: Mutex<Vec<Sample>>,
    stage: Mutex<&'static str>,
    stop: AtomicBool,
}

impl Profiler {
    /// Starts sampling every `period` (the first sample is taken now).
    pub fn start(period: Duration) -> Profiler {
        let shared = Arc::new(Shared {
            samples: Mutex::new(Vec::new()),
            stage: Mutex::new("start"),
            stop: AtomicBool::new(false),
        });
        let sampler = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("hipscut-profile".into())
            .spawn(move || sample_until_stopped(&sampler, period))
            .ok();
        Profiler { shared, thread }
    }

    /// Marks the stage now under way.
    pub fn stage(&self, name: &'static str) {
        if let Ok(mut stage) = self.shared.stage.lock() {
            *stage = name;
        }
    }

    /// Stops sampling and returns the timeline (with a last sample taken now).
    pub fn finish(mut self) -> Vec<Sample> {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
        self.shared
            .samples
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }
}

fn sample_until_stopped(shared: &Shared, period: Duration) {
    let start = Instant::now();
    let mut last = (Duration::ZERO, process_usage().0.unwrap_or_default());
    loop {
        let stopping = shared.stop.load(Ordering::Relaxed);
        let (wall, cpu) = (start.elapsed(), process_usage().0.unwrap_or_default());
        let busy = cpu.saturating_sub(last.1).as_secs_f64();
        let span = wall.saturating_sub(last.0).as_secs_f64();
        let stage = shared.stage.lock().map(|s| *s).unwrap_or("?");
        let sample = Sample {
            seconds: wall.as_secs_f64(),
            cpu_percent: if span > 0.001 {
                100.0 * busy / span
            } else {
                0.0
            },
            rss_mib: resident_bytes().unwrap_or(0) as f64 / f64::from(1 << 20),
            stage,
        };
        if let Ok(mut samples) = shared.samples.lock() {
            samples.push(sample);
        }
        last = (wall, cpu);
        if stopping {
            return;
        }
        std::thread::park_timeout(period);
    }
}

/// The resident memory now (Linux's /proc/self/statm; the peak elsewhere).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok();
    let pages: Option<u64> = statm.and_then(|s| s.split_whitespace().nth(1)?.parse().ok());
    // SAFETY: sysconf only reads a configuration value.
    let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).ok();
    match (pages, page) {
        (Some(pages), Some(page)) => Some(pages * page),
        _ => process_usage().1,
    }
}

/// Writes a timeline as CSV (`seconds,cpu_percent,rss_mib,stage`), atomically.
pub fn write_profile_csv(samples: &[Sample], path: &Path) -> Result<()> {
    let mut csv = String::from("seconds,cpu_percent,rss_mib,stage\n");
    for s in samples {
        csv.push_str(&format!(
            "{:.3},{:.1},{:.2},{}\n",
            s.seconds, s.cpu_percent, s.rss_mib, s.stage
        ));
    }
    write_atomically(path, |tmp| {
        std::fs::write(tmp, csv.as_bytes()).map_err(|e| Error::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    })
}
