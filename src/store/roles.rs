//! Organizations and users' role assignments.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Backend, Store, StoreError, StoreResult, WriteTx};
use crate::api::dates::Day;
use crate::api::events::{Actor, EventKind, EventSubject};
use crate::api::roles::{Organization, Role, RoleAssignmentRow};
use crate::domain::roles::{ExistingAssignment, Holding};

/// One change to a user's assignments in one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleWrite {
    Delete {
        rel_id: i64,
    },
    Update {
        rel_id: i64,
        roles: Vec<Role>,
        from: Day,
        to: Day,
    },
    Insert {
        roles: Vec<Role>,
        from: Day,
        to: Day,
    },
}

/// A role assignment written as is (demo data, benchmarks); the caller keeps them apart.
#[derive(Clone, Debug)]
pub struct RoleAssignmentRecord {
    pub user_id: i64,
    pub organization_id: String,
    pub roles: Vec<Role>,
    pub from: Day,
    pub to: Day,
}

/// The outcome of [`Store::change_role_assignments`].
#[derive(Debug)]
pub enum RoleChange<E> {
    /// Written; the ids of the inserted rows, in the order of the inserts.
    Applied(Vec<i64>),
    /// The decision refused; nothing was written.
    Refused(E),
}

fn roles_to_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| role.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn roles_from_text(text: &str) -> StoreResult<Vec<Role>> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse()
                .map_err(|_| StoreError::Corrupt(format!("unknown role {part:?}")))
        })
        .collect()
}

pub(super) fn day(row: &AnyRow, column: &str) -> StoreResult<Day> {
    let value: i64 = row.try_get(column)?;
    i32::try_from(value)
        .map(Day)
        .map_err(|_| StoreError::Corrupt(format!("day {value} is out of range")))
}

fn organization_from_row(row: &AnyRow) -> StoreResult<Organization> {
    Ok(Organization {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        parent_id: row.try_get("parent_id")?,
    })
}

pub(super) const ROW_SELECT: &str =
    "SELECT r.id, r.user_id, u.name AS user_name, r.organization_id, \
     o.name AS organization_name, r.roles, r.valid_from, r.valid_to \
     FROM role_assignments r JOIN users u ON u.id = r.user_id \
     JOIN organizations o ON o.id = r.organization_id";

pub(super) fn assignment_row(row: &AnyRow) -> StoreResult<RoleAssignmentRow> {
    let user_id: i64 = row.try_get("user_id")?;
    let roles: String = row.try_get("roles")?;
    Ok(RoleAssignmentRow {
        rel_id: row.try_get("id")?,
        user_id: user_id.to_string(),
        user_name: row.try_get("user_name")?,
        organization_id: row.try_get("organization_id")?,
        organization_name: row.try_get("organization_name")?,
        roles: roles_from_text(&roles)?,
        valid_from: day(row, "valid_from")?,
        valid_to: day(row, "valid_to")?,
    })
}

fn role_subject(row: &RoleAssignmentRow) -> EventSubject {
    EventSubject {
        rel_id: Some(row.rel_id),
        user_id: row.user_id.parse().ok(),
        organization_id: Some(row.organization_id.clone()),
        ..EventSubject::default()
    }
}

/// One role assignment read inside a write transaction.
async fn role_row_in(conn: &mut AnyConnection, rel_id: i64) -> StoreResult<RoleAssignmentRow> {
    let sql = format!("{ROW_SELECT} WHERE r.id = $1");
    let row = sqlx::query(&sql).bind(rel_id).fetch_one(conn).await?;
    assignment_row(&row)
}

async fn role_event(tx: &mut WriteTx, kind: EventKind, row: &RoleAssignmentRow) -> StoreResult<()> {
    tx.event(kind, role_subject(row), row).await
}

fn map_commit_error(err: sqlx::Error) -> StoreError {
    if is_exclusion_violation(&err) {
        StoreError::Taken("validity dates")
    } else {
        StoreError::Database(err)
    }
}

