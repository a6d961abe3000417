//! The event log: the one place that writes an event (in the change's own transaction), the
//! sequencer that gives PostgreSQL's events their commit-ordered ids, and the reads behind
//! the live stream and the activity log.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tokio::sync::Notify;

use super::{Backend, Store, StoreError, StoreResult};
use crate::api::events::{ActivityQuery, Actor, Event, EventKind, EventSubject};

/// The PostgreSQL channel on which a sequencer says that new ids were handed out.
pub const EVENTS_CHANNEL: &str = "fleetdesk_events";
/// Transaction advisory lock held while ids are stamped: one sequencer at a time, across
/// every instance on the database.
const SEQUENCER_LOCK: i64 = 0x666c_6565_7464_6576; // "fleetdev"
/// Events numbered per sequencer transaction.
pub const STAMP_BATCH: i64 = 5000;

/// Wakes the tasks that follow the event log, in this process.
#[derive(Debug, Default)]
pub struct EventSignals {
    /// A write transaction with events committed (PostgreSQL: they still need their ids).
    pub committed: Notify,
    /// New public ids exist: the fan-out reads them.
    pub numbered: Notify,
}

/// A write transaction that knows who acts and counts the events written in it. Every write
/// in the store goes through one, and [`Store::commit`] refuses to commit a change without
/// its event.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    actor: Option<Actor>,
    events: usize,
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Writes one event: `data` is the object after the change (for a delete, before it).
    pub(crate) async fn event(
        &mut self,
        kind: EventKind,
        subject: EventSubject,
        data: &impl Serialize,
    ) -> StoreResult<()> {
        let data = serde_json::to_string(data)
            .map_err(|err| StoreError::Corrupt(format!("event data: {err}")))?;
        let actor = self.actor.clone();
        sqlx::query(
            "INSERT INTO events (at, actor_id, actor_name, kind, vehicle_id, technician_id, \
             user_id, assignment_id, organization_id, rel_id, api_key_id, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(Utc::now().timestamp())
        .bind(actor.as_ref().map(|actor| actor.id))
        .bind(actor.map(|actor| actor.name))
        .bind(kind.as_str())
        .bind(subject.vehicle_id)
        .bind(subject.technician_id)
        .bind(subject.user_id)
        .bind(subject.assignment_id)
        .bind(subject.organization_id)
        .bind(subject.rel_id)
        .bind(subject.api_key_id)
        .bind(data)
        .execute(&mut *self.tx)
        .await?;
        self.events += 1;
        Ok(())
    }

    /// Many events at once (bulk loads): each is a kind, a subject and the data as JSON text.
    pub(crate) async fn events(
        &mut self,
        events: Vec<(EventKind, EventSubject, String)>,
    ) -> StoreResult<()> {
        // 12 values a row stays under SQLite's oldest limit of 999 bound parameters.
        const ROWS: usize = 80;
        let at = Utc::now().timestamp();
        let actor = self.actor.clone();
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            let chunk: Vec<_> = events.by_ref().take(ROWS).collect();
            let sql = format!(
                "INSERT INTO events (at, actor_id, actor_name, kind, vehicle_id, technician_id, \
                 user_id, assignment_id, organization_id, rel_id, api_key_id, data) VALUES {}",
                super::values_placeholders(chunk.len(), 12)
            );
            let mut statement = sqlx::query(&sql);
            for (kind, subject, data) in &chunk {
                statement = statement
                    .bind(at)
                    .bind(actor.as_ref().map(|actor| actor.id))
                    .bind(actor.as_ref().map(|actor| actor.name.clone()))
                    .bind(kind.as_str())
                    .bind(subject.vehicle_id)
                    .bind(subject.technician_id)
                    .bind(subject.user_id)
                    .bind(subject.assignment_id)
                    .bind(subject.organization_id.clone())
                    .bind(subject.rel_id)
                    .bind(subject.api_key_id)
                    .bind(data.clone());
            }
            statement.execute(&mut *self.tx).await?;
            self.events += chunk.len();
        }
        Ok(())
    }

    pub(crate) async fn rollback(self) -> StoreResult<()> {
        Ok(self.tx.rollback().await?)
    }
}

const EVENT_COLUMNS: &str = "id, at, actor_id, actor_name, kind, vehicle_id, technician_id, \
     user_id, assignment_id, organization_id, rel_id, api_key_id, data";

