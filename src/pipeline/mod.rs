//! The render pipeline: fetching, decoding and painting overlap, and memory stays flat.
//!
//! Output pixels are bucketed by the tile that holds them (`plan::buckets`). Each bucket depends
//! on its tile and on the neighbour tiles its border pixels interpolate across. Tiles are fetched
//! by async tasks, at most `concurrency` at once, in the order of the first output row that needs
//! them, and only while tiles in flight plus tiles held stay within a window. A body is decoded
//! on the rayon pool, still paired with its (order, ipix). Once every tile a bucket needs is
//! resolved (present, absent or failed), the bucket is painted on the pool. Once every bucket
//! that needs a tile is painted, the tile is dropped. A tile that is absent or failed makes its
//! dependants wait for its parent (and the parent's neighbours) instead, down to the survey's
//! shallowest order and then the Allsky, so the image has no hole where the survey has data.
//!
//! One deadline covers the render: when it passes, the fetch tasks are stopped and the render
//! fails, naming the hosts it still waited for. Every fetch task is stopped whenever the
//! render ends, and a panic in a decoder or painter becomes a failed tile or render.

mod fetching;
mod scheduler;

use crate::error::{Error, Result};
use crate::fetch::{quiet_notice, runtime, STALL_NOTICE};
use crate::geometry::{FrameRotation, OutputGeometry};
use crate::paint::{
    fallback_levels, paint_runs, paint_runs_projective, Interpolation, Level, Painter,
    SharedRaster, TileMesh,
};
use crate::plan::{buckets, Run};
use crate::raster::Raster;
use crate::store::BucketTiles;
use crate::survey::Survey;
use crate::tile::{TileFormat, TileId};
use fetching::{internal_error, start_fetch, Event, Shared};
use scheduler::Scheduler;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

/// Pixels painted by one job: large buckets are split so a small field still uses every core.
const PIXELS_PER_JOB: usize = 16_384;

/// Reports progress (the CLI draws bars; the library is silent by default).
pub trait Progress: Sync {
    /// `tiles` more tiles to fetch (called at the start and for each fallback).
    fn tiles_planned(&self, _tiles: usize) {}
    /// A tile was resolved (fetched, found missing, or failed).
    fn tile_done(&self) {}
    fn pixels_planned(&self, _pixels: u64) {}
    fn pixels_painted(&self, _pixels: u64) {}
    /// Nothing has arrived for a while: `notice` says what is awaited and from where.
    fn waiting(&self, _notice: &str) {}
}

/// Progress that reports nothing.
pub struct Silent;
impl Progress for Silent {}

/// What a render fetched, and from where.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenderStats {
    pub fetched: usize,
    pub from_cache: usize,
    pub local: usize,
    pub missing: usize,
    pub failed: usize,
    pub retried: u64,
    pub bytes: u64,
    pub allsky_used: bool,
    /// The most decoded tiles held at once (a measure of the pipeline's memory).
    pub peak_tiles_held: usize,
    pub pixels_painted: u64,
    /// Pixels sampled one by one: all of them with the precise painter; with the projective
    /// one, those near tile borders, no data, or too distorted a projection.
    pub pixels_precise: u64,
    pub failures: Vec<String>,
}

/// How the pipeline reads and paints tiles.
#[derive(Debug, Clone, Copy)]
pub struct PaintSpec {
    pub order: u8,
    pub format: TileFormat,
    /// 1 (grey or FITS values) or 3 (RGB).
    pub channels: usize,
    pub interpolation: Interpolation,
    pub painter: Painter,
}

/// Renders `geometry` from `survey` through the pipeline, giving up at `deadline`.
pub fn render_pipelined(
    survey: &Survey,
    geometry: &OutputGeometry,
    spec: PaintSpec,
    progress: &dyn Progress,
    deadline: Option<Instant>,
) -> Result<(Raster, RenderStats)> {
    let p = &survey.properties;
    let to_survey = FrameRotation::new(geometry.frame, p.frame);
    let concurrency = survey.fetch.concurrency.max(1);
    let (tx, rx) = mpsc::channel(concurrency * 2);
    let shared = Arc::new(Shared {
        backend: Arc::clone(&survey.source),
        permits: Arc::new(Semaphore::new(concurrency)),
        events: tx,
        format: spec.format,
        channels: spec.channels,
        tile_width: p.tile_width as usize,
        order_max: p.order_max,
        tasks: Mutex::new(Vec::new()),
    });
    // Whatever way this function ends, no fetch task outlives it.
    let _stop = AbortOnDrop(&shared);
    let planned = buckets(geometry, &to_survey, spec.order, p.tile_depth());
    let tile_bytes = (p.tile_width as usize).pow(2) * spec.channels * std::mem::size_of::<f32>();
    let (sched, pixels) = Scheduler::new(planned, p.order_min, concurrency, tile_bytes);
    progress.tiles_planned(sched.queue.len());
    progress.pixels_planned(pixels);
    let out = SharedRaster::new(geometry.width, geometry.height, spec.channels);
    let cancelled = AtomicBool::new(false);
    let ctx = PaintContext {
        geometry,
        to_survey: &to_survey,
        survey_to_output: FrameRotation::new(p.frame, geometry.frame),
        tile_depth: p.tile_depth(),
        order: spec.order,
        order_min: p.order_min,
        interpolation: spec.interpolation,
        painter: spec.painter,
        out: &out,
        cancelled: &cancelled,
    };
    let mut events = EventLoop {
        sched,
        shared: &shared,
        rx,
        progress,
        deadline,
        ctx,
    };
    rayon::in_place_scope(|scope| events.run(scope))?;
    let mut stats = events.sched.stats;
    if let Some(c) = survey.source.counters() {
        stats.retried = c.retried();
        stats.bytes = c.bytes.load(Ordering::Relaxed);
    }
    survey.source.trim_cache();
    Ok((out.into_raster(), stats))
}

