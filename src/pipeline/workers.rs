//! What renders share to do their work: the painters' thread pool, the decoded-tile cache, and
//! a count of the tasks alive (fetches, decodes, painting jobs, renders).

use super::decoded::DecodedTiles;
use crate::error::{Error, Result};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A hook called with a tile's path just before its body is decoded, for tests that make a
/// decoder fail or panic.
pub(crate) type DecodeHook = Arc<dyn Fn(&str) + Send + Sync>;

/// The shared workers of an engine.
pub(crate) struct Workers {
    /// The engine's own pool: renders started from the caller's rayon workers never wait on
    /// jobs queued behind themselves.
    pub(crate) pool: rayon::ThreadPool,
    pub(crate) decoded: DecodedTiles,
    live: Arc<AtomicUsize>,
    pub(crate) decode_hook: Option<DecodeHook>,
}

/// Counts one live task while it exists.
pub(crate) struct LiveTask(Arc<AtomicUsize>);

impl Drop for LiveTask {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Workers {
    /// `threads` painters (0: one per core) and a decoded-tile cache of `decoded_bytes`.
    pub(crate) fn new(
        threads: usize,
        decoded_bytes: u64,
        decode_hook: Option<DecodeHook>,
    ) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|k| format!("hipscut-paint-{k}"))
            .build()
            .map_err(|e| Error::Internal(format!("cannot start the painters' threads: {e}")))?;
        Ok(Workers {
            pool,
            decoded: DecodedTiles::new(decoded_bytes),
            live: Arc::new(AtomicUsize::new(0)),
            decode_hook,
        })
    }

    /// Marks a task alive until the returned guard drops.
    pub(crate) fn live_task(&self) -> LiveTask {
        self.live.fetch_add(1, Ordering::AcqRel);
        LiveTask(Arc::clone(&self.live))
    }

    /// Tasks alive now.
    pub(crate) fn live_tasks(&self) -> usize {
        self.live.load(Ordering::Acquire)
    }

    /// Runs CPU work on the pool; the result comes back through a oneshot channel, so no
    /// async thread blocks. A panic becomes an internal error.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let live = self.live_task();
        self.pool.spawn(move || {
            let _live = live;
            let out = std::panic::catch_unwind(AssertUnwindSafe(work))
                .unwrap_or_else(|panic| Err(Error::Internal(panic_message(&*panic))));
            let _ = tx.send(out);
        });
        rx.await
            .map_err(|_| Error::Internal("a worker stopped without an answer".into()))?
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("internal error (please report it): {text}")
}
