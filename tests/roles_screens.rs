//! The Roles tab and its dialogs: `update` driven by keys and answers, drawn into ratatui's
//! `TestBackend` and compared with reviewed snapshots (insta) at 100×30 and 80×24.
//!
//! The data is the demo set's Region Hamburg tree; conflict items are written out the way
//! the server's suggestion table (API.md section 4) produces them, and checked against
//! `domain::roles::suggest` so the two cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdesk::api::dates::{Day, DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use fleetdesk::api::events::EventKind;
use std::time::Instant;

use fleetdesk::api::access::UserSummary;
use fleetdesk::api::roles::{
    ConflictItem, ConflictType, Organization, ResolveRequest, Role, RoleAssignmentRequest,
    RoleAssignmentRow, RoleGroup, RoleOrganization, UserIdValue, UserRoles,
};
use fleetdesk::api::{AssignmentsEnvelope, DashboardSummary, Paging, SystemRole, User};
use fleetdesk::client::ClientError;
use fleetdesk::domain::roles::{suggest, ExistingAssignment, RequestedAssignment};
use fleetdesk::tui::{
    App, Command, Connection, Dialog, Done, Event, Response, RoleField, RolesFocus, StreamUpdate,
    Tab, Theme, SEARCH_PAUSE, TYPE_MORE,
};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

const HAMBURG: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f01";
const NORTH: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f02";
const SOUTH: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f03";
const HARBOUR: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f04";
const NORTH_WORKSHOP: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f05";
const NORTH_NIGHT: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f06";
const SOUTH_WORKSHOP: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f07";
const SOUTH_TYRES: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f08";
const HARBOUR_PARTS: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f09";
const HARBOUR_REEFER: &str = "5f0c2a1e-8b3d-4c6a-9e21-0a7d3b9c1f10";

const DMITRI: i64 = 4;
const ELIF: i64 = 5;

const OVERLAP_DMITRI: &str = "Dates may not overlap. Dmitri Ruiz has already a role in the organization unit Depot North which is in conflict with the new permission.";
const OVERLAP_ELIF: &str = "Dates may not overlap. Elif Chen has already a role in the organization unit Depot North which is in conflict with the new permission.";
const STALE: &str = "The assignments changed since these suggestions were made; nothing was applied. (assignment 9 now runs 2025-01-01 to 2025-04-30, not 2025-01-01 to 2025-03-31; reload and try again)";

fn day(year: i32, month: u32, day: u32) -> Day {
    Day::from_ymd(year, month, day).expect("a real date")
}

fn today() -> Day {
    day(2026, 11, 24)
}

fn org(id: &str, name: &str, parent: Option<&str>) -> Organization {
    Organization {
        id: id.to_string(),
        name: name.to_string(),
        parent_id: parent.map(str::to_string),
    }
}

/// The demo tree, in the order the server happens to send it (the client sorts).
fn organizations() -> Vec<Organization> {
    vec![
        org(HAMBURG, "Region Hamburg", None),
        org(NORTH, "Depot North", Some(HAMBURG)),
        org(SOUTH, "Depot South", Some(HAMBURG)),
        org(HARBOUR, "Depot Harbour", Some(HAMBURG)),
        org(NORTH_WORKSHOP, "Workshop North", Some(NORTH)),
        org(NORTH_NIGHT, "Night Shift North", Some(NORTH)),
        org(SOUTH_WORKSHOP, "Workshop South", Some(SOUTH)),
        org(SOUTH_TYRES, "Tyre Bay South", Some(SOUTH)),
        org(HARBOUR_PARTS, "Parts Store Harbour", Some(HARBOUR)),
        org(HARBOUR_REEFER, "Reefer Bay Harbour", Some(HARBOUR)),
    ]
}

fn user(id: i64, name: &str, role: SystemRole) -> User {
    User {
        id,
        name: name.to_string(),
        email: format!("{}@depot.example", name.to_lowercase().replace(' ', ".")),
        role,
    }
}

fn users() -> Vec<User> {
    vec![
        user(1, "Dana Dispatch", SystemRole::Admin),
        user(2, "Bo Okafor", SystemRole::Admin),
        user(3, "Carla Jensen", SystemRole::Admin),
        user(DMITRI, "Dmitri Ruiz", SystemRole::Technician),
        user(ELIF, "Elif Chen", SystemRole::Technician),
        user(6, "Farid Novak", SystemRole::Technician),
        user(7, "Greta Petrov", SystemRole::Technician),
        user(8, "Hugo Yilmaz", SystemRole::Technician),
        user(9, "Ines Haddad", SystemRole::Technician),
        user(10, "Jonas Lind", SystemRole::Technician),
        user(11, "Kemal Moreau", SystemRole::Technician),
    ]
}

fn dispatcher() -> User {
    User {
        id: 1,
        name: "Dana Dispatch".to_string(),
        email: "dispatch@depot.example".to_string(),
        role: SystemRole::Admin,
    }
}

fn name_of(user_id: i64) -> String {
    users()
        .into_iter()
        .find(|user| user.id == user_id)
        .map(|user| user.name)
        .expect("a known user")
}

fn row(
    rel_id: i64,
    user_id: i64,
    organization_id: &str,
    organization_name: &str,
    roles: &[Role],
    from: Day,
    to: Day,
) -> RoleAssignmentRow {
    RoleAssignmentRow {
        rel_id,
        user_id: user_id.to_string(),
        user_name: name_of(user_id),
        organization_id: organization_id.to_string(),
        organization_name: organization_name.to_string(),
        roles: roles.to_vec(),
        valid_from: from,
        valid_to: to,
    }
}

fn north(rel_id: i64, user_id: i64, roles: &[Role], from: Day, to: Day) -> RoleAssignmentRow {
    row(rel_id, user_id, NORTH, "Depot North", roles, from, to)
}

/// Depot North as the demo seeds it, not in display order: the client sorts.
fn north_rows() -> Vec<RoleAssignmentRow> {
    use Role::{Administrator, Approver, Employee, Manager};
    let open = DEFAULT_VALID_TO;
    vec![
        north(3, 2, &[Manager, Administrator], day(2024, 1, 1), open),
        north(2, 1, &[Manager], day(2021, 4, 1), day(2022, 12, 31)),
        north(9, DMITRI, &[Employee], day(2025, 1, 1), day(2025, 3, 31)),
        north(
            10,
            DMITRI,
            &[Employee, Approver],
            day(2025, 5, 1),
            day(2025, 5, 31),
        ),
        north(11, DMITRI, &[Employee], day(2025, 7, 1), day(2025, 12, 31)),
        north(13, ELIF, &[Employee], day(2024, 1, 1), open),
        north(16, 6, &[Employee, Approver], day(2022, 3, 1), open),
        north(18, 7, &[Employee], day(2023, 1, 1), open),
        north(21, 8, &[Employee], day(2022, 9, 1), day(2026, 3, 31)),
        north(24, 9, &[Employee], day(2024, 5, 1), open),
        north(27, 10, &[Employee], day(2021, 1, 1), day(2023, 8, 31)),
        north(30, 11, &[Employee], day(2027, 2, 1), open),
        // Someone who was there before the dates had a start: an open beginning.
        north(31, 3, &[Approver], DEFAULT_VALID_FROM, day(2022, 12, 31)),
    ]
}

fn rows_for(organization_id: &str) -> Vec<RoleAssignmentRow> {
    match organization_id {
        NORTH => north_rows(),
        HAMBURG => vec![
            row(
                1,
                1,
                HAMBURG,
                "Region Hamburg",
                &[Role::MainAdministrator],
                day(2023, 1, 1),
                DEFAULT_VALID_TO,
            ),
            row(
                8,
                3,
                HAMBURG,
                "Region Hamburg",
                &[Role::Approver],
                day(2025, 1, 1),
                day(2027, 12, 31),
            ),
        ],
        HARBOUR => vec![
            row(
                4,
                2,
                HARBOUR,
                "Depot Harbour",
                &[Role::Administrator],
                day(2022, 1, 1),
                day(2023, 12, 31),
            ),
            row(
                5,
                2,
                HARBOUR,
                "Depot Harbour",
                &[Role::Approver],
                day(2024, 1, 1),
                day(2024, 12, 31),
            ),
        ],
        _ => Vec::new(),
    }
}

fn press(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn answer(response: Response) -> Event {
    Event::Response(Box::new(response))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(press(KeyCode::Char(c)));
    }
}

/// The organizations below `id` (itself first), as the demo tree has them.
fn and_below(id: &str) -> Vec<String> {
    let mut found = vec![id.to_string()];
    let mut at = 0;
    while at < found.len() {
        let parent = found[at].clone();
        found.extend(
            organizations()
                .into_iter()
                .filter(|org| org.parent_id.as_deref() == Some(parent.as_str()))
                .map(|org| org.id),
        );
        at += 1;
    }
    found
}

/// What the role lists hold in all: every organization's rows.
fn all_rows() -> Vec<RoleAssignmentRow> {
    and_below(HAMBURG)
        .iter()
        .flat_map(|id| rows_for(id))
        .collect()
}

/// The answer the server gives a search by a fleet admin: names or e-mails containing the
/// query, whatever the case.
fn search_answer(query: &str) -> Vec<UserSummary> {
    let needle = query.to_lowercase();
    users()
        .into_iter()
        .filter(|user| user.name.to_lowercase().contains(&needle) || user.email.contains(&needle))
        .map(|user| UserSummary {
            id: user.id,
            name: user.name,
            email: user.email,
        })
        .collect()
}

