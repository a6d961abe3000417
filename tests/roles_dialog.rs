//! The terminal client's Roles tab and role conflict dialog, driven by keys against the real
//! server in-process: every command `update` returns is run for real with
//! `runtime::execute` and its answer fed back, and the outcome is read back over the API.

mod common;

use std::time::Instant;

use common::desk::{key, settle};
use common::{desk, TestServer, ADMIN_EMAIL, ADMIN_PASSWORD};
use crossterm::event::KeyCode;
use fleetdesk::api::dates::{Day, DEFAULT_VALID_TO};
use fleetdesk::api::roles::{
    ConflictType, NewOrganization, Role, RoleAssignmentRequest, RoleAssignmentRow, UserIdValue,
};
use fleetdesk::client::ApiClient;
use fleetdesk::tui::{
    App, Chosen, Command, Dialog, Event, FlashKind, RoleConflict, RoleField, RoleForm, RolesFocus,
    Tab, SEARCH_PAUSE,
};
use reqwest::StatusCode;
use serde_json::json;

const ORG: &str = "Depot North";
const USER: &str = "Rosa Lindqvist";
const CONFLICT_MESSAGE: &str = "Dates may not overlap. Rosa Lindqvist has already a role in the \
     organization unit Depot North which is in conflict with the new permission.";

fn day(text: &str) -> Day {
    text.parse().expect("a test date")
}

/// The app, signed in as the admin, with everything it loads at start loaded.
struct Desk {
    app: App,
    client: ApiClient,
}

impl Desk {
    async fn open(s: &TestServer) -> Desk {
        let client = admin_client(s).await;
        let admin = client.me().await.expect("the admin's record").user;
        let mut app = App::new(s.url.clone(), Some(admin), 5);
        app.set_today(day("2025-06-15"));
        // The app's clock moves by hand: a search goes when typing has paused.
        app.set_clock(Instant::now());
        let first = app.start();
        assert!(!first.is_empty(), "a signed-in start loads the screens");
        settle(&mut app, &client, first).await;
        Desk { app, client }
    }

    /// The screen's text, as drawn at `width`×`height`.
    fn screen(&mut self, width: u16, height: u16) -> String {
        desk::screen_text(&mut self.app, width, height)
    }

    /// One key, and everything it leads to; returns the commands that ran.
    async fn press(&mut self, code: KeyCode) -> Vec<Command> {
        let commands = self.app.update(key(code));
        settle(&mut self.app, &self.client, commands).await
    }

    async fn type_text(&mut self, text: &str) {
        desk::type_text(&mut self.app, &self.client, text).await
    }

    /// Typing pauses: the search typed in the user picker goes, and its answer comes.
    async fn pause(&mut self) -> Vec<Command> {
        self.app.advance_clock(SEARCH_PAUSE);
        let commands = self.app.update(Event::Wake);
        settle(&mut self.app, &self.client, commands).await
    }

    async fn backspace(&mut self, times: usize) {
        for _ in 0..times {
            self.press(KeyCode::Backspace).await;
        }
    }

    /// Opens the Roles tab and moves the tree's selection down to `id`.
    async fn select_organization(&mut self, id: &str) {
        self.press(KeyCode::Char('4')).await;
        assert_eq!(self.app.tab(), Tab::Roles);
        assert!(self.app.roles().is_loaded(), "the organizations are loaded");
        assert_eq!(self.app.roles().focus(), RolesFocus::Tree);
        for _ in 0..self.app.roles().tree().len() {
            if self.selected_organization().as_deref() == Some(id) {
                break;
            }
            self.press(KeyCode::Down).await;
        }
        assert_eq!(self.selected_organization().as_deref(), Some(id));
        assert!(
            self.app.roles().shown_rows().is_some(),
            "the organization's assignments are loaded"
        );
    }

    fn selected_organization(&self) -> Option<String> {
        self.app
            .roles()
            .selected_organization()
            .map(|o| o.id.clone())
    }

