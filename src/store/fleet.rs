//! Users, vehicles and assignments.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Backend, Store, StoreError, StoreResult, WriteTx};
// The search keys are derived like the e-mail key, by the domain's rule.
use crate::api::events::{Actor, EventKind, EventSubject};
use crate::api::{
    Assignment, AssignmentConflict, AssignmentStatus, ConflictReason, DashboardSummary,
    ReturnReadings, ServiceStatus, SystemRole, TechnicianActiveAssignment, TechnicianListItem,
    TechnicianRef, User, Vehicle, VehicleActiveAssignment, VehicleListItem,
};
use crate::domain::search::fold;

/// A user as written: the keys are computed by the caller (domain rules decide what is "the
/// same" e-mail or plate), the store only keeps them unique.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub name: String,
    pub email: String,
    pub email_key: String,
    pub password_hash: String,
    pub role: SystemRole,
}

#[derive(Clone, Debug, Default)]
pub struct VehicleRecord {
    pub name: String,
    pub license_plate: String,
    pub plate_key: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i64>,
    pub service_status: ServiceStatus,
    pub status_note: Option<String>,
}

/// An assignment with explicit times, for the demo data set and benchmarks.
#[derive(Clone, Debug)]
pub struct HistoricAssignment {
    pub vehicle_id: i64,
    pub technician_id: i64,
    pub assigned_at: DateTime<Utc>,
    pub returned_at: Option<DateTime<Utc>>,
    /// The odometer reading and note of the return (returned rows only).
    pub return_odometer_km: Option<i64>,
    pub return_note: Option<String>,
}

#[derive(Clone, Debug)]
pub enum CreateAssignmentOutcome {
    Created(Box<Assignment>),
    /// Active assignments that stand in the way; nothing was written.
    Busy(Vec<AssignmentConflict>),
    /// The vehicle does not exist.
    NoVehicle,
    /// No user has the technician's id.
    NoTechnician,
    /// The user exists but is not a technician.
    NotATechnician(User),
}

#[derive(Clone, Copy, Debug, Default)]
pub struct AssignmentQuery {
    pub status: Option<AssignmentStatus>,
    pub limit: Option<i64>,
    pub before: Option<i64>,
}

const USER_COLUMNS: &str = "id, name, email, role";
const VEHICLE_COLUMNS: &str = "v.id, v.name, v.license_plate, v.make, v.model, v.year, \
     v.created_at, v.service_status, v.status_note, v.odometer_km";
/// RETURNING may not use a table alias in SQLite.
const VEHICLE_RETURNING: &str = "id, name, license_plate, make, model, year, created_at, \
     service_status, status_note, odometer_km";
const ASSIGNMENT_SELECT: &str = "SELECT a.id AS a_id, a.vehicle_id, a.technician_id, a.status, \
     a.assigned_at, a.returned_at, a.return_odometer_km, a.return_note, v.id, v.name, \
     v.license_plate, v.make, v.model, v.year, v.created_at, v.service_status, v.status_note, \
     v.odometer_km, u.name AS u_name, u.email AS u_email, \
     a.assigned_by, ab.name AS ab_name, a.returned_by, rb.name AS rb_name \
     FROM assignments a JOIN vehicles v ON v.id = a.vehicle_id JOIN users u ON u.id = a.technician_id \
     LEFT JOIN users ab ON ab.id = a.assigned_by LEFT JOIN users rb ON rb.id = a.returned_by";
const NEWEST_FIRST: &str = " ORDER BY a.assigned_at DESC, a.id DESC";

pub(super) fn timestamp(seconds: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {seconds} is out of range")))
}

pub(super) fn user_from_row(row: &AnyRow) -> StoreResult<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: SystemRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown user role {role:?}")))?,
    })
}

fn vehicle_from_row(row: &AnyRow) -> StoreResult<Vehicle> {
    let status: String = row.try_get("service_status")?;
    Ok(Vehicle {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        license_plate: row.try_get("license_plate")?,
        make: row.try_get("make")?,
        model: row.try_get("model")?,
        year: row.try_get("year")?,
        created_at: timestamp(row.try_get("created_at")?)?,
        service_status: ServiceStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown service status {status:?}")))?,
        status_note: row.try_get("status_note")?,
        odometer_km: row.try_get("odometer_km")?,
    })
}

fn actor_from_row(row: &AnyRow, id: &str, name: &str) -> StoreResult<Option<Actor>> {
    let id: Option<i64> = row.try_get(id)?;
    let name: Option<String> = row.try_get(name)?;
    Ok(id.map(|id| Actor {
        id,
        name: name.unwrap_or_default(),
    }))
}

fn assignment_from_row(row: &AnyRow) -> StoreResult<Assignment> {
    let status: String = row.try_get("status")?;
    let technician_id: i64 = row.try_get("technician_id")?;
    let returned_at: Option<i64> = row.try_get("returned_at")?;
    Ok(Assignment {
        id: row.try_get("a_id")?,
        vehicle_id: row.try_get("vehicle_id")?,
        technician_id,
        status: AssignmentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown assignment status {status:?}")))?,
        assigned_date: timestamp(row.try_get("assigned_at")?)?,
        returned_date: returned_at.map(timestamp).transpose()?,
        vehicle: vehicle_from_row(row)?,
        technician: TechnicianRef {
            id: technician_id,
            name: row.try_get("u_name")?,
            email: row.try_get("u_email")?,
        },
        assigned_by: actor_from_row(row, "assigned_by", "ab_name")?,
        returned_by: actor_from_row(row, "returned_by", "rb_name")?,
        return_odometer_km: row.try_get("return_odometer_km")?,
        return_note: row.try_get("return_note")?,
    })
}

