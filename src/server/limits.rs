//! What one client may take from the server: time, body size, connections, Argon2 threads.
//!
//! The per-request half lives here (a middleware: the body limit judged before any handler,
//! the whole-request time limit); the per-connection half is in `connections.rs`.

use std::num::NonZeroUsize;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use tokio::time::{timeout_at, Instant};

use super::error::ApiError;
use super::extract::BODY_LIMIT_BYTES;

pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_LOGIN_WAIT: Duration = Duration::from_secs(2);

/// The limits of `fleetdesk serve`; each has a flag and an environment variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// From a connection's first byte (or its accept) until the request's headers are in.
    pub header_timeout: Duration,
    /// A kept-alive connection with no request in flight is closed after this.
    pub idle_timeout: Duration,
    /// From the headers until the answer's headers, body upload included; also how long an
    /// answer may wait for a client that does not read it.
    pub request_timeout: Duration,
    /// Connections served at once; one more gets a canned 503 and is closed.
    pub max_connections: usize,
    /// Argon2 computations at once (sign-in, password changes).
    pub login_concurrency: usize,
    /// How long a sign-in waits for an Argon2 slot before it gets 503.
    pub login_wait: Duration,
}

/// The number of cores, the default for `login_concurrency`.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            login_concurrency: cores(),
            login_wait: DEFAULT_LOGIN_WAIT,
        }
    }
}

/// Refused before any route runs; the connection closes after the answer, so the rest of an
/// oversized body is never read into anything.
fn refuse(path: &str, error: ApiError) -> Response {
    let mut response = super::in_the_right_body(path, error);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Every request: a body over the limit is refused by its `Content-Length` before routing, or
/// while it is read when chunked; the body is read within the request time limit (else 408)
/// and the handler answers within what is left of it (else 503). Only the time until the
/// answer's headers counts, so a streamed answer (the event stream) is not cut off.
pub async fn guard(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let deadline = Instant::now() + limits.request_timeout;
    let path = request.uri().path().to_string();
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.parse::<u64>().ok());
    if declared.is_some_and(|length| length > BODY_LIMIT_BYTES as u64) {
        return refuse(&path, ApiError::PayloadTooLarge);
    }
    let (parts, body) = request.into_parts();
    let body = if declared == Some(0) || http_body::Body::is_end_stream(&body) {
        Body::empty()
    } else {
        match timeout_at(deadline, Limited::new(body, BODY_LIMIT_BYTES).collect()).await {
            Ok(Ok(collected)) => Body::from(collected.to_bytes()),
            Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => {
                return refuse(&path, ApiError::PayloadTooLarge);
            }
            Ok(Err(_)) => {
                return refuse(
                    &path,
                    ApiError::Validation("The request body could not be read.".to_string()),
                );
            }
            Err(_) => return refuse(&path, ApiError::Timeout(limits.request_timeout)),
        }
    };
    match timeout_at(deadline, next.run(Request::from_parts(parts, body))).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                limit = %humantime::format_duration(limits.request_timeout),
                "the request ran out of time"
            );
            super::in_the_right_body(
                &path,
                ApiError::Unavailable {
                    message: format!(
                        "The server could not answer within {}; try again.",
                        humantime::format_duration(limits.request_timeout)
                    ),
                    retry_after_seconds: 1,
                },
            )
        }
    }
}