fn event_from_row(row: &AnyRow) -> StoreResult<Event> {
    let kind: String = row.try_get("kind")?;
    let at: i64 = row.try_get("at")?;
    let actor_id: Option<i64> = row.try_get("actor_id")?;
    let actor_name: Option<String> = row.try_get("actor_name")?;
    let data: String = row.try_get("data")?;
    Ok(Event {
        id: row.try_get("id")?,
        at: DateTime::from_timestamp(at, 0)
            .ok_or_else(|| StoreError::Corrupt(format!("event time {at} is out of range")))?,
        actor: actor_id.map(|id| Actor {
            id,
            name: actor_name.unwrap_or_default(),
        }),
        kind: kind
            .parse()
            .map_err(|err| StoreError::Corrupt(format!("{err}")))?,
        subject: EventSubject {
            vehicle_id: row.try_get("vehicle_id")?,
            technician_id: row.try_get("technician_id")?,
            user_id: row.try_get("user_id")?,
            assignment_id: row.try_get("assignment_id")?,
            organization_id: row.try_get("organization_id")?,
            rel_id: row.try_get("rel_id")?,
            api_key_id: row.try_get("api_key_id")?,
        },
        data: serde_json::from_str(&data)
            .map_err(|err| StoreError::Corrupt(format!("event data is not JSON: {err}")))?,
    })
}

/// The ids a reader can resume from: `(pruned_through, last_id]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventBounds {
    /// Every id up to this one was pruned by retention.
    pub pruned_through: i64,
    /// The highest id handed out so far.
    pub last_id: i64,
}

impl Store {
    /// Starts a write transaction on behalf of `actor` (None: outside a request).
    pub(crate) async fn begin_change(&self, actor: Option<&Actor>) -> StoreResult<WriteTx> {
        Ok(WriteTx {
            tx: self.begin_write().await?,
            actor: actor.cloned(),
            events: 0,
        })
    }

    /// Commits a change with its events and wakes the event log's followers.
    pub(crate) async fn commit(&self, tx: WriteTx) -> StoreResult<()> {
        if tx.events == 0 {
            tx.tx.rollback().await?;
            return Err(StoreError::Corrupt(
                "a change without its event was not committed".to_string(),
            ));
        }
        tx.tx.commit().await?;
        self.events_committed();
        Ok(())
    }

    /// Commits a change whose commit may fail on a deferred constraint, mapping that error.
    pub(crate) async fn commit_or(
        &self,
        tx: WriteTx,
        map: impl FnOnce(sqlx::Error) -> StoreError,
    ) -> StoreResult<()> {
        if tx.events == 0 {
            tx.tx.rollback().await?;
            return Err(StoreError::Corrupt(
                "a change without its event was not committed".to_string(),
            ));
        }
        tx.tx.commit().await.map_err(map)?;
        self.events_committed();
        Ok(())
    }

    fn events_committed(&self) {
        match self.backend {
            // BEGIN IMMEDIATE: ids are final at commit.
            Backend::Sqlite => self.signals.numbered.notify_one(),
            Backend::Postgres => self.signals.committed.notify_one(),
        }
    }

    pub fn event_signals(&self) -> Arc<EventSignals> {
        self.signals.clone()
    }

    /// Hands out public ids to committed events that have none yet (PostgreSQL; a no-op on
    /// SQLite). Returns how many were numbered. Any instance may call it at any time.
    pub async fn stamp_events(&self) -> StoreResult<i64> {
        self.retrying(|| self.stamp_events_once()).await
    }

    async fn stamp_events_once(&self) -> StoreResult<i64> {
        if self.backend != Backend::Postgres {
            return Ok(0);
        }
        // Cheap when idle: no transaction, no lock.
        let pending = sqlx::query("SELECT seq FROM events WHERE id IS NULL LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        if pending.is_none() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SEQUENCER_LOCK)
            .execute(&mut *tx)
            .await?;
        // Read committed: each statement sees every transaction committed before it began,
        // so what is numbered here committed before everything numbered by a later batch.
        // One statement numbers the batch, moves the last id on and notifies (delivered at
        // commit, to every instance's listener): one round trip under the lock.
        let stamped: i64 = sqlx::query(
            "WITH state AS (SELECT last_id FROM event_state), \
             pending AS ( \
               SELECT seq, row_number() OVER (ORDER BY seq) AS n FROM events \
               WHERE id IS NULL ORDER BY seq LIMIT $1 \
             ), \
             stamped AS ( \
               UPDATE events SET id = state.last_id + pending.n FROM pending, state \
               WHERE events.seq = pending.seq RETURNING events.id \
             ), \
             moved AS ( \
               UPDATE event_state SET last_id = (SELECT max(id) FROM stamped) \
               WHERE EXISTS (SELECT 1 FROM stamped) RETURNING last_id \
             ) \
             SELECT (SELECT count(*) FROM stamped) AS stamped, \
               (SELECT pg_notify($2, last_id::text) FROM moved) IS NULL AS quiet",
        )
        .bind(STAMP_BATCH)
        .bind(EVENTS_CHANNEL)
        .fetch_one(&mut *tx)
        .await?
        .try_get("stamped")?;
        if stamped == 0 {
            tx.rollback().await?;
            return Ok(0);
        }
        tx.commit().await?;
        self.signals.numbered.notify_one();
        Ok(stamped)
    }

    /// Events with an id above `after`, oldest first, at most `limit`.
    pub async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<Event>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(event_from_row).collect()
    }

