//! Failures that are not the request's fault: a write that lost a race to another (retried
//! here, a bounded number of times with jitter), and a database that cannot be reached or
//! cannot write (the server answers 503 `unavailable`).
//!
//! Lock order, which keeps the races to the ones below: a write transaction locks the rows it
//! reads for update first, vehicles before users, lowest id first within a table, then the
//! assignments it changes, lowest id first; its event row is new and locks nothing. The
//! PostgreSQL sequencer's advisory lock (`Store::stamp_events`) is only ever taken by a
//! transaction that holds nothing else and touches only committed event rows and
//! `event_state`, so it cannot close a cycle with a write.

use std::future::Future;
use std::time::Duration;

use sqlx::error::DatabaseError;

use super::{Store, StoreError, StoreResult};

/// Runs of a write transaction, the first included.
pub const WRITE_ATTEMPTS: u32 = 8;
/// The first pause before a retry; it doubles on each further one, up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(4);
const MAX_PAUSE: Duration = Duration::from_millis(250);

/// SQLite primary result codes (the low byte of an extended code).
const SQLITE_BUSY: i64 = 5;
const SQLITE_LOCKED: i64 = 6;
const SQLITE_READONLY: i64 = 8;
const SQLITE_IOERR: i64 = 10;
const SQLITE_FULL: i64 = 13;
const SQLITE_CANTOPEN: i64 = 14;

fn sqlite_code(db: &dyn DatabaseError) -> Option<i64> {
    let sqlite = db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    sqlite
        .code()
        .and_then(|code| code.parse::<i64>().ok())
        .map(|code| code & 0xff)
}

fn postgres_code(db: &dyn DatabaseError) -> Option<String> {
    let postgres = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    Some(postgres.code().to_string())
}

impl StoreError {
    /// The transaction lost a race and changed nothing; running it again may succeed.
    /// PostgreSQL: deadlock (40P01) or serialization failure (40001); SQLite: BUSY or LOCKED.
    pub fn is_transient(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(db)) = self else {
            return false;
        };
        let db = db.as_ref();
        if let Some(code) = sqlite_code(db) {
            return code == SQLITE_BUSY || code == SQLITE_LOCKED;
        }
        postgres_code(db).is_some_and(|code| code == "40P01" || code == "40001")
    }

    /// The database cannot be reached, or cannot write: not the request's fault, and over
    /// once the database is back (PostgreSQL restarted, the disk writable again).
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(err) = self else {
            return matches!(self, StoreError::Io(_));
        };
        match err {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => true,
            sqlx::Error::Database(db) => {
                let db = db.as_ref();
                if let Some(code) = sqlite_code(db) {
                    return matches!(
                        code,
                        SQLITE_READONLY | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN
                    );
                }
                // Connection exceptions (08…), insufficient resources such as a full disk
                // (53…), and the server shutting down or starting (57P01–57P03).
                postgres_code(db).is_some_and(|code| {
                    code.starts_with("08")
                        || code.starts_with("53")
                        || matches!(code.as_str(), "57P01" | "57P02" | "57P03")
                })
            }
            _ => false,
        }
    }
}

/// The connection itself is gone: it failed to carry the statement, or the database said it
/// was closing it (PostgreSQL 57P01, 57P02: terminated; 08…: connection exception). Not the
/// pool's wait, and not an answer about the data.
pub(crate) fn is_dead_connection(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => postgres_code(db.as_ref()).is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_str(), "57P01" | "57P02")
        }),
        _ => false,
    }
}

/// A random pause in `[0, ceiling]` ("full jitter"), so writers that collided do not collide
/// again in step.
fn jittered(ceiling: Duration) -> Duration {
    let ceiling_micros = u64::try_from(ceiling.as_micros()).unwrap_or(u64::MAX);
    // No random source: the full pause still bounds the retries.
    let random = getrandom::u64().unwrap_or(u64::MAX);
    Duration::from_micros(random % ceiling_micros.saturating_add(1))
}

/// The retry policy of one write: call [`Retry::again`] with each failure.
pub(crate) struct Retry {
    run: u32,
    pause: Duration,
}

impl Retry {
    pub(crate) fn new() -> Retry {
        Retry {
            run: 1,
            pause: FIRST_PAUSE,
        }
    }

    /// Whether the write should run again after `err`; if so, after a jittered pause.
    pub(crate) async fn again(&mut self, err: &StoreError) -> bool {
        if !err.is_transient() {
            return false;
        }
        if self.run >= WRITE_ATTEMPTS {
            tracing::warn!(%err, runs = self.run, "a write kept losing races; giving up");
            return false;
        }
        tracing::debug!(%err, run = self.run, "a write lost a race; running it again");
        tokio::time::sleep(jittered(self.pause)).await;
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        self.run += 1;
        true
    }
}

impl Store {
    /// Runs a write transaction, and again after a pause when it fails with a transient error
    /// ([`StoreError::is_transient`]), at most [`WRITE_ATTEMPTS`] times in all. `attempt`
    /// must start its own transaction each time: a failed one has been rolled back.
    pub(crate) async fn retrying<T, F, Fut>(&self, mut attempt: F) -> StoreResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let mut retry = Retry::new();
        loop {
            match attempt().await {
                Err(err) if retry.again(&err).await => {}
                other => return other,
            }
        }
    }
}