    /// Fills the role form for `scene`'s user with employee over `from`..`to` and sends it.
    async fn send_new_assignment(&mut self, scene: &Scene, from: &str, to: &str) -> Vec<Command> {
        self.select_organization(&scene.org).await;
        self.press(KeyCode::Char('n')).await;
        assert_eq!(role_form(&self.app).focus(), RoleField::User);
        assert_eq!(role_form(&self.app).organization().id, scene.org);
        // Enter on the User field opens the picker; what is typed is searched for.
        self.press(KeyCode::Enter).await;
        self.type_text("lindq").await;
        let ran = self.pause().await;
        assert!(
            matches!(ran.as_slice(), [Command::SearchUsers { query, .. }] if query == "lindq"),
            "{ran:?}"
        );
        let Some(picker) = role_form(&self.app).picker() else {
            panic!("expected the user picker, got {:?}", self.app.dialog());
        };
        let labels = picker.visible_labels();
        assert_eq!(labels, ["Rosa Lindqvist <rosa@depot.example>"]);
        self.press(KeyCode::Enter).await;
        let form = role_form(&self.app);
        assert_eq!(
            form.user(),
            Some(&Chosen {
                id: scene.user.to_string(),
                label: USER.to_string()
            })
        );
        assert_eq!(form.focus(), RoleField::Roles);
        self.press(KeyCode::Char(' ')).await;
        assert_eq!(role_form(&self.app).ticked_roles(), [Role::Employee]);
        self.press(KeyCode::Tab).await;
        assert_eq!(role_form(&self.app).focus(), RoleField::ValidFrom);
        self.type_text(from).await;
        self.press(KeyCode::Tab).await;
        assert_eq!(role_form(&self.app).focus(), RoleField::ValidTo);
        self.type_text(to).await;
        self.press(KeyCode::Enter).await
    }

    /// Sends the form with 2025-03-01..2025-08-31 and checks the dialog that opens.
    async fn open_conflict(&mut self, scene: &Scene) {
        let ran = self
            .send_new_assignment(scene, "2025-03-01", "2025-08-31")
            .await;
        let Some(Command::SaveRoleAssignment(request)) = ran.first() else {
            panic!("expected the form to send a save first, got {ran:?}");
        };
        assert_eq!(*request, scene.request());
        let dialog = conflict(&self.app);
        assert_eq!(dialog.message(), CONFLICT_MESSAGE);
        assert_eq!(dialog.why(), None);
        assert!(!dialog.is_sending());
        assert_eq!(*dialog.request(), scene.request());
        assert_eq!(
            (dialog.user_name(), dialog.organization_name()),
            (USER, ORG)
        );
        assert_eq!(items_of(dialog), scene.suggestions());
        assert_eq!(dialog.items(), dialog.suggested());
        assert!(dialog.outcome().is_ok(), "{:?}", dialog.outcome());
        // The form stays underneath, to go back to.
        let dialogs = self.app.dialogs();
        let under = dialogs.len().checked_sub(2);
        assert!(matches!(
            under.and_then(|index| dialogs.get(index)),
            Some(Dialog::RoleForm(_))
        ));
    }

    /// The user's rows as the app's list shows them.
    fn listed(&self, user: i64) -> Vec<RoleAssignmentRow> {
        self.app
            .roles()
            .shown_rows()
            .expect("the list is loaded")
            .into_iter()
            .filter(|row| row.user_id == user.to_string())
            .cloned()
            .collect()
    }

    fn flash(&self) -> (FlashKind, String) {
        let flash = self.app.flash().expect("a flash message");
        (flash.kind, flash.text.clone())
    }
}

fn role_form(app: &App) -> &RoleForm {
    match app.dialog() {
        Some(Dialog::RoleForm(form)) => form,
        other => panic!("expected the role form on top, got {other:?}"),
    }
}

fn conflict(app: &App) -> &RoleConflict {
    match app.dialog() {
        Some(Dialog::RoleConflict(dialog)) => dialog,
        other => panic!("expected the role conflict dialog on top, got {other:?}"),
    }
}

/// (relId, conflict type, suggested from, suggested to, current from) per item.
type ItemSummary = (Option<i64>, ConflictType, String, String, Option<String>);

fn items_of(dialog: &RoleConflict) -> Vec<ItemSummary> {
    dialog
        .items()
        .iter()
        .map(|item| {
            (
                item.rel_id,
                item.conflict_type,
                item.valid_from.date_only(),
                item.valid_to.date_only(),
                item.current_valid_from.map(|d| d.date_only()),
            )
        })
        .collect()
}

fn summary(
    rel_id: Option<i64>,
    kind: ConflictType,
    from: &str,
    to: &str,
    current_from: Option<&str>,
) -> ItemSummary {
    (
        rel_id,
        kind,
        from.to_string(),
        to.to_string(),
        current_from.map(str::to_string),
    )
}

