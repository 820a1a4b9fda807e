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

use crate::error::{Error, Result};
use crate::fetch::{runtime, Backend, Origin, Outcome};
use crate::geometry::{FrameRotation, OutputGeometry};
use crate::paint::{
    fallback_levels, paint_runs, paint_runs_projective, Interpolation, Level, Painter,
    SharedRaster, TileMesh,
};
use crate::plan::{buckets, Run};
use crate::raster::Raster;
use crate::store::{decode_allsky, decode_tile, AllskyLevel, BucketTiles};
use crate::survey::Survey;
use crate::tile::{allsky_path, TileFormat, TileId, TileImage};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
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

/// Something a bucket can depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Need {
    Tile(TileId),
    Allsky,
}

enum Held {
    Tile(Arc<TileImage>),
    Allsky(Arc<AllskyLevel>),
}

enum Resolution {
    Held(Held, Origin),
    Missing,
    Failed(String),
}

enum Event {
    Resolved(Need, Resolution),
    /// A painting job ended: its bucket, pixels painted, of which painted precisely.
    Painted(TileId, u64, u64),
}

/// What the fetch tasks and decode jobs share.
struct Shared {
    backend: Arc<Backend>,
    permits: Arc<Semaphore>,
    events: mpsc::Sender<Event>,
    format: TileFormat,
    channels: usize,
    tile_width: usize,
    order_max: u8,
}

/// Starts fetching `need` (then decoding it on the rayon pool); the result comes back as an
/// event. `fresh` bypasses the disk cache: a body that did not decode is fetched once more.
fn start_fetch(shared: &Arc<Shared>, need: Need, fresh: bool) {
    let shared = Arc::clone(shared);
    runtime().spawn(async move {
        let Ok(permit) = Arc::clone(&shared.permits).acquire_owned().await else {
            return;
        };
        match need {
            Need::Allsky => {
                // The deepest Allsky at order 3 or below that the survey has.
                for order in (0..=shared.order_max.min(3)).rev() {
                    let path = allsky_path(order, shared.format);
                    if let Outcome::Found(bytes, origin) = shared.backend.get(&path, fresh).await {
                        rayon::spawn(move || {
                            let _permit = permit;
                            let decoded =
                                decode_allsky(&bytes, order, shared.format, shared.channels, &path)
                                    .map(|a| Held::Allsky(Arc::new(a)));
                            finish_decode(&shared, need, &path, fresh, &bytes, origin, decoded);
                        });
                        return;
                    }
                }
                let missing = Resolution::Missing;
                let _ = shared.events.send(Event::Resolved(need, missing)).await;
            }
            Need::Tile(id) => {
                let path = id.path(shared.format);
                let resolution = match shared.backend.get(&path, fresh).await {
                    Outcome::Found(bytes, origin) => {
                        rayon::spawn(move || {
                            let _permit = permit;
                            let decoded = decode_tile(
                                &bytes,
                                shared.format,
                                shared.channels,
                                shared.tile_width,
                                &path,
                            )
                            .map(|t| Held::Tile(Arc::new(t)));
                            finish_decode(&shared, need, &path, fresh, &bytes, origin, decoded);
                        });
                        return;
                    }
                    Outcome::Missing(_) => Resolution::Missing,
                    Outcome::Failed(reason) => Resolution::Failed(reason),
                };
                let _ = shared.events.send(Event::Resolved(need, resolution)).await;
            }
        }
    });
}

