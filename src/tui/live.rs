//! A change from the live stream as the rooms take it: the event, its object typed, and
//! whether someone else made it; and how it reads, for the footer, the dialogs and the
//! Activity view.

use std::sync::Arc;

use crate::api::dates::{DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::events::{Event, EventData, EventKind};
use crate::api::roles::RoleAssignmentRow;
use crate::api::{DashboardSummary, SystemRole};
use crate::tui::rows::roles_text;
use crate::tui::widgets::date::date_text;

/// One event from the stream, ready to apply.
#[derive(Clone, Debug)]
pub struct Change {
    pub event: Arc<Event>,
    pub data: Arc<EventData>,
    /// Made by another user (or outside a request): rows are marked and the footer says so.
    pub by_other: bool,
}

impl Change {
    /// None when the event's object does not fit its kind (a newer server): it is skipped.
    pub fn new(event: Event, me: Option<i64>) -> Option<Change> {
        let data = match event.typed_data() {
            Ok(data) => data,
            Err(err) => {
                tracing::warn!(%err, id = event.id, kind = %event.kind, "skipped an event that does not fit");
                return None;
            }
        };
        let by_other = match (&event.actor, me) {
            (Some(actor), Some(me)) => actor.id != me,
            _ => true,
        };
        Some(Change {
            event: Arc::new(event),
            data: Arc::new(data),
            by_other,
        })
    }

    pub fn kind(&self) -> EventKind {
        self.event.kind
    }

    /// Who made it, by name; None when it was made outside a request.
    pub fn actor(&self) -> Option<&str> {
        self.event.actor.as_ref().map(|actor| actor.name.as_str())
    }

    /// "Van 3 assigned to Bruno Kaya by Dana Dispatch": the footer's line.
    pub fn headline(&self) -> String {
        let words = words(&self.event, &self.data);
        match self.actor() {
            Some(actor) => format!("{} {} by {actor}", words.subject, words.passive),
            None => format!("{} {}", words.subject, words.passive),
        }
    }

    /// "Van 3 was just assigned to Bruno Kaya by Dana Dispatch": what an open dialog says.
    pub fn just(&self) -> String {
        let words = words(&self.event, &self.data);
        let by = self
            .actor()
            .map(|actor| format!(" by {actor}"))
            .unwrap_or_default();
        format!("{} was just {}{by}.", words.subject, words.passive)
    }
}

/// The header counts after a change. `was_technician`: whether the user of a user event was
/// a technician before it (None when that is not known). True when a count changed.
pub fn count(
    summary: &mut DashboardSummary,
    change: &Change,
    was_technician: Option<bool>,
) -> bool {
    let before = *summary;
    let s = summary;
    match (change.kind(), change.data.as_ref()) {
        (EventKind::AssignmentCreated, _) => {
            s.active_assignments += 1;
            s.available_vehicles -= 1;
            s.available_technicians -= 1;
        }
        (EventKind::AssignmentReturned, _) => {
            s.active_assignments -= 1;
            s.available_vehicles += 1;
            s.available_technicians += 1;
        }
        (EventKind::VehicleCreated, _) => {
            s.vehicles += 1;
            s.available_vehicles += 1;
        }
        // A vehicle with an active assignment cannot be deleted.
        (EventKind::VehicleDeleted, _) => {
            s.vehicles -= 1;
            s.available_vehicles -= 1;
        }
        (EventKind::UserCreated | EventKind::UserUpdated, EventData::User(user)) => {
            let was = if change.kind() == EventKind::UserCreated {
                Some(false)
            } else {
                was_technician
            };
            let delta = match (was, user.role == SystemRole::Technician) {
                (Some(false), true) => 1,
                (Some(true), false) => -1,
                _ => 0,
            };
            s.technicians += delta;
            s.available_technicians += delta;
        }
        _ => {}
    }
    *s != before
}

/// An event in words: "Van 3" / "assigned to Bruno Kaya" / "assigned Van 3 to Bruno Kaya".
pub struct Words {
    pub subject: String,
    /// After the subject: what happened to it.
    pub passive: String,
    /// What the actor did, for the Activity view's WHAT column.
    pub active: String,
}

fn role_scope(row: &RoleAssignmentRow) -> String {
    format!(
        "{}'s {} in {}",
        row.user_name,
        roles_text(&row.roles, false),
        row.organization_name
    )
}

fn range(row: &RoleAssignmentRow) -> String {
    format!(
        "{}…{}",
        date_text(row.valid_from, DEFAULT_VALID_FROM, true),
        date_text(row.valid_to, DEFAULT_VALID_TO, true)
    )
}

fn role_name(role: SystemRole) -> &'static str {
    match role {
        SystemRole::Technician => "technician",
        _ => "user",
    }
}