async fn admin_client(s: &TestServer) -> ApiClient {
    desk::signed_in(s, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

/// Rosa in Depot North: employee 01-01..03-31, employee+approver 05-01..05-31 and employee
/// 07-01..12-31 of 2025; around her, a colleague in the same organization and an overlapping
/// assignment of hers in another one, neither of which the dialog may touch.
struct Scene {
    org: String,
    other_org: String,
    user: i64,
    early: i64,
    middle: i64,
    late: i64,
    colleague: i64,
    elsewhere: i64,
}

impl Scene {
    async fn build(s: &TestServer, client: &ApiClient) -> Scene {
        let other_org = organization(client, "Alpha Yard", None).await;
        let org = organization(client, ORG, None).await;
        organization(client, "Workshop North", Some(&org)).await;
        let user = s
            .create_user(USER, "rosa@depot.example", "technician")
            .await;
        let colleague = s
            .create_user("Bo Chen", "bo@depot.example", "technician")
            .await;
        let early = grant(
            client,
            user,
            &org,
            &[Role::Employee],
            "2025-01-01",
            "2025-03-31",
        )
        .await;
        let middle = grant(
            client,
            user,
            &org,
            &[Role::Employee, Role::Approver],
            "2025-05-01",
            "2025-05-31",
        )
        .await;
        let late = grant(
            client,
            user,
            &org,
            &[Role::Employee],
            "2025-07-01",
            "2025-12-31",
        )
        .await;
        let colleague = grant(client, colleague, &org, &[Role::Manager], "2025-01-01", "").await;
        let elsewhere = grant(
            client,
            user,
            &other_org,
            &[Role::Employee],
            "2025-01-01",
            "2025-12-31",
        )
        .await;
        Scene {
            org,
            other_org,
            user,
            early,
            middle,
            late,
            colleague,
            elsewhere,
        }
    }

    /// What the form sends for employee 2025-03-01..2025-08-31.
    fn request(&self) -> RoleAssignmentRequest {
        RoleAssignmentRequest {
            rel_id: None,
            role: Some(Role::Employee),
            roles: None,
            user_id: UserIdValue::Text(self.user.to_string()),
            organization_id: self.org.clone(),
            valid_from: Some("2025-03-01".to_string()),
            valid_to: Some("2025-08-31".to_string()),
        }
    }

    /// The server's suggestions for `request` over the untouched scene: one of each type.
    fn suggestions(&self) -> Vec<ItemSummary> {
        vec![
            summary(
                Some(self.early),
                ConflictType::DateToUpdated,
                "2025-01-01",
                "2025-02-28",
                Some("2025-01-01"),
            ),
            summary(
                None,
                ConflictType::NoUpdate,
                "2025-03-01",
                "2025-08-31",
                None,
            ),
            summary(
                Some(self.middle),
                ConflictType::ToDelete,
                "2025-05-01",
                "2025-05-31",
                Some("2025-05-01"),
            ),
            summary(
                Some(self.late),
                ConflictType::DateFromUpdated,
                "2025-09-01",
                "2025-12-31",
                Some("2025-07-01"),
            ),
        ]
    }

    /// Rosa's assignments in Depot North, by start.
    async fn held(&self, client: &ApiClient) -> Vec<RoleAssignmentRow> {
        client
            .role_assignments(Some(self.user), Some(&self.org))
            .await
            .expect("the listing")
            .assignments
    }

    /// The colleague's row and Rosa's row in the other organization, unchanged.
    async fn assert_bystanders_untouched(&self, client: &ApiClient) {
        let all = client
            .role_assignments(None, None)
            .await
            .expect("the listing")
            .assignments;
        let colleague = all
            .iter()
            .find(|row| row.rel_id == self.colleague)
            .expect("the colleague's assignment is still there");
        assert_eq!(
            (colleague.valid_from, colleague.valid_to),
            (day("2025-01-01"), DEFAULT_VALID_TO)
        );
        let elsewhere = all
            .iter()
            .find(|row| row.rel_id == self.elsewhere)
            .expect("the assignment in the other organization is still there");
        assert_eq!(elsewhere.organization_id, self.other_org);
        assert_eq!(
            (elsewhere.valid_from, elsewhere.valid_to),
            (day("2025-01-01"), day("2025-12-31"))
        );
    }
}

async fn organization(client: &ApiClient, name: &str, parent: Option<&str>) -> String {
    client
        .create_organization(&NewOrganization {
            name: name.to_string(),
            parent_id: parent.map(str::to_string),
        })
        .await
        .expect("the organization is created")
        .organization
        .id
}

/// Creates an assignment over the API; an empty date is the open default.
async fn grant(
    client: &ApiClient,
    user: i64,
    org: &str,
    roles: &[Role],
    from: &str,
    to: &str,
) -> i64 {
    let request = RoleAssignmentRequest {
        rel_id: None,
        role: None,
        roles: Some(roles.to_vec()),
        user_id: UserIdValue::Text(user.to_string()),
        organization_id: org.to_string(),
        valid_from: Some(from.to_string()),
        valid_to: Some(to.to_string()),
    };
    let answer = client
        .save_role_assignment(&request)
        .await
        .expect("the assignment is created");
    answer
        .items
        .first()
        .and_then(|item| item.rel_id)
        .expect("the relId of the new assignment")
}

/// (roles, from, to) per row: what the user sees of an assignment.
fn spans(rows: &[RoleAssignmentRow]) -> Vec<(Vec<Role>, String, String)> {
    rows.iter()
        .map(|row| {
            (
                row.roles.clone(),
                row.valid_from.date_only(),
                row.valid_to.date_only(),
            )
        })
        .collect()
}

fn span(roles: &[Role], from: &str, to: &str) -> (Vec<Role>, String, String) {
    (roles.to_vec(), from.to_string(), to.to_string())
}

/// Changes an assignment's dates behind the app's back, as another admin would.
async fn redate(s: &TestServer, scene: &Scene, rel_id: i64, roles: &[&str], from: &str, to: &str) {
    let reply = s
        .post(
            "/api/users/assignment",
            json!({"relId": rel_id, "roles": roles, "userId": scene.user.to_string(),
                   "organizationId": scene.org, "validFrom": from, "validTo": to}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.body["items"][0]["message"],
        "The assignment was successfully updated."
    );
}

// ---- the tests ----

/// Enter accepts every suggestion: one resolve, the trimmed state on the server and in the list.
async fn accepting_the_suggestions_trims_the_rest(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    desk.open_conflict(&scene).await;
    // Nothing was written by the refused save.
    assert_eq!(scene.held(&desk.client).await.len(), 3);

    let sent_items = conflict(&desk.app).items().to_vec();
    let ran = desk.press(KeyCode::Enter).await;
    match ran.first() {
        Some(Command::ResolveRoleConflict(resolve)) => {
            assert_eq!(resolve.request, scene.request());
            assert_eq!(resolve.resolution, sent_items);
        }
        other => panic!("expected a resolve first, got {other:?}"),
    }
    assert!(
        desk.app.dialogs().is_empty(),
        "the form and the dialog close: {:?}",
        desk.app.dialogs()
    );
    assert_eq!(
        desk.flash(),
        (
            FlashKind::Success,
            "The assignment was successfully created.".to_string()
        )
    );

    let held = scene.held(&desk.client).await;
    assert_eq!(
        spans(&held),
        [
            span(&[Role::Employee], "2025-01-01", "2025-02-28"),
            span(&[Role::Employee], "2025-03-01", "2025-08-31"),
            span(&[Role::Employee], "2025-09-01", "2025-12-31"),
        ]
    );
    assert_eq!((held[0].rel_id, held[2].rel_id), (scene.early, scene.late));
    assert!(
        ![scene.early, scene.middle, scene.late].contains(&held[1].rel_id),
        "the request is a new assignment"
    );
    assert!(held.iter().all(|row| row.rel_id != scene.middle));
    scene.assert_bystanders_untouched(&desk.client).await;
    // The list was reloaded after the change: it shows what the server holds.
    assert_eq!(desk.listed(scene.user), held);
}

/// `e` edits a suggestion's dates; the local check refuses an overlap before anything is sent
/// and accepts a clean edit, which the server then applies as edited.
async fn edited_suggestions_are_checked_then_applied(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    let before = scene.held(&desk.client).await;
    desk.open_conflict(&scene).await;
    assert_eq!(
        conflict(&desk.app).selected(),
        0,
        "the first row is the early one"
    );

    // The early assignment ends 2025-03-15: still inside the new range.
    desk.press(KeyCode::Char('e')).await;
    let edit = conflict(&desk.app).editing().expect("the date editor");
    assert_eq!(
        (edit.values(), edit.is_on_to()),
        (("2025-01-01", "2025-02-28"), false)
    );
    desk.press(KeyCode::Tab).await;
    desk.backspace("02-28".len()).await;
    desk.type_text("03-15").await;
    desk.press(KeyCode::Enter).await;
    let dialog = conflict(&desk.app);
    assert!(!dialog.is_editing());
    assert!(dialog.is_edited(0));
    assert_eq!(dialog.items()[0].valid_to, day("2025-03-15"));
    let why = dialog
        .outcome()
        .as_ref()
        .expect_err("the edit still overlaps")
        .clone();
    assert!(why.contains("overlap"), "{why}");
    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        ran.is_empty(),
        "an overlapping resolution is not sent: {ran:?}"
    );
    let dialog = conflict(&desk.app);
    assert!(!dialog.is_sending());
    let error = dialog
        .error()
        .expect("the reason it was not sent")
        .to_string();
    assert!(error.starts_with("Not sent."), "{error}");
    // The reason is on the verdict line already; the error only says what to do.
    assert!(!error.contains(why.as_str()), "the reason twice: {error}");
    let screen = desk.screen(120, 40);
    let head: String = why.chars().take(20).collect();
    assert_eq!(
        screen.matches(head.as_str()).count(),
        1,
        "the reason once on the screen:\n{screen}"
    );
    assert_eq!(scene.held(&desk.client).await, before);

    // `u` goes back to the server's suggestions.
    desk.press(KeyCode::Char('u')).await;
    let dialog = conflict(&desk.app);
    assert_eq!(items_of(dialog), scene.suggestions());
    assert!(dialog.outcome().is_ok(), "{:?}", dialog.outcome());
    assert_eq!(dialog.error(), None);

    // Ending earlier than suggested leaves a gap, which is fine.
    desk.press(KeyCode::Char('e')).await;
    desk.press(KeyCode::Tab).await;
    desk.backspace("02-28".len()).await;
    desk.type_text("02-15").await;
    desk.press(KeyCode::Enter).await;
    let dialog = conflict(&desk.app);
    assert!(!dialog.is_editing());
    assert!(dialog.is_edited(0) && !dialog.is_edited(3));
    assert_eq!(
        items_of(dialog)[0],
        summary(
            Some(scene.early),
            ConflictType::DateToUpdated,
            "2025-01-01",
            "2025-02-15",
            Some("2025-01-01")
        )
    );
    assert!(dialog.outcome().is_ok(), "{:?}", dialog.outcome());

    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::ResolveRoleConflict(r)) if r.resolution[0].valid_to == day("2025-02-15")),
        "{ran:?}"
    );
    assert!(desk.app.dialogs().is_empty(), "{:?}", desk.app.dialogs());
    assert_eq!(desk.flash().0, FlashKind::Success);
    let held = scene.held(&desk.client).await;
    assert_eq!(
        spans(&held),
        [
            span(&[Role::Employee], "2025-01-01", "2025-02-15"),
            span(&[Role::Employee], "2025-03-01", "2025-08-31"),
            span(&[Role::Employee], "2025-09-01", "2025-12-31"),
        ]
    );
    assert_eq!(held[0].rel_id, scene.early);
    assert_eq!(desk.listed(scene.user), held);
}

