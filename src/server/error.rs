//! One error type for the fleet API, mapped to status and body in one place.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::api::{codes, AssignmentConflict, AssignmentConflictBody, ErrorBody};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    AssignmentConflict {
        message: String,
        conflicts: Vec<AssignmentConflict>,
    },
    #[error("too many failed sign-in attempts")]
    RateLimited { retry_after_seconds: u64 },
    #[error("request body too large")]
    PayloadTooLarge,
    /// The body did not arrive within the request time limit.
    #[error("The request body did not arrive within {}.", humantime::format_duration(*.0))]
    Timeout(std::time::Duration),
    /// Busy or overloaded for now; the message says why.
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after_seconds: u64,
    },
    /// The cause is logged with the request id and never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::AssignmentConflict { .. } => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) | ApiError::MethodNotAllowed(_) => codes::VALIDATION,
            ApiError::Unauthorized(_) => codes::UNAUTHORIZED,
            ApiError::Forbidden(_) => codes::FORBIDDEN,
            ApiError::NotFound(_) => codes::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::AssignmentConflict { .. } => codes::CONFLICT,
            ApiError::RateLimited { .. } => codes::RATE_LIMITED,
            ApiError::PayloadTooLarge => codes::PAYLOAD_TOO_LARGE,
            ApiError::Timeout(_) => codes::TIMEOUT,
            ApiError::Unavailable { .. } => codes::UNAVAILABLE,
            ApiError::Internal(_) => codes::INTERNAL,
        }
    }

    /// Seconds for `Retry-After`, on the answers that say "try again later".
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited {
                retry_after_seconds,
            }
            | ApiError::Unavailable {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        }
    }

    /// The one human sentence that goes to the client.
    pub fn public_message(&self) -> String {
        match self {
            ApiError::RateLimited {
                retry_after_seconds,
            } => format!(
                "Too many failed sign-in attempts; try again in {retry_after_seconds} seconds."
            ),
            ApiError::PayloadTooLarge => {
                "The request body is larger than the limit of 64 KiB.".to_string()
            }
            ApiError::Internal(_) => {
                "Something went wrong on the server; it has been logged.".to_string()
            }
            other => other.to_string(),
        }
    }
}

/// How long a client is asked to wait when the database is away or a write kept losing races.
pub const DATABASE_RETRY_AFTER_SECONDS: u64 = 2;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> ApiError {
        if err.is_unavailable() {
            // Runs inside the request span, so the log line carries the request id.
            tracing::error!(
                %err,
                "the database is unavailable (unreachable, read-only or out of space): answering 503"
            );
            return ApiError::Unavailable {
                message: "The database is unavailable; try again shortly.".to_string(),
                retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS,
            };
        }
        if err.is_transient() {
            tracing::warn!(%err, "a write kept colliding with others: answering 503");
            return ApiError::Unavailable {
                message: "The server is busy with conflicting changes; try again.".to_string(),
                retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS,
            };
        }
        ApiError::Internal(err.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(cause) = &self {
            // Runs inside the request span, so the log line carries the request id.
            tracing::error!(%cause, "request failed");
        }
        let message = self.public_message();
        let retry_after = self.retry_after().map(HeaderValue::from);
        let mut response = match self {
            ApiError::AssignmentConflict { conflicts, .. } => (
                status,
                Json(AssignmentConflictBody {
                    error: codes::CONFLICT.to_string(),
                    message,
                    conflicts,
                }),
            )
                .into_response(),
            other => (
                status,
                Json(ErrorBody {
                    error: other.code().to_string(),
                    message,
                }),
            )
                .into_response(),
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds);
        }
        response
    }
}
