//! Dialogs: rooms that open over the tabs, a stack whose top takes the keys (like gitui's
//! popups). Each owns its state, its keys and its drawing, takes what it needs as arguments,
//! and answers a key with an [`Outcome`] the app carries out.
//!
//! A new dialog: a file here with its struct, `on_key` (match the [`Action`]s of its key
//! [`Context`](crate::tui::keys::Context)) and `draw`; a variant in [`Dialog`]; its keys in
//! `keys/action.rs`.

mod assign;
mod assignment_conflict;
mod confirm;
mod fleet_form;
mod help;
mod history;
mod message;
mod return_form;
mod role_conflict;
mod role_form;
mod sign_in;
mod status_form;
mod user_search;
mod user_view;

use std::collections::HashMap;
use std::time::Instant;

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

pub use assign::AssignPicker;
pub use assignment_conflict::AssignmentConflict;
pub use confirm::Confirm;
pub use fleet_form::FleetForm;
pub use help::Help;
pub use history::{History, HistoryEvents};
pub use message::{Details, Message};
pub use return_form::{thousands, ReturnField, ReturnForm};
pub use role_conflict::RoleConflict;
pub use role_form::{Chosen, RoleField, RoleForm};
pub use sign_in::SignIn;
pub use status_form::StatusForm;
pub use user_search::{MIN_QUERY, SEARCH_PAUSE, TYPE_MORE};
pub use user_view::UserView;

use super::keys::KeyMap;
use super::message::Command;
use super::status::Flash;
use super::theme::Theme;
use crate::api::access::UserSummary;
use crate::api::dates::Day;
use crate::api::events::EventData;
use crate::api::roles::{Organization, RoleAssignmentRow, UserRoles};
use crate::api::{TechnicianListItem, VehicleListItem};
use crate::client::ClientError;
use crate::domain::roles::{may_assign_in, Holding};
use crate::tui::live::Change;

/// What a key did, for the app to carry out.
#[derive(Debug)]
pub enum Outcome {
    /// Not this room's key; nothing changed.
    Ignored,
    /// Handled; the room stays as it is now.
    Stay,
    /// The dialog closes.
    Close,
    /// Another dialog opens on top.
    Open(Box<Dialog>),
    /// A request to send.
    Send(Command),
    /// A line for the footer.
    Say(Flash),
    /// The client ends.
    Quit,
    /// Several, in order: e.g. close, then send.
    All(Vec<Outcome>),
}

impl Outcome {
    /// `dialog` opens on top.
    pub fn open(dialog: Dialog) -> Outcome {
        Outcome::Open(Box::new(dialog))
    }

    /// This, then `next`.
    pub fn and(self, next: Outcome) -> Outcome {
        match self {
            Outcome::All(mut all) => {
                all.push(next);
                Outcome::All(all)
            }
            first => Outcome::All(vec![first, next]),
        }
    }
}

/// Where the role form may assign: what the Roles tab has loaded.
#[derive(Clone, Copy)]
pub struct Directory<'a> {
    /// Sorted by name, as the tree holds them.
    pub organizations: &'a [Organization],
    /// A fleet admin may assign everywhere.
    pub fleet_admin: bool,
    /// The signed-in user's own role assignments; None until loaded.
    pub holdings: Option<&'a [RoleAssignmentRow]>,
}

impl Directory<'_> {
    /// The organizations the signed-in user may assign in, in tree order, by the server's
    /// rule (administrator or main_administrator valid today there or above); None while
    /// that is not known yet.
    pub fn assignable(&self, today: Day) -> Option<Vec<&Organization>> {
        let holdings: Vec<Holding> = match (self.fleet_admin, self.holdings) {
            (true, _) => Vec::new(),
            (false, Some(rows)) => rows
                .iter()
                .map(|row| Holding {
                    organization_id: row.organization_id.clone(),
                    roles: row.roles.clone(),
                    from: row.valid_from,
                    to: row.valid_to,
                })
                .collect(),
            (false, None) => return None,
        };
        let by_id: HashMap<&str, &Organization> = self
            .organizations
            .iter()
            .map(|org| (org.id.as_str(), org))
            .collect();
        let ancestry = |org: &Organization| {
            let mut line = vec![org.id.clone()];
            let mut at = org.parent_id.as_deref();
            // Bounded: bad data with a cycle must not hang the client.
            while let Some(parent) = at.filter(|_| line.len() <= self.organizations.len()) {
                line.push(parent.to_string());
                at = by_id.get(parent).and_then(|org| org.parent_id.as_deref());
            }
            line
        };
        Some(
            tree_order(self.organizations)
                .into_iter()
                .filter(|org| may_assign_in(self.fleet_admin, &holdings, &ancestry(org), today))
                .collect(),
        )
    }
}

