//! The live event stream (`GET /api/events`, Server-Sent Events) and the activity log
//! (`GET /api/admin/activity`), API.md §7.
//!
//! One fan-out task per instance reads new events from the table once, when woken (after a
//! local commit, by PostgreSQL's NOTIFY from any instance's sequencer, or by a short poll), and
//! publishes them in batches on a bounded broadcast channel, each event already encoded as an
//! SSE message. Each stream filters what it receives by the subscriber's permissions and writes
//! everything it has at once as one chunk (so 200 streams under load cost 200 writes per batch,
//! not per event); it holds no database connection while idle, and one that falls behind the
//! channel replays from the table from its last id instead.
//!
//! The body is written by hand rather than with axum's `Sse`, whose messages cannot share one
//! encoding among streams nor be written several to a chunk; the wire format is the same.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, Utc};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::auth::{FleetReader, Session};
use super::error::{ApiError, ApiResult};
use super::signed_in::SignedInUsers;
use super::AppState;
use crate::api::events::{ActivityPage, ActivityQuery, Event, EventKind, ResetNotice, RESET_EVENT};
use crate::api::{ErrorBody, User};
use crate::domain::events::may_see;
use crate::domain::fleet::PAGE_LIMIT_MAX;
use crate::store::{EventSignals, Store, STAMP_BATCH};

/// Batches a stream may fall behind before it replays from the table instead.
pub const DEFAULT_BACKLOG: usize = 1024;
/// Between two batches the fan-out waits this long per open stream, up to
/// [`MAX_PUBLISH_INTERVAL`]: an event after a quiet spell goes out at once, while under load
/// one read and one write per stream carry many events. Each batch costs a write per stream,
/// so this bounds the CPU that delivery takes from the writers (with 200 streams, a write per
/// stream per event would cost more than the changes themselves).
const PUBLISH_INTERVAL_PER_STREAM: Duration = Duration::from_micros(75);
const MAX_PUBLISH_INTERVAL: Duration = Duration::from_millis(15);
/// A stream writes at most about this much in one chunk.
const CHUNK_BYTES: usize = 64 * 1024;
/// Rows per read of the table, for the fan-out and for replays.
const PAGE: i64 = 500;
/// A missed wake-up (a notification lost with a connection, a `fleetdesk user add` in another
/// process) is found within this.
const POLL: Duration = Duration::from_millis(500);
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(400 * 24 * 3600);
const ACTIVITY_DEFAULT_LIMIT: i64 = 100;

/// An event as sent: encoded once as an SSE message, shared by every stream.
#[derive(Debug)]
pub struct EventFrame {
    pub event: Event,
    pub message: Bytes,
}

impl EventFrame {
    fn new(event: Event) -> Option<Arc<EventFrame>> {
        match serde_json::to_string(&event) {
            // serde_json writes no raw line breaks, so the JSON is one `data:` line.
            Ok(json) => {
                let message = format!("id: {}\nevent: {}\ndata: {json}\n\n", event.id, event.kind);
                Some(Arc::new(EventFrame {
                    event,
                    message: Bytes::from(message),
                }))
            }
            Err(err) => {
                tracing::error!(%err, id = event.id, "an event could not be serialised");
                None
            }
        }
    }
}

type Batch = Arc<[Arc<EventFrame>]>;

/// The event log's followers in this process: fan-out, sequencer, listener and pruner.
pub struct EventHub {
    sender: broadcast::Sender<Batch>,
    /// The highest id published on the channel.
    published: AtomicI64,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    pub open_streams: AtomicU64,
    pub delivered: AtomicU64,
    /// How often a stream fell behind the channel and read the table instead.
    pub lagged: AtomicU64,
}

