//! `/api/admin/users` and `/api/admin/technicians`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::auth::{hash_password_blocking, AdminUser};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, IdParam};
use super::AppState;
use crate::api::{NewUser, TechniciansEnvelope, UserEnvelope, UserPatch, UsersEnvelope};
use crate::domain::fleet::{check_email, check_password, check_text, email_key, NAME_MAX};
use crate::store::{StoreError, UserRecord};

fn email_taken(email: &str) -> ApiError {
    ApiError::Conflict(format!(
        "The e-mail address {email} is already used by another user."
    ))
}

pub async fn list(_: AdminUser, State(state): State<AppState>) -> ApiResult<Json<UsersEnvelope>> {
    Ok(Json(UsersEnvelope {
        users: state.store.list_users().await?,
    }))
}

pub async fn technicians(
    _: AdminUser,
    State(state): State<AppState>,
) -> ApiResult<Json<TechniciansEnvelope>> {
    Ok(Json(TechniciansEnvelope {
        technicians: state.store.list_technicians().await?,
    }))
}

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
        password_hash: hash_password_blocking(new.password).await?,
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
            Some(hash_password_blocking(password).await?)
        }
        None => None,
    };
    let requested_email = patch.email.clone();
    let result = state
        .store
        .update_user(id, Some(&caller.actor()), move |record| {
            if let Some(name) = patch.name {
                record.name = name;
            }
            if let Some(email) = patch.email {
                record.email_key = email_key(&email);
                record.email = email;
            }
            if let Some(hash) = password_hash {
                record.password_hash = hash;
            }
            if let Some(role) = patch.role {
                record.role = role;
            }
        })
        .await;
    match result {
        Ok(user) => Ok(Json(UserEnvelope { user })),
        Err(StoreError::NotFound) => Err(ApiError::NotFound(format!("No user has id {id}."))),
        Err(StoreError::Taken(_)) => Err(email_taken(requested_email.as_deref().unwrap_or(""))),
        Err(err) => Err(err.into()),
    }
}
