//! A HiPS survey: its properties and the backend its files are fetched from.

mod cube;
mod hipslist;
mod properties;

pub(crate) use crate::fetch::{DirSource, EmbeddedSource, TileSource, DEFAULT_EMBEDDED};
pub use cube::CubeAxis;
pub(crate) use hipslist::BUILTIN as BUILTIN_HIPSLIST;
pub(crate) use hipslist::{looks_like_id, resolve};
pub use hipslist::{parse_list, HipsRecord};
pub use properties::Properties;
pub(crate) use properties::RawProperties;

use crate::coverage::{Coverage, MOC_MAX_BYTES};
use crate::error::{Error, Result};
use crate::fetch::url::redact;
use crate::fetch::{
    block_on, quiet_notice, rank_by_speed, until, Backend, FetchCounters, FetchOptions, Fetcher,
    HttpBackend, Origin, Outcome, HIPSLIST_MAX_BYTES, PROPERTIES_MAX_BYTES,
};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most URLs a survey is served from (its own and its mirrors): a `properties` file that
/// lists thousands must not make hipscut probe thousands of hosts.
const MAX_MIRRORS: usize = 8;

/// How surveys are opened and fetched.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// How files are fetched and cached.
    pub fetch: FetchOptions,
    /// A HiPS list (file or URL) to resolve survey IDs with, instead of the built-in one.
    pub hipslist: Option<String>,
    /// The Sesame name resolver to find targets with (`None`: CDS's).
    pub sesame: Option<String>,
    /// Give up opening at this instant (the render's deadline).
    pub deadline: Option<Instant>,
}

/// An opened survey: where it is, what it is, and how to fetch its files.
pub struct Survey {
    /// Where it was opened from: a folder, a URL, or `embedded:NAME`.
    pub location: String,
    /// Its `properties`.
    pub properties: Properties,
    /// Its coverage (`Moc.fits`), when it has one: no tile outside it is asked for.
    pub coverage: Option<Arc<Coverage>>,
    /// Why its `Moc.fits` could not be read, when it has one that could not (the survey is then
    /// used without it).
    pub coverage_problem: Option<String>,
    pub(crate) source: Arc<Backend>,
    pub(crate) fetch: FetchOptions,
    /// Tells this opening of a survey from every other, in the keys of the decoded-tile cache.
    pub(crate) uid: u64,
}

/// A waiting notice receiver that ignores notices.
fn no_notice(_: &str) {}

impl Survey {
    /// Opens a survey with the default options (see [`Survey::open_with`]).
    pub fn open(location: Option<&str>) -> Result<Survey> {
        Self::open_with(location, &OpenOptions::default())
    }

    /// Opens a survey from a directory, a `file://` or `http(s)://` URL, a survey ID such as
    /// `CDS/P/DSS2/color` (resolved through the HiPS list; `id:CDS/P/DSS2/color` is resolved
    /// there even when a folder of that name exists), `embedded:NAME`, or (with `None`)
    /// the embedded default survey. It blocks, from any thread; an engine
    /// ([`crate::Engine::survey`]) opens surveys asynchronously and keeps them.
    pub fn open_with(location: Option<&str>, opts: &OpenOptions) -> Result<Survey> {
        Self::open_watched(location, opts, &no_notice)
    }

    /// [`Survey::open_with`], telling `waiting` what it waits for whenever a server has said
    /// nothing for a couple of seconds.
    pub fn open_watched(
        location: Option<&str>,
        opts: &OpenOptions,
        waiting: &(dyn Fn(&str) + Sync),
    ) -> Result<Survey> {
        let fetcher = Arc::new(Fetcher::new(&opts.fetch)?);
        block_on(Self::open_async(location, opts, &fetcher, waiting))
    }

    /// The surveys of the HiPS list (`opts.hipslist`, or the built-in one) whose ID, title or
    /// regime hold every one of `words` (all of them when there is none).
    ///
    /// ```
    /// use hipscut::{OpenOptions, Survey};
    /// let found = Survey::search(&["dss2".into(), "red".into()], &OpenOptions::default())?;
    /// assert_eq!(found[0].id, "CDS/P/DSS2/red");
    /// # Ok::<(), hipscut::Error>(())
    /// ```
    pub fn search(words: &[String], opts: &OpenOptions) -> Result<Vec<HipsRecord>> {
        let fetcher = Arc::new(Fetcher::new(&opts.fetch)?);
        let records = block_on(load_hipslist(opts, &fetcher, &no_notice))?;
        Ok(records.into_iter().filter(|r| r.matches(words)).collect())
    }

