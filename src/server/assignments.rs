//! `/api/admin/assignments` and `/api/admin/dashboard` (seeds 000 and 001).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::auth::{AdminUser, FleetReader};
use super::error::{ApiError, ApiResult};
use super::extract::{parse_json, ApiJson, IdParam};
use super::AppState;
use crate::api::{
    AssignmentConflict, AssignmentEnvelope, AssignmentStatus, AssignmentsEnvelope, ConflictReason,
    Dashboard, NewAssignment, Paging, ReturnReadings,
};
use crate::api::{AssignmentConflictBody, ErrorBody};
use crate::domain::fleet::{check_id, check_note, check_odometer, PAGE_LIMIT_MAX};
use crate::store::{AssignmentQuery, CreateAssignmentOutcome, StoreError};

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("No assignment has id {id}."))
}

fn parse_query(params: &HashMap<String, String>) -> ApiResult<AssignmentQuery> {
    let status = match params.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(text) => Some(AssignmentStatus::parse(text).ok_or_else(|| {
            ApiError::Validation(format!(
                "status must be `active` or `returned`, not {text:?}."
            ))
        })?),
    };
    let limit = match params.get("limit") {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|limit| (1..=PAGE_LIMIT_MAX).contains(limit))
                .ok_or_else(|| {
                    ApiError::Validation(format!(
                        "limit must be a whole number from 1 to {PAGE_LIMIT_MAX}."
                    ))
                })?,
        ),
    };
    let before = match params.get("before") {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| {
                    ApiError::Validation("before must be an assignment id.".to_string())
                })?,
        ),
    };
    Ok(AssignmentQuery {
        status,
        limit,
        before,
    })
}

/// Assignments, newest first; `limit` and `before` page through history.
#[utoipa::path(
    get,
    path = "/api/admin/assignments",
    tag = "fleet",
    security(("bearer" = [])),
    params(
        ("status" = Option<AssignmentStatus>, Query, description = "Only active or only returned ones."),
        ("limit" = Option<i64>, Query, description = "Page size, 1 to 1000; the answer then has `nextBefore`."),
        ("before" = Option<i64>, Query, description = "An assignment id: the page after it."),
    ),
    responses(
        (status = 200, description = "The assignments.", body = AssignmentsEnvelope),
        (status = 400, description = "A query parameter is invalid.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn list(
    _: FleetReader,
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<AssignmentsEnvelope>> {
    let query = parse_query(&params)?;
    // One row more than asked tells whether another page follows.
    let fetch = AssignmentQuery {
        limit: query.limit.map(|limit| limit + 1),
        ..query
    };
    let mut assignments = match state.store.list_assignments(fetch).await {
        Ok(rows) => rows,
        Err(StoreError::NotFound) => {
            return Err(ApiError::Validation(format!(
                "before names no assignment: {}.",
                query.before.unwrap_or_default()
            )))
        }
        Err(err) => return Err(err.into()),
    };
    let next_before = match query.limit {
        None => Paging::Unpaged,
        Some(limit) => {
            let limit = usize::try_from(limit).map_err(ApiError::internal)?;
            if assignments.len() > limit {
                assignments.truncate(limit);
                assignments
                    .last()
                    .map_or(Paging::LastPage, |last| Paging::NextBefore(last.id))
            } else {
                Paging::LastPage
            }
        }
    };
    Ok(Json(AssignmentsEnvelope {
        assignments,
        next_before,
    }))
}

/// One assignment.
#[utoipa::path(
    get,
    path = "/api/admin/assignments/{id}",
    tag = "fleet",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The assignment's id.")),
    responses(
        (status = 200, description = "The assignment.", body = AssignmentEnvelope),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such assignment.", body = ErrorBody),
    )
)]
pub async fn get(
    _: FleetReader,
    State(state): State<AppState>,
    IdParam(id): IdParam,
) -> ApiResult<Json<AssignmentEnvelope>> {
    let assignment = state
        .store
        .get_assignment(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Json(AssignmentEnvelope { assignment }))
}

fn describe(conflict: &AssignmentConflict) -> String {
    match (conflict.reason, &conflict.assignment, &conflict.vehicle) {
        (ConflictReason::VehicleBusy, Some(assignment), _) => format!(
            "{} is already with {} (assignment {})",
            assignment.vehicle.name, assignment.technician.name, assignment.id
        ),
        (ConflictReason::TechnicianBusy, Some(assignment), _) => format!(
            "{} already has {} (assignment {})",
            assignment.technician.name, assignment.vehicle.name, assignment.id
        ),
        (ConflictReason::VehicleUnavailable, _, Some(vehicle)) => {
            let mut text = format!("{} is {}", vehicle.name, vehicle.service_status.label());
            if let Some(note) = &vehicle.status_note {
                text.push_str(&format!(" ({note})"));
            }
            text
        }
        _ => "something stands in the way".to_string(),
    }
}

