//! Sign-in: Argon2id password hashes, HS256 tokens with an expiry, and a limit on failures.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::Json;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use super::proxy::ClientAddr;
use super::AppState;
use crate::api::ErrorBody;
use crate::api::{LoginRequest, LoginResponse, SystemRole, User, UserEnvelope};
use crate::domain::fleet::{email_key, EMAIL_MAX, PASSWORD_MAX};

/// Hashes with Argon2id (the crate's default parameters). CPU-heavy: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String, String> {
    // The salt comes from the operating system's random source (argon2's `getrandom`).
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash: PasswordHash| hash.to_string())
        .map_err(|err| format!("could not hash the password: {err}"))
}

/// Also verifies hashes made by older versions: the PHC string carries its own parameters.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Runs Argon2 on blocking threads, at most `concurrency` at once, so a flood of sign-ins
/// cannot take every core from the rest of the API. Others wait in line at most `wait`.
pub struct PasswordGate {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl PasswordGate {
    pub fn new(concurrency: usize, wait: Duration) -> PasswordGate {
        PasswordGate {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            wait,
        }
    }

    /// `work` on a blocking thread once a slot is free; 503 when none frees up in time.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let slot = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => slot,
            Ok(Err(closed)) => return Err(ApiError::internal(closed)),
            Err(_) => {
                return Err(ApiError::Unavailable {
                    message: "The server is busy checking other passwords; try again in a second."
                        .to_string(),
                    retry_after_seconds: 1,
                })
            }
        };
        // The slot goes with the work: a caller that gives up does not free the core early.
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(ApiError::internal)
    }

    pub async fn hash(&self, password: String) -> ApiResult<String> {
        self.run(move || hash_password(&password))
            .await?
            .map_err(ApiError::internal)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
}

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// A token for `user_id` valid for `ttl` from now; also returns its expiry.
    pub fn issue(&self, user_id: i64) -> ApiResult<(String, chrono::DateTime<Utc>)> {
        let now = Utc::now();
        let ttl = chrono::Duration::from_std(self.ttl).map_err(ApiError::internal)?;
        let expires_at = now + ttl;
        self.issue_with_times(user_id, now.timestamp(), expires_at.timestamp())
            .map(|token| (token, expires_at))
    }

    pub fn issue_with_times(&self, user_id: i64, iat: i64, exp: i64) -> ApiResult<String> {
        let claims = Claims {
            sub: user_id.to_string(),
            iat,
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// The user id and the expiry (seconds since the epoch) of a valid token.
    fn verify(&self, token: &str) -> Option<(i64, i64)> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        Some((data.claims.sub.parse().ok()?, data.claims.exp))
    }
}

const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_FAILURES_PER_EMAIL: u32 = 5;
const MAX_FAILURES_PER_ADDRESS: u32 = 30;
const PRUNE_ABOVE_KEYS: usize = 10_000;

#[derive(Clone, Copy)]
struct FailureWindow {
    count: u32,
    started: Instant,
}

/// Counts failed sign-ins per e-mail and per client address within a window.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, FailureWindow>>,
}

impl LoginLimiter {
    fn keys(email: &str, address: IpAddr) -> [(String, u32); 2] {
        [
            (
                format!("email:{}", email_key(email)),
                MAX_FAILURES_PER_EMAIL,
            ),
            (format!("address:{address}"), MAX_FAILURES_PER_ADDRESS),
        ]
    }

    /// Seconds to wait, when either key has used up its failures.
    fn blocked_for(&self, email: &str, address: IpAddr) -> Option<u64> {
        let failures = self.failures.lock().ok()?;
        Self::keys(email, address)
            .iter()
            .filter_map(|(key, max)| {
                let window = failures.get(key)?;
                let elapsed = window.started.elapsed();
                (window.count >= *max && elapsed < FAILURE_WINDOW)
                    .then(|| (FAILURE_WINDOW - elapsed).as_secs().max(1))
            })
            .max()
    }

    fn record_failure(&self, email: &str, address: IpAddr) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > PRUNE_ABOVE_KEYS {
            failures.retain(|_, window| window.started.elapsed() < FAILURE_WINDOW);
        }
        for (key, _) in Self::keys(email, address) {
            let window = failures.entry(key).or_insert(FailureWindow {
                count: 0,
                started: Instant::now(),
            });
            if window.started.elapsed() >= FAILURE_WINDOW {
                *window = FailureWindow {
                    count: 0,
                    started: Instant::now(),
                };
            }
            window.count += 1;
        }
    }

    fn record_success(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&format!("email:{}", email_key(email)));
        }
    }
}

const WRONG_CREDENTIALS: &str = "Wrong e-mail or password.";