/// Esc in the dialog changes nothing and goes back to the form, input intact.
async fn cancelling_changes_nothing(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    let everything = |client: ApiClient| async move {
        client
            .role_assignments(None, None)
            .await
            .expect("the listing")
            .assignments
    };
    let before = everything(desk.client.clone()).await;
    desk.open_conflict(&scene).await;

    let ran = desk.press(KeyCode::Esc).await;
    assert!(ran.is_empty(), "{ran:?}");
    assert_eq!(
        desk.flash(),
        (FlashKind::Info, "Cancelled; nothing changed.".to_string())
    );
    assert_eq!(desk.app.dialogs().len(), 1, "{:?}", desk.app.dialogs());
    let form = role_form(&desk.app);
    assert_eq!(form.rel_id(), None);
    assert_eq!(
        form.user().map(|user| user.id.clone()),
        Some(scene.user.to_string())
    );
    assert_eq!(form.organization().id, scene.org);
    assert_eq!(form.ticked_roles(), [Role::Employee]);
    assert_eq!(form.dates(), ("2025-03-01", "2025-08-31"));
    assert!(!form.is_sending(), "the form can be sent again");
    assert_eq!(everything(desk.client.clone()).await, before);

    // The form is live: Enter asks again and gets the same dialog.
    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::SaveRoleAssignment(r)) if *r == scene.request()),
        "{ran:?}"
    );
    assert_eq!(items_of(conflict(&desk.app)), scene.suggestions());
    desk.press(KeyCode::Esc).await;
    assert_eq!(everything(desk.client.clone()).await, before);
}

