//! The demo data set in `assets/demo.json`: a depot with dispatchers, technicians, vehicles
//! and a history of assignments, placed relative to now so it always looks current; plus an
//! organization tree and role assignments on fixed dates, arranged so that the recipes in
//! `tryThis` meet every kind of 409 conflict.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use color_eyre::eyre::{bail, eyre, Result};
use serde::Deserialize;

use crate::api::dates::{parse_validity, Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::Role;
use crate::api::{NewVehicle, ServiceStatus, SystemRole};
use crate::domain::fleet::{email_key, plate_key};
use crate::domain::roles::overlaps;
use crate::store::{HistoricAssignment, RoleAssignmentRecord, Store, UserRecord, VehicleRecord};

pub const DEMO_JSON: &str = include_str!("../../assets/demo.json");
/// The dispatcher `fleetdesk demo` signs in as.
pub const DEMO_DISPATCHER: &str = "dispatch@depot.example";
/// An administrator of Depot North (and so its units) who is not a fleet admin.
pub const DEMO_ORGANIZATION_ADMIN: &str = "north.admin@depot.example";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoData {
    /// Every demo user signs in with this password.
    pub password: String,
    pub users: Vec<DemoUser>,
    pub vehicles: Vec<DemoVehicle>,
    pub assignments: Vec<DemoAssignment>,
    /// Parents before their children.
    pub organizations: Vec<DemoOrganization>,
    pub role_assignments: Vec<DemoRoleAssignment>,
    /// Things to try in the demo, quoted by the README.
    pub try_this: Vec<String>,
}

#[derive(Deserialize)]
pub struct DemoOrganization {
    /// Names the organization inside the file; the database gets a fresh uuid.
    pub key: String,
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoRoleAssignment {
    /// The user's e-mail.
    pub user: String,
    /// The organization's key.
    pub organization: String,
    pub roles: Vec<Role>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoVehicle {
    #[serde(flatten)]
    pub vehicle: NewVehicle,
    #[serde(default)]
    pub service_status: ServiceStatus,
    pub status_note: Option<String>,
}

#[derive(Deserialize)]
pub struct DemoUser {
    pub name: String,
    pub email: String,
    pub role: SystemRole,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoAssignment {
    pub vehicle: String,
    pub technician: String,
    pub assigned_minutes_ago: i64,
    pub returned_minutes_ago: Option<i64>,
    /// The readings of a returned assignment.
    pub odometer_km: Option<i64>,
    pub return_note: Option<String>,
}

pub fn demo_data() -> Result<DemoData> {
    serde_json::from_str(DEMO_JSON).map_err(|err| eyre!("assets/demo.json is not valid: {err}"))
}

fn demo_day(text: Option<&str>, default: Day) -> Result<Day> {
    match text {
        None | Some("") => Ok(default),
        Some(text) => parse_validity(text).map_err(|err| eyre!("demo role assignment: {err}")),
    }
}

/// A role assignment of the file with its dates parsed, still naming user and organization
/// by e-mail and key.
struct DemoValidity<'a> {
    entry: &'a DemoRoleAssignment,
    from: Day,
    to: Day,
}

/// Parses the role assignments' dates and refuses the file if two of them, for the same
/// user and organization, overlap; the database would refuse them anyway, but less clearly.
fn role_validities(entries: &[DemoRoleAssignment]) -> Result<Vec<DemoValidity<'_>>> {
    let mut parsed: Vec<DemoValidity<'_>> = Vec::with_capacity(entries.len());
    for entry in entries {
        let from = demo_day(entry.valid_from.as_deref(), DEFAULT_VALID_FROM)?;
        let to = demo_day(entry.valid_to.as_deref(), DEFAULT_VALID_TO)?;
        if from > to {
            bail!(
                "demo role assignment of {} in {} starts after it ends",
                entry.user,
                entry.organization
            );
        }
        if entry.roles.is_empty() {
            bail!(
                "demo role assignment of {} in {} has no roles",
                entry.user,
                entry.organization
            );
        }
        if let Some(other) = parsed.iter().find(|other| {
            other.entry.user == entry.user
                && other.entry.organization == entry.organization
                && overlaps(other.from, other.to, from, to)
        }) {
            bail!(
                "demo role assignments of {} in {} overlap: {}..{} and {}..{}",
                entry.user,
                entry.organization,
                other.from.date_only(),
                other.to.date_only(),
                from.date_only(),
                to.date_only()
            );
        }
        parsed.push(DemoValidity { entry, from, to });
    }
    Ok(parsed)
}

/// Fills an empty database with the demo data set; refuses a database that has data.
pub async fn load(store: &Store) -> Result<()> {
    if !store.is_empty().await? {
        bail!("--demo needs an empty database, and this one already has users or vehicles");
    }
    let data = demo_data()?;
    let validities = role_validities(&data.role_assignments)?;
    let password = data.password.clone();
    // One hash for all demo users keeps loading fast; they share the password anyway.
    let password_hash = tokio::task::spawn_blocking(move || super::auth::hash_password(&password))
        .await?
        .map_err(|err| eyre!(err))?;
    let now = Utc::now();
    let mut user_ids = HashMap::new();
    for user in &data.users {
        let record = UserRecord {
            name: user.name.clone(),
            email: user.email.clone(),
            email_key: email_key(&user.email),
            password_hash: password_hash.clone(),
            role: user.role,
        };
        let created = store.create_user(&record, None, now).await?;
        user_ids.insert(user.email.clone(), created.id);
    }
    let mut vehicle_ids = HashMap::new();
    for entry in &data.vehicles {
        let vehicle = &entry.vehicle;
        let record = VehicleRecord {
            name: vehicle.name.clone(),
            license_plate: vehicle.license_plate.clone(),
            plate_key: plate_key(&vehicle.license_plate),
            make: vehicle.make.clone(),
            model: vehicle.model.clone(),
            year: vehicle.year,
            service_status: entry.service_status,
            status_note: entry.status_note.clone(),
        };
        let created = store.create_vehicle(&record, None, now).await?;
        vehicle_ids.insert(vehicle.license_plate.clone(), created.id);
    }
    let mut history = Vec::with_capacity(data.assignments.len());
    for entry in &data.assignments {
        let vehicle_id = *vehicle_ids
            .get(&entry.vehicle)
            .ok_or_else(|| eyre!("demo assignment names an unknown vehicle {}", entry.vehicle))?;
        let technician_id = *user_ids.get(&entry.technician).ok_or_else(|| {
            eyre!(
                "demo assignment names an unknown technician {}",
                entry.technician
            )
        })?;
        history.push(HistoricAssignment {
            vehicle_id,
            technician_id,
            assigned_at: now - Duration::minutes(entry.assigned_minutes_ago),
            returned_at: entry
                .returned_minutes_ago
                .map(|minutes| now - Duration::minutes(minutes)),
            return_odometer_km: entry.odometer_km,
            return_note: entry.return_note.clone(),
        });
    }
    store.insert_history(&history).await?;
    let mut organization_ids: HashMap<&str, String> = HashMap::new();
    for organization in &data.organizations {
        let parent_id = match &organization.parent {
            None => None,
            Some(parent) => Some(organization_ids.get(parent.as_str()).ok_or_else(|| {
                eyre!(
                    "demo organization {} names the parent {parent}, which is not listed before it",
                    organization.key
                )
            })?),
        };
        let id = uuid::Uuid::new_v4().to_string();
        store
            .create_organization(
                &id,
                &organization.name,
                parent_id.map(String::as_str),
                None,
                now,
            )
            .await?;
        if organization_ids
            .insert(organization.key.as_str(), id)
            .is_some()
        {
            bail!("demo organization key {} is used twice", organization.key);
        }
    }
    let mut role_records = Vec::with_capacity(validities.len());
    for DemoValidity { entry, from, to } in validities {
        let user_id = *user_ids
            .get(&entry.user)
            .ok_or_else(|| eyre!("demo role assignment names an unknown user {}", entry.user))?;
        let organization_id = organization_ids
            .get(entry.organization.as_str())
            .ok_or_else(|| {
                eyre!(
                    "demo role assignment names an unknown organization {}",
                    entry.organization
                )
            })?
            .clone();
        role_records.push(RoleAssignmentRecord {
            user_id,
            organization_id,
            roles: entry.roles.clone(),
            from,
            to,
        });
    }
    store.insert_role_assignments(&role_records).await?;
    tracing::info!(
        users = data.users.len(),
        vehicles = data.vehicles.len(),
        assignments = history.len(),
        organizations = organization_ids.len(),
        role_assignments = role_records.len(),
        "loaded the demo data set"
    );
    Ok(())
}