/// The server's answer to one role read.
fn role_answer(command: Command) -> Response {
    match command {
        Command::LoadOrganizations => Response::Organizations(Ok(organizations())),
        Command::LoadRoleAssignments {
            request,
            organization_id,
            below,
        } => Response::RoleAssignments {
            request,
            result: Ok(if below {
                and_below(&organization_id)
                    .iter()
                    .flat_map(|id| rows_for(id))
                    .collect()
            } else {
                rows_for(&organization_id)
            }),
            organization_id,
            below,
        },
        Command::LoadMyRoles { user_id } => Response::MyRoles(Ok(all_rows()
            .into_iter()
            .filter(|row| row.user_id == user_id.to_string())
            .collect())),
        Command::SearchUsers { request, query } => Response::UsersFound {
            request,
            result: Ok(search_answer(&query)),
            query,
        },
        Command::LoadUserRoles { user_id } => Response::UserRoles {
            user_id,
            result: Ok(user_roles(user_id)),
        },
        other => panic!("not a load: {other:?}"),
    }
}

/// `GET /api/users/:id` over the test data: grouped by role, as the server does.
fn user_roles(user_id: i64) -> UserRoles {
    let rows: Vec<RoleAssignmentRow> = all_rows()
        .into_iter()
        .filter(|row| row.user_id == user_id.to_string())
        .collect();
    let user = users()
        .into_iter()
        .find(|user| user.id == user_id)
        .expect("a known user");
    UserRoles {
        id: user_id.to_string(),
        name: user.name,
        email: user.email,
        roles: Role::ALL
            .into_iter()
            .filter_map(|role| {
                let organizations: Vec<RoleOrganization> = rows
                    .iter()
                    .filter(|row| row.roles.contains(&role))
                    .map(|row| RoleOrganization {
                        id: row.organization_id.clone(),
                        name: row.organization_name.clone(),
                        rel_id: row.rel_id,
                        valid_from: row.valid_from,
                        valid_to: row.valid_to,
                    })
                    .collect();
                (!organizations.is_empty()).then_some(RoleGroup {
                    role,
                    organizations,
                })
            })
            .collect(),
    }
}

/// Answers every role load among `commands` the way the server would, and what those
/// answers ask for in turn.
fn serve(app: &mut App, commands: Vec<Command>) {
    let mut queue = commands;
    while !queue.is_empty() {
        let mut next = Vec::new();
        for command in queue {
            next.extend(app.update(answer(role_answer(command))));
        }
        queue = next;
    }
}

/// Typing has paused: the search the picker waits for goes, and is answered.
fn search_now(app: &mut App) -> Vec<Command> {
    app.advance_clock(SEARCH_PAUSE);
    let sent = app.update(Event::Wake);
    serve(app, sent.clone());
    sent
}

/// Signed in, the fleet tabs answered, today fixed.
fn started_app() -> App {
    started_app_as(dispatcher())
}

/// Signed in as `user`, the fleet tabs answered, today fixed.
fn started_app_as(user: User) -> App {
    let mut app = App::new("http://depot.example:8080".to_string(), Some(user), 5);
    app.set_today(today());
    let commands = app.start();
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
    app.update(answer(Response::Dashboard(Ok(DashboardSummary {
        active_assignments: 0,
        vehicles: 0,
        technicians: 8,
        available_vehicles: 0,
        available_technicians: 8,
    }))));
    app.update(answer(Response::Vehicles(Ok(Vec::new()))));
    app.update(answer(Response::Technicians(Ok(Vec::new()))));
    app.update(answer(Response::Assignments {
        generation,
        append: false,
        result: Ok(AssignmentsEnvelope {
            assignments: Vec::new(),
            next_before: Paging::LastPage,
        }),
    }));
    app
}

/// The Roles tab opened and everything it asked for answered.
fn roles_app() -> App {
    let mut app = started_app();
    let commands = app.update(press(KeyCode::Char('4')));
    assert_eq!(app.tab(), Tab::Roles);
    // No organization is known yet, so there is nothing to list; a fleet admin may assign
    // everywhere, so their own roles are not needed.
    assert_eq!(commands, vec![Command::LoadOrganizations]);
    serve(&mut app, commands);
    assert_eq!(app.connection(), Connection::Live);
    app
}

fn selected_name(app: &App) -> String {
    app.roles()
        .selected_organization()
        .map(|org| org.name.clone())
        .unwrap_or_default()
}

/// Moves the tree selection onto `name`, answering the loads each step asks for.
fn select(app: &mut App, name: &str) {
    for _ in 0..app.roles().tree().len() {
        if selected_name(app) == name {
            return;
        }
        let commands = app.update(press(KeyCode::Down));
        assert!(
            matches!(commands.as_slice(), [Command::LoadRoleAssignments { .. }]),
            "each move loads the organization: {commands:?}"
        );
        serve(app, commands);
    }
    assert_eq!(selected_name(app), name, "{name} is in the tree");
}

fn tree_names(app: &App) -> Vec<(usize, String)> {
    app.roles()
        .tree()
        .into_iter()
        .map(|(depth, name)| (depth, name.to_string()))
        .collect()
}

fn render(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| app.draw(Theme::mono(), frame))
        .expect("drawn");
    terminal
}

/// Snapshots at both sizes; the text is what a user reads.
fn snapshot_both(name: &str, app: &mut App) {
    for (width, height) in [(100, 30), (80, 24)] {
        let terminal = render(app, width, height);
        insta::assert_snapshot!(format!("{name}_{width}x{height}"), terminal.backend());
    }
}