/// A conflicting assignment changes behind the app's back: the resolve is refused as stale,
/// the dialog shows fresh suggestions and says why; accepting those applies them.
async fn a_stale_resolve_brings_fresh_suggestions(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    desk.open_conflict(&scene).await;

    redate(
        s,
        &scene,
        scene.late,
        &["employee"],
        "2025-08-15",
        "2025-12-31",
    )
    .await;
    let after_change = scene.held(&desk.client).await;
    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::ResolveRoleConflict(_))),
        "{ran:?}"
    );
    assert!(
        !ran.iter()
            .any(|command| matches!(command, Command::SaveRoleAssignment(_))),
        "a stale resolve with suggestions is not sent again by itself: {ran:?}"
    );
    let dialog = conflict(&desk.app);
    let why = dialog.why().expect("the dialog says why it changed");
    assert!(why.contains("changed meanwhile"), "{why}");
    assert!(
        dialog.message().contains("nothing was applied"),
        "{}",
        dialog.message()
    );
    assert!(!dialog.is_sending(), "the fresh suggestions can be sent");
    assert_eq!(*dialog.request(), scene.request());
    let mut fresh = scene.suggestions();
    fresh[3] = summary(
        Some(scene.late),
        ConflictType::DateFromUpdated,
        "2025-09-01",
        "2025-12-31",
        Some("2025-08-15"),
    );
    assert_eq!(items_of(dialog), fresh);
    assert_eq!(dialog.items(), dialog.suggested());
    assert!(dialog.outcome().is_ok(), "{:?}", dialog.outcome());
    assert_eq!(
        scene.held(&desk.client).await,
        after_change,
        "nothing applied"
    );

    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::ResolveRoleConflict(_))),
        "{ran:?}"
    );
    assert!(desk.app.dialogs().is_empty(), "{:?}", desk.app.dialogs());
    assert_eq!(desk.flash().0, FlashKind::Success);
    let held = scene.held(&desk.client).await;
    assert_eq!(
        spans(&held),
        [
            span(&[Role::Employee], "2025-01-01", "2025-02-28"),
            span(&[Role::Employee], "2025-03-01", "2025-08-31"),
            span(&[Role::Employee], "2025-09-01", "2025-12-31"),
        ]
    );
    assert_eq!((held[0].rel_id, held[2].rel_id), (scene.early, scene.late));
    assert_eq!(desk.listed(scene.user), held);
    scene.assert_bystanders_untouched(&desk.client).await;
}

