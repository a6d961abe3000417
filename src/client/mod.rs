//! The HTTP client of the fleetdesk API: one typed method per endpoint, returning the types
//! of [`crate::api`]. Errors come back sorted by what the caller does about them
//! ([`ClientError`]). No UI code here, and nothing from the server or the store.

mod error;
mod events;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::ClientError;
pub use events::{EventStream, StreamItem};

use crate::api::access::{ApiKeysEnvelope, CreatedApiKey, NewApiKey, UsersFound};
use crate::api::events::{ActivityPage, ActivityQuery};
use crate::api::roles::{
    NewOrganization, OrganizationEnvelope, OrganizationsEnvelope, ResolveRequest,
    RoleAssignmentRequest, RoleAssignmentsEnvelope, RoleEnvelope, UserRoles,
};
use crate::api::{
    AssignmentEnvelope, AssignmentStatus, AssignmentsEnvelope, Dashboard, LoginRequest,
    LoginResponse, NewAssignment, NewUser, NewVehicle, ReturnReadings, TechniciansEnvelope,
    UserEnvelope, UserPatch, UsersEnvelope, VehicleEnvelope, VehiclePatch, VehiclesEnvelope,
};

/// Longest wait for a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a whole request, answer included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// A connection to one fleetdesk server, optionally signed in. Cheap to clone: clones share
/// the connection pool, and each has its own copy of the token.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    /// For the event stream: no limit on the whole answer, which never ends.
    stream_http: reqwest::Client,
    /// Validated; its path has no trailing slash (except the root, which Url keeps as "/").
    base: Url,
    /// `base` as text without a trailing slash, for messages and the UI.
    base_text: String,
    token: Option<String>,
}

/// The token stays out of logs and panic messages.
impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base_url", &self.base_text)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A raw answer: status, request id and body bytes.
struct Reply {
    status: StatusCode,
    request_id: Option<String>,
    body: Vec<u8>,
}

