//! Decoded tiles kept between renders, bounded in bytes (moka), where concurrent requests for
//! one tile are merged into one fetch and one decode. Each tile stays paired with its survey,
//! format, channels and (order, ipix) in its key.

use super::add_elapsed;
use super::scheduler::{Held, Need, Resolution};
use super::workers::{panic_message, Workers};
use crate::error::{Error, Result};
use crate::fetch::{tile_max_bytes, Backend, FetchCounters, Origin, Outcome};
use crate::fits::unit_of;
use crate::store::decode_allsky;
use crate::tile::decode_tile;
use crate::tile::{allsky_path, Shape, TileFormat};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// What identifies a decoded tile across renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TileKey {
    pub survey: u64,
    pub format: TileFormat,
    /// The frame of a HiPS cube.
    pub frame: u32,
    pub channels: usize,
    pub need: Need,
}

/// A tile as the cache holds it: decoded, or known absent; with where its body came from.
#[derive(Clone)]
pub(crate) struct Decoded {
    held: Option<Held>,
    origin: Origin,
    /// The `BUNIT` of a FITS tile.
    unit: Option<Arc<str>>,
}

impl Decoded {
    /// Its weight in KiB, for the cache's byte bound.
    fn weight_kib(&self) -> u32 {
        let bytes = match &self.held {
            Some(Held::Tile(t)) => t.bytes(),
            Some(Held::Allsky(a)) => a.tiles.iter().map(|t| t.bytes()).sum(),
            None => 0,
        };
        u32::try_from(bytes / 1024 + 1).unwrap_or(u32::MAX)
    }
}

/// The engine's cache of decoded tiles.
pub(crate) struct DecodedTiles {
    cache: moka::future::Cache<TileKey, Decoded>,
}

/// How to fetch and decode the tiles of one render's survey.
pub(crate) struct TileFetch {
    pub backend: Arc<Backend>,
    pub format: TileFormat,
    pub channels: usize,
    pub tile_width: usize,
    pub order_max: u8,
    /// The frame of a HiPS cube read (0 for image surveys).
    pub frame: u32,
    /// The render's own counters: retries and bytes of the fetches it made.
    pub counters: Arc<FetchCounters>,
    /// The unit (`BUNIT`) of the first FITS tile the render got that names one.
    pub unit: std::sync::OnceLock<Arc<str>>,
}

impl DecodedTiles {
    /// A cache of at most `bytes` of decoded pixels (0: tiles are not kept, but concurrent
    /// requests are still merged).
    pub(crate) fn new(bytes: u64) -> Self {
        let cache = moka::future::Cache::builder()
            .max_capacity(bytes / 1024)
            .weigher(|_key: &TileKey, value: &Decoded| value.weight_kib())
            .build();
        DecodedTiles { cache }
    }

    /// The tile `key`: from the cache (origin `Memory`), from a fetch that is already under
    /// way, or fetched and decoded now. A failure is not kept: the next request tries again.
    pub(crate) async fn get(
        &self,
        workers: &Arc<Workers>,
        key: TileKey,
        fetch: &Arc<TileFetch>,
    ) -> Resolution {
        let entry = self
            .cache
            .entry(key)
            .or_try_insert_with(fetch_and_decode(workers, key.need, fetch))
            .await;
        match entry {
            Ok(entry) => {
                let fresh = entry.is_fresh();
                let decoded = entry.into_value();
                if let Some(unit) = &decoded.unit {
                    let _ = fetch.unit.set(Arc::clone(unit));
                }
                match decoded.held {
                    Some(held) if fresh => Resolution::Held(held, decoded.origin),
                    Some(held) => Resolution::Held(held, Origin::Memory),
                    None => Resolution::Missing,
                }
            }
            Err(reason) => Resolution::Failed(reason.to_string()),
        }
    }
}