fn unavailable(vehicle: Vehicle) -> AssignmentConflict {
    AssignmentConflict {
        reason: ConflictReason::VehicleUnavailable,
        assignment: None,
        vehicle: Some(vehicle),
    }
}

/// The vehicle, read inside a write transaction and locked until it ends (PostgreSQL; SQLite's
/// immediate transaction holds the whole database already). Every change that depends on a
/// vehicle's service status or odometer reads it this way, so two such changes take turns.
/// NO KEY UPDATE, as in the store's lock order: inserts may still refer to the row.
async fn vehicle_locked(
    conn: &mut AnyConnection,
    backend: super::Backend,
    id: i64,
) -> StoreResult<Option<Vehicle>> {
    let lock = match backend {
        super::Backend::Sqlite => "",
        super::Backend::Postgres => " FOR NO KEY UPDATE",
    };
    let sql = format!("SELECT {VEHICLE_RETURNING} FROM vehicles WHERE id = $1{lock}");
    let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(vehicle_from_row).transpose()
}

/// What a new assignment is checked against, read in its write transaction in one statement:
/// the vehicle (locked as [`vehicle_locked`] does) and the user with the technician's id.
/// `Err` carries the refusal when either is missing or the user is not a technician.
/// With them and the actor, a new assignment needs nothing read back after its insert.
async fn assignment_parties(
    conn: &mut AnyConnection,
    backend: super::Backend,
    vehicle_id: i64,
    technician_id: i64,
) -> StoreResult<Result<(Vehicle, User), CreateAssignmentOutcome>> {
    let lock = match backend {
        super::Backend::Sqlite => "",
        super::Backend::Postgres => " FOR NO KEY UPDATE OF v",
    };
    let vehicle_columns: Vec<String> = VEHICLE_RETURNING
        .split(',')
        .map(|column| format!("v.{}", column.trim()))
        .collect();
    let sql = format!(
        "SELECT {}, u.id AS u_id, u.name AS u_name, u.email AS u_email, u.role AS u_role \
         FROM vehicles v LEFT JOIN users u ON u.id = $2 WHERE v.id = $1{lock}",
        vehicle_columns.join(", ")
    );
    let Some(row) = sqlx::query(&sql)
        .bind(vehicle_id)
        .bind(technician_id)
        .fetch_optional(conn)
        .await?
    else {
        return Ok(Err(CreateAssignmentOutcome::NoVehicle));
    };
    let vehicle = vehicle_from_row(&row)?;
    let Some(id) = row.try_get::<Option<i64>, _>("u_id")? else {
        return Ok(Err(CreateAssignmentOutcome::NoTechnician));
    };
    let role: String = row.try_get("u_role")?;
    let technician = User {
        id,
        name: row.try_get("u_name")?,
        email: row.try_get("u_email")?,
        role: SystemRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {role:?}")))?,
    };
    if technician.role != SystemRole::Technician {
        return Ok(Err(CreateAssignmentOutcome::NotATechnician(technician)));
    }
    Ok(Ok((vehicle, technician)))
}