impl ApiClient {
    /// A client for the server at `base_url` (`http` or `https`, a path prefix allowed, a
    /// trailing slash tolerated) with `timeout` per request; connecting waits at most
    /// [`CONNECT_TIMEOUT`]. `https` servers are checked against the platform's trust store.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, ClientError> {
        ApiClient::with_ca_file(base_url, timeout, None)
    }

    /// [`ApiClient::new`], also trusting the PEM certificates in `ca_file` (a private CA).
    pub fn with_ca_file(
        base_url: &str,
        timeout: Duration,
        ca_file: Option<&Path>,
    ) -> Result<Self, ClientError> {
        let base = parse_base_url(base_url)?;
        let config_error = |err: reqwest::Error| ClientError::Config {
            message: format!("The HTTP client cannot start: {err}."),
        };
        let certificates = match ca_file {
            Some(path) => read_certificates(path)?,
            None => Vec::new(),
        };
        let http = http_builder(timeout, &certificates)
            .timeout(timeout)
            .build()
            .map_err(config_error)?;
        // The event stream never ends: a silence limit instead of a whole-answer limit.
        let stream_http = http_builder(timeout, &certificates)
            .read_timeout(events::STREAM_SILENCE)
            .build()
            .map_err(config_error)?;
        let base_text = base.as_str().trim_end_matches('/').to_string();
        Ok(ApiClient {
            http,
            stream_http,
            base,
            base_text,
            token: None,
        })
    }

    /// [`ApiClient::new`] with [`DEFAULT_TIMEOUT`].
    pub fn with_default_timeout(base_url: &str) -> Result<Self, ClientError> {
        ApiClient::new(base_url, DEFAULT_TIMEOUT)
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.set_token(token);
        self
    }

    pub fn set_token(&mut self, token: impl Into<String>) {
        self.token = Some(token.into());
    }

    pub fn clear_token(&mut self) {
        self.token = None;
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The server's address without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub fn base_url(&self) -> &str {
        &self.base_text
    }

    // ---- authentication ----

    /// Signs in. Does not keep the token: the caller decides where it goes (`set_token`).
    /// A wrong e-mail or password is [`ClientError::Unauthorized`] with the server's sentence.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginResponse, ClientError> {
        let body = LoginRequest {
            email: email.to_string(),
            password: password.to_string(),
        };
        let url = self.url("/api/auth/login");
        let reply = self
            .send(Method::POST, url, Some(encode(&body)?), false)
            .await?;
        decode_ok("POST /api/auth/login", reply)
    }

    pub async fn me(&self) -> Result<UserEnvelope, ClientError> {
        self.get("/api/auth/me").await
    }

    /// Makes an API key for the signed-in user; the answer holds its secret, shown once.
    pub async fn create_api_key(&self, new: &NewApiKey) -> Result<CreatedApiKey, ClientError> {
        self.json(Method::POST, "/api/auth/keys", new).await
    }

    pub async fn api_keys(&self) -> Result<ApiKeysEnvelope, ClientError> {
        self.get("/api/auth/keys").await
    }

    pub async fn revoke_api_key(&self, id: i64) -> Result<(), ClientError> {
        let url = self.url(&format!("/api/auth/keys/{id}"));
        let reply = self.send(Method::DELETE, url, None, true).await?;
        check_status(reply).map(|_| ())
    }

    // ---- vehicles ----

    pub async fn vehicles(&self) -> Result<VehiclesEnvelope, ClientError> {
        self.get("/api/admin/vehicles").await
    }

    pub async fn vehicle(&self, id: i64) -> Result<VehicleEnvelope, ClientError> {
        self.get(&format!("/api/admin/vehicles/{id}")).await
    }

    pub async fn create_vehicle(&self, new: &NewVehicle) -> Result<VehicleEnvelope, ClientError> {
        self.json(Method::POST, "/api/admin/vehicles", new).await
    }

    pub async fn update_vehicle(
        &self,
        id: i64,
        patch: &VehiclePatch,
    ) -> Result<VehicleEnvelope, ClientError> {
        self.json(Method::PATCH, &format!("/api/admin/vehicles/{id}"), patch)
            .await
    }

    /// A vehicle with assignment history cannot be deleted: [`ClientError::Conflict`].
    pub async fn delete_vehicle(&self, id: i64) -> Result<(), ClientError> {
        let url = self.url(&format!("/api/admin/vehicles/{id}"));
        let reply = self.send(Method::DELETE, url, None, true).await?;
        // 204 has no body; any 2xx will do.
        check_status(reply).map(|_| ())
    }

    // ---- users and technicians ----

    pub async fn users(&self) -> Result<UsersEnvelope, ClientError> {
        self.get("/api/admin/users").await
    }

    pub async fn create_user(&self, new: &NewUser) -> Result<UserEnvelope, ClientError> {
        self.json(Method::POST, "/api/admin/users", new).await
    }

    pub async fn update_user(
        &self,
        id: i64,
        patch: &UserPatch,
    ) -> Result<UserEnvelope, ClientError> {
        self.json(Method::PATCH, &format!("/api/admin/users/{id}"), patch)
            .await
    }

    pub async fn technicians(&self) -> Result<TechniciansEnvelope, ClientError> {
        self.get("/api/admin/technicians").await
    }

    // ---- assignments ----

    /// Newest first. With `limit`, one page: pass the answer's `next_before` as `before`.
    pub async fn assignments(
        &self,
        status: Option<AssignmentStatus>,
        limit: Option<i64>,
        before: Option<i64>,
    ) -> Result<AssignmentsEnvelope, ClientError> {
        let mut query = Vec::new();
        if let Some(status) = status {
            query.push(("status", status.as_str().to_string()));
        }
        if let Some(limit) = limit {
            query.push(("limit", limit.to_string()));
        }
        if let Some(before) = before {
            query.push(("before", before.to_string()));
        }
        let url = with_query(self.url("/api/admin/assignments"), &query);
        let reply = self.send(Method::GET, url, None, true).await?;
        decode_ok("GET /api/admin/assignments", reply)
    }

    pub async fn assignment(&self, id: i64) -> Result<AssignmentEnvelope, ClientError> {
        self.get(&format!("/api/admin/assignments/{id}")).await
    }

    /// A vehicle or technician already busy is [`ClientError::AssignmentConflict`], listing
    /// the assignments in the way; send again with `return_conflicting: true` to replace them.
    pub async fn create_assignment(
        &self,
        new: &NewAssignment,
    ) -> Result<AssignmentEnvelope, ClientError> {
        self.json(Method::POST, "/api/admin/assignments", new).await
    }

    /// Returns an assignment, with the readings taken if any; returning it again is fine (a
    /// retry over a flaky link: the server keeps the first return's readings).
    pub async fn return_assignment(
        &self,
        id: i64,
        readings: &ReturnReadings,
    ) -> Result<AssignmentEnvelope, ClientError> {
        let path = format!("/api/admin/assignments/{id}/return");
        let url = self.url(&path);
        let body = if readings.is_empty() {
            None
        } else {
            Some(encode(readings)?)
        };
        let reply = self.send(Method::PATCH, url, body, true).await?;
        match decode_ok::<AssignmentEnvelope>(&format!("PATCH {path}"), reply) {
            // API.md §3: a backend following seed 001 answers 409 for "already returned";
            // the record says whether that is what happened.
            Err(conflict @ ClientError::Conflict { .. }) => {
                let current = self.assignment(id).await?;
                if current.assignment.status == AssignmentStatus::Returned {
                    Ok(current)
                } else {
                    Err(conflict)
                }
            }
            other => other,
        }
    }

    pub async fn dashboard(&self) -> Result<Dashboard, ClientError> {
        self.get("/api/admin/dashboard").await
    }

    // ---- organizations and role assignments ----

    pub async fn organizations(&self) -> Result<OrganizationsEnvelope, ClientError> {
        self.get("/api/organizations").await
    }

    pub async fn create_organization(
        &self,
        new: &NewOrganization,
    ) -> Result<OrganizationEnvelope, ClientError> {
        self.json(Method::POST, "/api/organizations", new).await
    }

    /// One user's roles, grouped by role as in seed 002.
    pub async fn user_roles(&self, user_id: i64) -> Result<UserRoles, ClientError> {
        self.get(&format!("/api/users/{user_id}")).await
    }

    pub async fn role_assignments(
        &self,
        user_id: Option<i64>,
        organization_id: Option<&str>,
    ) -> Result<RoleAssignmentsEnvelope, ClientError> {
        let mut query = Vec::new();
        if let Some(user_id) = user_id {
            query.push(("userId", user_id.to_string()));
        }
        if let Some(organization_id) = organization_id {
            query.push(("organizationId", organization_id.to_string()));
        }
        let url = with_query(self.url("/api/users/assignments"), &query);
        let reply = self.send(Method::GET, url, None, true).await?;
        decode_ok("GET /api/users/assignments", reply)
    }

    /// The role assignments in an organization and in every organization below it.
    pub async fn role_assignments_below(
        &self,
        organization_id: &str,
    ) -> Result<RoleAssignmentsEnvelope, ClientError> {
        let query = [
            ("organizationId", organization_id.to_string()),
            ("includeDescendants", "true".to_string()),
        ];
        let url = with_query(self.url("/api/users/assignments"), &query);
        let reply = self.send(Method::GET, url, None, true).await?;
        decode_ok("GET /api/users/assignments", reply)
    }

    /// Users by name or e-mail, best match first (fleet admins: everyone; organization
    /// administrators: the people of what they administer, and anyone by exact e-mail).
    pub async fn search_users(&self, query: &str, limit: i64) -> Result<UsersFound, ClientError> {
        let pairs = [("query", query.to_string()), ("limit", limit.to_string())];
        let url = with_query(self.url("/api/users"), &pairs);
        let reply = self.send(Method::GET, url, None, true).await?;
        decode_ok("GET /api/users", reply)
    }

    /// Creates (no `rel_id`) or edits a role assignment. Overlapping dates are
    /// [`ClientError::RoleConflict`]; its items, perhaps edited, go to `resolve_role_conflict`.
    pub async fn save_role_assignment(
        &self,
        request: &RoleAssignmentRequest,
    ) -> Result<RoleEnvelope, ClientError> {
        self.json(Method::POST, "/api/users/assignment", request)
            .await
    }

    /// Applies a resolution and the request in one transaction; a stale one is a fresh
    /// [`ClientError::RoleConflict`] and nothing is applied.
    pub async fn resolve_role_conflict(
        &self,
        resolve: &ResolveRequest,
    ) -> Result<RoleEnvelope, ClientError> {
        self.json(Method::POST, "/api/users/assignment/resolve", resolve)
            .await
    }

    pub async fn delete_role_assignment(&self, rel_id: i64) -> Result<RoleEnvelope, ClientError> {
        let path = format!("/api/users/assignment/{rel_id}");
        let reply = self
            .send(Method::DELETE, self.url(&path), None, true)
            .await?;
        decode_ok(&format!("DELETE {path}"), reply)
    }

    // ---- events ----

    /// The live stream of changes: from now on, or replaying everything after `after` first.
    pub fn events(&self, after: Option<i64>) -> EventStream {
        EventStream::new(self.clone(), after)
    }

    /// The activity log, newest first; pass the answer's `next_before` as `before` to page on.
    pub async fn activity(&self, query: &ActivityQuery) -> Result<ActivityPage, ClientError> {
        let mut pairs = Vec::new();
        let ids = [
            ("limit", query.limit),
            ("before", query.before),
            ("vehicleId", query.vehicle_id),
            ("technicianId", query.technician_id),
            ("userId", query.user_id),
            ("actorId", query.actor_id),
        ];
        for (name, value) in ids {
            if let Some(value) = value {
                pairs.push((name, value.to_string()));
            }
        }
        if let Some(kind) = query.kind {
            pairs.push(("kind", kind.as_str().to_string()));
        }
        for (name, at) in [("since", query.since), ("until", query.until)] {
            if let Some(at) = at {
                pairs.push((name, at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
            }
        }
        let url = with_query(self.url("/api/admin/activity"), &pairs);
        let reply = self.send(Method::GET, url, None, true).await?;
        decode_ok("GET /api/admin/activity", reply)
    }

    // ---- plumbing ----

    fn url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{path}", self.base.path().trim_end_matches('/'));
        url.set_path(&joined);
        url
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let reply = self.send(Method::GET, self.url(path), None, true).await?;
        decode_ok(&format!("GET {path}"), reply)
    }

    async fn json<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let what = format!("{method} {path}");
        let reply = self
            .send(method, self.url(path), Some(encode(body)?), true)
            .await?;
        decode_ok(&what, reply)
    }

    /// Sends one request and reads the whole answer, whatever its status.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        authorized: bool,
    ) -> Result<Reply, ClientError> {
        let mut request = self
            .http
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json");
        if authorized {
            if let Some(token) = &self.token {
                // A token that cannot even be a header (a damaged keyring entry) is as good
                // as none: the UI asks to sign in again.
                let mut value =
                    HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                        ClientError::Unauthorized {
                            message: "The saved token is not usable; sign in again.".to_string(),
                        }
                    })?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let transport = |err: reqwest::Error| ClientError::from_transport(&err, &self.base_text);
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or("elsewhere");
            return Err(ClientError::InvalidResponse {
                message: format!(
                    "the server redirects to {location}; check the server address ({})",
                    self.base_text
                ),
            });
        }
        let body = response.bytes().await.map_err(transport)?.to_vec();
        Ok(Reply {
            status,
            request_id,
            body,
        })
    }
}

