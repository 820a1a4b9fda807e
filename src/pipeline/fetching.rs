//! Fetch tasks: each need of a render is got through the engine's decoded-tile cache on the
//! async runtime, and always reported back to the render's event loop, even when its task
//! panics or is stopped.

use super::decoded::{TileFetch, TileKey};
use super::scheduler::{Need, Resolution};
use super::workers::Workers;
use crate::fetch::runtime;
use crate::tile::TileId;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::AbortHandle;

pub(super) enum Event {
    Resolved(Need, Resolution),
    /// A painting job ended: its bucket, pixels painted, of which painted precisely (or why
    /// painting failed).
    Painted(TileId, u64, std::result::Result<u64, String>),
}

/// What a render's fetch tasks share.
pub(super) struct Fetching {
    pub workers: Arc<Workers>,
    pub fetch: Arc<TileFetch>,
    pub survey: u64,
    /// Needs of this render in flight at once (fetch and decode): its memory window.
    pub permits: Arc<Semaphore>,
    /// Unbounded, so that a task can report from `Drop`; the scheduler's window bounds the
    /// events in flight (one per need started, one per painting job).
    pub events: mpsc::UnboundedSender<Event>,
    /// The fetch tasks started, so that a render that ends early stops them.
    pub tasks: Mutex<Vec<AbortHandle>>,
}

impl Fetching {
    /// Stops every fetch task still running.
    pub(crate) fn abort_all(&self) {
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

/// Reports a need's resolution exactly once: the one given, or, if the task ends without one
/// (a panic, or stopped), a failure. Every path of a fetch task ends in an event.
struct Reporter {
    need: Need,
    events: mpsc::UnboundedSender<Event>,
    sent: bool,
}

impl Reporter {
    fn send(mut self, resolution: Resolution) {
        self.sent = true;
        let _ = self.events.send(Event::Resolved(self.need, resolution));
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        if !self.sent {
            let reason = "internal error (please report it): the fetch task stopped".to_string();
            let _ = self
                .events
                .send(Event::Resolved(self.need, Resolution::Failed(reason)));
        }
    }
}

/// Starts getting `need`; its resolution comes back as an event.
pub(super) fn start_fetch(fetching: &Arc<Fetching>, need: Need) {
    let reporter = Reporter {
        need,
        events: fetching.events.clone(),
        sent: false,
    };
    let live = fetching.workers.live_task();
    let shared = Arc::clone(fetching);
    let task = runtime().spawn(async move {
        let _live = live;
        let Ok(_permit) = Arc::clone(&shared.permits).acquire_owned().await else {
            return;
        };
        let key = TileKey {
            survey: shared.survey,
            format: shared.fetch.format,
            channels: shared.fetch.channels,
            need,
        };
        let workers = &shared.workers;
        reporter.send(workers.decoded.get(workers, key, &shared.fetch).await);
    });
    fetching.track(task.abort_handle());
}
