//! Fetch tasks and decode jobs: each tile is fetched on the async runtime, decoded on the rayon
//! pool still paired with its (order, ipix), and reported back to the scheduler as an event.

use super::scheduler::{Held, Need, Resolution};
use crate::error::{Error, Result};
use crate::fetch::{runtime, tile_max_bytes, Backend, Origin, Outcome};
use crate::store::{decode_allsky, decode_tile};
use crate::tile::{allsky_path, Shape, TileFormat, TileId};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::AbortHandle;

pub(super) enum Event {
    Resolved(Need, Resolution),
    /// A painting job ended: its bucket, pixels painted, of which painted precisely (or why
    /// painting failed).
    Painted(TileId, u64, std::result::Result<u64, String>),
}

/// What the fetch tasks and decode jobs share.
pub(super) struct Shared {
    pub backend: Arc<Backend>,
    pub permits: Arc<Semaphore>,
    pub events: mpsc::Sender<Event>,
    pub format: TileFormat,
    pub channels: usize,
    pub tile_width: usize,
    pub order_max: u8,
    /// The fetch tasks started, so that a render that ends early (deadline, error) stops them.
    pub tasks: Mutex<Vec<AbortHandle>>,
}

impl Shared {
    /// Stops every fetch task still running.
    pub fn abort_all(&self) {
        if let Ok(tasks) = self.tasks.lock() {
            tasks.iter().for_each(AbortHandle::abort);
        }
    }

    fn track(&self, task: AbortHandle) {
        if let Ok(mut tasks) = self.tasks.lock() {
            if tasks.len() >= 256 {
                tasks.retain(|t| !t.is_finished());
            }
            tasks.push(task);
        }
    }
}

/// Starts fetching `need` (then decoding it on the rayon pool); the result comes back as an
/// event. `fresh` bypasses the disk cache: a body that did not decode is fetched once more.
pub(super) fn start_fetch(shared: &Arc<Shared>, need: Need, fresh: bool) {
    let task_shared = Arc::clone(shared);
    let shared = Arc::clone(shared);
    let task = runtime().spawn(async move {
        let Ok(permit) = Arc::clone(&shared.permits).acquire_owned().await else {
            return;
        };
        let found = match need {
            Need::Allsky => find_allsky(&shared, fresh).await,
            Need::Tile(id) => {
                let path = id.path(shared.format);
                let max_bytes = tile_max_bytes(Shape::Tile(shared.tile_width));
                let got = shared.backend.get(&path, max_bytes, fresh).await;
                got_to_body(got).map(|(bytes, origin)| (path, bytes, origin, id.order))
            }
        };
        let (path, bytes, origin, order) = match found {
            Ok(body) => body,
            Err(resolution) => {
                let _ = shared.events.send(Event::Resolved(need, resolution)).await;
                return;
            }
        };
        rayon::spawn(move || {
            let _permit = permit;
            let decoded = guarded(&path, || match need {
                Need::Allsky => decode_allsky(
                    &bytes,
                    order,
                    shared.format,
                    shared.channels,
                    shared.tile_width,
                    &path,
                )
                .map(|a| Held::Allsky(Arc::new(a))),
                Need::Tile(_) => decode_tile(
                    &bytes,
                    shared.format,
                    shared.channels,
                    shared.tile_width,
                    &path,
                )
                .map(|t| Held::Tile(Arc::new(t))),
            });
            finish_decode(&shared, need, &path, fresh, &bytes, origin, decoded);
        });
    });
    task_shared.track(task.abort_handle());
}

/// A fetched body, or how the need resolves without one.
fn got_to_body(got: Outcome) -> std::result::Result<(Vec<u8>, Origin), Resolution> {
    match got {
        Outcome::Found(bytes, origin) => Ok((bytes, origin)),
        Outcome::Missing(_) => Err(Resolution::Missing),
        Outcome::Failed(reason) => Err(Resolution::Failed(reason)),
    }
}

/// The deepest Allsky at order 3 or below that the survey has: its path, body and order. A missing
/// one makes way for the next order; a failed one ends the search (the server is failing, and
/// trying each order in turn would cost a timeout each).
async fn find_allsky(
    shared: &Shared,
    fresh: bool,
) -> std::result::Result<(String, Vec<u8>, Origin, u8), Resolution> {
    for order in (0..=shared.order_max.min(3)).rev() {
        let path = allsky_path(order, shared.format);
        let shape = Shape::Allsky {
            order,
            tile_width: shared.tile_width,
        };
        let got = shared
            .backend
            .get(&path, tile_max_bytes(shape), fresh)
            .await;
        match got_to_body(got) {
            Ok((bytes, origin)) => return Ok((path, bytes, origin, order)),
            Err(Resolution::Missing) => continue,
            Err(failed) => return Err(failed),
        }
    }
    Err(Resolution::Missing)
}

/// Runs a decoder, turning a panic into an error: a bug a hostile file finds in a decoder must
/// fail that tile, not the process.
fn guarded<T>(what: &str, decode: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode))
        .unwrap_or_else(|panic| Err(Error::decode(what, internal_error(&*panic))))
}

/// The message of a caught panic.
pub(crate) fn internal_error(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("internal error (please report it): {text}")
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
