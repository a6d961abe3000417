//! Sign-in floods against the rest of the API: `cargo bench --bench login_flood`.
//!
//! The real server runs in-process on 127.0.0.1:0 on a fresh SQLite file with 30 active
//! assignments. While 50 clients sign in as fast as they can (the right password, so every
//! attempt runs Argon2 and none is rate-limited), one client measures
//! `GET /api/admin/assignments?status=active` back to back. The same run measures, on the
//! same machine and database:
//! - no flood, as the baseline;
//! - the flood with Argon2 unbounded (`--login-concurrency` far above the cores: what the
//!   server did before it had a limit);
//! - the flood with the default limit (the number of cores);
//! - the flood with one Argon2 computation at a time.
//!
//! Configurations alternate over several rounds and their samples are pooled, so a slow
//! moment of the machine does not land on one of them only. Every answer is checked: a
//! failed read aborts the run; a sign-in may only succeed or get 503.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::{bail, ensure, eyre, Result, WrapErr};
use fleetdesk::api::SystemRole;
use fleetdesk::domain::fleet::{email_key, plate_key};
use fleetdesk::server::limits::{cores, Limits};
use fleetdesk::server::{self, BootstrapAdmin, RunningServer, ServeConfig};
use fleetdesk::store::{CreateAssignmentOutcome, Store, UserRecord, VehicleRecord};
use reqwest::StatusCode;
use serde_json::{json, Value};

const JWT_SECRET: &str = "bench-secret-bench-secret-bench-secret-0123456789";
const ADMIN_EMAIL: &str = "admin@depot.example";
const ADMIN_PASSWORD: &str = "admin-password";
const FLOOD_CLIENTS: usize = 50;
const ACTIVE: usize = 30;
const ROUNDS: usize = 3;
/// Reads measured per configuration and round.
const SAMPLES: usize = 200;
const WARMUP: usize = 20;
/// The flood runs this long before the reads are measured.
const FLOOD_RAMP: Duration = Duration::from_secs(1);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy)]
struct Setup {
    label: &'static str,
    flood: bool,
    /// Argon2 computations at once; `None` for the default.
    concurrency: Option<usize>,
}

fn setups() -> Vec<Setup> {
    vec![
        Setup {
            label: "no sign-ins (baseline)",
            flood: false,
            concurrency: None,
        },
        Setup {
            label: "50 clients signing in, Argon2 unbounded (before)",
            flood: true,
            concurrency: Some(10_000),
        },
        Setup {
            label: "50 clients signing in, Argon2 at most the cores (after, default)",
            flood: true,
            concurrency: None,
        },
        Setup {
            label: "50 clients signing in, Argon2 at most 1",
            flood: true,
            concurrency: Some(1),
        },
    ]
}

fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .wrap_err("cannot build an HTTP client")
}

async fn start(database_url: &str, setup: Setup) -> Result<RunningServer> {
    let mut config = ServeConfig::new(database_url);
    config.bind = "127.0.0.1:0".to_string();
    config.jwt_secret = Some(JWT_SECRET.to_string());
    config.bootstrap_admin = Some(BootstrapAdmin {
        email: ADMIN_EMAIL.to_string(),
        password: ADMIN_PASSWORD.to_string(),
        name: "Bench Admin".to_string(),
    });
    config.limits = Limits {
        login_concurrency: setup.concurrency.unwrap_or_else(cores),
        ..Limits::default()
    };
    server::start(config)
        .await
        .wrap_err("the server did not start")
}

async fn login(http: &reqwest::Client, base: &str) -> Result<StatusCode> {
    let response = http
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .wrap_err("a sign-in failed to send")?;
    let status = response.status();
    response.bytes().await.wrap_err("a sign-in answer")?;
    Ok(status)
}

