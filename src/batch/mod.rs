//! Batch rendering: every field of a list through one engine (one fetcher, one disk cache,
//! the decoded tiles shared), neighbours on the sky run close together, resumable, each
//! field's outcome one line of `batch-report.jsonl`.

mod field;
mod rows;

pub use field::COLUMNS;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::fetch::{block_on, runtime};
use crate::render::Rendered;
use field::{field_of, name_of, Field};
use rows::{rows, Row};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The report of every field, one JSON line each.
pub const REPORT_NAME: &str = "batch-report.jsonl";
/// The fields finished, with their parameters' digest: a changed row is rendered again.
pub const MANIFEST_NAME: &str = "batch-manifest.jsonl";

/// How a batch runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BatchOptions {
    /// Where outputs, the report and the manifest go.
    pub out_dir: PathBuf,
    /// Column values for the rows that lack them (the command line's render options).
    pub defaults: Vec<(String, String)>,
    /// Render fields whose output is already there.
    pub force: bool,
    /// Stop at the first failed field.
    pub fail_fast: bool,
    /// Render only the rows whose index is `k` modulo `n`.
    pub shard: Option<(u64, u64)>,
    /// Fields rendered at once.
    pub in_flight: usize,
    /// Rows read ahead and ordered by sky position before they start.
    pub window: usize,
}

impl BatchOptions {
    /// Options writing into `out_dir`, every other setting at its default: 8 fields at once, a
    /// window of 256 rows, no shard.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        BatchOptions {
            out_dir: out_dir.into(),
            defaults: Vec::new(),
            force: false,
            fail_fast: false,
            shard: None,
            in_flight: 8,
            window: 256,
        }
    }
}

/// What a batch tells as it goes: a progress bar's feed.
pub trait BatchProgress: Send + Sync {
    /// The batch has `fields` fields (of this shard).
    fn fields_planned(&self, _fields: usize) {}
    /// A field ended.
    fn field_done(&self, _outcome: &FieldOutcome) {}
}

/// A batch progress that shows nothing.
pub struct NoBatchProgress;
impl BatchProgress for NoBatchProgress {}

