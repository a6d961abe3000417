//! How each fleet record reads: as a table row (the lists and the history) and as something
//! to pick.

use super::widgets::picker::PickerItem;
use super::widgets::table::{Row, SortKey};
use crate::api::roles::Role;
use crate::api::{Assignment, TechnicianListItem, VehicleListItem};

/// "2026-11-22 08:15".
pub fn date_cell(date: &chrono::DateTime<chrono::Utc>) -> String {
    date.format("%Y-%m-%d %H:%M").to_string()
}

/// "Ford Transit": what is known of make and model.
pub fn make_model(make: Option<&str>, model: Option<&str>) -> String {
    [make, model]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

/// "in service", "in shop: brakes": the status and its note.
pub fn status_text(vehicle: &crate::api::Vehicle) -> String {
    match &vehicle.status_note {
        Some(note) => format!("{}: {note}", vehicle.service_status.label()),
        None => vehicle.service_status.label().to_string(),
    }
}

impl Row for VehicleListItem {
    const COLUMNS: &'static [&'static str] = &[
        "NAME",
        "PLATE",
        "MAKE / MODEL",
        "YEAR",
        "STATUS",
        "ASSIGNED TO",
    ];

    fn key(&self) -> i64 {
        self.vehicle.id
    }

    fn cells(&self) -> Vec<String> {
        let vehicle = &self.vehicle;
        vec![
            vehicle.name.clone(),
            vehicle.license_plate.clone(),
            make_model(vehicle.make.as_deref(), vehicle.model.as_deref()),
            vehicle
                .year
                .map(|year| year.to_string())
                .unwrap_or_default(),
            status_text(vehicle),
            self.active_assignment
                .as_ref()
                .map(|active| active.technician.name.clone())
                .unwrap_or_else(|| "—".to_string()),
        ]
    }

    fn sort_key(&self, column: usize) -> SortKey {
        match column {
            3 => SortKey::Number(self.vehicle.year.unwrap_or(0)),
            _ => SortKey::natural(self.cells().get(column).map_or("", String::as_str)),
        }
    }
}

impl Row for TechnicianListItem {
    const COLUMNS: &'static [&'static str] = &["NAME", "E-MAIL", "VEHICLE", "SINCE"];

    fn key(&self) -> i64 {
        self.user.id
    }

    fn cells(&self) -> Vec<String> {
        let (vehicle, since) = match &self.active_assignment {
            Some(active) => (
                format!("{} ({})", active.vehicle.name, active.vehicle.license_plate),
                date_cell(&active.assigned_date),
            ),
            None => ("—".to_string(), String::new()),
        };
        vec![
            self.user.name.clone(),
            self.user.email.clone(),
            vehicle,
            since,
        ]
    }
}

impl Row for Assignment {
    const COLUMNS: &'static [&'static str] = &[
        "ID",
        "VEHICLE",
        "PLATE",
        "TECHNICIAN",
        "STATUS",
        "ASSIGNED",
        "RETURNED",
    ];

    fn key(&self) -> i64 {
        self.id
    }

    fn cells(&self) -> Vec<String> {
        vec![
            self.id.to_string(),
            self.vehicle.name.clone(),
            self.vehicle.license_plate.clone(),
            self.technician.name.clone(),
            self.status.as_str().to_string(),
            date_cell(&self.assigned_date),
            self.returned_date
                .as_ref()
                .map(date_cell)
                .unwrap_or_default(),
        ]
    }

    fn descending(column: usize) -> bool {
        matches!(column, 5 | 6)
    }

    fn sort_key(&self, column: usize) -> SortKey {
        match column {
            0 => SortKey::Number(self.id),
            // Newest first stays the natural order of the date columns; within one second the
            // later record (higher id) first, as the server lists them.
            5 => SortKey::Pair(-self.assigned_date.timestamp(), -self.id),
            6 => SortKey::Pair(
                -self.returned_date.map_or(i64::MIN + 1, |d| d.timestamp()),
                -self.id,
            ),
            _ => SortKey::natural(self.cells().get(column).map_or("", String::as_str)),
        }
    }
}

/// Technicians to pick from: free ones say so, busy ones say what they have since when.
pub fn technician_choices(technicians: &[TechnicianListItem]) -> Vec<PickerItem<i64>> {
    technicians
        .iter()
        .map(|technician| PickerItem {
            id: technician.user.id,
            label: format!("{} <{}>", technician.user.name, technician.user.email),
            name: technician.user.name.clone(),
            busy_with: technician.active_assignment.as_ref().map(|active| {
                format!(
                    "has {} since {}",
                    active.vehicle.name,
                    active.assigned_date.format("%Y-%m-%d")
                )
            }),
            unavailable: None,
        })
        .collect()
}

/// Vehicles to pick from, with who has the busy ones since when.
pub fn vehicle_choices(vehicles: &[VehicleListItem]) -> Vec<PickerItem<i64>> {
    vehicles
        .iter()
        .map(|vehicle| PickerItem {
            id: vehicle.vehicle.id,
            label: format!(
                "{} ({})",
                vehicle.vehicle.name, vehicle.vehicle.license_plate
            ),
            name: vehicle.vehicle.name.clone(),
            busy_with: vehicle.active_assignment.as_ref().map(|active| {
                format!(
                    "with {} since {}",
                    active.technician.name,
                    active.assigned_date.format("%Y-%m-%d")
                )
            }),
            unavailable: (!vehicle.vehicle.service_status.is_available())
                .then(|| status_text(&vehicle.vehicle)),
        })
        .collect()
}

/// "employee, administrator"; short forms where room is scarce.
pub fn roles_text(roles: &[Role], short: bool) -> String {
    roles
        .iter()
        .map(|role| {
            if short {
                match role {
                    Role::Employee => "empl",
                    Role::Approver => "appr",
                    Role::Manager => "mgr",
                    Role::Administrator => "admin",
                    Role::MainAdministrator => "main-adm",
                }
            } else {
                role.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The roles in full when they fit in `width`, else short.
pub fn roles_fitting(roles: &[Role], width: usize) -> String {
    let full = roles_text(roles, false);
    if full.chars().count() <= width {
        full
    } else {
        roles_text(roles, true)
    }
}