    pub async fn event_bounds(&self) -> StoreResult<EventBounds> {
        let row = sqlx::query(
            "SELECT (SELECT pruned_through FROM event_state) AS pruned_through, \
             (SELECT MAX(id) FROM events) AS max_id",
        )
        .fetch_one(&self.pool)
        .await?;
        let pruned_through: i64 = row.try_get("pruned_through")?;
        let max_id: Option<i64> = row.try_get("max_id")?;
        Ok(EventBounds {
            pruned_through,
            // Pruning everything must not make old ids look unknown.
            last_id: max_id.unwrap_or(0).max(pruned_through),
        })
    }

    /// Deletes the events older than `cutoff`; returns how many.
    pub async fn prune_events(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        self.retrying(|| self.prune_events_once(cutoff)).await
    }

    async fn prune_events_once(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        // Ids, not times, mark the horizon: everything at or below it goes.
        let row = sqlx::query("SELECT MAX(id) AS horizon FROM events WHERE at < $1")
            .bind(cutoff.timestamp())
            .fetch_one(&mut *tx)
            .await?;
        let Some(horizon) = row.try_get::<Option<i64>, _>("horizon")? else {
            tx.rollback().await?;
            return Ok(0);
        };
        let deleted = sqlx::query("DELETE FROM events WHERE id <= $1")
            .bind(horizon)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE event_state SET pruned_through = $1 WHERE pruned_through < $1")
            .bind(horizon)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// The activity log: newest first, filtered, at most `limit` rows.
    pub async fn activity(&self, query: &ActivityQuery, limit: i64) -> StoreResult<Vec<Event>> {
        let mut conditions = vec!["id IS NOT NULL".to_string()];
        let mut position = 0;
        let mut next = || {
            position += 1;
            format!("${position}")
        };
        let mut ints: Vec<i64> = Vec::new();
        let mut kind = None;
        if let Some(before) = query.before {
            conditions.push(format!("id < {}", next()));
            ints.push(before);
        }
        // Binds go in placeholder order: integers first, then the kind (text), then the limit.
        for (column, value) in [
            ("vehicle_id", query.vehicle_id),
            ("technician_id", query.technician_id),
            ("user_id", query.user_id),
            ("actor_id", query.actor_id),
            ("at", query.since.map(|at| at.timestamp())),
        ] {
            if let Some(value) = value {
                let op = if column == "at" { ">=" } else { "=" };
                conditions.push(format!("{column} {op} {}", next()));
                ints.push(value);
            }
        }
        if let Some(until) = query.until {
            conditions.push(format!("at <= {}", next()));
            ints.push(until.timestamp());
        }
        if let Some(wanted) = query.kind {
            conditions.push(format!("kind = {}", next()));
            kind = Some(wanted.as_str());
        }
        let limit_placeholder = next();
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE {} ORDER BY id DESC LIMIT {limit_placeholder}",
            conditions.join(" AND ")
        );
        let mut statement = sqlx::query(&sql);
        for value in ints {
            statement = statement.bind(value);
        }
        if let Some(kind) = kind {
            statement = statement.bind(kind);
        }
        let rows = statement.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(event_from_row).collect()
    }

    /// A connection that hears the sequencers of every instance (PostgreSQL), or None.
    pub async fn listen_for_events(&self) -> StoreResult<Option<EventListener>> {
        match (&self.backend, &self.url) {
            (Backend::Postgres, url) => {
                let mut listener = sqlx::postgres::PgListener::connect(url).await?;
                listener.listen(EVENTS_CHANNEL).await?;
                Ok(Some(EventListener(listener)))
            }
            (Backend::Sqlite, _) => Ok(None),
        }
    }
}

/// Hears that some instance numbered new events.
pub struct EventListener(sqlx::postgres::PgListener);

impl EventListener {
    /// Waits for the next notification; reconnects by itself after a lost connection (the
    /// caller should then look at the table, since a notification may have been missed).
    pub async fn recv(&mut self) -> StoreResult<()> {
        self.0.recv().await?;
        Ok(())
    }
}
