//! The terminal client's screens: `update` driven by keys and answers, drawn into ratatui's
//! `TestBackend` and compared with reviewed snapshots (insta) at 100×30 and 80×24.

use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use fleetdesk::api::{
    Assignment, AssignmentConflict, AssignmentConflictBody, AssignmentStatus, AssignmentsEnvelope,
    ConflictReason, DashboardSummary, Paging, SystemRole, TechnicianActiveAssignment,
    TechnicianListItem, TechnicianRef, User, Vehicle, VehicleActiveAssignment, VehicleListItem,
};
use fleetdesk::client::ClientError;
use fleetdesk::config::Config;
use fleetdesk::tui::{
    App, Capabilities, Command, Connection, Dialog, Event, HonestBackend, KeyMap, Response,
    StreamUpdate, Tab, Theme,
};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn at(day: u32, hour: u32, minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .single()
        .expect("a valid time")
}

fn vehicle(
    id: i64,
    name: &str,
    plate: &str,
    make: Option<&str>,
    model: Option<&str>,
    year: Option<i64>,
) -> Vehicle {
    Vehicle {
        id,
        name: name.to_string(),
        license_plate: plate.to_string(),
        make: make.map(str::to_string),
        model: model.map(str::to_string),
        year,
        created_at: at(1, 8, 0),
        service_status: Default::default(),
        status_note: None,
        odometer_km: None,
    }
}

fn technician(id: i64, name: &str) -> TechnicianRef {
    TechnicianRef {
        id,
        name: name.to_string(),
        email: format!("{}@depot.example", name.to_lowercase().replace(' ', ".")),
    }
}

fn assignment(
    id: i64,
    v: &Vehicle,
    t: &TechnicianRef,
    assigned: chrono::DateTime<Utc>,
    returned: Option<chrono::DateTime<Utc>>,
) -> Assignment {
    Assignment {
        id,
        vehicle_id: v.id,
        technician_id: t.id,
        status: if returned.is_some() {
            AssignmentStatus::Returned
        } else {
            AssignmentStatus::Active
        },
        assigned_date: assigned,
        returned_date: returned,
        vehicle: v.clone(),
        technician: t.clone(),
        assigned_by: None,
        returned_by: None,
        return_odometer_km: None,
        return_note: None,
    }
}

struct Depot {
    vehicles: Vec<VehicleListItem>,
    technicians: Vec<TechnicianListItem>,
    assignments: Vec<Assignment>,
}

fn depot() -> Depot {
    let van12 = vehicle(
        12,
        "Van 12",
        "HH-FD 112",
        Some("Ford"),
        Some("Transit"),
        Some(2021),
    );
    let van3 = vehicle(
        3,
        "Van 3",
        "HH-FD 103",
        Some("Mercedes-Benz"),
        Some("Sprinter"),
        Some(2020),
    );
    let truck7 = vehicle(
        7,
        "Truck 7",
        "HH-FD 207",
        Some("Iveco"),
        Some("Daily"),
        Some(2022),
    );
    let bike = vehicle(21, "Cargo Bike 1", "B 1", None, None, None);
    let ana = technician(5, "Ana Ruiz");
    let bo = technician(6, "Bo Chen");
    let cy = technician(8, "Cy Park");
    let a7 = assignment(7, &van12, &ana, at(22, 8, 15), None);
    let a5 = assignment(5, &van3, &bo, at(20, 8, 0), None);
    let a4 = assignment(4, &truck7, &cy, at(18, 7, 30), Some(at(19, 16, 45)));
    let a2 = fleetdesk::api::Assignment {
        return_odometer_km: Some(48_210),
        return_note: Some("left mirror cracked, reported".to_string()),
        ..assignment(2, &van12, &bo, at(12, 9, 0), Some(at(15, 17, 10)))
    };
    let with = |v: &Vehicle, a: Option<&Assignment>| VehicleListItem {
        vehicle: v.clone(),
        active_assignment: a.map(|a| VehicleActiveAssignment {
            id: a.id,
            technician: a.technician.clone(),
            assigned_date: a.assigned_date,
        }),
    };
    let tech = |t: &TechnicianRef, a: Option<&Assignment>| TechnicianListItem {
        user: User {
            id: t.id,
            name: t.name.clone(),
            email: t.email.clone(),
            role: SystemRole::Technician,
        },
        active_assignment: a.map(|a| TechnicianActiveAssignment {
            id: a.id,
            vehicle: a.vehicle.clone(),
            assigned_date: a.assigned_date,
        }),
    };
    Depot {
        vehicles: vec![
            with(&bike, None),
            with(&truck7, None),
            with(&van12, Some(&a7)),
            with(&van3, Some(&a5)),
        ],
        technicians: vec![tech(&ana, Some(&a7)), tech(&bo, Some(&a5)), tech(&cy, None)],
        assignments: vec![a7, a5, a4, a2],
    }
}

fn dispatcher() -> User {
    User {
        id: 1,
        name: "Dana Dispatch".to_string(),
        email: "dispatch@depot.example".to_string(),
        role: SystemRole::Admin,
    }
}

