//! Extractors and middleware that turn bad input into our error body, never axum's text.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;

use super::error::ApiError;
use super::proxy::{ClientAddr, TrustedProxies};

pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// A JSON body whose errors name the field that is wrong.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::Validation("The request body could not be read.".to_string())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Validation(
            "The request body is empty; a JSON object is expected.".to_string(),
        ));
    }
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::Validation(
            "The request body must be a JSON object.".to_string(),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("The request body is not valid JSON: {inner}.")
        } else if path.is_empty() || path == "." {
            format!("The request body is not the expected JSON object: {inner}.")
        } else {
            format!("Field `{path}` is invalid: {inner}.")
        };
        ApiError::Validation(message)
    })?;
    deserializer.end().map_err(|err| {
        ApiError::Validation(format!("The request body is not valid JSON: {err}."))
    })?;
    Ok(value)
}

/// A positive integer id from the path.
pub struct IdParam(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let invalid =
            || ApiError::Validation("The id in the path must be a positive integer.".to_string());
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid())?;
        raw.parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(IdParam)
            .ok_or_else(invalid)
    }
}

fn acceptable_request_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let fits = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    fits.then(|| text.to_string())
}

/// The request's id, as sent back in `x-request-id`.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Gives every request an id (the caller's, if sane), for the request log's span (see
/// [`trace_layer`]) and the `x-request-id` header of the answer.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The request log: one span per request carrying its id, method, path and client (so every
/// log line of a request names it), and one line at `info` when it is answered, with status
/// and latency.
pub fn trace_layer(
    proxies: TrustedProxies,
) -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    impl Fn(&Request) -> tracing::Span + Clone,
    DefaultOnRequest,
    DefaultOnResponse,
    (),
    (),
    (),
> {
    TraceLayer::new_for_http()
        .make_span_with(move |req: &Request| {
            let id = req
                .extensions()
                .get::<RequestId>()
                .map_or("", |id| id.0.as_str());
            let client = ClientAddr::of(req.extensions(), req.headers(), &proxies).0;
            tracing::info_span!(
                "request",
                id = %id,
                method = %req.method(),
                path = %req.uri().path(),
                client = %client,
            )
        })
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Micros),
        )
        // 5xx are logged by the error mapping with their cause; once is enough.
        .on_failure(())
        .on_body_chunk(())
        .on_eos(())
}
