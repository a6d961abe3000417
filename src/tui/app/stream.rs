//! What the live stream does to the app: each change goes to every tab and open dialog it
//! concerns, the header counts follow, and what someone else did is marked and named in the
//! footer; a reset, or a stream that comes up without an event to resume from, loads
//! everything again.

use std::time::{Duration, Instant};

use super::App;
use crate::api::events::{Event, EventData};
use crate::client::{ClientError, StreamItem};
use crate::tui::dialogs::Lists;
use crate::tui::live::{self, Change};
use crate::tui::message::{Command, StreamUpdate};
use crate::tui::status::{Feed, Flash};

/// How long a row someone else changed stays marked.
pub const MARK_FOR: Duration = Duration::from_secs(5);

impl App {
    pub(super) fn on_stream(&mut self, update: StreamUpdate) -> Vec<Command> {
        match update {
            StreamUpdate::Connected { resumed } => {
                self.dirty = self.status.set_feed(Feed::Up);
                if resumed {
                    return Vec::new();
                }
                // What changed before the stream came up is not replayed: load it.
                self.dirty = true;
                self.reload_all()
            }
            StreamUpdate::Failed(error) => {
                self.dirty = self.status.set_feed(Feed::Down);
                if matches!(error, ClientError::Unauthorized { .. }) {
                    self.dirty = true;
                    self.on_failure(&error, None);
                }
                tracing::info!(%error, "the event stream is not available");
                Vec::new()
            }
            StreamUpdate::Item(StreamItem::Reset { last_id }) => {
                self.status.set_feed(Feed::Up);
                self.last_event = Some(last_id);
                self.dirty = true;
                self.reload_all()
            }
            StreamUpdate::Item(StreamItem::Event(event)) => {
                self.dirty = self.status.set_feed(Feed::Up);
                self.on_change(*event);
                Vec::new()
            }
        }
    }

    /// One change, applied wherever it shows.
    fn on_change(&mut self, event: Event) {
        self.last_event = Some(event.id);
        let me = self.user.as_ref().map(|user| user.id);
        let Some(change) = Change::new(event, me) else {
            return;
        };
        self.changes_seen += 1;
        let mut shown = false;
        if let Some(summary) = self.summary.as_mut() {
            let was_technician = match change.data.as_ref() {
                EventData::User(user) if self.tabs.technicians.list.loaded => {
                    Some(self.tabs.technicians.list.get(user.id).is_some())
                }
                _ => None,
            };
            shown |= live::count(summary, &change, was_technician);
        }
        if let (EventData::User(user), Some(me)) = (change.data.as_ref(), self.user.as_mut()) {
            if user.id == me.id {
                *me = user.clone();
                self.tabs.roles.signed_in(user);
                shown = true;
            }
        }
        let mark = change.by_other.then(|| self.now() + MARK_FOR);
        shown |= self
            .tabs
            .apply(&change, mark, self.tab, self.filter.value());
        let lists = Lists {
            vehicles: self.tabs.vehicles.list.items(),
            technicians: self.tabs.technicians.list.items(),
        };
        shown |= self.dialogs.live(&change, &lists);
        if let EventData::RoleAssignment(row) = change.data.as_ref() {
            // A conflict dialog about this user here checks with what the list knows now.
            if let Some(dialog) = self.dialogs.role_conflict() {
                if dialog.concerns_row(&row.user_id, &row.organization_id) {
                    dialog.set_known(&self.tabs.roles.known(&row.user_id, &row.organization_id));
                }
            }
        }
        if change.by_other {
            self.flash = Some(Flash::info(change.headline()));
            shown = true;
        }
        self.dirty = self.dirty || shown;
    }

    /// A mark's time is up: redraw only if a visible one went.
    pub(super) fn on_wake(&mut self) -> bool {
        let now = self.now();
        self.tabs.expire_marks(now, self.tab)
    }

    /// When the app wants an [`Event::Wake`](crate::tui::Event::Wake): the end of the next
    /// mark, or the moment a search typed in the role form goes. Nothing else needs waking
    /// between ticks.
    pub fn next_wake(&self) -> Option<Instant> {
        [self.tabs.next_mark_end(), self.dialogs.search_due()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether the live stream should be open: someone is signed in and not signing in again.
    pub fn wants_stream(&self) -> bool {
        self.user.is_some() && !self.dialogs.is_signing_in()
    }

    /// Where the stream resumes: after the last event applied.
    pub fn last_event_id(&self) -> Option<i64> {
        self.last_event
    }
}
