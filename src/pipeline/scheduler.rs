//! The scheduler: which tiles each bucket of output pixels waits for, what replaces a tile that
//! is absent or failed, which fetches start next within the memory window, and when a tile can
//! be dropped.

use super::RenderStats;
use crate::coverage::Coverage;
use crate::fetch::Origin;
use crate::plan::{Bucket, Run};
use crate::store::{AllskyLevel, BucketTiles};
use crate::tile::{TileId, TileImage};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

/// Something a bucket can depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Need {
    Tile(TileId),
    Allsky,
}

#[derive(Clone)]
pub(crate) enum Held {
    Tile(Arc<TileImage>),
    Allsky(Arc<AllskyLevel>),
}

pub(crate) enum Resolution {
    Held(Held, Origin),
    Missing,
    Failed(String),
}

#[derive(Default)]
pub(super) struct NeedState {
    pub(super) resolved: bool,
    pub(super) held: Option<Held>,
    /// Buckets still waiting for this need.
    pub(super) waiting: Vec<TileId>,
    /// Buckets not yet painted that read this need.
    pub(super) users: usize,
}

pub(super) struct BucketState {
    pub(super) runs: Vec<Run>,
    /// The tiles its border pixels read besides its own.
    pub(super) neighbours: Vec<TileId>,
    pub(super) deps: Vec<Need>,
    pub(super) pending: usize,
    pub(super) jobs_left: usize,
}

/// How a survey's levels are read.
pub(super) struct Reading {
    /// Its shallowest order: a missing tile of it falls back to the Allsky.
    pub(super) order_min: u8,
    /// Read the Allsky first (the field wants an order below `order_min`); a bucket reads its
    /// tiles only if there is none.
    pub(super) allsky_first: bool,
    /// Its coverage: tiles outside it are known to be absent without a request.
    pub(super) coverage: Option<Arc<Coverage>>,
}

/// The scheduler's state, owned by the thread that runs the event loop.
pub(super) struct Scheduler {
    pub(super) needs: BTreeMap<Need, NeedState>,
    pub(super) buckets: HashMap<TileId, BucketState>,
    /// How the survey's levels are read.
    pub(super) reading: Reading,
    /// Needs added since the last call to `next_batch`.
    pub(super) to_request: Vec<Need>,
    /// Planned needs not started yet, in the order their pixels come (top rows first).
    pub(super) queue: VecDeque<Need>,
    /// Fallbacks not started yet: buckets already wait on them, so they go first.
    pub(super) urgent: VecDeque<Need>,
    pub(super) in_flight: usize,
    pub(super) buckets_painting: usize,
    /// Buckets not painted yet.
    pub(super) buckets_left: usize,
    /// Soft bound on tiles in flight plus tiles held.
    pub(super) window: usize,
    pub(super) concurrency: usize,
    pub(super) held_now: usize,
    pub(super) stats: RenderStats,
}

