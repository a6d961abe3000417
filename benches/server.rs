//! Server benchmarks over real HTTP: `cargo bench --bench server`.
//!
//! The real server runs in-process on 127.0.0.1:0 against a fresh database, and reqwest clients
//! talk to it over loopback. Every response is checked; an unexpected status aborts the run.
//!
//! 1. Create + return cycles: 32 clients, each with its own vehicle and technician, loop
//!    `POST /api/admin/assignments` then `PATCH /api/admin/assignments/:id/return`. Against
//!    it, in the same run and alternating with it, the raw baseline: the same transactions
//!    (check, insert, event; return, event) from 32 tasks straight through sqlx, no HTTP.
//!    `cargo bench --bench server -- cycles` runs only this part; `FLEETDESK_BENCH_ROUNDS=N`
//!    alternates N times instead of twice. On PostgreSQL it also prints the WAL written per
//!    cycle by each side, a measure of the write work that the machine's noise does not move.
//! 2. Reading history: with 100,000 assignments stored, the latency of the active list, the
//!    first page and a page about halfway back.
//! 3. Events: the time from sending a change to its event arriving on each of 1, 50 and 200
//!    open `GET /api/events` streams, and create + return cycles with 200 streams open
//!    (compared with none, on a fresh server each, in the same run).
//!
//! SQLite always runs (a file in a temporary directory, removed afterwards). PostgreSQL runs
//! when `FLEETDESK_BENCH_POSTGRES_URL` names a server, e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`; a database with a random name is created
//! there and dropped at the end, also when the run fails.
//!
//! No tracing subscriber is installed, so the server logs nothing.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{bail, ensure, eyre, Result, WrapErr};
use fleetdesk::api::SystemRole;
use fleetdesk::domain::fleet::{email_key, plate_key};
use fleetdesk::server::{self, BootstrapAdmin, RunningServer, ServeConfig};
use fleetdesk::store::{HistoricAssignment, Store, UserRecord, VehicleRecord};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use tokio::task::JoinSet;

/// The allocator the fleetdesk binary runs with (src/main.rs), so the server is measured as it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const POSTGRES_ENV: &str = "FLEETDESK_BENCH_POSTGRES_URL";
const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123456789";
const ADMIN_EMAIL: &str = "admin@depot.example";
const ADMIN_PASSWORD: &str = "admin-password";

/// Concurrent clients in the create + return benchmark, each with its own pair.
const CLIENTS: usize = 32;
const WARMUP_CYCLES: usize = 5;
const MEASURED_CYCLES: usize = 200;

const HISTORY_ROWS: usize = 100_000;
/// The newest rows of the history stay active, on distinct vehicles and technicians.
const HISTORY_ACTIVE: usize = 30;
const HISTORY_VEHICLES: usize = 200;
const HISTORY_TECHNICIANS: usize = 120;
/// Seconds between two assignments of the generated history.
const HISTORY_SPACING: i64 = 600;
const READ_WARMUP: usize = 20;
const READ_RUNS: usize = 200;
const PAGE: usize = 100;

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Upper bound for one benchmark phase, so a stuck run ends.
const PHASE_TIMEOUT: Duration = Duration::from_secs(600);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    fn label(self) -> &'static str {
        match self {
            DbKind::Sqlite => "SQLite",
            DbKind::Postgres => "PostgreSQL",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fresh databases, removed on drop (the same approach as tests/common).

struct BenchDatabase {
    url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

fn postgres_database_url(admin_url: &str, name: &str) -> Result<String> {
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or_else(|| eyre!("{POSTGRES_ENV} must be a URL with a database name"))?;
    Ok(format!("{base}/{name}"))
}

async fn connect_admin(admin_url: &str) -> Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    sqlx::AnyConnection::connect(admin_url)
        .await
        .wrap_err_with(|| format!("PostgreSQL at {admin_url} is unreachable"))
}

impl BenchDatabase {
    async fn new(kind: DbKind, postgres_admin_url: Option<&str>) -> Result<BenchDatabase> {
        match kind {
            DbKind::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("fleetdesk-bench-{}", uuid::Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir)
                    .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
                Ok(BenchDatabase {
                    url: format!("sqlite://{}", dir.join("fleetdesk.db").display()),
                    cleanup: Cleanup::Sqlite(dir),
                })
            }
            DbKind::Postgres => {
                let admin_url = postgres_admin_url
                    .ok_or_else(|| eyre!("{POSTGRES_ENV} is not set"))?
                    .to_string();
                let name = format!("fleetdesk_bench_{}", uuid::Uuid::new_v4().simple());
                let url = postgres_database_url(&admin_url, &name)?;
                let mut conn = connect_admin(&admin_url).await?;
                conn.execute(format!("CREATE DATABASE {name}").as_str())
                    .await
                    .wrap_err_with(|| format!("cannot create the database {name}"))?;
                let _ = conn.close().await;
                Ok(BenchDatabase {
                    url,
                    cleanup: Cleanup::Postgres { admin_url, name },
                })
            }
        }
    }
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Sqlite(dir) => {
                if let Err(err) = std::fs::remove_dir_all(dir) {
                    eprintln!("could not remove {}: {err}", dir.display());
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let label = name.clone();
                // Drop runs outside async; a small runtime of its own does the DROP DATABASE.
                let dropped = std::thread::spawn(move || -> Result<()> {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .wrap_err("cannot build a runtime for the cleanup")?;
                    runtime.block_on(async move {
                        let mut conn = connect_admin(&admin_url).await?;
                        conn.execute(
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                        )
                        .await?;
                        let _ = conn.close().await;
                        Ok(())
                    })
                })
                .join();
                match dropped {
                    Ok(Ok(())) => eprintln!("dropped the PostgreSQL database {label}"),
                    Ok(Err(err)) => eprintln!("could not drop the database {label}: {err:#}"),
                    Err(_) => eprintln!("could not drop the database {label}: cleanup panicked"),
                }
            }
        }
    }
}

/// "SQLite 3.46.0" or "PostgreSQL 16.4", for the machine note.
async fn database_version(kind: DbKind, url: &str) -> Result<String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .wrap_err("cannot connect to read the database version")?;
    let sql = match kind {
        DbKind::Sqlite => "SELECT sqlite_version()",
        DbKind::Postgres => "SELECT current_setting('server_version')",
    };
    let version: String = sqlx::query_scalar(sql)
        .fetch_one(&mut conn)
        .await
        .wrap_err("cannot read the database version")?;
    let _ = conn.close().await;
    Ok(format!("{} {version}", kind.label()))
}

// ---------------------------------------------------------------------------------------------
// The server and HTTP helpers.

struct Harness {
    server: RunningServer,
    base: String,
    token: String,
    database_url: String,
}

