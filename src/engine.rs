//! The engine: one long-lived, shared renderer behind every front (CLI, batch, service). A
//! cheap handle to shared state, as tokio's mini-redis `Db`: one HTTP client with a limit of
//! requests per host, the disk cache, the decoded tiles, the painters, and the opened surveys.

use crate::composite::{render_rgb_on, Sources};
use crate::encode::{check_output, OutputFormat};
use crate::error::{Error, Result};
use crate::fetch::{block_on, runtime, FetchOptions, Fetcher};
use crate::pipeline::workers::{DecodeHook, Workers};
use crate::pipeline::{Progress, Silent};
use crate::render::{render_blocking_on, render_on, Rendered};
use crate::request::RenderRequest;
use crate::survey::{OpenOptions, Survey};
use crate::target::{resolve_with, Target};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// An opened survey is opened again after this long: when its cached `properties` are due
/// for revalidation.
const SURVEY_MAX_AGE: Duration = crate::fetch::DESCRIPTION_MAX_AGE;

/// How an engine fetches, caches and paints.
#[derive(Clone)]
#[non_exhaustive]
pub struct EngineOptions {
    /// Fetching: requests per host, retries, timeouts, the disk cache.
    pub fetch: FetchOptions,
    /// A HiPS list (file or URL) to resolve survey IDs with, instead of the built-in one.
    pub hipslist: Option<String>,
    /// The Sesame name resolver for [`Engine::target`] (`None`: CDS's).
    pub sesame: Option<String>,
    /// Bytes of decoded tiles kept between renders (0: none are kept; concurrent requests for
    /// one tile are still merged).
    pub decoded_cache_bytes: u64,
    /// Painting threads (0: one per core).
    pub threads: usize,
    /// Called with a tile's path before it is decoded (for tests that make decoding panic).
    #[doc(hidden)]
    pub decode_hook: Option<DecodeHook>,
}

impl Default for EngineOptions {
    /// The defaults of [`FetchOptions`], the built-in HiPS list, 512 MB of decoded tiles, one
    /// painter per core.
    fn default() -> Self {
        EngineOptions {
            fetch: FetchOptions::default(),
            hipslist: None,
            sesame: None,
            decoded_cache_bytes: 512 << 20,
            threads: 0,
            decode_hook: None,
        }
    }
}

impl EngineOptions {
    /// The defaults, fetching, resolving IDs and finding names as `open` says (its deadline,
    /// which is one render's, is left out).
    pub fn fetching_as(open: &OpenOptions) -> Self {
        EngineOptions {
            fetch: open.fetch.clone(),
            hipslist: open.hipslist.clone(),
            sesame: open.sesame.clone(),
            ..EngineOptions::default()
        }
    }
}

impl std::fmt::Debug for EngineOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field("fetch", &self.fetch)
            .field("hipslist", &self.hipslist)
            .field("decoded_cache_bytes", &self.decoded_cache_bytes)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// A shared renderer; clones are handles to the same engine.
///
/// Renders run on the engine's own threads, so [`Engine::render`] can be awaited from any
/// async runtime, and [`Engine::render_blocking`] called from plain threads or rayon workers.
///
/// ```
/// use hipscut::{Engine, EngineOptions, RenderRequest, View};
///
/// let engine = Engine::new(EngineOptions::default())?;
/// let survey = engine.survey_blocking(None)?; // the embedded survey
/// let request = RenderRequest::new(View::default().fov(30.0).size(64, 64));
/// let rendered = engine.render_blocking(&survey, &request)?;
/// assert_eq!((rendered.image.width, rendered.image.height), (64, 64));
/// # Ok::<(), hipscut::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    shared: Arc<Shared>,
}

struct Shared {
    options: EngineOptions,
    fetcher: Arc<Fetcher>,
    workers: Arc<Workers>,
    /// Surveys by location; a cell is filled once, however many renders ask at once.
    surveys: Mutex<HashMap<String, Arc<OnceCell<Opened>>>>,
}

#[derive(Clone)]
struct Opened {
    at: Instant,
    survey: Arc<Survey>,
}

