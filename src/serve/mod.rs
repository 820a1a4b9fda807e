//! The image service: CDS hips2fits's HTTP API, a web page, health and metrics, on one engine
//! shared by every request (one fetcher, one disk cache, one decoded-tile cache).

mod admission;
mod catalogue;
mod metrics;
mod params;
pub use params::Hips2fitsQuery;
mod problem;
mod respond;

use crate::engine::Engine;
use crate::error::{Error, Result};
use admission::Admission;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method};
use axum::routing::get;
use axum::Router;
use catalogue::Catalogue;
use metrics::Metrics;
use params::Limits;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The largest form body a `POST /hips2fits` may send (a `wcs` header is a few kB).
const MAX_FORM_BYTES: usize = 256 << 10;

/// How a server listens, what it renders, and its limits.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServeOptions {
    /// The address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Surveys to serve, as `(ID, location)`; without an ID, the survey's `creator_did`.
    pub surveys: Vec<(Option<String>, String)>,
    /// Serve every survey of the engine's HiPS list by its ID too.
    pub serve_list: bool,
    /// Origins whose pages may fetch images (`*`: any); none: no CORS headers.
    pub cors_origins: Vec<String>,
    /// The most output pixels of one image.
    pub max_pixels: u64,
    /// The widest field of view, degrees.
    pub max_fov: f64,
    /// The longest one render may take.
    pub render_time: Duration,
    /// Renders at once (0: one per core).
    pub max_renders: usize,
    /// Requests that may wait for a render slot; beyond them, 503 (`None`: 8 per slot, so
    /// that a wait stays near 8 renders' time).
    pub max_queue: Option<usize>,
    /// How long clients may keep an image (`Cache-Control: max-age`).
    pub max_age: Duration,
}

impl Default for ServeOptions {
    /// 127.0.0.1:8080, the embedded surveys, no CORS, 25 Mpx, 360°, 60 s a render, one render
    /// per core with 8 per render waiting, images kept a day.
    fn default() -> Self {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            surveys: Vec::new(),
            serve_list: false,
            cors_origins: Vec::new(),
            max_pixels: 25_000_000,
            max_fov: 360.0,
            render_time: Duration::from_secs(60),
            max_renders: 0,
            max_queue: None,
            max_age: Duration::from_secs(86_400),
        }
    }
}

/// What every request handler shares.
pub(crate) struct State {
    engine: Engine,
    catalogue: Catalogue,
    admission: Admission,
    metrics: Metrics,
    limits: Limits,
    max_age: Duration,
    /// Each opened survey's digest for ETags, by the survey's unique number (a survey opened
    /// again, when its properties are due, gets a new one).
    survey_digests: Mutex<HashMap<u64, String>>,
}

impl State {
    /// The digest of `survey` (see [`respond::survey_digest`]), computed once per opening.
    fn survey_digest(&self, survey: &crate::survey::Survey) -> String {
        let Ok(mut digests) = self.survey_digests.lock() else {
            return respond::survey_digest(survey);
        };
        if digests.len() > 10_000 {
            digests.clear();
        }
        digests
            .entry(survey.uid)
            .or_insert_with(|| respond::survey_digest(survey))
            .clone()
    }
}

/// A bound, ready server: its surveys are open and its socket listens.
///
/// ```no_run
/// use hipscut::{Engine, EngineOptions, ServeOptions, Server};
///
/// # async fn run() -> hipscut::Result<()> {
/// let engine = Engine::new(EngineOptions::default())?;
/// let server = Server::bind(engine, ServeOptions::default()).await?;
/// println!("listening on http://{}", server.local_addr());
/// server.run_until_signal().await
/// # }
/// ```
pub struct Server {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Server {
    /// Opens the surveys `options` names and binds its address; a survey that does not open
    /// or an address that cannot be bound is an error here, before any request.
    pub async fn bind(engine: Engine, options: ServeOptions) -> Result<Server> {
        let catalogue = Catalogue::open(&engine, &options.surveys, options.serve_list).await?;
        let slots = match options.max_renders {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let state = Arc::new(State {
            engine,
            catalogue,
            admission: Admission::new(slots, options.max_queue.unwrap_or(8 * slots)),
            metrics: Metrics::new(),
            limits: Limits {
                max_pixels: options.max_pixels,
                max_fov: options.max_fov,
                render_time: options.render_time,
            },
            max_age: options.max_age,
            survey_digests: Mutex::default(),
        });
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|e| Error::invalid(format!("cannot listen on {}: {e}", options.listen)))?;
        let router = router(state, &options.cors_origins)?;
        Ok(Server { listener, router })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| Error::Internal(format!("the server stopped: {e}")))
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_signal(self) -> Result<()> {
        self.run_until(termination()).await
    }
}

/// Binds a [`Server`], calls `ready` with its address, and serves until SIGTERM or Ctrl-C,
/// blocking: the `serve` command.
pub fn serve_blocking(
    engine: Engine,
    options: ServeOptions,
    ready: impl FnOnce(SocketAddr),
) -> Result<()> {
    crate::fetch::block_on(async move {
        let server = Server::bind(engine, options).await?;
        ready(server.local_addr());
        server.run_until_signal().await
    })
}

/// Completes at SIGTERM or Ctrl-C (SIGINT).
async fn termination() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

/// The routes, with CORS for `origins`.
fn router(state: Arc<State>, origins: &[String]) -> Result<Router> {
    let router = Router::new()
        .route(
            "/hips2fits",
            get(respond::hips2fits_get).post(respond::hips2fits_post),
        )
        .route("/", get(respond::page))
        .route("/surveys", get(respond::surveys))
        .route("/target", get(respond::target))
        .route("/health", get(respond::health))
        .route("/metrics", get(respond::metrics))
        .fallback(respond::not_found)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            respond::observe,
        ))
        .with_state(state);
    Ok(match cors(origins)? {
        Some(layer) => router.layer(layer),
        None => router,
    })
}

/// The CORS layer for `origins`: `*` for any, else each one exactly.
fn cors(origins: &[String]) -> Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let list = origins
            .iter()
            .map(|o| {
                HeaderValue::from_str(o.trim_end_matches('/'))
                    .map_err(|_| Error::invalid(format!("`{o}` is not an origin")))
            })
            .collect::<Result<Vec<_>>>()?;
        AllowOrigin::list(list)
    };
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods([Method::GET, Method::HEAD, Method::POST])
            .expose_headers([axum::http::header::ETAG, axum::http::header::RETRY_AFTER])
            .max_age(Duration::from_secs(86_400)),
    ))
}
