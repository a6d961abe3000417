//! The terminal client's Roles tab as an organization administrator who is not a fleet admin,
//! against the real server in-process on both databases: every command `update` returns is
//! run with `execute` and its answer fed back. The administrator of Depot North finds North's
//! people and its units', may assign in North and below only, lists North with its units,
//! and is refused in Depot South with the server's sentence.

mod common;

use std::time::{Duration, Instant};

use common::desk::{self, key};
use common::TestServer;
use crossterm::event::KeyCode;
use fleetdesk::api::dates::Day;
use fleetdesk::api::roles::Role;
use fleetdesk::client::ApiClient;
use fleetdesk::tui::{App, Command, Dialog, Event, Picker, RoleField, RoleForm, Tab, SEARCH_PAUSE};
use reqwest::StatusCode;
use serde_json::json;

const TIMEOUT: Duration = Duration::from_secs(30);
const PASSWORD: &str = "password-123";
const REFUSED_SOUTH: &str = "You may not assign roles in Depot South: that needs administrator \
     or main_administrator there or above, valid today.";

async fn organization(s: &TestServer, name: &str, parent: Option<&str>) -> String {
    let reply = s
        .post(
            "/api/organizations",
            json!({"name": name, "parentId": parent}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["organization"]["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn give(s: &TestServer, user: i64, org: &str, roles: &[&str]) {
    let reply = s
        .post(
            "/api/users/assignment",
            json!({"roles": roles, "userId": user.to_string(), "organizationId": org,
                   "validFrom": "2024-01-01"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// Region → Depot North (→ Workshop North), Depot South, and their people.
struct Depots {
    north: String,
    workshop: String,
    south: String,
    sven: i64,
}

async fn depots(s: &TestServer) -> Depots {
    let region = organization(s, "Region", None).await;
    let north = organization(s, "Depot North", Some(&region)).await;
    let workshop = organization(s, "Workshop North", Some(&north)).await;
    let south = organization(s, "Depot South", Some(&region)).await;
    let nadia = s
        .create_user("Nadia Brandt", "nadia@depot.example", "technician")
        .await;
    give(s, nadia, &north, &["administrator"]).await;
    let sven = s
        .create_user("Sven Nordqvist", "sven@depot.example", "technician")
        .await;
    give(s, sven, &north, &["employee"]).await;
    let elodie = s
        .create_user("Élodie Müller", "elodie@depot.example", "technician")
        .await;
    give(s, elodie, &workshop, &["employee"]).await;
    let sara = s
        .create_user("Sara Süd", "sara.sued@depot.example", "technician")
        .await;
    give(s, sara, &south, &["employee"]).await;
    s.create_user("Tom Tech", "tom@depot.example", "technician")
        .await;
    Depots {
        north,
        workshop,
        south,
        sven,
    }
}

/// The client app signed in as `email`, driven by keys, its commands run for real.
struct Desk {
    app: App,
    client: ApiClient,
}

impl Desk {
    async fn open(s: &TestServer, email: &str) -> Desk {
        let client = ApiClient::new(&s.url, TIMEOUT).expect("a client");
        let login = client.login(email, PASSWORD).await.expect("signs in");
        let client = client.with_token(login.token);
        let mut app = App::new(s.url.clone(), Some(login.user), 5);
        app.set_today(Day::today());
        app.set_clock(Instant::now());
        let first = app.start();
        let mut desk = Desk { app, client };
        desk.settle(first).await;
        desk
    }

    async fn settle(&mut self, commands: Vec<Command>) -> Vec<Command> {
        desk::settle(&mut self.app, &self.client, commands).await
    }

    async fn press(&mut self, code: KeyCode) -> Vec<Command> {
        let commands = self.app.update(key(code));
        self.settle(commands).await
    }

    async fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    /// Typing pauses: the search goes and is answered.
    async fn pause(&mut self) -> Vec<Command> {
        self.app.advance_clock(SEARCH_PAUSE);
        let commands = self.app.update(Event::Wake);
        self.settle(commands).await
    }

    /// The Roles tab with the tree's selection on `id`.
    async fn select_organization(&mut self, id: &str) {
        if self.app.tab() != Tab::Roles {
            self.press(KeyCode::Char('4')).await;
        }
        self.press(KeyCode::Left).await;
        for _ in 0..self.app.roles().tree().len() {
            if self.selected() == Some(id.to_string()) {
                break;
            }
            self.press(KeyCode::Down).await;
        }
        assert_eq!(self.selected().as_deref(), Some(id));
    }

    fn selected(&self) -> Option<String> {
        self.app
            .roles()
            .selected_organization()
            .map(|org| org.id.clone())
    }

    fn form(&self) -> &RoleForm {
        match self.app.dialog() {
            Some(Dialog::RoleForm(form)) => form,
            other => panic!("no role form on top: {other:?}"),
        }
    }

    fn picker(&self) -> &Picker<String> {
        self.form().picker().expect("the picker is open")
    }

    /// In the open user picker: `query` typed over whatever was there, searched.
    async fn search(&mut self, query: &str) -> Vec<String> {
        for _ in 0..self.picker().filter_text().chars().count() {
            self.press(KeyCode::Backspace).await;
        }
        self.type_text(query).await;
        let ran = self.pause().await;
        assert!(
            matches!(ran.as_slice(), [Command::SearchUsers { query: sent, .. }] if sent == query),
            "{ran:?}"
        );
        self.picker()
            .visible_labels()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The listed (user, organization) pairs, sorted.
    fn listed(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self
            .app
            .roles()
            .shown_rows()
            .expect("the list is loaded")
            .into_iter()
            .map(|row| (row.user_name.clone(), row.organization_name.clone()))
            .collect();
        rows.sort();
        rows
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

async fn an_administrator_works_in_their_depot_and_below(s: &TestServer) {
    let d = depots(s).await;
    let mut desk = Desk::open(s, "nadia@depot.example").await;
    let ran = desk.press(KeyCode::Char('4')).await;
    assert!(
        ran.iter()
            .any(|command| matches!(command, Command::LoadMyRoles { .. })),
        "an administrator's own roles are loaded: {ran:?}"
    );
    desk.select_organization(&d.north).await;
    assert_eq!(
        desk.listed(),
        pairs(&[
            ("Nadia Brandt", "Depot North"),
            ("Sven Nordqvist", "Depot North")
        ])
    );
    // i: North with its workshop.
    let ran = desk.press(KeyCode::Char('i')).await;
    assert!(
        matches!(
            ran.as_slice(),
            [Command::LoadRoleAssignments { below: true, .. }]
        ),
        "{ran:?}"
    );
    assert_eq!(
        desk.listed(),
        pairs(&[
            ("Nadia Brandt", "Depot North"),
            ("Sven Nordqvist", "Depot North"),
            ("Élodie Müller", "Workshop North"),
        ])
    );

    // The form: users are searched on the server, within what Nadia administers.
    desk.press(KeyCode::Char('n')).await;
    assert_eq!(desk.form().focus(), RoleField::User);
    desk.press(KeyCode::Enter).await;
    assert_eq!(
        desk.search("muller").await,
        ["Élodie Müller <elodie@depot.example>"],
        "North's workshop, accents aside"
    );
    assert_eq!(
        desk.search("sara").await,
        Vec::<String>::new(),
        "not Depot South's people"
    );
    assert!(
        desk.picker()
            .status()
            .is_some_and(|status| status.contains("exact e-mail")),
        "{:?}",
        desk.picker().status()
    );
    assert_eq!(
        desk.search("sara.sued@depot.example").await,
        ["Sara Süd <sara.sued@depot.example>"],
        "anyone by the exact e-mail"
    );
    assert_eq!(
        desk.search("NORDQ").await,
        ["Sven Nordqvist <sven@depot.example>"]
    );
    desk.press(KeyCode::Enter).await;
    assert_eq!(
        desk.form().user().map(|user| user.id.clone()),
        Some(d.sven.to_string())
    );
    // Organizations: North and its workshop only (Shift-Tab from the roles).
    desk.press(KeyCode::BackTab).await;
    assert_eq!(desk.form().focus(), RoleField::Organization);
    desk.press(KeyCode::Enter).await;
    assert_eq!(
        desk.picker().visible_labels(),
        ["Depot North", "Workshop North"]
    );
    desk.press(KeyCode::Down).await;
    desk.press(KeyCode::Enter).await;
    assert_eq!(desk.form().organization().id, d.workshop);
    // Manager, open dates: saved.
    desk.press(KeyCode::Char('3')).await;
    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::SaveRoleAssignment(_))),
        "{ran:?}"
    );
    assert!(desk.app.dialog().is_none(), "{:?}", desk.app.dialog());
    let held = desk
        .client
        .role_assignments(Some(d.sven), Some(&d.workshop))
        .await
        .expect("his roles")
        .assignments;
    assert!(
        held.iter().any(|row| row.roles == [Role::Manager]),
        "{held:?}"
    );

    // The list with what is below shows it (live stream or not, the list follows).
    assert!(
        desk.listed()
            .contains(&("Sven Nordqvist".to_string(), "Workshop North".to_string())),
        "{:?}",
        desk.listed()
    );
    // The user view: every assignment of his, grouped by role.
    desk.press(KeyCode::Right).await;
    let sven_row = desk
        .app
        .roles()
        .shown_rows()
        .expect("listed")
        .iter()
        .position(|row| row.user_id == d.sven.to_string())
        .expect("Sven is listed");
    desk.press(KeyCode::Home).await;
    for _ in 0..sven_row {
        desk.press(KeyCode::Down).await;
    }
    // `u` here; Enter on the row opens the same view (roles_screens tests both).
    let ran = desk.press(KeyCode::Char('u')).await;
    assert_eq!(ran, [Command::LoadUserRoles { user_id: d.sven }]);
    let Some(Dialog::UserView(view)) = desk.app.dialog() else {
        panic!("the user view: {:?}", desk.app.dialog());
    };
    let roles: Vec<Role> = view.groups().into_iter().map(|(role, _)| role).collect();
    assert_eq!(roles, [Role::Employee, Role::Manager]);
    desk.press(KeyCode::Esc).await;

    // Depot South: the form may be sent, and the server's sentence comes back in it.
    desk.select_organization(&d.south).await;
    desk.press(KeyCode::Char('n')).await;
    desk.press(KeyCode::Enter).await;
    desk.search("sven").await;
    desk.press(KeyCode::Enter).await;
    desk.press(KeyCode::Char('1')).await;
    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::SaveRoleAssignment(_))),
        "{ran:?}"
    );
    let form = desk.form();
    assert!(!form.is_sending());
    let screen = {
        let backend = ratatui::backend::TestBackend::new(100, 30);
        let mut terminal = ratatui::Terminal::new(backend).expect("a terminal");
        terminal
            .draw(|frame| desk.app.draw(fleetdesk::tui::Theme::mono(), frame))
            .expect("drawn");
        let buffer = terminal.backend().buffer().clone();
        buffer
            .content()
            .chunks(100)
            .map(|row| row.iter().map(|cell| cell.symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let flat: String = screen
        .lines()
        .map(|line| line.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(&format!("✗ {REFUSED_SOUTH}")),
        "the server's sentence in the form:\n{screen}"
    );
    let south = desk
        .client
        .role_assignments(None, Some(&d.south))
        .await
        .expect("South's roles")
        .assignments;
    assert_eq!(south.len(), 1, "nothing was added in South: {south:?}");
}

async fn someone_who_administers_nothing_is_told_why(s: &TestServer) {
    let d = depots(s).await;
    let mut desk = Desk::open(s, "tom@depot.example").await;
    desk.select_organization(&d.north).await;
    desk.press(KeyCode::Char('n')).await;
    desk.press(KeyCode::Enter).await;
    assert!(desk.search("sven").await.is_empty());
    assert_eq!(
        desk.picker().status(),
        Some(
            "Finding users needs a fleet admin account, or administrator or \
             main_administrator in some organization, valid today."
        )
    );
    // And the organization picker has nothing to offer.
    desk.press(KeyCode::Esc).await;
    desk.press(KeyCode::BackTab).await;
    desk.press(KeyCode::BackTab).await;
    desk.press(KeyCode::BackTab).await;
    desk.press(KeyCode::BackTab).await;
    assert_eq!(desk.form().focus(), RoleField::Organization);
    desk.press(KeyCode::Enter).await;
    assert!(desk.form().picker().is_none());
    assert!(desk.app.flash().is_some_and(|flash| flash
        .text
        .starts_with("You may assign roles in no organization")));
}

on_both_databases!(
    an_administrator_works_in_their_depot_and_below,
    someone_who_administers_nothing_is_told_why
);
