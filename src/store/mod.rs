//! Persistence. SQL lives here and only here; business rules do not.
//!
//! One implementation serves both databases through sqlx's `Any` driver: the statements are
//! written once in SQL that SQLite and PostgreSQL both accept (numbered `$N` placeholders,
//! `RETURNING`, partial indexes). What differs per database is kept in [`Backend`]: the
//! migrations, how a write transaction starts, and row locking.
//!
//! Write transactions run on [`Store::writer`]. On SQLite that is a pool of one connection:
//! the database takes one writer at a time anyway, so writers wait their turn in the pool's
//! queue (in order, woken the moment the writer is free) rather than in SQLite's busy handler,
//! which sleeps and retries and lets a late writer overtake one that has waited long. Reads
//! keep their own pool and, in WAL mode, never wait for the writer.

mod api_keys;
mod events;
mod fleet;
mod retry;
mod roles;
mod search;

pub use api_keys::*;
pub use events::*;
pub use fleet::*;
pub use retry::WRITE_ATTEMPTS;
pub use roles::*;
pub use search::*;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Connection, Executor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }

    /// SQLite must take the write lock up front, or a read-then-write transaction can fail
    /// with a busy snapshot when another writer commits in between.
    fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }

    /// SQLite serialises writers already (BEGIN IMMEDIATE); PostgreSQL needs a row lock.
    fn lock_row(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0} is already taken")]
    Taken(&'static str),
    #[error("still referenced by other records")]
    InUse,
    /// A vehicle leaving service still has this active assignment.
    #[error("the vehicle has an active assignment")]
    VehicleAssigned(Box<crate::api::Assignment>),
    /// A return reading below the vehicle's last one.
    #[error("the odometer reading is below the last one, {0} km")]
    OdometerBelow(i64),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Unsupported(&'static str),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
        err.as_database_error()
            .is_some_and(|db| db.is_unique_violation())
    }

    pub(crate) fn is_foreign_key_violation(err: &sqlx::Error) -> bool {
        err.as_database_error()
            .is_some_and(|db| db.is_foreign_key_violation())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Longest wait for a pooled connection. Past it a request gets 503 `unavailable`: while the
/// database is away, every new connection is refused and the pool keeps trying this long.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Rows per multi-row INSERT: far below SQLite's bound-parameter limit.
const INSERT_CHUNK: usize = 500;

/// `($1, $2), ($3, $4)` for `rows` rows of `columns` values each.
fn values_placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let values: Vec<String> = (1..=columns)
                .map(|column| format!("${}", row * columns + column))
                .collect();
            format!("({})", values.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Connections for reads on SQLite, for everything on PostgreSQL.
const SQLITE_READERS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 16;

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

/// A pooled connection used more recently than this is handed out without a ping first: the
/// pool already pings each connection when it comes back, so under load a ping at checkout
/// would be a second round trip for nothing. One idle longer is pinged, and closed if the
/// database has dropped it meanwhile (restarted, or timed it out).
const TRUSTED_WHILE_IDLE: Duration = Duration::from_millis(500);

/// Attempts to start a write transaction when the connection it was given turns out dead.
const BEGIN_ATTEMPTS: u32 = POSTGRES_CONNECTIONS + 1;

fn pool_options(backend: Backend, max_connections: u32) -> AnyPoolOptions {
    let options = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                // SQLite may roll a transaction back by itself when a write fails for want of
                // disk or on an I/O error; sqlx's ROLLBACK then fails and the connection stays
                // "inside" a transaction it cannot leave. Such a connection is closed, not
                // reused. The ping lets a ROLLBACK queued when the last transaction was
                // dropped finish.
                if conn.is_in_transaction() || meta.idle_for > TRUSTED_WHILE_IDLE {
                    conn.ping().await?;
                }
                Ok(!conn.is_in_transaction())
            })
        });
    match backend {
        Backend::Sqlite => options.after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute(SQLITE_PRAGMAS).await?;
                Ok(())
            })
        }),
        Backend::Postgres => options,
    }
}

