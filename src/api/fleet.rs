//! Sections 1–3 of API.md: authentication, vehicles, users, technicians, assignments.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::api::events::Actor;

/// Machine codes of the error body `{"error": ..., "message": ...}`.
pub mod codes {
    pub const VALIDATION: &str = "validation";
    pub const UNAUTHORIZED: &str = "unauthorized";
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    pub const CONFLICT: &str = "conflict";
    pub const RATE_LIMITED: &str = "rate_limited";
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// 408: the request's body did not arrive within the request time limit.
    pub const TIMEOUT: &str = "timeout";
    /// 503 with `Retry-After`: the server cannot take the request now.
    pub const UNAVAILABLE: &str = "unavailable";
    pub const INTERNAL: &str = "internal";
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SystemRole {
    Admin,
    Technician,
    /// Extension (API.md §8): reads everything an admin reads, changes nothing.
    Viewer,
}

impl SystemRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SystemRole::Admin => "admin",
            SystemRole::Technician => "technician",
            SystemRole::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<SystemRole> {
        match text {
            "admin" => Some(SystemRole::Admin),
            "technician" => Some(SystemRole::Technician),
            "viewer" => Some(SystemRole::Viewer),
            _ => None,
        }
    }

    /// May read the fleet (`/api/admin/` and its events): admins and viewers.
    pub fn reads_fleet(self) -> bool {
        matches!(self, SystemRole::Admin | SystemRole::Viewer)
    }
}

/// Extension (API.md §8): whether a vehicle may be assigned.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    #[default]
    InService,
    InShop,
    OutOfService,
}

impl ServiceStatus {
    pub const ALL: [ServiceStatus; 3] = [
        ServiceStatus::InService,
        ServiceStatus::InShop,
        ServiceStatus::OutOfService,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::InService => "in_service",
            ServiceStatus::InShop => "in_shop",
            ServiceStatus::OutOfService => "out_of_service",
        }
    }

    pub fn parse(text: &str) -> Option<ServiceStatus> {
        ServiceStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// How people say it: "in service", "in shop", "out of service".
    pub fn label(self) -> &'static str {
        match self {
            ServiceStatus::InService => "in service",
            ServiceStatus::InShop => "in shop",
            ServiceStatus::OutOfService => "out of service",
        }
    }

    pub fn is_available(self) -> bool {
        self == ServiceStatus::InService
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: SystemRole,
}

