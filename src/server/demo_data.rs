//! The demo data set in `assets/demo.json`: a depot with dispatchers, technicians, vehicles
//! and a history of assignments, placed relative to now so it always looks current.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use color_eyre::eyre::{bail, eyre, Result};
use serde::Deserialize;

use crate::api::{NewVehicle, SystemRole};
use crate::domain::fleet::{email_key, plate_key};
use crate::store::{HistoricAssignment, Store, UserRecord, VehicleRecord};

pub const DEMO_JSON: &str = include_str!("../../assets/demo.json");
/// The dispatcher `fleetdesk demo` signs in as.
pub const DEMO_DISPATCHER: &str = "dispatch@depot.example";

#[derive(Deserialize)]
pub struct DemoData {
    /// Every demo user signs in with this password.
    pub password: String,
    pub users: Vec<DemoUser>,
    pub vehicles: Vec<NewVehicle>,
    pub assignments: Vec<DemoAssignment>,
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
}

pub fn demo_data() -> Result<DemoData> {
    serde_json::from_str(DEMO_JSON).map_err(|err| eyre!("assets/demo.json is not valid: {err}"))
}

/// Fills an empty database with the demo data set; refuses a database that has data.
pub async fn load(store: &Store) -> Result<()> {
    if !store.is_empty().await? {
        bail!("--demo needs an empty database, and this one already has users or vehicles");
    }
    let data = demo_data()?;
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
        let created = store.create_user(&record, now).await?;
        user_ids.insert(user.email.clone(), created.id);
    }
    let mut vehicle_ids = HashMap::new();
    for vehicle in &data.vehicles {
        let record = VehicleRecord {
            name: vehicle.name.clone(),
            license_plate: vehicle.license_plate.clone(),
            plate_key: plate_key(&vehicle.license_plate),
            make: vehicle.make.clone(),
            model: vehicle.model.clone(),
            year: vehicle.year,
        };
        let created = store.create_vehicle(&record, now).await?;
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
        });
    }
    store.insert_history(&history).await?;
    tracing::info!(
        users = data.users.len(),
        vehicles = data.vehicles.len(),
        assignments = history.len(),
        "loaded the demo data set"
    );
    Ok(())
}
