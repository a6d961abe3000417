//! API keys (API.md §9): made, listed and revoked by their owner, and accepted in place of a
//! sign-in token as `Authorization: Bearer fdk_…` or `X-API-Key: fdk_…`. A key acts as its
//! owner with the owner's permissions as they are at that moment.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{Duration, Utc};

use super::auth::{AuthUser, Session};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, IdParam};
use super::AppState;
use crate::api::access::{ApiKeysEnvelope, CreatedApiKey, NewApiKey};
use crate::api::{ErrorBody, User};
use crate::domain::api_keys::{
    is_api_key, secret_from_bytes, secret_hash, well_formed, SECRET_BYTES,
};
use crate::domain::fleet::{check_text, NAME_MAX};
use crate::store::{Revoked, StoreError, LAST_USED_GRANULARITY_SECONDS};

pub const X_API_KEY: &str = "x-api-key";

/// A live stream opened with a key ends after this long at the latest, so that a client that
/// resumes presents its key again and a revoked one stops there.
const KEY_SESSION_MINUTES: i64 = 5;

fn unauthorized(message: &str) -> ApiError {
    ApiError::Unauthorized(message.to_string())
}

/// The API key a request carries, if it carries one: `X-API-Key`, or a bearer credential
/// with the key prefix. The secret never goes into a message or a log line.
pub fn key_sent(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get(X_API_KEY) else {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, credential) = value.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| credential.trim())
            })
            .filter(|credential| is_api_key(credential));
        return Ok(bearer.map(str::to_string));
    };
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(unauthorized(
            "Send either X-API-Key or an Authorization header, not both.",
        ));
    }
    let secret = value
        .to_str()
        .map_err(|_| unauthorized("The API key is malformed."))?;
    Ok(Some(secret.trim().to_string()))
}

/// The owner of a valid key, read afresh; a revoked, expired, unknown or malformed key is 401.
pub async fn session_for_key(state: &AppState, secret: &str) -> ApiResult<Session> {
    if !well_formed(secret) {
        return Err(unauthorized(
            "The API key is malformed: keys are fdk_ and 64 hex digits.",
        ));
    }
    let holder = state
        .store
        .api_key_holder(&secret_hash(secret))
        .await?
        .ok_or_else(|| unauthorized("The API key is not valid."))?;
    if holder.revoked {
        return Err(unauthorized("The API key was revoked."));
    }
    let now = Utc::now();
    if let Some(expired) = holder.expires_at.filter(|at| *at <= now) {
        return Err(ApiError::Unauthorized(format!(
            "The API key expired at {}.",
            expired.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    let noted_lately = holder
        .last_used_at
        .is_some_and(|at| (now - at).num_seconds() < LAST_USED_GRANULARITY_SECONDS);
    if !noted_lately {
        state.store.note_api_key_use(holder.key_id, now).await?;
    }
    let session_end = now + Duration::minutes(KEY_SESSION_MINUTES);
    Ok(Session {
        user: holder.owner,
        expires_at: holder
            .expires_at
            .map_or(session_end, |at| at.min(session_end)),
    })
}

/// A user signed in with a password (a token), not with an API key: only they make keys, so
/// a leaked key cannot mint a successor that outlives its revocation.
pub struct PasswordSignIn(pub User);

impl FromRequestParts<AppState> for PasswordSignIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let by_key = key_sent(&parts.headers)?.is_some();
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if by_key {
            return Err(ApiError::Forbidden(
                "API keys cannot make API keys; sign in with your password to make one."
                    .to_string(),
            ));
        }
        Ok(PasswordSignIn(user))
    }
}

/// 32 bytes from the operating system's random source, as a secret.
fn new_secret() -> ApiResult<String> {
    let mut bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|err| ApiError::internal(format!("no random: {err}")))?;
    Ok(secret_from_bytes(&bytes))
}

/// Makes an API key for the caller; its secret is in this answer and nowhere else.
#[utoipa::path(
    post,
    path = "/api/auth/keys",
    tag = "auth",
    security(("bearer" = [])),
    request_body = NewApiKey,
    responses(
        (status = 201, description = "Made; `secret` is shown this once.", body = CreatedApiKey),
        (status = 400, description = "A field is missing or invalid (an unknown field too: a key is always the caller's).", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Sent with an API key: keys are made after signing in with a password.", body = ErrorBody),
    )
)]
pub async fn create(
    PasswordSignIn(caller): PasswordSignIn,
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    check_text("name", &new.name, NAME_MAX).map_err(ApiError::Validation)?;
    let now = Utc::now();
    if new.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::Validation(
            "expiresAt must be in the future.".to_string(),
        ));
    }
    let secret = new_secret()?;
    let key = state
        .store
        .create_api_key(
            &caller.actor(),
            &new.name,
            &secret_hash(&secret),
            new.expires_at,
            now,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { key, secret })))
}

/// The caller's keys that are not revoked, newest first.
#[utoipa::path(
    get,
    path = "/api/auth/keys",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's keys, without secrets.", body = ApiKeysEnvelope),
        (status = 401, description = "No valid token or key.", body = ErrorBody),
    )
)]
pub async fn list(
    AuthUser(caller): AuthUser,
    State(state): State<AppState>,
) -> ApiResult<Json<ApiKeysEnvelope>> {
    Ok(Json(ApiKeysEnvelope {
        keys: state.store.list_api_keys(caller.id).await?,
    }))
}

/// Revokes one of the caller's keys, at once on every instance. Revoking it again is a 204.
#[utoipa::path(
    delete,
    path = "/api/auth/keys/{id}",
    tag = "auth",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The key's id.")),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "The id is not a positive integer.", body = ErrorBody),
        (status = 401, description = "No valid token or key.", body = ErrorBody),
        (status = 404, description = "The caller has no key with this id.", body = ErrorBody),
    )
)]
pub async fn revoke(
    AuthUser(caller): AuthUser,
    State(state): State<AppState>,
    IdParam(id): IdParam,
) -> ApiResult<StatusCode> {
    match state
        .store
        .revoke_api_key(&caller.actor(), id, Utc::now())
        .await
    {
        Ok(Revoked::Now | Revoked::Already) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::NotFound) => Err(ApiError::NotFound(format!(
            "You have no API key with id {id}."
        ))),
        Err(err) => Err(err.into()),
    }
}