/// Stops the fetch tasks of a render when it ends, however it ends.
struct AbortOnDrop<'s>(&'s Shared);

impl Drop for AbortOnDrop<'_> {
    fn drop(&mut self) {
        self.0.abort_all();
    }
}

/// The scheduler's thread: it receives events, starts fetches and paints ready buckets.
struct EventLoop<'a> {
    sched: Scheduler,
    shared: &'a Arc<Shared>,
    rx: mpsc::Receiver<Event>,
    progress: &'a dyn Progress,
    deadline: Option<Instant>,
    ctx: PaintContext<'a>,
}

impl<'a> EventLoop<'a> {
    /// Runs the render to its end. On an error (the deadline, a failed painter), the fetches
    /// are stopped and the channel is closed, so that painting jobs still running, and decode
    /// jobs, never block on sending to a loop that no longer listens: the scope they run in
    /// waits for them.
    fn run<'s>(&mut self, scope: &rayon::Scope<'s>) -> Result<()>
    where
        'a: 's,
    {
        let result = self.run_to_end(scope);
        if result.is_err() {
            self.ctx.cancelled.store(true, Ordering::Relaxed);
            self.shared.abort_all();
            self.rx.close();
        }
        result
    }

    fn run_to_end<'s>(&mut self, scope: &rayon::Scope<'s>) -> Result<()>
    where
        'a: 's,
    {
        self.request();
        while self.sched.buckets_left > 0 {
            match self.next_event()? {
                Event::Resolved(need, resolution) => {
                    self.progress.tile_done();
                    for bucket in self.sched.resolve(need, resolution) {
                        self.paint_bucket(scope, bucket);
                    }
                    self.request();
                }
                Event::Painted(bucket, n, precise) => {
                    let precise = precise.map_err(Error::Internal)?;
                    self.progress.pixels_painted(n);
                    self.sched.stats.pixels_precise += precise;
                    self.sched.stats.pixels_painted += n;
                    let state = self.sched.buckets.get_mut(&bucket).expect("known bucket");
                    state.jobs_left -= 1;
                    if state.jobs_left == 0 {
                        self.sched.buckets_painting -= 1;
                        self.sched.finish_bucket(bucket);
                        self.request();
                    }
                }
            }
        }
        Ok(())
    }

    /// Starts the fetches the scheduler allows now.
    fn request(&mut self) {
        self.progress.tiles_planned(self.sched.to_request.len());
        for need in self.sched.next_batch() {
            start_fetch(self.shared, need, false);
        }
    }

    /// The next event. While none comes, the progress reporter hears every couple of seconds
    /// what is awaited; past the deadline the render fails, naming the hosts it waited for.
    fn next_event(&mut self) -> Result<Event> {
        let mut quiet_since = Instant::now();
        loop {
            let now = Instant::now();
            if self.deadline.is_some_and(|d| now >= d) {
                return Err(self.deadline_error());
            }
            let wait = match self.deadline {
                Some(d) => STALL_NOTICE.min(d - now),
                None => STALL_NOTICE,
            };
            let rx = &mut self.rx;
            match runtime().block_on(async { tokio::time::timeout(wait, rx.recv()).await }) {
                Ok(Some(event)) => return Ok(event),
                Ok(None) => {
                    return Err(Error::Internal(
                        "the fetch pipeline stopped before the image was complete".into(),
                    ))
                }
                Err(_) if quiet_since.elapsed() >= STALL_NOTICE => {
                    self.progress.waiting(&self.awaited(quiet_since.elapsed()));
                    quiet_since = Instant::now();
                }
                Err(_) => {}
            }
        }
    }

    /// What the render waits for, for a notice: "3 file(s) from host:port".
    fn awaited(&self, quiet: Duration) -> String {
        let what = format!("{} file(s)", self.sched.in_flight);
        quiet_notice(quiet, &what, &self.sources())
    }

    fn deadline_error(&self) -> Error {
        Error::Deadline {
            awaited: self.sched.in_flight,
            hosts: self.sources(),
        }
    }

    /// Where the survey's files come from, for messages: its hosts, or its folder.
    fn sources(&self) -> String {
        let hosts = self.shared.backend.hosts();
        if hosts.is_empty() {
            "the survey's folder".into()
        } else {
            hosts.join(", ")
        }
    }

    /// Paints a bucket whose tiles are all resolved: its tile's mesh is built by one task,
    /// which then paints the bucket's pixels in jobs. A bucket that no level of the survey
    /// covers stays no data.
    fn paint_bucket<'s>(&mut self, scope: &rayon::Scope<'s>, bucket: TileId)
    where
        'a: 's,
    {
        let tiles = Arc::new(self.sched.tiles_for(bucket));
        let state = self.sched.buckets.get_mut(&bucket).expect("known bucket");
        let runs = std::mem::take(&mut state.runs);
        if tiles.tiles.is_empty() && tiles.allsky.is_none() {
            let n = runs.iter().map(Run::len).sum::<usize>() as u64;
            self.progress.pixels_painted(n);
            self.sched.stats.pixels_painted += n;
            self.sched.finish_bucket(bucket);
            return;
        }
        let ctx = self.ctx;
        let levels = fallback_levels(&*tiles, ctx.order, ctx.order_min, ctx.tile_depth);
        let jobs = split_runs(runs);
        state.jobs_left = jobs.len();
        self.sched.buckets_painting += 1;
        let tx = self.shared.events.clone();
        scope.spawn(move |scope| {
            if ctx.cancelled.load(Ordering::Relaxed) {
                return;
            }
            let mesh = ctx.mesh(bucket, &tiles).map(Arc::new);
            for job in jobs {
                let (tiles, levels, mesh, tx) =
                    (Arc::clone(&tiles), levels.clone(), mesh.clone(), tx.clone());
                scope.spawn(move |_| {
                    if ctx.cancelled.load(Ordering::Relaxed) {
                        return;
                    }
                    let painted = std::panic::catch_unwind(AssertUnwindSafe(|| {
                        ctx.paint(bucket, &tiles, &levels, mesh.as_deref(), &job)
                    }))
                    .map_err(|panic| internal_error(&*panic));
                    let n = job.iter().map(Run::len).sum::<usize>() as u64;
                    let _ = tx.blocking_send(Event::Painted(bucket, n, painted));
                });
            }
        });
    }
}

