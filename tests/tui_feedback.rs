//! What the terminal client says while it waits: an action on its way (footer spinner, no
//! second send), the start before the server has answered (`connecting…`, then offline with
//! retries), and the header's counts (a gap after the user, the same form while a refresh is
//! on its way, marked stale when old). `update` driven by events, drawn into `TestBackend`,
//! compared with reviewed snapshots at 100×30 and 80×24.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdesk::api::{
    Assignment, AssignmentStatus, AssignmentsEnvelope, DashboardSummary, NewAssignment, Paging,
    SystemRole, TechnicianListItem, TechnicianRef, User, Vehicle, VehicleListItem,
};
use fleetdesk::client::ClientError;
use fleetdesk::tui::{
    App, Command, Connection, Dialog, Done, Event, Response, StreamUpdate, Theme,
};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const SERVER: &str = "http://depot.example:8080";

fn vehicle(id: i64, name: &str, plate: &str) -> Vehicle {
    Vehicle {
        id,
        name: name.to_string(),
        license_plate: plate.to_string(),
        make: None,
        model: None,
        year: None,
        created_at: Utc
            .with_ymd_and_hms(2026, 11, 1, 8, 0, 0)
            .single()
            .expect("a time"),
        service_status: Default::default(),
        status_note: None,
        odometer_km: None,
    }
}

fn technician(id: i64, name: &str) -> User {
    User {
        id,
        name: name.to_string(),
        email: format!("{}@depot.example", name.to_lowercase().replace(' ', ".")),
        role: SystemRole::Technician,
    }
}

fn dispatcher(email: &str) -> User {
    User {
        id: 1,
        name: "Bo Okafor".to_string(),
        email: email.to_string(),
        role: SystemRole::Admin,
    }
}

