//! The Activity tab: the audit log (`GET /api/admin/activity`), newest first, paged in as you
//! scroll, filtered as you type; new events from the live stream come in on top. `Enter`
//! shows one event in full.

use std::sync::Arc;
use std::time::Instant;

use ratatui::layout::Rect;
use ratatui::Frame;

use super::TabLook;
use crate::api::events::{ActivityPage, Event, EventData};
use crate::tui::dialogs::{Details, Dialog, Outcome};
use crate::tui::keys::hints::{HintSpec, Keys};
use crate::tui::keys::Action;
use crate::tui::live::{words, Change};
use crate::tui::message::{Command, Subject};
use crate::tui::rows::date_cell;
use crate::tui::widgets::table::{ListState, ListTable, Row, SortKey};

pub const HINTS: &[HintSpec] = &[HintSpec::new(Keys::First(Action::Open), "details", true)];

/// One event as a row: when, who, what.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivityRow {
    pub event: Arc<Event>,
    pub who: String,
    pub what: String,
}

impl ActivityRow {
    pub fn new(event: Arc<Event>, data: &EventData) -> ActivityRow {
        let what = words(&event, data).active;
        let who = event
            .actor
            .as_ref()
            .map_or_else(|| "(no user)".to_string(), |actor| actor.name.clone());
        ActivityRow { event, who, what }
    }

    /// A row for an event from a page; None when its object does not fit its kind.
    pub fn of(event: Event) -> Option<ActivityRow> {
        let data = event.typed_data().ok()?;
        Some(ActivityRow::new(Arc::new(event), &data))
    }
}

impl Row for ActivityRow {
    const COLUMNS: &'static [&'static str] = &["WHEN", "WHO", "WHAT"];

    fn key(&self) -> i64 {
        self.event.id
    }

    fn cells(&self) -> Vec<String> {
        vec![
            date_cell(&self.event.at),
            self.who.clone(),
            self.what.clone(),
        ]
    }

    fn descending(column: usize) -> bool {
        column == 0
    }

    fn sort_key(&self, column: usize) -> SortKey {
        match column {
            // Newest first is the natural order of the log.
            0 => SortKey::Number(-self.event.id),
            _ => SortKey::natural(self.cells().get(column).map_or("", String::as_str)),
        }
    }
}

/// What a page of events answers: the tab's own load, or a history's.
#[derive(Debug, Default)]
pub struct ActivityTab {
    pub list: ListState<ActivityRow>,
    /// `nextBefore` of the last page; None when the whole log is here.
    next_before: Option<i64>,
    loading_more: bool,
    /// Answers to older loads are dropped.
    generation: u64,
    /// Set once the tab has been opened; until then nothing of it is loaded.
    visited: bool,
    /// The server keeps the log for admins: only what the stream brings is shown.
    refused: bool,
    /// A first page asked for while polling: merged into what is loaded.
    polling: bool,
}

impl ActivityTab {
    /// The first visit loads the log.
    pub fn visit(&mut self) -> Option<Command> {
        if self.visited {
            return None;
        }
        self.visited = true;
        Some(self.reload())
    }

    /// The first page again, once visited.
    pub fn loads(&mut self) -> Option<Command> {
        self.visited.then(|| self.reload())
    }

    /// The newest page again, merged into what is loaded (polling while the stream is away).
    pub fn poll(&mut self) -> Option<Command> {
        if !self.visited || self.refused {
            return None;
        }
        self.polling = true;
        Some(Command::LoadActivity {
            generation: self.generation,
            before: None,
            subject: None,
        })
    }

    fn reload(&mut self) -> Command {
        self.generation += 1;
        self.polling = false;
        self.loading_more = false;
        Command::LoadActivity {
            generation: self.generation,
            before: None,
            subject: None,
        }
    }