/// What every connection to the server shares (TLS, timeouts, redirects, user agent).
/// `https` servers are checked against the platform's trust store and `certificates`.
fn http_builder(
    timeout: Duration,
    certificates: &[reqwest::Certificate],
) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        // Finds a dead link (a laptop that slept, a dropped VPN) before the OS would.
        .tcp_keepalive(Duration::from_secs(30))
        // Drop idle connections before the server's idle timeout (60 s by default) does,
        // so a request never goes out on a connection the server is closing.
        .pool_idle_timeout(Duration::from_secs(30))
        // A redirect would turn a POST into a GET and drop the token on another host;
        // better to say that the address is wrong.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("fleetdesk/", env!("CARGO_PKG_VERSION")));
    if certificates.is_empty() {
        builder
    } else {
        builder.tls_certs_merge(certificates.iter().cloned())
    }
}

/// The certificates of a PEM file (a CA, or a bundle of them).
fn read_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let config = |why: String| ClientError::Config {
        message: format!("The CA file {} {why}.", path.display()),
    };
    let pem = std::fs::read(path).map_err(|err| config(format!("cannot be read: {err}")))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|err| config(format!("is not PEM: {err}")))?;
    if certificates.is_empty() {
        return Err(config(
            "holds no certificate (-----BEGIN CERTIFICATE-----)".to_string(),
        ));
    }
    Ok(certificates)
}

