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
//! Tiles come through the engine's decoded-tile cache ([`decoded`]), so renders share them and
//! a tile wanted by several renders at once is fetched and decoded once.
//!
//! The render is a future: its event loop runs on the async runtime and never blocks it; the
//! CPU work (planning, decoding, painting) runs on the engine's rayon pool and reports back
//! through channels. One deadline covers the render: when it passes, the fetch tasks are
//! stopped and the render fails, naming the hosts it still waited for. However the render ends
//! (finished, failed, or its future dropped), its fetch tasks are stopped and its painting jobs
//! not started yet paint nothing; a panic in a task, decoder or painter becomes a failed tile
//! or render.

pub(crate) mod decoded;
mod fetching;
mod scheduler;
pub(crate) mod workers;

use crate::error::{Error, Result};
use crate::fetch::{quiet_notice, FetchCounters, STALL_NOTICE};
use crate::geometry::{FrameRotation, OutputGeometry};
use crate::paint::{
    fallback_levels, paint_runs, paint_runs_projective, Interpolation, Level, Painted, Painter,
    SharedRaster, TileMesh,
};
use crate::plan::{buckets, Run};
use crate::store::BucketTiles;
use crate::survey::Survey;
use crate::tile::{TileFormat, TileId};
use decoded::TileFetch;
use fetching::{start_fetch, Event, Fetching};
use scheduler::{Reading, Scheduler};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};
use workers::{panic_message, Workers};

/// Pixels painted by one job: large buckets are split so a small field still uses every core.
const PIXELS_PER_JOB: usize = 16_384;

/// Reports progress (the CLI draws bars; the library is silent by default).
pub trait Progress: Send + Sync {
    /// `tiles` more tiles to fetch (called at the start and for each fallback).
    fn tiles_planned(&self, _tiles: usize) {}
    /// A tile was resolved (fetched, found missing, or failed).
    fn tile_done(&self) {}
    /// `pixels` output pixels to paint.
    fn pixels_planned(&self, _pixels: u64) {}
    /// `pixels` more output pixels painted.
    fn pixels_painted(&self, _pixels: u64) {}
    /// Nothing has arrived for a while: `notice` says what is awaited and from where.
    fn waiting(&self, _notice: &str) {}
    /// A stage begins: `resolve`, `plan`, `render` (fetch, decode and paint, overlapped) or
    /// `encode`.
    fn stage(&self, _name: &'static str) {}
}

/// Progress that reports nothing.
pub(crate) struct Silent;
impl Progress for Silent {}

/// What a render fetched, and from where: the render's own figures, whatever else the engine
/// did at the same time.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RenderStats {
    /// Tiles fetched from a server.
    pub fetched: usize,
    /// Tiles read from the disk cache.
    pub from_cache: usize,
    /// Tiles taken decoded from the engine's memory (fetched and decoded by an earlier or a
    /// concurrent render).
    pub from_memory: usize,
    /// Tiles read from a local survey.
    pub local: usize,
    /// Tiles the survey does not have.
    pub missing: usize,
    /// Tiles that could not be fetched or decoded.
    pub failed: usize,
    /// Requests tried again (after a failure, or on a mirror).
    pub retried: u64,
    /// Bytes received from servers.
    pub bytes: u64,
    /// Whether an Allsky file filled in.
    pub allsky_used: bool,
    /// Tiles never asked for, being outside the survey's coverage (its `Moc.fits`).
    pub outside_coverage: usize,
    /// The most decoded tiles held at once (a measure of the pipeline's memory).
    pub peak_tiles_held: usize,
    /// Output pixels painted.
    pub pixels_painted: u64,
    /// Pixels sampled one by one: all of them with the precise painter; with the projective
    /// one, those near tile borders, no data, or too distorted a projection.
    pub pixels_precise: u64,
    /// Why tiles failed, in the order they did.
    pub failures: Vec<String>,
    /// The unit of the values (`BUNIT` of the survey's FITS tiles), where the tiles name one.
    pub unit: Option<String>,
    /// Tiles planned: the buckets of output pixels, and the neighbours their borders read.
    pub tiles_planned: usize,
    /// Tiles the projective painter split into pieces, being too distorted for one homography.
    pub tiles_split: usize,
    /// Where the render's time went.
    pub times: StageTimes,
}

/// Time spent in each stage of a render. Fetching, decoding and painting overlap, so these
/// are sums of the time each took (over tiles, over jobs), not slices of the wall time.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StageTimes {
    /// Opening the survey(s) (set by the file-writing render).
    pub resolve: Duration,
    /// Planning which output pixels each tile paints.
    pub plan: Duration,
    /// Fetching the bodies of tiles (waiting for them, retries included), summed over tiles.
    pub fetch: Duration,
    /// Decoding tiles, summed over tiles.
    pub decode: Duration,
    /// Painting, summed over painting jobs.
    pub paint: Duration,
    /// Encoding and writing the output (set by the file-writing render).
    pub encode: Duration,
}

