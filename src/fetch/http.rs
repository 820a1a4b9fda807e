//! HTTP fetching with one shared client: retries with exponential backoff and jitter, failover
//! across mirrors, and the disk cache in front.

use super::{FetchCounters, FetchOptions, Origin, Outcome};
use crate::cache::{default_cache_root, Cached, DiskCache};
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Descriptions (`properties`, HiPS lists) older than this in the cache are fetched again;
/// tiles never change.
const DESCRIPTION_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A survey served over HTTP, possibly from several mirrors.
pub struct HttpBackend {
    client: reqwest::Client,
    /// Base URLs without trailing slash, fastest first.
    bases: Vec<String>,
    /// The base that answered last: later requests start there.
    preferred: AtomicUsize,
    opts: FetchOptions,
    cache: Option<DiskCache>,
    cache_written: AtomicBool,
    counters: FetchCounters,
}

/// The shared client: keep-alive, HTTP/2 when the server offers it, timeouts from `opts`.
pub fn client(opts: &FetchOptions) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(opts.concurrency.max(1))
        .user_agent(concat!("hipscut/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::invalid(format!("cannot set up the HTTP client: {e}")))
}

impl HttpBackend {
    /// A backend for the survey at `url` (its mirrors come later, from its properties).
    pub fn new(url: &str, opts: &FetchOptions) -> Result<Self> {
        let base = url.trim_end_matches('/').to_string();
        let cache = if opts.use_cache {
            opts.cache_dir
                .clone()
                .or_else(default_cache_root)
                .map(|root| DiskCache::new(&root, &base))
        } else {
            None
        };
        Ok(HttpBackend {
            client: client(opts)?,
            bases: vec![base],
            preferred: AtomicUsize::new(0),
            opts: opts.clone(),
            cache,
            cache_written: AtomicBool::new(false),
            counters: FetchCounters::default(),
        })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn bases(&self) -> &[String] {
        &self.bases
    }

    /// Replaces the list of base URLs (fastest first).
    pub fn set_bases(&mut self, bases: Vec<String>) {
        if !bases.is_empty() {
            self.bases = bases;
            self.preferred.store(0, Ordering::Relaxed);
        }
    }

    pub fn counters(&self) -> &FetchCounters {
        &self.counters
    }

    fn is_description(rel_path: &str) -> bool {
        !rel_path.starts_with("Norder")
    }

    fn max_age(rel_path: &str) -> Option<Duration> {
        Self::is_description(rel_path).then_some(DESCRIPTION_MAX_AGE)
    }

    /// Fetches `rel_path`: the cache first (unless `fresh`), then each mirror in turn, each with
    /// up to `retries` further attempts.
    pub async fn get(&self, rel_path: &str, fresh: bool) -> Outcome {
        if let (Some(cache), false) = (&self.cache, fresh) {
            match cache.get(rel_path, Self::max_age(rel_path)) {
                Some(Cached::Bytes(bytes)) => return Outcome::Found(bytes, Origin::Cache),
                Some(Cached::Missing) => return Outcome::Missing(Origin::Cache),
                None => {}
            }
        }
        let n = self.bases.len();
        let start = self.preferred.load(Ordering::Relaxed) % n;
        let mut last_error = String::new();
        for k in 0..n {
            let b = (start + k) % n;
            for attempt in 0..=self.opts.retries {
                if attempt > 0 || k > 0 {
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                }
                match self.request(&self.bases[b], rel_path).await {
                    Ok(found) => {
                        if b != start {
                            self.preferred.store(b, Ordering::Relaxed);
                        }
                        return match found {
                            Some(bytes) => {
                                self.counters
                                    .bytes
                                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                                Outcome::Found(bytes, Origin::Network)
                            }
                            None => {
                                if let Some(cache) = &self.cache {
                                    if cache.put_missing(rel_path).is_ok() {
                                        self.cache_written.store(true, Ordering::Relaxed);
                                    }
                                }
                                Outcome::Missing(Origin::Network)
                            }
                        };
                    }
                    Err(e) => {
                        last_error = format!("{}/{rel_path}: {e}", self.bases[b]);
                        if attempt < self.opts.retries {
                            tokio::time::sleep(self.backoff(attempt)).await;
                        }
                    }
                }
            }
        }
        if let Some(cache) = &self.cache {
            // Better stale than nothing for the survey description.
            if let (true, Some(Cached::Bytes(bytes))) =
                (Self::is_description(rel_path), cache.get(rel_path, None))
            {
                return Outcome::Found(bytes, Origin::Cache);
            }
        }
        Outcome::Failed(last_error)
    }

    /// One request: `Ok(Some)` with the whole body, `Ok(None)` for 404/410, `Err` otherwise.
    async fn request(
        &self,
        base: &str,
        rel_path: &str,
    ) -> std::result::Result<Option<Vec<u8>>, String> {
        let url = format!("{base}/{rel_path}");
        let response = self.client.get(&url).send().await.map_err(describe)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        let expected = response.content_length();
        let body = response.bytes().await.map_err(describe)?;
        if let Some(len) = expected {
            if body.len() as u64 != len {
                return Err(format!("truncated body ({} of {len} bytes)", body.len()));
            }
        }
        Ok(Some(body.to_vec()))
    }

    /// Exponential backoff with ±50% jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .opts
            .backoff
            .saturating_mul(1 << attempt.min(10))
            .min(MAX_BACKOFF);
        base.mul_f64(0.5 + jitter())
    }

    /// Caches a body known to be good.
    pub fn remember(&self, rel_path: &str, bytes: &[u8]) {
        if let Some(cache) = &self.cache {
            if cache.put(rel_path, bytes).is_ok() {
                self.cache_written.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Keeps the cache under its cap, if this backend wrote to it.
    pub fn trim_cache(&self) {
        if let (Some(cache), true) = (&self.cache, self.cache_written.load(Ordering::Relaxed)) {
            cache.evict_to(self.opts.cache_size);
        }
    }
}

/// A reqwest error with its causes ("error sending request: connection refused").
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken body"
    } else {
        "request failed"
    };
    let mut text = kind.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A number in [0, 1) that differs between calls (no need for cryptographic quality).
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}