/// After decoding: a good body is cached and reported; a bad one is fetched once more
/// (bypassing the cache), then reported as failed. Runs on the rayon pool.
fn finish_decode(
    shared: &Arc<Shared>,
    need: Need,
    path: &str,
    fresh: bool,
    bytes: &[u8],
    origin: Origin,
    decoded: Result<Held>,
) {
    let resolution = match decoded {
        Ok(held) => {
            if origin == Origin::Network {
                shared.backend.remember(path, bytes);
            }
            Resolution::Held(held, origin)
        }
        Err(_) if !fresh && origin != Origin::Local => {
            if let Some(c) = shared.backend.counters() {
                c.retried.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            start_fetch(shared, need, true);
            return;
        }
        Err(e) => Resolution::Failed(e.to_string()),
    };
    let _ = shared
        .events
        .blocking_send(Event::Resolved(need, resolution));
}

#[derive(Default)]
struct NeedState {
    resolved: bool,
    held: Option<Held>,
    /// Buckets still waiting for this need.
    waiting: Vec<TileId>,
    /// Buckets not yet painted that read this need.
    users: usize,
}

struct BucketState {
    runs: Vec<Run>,
    deps: Vec<Need>,
    pending: usize,
    jobs_left: usize,
}

/// The scheduler's state, owned by the thread that runs the event loop.
struct Scheduler {
    needs: BTreeMap<Need, NeedState>,
    buckets: HashMap<TileId, BucketState>,
    order_min: u8,
    /// Needs added since the last call to `next_batch`.
    to_request: Vec<Need>,
    /// Planned needs not started yet, in the order their pixels come (top rows first).
    queue: VecDeque<Need>,
    /// Fallbacks not started yet: buckets already wait on them, so they go first.
    urgent: VecDeque<Need>,
    in_flight: usize,
    buckets_painting: usize,
    /// Buckets not painted yet.
    buckets_left: usize,
    /// Soft bound on tiles in flight plus tiles held.
    window: usize,
    concurrency: usize,
    held_now: usize,
    stats: RenderStats,
}

impl Scheduler {
    /// What replaces an absent need: its parent tile, or the Allsky below the shallowest order.
    fn fallback_of(&self, need: Need) -> Option<Need> {
        match need {
            Need::Tile(id) if id.order > self.order_min => id.parent().map(Need::Tile),
            Need::Tile(_) => Some(Need::Allsky),
            Need::Allsky => None,
        }
    }

    /// Makes `bucket` depend on `need`; if `need` is already known to be absent, on its
    /// fallback instead (and so on).
    fn add_dep(&mut self, bucket: TileId, mut need: Need) {
        loop {
            let b = self.buckets.get_mut(&bucket).expect("known bucket");
            if b.deps.contains(&need) {
                return;
            }
            b.deps.push(need);
            let is_new = !self.needs.contains_key(&need);
            let state = self.needs.entry(need).or_default();
            state.users += 1;
            if is_new {
                self.to_request.push(need);
            }
            if !state.resolved {
                state.waiting.push(bucket);
                b.pending += 1;
                return;
            }
            if state.held.is_some() {
                return;
            }
            match self.fallback_of(need) {
                Some(next) => need = next,
                None => return,
            }
        }
    }

    /// Records a resolution; returns the buckets it made ready.
    fn resolve(&mut self, need: Need, resolution: Resolution) -> Vec<TileId> {
        let present = match resolution {
            Resolution::Held(held, origin) => {
                match origin {
                    Origin::Network => self.stats.fetched += 1,
                    Origin::Cache => self.stats.from_cache += 1,
                    Origin::Local => self.stats.local += 1,
                }
                if need == Need::Allsky {
                    self.stats.allsky_used = true;
                }
                let state = self.needs.get_mut(&need).expect("requested need");
                state.held = Some(held);
                self.held_now += 1;
                self.stats.peak_tiles_held = self.stats.peak_tiles_held.max(self.held_now);
                true
            }
            Resolution::Missing => {
                self.stats.missing += 1;
                false
            }
            Resolution::Failed(reason) => {
                self.stats.failed += 1;
                self.stats.failures.push(reason);
                false
            }
        };
        self.in_flight -= 1;
        let state = self.needs.get_mut(&need).expect("requested need");
        state.resolved = true;
        let waiting = std::mem::take(&mut state.waiting);
        if !present {
            if let Some(fallback) = self.fallback_of(need) {
                // Border pixels interpolate across the fallback tile's edges too.
                let mut with_neighbours = vec![fallback];
                if let Need::Tile(parent) = fallback {
                    let layer = cdshealpix::nested::get(parent.order);
                    with_neighbours.extend(
                        layer
                            .neighbours(parent.ipix, false)
                            .values_vec()
                            .into_iter()
                            .map(|n| Need::Tile(TileId::new(parent.order, n))),
                    );
                }
                for &bucket in &waiting {
                    for &n in &with_neighbours {
                        self.add_dep(bucket, n);
                    }
                }
            }
        }
        let mut ready = Vec::new();
        for bucket in waiting {
            let b = self.buckets.get_mut(&bucket).expect("known bucket");
            b.pending -= 1;
            if b.pending == 0 {
                ready.push(bucket);
            }
        }
        ready
    }

    /// The needs to start now: while tiles in flight plus tiles held stay under the window.
    /// When nothing is in flight or painting (every held tile waits for a tile not asked for
    /// yet), a batch is started anyway so the render always moves on.
    fn next_batch(&mut self) -> Vec<Need> {
        self.urgent.extend(self.to_request.drain(..));
        let stalled = self.in_flight == 0 && self.buckets_painting == 0;
        let mut batch = Vec::new();
        while self.in_flight + self.held_now < self.window
            || (stalled && batch.len() < self.concurrency)
        {
            let Some(need) = self.urgent.pop_front().or_else(|| self.queue.pop_front()) else {
                break;
            };
            self.in_flight += 1;
            batch.push(need);
        }
        batch
    }

    /// The tiles a ready bucket reads.
    fn tiles_for(&self, bucket: TileId) -> BucketTiles {
        let mut tiles = BucketTiles::default();
        for need in &self.buckets[&bucket].deps {
            match self.needs.get(need).and_then(|s| s.held.as_ref()) {
                Some(Held::Tile(t)) => {
                    if let Need::Tile(id) = need {
                        tiles.tiles.insert(*id, Arc::clone(t));
                    }
                }
                Some(Held::Allsky(a)) => tiles.allsky = Some(Arc::clone(a)),
                None => {}
            }
        }
        tiles
    }

    /// A bucket is done (painted, or nothing to paint): its tiles may go.
    fn finish_bucket(&mut self, bucket: TileId) {
        self.buckets_left -= 1;
        self.release(bucket);
    }

    /// Drops the tiles of `bucket` that no other bucket still needs.
    fn release(&mut self, bucket: TileId) {
        let deps = std::mem::take(&mut self.buckets.get_mut(&bucket).expect("known bucket").deps);
        for need in deps {
            let state = self.needs.get_mut(&need).expect("known need");
            state.users -= 1;
            if state.users == 0 && state.held.take().is_some() {
                self.held_now -= 1;
            }
        }
    }
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

/// Renders `geometry` from `survey` through the pipeline.
pub fn render_pipelined(
    survey: &Survey,
    geometry: &OutputGeometry,
    spec: PaintSpec,
    progress: &dyn Progress,
) -> Result<(Raster, RenderStats)> {
    let PaintSpec {
        order,
        format,
        channels,
        interpolation,
        painter,
    } = spec;
    let p = &survey.properties;
    let survey_to_output = FrameRotation::new(p.frame, geometry.frame);
    let to_survey = FrameRotation::new(geometry.frame, p.frame);
    let planned = buckets(geometry, &to_survey, order, p.tile_depth());
    let concurrency = survey.fetch.concurrency.max(1);
    let (tx, mut rx) = mpsc::channel(concurrency * 2);
    let shared = Arc::new(Shared {
        backend: Arc::clone(&survey.source),
        permits: Arc::new(Semaphore::new(concurrency)),
        events: tx,
        format,
        channels,
        tile_width: p.tile_width as usize,
        order_max: p.order_max,
    });
    let mut sched = Scheduler {
        needs: BTreeMap::new(),
        buckets: HashMap::new(),
        order_min: p.order_min,
        to_request: Vec::new(),
        queue: VecDeque::new(),
        urgent: VecDeque::new(),
        in_flight: 0,
        buckets_painting: 0,
        buckets_left: 0,
        window: 2 * concurrency + 8,
        concurrency,
        held_now: 0,
        stats: RenderStats::default(),
    };
    let mut pixels = 0u64;
    // Each tile is fetched in the order of the first output pixel that needs it, so the tiles
    // held at once are about one row of tiles across the image.
    let mut first_use: HashMap<Need, (u32, u32)> = HashMap::new();
    for (home, bucket) in planned {
        pixels += bucket.pixel_count() as u64;
        let key = bucket
            .runs
            .first()
            .map_or((u32::MAX, 0), |r| (r.row, r.col0));
        for need in std::iter::once(home).chain(bucket.neighbours.iter().copied()) {
            let k = first_use.entry(Need::Tile(need)).or_insert(key);
            *k = (*k).min(key);
        }
        sched.buckets.insert(
            home,
            BucketState {
                runs: bucket.runs,
                deps: Vec::new(),
                pending: 0,
                jobs_left: 0,
            },
        );
        sched.add_dep(home, Need::Tile(home));
        for n in bucket.neighbours {
            sched.add_dep(home, Need::Tile(n));
        }
    }
    let mut initial = std::mem::take(&mut sched.to_request);
    initial.sort_by_key(|n| (first_use.get(n).copied(), *n));
    progress.tiles_planned(initial.len());
    sched.queue = initial.into();
    progress.pixels_planned(pixels);
    let out = SharedRaster::new(geometry.width, geometry.height, channels);
    let ctx = PaintContext {
        geometry,
        to_survey: &to_survey,
        survey_to_output,
        tile_depth: p.tile_depth(),
        interpolation,
        painter,
        out: &out,
    };
    sched.buckets_left = sched.buckets.len();
    let result: Result<()> = rayon::in_place_scope(|scope| {
        let request = |sched: &mut Scheduler| {
            progress.tiles_planned(sched.to_request.len());
            for need in sched.next_batch() {
                start_fetch(&shared, need, false);
            }
        };
        request(&mut sched);
        while sched.buckets_left > 0 {
            let Some(event) = rx.blocking_recv() else {
                return Err(Error::invalid(
                    "the fetch pipeline stopped before the image was complete",
                ));
            };
            match event {
                Event::Resolved(need, resolution) => {
                    progress.tile_done();
                    let ready = sched.resolve(need, resolution);
                    for bucket in ready {
                        let tiles = Arc::new(sched.tiles_for(bucket));
                        if tiles.tiles.is_empty() && tiles.allsky.is_none() {
                            // No level of the survey covers these pixels: they stay no data.
                            let state = sched.buckets.get_mut(&bucket).expect("known bucket");
                            let runs = std::mem::take(&mut state.runs);
                            let n = runs.iter().map(Run::len).sum::<usize>() as u64;
                            progress.pixels_painted(n);
                            sched.stats.pixels_painted += n;
                            sched.finish_bucket(bucket);
                            continue;
                        }
                        let levels = fallback_levels(&*tiles, order, p.order_min, p.tile_depth());
                        let state = sched.buckets.get_mut(&bucket).expect("known bucket");
                        let jobs = split_runs(std::mem::take(&mut state.runs));
                        state.jobs_left = jobs.len();
                        sched.buckets_painting += 1;
                        let tx = shared.events.clone();
                        // One task per bucket builds the tile's mesh, then paints in jobs.
                        scope.spawn(move |scope| {
                            let mesh = match ctx.painter {
                                Painter::Projective if tiles.tiles.contains_key(&bucket) => {
                                    TileMesh::build(
                                        bucket,
                                        ctx.tile_depth,
                                        ctx.geometry,
                                        ctx.survey_to_output,
                                    )
                                }
                                _ => None,
                            }
                            .map(Arc::new);
                            for job in jobs {
                                let (tiles, levels, mesh, tx) =
                                    (Arc::clone(&tiles), levels.clone(), mesh.clone(), tx.clone());
                                scope.spawn(move |_| {
                                    let precise =
                                        ctx.paint(bucket, &tiles, &levels, mesh.as_deref(), &job);
                                    let n = job.iter().map(Run::len).sum::<usize>() as u64;
                                    let _ = tx.blocking_send(Event::Painted(bucket, n, precise));
                                });
                            }
                        });
                    }
                    request(&mut sched);
                }
                Event::Painted(bucket, n, precise) => {
                    progress.pixels_painted(n);
                    sched.stats.pixels_precise += precise;
                    sched.stats.pixels_painted += n;
                    let state = sched.buckets.get_mut(&bucket).expect("known bucket");
                    state.jobs_left -= 1;
                    if state.jobs_left == 0 {
                        sched.buckets_painting -= 1;
                        sched.finish_bucket(bucket);
                        request(&mut sched);
                    }
                }
            }
        }
        Ok(())
    });
    result?;
    let mut stats = sched.stats;
    if let Some(c) = survey.source.counters() {
        stats.retried = c.retried();
        stats.bytes = c.bytes.load(std::sync::atomic::Ordering::Relaxed);
    }
    survey.source.trim_cache();
    Ok((out.into_raster(), stats))
}

/// What every painting job shares.
#[derive(Clone, Copy)]
struct PaintContext<'a> {
    geometry: &'a OutputGeometry,
    to_survey: &'a FrameRotation,
    survey_to_output: FrameRotation,
    tile_depth: u8,
    interpolation: Interpolation,
    painter: Painter,
    out: &'a SharedRaster,
}

impl PaintContext<'_> {
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