    /// Opens a survey (see [`Survey::open_with`]), fetching over HTTP through `fetcher`.
    pub(crate) async fn open_async(
        location: Option<&str>,
        opts: &OpenOptions,
        fetcher: &Arc<Fetcher>,
        waiting: &(dyn Fn(&str) + Sync),
    ) -> Result<Survey> {
        let location = location.unwrap_or("").trim();
        let local = |(label, source): (String, Arc<dyn TileSource>)| {
            Self::from_backend(label, Backend::Local(source), opts)
        };
        if location.is_empty() {
            local(embedded_source(DEFAULT_EMBEDDED)?).await
        } else if let Some(name) = location.strip_prefix("embedded:") {
            local(embedded_source(name)?).await
        } else if let Some(id) = location.strip_prefix("id:") {
            open_listed(id, opts, fetcher, waiting).await
        } else if let Some(path) = location.strip_prefix("file://") {
            local(dir_source(PathBuf::from(path), location)?).await
        } else if location.starts_with("http://") || location.starts_with("https://") {
            let urls = vec![location.to_string()];
            open_http(redact(location), urls, opts, fetcher, waiting).await
        } else if location.contains("://") {
            Err(Error::UnsupportedLocation(location.to_string()))
        } else if !PathBuf::from(location).exists() && looks_like_id(location) {
            open_listed(location, opts, fetcher, waiting).await
        } else {
            local(dir_source(PathBuf::from(location), location)?).await
        }
    }

    async fn from_backend(
        location: String,
        backend: Backend,
        opts: &OpenOptions,
    ) -> Result<Survey> {
        let counters = FetchCounters::default();
        let get = backend.get("properties", PROPERTIES_MAX_BYTES, false, &counters);
        let outcome = until(opts.deadline, &|_| {}, get).await;
        let bytes = properties_from(outcome, &location, backend.hosts())?.0;
        let properties = Properties::parse(&String::from_utf8_lossy(&bytes))?;
        let (coverage, coverage_problem) = coverage_of(&backend, opts.deadline).await;
        Ok(Survey {
            location,
            properties,
            coverage,
            coverage_problem,
            source: Arc::new(backend),
            fetch: opts.fetch.clone(),
            uid: next_uid(),
        })
    }

    /// A multi-line human description: title, ID, orders, formats, frame, credits.
    pub fn describe(&self) -> String {
        let p = &self.properties;
        let mut out = String::new();
        let mut line = |k: &str, v: String| out.push_str(&format!("{k:<14}{v}\n"));
        line("location", self.location.clone());
        line("title", p.title.clone().unwrap_or_else(|| "(none)".into()));
        line("id", p.id.clone().unwrap_or_else(|| "(none)".into()));
        line("orders", format!("{}..{}", p.order_min, p.order_max));
        line("tile width", format!("{} px", p.tile_width));
        let formats: Vec<&str> = p.formats.iter().map(|f| f.name()).collect();
        line("tile formats", formats.join(" "));
        line("frame", p.frame.name().to_string());
        line(
            "coverage",
            match (&self.coverage, &self.coverage_problem) {
                (Some(c), _) => format!(
                    "{:.4} % of the sky (MOC of order {})",
                    100.0 * c.sky_fraction(),
                    c.order()
                ),
                (None, Some(problem)) => format!("unknown ({problem})"),
                (None, None) => "unknown (no Moc.fits)".into(),
            },
        );
        line("colour", if p.colour { "yes" } else { "no" }.to_string());
        if let Some(cube) = &p.cube {
            line("cube", cube.describe());
        }
        let depth = p.order_max + p.tile_depth();
        line(
            "resolution",
            format!(
                "{:.4}\" per pixel at the deepest order",
                crate::healpix::cell_size_deg(depth) * 3600.0
            ),
        );
        if let (Some(ra), Some(dec)) = (p.initial_ra, p.initial_dec) {
            let fov = p
                .initial_fov
                .map(|f| format!(", fov {f}°"))
                .unwrap_or_default();
            line("initial view", format!("ra {ra}°, dec {dec}°{fov}"));
        }
        if let Backend::Http(http) = &*self.source {
            for base in http.bases() {
                line("served from", redact(base));
            }
        }
        for m in &p.mirrors {
            line("mirror", m.clone());
        }
        for c in &p.copyright {
            line("credit", c.clone());
        }
        out
    }
}