#[derive(Clone)]
pub struct Store {
    /// Reads; on PostgreSQL also writes (the same pool as `writer`).
    pub(crate) pool: AnyPool,
    /// Write transactions: one connection on SQLite (see the module's note).
    pub(crate) writer: AnyPool,
    pub(crate) backend: Backend,
    /// For connections outside the pool (PostgreSQL's LISTEN).
    url: String,
    signals: Arc<EventSignals>,
}

/// The URL may hold a password: it stays out of debug output.
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and runs the migrations (PostgreSQL holds an advisory lock while it does,
    /// so several instances can start together).
    pub async fn open(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend =
            Backend::from_url(url).ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
        let url = match backend {
            Backend::Sqlite if !url.contains('?') && !url.contains(":memory:") => {
                format!("{url}?mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let listen_url = url.clone();
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                // The writer first: it sets WAL mode before the readers open the file.
                let writer = pool_options(backend, 1)
                    .connect_with(options.clone())
                    .await?;
                let pool = pool_options(backend, SQLITE_READERS)
                    .connect_with(options)
                    .await?;
                (pool, writer)
            }
            Backend::Postgres => {
                let pool = pool_options(backend, POSTGRES_CONNECTIONS)
                    .connect_with(options)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let store = Store {
            pool,
            writer,
            backend,
            url: listen_url,
            signals: Arc::default(),
        };
        store.migrate().await?;
        store.fill_search_keys().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => {
                // Rebuilding a table that others refer to needs foreign keys off, which SQLite
                // only allows outside a transaction: the migrations run on one connection with
                // them off, then they are switched back on and checked.
                let mut conn = self.writer.acquire().await?;
                conn.execute("PRAGMA foreign_keys = OFF").await?;
                let migrated = sqlx::migrate!("migrations/sqlite").run(&mut *conn).await;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                migrated?;
                let broken = sqlx::query("PRAGMA foreign_key_check")
                    .fetch_all(&mut *conn)
                    .await?;
                if !broken.is_empty() {
                    return Err(StoreError::Corrupt(format!(
                        "{} rows refer to records that do not exist",
                        broken.len()
                    )));
                }
            }
            Backend::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&self.writer)
                    .await?
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }

    /// A consistent copy of a SQLite database at `path`, taken while others read and write
    /// (`VACUUM INTO` reads one snapshot; writers go on meanwhile in WAL mode). The copy is
    /// written beside `path` first and renamed into place, so `path` never holds half a copy.
    pub async fn backup_sqlite(&self, path: &std::path::Path) -> StoreResult<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unsupported(
                "backup copies SQLite databases only",
            ));
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let target = partial
            .to_str()
            .ok_or_else(|| StoreError::Corrupt("the backup path is not UTF-8".to_string()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target.to_string())
            .execute(&self.pool)
            .await?;
        let renamed = std::fs::File::open(&partial)
            .and_then(|file| file.sync_all())
            .and_then(|()| std::fs::rename(&partial, path));
        if let Err(err) = renamed {
            let _ = std::fs::remove_file(&partial);
            return Err(StoreError::Io(err));
        }
        Ok(())
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The database connections now (open, of which idle) and their upper bound, readers and
    /// the writer together.
    pub fn pool_numbers(&self) -> (u32, usize, u32) {
        let pools: &[&AnyPool] = match self.backend {
            Backend::Sqlite => &[&self.pool, &self.writer],
            Backend::Postgres => &[&self.pool],
        };
        pools.iter().fold((0, 0, 0), |(size, idle, max), pool| {
            (
                size + pool.size(),
                idle + pool.num_idle(),
                max + pool.options().get_max_connections(),
            )
        })
    }

    /// Starts a write transaction. A connection the database dropped while it sat in the pool
    /// (see [`TRUSTED_WHILE_IDLE`]) fails at `BEGIN`, before anything was written, so another
    /// is taken; the failed one is closed when the pool's ping on its return fails.
    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        let mut attempt = 1;
        loop {
            match self.writer.begin_with(self.backend.begin_write()).await {
                Ok(tx) => return Ok(tx),
                Err(err) if attempt < BEGIN_ATTEMPTS && retry::is_dead_connection(&err) => {
                    tracing::debug!(%err, "a pooled connection was dead at BEGIN; taking another");
                    attempt += 1;
                }
                Err(err) => return Err(err.into()),
            }
        }
    }
}
