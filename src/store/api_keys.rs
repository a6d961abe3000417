//! API keys: kept as hashes, looked up on every request that carries one.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::fleet::{timestamp, user_from_row};
use super::{Store, StoreError, StoreResult};
use crate::api::access::ApiKey;
use crate::api::events::{Actor, EventKind, EventSubject};
use crate::api::User;

/// `lastUsedAt` is written at most this often per key, so using a key is a read.
pub const LAST_USED_GRANULARITY_SECONDS: i64 = 60;

const KEY_COLUMNS: &str = "id, name, created_at, expires_at, last_used_at";

fn optional_time(row: &AnyRow, column: &str) -> StoreResult<Option<DateTime<Utc>>> {
    row.try_get::<Option<i64>, _>(column)?
        .map(timestamp)
        .transpose()
}

fn key_from_row(row: &AnyRow) -> StoreResult<ApiKey> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: timestamp(row.try_get("created_at")?)?,
        expires_at: optional_time(row, "expires_at")?,
        last_used_at: optional_time(row, "last_used_at")?,
    })
}

fn key_subject(key_id: i64, user_id: i64) -> EventSubject {
    EventSubject {
        api_key_id: Some(key_id),
        user_id: Some(user_id),
        ..EventSubject::default()
    }
}

/// A key presented with a request, as stored, with its owner as they are now.
#[derive(Clone, Debug)]
pub struct KeyHolder {
    pub key_id: i64,
    pub owner: User,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// What revoking found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    Now,
    Already,
}

impl Store {
    pub async fn create_api_key(
        &self,
        owner: &Actor,
        name: &str,
        secret_hash: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiKey> {
        self.retrying(|| self.create_api_key_once(owner, name, secret_hash, expires_at, now))
            .await
    }

    async fn create_api_key_once(
        &self,
        owner: &Actor,
        name: &str,
        secret_hash: &str,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiKey> {
        let mut tx = self.begin_change(Some(owner)).await?;
        let sql = format!(
            "INSERT INTO api_keys (user_id, name, secret_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING {KEY_COLUMNS}"
        );
        let row = sqlx::query(&sql)
            .bind(owner.id)
            .bind(name)
            .bind(secret_hash)
            .bind(now.timestamp())
            .bind(expires_at.map(|at| at.timestamp()))
            .fetch_one(tx.conn())
            .await
            .map_err(|err| {
                if StoreError::is_unique_violation(&err) {
                    StoreError::Taken("key secret")
                } else {
                    StoreError::Database(err)
                }
            })?;
        let key = key_from_row(&row)?;
        tx.event(
            EventKind::ApiKeyCreated,
            key_subject(key.id, owner.id),
            &key,
        )
        .await?;
        self.commit(tx).await?;
        Ok(key)
    }

    /// The owner's keys that are not revoked, newest first.
    pub async fn list_api_keys(&self, user_id: i64) -> StoreResult<Vec<ApiKey>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL \
             ORDER BY id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revokes one of the owner's keys; `NotFound` when the owner has no such key.
    pub async fn revoke_api_key(
        &self,
        actor: &Actor,
        key_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Revoked> {
        self.retrying(|| self.revoke_api_key_once(actor, key_id, now))
            .await
    }

    async fn revoke_api_key_once(
        &self,
        actor: &Actor,
        key_id: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<Revoked> {
        let mut tx = self.begin_change(Some(actor)).await?;
        let sql = format!(
            "SELECT {KEY_COLUMNS}, revoked_at FROM api_keys WHERE id = $1 AND user_id = $2{}",
            self.backend.lock_row()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(key_id)
            .bind(actor.id)
            .fetch_optional(tx.conn())
            .await?
        else {
            tx.rollback().await?;
            return Err(StoreError::NotFound);
        };
        if row.try_get::<Option<i64>, _>("revoked_at")?.is_some() {
            tx.rollback().await?;
            return Ok(Revoked::Already);
        }
        sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1")
            .bind(key_id)
            .bind(now.timestamp())
            .execute(tx.conn())
            .await?;
        let key = key_from_row(&row)?;
        tx.event(
            EventKind::ApiKeyRevoked,
            key_subject(key_id, actor.id),
            &key,
        )
        .await?;
        self.commit(tx).await?;
        Ok(Revoked::Now)
    }

    /// The key with this secret hash and its owner, read afresh on every request, so a
    /// revocation or a changed role counts at once on every instance.
    pub async fn api_key_holder(&self, secret_hash: &str) -> StoreResult<Option<KeyHolder>> {
        let row = sqlx::query(
            "SELECT k.id AS key_id, k.expires_at, k.revoked_at, k.last_used_at, \
             u.id, u.name, u.email, u.role \
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.secret_hash = $1",
        )
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(KeyHolder {
                key_id: row.try_get("key_id")?,
                owner: user_from_row(&row)?,
                expires_at: optional_time(&row, "expires_at")?,
                revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                last_used_at: optional_time(&row, "last_used_at")?,
            })
        })
        .transpose()
    }

    /// Notes that a key was used, unless that was noted within the last minute (by this
    /// instance or another). Bookkeeping, not a change: no event.
    pub async fn note_api_key_use(&self, key_id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        self.retrying(|| self.note_api_key_use_once(key_id, now))
            .await
    }

    async fn note_api_key_use_once(&self, key_id: i64, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE api_keys SET last_used_at = $2 \
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
        )
        .bind(key_id)
        .bind(now.timestamp())
        .bind(now.timestamp() - LAST_USED_GRANULARITY_SECONDS)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