/// The screen's lines at a size, for plain text checks.
fn screen_lines(app: &mut App, width: u16, height: u16) -> Vec<String> {
    let terminal = render(app, width, height);
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

fn screen_text(app: &mut App) -> String {
    screen_lines(app, 100, 30).join("\n")
}

// ---- conflict data ----

fn request(
    user_id: i64,
    roles: &[Role],
    from: Option<&str>,
    to: Option<&str>,
) -> RoleAssignmentRequest {
    let (role, roles) = match roles {
        [one] => (Some(*one), None),
        many => (None, Some(many.to_vec())),
    };
    RoleAssignmentRequest {
        rel_id: None,
        role,
        roles,
        user_id: UserIdValue::Text(user_id.to_string()),
        organization_id: NORTH.to_string(),
        valid_from: from.map(str::to_string),
        valid_to: to.map(str::to_string),
    }
}

/// The new assignment's own item: it wins, as asked.
fn yours(user_id: i64, roles: &[Role], from: Day, to: Day) -> ConflictItem {
    ConflictItem {
        rel_id: None,
        user_id: UserIdValue::Text(user_id.to_string()),
        organization_id: NORTH.to_string(),
        roles: roles.to_vec(),
        valid_from: from,
        valid_to: to,
        conflict_type: ConflictType::NoUpdate,
        validated: true,
        current_valid_from: None,
        current_valid_to: None,
    }
}

/// A change to an existing assignment: its current dates travel along.
fn change(existing: &RoleAssignmentRow, kind: ConflictType, from: Day, to: Day) -> ConflictItem {
    ConflictItem {
        rel_id: Some(existing.rel_id),
        user_id: UserIdValue::Text(existing.user_id.clone()),
        organization_id: existing.organization_id.clone(),
        roles: existing.roles.clone(),
        valid_from: from,
        valid_to: to,
        conflict_type: kind,
        validated: false,
        current_valid_from: Some(existing.valid_from),
        current_valid_to: Some(existing.valid_to),
    }
}

/// The part of a split assignment after the new one: created, so no relId, no current dates.
fn tail(existing: &RoleAssignmentRow, from: Day) -> ConflictItem {
    ConflictItem {
        rel_id: None,
        user_id: UserIdValue::Text(existing.user_id.clone()),
        organization_id: existing.organization_id.clone(),
        roles: existing.roles.clone(),
        valid_from: from,
        valid_to: existing.valid_to,
        conflict_type: ConflictType::DateFromUpdated,
        validated: false,
        current_valid_from: None,
        current_valid_to: None,
    }
}

fn north_row(rel_id: i64) -> RoleAssignmentRow {
    north_rows()
        .into_iter()
        .find(|row| row.rel_id == rel_id)
        .expect("a Depot North assignment")
}

/// A request that meets a 409 and what the server sends back. Dmitri Ruiz holds rel 9
/// (Jan–Mar), rel 10 (May) and rel 11 (Jul–Dec 2025) in Depot North.
struct Case {
    request: RoleAssignmentRequest,
    items: Vec<ConflictItem>,
    message: &'static str,
}

/// Apr 15 – Jun 15 swallows May: rel 10 goes.
fn to_delete_case() -> Case {
    let (from, to) = (day(2025, 4, 15), day(2025, 6, 15));
    let may = north_row(10);
    Case {
        request: request(
            DMITRI,
            &[Role::Employee],
            Some("2025-04-15"),
            Some("2025-06-15"),
        ),
        items: vec![
            yours(DMITRI, &[Role::Employee], from, to),
            change(&may, ConflictType::ToDelete, may.valid_from, may.valid_to),
        ],
        message: OVERLAP_DMITRI,
    }
}

/// Mar 1 – Apr 30 cuts into the end of rel 9.
fn date_to_case() -> Case {
    let january = north_row(9);
    Case {
        request: request(
            DMITRI,
            &[Role::Approver],
            Some("2025-03-01"),
            Some("2025-04-30"),
        ),
        items: vec![
            change(
                &january,
                ConflictType::DateToUpdated,
                day(2025, 1, 1),
                day(2025, 2, 28),
            ),
            yours(DMITRI, &[Role::Approver], day(2025, 3, 1), day(2025, 4, 30)),
        ],
        message: OVERLAP_DMITRI,
    }
}

/// Jun 1 – Aug 31 cuts into the start of rel 11.
fn date_from_case() -> Case {
    let july = north_row(11);
    Case {
        request: request(
            DMITRI,
            &[Role::Employee, Role::Manager],
            Some("2025-06-01"),
            Some("2025-08-31"),
        ),
        items: vec![
            yours(
                DMITRI,
                &[Role::Employee, Role::Manager],
                day(2025, 6, 1),
                day(2025, 8, 31),
            ),
            change(
                &july,
                ConflictType::DateFromUpdated,
                day(2025, 9, 1),
                day(2025, 12, 31),
            ),
        ],
        message: OVERLAP_DMITRI,
    }
}

/// Mar 1 – Aug 31: all three kinds at once (the demo's "try this").
fn three_way_case() -> Case {
    let (january, may, july) = (north_row(9), north_row(10), north_row(11));
    Case {
        request: request(
            DMITRI,
            &[Role::Employee],
            Some("2025-03-01"),
            Some("2025-08-31"),
        ),
        items: vec![
            change(
                &january,
                ConflictType::DateToUpdated,
                day(2025, 1, 1),
                day(2025, 2, 28),
            ),
            yours(DMITRI, &[Role::Employee], day(2025, 3, 1), day(2025, 8, 31)),
            change(&may, ConflictType::ToDelete, may.valid_from, may.valid_to),
            change(
                &july,
                ConflictType::DateFromUpdated,
                day(2025, 9, 1),
                day(2025, 12, 31),
            ),
        ],
        message: OVERLAP_DMITRI,
    }
}

/// Elif Chen's open-ended rel 13 around Jan – Jun 2026: cut before, resumed after.
fn split_case() -> Case {
    let elif = north_row(13);
    Case {
        request: request(
            ELIF,
            &[Role::Manager],
            Some("2026-01-01"),
            Some("2026-06-30"),
        ),
        items: vec![
            change(
                &elif,
                ConflictType::DateToUpdated,
                day(2024, 1, 1),
                day(2025, 12, 31),
            ),
            yours(ELIF, &[Role::Manager], day(2026, 1, 1), day(2026, 6, 30)),
            tail(&elif, day(2026, 7, 1)),
        ],
        message: OVERLAP_ELIF,
    }
}

/// Rel 9 as someone else left it meanwhile: ending Apr 30.
fn january_extended() -> RoleAssignmentRow {
    RoleAssignmentRow {
        valid_to: day(2025, 4, 30),
        ..north_row(9)
    }
}

/// What the server suggests for the three-way request once rel 9 runs to Apr 30.
fn fresh_three_way_items() -> Vec<ConflictItem> {
    let (may, july) = (north_row(10), north_row(11));
    vec![
        change(
            &january_extended(),
            ConflictType::DateToUpdated,
            day(2025, 1, 1),
            day(2025, 2, 28),
        ),
        yours(DMITRI, &[Role::Employee], day(2025, 3, 1), day(2025, 8, 31)),
        change(&may, ConflictType::ToDelete, may.valid_from, may.valid_to),
        change(
            &july,
            ConflictType::DateFromUpdated,
            day(2025, 9, 1),
            day(2025, 12, 31),
        ),
    ]
}

/// What `domain::roles::suggest` (the server's algorithm) makes of a request.
fn server_suggestions(
    request: &RoleAssignmentRequest,
    rows: &[RoleAssignmentRow],
) -> Vec<ConflictItem> {
    let user_id = match &request.user_id {
        UserIdValue::Text(text) => text.clone(),
        UserIdValue::Number(id) => id.to_string(),
    };
    let existing: Vec<ExistingAssignment> = rows
        .iter()
        .filter(|row| row.user_id == user_id && row.organization_id == request.organization_id)
        .map(|row| ExistingAssignment {
            rel_id: row.rel_id,
            roles: row.roles.clone(),
            from: row.valid_from,
            to: row.valid_to,
        })
        .collect();
    let date = |text: &Option<String>, default: Day| {
        text.as_deref()
            .map_or(default, |text| text.parse::<Day>().expect("a plain date"))
    };
    let roles = match (&request.roles, request.role) {
        (Some(roles), _) => roles.clone(),
        (None, Some(role)) => vec![role],
        (None, None) => Vec::new(),
    };
    let requested = RequestedAssignment {
        rel_id: request.rel_id,
        roles,
        from: date(&request.valid_from, DEFAULT_VALID_FROM),
        to: date(&request.valid_to, DEFAULT_VALID_TO),
    };
    suggest(&requested, &existing)
        .into_iter()
        .map(|s| ConflictItem {
            rel_id: s.rel_id,
            user_id: UserIdValue::Text(user_id.clone()),
            organization_id: request.organization_id.clone(),
            roles: s.roles,
            valid_from: s.from,
            valid_to: s.to,
            conflict_type: s.conflict_type,
            validated: s.validated,
            current_valid_from: s.current.map(|(from, _)| from),
            current_valid_to: s.current.map(|(_, to)| to),
        })
        .collect()
}

/// The Roles tab on Depot North, the tree still focused.
fn north_app() -> App {
    let mut app = roles_app();
    select(&mut app, "Depot North");
    app
}

/// Saving `case.request` met a 409 carrying `case.items`; the list reload it asks for is
/// answered with `rows`.
fn conflict_app(case: &Case, rows: Vec<RoleAssignmentRow>) -> App {
    let mut app = north_app();
    let reload = app.update(answer(Response::Action {
        command: Command::SaveRoleAssignment(case.request.clone()),
        result: Err(ClientError::RoleConflict {
            message: case.message.to_string(),
            items: case.items.clone(),
        }),
    }));
    assert!(
        matches!(app.dialog(), Some(Dialog::RoleConflict(_))),
        "the conflict dialog opens"
    );
    // The list behind is refreshed so the dialog's timeline is current.
    let [Command::LoadRoleAssignments {
        request,
        organization_id,
        below: false,
    }] = reload.as_slice()
    else {
        panic!("one reload of the organization: {reload:?}");
    };
    assert_eq!(organization_id, NORTH);
    app.update(answer(Response::RoleAssignments {
        request: *request,
        organization_id: NORTH.to_string(),
        below: false,
        result: Ok(rows),
    }));
    app
}

fn dialog_items(app: &App) -> Vec<ConflictItem> {
    match app.dialog() {
        Some(Dialog::RoleConflict(dialog)) => dialog.items().to_vec(),
        other => panic!("no conflict dialog on top: {other:?}"),
    }
}

fn backspaces(app: &mut App, count: usize) {
    for _ in 0..count {
        app.update(press(KeyCode::Backspace));
    }
}

// ---- the tab ----

#[test]
fn roles_tab_tree_and_list() {
    let mut app = roles_app();
    assert_eq!(
        tree_names(&app),
        vec![
            (0, "Region Hamburg".to_string()),
            (1, "Depot Harbour".to_string()),
            (2, "Parts Store Harbour".to_string()),
            (2, "Reefer Bay Harbour".to_string()),
            (1, "Depot North".to_string()),
            (2, "Night Shift North".to_string()),
            (2, "Workshop North".to_string()),
            (1, "Depot South".to_string()),
            (2, "Tyre Bay South".to_string()),
            (2, "Workshop South".to_string()),
        ],
        "three levels, sorted by name"
    );
    select(&mut app, "Depot North");
    assert_eq!(app.roles().focus(), RolesFocus::Tree);
    snapshot_both("roles_tab", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("Depot North · 13 role assignments"), "{text}");
    assert!(text.contains("open"), "open ends read \"open\"");
    assert!(text.contains('█'), "timeline bars are drawn");
    assert!(text.contains("10 of 10 organizations"), "{text}");
}

#[test]
fn roles_tab_with_a_folded_node_and_the_list_focused() {
    let mut app = roles_app();
    select(&mut app, "Depot Harbour");
    // Folding is not a move: nothing to load.
    assert!(app.update(press(KeyCode::Enter)).is_empty());
    assert_eq!(
        app.roles().tree().len(),
        8,
        "the two harbour units are hidden"
    );
    assert_eq!(selected_name(&app), "Depot Harbour", "the selection stays");
    select(&mut app, "Depot North");
    assert!(app.update(press(KeyCode::Right)).is_empty());
    assert_eq!(app.roles().focus(), RolesFocus::List);
    // ↓ in the list moves the list only.
    assert!(app.update(press(KeyCode::Down)).is_empty());
    assert_eq!(app.roles().list_selected(), 1);
    snapshot_both("roles_tab_folded_list_focused", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("▸ Depot Harbour"), "folded marker: {text}");
    assert!(!text.contains("Parts Store Harbour"));
    // ← goes back to the tree; Enter there folds Depot North.
    app.update(press(KeyCode::Left));
    assert_eq!(app.roles().focus(), RolesFocus::Tree);
    app.update(press(KeyCode::Char(' ')));
    assert_eq!(app.roles().tree().len(), 6);
}

#[test]
fn roles_tab_filtered_tree() {
    let mut app = roles_app();
    app.update(press(KeyCode::Char('/')));
    type_text(&mut app, "work");
    assert_eq!(
        tree_names(&app),
        vec![
            (0, "Region Hamburg".to_string()),
            (1, "Depot North".to_string()),
            (2, "Workshop North".to_string()),
            (1, "Depot South".to_string()),
            (2, "Workshop South".to_string()),
        ],
        "matches with their ancestors"
    );
    snapshot_both("roles_tab_filtered", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("filter: work"), "{text}");
    assert!(text.contains("5 of 10 organizations"), "{text}");
    // Esc clears it and every unit is back.
    app.update(press(KeyCode::Esc));
    assert_eq!(app.roles().tree().len(), 10);
}

// ---- the role form ----

#[test]
fn role_form_parses_dates_live_and_refuses_a_bad_one() {
    let mut app = north_app();
    app.set_clock(Instant::now());
    assert!(app.update(press(KeyCode::Char('n'))).is_empty());
    assert!(matches!(app.dialog(), Some(Dialog::RoleForm(form)) if form.picker().is_none()));
    // Enter on the User field opens the picker; typing searches once typing pauses.
    app.update(press(KeyCode::Enter));
    assert!(matches!(app.dialog(), Some(Dialog::RoleForm(form)) if form.picker().is_some()));
    type_text(&mut app, "elif");
    let sent = search_now(&mut app);
    assert!(
        matches!(sent.as_slice(), [Command::SearchUsers { query, .. }] if query == "elif"),
        "one search, for what was typed: {sent:?}"
    );
    snapshot_both("role_form_user_picker", &mut app);
    assert!(app.update(press(KeyCode::Enter)).is_empty());
    let Some(Dialog::RoleForm(form)) = app.dialog() else {
        panic!("back on the form: {:?}", app.dialog());
    };
    assert!(form.picker().is_none());
    assert_eq!(form.user().map(|u| u.label.as_str()), Some("Elif Chen"));
    assert_eq!(form.focus(), RoleField::Roles, "the roles come next");
    // 3 ticks manager; Tab goes on to the dates.
    app.update(press(KeyCode::Char('3')));
    app.update(press(KeyCode::Tab));
    type_text(&mut app, "+30d");
    app.update(press(KeyCode::Tab));
    type_text(&mut app, "next week");
    snapshot_both("role_form", &mut app);
    let text = screen_text(&mut app);
    assert!(
        text.contains("→ 2026-12-24"),
        "+30d from 2026-11-24: {text}"
    );
    assert!(text.contains("✗ not a date"), "{text}");
    assert!(text.contains("[x] manager"), "{text}");
    // The bad date keeps the form from sending.
    assert!(app.update(press(KeyCode::Enter)).is_empty());
    let Some(Dialog::RoleForm(form)) = app.dialog() else {
        panic!("the form stays open");
    };
    assert_eq!(form.focus(), RoleField::ValidTo);
    assert!(
        matches!(form.field_error(), Some((RoleField::ValidTo, _))),
        "{:?}",
        form.field_error()
    );
    // Cleared, the end is open and the request goes.
    backspaces(&mut app, "next week".len());
    let sent = app.update(press(KeyCode::Enter));
    assert_eq!(
        sent,
        vec![Command::SaveRoleAssignment(RoleAssignmentRequest {
            rel_id: None,
            role: Some(Role::Manager),
            roles: None,
            user_id: UserIdValue::Text(ELIF.to_string()),
            organization_id: NORTH.to_string(),
            valid_from: Some("2026-12-24".to_string()),
            valid_to: None,
        })]
    );
}

// ---- the conflict dialog ----

#[test]
fn conflict_items_are_what_the_server_suggests() {
    let rows = north_rows();
    for (name, case) in [
        ("to_delete", to_delete_case()),
        ("date_to_updated", date_to_case()),
        ("date_from_updated", date_from_case()),
        ("three-way", three_way_case()),
        ("split", split_case()),
    ] {
        assert_eq!(
            case.items,
            server_suggestions(&case.request, &rows),
            "{name}"
        );
    }
    let mut changed = north_rows();
    changed.retain(|row| row.rel_id != 9);
    changed.push(january_extended());
    assert_eq!(
        fresh_three_way_items(),
        server_suggestions(&three_way_case().request, &changed)
    );
}

#[test]
fn conflict_to_delete() {
    let case = to_delete_case();
    let mut app = conflict_app(&case, north_rows());
    snapshot_both("role_conflict_to_delete", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("delete"), "{text}");
    assert!(text.contains("keep (yours)"), "{text}");
    assert!(text.contains("nothing overlaps"), "{text}");
}

#[test]
fn conflict_date_to_updated() {
    let case = date_to_case();
    let mut app = conflict_app(&case, north_rows());
    snapshot_both("role_conflict_date_to_updated", &mut app);
    assert!(screen_text(&mut app).contains("end earlier"));
}

#[test]
fn conflict_date_from_updated() {
    let case = date_from_case();
    let mut app = conflict_app(&case, north_rows());
    snapshot_both("role_conflict_date_from_updated", &mut app);
    assert!(screen_text(&mut app).contains("start later"));
}

#[test]
fn conflict_three_way_accept_all() {
    // Through the form, as a user would.
    let mut app = north_app();
    app.set_clock(Instant::now());
    app.update(press(KeyCode::Char('n')));
    // A letter on the User field opens the picker with it; the search goes once typing
    // pauses, and Enter takes the best match.
    type_text(&mut app, "dmi");
    search_now(&mut app);
    app.update(press(KeyCode::Enter));
    app.update(press(KeyCode::Char(' ')));
    app.update(press(KeyCode::Tab));
    type_text(&mut app, "2025-03-01");
    app.update(press(KeyCode::Tab));
    type_text(&mut app, "2025-08-31");
    let case = three_way_case();
    let sent = app.update(press(KeyCode::Enter));
    assert_eq!(
        sent,
        vec![Command::SaveRoleAssignment(case.request.clone())]
    );
    let reload = app.update(answer(Response::Action {
        command: sent[0].clone(),
        result: Err(ClientError::RoleConflict {
            message: case.message.to_string(),
            items: case.items.clone(),
        }),
    }));
    serve(&mut app, reload);
    snapshot_both("role_conflict_three_way", &mut app);
    let text = screen_text(&mut app);
    for words in ["end earlier", "delete", "start later", "keep (yours)"] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert!(
        text.contains("Role conflict: Dmitri Ruiz in Depot North"),
        "{text}"
    );
    // Enter accepts every suggestion, unchanged, in one request.
    let resolve = app.update(press(KeyCode::Enter));
    assert_eq!(
        resolve,
        vec![Command::ResolveRoleConflict(ResolveRequest {
            request: case.request.clone(),
            resolution: case.items.clone(),
        })]
    );
    assert!(
        app.update(press(KeyCode::Enter)).is_empty(),
        "not sent twice while waiting"
    );
    // Done: the dialogs close; with the live stream up the changes come back as events,
    // so nothing is loaded again.
    let reloads = app.update(answer(Response::Action {
        command: resolve[0].clone(),
        result: Ok(Done::Roles {
            message: "The assignment was successfully created.".to_string(),
            rel_id: Some(40),
        }),
    }));
    assert!(app.dialogs().is_empty(), "{:?}", app.dialogs());
    assert!(reloads.is_empty(), "{reloads:?}");
}

#[test]
fn conflict_split() {
    let case = split_case();
    let mut app = conflict_app(&case, north_rows());
    snapshot_both("role_conflict_split", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("end earlier"), "{text}");
    assert!(text.contains("start later"), "{text}");
    let new_rows = text
        .lines()
        .filter(|line| line.contains("  new    ") && line.contains('—'))
        .count();
    assert_eq!(
        new_rows, 2,
        "yours and the resumed part are both new: {text}"
    );
}

#[test]
fn conflict_stale_reopens_with_fresh_suggestions() {
    let case = three_way_case();
    let mut app = conflict_app(&case, north_rows());
    let resolve = app.update(press(KeyCode::Enter));
    assert_eq!(resolve.len(), 1, "{resolve:?}");
    let mut changed = north_rows();
    changed.retain(|row| row.rel_id != 9);
    changed.push(january_extended());
    let reload = app.update(answer(Response::Action {
        command: resolve[0].clone(),
        result: Err(ClientError::RoleConflict {
            message: STALE.to_string(),
            items: fresh_three_way_items(),
        }),
    }));
    let [Command::LoadRoleAssignments { request, .. }] = reload.as_slice() else {
        panic!("the list is fetched again: {reload:?}");
    };
    app.update(answer(Response::RoleAssignments {
        request: *request,
        organization_id: NORTH.to_string(),
        below: false,
        result: Ok(changed),
    }));
    assert_eq!(
        app.dialogs().len(),
        1,
        "one dialog, renewed: {:?}",
        app.dialogs()
    );
    assert_eq!(dialog_items(&app), fresh_three_way_items());
    snapshot_both("role_conflict_stale", &mut app);
    let text = screen_text(&mut app);
    assert!(
        text.contains("⟳ The assignments changed meanwhile"),
        "{text}"
    );
    assert!(
        text.contains("2025-04-30"),
        "the fresh current dates: {text}"
    );
    // The fresh suggestions go back as they are.
    let again = app.update(press(KeyCode::Enter));
    assert_eq!(
        again,
        vec![Command::ResolveRoleConflict(ResolveRequest {
            request: case.request,
            resolution: fresh_three_way_items(),
        })]
    );
}

#[test]
fn conflict_resolve_with_nothing_left_sends_the_plain_request() {
    let case = date_to_case();
    let mut app = conflict_app(&case, north_rows());
    let resolve = app.update(press(KeyCode::Enter));
    assert_eq!(resolve.len(), 1, "{resolve:?}");
    // Someone removed the overlap meanwhile: a 409 without items.
    let commands = app.update(answer(Response::Action {
        command: resolve[0].clone(),
        result: Err(ClientError::RoleConflict {
            message: STALE.to_string(),
            items: Vec::new(),
        }),
    }));
    assert_eq!(commands, vec![Command::SaveRoleAssignment(case.request)]);
}

#[test]
fn conflict_edit_dates_then_accept() {
    let case = three_way_case();
    let mut app = conflict_app(&case, north_rows());
    // The new assignment's own row is fixed.
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Char('e')));
    match app.dialog() {
        Some(Dialog::RoleConflict(dialog)) => {
            assert!(!dialog.is_editing());
            assert!(dialog.error().is_some(), "says why it cannot be edited");
        }
        other => panic!("{other:?}"),
    }
    // Rel 11 (last row): start it in October instead of September.
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Char('e')));
    backspaces(&mut app, "2025-09-01".len());
    type_text(&mut app, "2025-10-01");
    snapshot_both("role_conflict_editing", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("Edit dates"), "{text}");
    assert!(text.contains("→ 2025-10-01"), "{text}");
    app.update(press(KeyCode::Enter));
    let mut expected = case.items.clone();
    expected[3].valid_from = day(2025, 10, 1);
    assert_eq!(dialog_items(&app), expected);
    assert!(screen_text(&mut app).contains("start later *"));
    let resolve = app.update(press(KeyCode::Enter));
    assert_eq!(
        resolve,
        vec![Command::ResolveRoleConflict(ResolveRequest {
            request: case.request,
            resolution: expected,
        })],
        "the edited dates are sent"
    );
}