/// Behind the app's back every overlap goes away: the resolve answers 409 with no items and
/// the app sends the plain request, which goes through.
async fn a_stale_resolve_without_overlaps_sends_the_request(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    desk.open_conflict(&scene).await;

    redate(
        s,
        &scene,
        scene.early,
        &["employee"],
        "2025-01-01",
        "2025-01-31",
    )
    .await;
    desk.client
        .delete_role_assignment(scene.middle)
        .await
        .expect("deleted behind the app's back");
    redate(
        s,
        &scene,
        scene.late,
        &["employee"],
        "2025-10-01",
        "2025-12-31",
    )
    .await;

    let ran = desk.press(KeyCode::Enter).await;
    match ran.as_slice() {
        [Command::ResolveRoleConflict(_), Command::SaveRoleAssignment(request), ..] => {
            assert_eq!(*request, scene.request())
        }
        other => panic!("expected a resolve, then the plain save: {other:?}"),
    }
    assert!(desk.app.dialogs().is_empty(), "{:?}", desk.app.dialogs());
    assert_eq!(
        desk.flash(),
        (
            FlashKind::Success,
            "The assignment was successfully created.".to_string()
        )
    );
    let held = scene.held(&desk.client).await;
    assert_eq!(
        spans(&held),
        [
            span(&[Role::Employee], "2025-01-01", "2025-01-31"),
            span(&[Role::Employee], "2025-03-01", "2025-08-31"),
            span(&[Role::Employee], "2025-10-01", "2025-12-31"),
        ]
    );
    assert_eq!((held[0].rel_id, held[2].rel_id), (scene.early, scene.late));
    assert_eq!(desk.listed(scene.user), held);
}

