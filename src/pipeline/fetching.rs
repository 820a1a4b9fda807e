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
            frame: shared.fetch.frame,
            channels: shared.fetch.channels,
            need,
        };
        let workers = &shared.workers;
        reporter.send(workers.decoded.get(workers, key, &shared.fetch).await);
    });
    fetching.track(task.abort_handle());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::block_on;

    fn reporter() -> (Reporter, mpsc::UnboundedReceiver<Event>) {
        let (events, received) = mpsc::unbounded_channel();
        let need = Need::Tile(TileId::new(3, 7));
        let reporter = Reporter {
            need,
            events,
            sent: false,
        };
        (reporter, received)
    }

    /// The one event a reporter sent: its need and whether it failed.
    fn only_event(mut received: mpsc::UnboundedReceiver<Event>) -> (Need, Option<String>) {
        let first = received.try_recv().expect("an event");
        assert!(received.try_recv().is_err(), "one event only");
        match first {
            Event::Resolved(need, Resolution::Failed(reason)) => (need, Some(reason)),
            Event::Resolved(need, _) => (need, None),
            Event::Painted(..) => panic!("not a fetch event"),
        }
    }

    #[test]
    fn a_task_that_resolves_reports_once() {
        let (r, received) = reporter();
        r.send(Resolution::Missing);
        assert_eq!(only_event(received), (Need::Tile(TileId::new(3, 7)), None));
    }

    #[test]
    fn a_panicking_task_reports_a_failure() {
        let (r, received) = reporter();
        let task = runtime().spawn(async move {
            let _r = r;
            panic!("a decoder bug");
        });
        assert!(block_on(task).is_err());
        let (_, failed) = only_event(received);
        assert!(failed.is_some_and(|reason| reason.contains("stopped")));
    }

    #[test]
    fn a_stopped_task_reports_a_failure() {
        let (r, received) = reporter();
        let task = runtime().spawn(async move {
            let _r = r;
            std::future::pending::<()>().await;
        });
        task.abort();
        assert!(block_on(task).is_err_and(|e| e.is_cancelled()));
        assert!(only_event(received).1.is_some());
    }
}