/// PostgreSQL's WAL position in bytes (None on SQLite): WAL written per cycle is a measure of
/// the write work that does not depend on how busy the machine is.
async fn wal_position(url: &str) -> Result<Option<i64>> {
    if !url.starts_with("postgres") {
        return Ok(None);
    }
    // Whatever the sequencer still has to stamp is part of the cycles before it.
    tokio::time::sleep(WAL_SETTLE).await;
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .wrap_err("cannot connect to read the WAL position")?;
    let position: i64 =
        sqlx::query_scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
            .fetch_one(&mut conn)
            .await
            .wrap_err("cannot read the WAL position")?;
    let _ = conn.close().await;
    Ok(Some(position))
}

const WAL_SETTLE: Duration = Duration::from_millis(300);

fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .wrap_err("cannot build an HTTP client")
}

impl Harness {
    async fn start(database_url: &str) -> Result<Harness> {
        let mut config = ServeConfig::new(database_url);
        config.bind = "127.0.0.1:0".to_string();
        config.jwt_secret = Some(JWT_SECRET.to_string());
        config.bootstrap_admin = Some(BootstrapAdmin {
            email: ADMIN_EMAIL.to_string(),
            password: ADMIN_PASSWORD.to_string(),
            name: "Bench Admin".to_string(),
        });
        let server = server::start(config)
            .await
            .wrap_err("the server did not start")?;
        let base = server.url();
        let (_, body) = timed(
            http_client()?
                .post(format!("{base}/api/auth/login"))
                .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
            StatusCode::OK,
            "POST /api/auth/login",
        )
        .await?;
        let token = body["token"]
            .as_str()
            .ok_or_else(|| eyre!("the login answer has no token: {body}"))?
            .to_string();
        Ok(Harness {
            server,
            base,
            token,
            database_url: database_url.to_string(),
        })
    }

    fn store(&self) -> &Store {
        &self.server.store
    }

    async fn stop(self) -> Result<()> {
        self.server.stop().await
    }
}