impl RenderStats {
    /// Adds another render's figures (the bands of a composite).
    pub(crate) fn add(&mut self, other: &RenderStats) {
        self.fetched += other.fetched;
        self.from_cache += other.from_cache;
        self.from_memory += other.from_memory;
        self.local += other.local;
        self.missing += other.missing;
        self.failed += other.failed;
        self.retried += other.retried;
        self.bytes += other.bytes;
        self.allsky_used |= other.allsky_used;
        self.outside_coverage += other.outside_coverage;
        self.peak_tiles_held = self.peak_tiles_held.max(other.peak_tiles_held);
        self.pixels_painted += other.pixels_painted;
        self.pixels_precise += other.pixels_precise;
        self.failures.extend(other.failures.iter().cloned());
        self.tiles_planned += other.tiles_planned;
        self.unit = self.unit.take().or_else(|| other.unit.clone());
        self.tiles_split += other.tiles_split;
        self.times.plan += other.times.plan;
        self.times.fetch += other.times.fetch;
        self.times.decode += other.times.decode;
        self.times.paint += other.times.paint;
        self.times.resolve += other.times.resolve;
        self.times.encode += other.times.encode;
    }
}

/// Adds the time since `started` to a counter of nanoseconds (stage times of a render).
fn add_elapsed(counter: &AtomicU64, started: Instant) {
    let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    counter.fetch_add(nanos, Ordering::Relaxed);
}

/// How the pipeline reads and paints tiles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PaintSpec {
    /// The HEALPix order of the tiles.
    pub order: u8,
    /// Read the Allsky of `order` rather than its tiles (which are read only if it is absent).
    pub allsky_first: bool,
    /// The frame of a HiPS cube to read (0 for image surveys).
    pub frame: u32,
    /// The tile format read.
    pub format: TileFormat,
    /// 1 (grey or FITS values) or 3 (RGB).
    pub channels: usize,
    /// How tile pixels are interpolated.
    pub interpolation: Interpolation,
    /// Which painter paints.
    pub painter: Painter,
    /// Paint the 8-bit levels a picture shows, not values.
    pub levels: bool,
}

/// Renders `geometry` from `survey` through the pipeline on `workers`, giving up at
/// `deadline`.
pub(crate) async fn render_pipelined(
    workers: &Arc<Workers>,
    survey: &Survey,
    geometry: Arc<OutputGeometry>,
    spec: PaintSpec,
    progress: &dyn Progress,
    deadline: Option<Instant>,
) -> Result<(Painted, RenderStats)> {
    let p = &survey.properties;
    let to_survey = FrameRotation::new(geometry.frame, p.frame);
    let concurrency = survey.fetch.concurrency.max(1);
    let (tx, rx) = mpsc::unbounded_channel();
    let counters = Arc::new(FetchCounters::default());
    let fetching = Arc::new(Fetching {
        workers: Arc::clone(workers),
        fetch: Arc::new(TileFetch {
            backend: Arc::clone(&survey.source),
            format: spec.format,
            channels: spec.channels,
            tile_width: p.tile_width as usize,
            order_max: p.order_max,
            frame: spec.frame,
            counters: Arc::clone(&counters),
            unit: std::sync::OnceLock::new(),
        }),
        survey: survey.uid,
        permits: Arc::new(Semaphore::new(concurrency)),
        events: tx,
        tasks: Mutex::new(Vec::new()),
    });
    let (order, depth) = (spec.order, p.tile_depth());
    let plan_geometry = Arc::clone(&geometry);
    let started = Instant::now();
    progress.stage("plan");
    let (channels, levels) = (spec.channels, spec.levels);
    // The blank output is filled beside the plan, on the painting threads.
    let (planned, out) = workers
        .run(move || {
            Ok(rayon::join(
                || buckets(&plan_geometry, &to_survey, order, depth),
                || {
                    let (width, height) = (plan_geometry.width, plan_geometry.height);
                    SharedRaster::new(width, height, channels, levels)
                },
            ))
        })
        .await?;
    let plan_time = started.elapsed();
    let tile_bytes = (p.tile_width as usize).pow(2) * spec.channels * std::mem::size_of::<f32>();
    let reading = Reading {
        order_min: p.order_min,
        allsky_first: spec.allsky_first,
        coverage: survey.coverage.clone(),
    };
    let (sched, pixels) = Scheduler::new(planned, reading, concurrency, tile_bytes);
    progress.stage("render");
    let tiles_planned = sched.queue.len();
    progress.tiles_planned(tiles_planned);
    progress.pixels_planned(pixels);
    let ctx = Arc::new(PaintContext {
        out,
        survey_to_output: FrameRotation::new(p.frame, geometry.frame),
        geometry,
        to_survey,
        tile_depth: depth,
        order,
        order_min: p.order_min,
        interpolation: spec.interpolation,
        painter: spec.painter,
        cancelled: AtomicBool::new(false),
        paint_nanos: AtomicU64::new(0),
        split_tiles: AtomicU64::new(0),
    });
    let mut events = EventLoop {
        sched,
        fetching,
        rx,
        progress,
        deadline,
        ctx,
    };
    events.run().await?;
    let mut stats = events.take_stats(&counters, plan_time);
    stats.tiles_planned = tiles_planned;
    let out = events.into_painted().await;
    Ok((out, stats))
}