impl Store {
    pub async fn create_organization(
        &self,
        id: &str,
        name: &str,
        parent_id: Option<&str>,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<Organization> {
        self.retrying(|| self.create_organization_once(id, name, parent_id, actor, now))
            .await
    }

    async fn create_organization_once(
        &self,
        id: &str,
        name: &str,
        parent_id: Option<&str>,
        actor: Option<&Actor>,
        now: DateTime<Utc>,
    ) -> StoreResult<Organization> {
        let mut tx = self.begin_change(actor).await?;
        let row = sqlx::query(
            "INSERT INTO organizations (id, name, parent_id, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, parent_id",
        )
        .bind(id)
        .bind(name)
        .bind(parent_id)
        .bind(now.timestamp())
        .fetch_one(tx.conn())
        .await
        .map_err(|err| {
            if StoreError::is_foreign_key_violation(&err) {
                StoreError::NotFound
            } else if StoreError::is_unique_violation(&err) {
                StoreError::Taken("organization id")
            } else {
                StoreError::Database(err)
            }
        })?;
        let organization = organization_from_row(&row)?;
        let subject = EventSubject {
            organization_id: Some(organization.id.clone()),
            ..EventSubject::default()
        };
        tx.event(EventKind::OrganizationCreated, subject, &organization)
            .await?;
        self.commit(tx).await?;
        Ok(organization)
    }

    pub async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
        let rows = sqlx::query("SELECT id, name, parent_id FROM organizations ORDER BY name, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(organization_from_row).collect()
    }

    pub async fn get_organization(&self, id: &str) -> StoreResult<Option<Organization>> {
        let row = sqlx::query("SELECT id, name, parent_id FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(organization_from_row).transpose()
    }

    /// The organization's id, then its parent's, up to the root.
    pub async fn organization_ancestry(&self, id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query(
            "WITH RECURSIVE chain (id, parent_id, depth) AS ( \
               SELECT id, parent_id, 0 FROM organizations WHERE id = $1 \
               UNION ALL \
               SELECT o.id, o.parent_id, c.depth + 1 FROM organizations o \
               JOIN chain c ON o.id = c.parent_id WHERE c.depth < 64 \
             ) SELECT id FROM chain ORDER BY depth",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(row.try_get::<String, _>("id")?))
            .collect()
    }

    /// Everything a user holds, in every organization.
    pub async fn holdings(&self, user_id: i64) -> StoreResult<Vec<Holding>> {
        let rows = sqlx::query(
            "SELECT organization_id, roles, valid_from, valid_to FROM role_assignments WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let roles: String = row.try_get("roles")?;
                Ok(Holding {
                    organization_id: row.try_get("organization_id")?,
                    roles: roles_from_text(&roles)?,
                    from: day(row, "valid_from")?,
                    to: day(row, "valid_to")?,
                })
            })
            .collect()
    }

    /// Ordered by user name, organization name, validFrom.
    pub async fn list_role_assignments(
        &self,
        user_id: Option<i64>,
        organization_id: Option<&str>,
    ) -> StoreResult<Vec<RoleAssignmentRow>> {
        let mut sql = ROW_SELECT.to_string();
        let mut conditions = Vec::new();
        if user_id.is_some() {
            conditions.push(format!("r.user_id = ${}", conditions.len() + 1));
        }
        if organization_id.is_some() {
            conditions.push(format!("r.organization_id = ${}", conditions.len() + 1));
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY u.name, u.id, o.name, o.id, r.valid_from");
        let mut query = sqlx::query(&sql);
        if let Some(user_id) = user_id {
            query = query.bind(user_id);
        }
        if let Some(organization_id) = organization_id {
            query = query.bind(organization_id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(assignment_row).collect()
    }

    pub async fn get_role_assignment(&self, rel_id: i64) -> StoreResult<Option<RoleAssignmentRow>> {
        let sql = format!("{ROW_SELECT} WHERE r.id = $1");
        let row = sqlx::query(&sql)
            .bind(rel_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(assignment_row).transpose()
    }

    /// Writes many assignments in one transaction; an overlap fails the whole batch
    /// (on PostgreSQL by the exclusion constraint; on SQLite the caller must not send one).
    pub async fn insert_role_assignments(
        &self,
        records: &[RoleAssignmentRecord],
    ) -> StoreResult<()> {
        self.retrying(|| self.insert_role_assignments_once(records))
            .await
    }

    async fn insert_role_assignments_once(
        &self,
        records: &[RoleAssignmentRecord],
    ) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_change(None).await?;
        for chunk in records.chunks(super::INSERT_CHUNK) {
            let mut sql = String::from(
                "INSERT INTO role_assignments (user_id, organization_id, roles, valid_from, valid_to) VALUES ",
            );
            sql.push_str(&super::values_placeholders(chunk.len(), 5));
            sql.push_str(" RETURNING id");
            let mut statement = sqlx::query(&sql);
            for record in chunk {
                statement = statement
                    .bind(record.user_id)
                    .bind(record.organization_id.as_str())
                    .bind(roles_to_text(&record.roles))
                    .bind(i64::from(record.from.0))
                    .bind(i64::from(record.to.0));
            }
            let rows = statement.fetch_all(tx.conn()).await?;
            let ids = rows
                .iter()
                .map(|row| row.try_get::<i64, _>("id"))
                .collect::<Result<Vec<_>, _>>()?;
            let sql = format!(
                "{ROW_SELECT} WHERE r.id IN ({}) ORDER BY r.id",
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
                    let row = assignment_row(row)?;
                    Ok((
                        EventKind::RoleAssignmentCreated,
                        role_subject(&row),
                        serde_json::to_string(&row)
                            .map_err(|err| StoreError::Corrupt(err.to_string()))?,
                    ))
                })
                .collect::<StoreResult<Vec<_>>>()?;
            tx.events(events).await?;
        }
        self.commit_or(tx, map_commit_error).await
    }

    pub async fn delete_role_assignment(
        &self,
        rel_id: i64,
        actor: Option<&Actor>,
    ) -> StoreResult<()> {
        self.retrying(|| self.delete_role_assignment_once(rel_id, actor))
            .await
    }

    async fn delete_role_assignment_once(
        &self,
        rel_id: i64,
        actor: Option<&Actor>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_change(actor).await?;
        let sql = format!("{ROW_SELECT} WHERE r.id = $1");
        let Some(row) = sqlx::query(&sql)
            .bind(rel_id)
            .fetch_optional(tx.conn())
            .await?
        else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        let before = assignment_row(&row)?;
        sqlx::query("DELETE FROM role_assignments WHERE id = $1")
            .bind(rel_id)
            .execute(tx.conn())
            .await?;
        role_event(&mut tx, EventKind::RoleAssignmentDeleted, &before).await?;
        self.commit(tx).await
    }

    /// Reads a user's assignments in one organization, lets `decide` turn them into writes,
    /// and applies those, all in one transaction that no other change to the same user and
    /// organization can interleave with: SQLite serialises writers (BEGIN IMMEDIATE);
    /// PostgreSQL takes a transaction advisory lock, and its exclusion constraint is the
    /// last word at commit (a violation there comes back as `Taken`).
    pub async fn change_role_assignments<E>(
        &self,
        user_id: i64,
        organization_id: &str,
        actor: Option<&Actor>,
        mut decide: impl FnMut(&[ExistingAssignment]) -> Result<Vec<RoleWrite>, E>,
    ) -> StoreResult<RoleChange<E>> {
        let mut retry = super::retry::Retry::new();
        loop {
            match self
                .change_role_assignments_once(user_id, organization_id, actor, &mut decide)
                .await
            {
                Err(err) if retry.again(&err).await => {}
                other => return other,
            }
        }
    }

    async fn change_role_assignments_once<E>(
        &self,
        user_id: i64,
        organization_id: &str,
        actor: Option<&Actor>,
        decide: &mut impl FnMut(&[ExistingAssignment]) -> Result<Vec<RoleWrite>, E>,
    ) -> StoreResult<RoleChange<E>> {
        let mut tx = self.begin_change(actor).await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2)) AS locked")
                .bind(i32::try_from(user_id % i64::from(i32::MAX)).unwrap_or_default())
                .bind(organization_id)
                .fetch_one(tx.conn())
                .await?;
        }
        let rows = sqlx::query(
            "SELECT id, roles, valid_from, valid_to FROM role_assignments \
             WHERE user_id = $1 AND organization_id = $2 ORDER BY valid_from",
        )
        .bind(user_id)
        .bind(organization_id)
        .fetch_all(tx.conn())
        .await?;
        let existing = rows
            .iter()
            .map(|row| {
                let roles: String = row.try_get("roles")?;
                Ok(ExistingAssignment {
                    rel_id: row.try_get("id")?,
                    roles: roles_from_text(&roles)?,
                    from: day(row, "valid_from")?,
                    to: day(row, "valid_to")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let writes = match decide(&existing) {
            Ok(writes) => writes,
            Err(refusal) => {
                tx.rollback().await?;
                return Ok(RoleChange::Refused(refusal));
            }
        };
        if writes.is_empty() {
            tx.rollback().await?;
            return Ok(RoleChange::Applied(Vec::new()));
        }
        let mut inserted = Vec::new();
        for write in writes {
            match write {
                RoleWrite::Delete { rel_id } => {
                    let before = role_row_in(tx.conn(), rel_id).await?;
                    sqlx::query("DELETE FROM role_assignments WHERE id = $1")
                        .bind(rel_id)
                        .execute(tx.conn())
                        .await?;
                    role_event(&mut tx, EventKind::RoleAssignmentDeleted, &before).await?;
                }
                RoleWrite::Update {
                    rel_id,
                    roles,
                    from,
                    to,
                } => {
                    sqlx::query(
                        "UPDATE role_assignments SET roles = $2, valid_from = $3, valid_to = $4 \
                         WHERE id = $1",
                    )
                    .bind(rel_id)
                    .bind(roles_to_text(&roles))
                    .bind(i64::from(from.0))
                    .bind(i64::from(to.0))
                    .execute(tx.conn())
                    .await?;
                    let after = role_row_in(tx.conn(), rel_id).await?;
                    role_event(&mut tx, EventKind::RoleAssignmentUpdated, &after).await?;
                }
                RoleWrite::Insert { roles, from, to } => {
                    let row = sqlx::query(
                        "INSERT INTO role_assignments (user_id, organization_id, roles, valid_from, valid_to) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(user_id)
                    .bind(organization_id)
                    .bind(roles_to_text(&roles))
                    .bind(i64::from(from.0))
                    .bind(i64::from(to.0))
                    .fetch_one(tx.conn())
                    .await?;
                    let rel_id: i64 = row.try_get("id")?;
                    inserted.push(rel_id);
                    let after = role_row_in(tx.conn(), rel_id).await?;
                    role_event(&mut tx, EventKind::RoleAssignmentCreated, &after).await?;
                }
            }
        }
        self.commit_or(tx, map_commit_error).await?;
        Ok(RoleChange::Applied(inserted))
    }
}

/// PostgreSQL's exclusion_violation (23P01).
fn is_exclusion_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == "23P01")
}
