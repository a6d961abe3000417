//! The live event stream (`GET /api/events`) as typed events, resumed with the last id seen.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION};

use super::{with_query, ApiClient, ClientError};
use crate::api::events::{Event, ResetNotice, RESET_EVENT};

/// First wait before reconnecting after a failure; doubles up to [`MAX_BACKOFF`].
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The server sends a comment every 15 s; this much silence means the link is dead.
pub const STREAM_SILENCE: Duration = Duration::from_secs(45);

/// What the stream yields.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamItem {
    Event(Box<Event>),
    /// The id resumed from is no longer kept (or unknown): reload everything; the stream goes
    /// on after `last_id`.
    Reset {
        last_id: i64,
    },
}

type Messages = Pin<
    Box<
        dyn Stream<
                Item = Result<
                    eventsource_stream::Event,
                    eventsource_stream::EventStreamError<reqwest::Error>,
                >,
            > + Send,
    >,
>;

/// A stream of events that reconnects by itself with `Last-Event-ID`, so nothing committed
/// is missed across a dropped connection or a restarted (or different) server instance.
pub struct EventStream {
    client: ApiClient,
    last_id: Option<i64>,
    messages: Option<Messages>,
    /// Wait this long before the next connection attempt (after a failure).
    backoff: Option<Duration>,
}

impl EventStream {
    pub(super) fn new(client: ApiClient, after: Option<i64>) -> EventStream {
        EventStream {
            client,
            last_id: after,
            messages: None,
            backoff: None,
        }
    }

    /// The id of the last event (or reset) received: where a reconnection resumes.
    pub fn last_id(&self) -> Option<i64> {
        self.last_id
    }

    /// A new token (after signing in again) for the next connection.
    pub fn set_token(&mut self, token: impl Into<String>) {
        self.client.set_token(token);
        self.messages = None;
    }

    pub fn is_connected(&self) -> bool {
        self.messages.is_some()
    }

    /// Connects unless connected: the server has subscribed this stream once this returns, so
    /// a change committed afterwards reaches it. After a failure the next call waits first (1 s,
    /// doubling to 30 s).
    pub async fn open(&mut self) -> Result<(), ClientError> {
        if self.messages.is_some() {
            return Ok(());
        }
        if let Some(wait) = self.backoff {
            tokio::time::sleep(wait).await;
        }
        // Nothing of `self` is held across the wait: the stream may live in a spawned task.
        let (client, last_id) = (self.client.clone(), self.last_id);
        match connect(&client, last_id).await {
            Ok(messages) => {
                self.messages = Some(messages);
                Ok(())
            }
            Err(err) => {
                let wait = self
                    .backoff
                    .map_or(MIN_BACKOFF, |wait| (wait * 2).min(MAX_BACKOFF));
                self.backoff = Some(wait);
                Err(err)
            }
        }
    }

    /// The next event. A failure to connect comes back as an error (offline, 401, …) and the
    /// next call tries again after a backoff of 1 s doubling to 30 s; a dropped connection is
    /// resumed at once from the last id. A connection that drops before any event came is an
    /// error too ([`ClientError::Offline`]): with no id to resume from, what changed meanwhile
    /// cannot be replayed, and the caller must load afresh.
    pub async fn next(&mut self) -> Result<StreamItem, ClientError> {
        loop {
            self.open().await?;
            let Some(messages) = self.messages.as_mut() else {
                continue;
            };
            let message = match tokio::time::timeout(STREAM_SILENCE, messages.next()).await {
                Ok(Some(Ok(message))) => message,
                // Ended, broken or silent: resume from the last id.
                Ok(Some(Err(_))) | Ok(None) | Err(_) => {
                    self.messages = None;
                    if self.last_id.is_none() {
                        return Err(ClientError::Offline {
                            message: "The event stream ended before its first event.".to_string(),
                        });
                    }
                    continue;
                }
            };
            self.backoff = None;
            if message.event == RESET_EVENT {
                let notice: ResetNotice =
                    serde_json::from_str(&message.data).map_err(|err| invalid(&err))?;
                self.last_id = Some(notice.last_id);
                return Ok(StreamItem::Reset {
                    last_id: notice.last_id,
                });
            }
            let event: Event = serde_json::from_str(&message.data).map_err(|err| invalid(&err))?;
            self.last_id = Some(event.id);
            return Ok(StreamItem::Event(Box::new(event)));
        }
    }
}

async fn connect(client: &ApiClient, last_id: Option<i64>) -> Result<Messages, ClientError> {
    let url = with_query(client.url("/api/events"), &[]);
    let mut request = client
        .stream_http
        .get(url)
        .header(ACCEPT, "text/event-stream");
    if let Some(token) = client.token() {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ClientError::Unauthorized {
                message: "The saved token is not usable; sign in again.".to_string(),
            }
        })?;
        value.set_sensitive(true);
        request = request.header(AUTHORIZATION, value);
    }
    if let Some(id) = last_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let base = client.base_url().to_string();
    let response = request
        .send()
        .await
        .map_err(|err| ClientError::from_transport(&err, &base))?;
    let status = response.status();
    if !status.is_success() {
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let body = response
            .bytes()
            .await
            .map_err(|err| ClientError::from_transport(&err, &base))?;
        return Err(ClientError::from_status(status, request_id, &body));
    }
    Ok(Box::pin(response.bytes_stream().eventsource()))
}

fn invalid(err: &serde_json::Error) -> ClientError {
    ClientError::InvalidResponse {
        message: format!("GET /api/events sent an event that does not fit: {err}"),
    }
}