/// How an event reads.
pub fn words(event: &Event, data: &EventData) -> Words {
    let make = |subject: String, passive: String, active: String| Words {
        subject,
        passive,
        active,
    };
    match (event.kind, data) {
        (kind, EventData::Vehicle(vehicle)) => {
            let name = format!("{} ({})", vehicle.name, vehicle.license_plate);
            let verb = match kind {
                EventKind::VehicleCreated => "added",
                EventKind::VehicleDeleted => "deleted",
                _ => "edited",
            };
            make(
                vehicle.name.clone(),
                verb.to_string(),
                format!("{verb} vehicle {name}"),
            )
        }
        (kind, EventData::User(user)) => {
            let what = role_name(user.role);
            if kind == EventKind::UserCreated {
                make(
                    user.name.clone(),
                    format!("added as {}", user.role.as_str()),
                    format!("added {what} {} ({})", user.name, user.role.as_str()),
                )
            } else {
                make(
                    user.name.clone(),
                    "edited".to_string(),
                    format!("edited {what} {}", user.name),
                )
            }
        }
        (kind, EventData::Assignment(a)) => {
            if kind == EventKind::AssignmentReturned {
                make(
                    a.vehicle.name.clone(),
                    format!("returned from {}", a.technician.name),
                    format!("returned {} from {}", a.vehicle.name, a.technician.name),
                )
            } else {
                make(
                    a.vehicle.name.clone(),
                    format!("assigned to {}", a.technician.name),
                    format!("assigned {} to {}", a.vehicle.name, a.technician.name),
                )
            }
        }
        (_, EventData::Organization(org)) => make(
            org.name.clone(),
            "added".to_string(),
            format!("added organization {}", org.name),
        ),
        (kind, EventData::RoleAssignment(row)) => match kind {
            EventKind::RoleAssignmentCreated => make(
                row.user_name.clone(),
                format!(
                    "given {} in {} ({})",
                    roles_text(&row.roles, false),
                    row.organization_name,
                    range(row)
                ),
                format!(
                    "gave {} {} in {} ({})",
                    row.user_name,
                    roles_text(&row.roles, false),
                    row.organization_name,
                    range(row)
                ),
            ),
            EventKind::RoleAssignmentDeleted => make(
                role_scope(row),
                "removed".to_string(),
                format!("removed {} ({})", role_scope(row), range(row)),
            ),
            _ => make(
                role_scope(row),
                format!("changed to {}", range(row)),
                format!("changed {} to {}", role_scope(row), range(row)),
            ),
        },
        (kind, EventData::Other(value)) => {
            let name = value
                .get("name")
                .and_then(|name| name.as_str())
                .map(|name| format!(" {name}"))
                .unwrap_or_default();
            let verb = if kind == EventKind::ApiKeyRevoked {
                "revoked"
            } else {
                "created"
            };
            make(
                format!("API key{name}"),
                verb.to_string(),
                format!("{verb} API key{name}"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::events::{Actor, EventSubject};
    use serde_json::json;

    fn event(kind: EventKind, actor: Option<(i64, &str)>, data: serde_json::Value) -> Event {
        Event {
            id: 1,
            at: chrono::Utc::now(),
            actor: actor.map(|(id, name)| Actor {
                id,
                name: name.to_string(),
            }),
            kind,
            subject: EventSubject::default(),
            data,
        }
    }

    #[test]
    fn events_read_as_sentences() {
        let vehicle = json!({"id": 3, "name": "Van 3", "licensePlate": "HH-FD 103", "make": null,
            "model": null, "year": null, "createdAt": "2026-11-01T08:00:00Z"});
        let assignment = json!({"id": 9, "vehicleId": 3, "technicianId": 4, "status": "active",
            "assignedDate": "2026-11-28T08:00:00Z", "returnedDate": null, "vehicle": vehicle,
            "technician": {"id": 4, "name": "Bruno Kaya", "email": "bruno@depot.example"},
            "assignedBy": null, "returnedBy": null});
        let assigned = Change::new(
            event(EventKind::AssignmentCreated, Some((2, "Dana")), assignment),
            Some(1),
        )
        .expect("fits");
        assert!(assigned.by_other);
        assert_eq!(assigned.headline(), "Van 3 assigned to Bruno Kaya by Dana");
        assert_eq!(
            assigned.just(),
            "Van 3 was just assigned to Bruno Kaya by Dana."
        );
        assert_eq!(
            words(&assigned.event, &assigned.data).active,
            "assigned Van 3 to Bruno Kaya"
        );
        let mine = Change::new(
            event(EventKind::VehicleUpdated, Some((1, "Me")), vehicle.clone()),
            Some(1),
        )
        .expect("fits");
        assert!(!mine.by_other);
        let cli =
            Change::new(event(EventKind::VehicleCreated, None, vehicle), Some(1)).expect("fits");
        assert!(cli.by_other);
        assert_eq!(cli.headline(), "Van 3 added");
        let role = json!({"relId": 5, "userId": "4", "userName": "Elif Chen",
            "organizationId": "o", "organizationName": "Depot North", "roles": ["employee"],
            "validFrom": "2025-01-01T00:00:00+00:00", "validTo": "2200-01-01T00:00:00+00:00"});
        let changed = Change::new(
            event(EventKind::RoleAssignmentUpdated, Some((2, "Dana")), role),
            Some(1),
        )
        .expect("fits");
        assert_eq!(
            changed.headline(),
            "Elif Chen's employee in Depot North changed to 2025-01-01…open by Dana"
        );
        assert!(Change::new(
            event(EventKind::VehicleCreated, None, json!({"nonsense": true})),
            None
        )
        .is_none());
    }
}