impl EventHub {
    /// Starts following the event log of `store`; `retention` says how long events are kept.
    /// Each user an event names is forgotten from `signed_in` as the event goes by.
    pub async fn start(
        store: &Store,
        retention: Duration,
        backlog: usize,
        signed_in: Arc<SignedInUsers>,
    ) -> Result<Arc<EventHub>, ApiError> {
        let bounds = store.event_bounds().await?;
        let (sender, _) = broadcast::channel(backlog.max(1));
        let (shutdown, _) = watch::channel(false);
        let hub = Arc::new(EventHub {
            sender,
            published: AtomicI64::new(bounds.last_id),
            shutdown,
            tasks: Mutex::new(Vec::new()),
            open_streams: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
            lagged: AtomicU64::new(0),
        });
        let signals = store.event_signals();
        let mut tasks = vec![
            tokio::spawn(fan_out(
                hub.clone(),
                store.clone(),
                signals.clone(),
                signed_in,
            )),
            tokio::spawn(prune(store.clone(), retention, hub.shutdown.subscribe())),
        ];
        if let Some(listener) = store.listen_for_events().await? {
            tasks.push(tokio::spawn(sequence(
                store.clone(),
                signals.clone(),
                hub.shutdown.subscribe(),
            )));
            tasks.push(tokio::spawn(listen(
                listener,
                signals,
                hub.shutdown.subscribe(),
            )));
        }
        if let Ok(mut slot) = hub.tasks.lock() {
            *slot = tasks;
        }
        Ok(hub)
    }

    /// Ends every stream and stops the tasks (the server is stopping).
    pub fn close(&self) {
        let _ = self.shutdown.send(true);
        if let Ok(mut tasks) = self.tasks.lock() {
            for task in tasks.drain(..) {
                task.abort();
            }
        }
    }

    pub fn last_published(&self) -> i64 {
        self.published.load(Ordering::Acquire)
    }
}

impl Drop for EventHub {
    fn drop(&mut self) {
        self.close();
    }
}

async fn fan_out(
    hub: Arc<EventHub>,
    store: Store,
    signals: Arc<EventSignals>,
    signed_in: Arc<SignedInUsers>,
) {
    let mut shutdown = hub.shutdown.subscribe();
    let mut published_at = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = signals.numbered.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
        let streams = u32::try_from(hub.open_streams.load(Ordering::Relaxed)).unwrap_or(u32::MAX);
        let interval = PUBLISH_INTERVAL_PER_STREAM
            .saturating_mul(streams)
            .min(MAX_PUBLISH_INTERVAL);
        tokio::time::sleep_until(published_at + interval).await;
        loop {
            let last = hub.last_published();
            let page = match store.events_after(last, PAGE).await {
                Ok(page) => page,
                Err(err) => {
                    tracing::warn!(%err, "cannot read new events");
                    break;
                }
            };
            let full = page.len() as i64 >= PAGE;
            let Some(newest) = page.last().map(|event| event.id) else {
                break;
            };
            // A change made on another instance reaches this one's memory of users here.
            for user_id in page.iter().filter_map(|event| event.subject.user_id) {
                signed_in.forget(user_id);
            }
            let batch: Batch = page.into_iter().filter_map(EventFrame::new).collect();
            // No receiver is fine: nobody is listening.
            let _ = hub.sender.send(batch);
            hub.published.store(newest, Ordering::Release);
            published_at = tokio::time::Instant::now();
            if !full {
                break;
            }
        }
    }
}

/// PostgreSQL: numbers committed events in commit order (see `Store::stamp_events`).
async fn sequence(store: Store, signals: Arc<EventSignals>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = signals.committed.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
        loop {
            match store.stamp_events().await {
                Ok(stamped) if stamped >= STAMP_BATCH => continue,
                Ok(_) => break,
                Err(err) => {
                    tracing::warn!(%err, "cannot number new events");
                    break;
                }
            }
        }
    }
}

/// PostgreSQL: hears every instance's sequencer.
async fn listen(
    mut listener: crate::store::EventListener,
    signals: Arc<EventSignals>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            heard = listener.recv() => match heard {
                Ok(()) => signals.numbered.notify_one(),
                Err(err) => {
                    tracing::warn!(%err, "lost the event notifications; polling until they are back");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            },
            _ = shutdown.changed() => return,
        }
    }
}