impl Scheduler {
    /// A scheduler for the buckets of a plan, their tiles queued in the order of the first
    /// output pixel that needs them, so the tiles held at once are about one row of tiles
    /// across the image. Returns it and the number of pixels planned.
    pub(super) fn new(
        planned: BTreeMap<TileId, Bucket>,
        reading: Reading,
        concurrency: usize,
        tile_bytes: usize,
    ) -> (Self, u64) {
        let mut sched = Scheduler {
            needs: BTreeMap::new(),
            buckets: HashMap::new(),
            reading,
            to_request: Vec::new(),
            queue: VecDeque::new(),
            urgent: VecDeque::new(),
            in_flight: 0,
            buckets_painting: 0,
            buckets_left: planned.len(),
            window: window(concurrency, tile_bytes),
            concurrency,
            held_now: 0,
            stats: RenderStats::default(),
        };
        let mut pixels = 0u64;
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
            let state = BucketState {
                runs: bucket.runs,
                neighbours: bucket.neighbours.into_iter().collect(),
                deps: Vec::new(),
                pending: 0,
                jobs_left: 0,
            };
            sched.buckets.insert(home, state);
            if sched.reading.allsky_first {
                sched.add_dep(home, Need::Allsky);
            } else {
                sched.add_own_tiles(home);
            }
        }
        let mut initial = std::mem::take(&mut sched.to_request);
        initial.sort_by_key(|n| (first_use.get(n).copied(), *n));
        sched.queue = initial.into();
        (sched, pixels)
    }

    /// Makes `bucket` depend on its own tile and its neighbours.
    fn add_own_tiles(&mut self, bucket: TileId) {
        let neighbours = self
            .buckets
            .get(&bucket)
            .map(|b| b.neighbours.clone())
            .unwrap_or_default();
        self.add_dep(bucket, Need::Tile(bucket));
        for n in neighbours {
            self.add_dep(bucket, Need::Tile(n));
        }
    }

    /// Whether `need` is a tile outside the survey's coverage.
    fn outside_coverage(&self, need: Need) -> bool {
        match (need, &self.reading.coverage) {
            (Need::Tile(id), Some(coverage)) => !coverage.touches(id),
            _ => false,
        }
    }

    /// The buckets whose every need is known before any fetch (all outside the coverage):
    /// ready to paint at once.
    pub(super) fn ready_at_start(&self) -> Vec<TileId> {
        let mut ready: Vec<TileId> = self
            .buckets
            .iter()
            .filter(|(_, b)| b.pending == 0 && !b.runs.is_empty())
            .map(|(id, _)| *id)
            .collect();
        ready.sort();
        ready
    }

    /// What replaces an absent need: its parent tile, or the Allsky below the shallowest order.
    /// A tile outside the coverage has none: no level holds data there. (An Allsky read first
    /// falls back to each bucket's own tiles: see `resolve`.)
    pub(super) fn fallback_of(&self, need: Need) -> Option<Need> {
        if self.outside_coverage(need) {
            return None;
        }
        match need {
            Need::Tile(id) if id.order > self.reading.order_min => id.parent().map(Need::Tile),
            Need::Tile(_) => Some(Need::Allsky),
            Need::Allsky => None,
        }
    }

    /// What the dependants of a missing `need` wait for instead: its fallback and, since
    /// border pixels interpolate across the fallback tile's edges, that tile's neighbours. A
    /// missing tile's parent is most likely there, so only that level is asked for.
    fn next_level(&self, need: Need) -> Vec<Need> {
        self.fallback_of(need)
            .map(with_neighbours)
            .unwrap_or_default()
    }

    /// What a bucket whose tile failed (timeouts, server errors) waits for: every level of its
    /// home tile's ancestors with their neighbours, and the Allsky, all at once, so that they
    /// time out together rather than one after another. The ancestors' neighbourhoods hold the
    /// ancestors of every tile the bucket reads, so a later failure adds nothing new.
    fn whole_chain(&self, bucket: TileId) -> Vec<Need> {
        let mut out = Vec::new();
        let mut level = self.fallback_of(Need::Tile(bucket));
        while let Some(fallback) = level {
            out.extend(with_neighbours(fallback));
            level = self.fallback_of(fallback);
        }
        out
    }

    /// Makes `bucket` depend on `need`; if `need` is already known to be absent, on its
    /// fallback instead (and so on).
    pub(super) fn add_dep(&mut self, bucket: TileId, mut need: Need) {
        loop {
            let is_new = !self.needs.contains_key(&need);
            let outside = is_new && self.outside_coverage(need);
            let b = self.buckets.get_mut(&bucket).expect("known bucket");
            if b.deps.contains(&need) {
                return;
            }
            b.deps.push(need);
            let state = self.needs.entry(need).or_default();
            state.users += 1;
            if outside {
                state.resolved = true;
                self.stats.outside_coverage += 1;
            } else if is_new {
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
    pub(super) fn resolve(&mut self, need: Need, resolution: Resolution) -> Vec<TileId> {
        let failed = matches!(resolution, Resolution::Failed(_));
        let present = match resolution {
            Resolution::Held(held, origin) => {
                match origin {
                    Origin::Network => self.stats.fetched += 1,
                    Origin::Cache => self.stats.from_cache += 1,
                    Origin::Local => self.stats.local += 1,
                    Origin::Memory => self.stats.from_memory += 1,
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
        if !present && need == Need::Allsky && self.reading.allsky_first {
            for &bucket in &waiting {
                self.add_own_tiles(bucket);
            }
        } else if !present {
            for &bucket in &waiting {
                let fallbacks = if failed {
                    self.whole_chain(bucket)
                } else {
                    self.next_level(need)
                };
                for n in fallbacks {
                    self.add_dep(bucket, n);
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
    pub(super) fn next_batch(&mut self) -> Vec<Need> {
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
    pub(super) fn tiles_for(&self, bucket: TileId) -> BucketTiles {
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

    /// The runs of pixels of a ready bucket, taken to be painted.
    pub(super) fn take_runs(&mut self, bucket: TileId) -> Vec<Run> {
        self.buckets
            .get_mut(&bucket)
            .map(|b| std::mem::take(&mut b.runs))
            .unwrap_or_default()
    }

    /// A bucket's painting starts, in `jobs` jobs.
    pub(super) fn start_painting(&mut self, bucket: TileId, jobs: usize) {
        if let Some(b) = self.buckets.get_mut(&bucket) {
            b.jobs_left = jobs;
            self.buckets_painting += 1;
        }
    }

    /// A painting job of `bucket` ended; returns whether that finished the bucket (its tiles may
    /// then go, and fetches may start).
    pub(super) fn job_done(&mut self, bucket: TileId) -> bool {
        let Some(b) = self.buckets.get_mut(&bucket) else {
            return false;
        };
        b.jobs_left = b.jobs_left.saturating_sub(1);
        if b.jobs_left > 0 {
            return false;
        }
        self.buckets_painting -= 1;
        self.finish_bucket(bucket);
        true
    }

    /// A bucket is done (painted, or nothing to paint): its tiles may go.
    pub(super) fn finish_bucket(&mut self, bucket: TileId) {
        self.buckets_left -= 1;
        self.release(bucket);
    }

    /// Drops the tiles of `bucket` that no other bucket still needs.
    pub(super) fn release(&mut self, bucket: TileId) {
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

/// Decoded tiles held at once stay within this many bytes, whatever the tile width a survey
/// declares (a 4096-px colour tile decodes to 200 MB).
const HELD_TILE_BUDGET: usize = 512 << 20;

/// The soft bound on tiles in flight plus tiles held: twice the concurrency and a margin,
/// less for tiles so large that the budget would not hold that many (four at least).
fn window(concurrency: usize, tile_bytes: usize) -> usize {
    (2 * concurrency + 8).min((HELD_TILE_BUDGET / tile_bytes.max(1)).max(4))
}

/// A need and, for a tile, its neighbours at the same order.
fn with_neighbours(need: Need) -> Vec<Need> {
    let mut out = vec![need];
    if let Need::Tile(tile) = need {
        out.extend(crate::healpix::neighbours(tile).into_iter().map(Need::Tile));
    }
    out
}

#[cfg(test)]
mod tests {
    //! The scheduler driven by synthetic events: each test feeds resolutions and checks the
    //! actions (fetches to start, buckets ready to paint) that come out.
    use super::*;
    use crate::plan::Bucket;
    use std::collections::BTreeSet;

    fn tile(order: u8, ipix: u64) -> TileId {
        TileId::new(order, ipix)
    }

    /// A plan of one bucket, tile (2, 100) with 10 pixels and no neighbour.
    fn one_bucket(concurrency: usize) -> Scheduler {
        let bucket = Bucket {
            runs: vec![Run {
                row: 0,
                col0: 0,
                col1: 10,
                interior: false,
            }],
            neighbours: BTreeSet::new(),
        };
        let plan = BTreeMap::from([(tile(2, 100), bucket)]);
        let reading = Reading {
            order_min: 0,
            allsky_first: false,
            coverage: None,
        };
        Scheduler::new(plan, reading, concurrency, 64 * 64 * 4).0
    }

    fn held() -> Resolution {
        let raster = crate::raster::Raster::blank(4, 4, 1);
        Resolution::Held(
            Held::Tile(Arc::new(TileImage::new(raster))),
            Origin::Network,
        )
    }

    /// Resolves every fetch the scheduler starts as missing until it starts none; returns the
    /// buckets made ready and the orders in each batch (255 for the Allsky).
    fn all_missing(s: &mut Scheduler, mut batch: Vec<Need>) -> (Vec<TileId>, Vec<BTreeSet<u8>>) {
        let (mut ready, mut orders) = (Vec::new(), Vec::new());
        while !batch.is_empty() {
            orders.push(
                batch
                    .iter()
                    .map(|n| match n {
                        Need::Tile(t) => t.order,
                        Need::Allsky => 255,
                    })
                    .collect(),
            );
            for need in batch {
                ready.extend(s.resolve(need, Resolution::Missing));
            }
            batch = s.next_batch();
        }
        (ready, orders)
    }

    #[test]
    fn a_missing_tile_falls_back_level_by_level_to_the_allsky() {
        let mut s = one_bucket(64);
        let first = s.next_batch();
        assert_eq!(first, vec![Need::Tile(tile(2, 100))]);
        let (ready, orders) = all_missing(&mut s, first);
        let levels: Vec<BTreeSet<u8>> = [2, 1, 0, 255].map(|o| BTreeSet::from([o])).into();
        assert_eq!(orders, levels, "one level at a time, the Allsky last");
        assert_eq!(ready, vec![tile(2, 100)], "painted as no data");
        assert!(s.tiles_for(tile(2, 100)).tiles.is_empty());
        assert_eq!(s.stats.failed, 0);
    }

    #[test]
    fn a_failed_tile_asks_for_every_level_at_once() {
        let mut s = one_bucket(64);
        s.next_batch();
        let reason = "internal error (please report it): the fetch task stopped".to_string();
        assert!(s
            .resolve(Need::Tile(tile(2, 100)), Resolution::Failed(reason.clone()))
            .is_empty());
        let batch = s.next_batch();
        assert!(batch.contains(&Need::Tile(tile(1, 25))));
        assert!(batch.contains(&Need::Tile(tile(0, 6))));
        assert!(batch.contains(&Need::Allsky));
        assert_eq!(s.stats.failures, vec![reason]);
        // The parent arrives; the rest is missing: the bucket is ready with the parent.
        let mut ready = s.resolve(Need::Tile(tile(1, 25)), held());
        let rest = batch.into_iter().filter(|n| *n != Need::Tile(tile(1, 25)));
        ready.extend(all_missing(&mut s, rest.collect()).0);
        assert_eq!(ready, vec![tile(2, 100)]);
        assert!(s.tiles_for(tile(2, 100)).tiles.contains_key(&tile(1, 25)));
    }

    #[test]
    fn a_stalled_window_still_starts_fetches() {
        let mut s = one_bucket(2);
        // Every slot of the window is taken by held tiles nobody paints yet.
        s.held_now = s.window;
        s.next_batch();
        s.in_flight = 0;
        s.queue.push_back(Need::Tile(tile(2, 101)));
        assert_eq!(s.next_batch(), vec![Need::Tile(tile(2, 101))]);
    }

    #[test]
    fn painting_jobs_finish_a_bucket_and_release_its_tiles() {
        let mut s = one_bucket(4);
        s.next_batch();
        let ready = s.resolve(Need::Tile(tile(2, 100)), held());
        assert_eq!(ready, vec![tile(2, 100)]);
        assert_eq!(s.held_now, 1);
        assert_eq!(s.take_runs(tile(2, 100)).len(), 1);
        s.start_painting(tile(2, 100), 2);
        assert!(!s.job_done(tile(2, 100)));
        assert!(s.job_done(tile(2, 100)));
        assert_eq!((s.buckets_left, s.held_now, s.buckets_painting), (0, 0, 0));
        // An event for a bucket that is not known changes nothing.
        assert!(!s.job_done(tile(5, 5)));
    }
}
