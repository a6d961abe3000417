//! Depot operations in the terminal client against the real server, on SQLite and PostgreSQL:
//! `r`'s odometer reading and note are stored with the return, a reading below the vehicle's
//! last one is refused before sending with the input kept, and the details show the readings;
//! `o` takes an assigned vehicle into the shop, returning its assignment once confirmed.

mod common;

use common::{desk, TestServer, ADMIN_EMAIL, ADMIN_PASSWORD};
use crossterm::event::KeyCode;
use fleetdesk::client::ApiClient;
use fleetdesk::tui::{App, Command, Dialog, ReturnField, Tab};
use serde_json::json;

struct Desk {
    app: App,
    client: ApiClient,
}

impl Desk {
    async fn open(s: &TestServer) -> Desk {
        let client = desk::signed_in(s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let user = client.me().await.expect("who").user;
        let mut app = App::new(s.url.clone(), Some(user), 5);
        let first = app.start();
        desk::settle(&mut app, &client, first).await;
        Desk { app, client }
    }

    async fn press(&mut self, code: KeyCode) -> Vec<Command> {
        desk::press(&mut self.app, &self.client, code).await
    }

    async fn type_text(&mut self, text: &str) {
        desk::type_text(&mut self.app, &self.client, text).await
    }

    fn screen(&mut self) -> String {
        desk::screen_text(&mut self.app, 100, 30)
    }

    /// Selects the assignment row whose id is `id` on the Assignments tab.
    async fn select_assignment(&mut self, id: i64) {
        self.press(KeyCode::Char('3')).await;
        assert_eq!(self.app.tab(), Tab::Assignments);
        self.press(KeyCode::Home).await;
        for _ in 0..self.app.rows().len() {
            if self.selected_id() == Some(id) {
                return;
            }
            self.press(KeyCode::Down).await;
        }
        panic!("assignment {id} is not listed: {:?}", self.app.rows());
    }

    fn selected_id(&self) -> Option<i64> {
        let rows = self.app.rows();
        let (index, _, _) = self.app.position();
        rows.get(index).and_then(|row| row[0].parse().ok())
    }
}

fn return_form(app: &App) -> &fleetdesk::tui::ReturnForm {
    match app.dialog() {
        Some(Dialog::ReturnForm(form)) => form,
        other => panic!("the return dialog is open: {other:?}"),
    }
}

fn assignment_id(reply: &common::Reply) -> i64 {
    assert_eq!(reply.status.as_u16(), 201, "{:?}", reply.body);
    reply.body["assignment"]["id"]
        .as_i64()
        .expect("the new assignment's id")
}

async fn a_return_keeps_its_readings(s: &TestServer) {
    let vehicle = s.create_vehicle("Van 41", "HH-RT 41").await;
    let technician = s.create_technician("Rita Return").await;
    let first = assignment_id(&s.assign(vehicle, technician).await);
    // A first return sets the vehicle's reading to 120,000 km.
    let reply = s
        .patch(
            &format!("/api/admin/assignments/{first}/return"),
            Some(json!({ "odometerKm": 120000 })),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{:?}", reply.body);
    let second = assignment_id(&s.assign(vehicle, technician).await);

    let mut desk = Desk::open(s).await;
    desk.select_assignment(second).await;
    assert!(desk.press(KeyCode::Char('r')).await.is_empty());
    assert_eq!(return_form(&desk.app).focus(), ReturnField::Odometer);
    assert!(desk.screen().contains("last reading 120,000"));

    // Below the last reading: refused before sending, with the input kept.
    desk.type_text("119000").await;
    assert!(desk.press(KeyCode::Enter).await.is_empty());
    let error = return_form(&desk.app).error().map(str::to_string);
    assert!(
        error.as_deref().is_some_and(|e| e.contains("120,000")),
        "{error:?}"
    );
    for _ in 0.."119000".len() {
        desk.press(KeyCode::Backspace).await;
    }
    desk.press(KeyCode::Tab).await;
    desk.type_text("brake pads worn, \"soon\"").await;
    desk.press(KeyCode::BackTab).await;
    assert_eq!(return_form(&desk.app).focus(), ReturnField::Odometer);
    desk.type_text("131,250").await;
    let ran = desk.press(KeyCode::Enter).await;
    assert!(
        matches!(ran.first(), Some(Command::ReturnAssignment(..))),
        "{ran:?}"
    );
    assert!(desk.app.dialog().is_none(), "{:?}", desk.app.dialog());
    let stored = s
        .get(&format!("/api/admin/assignments/{second}"))
        .await
        .body;
    assert_eq!(stored["assignment"]["status"], "returned");
    assert_eq!(stored["assignment"]["returnOdometerKm"], 131_250);
    assert_eq!(
        stored["assignment"]["returnNote"],
        "brake pads worn, \"soon\""
    );

    // The details show them.
    desk.press(KeyCode::Char('f')).await;
    desk.press(KeyCode::Char('f')).await;
    desk.select_assignment(second).await;
    desk.press(KeyCode::Enter).await;
    let screen = desk.screen();
    assert!(screen.contains("131,250 km"), "{screen}");
    assert!(screen.contains("brake pads worn"), "{screen}");
}

async fn o_takes_an_assigned_vehicle_into_the_shop(s: &TestServer) {
    let vehicle = s.create_vehicle("Van 51", "HH-ST 51").await;
    let technician = s.create_technician("Sam Status").await;
    let assignment = assignment_id(&s.assign(vehicle, technician).await);

    let mut desk = Desk::open(s).await;
    desk.press(KeyCode::Char('1')).await;
    desk.press(KeyCode::Home).await;
    for _ in 0..desk.app.rows().len() {
        let (index, _, _) = desk.app.position();
        if desk.app.rows()[index][0] == "Van 51" {
            break;
        }
        desk.press(KeyCode::Down).await;
    }
    assert!(desk.press(KeyCode::Char('o')).await.is_empty());
    assert!(matches!(desk.app.dialog(), Some(Dialog::StatusForm(_))));
    desk.press(KeyCode::Down).await;
    desk.press(KeyCode::Tab).await;
    desk.type_text("clutch, back Friday").await;
    // The server keeps an assigned vehicle in service: the dialog asks.
    let ran = desk.press(KeyCode::Enter).await;
    assert_eq!(ran.len(), 1, "{ran:?}");
    assert!(
        matches!(desk.app.dialog(), Some(Dialog::StatusForm(form)) if form.is_asking_to_return()),
        "{:?}",
        desk.app.dialog()
    );
    let before = s.get(&format!("/api/admin/vehicles/{vehicle}")).await.body;
    assert_eq!(before["vehicle"]["serviceStatus"], "in_service");
    // Yes: returned and in the shop in one change.
    desk.press(KeyCode::Char('y')).await;
    assert!(desk.app.dialog().is_none(), "{:?}", desk.app.dialog());
    assert!(desk
        .screen()
        .contains("Van 51 is in shop: clutch, back Friday"));
    let after = s.get(&format!("/api/admin/vehicles/{vehicle}")).await.body;
    assert_eq!(after["vehicle"]["serviceStatus"], "in_shop");
    assert_eq!(after["vehicle"]["statusNote"], "clutch, back Friday");
    let returned = s
        .get(&format!("/api/admin/assignments/{assignment}"))
        .await
        .body;
    assert_eq!(returned["assignment"]["status"], "returned");
}

/// `x` writes the list as shown (filtered, sorted) to CSV; read back with a CSV reader it is
/// the screen's rows, names with commas, quotes and emoji intact. A missing export directory
/// is said in the footer and leaves no file.
async fn x_exports_the_list_as_shown(s: &TestServer) {
    let names = ["Van \"Blue\", 7", "Van 🚐 10", "Van 2, spare", "Truck 9"];
    for (index, name) in names.iter().enumerate() {
        s.create_vehicle(name, &format!("HH-XP {index}")).await;
    }
    let dir = std::env::temp_dir().join(format!(
        "fleetdesk-x-{}-{}",
        std::process::id(),
        s.url.rsplit(':').next().unwrap_or("0")
    ));
    std::fs::create_dir_all(&dir).expect("an export directory");
    let mut desk = Desk::open(s).await;
    desk.app = std::mem::replace(&mut desk.app, App::new(String::new(), None, 5))
        .with_export_dir(Some(dir.clone()));
    desk.press(KeyCode::Char('1')).await;
    // Filtered to the vans, sorted by name descending.
    desk.press(KeyCode::Char('/')).await;
    desk.type_text("van").await;
    desk.press(KeyCode::Enter).await;
    desk.press(KeyCode::Char('S')).await;
    let shown = desk.app.rows();
    assert_eq!(shown.len(), 3, "{shown:?}");
    desk.press(KeyCode::Char('x')).await;
    let screen = desk.screen();
    assert!(screen.contains("Exported 3 vehicles to"), "{screen}");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the directory")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mut reader = csv::Reader::from_path(&files[0]).expect("a CSV file");
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header[0], "NAME");
    assert_eq!(header[1], "PLATE");
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|record| {
            record
                .expect("a record")
                .iter()
                .map(str::to_string)
                .collect()
        })
        .collect();
    assert_eq!(
        rows, shown,
        "the file holds what the screen shows, in its order"
    );
    let mut from_api: Vec<String> = names
        .iter()
        .filter(|name| name.starts_with("Van"))
        .map(|name| name.to_string())
        .collect();
    from_api.sort();
    let mut exported: Vec<String> = rows.iter().map(|row| row[0].clone()).collect();
    exported.sort();
    assert_eq!(exported, from_api);

    // Again: a second file, the first untouched.
    desk.press(KeyCode::Char('x')).await;
    assert_eq!(std::fs::read_dir(&dir).expect("the directory").count(), 2);

    // A directory that is not there: said, nothing written.
    let missing = dir.join("not-there");
    desk.app = std::mem::replace(&mut desk.app, App::new(String::new(), None, 5))
        .with_export_dir(Some(missing.clone()));
    desk.press(KeyCode::Char('x')).await;
    let screen = desk.screen();
    assert!(
        screen.contains("✗ Not exported: cannot create a file in"),
        "{screen}"
    );
    assert!(!missing.exists());
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

on_both_databases!(
    a_return_keeps_its_readings,
    o_takes_an_assigned_vehicle_into_the_shop,
    x_exports_the_list_as_shown
);