/// Stops a spawned task (a render, a survey opening) when its future is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Engine {
    /// An engine with these options. Nothing is fetched until a survey is opened.
    pub fn new(options: EngineOptions) -> Result<Engine> {
        let fetcher = Arc::new(Fetcher::new(&options.fetch)?);
        let workers = Workers::new(
            options.threads,
            options.decoded_cache_bytes,
            options.decode_hook.clone(),
        )?;
        Ok(Engine {
            shared: Arc::new(Shared {
                options,
                fetcher,
                workers: Arc::new(workers),
                surveys: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// An engine for one render in a process about to exit: no decoded tile is kept.
    pub fn one_shot(open: &OpenOptions) -> Result<Engine> {
        Engine::new(EngineOptions {
            decoded_cache_bytes: 0,
            ..EngineOptions::fetching_as(open)
        })
    }

    fn open_options(&self, deadline: Option<Instant>) -> OpenOptions {
        OpenOptions {
            fetch: self.shared.options.fetch.clone(),
            hipslist: self.shared.options.hipslist.clone(),
            sesame: self.shared.options.sesame.clone(),
            deadline,
        }
    }

    /// The survey at `location` (see [`Survey::open_with`]), opened once and kept: concurrent
    /// calls share one opening, and a survey is opened again after a day.
    pub async fn survey(&self, location: Option<&str>) -> Result<Arc<Survey>> {
        let key = location.unwrap_or("").trim().to_string();
        let cell = {
            let mut surveys = self.lock_surveys()?;
            let cell = surveys.entry(key.clone()).or_default();
            if cell.get().is_some_and(|o| o.at.elapsed() > SURVEY_MAX_AGE) {
                *cell = Arc::default();
            }
            Arc::clone(cell)
        };
        let engine = self.clone();
        let opened = cell
            .get_or_try_init(|| async move {
                let open = async move {
                    let opts = engine.open_options(None);
                    let at = Instant::now();
                    let location = (!key.is_empty()).then_some(key.as_str());
                    let fetcher = &engine.shared.fetcher;
                    let survey = Survey::open_async(location, &opts, fetcher, &|_| {}).await?;
                    let survey = Arc::new(survey);
                    Ok::<_, Error>(Opened { at, survey })
                };
                AbortOnDrop(runtime().spawn(open)).await.and_then(|o| o)
            })
            .await?;
        Ok(Arc::clone(&opened.survey))
    }

    fn lock_surveys(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<Opened>>>>> {
        self.shared
            .surveys
            .lock()
            .map_err(|_| Error::Internal("the survey table was poisoned".into()))
    }

    /// Finds a named object (see [`crate::resolve_target`]) through the engine's HTTP client
    /// and disk cache, with the engine's Sesame.
    pub async fn target(&self, name: &str) -> Result<Target> {
        let (fetcher, name) = (Arc::clone(&self.shared.fetcher), name.to_string());
        let sesame = self.shared.options.sesame.clone();
        let task =
            runtime().spawn(async move { resolve_with(&name, sesame.as_deref(), &fetcher).await });
        AbortOnDrop(task).await.and_then(|r| r)
    }

    /// [`Engine::target`], blocking.
    pub fn target_blocking(&self, name: &str) -> Result<Target> {
        block_on(self.target(name))
    }

    /// The records of the engine's HiPS list (its `hipslist`, or the built-in one), read
    /// through the engine's HTTP client and disk cache.
    pub(crate) async fn hipslist(&self) -> Result<Vec<crate::survey::HipsRecord>> {
        let engine = self.clone();
        let task = runtime().spawn(async move {
            let opts = engine.open_options(None);
            crate::survey::load_hipslist(&opts, &engine.shared.fetcher, &|_| {}).await
        });
        AbortOnDrop(task).await.and_then(|r| r)
    }

    /// [`Engine::survey`], blocking.
    pub fn survey_blocking(&self, location: Option<&str>) -> Result<Arc<Survey>> {
        block_on(self.survey(location))
    }

    /// Renders `request` from `survey`. The render runs on the engine's threads; dropping the
    /// future stops its fetches and its painting jobs.
    pub async fn render(&self, survey: &Arc<Survey>, request: &RenderRequest) -> Result<Rendered> {
        self.render_with_progress(survey, request, Arc::new(Silent))
            .await
    }

    /// [`Engine::render`], reporting progress.
    pub async fn render_with_progress(
        &self,
        survey: &Arc<Survey>,
        request: &RenderRequest,
        progress: Arc<dyn Progress>,
    ) -> Result<Rendered> {
        let until = request.deadline.map(|d| Instant::now() + d);
        let (workers, survey) = (Arc::clone(&self.shared.workers), Arc::clone(survey));
        let request = request.clone();
        let live = workers.live_task();
        let task = runtime().spawn(async move {
            let _live = live;
            render_on(&workers, &survey, &request, &*progress, until).await
        });
        AbortOnDrop(task).await.and_then(|r| r)
    }

    /// [`Engine::render`], blocking: for plain threads, rayon workers and the CLI.
    pub fn render_blocking(&self, survey: &Survey, request: &RenderRequest) -> Result<Rendered> {
        render_blocking_on(&self.shared.workers, survey, request, &Silent)
    }

    /// Renders `request` from three single-band surveys shown as red, green and blue, on one
    /// pixel grid (the field as the red survey resolves it), each band at its own order.
    pub async fn render_rgb(
        &self,
        surveys: [&Arc<Survey>; 3],
        request: &RenderRequest,
    ) -> Result<Rendered> {
        let until = request.deadline.map(|d| Instant::now() + d);
        let workers = Arc::clone(&self.shared.workers);
        let [r, g, b] = surveys.map(Arc::clone);
        let request = request.clone();
        let live = workers.live_task();
        let task = runtime().spawn(async move {
            let _live = live;
            render_rgb_on(&workers, [&r, &g, &b], &request, &Silent, until).await
        });
        AbortOnDrop(task).await.and_then(|r| r)
    }

    /// Opens the surveys of `sources`, renders `request` and writes `output` atomically,
    /// blocking, reporting progress: the `render` command. The request's deadline covers the
    /// opening too.
    pub fn render_file_blocking(
        &self,
        sources: &Sources,
        request: &RenderRequest,
        output: &Path,
        progress: &dyn Progress,
    ) -> Result<Rendered> {
        check_output(output)?;
        let format = OutputFormat::from_path(output)?;
        request.display.check_for(format)?;
        if request.frames.is_some() && format != OutputFormat::Fits {
            return Err(Error::invalid(
                "a stack of cube frames (--frames) is written as FITS only",
            ));
        }
        let request = &request.clone().for_picture(format != OutputFormat::Fits);
        let until = request.deadline.map(|d| Instant::now() + d);
        let open = self.open_options(until);
        let workers = &self.shared.workers;
        let fetcher = &self.shared.fetcher;
        let waiting = |notice: &str| progress.waiting(notice);
        let open_one = |location: Option<&'_ str>| {
            let location = location.map(str::to_string);
            let (open, waiting) = (&open, &waiting);
            async move { Survey::open_async(location.as_deref(), open, fetcher, waiting).await }
        };
        let started = Instant::now();
        progress.stage("resolve");
        let resolve = std::cell::Cell::new(Duration::ZERO);
        let opened = || resolve.set(started.elapsed());
        let rendered = block_on(async {
            match sources {
                Sources::One(location) => {
                    let survey = open_one(location.as_deref()).await?;
                    opened();
                    render_on(workers, &survey, request, progress, until).await
                }
                Sources::Rgb([r, g, b]) => {
                    let (r, g, b) =
                        tokio::join!(open_one(Some(r)), open_one(Some(g)), open_one(Some(b)));
                    let (r, g, b) = (r?, g?, b?);
                    opened();
                    render_rgb_on(workers, [&r, &g, &b], request, progress, until).await
                }
            }
        })?;
        let mut rendered = rendered;
        let encoding = Instant::now();
        progress.stage("encode");
        rendered.write_file(output)?;
        rendered.stats.times.resolve = resolve.get();
        rendered.stats.times.encode = encoding.elapsed();
        Ok(rendered)
    }

    /// Tasks of this engine alive now: renders, fetches, decodes, painting jobs.
    pub fn live_tasks(&self) -> usize {
        self.shared.workers.live_tasks()
    }

    /// Brings the disk cache under its cap now (a long-lived engine does it in the
    /// background; a process about to exit calls this).
    pub fn settle_cache(&self) {
        if let Some(cache) = self.shared.fetcher.cache() {
            cache.settle();
        }
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.map_err(|e| Error::Internal(format!("internal error (please report it): {e}")))
        })
    }
}
