//! The service's measures, in Prometheus text format for `GET /metrics`: requests by status,
//! their latency, the tiles by where they came from (hence the cache hit ratios), and the
//! renders in flight and waiting.

use crate::pipeline::RenderStats;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

type Labels = Vec<(&'static str, String)>;

/// The upper bounds of the latency histogram's buckets, seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Counters and gauges, registered once.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Labels, Counter>,
    latency: Histogram,
    tiles: Family<Labels, Counter>,
    disk_hit_ratio: Gauge<f64, AtomicU64>,
    decoded_hit_ratio: Gauge<f64, AtomicU64>,
    in_flight: Gauge,
    queued: Gauge,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        let mut registry = Registry::with_prefix("hipscut");
        let requests = Family::<Labels, Counter>::default();
        let latency = Histogram::new(LATENCY_BUCKETS);
        let tiles = Family::<Labels, Counter>::default();
        let (disk_hit_ratio, decoded_hit_ratio) = (Gauge::default(), Gauge::default());
        let (in_flight, queued) = (Gauge::default(), Gauge::default());
        registry.register(
            "requests",
            "Requests answered, by HTTP status (499: the client went away)",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request",
            latency.clone(),
        );
        registry.register(
            "tiles",
            "Tiles painted, by where they came from",
            tiles.clone(),
        );
        registry.register(
            "disk_cache_hit_ratio",
            "Of the tiles not local nor in memory, the share read from the disk cache",
            disk_hit_ratio.clone(),
        );
        registry.register(
            "decoded_cache_hit_ratio",
            "Of all tiles, the share taken decoded from memory",
            decoded_hit_ratio.clone(),
        );
        registry.register(
            "renders_in_flight",
            "Renders running now",
            in_flight.clone(),
        );
        registry.register(
            "queue_depth",
            "Requests waiting for a render slot",
            queued.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            tiles,
            disk_hit_ratio,
            decoded_hit_ratio,
            in_flight,
            queued,
        }
    }

    /// One answered request; the latency histogram is of image requests only (scrapes and
    /// pages would blur it).
    pub(crate) fn answered(&self, route: &'static str, status: u16, took: Duration) {
        let labels = vec![("route", route.to_string()), ("status", status.to_string())];
        self.requests.get_or_create(&labels).inc();
        if route == "/hips2fits" {
            self.latency.observe(took.as_secs_f64());
        }
    }

    /// The tiles of one render.
    pub(crate) fn rendered(&self, stats: &RenderStats) {
        for (source, n) in [
            ("network", stats.fetched),
            ("disk_cache", stats.from_cache),
            ("memory", stats.from_memory),
            ("local", stats.local),
        ] {
            self.tiles
                .get_or_create(&vec![("source", source.to_string())])
                .inc_by(n as u64);
        }
    }

    fn tiles_from(&self, source: &str) -> f64 {
        self.tiles
            .get_or_create(&vec![("source", source.to_string())])
            .get() as f64
    }

    /// The text exposition, with the gauges set from `in_flight` and `queued` now.
    pub(crate) fn exposition(&self, in_flight: usize, queued: usize) -> String {
        let [network, disk, memory, local] =
            ["network", "disk_cache", "memory", "local"].map(|s| self.tiles_from(s));
        let ratio = |part: f64, whole: f64| if whole > 0.0 { part / whole } else { 0.0 };
        self.disk_hit_ratio.set(ratio(disk, disk + network));
        self.decoded_hit_ratio
            .set(ratio(memory, memory + disk + network + local));
        self.in_flight.set(in_flight as i64);
        self.queued.set(queued as i64);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ratios_in_prometheus_text() {
        let m = Metrics::new();
        m.answered("/hips2fits", 200, Duration::from_millis(30));
        m.answered("/hips2fits", 200, Duration::from_millis(30));
        m.answered("/hips2fits", 503, Duration::from_millis(1));
        m.answered("/metrics", 200, Duration::from_millis(300));
        let stats = RenderStats {
            fetched: 1,
            from_cache: 3,
            from_memory: 4,
            ..RenderStats::default()
        };
        m.rendered(&stats);
        let text = m.exposition(2, 5);
        for line in [
            "hipscut_requests_total{route=\"/hips2fits\",status=\"200\"} 2",
            "hipscut_requests_total{route=\"/hips2fits\",status=\"503\"} 1",
            "hipscut_requests_total{route=\"/metrics\",status=\"200\"} 1",
            "hipscut_request_duration_seconds_count 3",
            "hipscut_request_duration_seconds_bucket{le=\"0.05\"} 3",
            "hipscut_request_duration_seconds_bucket{le=\"0.025\"} 1",
            "hipscut_disk_cache_hit_ratio 0.75",
            "hipscut_decoded_cache_hit_ratio 0.5",
            "hipscut_renders_in_flight 2",
            "hipscut_queue_depth 5",
        ] {
            assert!(text.contains(line), "{line} is not in\n{text}");
        }
    }
}