/// What every painting job shares.
#[derive(Clone, Copy)]
struct PaintContext<'a> {
    geometry: &'a OutputGeometry,
    to_survey: &'a FrameRotation,
    survey_to_output: FrameRotation,
    tile_depth: u8,
    order: u8,
    order_min: u8,
    interpolation: Interpolation,
    painter: Painter,
    out: &'a SharedRaster,
    /// Set when the render has failed: jobs not started yet then paint nothing.
    cancelled: &'a AtomicBool,
}

impl PaintContext<'_> {
    /// The projective painter's mesh of a bucket's own tile (none for the precise painter, a
    /// tile that fell back to another level, or a mesh whose construction failed: then the
    /// pixels are sampled precisely).
    fn mesh(&self, bucket: TileId, tiles: &BucketTiles) -> Option<TileMesh> {
        if self.painter != Painter::Projective || !tiles.tiles.contains_key(&bucket) {
            return None;
        }
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            TileMesh::build(
                bucket,
                self.tile_depth,
                self.geometry,
                self.survey_to_output,
            )
        }))
        .ok()
        .flatten()
    }

    /// Paints one job of `bucket`; returns how many pixels were sampled precisely.
    fn paint(
        &self,
        bucket: TileId,
        tiles: &BucketTiles,
        levels: &[Level],
        mesh: Option<&TileMesh>,
        job: &[Run],
    ) -> u64 {
        match self.painter {
            Painter::Projective => paint_runs_projective(
                self.geometry,
                self.to_survey,
                levels,
                tiles,
                self.interpolation,
                bucket,
                mesh,
                job,
                self.out,
            ),
            Painter::Precise => {
                paint_runs(
                    self.geometry,
                    self.to_survey,
                    levels,
                    tiles,
                    self.interpolation,
                    job,
                    self.out,
                );
                job.iter().map(Run::len).sum::<usize>() as u64
            }
        }
    }
}

/// Splits a bucket's runs into jobs of about `PIXELS_PER_JOB` pixels (whole runs each).
fn split_runs(runs: Vec<Run>) -> Vec<Vec<Run>> {
    let mut jobs = vec![Vec::new()];
    let mut size = 0;
    for run in runs {
        if size >= PIXELS_PER_JOB {
            jobs.push(Vec::new());
            size = 0;
        }
        size += run.len();
        jobs.last_mut().expect("one job at least").push(run);
    }
    jobs
}
