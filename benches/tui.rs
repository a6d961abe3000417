//! Terminal client benchmark: `cargo bench --bench tui`.
//!
//! An `App` holds 100,000 assignments (200 vehicles, 120 technicians), built in memory and fed
//! as one `Response::Assignments` answer, on the Assignments tab. Measured:
//! 1. frame time of `App::draw` into ratatui's `TestBackend` at 100×30 and 200×50, moving the
//!    selection down one row between frames; and the `update` time of each filter keystroke;
//! 2. bytes written to a terminal (ratatui's `CrosstermBackend` over a counting writer) when
//!    the selection moves one row at 200×50, inside the window and when the list scrolls;
//! 3. idle (the event stream up, nothing happening): ticks leave `needs_draw()` false, so
//!    nothing is redrawn and no byte written; a redraw of an unchanged app would write no
//!    cells, only the backend's fixed per-draw sequences;
//! 4. resident size of the loaded history (`/proc/self/statm`);
//! 5. the Roles tab: frame time with 300 organizations in the tree and 1,000 role assignments
//!    (with timeline bars) in the selected one, moving down the list between frames;
//! 6. the live stream: 1,000 events a second from another dispatcher (returns of active
//!    assignments and new ones for what they freed) applied to a client holding the 100,000,
//!    drawn as the runtime does (a burst applied, then one frame at most every 16 ms) at
//!    200×50: CPU per event (decoding the event's JSON, `update`, its share of the frames) and
//!    bytes written to the terminal per event and per list row that changed on screen, with
//!    the window on the newest assignments (where returns land) and in the middle of history.
//!
//! Every loop is bounded; the whole run takes seconds in a release build.

use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdesk::api::dates::{Day, DEFAULT_VALID_TO};
use fleetdesk::api::events::{Actor, Event as ApiEvent, EventKind, EventSubject};
use fleetdesk::api::roles::{Organization, Role, RoleAssignmentRow};
use fleetdesk::api::{
    Assignment, AssignmentStatus, AssignmentsEnvelope, DashboardSummary, Paging, SystemRole,
    TechnicianActiveAssignment, TechnicianListItem, TechnicianRef, User, Vehicle,
    VehicleActiveAssignment, VehicleListItem,
};
use fleetdesk::client::StreamItem;
use fleetdesk::tui::{
    App, Command, Connection, Event, Feed, Response, Row, StreamUpdate, Tab, Theme, FRAME_GAP,
};
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const ASSIGNMENTS: i64 = 100_000;
const VEHICLES: usize = 200;
const TECHNICIANS: usize = 120;
/// The newest assignments are still active (distinct vehicles and technicians).
const ACTIVE: i64 = 100;
const WARMUP_FRAMES: usize = 100;
const FRAMES: usize = 2_000;
const MOVES: usize = 500;
const IDLE_TICKS: usize = 1_000;
/// The client's default refresh interval, in seconds (`DEFAULT_REFRESH_INTERVAL`).
const REFRESH_EVERY: u64 = 5;
const FRAME_TARGET_US: f64 = 2_000.0;
const MOVE_TARGET_BYTES: f64 = 2_048.0;
const PAGE_SIZE_BYTES: u64 = 4096;

/// Counts what the terminal backend writes and throws it away.
struct CountingWriter {
    bytes: Arc<AtomicUsize>,
}

impl Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Keeps what the backend writes, to show what an idle redraw sends.
struct CaptureWriter {
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.bytes
            .lock()
            .expect("capture lock")
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A fixed viewport: `Terminal::new` would ask the real tty for its size (and fail without
/// one, or take whatever size the tty has); the bytes drawn are the same as full screen.
fn fixed(width: u16, height: u16) -> TerminalOptions {
    TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, width, height)),
    }
}

fn press(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn answer(response: Response) -> Event {
    Event::Response(Box::new(response))
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse::<u64>().ok())
        .unwrap_or(0)
        * PAGE_SIZE_BYTES
}

fn mib(bytes: i64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn percentile_us(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    micros(sorted[index.min(sorted.len() - 1)])
}

/// (mean, p50, p99) in µs.
fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let mean = samples.iter().map(|d| micros(*d)).sum::<f64>() / samples.len() as f64;
    (
        mean,
        percentile_us(&samples, 0.50),
        percentile_us(&samples, 0.99),
    )
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "**over target**"
    }
}