/// The render's event loop: it receives events, starts fetches and paints ready buckets. When
/// it ends, however it ends (its future may be dropped), the render's fetch tasks stop and its
/// painting jobs not started yet paint nothing.
struct EventLoop<'a> {
    sched: Scheduler,
    fetching: Arc<Fetching>,
    rx: mpsc::UnboundedReceiver<Event>,
    progress: &'a dyn Progress,
    deadline: Option<Instant>,
    ctx: Arc<PaintContext>,
}

impl Drop for EventLoop<'_> {
    fn drop(&mut self) {
        self.ctx.cancelled.store(true, Ordering::Relaxed);
        self.fetching.abort_all();
    }
}

impl EventLoop<'_> {
    /// The render's figures, its counters' and its painters' added in.
    fn take_stats(&mut self, counters: &FetchCounters, plan: Duration) -> RenderStats {
        let mut stats = std::mem::take(&mut self.sched.stats);
        stats.retried += counters.retried();
        stats.bytes = counters.bytes.load(Ordering::Relaxed);
        stats.unit = self.fetching.fetch.unit.get().map(|u| u.to_string());
        stats.tiles_split = self.ctx.split_tiles.load(Ordering::Relaxed) as usize;
        let nanos = |n: &AtomicU64| Duration::from_nanos(n.load(Ordering::Relaxed));
        stats.times = StageTimes {
            resolve: Duration::ZERO,
            encode: Duration::ZERO,
            plan,
            fetch: nanos(&counters.fetch_nanos),
            decode: nanos(&counters.decode_nanos),
            paint: nanos(&self.ctx.paint_nanos),
        };
        stats
    }

    /// Runs the render to its end. On an error (the deadline, a failed painter) the loop is
    /// dropped at once, which stops the fetches and the jobs not started.
    async fn run(&mut self) -> Result<()> {
        for bucket in self.sched.ready_at_start() {
            self.paint_bucket(bucket);
        }
        self.request();
        while self.sched.buckets_left > 0 {
            match self.next_event().await? {
                Event::Resolved(need, resolution) => {
                    self.progress.tile_done();
                    for bucket in self.sched.resolve(need, resolution) {
                        self.paint_bucket(bucket);
                    }
                    self.request();
                }
                Event::Painted(bucket, n, precise) => {
                    let precise = precise.map_err(Error::Internal)?;
                    self.progress.pixels_painted(n);
                    self.sched.stats.pixels_precise += precise;
                    self.sched.stats.pixels_painted += n;
                    if self.sched.job_done(bucket) {
                        self.request();
                    }
                }
            }
        }
        Ok(())
    }

    /// The painted image. Every job has reported by now, but a job (or the task that spawned
    /// it) may still be dropping its handle on the output: wait for those last moments.
    async fn into_painted(self) -> Painted {
        let mut ctx = Arc::clone(&self.ctx);
        drop(self);
        loop {
            match Arc::try_unwrap(ctx) {
                Ok(ctx) => return ctx.out.into_painted(),
                Err(shared) => {
                    ctx = shared;
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
            }
        }
    }

    /// Starts the fetches the scheduler allows now.
    fn request(&mut self) {
        self.progress.tiles_planned(self.sched.to_request.len());
        for need in self.sched.next_batch() {
            start_fetch(&self.fetching, need);
        }
    }

    /// The next event. While none comes, the progress reporter hears every couple of seconds
    /// what is awaited; past the deadline the render fails, naming the hosts it waited for.
    async fn next_event(&mut self) -> Result<Event> {
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
            match tokio::time::timeout(wait, self.rx.recv()).await {
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
        let hosts = self.fetching.fetch.backend.hosts();
        if hosts.is_empty() {
            "the survey's folder".into()
        } else {
            hosts.join(", ")
        }
    }

    /// Paints a bucket whose tiles are all resolved: its tile's mesh is built by one job, which
    /// then paints the bucket's pixels in jobs on the pool. A bucket that no level of the
    /// survey covers stays no data; so do the interior runs of a bucket whose own tile is
    /// missing when only its neighbours (at its order) hold data, since no sample of theirs
    /// reaches a neighbour.
    fn paint_bucket(&mut self, bucket: TileId) {
        let tiles = Arc::new(self.sched.tiles_for(bucket));
        let mut runs = self.sched.take_runs(bucket);
        let planned: usize = runs.iter().map(Run::len).sum();
        if tiles.tiles.is_empty() && tiles.allsky.is_none() {
            runs.clear();
        } else if only_neighbours_hold_data(&tiles, bucket) {
            runs.retain(|run| !run.interior);
        }
        let blank = planned - runs.iter().map(Run::len).sum::<usize>();
        self.progress.pixels_painted(blank as u64);
        self.sched.stats.pixels_painted += blank as u64;
        if runs.is_empty() {
            self.sched.finish_bucket(bucket);
            return;
        }
        let ctx = Arc::clone(&self.ctx);
        let levels = fallback_levels(&*tiles, ctx.order, ctx.order_min, ctx.tile_depth);
        let jobs = split_runs(runs);
        self.sched.start_painting(bucket, jobs.len());
        let events = self.fetching.events.clone();
        let workers = Arc::clone(&self.fetching.workers);
        let live = workers.live_task();
        self.fetching.workers.pool.spawn(move || {
            let _live = live;
            if ctx.cancelled.load(Ordering::Relaxed) {
                return;
            }
            let started = Instant::now();
            let mesh = ctx.mesh(bucket, &tiles).map(Arc::new);
            if mesh.as_ref().is_some_and(|m| m.pieces > 1) {
                ctx.split_tiles.fetch_add(1, Ordering::Relaxed);
            }
            ctx.add_paint_time(started);
            for job in jobs {
                let (tiles, levels, mesh) = (Arc::clone(&tiles), levels.clone(), mesh.clone());
                let (ctx, events) = (Arc::clone(&ctx), events.clone());
                let live = workers.live_task();
                workers.pool.spawn(move || {
                    let _live = live;
                    let n = job.iter().map(Run::len).sum::<usize>() as u64;
                    let started = Instant::now();
                    let painted = if ctx.cancelled.load(Ordering::Relaxed) {
                        Ok(0)
                    } else {
                        std::panic::catch_unwind(AssertUnwindSafe(|| {
                            ctx.paint(bucket, &tiles, &levels, mesh.as_deref(), &job)
                        }))
                        .map_err(|panic| panic_message(&*panic))
                    };
                    ctx.add_paint_time(started);
                    drop((ctx, tiles, mesh));
                    let _ = events.send(Event::Painted(bucket, n, painted));
                });
            }
        });
    }
}

/// What every painting job shares.
struct PaintContext {
    geometry: Arc<OutputGeometry>,
    to_survey: FrameRotation,
    survey_to_output: FrameRotation,
    tile_depth: u8,
    order: u8,
    order_min: u8,
    interpolation: Interpolation,
    painter: Painter,
    out: SharedRaster,
    /// Set when the render has ended: jobs not started yet then paint nothing.
    cancelled: AtomicBool,
    /// Time spent painting, summed over jobs (meshes included), nanoseconds.
    paint_nanos: AtomicU64,
    /// Tiles the projective painter split into pieces, being too distorted for one.
    split_tiles: AtomicU64,
}

impl PaintContext {
    fn add_paint_time(&self, started: Instant) {
        add_elapsed(&self.paint_nanos, started);
    }

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
                &self.geometry,
                self.survey_to_output,
                self.interpolation,
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
                &self.geometry,
                &self.to_survey,
                levels,
                tiles,
                self.interpolation,
                bucket,
                mesh,
                job,
                &self.out,
            ),
            Painter::Precise => {
                paint_runs(
                    &self.geometry,
                    &self.to_survey,
                    levels,
                    tiles,
                    self.interpolation,
                    job,
                    &self.out,
                );
                job.iter().map(Run::len).sum::<usize>() as u64
            }
        }
    }
}

/// Whether the bucket's own tile is missing and every tile it reads is a neighbour at its
/// order (no parent, no Allsky): then only pixels on its border cells can get data.
fn only_neighbours_hold_data(tiles: &BucketTiles, bucket: TileId) -> bool {
    tiles.allsky.is_none()
        && !tiles.tiles.contains_key(&bucket)
        && tiles.tiles.keys().all(|id| id.order == bucket.order)
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