fn press(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn answer(response: Response) -> Event {
    Event::Response(Box::new(response))
}

/// An app that has loaded the demo depot.
fn loaded_app() -> App {
    loaded_app_as(dispatcher())
}

fn loaded_app_as(user: User) -> App {
    let mut app = App::new("http://depot.example:8080".to_string(), Some(user), 5);
    let commands = app.start();
    assert_eq!(
        commands.len(),
        4,
        "dashboard, vehicles, technicians, assignments: {commands:?}"
    );
    // The live stream is up (resumed: nothing to load again).
    assert!(app
        .update(Event::Stream(Box::new(StreamUpdate::Connected {
            resumed: true
        })))
        .is_empty());
    let generation = commands
        .iter()
        .find_map(|command| match command {
            Command::LoadAssignments { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("assignments are loaded");
    let depot = depot();
    app.update(answer(Response::Dashboard(Ok(DashboardSummary {
        active_assignments: 2,
        vehicles: 4,
        technicians: 3,
        available_vehicles: 2,
        available_technicians: 1,
    }))));
    app.update(answer(Response::Vehicles(Ok(depot.vehicles))));
    app.update(answer(Response::Technicians(Ok(depot.technicians))));
    app.update(answer(Response::Assignments {
        generation,
        append: false,
        result: Ok(AssignmentsEnvelope {
            assignments: depot.assignments,
            next_before: Paging::LastPage,
        }),
    }));
    assert_eq!(app.connection(), Connection::Live);
    app
}

fn render(app: &mut App, width: u16, height: u16, theme: Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| app.draw(theme, frame))
        .expect("drawn");
    terminal
}

/// Snapshots at both sizes; the text is what a user reads (colour is checked apart).
fn snapshot_both(name: &str, app: &mut App) {
    for (width, height) in [(100, 30), (80, 24)] {
        let terminal = render(app, width, height, Theme::mono());
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

fn screen_text(app: &mut App) -> String {
    let terminal = render(app, 100, 30, Theme::mono());
    terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|cell| cell.symbol())
        .collect()
}

#[test]
fn vehicles_tab() {
    let mut app = loaded_app();
    snapshot_both("vehicles", &mut app);
}

#[test]
fn technicians_tab() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('2')));
    assert_eq!(app.tab(), Tab::Technicians);
    snapshot_both("technicians", &mut app);
}

#[test]
fn assignments_tab_filtered_by_status_and_text() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    snapshot_both("assignments", &mut app);
    app.update(press(KeyCode::Char('/')));
    for c in "van".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    snapshot_both("assignments_filtered", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("3 of 4"), "three rows mention a van");
}

#[test]
fn filter_enter_keeps_esc_clears() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('/')));
    app.update(press(KeyCode::Char('b')));
    app.update(press(KeyCode::Char('i')));
    app.update(press(KeyCode::Enter));
    assert!(!app.is_filtering());
    assert_eq!(app.row_counts(), (1, 4));
    app.update(press(KeyCode::Esc));
    assert_eq!(app.row_counts(), (4, 4));
}

#[test]
fn sorting_cycles_columns_and_reverses() {
    let mut app = loaded_app();
    let names = |app: &App| -> Vec<String> {
        app.rows()
            .into_iter()
            .map(|cells| cells[0].clone())
            .collect()
    };
    // Numbers sort as numbers: Van 3 before Van 12.
    assert_eq!(names(&app), ["Cargo Bike 1", "Truck 7", "Van 3", "Van 12"]);
    app.update(press(KeyCode::Char('S')));
    assert_eq!(names(&app), ["Van 12", "Van 3", "Truck 7", "Cargo Bike 1"]);
    app.update(press(KeyCode::Char('s')));
    // By plate now.
    assert_eq!(names(&app), ["Cargo Bike 1", "Van 3", "Van 12", "Truck 7"]);
}

/// The header line of the list: the row under the tabs that names the columns.
fn header_line(app: &mut App, width: u16) -> String {
    let terminal = render(app, width, 24, Theme::mono());
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .find(|line| line.contains("NAME") || line.contains("ASSIGNED") || line.contains("WHO"))
        .unwrap_or_default()
}

#[test]
fn every_sort_column_shows_one_arrow_with_one_meaning() {
    let mut app = loaded_app();
    // Names A→Z: ascending.
    assert!(
        header_line(&mut app, 80).contains("NAME ▲"),
        "{}",
        header_line(&mut app, 80)
    );
    app.update(press(KeyCode::Char('S')));
    assert!(header_line(&mut app, 80).contains("NAME ▼"));
    // YEAR has room for its arrow at both widths.
    for _ in 0..3 {
        app.update(press(KeyCode::Char('s')));
    }
    for width in [80, 100] {
        let header = header_line(&mut app, width);
        assert!(header.contains("YEAR ▲"), "{header}");
    }
    // Assignments start newest first: descending.
    app.update(press(KeyCode::Char('3')));
    let header = header_line(&mut app, 100);
    assert_eq!(header.matches(['▲', '▼']).count(), 1, "{header}");
    assert!(header.contains("ASSIGNED ▼"), "{header}");
    app.update(press(KeyCode::Char('S')));
    assert!(header_line(&mut app, 100).contains("ASSIGNED ▲"));
}

#[test]
fn help_lists_the_tab_keys() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('?')));
    snapshot_both("help", &mut app);
    app.update(press(KeyCode::Esc));
    assert!(app.dialogs().is_empty());
}

#[test]
fn assign_from_the_vehicles_tab_with_a_picker() {
    let mut app = loaded_app();
    // Truck 7 is free; pick it and assign.
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Char('a')));
    snapshot_both("picker_technicians", &mut app);
    // Free ones first: Cy Park.
    let commands = app.update(press(KeyCode::Enter));
    assert_eq!(
        commands,
        vec![Command::CreateAssignment(fleetdesk::api::NewAssignment {
            vehicle_id: 7,
            technician_id: 8,
            return_conflicting: false
        })]
    );
}

#[test]
fn a_conflict_offers_return_and_assign() {
    let mut app = loaded_app();
    let depot = depot();
    let request = fleetdesk::api::NewAssignment {
        vehicle_id: 12,
        technician_id: 6,
        return_conflicting: false,
    };
    app.update(answer(Response::Action {
        command: Command::CreateAssignment(request.clone()),
        result: Err(ClientError::AssignmentConflict(AssignmentConflictBody {
            error: "conflict".to_string(),
            message: "Cannot assign".to_string(),
            conflicts: vec![
                AssignmentConflict {
                    reason: ConflictReason::VehicleBusy,
                    assignment: Some(depot.assignments[0].clone()),
                    vehicle: None,
                },
                AssignmentConflict {
                    reason: ConflictReason::TechnicianBusy,
                    assignment: Some(depot.assignments[1].clone()),
                    vehicle: None,
                },
            ],
        })),
    }));
    assert!(matches!(app.dialog(), Some(Dialog::AssignmentConflict(_))));
    snapshot_both("assignment_conflict", &mut app);
    let commands = app.update(press(KeyCode::Enter));
    assert_eq!(
        commands,
        vec![Command::CreateAssignment(fleetdesk::api::NewAssignment {
            return_conflicting: true,
            ..request
        })]
    );
    // Esc on another conflict: nothing is sent.
    let mut app = loaded_app();
    app.update(answer(Response::Action {
        command: Command::CreateAssignment(fleetdesk::api::NewAssignment {
            vehicle_id: 12,
            technician_id: 8,
            return_conflicting: false,
        }),
        result: Err(ClientError::AssignmentConflict(AssignmentConflictBody {
            error: "conflict".to_string(),
            message: "Cannot assign".to_string(),
            conflicts: vec![AssignmentConflict {
                reason: ConflictReason::VehicleBusy,
                assignment: Some(depot.assignments[0].clone()),
                vehicle: None,
            }],
        })),
    }));
    assert!(app.update(press(KeyCode::Esc)).is_empty());
    assert!(app.dialogs().is_empty());
}

