//! The live terminal: `update` driven with sequences of changes from the event stream, as
//! another dispatcher makes them, and the screens drawn into ratatui's `TestBackend` and
//! compared with reviewed snapshots (insta): rows change in place, the selection and the
//! window stay on their records, header counts follow, filters and sorting stay right, a
//! changed row is marked for a while and the footer says who did what, open pickers and
//! dialogs say what changed under them; the badge; the Activity tab.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdesk::api::events::{ActivityPage, Actor, Event as ApiEvent, EventKind, EventSubject};
use fleetdesk::api::{
    Assignment, AssignmentConflict, AssignmentConflictBody, AssignmentStatus, AssignmentsEnvelope,
    ConflictReason, DashboardSummary, NewAssignment, Paging, SystemRole,
    TechnicianActiveAssignment, TechnicianListItem, TechnicianRef, User, Vehicle,
    VehicleActiveAssignment, VehicleListItem,
};
use fleetdesk::client::{ClientError, StreamItem};
use fleetdesk::tui::{
    App, Command, Dialog, Event, Feed, HistoryEvents, Response, StreamUpdate, Subject, Tab, Theme,
    MARK_FOR,
};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use serde::Serialize;

const ME: i64 = 1;
const OTHER: (i64, &str) = (2, "Ola Night");

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, minute, 0)
        .single()
        .expect("a valid time")
}

fn vehicle(id: i64, name: &str, plate: &str) -> Vehicle {
    Vehicle {
        id,
        name: name.to_string(),
        license_plate: plate.to_string(),
        make: None,
        model: None,
        year: Some(2021),
        created_at: at(1, 8, 0),
        service_status: Default::default(),
        status_note: None,
        odometer_km: None,
    }
}

