//! What can go wrong talking to the server, sorted the way the terminal client reacts to it:
//! sign in again, show a conflict dialog, go offline and retry, or show the server's sentence.

use reqwest::StatusCode;
use serde::Deserialize;

use crate::api::roles::{ConflictItem, RoleEnvelope};
use crate::api::{codes, AssignmentConflictBody};

#[derive(Clone, Debug, thiserror::Error)]
pub enum ClientError {
    /// 401: the token is missing, expired or revoked, or the password was wrong.
    #[error("unauthorized: {message}")]
    Unauthorized { message: String },
    /// 409 of `POST /api/admin/assignments`: every active assignment in the way.
    #[error("conflict: {}", .0.message)]
    AssignmentConflict(AssignmentConflictBody),
    /// 409 of the role API: the suggestions that would make room, to send back via resolve.
    #[error("conflict: {message}")]
    RoleConflict {
        message: String,
        items: Vec<ConflictItem>,
    },
    /// Any other 409 (licence plate or e-mail taken, vehicle with history, …).
    #[error("conflict: {message}")]
    Conflict { message: String },
    /// Any other 4xx or 5xx.
    #[error("{status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// The server could not be reached (refused, DNS, reset, connect timeout).
    #[error("offline: {message}")]
    Offline { message: String },
    /// Connected, but no complete answer in time.
    #[error("the server did not answer in time")]
    Timeout,
    /// An answer that is not what the contract says (not JSON, wrong shape, a redirect).
    #[error("invalid response: {message}")]
    InvalidResponse { message: String },
    /// The client itself cannot work: a bad base URL, or an HTTP stack that fails to start.
    #[error("client configuration: {message}")]
    Config { message: String },
}