#[test]
fn returning_asks_first() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    assert!(app.update(press(KeyCode::Char('r'))).is_empty());
    snapshot_both("confirm_return", &mut app);
    // Nothing entered: the plain return.
    assert_eq!(
        app.update(press(KeyCode::Enter)),
        vec![Command::ReturnAssignment(7, Default::default())]
    );
}

/// `r` asks for the optional odometer reading and note in the same dialog; the server's
/// refusal shows there with the input kept, and `Enter` sends again.
#[test]
fn the_return_dialog_takes_readings_and_keeps_them_when_refused() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    app.update(press(KeyCode::Char('r')));
    for c in "12x".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    assert!(app.update(press(KeyCode::Enter)).is_empty(), "not a number");
    assert!(screen_text(&mut app).contains("is not a whole number of km"));
    app.update(press(KeyCode::Backspace));
    for c in "3,456".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    app.update(press(KeyCode::Tab));
    for c in "brake pads worn".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    snapshot_both("return_with_readings", &mut app);
    let readings = fleetdesk::api::ReturnReadings {
        odometer_km: Some(123_456),
        note: Some("brake pads worn".to_string()),
    };
    let sent = app.update(press(KeyCode::Enter));
    assert_eq!(sent, vec![Command::ReturnAssignment(7, readings.clone())]);
    assert!(
        app.update(press(KeyCode::Enter)).is_empty(),
        "not sent twice"
    );
    app.update(answer(Response::Action {
        command: sent[0].clone(),
        result: Err(ClientError::Api {
            status: 400,
            code: "validation".to_string(),
            message: "odometerKm 123456 is below the vehicle's last reading of 130000 km."
                .to_string(),
            request_id: None,
        }),
    }));
    snapshot_both("return_refused", &mut app);
    let screen = screen_text(&mut app);
    assert!(
        screen.contains("below the vehicle's last reading"),
        "{screen}"
    );
    assert!(screen.contains("123,456") && screen.contains("brake pads worn"));
    assert_eq!(
        app.update(press(KeyCode::Enter)),
        vec![Command::ReturnAssignment(7, readings)]
    );
}

#[test]
fn a_form_checks_fields_before_sending() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('n')));
    // Name only, then Enter: the plate is missing, nothing is sent.
    for c in "Van 99".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    for _ in 0..4 {
        app.update(press(KeyCode::Tab));
    }
    for c in "20x1".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    assert!(app.update(press(KeyCode::Enter)).is_empty());
    snapshot_both("vehicle_form_errors", &mut app);
    // Esc with input asks before discarding it.
    app.update(press(KeyCode::Esc));
    assert!(matches!(app.dialog(), Some(Dialog::FleetForm(form)) if form.is_asking()));
    app.update(press(KeyCode::Char('n')));
    assert!(matches!(app.dialog(), Some(Dialog::FleetForm(form)) if !form.is_asking()));
}

#[test]
fn sign_in_over_the_screen_keeps_the_form_and_resends() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('n')));
    for c in "Van 99".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    app.update(press(KeyCode::Tab));
    for c in "HH-FD 199".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    let sent = app.update(press(KeyCode::Enter));
    assert_eq!(sent.len(), 1);
    // The token expired meanwhile.
    app.update(answer(Response::Action {
        command: sent[0].clone(),
        result: Err(ClientError::Unauthorized {
            message: "expired".to_string(),
        }),
    }));
    assert!(matches!(app.dialog(), Some(Dialog::SignIn(_))));
    snapshot_both("sign_in_over_form", &mut app);
    for c in "secret-pass".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    let commands = app.update(press(KeyCode::Enter));
    assert_eq!(
        commands,
        vec![Command::SignIn {
            email: "dispatch@depot.example".to_string(),
            password: "secret-pass".to_string()
        }]
    );
    let after = app.update(answer(Response::SignedIn(Ok((
        "new-token".to_string(),
        dispatcher(),
    )))));
    assert!(
        after.contains(&sent[0]),
        "the failed action is sent again: {after:?}"
    );
    assert!(
        matches!(app.dialog(), Some(Dialog::FleetForm(form)) if form.is_dirty()),
        "the form and its input are still there"
    );
}

#[test]
fn offline_keeps_data_marks_it_stale_and_retries() {
    let mut app = loaded_app();
    app.update(answer(Response::Vehicles(Err(ClientError::Offline {
        message: "connection refused".to_string(),
    }))));
    assert!(matches!(app.connection(), Connection::Offline { .. }));
    assert_eq!(app.row_counts(), (4, 4), "the last data stays");
    snapshot_both("offline", &mut app);
    let mut retried = Vec::new();
    for _ in 0..3 {
        retried.extend(app.update(Event::Tick));
    }
    assert!(
        retried.contains(&Command::LoadVehicles),
        "reads are retried: {retried:?}"
    );
}

#[test]
fn too_small_says_so() {
    let mut app = loaded_app();
    let terminal = render(&mut app, 60, 20, Theme::mono());
    insta::assert_snapshot!("too_small_60x20", terminal.backend());
}

#[test]
fn signing_in_first() {
    let mut app = App::new("http://depot.example:8080".to_string(), None, 5);
    assert!(app.start().is_empty());
    app.prefill_email("dispatch@depot.example");
    snapshot_both("sign_in_first", &mut app);
}

