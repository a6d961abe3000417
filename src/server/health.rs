//! `GET /healthz` and `GET /readyz`: for a service manager, a load balancer or a reverse proxy.
//! No authentication.

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// Longest wait for the database before `/readyz` says it is not ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`; `ready`; or why not ready: `draining`, `database_unavailable`.
    pub status: &'static str,
}

/// 200 while the process runs.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process runs.", body = Health))
)]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// 200 when the database answers; 503 while it does not, or while the server shuts down.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready: the database answers.", body = Health),
        (status = 503, description = "Not ready: shutting down (`draining`) or the database does not answer (`database_unavailable`).", body = Health),
    )
)]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let unavailable = |status| (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status }));
    if state.draining.load(Ordering::Relaxed) {
        return unavailable("draining");
    }
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, Json(Health { status: "ready" })),
        Ok(Err(err)) => {
            tracing::warn!(%err, "not ready: the database does not answer");
            unavailable("database_unavailable")
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within {READY_TIMEOUT:?}");
            unavailable("database_unavailable")
        }
    }
}
