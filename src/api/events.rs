//! Section 7 of API.md: events of every change, the live stream and the activity log.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::roles::{Organization, RoleAssignmentRow};
use crate::api::{Assignment, User, Vehicle};

/// Who made a change: `{"id", "name"}` (null in an event made outside a request).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Actor {
    pub id: i64,
    pub name: String,
}

/// What kind of change an event records.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
pub enum EventKind {
    #[serde(rename = "vehicle.created")]
    VehicleCreated,
    #[serde(rename = "vehicle.updated")]
    VehicleUpdated,
    #[serde(rename = "vehicle.deleted")]
    VehicleDeleted,
    #[serde(rename = "user.created")]
    UserCreated,
    #[serde(rename = "user.updated")]
    UserUpdated,
    #[serde(rename = "assignment.created")]
    AssignmentCreated,
    #[serde(rename = "assignment.returned")]
    AssignmentReturned,
    #[serde(rename = "organization.created")]
    OrganizationCreated,
    #[serde(rename = "role_assignment.created")]
    RoleAssignmentCreated,
    #[serde(rename = "role_assignment.updated")]
    RoleAssignmentUpdated,
    #[serde(rename = "role_assignment.deleted")]
    RoleAssignmentDeleted,
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
}

/// Who may read an event of a kind (API.md §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventAudience {
    /// Vehicles, users, assignments: the fleet roles that read `/api/admin/`.
    Fleet,
    /// Organizations and role assignments: every signed-in user (section 4 lets them read roles).
    Everyone,
    /// API keys: their owner and fleet admins.
    KeyOwner,
}

impl EventKind {
    pub const ALL: [EventKind; 13] = [
        EventKind::VehicleCreated,
        EventKind::VehicleUpdated,
        EventKind::VehicleDeleted,
        EventKind::UserCreated,
        EventKind::UserUpdated,
        EventKind::AssignmentCreated,
        EventKind::AssignmentReturned,
        EventKind::OrganizationCreated,
        EventKind::RoleAssignmentCreated,
        EventKind::RoleAssignmentUpdated,
        EventKind::RoleAssignmentDeleted,
        EventKind::ApiKeyCreated,
        EventKind::ApiKeyRevoked,
    ];

    /// The wire name, the same as serde's and the SSE `event:` field.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::VehicleCreated => "vehicle.created",
            EventKind::VehicleUpdated => "vehicle.updated",
            EventKind::VehicleDeleted => "vehicle.deleted",
            EventKind::UserCreated => "user.created",
            EventKind::UserUpdated => "user.updated",
            EventKind::AssignmentCreated => "assignment.created",
            EventKind::AssignmentReturned => "assignment.returned",
            EventKind::OrganizationCreated => "organization.created",
            EventKind::RoleAssignmentCreated => "role_assignment.created",
            EventKind::RoleAssignmentUpdated => "role_assignment.updated",
            EventKind::RoleAssignmentDeleted => "role_assignment.deleted",
            EventKind::ApiKeyCreated => "api_key.created",
            EventKind::ApiKeyRevoked => "api_key.revoked",
        }
    }

    pub fn audience(self) -> EventAudience {
        match self {
            EventKind::VehicleCreated
            | EventKind::VehicleUpdated
            | EventKind::VehicleDeleted
            | EventKind::UserCreated
            | EventKind::UserUpdated
            | EventKind::AssignmentCreated
            | EventKind::AssignmentReturned => EventAudience::Fleet,
            EventKind::OrganizationCreated
            | EventKind::RoleAssignmentCreated
            | EventKind::RoleAssignmentUpdated
            | EventKind::RoleAssignmentDeleted => EventAudience::Everyone,
            EventKind::ApiKeyCreated | EventKind::ApiKeyRevoked => EventAudience::KeyOwner,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no event kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownEventKind(pub String);

impl fmt::Display for UnknownEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(40).collect();
        write!(f, "{shown:?} is not an event kind")
    }
}

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(s: &str) -> Result<EventKind, UnknownEventKind> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownEventKind(s.to_string()))
    }
}

/// Every id an event concerns; the activity filters match on them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub technician_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignment_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rel_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<i64>,
}

/// One committed change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<Actor>,
    pub kind: EventKind,
    pub subject: EventSubject,
    /// The object after the change; for a delete, before it.
    pub data: serde_json::Value,
}

/// The object an event carries, typed by its kind.
#[derive(Clone, Debug, PartialEq)]
pub enum EventData {
    Vehicle(Vehicle),
    User(User),
    Assignment(Box<Assignment>),
    Organization(Organization),
    RoleAssignment(RoleAssignmentRow),
    /// A kind this client reads as raw JSON (API keys).
    Other(serde_json::Value),
}

impl Event {
    /// `data` as the object its kind names.
    pub fn typed_data(&self) -> Result<EventData, serde_json::Error> {
        let data = self.data.clone();
        Ok(match self.kind {
            EventKind::VehicleCreated | EventKind::VehicleUpdated | EventKind::VehicleDeleted => {
                EventData::Vehicle(serde_json::from_value(data)?)
            }
            EventKind::UserCreated | EventKind::UserUpdated => {
                EventData::User(serde_json::from_value(data)?)
            }
            EventKind::AssignmentCreated | EventKind::AssignmentReturned => {
                EventData::Assignment(Box::new(serde_json::from_value(data)?))
            }
            EventKind::OrganizationCreated => {
                EventData::Organization(serde_json::from_value(data)?)
            }
            EventKind::RoleAssignmentCreated
            | EventKind::RoleAssignmentUpdated
            | EventKind::RoleAssignmentDeleted => {
                EventData::RoleAssignment(serde_json::from_value(data)?)
            }
            EventKind::ApiKeyCreated | EventKind::ApiKeyRevoked => EventData::Other(data),
        })
    }
}

/// `GET /api/admin/activity`: newest first; `nextBefore` pages on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActivityPage {
    pub events: Vec<Event>,
    pub next_before: Option<i64>,
}

/// The filters of `GET /api/admin/activity`; `None` leaves one out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityQuery {
    pub limit: Option<i64>,
    pub before: Option<i64>,
    pub kind: Option<EventKind>,
    pub vehicle_id: Option<i64>,
    pub technician_id: Option<i64>,
    pub user_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The SSE `event:` of the message that tells a client to reload everything: the id it
/// resumed from is older than what is kept (or unknown to this server).
pub const RESET_EVENT: &str = "reset";

/// The data of a `reset` message: the stream goes on after `lastId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetNotice {
    pub last_id: i64,
}