#[test]
fn key_release_events_are_ignored() {
    let mut app = loaded_app();
    let mut release = KeyEvent::new(KeyCode::Char('3'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    app.update(Event::Key(release));
    assert_eq!(app.tab(), Tab::Vehicles);
    assert!(!app.needs_draw(), "nothing to redraw");
}

#[test]
fn idle_ticks_do_not_redraw() {
    let mut app = loaded_app();
    app.update(Event::Tick);
    assert!(!app.needs_draw(), "a quiet tick changes nothing on screen");
}

#[test]
fn rebound_keys_work_and_the_footer_says_so() {
    let keys = KeyMap::with(&[("refresh", "f5"), ("quit", "ctrl-q")]).expect("no clash");
    let mut app = loaded_app().with_keys(keys);
    let commands = app.update(press(KeyCode::F(5)));
    assert!(
        commands.contains(&Command::LoadVehicles),
        "F5 refreshes: {commands:?}"
    );
    assert!(
        app.update(press(KeyCode::Char('q'))).is_empty(),
        "q is no longer quit"
    );
    let quit = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('q'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(quit, vec![Command::Quit]);
    let footer = screen_text(&mut app);
    assert!(
        footer.contains("Ctrl-Q quit"),
        "the footer shows the rebound key"
    );
}

/// `d` `y` on a vehicle with history, `Esc`, `Enter`: the error waits in the footer behind its
/// own key, and `Enter` still opens the history.
#[test]
fn an_error_shows_in_the_footer_and_in_full_on_its_own_key() {
    let mut app = loaded_app();
    // Van 12 is third by name; it has assignment history.
    for _ in 0..3 {
        app.update(press(KeyCode::Down));
    }
    app.update(press(KeyCode::Char('d')));
    let sent = app.update(press(KeyCode::Char('y')));
    assert_eq!(sent, vec![Command::DeleteVehicle(12, "Van 12".to_string())]);
    app.update(answer(Response::Action {
        command: Command::DeleteVehicle(12, "Van 12".to_string()),
        result: Err(ClientError::Conflict {
            message: "Vehicle 12 has assignment history, which is never deleted.".to_string(),
        }),
    }));
    snapshot_both("error_in_footer", &mut app);
    app.update(press(KeyCode::Esc));
    app.update(press(KeyCode::Enter));
    assert!(
        matches!(app.dialog(), Some(Dialog::History(_))),
        "Enter opens the history: {:?}",
        app.dialog()
    );
    app.update(press(KeyCode::Esc));
    assert!(app.dialogs().is_empty());
    app.update(press(KeyCode::Char('m')));
    assert!(matches!(app.dialog(), Some(Dialog::Message(_))));
    snapshot_both("error_in_full", &mut app);
    app.update(press(KeyCode::Esc));
    // Rebound, the key moves in the footer and the help.
    let keys = KeyMap::with(&[("show_error", "f2")]).expect("no clash");
    let mut app = app.with_keys(keys);
    assert!(screen_text(&mut app).contains("(F2: more)"));
    app.update(press(KeyCode::F(2)));
    assert!(matches!(app.dialog(), Some(Dialog::Message(_))));
}

/// A form's Enter saves, so the footer under it offers no key for the error.
#[test]
fn a_form_over_an_error_does_not_offer_enter_for_it() {
    let mut app = loaded_app();
    app.update(answer(Response::Action {
        command: Command::DeleteVehicle(12, "Van 12".to_string()),
        result: Err(ClientError::Conflict {
            message: "Vehicle 12 has assignment history, which is never deleted.".to_string(),
        }),
    }));
    app.update(press(KeyCode::Char('e')));
    assert!(matches!(app.dialog(), Some(Dialog::FleetForm(_))));
    let text = screen_text(&mut app);
    assert!(
        text.contains("has assignment history"),
        "the error is still there: {text}"
    );
    assert!(!text.contains("more)"), "no key offered for it: {text}");
}

#[test]
fn history_details_technician_form_and_discard() {
    let mut app = loaded_app();
    // Van 12 is third by name; its history has two assignments.
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Enter));
    assert!(matches!(app.dialog(), Some(Dialog::History(history)) if history.rows().len() == 2));
    snapshot_both("vehicle_history", &mut app);
    app.update(press(KeyCode::Esc));

    app.update(press(KeyCode::Char('3')));
    app.update(press(KeyCode::Enter));
    snapshot_both("assignment_details", &mut app);
    app.update(press(KeyCode::Esc));

    app.update(press(KeyCode::Char('2')));
    app.update(press(KeyCode::Char('e')));
    snapshot_both("technician_form", &mut app);
    app.update(press(KeyCode::Char('!')));
    app.update(press(KeyCode::Esc));
    snapshot_both("discard_question", &mut app);
    app.update(press(KeyCode::Char('y')));
    assert!(app.dialogs().is_empty());
}

#[test]
fn no_color_means_no_colour() {
    let mut app = loaded_app();
    let mono = render(&mut app, 100, 30, Theme::mono());
    let coloured = render(&mut app, 100, 30, Theme::colored());
    let colours = |terminal: &Terminal<TestBackend>| {
        terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .filter(|cell| {
                cell.fg != ratatui::style::Color::Reset || cell.bg != ratatui::style::Color::Reset
            })
            .count()
    };
    assert_eq!(colours(&mono), 0, "mono draws no colour at all");
    assert!(colours(&coloured) > 0, "the default theme does use colour");
}

#[test]
fn one_key_for_two_actions_is_refused_naming_both_and_the_line() {
    let path = std::path::Path::new("/home/ana/.config/fleetdesk/config.toml");
    let text = "server = \"http://depot:8080\"\n\n[keys]\nrefresh = \"n\"\n";
    let config = Config::from_toml(path, text).expect("the file itself is fine");
    let error = KeyMap::from_config(&config)
        .expect_err("n is already new on the tabs")
        .to_string();
    assert!(
        error.starts_with("/home/ana/.config/fleetdesk/config.toml:4: keys.refresh = \"n\""),
        "{error}"
    );
    assert!(error.contains("`new`"), "names the other action: {error}");
}

#[test]
fn a_rebound_key_is_what_the_handler_the_footer_and_the_help_say() {
    let keys = KeyMap::with(&[("new", "N"), ("refresh", "f5")]).expect("no clash");
    let mut app = loaded_app().with_keys(keys);
    let footer = |app: &mut App| {
        let terminal = render(app, 100, 30, Theme::mono());
        let buffer = terminal.backend().buffer();
        (0..100)
            .map(|x| buffer[(x, 29)].symbol().to_string())
            .collect::<String>()
    };
    let text = footer(&mut app);
    assert!(text.contains("N new") && !text.contains("n new"), "{text}");
    // The old key does nothing any more.
    assert!(app.update(press(KeyCode::Char('n'))).is_empty());
    assert!(app.dialog().is_none());
    // The help lists the keys as rebound.
    app.update(press(KeyCode::Char('?')));
    let help = screen_text(&mut app);
    assert!(help.contains("N  new"), "{help}");
    assert!(
        help.contains("F5  refresh now") && !help.contains("Ctrl-R"),
        "{help}"
    );
    app.update(press(KeyCode::Esc));
    // The new key does what the footer says.
    app.update(press(KeyCode::Char('N')));
    assert!(matches!(app.dialog(), Some(Dialog::FleetForm(form)) if form.title() == "New vehicle"));
    app.update(press(KeyCode::Esc));
    let commands = app.update(press(KeyCode::F(5)));
    assert!(commands.contains(&Command::LoadVehicles), "{commands:?}");
}

/// The colours of a screen, run by run, for every cell not in the terminal's default style.
fn style_runs(terminal: &Terminal<TestBackend>) -> String {
    use ratatui::style::{Color, Modifier};
    let buffer = terminal.backend().buffer();
    let area = buffer.area;
    let mut runs = String::new();
    for y in 0..area.height {
        let mut x = 0;
        while x < area.width {
            let style = |x: u16| {
                let cell = &buffer[(x, y)];
                (cell.fg, cell.bg, cell.modifier)
            };
            let (start, first) = (x, style(x));
            let mut text = String::new();
            while x < area.width && style(x) == first {
                text.push_str(buffer[(x, y)].symbol());
                x += 1;
            }
            if first != (Color::Reset, Color::Reset, Modifier::empty()) {
                let (fg, bg, modifier) = first;
                runs.push_str(&format!(
                    "{y:>2} {start:>3}–{:<3} {fg:?} on {bg:?} {modifier:?} {text:?}\n",
                    x - 1
                ));
            }
        }
    }
    runs
}

#[test]
fn light_and_dark_palettes() {
    let mut app = loaded_app();
    app.update(answer(Response::Action {
        command: Command::DeleteVehicle(12, "Van 12".to_string()),
        result: Err(ClientError::Conflict {
            message: "Vehicle 12 has assignment history, which is never deleted.".to_string(),
        }),
    }));
    let light = render(&mut app, 100, 30, Theme::light());
    let runs = style_runs(&light);
    insta::assert_snapshot!("theme_light_styles", runs);
    assert!(
        !runs.contains("Yellow") && !runs.contains("Cyan"),
        "nothing that washes out on white: {runs}"
    );
    let dark = render(&mut app, 100, 30, Theme::dark());
    let runs = style_runs(&dark);
    insta::assert_snapshot!("theme_dark_styles", runs);
    assert!(
        runs.contains("LightRed") && !runs.contains("DarkGray"),
        "{runs}"
    );
}

fn ctrl(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// The name (first cell) of the selected row of the current fleet tab.
fn selected_name(app: &App) -> String {
    let (selected, ..) = app.position();
    app.rows()
        .get(selected)
        .map(|cells| cells[0].clone())
        .unwrap_or_default()
}

#[test]
fn the_selection_follows_its_record_through_reloads_and_creation() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Down));
    assert_eq!(selected_name(&app), "Van 3");
    // The server sends the same vehicles in another order: still Van 3.
    let mut shuffled = depot().vehicles;
    shuffled.reverse();
    app.update(answer(Response::Vehicles(Ok(shuffled.clone()))));
    assert_eq!(selected_name(&app), "Van 3");
    // Sorting by plate, then reversed: still Van 3.
    app.update(press(KeyCode::Char('s')));
    assert_eq!(selected_name(&app), "Van 3");
    app.update(press(KeyCode::Char('S')));
    assert_eq!(selected_name(&app), "Van 3");
    // Round the columns back to the name.
    app.update(press(KeyCode::Char('s')));
    app.update(press(KeyCode::Char('s')));
    app.update(press(KeyCode::Char('s')));
    app.update(press(KeyCode::Char('s')));
    app.update(press(KeyCode::Char('s')));
    // A vehicle is created: once a reload brings it, it is the selection; another list's
    // answer arriving first does not lose it.
    let created = vehicle(30, "Van 4", "HH-FD 104", None, None, None);
    let reloads = app.update(answer(Response::Action {
        command: Command::CreateVehicle(fleetdesk::api::NewVehicle {
            name: "Van 4".to_string(),
            license_plate: "HH-FD 104".to_string(),
            make: None,
            model: None,
            year: None,
        }),
        result: Ok(fleetdesk::tui::Done::VehicleCreated(Box::new(
            created.clone(),
        ))),
    }));
    assert!(reloads.is_empty(), "the stream brings it: {reloads:?}");
    assert_eq!(selected_name(&app), "Van 3", "not listed yet");
    let reloads = app.update(ctrl('r'));
    assert!(reloads.contains(&Command::LoadVehicles), "{reloads:?}");
    app.update(answer(Response::Technicians(Ok(depot().technicians))));
    assert_eq!(selected_name(&app), "Van 3");
    let mut with_new = shuffled;
    with_new.insert(
        0,
        VehicleListItem {
            vehicle: created,
            active_assignment: None,
        },
    );
    app.update(answer(Response::Vehicles(Ok(with_new.clone()))));
    assert_eq!(selected_name(&app), "Van 4");
    // Moving on and reloading again keeps what the user chose.
    app.update(press(KeyCode::Char('g')));
    assert_eq!(selected_name(&app), "Cargo Bike 1");
    app.update(answer(Response::Vehicles(Ok(with_new))));
    assert_eq!(selected_name(&app), "Cargo Bike 1");
}

