//! HTTP fetching with one shared client: retries with exponential backoff and jitter, failover
//! across mirrors, bodies read with a size bound and checked whole, redirects kept to the
//! survey's hosts, and the disk cache in front.

use super::hosts::HostLimits;
use super::url::{base_string, host_of, normalise, redact};
use super::{FetchCounters, FetchOptions, Origin, Outcome};
use crate::cache::{default_cache_root, CacheRoot, Cached, DiskCache};
use crate::error::{Error, Result};
use crate::tile::{check_complete, TileFormat};
use reqwest::Url;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Descriptions (`properties`, HiPS lists) older than this in the cache are fetched again;
/// tiles never change.
pub(crate) const DESCRIPTION_MAX_AGE: Duration = Duration::from_secs(24 * 3600);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
const MAX_REDIRECTS: usize = 5;

/// A survey served over HTTP, possibly from several mirrors.
pub(crate) struct HttpBackend {
    fetcher: Arc<Fetcher>,
    /// Base URLs without trailing slash, fastest first.
    bases: Vec<String>,
    /// Hosts a redirect may lead to: the survey's own and its mirrors'.
    allowed_hosts: Vec<String>,
    /// The base that answered last: later requests start there.
    preferred: AtomicUsize,
    cache: Option<DiskCache>,
    /// Files a redirect served from another URL: they are cached under that URL.
    redirected: Mutex<HashMap<String, Url>>,
}

/// What every HTTP survey of an engine shares: one client, the limit of requests in flight per
/// host, and the disk cache folder.
#[derive(Debug)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    opts: FetchOptions,
    limits: HostLimits,
    cache: Option<Arc<CacheRoot>>,
}

impl Fetcher {
    /// The client (keep-alive, HTTP/2 when offered, timeouts from `opts`), `opts.concurrency`
    /// requests per host, and the cache folder (none if it cannot be opened: hipscut then works
    /// without a disk cache).
    pub(crate) fn new(opts: &FetchOptions) -> Result<Self> {
        let cache = if opts.use_cache {
            opts.cache_dir
                .clone()
                .or_else(default_cache_root)
                .and_then(|root| CacheRoot::open(&root, opts.cache_size).ok())
        } else {
            None
        };
        Ok(Fetcher {
            client: client(opts)?,
            opts: opts.clone(),
            limits: HostLimits::new(opts.concurrency),
            cache,
        })
    }

    /// The disk cache folder, if there is one.
    pub(crate) fn cache(&self) -> Option<&Arc<CacheRoot>> {
        self.cache.as_ref()
    }
}

/// Why one request failed, and whether trying again may help.
struct Failure {
    reason: String,
    retry: bool,
}

impl Failure {
    fn transient(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            retry: true,
        }
    }
    fn permanent(reason: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            retry: false,
        }
    }
}

/// The shared client: keep-alive, HTTP/2 when the server offers it, timeouts from `opts`.
/// Redirects are not followed by the client but by [`HttpBackend`], which knows the hosts of
/// the survey it fetches for (one client serves every survey).
fn client(opts: &FetchOptions) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(opts.timeout)
        .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(opts.concurrency.max(1))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(
            opts.user_agent
                .as_deref()
                .unwrap_or(concat!("hipscut/", env!("CARGO_PKG_VERSION"))),
        )
        .build()
        .map_err(|e| Error::invalid(format!("cannot set up the HTTP client: {e}")))
}

/// Whether a redirect from `from` to `to` may be followed: to the same host or one of
/// `allowed` (the survey's and its mirrors'), never from https to plain http.
fn redirect_allowed(from: &Url, to: &Url, allowed: &[String]) -> std::result::Result<(), String> {
    let to_host = to.host_str().unwrap_or("");
    if from.scheme() == "https" && to.scheme() == "http" {
        let to = redact(to.as_str());
        Err(format!("redirect from https to plain http ({to}) refused"))
    } else if to.host_str() == from.host_str() || allowed.iter().any(|h| h == to_host) {
        Ok(())
    } else {
        Err(format!("redirect to another host ({to_host}) refused"))
    }
}

impl HttpBackend {
    /// A backend for the survey at `url` (its mirrors come later, from its properties).
    pub(crate) fn new(url: &str, fetcher: &Arc<Fetcher>) -> Result<Self> {
        let normal = normalise(url).map_err(Error::UnsupportedLocation)?;
        let cache = fetcher
            .cache
            .as_ref()
            .and_then(|root| DiskCache::open_in(root, &normal).ok());
        let mut backend = HttpBackend {
            fetcher: Arc::clone(fetcher),
            bases: Vec::new(),
            allowed_hosts: Vec::new(),
            preferred: AtomicUsize::new(0),
            cache,
            redirected: Mutex::new(HashMap::new()),
        };
        backend.set_bases(vec![base_string(&normal)]);
        Ok(backend)
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.fetcher.client
    }