/// How one field ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FieldOutcome {
    /// `ok`, `skipped` or `failed`.
    pub status: &'static str,
    /// Tiles it fetched from servers.
    pub tiles_fetched: usize,
    /// Tiles it took from the disk cache or from memory.
    pub tiles_cached: usize,
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct BatchSummary {
    /// Fields of this shard.
    pub fields: usize,
    /// Fields rendered.
    pub rendered: usize,
    /// Fields whose output was already there with the same parameters.
    pub skipped: usize,
    /// Fields that failed (bad rows included).
    pub failed: usize,
    /// Tiles fetched from servers, over all fields.
    pub tiles_fetched: usize,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Renders every field of the list at `input` (a CSV or JSON Lines file; `-` reads standard
/// input) through `engine`. Rows with the same name are an error before any work. Each
/// field's outcome is a line of [`REPORT_NAME`]; a failed field does not stop the others
/// unless `fail_fast`.
pub fn run_batch(
    engine: &Engine,
    input: &Path,
    opts: &BatchOptions,
    progress: Arc<dyn BatchProgress>,
) -> Result<BatchSummary> {
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| Error::io(&opts.out_dir, e))?;
    let list = list_file(input, &opts.out_dir)?;
    let defaults = Row {
        line: 0,
        values: opts.defaults.iter().cloned().collect(),
    };
    field_of(&Row::default(), &defaults, 0)
        .map_err(|e| Error::invalid(format!("the default {e}")))?;
    progress.fields_planned(check_names(list.path(), &defaults, opts.shard)?);
    let done = read_manifest(&opts.out_dir.join(MANIFEST_NAME));
    let run = Arc::new(Run {
        engine: engine.clone(),
        opts: opts.clone(),
        done,
        report: Mutex::new(append(&opts.out_dir.join(REPORT_NAME))?),
        manifest: Mutex::new(append(&opts.out_dir.join(MANIFEST_NAME))?),
        stop: AtomicBool::new(false),
        summary: Mutex::new(BatchSummary::default()),
        progress,
    });
    let started = Instant::now();
    let reader =
        BufReader::new(std::fs::File::open(list.path()).map_err(|e| Error::io(list.path(), e))?);
    let work = Arc::clone(&run);
    block_on(async move { work.all(reader, &defaults).await })?;
    let mut summary = run.summary.lock().map(|s| s.clone()).unwrap_or_default();
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Joins the reports of shards (each folder's [`REPORT_NAME`]) into `into`'s, atomically;
/// returns how many fields ended ok, skipped and failed, and refuses a field that two shards
/// both rendered.
pub fn merge_reports(shards: &[PathBuf], into: &Path) -> Result<(usize, usize, usize)> {
    let mut lines = Vec::new();
    let mut names: HashMap<String, PathBuf> = HashMap::new();
    let (mut ok, mut skipped, mut failed) = (0, 0, 0);
    for dir in shards {
        let path = dir.join(REPORT_NAME);
        let text =
            crate::files::read_regular_file(&path, 1 << 30).map_err(|e| Error::io(&path, e))?;
        for line in String::from_utf8_lossy(&text)
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(line).map_err(|e| {
                Error::invalid(format!("{}: not a report line: {e}", path.display()))
            })?;
            match v["status"].as_str() {
                Some("ok") => ok += 1,
                Some("skipped") => skipped += 1,
                _ => failed += 1,
            }
            if let Some(name) = v["name"].as_str() {
                if let Some(other) = names.insert(name.to_string(), dir.clone()) {
                    return Err(Error::invalid(format!(
                        "the field `{name}` is in the reports of {} and {}",
                        other.display(),
                        dir.display()
                    )));
                }
            }
            lines.push(line.to_string());
        }
    }
    std::fs::create_dir_all(into).map_err(|e| Error::io(into, e))?;
    let merged = into.join(REPORT_NAME);
    crate::encode::write_atomically(&merged, |tmp| {
        std::fs::write(tmp, lines.join("\n") + "\n").map_err(|e| Error::io(tmp, e))
    })?;
    Ok((ok, skipped, failed))
}

/// The list as a file that can be read twice: `input`, or standard input copied beside the
/// outputs.
fn list_file(input: &Path, out_dir: &Path) -> Result<ListFile> {
    if input != Path::new("-") {
        return Ok(ListFile::Given(input.to_path_buf()));
    }
    let mut copy = tempfile::NamedTempFile::new_in(out_dir).map_err(|e| Error::io(out_dir, e))?;
    std::io::copy(&mut std::io::stdin().lock(), &mut copy).map_err(|e| Error::io("-", e))?;
    Ok(ListFile::Copied(copy))
}

enum ListFile {
    Given(PathBuf),
    Copied(tempfile::NamedTempFile),
}

impl ListFile {
    fn path(&self) -> &Path {
        match self {
            ListFile::Given(p) => p,
            ListFile::Copied(f) => f.path(),
        }
    }
}

/// Refuses a list in which two rows would write the same file; returns the rows of the shard.
fn check_names(list: &Path, defaults: &Row, shard: Option<(u64, u64)>) -> Result<usize> {
    let file = std::fs::File::open(list).map_err(|e| Error::io(list, e))?;
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut in_shard = 0;
    for (index, row) in rows(BufReader::new(file)).enumerate() {
        if in_shard_of(index as u64, shard) {
            in_shard += 1;
        }
        let Ok(row) = row else { continue };
        let name = name_of(&row, defaults, index as u64);
        if let Some(first) = seen.insert(name.clone(), row.line) {
            return Err(Error::invalid(format!(
                "lines {first} and {} both name the field `{name}`: names must be unique",
                row.line
            )));
        }
    }
    Ok(in_shard)
}

/// Whether row `index` belongs to the shard (every row without one).
fn in_shard_of(index: u64, shard: Option<(u64, u64)>) -> bool {
    shard.is_none_or(|(k, n)| index % n == k)
}

/// The manifest's finished fields: name → parameters' digest.
fn read_manifest(path: &Path) -> HashMap<String, String> {
    let Ok(file) = std::fs::File::open(path) else {
        return HashMap::new();
    };
    BufReader::new(file)
        .lines()
        .map_while(std::result::Result::ok)
        .filter_map(|line| {
            let v: serde_json::Value = serde_json::from_str(&line).ok()?;
            Some((
                v["name"].as_str()?.to_string(),
                v["key"].as_str()?.to_string(),
            ))
        })
        .collect()
}

fn append(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))
}

