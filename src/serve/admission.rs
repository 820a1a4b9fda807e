//! Admission: a bounded number of renders in flight, and a bounded queue before them. A
//! request that finds both full is turned away at once (503), rather than left to wait.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The render slots and the queue.
#[derive(Debug)]
pub(crate) struct Admission {
    slots: Arc<Semaphore>,
    size: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Leaves the queue when dropped: when admitted, and when the request is dropped waiting.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    /// `slots` renders at once (at least 1), `queue` more waiting.
    pub(crate) fn new(slots: usize, queue: usize) -> Admission {
        let size = slots.max(1);
        Admission {
            slots: Arc::new(Semaphore::new(size)),
            size,
            waiting: AtomicUsize::new(0),
            max_waiting: queue,
        }
    }

    /// A render slot, after a wait in the queue if need be; `None` when the queue is full.
    /// Cancel-safe: a request dropped while waiting leaves the queue.
    pub(crate) async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let _in_queue = InQueue(&self.waiting);
        Arc::clone(&self.slots).acquire_owned().await.ok()
    }

    /// Renders running now.
    pub(crate) fn in_flight(&self) -> usize {
        self.size - self.slots.available_permits()
    }

    /// Requests waiting for a slot.
    pub(crate) fn queued(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn full_slots_and_queue_turn_requests_away() {
        let admission = Arc::new(Admission::new(1, 1));
        let first = admission.admit().await.unwrap();
        assert_eq!((admission.in_flight(), admission.queued()), (1, 0));
        let waiter = {
            let admission = Arc::clone(&admission);
            tokio::spawn(async move { admission.admit().await.is_some() })
        };
        while admission.queued() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(admission.admit().await.is_none(), "the queue holds one");
        drop(first);
        assert!(waiter.await.unwrap());
        assert_eq!((admission.in_flight(), admission.queued()), (0, 0));
    }

    #[tokio::test]
    async fn a_request_dropped_in_the_queue_leaves_it() {
        let admission = Admission::new(1, 4);
        let _slot = admission.admit().await.unwrap();
        let waiting = admission.admit();
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(20), waiting).await;
        assert!(timed_out.is_err());
        assert_eq!(admission.queued(), 0);
    }
}