/// `→` to the list, pick a row, `d`: `n` keeps it, `y` deletes it on the server and in the list.
async fn deleting_from_the_tab(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    desk.select_organization(&scene.org).await;
    desk.press(KeyCode::Right).await;
    assert_eq!(desk.app.roles().focus(), RolesFocus::List);
    let shown = desk.app.roles().shown_rows().expect("loaded").len();
    assert_eq!(shown, 4, "the colleague's row and Rosa's three");
    for _ in 0..shown {
        if desk.app.roles().selected_assignment().map(|row| row.rel_id) == Some(scene.middle) {
            break;
        }
        desk.press(KeyCode::Down).await;
    }
    let row = desk
        .app
        .roles()
        .selected_assignment()
        .expect("a selected row");
    assert_eq!(row.rel_id, scene.middle);

    desk.press(KeyCode::Char('d')).await;
    match desk.app.dialog() {
        Some(Dialog::Confirm(confirm)) => {
            assert_eq!(
                confirm.message(),
                "Delete Rosa Lindqvist's employee, approver in Depot North (2025-05-01 to 2025-05-31)?"
            );
            assert_eq!(
                *confirm.on_yes(),
                Command::DeleteRoleAssignment(scene.middle)
            );
        }
        other => panic!("expected a confirmation, got {other:?}"),
    }
    let ran = desk.press(KeyCode::Char('n')).await;
    assert!(ran.is_empty(), "{ran:?}");
    assert!(desk.app.dialogs().is_empty());
    assert_eq!(scene.held(&desk.client).await.len(), 3, "`n` keeps it");

    desk.press(KeyCode::Char('d')).await;
    let ran = desk.press(KeyCode::Char('y')).await;
    assert_eq!(
        ran.first(),
        Some(&Command::DeleteRoleAssignment(scene.middle))
    );
    assert!(desk.app.dialogs().is_empty(), "{:?}", desk.app.dialogs());
    assert_eq!(
        desk.flash(),
        (
            FlashKind::Success,
            "The assignment was successfully deleted.".to_string()
        )
    );
    let held = scene.held(&desk.client).await;
    assert_eq!(
        spans(&held),
        [
            span(&[Role::Employee], "2025-01-01", "2025-03-31"),
            span(&[Role::Employee], "2025-07-01", "2025-12-31"),
        ]
    );
    assert_eq!(desk.listed(scene.user), held);
    assert_eq!(
        desk.app.roles().shown_rows().map(|rows| rows.len()),
        Some(3)
    );
    assert!(
        desk.app.roles().selected_assignment().is_some(),
        "the selection stays on a row"
    );
    scene.assert_bystanders_untouched(&desk.client).await;
}

/// `e` on a row edits it; a conflicting edit opens the dialog, whose own row cannot be edited
/// there, and accepting updates the assignment in place.
async fn editing_a_row_into_a_conflict(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    desk.select_organization(&scene.org).await;
    desk.press(KeyCode::Right).await;
    for _ in 0..4 {
        if desk.app.roles().selected_assignment().map(|row| row.rel_id) == Some(scene.early) {
            break;
        }
        desk.press(KeyCode::Down).await;
    }
    desk.press(KeyCode::Char('e')).await;
    let form = role_form(&desk.app);
    assert_eq!(form.rel_id(), Some(scene.early));
    assert_eq!(form.focus(), RoleField::Roles);
    // Who and where are fixed: Tab goes from the roles to the dates.
    desk.press(KeyCode::Tab).await;
    desk.press(KeyCode::Tab).await;
    assert_eq!(role_form(&desk.app).focus(), RoleField::ValidTo);
    desk.backspace("03-31".len()).await;
    desk.type_text("06-15").await;
    let ran = desk.press(KeyCode::Enter).await;
    let edit = RoleAssignmentRequest {
        rel_id: Some(scene.early),
        valid_from: Some("2025-01-01".to_string()),
        valid_to: Some("2025-06-15".to_string()),
        ..scene.request()
    };
    assert_eq!(
        ran.first(),
        Some(&Command::SaveRoleAssignment(edit.clone()))
    );
    let dialog = conflict(&desk.app);
    assert_eq!(dialog.message(), CONFLICT_MESSAGE);
    assert_eq!(
        items_of(dialog),
        [
            summary(
                Some(scene.early),
                ConflictType::NoUpdate,
                "2025-01-01",
                "2025-06-15",
                Some("2025-01-01")
            ),
            summary(
                Some(scene.middle),
                ConflictType::ToDelete,
                "2025-05-01",
                "2025-05-31",
                Some("2025-05-01")
            ),
        ]
    );
    assert!(dialog.outcome().is_ok(), "{:?}", dialog.outcome());
    desk.press(KeyCode::Char('e')).await;
    let dialog = conflict(&desk.app);
    assert!(!dialog.is_editing());
    let error = dialog.error().expect("why the row is fixed");
    assert!(error.contains("the assignment you asked for"), "{error}");

    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::ResolveRoleConflict(r)) if r.request == edit),
        "{ran:?}"
    );
    assert!(desk.app.dialogs().is_empty(), "{:?}", desk.app.dialogs());
    assert_eq!(
        desk.flash(),
        (
            FlashKind::Success,
            "The assignment was successfully updated.".to_string()
        )
    );
    let held = scene.held(&desk.client).await;
    assert_eq!(
        spans(&held),
        [
            span(&[Role::Employee], "2025-01-01", "2025-06-15"),
            span(&[Role::Employee], "2025-07-01", "2025-12-31"),
        ]
    );
    assert_eq!((held[0].rel_id, held[1].rel_id), (scene.early, scene.late));
    assert_eq!(desk.listed(scene.user), held);
}