async fn token(base: &str) -> Result<String> {
    let response = http_client()?
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await?;
    let body: Value = response.json().await?;
    body["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| eyre!("no token in {body}"))
}

/// 30 vehicles and technicians with an active assignment each, straight into the store.
async fn fill(store: &Store) -> Result<()> {
    let template = server::new_user_record(
        "Template",
        "template@depot.example",
        "password-123",
        SystemRole::Technician,
    )
    .await?;
    for index in 0..ACTIVE {
        let plate = format!("LF-{index:03}");
        let vehicle = store
            .create_vehicle(
                &VehicleRecord {
                    name: format!("Van {index}"),
                    plate_key: plate_key(&plate),
                    license_plate: plate,
                    make: None,
                    model: None,
                    year: None,
                    ..Default::default()
                },
                None,
                Utc::now(),
            )
            .await?;
        let email = format!("tech{index}@depot.example");
        let technician = store
            .create_user(
                &UserRecord {
                    name: format!("Technician {index}"),
                    email_key: email_key(&email),
                    email,
                    password_hash: template.password_hash.clone(),
                    role: SystemRole::Technician,
                },
                None,
                Utc::now(),
            )
            .await?;
        match store
            .create_assignment(vehicle.id, technician.id, false, None, Utc::now())
            .await?
        {
            CreateAssignmentOutcome::Created(_) => {}
            CreateAssignmentOutcome::Busy(_) => bail!("the fresh pair {index} was busy"),
            _ => bail!("the fresh pair {index} was refused"),
        }
    }
    Ok(())
}

#[derive(Default)]
struct Flood {
    stop: AtomicBool,
    signed_in: AtomicUsize,
    busy: AtomicUsize,
}

/// One round of one configuration: read latencies, sign-ins done and refused, seconds.
async fn measure(database_url: &str, setup: Setup) -> Result<(Vec<Duration>, usize, usize, f64)> {
    let server = start(database_url, setup).await?;
    let base = server.url();
    let token = token(&base).await?;
    let flood = Arc::new(Flood::default());
    let mut flooders = tokio::task::JoinSet::new();
    if setup.flood {
        let http = http_client()?;
        for _ in 0..FLOOD_CLIENTS {
            let (http, base, flood) = (http.clone(), base.clone(), flood.clone());
            flooders.spawn(async move {
                while !flood.stop.load(Ordering::Relaxed) {
                    match login(&http, &base).await? {
                        StatusCode::OK => flood.signed_in.fetch_add(1, Ordering::Relaxed),
                        StatusCode::SERVICE_UNAVAILABLE => {
                            flood.busy.fetch_add(1, Ordering::Relaxed)
                        }
                        other => bail!("a sign-in answered {other}"),
                    };
                }
                Ok::<(), color_eyre::Report>(())
            });
        }
        tokio::time::sleep(FLOOD_RAMP).await;
    }
    let reader = http_client()?;
    let url = format!("{base}/api/admin/assignments?status=active");
    let (done_before, busy_before) = (
        flood.signed_in.load(Ordering::Relaxed),
        flood.busy.load(Ordering::Relaxed),
    );
    let started = Instant::now();
    let mut samples = Vec::with_capacity(SAMPLES);
    for index in 0..WARMUP + SAMPLES {
        let begun = Instant::now();
        let response = reader.get(&url).bearer_auth(&token).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        let elapsed = begun.elapsed();
        ensure!(
            status == StatusCode::OK,
            "the read answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
        let rows: Value = serde_json::from_slice(&body)?;
        ensure!(
            rows["assignments"].as_array().map(Vec::len) == Some(ACTIVE),
            "the read did not list the {ACTIVE} active assignments"
        );
        if index >= WARMUP {
            samples.push(elapsed);
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let signed_in = flood.signed_in.load(Ordering::Relaxed) - done_before;
    let busy = flood.busy.load(Ordering::Relaxed) - busy_before;
    flood.stop.store(true, Ordering::Relaxed);
    while let Some(joined) = flooders.join_next().await {
        joined.wrap_err("a flooding client panicked")??;
    }
    server.stop().await?;
    Ok((samples, signed_in, busy, seconds))
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() * percent).div_ceil(100).max(1) - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "fleetdesk-login-flood-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
    let database_url = format!("sqlite://{}", dir.join("fleetdesk.db").display());
    let result = run(&database_url).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(database_url: &str) -> Result<()> {
    // The first start creates the schema and the admin; the data goes in between.
    let first = start(database_url, setups()[0]).await?;
    fill(&first.store).await?;
    first.stop().await?;

    let setups = setups();
    let mut pooled: Vec<(Vec<Duration>, usize, usize, f64)> =
        setups.iter().map(|_| (Vec::new(), 0, 0, 0.0)).collect();
    for round in 0..ROUNDS {
        for (index, setup) in setups.iter().enumerate() {
            eprintln!("round {}/{ROUNDS}: {}", round + 1, setup.label);
            let (samples, signed_in, busy, seconds) = measure(database_url, *setup).await?;
            let entry = &mut pooled[index];
            entry.0.extend(samples);
            entry.1 += signed_in;
            entry.2 += busy;
            entry.3 += seconds;
        }
    }

    println!(
        "\n`GET /api/admin/assignments?status=active` ({ACTIVE} rows) while {FLOOD_CLIENTS} clients \
         sign in; {} cores; {ROUNDS} rounds × {SAMPLES} reads per configuration; latency in ms\n",
        cores()
    );
    println!("| configuration | p50 | p95 | p99 | max | sign-ins/s | 503 to sign-ins |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut p99s = Vec::new();
    for (setup, (samples, signed_in, busy, seconds)) in setups.iter().zip(&mut pooled) {
        samples.sort_unstable();
        let p99 = percentile(samples, 99);
        p99s.push(p99);
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {} |",
            setup.label,
            ms(percentile(samples, 50)),
            ms(percentile(samples, 95)),
            ms(p99),
            ms(samples[samples.len() - 1]),
            *signed_in as f64 / *seconds,
            busy
        );
    }
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "\np99 ratio after/before: {:.2}; before/baseline: {:.2}; after/baseline: {:.2}",
        ratio(p99s[2], p99s[1]),
        ratio(p99s[1], p99s[0]),
        ratio(p99s[2], p99s[0]),
    );
    Ok(())
}