#[test]
fn a_new_assignment_is_selected_in_the_history() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    assert_eq!(selected_name(&app), "7", "newest first");
    let depot = depot();
    let mut new = depot.assignments[2].clone();
    new.id = 9;
    new.returned_date = None;
    new.status = AssignmentStatus::Active;
    new.assigned_date = at(10, 8, 0);
    app.update(answer(Response::Action {
        command: Command::CreateAssignment(fleetdesk::api::NewAssignment {
            vehicle_id: 7,
            technician_id: 8,
            return_conflicting: false,
        }),
        result: Ok(fleetdesk::tui::Done::Assigned(Box::new(new.clone()))),
    }));
    let reloads = app.update(ctrl('r'));
    let generation = reloads
        .iter()
        .find_map(|command| match command {
            Command::LoadAssignments { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("the history is reloaded");
    let mut history = depot.assignments;
    history.push(new);
    app.update(answer(Response::Assignments {
        generation,
        append: false,
        result: Ok(AssignmentsEnvelope {
            assignments: history,
            next_before: Paging::LastPage,
        }),
    }));
    assert_eq!(selected_name(&app), "9");
}

#[test]
fn a_picker_keeps_its_selection_while_filtering() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('2')));
    app.update(press(KeyCode::Char('a')));
    let chosen = |app: &App| match app.dialog() {
        Some(Dialog::Assign(assign)) => assign
            .picker()
            .selected_item()
            .map(|item| item.name.clone())
            .unwrap_or_default(),
        other => panic!("no picker: {other:?}"),
    };
    // Free ones first, then the busy vans.
    for _ in 0..4 {
        if chosen(&app) != "Van 12" {
            app.update(press(KeyCode::Down));
        }
    }
    // "a" matches Cargo Bike 1 and both vans: the selection stays on Van 12.
    app.update(press(KeyCode::Char('a')));
    assert_eq!(chosen(&app), "Van 12");
    // "ax" matches nothing; back to "a", the first match is chosen.
    app.update(press(KeyCode::Char('x')));
    app.update(press(KeyCode::Backspace));
    assert_eq!(chosen(&app), "Cargo Bike 1");
}