    pub(crate) fn bases(&self) -> &[String] {
        &self.bases
    }

    /// Replaces the list of base URLs (fastest first); their hosts become the hosts a redirect
    /// may lead to.
    pub(crate) fn set_bases(&mut self, bases: Vec<String>) {
        if bases.is_empty() {
            return;
        }
        self.allowed_hosts = bases
            .iter()
            .filter_map(|b| Url::parse(b).ok()?.host_str().map(str::to_string))
            .collect();
        self.bases = bases;
        self.preferred.store(0, Ordering::Relaxed);
    }

    /// The hosts this survey is fetched from, for messages.
    pub(crate) fn hosts(&self) -> Vec<String> {
        self.bases.iter().map(|b| host_of(b)).collect()
    }

    fn is_description(rel_path: &str) -> bool {
        !rel_path.starts_with("Norder")
    }

    fn max_age(rel_path: &str) -> Option<Duration> {
        Self::is_description(rel_path).then_some(DESCRIPTION_MAX_AGE)
    }

    /// Fetches `rel_path`, at most `max_bytes` long: the cache first (unless `fresh`), then
    /// each mirror in turn, each with up to `retries` further attempts. Retries and bytes are
    /// counted in `counters` (the caller's render's).
    pub(crate) async fn get(
        &self,
        rel_path: &str,
        max_bytes: u64,
        fresh: bool,
        counters: &FetchCounters,
    ) -> Outcome {
        if let (Some(cache), false) = (&self.cache, fresh) {
            match cache.get(rel_path, Self::max_age(rel_path), max_bytes) {
                Some(Cached::Bytes(bytes)) => return Outcome::Found(bytes, Origin::Cache),
                Some(Cached::Missing) => return Outcome::Missing,
                None => {}
            }
        }
        let n = self.bases.len().max(1);
        let start = self.preferred.load(Ordering::Relaxed) % n;
        let mut last_error = String::new();
        for k in 0..n {
            let b = (start + k) % n;
            let Some(base) = self.bases.get(b) else {
                break;
            };
            let retries = self.fetcher.opts.retries;
            for attempt in 0..=retries {
                if attempt > 0 || k > 0 {
                    counters.retried.fetch_add(1, Ordering::Relaxed);
                }
                match self.request(base, rel_path, max_bytes).await {
                    Ok(found) => {
                        if b != start {
                            self.preferred.store(b, Ordering::Relaxed);
                        }
                        return self.found(rel_path, found, counters);
                    }
                    Err(failure) => {
                        last_error = format!("{} ({}/{rel_path})", failure.reason, redact(base));
                        if !failure.retry {
                            break;
                        }
                        if attempt < retries {
                            tokio::time::sleep(self.backoff(attempt)).await;
                        }
                    }
                }
            }
        }
        if let Some(cache) = &self.cache {
            // Better stale than nothing for the survey description.
            if let (true, Some(Cached::Bytes(bytes))) = (
                Self::is_description(rel_path),
                cache.get(rel_path, None, max_bytes),
            ) {
                return Outcome::Found(bytes, Origin::Cache);
            }
        }
        Outcome::Failed(last_error)
    }

    /// The outcome of a request that succeeded (a body, or 404/410).
    fn found(
        &self,
        rel_path: &str,
        found: Option<(Vec<u8>, Url)>,
        counters: &FetchCounters,
    ) -> Outcome {
        match found {
            Some((bytes, served)) => {
                counters
                    .bytes
                    .fetch_add(bytes.len() as u64, Ordering::Relaxed);
                let asked = self
                    .bases
                    .iter()
                    .any(|b| served.as_str() == format!("{b}/{rel_path}"));
                if !asked {
                    if let Ok(mut map) = self.redirected.lock() {
                        map.insert(rel_path.to_string(), served);
                    }
                }
                Outcome::Found(bytes, Origin::Network)
            }
            None => {
                if let Some(cache) = &self.cache {
                    let _ = cache.put_missing(rel_path);
                }
                Outcome::Missing
            }
        }
    }