impl ClientError {
    /// Worth sending again later without asking the user: nothing reached a working server.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::Offline { .. } | ClientError::Timeout => true,
            ClientError::Api { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// One sentence for the footer.
    pub fn user_message(&self) -> String {
        match self {
            ClientError::Unauthorized { message }
            | ClientError::RoleConflict { message, .. }
            | ClientError::Conflict { message }
            | ClientError::Offline { message }
            | ClientError::Config { message } => message.clone(),
            ClientError::AssignmentConflict(body) => body.message.clone(),
            ClientError::Api {
                status,
                message,
                request_id,
                ..
            } => match request_id {
                // A 500 says "it has been logged"; the id is what finds the log line.
                Some(id) if *status >= 500 => format!("{message} (request {id})"),
                _ => message.clone(),
            },
            ClientError::Timeout => "The server did not answer in time.".to_string(),
            ClientError::InvalidResponse { message } => {
                format!("The server sent an answer this client does not understand: {message}.")
            }
        }
    }

    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Unauthorized { .. } => Some(401),
            ClientError::AssignmentConflict(_)
            | ClientError::RoleConflict { .. }
            | ClientError::Conflict { .. } => Some(409),
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Sorts a transport failure: nothing came back from the server.
    pub(crate) fn from_transport(error: &reqwest::Error, base_url: &str) -> ClientError {
        let cause = root_cause(error);
        // A connect timeout means the server was never reached: offline, not slow.
        if error.is_connect() {
            return ClientError::Offline {
                message: format!("Cannot reach {base_url}: {cause}."),
            };
        }
        if error.is_timeout() {
            return ClientError::Timeout;
        }
        if error.is_builder() {
            return ClientError::Config {
                message: format!("The request could not be built: {cause}."),
            };
        }
        if error.is_decode() || error.is_redirect() {
            return ClientError::InvalidResponse { message: cause };
        }
        // Reset or closed mid-request or mid-body: the link, not the server's answer.
        ClientError::Offline {
            message: format!("The connection to {base_url} broke: {cause}."),
        }
    }

    /// Turns a non-2xx answer into the error the UI acts on.
    pub(crate) fn from_status(
        status: StatusCode,
        request_id: Option<String>,
        body: &[u8],
    ) -> ClientError {
        let parsed = ErrorShape::parse(body);
        let fallback = || match status.canonical_reason() {
            Some(reason) => format!("The server answered {} {reason}.", status.as_u16()),
            None => format!("The server answered {}.", status.as_u16()),
        };
        match status {
            StatusCode::UNAUTHORIZED => ClientError::Unauthorized {
                message: parsed
                    .message()
                    .unwrap_or_else(|| "Sign in again.".to_string()),
            },
            StatusCode::CONFLICT => match parsed {
                ErrorShape::Assignment(body) => ClientError::AssignmentConflict(body),
                ErrorShape::Envelope(envelope) => {
                    let message = envelope.first_message().to_string();
                    match envelope.items.into_iter().find_map(|item| item.data) {
                        Some(items) => ClientError::RoleConflict { message, items },
                        None => ClientError::Conflict { message },
                    }
                }
                ErrorShape::Fleet(body) => ClientError::Conflict {
                    message: body.message,
                },
                ErrorShape::Unknown => ClientError::Conflict {
                    message: fallback(),
                },
            },
            _ => {
                let code = match &parsed {
                    ErrorShape::Fleet(body) if !body.error.is_empty() => body.error.clone(),
                    ErrorShape::Assignment(body) => body.error.clone(),
                    // The envelope has no machine code; the status gives the same one.
                    _ => code_for(status),
                };
                ClientError::Api {
                    status: status.as_u16(),
                    code,
                    message: parsed.message().unwrap_or_else(fallback),
                    request_id,
                }
            }
        }
    }
}

/// The innermost error's text ("Connection refused (os error 111)"), which says the most.
fn root_cause(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The machine code the fleet API would use for `status`.
fn code_for(status: StatusCode) -> String {
    match status.as_u16() {
        400 | 405 | 422 => codes::VALIDATION.to_string(),
        401 => codes::UNAUTHORIZED.to_string(),
        403 => codes::FORBIDDEN.to_string(),
        404 => codes::NOT_FOUND.to_string(),
        409 => codes::CONFLICT.to_string(),
        408 => codes::TIMEOUT.to_string(),
        413 => codes::PAYLOAD_TOO_LARGE.to_string(),
        429 => codes::RATE_LIMITED.to_string(),
        500 => codes::INTERNAL.to_string(),
        503 => codes::UNAVAILABLE.to_string(),
        other => format!("http_{other}"),
    }
}

/// The fleet error body, lenient: a code may be missing from another backend.
#[derive(Deserialize)]
struct FleetError {
    #[serde(default)]
    error: String,
    message: String,
}

/// The error bodies the two halves of the API send.
enum ErrorShape {
    Assignment(AssignmentConflictBody),
    Envelope(RoleEnvelope),
    Fleet(FleetError),
    Unknown,
}

impl ErrorShape {
    fn parse(body: &[u8]) -> ErrorShape {
        // Most specific first: the assignment conflict is a fleet body plus `conflicts`.
        if let Ok(conflict) = serde_json::from_slice::<AssignmentConflictBody>(body) {
            return ErrorShape::Assignment(conflict);
        }
        if let Ok(envelope) = serde_json::from_slice::<RoleEnvelope>(body) {
            if !envelope.items.is_empty() {
                return ErrorShape::Envelope(envelope);
            }
        }
        if let Ok(fleet) = serde_json::from_slice::<FleetError>(body) {
            return ErrorShape::Fleet(fleet);
        }
        ErrorShape::Unknown
    }

    fn message(&self) -> Option<String> {
        let message = match self {
            ErrorShape::Assignment(body) => body.message.as_str(),
            ErrorShape::Envelope(envelope) => envelope.first_message(),
            ErrorShape::Fleet(body) => body.message.as_str(),
            ErrorShape::Unknown => "",
        };
        (!message.trim().is_empty()).then(|| message.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_error_gets_a_code_from_its_status() {
        let body =
            br#"{"items":[{"message":"No assignment has relId 9.","data":null}],"valid":null}"#;
        let error = ClientError::from_status(StatusCode::NOT_FOUND, None, body);
        assert!(matches!(
            error,
            ClientError::Api { status: 404, ref code, ref message, .. }
                if code == "not_found" && message == "No assignment has relId 9."
        ));
    }

    #[test]
    fn a_role_envelope_without_an_items_field_is_not_an_envelope() {
        let body = br#"{"error":"conflict","message":"The plate is taken."}"#;
        let error = ClientError::from_status(StatusCode::CONFLICT, None, body);
        assert!(
            matches!(error, ClientError::Conflict { ref message } if message == "The plate is taken.")
        );
    }

    #[test]
    fn html_falls_back_to_the_status_text() {
        let error = ClientError::from_status(
            StatusCode::BAD_GATEWAY,
            Some("abc".into()),
            b"<html>bad gateway</html>",
        );
        assert!(error.is_retryable());
        assert_eq!(
            error.user_message(),
            "The server answered 502 Bad Gateway. (request abc)"
        );
    }
}