/// A number no other survey opened by this process has.
fn next_uid() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// `waiting`, told what is awaited from `hosts` each time the wait passes a notice interval.
fn notice<'a>(
    waiting: &'a (dyn Fn(&str) + Sync),
    what: &'a str,
    hosts: &'a str,
) -> impl Fn(Duration) + Sync + 'a {
    move |quiet| waiting(&quiet_notice(quiet, what, hosts))
}

/// The `properties` bytes of a fetch, with where they came from; an absent or unreachable one
/// makes the survey unusable.
fn properties_from(
    outcome: Option<Outcome>,
    location: &str,
    hosts: Vec<String>,
) -> Result<(Vec<u8>, Origin)> {
    let unreachable = |reason: String| Error::SurveyUnreachable {
        location: location.to_string(),
        reason,
    };
    let Some(outcome) = outcome else {
        return Err(Error::Deadline {
            awaited: 1,
            hosts: if hosts.is_empty() {
                location.to_string()
            } else {
                hosts.join(", ")
            },
        });
    };
    match outcome {
        Outcome::Found(bytes, origin) => Ok((bytes, origin)),
        Outcome::Missing => Err(unreachable("it has no `properties` file".into())),
        Outcome::Failed(reason) => Err(unreachable(reason)),
    }
}

/// Opens a survey served at `urls` (main URL first, then mirrors): reads its properties
/// (trying each URL in turn), then ranks the URLs and the mirrors its properties list by a quick
/// probe, fastest first.
async fn open_http(
    label: String,
    urls: Vec<String>,
    opts: &OpenOptions,
    fetcher: &Arc<Fetcher>,
    waiting: &(dyn Fn(&str) + Sync),
) -> Result<Survey> {
    let normalise = |u: &str| u.trim().trim_end_matches('/').to_string();
    let mut candidates: Vec<String> = urls.iter().map(|u| normalise(u)).collect();
    candidates.dedup();
    let first = candidates.first().cloned().unwrap_or_default();
    let mut http = HttpBackend::new(&first, fetcher)?;
    http.set_bases(candidates.clone());
    let hosts = http.hosts().join(", ");
    let counters = FetchCounters::default();
    let get = http.get("properties", PROPERTIES_MAX_BYTES, false, &counters);
    let waited = notice(waiting, "the survey's `properties`", &hosts);
    let got = until(opts.deadline, &waited, get).await;
    let (bytes, origin) = properties_from(got, &label, http.hosts())?;
    let properties = Properties::parse(&String::from_utf8_lossy(&bytes))?;
    if origin == Origin::Network {
        http.remember("properties", &bytes);
    }
    for mirror in &properties.mirrors {
        let m = normalise(mirror);
        let web = m.starts_with("http://") || m.starts_with("https://");
        if web && !candidates.contains(&m) && candidates.len() < MAX_MIRRORS {
            candidates.push(m);
        }
    }
    if candidates.len() > 1 {
        let probe = rank_by_speed(http.client(), candidates);
        if let Some(ranked) = until(opts.deadline, &|_| {}, probe).await {
            http.set_bases(ranked);
        }
    }
    let backend = Backend::Http(Box::new(http));
    let (coverage, coverage_problem) = coverage_of(&backend, opts.deadline).await;
    Ok(Survey {
        location: label,
        properties,
        coverage,
        coverage_problem,
        source: Arc::new(backend),
        fetch: opts.fetch.clone(),
        uid: next_uid(),
    })
}