/// Checks and normalises the server address.
fn parse_base_url(text: &str) -> Result<Url, ClientError> {
    let text = text.trim();
    let invalid = |why: &str| ClientError::Config {
        message: format!("The server address {text:?} is not usable: {why}."),
    };
    let mut url = Url::parse(text).map_err(|err| invalid(&err.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("it must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it may not have a query or a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it may not carry a user name or password (sign in instead)",
        ));
    }
    let path = url.path().trim_end_matches('/').to_string();
    url.set_path(&path);
    Ok(url)
}

fn with_query(mut url: Url, pairs: &[(&str, String)]) -> Url {
    // Only when there is something: an empty `query_pairs_mut` leaves a bare "?".
    if !pairs.is_empty() {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    url
}

fn encode<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(body).map_err(|err| ClientError::Config {
        message: format!("The request could not be encoded: {err}."),
    })
}

/// A 2xx reply, or the error its status and body stand for.
fn check_status(reply: Reply) -> Result<Reply, ClientError> {
    if reply.status.is_success() {
        Ok(reply)
    } else {
        Err(ClientError::from_status(
            reply.status,
            reply.request_id,
            &reply.body,
        ))
    }
}

/// The body of a 2xx reply as `T`; `what` ("GET /api/…") goes into the message otherwise.
fn decode_ok<T: DeserializeOwned>(what: &str, reply: Reply) -> Result<T, ClientError> {
    let reply = check_status(reply)?;
    let invalid = |detail: String| ClientError::InvalidResponse {
        message: format!("{what} answered {}: {detail}", reply.status.as_u16()),
    };
    let mut deserializer = serde_json::Deserializer::from_slice(&reply.body);
    // The path ("vehicles[3].createdAt") says which field did not fit.
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|err| invalid(err.to_string()))?;
    deserializer.end().map_err(|err| invalid(err.to_string()))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        let client = ApiClient::new("http://127.0.0.1:8080/", DEFAULT_TIMEOUT).expect("valid");
        assert_eq!(client.base_url(), "http://127.0.0.1:8080");
        assert_eq!(
            client.url("/api/auth/me").as_str(),
            "http://127.0.0.1:8080/api/auth/me"
        );
        let prefixed =
            ApiClient::new(" https://depot.example/fleet// ", DEFAULT_TIMEOUT).expect("valid");
        assert_eq!(prefixed.base_url(), "https://depot.example/fleet");
        assert_eq!(
            prefixed.url("/api/auth/me").as_str(),
            "https://depot.example/fleet/api/auth/me"
        );
    }

    #[test]
    fn unusable_base_urls_are_refused() {
        for bad in [
            "",
            "127.0.0.1:8080",
            "ftp://depot.example",
            "http://depot.example/?x=1",
            "http://user:pw@depot.example",
            "file:///tmp/x",
        ] {
            let result = ApiClient::new(bad, DEFAULT_TIMEOUT);
            assert!(
                matches!(result, Err(ClientError::Config { .. })),
                "{bad:?}: {result:?}"
            );
        }
    }

    #[test]
    fn queries_are_encoded_and_only_added_when_given() {
        let client = ApiClient::new("http://h", DEFAULT_TIMEOUT).expect("valid");
        let bare = with_query(client.url("/api/users/assignments"), &[]);
        assert_eq!(bare.as_str(), "http://h/api/users/assignments");
        let query = with_query(
            client.url("/api/users/assignments"),
            &[("organizationId", "a b&c".to_string())],
        );
        assert_eq!(
            query.as_str(),
            "http://h/api/users/assignments?organizationId=a+b%26c"
        );
    }
}