#[test]
fn conflict_edit_that_still_overlaps_is_not_sent() {
    let case = three_way_case();
    let mut app = conflict_app(&case, north_rows());
    // Rel 9 (first row) kept to Mar 15: still inside the new Mar 1 – Aug 31.
    app.update(press(KeyCode::Char('e')));
    app.update(press(KeyCode::Tab));
    backspaces(&mut app, "2025-02-28".len());
    type_text(&mut app, "2025-03-15");
    app.update(press(KeyCode::Enter));
    match app.dialog() {
        Some(Dialog::RoleConflict(dialog)) => {
            assert!(!dialog.is_editing(), "the dates parse, so they are kept");
            assert!(dialog.outcome().is_err(), "{:?}", dialog.outcome());
        }
        other => panic!("{other:?}"),
    }
    snapshot_both("role_conflict_still_overlaps", &mut app);
    let text = screen_text(&mut app);
    assert!(text.contains("✗ Still overlaps"), "{text}");
    assert!(app.update(press(KeyCode::Enter)).is_empty(), "not sent");
    assert!(screen_text(&mut app).contains("Not sent"));
    // u undoes the edit and the suggestions go as they came.
    app.update(press(KeyCode::Char('u')));
    assert_eq!(dialog_items(&app), case.items);
    assert_eq!(
        app.update(press(KeyCode::Enter)),
        vec![Command::ResolveRoleConflict(ResolveRequest {
            request: case.request,
            resolution: case.items,
        })]
    );
}