fn escaped(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match *b {
            0x1b => "\\e".to_string(),
            b if b.is_ascii_graphic() || b == b' ' => (b as char).to_string(),
            b => format!("\\x{b:02x}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The depot: 200 vehicles, 120 technicians, 100,000 assignments.

struct Depot {
    summary: DashboardSummary,
    vehicles: Vec<VehicleListItem>,
    technicians: Vec<TechnicianListItem>,
    vehicle_values: Vec<Vehicle>,
    technician_refs: Vec<TechnicianRef>,
}

fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 8, 0, 0)
        .single()
        .expect("a valid time")
}

fn depot_vehicles() -> Vec<Vehicle> {
    let makes = [
        ("Ford", "Transit"),
        ("Mercedes-Benz", "Sprinter"),
        ("Volkswagen", "Crafter"),
        ("Iveco", "Daily"),
    ];
    (0..VEHICLES)
        .map(|i| {
            let (name, make) = if i < 120 {
                (format!("Van {}", i + 1), Some(makes[i % 3]))
            } else if i < 170 {
                (format!("Truck {}", i - 119), Some(makes[3]))
            } else {
                (format!("Cargo Bike {}", i - 169), None)
            };
            Vehicle {
                id: i as i64 + 1,
                name,
                license_plate: format!("HH-FD {}", 1000 + i),
                make: make.map(|(make, _)| make.to_string()),
                model: make.map(|(_, model)| model.to_string()),
                year: make.map(|_| 2016 + (i as i64 % 9)),
                created_at: at(2020, 1, 6),
                service_status: Default::default(),
                status_note: None,
                odometer_km: None,
            }
        })
        .collect()
}

fn depot_technicians() -> Vec<TechnicianRef> {
    let first = [
        "Ana", "Bo", "Cy", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kim", "Lea",
    ];
    let last = [
        "Ruiz", "Chen", "Park", "Okafor", "Novak", "Berg", "Silva", "Haddad", "Kowalski", "Sato",
    ];
    (0..TECHNICIANS)
        .map(|i| {
            let name = format!("{} {}", first[i % first.len()], last[i / first.len()]);
            TechnicianRef {
                id: 1000 + i as i64,
                email: format!("{}@depot.example", name.to_lowercase().replace(' ', ".")),
                name,
            }
        })
        .collect()
}

/// Assignment `id` (1 = oldest); one every 37 minutes, the newest on 2026-11-22.
fn assignment(id: i64, vehicles: &[Vehicle], technicians: &[TechnicianRef]) -> Assignment {
    let newest = at(2026, 11, 22);
    let assigned = newest - chrono::Duration::minutes((ASSIGNMENTS - id) * 37);
    let vehicle = &vehicles[(id as usize * 7) % vehicles.len()];
    let technician = &technicians[(id as usize * 13) % technicians.len()];
    let returned =
        (id <= ASSIGNMENTS - ACTIVE).then(|| assigned + chrono::Duration::hours(3 + id % 40));
    Assignment {
        id,
        vehicle_id: vehicle.id,
        technician_id: technician.id,
        status: if returned.is_some() {
            AssignmentStatus::Returned
        } else {
            AssignmentStatus::Active
        },
        assigned_date: assigned,
        returned_date: returned,
        vehicle: vehicle.clone(),
        technician: technician.clone(),
        assigned_by: None,
        returned_by: None,
        return_odometer_km: None,
        return_note: None,
    }
}

/// Newest first, as the server sends them.
fn build_assignments(depot: &Depot) -> Vec<Assignment> {
    (1..=ASSIGNMENTS)
        .rev()
        .map(|id| assignment(id, &depot.vehicle_values, &depot.technician_refs))
        .collect()
}

fn depot() -> Depot {
    let vehicle_values = depot_vehicles();
    let technician_refs = depot_technicians();
    let active: Vec<Assignment> = (ASSIGNMENTS - ACTIVE + 1..=ASSIGNMENTS)
        .map(|id| assignment(id, &vehicle_values, &technician_refs))
        .collect();
    let vehicles = vehicle_values
        .iter()
        .map(|vehicle| VehicleListItem {
            vehicle: vehicle.clone(),
            active_assignment: active.iter().find(|a| a.vehicle_id == vehicle.id).map(|a| {
                VehicleActiveAssignment {
                    id: a.id,
                    technician: a.technician.clone(),
                    assigned_date: a.assigned_date,
                }
            }),
        })
        .collect();
    let technicians = technician_refs
        .iter()
        .map(|t| TechnicianListItem {
            user: User {
                id: t.id,
                name: t.name.clone(),
                email: t.email.clone(),
                role: SystemRole::Technician,
            },
            active_assignment: active.iter().find(|a| a.technician_id == t.id).map(|a| {
                TechnicianActiveAssignment {
                    id: a.id,
                    vehicle: a.vehicle.clone(),
                    assigned_date: a.assigned_date,
                }
            }),
        })
        .collect();
    Depot {
        summary: DashboardSummary {
            active_assignments: ACTIVE,
            vehicles: VEHICLES as i64,
            technicians: TECHNICIANS as i64,
            available_vehicles: VEHICLES as i64 - ACTIVE,
            available_technicians: TECHNICIANS as i64 - ACTIVE,
        },
        vehicles,
        technicians,
        vehicle_values,
        technician_refs,
    }
}

struct Loaded {
    app: App,
    depot: Depot,
    rss_build: i64,
    rss_load: i64,
    build_time: Duration,
    load_time: Duration,
}

/// The app after its first requests were answered: everything loaded, on the Assignments tab.
fn loaded_app() -> Loaded {
    let depot = depot();
    let mut app = App::new(
        "http://depot.example:8080".to_string(),
        Some(User {
            id: 1,
            name: "Dana Dispatch".to_string(),
            email: "dispatch@depot.example".to_string(),
            role: SystemRole::Admin,
        }),
        REFRESH_EVERY,
    );
    let commands = app.start();
    let generation = commands
        .iter()
        .find_map(|command| match command {
            Command::LoadAssignments { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("start() loads the assignments");
    app.update(answer(Response::Dashboard(Ok(depot.summary))));
    app.update(answer(Response::Vehicles(Ok(depot.vehicles.clone()))));
    app.update(answer(Response::Technicians(Ok(depot.technicians.clone()))));

    let rss_before = rss_bytes();
    let started = Instant::now();
    let assignments = build_assignments(&depot);
    let build_time = started.elapsed();
    let rss_built = rss_bytes();
    let started = Instant::now();
    app.update(answer(Response::Assignments {
        generation,
        append: false,
        result: Ok(AssignmentsEnvelope {
            assignments,
            next_before: Paging::LastPage,
        }),
    }));
    let load_time = started.elapsed();
    let rss_loaded = rss_bytes();

    app.update(press(KeyCode::Char('3')));
    assert_eq!(app.tab(), Tab::Assignments);
    assert_eq!(app.row_counts().0, ASSIGNMENTS as usize);
    assert_eq!(app.connection(), Connection::Live, "every request answered");
    assert_eq!(app.in_flight(), 0);
    // The event stream up, as in a running client: otherwise the header's "connecting"
    // spinner moves on every tick and idle is never idle.
    let commands = app.update(Event::Stream(Box::new(StreamUpdate::Connected {
        resumed: true,
    })));
    assert!(commands.is_empty(), "a resumed stream asks for nothing");
    assert_eq!(app.feed(), Feed::Up);
    Loaded {
        app,
        depot,
        rss_build: rss_built as i64 - rss_before as i64,
        rss_load: rss_loaded as i64 - rss_built as i64,
        build_time,
        load_time,
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Frame time.

/// Nanoseconds this thread has waited on a run queue (`/proc/thread-self/schedstat`); frames
/// during which it grew were preempted by other work on the machine, not slow themselves.
fn sched_wait_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

struct FrameTimes {
    draw: (f64, f64, f64),
    /// Frames not preempted: (mean, p50, p99), and how many were preempted, waiting how long.
    unpreempted: (f64, f64, f64),
    preempted: usize,
    waited: Duration,
    over_target: usize,
    view: (f64, f64, f64),
    update_down: (f64, f64, f64),
}

fn frame_times(app: &mut App, theme: Theme, width: u16, height: u16) -> FrameTimes {
    app.update(press(KeyCode::Home));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut draws = Vec::with_capacity(FRAMES);
    let mut views = Vec::with_capacity(FRAMES);
    let mut updates = Vec::with_capacity(FRAMES);
    let mut unpreempted = Vec::with_capacity(FRAMES);
    let mut waited = 0;
    for frame_index in 0..WARMUP_FRAMES + FRAMES {
        let started = Instant::now();
        app.update(press(KeyCode::Down));
        let update = started.elapsed();
        let mut view_time = Duration::ZERO;
        let wait_before = sched_wait_ns();
        let started = Instant::now();
        terminal
            .draw(|frame| {
                let view_started = Instant::now();
                app.draw(theme, frame);
                view_time = view_started.elapsed();
            })
            .expect("drawn");
        let draw = started.elapsed();
        let wait = sched_wait_ns().saturating_sub(wait_before);
        app.drawn();
        if frame_index >= WARMUP_FRAMES {
            if wait == 0 {
                unpreempted.push(draw);
            }
            waited += wait;
            draws.push(draw);
            views.push(view_time);
            updates.push(update);
        }
    }
    assert_eq!(app.position().0, WARMUP_FRAMES + FRAMES);
    let preempted = draws.len() - unpreempted.len();
    let over_target = draws
        .iter()
        .filter(|d| micros(**d) >= FRAME_TARGET_US)
        .count();
    FrameTimes {
        draw: stats(draws),
        unpreempted: if unpreempted.is_empty() {
            (0.0, 0.0, 0.0)
        } else {
            stats(unpreempted)
        },
        preempted,
        waited: Duration::from_nanos(waited),
        over_target,
        view: stats(views),
        update_down: stats(updates),
    }
}

/// Each filter keystroke's `update` over all rows: '/', then "van 1" one key at a time.
fn filter_keys(app: &mut App, depot: &Depot) -> Vec<(String, Duration, usize)> {
    app.update(press(KeyCode::Home));
    let mut times = Vec::new();
    let started = Instant::now();
    app.update(press(KeyCode::Char('/')));
    times.push(("/".to_string(), started.elapsed(), app.row_counts().0));
    for c in "van 1".chars() {
        let started = Instant::now();
        app.update(press(KeyCode::Char(c)));
        let took = started.elapsed();
        times.push((format!("{:?}", app.filter_text()), took, app.row_counts().0));
    }
    // Where a keystroke's time goes: the row text the filter builds for every row (of the
    // same history, built again here: the app's rows are its own).
    let items = build_assignments(depot);
    let started = Instant::now();
    for item in &items {
        std::hint::black_box(item.cells());
    }
    times.push((
        "(`Row::cells()` alone, every row)".to_string(),
        started.elapsed(),
        items.len(),
    ));
    let started = Instant::now();
    for item in &items {
        let lowered: Vec<String> = item.cells().iter().map(|c| c.to_lowercase()).collect();
        std::hint::black_box(lowered);
    }
    times.push((
        "(`cells()` + `to_lowercase()`, every row)".to_string(),
        started.elapsed(),
        items.len(),
    ));
    // Esc clears the filter: one more pass over every row.
    let started = Instant::now();
    app.update(press(KeyCode::Esc));
    times.push((
        "Esc (clear)".to_string(),
        started.elapsed(),
        app.row_counts().0,
    ));
    assert_eq!(app.row_counts().0, ASSIGNMENTS as usize);
    times
}

// ---------------------------------------------------------------------------------------------
// 2. Bytes per move.

struct MoveBytes {
    bytes: Vec<usize>,
    cells: Vec<usize>,
    rows: Vec<usize>,
    /// Runs of adjacent changed cells: each costs the backend a cursor move.
    runs: Vec<usize>,
    scrolled: usize,
}

impl MoveBytes {
    fn mean(values: &[usize]) -> f64 {
        values.iter().sum::<usize>() as f64 / values.len().max(1) as f64
    }
}

struct ByteTerminal {
    terminal: Terminal<CrosstermBackend<CountingWriter>>,
    bytes: Arc<AtomicUsize>,
    previous: Buffer,
}

impl ByteTerminal {
    fn new(width: u16, height: u16) -> ByteTerminal {
        let bytes = Arc::new(AtomicUsize::new(0));
        let backend = CrosstermBackend::new(CountingWriter {
            bytes: bytes.clone(),
        });
        let terminal = Terminal::with_options(backend, fixed(width, height)).expect("a terminal");
        ByteTerminal {
            terminal,
            bytes,
            previous: Buffer::empty(Rect::new(0, 0, width, height)),
        }
    }

    /// Draws; returns (bytes written, cells changed, rows changed, runs of changed cells).
    fn draw(&mut self, app: &mut App, theme: Theme) -> (usize, usize, usize, usize) {
        self.bytes.store(0, Ordering::Relaxed);
        let completed = self
            .terminal
            .draw(|frame| app.draw(theme, frame))
            .expect("drawn");
        let current = completed.buffer.clone();
        let diff = self.previous.diff(&current);
        let cells = diff.len();
        let mut rows: Vec<u16> = diff.iter().map(|(_, y, _)| *y).collect();
        rows.dedup();
        let rows = rows.len();
        let runs = diff
            .iter()
            .zip(std::iter::once(None).chain(diff.iter().map(Some)))
            .filter(|((x, y, _), previous)| {
                !matches!(previous, Some((px, py, _)) if *py == *y && *px + 1 == *x)
            })
            .count();
        self.previous = current;
        (self.bytes.load(Ordering::Relaxed), cells, rows, runs)
    }
}

fn record(into: &mut MoveBytes, drawn: (usize, usize, usize, usize)) {
    into.bytes.push(drawn.0);
    into.cells.push(drawn.1);
    into.rows.push(drawn.2);
    into.runs.push(drawn.3);
}

/// (inside the window, scrolling, bytes of the first full draw)
fn move_bytes(app: &mut App, theme: Theme) -> (MoveBytes, MoveBytes, usize) {
    let (width, height) = (200, 50);
    let mut terminal = ByteTerminal::new(width, height);
    // To the middle of the list; the first draw puts the selection at the window's bottom.
    app.update(press(KeyCode::Home));
    while app.position().0 < ASSIGNMENTS as usize / 2 {
        app.update(press(KeyCode::PageDown));
    }
    let (first_draw, ..) = terminal.draw(app, theme);
    let (_, offset, rows_in_window) = app.position();
    // Up to the window's top first (these moves count too: none of them scrolls).
    let mut inside = MoveBytes {
        bytes: Vec::new(),
        cells: Vec::new(),
        rows: Vec::new(),
        runs: Vec::new(),
        scrolled: 0,
    };
    let mut going_up = app.position().0 > offset;
    while inside.bytes.len() < MOVES {
        let selected = app.position().0;
        if selected <= offset {
            going_up = false;
        } else if selected + 1 >= offset + rows_in_window {
            going_up = true;
        }
        app.update(press(if going_up { KeyCode::Up } else { KeyCode::Down }));
        let drawn = terminal.draw(app, theme);
        if app.position().1 != offset {
            inside.scrolled += 1;
        }
        record(&mut inside, drawn);
    }
    // To the window's bottom, then every Down scrolls the list by one row.
    while app.position().0 + 1 < app.position().1 + rows_in_window {
        app.update(press(KeyCode::Down));
    }
    terminal.draw(app, theme);
    let mut scrolling = MoveBytes {
        bytes: Vec::new(),
        cells: Vec::new(),
        rows: Vec::new(),
        runs: Vec::new(),
        scrolled: 0,
    };
    for _ in 0..MOVES {
        let before = app.position().1;
        app.update(press(KeyCode::Down));
        let drawn = terminal.draw(app, theme);
        if app.position().1 == before + 1 {
            scrolling.scrolled += 1;
        }
        record(&mut scrolling, drawn);
    }
    (inside, scrolling, first_draw)
}

// ---------------------------------------------------------------------------------------------
// 3. Idle.

struct Idle {
    /// Ticks with no refresh due (no command out), and how many of them set `dirty`.
    quiet_ticks: usize,
    quiet_dirty: usize,
    /// All ticks, refreshes answered at once with the same summary, as the runtime would.
    ticks: usize,
    dirty_ticks: usize,
    dirty_answers: usize,
    redraws: usize,
    redraw_cells: usize,
    redraw_bytes: Vec<usize>,
    /// What a redraw of an unchanged app writes.
    unchanged: Vec<u8>,
}

fn idle(app: &mut App, depot: &Depot, theme: Theme) -> Idle {
    let mut terminal = ByteTerminal::new(200, 50);
    terminal.draw(app, theme);
    app.drawn();
    let mut result = Idle {
        quiet_ticks: 0,
        quiet_dirty: 0,
        ticks: IDLE_TICKS,
        dirty_ticks: 0,
        dirty_answers: 0,
        redraws: 0,
        redraw_cells: 0,
        redraw_bytes: Vec::new(),
        unchanged: Vec::new(),
    };
    for _ in 0..IDLE_TICKS {
        let commands = app.update(Event::Tick);
        if app.needs_draw() {
            result.dirty_ticks += 1;
        }
        if commands.is_empty() {
            result.quiet_ticks += 1;
            if app.needs_draw() {
                result.quiet_dirty += 1;
            }
        }
        // The runtime draws after each event that left the app dirty.
        if app.needs_draw() {
            let (bytes, cells, ..) = terminal.draw(app, theme);
            result.redraws += 1;
            result.redraw_cells += cells;
            result.redraw_bytes.push(bytes);
            app.drawn();
        }
        for command in commands {
            assert_eq!(command, Command::LoadDashboard, "only the header refreshes");
            app.update(answer(Response::Dashboard(Ok(depot.summary))));
            if app.needs_draw() {
                result.dirty_answers += 1;
                let (bytes, cells, ..) = terminal.draw(app, theme);
                result.redraws += 1;
                result.redraw_cells += cells;
                result.redraw_bytes.push(bytes);
                app.drawn();
            }
        }
    }
    assert_eq!(app.in_flight(), 0);
    // The bytes themselves of one redraw with nothing changed.
    let captured = Arc::new(Mutex::new(Vec::new()));
    let backend = CrosstermBackend::new(CaptureWriter {
        bytes: captured.clone(),
    });
    let mut capture = Terminal::with_options(backend, fixed(200, 50)).expect("a terminal");
    capture.draw(|frame| app.draw(theme, frame)).expect("drawn");
    captured.lock().expect("capture lock").clear();
    capture.draw(|frame| app.draw(theme, frame)).expect("drawn");
    result.unchanged = captured.lock().expect("capture lock").clone();
    result
}

// ---------------------------------------------------------------------------------------------

const ROLE_ORGANIZATIONS: usize = 300;
const ROLE_ROWS: usize = 1_000;

/// The Roles tab filled: a three-level tree, one organization holding `ROLE_ROWS` assignments.
fn roles_loaded(app: &mut App) {
    let commands = app.update(press(KeyCode::Char('4')));
    assert_eq!(app.tab(), Tab::Roles);
    assert!(commands.contains(&Command::LoadOrganizations));
    let organizations: Vec<Organization> = (0..ROLE_ORGANIZATIONS)
        .map(|n| Organization {
            id: format!("org-{n}"),
            name: format!("Unit {n}"),
            // 0 is the root, 1–19 depots under it, the rest units under the depots.
            parent_id: match n {
                0 => None,
                1..=19 => Some("org-0".to_string()),
                _ => Some(format!("org-{}", 1 + n % 19)),
            },
        })
        .collect();
    let commands = app.update(answer(Response::Organizations(Ok(organizations))));
    let (request, organization_id) = commands
        .iter()
        .find_map(|command| match command {
            Command::LoadRoleAssignments {
                request,
                organization_id,
                ..
            } => Some((*request, organization_id.clone())),
            _ => None,
        })
        .expect("the selected organization is loaded");
    let roles = [Role::Employee, Role::Approver, Role::Manager];
    let rows: Vec<RoleAssignmentRow> = (0..ROLE_ROWS)
        .map(|n| {
            let from =
                Day::from_ymd(2015 + (n % 10) as i32, 1 + (n % 12) as u32, 1).expect("a date");
            RoleAssignmentRow {
                rel_id: n as i64 + 1,
                user_id: (n / 3 + 1).to_string(),
                user_name: format!("Technician {}", n / 3),
                organization_id: organization_id.clone(),
                organization_name: "Unit 0".to_string(),
                roles: roles[..1 + n % 3].to_vec(),
                valid_from: from,
                valid_to: if n % 4 == 0 {
                    DEFAULT_VALID_TO
                } else {
                    Day(from.0 + 90 + (n % 700) as i32)
                },
            }
        })
        .collect();
    app.update(answer(Response::RoleAssignments {
        request,
        organization_id,
        below: false,
        result: Ok(rows),
    }));
    app.update(press(KeyCode::Right));
    assert_eq!(
        app.roles().shown_rows().map(|rows| rows.len()),
        Some(ROLE_ROWS)
    );
}

/// `terminal.draw` times on the Roles tab, moving down the list between frames.
fn roles_frames(app: &mut App, theme: Theme, width: u16, height: u16) -> (f64, f64, f64) {
    app.update(press(KeyCode::Home));
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    let mut draws = Vec::with_capacity(ROLE_ROWS);
    for _ in 0..ROLE_ROWS - 1 {
        app.update(press(KeyCode::Down));
        let started = Instant::now();
        terminal
            .draw(|frame| app.draw(theme, frame))
            .expect("drawn");
        draws.push(started.elapsed());
    }
    assert_eq!(app.roles().list_selected(), ROLE_ROWS - 1);
    stats(draws)
}

// ---------------------------------------------------------------------------------------------
// 6. The live stream.

/// Events a second from the stream, and for how long.
const EVENTS_PER_SECOND: u64 = 1_000;
const LIVE_SECONDS: u64 = 5;
const EVENT_TARGET_US: f64 = 1_000.0;
const VISIBLE_CHANGE_TARGET_BYTES: f64 = 1_024.0;

/// What the stream did to the client in one run.
struct Live {
    events: usize,
    /// Per event: decoding its JSON and `update`.
    apply: Vec<Duration>,
    /// Per frame drawn.
    frames: Vec<Duration>,
    /// Everything: decode, update, wakes (marks ending) and frames.
    total: Duration,
    bytes: usize,
    /// List rows (below the column titles, above the footer's rule) that changed on screen,
    /// summed over frames; and screen rows changed in all.
    list_rows_changed: usize,
    rows_changed: usize,
    cells_changed: usize,
}

/// Another dispatcher at 1,000 events a second: each second returns active assignments and
/// makes new ones for the vehicles and technicians they freed, half and half. Events are
/// JSON text, as they arrive in the stream.
fn live_events(depot: &Depot, count: usize) -> Vec<String> {
    let actor = Some(Actor {
        id: 2,
        name: "Bo Okafor".to_string(),
    });
    let mut active: std::collections::VecDeque<Assignment> = (ASSIGNMENTS - ACTIVE + 1
        ..=ASSIGNMENTS)
        .map(|id| assignment(id, &depot.vehicle_values, &depot.technician_refs))
        .collect();
    let mut next_id = ASSIGNMENTS + 1;
    let start = at(2026, 11, 22) + chrono::Duration::hours(1);
    let mut events = Vec::with_capacity(count);
    // Spread returns over the active ones, newest (on screen) and oldest (off screen) alike.
    let mut turn = 0usize;
    while events.len() < count {
        let when = start + chrono::Duration::milliseconds(events.len() as i64);
        let index = (turn * 37) % active.len();
        turn += 1;
        let Some(mut returned) = active.remove(index) else {
            break;
        };
        returned.status = AssignmentStatus::Returned;
        returned.returned_date = Some(when);
        let kind = EventKind::AssignmentReturned;
        events.push((kind, returned.clone()));
        let created = Assignment {
            id: next_id,
            status: AssignmentStatus::Active,
            assigned_date: when,
            returned_date: None,
            returned_by: None,
            ..returned
        };
        next_id += 1;
        active.push_back(created.clone());
        events.push((EventKind::AssignmentCreated, created));
    }
    events
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(n, (kind, a))| {
            let event = ApiEvent {
                id: 1_000_000 + n as i64,
                at: a.returned_date.unwrap_or(a.assigned_date),
                actor: actor.clone(),
                kind,
                subject: EventSubject {
                    assignment_id: Some(a.id),
                    vehicle_id: Some(a.vehicle_id),
                    technician_id: Some(a.technician_id),
                    ..EventSubject::default()
                },
                data: serde_json::to_value(&a).expect("an assignment as JSON"),
            };
            serde_json::to_string(&event).expect("an event as JSON")
        })
        .collect()
}

/// Feeds `events` at `EVENTS_PER_SECOND` on the app's own clock and draws the way the
/// runtime does: events are applied as they come, a frame follows at most every
/// `FRAME_GAP`, and a mark's end wakes the app.
fn live_run(app: &mut App, events: &[String], theme: Theme) -> Live {
    let (width, height) = (200, 50);
    let mut terminal = ByteTerminal::new(width, height);
    let mut now = Instant::now();
    app.set_clock(now);
    terminal.draw(app, theme);
    app.drawn();
    // The list's rows on screen: below the header, tabs, rule, status line, list title row
    // and column titles; above the bottom rule and the footer.
    let list_rows = 6..height as usize - 2;
    let gap = Duration::from_nanos(1_000_000_000 / EVENTS_PER_SECOND);
    let mut last_frame = now;
    let mut live = Live {
        events: events.len(),
        apply: Vec::with_capacity(events.len()),
        frames: Vec::new(),
        total: Duration::ZERO,
        bytes: 0,
        list_rows_changed: 0,
        rows_changed: 0,
        cells_changed: 0,
    };
    let draw = |app: &mut App, live: &mut Live, terminal: &mut ByteTerminal| {
        let before = terminal.previous.clone();
        let started = Instant::now();
        let (bytes, cells, rows, _) = terminal.draw(app, theme);
        let took = started.elapsed();
        app.drawn();
        live.frames.push(took);
        live.total += took;
        live.bytes += bytes;
        live.cells_changed += cells;
        live.rows_changed += rows;
        live.list_rows_changed += list_rows
            .clone()
            .filter(|y| {
                let y = *y as u16;
                (0..width).any(|x| before[(x, y)] != terminal.previous[(x, y)])
            })
            .count();
    };
    for text in events {
        now += gap;
        app.advance_clock(gap);
        if app.next_wake().is_some_and(|at| at <= now) {
            let started = Instant::now();
            app.update(Event::Wake);
            live.total += started.elapsed();
        }
        let started = Instant::now();
        let event: ApiEvent = serde_json::from_str(text).expect("an event");
        let commands = app.update(Event::Stream(Box::new(StreamUpdate::Item(
            StreamItem::Event(Box::new(event)),
        ))));
        let took = started.elapsed();
        assert!(
            commands.is_empty(),
            "an event asks for nothing: {commands:?}"
        );
        live.apply.push(took);
        live.total += took;
        if app.needs_draw() && now.duration_since(last_frame) >= FRAME_GAP {
            draw(app, &mut live, &mut terminal);
            last_frame = now;
        }
    }
    if app.needs_draw() {
        draw(app, &mut live, &mut terminal);
    }
    live
}

fn live_rows(table: &mut Vec<String>, over: &mut Vec<String>, label: &str, live: Live) {
    let events = live.events as f64;
    let per_event = micros(live.total) / events;
    let (apply_mean, apply_p50, apply_p99) = stats(live.apply.clone());
    let (frame_mean, _, frame_p99) = stats(live.frames.clone());
    let ok = per_event < EVENT_TARGET_US;
    table.push(format!(
        "| live, {label}: CPU per event (JSON decode + `update` + its share of {} frames), {} events at {EVENTS_PER_SECOND}/s | {per_event:.1} µs | < 1,000 µs | {} |",
        live.frames.len(),
        live.events,
        verdict(ok)
    ));
    table.push(format!(
        "| … decode + `update` alone per event: mean / p50 / p99; a frame: mean / p99 | {apply_mean:.1} / {apply_p50:.1} / {apply_p99:.1} µs; {frame_mean:.0} / {frame_p99:.0} µs | | |"
    ));
    let per_visible = if live.list_rows_changed == 0 {
        0.0
    } else {
        live.bytes as f64 / live.list_rows_changed as f64
    };
    let visible_ok = per_visible < VISIBLE_CHANGE_TARGET_BYTES;
    table.push(format!(
        "| … bytes to the terminal at 200×50: per event; per list row changed on screen ({} list rows in {} frames; {} screen rows, {} cells in all) | {:.0} B; {per_visible:.0} B | < 1,024 B per visible change | {} |",
        live.list_rows_changed,
        live.frames.len(),
        live.rows_changed,
        live.cells_changed,
        live.bytes as f64 / events,
        verdict(visible_ok)
    ));
    if !ok {
        over.push(format!("CPU per live event, {label}"));
    }
    if !visible_ok {
        over.push(format!("bytes per visible change, {label}"));
    }
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let theme = Theme::colored();
    let total_started = Instant::now();
    let rss_start = rss_bytes();
    let Loaded {
        mut app,
        depot,
        rss_build,
        rss_load,
        build_time,
        load_time,
    } = loaded_app();
    eprintln!(
        "loaded {ASSIGNMENTS} assignments: built in {:.0} ms, update(Response::Assignments) {:.0} ms",
        build_time.as_secs_f64() * 1e3,
        load_time.as_secs_f64() * 1e3
    );

    let mut table = vec![
        "| measurement | result | target | verdict |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    let mut over = Vec::new();

    for (width, height) in [(100u16, 30u16), (200, 50)] {
        let times = frame_times(&mut app, theme, width, height);
        let (mean, p50, p99) = times.draw;
        // The code's own cost: frames during which another process held the CPU (2 cores,
        // shared with builds) are reported apart.
        let (clean_mean, clean_p50, clean_p99) = times.unpreempted;
        let ok = mean < FRAME_TARGET_US && clean_p99 < FRAME_TARGET_US;
        eprintln!(
            "{width}×{height}: draw mean {mean:.1} µs p50 {p50:.1} p99 {p99:.1}; view alone mean {:.1} p50 {:.1} p99 {:.1}; update(Down) mean {:.2} µs",
            times.view.0, times.view.1, times.view.2, times.update_down.0
        );
        table.push(format!(
            "| frame {width}×{height}, `terminal.draw` (view + diff + TestBackend), {FRAMES} frames: mean / p50 / p99 | {mean:.1} / {p50:.1} / {p99:.1} µs | < 2,000 µs | {} |",
            if p99 < FRAME_TARGET_US { "ok" } else { "p99 over (see next row)" }
        ));
        table.push(format!(
            "| … frames not preempted ({} of {FRAMES}): mean / p50 / p99; preempted frames waited {:.1} ms in all; frames ≥ 2 ms: {} | {clean_mean:.1} / {clean_p50:.1} / {clean_p99:.1} µs | < 2,000 µs | {} |",
            FRAMES - times.preempted,
            times.waited.as_secs_f64() * 1e3,
            times.over_target,
            verdict(ok)
        ));
        table.push(format!(
            "| … of which `view` alone: mean / p50 / p99 | {:.1} / {:.1} / {:.1} µs | | |",
            times.view.0, times.view.1, times.view.2
        ));
        table.push(format!(
            "| `update(Down)` between frames: mean / p99 | {:.2} / {:.2} µs | | |",
            times.update_down.0, times.update_down.2
        ));
        if !ok {
            over.push(format!("frame time at {width}×{height}"));
        }
    }

    let (inside, scrolling, first_draw) = move_bytes(&mut app, theme);
    for (label, moves) in [
        ("inside the window (no scroll)", &inside),
        ("scrolling the list by one row", &scrolling),
    ] {
        let mean = MoveBytes::mean(&moves.bytes);
        let max = moves.bytes.iter().max().copied().unwrap_or(0);
        let ok = mean < MOVE_TARGET_BYTES;
        table.push(format!(
            "| bytes per move at 200×50, {label}, {} moves ({} scrolled): mean / max | {mean:.0} / {max} B ({:.1} cells in {:.1} runs on {:.1} rows changed) | < 2,048 B | {} |",
            moves.bytes.len(),
            moves.scrolled,
            MoveBytes::mean(&moves.cells),
            MoveBytes::mean(&moves.runs),
            MoveBytes::mean(&moves.rows),
            verdict(ok)
        ));
        if !ok {
            over.push(format!("bytes per move, {label}"));
        }
    }
    table.push(format!(
        "| first full draw at 200×50 | {first_draw} B | | |"
    ));

    let idle = idle(&mut app, &depot, theme);
    let quiet_ok = idle.quiet_dirty == 0;
    table.push(format!(
        "| idle: ticks without a refresh due that set `dirty` | {} of {} | 0 | {} |",
        idle.quiet_dirty,
        idle.quiet_ticks,
        verdict(quiet_ok)
    ));
    let idle_bytes: usize = idle.redraw_bytes.iter().sum();
    let idle_ok = idle.redraws == 0 && idle_bytes == 0;
    table.push(format!(
        "| idle (stream up, nothing happening): {} ticks, refresh every {REFRESH_EVERY} s answered with the same summary: dirty ticks + dirty answers → redraws, bytes written | {} + {} → {} redraws, {} cells, {idle_bytes} B | 0 redraws, 0 B | {} |",
        idle.ticks,
        idle.dirty_ticks,
        idle.dirty_answers,
        idle.redraws,
        idle.redraw_cells,
        verdict(idle_ok)
    ));
    if !idle_ok {
        over.push("idle redraws".to_string());
    }
    let unchanged = idle.unchanged.len();
    // `\e[?25l` (hide cursor, 6 bytes) is the cursor handling; the rest is the backend's
    // colour and attribute reset after every draw, written even when no cell changed.
    let hide_cursor = b"\x1b[?25l";
    let beyond_cursor = unchanged.saturating_sub(
        if idle
            .unchanged
            .windows(hide_cursor.len())
            .any(|w| w == hide_cursor)
        {
            hide_cursor.len()
        } else {
            0
        },
    );
    let redraw_max = idle.redraw_bytes.iter().max().copied().unwrap_or(0);
    table.push(format!(
        "| idle: redraw of an unchanged app | {unchanged} B (`{}`), {beyond_cursor} B beyond the cursor; every idle redraw ≤ {redraw_max} B | 0 B beyond the cursor | {} |",
        escaped(&idle.unchanged),
        if beyond_cursor == 0 { "ok" } else { "see notes" }
    ));
    if !quiet_ok {
        over.push("idle ticks set dirty".to_string());
    }

    let filter = filter_keys(&mut app, &depot);
    for (key, took, visible) in &filter {
        if key.starts_with('(') {
            table.push(format!(
                "| … where a keystroke's time goes {key} | {:.1} ms | informative | |",
                took.as_secs_f64() * 1e3
            ));
            continue;
        }
        table.push(format!(
            "| filter keystroke → {key}: `update` over {ASSIGNMENTS} rows | {:.1} ms ({visible} rows shown) | informative | |",
            took.as_secs_f64() * 1e3
        ));
    }

    table.push(format!(
        "| memory: building 100,000 `Assignment` values (RSS delta) | {:.1} MiB | informative | |",
        mib(rss_build)
    ));
    table.push(format!(
        "| memory: feeding them to the App (RSS delta: visible index, sort) | {:.1} MiB | informative | |",
        mib(rss_load)
    ));
    table.push(format!(
        "| memory: history loaded, total RSS delta | {:.1} MiB ({:.0} B per assignment); process RSS {:.1} MiB at start | informative | |",
        mib(rss_build + rss_load),
        (rss_build + rss_load) as f64 / ASSIGNMENTS as f64,
        mib(rss_start as i64)
    ));
    table.push(format!(
        "| load: `update(Response::Assignments)` with 100,000 rows | {:.1} ms | informative | |",
        load_time.as_secs_f64() * 1e3
    ));

    roles_loaded(&mut app);
    for (width, height) in [(100u16, 30u16), (200, 50)] {
        let (mean, p50, p99) = roles_frames(&mut app, theme, width, height);
        let ok = mean < FRAME_TARGET_US;
        table.push(format!(
            "| Roles tab frame {width}×{height} ({ROLE_ORGANIZATIONS} organizations, {ROLE_ROWS} assignments with timelines): mean / p50 / p99 | {mean:.1} / {p50:.1} / {p99:.1} µs | < 2,000 µs | {} |",
            verdict(ok)
        ));
        if !ok {
            over.push(format!("Roles tab frame time at {width}×{height}"));
        }
    }

    // 6. A fresh client with the 100,000 (the sections above moved and filtered this one).
    drop(app);
    let Loaded {
        app: mut live_app,
        depot,
        ..
    } = loaded_app();
    let events = live_events(&depot, (EVENTS_PER_SECOND * LIVE_SECONDS) as usize);
    live_app.update(press(KeyCode::Home));
    let top = live_run(&mut live_app, &events, theme);
    live_rows(
        &mut table,
        &mut over,
        "window on the newest (returns land on screen)",
        top,
    );
    let Loaded {
        app: mut live_app, ..
    } = loaded_app();
    while live_app.position().0 < ASSIGNMENTS as usize / 2 {
        live_app.update(press(KeyCode::PageDown));
    }
    let middle = live_run(&mut live_app, &events, theme);
    live_rows(
        &mut table,
        &mut over,
        "window in the middle of history",
        middle,
    );

    println!();
    println!(
        "## fleetdesk TUI bench — 100,000 assignments, Assignments tab, theme colored, nproc {cores}"
    );
    println!();
    for line in &table {
        println!("{line}");
    }
    println!();
    if over.is_empty() {
        println!("All targets met.");
    } else {
        println!("Over target: {}", over.join("; "));
    }
    println!("(total run {:.1} s)", total_started.elapsed().as_secs_f64());
}