fn press(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn answer(response: Response) -> Event {
    Event::Response(Box::new(response))
}

const SUMMARY: DashboardSummary = DashboardSummary {
    active_assignments: 11,
    vehicles: 14,
    technicians: 13,
    available_vehicles: 3,
    available_technicians: 2,
};

/// Signed in as `email`, with Pickup 39 and Van 12 free, Bruno Kaya and Zoe Weber free.
fn loaded_app(server: &str, email: &str) -> App {
    let mut app = App::new(server.to_string(), Some(dispatcher(email)), 5);
    let commands = app.start();
    app.update(Event::Stream(Box::new(StreamUpdate::Connected {
        resumed: true,
    })));
    let generation = commands
        .iter()
        .find_map(|command| match command {
            Command::LoadAssignments { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("assignments are loaded");
    app.update(answer(Response::Dashboard(Ok(SUMMARY))));
    let vehicles = [
        vehicle(39, "Pickup 39", "HH-FD 339"),
        vehicle(12, "Van 12", "HH-FD 112"),
    ]
    .into_iter()
    .map(|vehicle| VehicleListItem {
        vehicle,
        active_assignment: None,
    })
    .collect();
    app.update(answer(Response::Vehicles(Ok(vehicles))));
    let technicians = [technician(7, "Bruno Kaya"), technician(8, "Zoe Weber")]
        .into_iter()
        .map(|user| TechnicianListItem {
            user,
            active_assignment: None,
        })
        .collect();
    app.update(answer(Response::Technicians(Ok(technicians))));
    app.update(answer(Response::Assignments {
        generation,
        append: false,
        result: Ok(AssignmentsEnvelope {
            assignments: Vec::new(),
            next_before: Paging::LastPage,
        }),
    }));
    assert_eq!(app.connection(), Connection::Live);
    app
}

fn render(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| app.draw(Theme::mono(), frame))
        .expect("drawn");
    terminal
}

fn snapshot_both(name: &str, app: &mut App) {
    for (width, height) in [(100, 30), (80, 24)] {
        let terminal = render(app, width, height);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

/// Row `y` of the screen at `width` columns.
fn line(app: &mut App, width: u16, y: u16) -> String {
    let terminal = render(app, width, 30);
    let buffer = terminal.backend().buffer();
    (0..width).map(|x| buffer[(x, y)].symbol()).collect()
}

fn header(app: &mut App, width: u16) -> String {
    line(app, width, 0)
}

fn footer(app: &mut App) -> String {
    line(app, 100, 29)
}

fn assigned(vehicle_id: i64, name: &str, technician_id: i64, who: &str) -> Done {
    let technician = technician(technician_id, who);
    Done::Assigned(Box::new(Assignment {
        id: 90,
        vehicle_id,
        technician_id,
        status: AssignmentStatus::Active,
        assigned_date: Utc::now(),
        returned_date: None,
        vehicle: vehicle(vehicle_id, name, "HH-FD 339"),
        technician: TechnicianRef {
            id: technician.id,
            name: technician.name,
            email: technician.email,
        },
        assigned_by: None,
        returned_by: None,
        return_odometer_km: None,
        return_note: None,
    }))
}

/// Enter in the picker: the footer says what is on its way, with a spinner, until it answers;
/// the same action again meanwhile is not sent a second time.
#[test]
fn an_action_on_its_way_shows_in_the_footer_and_is_not_sent_twice() {
    let mut app = loaded_app(SERVER, "dispatch@depot.example");
    app.update(press(KeyCode::Char('a')));
    assert!(matches!(app.dialog(), Some(Dialog::Assign(_))));
    let sent = app.update(press(KeyCode::Enter));
    let assign = Command::CreateAssignment(NewAssignment {
        vehicle_id: 39,
        technician_id: 7,
        return_conflicting: false,
    });
    assert_eq!(sent, vec![assign.clone()]);
    assert!(
        footer(&mut app).contains("Assigning Pickup 39 to Bruno Kaya…"),
        "{}",
        footer(&mut app)
    );
    snapshot_both("action_on_its_way", &mut app);
    // The spinner turns by itself.
    let before = footer(&mut app);
    app.update(Event::Tick);
    assert!(app.needs_draw(), "the spinner moves");
    assert_ne!(footer(&mut app), before);
    // The same assignment again before the answer: not sent.
    app.update(press(KeyCode::Char('a')));
    assert!(
        app.update(press(KeyCode::Enter)).is_empty(),
        "sent once only"
    );
    assert_eq!(app.in_flight(), 1);
    app.update(answer(Response::Action {
        command: assign.clone(),
        result: Ok(assigned(39, "Pickup 39", 7, "Bruno Kaya")),
    }));
    let done = footer(&mut app);
    assert!(
        done.contains("✓ Assigned Pickup 39 to Bruno Kaya"),
        "{done}"
    );
    assert!(!done.contains('…'), "nothing on its way: {done}");
    // Answered, it may be sent again (the server says what it thinks of that).
    app.update(press(KeyCode::Char('a')));
    assert_eq!(app.update(press(KeyCode::Enter)), vec![assign]);
}

/// A failed action ends its spinner too, and a delete names the vehicle while on its way.
#[test]
fn a_failed_action_ends_its_spinner() {
    let mut app = loaded_app(SERVER, "dispatch@depot.example");
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Char('d')));
    let sent = app.update(press(KeyCode::Char('y')));
    assert_eq!(sent, vec![Command::DeleteVehicle(12, "Van 12".to_string())]);
    assert!(footer(&mut app).contains("Deleting Van 12…"));
    app.update(answer(Response::Action {
        command: Command::DeleteVehicle(12, "Van 12".to_string()),
        result: Err(ClientError::Conflict {
            message: "Van 12 has assignment history.".to_string(),
        }),
    }));
    let text = footer(&mut app);
    assert!(text.contains("✗ Van 12 has assignment history."), "{text}");
    assert!(!text.contains("Deleting"), "{text}");
}

/// With a kept token the client draws at once, says `connecting…`, and asks whose it is; a
/// server that cannot be reached makes it offline with the usual backoff, never the end.
#[test]
fn a_kept_token_opens_at_once_connecting_then_offline_with_retries() {
    let mut app = App::new(SERVER.to_string(), None, 5).with_kept_token();
    assert_eq!(app.start(), vec![Command::CheckToken]);
    assert!(
        app.dialogs().is_empty(),
        "no sign-in while the token is checked"
    );
    assert!(header(&mut app, 100).contains("connecting…"));
    snapshot_both("connecting", &mut app);
    app.update(answer(Response::TokenChecked(Err(ClientError::Offline {
        message: "connection refused".to_string(),
    }))));
    assert_eq!(app.connection(), Connection::Offline { retry_in: 1 });
    assert!(!app.should_quit());
    snapshot_both("connecting_offline", &mut app);
    // The retry asks again; a second failure waits longer.
    assert_eq!(app.update(Event::Tick), vec![Command::CheckToken]);
    app.update(answer(Response::TokenChecked(Err(ClientError::Timeout))));
    assert_eq!(app.connection(), Connection::Offline { retry_in: 2 });
    app.update(Event::Tick);
    assert_eq!(app.update(Event::Tick), vec![Command::CheckToken]);
    // The server answers: signed in, everything loads.
    let loads = app.update(answer(Response::TokenChecked(Ok(dispatcher(
        "dispatch@depot.example",
    )))));
    assert!(loads.contains(&Command::LoadVehicles), "{loads:?}");
    assert!(loads.contains(&Command::LoadDashboard), "{loads:?}");
    assert!(app.wants_stream());
    assert!(header(&mut app, 100).contains("dispatch@depot (admin)"));
}

/// A kept token the server no longer takes opens the sign-in, with the e-mail filled in.
#[test]
fn a_kept_token_refused_opens_the_sign_in() {
    let mut app = App::new(SERVER.to_string(), None, 5).with_kept_token();
    app.start();
    app.prefill_email("dispatch@depot.example");
    app.update(answer(Response::TokenChecked(Err(
        ClientError::Unauthorized {
            message: "token expired".to_string(),
        },
    ))));
    assert!(matches!(app.dialog(), Some(Dialog::SignIn(_))));
    let screen: String = (0..30).map(|y| line(&mut app, 100, y)).collect();
    assert!(screen.contains("dispatch@depot.example"), "{screen}");
}

/// The counts as the header shows them (between the user and the badge), or "".
fn counts_part(header: &str) -> String {
    let before_badge = header
        .split(['●', '○', '◌', '⠋', '⠙', '⠹', '⠸'])
        .next()
        .unwrap_or_default();
    match before_badge
        .find("stale")
        .or_else(|| before_badge.find("active"))
    {
        Some(at) => before_badge[at..].trim().to_string(),
        None => String::new(),
    }
}

/// At every width the counts stand apart from the user, and keep their form while a refresh
/// is on its way (the badge is wider then).
#[test]
fn the_header_counts_stand_apart_and_stay_while_refreshing() {
    let server = "http://fleetdesk.depot-north.example.com:8443";
    let mut app = loaded_app(server, "bo.okafor@depot.example");
    let mut live = Vec::new();
    for width in 80..=160 {
        let text = header(&mut app, width);
        if let Some(rest) = text.split("(admin)").nth(1) {
            let counts = counts_part(&text);
            if !counts.is_empty() {
                assert!(rest.starts_with("  "), "at {width}: {text:?}");
            }
        }
        live.push(counts_part(&text));
    }
    snapshot_both("header_live", &mut app);
    let refresh = app.update(ctrl('r'));
    assert!(refresh.contains(&Command::LoadDashboard));
    assert_eq!(app.connection(), Connection::Refreshing);
    for (index, width) in (80..=160).enumerate() {
        let text = header(&mut app, width);
        assert!(text.contains("refreshing"), "{text}");
        assert_eq!(counts_part(&text), live[index], "at {width}: {text:?}");
    }
    snapshot_both("header_refreshing", &mut app);
}

/// Counts not read again for three refresh intervals are marked stale, and lose the mark
/// with the next answer.
#[test]
fn old_header_counts_are_marked_stale() {
    let mut app = loaded_app(SERVER, "bo.okafor@depot.example");
    assert!(!header(&mut app, 100).contains("stale"));
    app.set_clock(Instant::now() + Duration::from_secs(16));
    app.update(Event::Tick);
    assert!(app.needs_draw(), "the mark is drawn when it comes");
    assert!(header(&mut app, 100).contains("stale · active 11"));
    snapshot_both("header_stale", &mut app);
    app.update(answer(Response::Dashboard(Ok(SUMMARY))));
    assert!(!header(&mut app, 100).contains("stale"));
}