/// A running batch.
struct Run {
    engine: Engine,
    opts: BatchOptions,
    done: HashMap<String, String>,
    report: Mutex<std::fs::File>,
    manifest: Mutex<std::fs::File>,
    stop: AtomicBool,
    summary: Mutex<BatchSummary>,
    progress: Arc<dyn BatchProgress>,
}

impl Run {
    /// Reads the rows, a window at a time ordered by sky position, and renders them, at most
    /// `in_flight` at once.
    async fn all(self: Arc<Self>, reader: impl BufRead + 'static, defaults: &Row) -> Result<()> {
        let in_flight = self.opts.in_flight.max(1);
        let gate = Arc::new(tokio::sync::Semaphore::new(in_flight));
        let mut window: Vec<Result<Field, (u64, String)>> = Vec::new();
        let mut rows = rows(reader).enumerate().peekable();
        while rows.peek().is_some() && !self.stop.load(Ordering::Relaxed) {
            window.clear();
            for (index, row) in rows.by_ref().take(self.opts.window.max(1)) {
                let index = index as u64;
                if !in_shard_of(index, self.opts.shard) {
                    continue;
                }
                window.push(match row {
                    Ok(row) => field_of(&row, defaults, index).map_err(|e| (row.line, e)),
                    Err(e) => Err((e.line, e.reason)),
                });
            }
            window.sort_by_key(sky_order);
            for item in window.drain(..) {
                if self.stop.load(Ordering::Relaxed) {
                    break;
                }
                let permit = Arc::clone(&gate)
                    .acquire_owned()
                    .await
                    .map_err(|e| Error::Internal(e.to_string()))?;
                let run = Arc::clone(&self);
                // Not kept in a set: a finished task's memory goes at once, so memory stays
                // flat however many fields there are; the gate tells when all have ended.
                drop(runtime().spawn(async move {
                    let _permit = permit;
                    run.one(item).await;
                }));
            }
        }
        let all = u32::try_from(in_flight).unwrap_or(u32::MAX);
        let _ = gate.acquire_many(all).await;
        Ok(())
    }

