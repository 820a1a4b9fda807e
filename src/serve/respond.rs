//! The handlers: an image for hips2fits's parameters (with ETag, 304 and admission), and the
//! web page, the survey list, name resolution, health and metrics.

use super::params::{self, Query};
use super::problem::Problem;
use super::State;
use crate::encode::OutputFormat;
use crate::survey::Survey;
use axum::body::{to_bytes, Body};
use axum::extract::{RawQuery, State as Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The web page: a form that builds hips2fits URLs and shows their images.
const PAGE: &str = include_str!("page.html");

/// The longest a name lookup for the page may take.
const TARGET_TIME: Duration = Duration::from_secs(10);

fn pairs_of(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// The `hips` a request named, kept in its response for the log line.
#[derive(Clone)]
struct Hips(String);

/// `GET /hips2fits?…` (and `HEAD`, whose body the server leaves out).
pub(crate) async fn hips2fits_get(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = pairs_of(query.unwrap_or_default().as_bytes());
    answer(&state, &pairs, &headers).await
}

/// `POST /hips2fits` with an `application/x-www-form-urlencoded` form.
pub(crate) async fn hips2fits_post(
    Shared(state): Shared<Arc<State>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported form",
            "send the parameters as application/x-www-form-urlencoded, or in the URL of a GET",
        )
        .into_response();
    }
    match to_bytes(body, super::MAX_FORM_BYTES).await {
        Ok(bytes) => answer(&state, &pairs_of(&bytes), &headers).await,
        Err(_) => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Form too large",
            format!("a form may hold at most {} bytes", super::MAX_FORM_BYTES),
        )
        .into_response(),
    }
}

/// The image or the problem, with the `hips` asked for attached for the log.
async fn answer(state: &State, pairs: &[(String, String)], headers: &HeaderMap) -> Response {
    let hips = pairs
        .iter()
        .find(|(k, _)| k == "hips")
        .map_or(String::new(), |(_, v)| v.chars().take(200).collect());
    let mut response = image(state, pairs, headers)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(Hips(hips));
    response
}

/// The routes requests are counted by (any other path is `other`, so that scans cannot grow
/// the metrics).
fn route_of(path: &str) -> &'static str {
    match path {
        "/hips2fits" => "/hips2fits",
        "/" => "/",
        "/surveys" => "/surveys",
        "/target" => "/target",
        "/health" => "/health",
        "/metrics" => "/metrics",
        _ => "other",
    }
}

/// Counts a request dropped before its answer (the client went away) as 499, and logs it.
struct Unanswered<'a> {
    state: &'a State,
    route: &'static str,
    started: Instant,
    answered: bool,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        let took = self.started.elapsed();
        self.state.metrics.answered(self.route, 499, took);
        let ms = took.as_millis() as u64;
        let route = self.route;
        tracing::info!(
            route,
            status = 499,
            ms,
            "client went away; its work was stopped"
        );
    }
}

/// Every request: counted by route and status, timed, and logged in one line.
pub(crate) async fn observe(
    Shared(state): Shared<Arc<State>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let route = route_of(request.uri().path());
    let mut unanswered = Unanswered {
        state: &state,
        route,
        started: Instant::now(),
        answered: false,
    };
    let response = next.run(request).await;
    unanswered.answered = true;
    let took = unanswered.started.elapsed();
    let status = response.status().as_u16();
    state.metrics.answered(route, status, took);
    let bytes = axum::body::HttpBody::size_hint(response.body())
        .exact()
        .unwrap_or(0);
    let ms = (took.as_secs_f64() * 1e4).round() / 10.0;
    let hips = response
        .extensions()
        .get::<Hips>()
        .map_or("", |h| h.0.as_str());
    tracing::info!(%method, route, status, hips, ms, bytes, "request");
    response
}

/// The image, a 304, or why not.
async fn image(
    state: &State,
    pairs: &[(String, String)],
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    let query = params::parse(pairs, &state.limits)?;
    let entry = state.catalogue.find(&query.hips)?;
    // Messages name the survey by its ID: where the server reads it from is its own business.
    let failed = |e: crate::Error| {
        let mut problem = Problem::of(&e);
        problem.description = problem.description.replace(&entry.location, &entry.id);
        problem
    };
    let opening = state.engine.survey(Some(&entry.location));
    let survey = match tokio::time::timeout(state.limits.render_time, opening).await {
        Ok(survey) => survey.map_err(failed)?,
        Err(_) => {
            return Err(Problem::new(
                StatusCode::GATEWAY_TIMEOUT,
                "Render too slow",
                format!("survey {} did not open in time", entry.id),
            ))
        }
    };
    let tag = etag_of(state, &survey, &query);
    if matches_etag(headers, &tag) {
        return Ok(cached(
            StatusCode::NOT_MODIFIED,
            Some(&tag),
            state.max_age,
            Body::empty(),
            None,
        ));
    }
    let _slot = state
        .admission
        .admit()
        .await
        .ok_or_else(|| Problem::busy(1))?;
    let rendered = state
        .engine
        .render(&survey, &query.request)
        .await
        .map_err(failed)?;
    state.metrics.rendered(&rendered.stats);
    let complete = rendered.stats.failures.is_empty();
    let format = query.format;
    let encoded = tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        rendered.encode(format, &mut bytes).map(|()| bytes)
    })
    .await
    .map_err(|e| Problem::of(&crate::Error::Internal(format!("encoding stopped: {e}"))))?
    .map_err(|e| Problem::of(&e))?;
    // A render that lost tiles is not the canonical image: it is neither tagged nor kept.
    let tag = complete.then_some(tag.as_str());
    Ok(cached(
        StatusCode::OK,
        tag,
        state.max_age,
        Body::from(encoded),
        Some(format),
    ))
}