    /// One request: `Ok(Some)` with the whole body and the URL that served it, `Ok(None)` for
    /// 404/410, `Err` otherwise. It waits for a turn within the host's limit, follows at most
    /// `MAX_REDIRECTS` redirects within the survey's hosts, and reads the body in chunks,
    /// refused as soon as it exceeds `max_bytes`; a body shorter than its Content-Length, or a
    /// tile body that does not end as its format must, is a failed (retried) request.
    async fn request(
        &self,
        base: &str,
        rel_path: &str,
        max_bytes: u64,
    ) -> std::result::Result<Option<(Vec<u8>, Url)>, Failure> {
        let mut url = Url::parse(&format!("{base}/{rel_path}"))
            .map_err(|e| Failure::permanent(format!("bad URL: {e}")))?;
        let _turn = self.fetcher.limits.acquire(&host_of(base)).await;
        let mut response = self.send(&url).await?;
        for _ in 0..MAX_REDIRECTS {
            if !response.status().is_redirection() {
                break;
            }
            let to = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| Failure::permanent("a redirect without a usable Location"))?;
            redirect_allowed(&url, &to, &self.allowed_hosts).map_err(Failure::permanent)?;
            url = to;
            response = self.send(&url).await?;
        }
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(None);
        }
        if status.is_redirection() {
            let reason = format!("refused: more than {MAX_REDIRECTS} redirects");
            return Err(Failure::permanent(reason));
        }
        if !status.is_success() {
            let retry =
                status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
            let reason = format!("HTTP {status}");
            return Err(Failure { reason, retry });
        }
        let body = read_body(response, max_bytes).await?;
        if let Some(format) = tile_format_of(rel_path) {
            check_complete(&body, format)
                .map_err(|e| Failure::transient(format!("truncated body: {e}")))?;
        }
        Ok(Some((body, url)))
    }

    async fn send(&self, url: &Url) -> std::result::Result<reqwest::Response, Failure> {
        self.fetcher
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(describe)
    }

    /// Exponential backoff with ±50% jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .fetcher
            .opts
            .backoff
            .saturating_mul(1 << attempt.min(10))
            .min(MAX_BACKOFF);
        base.mul_f64(0.5 + jitter())
    }

    /// Caches a body known to be good, under the URL that served it.
    pub(crate) fn remember(&self, rel_path: &str, bytes: &[u8]) {
        let redirected = self
            .redirected
            .lock()
            .ok()
            .and_then(|mut map| map.remove(rel_path));
        match redirected {
            None => {
                if let Some(c) = &self.cache {
                    let _ = c.put(rel_path, bytes);
                }
            }
            Some(served) => self.remember_redirected(&served, rel_path, bytes),
        }
    }

    /// Caches a body a redirect served from another URL under that URL's survey folder, when
    /// the URL ends with the file's path (otherwise it is not cached).
    fn remember_redirected(&self, served: &Url, rel_path: &str, bytes: &[u8]) {
        let Some(cache) = &self.cache else {
            return;
        };
        let Some(base) = served.as_str().strip_suffix(&format!("/{rel_path}")) else {
            return;
        };
        if let Ok(base) = normalise(base) {
            if let Ok(other) = DiskCache::open_in(cache.root(), &base) {
                let _ = other.put(rel_path, bytes);
            }
        }
    }
}

/// The body of a response, read in chunks and refused as soon as it exceeds `max_bytes`; one
/// shorter than its Content-Length is a failed (retried) request.
async fn read_body(
    mut response: reqwest::Response,
    max_bytes: u64,
) -> std::result::Result<Vec<u8>, Failure> {
    let expected = response.content_length();
    if let Some(len) = expected.filter(|&len| len > max_bytes) {
        return Err(Failure::permanent(format!(
            "the body announces {len} bytes, more than the {max_bytes} allowed"
        )));
    }
    let mut body = Vec::with_capacity(expected.unwrap_or(0).min(max_bytes) as usize);
    while let Some(chunk) = response.chunk().await.map_err(describe)? {
        if (body.len() + chunk.len()) as u64 > max_bytes {
            return Err(Failure::permanent(format!(
                "the body is longer than the {max_bytes} bytes allowed"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    if let Some(len) = expected.filter(|&len| len != body.len() as u64) {
        return Err(Failure::transient(format!(
            "truncated body ({} of {len} bytes)",
            body.len()
        )));
    }
    Ok(body)
}

/// The tile format of a tile path, by its extension (`None` for descriptions).
fn tile_format_of(rel_path: &str) -> Option<TileFormat> {
    if !rel_path.starts_with("Norder") {
        return None;
    }
    let ext = rel_path.rsplit_once('.')?.1;
    ext.parse().ok()
}

/// A reqwest error with its causes, the cause first ("cannot connect: connection refused").
fn describe(e: reqwest::Error) -> Failure {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "refused"
    } else if e.is_body() || e.is_decode() {
        "truncated or broken body"
    } else {
        "request failed"
    };
    let mut text = kind.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&redact(&s.to_string()));
        source = s.source();
    }
    Failure {
        reason: text,
        retry: !e.is_redirect(),
    }
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
