//! The live terminal against the real server, on SQLite and PostgreSQL: the typed client's
//! event stream is open once `open` returns (a change made right after reaches it), and two
//! dispatchers' apps follow each other: what A does shows in B's lists, marked and named in
//! B's footer, and in B's Activity tab, with every command run for real (`execute`) and
//! every event taken from B's own stream. A technician's app shows the activity log as
//! refused and still gets the role events.

mod common;

use std::time::Duration;

use common::desk::{self, settle};
use common::{DbKind, TestDatabase, TestServer, ADMIN_EMAIL, ADMIN_PASSWORD};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdesk::api::events::{EventData, EventKind};
use fleetdesk::api::NewAssignment;
use fleetdesk::client::{ApiClient, ClientError, EventStream, StreamItem};
use fleetdesk::tui::{App, Command, Event, Feed, StreamUpdate, Tab};
use serde_json::json;

const SOON: Duration = Duration::from_secs(10);

async fn client_for(s: &TestServer, email: &str, password: &str) -> ApiClient {
    desk::signed_in(s, email, password).await
}

/// One dispatcher's app with its client and its own event stream.
struct Desk {
    app: App,
    client: ApiClient,
    stream: EventStream,
}

impl Desk {
    async fn open(s: &TestServer, email: &str, password: &str) -> Desk {
        let client = client_for(s, email, password).await;
        let user = client.me().await.expect("who").user;
        let mut app = App::new(s.url.clone(), Some(user), 5);
        let first = app.start();
        settle(&mut app, &client, first).await;
        assert_eq!(app.feed(), Feed::Connecting);
        // As the runtime does: open the stream, then tell the app (which loads again, since
        // the stream has nothing to resume from).
        let mut stream = client.events(app.last_event_id());
        stream.open().await.expect("the stream opens");
        let reload = app.update(Event::Stream(Box::new(StreamUpdate::Connected {
            resumed: stream.last_id().is_some(),
        })));
        assert!(reload.contains(&Command::LoadVehicles), "{reload:?}");
        settle(&mut app, &client, reload).await;
        assert_eq!(app.feed(), Feed::Up);
        Desk {
            app,
            client,
            stream,
        }
    }

    /// Takes events from the stream into the app until `done` holds.
    async fn follow_until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = tokio::time::Instant::now() + SOON;
        while !done(&self.app) {
            let item = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .unwrap_or_else(|_| panic!("waited {SOON:?} for {what}"))
                .expect("the stream goes on");
            let commands = self
                .app
                .update(Event::Stream(Box::new(StreamUpdate::Item(item))));
            assert!(commands.is_empty(), "no reload for an event: {commands:?}");
        }
    }

    async fn press(&mut self, code: KeyCode) -> Vec<Command> {
        desk::press(&mut self.app, &self.client, code).await
    }
}

fn cell(app: &App, name: &str, column: usize) -> Option<String> {
    app.rows()
        .into_iter()
        .find(|cells| cells[0] == name)
        .map(|cells| cells[column].clone())
}

/// The stream is subscribed once `open` returns: a change made at once is delivered, typed.
async fn open_then_change_is_delivered(s: &TestServer) {
    let client = client_for(s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut stream = client.events(None);
    assert!(!stream.is_connected());
    stream.open().await.expect("opens");
    assert!(stream.is_connected());
    assert_eq!(stream.last_id(), None);
    let id = s.create_vehicle("Right After", "RA-1").await;
    let item = tokio::time::timeout(SOON, stream.next())
        .await
        .expect("in time")
        .expect("an event");
    let StreamItem::Event(event) = item else {
        panic!("{item:?}")
    };
    assert_eq!(event.kind, EventKind::VehicleCreated);
    assert!(matches!(event.typed_data(), Ok(EventData::Vehicle(v)) if v.id == id));
    assert_eq!(stream.last_id(), Some(event.id));
    // Opening an open stream does nothing.
    stream.open().await.expect("still open");
    // A bad token is a 401 from `open`.
    let mut refused = ApiClient::new(&s.url, SOON)
        .expect("client")
        .with_token("not-a-token")
        .events(None);
    assert!(matches!(
        refused.open().await,
        Err(ClientError::Unauthorized { .. })
    ));
}

/// A assigns; B's Vehicles row shows the technician, marked, B's footer names A, B's header
/// counts follow, and B's Activity tab lists it on top.
async fn two_desks_follow_each_other(s: &TestServer) {
    let vehicle = s.create_vehicle("Van 77", "HH-LV 77").await;
    let technician = s.create_technician("Bruno Kaya").await;
    s.create_user("Ola Night", "ola@depot.example", "admin")
        .await;
    let mut a = Desk::open(s, "ola@depot.example", "password-123").await;
    let mut b = Desk::open(s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(cell(&b.app, "Van 77", 5).as_deref(), Some("—"));
    let active_before = b.app.summary().map(|s| s.active_assignments);
    // A assigns, as its picker would send it; its own app takes the event quietly.
    let ran = settle(
        &mut a.app,
        &a.client,
        vec![Command::CreateAssignment(NewAssignment {
            vehicle_id: vehicle,
            technician_id: technician,
            return_conflicting: false,
        })],
    )
    .await;
    assert_eq!(ran.len(), 1, "no reload while the stream is up: {ran:?}");
    a.follow_until("A's own event", |app| {
        cell(app, "Van 77", 5).as_deref() == Some("Bruno Kaya")
    })
    .await;
    assert!(!a.app.is_marked(Tab::Vehicles, vehicle));
    // B sees it without a key.
    b.follow_until("the assignment on B's list", |app| {
        cell(app, "Van 77", 5).as_deref() == Some("Bruno Kaya")
    })
    .await;
    assert!(b.app.is_marked(Tab::Vehicles, vehicle));
    assert_eq!(
        b.app.flash().map(|f| f.text.clone()).as_deref(),
        Some("Van 77 assigned to Bruno Kaya by Ola Night")
    );
    assert_eq!(
        b.app.summary().map(|s| s.active_assignments),
        active_before.map(|n| n + 1)
    );
    // The counts the server gives agree with what the events made of them.
    let dashboard = b.client.dashboard().await.expect("dashboard").summary;
    assert_eq!(b.app.summary(), Some(dashboard));
    // B's Activity tab: the log, newest first, from the server; the next change comes live.
    let ran = b.press(KeyCode::Char('5')).await;
    assert!(
        matches!(ran.as_slice(), [Command::LoadActivity { .. }]),
        "{ran:?}"
    );
    let rows = b.app.rows();
    assert_eq!(rows[0][1], "Ola Night");
    assert_eq!(rows[0][2], "assigned Van 77 to Bruno Kaya");
    let assignment = s.get("/api/admin/assignments?status=active").await;
    let id = assignment.body["assignments"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|a| a["vehicleId"] == json!(vehicle))
                .and_then(|a| a["id"].as_i64())
        })
        .expect("the active assignment");
    settle(
        &mut a.app,
        &a.client,
        vec![Command::ReturnAssignment(id, Default::default())],
    )
    .await;
    b.follow_until("the return on B's Activity tab", |app| {
        app.rows()
            .first()
            .is_some_and(|row| row[2] == "returned Van 77 from Bruno Kaya")
    })
    .await;
    b.app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('1'),
        KeyModifiers::NONE,
    )));
    assert_eq!(cell(&b.app, "Van 77", 5).as_deref(), Some("—"));
}