impl User {
    /// This user as the actor of a change.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserEnvelope {
    pub user: User,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UsersEnvelope {
    pub users: Vec<User>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct NewUser {
    pub name: String,
    pub email: String,
    pub password: String,
    pub role: SystemRole,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct UserPatch {
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub password: Option<String>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub role: Option<SystemRole>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Vehicle {
    pub id: i64,
    pub name: String,
    pub license_plate: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// Extension (API.md §8); absent from older servers, which know only vehicles in service.
    #[serde(default)]
    pub service_status: ServiceStatus,
    #[serde(default)]
    pub status_note: Option<String>,
    /// The last odometer reading, in kilometres.
    #[serde(default)]
    pub odometer_km: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VehicleEnvelope {
    pub vehicle: Vehicle,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewVehicle {
    pub name: String,
    pub license_plate: String,
    #[serde(default)]
    pub make: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub year: Option<i64>,
}

/// Any subset of the fields; `null` clears `make`, `model` or `year`.
// In Rust: `None` = leave as is; `Some(None)` = set to null (only for the nullable fields).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VehiclePatch {
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub license_plate: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub make: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub model: Option<Option<String>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub year: Option<Option<i64>>,
    /// Extension (API.md §8).
    #[serde(
        default,
        deserialize_with = "not_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_status: Option<ServiceStatus>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_note: Option<Option<String>>,
    /// Taking an assigned vehicle out of service returns its assignment in the same change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub return_active: bool,
}

/// A field that may be absent but not `null` (a required value cannot be cleared).
fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Tells a field given as `null` (Some(None)) from an absent one (None).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TechnicianRef {
    pub id: i64,
    pub name: String,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VehicleActiveAssignment {
    pub id: i64,
    pub technician: TechnicianRef,
    pub assigned_date: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VehicleListItem {
    #[serde(flatten)]
    pub vehicle: Vehicle,
    pub active_assignment: Option<VehicleActiveAssignment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VehiclesEnvelope {
    pub vehicles: Vec<VehicleListItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TechnicianActiveAssignment {
    pub id: i64,
    pub vehicle: Vehicle,
    pub assigned_date: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TechnicianListItem {
    #[serde(flatten)]
    pub user: User,
    pub active_assignment: Option<TechnicianActiveAssignment>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TechniciansEnvelope {
    pub technicians: Vec<TechnicianListItem>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AssignmentStatus {
    Active,
    Returned,
}

impl AssignmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStatus::Active => "active",
            AssignmentStatus::Returned => "returned",
        }
    }

    pub fn parse(text: &str) -> Option<AssignmentStatus> {
        match text {
            "active" => Some(AssignmentStatus::Active),
            "returned" => Some(AssignmentStatus::Returned),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub id: i64,
    pub vehicle_id: i64,
    pub technician_id: i64,
    pub status: AssignmentStatus,
    pub assigned_date: DateTime<Utc>,
    pub returned_date: Option<DateTime<Utc>>,
    pub vehicle: Vehicle,
    pub technician: TechnicianRef,
    /// Extension (API.md §7): who assigned it; null when made outside a request.
    #[serde(default)]
    pub assigned_by: Option<Actor>,
    /// Extension (API.md §7): who returned it; null while active or made outside a request.
    #[serde(default)]
    pub returned_by: Option<Actor>,
    /// Extension (API.md §8): the odometer reading and note taken at the return.
    #[serde(default)]
    pub return_odometer_km: Option<i64>,
    #[serde(default)]
    pub return_note: Option<String>,
}

/// Extension (API.md §8): the optional body of `PATCH /api/admin/assignments/:id/return`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReturnReadings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub odometer_km: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ReturnReadings {
    pub fn is_empty(&self) -> bool {
        self.odometer_km.is_none() && self.note.is_none()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssignmentEnvelope {
    pub assignment: Assignment,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentsEnvelope {
    pub assignments: Vec<Assignment>,
    /// Present only when the request gave `limit`; then `null` on the last page.
    #[serde(default, skip_serializing_if = "Paging::is_unpaged")]
    #[schema(value_type = Option<i64>, required = false)]
    pub next_before: Paging,
}

/// `nextBefore` is absent without `limit`, and `null` or an id with it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Paging {
    #[default]
    Unpaged,
    LastPage,
    NextBefore(i64),
}

impl Paging {
    pub fn is_unpaged(&self) -> bool {
        matches!(self, Paging::Unpaged)
    }

    pub fn next_before(&self) -> Option<i64> {
        match self {
            Paging::NextBefore(id) => Some(*id),
            _ => None,
        }
    }
}

impl Serialize for Paging {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.next_before().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Paging {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<i64>::deserialize(deserializer)? {
            Some(id) => Paging::NextBefore(id),
            None => Paging::LastPage,
        })
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewAssignment {
    pub vehicle_id: i64,
    pub technician_id: i64,
    /// Extension: return every active assignment in the way, then create, in one transaction.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub return_conflicting: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictReason {
    VehicleBusy,
    TechnicianBusy,
    /// Extension (API.md §8): the vehicle is in the shop or out of service; `returnConflicting`
    /// does not override it.
    VehicleUnavailable,
}

/// What stands in the way: an active assignment (`vehicle_busy`, `technician_busy`) or, for
/// `vehicle_unavailable`, the vehicle itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssignmentConflict {
    pub reason: ConflictReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Assignment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle: Option<Vehicle>,
}

/// The 409 body of `POST /api/admin/assignments`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssignmentConflictBody {
    pub error: String,
    pub message: String,
    pub conflicts: Vec<AssignmentConflict>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DashboardSummary {
    pub active_assignments: i64,
    pub vehicles: i64,
    pub technicians: i64,
    pub available_vehicles: i64,
    pub available_technicians: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Dashboard {
    pub summary: DashboardSummary,
}