/// The survey's coverage from its `Moc.fits`, fetched through the disk cache, and why it could
/// not be used when it exists but cannot (unreadable, or the server failed): a survey without
/// a MOC is used whole, as it always could be.
async fn coverage_of(
    backend: &Backend,
    deadline: Option<Instant>,
) -> (Option<Arc<Coverage>>, Option<String>) {
    let counters = FetchCounters::default();
    let get = backend.get("Moc.fits", MOC_MAX_BYTES, false, &counters);
    match until(deadline, &|_| {}, get).await {
        Some(Outcome::Found(bytes, origin)) => match Coverage::from_fits(&bytes) {
            Ok(coverage) => {
                if origin == Origin::Network {
                    backend.remember("Moc.fits", &bytes);
                }
                (Some(Arc::new(coverage)), None)
            }
            Err(e) => (None, Some(e.to_string())),
        },
        Some(Outcome::Missing) => (None, None),
        Some(Outcome::Failed(reason)) => (None, Some(format!("Moc.fits: {reason}"))),
        None => (None, Some("Moc.fits: the deadline passed".into())),
    }
}

/// The survey whose ID the HiPS list gives, opened from the list's URLs (never a path).
async fn open_listed(
    id: &str,
    opts: &OpenOptions,
    fetcher: &Arc<Fetcher>,
    waiting: &(dyn Fn(&str) + Sync),
) -> Result<Survey> {
    let records = load_hipslist(opts, fetcher, waiting).await?;
    let record = resolve(id, &records)?;
    let urls = record.urls.clone();
    open_http(record.id.clone(), urls, opts, fetcher, waiting).await
}

/// The HiPS list to resolve IDs with: `hipslist` (a file, or a URL fetched through the disk
/// cache) or the built-in one.
pub(crate) async fn load_hipslist(
    opts: &OpenOptions,
    fetcher: &Arc<Fetcher>,
    waiting: &(dyn Fn(&str) + Sync),
) -> Result<Vec<HipsRecord>> {
    let Some(location) = &opts.hipslist else {
        return Ok(parse_list(BUILTIN_HIPSLIST));
    };
    let fail = |reason: String| Error::HipsList {
        location: location.clone(),
        reason,
    };
    let text = if location.starts_with("http://") || location.starts_with("https://") {
        let (dir, name) = location
            .rsplit_once('/')
            .filter(|(_, name)| !name.is_empty())
            .ok_or_else(|| fail("the URL names no file".into()))?;
        let http = HttpBackend::new(dir, fetcher)?;
        let hosts = http.hosts().join(", ");
        let counters = FetchCounters::default();
        let get = http.get(name, HIPSLIST_MAX_BYTES, false, &counters);
        let waited = notice(waiting, "the HiPS list", &hosts);
        match until(opts.deadline, &waited, get)
            .await
            .ok_or_else(|| fail("the deadline passed".into()))?
        {
            Outcome::Found(bytes, origin) => {
                if origin == Origin::Network {
                    http.remember(name, &bytes);
                }
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Outcome::Missing => return Err(fail("not found".into())),
            Outcome::Failed(reason) => return Err(fail(reason)),
        }
    } else {
        let path = location.strip_prefix("file://").unwrap_or(location);
        let bytes = crate::files::read_regular_file(std::path::Path::new(path), HIPSLIST_MAX_BYTES)
            .map_err(|e| fail(e.to_string()))?;
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let records = parse_list(&text);
    if records.is_empty() {
        return Err(fail(
            "it holds no survey record with an ID and a service URL".into(),
        ));
    }
    Ok(records)
}

fn embedded_source(name: &str) -> Result<(String, Arc<dyn TileSource>)> {
    let source = EmbeddedSource::new(name).ok_or_else(|| {
        Error::UnsupportedLocation(format!(
            "embedded:{name} (embedded surveys: {})",
            EmbeddedSource::names().join(", ")
        ))
    })?;
    Ok((format!("embedded:{name}"), Arc::new(source)))
}

fn dir_source(root: PathBuf, label: &str) -> Result<(String, Arc<dyn TileSource>)> {
    if !root.is_dir() {
        return Err(Error::SurveyUnreachable {
            location: label.to_string(),
            reason: "not a directory".into(),
        });
    }
    Ok((label.to_string(), Arc::new(DirSource { root })))
}