/// Sends a request, reads the whole body and checks the status. The time covers sending and
/// reading the body, not the JSON parsing afterwards.
async fn timed(
    request: reqwest::RequestBuilder,
    expect: StatusCode,
    what: &str,
) -> Result<(Duration, Value)> {
    let started = Instant::now();
    let response = request
        .send()
        .await
        .wrap_err_with(|| format!("{what}: the request failed"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .wrap_err_with(|| format!("{what}: cannot read the body"))?;
    let elapsed = started.elapsed();
    if status != expect {
        bail!(
            "{what}: expected {expect}, got {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let value =
        serde_json::from_slice(&body).wrap_err_with(|| format!("{what}: the body is not JSON"))?;
    Ok((elapsed, value))
}

/// Runs a phase with an upper bound on its time.
async fn bounded<T>(what: &str, phase: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(PHASE_TIMEOUT, phase)
        .await
        .map_err(|_| eyre!("{what} took longer than {PHASE_TIMEOUT:?}"))?
}

/// What a measured phase cost besides its result.
struct Window {
    wall: Duration,
    /// PostgreSQL: WAL bytes written meanwhile.
    wal_bytes: Option<i64>,
    /// The machine's busy share of CPU time meanwhile.
    cpu_busy: Option<f64>,
}

/// Runs the phase `start` begins (bounded, as `what`) with its wall time, WAL and busy CPU share
/// measured around it, the same way for the server and the raw baseline. `start` is called only
/// once the clock runs: the raw baseline's tasks begin as soon as they are spawned.
async fn measured<T, F>(
    database_url: &str,
    what: &str,
    start: impl FnOnce() -> F,
) -> Result<(T, Window)>
where
    F: std::future::Future<Output = Result<T>>,
{
    let wal_before = wal_position(database_url).await?;
    let cpu = cpu_ticks();
    let started = Instant::now();
    let value = bounded(what, start()).await?;
    let wall = started.elapsed();
    let cpu_busy = cpu_busy_since(cpu);
    let wal_after = wal_position(database_url).await?;
    let wal_bytes = wal_before
        .zip(wal_after)
        .map(|(before, after)| after - before);
    Ok((
        value,
        Window {
            wall,
            wal_bytes,
            cpu_busy,
        },
    ))
}

async fn make_vehicles(store: &Store, count: usize) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(count);
    for index in 0..count {
        let plate = format!("BN-{index:04}");
        let record = VehicleRecord {
            name: format!("Van {index}"),
            plate_key: plate_key(&plate),
            license_plate: plate,
            make: Some("Ford".to_string()),
            model: Some("Transit".to_string()),
            year: Some(2021),
            ..Default::default()
        };
        let vehicle = store
            .create_vehicle(&record, None, Utc::now())
            .await
            .wrap_err("cannot create a vehicle")?;
        ids.push(vehicle.id);
    }
    Ok(ids)
}

/// Technicians share one password hash: they never log in, and argon2 per user would
/// dominate the setup.
async fn make_technicians(store: &Store, count: usize) -> Result<Vec<i64>> {
    let template = server::new_user_record(
        "Template",
        "template@depot.example",
        "password-123",
        SystemRole::Technician,
    )
    .await?;
    let mut ids = Vec::with_capacity(count);
    for index in 0..count {
        let email = format!("tech{index}@depot.example");
        let record = UserRecord {
            name: format!("Technician {index}"),
            email_key: email_key(&email),
            email,
            password_hash: template.password_hash.clone(),
            role: SystemRole::Technician,
        };
        let user = store
            .create_user(&record, None, Utc::now())
            .await
            .wrap_err("cannot create a technician")?;
        ids.push(user.id);
    }
    Ok(ids)
}

// ---------------------------------------------------------------------------------------------
// Statistics.

#[derive(Clone, Copy, Debug)]
struct Stats {
    count: usize,
    p50: Duration,
    p95: Duration,
    p99: Duration,
    mean: Duration,
    max: Duration,
}

fn stats(mut samples: Vec<Duration>) -> Result<Stats> {
    ensure!(!samples.is_empty(), "no samples");
    samples.sort_unstable();
    let count = samples.len();
    // Nearest rank.
    let at = |percent: usize| samples[(count * percent).div_ceil(100).max(1) - 1];
    let total: Duration = samples.iter().sum();
    Ok(Stats {
        count,
        p50: at(50),
        p95: at(95),
        p99: at(99),
        mean: total / u32::try_from(count)?,
        max: samples[count - 1],
    })
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

// ---------------------------------------------------------------------------------------------
// 1. Create + return cycles.

struct CycleResults {
    cycles: usize,
    wall: Duration,
    post: Stats,
    patch: Stats,
    cycle: Stats,
    /// (POST, PATCH) per cycle, to merge rounds.
    times: Vec<(Duration, Duration)>,
    /// PostgreSQL: WAL bytes written over the measured cycles.
    wal_bytes: Option<i64>,
    /// The machine's busy share of CPU time over the measured cycles.
    cpu_busy: Option<f64>,
}

fn cycle_results(
    cycles: usize,
    wall: Duration,
    times: Vec<(Duration, Duration)>,
) -> Result<CycleResults> {
    Ok(CycleResults {
        cycles,
        wall,
        post: stats(times.iter().map(|(post, _)| *post).collect())?,
        patch: stats(times.iter().map(|(_, patch)| *patch).collect())?,
        cycle: stats(times.iter().map(|(post, patch)| *post + *patch).collect())?,
        times,
        wal_bytes: None,
        cpu_busy: None,
    })
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    vehicle: i64,
    technician: i64,
}

/// One client's cycles: (POST time, PATCH time) each.
async fn run_cycles(client: Client, cycles: usize) -> Result<Vec<(Duration, Duration)>> {
    let mut times = Vec::with_capacity(cycles);
    for _ in 0..cycles {
        let (post, body) = timed(
            client
                .http
                .post(format!("{}/api/admin/assignments", client.base))
                .bearer_auth(&client.token)
                .json(&json!({"vehicleId": client.vehicle, "technicianId": client.technician})),
            StatusCode::CREATED,
            "POST /api/admin/assignments",
        )
        .await?;
        let assignment = &body["assignment"];
        ensure!(
            assignment["status"] == "active"
                && assignment["vehicleId"] == client.vehicle
                && assignment["technicianId"] == client.technician,
            "POST /api/admin/assignments answered an unexpected assignment: {body}"
        );
        let id = assignment["id"]
            .as_i64()
            .ok_or_else(|| eyre!("the created assignment has no id: {body}"))?;
        let (patch, body) = timed(
            client
                .http
                .patch(format!("{}/api/admin/assignments/{id}/return", client.base))
                .bearer_auth(&client.token),
            StatusCode::OK,
            "PATCH /api/admin/assignments/:id/return",
        )
        .await?;
        ensure!(
            body["assignment"]["id"] == id && body["assignment"]["status"] == "returned",
            "PATCH /api/admin/assignments/{id}/return answered an unexpected assignment: {body}"
        );
        times.push((post, patch));
    }
    Ok(times)
}

/// The machine's CPU time so far, busy and in all, in clock ticks (Linux's `/proc/stat`;
/// None elsewhere).
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
    let idle = ticks.get(3)? + ticks.get(4)?;
    let total: u64 = ticks.iter().take(8).sum();
    Some((total - idle, total))
}

/// The share of the machine's CPU time that was busy since `before`: near 100%, the run was
/// bound by CPU, not by waiting (for the disk, a lock or the network).
fn cpu_busy_since(before: Option<(u64, u64)>) -> Option<f64> {
    let (busy_before, total_before) = before?;
    let (busy, total) = cpu_ticks()?;
    let elapsed = total.checked_sub(total_before).filter(|ticks| *ticks > 0)?;
    Some(busy.saturating_sub(busy_before) as f64 / elapsed as f64)
}

/// All clients at once; the first failure aborts the others.
async fn run_all(clients: &[Client], cycles: usize) -> Result<Vec<(Duration, Duration)>> {
    let mut set = JoinSet::new();
    for client in clients {
        set.spawn(run_cycles(client.clone(), cycles));
    }
    let mut all = Vec::with_capacity(clients.len() * cycles);
    while let Some(joined) = set.join_next().await {
        all.extend(joined.wrap_err("a client task panicked")??);
    }
    Ok(all)
}

async fn bench_cycles(harness: &Harness) -> Result<CycleResults> {
    let vehicles = make_vehicles(harness.store(), CLIENTS).await?;
    let technicians = make_technicians(harness.store(), CLIENTS).await?;
    let mut clients = Vec::with_capacity(CLIENTS);
    for (vehicle, technician) in vehicles.into_iter().zip(technicians) {
        clients.push(Client {
            http: http_client()?,
            base: harness.base.clone(),
            token: harness.token.clone(),
            vehicle,
            technician,
        });
    }
    bounded("the warm-up cycles", run_all(&clients, WARMUP_CYCLES)).await?;
    let (times, window) = measured(&harness.database_url, "the measured cycles", || {
        run_all(&clients, MEASURED_CYCLES)
    })
    .await?;

    let summary = harness.store().dashboard().await?;
    ensure!(
        summary.active_assignments == 0,
        "after every cycle returned, {} assignments are still active",
        summary.active_assignments
    );
    let mut results = cycle_results(times.len(), window.wall, times)?;
    results.wal_bytes = window.wal_bytes;
    results.cpu_busy = window.cpu_busy;
    Ok(results)
}

/// The HTTP layer alone, for comparison: the same 32 clients each send two `GET /api/auth/me`
/// per cycle (signed in, answered from the server's memory of the user: no database work).
/// Cycles per second.
async fn bench_http_floor(harness: &Harness) -> Result<f64> {
    let run = |cycles: usize| {
        let mut set = JoinSet::new();
        for _ in 0..CLIENTS {
            let (base, token) = (harness.base.clone(), harness.token.clone());
            set.spawn(async move {
                let http = http_client()?;
                for _ in 0..cycles * 2 {
                    timed(
                        http.get(format!("{base}/api/auth/me")).bearer_auth(&token),
                        StatusCode::OK,
                        "GET /api/auth/me",
                    )
                    .await?;
                }
                Ok::<(), color_eyre::Report>(())
            });
        }
        async move {
            while let Some(joined) = set.join_next().await {
                joined.wrap_err("a client task panicked")??;
            }
            Ok::<(), color_eyre::Report>(())
        }
    };
    bounded("the HTTP warm-up", run(WARMUP_CYCLES)).await?;
    let started = Instant::now();
    bounded("the HTTP cycles", run(MEASURED_CYCLES)).await?;
    Ok((CLIENTS * MEASURED_CYCLES) as f64 / started.elapsed().as_secs_f64())
}

// ---------------------------------------------------------------------------------------------
// 1b. The raw baseline: the same transactions straight through the typed sqlx driver, no HTTP,
//     no server, from the same number of tasks, on a database with the same schema and pragmas.

/// Create: check that neither the vehicle nor the technician is busy, insert the active row
/// and its event. Return: mark it returned and write its event. The events carry a JSON body of
/// the size the server writes, so the baseline does the same writes the server must do.
const RAW_CHECK: &str = "SELECT id FROM assignments WHERE status = 'active' \
     AND (vehicle_id = $1 OR technician_id = $2)";
const RAW_INSERT: &str = "INSERT INTO assignments (vehicle_id, technician_id, status, \
     assigned_at, assigned_by) VALUES ($1, $2, 'active', $3, $4) RETURNING id";
const RAW_RETURN: &str = "UPDATE assignments SET status = 'returned', returned_at = $2, \
     returned_by = $3 WHERE id = $1 AND status = 'active'";
const RAW_EVENT: &str = "INSERT INTO events (at, actor_id, actor_name, kind, vehicle_id, \
     technician_id, assignment_id, data) VALUES ($1, $2, 'Bench', $3, $4, $5, $6, $7)";

fn raw_event_data(id: i64, vehicle: i64, technician: i64, status: &str) -> String {
    json!({
        "id": id, "vehicleId": vehicle, "technicianId": technician, "status": status,
        "assignedDate": "2026-01-01T00:00:00Z", "returnedDate": null,
        "vehicle": {"id": vehicle, "name": "Van", "licensePlate": "BN-0000", "make": "Ford",
                    "model": "Transit", "year": 2021, "createdAt": "2026-01-01T00:00:00Z"},
        "technician": {"id": technician, "name": "Technician", "email": "tech@depot.example"},
        "assignedBy": {"id": technician, "name": "Bench"}, "returnedBy": null
    })
    .to_string()
}

/// One create + return cycle; `$source.begin_with($begin)` starts a write transaction (a pool
/// or a connection).
macro_rules! raw_cycle {
    ($source:expr, $begin:expr, $vehicle:expr, $technician:expr) => {{
        let (vehicle, technician) = ($vehicle, $technician);
        let now = Utc::now().timestamp();
        let mut tx = $source.begin_with($begin).await?;
        let busy: Option<i64> = sqlx::query_scalar(RAW_CHECK)
            .bind(vehicle)
            .bind(technician)
            .fetch_optional(&mut *tx)
            .await?;
        ensure!(busy.is_none(), "raw: vehicle {vehicle} is still busy");
        let id: i64 = sqlx::query_scalar(RAW_INSERT)
            .bind(vehicle)
            .bind(technician)
            .bind(now)
            .bind(technician)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(RAW_EVENT)
            .bind(now)
            .bind(technician)
            .bind("assignment.created")
            .bind(vehicle)
            .bind(technician)
            .bind(id)
            .bind(raw_event_data(id, vehicle, technician, "active"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut tx = $source.begin_with($begin).await?;
        let changed = sqlx::query(RAW_RETURN)
            .bind(id)
            .bind(now)
            .bind(technician)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        ensure!(changed == 1, "raw: assignment {id} was not active");
        sqlx::query(RAW_EVENT)
            .bind(now)
            .bind(technician)
            .bind("assignment.returned")
            .bind(vehicle)
            .bind(technician)
            .bind(id)
            .bind(raw_event_data(id, vehicle, technician, "returned"))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<(), color_eyre::Report>(())
    }};
}

struct RawRun {
    cycles: usize,
    wall: Duration,
    /// PostgreSQL: WAL bytes written over the measured cycles.
    wal_bytes: Option<i64>,
    /// The machine's busy share of CPU time over the measured cycles.
    cpu_busy: Option<f64>,
}

/// One task per pair, each running `task(vehicle, technician, cycles)`; returns the number of
/// cycles, the wall time and the WAL of the measured part.
async fn raw_run<F, Fut>(url: &str, pairs: &[(i64, i64)], task: F) -> Result<RawRun>
where
    F: Fn(i64, i64, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send + 'static,
{
    let run = |cycles: usize| {
        let mut set = JoinSet::new();
        for &(vehicle, technician) in pairs {
            set.spawn(task(vehicle, technician, cycles));
        }
        async move {
            while let Some(joined) = set.join_next().await {
                joined.wrap_err("a raw task panicked")??;
            }
            Ok::<(), color_eyre::Report>(())
        }
    };
    bounded("the raw warm-up cycles", run(WARMUP_CYCLES)).await?;
    let ((), window) = measured(url, "the raw measured cycles", || run(MEASURED_CYCLES)).await?;
    Ok(RawRun {
        cycles: pairs.len() * MEASURED_CYCLES,
        wall: window.wall,
        wal_bytes: window.wal_bytes,
        cpu_busy: window.cpu_busy,
    })
}

/// The raw baseline on a fresh database: the schema comes from the server's own migrations,
/// the pragmas (SQLite) are the server's, and the writes go straight through sqlx.
async fn raw_cycles(kind: DbKind, postgres_admin_url: Option<&str>) -> Result<RawRun> {
    let database = BenchDatabase::new(kind, postgres_admin_url).await?;
    let store = Store::open(&database.url)
        .await
        .wrap_err("cannot open the raw baseline's database")?;
    let vehicles = make_vehicles(&store, CLIENTS).await?;
    let technicians = make_technicians(&store, CLIENTS).await?;
    store.close().await;
    let pairs: Vec<(i64, i64)> = vehicles.into_iter().zip(technicians).collect();
    let outcome = match kind {
        DbKind::Sqlite => {
            use sqlx::sqlite::SqliteSynchronous;
            use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
            let options = <SqliteConnectOptions as std::str::FromStr>::from_str(&database.url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            // One connection: SQLite has one writer at a time, and the tasks queue for it.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            let result = raw_run(&database.url, &pairs, {
                let pool = pool.clone();
                move |vehicle, technician, cycles| {
                    let pool = pool.clone();
                    async move {
                        for _ in 0..cycles {
                            raw_cycle!(pool, "BEGIN IMMEDIATE", vehicle, technician)?;
                        }
                        Ok(())
                    }
                }
            })
            .await;
            pool.close().await;
            result
        }
        DbKind::Postgres => {
            // A connection per task, as pgbench has one per client.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(u32::try_from(CLIENTS)?)
                .connect(&database.url)
                .await?;
            let result = raw_run(&database.url, &pairs, {
                let pool = pool.clone();
                move |vehicle, technician, cycles| {
                    let pool = pool.clone();
                    async move {
                        let mut conn = pool.acquire().await?;
                        for _ in 0..cycles {
                            raw_cycle!((*conn), "BEGIN", vehicle, technician)?;
                        }
                        Ok(())
                    }
                }
            })
            .await;
            pool.close().await;
            result
        }
    };
    drop(database);
    outcome
}

// ---------------------------------------------------------------------------------------------
// 2. Reading a long history.

struct ReadResult {
    label: String,
    rows: usize,
    stats: Stats,
}

struct HistoryResults {
    insert: Duration,
    reads: Vec<ReadResult>,
}

fn history(vehicles: &[i64], technicians: &[i64]) -> Result<Vec<HistoricAssignment>> {
    let rows = i64::try_from(HISTORY_ROWS)?;
    let start = Utc::now().timestamp() - (rows + 10) * HISTORY_SPACING;
    let at = |seconds: i64| -> Result<DateTime<Utc>> {
        DateTime::from_timestamp(seconds, 0).ok_or_else(|| eyre!("time {seconds} is out of range"))
    };
    let first_active = HISTORY_ROWS - HISTORY_ACTIVE;
    let mut history = Vec::with_capacity(HISTORY_ROWS);
    for index in 0..HISTORY_ROWS {
        let assigned = start + i64::try_from(index)? * HISTORY_SPACING;
        let row = if index >= first_active {
            // The newest rows: active, the k-th on the k-th vehicle and technician.
            let k = index - first_active;
            HistoricAssignment {
                vehicle_id: vehicles[k],
                technician_id: technicians[k],
                assigned_at: at(assigned)?,
                returned_at: None,
                return_odometer_km: None,
                return_note: None,
            }
        } else {
            HistoricAssignment {
                vehicle_id: vehicles[index % vehicles.len()],
                technician_id: technicians[(index * 7) % technicians.len()],
                assigned_at: at(assigned)?,
                returned_at: Some(at(assigned + 3 * 3600)?),
                return_odometer_km: None,
                return_note: None,
            }
        };
        history.push(row);
    }
    Ok(history)
}

async fn read_latency(
    harness: &Harness,
    http: &reqwest::Client,
    label: &str,
    path: &str,
    expect_rows: usize,
    paged: bool,
    before: Option<i64>,
) -> Result<ReadResult> {
    let what = format!("GET {path}");
    let mut samples = Vec::with_capacity(READ_RUNS);
    for run in 0..READ_WARMUP + READ_RUNS {
        let (elapsed, body) = timed(
            http.get(format!("{}{path}", harness.base))
                .bearer_auth(&harness.token),
            StatusCode::OK,
            &what,
        )
        .await?;
        let assignments = body["assignments"]
            .as_array()
            .ok_or_else(|| eyre!("{what}: the answer has no assignments array"))?;
        let rows = assignments.len();
        if let Some(before) = before {
            ensure!(
                assignments
                    .iter()
                    .all(|row| row["id"].as_i64().is_some_and(|id| id < before)),
                "{what}: the page holds assignments not older than {before}"
            );
        }
        ensure!(
            rows == expect_rows,
            "{what}: expected {expect_rows} rows, got {rows}"
        );
        if paged {
            ensure!(
                body["nextBefore"].is_i64(),
                "{what}: expected a nextBefore id, got {}",
                body["nextBefore"]
            );
        }
        if run >= READ_WARMUP {
            samples.push(elapsed);
        }
    }
    Ok(ReadResult {
        label: label.to_string(),
        rows: expect_rows,
        stats: stats(samples)?,
    })
}

async fn bench_history(harness: &Harness) -> Result<HistoryResults> {
    let store = harness.store();
    let vehicles = make_vehicles(store, HISTORY_VEHICLES).await?;
    let technicians = make_technicians(store, HISTORY_TECHNICIANS).await?;
    let history = history(&vehicles, &technicians)?;
    let started = Instant::now();
    bounded("inserting the history", async {
        store
            .insert_history(&history)
            .await
            .wrap_err("cannot insert the history")
    })
    .await?;
    let insert = started.elapsed();

    let summary = store.dashboard().await?;
    ensure!(
        summary.active_assignments == i64::try_from(HISTORY_ACTIVE)?,
        "expected {HISTORY_ACTIVE} active assignments after the insert, found {}",
        summary.active_assignments
    );

    let http = http_client()?;
    // The newest id, and an id about halfway back (ids follow the insert order here).
    let (_, newest) = timed(
        http.get(format!("{}/api/admin/assignments?limit=1", harness.base))
            .bearer_auth(&harness.token),
        StatusCode::OK,
        "GET /api/admin/assignments?limit=1",
    )
    .await?;
    let newest_id = newest["assignments"][0]["id"]
        .as_i64()
        .ok_or_else(|| eyre!("the newest assignment has no id: {newest}"))?;
    let halfway = newest_id - i64::try_from(HISTORY_ROWS / 2)?;
    timed(
        http.get(format!("{}/api/admin/assignments/{halfway}", harness.base))
            .bearer_auth(&harness.token),
        StatusCode::OK,
        "GET /api/admin/assignments/:halfway",
    )
    .await?;

    let mut reads = Vec::new();
    bounded("the history reads", async {
        reads.push(
            read_latency(
                harness,
                &http,
                "`GET /api/admin/assignments?status=active`",
                "/api/admin/assignments?status=active",
                HISTORY_ACTIVE,
                false,
                None,
            )
            .await?,
        );
        reads.push(
            read_latency(
                harness,
                &http,
                "`GET …?limit=100` (first page)",
                &format!("/api/admin/assignments?limit={PAGE}"),
                PAGE,
                true,
                None,
            )
            .await?,
        );
        reads.push(
            read_latency(
                harness,
                &http,
                "`GET …?limit=100&before=<id>` (deep page, 50,000 rows back)",
                &format!("/api/admin/assignments?limit={PAGE}&before={halfway}"),
                PAGE,
                true,
                Some(halfway),
            )
            .await?,
        );
        Ok(())
    })
    .await?;
    Ok(HistoryResults { insert, reads })
}

// ---------------------------------------------------------------------------------------------
// 3. Events.

const DELIVERY_WARMUP: usize = 10;
const DELIVERY_CHANGES: usize = 100;
const SUBSCRIBER_COUNTS: [usize; 3] = [1, 50, 200];
const CYCLE_SUBSCRIBERS: usize = 200;

/// One open stream: every event's `subject.vehicleId` (or 0) with the moment it arrived; when
/// `parse` is false it only reads the bytes.
async fn subscribe(
    base: &str,
    token: &str,
    parse: bool,
    arrivals: tokio::sync::mpsc::UnboundedSender<(i64, Instant)>,
) -> Result<tokio::task::JoinHandle<()>> {
    let mut response = reqwest::Client::builder()
        .no_proxy()
        .build()?
        .get(format!("{base}/api/events"))
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(
        response.status() == StatusCode::OK,
        "GET /api/events answered {}",
        response.status()
    );
    Ok(tokio::spawn(async move {
        if !parse {
            // Only read: what a far client does with its bytes is not this machine's work.
            while let Ok(Some(_)) = response.chunk().await {}
            return;
        }
        let mut buffer = String::new();
        while let Ok(Some(bytes)) = response.chunk().await {
            let now = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&bytes));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let Some(data) = block.lines().find_map(|line| line.strip_prefix("data: ")) else {
                    continue;
                };
                let vehicle = if parse {
                    serde_json::from_str::<Value>(data)
                        .ok()
                        .and_then(|event| event["subject"]["vehicleId"].as_i64())
                        .unwrap_or(0)
                } else {
                    0
                };
                if arrivals.send((vehicle, now)).is_err() {
                    return;
                }
            }
        }
    }))
}

struct DeliveryResult {
    subscribers: usize,
    latency: Stats,
}

/// Sequential vehicle creates; each one's event must reach every stream.
async fn delivery(harness: &Harness, subscribers: usize, round: usize) -> Result<DeliveryResult> {
    let (sender, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    let mut streams = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        streams.push(subscribe(&harness.base, &harness.token, true, sender.clone()).await?);
    }
    drop(sender);
    let http = http_client()?;
    let mut sent = std::collections::HashMap::new();
    for i in 0..DELIVERY_WARMUP + DELIVERY_CHANGES {
        let started = Instant::now();
        let (_, body) = timed(
            http.post(format!("{}/api/admin/vehicles", harness.base))
                .bearer_auth(&harness.token)
                .json(&json!({"name": format!("Delivery {round}-{i}"), "licensePlate": format!("DL-{round}-{i}")})),
            StatusCode::CREATED,
            "POST /api/admin/vehicles",
        )
        .await?;
        let id = body["vehicle"]["id"]
            .as_i64()
            .ok_or_else(|| eyre!("no vehicle id: {body}"))?;
        if i >= DELIVERY_WARMUP {
            sent.insert(id, started);
        }
    }
    let expected = sent.len() * subscribers;
    let mut samples = Vec::with_capacity(expected);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while samples.len() < expected {
        let (vehicle, at) = tokio::time::timeout_at(deadline, arrivals.recv())
            .await
            .map_err(|_| eyre!("only {} of {expected} deliveries arrived", samples.len()))?
            .ok_or_else(|| eyre!("a stream ended early"))?;
        if let Some(started) = sent.get(&vehicle) {
            samples.push(at.saturating_duration_since(*started));
        }
    }
    for stream in streams {
        stream.abort();
    }
    Ok(DeliveryResult {
        subscribers,
        latency: stats(samples)?,
    })
}

struct EventResults {
    deliveries: Vec<DeliveryResult>,
    cycles_without: f64,
    cycles_with: f64,
}

async fn bench_deliveries(harness: &Harness) -> Result<Vec<DeliveryResult>> {
    let mut results = Vec::new();
    for (round, subscribers) in SUBSCRIBER_COUNTS.into_iter().enumerate() {
        results.push(bounded("event delivery", delivery(harness, subscribers, round)).await?);
    }
    Ok(results)
}

/// Create + return cycles while `CYCLE_SUBSCRIBERS` streams receive every event.
async fn bench_cycles_watched(harness: &Harness) -> Result<CycleResults> {
    let (sender, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
    let mut streams = Vec::with_capacity(CYCLE_SUBSCRIBERS);
    for _ in 0..CYCLE_SUBSCRIBERS {
        streams.push(subscribe(&harness.base, &harness.token, false, sender.clone()).await?);
    }
    drop(sender);
    let drain = tokio::spawn(async move {
        let mut count = 0usize;
        while arrivals.recv().await.is_some() {
            count += 1;
        }
        count
    });
    let results = bench_cycles(harness).await;
    for stream in streams {
        stream.abort();
    }
    let _ = drain.await;
    results
}

fn rate(cycles: &CycleResults) -> f64 {
    cycles.cycles as f64 / cycles.wall.as_secs_f64()
}

/// Fresh servers, alternating none and 200 streams, so both see the same machine.
const CYCLE_ROUNDS: usize = 2;

async fn run_events(kind: DbKind, postgres_admin_url: Option<&str>) -> Result<EventResults> {
    let (deliveries, _) = on_fresh_server(kind, postgres_admin_url, |harness| {
        Box::pin(bench_deliveries(harness))
    })
    .await
    .wrap_err_with(|| format!("event delivery on {}", kind.label()))?;
    for result in &deliveries {
        println!(
            "events {} delivery with {} streams: p50 {} ms, p99 {} ms, max {} ms ({} deliveries)",
            kind.label(),
            result.subscribers,
            ms(result.latency.p50),
            ms(result.latency.p99),
            ms(result.latency.max),
            result.latency.count
        );
    }
    let (mut cycles_without, mut wall_without, mut cycles_with, mut wall_with) =
        (0usize, 0f64, 0usize, 0f64);
    for _ in 0..CYCLE_ROUNDS {
        let (plain, _) = on_fresh_server(kind, postgres_admin_url, |harness| {
            Box::pin(bench_cycles(harness))
        })
        .await
        .wrap_err_with(|| format!("cycles without streams on {}", kind.label()))?;
        let (watched, _) = on_fresh_server(kind, postgres_admin_url, |harness| {
            Box::pin(bench_cycles_watched(harness))
        })
        .await
        .wrap_err_with(|| format!("cycles with streams on {}", kind.label()))?;
        println!(
            "events {} round: none {:.0} cycles/s, with {CYCLE_SUBSCRIBERS} streams {:.0} cycles/s",
            kind.label(),
            rate(&plain),
            rate(&watched)
        );
        cycles_without += plain.cycles;
        wall_without += plain.wall.as_secs_f64();
        cycles_with += watched.cycles;
        wall_with += watched.wall.as_secs_f64();
    }
    let without = cycles_without as f64 / wall_without;
    let with = cycles_with as f64 / wall_with;
    println!(
        "events {} cycles/s none {without:.0} with-{CYCLE_SUBSCRIBERS}-streams {with:.0} ratio {:.2}",
        kind.label(),
        with / without
    );
    Ok(EventResults {
        deliveries,
        cycles_without: without,
        cycles_with: with,
    })
}

fn events_table(results: &[(DbKind, EventResults)]) -> Result<String> {
    let mut out = String::new();
    writeln!(
        out,
        "| database | streams open | change → event on every stream, p50 | p99 | max |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|")?;
    for (kind, result) in results {
        for delivery in &result.deliveries {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                kind.label(),
                delivery.subscribers,
                ms(delivery.latency.p50),
                ms(delivery.latency.p99),
                ms(delivery.latency.max)
            )?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "| database | create + return, no streams | with {CYCLE_SUBSCRIBERS} streams | ratio |"
    )?;
    writeln!(out, "|---|---:|---:|---:|")?;
    for (kind, result) in results {
        writeln!(
            out,
            "| {} | {:.0} cycles/s | {:.0} cycles/s | {:.2} |",
            kind.label(),
            result.cycles_without,
            result.cycles_with,
            result.cycles_with / result.cycles_without
        )?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Driving it.

struct BackendResults {
    kind: DbKind,
    version: String,
    write: WritePath,
    history: HistoryResults,
}

/// Starts a server on a fresh database, runs one benchmark, stops the server; the database
/// is removed when this returns, whether the benchmark worked or not.
async fn on_fresh_server<T, F>(
    kind: DbKind,
    postgres_admin_url: Option<&str>,
    bench: F,
) -> Result<(T, String)>
where
    F: for<'a> FnOnce(
        &'a Harness,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + 'a>>,
{
    let database = BenchDatabase::new(kind, postgres_admin_url).await?;
    let harness = Harness::start(&database.url).await?;
    let outcome = bench(&harness).await;
    let stopped = harness.stop().await;
    let result = outcome?;
    stopped?;
    let version = database_version(kind, &database.url).await?;
    drop(database);
    Ok((result, version))
}

/// Server and raw baseline, alternating on fresh databases, so both see the same machine.
/// `FLEETDESK_BENCH_ROUNDS` asks for more rounds, to compare two builds on a noisy machine.
const RATIO_ROUNDS: usize = 2;
const ROUNDS_ENV: &str = "FLEETDESK_BENCH_ROUNDS";

fn ratio_rounds() -> Result<usize> {
    match std::env::var(ROUNDS_ENV) {
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(rounds) if rounds > 0 => Ok(rounds),
            _ => bail!("{ROUNDS_ENV} must be a whole number above 0, not {text:?}"),
        },
        Err(_) => Ok(RATIO_ROUNDS),
    }
}

struct WritePath {
    server: CycleResults,
    raw_cycles: usize,
    raw_wall: Duration,
}

impl WritePath {
    fn server_rate(&self) -> f64 {
        rate(&self.server)
    }

    fn raw_rate(&self) -> f64 {
        self.raw_cycles as f64 / self.raw_wall.as_secs_f64()
    }
}

/// "; CPU busy: server 96%, raw 95%", or nothing where `/proc/stat` could not be read.
fn cpu_note(server: Option<f64>, raw: Option<f64>) -> String {
    match (server, raw) {
        (Some(server), Some(raw)) => format!(
            "; CPU busy: server {:.0}%, raw {:.0}%",
            server * 100.0,
            raw * 100.0
        ),
        _ => String::new(),
    }
}

async fn run_write_path(
    kind: DbKind,
    postgres_admin_url: Option<&str>,
) -> Result<(WritePath, String)> {
    let (mut cycles, mut wall, mut times) = (0, Duration::ZERO, Vec::new());
    let (mut raw_cycles_total, mut raw_wall) = (0, Duration::ZERO);
    let (mut server_wal, mut raw_wal) = (Some(0), Some(0));
    let mut version = String::new();
    for round in 0..ratio_rounds()? {
        let (server, v) = on_fresh_server(kind, postgres_admin_url, |harness| {
            Box::pin(bench_cycles(harness))
        })
        .await
        .wrap_err_with(|| format!("create + return cycles on {}", kind.label()))?;
        version = v;
        let raw = raw_cycles(kind, postgres_admin_url)
            .await
            .wrap_err_with(|| format!("raw create + return cycles on {}", kind.label()))?;
        println!(
            "round {round}: {} server {:.0} cycles/s (POST p50 {} ms, p99 {} ms), raw {:.0} cycles/s{}",
            kind.label(),
            rate(&server),
            ms(server.post.p50),
            ms(server.post.p99),
            raw.cycles as f64 / raw.wall.as_secs_f64(),
            cpu_note(server.cpu_busy, raw.cpu_busy)
        );
        cycles += server.cycles;
        wall += server.wall;
        times.extend(server.times);
        server_wal = server_wal
            .zip(server.wal_bytes)
            .map(|(sum, bytes)| sum + bytes);
        raw_cycles_total += raw.cycles;
        raw_wall += raw.wall;
        raw_wal = raw_wal.zip(raw.wal_bytes).map(|(sum, bytes)| sum + bytes);
    }
    let (floor, _) = on_fresh_server(kind, postgres_admin_url, |harness| {
        Box::pin(bench_http_floor(harness))
    })
    .await
    .wrap_err_with(|| format!("the HTTP floor on {}", kind.label()))?;
    let result = WritePath {
        server: cycle_results(cycles, wall, times)?,
        raw_cycles: raw_cycles_total,
        raw_wall,
    };
    println!(
        "cycles/s {} server {:.0} raw {:.0} ratio {:.2}",
        kind.label().to_lowercase(),
        result.server_rate(),
        result.raw_rate(),
        result.server_rate() / result.raw_rate()
    );
    if let Some((server_wal, raw_wal)) = server_wal.zip(raw_wal) {
        let per_cycle = |bytes: i64, cycles: usize| bytes as f64 / cycles as f64;
        println!(
            "wal per cycle {}: server {:.0} bytes, raw {:.0} bytes",
            kind.label().to_lowercase(),
            per_cycle(server_wal, cycles),
            per_cycle(raw_wal, raw_cycles_total)
        );
    }
    // What the ratio would be if the server cost the raw baseline plus the HTTP layer, no more:
    // the HTTP layer's time per cycle added to the raw one's.
    let bound = 1.0 / (1.0 + result.raw_rate() / floor);
    println!(
        "http floor {}: {floor:.0} cycles/s of two GET /api/auth/me; ratio if the two simply added up {bound:.2}",
        kind.label().to_lowercase()
    );
    println!(
        "POST /api/admin/assignments {}: p50 {} ms, p99 {} ms, p99/p50 {:.1}",
        kind.label(),
        ms(result.server.post.p50),
        ms(result.server.post.p99),
        result.server.post.p99.as_secs_f64() / result.server.post.p50.as_secs_f64()
    );
    Ok((result, version))
}

async fn run_backend(kind: DbKind, postgres_admin_url: Option<&str>) -> Result<BackendResults> {
    println!("== {} ==", kind.label());
    let (write, version) = run_write_path(kind, postgres_admin_url).await?;
    let (history, _) = on_fresh_server(kind, postgres_admin_url, |harness| {
        Box::pin(bench_history(harness))
    })
    .await
    .wrap_err_with(|| format!("history reads on {}", kind.label()))?;
    println!(
        "inserted {HISTORY_ROWS} history rows in {:.2} s",
        history.insert.as_secs_f64()
    );
    for read in &history.reads {
        println!(
            "{}: p50 {} ms, p99 {} ms, max {} ms",
            read.label,
            ms(read.stats.p50),
            ms(read.stats.p99),
            ms(read.stats.max)
        );
    }
    Ok(BackendResults {
        kind,
        version,
        write,
        history,
    })
}

fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|line| line.starts_with("model name"))
        .and_then(|line| line.split_once(':'))
        .map(|(_, model)| model.trim().to_string())
}

fn table(results: &[BackendResults], skipped: Option<&str>) -> Result<String> {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let mut out = String::new();
    writeln!(out, "### Server benchmark (`cargo bench --bench server`)")?;
    writeln!(out)?;
    let cpu = cpu_model().map_or(String::new(), |model| format!(", {model}"));
    writeln!(
        out,
        "Machine: `nproc` = {cpus}{cpu}, {}. Release build; server and clients share one \
         process and talk HTTP/1.1 over 127.0.0.1.",
        std::env::consts::OS
    )?;
    let versions: Vec<String> = results
        .iter()
        .map(|result| match result.kind {
            DbKind::Sqlite => format!("{} (temporary file, WAL)", result.version),
            DbKind::Postgres => format!("{} (local, fresh database)", result.version),
        })
        .collect();
    writeln!(out, "Databases: {}.", versions.join("; "))?;
    if let Some(reason) = skipped {
        writeln!(out, "PostgreSQL skipped: {reason}.")?;
    }
    writeln!(
        out,
        "Cycles: {CLIENTS} clients, each its own vehicle and technician, {MEASURED_CYCLES} \
         measured cycles each after {WARMUP_CYCLES} warm-up. Reads: {HISTORY_ROWS} assignments \
         in history ({HISTORY_ACTIVE} active, {HISTORY_VEHICLES} vehicles, \
         {HISTORY_TECHNICIANS} technicians), {READ_RUNS} sequential requests after \
         {READ_WARMUP} warm-up."
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| Database | Benchmark | Samples | p50 ms | p95 ms | p99 ms | mean ms | Throughput |"
    )?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|")?;
    for result in results {
        let db = result.kind.label();
        let c = &result.write.server;
        let row = |out: &mut String, name: &str, s: &Stats, extra: &str| {
            writeln!(
                out,
                "| {db} | {name} | {} | {} | {} | {} | {} | {extra} |",
                s.count,
                ms(s.p50),
                ms(s.p95),
                ms(s.p99),
                ms(s.mean)
            )
        };
        let per_second = c.cycles as f64 / c.wall.as_secs_f64();
        row(
            &mut out,
            &format!("create + return cycle, {CLIENTS} clients"),
            &c.cycle,
            &format!("{per_second:.0} cycles/s"),
        )?;
        writeln!(
            out,
            "| {db} | raw baseline: the same transactions through sqlx, {CLIENTS} tasks | | | | | | \
             {:.0} cycles/s (server / raw {:.2}) |",
            result.write.raw_rate(),
            result.write.server_rate() / result.write.raw_rate()
        )?;
        row(&mut out, "— `POST /api/admin/assignments`", &c.post, "")?;
        row(
            &mut out,
            "— `PATCH /api/admin/assignments/:id/return`",
            &c.patch,
            "",
        )?;
        for read in &result.history.reads {
            row(
                &mut out,
                &format!("{} → {} rows", read.label, read.rows),
                &read.stats,
                "",
            )?;
        }
    }
    writeln!(out)?;
    for result in results {
        writeln!(
            out,
            "Setup on {}: `insert_history` of {HISTORY_ROWS} rows took {:.2} s.",
            result.kind.label(),
            result.history.insert.as_secs_f64()
        )?;
    }
    Ok(out)
}

/// PostgreSQL when the command line names it, SQLite otherwise.
fn database_named(args: &[String]) -> DbKind {
    if args.iter().any(|arg| arg == "postgres") {
        DbKind::Postgres
    } else {
        DbKind::Sqlite
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let postgres_admin_url = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty());
    // `cargo bench --bench server -- cycles` runs only the write path against its raw baseline.
    // `-- profile server|raw [postgres]`: one side's measured cycles alone, for a profiler.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(side) = args
        .iter()
        .position(|arg| arg == "profile")
        .and_then(|at| args.get(at + 1))
    {
        let kind = database_named(&args);
        let url = postgres_admin_url.as_deref();
        let (cycles, wall, cpu_busy) = match side.as_str() {
            "server" => {
                let (server, _) =
                    on_fresh_server(kind, url, |harness| Box::pin(bench_cycles(harness))).await?;
                (server.cycles, server.wall, server.cpu_busy)
            }
            "raw" => {
                let raw = raw_cycles(kind, url).await?;
                (raw.cycles, raw.wall, raw.cpu_busy)
            }
            other => bail!("profile takes server or raw, not {other:?}"),
        };
        let busy = cpu_busy.map_or(String::new(), |busy| {
            format!(", the machine's CPU {:.0}% busy", busy * 100.0)
        });
        println!(
            "{side} {}: {cycles} cycles in {:.2} s{busy}",
            kind.label(),
            wall.as_secs_f64()
        );
        return Ok(());
    }
    // `-- cycles postgres` runs only PostgreSQL's (to profile it alone).
    if std::env::args().skip(1).any(|arg| arg == "cycles") {
        if !std::env::args().skip(1).any(|arg| arg == "postgres") {
            run_write_path(DbKind::Sqlite, None).await?;
        }
        if let Some(url) = &postgres_admin_url {
            run_write_path(DbKind::Postgres, Some(url)).await?;
        }
        return Ok(());
    }
    // `-- reads [postgres]`: only the reads of a long history, on one database (to profile).
    if args.iter().any(|arg| arg == "reads") {
        let kind = database_named(&args);
        let (history, _) = on_fresh_server(kind, postgres_admin_url.as_deref(), |harness| {
            Box::pin(bench_history(harness))
        })
        .await?;
        for read in &history.reads {
            println!(
                "{} {}: p50 {} ms, p99 {} ms",
                kind.label(),
                read.label,
                ms(read.stats.p50),
                ms(read.stats.p99)
            );
        }
        return Ok(());
    }
    // `cargo bench --bench server -- events` runs only the event benchmarks.
    let only_events = std::env::args().skip(1).any(|arg| arg == "events");
    if only_events {
        let mut events = vec![(DbKind::Sqlite, run_events(DbKind::Sqlite, None).await?)];
        if let Some(url) = &postgres_admin_url {
            events.push((
                DbKind::Postgres,
                run_events(DbKind::Postgres, Some(url)).await?,
            ));
        }
        println!();
        print!("{}", events_table(&events)?);
        return Ok(());
    }
    let mut results = vec![run_backend(DbKind::Sqlite, None).await?];
    let mut events = vec![(DbKind::Sqlite, run_events(DbKind::Sqlite, None).await?)];
    let skipped = match &postgres_admin_url {
        Some(url) => {
            results.push(run_backend(DbKind::Postgres, Some(url)).await?);
            events.push((
                DbKind::Postgres,
                run_events(DbKind::Postgres, Some(url)).await?,
            ));
            None
        }
        None => {
            let reason = format!(
                "{POSTGRES_ENV} is not set (e.g. \
                 {POSTGRES_ENV}=postgres://postgres@127.0.0.1:5432/postgres)"
            );
            println!("PostgreSQL skipped: {reason}");
            Some(reason)
        }
    };
    println!();
    print!("{}", table(&results, skipped.as_deref())?);
    println!();
    print!("{}", events_table(&events)?);
    Ok(())
}