/// Organizations (sorted by name) in tree order: each followed by its children.
fn tree_order(organizations: &[Organization]) -> Vec<&Organization> {
    let known: std::collections::HashSet<&str> =
        organizations.iter().map(|org| org.id.as_str()).collect();
    let mut children: HashMap<Option<&str>, Vec<&Organization>> = HashMap::new();
    for org in organizations {
        let parent = org.parent_id.as_deref().filter(|id| known.contains(id));
        children.entry(parent).or_default().push(org);
    }
    let mut order = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<&Organization> = children.get(&None).cloned().unwrap_or_default();
    stack.reverse();
    while let Some(org) = stack.pop() {
        if !seen.insert(org.id.as_str()) {
            continue;
        }
        order.push(org);
        if let Some(kids) = children.get(&Some(org.id.as_str())) {
            stack.extend(kids.iter().rev());
        }
    }
    order
}

/// The fleet lists as the tabs hold them, for pickers to list afresh.
pub struct Lists<'a> {
    pub vehicles: &'a [VehicleListItem],
    pub technicians: &'a [TechnicianListItem],
}

/// What a dialog may need to answer a key.
pub struct Context<'a> {
    pub keys: &'a KeyMap,
    pub today: Day,
    /// The app's clock (a search goes once typing pauses).
    pub now: Instant,
    pub signed_in: bool,
    pub directory: Directory<'a>,
}

/// What a dialog may need to draw itself.
pub struct Look<'a> {
    pub theme: Theme,
    pub keys: &'a KeyMap,
    pub today: Day,
    pub server: &'a str,
    pub signed_in: bool,
}

#[derive(Debug)]
pub enum Dialog {
    Help(Help),
    Message(Message),
    Details(Details),
    History(History),
    Confirm(Confirm),
    ReturnForm(Box<ReturnForm>),
    StatusForm(Box<StatusForm>),
    Assign(AssignPicker),
    FleetForm(FleetForm),
    SignIn(SignIn),
    AssignmentConflict(AssignmentConflict),
    RoleForm(Box<RoleForm>),
    RoleConflict(Box<RoleConflict>),
    UserView(Box<UserView>),
}

impl Dialog {
    pub fn on_key(&mut self, key: &KeyEvent, context: &Context) -> Outcome {
        let keys = context.keys;
        match self {
            Dialog::Help(dialog) => dialog.on_key(key, keys),
            Dialog::Message(_) | Dialog::Details(_) | Dialog::History(_) => {
                message::reader_key(key, keys)
            }
            Dialog::Confirm(dialog) => dialog.on_key(key, keys),
            Dialog::ReturnForm(dialog) => dialog.on_key(key, keys),
            Dialog::StatusForm(dialog) => dialog.on_key(key, keys),
            Dialog::Assign(dialog) => dialog.on_key(key, keys),
            Dialog::FleetForm(dialog) => dialog.on_key(key, keys),
            Dialog::SignIn(dialog) => dialog.on_key(key, keys, context.signed_in),
            Dialog::AssignmentConflict(dialog) => dialog.on_key(key, keys),
            Dialog::RoleForm(dialog) => dialog.on_key(key, context),
            Dialog::RoleConflict(dialog) => dialog.on_key(key, keys, context.today),
            Dialog::UserView(dialog) => dialog.on_key(key, keys),
        }
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, look: &Look) {
        match self {
            Dialog::Help(dialog) => dialog.draw(frame, area, look),
            Dialog::Message(dialog) => dialog.draw(frame, area, look),
            Dialog::Details(dialog) => dialog.draw(frame, area, look),
            Dialog::History(dialog) => dialog.draw(frame, area, look),
            Dialog::Confirm(dialog) => dialog.draw(frame, area, look),
            Dialog::ReturnForm(dialog) => dialog.draw(frame, area, look),
            Dialog::StatusForm(dialog) => dialog.draw(frame, area, look),
            Dialog::Assign(dialog) => dialog.draw(frame, area, look),
            Dialog::FleetForm(dialog) => dialog.draw(frame, area, look),
            Dialog::SignIn(dialog) => dialog.draw(frame, area, look),
            Dialog::AssignmentConflict(dialog) => dialog.draw(frame, area, look),
            Dialog::RoleForm(dialog) => dialog.draw(frame, area, look),
            Dialog::RoleConflict(dialog) => dialog.draw(frame, area, look),
            Dialog::UserView(dialog) => dialog.draw(frame, area, look),
        }
    }

