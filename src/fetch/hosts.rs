//! Requests in flight per host, bounded across every render of an engine: N renders at once
//! still send a server no more than the limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One semaphore per host, created on first use.
#[derive(Debug)]
pub(crate) struct HostLimits {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimits {
    /// At most `per_host` requests (at least one) in flight to each host.
    pub(crate) fn new(per_host: usize) -> Self {
        HostLimits {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a turn to send a request to `host`; the turn ends when the permit drops.
    pub(crate) async fn acquire(&self, host: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut hosts = self.hosts.lock().ok()?;
            Arc::clone(
                hosts
                    .entry(host.to_string())
                    .or_insert_with(|| Arc::new(Semaphore::new(self.per_host))),
            )
        };
        semaphore.acquire_owned().await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_host_gets_its_own_limit() {
        let limits = HostLimits::new(2);
        let a1 = limits.acquire("a").await;
        let _a2 = limits.acquire("a").await;
        let b = tokio::time::timeout(std::time::Duration::from_millis(50), limits.acquire("b"));
        assert!(b.await.is_ok(), "another host is not held up");
        let a3 = tokio::time::timeout(std::time::Duration::from_millis(50), limits.acquire("a"));
        assert!(a3.await.is_err(), "a third request to one host waits");
        drop(a1);
        assert!(limits.acquire("a").await.is_some());
    }
}