/// Deletes events older than the retention, now and then.
async fn prune(store: Store, retention: Duration, mut shutdown: watch::Receiver<bool>) {
    let every = (retention / 4).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    loop {
        let cutoff = chrono::Duration::from_std(retention)
            .ok()
            .and_then(|keep| Utc::now().checked_sub_signed(keep));
        if let Some(cutoff) = cutoff {
            match store.prune_events(cutoff).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "pruned old events"),
                Err(err) => tracing::warn!(%err, "cannot prune old events"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}

// ---- the stream ----

/// `Last-Event-ID` (what a reconnecting EventSource sends) wins over `?after=`.
fn resume_point(headers: &HeaderMap, params: &HashMap<String, String>) -> ApiResult<Option<i64>> {
    let parse = |name: &str, text: &str| -> ApiResult<Option<i64>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let valid = text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit());
        valid
            .then(|| text.parse::<i64>().ok())
            .flatten()
            .map(Some)
            .ok_or_else(|| {
                ApiError::Validation(format!(
                    "{name} must be an event id: a whole number from 0 to {}.",
                    i64::MAX
                ))
            })
    };
    if let Some(value) = headers.get("last-event-id") {
        let text = value
            .to_str()
            .map_err(|_| ApiError::Validation("Last-Event-ID must be an event id.".to_string()))?;
        if let Some(id) = parse("Last-Event-ID", text)? {
            return Ok(Some(id));
        }
    }
    match params.get("after") {
        Some(text) => parse("after", text),
        None => Ok(None),
    }
}

struct Subscriber {
    store: Store,
    hub: Arc<EventHub>,
    rx: broadcast::Receiver<Batch>,
    user: User,
    last_sent: i64,
    pending: VecDeque<Arc<EventFrame>>,
    replaying: bool,
    reset: Option<i64>,
    expires: tokio::time::Instant,
    keep_alive: Duration,
    /// When a comment is due if nothing else was written by then.
    keep_alive_at: tokio::time::Instant,
    shutdown: watch::Receiver<bool>,
}

const KEEP_ALIVE_COMMENT: &[u8] = b": keep-alive\n\n";

impl Subscriber {
    fn visible(&mut self, frame: &EventFrame) -> bool {
        let event = &frame.event;
        // A change to the subscriber's own role counts at once.
        if event.kind == EventKind::UserUpdated && event.subject.user_id == Some(self.user.id) {
            if let Ok(user) = serde_json::from_value::<User>(event.data.clone()) {
                self.user = user;
            }
        }
        may_see(self.user.role, self.user.id, event.kind, &event.subject)
    }

    /// Takes the frames of a live batch that follow `last_sent`; false when one is missing.
    fn take_batch(&mut self, batch: &[Arc<EventFrame>]) -> bool {
        for frame in batch {
            let id = frame.event.id;
            if id <= self.last_sent {
                continue;
            }
            if id > self.last_sent + 1 {
                // Something between is not here: the table has it.
                self.replaying = true;
                return false;
            }
            self.last_sent = id;
            self.pending.push_back(frame.clone());
        }
        true
    }

    /// Everything visible that is ready, as one chunk (None if nothing is).
    fn drain_pending(&mut self) -> Option<Bytes> {
        let mut chunk: Vec<u8> = Vec::new();
        while chunk.len() < CHUNK_BYTES {
            let Some(frame) = self.pending.pop_front() else {
                break;
            };
            if self.visible(&frame) {
                chunk.extend_from_slice(&frame.message);
                self.hub.delivered.fetch_add(1, Ordering::Relaxed);
            }
        }
        (!chunk.is_empty()).then(|| Bytes::from(chunk))
    }

    async fn next(&mut self) -> Option<Bytes> {
        let chunk = self.produce().await?;
        self.keep_alive_at = tokio::time::Instant::now() + self.keep_alive;
        Some(chunk)
    }