/// The loaded Vehicles tab with a dialog over it, as the bytes the terminal receives.
fn bytes_written(caps: Capabilities, theme: Theme) -> String {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('?')));
    let area = ratatui::layout::Rect::new(0, 0, 100, 30);
    let mut terminal = Terminal::with_options(
        HonestBackend::new(Vec::new(), caps),
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(area),
        },
    )
    .expect("a terminal writing to memory");
    terminal
        .draw(|frame| app.draw(theme, frame))
        .expect("drawn");
    String::from_utf8(terminal.backend().writer().clone()).expect("UTF-8 output")
}

#[test]
fn sixteen_colour_terminals_get_classic_codes() {
    let classic = Capabilities {
        classic_colours: true,
        ascii: false,
    };
    for theme in [Theme::colored(), Theme::dark(), Theme::light()] {
        let out = bytes_written(classic, theme);
        assert!(!out.contains("38;5;"), "256-colour foreground in {out:?}");
        assert!(!out.contains("48;5;"), "256-colour background in {out:?}");
        assert!(
            !out.contains("\x1b[59m"),
            "underline colour reset in {out:?}"
        );
        assert!(
            out.contains("\x1b[0;9") || out.contains("\x1b[0;1;9") || out.contains("\x1b[0;3"),
            "classic colour codes in {out:?}"
        );
        assert!(out.contains("▷"), "UTF-8 symbols kept: {out:?}");
    }
    // A 256-colour terminal still gets what crossterm writes.
    let full = bytes_written(
        Capabilities {
            classic_colours: false,
            ascii: false,
        },
        Theme::colored(),
    );
    assert!(full.contains("38;5;"), "{full:?}");
}

#[test]
fn a_non_utf8_locale_gets_ascii() {
    for classic_colours in [true, false] {
        let out = bytes_written(
            Capabilities {
                classic_colours,
                ascii: true,
            },
            Theme::colored(),
        );
        assert!(
            out.is_ascii(),
            "non-ASCII: {:?}",
            out.chars().filter(|c| !c.is_ascii()).collect::<String>()
        );
        assert!(
            out.contains("+ Help ----"),
            "ASCII corners and lines: {out:?}"
        );
        assert!(
            out.contains("> Cargo Bike 1"),
            "the selection marker: {out:?}"
        );
        assert!(out.contains("* live"), "the badge in ASCII: {out:?}");
    }
}

/// A 201-character name scrolls sideways in its field: the other fields and the key hints
/// stay where they are, the end of the name and the cursor show.
#[test]
fn a_long_name_scrolls_in_its_field() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('n')));
    let name = format!("{}Z", "Long name ".repeat(20));
    assert_eq!(name.chars().count(), 201);
    for c in name.chars() {
        app.update(press(KeyCode::Char(c)));
    }
    snapshot_both("vehicle_form_long_name", &mut app);
    let text = screen_text(&mut app);
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<String> = chars.chunks(100).map(|c| c.iter().collect()).collect();
    let text = lines.join("\n");
    let name_line = lines
        .iter()
        .find(|line| line.contains("Name: "))
        .expect("the name field");
    assert!(
        name_line.contains("…") && name_line.contains("name Z█"),
        "{text}"
    );
    for label in ["Plate: ", "Make: ", "Model: ", "Year: ", "Enter", "Esc"] {
        assert!(text.contains(label), "{label} out of view:\n{text}");
    }
    // Back to the start: the beginning shows, the rest is cut with `…`.
    app.update(press(KeyCode::Home));
    let text = screen_text(&mut app);
    assert!(text.contains("Name: █Long name Long"), "{text}");
}

