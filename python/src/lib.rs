//! `hipscut._native`: the Python package's door into the engine. One engine per process,
//! shared by every call; renders release the GIL. The Python modules beside it (`hipscut/`)
//! turn astropy objects into the plain values these functions take.

mod errors;
mod spec;

use hipscut::{Engine, EngineOptions, FetchOptions, Hips2fitsQuery, Rendered};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use spec::Spec;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// The process's engine; made on first use with the defaults, or by `configure`.
static ENGINE: Mutex<Option<Engine>> = Mutex::new(None);

/// The engine, made with the defaults if `configure` was not called.
fn engine() -> PyResult<Engine> {
    let mut slot = ENGINE
        .lock()
        .map_err(|_| errors::internal("the engine's lock was poisoned"))?;
    if let Some(engine) = slot.as_ref() {
        return Ok(engine.clone());
    }
    let engine = Engine::new(EngineOptions::default()).map_err(errors::to_py)?;
    *slot = Some(engine.clone());
    Ok(engine)
}

/// Replaces the process's engine by one with these options. Renders running keep the engine
/// they started on.
#[pyfunction]
#[pyo3(signature = (*, cache_dir, use_cache, cache_size, concurrency, retries, timeout,
    hipslist, sesame, decoded_cache_bytes, threads, user_agent))]
#[allow(clippy::too_many_arguments)] // one per keyword of `hipscut.configure`
fn configure(
    cache_dir: Option<PathBuf>,
    use_cache: bool,
    cache_size: u64,
    concurrency: usize,
    retries: u32,
    timeout: f64,
    hipslist: Option<String>,
    sesame: Option<String>,
    decoded_cache_bytes: u64,
    threads: usize,
    user_agent: Option<String>,
) -> PyResult<()> {
    if !(1..=1024).contains(&concurrency) {
        return Err(errors::bad(format!(
            "concurrency must be from 1 to 1024 requests per host, not {concurrency}"
        )));
    }
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 86_400.0) {
        return Err(errors::bad(format!(
            "timeout must be above 0 and at most a day (86400 s), not {timeout}"
        )));
    }
    if retries > 100 || threads > 4096 {
        return Err(errors::bad(
            "retries must be at most 100, threads at most 4096",
        ));
    }
    let mut options = EngineOptions::default();
    options.fetch = FetchOptions {
        concurrency,
        retries,
        timeout: Duration::from_secs_f64(timeout),
        cache_dir,
        use_cache,
        cache_size,
        user_agent,
        ..FetchOptions::default()
    };
    options.hipslist = hipslist;
    options.sesame = sesame;
    options.decoded_cache_bytes = decoded_cache_bytes;
    options.threads = threads;
    let engine = Engine::new(options).map_err(errors::to_py)?;
    let mut slot = ENGINE
        .lock()
        .map_err(|_| errors::internal("the engine's lock was poisoned"))?;
    *slot = Some(engine);
    Ok(())
}

/// An image (a numpy array), its WCS cards and what its render did.
type Rendering<'py> = (Bound<'py, PyAny>, Vec<(String, String)>, Bound<'py, PyDict>);

/// Renders `spec` from `survey` (`None`: the embedded survey): the image as the engine paints
/// it (height × width × channels, top row first), its WCS cards, and what the render did.
#[pyfunction]
#[pyo3(signature = (survey, spec))]
fn render<'py>(
    py: Python<'py>,
    survey: Option<String>,
    spec: HashMap<String, String>,
) -> PyResult<Rendering<'py>> {
    let spec = Spec::new(spec).map_err(errors::to_py)?;
    let engine = engine()?;
    let mut rendered = py
        .detach(|| spec.render(&engine, survey.as_deref()))
        .map_err(errors::to_py)?;
    let image = &mut rendered.image;
    let shape = [image.height, image.width, image.channels];
    // The samples are moved, not copied: the Python side views them in FITS order.
    let array = PyArray1::from_vec(py, std::mem::take(&mut image.data))
        .reshape(shape)?
        .into_any();
    let info = info_of(py, &rendered)?;
    Ok((array, std::mem::take(&mut rendered.geometry.cards), info))
}

/// Renders `spec` and encodes it as `format` (`fits`, `png` or `jpg`), with the spec's display
/// settings: the bytes the CLI writes for the same field.
#[pyfunction]
#[pyo3(signature = (survey, spec, format))]
fn render_bytes<'py>(
    py: Python<'py>,
    survey: Option<String>,
    spec: HashMap<String, String>,
    format: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let format = format.parse().map_err(errors::to_py)?;
    let spec = Spec::new(spec).map_err(errors::to_py)?;
    let engine = engine()?;
    let bytes = py
        .detach(|| spec.render_bytes(&engine, survey.as_deref(), format))
        .map_err(errors::to_py)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Renders `spec` into the file `output` (its extension names the format), atomically.
#[pyfunction]
#[pyo3(signature = (survey, spec, output))]
fn render_file(
    py: Python<'_>,
    survey: Option<String>,
    spec: HashMap<String, String>,
    output: PathBuf,
) -> PyResult<()> {
    let spec = Spec::new(spec).map_err(errors::to_py)?;
    let engine = engine()?;
    py.detach(|| spec.render_file(&engine, survey, &output))
        .map_err(errors::to_py)
}

/// Runs a hips2fits query (its parameters as astroquery sends them): the encoded image.
#[pyfunction]
fn query<'py>(py: Python<'py>, pairs: Vec<(String, String)>) -> PyResult<Bound<'py, PyBytes>> {
    let query = Hips2fitsQuery::parse(&pairs).map_err(errors::to_py)?;
    let engine = engine()?;
    let bytes = py
        .detach(|| spec::encoded(&engine, Some(&query.hips), &query.request, query.format))
        .map_err(errors::to_py)?;
    Ok(PyBytes::new(py, &bytes))
}

/// What the render did, for `hipscut.render`'s `info`.
fn info_of<'py>(py: Python<'py>, rendered: &Rendered) -> PyResult<Bound<'py, PyDict>> {
    let info = PyDict::new(py);
    let stats = &rendered.stats;
    info.set_item("order", rendered.order)?;
    info.set_item("tile_format", rendered.tile_format.to_string())?;
    info.set_item("tiles_fetched", stats.fetched)?;
    info.set_item("tiles_from_disk_cache", stats.from_cache)?;
    info.set_item("tiles_from_memory", stats.from_memory)?;
    info.set_item("tiles_local", stats.local)?;
    info.set_item("tiles_missing", stats.missing)?;
    info.set_item("tiles_failed", stats.failed)?;
    info.set_item("bytes_fetched", stats.bytes)?;
    info.set_item("pixels_painted", stats.pixels_painted)?;
    info.set_item("pixels_precise", stats.pixels_precise)?;
    info.set_item("unit", stats.unit.clone())?;
    info.set_item("survey", rendered.provenance.survey_id.clone())?;
    info.set_item("warnings", rendered.warnings.clone())?;
    let times = &stats.times;
    let seconds = PyDict::new(py);
    for (stage, time) in [
        ("plan", times.plan),
        ("fetch", times.fetch),
        ("decode", times.decode),
        ("paint", times.paint),
    ] {
        seconds.set_item(stage, time.as_secs_f64())?;
    }
    info.set_item("seconds", seconds)?;
    Ok(info)
}

/// The module: its functions and the library's version.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(configure, m)?)?;
    m.add_function(wrap_pyfunction!(render, m)?)?;
    m.add_function(wrap_pyfunction!(render_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(render_file, m)?)?;
    m.add_function(wrap_pyfunction!(query, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