    async fn produce(&mut self) -> Option<Bytes> {
        loop {
            if let Some(last_id) = self.reset.take() {
                let notice = serde_json::to_string(&ResetNotice { last_id }).ok()?;
                return Some(Bytes::from(format!(
                    "id: {last_id}\nevent: {RESET_EVENT}\ndata: {notice}\n\n"
                )));
            }
            if !self.pending.is_empty() {
                if let Some(chunk) = self.drain_pending() {
                    return Some(chunk);
                }
                continue;
            }
            if self.replaying {
                let page = match self.store.events_after(self.last_sent, PAGE).await {
                    Ok(page) => page,
                    Err(err) => {
                        // The client resumes with its last id, perhaps on another instance.
                        tracing::warn!(%err, "cannot replay events; closing the stream");
                        return None;
                    }
                };
                match page.last() {
                    None => self.replaying = false,
                    Some(last) => {
                        self.last_sent = last.id;
                        self.pending
                            .extend(page.into_iter().filter_map(EventFrame::new));
                    }
                }
                continue;
            }
            tokio::select! {
                received = self.rx.recv() => match received {
                    Ok(batch) => {
                        // Whatever else is already waiting goes into the same chunk.
                        let mut complete = self.take_batch(&batch);
                        while complete && self.pending.len() < PAGE as usize {
                            match self.rx.try_recv() {
                                Ok(batch) => complete = self.take_batch(&batch),
                                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                                    self.hub.lagged.fetch_add(1, Ordering::Relaxed);
                                    self.replaying = true;
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        self.hub.lagged.fetch_add(1, Ordering::Relaxed);
                        self.replaying = true;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep_until(self.keep_alive_at) => {
                    return Some(Bytes::from_static(KEEP_ALIVE_COMMENT));
                }
                _ = tokio::time::sleep_until(self.expires) => return None,
                _ = self.shutdown.changed() => return None,
            }
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.hub.open_streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The live event stream (Server-Sent Events): stored events after `Last-Event-ID` or
/// `after` first, then live ones; `event: reset` when that id is no longer kept.
#[utoipa::path(
    get,
    path = "/api/events",
    tag = "events",
    security(("bearer" = [])),
    params(
        ("after" = Option<i64>, Query, description = "Replay every event after this id first."),
        ("Last-Event-ID" = Option<i64>, Header, description = "As `after`; what an SSE client sends when it reconnects."),
    ),
    responses(
        (status = 200, description = "`text/event-stream`: one message per event, `id: <id>`, `event: <kind>`, `data: <Event as JSON>`; a comment line every 15 s.", content_type = "text/event-stream", body = Event),
        (status = 400, description = "The resume id is not an event id.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
    )
)]
pub async fn stream(
    Session { user, expires_at }: Session,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let after = resume_point(&headers, &params)?;
    let hub = state.events.clone();
    // Subscribed before looking at the table, so nothing falls between replay and live.
    let rx = hub.sender.subscribe();
    let published = hub.last_published();
    let (last_sent, replaying, reset) = match after {
        None => (published, false, None),
        Some(after) => {
            let bounds = state.store.event_bounds().await?;
            let last = bounds.last_id.max(published);
            if after < bounds.pruned_through || after > last {
                (last, true, Some(last))
            } else {
                (after, true, None)
            }
        }
    };
    let remaining = (expires_at - Utc::now()).to_std().unwrap_or(Duration::ZERO);
    hub.open_streams.fetch_add(1, Ordering::Relaxed);
    let subscriber = Subscriber {
        store: state.store.clone(),
        shutdown: hub.shutdown.subscribe(),
        hub,
        rx,
        user,
        last_sent,
        pending: VecDeque::new(),
        replaying,
        reset,
        expires: tokio::time::Instant::now() + remaining,
        keep_alive: state.event_keep_alive,
        keep_alive_at: tokio::time::Instant::now() + state.event_keep_alive,
    };
    let chunks = futures_util::stream::unfold(subscriber, |mut subscriber| async move {
        let chunk = subscriber.next().await?;
        Some((Ok::<_, Infallible>(chunk), subscriber))
    });
    let mut response = Response::new(Body::from_stream(chunks));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Tells nginx and the like not to hold messages back.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

// ---- the activity log ----

fn positive_id(params: &HashMap<String, String>, name: &str) -> ApiResult<Option<i64>> {
    match params.get(name).map(|text| text.trim()) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| {
                ApiError::Validation(format!("{name} must be a positive whole number."))
            }),
    }
}

fn time(params: &HashMap<String, String>, name: &str) -> ApiResult<Option<DateTime<Utc>>> {
    match params.get(name).map(|text| text.trim()) {
        None | Some("") => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|at| Some(at.with_timezone(&Utc)))
            .map_err(|_| {
                ApiError::Validation(format!(
                    "{name} must be an RFC 3339 time such as 2026-11-28T08:00:00Z."
                ))
            }),
    }
}

const ACTIVITY_PARAMETERS: [&str; 9] = [
    "limit",
    "before",
    "kind",
    "vehicleId",
    "technicianId",
    "userId",
    "actorId",
    "since",
    "until",
];

pub fn parse_activity(params: &HashMap<String, String>) -> ApiResult<ActivityQuery> {
    let mut unknown: Vec<&str> = params
        .keys()
        .map(String::as_str)
        .filter(|name| !ACTIVITY_PARAMETERS.contains(name))
        .collect();
    unknown.sort_unstable();
    if let Some(name) = unknown.first() {
        let shown: String = name.chars().take(40).collect();
        return Err(ApiError::Validation(format!(
            "{shown:?} is not a parameter of the activity log; use {}.",
            ACTIVITY_PARAMETERS.join(", ")
        )));
    }
    let limit = match params.get("limit").map(|text| text.trim()) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|limit| (1..=PAGE_LIMIT_MAX).contains(limit))
                .ok_or_else(|| {
                    ApiError::Validation(format!(
                        "limit must be a whole number from 1 to {PAGE_LIMIT_MAX}."
                    ))
                })?,
        ),
    };
    let kind = match params.get("kind").map(|text| text.trim()) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<EventKind>()
                .map_err(|err| ApiError::Validation(format!("kind: {err}.")))?,
        ),
    };
    let query = ActivityQuery {
        limit,
        before: positive_id(params, "before")?,
        kind,
        vehicle_id: positive_id(params, "vehicleId")?,
        technician_id: positive_id(params, "technicianId")?,
        user_id: positive_id(params, "userId")?,
        actor_id: positive_id(params, "actorId")?,
        since: time(params, "since")?,
        until: time(params, "until")?,
    };
    if let (Some(since), Some(until)) = (query.since, query.until) {
        if since > until {
            return Err(ApiError::Validation(
                "since must not be after until.".to_string(),
            ));
        }
    }
    Ok(query)
}

