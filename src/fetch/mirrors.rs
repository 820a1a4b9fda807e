//! Choosing among a survey's mirrors: a quick probe of each one's `properties`, as Aladin Lite
//! does, fastest first.

use std::time::{Duration, Instant};

/// How long a mirror may take to answer the probe.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Orders `bases` by the time each takes to serve `properties`; mirrors that fail come last, in
/// their given order.
pub(crate) async fn rank_by_speed(client: &reqwest::Client, bases: Vec<String>) -> Vec<String> {
    let mut probes = tokio::task::JoinSet::new();
    for (k, base) in bases.iter().enumerate() {
        let client = client.clone();
        let url = format!("{base}/properties");
        probes.spawn(async move {
            let start = Instant::now();
            let ok = match tokio::time::timeout(PROBE_TIMEOUT, client.get(&url).send()).await {
                Ok(Ok(r)) => r.status().is_success(),
                _ => false,
            };
            (k, ok, start.elapsed())
        });
    }
    let mut results = Vec::new();
    while let Some(Ok(r)) = probes.join_next().await {
        results.push(r);
    }
    results.sort_by_key(|&(k, ok, elapsed)| (!ok, if ok { elapsed } else { Duration::ZERO }, k));
    let mut ranked: Vec<String> = results.iter().map(|&(k, _, _)| bases[k].clone()).collect();
    // A probe task that died leaves its mirror out; put it back at the end.
    for b in bases {
        if !ranked.contains(&b) {
            ranked.push(b);
        }
    }
    ranked
}