/// Assigns a vehicle to a technician.
#[utoipa::path(
    post,
    path = "/api/admin/assignments",
    tag = "fleet",
    security(("bearer" = [])),
    request_body = NewAssignment,
    responses(
        (status = 201, description = "Assigned.", body = AssignmentEnvelope),
        (status = 400, description = "A field is invalid, or the vehicle or technician does not exist.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 409, description = "The vehicle or the technician already has an active assignment, or the vehicle is not in service; everything in the way is listed.", body = AssignmentConflictBody),
    )
)]
pub async fn create(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewAssignment>,
) -> ApiResult<(StatusCode, Json<AssignmentEnvelope>)> {
    check_id("vehicleId", new.vehicle_id).map_err(ApiError::Validation)?;
    check_id("technicianId", new.technician_id).map_err(ApiError::Validation)?;
    let outcome = state
        .store
        .create_assignment(
            new.vehicle_id,
            new.technician_id,
            new.return_conflicting,
            Some(&caller.actor()),
            Utc::now(),
        )
        .await;
    match outcome {
        Ok(CreateAssignmentOutcome::Created(assignment)) => Ok((
            StatusCode::CREATED,
            Json(AssignmentEnvelope {
                assignment: *assignment,
            }),
        )),
        Ok(CreateAssignmentOutcome::NoVehicle) => Err(ApiError::Validation(format!(
            "vehicleId {} names no vehicle.",
            new.vehicle_id
        ))),
        Ok(CreateAssignmentOutcome::NoTechnician) => Err(ApiError::Validation(format!(
            "technicianId {} names no user.",
            new.technician_id
        ))),
        Ok(CreateAssignmentOutcome::NotATechnician(user)) => Err(ApiError::Validation(format!(
            "technicianId {}: {} is not a technician.",
            new.technician_id, user.name
        ))),
        Ok(CreateAssignmentOutcome::Busy(conflicts)) => {
            let reasons: Vec<String> = conflicts.iter().map(describe).collect();
            Err(ApiError::AssignmentConflict {
                message: format!("Cannot assign: {}.", reasons.join("; ")),
                conflicts,
            })
        }
        // The vehicle or the user was removed between the checks and the insert.
        Err(StoreError::NotFound) => Err(ApiError::Validation(
            "The vehicle or the technician no longer exists.".to_string(),
        )),
        Err(err) => Err(err.into()),
    }
}

/// Returns an assignment; returning it again answers the same record.
#[utoipa::path(
    patch,
    path = "/api/admin/assignments/{id}/return",
    tag = "fleet",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The assignment's id.")),
    request_body(content = Option<ReturnReadings>, description = "Optional readings: the odometer and a note."),
    responses(
        (status = 200, description = "Returned (or already returned, with the first return's readings).", body = AssignmentEnvelope),
        (status = 400, description = "A reading is invalid, or below the vehicle's last one; the message says which.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such assignment.", body = ErrorBody),
    )
)]
pub async fn return_assignment(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    IdParam(id): IdParam,
    body: Bytes,
) -> ApiResult<Json<AssignmentEnvelope>> {
    // No body is the seed's return; a body holds the readings.
    let readings: ReturnReadings = if body.iter().all(u8::is_ascii_whitespace) {
        ReturnReadings::default()
    } else {
        parse_json(&body)?
    };
    if let Some(reading) = readings.odometer_km {
        check_odometer(reading).map_err(ApiError::Validation)?;
    }
    check_note("note", readings.note.as_deref()).map_err(ApiError::Validation)?;
    let returned = state
        .store
        .return_assignment(id, &readings, Some(&caller.actor()), Utc::now())
        .await;
    match returned {
        Ok(Some(assignment)) => Ok(Json(AssignmentEnvelope { assignment })),
        Ok(None) => Err(not_found(id)),
        Err(StoreError::OdometerBelow(last)) => Err(ApiError::Validation(format!(
            "odometerKm {} is below the vehicle's last reading of {last} km.",
            readings.odometer_km.unwrap_or_default()
        ))),
        Err(err) => Err(err.into()),
    }
}

/// Counts at request time.
#[utoipa::path(
    get,
    path = "/api/admin/dashboard",
    tag = "fleet",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts.", body = Dashboard),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn dashboard(
    _: FleetReader,
    State(state): State<AppState>,
) -> ApiResult<Json<Dashboard>> {
    Ok(Json(Dashboard {
        summary: state.store.dashboard().await?,
    }))
}