/// The audit log, newest first.
#[utoipa::path(
    get,
    path = "/api/admin/activity",
    tag = "events",
    security(("bearer" = [])),
    params(
        ("limit" = Option<i64>, Query, description = "Page size, 1 to 1000."),
        ("before" = Option<i64>, Query, description = "An event id: the page after it."),
        ("kind" = Option<EventKind>, Query, description = "Only events of this kind."),
        ("vehicleId" = Option<i64>, Query, description = "Only events concerning this vehicle."),
        ("technicianId" = Option<i64>, Query, description = "Only events concerning this technician."),
        ("userId" = Option<i64>, Query, description = "Only events concerning this user."),
        ("actorId" = Option<i64>, Query, description = "Only changes made by this user."),
        ("since" = Option<DateTime<Utc>>, Query, description = "Not before this time (RFC 3339)."),
        ("until" = Option<DateTime<Utc>>, Query, description = "Not after this time (RFC 3339)."),
    ),
    responses(
        (status = 200, description = "A page of events.", body = ActivityPage),
        (status = 400, description = "A query parameter is invalid or unknown.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn activity(
    _: FleetReader,
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<ActivityPage>> {
    let query = parse_activity(&params)?;
    let limit = query.limit.unwrap_or(ACTIVITY_DEFAULT_LIMIT);
    // One row more than asked tells whether another page follows.
    let mut events = state.store.activity(&query, limit + 1).await?;
    let next_before = if events.len() as i64 > limit {
        events.truncate(usize::try_from(limit).map_err(ApiError::internal)?);
        events.last().map(|event| event.id)
    } else {
        None
    };
    Ok(Json(ActivityPage {
        events,
        next_before,
    }))
}