    /// A page arrived; false when it answers a superseded load.
    pub fn accept(&mut self, generation: u64, append: bool, page: ActivityPage) -> bool {
        if generation != self.generation {
            return false;
        }
        self.loading_more = false;
        self.refused = false;
        let rows: Vec<ActivityRow> = page
            .events
            .into_iter()
            .filter_map(ActivityRow::of)
            .collect();
        if !append && std::mem::take(&mut self.polling) && self.list.loaded {
            self.list.extend_items(rows);
            return true;
        }
        if append {
            self.list.extend_items(rows);
        } else {
            self.list.set_items(rows);
        }
        self.next_before = page.next_before;
        true
    }

    /// The log is for admins: the tab shows what the stream brings from now on.
    pub fn refused(&mut self) {
        self.refused = true;
        self.loading_more = false;
        self.next_before = None;
        if !self.list.loaded {
            self.list.set_items(Vec::new());
        }
    }

    pub fn is_refused(&self) -> bool {
        self.refused
    }

    /// Near the end of what is loaded: the next page.
    pub fn load_more(&mut self) -> Option<Command> {
        let near_end =
            self.list.selection.index() + self.list.selection.page() >= self.list.shown();
        match self.next_before {
            Some(before) if near_end && !self.loading_more => {
                self.loading_more = true;
                Some(Command::LoadActivity {
                    generation: self.generation,
                    before: Some(before),
                    subject: None,
                })
            }
            _ => None,
        }
    }

    /// "+" after the count while older events are not loaded.
    pub fn more(&self) -> &'static str {
        if self.next_before.is_some() {
            "+"
        } else {
            ""
        }
    }

    /// A new event goes on top (once the log is loaded); `mark` marks it until then.
    pub fn apply(&mut self, change: &Change, mark: Option<Instant>) -> bool {
        if !self.list.loaded {
            return false;
        }
        let key = change.event.id;
        let shown = self
            .list
            .upsert(ActivityRow::new(change.event.clone(), &change.data));
        if let Some(until) = mark {
            self.list.mark(key, until);
        }
        shown
    }

    pub fn on_action(&mut self, action: Action) -> Outcome {
        match action {
            Action::Open => match self.list.selected_item() {
                Some(row) => Outcome::open(Dialog::Details(details(row))),
                None => Outcome::Stay,
            },
            _ => Outcome::Ignored,
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &TabLook) {
        let wide = look.wide;
        let widths: &[u16] = if wide { &[16, 20, 40] } else { &[11, 16, 30] };
        frame.render_stateful_widget(ListTable::new(widths, look), area, &mut self.list);
    }
}

/// Which record's events a history shows, as the activity log's filter.
pub fn subject_query(subject: Subject) -> crate::api::events::ActivityQuery {
    let mut query = crate::api::events::ActivityQuery {
        limit: Some(crate::tui::message::PAGE_SIZE),
        ..Default::default()
    };
    match subject {
        Subject::Vehicle(id) => query.vehicle_id = Some(id),
        Subject::Technician(id) => query.technician_id = Some(id),
    }
    query
}

fn details(row: &ActivityRow) -> Details {
    let event = &row.event;
    let subject = &event.subject;
    let mut ids = Vec::new();
    let numbers = [
        ("vehicle", subject.vehicle_id),
        ("technician", subject.technician_id),
        ("user", subject.user_id),
        ("assignment", subject.assignment_id),
        ("relId", subject.rel_id),
        ("API key", subject.api_key_id),
    ];
    for (name, id) in numbers {
        if let Some(id) = id {
            ids.push(format!("{name} {id}"));
        }
    }
    if let Some(org) = &subject.organization_id {
        ids.push(format!("organization {org}"));
    }
    Details::new(
        format!("Event #{}", event.id),
        vec![
            (
                "When".to_string(),
                event.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            ),
            ("Who".to_string(), row.who.clone()),
            ("What".to_string(), row.what.clone()),
            ("Kind".to_string(), event.kind.as_str().to_string()),
            ("Concerns".to_string(), ids.join(", ")),
        ],
    )
}