    /// A change from the stream: a dialog it concerns takes it in and says so. True when
    /// the dialog changed.
    pub fn live(&mut self, change: &Change, lists: &Lists) -> bool {
        match self {
            Dialog::Assign(dialog) => dialog.live(change, lists.vehicles, lists.technicians),
            Dialog::AssignmentConflict(dialog) => dialog.live(change),
            Dialog::Confirm(dialog) => dialog.live(change),
            Dialog::ReturnForm(dialog) => dialog.live(change),
            Dialog::FleetForm(dialog) => dialog.live(change),
            Dialog::RoleForm(dialog) => dialog.live(change),
            Dialog::History(dialog) => dialog.live(change),
            Dialog::UserView(dialog) => dialog.live(change),
            Dialog::RoleConflict(dialog) => match change.data.as_ref() {
                EventData::RoleAssignment(row)
                    if dialog.concerns_row(&row.user_id, &row.organization_id) =>
                {
                    dialog.went_stale(change.just());
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// Whether it closes once what it sent succeeded (forms and conflict dialogs).
    pub fn closes_on_success(&self) -> bool {
        matches!(
            self,
            Dialog::FleetForm(_)
                | Dialog::ReturnForm(_)
                | Dialog::StatusForm(_)
                | Dialog::AssignmentConflict(_)
                | Dialog::RoleForm(_)
                | Dialog::RoleConflict(_)
        )
    }

    /// What it sent failed: it may be sent again.
    pub fn stop_sending(&mut self) {
        match self {
            Dialog::FleetForm(dialog) => dialog.sending = false,
            Dialog::ReturnForm(dialog) => dialog.sending = false,
            Dialog::StatusForm(dialog) => dialog.sending = false,
            Dialog::AssignmentConflict(dialog) => dialog.sending = false,
            Dialog::RoleForm(dialog) => dialog.sending = false,
            Dialog::RoleConflict(dialog) => dialog.sending = false,
            _ => {}
        }
    }

    /// Shows why what it sent failed, where it has room for that.
    pub fn show_error(&mut self, error: String) {
        match self {
            Dialog::FleetForm(dialog) => dialog.error = Some(error),
            Dialog::ReturnForm(dialog) => dialog.error = Some(error),
            Dialog::StatusForm(dialog) => dialog.error = Some(error),
            Dialog::RoleForm(dialog) => dialog.error = Some(error),
            Dialog::RoleConflict(dialog) => dialog.error = Some(error),
            _ => {}
        }
    }
}

/// The open dialogs, bottom first; the top one takes the keys and is drawn.
#[derive(Debug, Default)]
pub struct Stack(Vec<Dialog>);

impl Stack {
    pub fn all(&self) -> &[Dialog] {
        &self.0
    }

    pub fn top(&self) -> Option<&Dialog> {
        self.0.last()
    }

    pub fn top_mut(&mut self) -> Option<&mut Dialog> {
        self.0.last_mut()
    }

    pub fn push(&mut self, dialog: Dialog) {
        self.0.push(dialog);
    }

    pub fn pop(&mut self) -> Option<Dialog> {
        self.0.pop()
    }

    /// What the top dialogs sent went through: those that sent it (forms, conflicts) close.
    pub fn close_senders(&mut self) {
        while self.top().is_some_and(Dialog::closes_on_success) {
            self.0.pop();
        }
    }

    /// What was sent failed: every dialog may send again; the top one shows `why`, if given.
    pub fn failed(&mut self, why: Option<String>) {
        self.0.iter_mut().for_each(Dialog::stop_sending);
        if let (Some(why), Some(top)) = (why, self.0.last_mut()) {
            top.show_error(why);
        }
    }

    pub fn is_signing_in(&self) -> bool {
        self.0
            .iter()
            .any(|dialog| matches!(dialog, Dialog::SignIn(_)))
    }

    fn sign_in(&mut self) -> Option<&mut SignIn> {
        self.0.iter_mut().find_map(|dialog| match dialog {
            Dialog::SignIn(sign_in) => Some(sign_in),
            _ => None,
        })
    }

    /// A 401: the sign-in dialog over everything (once), to send `retry` again after it.
    pub fn need_sign_in(&mut self, email: &str, retry: Option<Command>) {
        match self.sign_in() {
            Some(sign_in) => sign_in.asked_again(retry),
            None => {
                let why = Some("Your session has ended; sign in again.".to_string());
                self.0.push(Dialog::SignIn(SignIn::new(email, why, retry)));
            }
        }
    }

    /// Signed in: the sign-in dialog closes; the action to send again, if one waits.
    pub fn signed_in(&mut self) -> Option<Command> {
        let index = self
            .0
            .iter()
            .position(|dialog| matches!(dialog, Dialog::SignIn(_)))?;
        match self.0.remove(index) {
            Dialog::SignIn(mut sign_in) => sign_in.take_retry(),
            _ => None,
        }
    }

    pub fn sign_in_refused(&mut self, why: String) {
        if let Some(sign_in) = self.sign_in() {
            sign_in.refused(why);
        }
    }

    /// A change from the stream, to every open dialog; true when one changed.
    pub fn live(&mut self, change: &Change, lists: &Lists) -> bool {
        let mut changed = false;
        for dialog in &mut self.0 {
            changed |= dialog.live(change, lists);
        }
        changed
    }

    /// The history whose events these are, if it is open.
    pub fn history_of(&mut self, subject: crate::tui::message::Subject) -> Option<&mut History> {
        self.0.iter_mut().find_map(|dialog| match dialog {
            Dialog::History(history) if history.subject() == Some(subject) => Some(history),
            _ => None,
        })
    }

    /// When a search typed in a role form's picker goes, if one waits.
    pub fn search_due(&self) -> Option<Instant> {
        self.0
            .iter()
            .filter_map(|dialog| match dialog {
                Dialog::RoleForm(form) => form.search_due(),
                _ => None,
            })
            .min()
    }

    /// The searches whose pause is over.
    pub fn fire_searches(&mut self, now: Instant) -> Vec<Command> {
        self.0
            .iter_mut()
            .filter_map(|dialog| match dialog {
                Dialog::RoleForm(form) => form.fire_search(now),
                _ => None,
            })
            .collect()
    }

    /// A search's answer, to the form that waits for it; false when none does any more.
    pub fn users_found(
        &mut self,
        request: u64,
        query: &str,
        result: Result<Vec<UserSummary>, ClientError>,
    ) -> bool {
        let form = self.0.iter_mut().find_map(|dialog| match dialog {
            Dialog::RoleForm(form) if form.waits_for(request) => Some(form),
            _ => None,
        });
        match form {
            Some(form) => {
                form.users_found(query, result);
                true
            }
            None => false,
        }
    }

    /// A user's roles, to the user view showing them; false when it is closed.
    pub fn user_roles(&mut self, user_id: i64, result: Result<UserRoles, ClientError>) -> bool {
        let view = self.0.iter_mut().rev().find_map(|dialog| match dialog {
            Dialog::UserView(view) if view.user_id() == user_id => Some(view),
            _ => None,
        });
        match view {
            Some(view) => {
                view.loaded(result);
                true
            }
            None => false,
        }
    }

    /// The user chosen in the uppermost role form (to name them in a conflict).
    pub fn role_form_user(&self) -> Option<String> {
        self.0.iter().rev().find_map(|dialog| match dialog {
            Dialog::RoleForm(form) => form.user().map(|user| user.label.clone()),
            _ => None,
        })
    }

    /// The uppermost role conflict dialog.
    pub fn role_conflict(&mut self) -> Option<&mut RoleConflict> {
        self.0.iter_mut().rev().find_map(|dialog| match dialog {
            Dialog::RoleConflict(dialog) => Some(dialog.as_mut()),
            _ => None,
        })
    }

    /// Opens `dialog` in place of a top dialog of the same kind (a renewed conflict).
    pub fn renew(&mut self, dialog: Dialog) {
        let same = self
            .top()
            .is_some_and(|top| std::mem::discriminant(top) == std::mem::discriminant(&dialog));
        if same {
            self.0.pop();
        }
        self.0.push(dialog);
    }
}