/// The active assignment of a vehicle, read inside a write transaction.
async fn active_of_vehicle(
    conn: &mut AnyConnection,
    vehicle_id: i64,
) -> StoreResult<Option<Assignment>> {
    let sql = format!("{ASSIGNMENT_SELECT} WHERE a.vehicle_id = $1 AND a.status = 'active'");
    let row = sqlx::query(&sql)
        .bind(vehicle_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(assignment_from_row).transpose()
}

/// One assignment read inside a write transaction.
async fn assignment_in(conn: &mut AnyConnection, id: i64) -> StoreResult<Assignment> {
    let sql = format!("{ASSIGNMENT_SELECT} WHERE a.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_one(conn).await?;
    assignment_from_row(&row)
}

/// A write of one assignment row that hands the assignment back. PostgreSQL returns it with its
/// names from the write itself, in one round trip; SQLite (no writes inside WITH) returns the
/// id, and [`written_assignment`] reads the rest from the same connection.
fn returning_assignment(backend: super::Backend, write: &str) -> String {
    match backend {
        super::Backend::Postgres => format!(
            "WITH written AS ({write} RETURNING *) {}",
            ASSIGNMENT_SELECT.replace("FROM assignments a ", "FROM written a ")
        ),
        super::Backend::Sqlite => format!("{write} RETURNING id"),
    }
}

/// The assignment from a row of a [`returning_assignment`] statement.
async fn written_assignment(
    conn: &mut AnyConnection,
    backend: super::Backend,
    row: &AnyRow,
) -> StoreResult<Assignment> {
    match backend {
        super::Backend::Postgres => assignment_from_row(row),
        super::Backend::Sqlite => assignment_in(conn, row.try_get("id")?).await,
    }
}

fn user_subject(user: &User) -> EventSubject {
    EventSubject {
        user_id: Some(user.id),
        ..EventSubject::default()
    }
}

fn vehicle_subject(vehicle: &Vehicle) -> EventSubject {
    EventSubject {
        vehicle_id: Some(vehicle.id),
        ..EventSubject::default()
    }
}

fn assignment_subject(assignment: &Assignment) -> EventSubject {
    EventSubject {
        assignment_id: Some(assignment.id),
        vehicle_id: Some(assignment.vehicle_id),
        technician_id: Some(assignment.technician_id),
        ..EventSubject::default()
    }
}

/// Writes the `assignment.returned` event of each assignment, read as it now is.
async fn returned_events(tx: &mut WriteTx, ids: &[i64]) -> StoreResult<()> {
    for id in ids {
        let assignment = assignment_in(tx.conn(), *id).await?;
        tx.event(
            EventKind::AssignmentReturned,
            assignment_subject(&assignment),
            &assignment,
        )
        .await?;
    }
    Ok(())
}

fn taken_or(err: sqlx::Error, what: &'static str) -> StoreError {
    if StoreError::is_unique_violation(&err) {
        StoreError::Taken(what)
    } else {
        StoreError::Database(err)
    }
}

impl Store {
    // ---- users ----

    pub async fn create_user(
        &self,
        user: &UserRecord,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        self.retrying(|| self.create_user_once(user, actor, now))
            .await
    }

    async fn create_user_once(
        &self,
        user: &UserRecord,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<User> {
        let mut tx = self.begin_change(actor).await?;
        let sql = format!(
            "INSERT INTO users (name, email, email_key, password_hash, role, created_at, \
             name_fold, email_fold) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(&user.name)
            .bind(&user.email)
            .bind(&user.email_key)
            .bind(&user.password_hash)
            .bind(user.role.as_str())
            .bind(now.timestamp())
            .bind(fold(&user.name))
            .bind(fold(&user.email))
            .fetch_one(tx.conn())
            .await
            .map_err(|err| taken_or(err, "e-mail address"))?;
        let created = user_from_row(&row)?;
        tx.event(EventKind::UserCreated, user_subject(&created), &created)
            .await?;
        self.commit(tx).await?;
        Ok(created)
    }

    /// The user and their password hash, for signing in.
    pub async fn find_login(&self, email_key: &str) -> StoreResult<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE email_key = $1");
        let row = sqlx::query(&sql)
            .bind(email_key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((user_from_row(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }

    pub async fn get_user(&self, id: i64) -> StoreResult<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_exists_with_email(&self, email_key: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE email_key = $1")
            .bind(email_key)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    pub async fn list_users(&self) -> StoreResult<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY name, id");
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Reads the user, lets `change` edit the record, writes it back, in one transaction.
    pub async fn update_user(
        &self,
        id: i64,
        actor: Option<&Actor>,
        mut change: impl FnMut(&mut UserRecord),
    ) -> StoreResult<User> {
        let mut retry = super::retry::Retry::new();
        loop {
            match self.update_user_once(id, actor, &mut change).await {
                Err(err) if retry.again(&err).await => {}
                other => return other,
            }
        }
    }

    async fn update_user_once(
        &self,
        id: i64,
        actor: Option<&Actor>,
        change: &mut impl FnMut(&mut UserRecord),
    ) -> StoreResult<User> {
        let mut tx = self.begin_change(actor).await?;
        let sql = format!(
            "SELECT name, email, email_key, password_hash, role FROM users WHERE id = $1{}",
            self.backend.lock_row()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let role: String = row.try_get("role")?;
        let mut record = UserRecord {
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            email_key: row.try_get("email_key")?,
            password_hash: row.try_get("password_hash")?,
            role: SystemRole::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown user role {role:?}")))?,
        };
        change(&mut record);
        let sql = format!(
            "UPDATE users SET name = $2, email = $3, email_key = $4, password_hash = $5, role = $6, \
             name_fold = $7, email_fold = $8 WHERE id = $1 RETURNING {USER_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(&record.name)
            .bind(&record.email)
            .bind(&record.email_key)
            .bind(&record.password_hash)
            .bind(record.role.as_str())
            .bind(fold(&record.name))
            .bind(fold(&record.email))
            .fetch_one(tx.conn())
            .await
            .map_err(|err| taken_or(err, "e-mail address"))?;
        let user = user_from_row(&row)?;
        tx.event(EventKind::UserUpdated, user_subject(&user), &user)
            .await?;
        self.commit(tx).await?;
        Ok(user)
    }

    pub async fn list_technicians(&self) -> StoreResult<Vec<TechnicianListItem>> {
        let sql = format!(
            "SELECT u.id AS u_id, u.name AS u_name, u.email AS u_email, u.role AS u_role, \
             a.id AS a_id, a.assigned_at, {VEHICLE_COLUMNS} \
             FROM users u \
             LEFT JOIN assignments a ON a.technician_id = u.id AND a.status = 'active' \
             LEFT JOIN vehicles v ON v.id = a.vehicle_id \
             WHERE u.role = 'technician' ORDER BY u.name, u.id"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let role: String = row.try_get("u_role")?;
                let assignment_id: Option<i64> = row.try_get("a_id")?;
                let active_assignment = match assignment_id {
                    Some(id) => Some(TechnicianActiveAssignment {
                        id,
                        vehicle: vehicle_from_row(row)?,
                        assigned_date: timestamp(row.try_get("assigned_at")?)?,
                    }),
                    None => None,
                };
                Ok(TechnicianListItem {
                    user: User {
                        id: row.try_get("u_id")?,
                        name: row.try_get("u_name")?,
                        email: row.try_get("u_email")?,
                        role: SystemRole::parse(&role).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown user role {role:?}"))
                        })?,
                    },
                    active_assignment,
                })
            })
            .collect()
    }

    // ---- vehicles ----

    pub async fn create_vehicle(
        &self,
        vehicle: &VehicleRecord,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vehicle> {
        self.retrying(|| self.create_vehicle_once(vehicle, actor, now))
            .await
    }

    async fn create_vehicle_once(
        &self,
        vehicle: &VehicleRecord,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vehicle> {
        let mut tx = self.begin_change(actor).await?;
        let sql = format!(
            "INSERT INTO vehicles (name, license_plate, plate_key, make, model, year, created_at, \
             service_status, status_note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING {VEHICLE_RETURNING}"
        );
        let row = sqlx::query(&sql)
            .bind(&vehicle.name)
            .bind(&vehicle.license_plate)
            .bind(&vehicle.plate_key)
            .bind(&vehicle.make)
            .bind(&vehicle.model)
            .bind(vehicle.year)
            .bind(now.timestamp())
            .bind(vehicle.service_status.as_str())
            .bind(&vehicle.status_note)
            .fetch_one(tx.conn())
            .await
            .map_err(|err| taken_or(err, "licence plate"))?;
        let created = vehicle_from_row(&row)?;
        tx.event(
            EventKind::VehicleCreated,
            vehicle_subject(&created),
            &created,
        )
        .await?;
        self.commit(tx).await?;
        Ok(created)
    }

    pub async fn get_vehicle(&self, id: i64) -> StoreResult<Option<Vehicle>> {
        let sql = format!("SELECT {VEHICLE_COLUMNS} FROM vehicles v WHERE v.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(vehicle_from_row).transpose()
    }

    pub async fn list_vehicles(&self) -> StoreResult<Vec<VehicleListItem>> {
        let sql = format!(
            "SELECT {VEHICLE_COLUMNS}, a.id AS a_id, a.assigned_at, u.id AS u_id, \
             u.name AS u_name, u.email AS u_email \
             FROM vehicles v \
             LEFT JOIN assignments a ON a.vehicle_id = v.id AND a.status = 'active' \
             LEFT JOIN users u ON u.id = a.technician_id \
             ORDER BY v.name, v.id"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let assignment_id: Option<i64> = row.try_get("a_id")?;
                let active_assignment = match assignment_id {
                    Some(id) => Some(VehicleActiveAssignment {
                        id,
                        technician: TechnicianRef {
                            id: row.try_get("u_id")?,
                            name: row.try_get("u_name")?,
                            email: row.try_get("u_email")?,
                        },
                        assigned_date: timestamp(row.try_get("assigned_at")?)?,
                    }),
                    None => None,
                };
                Ok(VehicleListItem {
                    vehicle: vehicle_from_row(row)?,
                    active_assignment,
                })
            })
            .collect()
    }

    /// Reads the vehicle, lets `change` edit the record, writes it back, in one transaction.
    /// A vehicle that leaves service may not keep an active assignment: with `return_active`
    /// it is returned in the same transaction, else the change is refused with
    /// [`StoreError::VehicleAssigned`].
    pub async fn update_vehicle(
        &self,
        id: i64,
        actor: Option<&Actor>,
        return_active: bool,
        mut change: impl FnMut(&mut VehicleRecord),
    ) -> StoreResult<Vehicle> {
        let mut retry = super::retry::Retry::new();
        loop {
            match self
                .update_vehicle_once(id, actor, return_active, &mut change)
                .await
            {
                Err(err) if retry.again(&err).await => {}
                other => return other,
            }
        }
    }

    async fn update_vehicle_once(
        &self,
        id: i64,
        actor: Option<&Actor>,
        return_active: bool,
        change: &mut impl FnMut(&mut VehicleRecord),
    ) -> StoreResult<Vehicle> {
        let mut tx = self.begin_change(actor).await?;
        let sql = format!(
            "SELECT name, license_plate, plate_key, make, model, year, service_status, \
             status_note FROM vehicles WHERE id = $1{}",
            self.backend.lock_row()
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(tx.conn())
            .await?
            .ok_or(StoreError::NotFound)?;
        let status: String = row.try_get("service_status")?;
        let mut record = VehicleRecord {
            name: row.try_get("name")?,
            license_plate: row.try_get("license_plate")?,
            plate_key: row.try_get("plate_key")?,
            make: row.try_get("make")?,
            model: row.try_get("model")?,
            year: row.try_get("year")?,
            service_status: ServiceStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown service status {status:?}")))?,
            status_note: row.try_get("status_note")?,
        };
        change(&mut record);
        let mut returned = None;
        if !record.service_status.is_available() {
            // The row lock above orders this against a concurrent assignment of the vehicle.
            if let Some(active) = active_of_vehicle(tx.conn(), id).await? {
                if !return_active {
                    tx.rollback().await?;
                    return Err(StoreError::VehicleAssigned(Box::new(active)));
                }
                sqlx::query(
                    "UPDATE assignments SET status = 'returned', returned_at = $2, returned_by = $3 \
                     WHERE id = $1",
                )
                .bind(active.id)
                .bind(Utc::now().timestamp())
                .bind(actor.map(|actor| actor.id))
                .execute(tx.conn())
                .await?;
                returned = Some(active.id);
            }
        }
        let sql = format!(
            "UPDATE vehicles SET name = $2, license_plate = $3, plate_key = $4, make = $5, \
             model = $6, year = $7, service_status = $8, status_note = $9 WHERE id = $1 \
             RETURNING {VEHICLE_RETURNING}"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .bind(&record.name)
            .bind(&record.license_plate)
            .bind(&record.plate_key)
            .bind(&record.make)
            .bind(&record.model)
            .bind(record.year)
            .bind(record.service_status.as_str())
            .bind(&record.status_note)
            .fetch_one(tx.conn())
            .await
            .map_err(|err| taken_or(err, "licence plate"))?;
        let vehicle = vehicle_from_row(&row)?;
        if let Some(returned) = returned {
            returned_events(&mut tx, &[returned]).await?;
        }
        tx.event(
            EventKind::VehicleUpdated,
            vehicle_subject(&vehicle),
            &vehicle,
        )
        .await?;
        self.commit(tx).await?;
        Ok(vehicle)
    }

    /// Deletes a vehicle that has never been assigned; history is never deleted.
    pub async fn delete_vehicle(&self, id: i64, actor: Option<&Actor>) -> StoreResult<()> {
        self.retrying(|| self.delete_vehicle_once(id, actor)).await
    }

    async fn delete_vehicle_once(&self, id: i64, actor: Option<&Actor>) -> StoreResult<()> {
        let mut tx = self.begin_change(actor).await?;
        let row = sqlx::query("SELECT COUNT(*) AS n FROM assignments WHERE vehicle_id = $1")
            .bind(id)
            .fetch_one(tx.conn())
            .await?;
        if row.try_get::<i64, _>("n")? > 0 {
            return Err(StoreError::InUse);
        }
        let sql = format!("DELETE FROM vehicles WHERE id = $1 RETURNING {VEHICLE_RETURNING}");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(tx.conn())
            .await
            .map_err(|err| {
                if StoreError::is_foreign_key_violation(&err) {
                    StoreError::InUse
                } else {
                    StoreError::Database(err)
                }
            })?
            .ok_or(StoreError::NotFound)?;
        let deleted = vehicle_from_row(&row)?;
        tx.event(
            EventKind::VehicleDeleted,
            vehicle_subject(&deleted),
            &deleted,
        )
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    // ---- assignments ----

    pub async fn get_assignment(&self, id: i64) -> StoreResult<Option<Assignment>> {
        let sql = format!("{ASSIGNMENT_SELECT} WHERE a.id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(assignment_from_row).transpose()
    }

    /// Newest first. With `before`, only rows after that assignment in this order;
    /// `NotFound` when `before` names no assignment.
    pub async fn list_assignments(&self, query: AssignmentQuery) -> StoreResult<Vec<Assignment>> {
        let mut conditions = Vec::new();
        let mut position = 0;
        let mut next = || {
            position += 1;
            format!("${position}")
        };
        if query.status.is_some() {
            conditions.push(format!("a.status = {}", next()));
        }
        let cursor = match query.before {
            Some(before) => {
                let row = sqlx::query("SELECT assigned_at FROM assignments WHERE id = $1")
                    .bind(before)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                let at: i64 = row.try_get("assigned_at")?;
                // A row-value comparison lets both databases start inside the index.
                let (p1, p2) = (next(), next());
                conditions.push(format!("(a.assigned_at, a.id) < ({p1}, {p2})"));
                Some((at, before))
            }
            None => None,
        };
        let mut sql = ASSIGNMENT_SELECT.to_string();
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(NEWEST_FIRST);
        if query.limit.is_some() {
            sql.push_str(&format!(" LIMIT {}", next()));
        }
        let mut statement = sqlx::query(&sql);
        if let Some(status) = query.status {
            statement = statement.bind(status.as_str());
        }
        if let Some((at, id)) = cursor {
            statement = statement.bind(at).bind(id);
        }
        if let Some(limit) = query.limit {
            statement = statement.bind(limit);
        }
        let rows = statement.fetch_all(&self.pool).await?;
        rows.iter().map(assignment_from_row).collect()
    }

    /// What stands in the way of assigning this vehicle to this technician: the vehicle when
    /// it is not in service, and the active assignments that hold either.
    pub async fn active_conflicts(
        &self,
        vehicle_id: i64,
        technician_id: i64,
    ) -> StoreResult<Vec<AssignmentConflict>> {
        let mut conflicts = Vec::new();
        if let Some(vehicle) = self.get_vehicle(vehicle_id).await? {
            if !vehicle.service_status.is_available() {
                conflicts.push(unavailable(vehicle));
            }
        }
        let sql = format!(
            "{ASSIGNMENT_SELECT} WHERE a.status = 'active' \
             AND (a.vehicle_id = $1 OR a.technician_id = $2){NEWEST_FIRST}"
        );
        let rows = sqlx::query(&sql)
            .bind(vehicle_id)
            .bind(technician_id)
            .fetch_all(&self.pool)
            .await?;
        for row in &rows {
            let assignment = assignment_from_row(row)?;
            let reason = if assignment.vehicle_id == vehicle_id {
                ConflictReason::VehicleBusy
            } else {
                ConflictReason::TechnicianBusy
            };
            conflicts.push(AssignmentConflict {
                reason,
                assignment: Some(assignment),
                vehicle: None,
            });
        }
        Ok(conflicts)
    }

    /// Creates an active assignment. The unique indexes over active rows decide; a violation
    /// comes back as `Busy` with what stands in the way. With `return_conflicting`, those are
    /// returned first in the same transaction: all of it happens or none. A vehicle that is not
    /// in service is refused inside the transaction, with its row locked, so a status change
    /// racing the assignment cannot let both through; `return_conflicting` does not override it.
    pub async fn create_assignment(
        &self,
        vehicle_id: i64,
        technician_id: i64,
        return_conflicting: bool,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<CreateAssignmentOutcome> {
        self.retrying(|| {
            self.create_assignment_once(vehicle_id, technician_id, return_conflicting, actor, now)
        })
        .await
    }

    async fn create_assignment_once(
        &self,
        vehicle_id: i64,
        technician_id: i64,
        return_conflicting: bool,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<CreateAssignmentOutcome> {
        // A concurrent return can empty the conflict list between the failed insert and the
        // re-read; then the insert is simply tried again.
        for _ in 0..5 {
            // The parties are checked first, in the transaction, so that a request naming a
            // user who is not a technician is refused as such even when something is busy.
            // What stands in the way is left to the unique indexes over active rows.
            let mut tx = self.begin_change(actor).await?;
            let (vehicle, technician) =
                match assignment_parties(tx.conn(), self.backend, vehicle_id, technician_id).await?
                {
                    Ok(parties) => parties,
                    Err(refused) => {
                        tx.rollback().await?;
                        return Ok(refused);
                    }
                };
            // The vehicle's row is locked now: its status cannot change until this commits.
            if !vehicle.service_status.is_available() {
                tx.rollback().await?;
                let conflicts = self.active_conflicts(vehicle_id, technician_id).await?;
                // The status is read again outside the lock: report what was seen inside.
                let mut conflicts: Vec<_> = conflicts
                    .into_iter()
                    .filter(|c| c.reason != ConflictReason::VehicleUnavailable)
                    .collect();
                conflicts.insert(0, unavailable(vehicle));
                return Ok(CreateAssignmentOutcome::Busy(conflicts));
            }
            let mut returned = Vec::new();
            if return_conflicting {
                // PostgreSQL: the technician, then the holders, in the store's lock order, so
                // creates that return each other's assignments queue instead of crossing.
                if self.backend == Backend::Postgres {
                    lock_holders(&mut tx, vehicle_id, technician_id).await?;
                }
                let rows = sqlx::query(
                    "UPDATE assignments SET status = 'returned', returned_at = $3, returned_by = $4 \
                     WHERE status = 'active' AND (vehicle_id = $1 OR technician_id = $2) RETURNING id",
                )
                .bind(vehicle_id)
                .bind(technician_id)
                .bind(now.timestamp())
                .bind(actor.map(|actor| actor.id))
                .fetch_all(tx.conn())
                .await?;
                for row in rows {
                    returned.push(row.try_get::<i64, _>("id")?);
                }
            }
            let inserted = sqlx::query(
                "INSERT INTO assignments (vehicle_id, technician_id, status, assigned_at, assigned_by) \
                 VALUES ($1, $2, 'active', $3, $4) RETURNING id",
            )
            .bind(vehicle_id)
            .bind(technician_id)
            .bind(now.timestamp())
            .bind(actor.map(|actor| actor.id))
            .fetch_one(tx.conn())
            .await;
            match inserted {
                Ok(row) => {
                    // Everything else is known already: the parties as read above, the actor.
                    let assignment = Assignment {
                        id: row.try_get("id")?,
                        vehicle_id,
                        technician_id,
                        status: AssignmentStatus::Active,
                        assigned_date: timestamp(now.timestamp())?,
                        returned_date: None,
                        vehicle,
                        technician: TechnicianRef {
                            id: technician.id,
                            name: technician.name,
                            email: technician.email,
                        },
                        assigned_by: actor.cloned(),
                        returned_by: None,
                        return_odometer_km: None,
                        return_note: None,
                    };
                    returned.sort_unstable();
                    returned_events(&mut tx, &returned).await?;
                    tx.event(
                        EventKind::AssignmentCreated,
                        assignment_subject(&assignment),
                        &assignment,
                    )
                    .await?;
                    self.commit(tx).await?;
                    return Ok(CreateAssignmentOutcome::Created(Box::new(assignment)));
                }
                Err(err) if StoreError::is_unique_violation(&err) => {
                    tx.rollback().await?;
                    if return_conflicting {
                        // A plain create committed in between (it takes no lock the holders'
                        // lock waits for): run again, and return that one too.
                        continue;
                    }
                    let conflicts = self.active_conflicts(vehicle_id, technician_id).await?;
                    if !conflicts.is_empty() {
                        return Ok(CreateAssignmentOutcome::Busy(conflicts));
                    }
                }
                Err(err) if StoreError::is_foreign_key_violation(&err) => {
                    return Err(StoreError::NotFound)
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(StoreError::Corrupt(
            "the assignment kept conflicting with assignments that were returned meanwhile"
                .to_string(),
        ))
    }

    /// Returns an active assignment, with the optional readings; an already returned one is
    /// left unchanged (its first readings kept). A reading becomes the vehicle's odometer; one
    /// below the vehicle's last reading is refused with [`StoreError::OdometerBelow`].
    pub async fn return_assignment(
        &self,
        id: i64,
        readings: &ReturnReadings,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Assignment>> {
        self.retrying(|| self.return_assignment_once(id, readings, actor, now))
            .await
    }

    async fn return_assignment_once(
        &self,
        id: i64,
        readings: &ReturnReadings,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Assignment>> {
        let mut tx = self.begin_change(actor).await?;
        if readings.odometer_km.is_none() {
            // Nothing to check against the vehicle: one statement returns it and its names.
            let sql = returning_assignment(
                self.backend,
                "UPDATE assignments SET status = 'returned', returned_at = $2, returned_by = $3, \
                 return_odometer_km = NULL, return_note = $4 WHERE id = $1 AND status = 'active'",
            );
            let row = sqlx::query(&sql)
                .bind(id)
                .bind(now.timestamp())
                .bind(actor.map(|actor| actor.id))
                .bind(&readings.note)
                .fetch_optional(tx.conn())
                .await?;
            let Some(row) = row else {
                // Unknown or already returned: nothing changes, so no event.
                tx.rollback().await?;
                return self.get_assignment(id).await;
            };
            let assignment = written_assignment(tx.conn(), self.backend, &row).await?;
            tx.event(
                EventKind::AssignmentReturned,
                assignment_subject(&assignment),
                &assignment,
            )
            .await?;
            self.commit(tx).await?;
            return Ok(Some(assignment));
        }
        let row =
            sqlx::query("SELECT vehicle_id FROM assignments WHERE id = $1 AND status = 'active'")
                .bind(id)
                .fetch_optional(tx.conn())
                .await?;
        let Some(row) = row else {
            // Unknown or already returned: nothing changes, so no event.
            tx.rollback().await?;
            return self.get_assignment(id).await;
        };
        let vehicle_id: i64 = row.try_get("vehicle_id")?;
        let mut vehicle_changed = false;
        if let Some(reading) = readings.odometer_km {
            let vehicle = vehicle_locked(tx.conn(), self.backend, vehicle_id)
                .await?
                .ok_or(StoreError::NotFound)?;
            if let Some(last) = vehicle.odometer_km {
                if reading < last {
                    tx.rollback().await?;
                    return Err(StoreError::OdometerBelow(last));
                }
            }
            vehicle_changed = vehicle.odometer_km != Some(reading);
        }
        let changed = sqlx::query(
            "UPDATE assignments SET status = 'returned', returned_at = $2, returned_by = $3, \
             return_odometer_km = $4, return_note = $5 WHERE id = $1 AND status = 'active'",
        )
        .bind(id)
        .bind(now.timestamp())
        .bind(actor.map(|actor| actor.id))
        .bind(readings.odometer_km)
        .bind(&readings.note)
        .execute(tx.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            // Returned meanwhile (PostgreSQL): the first return stands.
            tx.rollback().await?;
            return self.get_assignment(id).await;
        }
        if vehicle_changed {
            let sql = format!(
                "UPDATE vehicles SET odometer_km = $2 WHERE id = $1 RETURNING {VEHICLE_RETURNING}"
            );
            let row = sqlx::query(&sql)
                .bind(vehicle_id)
                .bind(readings.odometer_km)
                .fetch_one(tx.conn())
                .await?;
            let vehicle = vehicle_from_row(&row)?;
            tx.event(
                EventKind::VehicleUpdated,
                vehicle_subject(&vehicle),
                &vehicle,
            )
            .await?;
        }
        let assignment = assignment_in(tx.conn(), id).await?;
        tx.event(
            EventKind::AssignmentReturned,
            assignment_subject(&assignment),
            &assignment,
        )
        .await?;
        self.commit(tx).await?;
        Ok(Some(assignment))
    }

    pub async fn dashboard(&self) -> StoreResult<DashboardSummary> {
        let row = sqlx::query(
            "SELECT \
             (SELECT COUNT(*) FROM assignments WHERE status = 'active') AS active, \
             (SELECT COUNT(*) FROM vehicles) AS vehicles, \
             (SELECT COUNT(*) FROM vehicles v WHERE v.service_status = 'in_service' \
              AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.vehicle_id = v.id \
              AND a.status = 'active')) AS free_vehicles, \
             (SELECT COUNT(*) FROM users WHERE role = 'technician') AS technicians, \
             (SELECT COUNT(*) FROM assignments a JOIN users u ON u.id = a.technician_id \
              WHERE a.status = 'active' AND u.role = 'technician') AS busy_technicians",
        )
        .fetch_one(&self.pool)
        .await?;
        let active: i64 = row.try_get("active")?;
        let vehicles: i64 = row.try_get("vehicles")?;
        let technicians: i64 = row.try_get("technicians")?;
        let busy_technicians: i64 = row.try_get("busy_technicians")?;
        Ok(DashboardSummary {
            active_assignments: active,
            vehicles,
            technicians,
            // In service and unassigned (API.md §8).
            available_vehicles: row.try_get("free_vehicles")?,
            available_technicians: technicians - busy_technicians,
        })
    }

    /// True when there are no users and no vehicles (the demo data set may be loaded).
    pub async fn is_empty(&self) -> StoreResult<bool> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM vehicles) AS vehicles",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("users")? == 0 && row.try_get::<i64, _>("vehicles")? == 0)
    }

    /// Writes assignments with given times in one transaction (demo data, benchmarks).
    /// Each row gets its `assignment.created` event, with no actor.
    pub async fn insert_history(&self, history: &[HistoricAssignment]) -> StoreResult<()> {
        self.retrying(|| self.insert_history_once(history)).await
    }

    async fn insert_history_once(&self, history: &[HistoricAssignment]) -> StoreResult<()> {
        if history.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_change(None).await?;
        for chunk in history.chunks(super::INSERT_CHUNK) {
            let mut sql = String::from(
                "INSERT INTO assignments (vehicle_id, technician_id, status, assigned_at, \
                 returned_at, return_odometer_km, return_note) VALUES ",
            );
            sql.push_str(&super::values_placeholders(chunk.len(), 7));
            sql.push_str(" RETURNING id");
            let mut statement = sqlx::query(&sql);
            for row in chunk {
                let status = match row.returned_at {
                    Some(_) => AssignmentStatus::Returned,
                    None => AssignmentStatus::Active,
                };
                statement = statement
                    .bind(row.vehicle_id)
                    .bind(row.technician_id)
                    .bind(status.as_str())
                    .bind(row.assigned_at.timestamp())
                    .bind(row.returned_at.map(|at| at.timestamp()))
                    .bind(row.return_odometer_km)
                    .bind(&row.return_note);
            }
            let rows = statement.fetch_all(tx.conn()).await.map_err(|err| {
                if StoreError::is_unique_violation(&err) {
                    StoreError::Taken("active assignment")
                } else {
                    StoreError::Database(err)
                }
            })?;
            let ids = rows
                .iter()
                .map(|row| row.try_get::<i64, _>("id"))
                .collect::<Result<Vec<_>, _>>()?;
            let sql = format!(
                "{ASSIGNMENT_SELECT} WHERE a.id IN ({}) ORDER BY a.id",
                (1..=ids.len())
                    .map(|n| format!("${n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut select = sqlx::query(&sql);
            for id in &ids {
                select = select.bind(*id);
            }
            let created = select.fetch_all(tx.conn()).await?;
            let events = created
                .iter()
                .map(|row| {
                    let assignment = assignment_from_row(row)?;
                    Ok((
                        EventKind::AssignmentCreated,
                        assignment_subject(&assignment),
                        serde_json::to_string(&assignment)
                            .map_err(|err| StoreError::Corrupt(err.to_string()))?,
                    ))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            tx.events(events).await?;
        }
        // Each vehicle's last reading is the highest one of its history.
        let mut read: Vec<i64> = history
            .iter()
            .filter(|row| row.return_odometer_km.is_some())
            .map(|row| row.vehicle_id)
            .collect();
        read.sort_unstable();
        read.dedup();
        for vehicle_id in read {
            let sql = format!(
                "UPDATE vehicles SET odometer_km = (SELECT MAX(return_odometer_km) FROM assignments \
                 WHERE vehicle_id = $1) WHERE id = $1 RETURNING {VEHICLE_RETURNING}"
            );
            let row = sqlx::query(&sql)
                .bind(vehicle_id)
                .fetch_one(tx.conn())
                .await?;
            let vehicle = vehicle_from_row(&row)?;
            tx.event(
                EventKind::VehicleUpdated,
                vehicle_subject(&vehicle),
                &vehicle,
            )
            .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }
}

/// Takes the locks a create that returns what stands in its way needs on PostgreSQL, after the
/// vehicle's (see `retry.rs`): the technician, then the active assignments that hold either,
/// lowest id first. SQLite's writer lock covers all of it. A plain create needs none of these:
/// the unique indexes over active rows make a second insert wait for the first and fail.
async fn lock_holders(tx: &mut WriteTx, vehicle_id: i64, technician_id: i64) -> StoreResult<()> {
    // NO KEY UPDATE: it still lets other inserts reference these rows (their foreign-key
    // checks take KEY SHARE), so an actor who is a technician cannot close a cycle.
    sqlx::query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .bind(technician_id)
        .fetch_optional(tx.conn())
        .await?;
    // Rows are locked in the sorted order (LockRows runs above the sort).
    sqlx::query(
        "SELECT id FROM assignments WHERE status = 'active' \
         AND (vehicle_id = $1 OR technician_id = $2) ORDER BY id FOR NO KEY UPDATE",
    )
    .bind(vehicle_id)
    .bind(technician_id)
    .fetch_all(tx.conn())
    .await?;
    Ok(())
}
