//! The role form's user picker is filled by the server's user search (`GET /api/users`), so
//! an organization administrator finds the people they may assign and a fleet admin anyone,
//! without the client ever holding every user. A query goes once typing pauses; an answer to
//! a query typed over since is dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::api::access::UserSummary;
use crate::client::ClientError;
use crate::domain::search::fold;
use crate::tui::message::Command;
use crate::tui::widgets::picker::{Picker, PickerItem};

/// How long typing must pause before the query goes.
pub const SEARCH_PAUSE: Duration = Duration::from_millis(250);

/// The server refuses shorter queries.
pub const MIN_QUERY: usize = 2;

/// Numbers every search, so an answer finds the one it belongs to, in whichever form.
static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Shown while fewer than [`MIN_QUERY`] characters are typed.
pub const TYPE_MORE: &str = "Type 2 or more letters of a name or e-mail to search.";

#[derive(Debug, Default)]
pub struct UserSearch {
    /// The query typed, and when it goes unless more is typed.
    due: Option<(Instant, String)>,
    /// The search on its way: its number and query.
    waiting: Option<(u64, String)>,
    /// The query the listed users were found with.
    listed: Option<String>,
}

impl UserSearch {
    /// The picker's filter reads `typed` now: a query long enough goes after a pause, a
    /// shorter one empties the list. Says so on the picker.
    pub fn typed(&mut self, typed: &str, now: Instant, picker: &mut Picker<String>) {
        let query = typed.trim().to_string();
        if fold(&query).chars().count() < MIN_QUERY {
            self.due = None;
            self.waiting = None;
            self.listed = None;
            picker.set_ranked(Vec::new());
            picker.set_status(Some((TYPE_MORE.to_string(), false)));
            return;
        }
        let already = self.listed.as_deref() == Some(query.as_str()) && self.waiting.is_none();
        let asked = self
            .waiting
            .as_ref()
            .is_some_and(|(_, waiting)| *waiting == query);
        if already || asked {
            self.due = None;
            return;
        }
        picker.set_status(Some((format!("Searching for “{query}”…"), false)));
        self.due = Some((now + SEARCH_PAUSE, query));
    }

    /// When the typed query goes, if one waits.
    pub fn due(&self) -> Option<Instant> {
        self.due.as_ref().map(|(at, _)| *at)
    }

    /// The search to send, once its pause is over.
    pub fn fire(&mut self, now: Instant) -> Option<Command> {
        if self.due().is_none_or(|at| at > now) {
            return None;
        }
        let (_, query) = self.due.take()?;
        let request = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed);
        self.waiting = Some((request, query.clone()));
        Some(Command::SearchUsers { request, query })
    }

    /// Whether `request` is the search this one waits for.
    pub fn waits_for(&self, request: u64) -> bool {
        self.waiting.as_ref().is_some_and(|(id, _)| *id == request)
    }

    /// The answer to the search waited for: the users, best match first, or why not (the
    /// server's sentence).
    pub fn answered(
        &mut self,
        query: &str,
        result: Result<Vec<UserSummary>, ClientError>,
        picker: &mut Picker<String>,
    ) {
        self.waiting = None;
        let pending = self.due.is_some();
        match result {
            Ok(users) => {
                let found = users.len();
                let items = users
                    .into_iter()
                    .map(|user| PickerItem {
                        id: user.id.to_string(),
                        label: format!("{} <{}>", user.name, user.email),
                        name: user.name,
                        busy_with: None,
                        unavailable: None,
                    })
                    .collect();
                picker.set_ranked(items);
                self.listed = Some(query.to_string());
                if !pending {
                    let status = (found == 0).then(|| {
                        (
                            format!("Nobody you may assign matches “{query}”; an exact e-mail finds anyone."),
                            false,
                        )
                    });
                    picker.set_status(status);
                }
            }
            Err(error) => {
                self.listed = None;
                picker.set_ranked(Vec::new());
                picker.set_status(Some((error.user_message(), true)));
            }
        }
    }
}