/// A `viewer` sees everything, no write keys (neither in the footer nor in the help) and
/// `read-only` in the header; the write keys do nothing.
#[test]
fn a_viewer_sees_no_write_keys() {
    let mut app = loaded_app_as(User {
        id: 2,
        name: "Vera Viewer".to_string(),
        email: "vera@depot.example".to_string(),
        role: SystemRole::Viewer,
    });
    snapshot_both("viewer_vehicles", &mut app);
    for key in ['n', 'e', 'd', 'a', 'o'] {
        assert!(app.update(press(KeyCode::Char(key))).is_empty());
        assert!(app.dialogs().is_empty(), "{key} opened {:?}", app.dialog());
    }
    app.update(press(KeyCode::Char('3')));
    for key in ['n', 'r'] {
        app.update(press(KeyCode::Char(key)));
        assert!(app.dialogs().is_empty(), "{key} opened {:?}", app.dialog());
    }
    app.update(press(KeyCode::Char('1')));
    app.update(press(KeyCode::Char('?')));
    snapshot_both("viewer_help", &mut app);
}

/// The status column, and a picker that lists a vehicle in the shop last, with its note, and
/// refuses it.
#[test]
fn unavailable_vehicles_are_listed_last_and_refused() {
    let mut app = loaded_app();
    let mut vehicles = depot().vehicles;
    for item in &mut vehicles {
        if item.vehicle.name == "Truck 7" {
            item.vehicle.service_status = fleetdesk::api::ServiceStatus::InShop;
            item.vehicle.status_note = Some("brakes, back Thursday".to_string());
        }
    }
    app.update(answer(Response::Vehicles(Ok(vehicles))));
    let truck = app
        .rows()
        .into_iter()
        .find(|row| row[0] == "Truck 7")
        .expect("Truck 7");
    assert_eq!(truck[4], "in shop: brakes, back Thursday");
    snapshot_both("vehicles_with_status", &mut app);
    // Technicians tab, a free technician's picker: Truck 7 comes last, marked.
    app.update(press(KeyCode::Char('2')));
    app.update(press(KeyCode::Char('a')));
    let labels = match app.dialog() {
        Some(Dialog::Assign(assign)) => assign
            .picker()
            .visible_labels()
            .iter()
            .map(|label| label.to_string())
            .collect::<Vec<_>>(),
        other => panic!("no picker: {other:?}"),
    };
    assert_eq!(
        labels.last().map(String::as_str),
        Some("Truck 7 (HH-FD 207)")
    );
    snapshot_both("picker_unavailable_vehicle", &mut app);
    // Chosen anyway: refused with the reason, nothing sent.
    for _ in 0..labels.len() {
        app.update(press(KeyCode::Down));
    }
    assert!(app.update(press(KeyCode::Enter)).is_empty());
    match app.dialog() {
        Some(Dialog::Assign(assign)) => assert_eq!(
            assign.picker().notice(),
            Some("Truck 7 cannot be chosen: in shop: brakes, back Thursday")
        ),
        other => panic!("the picker should stay: {other:?}"),
    }
}

/// At 80×24 dates keep their four-digit year; the time of day is what goes.
#[test]
fn narrow_dates_keep_the_year_and_drop_the_time() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    let terminal = render(&mut app, 80, 24, Theme::mono());
    let text: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|cell| cell.symbol())
        .collect();
    assert!(text.contains("2026-11-22"), "{text}");
    assert!(!text.contains("11-22 08:15"), "{text}");
}

/// `y` copies the selected row's key text (the runtime writes it to the terminal as OSC 52)
/// and the footer says what; a viewer may copy too.
#[test]
fn y_copies_the_rows_key_text_and_says_what() {
    for user in [
        dispatcher(),
        User {
            id: 2,
            name: "Vera Viewer".to_string(),
            email: "vera@depot.example".to_string(),
            role: SystemRole::Viewer,
        },
    ] {
        let mut app = loaded_app_as(user);
        app.update(press(KeyCode::Down));
        app.update(press(KeyCode::Down));
        assert_eq!(selected_name(&app), "Van 3");
        let copy = |app: &mut App| {
            assert!(app.update(press(KeyCode::Char('y'))).is_empty());
            (
                app.take_clipboard(),
                app.flash()
                    .map(|flash| flash.text.clone())
                    .unwrap_or_default(),
            )
        };
        assert_eq!(
            copy(&mut app),
            (
                Some("HH-FD 103".to_string()),
                "Copied HH-FD 103 (Van 3's plate) to the clipboard.".to_string()
            )
        );
        assert!(screen_text(&mut app).contains("Copied HH-FD 103 (Van 3's plate)"));
        // Taken once: the terminal gets it once.
        assert_eq!(app.take_clipboard(), None);
        app.update(press(KeyCode::Char('2')));
        assert_eq!(selected_name(&app), "Ana Ruiz");
        assert_eq!(copy(&mut app).0.as_deref(), Some("ana.ruiz@depot.example"));
        app.update(press(KeyCode::Char('3')));
        let (text, said) = copy(&mut app);
        assert_eq!(text.as_deref(), Some("7"), "the newest assignment first");
        assert_eq!(said, "Copied 7 (the assignment's id) to the clipboard.");
        app.update(press(KeyCode::Char('5')));
        let (text, said) = copy(&mut app);
        assert_eq!(text, None);
        assert_eq!(said, "Nothing to copy on the Activity tab.");
    }
}

/// The answer to a delete names the vehicle by the name it had when asked, even when the
/// row has already left the list (a live event or a reload can come first).
#[test]
fn a_deleted_vehicle_is_named_in_the_footer() {
    let mut app = loaded_app();
    for _ in 0..3 {
        app.update(press(KeyCode::Down));
    }
    app.update(press(KeyCode::Char('d')));
    let sent = app.update(press(KeyCode::Char('y')));
    let command = Command::DeleteVehicle(12, "Van 12".to_string());
    assert_eq!(sent, vec![command.clone()]);
    assert!(screen_text(&mut app).contains("Deleting Van 12…"));
    // The list no longer holds it when the answer comes.
    let without: Vec<_> = depot()
        .vehicles
        .into_iter()
        .filter(|item| item.vehicle.id != 12)
        .collect();
    app.update(answer(Response::Vehicles(Ok(without))));
    app.update(answer(Response::Action {
        command,
        result: Ok(fleetdesk::tui::Done::VehicleDeleted("Van 12".to_string())),
    }));
    let screen = screen_text(&mut app);
    assert!(screen.contains("Deleted Van 12"), "{screen}");
    assert!(!screen.contains("vehicle 12"), "{screen}");
}