/// A response with the caching headers of a deterministic render.
fn cached(
    status: StatusCode,
    etag: Option<&str>,
    max_age: Duration,
    body: Body,
    format: Option<OutputFormat>,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    let control = match etag.and_then(|t| HeaderValue::from_str(t).ok()) {
        Some(tag) => {
            headers.insert(header::ETAG, tag);
            format!("public, max-age={}", max_age.as_secs())
        }
        None => "no-store".to_string(),
    };
    if let Ok(control) = HeaderValue::from_str(&control) {
        headers.insert(header::CACHE_CONTROL, control);
    }
    if let Some(format) = format {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(format)),
        );
    }
    response
}

pub(crate) fn content_type(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Fits => "application/fits",
        OutputFormat::Png => "image/png",
        OutputFormat::Jpeg => "image/jpeg",
    }
}

/// The digest of what a survey's images depend on: hipscut's version, where the survey is
/// read from, and its properties (release date included).
pub(crate) fn survey_digest(survey: &Survey) -> String {
    let mut hasher = Sha256::new();
    for part in [
        env!("CARGO_PKG_VERSION"),
        &survey.location,
        &format!("{:?}", survey.properties),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The strong ETag of a render: the survey's digest, and every choice of the request but its
/// time limit.
fn etag_of(state: &State, survey: &Survey, query: &Query) -> String {
    let mut request = query.request.clone();
    request.deadline = None;
    let mut hasher = Sha256::new();
    for part in [
        state.survey_digest(survey),
        format!("{request:?}"),
        query.format.name().to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest: String = hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{digest}\"")
}

/// Whether `If-None-Match` names `tag` (or is `*`); weak tags compare as strong ones.
fn matches_etag(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == tag || t == "*")
}

/// `GET /`: the web page.
pub(crate) async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// `GET /surveys`: the IDs and titles requests may name.
pub(crate) async fn surveys(Shared(state): Shared<Arc<State>>) -> Response {
    let entries: Vec<_> = state.catalogue.entries().collect();
    axum::Json(entries).into_response()
}

/// `GET /target?name=M1`: where an object is, for the page's name field.
pub(crate) async fn target(
    Shared(state): Shared<Arc<State>>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = pairs_of(query.unwrap_or_default().as_bytes());
    let name = pairs
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.trim());
    let Some(name) = name.filter(|n| !n.is_empty() && n.len() <= 200) else {
        let p = Problem::bad_parameter(
            "Missing parameter",
            "`name` is required (at most 200 characters)",
        );
        return p.into_response();
    };
    match tokio::time::timeout(TARGET_TIME, state.engine.target(name)).await {
        Ok(Ok(t)) => {
            let fov = t.size_deg.map(|s| (s * 1.5).max(1.0 / 60.0));
            let body = serde_json::json!({"name": name, "ra": t.ra, "dec": t.dec, "fov": fov});
            axum::Json(body).into_response()
        }
        Ok(Err(e)) => Problem::of(&e).into_response(),
        Err(_) => Problem::new(
            StatusCode::GATEWAY_TIMEOUT,
            "Name lookup too slow",
            format!("`{name}` was not found in time"),
        )
        .into_response(),
    }
}

/// `GET /health`.
pub(crate) async fn health() -> Response {
    axum::Json(serde_json::json!({"status": "ok"})).into_response()
}

/// `GET /metrics`: Prometheus text format.
pub(crate) async fn metrics(Shared(state): Shared<Arc<State>>) -> Response {
    let text = state
        .metrics
        .exposition(state.admission.in_flight(), state.admission.queued());
    let kind = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, kind)], text).into_response()
}

/// Any other path.
pub(crate) async fn not_found(uri: Uri) -> Response {
    let path: String = uri.path().chars().take(200).collect();
    Problem::new(
        StatusCode::NOT_FOUND,
        "Not found",
        format!("no such page: {path}"),
    )
    .into_response()
}
