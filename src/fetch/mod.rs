//! Getting survey files: from a directory, the embedded assets, or HTTP (with retries, mirrors
//! and the disk cache), all behind one async `get` so the render pipeline has a single path.

mod hosts;
mod http;
mod local;
mod mirrors;
pub(crate) mod url;

pub(crate) use http::DESCRIPTION_MAX_AGE;
pub(crate) use http::{Fetcher, HttpBackend};
pub(crate) use local::{DirSource, EmbeddedSource, TileSource, DEFAULT_EMBEDDED};
pub(crate) use mirrors::rank_by_speed;

use crate::tile::Shape;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// The most bytes a `properties` file may have.
pub(crate) const PROPERTIES_MAX_BYTES: u64 = 1 << 20;
/// The most bytes a HiPS list may have (CDS's whole list is a few MB).
pub(crate) const HIPSLIST_MAX_BYTES: u64 = 32 << 20;

/// The most bytes a tile or Allsky file of `shape` may have: twice the largest it can
/// plausibly be (64-bit FITS pixels, or a 16-bit RGBA PNG that does not compress).
pub(crate) fn tile_max_bytes(shape: Shape) -> u64 {
    2 * shape.max_fits_bytes()
}

/// How files are fetched.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Requests in flight at once to one host, across every render of an engine.
    pub concurrency: usize,
    /// Further attempts after a failed one (5xx, timeout, reset, truncated body).
    pub retries: u32,
    /// Limit for one request, body included.
    pub timeout: Duration,
    /// First retry delay; it doubles each attempt, with ±50% jitter.
    pub backoff: Duration,
    /// Where the disk cache lives (`None`: the XDG default).
    pub cache_dir: Option<PathBuf>,
    /// Whether to read and write the disk cache.
    pub use_cache: bool,
    /// Cache size cap in bytes (least recently used files go first).
    pub cache_size: u64,
    /// The `User-Agent` of every request (`None`: `hipscut/VERSION`). Survey operators ask
    /// heavy users to name themselves; tests tell apart the processes of a cluster by it.
    pub user_agent: Option<String>,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            concurrency: 16,
            retries: 3,
            timeout: Duration::from_secs(30),
            backoff: Duration::from_millis(200),
            cache_dir: None,
            use_cache: true,
            cache_size: crate::cache::DEFAULT_CACHE_SIZE,
            user_agent: None,
        }
    }
}

/// Where a file came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A local folder or the embedded assets.
    Local,
    Network,
    /// The disk cache.
    Cache,
    /// The engine's cache of decoded tiles (nothing was read).
    Memory,
}

/// The result of asking for one file.
#[derive(Debug)]
pub(crate) enum Outcome {
    Found(Vec<u8>, Origin),
    /// The survey does not have the file (404, or no such local file).
    Missing,
    /// Every attempt failed; the reason of the last one.
    Failed(String),
}

/// Counters kept while fetching.
#[derive(Debug, Default)]
pub(crate) struct FetchCounters {
    pub retried: AtomicU64,
    pub bytes: AtomicU64,
    /// Time spent getting bodies, nanoseconds, summed over tiles.
    pub fetch_nanos: AtomicU64,
    /// Time spent decoding them, nanoseconds, summed over tiles.
    pub decode_nanos: AtomicU64,
}

impl FetchCounters {
    pub(crate) fn retried(&self) -> u64 {
        self.retried.load(Ordering::Relaxed)
    }
}

/// A survey's file source.
pub(crate) enum Backend {
    Local(Arc<dyn TileSource>),
    Http(Box<HttpBackend>),
}

impl Backend {
    /// Fetches one file of at most `max_bytes`. `fresh` skips the cache (used to re-fetch a
    /// body that did not decode). Retries and bytes are counted in `counters`.
    pub(crate) async fn get(
        &self,
        rel_path: &str,
        max_bytes: u64,
        fresh: bool,
        counters: &FetchCounters,
    ) -> Outcome {
        match self {
            Backend::Local(source) => {
                let (source, path) = (Arc::clone(source), rel_path.to_string());
                let read = tokio::task::spawn_blocking(move || source.read(&path, max_bytes)).await;
                match read {
                    Ok(Ok(Some(bytes))) => Outcome::Found(bytes, Origin::Local),
                    Ok(Ok(None)) => Outcome::Missing,
                    Ok(Err(e)) => Outcome::Failed(e.to_string()),
                    Err(e) => Outcome::Failed(format!("reader task failed: {e}")),
                }
            }
            Backend::Http(http) => http.get(rel_path, max_bytes, fresh, counters).await,
        }
    }

    /// Records a decoded (so known-good) body in the disk cache.
    pub(crate) fn remember(&self, rel_path: &str, bytes: &[u8]) {
        if let Backend::Http(http) = self {
            http.remember(rel_path, bytes);
        }
    }

    /// The hosts the survey is fetched from (none for local surveys), for messages.
    pub(crate) fn hosts(&self) -> Vec<String> {
        match self {
            Backend::Http(http) => http.hosts(),
            Backend::Local(_) => Vec::new(),
        }
    }
}

/// How long without an answer before the caller hears what is awaited.
pub(crate) const STALL_NOTICE: Duration = Duration::from_secs(2);

/// The notice of a wait: "nothing has arrived for 4 s; waiting for WHAT from HOSTS".
pub(crate) fn quiet_notice(quiet: std::time::Duration, what: &str, hosts: &str) -> String {
    format!(
        "nothing has arrived for {:.0} s; waiting for {what} from {hosts}",
        quiet.as_secs_f64()
    )
}

/// `work`, or `None` if `deadline` passed first. Every [`STALL_NOTICE`] that passes without the
/// work done, `waiting` is called with the time waited so far.
pub(crate) async fn until<T>(
    deadline: Option<Instant>,
    waiting: &(dyn Fn(Duration) + Sync),
    work: impl Future<Output = T>,
) -> Option<T> {
    tokio::pin!(work);
    let start = Instant::now();
    let until = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until);
    loop {
        tokio::select! {
            out = &mut work => return Some(out),
            _ = &mut until => return None,
            _ = tokio::time::sleep(STALL_NOTICE) => waiting(start.elapsed()),
        }
    }
}

/// Runs a future to its end from any thread: a plain one, a rayon worker, or a thread of
/// another tokio runtime (where `Runtime::block_on` would panic). The future is polled here,
/// with the fetch runtime's timers and sockets. (pollster polls it: tokio has no blocking
/// entry point that is allowed inside a runtime.)
pub fn block_on<F: Future>(work: F) -> F::Output {
    let _context = runtime().enter();
    pollster::block_on(work)
}

/// The process-wide async runtime that runs fetches and the renders' event loops (2 worker
/// threads: the work is I/O). Engines share it: a runtime owned by an engine could be dropped
/// from inside an async context, which tokio forbids.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hipscut-fetch")
            .enable_all()
            .build()
            .expect("the fetch runtime starts")
    })
}