/// The newest problem is what the form shows: a check that fails after a refused save
/// replaces the server's sentence instead of sitting under it.
#[test]
fn a_later_local_error_replaces_the_servers() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('n')));
    for c in "Van 99".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    app.update(press(KeyCode::Tab));
    for c in "HH-FD 103".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    let sent = app.update(press(KeyCode::Enter));
    let [command @ Command::CreateVehicle(_)] = sent.as_slice() else {
        panic!("one create: {sent:?}");
    };
    let refusal = "A vehicle with the plate HH-FD 103 exists already.";
    app.update(answer(Response::Action {
        command: command.clone(),
        result: Err(ClientError::Conflict {
            message: refusal.to_string(),
        }),
    }));
    assert!(screen_text(&mut app).contains(refusal));
    // The plate emptied: the local check refuses it, and only that is said.
    for _ in 0.."HH-FD 103".len() {
        app.update(press(KeyCode::Backspace));
    }
    assert!(app.update(press(KeyCode::Enter)).is_empty());
    let screen = screen_text(&mut app);
    assert!(!screen.contains(refusal), "{screen}");
    assert!(
        matches!(app.dialog(), Some(Dialog::FleetForm(_))),
        "{:?}",
        app.dialog()
    );
}

/// A filter longer than the line scrolls sideways with its cursor; the counts stay.
#[test]
fn a_long_filter_scrolls_in_its_line() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('/')));
    let typed = "a filter far too long for the line it is typed in, ending in zebra-1234567890";
    for c in typed.chars() {
        app.update(press(KeyCode::Char(c)));
    }
    let terminal = render(&mut app, 80, 24, Theme::mono());
    let line: String = (0..80)
        .map(|x| terminal.backend().buffer()[(x, 3)].symbol().to_string())
        .collect();
    assert!(
        line.contains("zebra-1234567890█"),
        "the cursor end in view: {line:?}"
    );
    assert!(line.contains("filter: …"), "cut at the left: {line:?}");
    assert!(
        line.trim_end().ends_with("0 of 4"),
        "the counts stay: {line:?}"
    );
    // Home moves the cursor to the start: the start comes back into view.
    app.update(press(KeyCode::Home));
    let terminal = render(&mut app, 80, 24, Theme::mono());
    let line: String = (0..80)
        .map(|x| terminal.backend().buffer()[(x, 3)].symbol().to_string())
        .collect();
    assert!(line.contains("filter: █a filter far"), "{line:?}");
    assert!(line.trim_end().ends_with("0 of 4"), "{line:?}");
}

/// `o` sets a vehicle's service status with a note; an assigned vehicle that the server keeps
/// in service (409) is offered to be returned in the same change.
#[test]
fn o_sets_the_service_status_and_offers_to_return_an_assigned_vehicle() {
    let mut app = loaded_app();
    // Van 3 is with Bo Chen.
    for _ in 0..2 {
        app.update(press(KeyCode::Down));
    }
    assert!(app.update(press(KeyCode::Char('o'))).is_empty());
    assert!(matches!(app.dialog(), Some(Dialog::StatusForm(_))));
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Tab));
    for c in "brakes, back Thursday".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    snapshot_both("service_status", &mut app);
    let patch = fleetdesk::api::VehiclePatch {
        service_status: Some(fleetdesk::api::ServiceStatus::InShop),
        status_note: Some(Some("brakes, back Thursday".to_string())),
        ..Default::default()
    };
    let sent = app.update(press(KeyCode::Enter));
    assert_eq!(
        sent,
        vec![Command::SetVehicleStatus(
            3,
            "Van 3".to_string(),
            patch.clone()
        )]
    );
    assert!(screen_text(&mut app).contains("Setting Van 3 to in shop…"));
    assert!(
        app.update(press(KeyCode::Enter)).is_empty(),
        "not sent twice"
    );
    app.update(answer(Response::Action {
        command: sent[0].clone(),
        result: Err(ClientError::Conflict {
            message: "Van 3 is with Bo Chen since 2026-11-20 08:00 (assignment 5): return it \
                      first, or send returnActive: true to return it with this change."
                .to_string(),
        }),
    }));
    assert!(matches!(app.dialog(), Some(Dialog::StatusForm(form)) if form.is_asking_to_return()));
    snapshot_both("service_status_asks_to_return", &mut app);
    // `n` goes back to the form, nothing sent; asked again, `y` sends with returnActive.
    assert!(app.update(press(KeyCode::Char('n'))).is_empty());
    assert!(matches!(app.dialog(), Some(Dialog::StatusForm(form)) if !form.is_asking_to_return()));
    let sent = app.update(press(KeyCode::Enter));
    app.update(answer(Response::Action {
        command: sent[0].clone(),
        result: Err(ClientError::Conflict {
            message: "Van 3 is with Bo Chen.".to_string(),
        }),
    }));
    let sent = app.update(press(KeyCode::Char('y')));
    let returning = fleetdesk::api::VehiclePatch {
        return_active: true,
        ..patch
    };
    assert_eq!(
        sent,
        vec![Command::SetVehicleStatus(3, "Van 3".to_string(), returning)]
    );
    let mut saved = depot()
        .vehicles
        .into_iter()
        .map(|item| item.vehicle)
        .find(|v| v.id == 3)
        .expect("Van 3");
    assert_eq!(saved.name, "Van 3");
    saved.service_status = fleetdesk::api::ServiceStatus::InShop;
    saved.status_note = Some("brakes, back Thursday".to_string());
    app.update(answer(Response::Action {
        command: sent[0].clone(),
        result: Ok(fleetdesk::tui::Done::VehicleStatus(Box::new(saved))),
    }));
    assert!(app.dialogs().is_empty(), "{:?}", app.dialog());
    assert!(screen_text(&mut app).contains("Van 3 is in shop: brakes, back Thursday"));
}