#[test]
fn conflict_esc_cancels_and_changes_nothing() {
    let case = to_delete_case();
    let mut app = conflict_app(&case, north_rows());
    // Esc inside the date editor only leaves the editor.
    app.update(press(KeyCode::Down));
    app.update(press(KeyCode::Char('e')));
    assert!(app.update(press(KeyCode::Esc)).is_empty());
    assert!(matches!(app.dialog(), Some(Dialog::RoleConflict(_))));
    assert!(app.update(press(KeyCode::Esc)).is_empty());
    assert!(app.dialogs().is_empty(), "{:?}", app.dialogs());
    let footer = screen_lines(&mut app, 100, 30)
        .pop()
        .expect("a footer line");
    assert!(footer.contains("Cancelled; nothing changed."), "{footer}");
}

// ---- faults found by these screens, kept so they stay fixed ----

#[test]
fn filtering_keeps_the_selected_organization() {
    let mut app = north_app();
    app.update(press(KeyCode::Char('/')));
    type_text(&mut app, "work");
    // Depot North is still in the tree (an ancestor of Workshop North).
    assert_eq!(selected_name(&app), "Depot North");
    // Kept, the filter puts the selection on a match, not on a context ancestor.
    let commands = app.update(press(KeyCode::Enter));
    assert_eq!(selected_name(&app), "Workshop North");
    assert!(
        matches!(commands.as_slice(), [Command::LoadRoleAssignments { organization_id, .. }] if organization_id == NORTH_WORKSHOP),
        "the match's assignments are loaded: {commands:?}"
    );
}

/// The README's walk-through: `4` `/` `north` `Enter` selects Depot North, so `n` makes the
/// role assignment there (it used to stay on Region Hamburg, shown only as the ancestor).
#[test]
fn the_readme_walk_through_selects_depot_north() {
    let mut app = roles_app();
    assert_eq!(selected_name(&app), "Region Hamburg");
    app.update(press(KeyCode::Char('/')));
    type_text(&mut app, "north");
    let commands = app.update(press(KeyCode::Enter));
    assert_eq!(selected_name(&app), "Depot North");
    serve(&mut app, commands);
    assert!(screen_text(&mut app).contains("Depot North · 13 role assignments"));
    app.update(press(KeyCode::Char('n')));
    let Some(Dialog::RoleForm(form)) = app.dialog() else {
        panic!("the role form opens: {:?}", app.dialog());
    };
    assert_eq!(form.organization().id, NORTH);
    // A selection that matches stays when the filter is kept again.
    app.update(press(KeyCode::Esc));
    app.update(press(KeyCode::Down));
    assert_eq!(selected_name(&app), "Night Shift North");
    app.update(press(KeyCode::Char('/')));
    app.update(press(KeyCode::Enter));
    assert_eq!(selected_name(&app), "Night Shift North");
}

#[test]
fn a_tall_conflict_dialog_still_shows_its_keys_at_80x24() {
    let case = three_way_case();
    let mut app = conflict_app(&case, north_rows());
    let resolve = app.update(press(KeyCode::Enter));
    let reload = app.update(answer(Response::Action {
        command: resolve[0].clone(),
        result: Err(ClientError::RoleConflict {
            message: STALE.to_string(),
            items: fresh_three_way_items(),
        }),
    }));
    serve(&mut app, reload);
    app.update(press(KeyCode::Char('e')));
    let text = screen_lines(&mut app, 80, 24).join("\n");
    assert!(text.contains("Esc back"), "{text}");
}

/// Someone else changes the user's assignments in this organization while the dialog is
/// open: the list follows in place (marked), and the dialog says its suggestions are stale;
/// Enter then asks the server again instead of resolving.
#[test]
fn conflict_goes_stale_when_the_users_assignments_change() {
    use fleetdesk::api::events::{Actor, Event as ApiEvent, EventKind, EventSubject};
    use fleetdesk::client::StreamItem;
    let case = three_way_case();
    let mut app = conflict_app(&case, north_rows());
    // Dmitri's May assignment is moved to June by Ola.
    let mut moved = north_row(10);
    moved.valid_from = day(2025, 6, 1);
    moved.valid_to = day(2025, 6, 30);
    let event = ApiEvent {
        id: 500,
        at: chrono::Utc::now(),
        actor: Some(Actor {
            id: 2,
            name: "Ola Night".to_string(),
        }),
        kind: EventKind::RoleAssignmentUpdated,
        subject: EventSubject {
            rel_id: Some(10),
            user_id: Some(DMITRI),
            organization_id: Some(NORTH.to_string()),
            ..EventSubject::default()
        },
        data: serde_json::to_value(&moved).expect("json"),
    };
    let commands = app.update(Event::Stream(Box::new(StreamUpdate::Item(
        StreamItem::Event(Box::new(event)),
    ))));
    assert!(commands.is_empty(), "{commands:?}");
    assert!(app.roles().is_marked(10));
    match app.dialog() {
        Some(Dialog::RoleConflict(dialog)) => assert_eq!(
            dialog.stale(),
            Some(
                "Dmitri Ruiz's employee, approver in Depot North was just changed to \
                 2025-06-01…2025-06-30 by Ola Night."
            )
        ),
        other => panic!("{other:?}"),
    }
    snapshot_both("role_conflict_went_stale", &mut app);
    let sent = app.update(press(KeyCode::Enter));
    assert_eq!(
        sent,
        vec![Command::SaveRoleAssignment(case.request.clone())]
    );
    // The server answers with fresh suggestions: the dialog shows them and says why.
    app.update(answer(Response::Action {
        command: sent[0].clone(),
        result: Err(ClientError::RoleConflict {
            message: case.message.to_string(),
            items: case.items.clone(),
        }),
    }));
    match app.dialog() {
        Some(Dialog::RoleConflict(dialog)) => {
            assert_eq!(dialog.stale(), None);
            assert!(dialog.why().is_some());
        }
        other => panic!("{other:?}"),
    }
}

// ---- the selection follows the assignment ----

/// Answers the role loads among `commands` with `north` for Depot North; other loads
/// (the fleet tabs') are left unanswered.
fn serve_north(app: &mut App, commands: Vec<Command>, north: &[RoleAssignmentRow]) {
    for command in commands {
        let response = match command {
            Command::LoadOrganizations => Response::Organizations(Ok(organizations())),
            Command::LoadRoleAssignments {
                request,
                organization_id,
                below: false,
            } => Response::RoleAssignments {
                request,
                result: Ok(if organization_id == NORTH {
                    north.to_vec()
                } else {
                    rows_for(&organization_id)
                }),
                organization_id,
                below: false,
            },
            _ => continue,
        };
        let more = app.update(answer(response));
        serve_north(app, more, north);
    }
}

fn selected_rel(app: &App) -> Option<i64> {
    app.roles().selected_assignment().map(|row| row.rel_id)
}

#[test]
fn sorting_the_role_list_keeps_the_selected_assignment() {
    let mut app = north_app();
    app.update(press(KeyCode::Right));
    // Sorted by user: Bo, Carla, Dana, Dmitri ×3, then Elif's rel 13.
    for _ in 0..6 {
        app.update(press(KeyCode::Down));
    }
    assert_eq!(selected_rel(&app), Some(13));
    for key in ['s', 's', 'S', 's', 'S', 's'] {
        app.update(press(KeyCode::Char(key)));
        assert_eq!(selected_rel(&app), Some(13), "after {key}");
    }
}

