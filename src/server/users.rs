//! `/api/admin/users` and `/api/admin/technicians`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::auth::{AdminUser, FleetReader};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, IdParam};
use super::AppState;
use crate::api::ErrorBody;
use crate::api::{NewUser, TechniciansEnvelope, UserEnvelope, UserPatch, UsersEnvelope};
use crate::domain::fleet::{check_email, check_password, check_text, email_key, NAME_MAX};
use crate::store::{StoreError, UserRecord};

fn email_taken(email: &str) -> ApiError {
    ApiError::Conflict(format!(
        "The e-mail address {email} is already used by another user."
    ))
}

/// Every user.
#[utoipa::path(
    get,
    path = "/api/admin/users",
    tag = "fleet",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The users.", body = UsersEnvelope),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn list(_: FleetReader, State(state): State<AppState>) -> ApiResult<Json<UsersEnvelope>> {
    Ok(Json(UsersEnvelope {
        users: state.store.list_users().await?,
    }))
}

/// The technicians, each with the vehicle they hold now, ordered by name.
#[utoipa::path(
    get,
    path = "/api/admin/technicians",
    tag = "fleet",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The technicians.", body = TechniciansEnvelope),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn technicians(
    _: FleetReader,
    State(state): State<AppState>,
) -> ApiResult<Json<TechniciansEnvelope>> {
    Ok(Json(TechniciansEnvelope {
        technicians: state.store.list_technicians().await?,
    }))
}

/// Creates a user.
#[utoipa::path(
    post,
    path = "/api/admin/users",
    tag = "fleet",
    security(("bearer" = [])),
    request_body = NewUser,
    responses(
        (status = 201, description = "Created.", body = UserEnvelope),
        (status = 400, description = "A field is missing or invalid; the message names it.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 409, description = "The e-mail address is taken.", body = ErrorBody),
    )
)]
pub async fn create(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<UserEnvelope>)> {
    check_text("name", &new.name, NAME_MAX).map_err(ApiError::Validation)?;
    check_email(&new.email).map_err(ApiError::Validation)?;
    check_password(&new.password).map_err(ApiError::Validation)?;
    let record = UserRecord {
        email_key: email_key(&new.email),
        password_hash: state.passwords.hash(new.password).await?,
        name: new.name,
        email: new.email,
        role: new.role,
    };
    match state
        .store
        .create_user(&record, Some(&caller.actor()), Utc::now())
        .await
    {
        Ok(user) => Ok((StatusCode::CREATED, Json(UserEnvelope { user }))),
        Err(StoreError::Taken(_)) => Err(email_taken(&record.email)),
        Err(err) => Err(err.into()),
    }
}

/// Changes a user's name, e-mail, password or role.
#[utoipa::path(
    patch,
    path = "/api/admin/users/{id}",
    tag = "fleet",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The user's id.")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "Changed.", body = UserEnvelope),
        (status = 400, description = "A field is invalid; the message names it.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such user.", body = ErrorBody),
        (status = 409, description = "The e-mail address is taken.", body = ErrorBody),
    )
)]
pub async fn update(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    IdParam(id): IdParam,
    ApiJson(patch): ApiJson<UserPatch>,
) -> ApiResult<Json<UserEnvelope>> {
    if let Some(name) = &patch.name {
        check_text("name", name, NAME_MAX).map_err(ApiError::Validation)?;
    }
    if let Some(email) = &patch.email {
        check_email(email).map_err(ApiError::Validation)?;
    }
    let password_hash = match patch.password {
        Some(password) => {
            check_password(&password).map_err(ApiError::Validation)?;
            Some(state.passwords.hash(password).await?)
        }
        None => None,
    };
    let requested_email = patch.email.clone();
    let result = state
        .store
        .update_user(id, Some(&caller.actor()), move |record| {
            if let Some(name) = patch.name.clone() {
                record.name = name;
            }
            if let Some(email) = patch.email.clone() {
                record.email_key = email_key(&email);
                record.email = email;
            }
            if let Some(hash) = password_hash.clone() {
                record.password_hash = hash;
            }
            if let Some(role) = patch.role {
                record.role = role;
            }
        })
        .await;
    // Whatever happened, this instance reads the user afresh from now on.
    state.signed_in.forget(id);
    match result {
        Ok(user) => Ok(Json(UserEnvelope { user })),
        Err(StoreError::NotFound) => Err(ApiError::NotFound(format!("No user has id {id}."))),
        Err(StoreError::Taken(_)) => Err(email_taken(requested_email.as_deref().unwrap_or(""))),
        Err(err) => Err(err.into()),
    }
}