/// Fetches a need's body and decodes it on the pool. A body that does not decode is fetched
/// once more, bypassing the disk cache, then reported as failed. A good body from the network
/// goes to the disk cache.
async fn fetch_and_decode(
    workers: &Arc<Workers>,
    need: Need,
    fetch: &Arc<TileFetch>,
) -> std::result::Result<Decoded, String> {
    let mut fresh = false;
    loop {
        let started = Instant::now();
        let found = find(need, fetch, fresh).await;
        add_elapsed(&fetch.counters.fetch_nanos, started);
        let (path, bytes, origin, order) = match found {
            Ok(body) => body,
            Err(Some(reason)) => return Err(reason),
            Err(None) => {
                let origin = Origin::Network;
                return Ok(Decoded {
                    held: None,
                    origin,
                    unit: None,
                });
            }
        };
        if let Some(hook) = &workers.decode_hook {
            hook(&path);
        }
        let job = Arc::clone(fetch);
        let decoded = workers
            .run(move || {
                let started = Instant::now();
                let held = decode(&job, need, order, &bytes, &path);
                let unit = (job.format == TileFormat::Fits && matches!(need, Need::Tile(_)))
                    .then(|| unit_of(&bytes))
                    .flatten()
                    .map(Arc::<str>::from);
                add_elapsed(&job.counters.decode_nanos, started);
                let held = (held?, unit);
                if origin == Origin::Network {
                    job.backend.remember(&path, &bytes);
                }
                Ok(held)
            })
            .await;
        match decoded {
            Ok((held, unit)) => {
                let held = Some(held);
                return Ok(Decoded { held, origin, unit });
            }
            Err(_) if !fresh && origin != Origin::Local => {
                fetch.counters.retried.fetch_add(1, Ordering::Relaxed);
                fresh = true;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// A need's body with its path, origin and order; `Err(None)` if the survey does not have it,
/// `Err(Some(reason))` if it could not be fetched.
async fn find(
    need: Need,
    fetch: &TileFetch,
    fresh: bool,
) -> std::result::Result<(String, Vec<u8>, Origin, u8), Option<String>> {
    match need {
        Need::Allsky => find_allsky(fetch, fresh).await,
        Need::Tile(id) => {
            let path = id.frame_path(fetch.format, fetch.frame);
            let max_bytes = tile_max_bytes(Shape::Tile(fetch.tile_width));
            let got = fetch
                .backend
                .get(&path, max_bytes, fresh, &fetch.counters)
                .await;
            body_of(got).map(|(bytes, origin)| (path, bytes, origin, id.order))
        }
    }
}

/// A fetched body, or why there is none.
fn body_of(got: Outcome) -> std::result::Result<(Vec<u8>, Origin), Option<String>> {
    match got {
        Outcome::Found(bytes, origin) => Ok((bytes, origin)),
        Outcome::Missing => Err(None),
        Outcome::Failed(reason) => Err(Some(reason)),
    }
}

/// The deepest Allsky at order 3 or below that the survey has: its path, body and order. A
/// missing one makes way for the next order; a failed one ends the search (the server is
/// failing, and trying each order in turn would cost a timeout each).
async fn find_allsky(
    fetch: &TileFetch,
    fresh: bool,
) -> std::result::Result<(String, Vec<u8>, Origin, u8), Option<String>> {
    for order in (0..=fetch.order_max.min(3)).rev() {
        let path = allsky_path(order, fetch.format, fetch.frame);
        let tile_width = fetch.tile_width;
        let max_bytes = tile_max_bytes(Shape::Allsky { order, tile_width });
        let got = fetch
            .backend
            .get(&path, max_bytes, fresh, &fetch.counters)
            .await;
        match body_of(got) {
            Ok((bytes, origin)) => return Ok((path, bytes, origin, order)),
            Err(None) => continue,
            Err(failed) => return Err(failed),
        }
    }
    Err(None)
}

/// Decodes a body, turning a panic into an error: a bug a hostile file finds in a decoder must
/// fail that tile, not the process.
fn decode(fetch: &TileFetch, need: Need, order: u8, bytes: &[u8], path: &str) -> Result<Held> {
    let (format, channels, width) = (fetch.format, fetch.channels, fetch.tile_width);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match need {
        Need::Allsky => decode_allsky(bytes, order, format, channels, width, path)
            .map(|a| Held::Allsky(Arc::new(a))),
        Need::Tile(_) => {
            decode_tile(bytes, format, channels, width, path).map(|t| Held::Tile(Arc::new(t)))
        }
    }))
    .unwrap_or_else(|panic| Err(Error::decode(path, panic_message(&*panic))))
}