/// Signs in with e-mail and password.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in: a bearer token and its expiry.", body = LoginResponse),
        (status = 400, description = "A field is missing or not a string.", body = ErrorBody),
        (status = 401, description = "Wrong e-mail or password (one answer for both).", body = ErrorBody),
        (status = 429, description = "Too many failed attempts for this e-mail or address; see `Retry-After`.", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    // No stored e-mail is that long or holds control characters (PostgreSQL refuses NUL).
    if request.email.chars().count() > EMAIL_MAX
        || request.email.chars().any(char::is_control)
        || request.password.chars().count() > PASSWORD_MAX
    {
        return Err(ApiError::Unauthorized(WRONG_CREDENTIALS.to_string()));
    }
    if let Some(retry_after_seconds) = state.limiter.blocked_for(&request.email, address) {
        return Err(ApiError::RateLimited {
            retry_after_seconds,
        });
    }
    let found = state.store.find_login(&email_key(&request.email)).await?;
    // Unknown e-mails are checked against a dummy hash so the timing does not tell.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, state.dummy_hash.clone()),
    };
    let password = request.password.clone();
    let matches = state
        .passwords
        .run(move || verify_password(&password, &hash))
        .await?;
    let user = match (user, matches) {
        (Some(user), true) => user,
        _ => {
            state.limiter.record_failure(&request.email, address);
            return Err(ApiError::Unauthorized(WRONG_CREDENTIALS.to_string()));
        }
    };
    state.limiter.record_success(&request.email);
    let (token, expires_at) = state.tokens.issue(user.id)?;
    Ok(Json(LoginResponse {
        token,
        expires_at,
        user,
    }))
}

/// The signed-in user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The signed-in user.", body = UserEnvelope),
        (status = 401, description = "No valid token.", body = ErrorBody),
    )
)]
pub async fn me(AuthUser(user): AuthUser) -> Json<UserEnvelope> {
    Json(UserEnvelope { user })
}

/// Any signed-in user. The user is read afresh, so a changed role counts at once.
pub struct AuthUser(pub User);

/// A signed-in user whose system role is `admin`: the one who may change the fleet.
pub struct AdminUser(pub User);

/// A signed-in user who may read the fleet: `admin` or `viewer` (API.md §8).
pub struct FleetReader(pub User);

/// A signed-in user and when their sign-in ends (the live stream closes then).
pub struct Session {
    pub user: User,
    pub expires_at: chrono::DateTime<Utc>,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(secret) = super::api_keys::key_sent(&parts.headers)? {
            return super::api_keys::session_for_key(state, &secret).await;
        }
        let header = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
            ApiError::Unauthorized("Sign in first: no bearer token was sent.".to_string())
        })?;
        let token = header
            .to_str()
            .ok()
            .and_then(|value| {
                // The scheme is case-insensitive (RFC 9110).
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then_some(token)
            })
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "The Authorization header must be `Bearer <token>`.".to_string(),
                )
            })?;
        let invalid = || {
            ApiError::Unauthorized(
                "The token is invalid or has expired; sign in again.".to_string(),
            )
        };
        let (user_id, exp) = state.tokens.verify(token).ok_or_else(invalid)?;
        let user = state
            .signed_in
            .get(&state.store, user_id)
            .await?
            .ok_or_else(invalid)?;
        let expires_at = chrono::DateTime::from_timestamp(exp, 0).ok_or_else(invalid)?;
        Ok(Session { user, expires_at })
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Session { user, .. } = Session::from_request_parts(parts, state).await?;
        Ok(AuthUser(user))
    }
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        match user.role {
            SystemRole::Admin => Ok(AdminUser(user)),
            SystemRole::Viewer => Err(ApiError::Forbidden(
                "This account is read-only: a viewer may look at everything but change nothing."
                    .to_string(),
            )),
            SystemRole::Technician => Err(ApiError::Forbidden(
                "This needs an admin account.".to_string(),
            )),
        }
    }
}

impl FromRequestParts<AppState> for FleetReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let AuthUser(user) = AuthUser::from_request_parts(parts, state).await?;
        if !user.role.reads_fleet() {
            return Err(ApiError::Forbidden(
                "This needs an admin or viewer account.".to_string(),
            ));
        }
        Ok(FleetReader(user))
    }
}

#[cfg(test)]
mod tests {
    use super::{hash_password, verify_password};

    /// Made by argon2 0.5.3 with its default parameters, as every stored hash before the
    /// upgrade to 0.6 was; a database keeps such hashes for years.
    const HASH_FROM_ARGON2_0_5: &str = "$argon2id$v=19$m=19456,t=2,p=1$i75kVnGYwXbst5fHvCiPVA$\
                                        ecVHdNfMXs570n0Oi9JeyxrBLw1XM15bagcOdKMkg7w";

    #[test]
    fn a_hash_made_by_the_previous_argon2_still_verifies() {
        assert!(verify_password("made-by-argon2-0.5", HASH_FROM_ARGON2_0_5));
        assert!(!verify_password("made-by-argon2-0.6", HASH_FROM_ARGON2_0_5));
    }

    #[test]
    fn new_hashes_keep_the_same_algorithm_and_parameters() {
        let hash = hash_password("a new password").expect("hashes");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("a new password", &hash));
        assert!(!verify_password("another password", &hash));
        assert!(!verify_password("a new password", "not a hash"));
    }
}