fn tech(id: i64, name: &str) -> TechnicianRef {
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
    assigned: DateTime<Utc>,
    returned: Option<DateTime<Utc>>,
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

fn van12() -> Vehicle {
    vehicle(12, "Van 12", "HH-FD 112")
}
fn van3() -> Vehicle {
    vehicle(3, "Van 3", "HH-FD 103")
}
fn truck7() -> Vehicle {
    vehicle(7, "Truck 7", "HH-FD 207")
}
fn bike() -> Vehicle {
    vehicle(21, "Cargo Bike 1", "B 1")
}
fn ana() -> TechnicianRef {
    tech(5, "Ana Ruiz")
}
fn bo() -> TechnicianRef {
    tech(6, "Bo Chen")
}
fn cy() -> TechnicianRef {
    tech(8, "Cy Park")
}

fn vehicle_item(v: &Vehicle, a: Option<&Assignment>) -> VehicleListItem {
    VehicleListItem {
        vehicle: v.clone(),
        active_assignment: a.map(|a| VehicleActiveAssignment {
            id: a.id,
            technician: a.technician.clone(),
            assigned_date: a.assigned_date,
        }),
    }
}

fn technician_item(t: &TechnicianRef, a: Option<&Assignment>) -> TechnicianListItem {
    TechnicianListItem {
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
    }
}

fn dispatcher() -> User {
    User {
        id: ME,
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

fn stream(update: StreamUpdate) -> Event {
    Event::Stream(Box::new(update))
}

/// An event of `kind` about `data`, made by `actor`.
fn api_event(
    id: i64,
    kind: EventKind,
    actor: Option<(i64, &str)>,
    subject: EventSubject,
    data: impl Serialize,
) -> ApiEvent {
    ApiEvent {
        id,
        at: at(28, 8, id as u32 % 60),
        actor: actor.map(|(id, name)| Actor {
            id,
            name: name.to_string(),
        }),
        kind,
        subject,
        data: serde_json::to_value(data).expect("serialisable"),
    }
}

fn assignment_event(
    id: i64,
    kind: EventKind,
    actor: Option<(i64, &str)>,
    a: &Assignment,
) -> ApiEvent {
    let subject = EventSubject {
        assignment_id: Some(a.id),
        vehicle_id: Some(a.vehicle_id),
        technician_id: Some(a.technician_id),
        ..EventSubject::default()
    };
    api_event(id, kind, actor, subject, a)
}

fn vehicle_event(id: i64, kind: EventKind, v: &Vehicle) -> ApiEvent {
    let subject = EventSubject {
        vehicle_id: Some(v.id),
        ..EventSubject::default()
    };
    api_event(id, kind, Some(OTHER), subject, v)
}

fn change(event: ApiEvent) -> Event {
    stream(StreamUpdate::Item(StreamItem::Event(Box::new(event))))
}

/// The depot at its start: Van 12 with Ana (#7), Van 3 with Bo (#5), Truck 7 and the bike
/// free, Cy free; two returned assignments in the history.
fn loaded_app() -> App {
    let mut app = App::new(
        "http://depot.example:8080".to_string(),
        Some(dispatcher()),
        5,
    );
    app.set_clock(Instant::now());
    let commands = app.start();
    assert_eq!(app.feed(), Feed::Connecting);
    let generation = commands
        .iter()
        .find_map(|command| match command {
            Command::LoadAssignments { generation, .. } => Some(*generation),
            _ => None,
        })
        .expect("assignments are loaded");
    let a7 = assignment(7, &van12(), &ana(), at(22, 8, 15), None);
    let a5 = assignment(5, &van3(), &bo(), at(20, 8, 0), None);
    let a4 = assignment(4, &truck7(), &cy(), at(18, 7, 30), Some(at(19, 16, 45)));
    let a2 = assignment(2, &van12(), &bo(), at(12, 9, 0), Some(at(15, 17, 10)));
    app.update(answer(Response::Dashboard(Ok(DashboardSummary {
        active_assignments: 2,
        vehicles: 4,
        technicians: 3,
        available_vehicles: 2,
        available_technicians: 1,
    }))));
    app.update(answer(Response::Vehicles(Ok(vec![
        vehicle_item(&bike(), None),
        vehicle_item(&truck7(), None),
        vehicle_item(&van12(), Some(&a7)),
        vehicle_item(&van3(), Some(&a5)),
    ]))));
    app.update(answer(Response::Technicians(Ok(vec![
        technician_item(&ana(), Some(&a7)),
        technician_item(&bo(), Some(&a5)),
        technician_item(&cy(), None),
    ]))));
    app.update(answer(Response::Assignments {
        generation,
        append: false,
        result: Ok(AssignmentsEnvelope {
            assignments: vec![a7, a5, a4, a2],
            next_before: Paging::LastPage,
        }),
    }));
    assert!(app
        .update(stream(StreamUpdate::Connected { resumed: true }))
        .is_empty());
    assert_eq!(app.feed(), Feed::Up);
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

fn screen(app: &mut App) -> Vec<String> {
    let terminal = render(app, 100, 30);
    let buffer = terminal.backend().buffer();
    (0..30)
        .map(|y| {
            (0..100)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect()
        })
        .collect()
}

fn header(app: &mut App) -> String {
    screen(app)[0].clone()
}

fn names(app: &App) -> Vec<String> {
    app.rows()
        .into_iter()
        .map(|cells| cells[0].clone())
        .collect()
}

/// The name in the selected row of the current fleet tab.
fn selected(app: &mut App) -> String {
    let (index, _, _) = app.position();
    names(app)[index].clone()
}

fn row_of(app: &App, name: &str) -> Vec<String> {
    app.rows()
        .into_iter()
        .find(|cells| cells[0] == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

#[test]
fn an_event_for_the_selected_row_keeps_the_selection_and_marks_it() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Down));
    assert_eq!(selected(&mut app), "Truck 7");
    let a9 = assignment(9, &truck7(), &cy(), at(28, 8, 3), None);
    let commands = app.update(change(assignment_event(
        1042,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    assert!(commands.is_empty(), "no reload for an event: {commands:?}");
    assert!(app.needs_draw());
    assert_eq!(selected(&mut app), "Truck 7");
    assert_eq!(row_of(&app, "Truck 7")[5], "Cy Park");
    assert!(app.is_marked(Tab::Vehicles, 7));
    assert!(!app.is_marked(Tab::Vehicles, 12));
    // Every tab took it: the technician has the truck, the history has the assignment.
    assert!(app.is_marked(Tab::Technicians, 8));
    assert!(app.is_marked(Tab::Assignments, 9));
    assert_eq!(
        app.flash().map(|flash| flash.text.as_str()),
        Some("Truck 7 assigned to Cy Park by Ola Night")
    );
    assert_eq!(
        app.summary().map(|s| (
            s.active_assignments,
            s.available_vehicles,
            s.available_technicians
        )),
        Some((3, 1, 0))
    );
    snapshot_both("live_marked_row", &mut app);
    // The mark goes by itself when its time is up, at the moment the app asked to be woken.
    let wake = app.next_wake().expect("a wake-up for the mark");
    app.advance_clock(MARK_FOR - Duration::from_millis(1));
    app.update(Event::Wake);
    assert!(!app.needs_draw(), "too early: nothing changes");
    assert!(app.is_marked(Tab::Vehicles, 7));
    app.advance_clock(Duration::from_millis(1));
    assert!(wake <= Instant::now() + MARK_FOR + Duration::from_secs(1));
    app.update(Event::Wake);
    assert!(app.needs_draw(), "the mark went: redraw");
    assert!(!app.is_marked(Tab::Vehicles, 7));
    assert_eq!(app.next_wake(), None, "nothing more to wake for");
    // Returned again: the row is free, the selection still on it.
    let mut returned = assignment(9, &truck7(), &cy(), at(28, 8, 3), Some(at(28, 9, 0)));
    returned.returned_by = Some(Actor {
        id: OTHER.0,
        name: OTHER.1.to_string(),
    });
    app.update(change(assignment_event(
        1043,
        EventKind::AssignmentReturned,
        Some(OTHER),
        &returned,
    )));
    assert_eq!(row_of(&app, "Truck 7")[5], "—");
    assert_eq!(selected(&mut app), "Truck 7");
    assert_eq!(
        app.summary()
            .map(|s| (s.active_assignments, s.available_vehicles)),
        Some((2, 2))
    );
}

#[test]
fn my_own_changes_are_neither_marked_nor_announced() {
    let mut app = loaded_app();
    let a9 = assignment(9, &truck7(), &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        1042,
        EventKind::AssignmentCreated,
        Some((ME, "Dana Dispatch")),
        &a9,
    )));
    assert_eq!(row_of(&app, "Truck 7")[5], "Cy Park");
    assert!(!app.is_marked(Tab::Vehicles, 7));
    assert!(app.flash().is_none());
    assert_eq!(app.next_wake(), None);
}

#[test]
fn events_for_rows_the_filter_hides_and_sorting_stay_right() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('/')));
    for c in "van".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    app.update(press(KeyCode::Enter));
    assert_eq!(names(&app), ["Van 3", "Van 12"]);
    app.update(press(KeyCode::Down));
    assert_eq!(selected(&mut app), "Van 12");
    // A change to a row the filter hides changes nothing shown, but is kept.
    let mut bike = bike();
    bike.year = Some(2025);
    app.update(change(vehicle_event(1, EventKind::VehicleUpdated, &bike)));
    assert_eq!(names(&app), ["Van 3", "Van 12"]);
    assert_eq!(app.row_counts(), (2, 4));
    // Renamed into the filter: it shows, in its sorted place; the selection stays.
    let mut truck = truck7();
    truck.name = "Van 7".to_string();
    app.update(change(vehicle_event(2, EventKind::VehicleUpdated, &truck)));
    assert_eq!(names(&app), ["Van 3", "Van 7", "Van 12"]);
    assert_eq!(selected(&mut app), "Van 12");
    // Renamed out of it: gone from the list, still loaded.
    let mut van3 = van3();
    van3.name = "Bus 3".to_string();
    app.update(change(vehicle_event(3, EventKind::VehicleUpdated, &van3)));
    assert_eq!(names(&app), ["Van 7", "Van 12"]);
    assert_eq!(selected(&mut app), "Van 12");
    assert_eq!(app.row_counts(), (2, 4));
    // Added and deleted: the count follows.
    let new = vehicle(40, "Van 40", "HH-FD 140");
    app.update(change(vehicle_event(4, EventKind::VehicleCreated, &new)));
    assert_eq!(names(&app), ["Van 7", "Van 12", "Van 40"]);
    assert_eq!(app.summary().map(|s| s.vehicles), Some(5));
    app.update(change(vehicle_event(5, EventKind::VehicleDeleted, &new)));
    assert_eq!(names(&app), ["Van 7", "Van 12"]);
    assert_eq!(app.summary().map(|s| s.vehicles), Some(4));
    // Sorted by who has it (reversed): an assignment moves the row to its place.
    app.update(press(KeyCode::Esc));
    for _ in 0..5 {
        app.update(press(KeyCode::Char('s')));
    }
    app.update(press(KeyCode::Char('S')));
    let before = names(&app);
    let a9 = assignment(9, &truck, &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        6,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    let after = names(&app);
    assert_ne!(before, after);
    // The same order as sorting afresh: Esc-clear and sort again gives the same rows.
    app.update(press(KeyCode::Char('S')));
    app.update(press(KeyCode::Char('S')));
    assert_eq!(names(&app), after);
}

#[test]
fn a_new_assignment_on_top_keeps_the_selected_record() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    app.update(press(KeyCode::Down));
    assert_eq!(selected(&mut app), "5");
    let a9 = assignment(9, &truck7(), &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        1,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    assert_eq!(names(&app)[0], "9", "newest first");
    assert_eq!(selected(&mut app), "5");
    assert_eq!(app.row_counts(), (5, 5));
    // The active-only view drops one that was returned, and never shows a returned one.
    app.update(press(KeyCode::Char('f')));
    let generation = 2;
    app.update(answer(Response::Assignments {
        generation,
        append: false,
        result: Ok(AssignmentsEnvelope {
            assignments: vec![
                a9.clone(),
                assignment(7, &van12(), &ana(), at(22, 8, 15), None),
                assignment(5, &van3(), &bo(), at(20, 8, 0), None),
            ],
            next_before: Paging::LastPage,
        }),
    }));
    assert_eq!(names(&app), ["9", "7", "5"]);
    let returned = assignment(7, &van12(), &ana(), at(22, 8, 15), Some(at(28, 9, 0)));
    app.update(change(assignment_event(
        2,
        EventKind::AssignmentReturned,
        Some(OTHER),
        &returned,
    )));
    assert_eq!(names(&app), ["9", "5"]);
}

/// Two assignments made in the same second (dates carry whole seconds): the later one is on
/// top, as the server lists them, also when both arrive live one after the other.
#[test]
fn assignments_made_in_the_same_second_list_the_later_first() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    let same_second = at(28, 8, 3);
    let a8 = assignment(8, &truck7(), &cy(), same_second, None);
    let a9 = assignment(9, &bike(), &cy(), same_second, None);
    for (event, a) in [(1, &a8), (2, &a9)] {
        app.update(change(assignment_event(
            event,
            EventKind::AssignmentCreated,
            Some(OTHER),
            a,
        )));
    }
    assert_eq!(names(&app), ["9", "8", "7", "5", "4", "2"]);
    app.update(press(KeyCode::Char('g')));
    assert_eq!(selected(&mut app), "9");
}

#[test]
fn a_load_answered_after_a_change_does_not_undo_it() {
    let mut app = loaded_app();
    // Ctrl-R: everything is asked for again; meanwhile Truck 7 is assigned.
    let reload = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    assert!(reload.contains(&Command::LoadVehicles));
    let a9 = assignment(9, &truck7(), &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        1,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    assert_eq!(row_of(&app, "Truck 7")[5], "Cy Park");
    // The answer was read before that change: Truck 7 free.
    app.update(answer(Response::Vehicles(Ok(vec![
        vehicle_item(&bike(), None),
        vehicle_item(&truck7(), None),
        vehicle_item(&van12(), None),
        vehicle_item(&van3(), None),
    ]))));
    assert_eq!(
        row_of(&app, "Truck 7")[5],
        "Cy Park",
        "the change is applied again"
    );
    assert_eq!(
        row_of(&app, "Van 12")[5],
        "—",
        "the rest is as the server said"
    );
    // Counts asked for before the change are not taken either.
    app.update(answer(Response::Dashboard(Ok(DashboardSummary {
        active_assignments: 2,
        vehicles: 4,
        technicians: 3,
        available_vehicles: 2,
        available_technicians: 1,
    }))));
    assert_eq!(app.summary().map(|s| s.active_assignments), Some(3));
}

#[test]
fn an_open_picker_marks_a_technician_busy_at_once() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Char('a')));
    let labels = |app: &App| match app.dialog() {
        Some(Dialog::Assign(picker)) => picker
            .picker()
            .visible_labels()
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert!(labels(&app)[0].starts_with("Cy Park"), "free first");
    // Someone gives Cy the bike: Cy is busy now, said in the picker.
    let a9 = assignment(9, &bike(), &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        1,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    match app.dialog() {
        Some(Dialog::Assign(picker)) => {
            let cy = picker.picker().item(&8).expect("Cy is listed");
            assert_eq!(
                cy.busy_with.as_deref(),
                Some("has Cargo Bike 1 since 2026-11-28")
            );
            assert_eq!(
                picker.picker().notice(),
                Some("Cargo Bike 1 was just assigned to Cy Park by Ola Night.")
            );
            // The selection stayed on Cy, who moved among the busy ones.
            assert_eq!(picker.picker().selected_item().map(|i| i.id), Some(8));
        }
        other => panic!("{other:?}"),
    }
    snapshot_both("live_picker", &mut app);
}

#[test]
fn the_assignment_conflict_dialog_follows_what_is_in_the_way() {
    let mut app = loaded_app();
    let a7 = assignment(7, &van12(), &ana(), at(22, 8, 15), None);
    let a5 = assignment(5, &van3(), &bo(), at(20, 8, 0), None);
    let request = NewAssignment {
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
                    assignment: Some(a7.clone()),
                    vehicle: None,
                },
                AssignmentConflict {
                    reason: ConflictReason::TechnicianBusy,
                    assignment: Some(a5.clone()),
                    vehicle: None,
                },
            ],
        })),
    }));
    // Bo's van comes back meanwhile.
    let returned = assignment(5, &van3(), &bo(), at(20, 8, 0), Some(at(28, 9, 0)));
    app.update(change(assignment_event(
        1,
        EventKind::AssignmentReturned,
        Some(OTHER),
        &returned,
    )));
    match app.dialog() {
        Some(Dialog::AssignmentConflict(dialog)) => {
            assert_eq!(dialog.in_the_way().len(), 1);
            assert_eq!(
                dialog.in_the_way()[0].assignment.as_ref().map(|a| a.id),
                Some(7)
            );
            assert_eq!(
                dialog.notice(),
                Some("Van 3 was just returned from Bo Chen by Ola Night.")
            );
        }
        other => panic!("{other:?}"),
    }
    snapshot_both("live_assignment_conflict", &mut app);
    // And Van 12 too: nothing is in the way; Enter assigns.
    let returned = assignment(7, &van12(), &ana(), at(22, 8, 15), Some(at(28, 9, 1)));
    app.update(change(assignment_event(
        2,
        EventKind::AssignmentReturned,
        Some(OTHER),
        &returned,
    )));
    let text = screen(&mut app).join("\n");
    assert!(text.contains("Nothing is in the way any more."), "{text}");
    assert!(text.contains("Enter assign"), "{text}");
    // Someone assigns Van 12 to Cy: in the way again.
    let a10 = assignment(10, &van12(), &cy(), at(28, 9, 2), None);
    app.update(change(assignment_event(
        3,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a10,
    )));
    match app.dialog() {
        Some(Dialog::AssignmentConflict(dialog)) => {
            assert_eq!(dialog.in_the_way()[0].reason, ConflictReason::VehicleBusy);
            assert_eq!(
                dialog.in_the_way()[0].assignment.as_ref().map(|a| a.id),
                Some(10)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_question_about_a_changed_record_says_so() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('3')));
    app.update(press(KeyCode::Char('r')));
    assert!(matches!(app.dialog(), Some(Dialog::ReturnForm(_))));
    let returned = assignment(7, &van12(), &ana(), at(22, 8, 15), Some(at(28, 9, 0)));
    app.update(change(assignment_event(
        1,
        EventKind::AssignmentReturned,
        Some(OTHER),
        &returned,
    )));
    match app.dialog() {
        Some(Dialog::ReturnForm(form)) => assert_eq!(
            form.notice(),
            Some("Van 12 was just returned from Ana Ruiz by Ola Night.")
        ),
        other => panic!("{other:?}"),
    }
    // An edit form of a vehicle someone else just edited.
    let mut app = loaded_app();
    app.update(press(KeyCode::Char('e')));
    app.update(change(vehicle_event(2, EventKind::VehicleUpdated, &bike())));
    match app.dialog() {
        Some(Dialog::FleetForm(form)) => {
            assert_eq!(
                form.notice(),
                Some("Cargo Bike 1 was just edited by Ola Night.")
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_badge_says_live_polling_or_offline_and_polling_reloads_the_list_shown() {
    let mut app = loaded_app();
    assert!(header(&mut app).trim_end().ends_with("● live"));
    app.update(stream(StreamUpdate::Failed(ClientError::Api {
        status: 404,
        code: "not_found".to_string(),
        message: "No such route".to_string(),
        request_id: None,
    })));
    assert_eq!(app.feed(), Feed::Down);
    assert!(app.needs_draw());
    assert!(
        header(&mut app).trim_end().ends_with("◌ polling"),
        "{}",
        header(&mut app)
    );
    // Every refresh interval the shown list is loaded again (not only the counts).
    let mut polled = Vec::new();
    for _ in 0..5 {
        polled.extend(app.update(Event::Tick));
    }
    assert!(polled.contains(&Command::LoadVehicles), "{polled:?}");
    assert!(polled.contains(&Command::LoadDashboard), "{polled:?}");
    // The same rows again: nothing to draw.
    app.update(answer(Response::Dashboard(Ok(DashboardSummary {
        active_assignments: 2,
        vehicles: 4,
        technicians: 3,
        available_vehicles: 2,
        available_technicians: 1,
    }))));
    let a7 = assignment(7, &van12(), &ana(), at(22, 8, 15), None);
    let a5 = assignment(5, &van3(), &bo(), at(20, 8, 0), None);
    app.update(answer(Response::Vehicles(Ok(vec![
        vehicle_item(&bike(), None),
        vehicle_item(&truck7(), None),
        vehicle_item(&van12(), Some(&a7)),
        vehicle_item(&van3(), Some(&a5)),
    ]))));
    assert!(!app.needs_draw(), "an unchanged poll redraws nothing");
    // While polling, my own action reloads (no event will come).
    let done = app.update(answer(Response::Action {
        command: Command::DeleteVehicle(21, "Van 21".to_string()),
        result: Ok(fleetdesk::tui::Done::VehicleDeleted("Van 21".to_string())),
    }));
    assert!(done.contains(&Command::LoadVehicles), "{done:?}");
    // Back, resuming from its last event: live, nothing reloaded.
    assert!(app
        .update(stream(StreamUpdate::Connected { resumed: true }))
        .is_empty());
    assert!(header(&mut app).trim_end().ends_with("● live"));
    // No server: offline wins.
    app.update(answer(Response::Vehicles(Err(ClientError::Offline {
        message: "connection refused".to_string(),
    }))));
    assert!(
        header(&mut app).contains("○ offline, retry in"),
        "{}",
        header(&mut app)
    );
}

#[test]
fn a_stream_without_a_resume_point_or_a_reset_reloads_everything() {
    let mut app = loaded_app();
    let reload = app.update(stream(StreamUpdate::Connected { resumed: false }));
    for command in [
        Command::LoadDashboard,
        Command::LoadVehicles,
        Command::LoadTechnicians,
    ] {
        assert!(reload.contains(&command), "{reload:?}");
    }
    let mut app = loaded_app();
    let reload = app.update(stream(StreamUpdate::Item(StreamItem::Reset {
        last_id: 77,
    })));
    assert!(reload.contains(&Command::LoadVehicles), "{reload:?}");
    assert_eq!(app.last_event_id(), Some(77));
    // A 401 on the stream asks to sign in again; the stream stays closed meanwhile.
    let mut app = loaded_app();
    assert!(app.wants_stream());
    app.update(stream(StreamUpdate::Failed(ClientError::Unauthorized {
        message: "expired".to_string(),
    })));
    assert!(matches!(app.dialog(), Some(Dialog::SignIn(_))));
    assert!(!app.wants_stream());
}

#[test]
fn idle_stays_idle() {
    let mut app = loaded_app();
    for _ in 0..3 {
        app.update(Event::Tick);
        assert!(!app.needs_draw());
    }
    app.update(Event::Wake);
    assert!(!app.needs_draw());
    assert_eq!(app.next_wake(), None);
}

fn activity_page(events: Vec<ApiEvent>, next_before: Option<i64>) -> ActivityPage {
    ActivityPage {
        events,
        next_before,
    }
}

/// A few hundred events back: assignments made and returned, vehicles, roles.
fn history_events() -> Vec<ApiEvent> {
    let a7 = assignment(7, &van12(), &ana(), at(22, 8, 15), None);
    let a5 = assignment(5, &van3(), &bo(), at(20, 8, 0), None);
    let a4 = assignment(4, &truck7(), &cy(), at(18, 7, 30), Some(at(19, 16, 45)));
    let mut events = vec![
        assignment_event(
            306,
            EventKind::AssignmentCreated,
            Some((ME, "Dana Dispatch")),
            &a7,
        ),
        assignment_event(305, EventKind::AssignmentCreated, Some(OTHER), &a5),
        assignment_event(304, EventKind::AssignmentReturned, Some(OTHER), &a4),
        vehicle_event(303, EventKind::VehicleUpdated, &truck7()),
        vehicle_event(302, EventKind::VehicleCreated, &bike()),
    ];
    let user = User {
        id: 8,
        name: "Cy Park".to_string(),
        email: "cy.park@depot.example".to_string(),
        role: SystemRole::Technician,
    };
    events.push(api_event(
        301,
        EventKind::UserCreated,
        None,
        EventSubject {
            user_id: Some(8),
            ..EventSubject::default()
        },
        &user,
    ));
    events
}

#[test]
fn the_activity_tab_pages_filters_and_takes_new_events_on_top() {
    let mut app = loaded_app();
    let commands = app.update(press(KeyCode::Char('5')));
    assert_eq!(app.tab(), Tab::Activity);
    let generation = match commands.as_slice() {
        [Command::LoadActivity {
            generation,
            before: None,
            subject: None,
        }] => *generation,
        other => panic!("{other:?}"),
    };
    // `L` goes there too.
    app.update(press(KeyCode::Char('1')));
    assert!(
        app.update(press(KeyCode::Char('L'))).is_empty(),
        "loaded once"
    );
    assert_eq!(app.tab(), Tab::Activity);
    app.update(answer(Response::Activity {
        generation,
        subject: None,
        append: false,
        result: Ok(activity_page(history_events(), Some(301))),
    }));
    assert_eq!(app.row_counts(), (6, 6));
    snapshot_both("activity", &mut app);
    // A new event comes in on top, marked; the selection stays on its event. All the rows
    // fit in a page, so the first move already asks for the next page (once).
    let more = app.update(press(KeyCode::Down));
    assert_eq!(
        more,
        vec![Command::LoadActivity {
            generation,
            before: Some(301),
            subject: None
        }]
    );
    assert_eq!(app.position().0, 1);
    let a9 = assignment(9, &truck7(), &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        307,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    let rows = app.rows();
    assert_eq!(rows[0][1], "Ola Night");
    assert_eq!(rows[0][2], "assigned Truck 7 to Cy Park");
    assert!(app.is_marked(Tab::Activity, 307));
    assert_eq!(app.position().0, 2, "still on the same event");
    snapshot_both("activity_live", &mut app);
    // Filter as you type.
    app.update(press(KeyCode::Char('/')));
    for c in "returned".chars() {
        app.update(press(KeyCode::Char(c)));
    }
    assert_eq!(app.row_counts(), (1, 7));
    app.update(press(KeyCode::Esc));
    // Not asked twice while it is on its way.
    assert!(app.update(press(KeyCode::Char('G'))).is_empty());
    assert!(app.update(press(KeyCode::Char('k'))).is_empty());
    let older = vehicle_event(300, EventKind::VehicleCreated, &truck7());
    app.update(answer(Response::Activity {
        generation,
        subject: None,
        append: true,
        result: Ok(activity_page(vec![older], None)),
    }));
    assert_eq!(app.row_counts(), (8, 8));
    // Enter shows one event in full.
    app.update(press(KeyCode::Char('g')));
    app.update(press(KeyCode::Enter));
    assert!(matches!(app.dialog(), Some(Dialog::Details(_))));
    let text = screen(&mut app).join("\n");
    assert!(text.contains("assignment.created"), "{text}");
}

#[test]
fn the_activity_log_is_for_admins() {
    let mut app = loaded_app();
    let commands = app.update(press(KeyCode::Char('5')));
    let Some(Command::LoadActivity { generation, .. }) = commands.first() else {
        panic!("{commands:?}")
    };
    app.update(answer(Response::Activity {
        generation: *generation,
        subject: None,
        append: false,
        result: Err(ClientError::Api {
            status: 403,
            code: "forbidden".to_string(),
            message: "Admins only.".to_string(),
            request_id: None,
        }),
    }));
    assert!(
        app.flash().is_none(),
        "no error: it says what it shows instead"
    );
    // What the stream brings still shows.
    let a9 = assignment(9, &truck7(), &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        1,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    assert_eq!(app.row_counts(), (1, 1));
    snapshot_both("activity_refused", &mut app);
}

#[test]
fn a_history_shows_the_vehicles_events_too() {
    let mut app = loaded_app();
    app.update(press(KeyCode::Down));
    let commands = app.update(press(KeyCode::Enter));
    assert_eq!(
        commands,
        vec![Command::LoadActivity {
            generation: 0,
            before: None,
            subject: Some(Subject::Vehicle(7)),
        }]
    );
    let a4 = assignment(4, &truck7(), &cy(), at(18, 7, 30), Some(at(19, 16, 45)));
    app.update(answer(Response::Activity {
        generation: 0,
        subject: Some(Subject::Vehicle(7)),
        append: false,
        result: Ok(activity_page(
            vec![
                assignment_event(304, EventKind::AssignmentReturned, Some(OTHER), &a4),
                vehicle_event(303, EventKind::VehicleUpdated, &truck7()),
            ],
            None,
        )),
    }));
    // A new one comes in on top while it is open.
    let a9 = assignment(9, &truck7(), &cy(), at(28, 8, 3), None);
    app.update(change(assignment_event(
        307,
        EventKind::AssignmentCreated,
        Some(OTHER),
        &a9,
    )));
    match app.dialog() {
        Some(Dialog::History(history)) => match history.events() {
            HistoryEvents::Loaded(rows) => {
                let ids: Vec<i64> = rows.iter().map(|row| row.event.id).collect();
                assert_eq!(ids, [307, 304, 303]);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    snapshot_both("history_with_events", &mut app);
}

/// The stream comes up while the first loads are on their way: everything is asked for
/// again, and when the last answer is one of the superseded first ones (dropped), the badge
/// still leaves "refreshing".
#[test]
fn the_last_answer_ends_refreshing_even_when_it_is_dropped() {
    let mut app = App::new(
        "http://depot.example:8080".to_string(),
        Some(dispatcher()),
        5,
    );
    let first = app.start();
    let again = app.update(stream(StreamUpdate::Connected { resumed: false }));
    assert_eq!(app.in_flight(), first.len() + again.len());
    let empty = || DashboardSummary {
        active_assignments: 0,
        vehicles: 0,
        technicians: 0,
        available_vehicles: 0,
        available_technicians: 0,
    };
    let mut last_drew = false;
    for command in again.into_iter().chain(first) {
        let response = match command {
            Command::LoadDashboard => Response::Dashboard(Ok(empty())),
            Command::LoadVehicles => Response::Vehicles(Ok(Vec::new())),
            Command::LoadTechnicians => Response::Technicians(Ok(Vec::new())),
            Command::LoadAssignments { generation, .. } => Response::Assignments {
                generation,
                append: false,
                result: Ok(AssignmentsEnvelope {
                    assignments: Vec::new(),
                    next_before: Paging::LastPage,
                }),
            },
            other => panic!("{other:?}"),
        };
        app.update(answer(response));
        last_drew = app.needs_draw();
    }
    assert!(last_drew, "the badge's change is drawn");
    assert_eq!(app.in_flight(), 0);
    assert_eq!(app.connection(), fleetdesk::tui::Connection::Live);
    assert!(header(&mut app).trim_end().ends_with("● live"));
}

#[test]
fn a_vehicle_i_create_is_selected_whether_its_event_or_the_answer_comes_first() {
    use fleetdesk::api::NewVehicle;
    use fleetdesk::tui::Done;
    let mut app = loaded_app();
    app.update(press(KeyCode::Down));
    assert_eq!(selected(&mut app), "Truck 7");
    let created = |v: &Vehicle| Response::Action {
        command: Command::CreateVehicle(NewVehicle {
            name: v.name.clone(),
            license_plate: v.license_plate.clone(),
            make: None,
            model: None,
            year: None,
        }),
        result: Ok(Done::VehicleCreated(Box::new(v.clone()))),
    };
    let mine = |id: i64, v: &Vehicle| {
        let subject = EventSubject {
            vehicle_id: Some(v.id),
            ..EventSubject::default()
        };
        change(api_event(
            id,
            EventKind::VehicleCreated,
            Some((ME, "Dana Dispatch")),
            subject,
            v,
        ))
    };
    // The answer first, then the event: selected when it is listed.
    let van4 = vehicle(30, "Van 4", "HH-FD 104");
    assert!(app.update(answer(created(&van4))).is_empty());
    assert_eq!(selected(&mut app), "Truck 7");
    app.update(mine(700, &van4));
    assert_eq!(selected(&mut app), "Van 4");
    // The event first, then the answer.
    let van5 = vehicle(31, "Van 5", "HH-FD 105");
    app.update(mine(701, &van5));
    assert_eq!(selected(&mut app), "Van 4");
    app.update(answer(created(&van5)));
    assert_eq!(selected(&mut app), "Van 5");
    // Someone else's new vehicle does not take the selection.
    app.update(change(vehicle_event(
        702,
        EventKind::VehicleCreated,
        &bike2(),
    )));
    assert_eq!(selected(&mut app), "Van 5");
}

fn bike2() -> Vehicle {
    vehicle(32, "Cargo Bike 2", "B 2")
}
