//! `/api/admin/vehicles`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;

use super::auth::{AdminUser, FleetReader};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, IdParam};
use super::AppState;
use crate::api::ErrorBody;
use crate::api::{NewVehicle, VehicleEnvelope, VehiclePatch, VehiclesEnvelope};
use crate::domain::fleet::{
    check_note, check_optional_text, check_plate, check_text, check_year, plate_key,
    MAKE_MODEL_MAX, NAME_MAX,
};
use crate::store::{StoreError, VehicleRecord};

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("No vehicle has id {id}."))
}

fn plate_taken(plate: &str) -> ApiError {
    ApiError::Conflict(format!(
        "The licence plate {plate} is already used by another vehicle."
    ))
}

/// Every vehicle with its active assignment, ordered by name.
#[utoipa::path(
    get,
    path = "/api/admin/vehicles",
    tag = "fleet",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The vehicles.", body = VehiclesEnvelope),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
    )
)]
pub async fn list(
    _: FleetReader,
    State(state): State<AppState>,
) -> ApiResult<Json<VehiclesEnvelope>> {
    Ok(Json(VehiclesEnvelope {
        vehicles: state.store.list_vehicles().await?,
    }))
}

/// One vehicle.
#[utoipa::path(
    get,
    path = "/api/admin/vehicles/{id}",
    tag = "fleet",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The vehicle's id.")),
    responses(
        (status = 200, description = "The vehicle.", body = VehicleEnvelope),
        (status = 400, description = "The id is not a positive integer.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such vehicle.", body = ErrorBody),
    )
)]
pub async fn get(
    _: FleetReader,
    State(state): State<AppState>,
    IdParam(id): IdParam,
) -> ApiResult<Json<VehicleEnvelope>> {
    let vehicle = state
        .store
        .get_vehicle(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(Json(VehicleEnvelope { vehicle }))
}

/// Creates a vehicle.
#[utoipa::path(
    post,
    path = "/api/admin/vehicles",
    tag = "fleet",
    security(("bearer" = [])),
    request_body = NewVehicle,
    responses(
        (status = 201, description = "Created.", body = VehicleEnvelope),
        (status = 400, description = "A field is missing or invalid; the message names it.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 409, description = "The licence plate is taken.", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB.", body = ErrorBody),
    )
)]
pub async fn create(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    ApiJson(new): ApiJson<NewVehicle>,
) -> ApiResult<(StatusCode, Json<VehicleEnvelope>)> {
    check_text("name", &new.name, NAME_MAX).map_err(ApiError::Validation)?;
    check_plate(&new.license_plate).map_err(ApiError::Validation)?;
    check_optional_text("make", new.make.as_deref(), MAKE_MODEL_MAX)
        .map_err(ApiError::Validation)?;
    check_optional_text("model", new.model.as_deref(), MAKE_MODEL_MAX)
        .map_err(ApiError::Validation)?;
    check_year(new.year).map_err(ApiError::Validation)?;
    let record = VehicleRecord {
        plate_key: plate_key(&new.license_plate),
        name: new.name,
        license_plate: new.license_plate,
        make: new.make,
        model: new.model,
        year: new.year,
        ..VehicleRecord::default()
    };
    match state
        .store
        .create_vehicle(&record, Some(&caller.actor()), Utc::now())
        .await
    {
        Ok(vehicle) => Ok((StatusCode::CREATED, Json(VehicleEnvelope { vehicle }))),
        Err(StoreError::Taken(_)) => Err(plate_taken(&record.license_plate)),
        Err(err) => Err(err.into()),
    }
}

/// Changes any subset of a vehicle's fields.
#[utoipa::path(
    patch,
    path = "/api/admin/vehicles/{id}",
    tag = "fleet",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The vehicle's id.")),
    request_body = VehiclePatch,
    responses(
        (status = 200, description = "Changed.", body = VehicleEnvelope),
        (status = 400, description = "A field is invalid; the message names it.", body = ErrorBody),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such vehicle.", body = ErrorBody),
        (status = 409, description = "The licence plate is taken, or the vehicle leaves service while assigned (without `returnActive`).", body = ErrorBody),
    )
)]
pub async fn update(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    IdParam(id): IdParam,
    ApiJson(patch): ApiJson<VehiclePatch>,
) -> ApiResult<Json<VehicleEnvelope>> {
    if let Some(name) = &patch.name {
        check_text("name", name, NAME_MAX).map_err(ApiError::Validation)?;
    }
    if let Some(plate) = &patch.license_plate {
        check_plate(plate).map_err(ApiError::Validation)?;
    }
    if let Some(make) = &patch.make {
        check_optional_text("make", make.as_deref(), MAKE_MODEL_MAX)
            .map_err(ApiError::Validation)?;
    }
    if let Some(model) = &patch.model {
        check_optional_text("model", model.as_deref(), MAKE_MODEL_MAX)
            .map_err(ApiError::Validation)?;
    }
    if let Some(year) = patch.year {
        check_year(year).map_err(ApiError::Validation)?;
    }
    if let Some(note) = &patch.status_note {
        check_note("statusNote", note.as_deref()).map_err(ApiError::Validation)?;
    }
    let requested_plate = patch.license_plate.clone();
    let return_active = patch.return_active;
    let result = state
        .store
        .update_vehicle(id, Some(&caller.actor()), return_active, move |record| {
            if let Some(name) = patch.name.clone() {
                record.name = name;
            }
            if let Some(plate) = patch.license_plate.clone() {
                record.plate_key = plate_key(&plate);
                record.license_plate = plate;
            }
            if let Some(make) = patch.make.clone() {
                record.make = make;
            }
            if let Some(model) = patch.model.clone() {
                record.model = model;
            }
            if let Some(year) = patch.year {
                record.year = year;
            }
            if let Some(status) = patch.service_status {
                record.service_status = status;
            }
            if let Some(note) = patch.status_note.clone() {
                record.status_note = note;
            }
        })
        .await;
    match result {
        Ok(vehicle) => Ok(Json(VehicleEnvelope { vehicle })),
        Err(StoreError::NotFound) => Err(not_found(id)),
        Err(StoreError::VehicleAssigned(active)) => Err(ApiError::Conflict(format!(
            "{} is with {} since {} (assignment {}): return it first, or send \
             returnActive: true to return it with this change.",
            active.vehicle.name,
            active.technician.name,
            active.assigned_date.format("%Y-%m-%d %H:%M"),
            active.id
        ))),
        Err(StoreError::Taken(_)) => Err(plate_taken(requested_plate.as_deref().unwrap_or(""))),
        Err(err) => Err(err.into()),
    }
}

/// Deletes a vehicle that has never been assigned.
#[utoipa::path(
    delete,
    path = "/api/admin/vehicles/{id}",
    tag = "fleet",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The vehicle's id.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "No valid token.", body = ErrorBody),
        (status = 403, description = "Not an admin.", body = ErrorBody),
        (status = 404, description = "No such vehicle.", body = ErrorBody),
        (status = 409, description = "The vehicle has assignment history, which is never deleted.", body = ErrorBody),
    )
)]
pub async fn delete(
    AdminUser(caller): AdminUser,
    State(state): State<AppState>,
    IdParam(id): IdParam,
) -> ApiResult<StatusCode> {
    match state.store.delete_vehicle(id, Some(&caller.actor())).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::NotFound) => Err(not_found(id)),
        Err(StoreError::InUse) => Err(ApiError::Conflict(format!(
            "Vehicle {id} has assignment history, which is never deleted."
        ))),
        Err(err) => Err(err.into()),
    }
}