    /// Renders one field (or reports why it cannot) and records it.
    async fn one(&self, item: std::result::Result<Field, (u64, String)>) {
        let field = match item {
            Ok(field) => field,
            Err((line, reason)) => {
                self.count(|s| s.fields += 1);
                self.record(&serde_json::json!({
                    "line": line, "status": "failed", "kind": "bad row", "error": reason,
                }));
                self.count(|s| s.failed += 1);
                self.tell("failed", 0, 0);
                return self.failed();
            }
        };
        self.count(|s| s.fields += 1);
        let output = self
            .opts
            .out_dir
            .join(format!("{}.{}", field.name, field.format.name()));
        let unchanged = self.done.get(&field.name) == Some(&field.key);
        if !self.opts.force && unchanged && output.is_file() {
            self.count(|s| s.skipped += 1);
            self.tell("skipped", 0, 0);
            return self.record(&serde_json::json!({
                "name": field.name, "line": field.line, "status": "skipped",
                "output": output.display().to_string(),
            }));
        }
        let started = Instant::now();
        match self.render(&field, &output).await {
            Ok(rendered) => {
                let s = &rendered.stats;
                self.count(|sum| {
                    sum.rendered += 1;
                    sum.tiles_fetched += s.fetched;
                });
                self.tell("ok", s.fetched, s.from_cache + s.from_memory);
                self.record(&serde_json::json!({
                    "name": field.name, "line": field.line, "status": "ok",
                    "output": output.display().to_string(),
                    "seconds": started.elapsed().as_secs_f64(),
                    "tiles": {"fetched": s.fetched, "from_cache": s.from_cache,
                              "from_memory": s.from_memory, "local": s.local,
                              "missing": s.missing, "failed": s.failed},
                }));
            }
            Err(e) => {
                self.count(|s| s.failed += 1);
                self.record(&serde_json::json!({
                    "name": field.name, "line": field.line, "status": "failed",
                    "kind": format!("{:?}", e.kind()), "error": e.to_string(),
                    "seconds": started.elapsed().as_secs_f64(),
                }));
                self.tell("failed", 0, 0);
                self.failed();
            }
        }
    }

    async fn render(&self, field: &Field, output: &Path) -> Result<Rendered> {
        let mut request = field.request.clone();
        if let (Some(name), crate::request::Field::View(view)) = (&field.target, &mut request.field)
        {
            if view.centre.is_none() {
                let target = self.engine.target(name).await?;
                *view = view.clone().aim_at(&target);
            }
        }
        let rendered = match &field.sources {
            crate::composite::Sources::One(location) => {
                let survey = self.engine.survey(location.as_deref()).await?;
                self.engine.render(&survey, &request).await?
            }
            crate::composite::Sources::Rgb([r, g, b]) => {
                let (r, g, b) = (
                    self.engine.survey(Some(r)).await?,
                    self.engine.survey(Some(g)).await?,
                    self.engine.survey(Some(b)).await?,
                );
                self.engine.render_rgb([&r, &g, &b], &request).await?
            }
        };
        // The manifest first: a field killed before its output is whole has no output, so
        // it is rendered again; a field whose output is there is in the manifest.
        self.record_manifest(field, output);
        let path = output.to_path_buf();
        tokio::task::spawn_blocking(move || rendered.write_file(&path).map(|()| rendered))
            .await
            .map_err(|e| Error::Internal(e.to_string()))?
    }

    fn tell(&self, status: &'static str, tiles_fetched: usize, tiles_cached: usize) {
        self.progress.field_done(&FieldOutcome {
            status,
            tiles_fetched,
            tiles_cached,
        });
    }

    fn failed(&self) {
        if self.opts.fail_fast {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    fn count(&self, f: impl FnOnce(&mut BatchSummary)) {
        if let Ok(mut summary) = self.summary.lock() {
            f(&mut summary);
        }
    }

    /// Appends one line to the report: one write of the whole line, so that a process killed
    /// at any moment leaves no part of a line and shards appending to one file never mix.
    fn record(&self, line: &serde_json::Value) {
        if let Ok(mut report) = self.report.lock() {
            let _ = report.write_all(format!("{line}\n").as_bytes());
        }
    }

    fn record_manifest(&self, field: &Field, output: &Path) {
        let line = serde_json::json!({
            "name": field.name, "key": field.key, "output": output.display().to_string(),
        });
        if let Ok(mut manifest) = self.manifest.lock() {
            let _ = manifest.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// Orders fields by the HEALPix cell (about 1° wide) of their centre, so that neighbours on
/// the sky share hot tiles; bad rows and fields without a position come first.
fn sky_order(item: &std::result::Result<Field, (u64, String)>) -> u64 {
    const DEPTH: u8 = 6;
    match item {
        Ok(Field {
            centre: Some((lon, lat)),
            ..
        }) => cdshealpix::nested::get(DEPTH).hash(lon.to_radians(), lat.to_radians()) + 1,
        _ => 0,
    }
}