/// A technician: the activity log is refused (said, not an error), role events still come.
async fn a_technician_gets_role_events_and_no_log(s: &TestServer) {
    s.create_technician("Tia Tech").await;
    let client = client_for(s, "tia.tech@depot.example", "password-123").await;
    let user = client.me().await.expect("who").user;
    let mut app = App::new(s.url.clone(), Some(user), 5);
    let first = app.start();
    settle(&mut app, &client, first).await;
    let commands = app.update(Event::Key(KeyEvent::new(
        KeyCode::Char('5'),
        KeyModifiers::NONE,
    )));
    settle(&mut app, &client, commands).await;
    assert_eq!(app.row_counts(), (0, 0));
    assert!(
        app.flash().is_none_or(|f| !f.text.contains("403")),
        "{:?}",
        app.flash()
    );
    let mut stream = client.events(None);
    stream.open().await.expect("a technician may stream");
    app.update(Event::Stream(Box::new(StreamUpdate::Connected {
        resumed: false,
    })));
    // A vehicle is not for a technician's eyes; an organization is.
    s.create_vehicle("Hidden", "HI-1").await;
    let reply = s
        .post("/api/organizations", json!({"name": "Depot West"}))
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let item = tokio::time::timeout(SOON, stream.next())
        .await
        .expect("in time")
        .expect("an event");
    let StreamItem::Event(event) = &item else {
        panic!("{item:?}")
    };
    assert_eq!(event.kind, EventKind::OrganizationCreated);
    app.update(Event::Stream(Box::new(StreamUpdate::Item(item))));
    let rows = app.rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][2], "added organization Depot West");
}

on_both_databases!(
    open_then_change_is_delivered,
    two_desks_follow_each_other,
    a_technician_gets_role_events_and_no_log
);

/// A stream that drops before its first event cannot resume: it says so (the app then loads
/// again), and once the server is back it opens again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_dropped_before_any_event_says_so() {
    let database = TestDatabase::new(DbKind::Sqlite).await;
    let url = database.url.clone();
    let s = TestServer::start_on(DbKind::Sqlite, database, common::config_for).await;
    let addr = s.url.trim_start_matches("http://").to_string();
    let client = client_for(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let mut stream = client.events(None);
    stream.open().await.expect("opens");
    let _database = s.stop_keeping_database().await;
    let error = tokio::time::timeout(SOON, stream.next())
        .await
        .expect("in time")
        .expect_err("no event to resume from");
    assert!(
        matches!(&error, ClientError::Offline { message } if message.contains("before its first event")),
        "{error:?}"
    );
    assert!(!stream.is_connected());
    let mut config = common::config_for(&url);
    config.bind = addr;
    let restarted = fleetdesk::server::start(config).await.expect("restarts");
    let opened = loop {
        match stream.open().await {
            Ok(()) => break true,
            Err(error) if error.is_retryable() => continue,
            Err(error) => panic!("{error:?}"),
        }
    };
    assert!(opened && stream.is_connected());
    restarted.stop().await.expect("stops");
}
