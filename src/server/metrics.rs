//! `GET /metrics`: Prometheus text from the `metrics` crate's Prometheus exporter.
//!
//! Each server owns its recorder (not the process-global one), so two servers in one process
//! (tests, the demo) count apart. Requests are counted as they are answered; the pool and the
//! event streams are read when scraped. The names are in [`names`].

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Key, Label, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use super::AppState;

/// Every metric fleetdesk exports.
pub mod names {
    /// Counter; labels `method`, `route` (the route's template, e.g.
    /// `/api/admin/vehicles/{id}`, or `unmatched`) and `status`.
    pub const HTTP_REQUESTS: &str = "fleetdesk_http_requests_total";
    /// Histogram in seconds, until the response head is ready; labels `method` and `route`.
    pub const HTTP_REQUEST_DURATION: &str = "fleetdesk_http_request_duration_seconds";
    /// Gauge; label `state`: `in_use` or `idle`. Read when scraped.
    pub const DB_POOL_CONNECTIONS: &str = "fleetdesk_db_pool_connections";
    /// Gauge: the pool's upper bound.
    pub const DB_POOL_MAX_CONNECTIONS: &str = "fleetdesk_db_pool_max_connections";
    /// Gauge: event streams (`GET /api/events`) open now. Read when scraped.
    pub const EVENT_STREAMS_OPEN: &str = "fleetdesk_event_streams_open";
    /// Counter: events written to event streams. Read when scraped.
    pub const EVENTS_DELIVERED: &str = "fleetdesk_events_delivered_total";
}

/// The `route` label of requests no route matched: never the raw path, which anyone can vary.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Upper bounds of the latency histogram's buckets, in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into buckets when nobody scrapes.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full(names::HTTP_REQUEST_DURATION.to_string()),
                &LATENCY_BUCKETS,
            )
            .map(PrometheusBuilder::build_recorder)
            // Only a bucket list that is empty fails, and ours is not.
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        recorder.describe_counter(
            names::HTTP_REQUESTS.into(),
            None,
            "HTTP requests answered, by route template and status.".into(),
        );
        recorder.describe_histogram(
            names::HTTP_REQUEST_DURATION.into(),
            Some(Unit::Seconds),
            "Time to answer an HTTP request (to the response head), by route template.".into(),
        );
        recorder.describe_gauge(
            names::DB_POOL_CONNECTIONS.into(),
            None,
            "Database pool connections, in use or idle.".into(),
        );
        recorder.describe_gauge(
            names::DB_POOL_MAX_CONNECTIONS.into(),
            None,
            "The database pool's upper bound.".into(),
        );
        recorder.describe_gauge(
            names::EVENT_STREAMS_OPEN.into(),
            None,
            "Event streams (GET /api/events) open now.".into(),
        );
        recorder.describe_counter(
            names::EVENTS_DELIVERED.into(),
            None,
            "Events written to event streams.".into(),
        );
        let handle = recorder.handle();
        Metrics { recorder, handle }
    }

    pub fn handle(&self) -> &PrometheusHandle {
        &self.handle
    }

    /// One answered request. `route` is a template, never a raw path.
    pub fn record_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let route_labels = vec![
            Label::new("method", method.to_string()),
            Label::new("route", route.to_string()),
        ];
        let mut with_status = route_labels.clone();
        with_status.push(Label::new("status", status.to_string()));
        self.recorder
            .register_counter(
                &Key::from_parts(names::HTTP_REQUESTS, with_status),
                &METADATA,
            )
            .increment(1);
        self.recorder
            .register_histogram(
                &Key::from_parts(names::HTTP_REQUEST_DURATION, route_labels),
                &METADATA,
            )
            .record(elapsed.as_secs_f64());
    }

    /// The event streams' numbers as of now: open streams, events delivered since start.
    pub fn record_events(&self, open_streams: u64, delivered: u64) {
        // Exact up to 2^53 streams, which no server reaches.
        #[allow(clippy::cast_precision_loss)]
        self.set_gauge(names::EVENT_STREAMS_OPEN, Vec::new(), open_streams as f64);
        self.recorder
            .register_counter(&Key::from_name(names::EVENTS_DELIVERED), &METADATA)
            .absolute(delivered);
    }

    fn set_gauge(&self, name: &'static str, labels: Vec<Label>, value: f64) {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
            .set(value);
    }

    /// The pool's numbers as of now.
    pub fn record_pool(&self, size: u32, idle: usize, max: u32) {
        let idle = u32::try_from(idle).unwrap_or(u32::MAX);
        let in_use = size.saturating_sub(idle);
        let state = |value: &'static str| vec![Label::new("state", value)];
        self.set_gauge(
            names::DB_POOL_CONNECTIONS,
            state("in_use"),
            f64::from(in_use),
        );
        self.set_gauge(names::DB_POOL_CONNECTIONS, state("idle"), f64::from(idle));
        self.set_gauge(names::DB_POOL_MAX_CONNECTIONS, Vec::new(), f64::from(max));
    }
}

/// Counts every request by its route template, status and time taken.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str)
        .to_string();
    let response = next.run(request).await;
    state.metrics.record_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// Prometheus text: requests by route and status with latency histograms, the database pool,
/// event streams.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4.", content_type = "text/plain"))
)]
pub async fn render(State(state): State<AppState>) -> Response {
    let (size, idle, max) = state.store.pool_numbers();
    state.metrics.record_pool(size, idle, max);
    state.metrics.record_events(
        state.events.open_streams.load(Ordering::Relaxed),
        state.events.delivered.load(Ordering::Relaxed),
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.handle().render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_numbers_show_as_given() {
        let metrics = Metrics::new();
        let shows = |line: &str| metrics.handle().render().lines().any(|l| l == line);
        metrics.record_events(2, 5);
        assert!(shows("fleetdesk_event_streams_open 2"));
        assert!(shows("fleetdesk_events_delivered_total 5"));
        metrics.record_events(0, 7);
        assert!(shows("fleetdesk_event_streams_open 0"));
        assert!(shows("fleetdesk_events_delivered_total 7"));
    }
}