#[test]
fn the_role_list_shows_its_sort_arrow_on_every_column() {
    let mut app = north_app();
    app.update(press(KeyCode::Right));
    let header = |app: &mut App, width: u16| {
        screen_lines(app, width, 24)
            .into_iter()
            .find(|line| line.contains("USER"))
            .unwrap_or_default()
    };
    for width in [100, 80] {
        assert!(
            header(&mut app, width).contains("USER ▲"),
            "{}",
            header(&mut app, width)
        );
    }
    app.update(press(KeyCode::Char('s')));
    assert!(header(&mut app, 100).contains("ROLES ▲"));
    // The dates: the arrow in place of a cut-off title.
    app.update(press(KeyCode::Char('s')));
    for width in [100, 80] {
        let line = header(&mut app, width);
        assert!(line.contains("FROM ▲"), "{line}");
        assert!(!line.contains('…'), "{line}");
    }
    app.update(press(KeyCode::Char('S')));
    assert!(header(&mut app, 100).contains("FROM ▼"));
    app.update(press(KeyCode::Char('s')));
    for width in [100, 80] {
        let line = header(&mut app, width);
        assert!(line.contains("TO ▲"), "{line}");
        assert!(!line.contains('…'), "{line}");
    }
}

#[test]
fn roles_tab_help_at_80x24() {
    let mut app = north_app();
    app.update(press(KeyCode::Right));
    app.update(press(KeyCode::Char('?')));
    let terminal = render(&mut app, 80, 24);
    insta::assert_snapshot!("roles_help_80x24", terminal.backend());
    let text = screen_lines(&mut app, 80, 24).join("\n");
    assert!(text.contains("Esc closes this help."), "{text}");
    // One line more than fits: it scrolls, and the border says where it is.
    assert!(text.contains("1–20 of 21"), "{text}");
    assert!(!text.contains("Ctrl-C  quit at once"), "{text}");
    app.update(press(KeyCode::Char('j')));
    let text = screen_lines(&mut app, 80, 24).join("\n");
    assert!(text.contains("Ctrl-C  quit at once"), "{text}");
    assert!(text.contains("2–21 of 21"), "{text}");
    assert!(!text.contains("n  new"), "{text}");
    // At the end it stays; `k` goes back; Esc still closes.
    app.update(press(KeyCode::Char('j')));
    assert!(screen_lines(&mut app, 80, 24)
        .join("\n")
        .contains("2–21 of 21"));
    app.update(press(KeyCode::Char('k')));
    assert!(screen_lines(&mut app, 80, 24).join("\n").contains("n  new"));
    app.update(press(KeyCode::Esc));
    assert!(app.dialogs().is_empty());
}

/// A role assignment event from the stream, as another dispatcher's change arrives.
fn role_event(id: i64, kind: EventKind, row: &RoleAssignmentRow) -> Event {
    use fleetdesk::api::events::{Actor, Event as ApiEvent, EventSubject};
    use fleetdesk::client::StreamItem;
    let event = ApiEvent {
        id,
        at: chrono::Utc::now(),
        actor: Some(Actor {
            id: 1,
            name: "Dana Dispatch".to_string(),
        }),
        kind,
        subject: EventSubject {
            rel_id: Some(row.rel_id),
            user_id: row.user_id.parse().ok(),
            organization_id: Some(row.organization_id.clone()),
            ..EventSubject::default()
        },
        data: serde_json::to_value(row).expect("json"),
    };
    Event::Stream(Box::new(StreamUpdate::Item(StreamItem::Event(Box::new(
        event,
    )))))
}

#[test]
fn after_an_edit_with_a_split_the_selection_stays_on_the_edited_assignment() {
    use fleetdesk::api::events::EventKind::{RoleAssignmentCreated, RoleAssignmentUpdated};
    // Elif Chen also held manager in the first half of 2023 (rel 14), listed before rel 13.
    let mut rows = north_rows();
    rows.push(north(
        14,
        ELIF,
        &[Role::Manager],
        day(2023, 1, 1),
        day(2023, 6, 30),
    ));
    let mut app = north_app();
    let refresh = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    serve_north(&mut app, refresh, &rows);
    app.update(press(KeyCode::Right));
    for _ in 0..6 {
        app.update(press(KeyCode::Down));
    }
    assert_eq!(selected_rel(&app), Some(14));
    // Rel 14 moved into 2026 splits rel 13: it ends 2025-12-31, and a copy (rel 41) resumes
    // 2026-07-01; the changes come as events, then the resolve's answer.
    let ended = RoleAssignmentRow {
        valid_to: day(2025, 12, 31),
        ..north_row(13)
    };
    let moved = north(
        14,
        ELIF,
        &[Role::Manager],
        day(2026, 1, 1),
        day(2026, 6, 30),
    );
    let copy = north(
        41,
        ELIF,
        &[Role::Employee],
        day(2026, 7, 1),
        DEFAULT_VALID_TO,
    );
    app.update(role_event(600, RoleAssignmentUpdated, &ended));
    app.update(role_event(601, RoleAssignmentUpdated, &moved));
    app.update(role_event(602, RoleAssignmentCreated, &copy));
    let mut request = request(
        ELIF,
        &[Role::Manager],
        Some("2026-01-01"),
        Some("2026-06-30"),
    );
    request.rel_id = Some(14);
    let reloads = app.update(answer(Response::Action {
        command: Command::ResolveRoleConflict(ResolveRequest {
            request,
            resolution: Vec::new(),
        }),
        result: Ok(Done::Roles {
            message: "The assignment was successfully updated.".to_string(),
            rel_id: Some(14),
        }),
    }));
    assert!(reloads.is_empty(), "the stream brought it: {reloads:?}");
    assert_eq!(selected_rel(&app), Some(14), "not the new copy");
    // A reload that also brings someone listed above: still rel 14.
    rows.retain(|row| row.rel_id != 13 && row.rel_id != 14);
    rows.extend([ended, moved, copy]);
    rows.push(north(
        43,
        2,
        &[Role::Approver],
        day(2029, 1, 1),
        DEFAULT_VALID_TO,
    ));
    let refresh = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    serve_north(&mut app, refresh, &rows);
    assert_eq!(selected_rel(&app), Some(14), "after a reload");
    // A new assignment is selected once listed, whether its event comes after the answer
    // or before it.
    let kemal = north(42, 11, &[Role::Approver], day(2028, 1, 1), DEFAULT_VALID_TO);
    let created = |rel_id| Response::Action {
        command: Command::SaveRoleAssignment(request_for_kemal()),
        result: Ok(Done::Roles {
            message: "The assignment was successfully created.".to_string(),
            rel_id: Some(rel_id),
        }),
    };
    app.update(answer(created(42)));
    assert_eq!(selected_rel(&app), Some(14), "not listed yet");
    app.update(role_event(603, RoleAssignmentCreated, &kemal));
    assert_eq!(selected_rel(&app), Some(42));
    let later = north(44, 11, &[Role::Manager], day(2030, 1, 1), DEFAULT_VALID_TO);
    app.update(role_event(604, RoleAssignmentCreated, &later));
    assert_eq!(selected_rel(&app), Some(42), "someone else's: it stays");
    app.update(answer(created(44)));
    assert_eq!(selected_rel(&app), Some(44));
}

fn request_for_kemal() -> RoleAssignmentRequest {
    request(11, &[Role::Approver], Some("2028-01-01"), None)
}

/// Dmitri Ruiz after the demo's three-way conflict was accepted: Jan–Feb (rel 9), the new
/// Mar–Aug (rel 40) and Sep–Dec (rel 11).
fn dmitri_after_three_way() -> Vec<RoleAssignmentRow> {
    let mut rows: Vec<RoleAssignmentRow> = north_rows()
        .into_iter()
        .filter(|row| row.rel_id != 10)
        .map(|row| match row.rel_id {
            9 => RoleAssignmentRow {
                valid_to: day(2025, 2, 28),
                ..row
            },
            11 => RoleAssignmentRow {
                valid_from: day(2025, 9, 1),
                ..row
            },
            _ => row,
        })
        .collect();
    rows.push(north(
        40,
        DMITRI,
        &[Role::Employee],
        day(2025, 3, 1),
        day(2025, 8, 31),
    ));
    rows
}

/// The timeline rows of the open conflict dialog: label → the bar's columns.
fn timeline_rows(app: &mut App) -> Vec<(String, Vec<char>)> {
    let lines = screen_lines(app, 100, 30);
    let labels = ["now", "yours", "after"];
    lines
        .iter()
        .filter_map(|line| {
            // Between the dialog's left and right borders.
            let (_, inner) = line.split_once('│')?;
            let (inner, _) = inner.split_once('│')?;
            let label = inner.get(..8)?.trim().to_string();
            labels
                .contains(&label.as_str())
                .then(|| (label, inner[8..].chars().collect()))
        })
        .collect()
}

fn covered(bar: &[char]) -> Vec<bool> {
    bar.iter().map(|c| matches!(c, '█' | '▓' | '▒')).collect()
}

/// `e` on Dmitri Ruiz's Mar–Aug, made Jan 15 – Oct 15: the "now" row shows the assignment
/// being edited too, so it covers every column the request covers.
#[test]
fn conflict_timeline_includes_the_assignment_being_edited() {
    let rows = dmitri_after_three_way();
    let mut edit = request(
        DMITRI,
        &[Role::Employee],
        Some("2025-01-15"),
        Some("2025-10-15"),
    );
    edit.rel_id = Some(40);
    let case = Case {
        items: server_suggestions(&edit, &rows),
        request: edit,
        message: OVERLAP_DMITRI,
    };
    let mut app = conflict_app(&case, rows);
    snapshot_both("role_conflict_editing_own", &mut app);
    let timeline = timeline_rows(&mut app);
    let bar = |label: &str| {
        timeline
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, bar)| covered(bar))
            .unwrap_or_else(|| panic!("no {label} row in {timeline:?}"))
    };
    let (now, yours) = (bar("now"), bar("yours"));
    assert!(yours.iter().any(|c| *c), "the request is drawn");
    for (column, (n, y)) in now.iter().zip(&yours).enumerate() {
        assert!(
            !y || *n,
            "column {column}: the request covers it but \"now\" is blank: {timeline:?}"
        );
    }
}

