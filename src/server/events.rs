//! The live event stream (`GET /api/events`, Server-Sent Events) and the activity log
//! (`GET /api/admin/activity`), API.md §7.
//!
//! One fan-out task per instance reads new events from the table once, when woken (after a
//! local commit, by PostgreSQL's NOTIFY from any instance's sequencer, or by a short poll), and
//! publishes them on a bounded broadcast channel. Each stream filters what it receives by the
//! subscriber's permissions; it holds no database connection while idle, and one that falls
//! behind the channel replays from the table from its last id instead.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::auth::{AdminUser, Session};
use super::error::{ApiError, ApiResult};
use super::AppState;
use crate::api::events::{ActivityPage, ActivityQuery, Event, EventKind, ResetNotice, RESET_EVENT};
use crate::api::{ErrorBody, User};
use crate::domain::events::may_see;
use crate::domain::fleet::PAGE_LIMIT_MAX;
use crate::store::{EventSignals, Store, STAMP_BATCH};

/// Events a stream may fall behind before it replays from the table instead.
const CHANNEL_CAPACITY: usize = 4096;
/// Rows per read of the table, for the fan-out and for replays.
const PAGE: i64 = 500;
/// A missed wake-up (a notification lost with a connection, a `fleetdesk user add` in another
/// process) is found within this.
const POLL: Duration = Duration::from_millis(500);
pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(400 * 24 * 3600);
const ACTIVITY_DEFAULT_LIMIT: i64 = 100;

/// An event as sent: serialised once, shared by every stream.
#[derive(Debug)]
pub struct EventFrame {
    pub event: Event,
    pub json: String,
}

impl EventFrame {
    fn new(event: Event) -> Option<Arc<EventFrame>> {
        match serde_json::to_string(&event) {
            Ok(json) => Some(Arc::new(EventFrame { event, json })),
            Err(err) => {
                tracing::error!(%err, id = event.id, "an event could not be serialised");
                None
            }
        }
    }

    fn sse(&self) -> SseEvent {
        SseEvent::default()
            .id(self.event.id.to_string())
            .event(self.event.kind.as_str())
            .data(&self.json)
    }
}

/// The event log's followers in this process: fan-out, sequencer, listener and pruner.
pub struct EventHub {
    sender: broadcast::Sender<Arc<EventFrame>>,
    /// The highest id published on the channel.
    published: AtomicI64,
    shutdown: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    pub open_streams: AtomicU64,
    pub delivered: AtomicU64,
}

impl EventHub {
    /// Starts following the event log of `store`; `retention` says how long events are kept.
    pub async fn start(store: &Store, retention: Duration) -> Result<Arc<EventHub>, ApiError> {
        let bounds = store.event_bounds().await?;
        let (sender, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (shutdown, _) = watch::channel(false);
        let hub = Arc::new(EventHub {
            sender,
            published: AtomicI64::new(bounds.last_id),
            shutdown,
            tasks: Mutex::new(Vec::new()),
            open_streams: AtomicU64::new(0),
            delivered: AtomicU64::new(0),
        });
        let signals = store.event_signals();
        let mut tasks = vec![
            tokio::spawn(fan_out(hub.clone(), store.clone(), signals.clone())),
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

async fn fan_out(hub: Arc<EventHub>, store: Store, signals: Arc<EventSignals>) {
    let mut shutdown = hub.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = signals.numbered.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
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
            for event in page {
                let id = event.id;
                if let Some(frame) = EventFrame::new(event) {
                    // No receiver is fine: nobody is listening.
                    let _ = hub.sender.send(frame);
                }
                hub.published.store(id, Ordering::Release);
            }
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
    rx: broadcast::Receiver<Arc<EventFrame>>,
    user: User,
    last_sent: i64,
    pending: VecDeque<Arc<EventFrame>>,
    replaying: bool,
    reset: Option<i64>,
    expires: tokio::time::Instant,
    shutdown: watch::Receiver<bool>,
}

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

    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(last_id) = self.reset.take() {
                let notice = serde_json::to_string(&ResetNotice { last_id }).ok()?;
                return Some(
                    SseEvent::default()
                        .id(last_id.to_string())
                        .event(RESET_EVENT)
                        .data(notice),
                );
            }
            if let Some(frame) = self.pending.pop_front() {
                if self.visible(&frame) {
                    return Some(self.deliver(&frame));
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
                    Ok(frame) => {
                        let id = frame.event.id;
                        if id <= self.last_sent {
                            continue;
                        }
                        if id > self.last_sent + 1 {
                            // Something between is not here: the table has it.
                            self.replaying = true;
                            continue;
                        }
                        self.last_sent = id;
                        if self.visible(&frame) {
                            return Some(self.deliver(&frame));
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => self.replaying = true,
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = tokio::time::sleep_until(self.expires) => return None,
                _ = self.shutdown.changed() => return None,
            }
        }
    }

    fn deliver(&self, frame: &EventFrame) -> SseEvent {
        self.hub.delivered.fetch_add(1, Ordering::Relaxed);
        frame.sse()
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
) -> ApiResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
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
    };
    let events = futures_util::stream::unfold(subscriber, |mut subscriber| async move {
        let event = subscriber.next().await?;
        Some((Ok(event), subscriber))
    });
    Ok(Sse::new(events).keep_alive(
        KeepAlive::new()
            .interval(state.event_keep_alive)
            .text("keep-alive"),
    ))
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
    _: AdminUser,
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