/// The form's organization changed to one that is not selected in the tree, whose list the
/// app loaded earlier and which has changed since: the dialog must still accept the server's
/// suggestions, which do resolve the conflict.
async fn a_conflict_outside_the_selected_organization(s: &TestServer) {
    let mut desk = Desk::open(s).await;
    let scene = Scene::build(s, &desk.client).await;
    // Depot North's list is loaded, then the tree moves on to Alpha Yard.
    desk.select_organization(&scene.org).await;
    desk.press(KeyCode::Up).await;
    assert_eq!(desk.selected_organization(), Some(scene.other_org.clone()));
    desk.client
        .delete_role_assignment(scene.middle)
        .await
        .expect("deleted behind the app's back");

    desk.press(KeyCode::Char('n')).await;
    desk.press(KeyCode::Enter).await;
    desk.type_text("lindq").await;
    desk.pause().await;
    desk.press(KeyCode::Enter).await;
    desk.press(KeyCode::BackTab).await;
    assert_eq!(role_form(&desk.app).focus(), RoleField::Organization);
    desk.press(KeyCode::Enter).await;
    desk.type_text("depot").await;
    desk.press(KeyCode::Enter).await;
    assert_eq!(role_form(&desk.app).organization().id, scene.org);
    desk.press(KeyCode::Char(' ')).await;
    desk.press(KeyCode::Tab).await;
    desk.type_text("2025-03-01").await;
    desk.press(KeyCode::Tab).await;
    desk.type_text("2025-08-31").await;
    let ran = desk.press(KeyCode::Enter).await;
    assert_eq!(
        ran.first(),
        Some(&Command::SaveRoleAssignment(scene.request()))
    );
    let dialog = conflict(&desk.app);
    let mut expected = scene.suggestions();
    expected.remove(2);
    assert_eq!(items_of(dialog), expected, "the server knows it is gone");
    assert!(
        dialog.outcome().is_ok(),
        "the server's suggestions resolve the conflict, but the local check says {:?}",
        dialog.outcome()
    );

    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::ResolveRoleConflict(_))),
        "Enter sends the resolve: {ran:?} (dialog error: {:?})",
        desk.app.dialog()
    );
    assert!(desk.app.dialogs().is_empty(), "{:?}", desk.app.dialogs());
    let held = scene.held(&desk.client).await;
    assert_eq!(
        spans(&held),
        [
            span(&[Role::Employee], "2025-01-01", "2025-02-28"),
            span(&[Role::Employee], "2025-03-01", "2025-08-31"),
            span(&[Role::Employee], "2025-09-01", "2025-12-31"),
        ]
    );
}

on_both_databases!(
    accepting_the_suggestions_trims_the_rest,
    edited_suggestions_are_checked_then_applied,
    cancelling_changes_nothing,
    a_stale_resolve_brings_fresh_suggestions,
    a_stale_resolve_without_overlaps_sends_the_request,
    deleting_from_the_tab,
    editing_a_row_into_a_conflict,
    a_conflict_outside_the_selected_organization,
);