/// An open start (`open…2025-01-01`) draws from the bar's first column, never over the label.
#[test]
fn conflict_timeline_with_an_open_start_stays_right_of_the_labels() {
    let rows = north_rows();
    let open_start = request(DMITRI, &[Role::Manager], None, Some("2025-01-01"));
    let case = Case {
        items: server_suggestions(&open_start, &rows),
        request: open_start,
        message: OVERLAP_DMITRI,
    };
    let mut app = conflict_app(&case, rows);
    snapshot_both("role_conflict_open_start", &mut app);
    let timeline = timeline_rows(&mut app);
    assert_eq!(timeline.len(), 3, "now, yours, after: {timeline:?}");
    for (label, bar) in &timeline {
        assert!(
            bar.iter().any(|c| matches!(c, '█' | '▓' | '▒')),
            "{label} has a bar: {timeline:?}"
        );
    }
    for line in screen_lines(&mut app, 100, 30)
        .iter()
        .chain(screen_lines(&mut app, 80, 24).iter())
    {
        for label in ["now", "yours", "after"] {
            if let Some(at) = line.find(&format!(" {label} ")) {
                let before: String = line[..at].chars().rev().take(3).collect();
                assert!(
                    !before.contains(['█', '▓', '▒']),
                    "a bar left of the {label} label: {line}"
                );
            }
        }
    }
}

// ---- organization administrators ----

/// Bo Okafor as a technician: administrator of Depot North since 2024 (and so of its
/// units), administrator of Depot Harbour only in 2022–2023, approver there in 2024.
fn bo_the_administrator() -> User {
    User {
        id: 2,
        name: "Bo Okafor".to_string(),
        email: "bo.okafor@depot.example".to_string(),
        role: SystemRole::Technician,
    }
}

/// The Roles tab as Bo, everything answered, Depot North selected, the clock by hand.
fn administrator_app() -> App {
    let mut app = started_app_as(bo_the_administrator());
    app.set_clock(Instant::now());
    let commands = app.update(press(KeyCode::Char('4')));
    // Not a fleet admin: where they may assign comes from their own roles.
    assert_eq!(
        commands,
        vec![
            Command::LoadOrganizations,
            Command::LoadMyRoles { user_id: 2 }
        ]
    );
    serve(&mut app, commands);
    select(&mut app, "Depot North");
    app
}

fn form_picker(app: &App) -> &fleetdesk::tui::Picker<String> {
    match app.dialog() {
        Some(Dialog::RoleForm(form)) => form.picker().expect("the picker is open"),
        other => panic!("no role form on top: {other:?}"),
    }
}

/// The user picker, opened with Enter on the form's User field.
fn user_picker_app() -> App {
    let mut app = administrator_app();
    app.update(press(KeyCode::Char('n')));
    app.update(press(KeyCode::Enter));
    app
}

#[test]
fn the_user_picker_searches_the_server_once_typing_pauses() {
    let mut app = user_picker_app();
    assert_eq!(form_picker(&app).status(), Some(TYPE_MORE));
    assert!(form_picker(&app).visible_labels().is_empty());
    assert_eq!(app.next_wake(), None, "nothing to search for yet");
    snapshot_both("user_search_type_more", &mut app);
    // One letter is not enough for the server; two wait for a pause.
    assert!(app.update(press(KeyCode::Char('d'))).is_empty());
    assert_eq!(app.next_wake(), None);
    assert!(app.update(press(KeyCode::Char('m'))).is_empty());
    let due = app.next_wake().expect("the search waits for a pause");
    assert_eq!(form_picker(&app).status(), Some("Searching for “dm”…"));
    // Typing on before the pause is over moves the search later; an early wake sends nothing.
    app.advance_clock(SEARCH_PAUSE / 2);
    assert!(app.update(press(KeyCode::Char('i'))).is_empty());
    assert!(app.next_wake().is_some_and(|later| later > due));
    assert!(app.update(Event::Wake).is_empty());
    app.advance_clock(SEARCH_PAUSE);
    let sent = app.update(Event::Wake);
    let [Command::SearchUsers { request, query }] = sent.as_slice() else {
        panic!("one search: {sent:?}");
    };
    assert_eq!(query, "dmi");
    assert_eq!(app.in_flight(), 1);
    // The screen does not wait for the answer: keys still work, and a newer query goes.
    snapshot_both("user_search_searching", &mut app);
    type_text(&mut app, "tri");
    app.advance_clock(SEARCH_PAUSE);
    let newer = app.update(Event::Wake);
    let [Command::SearchUsers {
        request: newer_request,
        query: newer_query,
    }] = newer.as_slice()
    else {
        panic!("the newer search: {newer:?}");
    };
    assert_eq!(newer_query, "dmitri");
    let newer_request = *newer_request;
    // The older answer comes late: dropped, the picker unchanged and not redrawn.
    app.update(answer(role_answer(Command::SearchUsers {
        request: *request,
        query: query.clone(),
    })));
    assert!(!app.needs_draw(), "an answer typed over changes nothing");
    assert!(form_picker(&app).visible_labels().is_empty());
    serve(&mut app, newer.clone());
    assert_eq!(
        form_picker(&app).visible_labels(),
        ["Dmitri Ruiz <dmitri.ruiz@depot.example>"]
    );
    assert_eq!(form_picker(&app).status(), None);
    assert_eq!(app.in_flight(), 0);
    assert_ne!(*request, newer_request);
    snapshot_both("user_search_found", &mut app);
    // Enter takes it.
    app.update(press(KeyCode::Enter));
    let Some(Dialog::RoleForm(form)) = app.dialog() else {
        panic!("back on the form");
    };
    assert_eq!(form.user().map(|u| u.label.as_str()), Some("Dmitri Ruiz"));
    assert_eq!(form.focus(), RoleField::Roles);
}

#[test]
fn results_narrow_as_you_type_without_case_or_accents() {
    let mut app = user_picker_app();
    type_text(&mut app, "in");
    search_now(&mut app);
    assert_eq!(
        form_picker(&app).visible_labels(),
        [
            "Ines Haddad <ines.haddad@depot.example>",
            "Jonas Lind <jonas.lind@depot.example>",
        ]
    );
    // Until the next answer, what was found is filtered here, accents and case aside.
    type_text(&mut app, "ÉS");
    assert_eq!(
        form_picker(&app).visible_labels(),
        ["Ines Haddad <ines.haddad@depot.example>"]
    );
    // Back under two letters: nothing listed, nothing asked.
    for _ in 0..3 {
        app.update(press(KeyCode::Backspace));
    }
    assert!(form_picker(&app).visible_labels().is_empty());
    assert_eq!(form_picker(&app).status(), Some(TYPE_MORE));
    assert_eq!(app.next_wake(), None);
}

#[test]
fn a_refused_search_shows_the_servers_sentence() {
    const REFUSED: &str = "Finding users needs a fleet admin account, or administrator or \
         main_administrator in some organization, valid today.";
    let mut app = user_picker_app();
    type_text(&mut app, "ana");
    app.advance_clock(SEARCH_PAUSE);
    let sent = app.update(Event::Wake);
    let [Command::SearchUsers { request, query }] = sent.as_slice() else {
        panic!("one search: {sent:?}");
    };
    app.update(answer(Response::UsersFound {
        request: *request,
        query: query.clone(),
        result: Err(ClientError::Api {
            status: 403,
            code: "forbidden".to_string(),
            message: REFUSED.to_string(),
            request_id: None,
        }),
    }));
    assert_eq!(form_picker(&app).status(), Some(REFUSED));
    assert!(app.dialog().is_some(), "the picker stays open");
    assert_eq!(
        app.connection(),
        Connection::Live,
        "a refusal is not offline"
    );
    snapshot_both("user_search_refused", &mut app);
    // A 400 says its sentence the same way.
    type_text(&mut app, "x");
    app.advance_clock(SEARCH_PAUSE);
    let sent = app.update(Event::Wake);
    let [Command::SearchUsers { request, query }] = sent.as_slice() else {
        panic!("one search: {sent:?}");
    };
    app.update(answer(Response::UsersFound {
        request: *request,
        query: query.clone(),
        result: Err(ClientError::Api {
            status: 400,
            code: "validation".to_string(),
            message: "The limit must be a whole number from 1 to 100.".to_string(),
            request_id: None,
        }),
    }));
    assert_eq!(
        form_picker(&app).status(),
        Some("The limit must be a whole number from 1 to 100.")
    );
}

#[test]
fn the_organization_picker_offers_only_where_the_user_may_assign() {
    let mut app = administrator_app();
    app.update(press(KeyCode::Char('n')));
    // Shift-Tab from User goes round to the organization.
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    let Some(Dialog::RoleForm(form)) = app.dialog() else {
        panic!("the form");
    };
    assert_eq!(form.focus(), RoleField::Organization);
    app.update(press(KeyCode::Enter));
    // Depot North and its units, in tree order; not the region, not the other depots, not
    // Depot Harbour whose administrator role has ended.
    assert_eq!(
        form_picker(&app).visible_labels(),
        ["Depot North", "Night Shift North", "Workshop North"]
    );
    snapshot_both("role_form_organization_picker", &mut app);
    app.update(press(KeyCode::Esc));
    app.update(press(KeyCode::Esc));
    // Bo is made administrator of Depot South: its units are offered at once.
    let south = row(
        40,
        2,
        SOUTH,
        "Depot South",
        &[Role::Administrator],
        day(2026, 1, 1),
        DEFAULT_VALID_TO,
    );
    app.update(role_event(900, EventKind::RoleAssignmentCreated, &south));
    app.update(press(KeyCode::Char('n')));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::Enter));
    assert_eq!(
        form_picker(&app).visible_labels(),
        [
            "Depot North",
            "Night Shift North",
            "Workshop North",
            "Depot South",
            "Tyre Bay South",
            "Workshop South"
        ]
    );
}

#[test]
fn the_organization_picker_waits_for_the_users_own_roles() {
    let mut app = started_app_as(bo_the_administrator());
    let commands = app.update(press(KeyCode::Char('4')));
    // The organizations come; the user's own roles not yet.
    serve(
        &mut app,
        commands
            .into_iter()
            .filter(|command| *command == Command::LoadOrganizations)
            .collect(),
    );
    app.update(press(KeyCode::Char('n')));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::Enter));
    let Some(Dialog::RoleForm(form)) = app.dialog() else {
        panic!("the form");
    };
    assert!(form.picker().is_none());
    assert_eq!(
        app.flash().map(|flash| flash.text.as_str()),
        Some("Still loading where you may assign; try again in a moment.")
    );
}

#[test]
fn i_lists_the_organizations_below_with_their_names() {
    let mut app = roles_app();
    assert_eq!(selected_name(&app), "Region Hamburg");
    let commands = app.update(press(KeyCode::Char('i')));
    let [Command::LoadRoleAssignments {
        organization_id,
        below: true,
        ..
    }] = commands.as_slice()
    else {
        panic!("the list with what is below: {commands:?}");
    };
    assert_eq!(organization_id, HAMBURG);
    assert!(app.roles().shows_below());
    serve(&mut app, commands);
    let rows = app.roles().shown_rows().expect("loaded");
    assert_eq!(rows.len(), 17, "Hamburg's 2, North's 13, Harbour's 2");
    app.update(press(KeyCode::Right));
    snapshot_both("roles_tab_below", &mut app);
    // A change in a unit two levels down shows in the region's list.
    let workshop = row(
        41,
        ELIF,
        NORTH_WORKSHOP,
        "Workshop North",
        &[Role::Manager],
        day(2026, 1, 1),
        DEFAULT_VALID_TO,
    );
    app.update(role_event(901, EventKind::RoleAssignmentCreated, &workshop));
    let rows = app.roles().shown_rows().expect("loaded");
    assert_eq!(rows.len(), 18);
    assert!(rows.iter().any(|row| row.rel_id == 41));
    // Moving in the tree loads each organization with what is below it.
    app.update(press(KeyCode::Left));
    let commands = app.update(press(KeyCode::Down));
    assert!(
        matches!(
            commands.as_slice(),
            [Command::LoadRoleAssignments { below: true, organization_id, .. }] if organization_id == HARBOUR
        ),
        "{commands:?}"
    );
    serve(&mut app, commands);
    let rows = app.roles().shown_rows().expect("loaded");
    assert_eq!(rows.len(), 2, "Depot Harbour's own; its units have none");
    // i again: only the organization's own.
    let commands = app.update(press(KeyCode::Char('i')));
    assert!(
        matches!(
            commands.as_slice(),
            [Command::LoadRoleAssignments { below: false, .. }]
        ),
        "{commands:?}"
    );
    serve(&mut app, commands);
    assert!(!app.roles().shows_below());
    assert!(!screen_text(&mut app).contains("ORGANIZATION  "));
}

#[test]
fn u_and_enter_show_all_of_a_users_roles() {
    let mut app = north_app();
    // From the tree, u shows the user of the list's selected row.
    app.update(press(KeyCode::Right));
    let bo_row = app
        .roles()
        .shown_rows()
        .expect("loaded")
        .iter()
        .position(|row| row.user_id == "2")
        .expect("Bo in North");
    for _ in 0..bo_row {
        app.update(press(KeyCode::Down));
    }
    assert_eq!(app.roles().selected_assignment().map(|r| r.rel_id), Some(3));
    let commands = app.update(press(KeyCode::Enter));
    assert_eq!(commands, vec![Command::LoadUserRoles { user_id: 2 }]);
    let Some(Dialog::UserView(view)) = app.dialog() else {
        panic!("the user view: {:?}", app.dialog());
    };
    assert!(view.is_loading());
    assert_eq!(view.name(), "Bo Okafor");
    serve(&mut app, commands);
    let Some(Dialog::UserView(view)) = app.dialog() else {
        panic!("the user view");
    };
    let groups: Vec<(Role, Vec<(String, i64)>)> = view
        .groups()
        .into_iter()
        .map(|(role, held)| {
            (
                role,
                held.into_iter().map(|(org, rel, ..)| (org, rel)).collect(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            (Role::Approver, vec![("Depot Harbour".to_string(), 5)]),
            (Role::Manager, vec![("Depot North".to_string(), 3)]),
            (
                Role::Administrator,
                vec![
                    ("Depot Harbour".to_string(), 4),
                    ("Depot North".to_string(), 3)
                ]
            ),
        ],
        "grouped by role as GET /api/users/:id is"
    );
    snapshot_both("user_view", &mut app);
    // Someone ends Bo's Harbour approver role: the view follows.
    let harbour = row(
        5,
        2,
        HARBOUR,
        "Depot Harbour",
        &[Role::Approver],
        day(2024, 1, 1),
        day(2024, 12, 31),
    );
    app.update(role_event(902, EventKind::RoleAssignmentDeleted, &harbour));
    let Some(Dialog::UserView(view)) = app.dialog() else {
        panic!("the user view");
    };
    assert_eq!(view.groups().len(), 2);
    // Esc closes; u from the tree opens it again.
    app.update(press(KeyCode::Esc));
    assert!(app.dialog().is_none());
    app.update(press(KeyCode::Left));
    let commands = app.update(press(KeyCode::Char('u')));
    assert_eq!(commands, vec![Command::LoadUserRoles { user_id: 2 }]);
}

/// `q` on the roles (where nothing is typed) quits as on the tabs, asking first when the form
/// holds input; in a date field it is typed.
#[test]
fn q_in_the_role_form_asks_before_quitting() {
    let focus_roles = |app: &mut App| {
        assert!(app.update(press(KeyCode::Char('n'))).is_empty());
        for _ in 0..4 {
            if matches!(app.dialog(), Some(Dialog::RoleForm(form)) if form.focus() == RoleField::Roles)
            {
                break;
            }
            app.update(press(KeyCode::Tab));
        }
        assert!(
            matches!(app.dialog(), Some(Dialog::RoleForm(form)) if form.focus() == RoleField::Roles)
        );
    };
    // Nothing entered: nothing to lose.
    let mut app = north_app();
    focus_roles(&mut app);
    assert!(screen_text(&mut app).contains("q quit"));
    assert_eq!(app.update(press(KeyCode::Char('q'))), vec![Command::Quit]);

    let mut app = north_app();
    focus_roles(&mut app);
    app.update(press(KeyCode::Char('3')));
    assert!(app.update(press(KeyCode::Char('q'))).is_empty());
    assert!(matches!(app.dialog(), Some(Dialog::RoleForm(form)) if form.is_asking_to_quit()));
    snapshot_both("role_form_asks_before_quitting", &mut app);
    // `n` keeps the input.
    assert!(app.update(press(KeyCode::Char('n'))).is_empty());
    assert!(screen_text(&mut app).contains("[x] manager"));
    // In a date field `q` is a letter.
    app.update(press(KeyCode::Tab));
    assert!(app.update(press(KeyCode::Char('q'))).is_empty());
    assert!(matches!(app.dialog(), Some(Dialog::RoleForm(form)) if !form.is_asking_to_quit()));
    app.update(press(KeyCode::BackTab));
    app.update(press(KeyCode::Char('q')));
    assert_eq!(app.update(press(KeyCode::Char('y'))), vec![Command::Quit]);
}

/// `x` on the Roles tab writes the organization's list as shown, in its order.
#[test]
fn x_exports_the_role_list_as_shown() {
    let dir = std::env::temp_dir().join(format!("fleetdesk-roles-x-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("an export directory");
    let mut app = north_app().with_export_dir(Some(dir.clone()));
    app.update(press(KeyCode::Char('S')));
    let shown: Vec<(String, String)> = app
        .roles()
        .shown_rows()
        .expect("loaded")
        .iter()
        .map(|row| (row.rel_id.to_string(), row.user_name.clone()))
        .collect();
    assert!(shown.len() > 3, "{shown:?}");
    app.update(press(KeyCode::Char('x')));
    let text = screen_text(&mut app);
    assert!(
        text.contains(&format!("Exported {} roles to", shown.len())),
        "{text}"
    );
    let file = std::fs::read_dir(&dir)
        .expect("the directory")
        .next()
        .expect("one file")
        .expect("an entry")
        .path();
    let mut reader = csv::Reader::from_path(&file).expect("a CSV file");
    assert_eq!(
        reader
            .headers()
            .expect("a header")
            .iter()
            .collect::<Vec<_>>(),
        [
            "REL ID",
            "USER",
            "ORGANIZATION",
            "ROLES",
            "VALID FROM",
            "VALID TO"
        ]
    );
    let exported: Vec<(String, String)> = reader
        .records()
        .map(|record| {
            let record = record.expect("a record");
            (record[0].to_string(), record[1].to_string())
        })
        .collect();
    assert_eq!(exported, shown);
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}
