//! Answers from the server: each goes to the room that asked (a tab's load, a dialog's read,
//! an action's result), and a conflict opens its dialog.

use super::App;
use crate::api::roles::ConflictItem;
use crate::api::User;
use crate::client::ClientError;
use crate::tui::dialogs::{AssignmentConflict, Dialog};
use crate::tui::message::{Command, Done, Response};
use crate::tui::status::{Feed, Flash, FlashKind};
use crate::tui::tabs::Taken;

/// Shown when a resolve met changed data and the server sent fresh suggestions.
const FRESH_SUGGESTIONS: &str =
    "The assignments changed meanwhile, so nothing was applied; these are fresh suggestions.";

impl App {
    pub(super) fn on_response(&mut self, response: Response) -> Vec<Command> {
        let load = match response {
            Response::Dashboard(Ok(summary)) => {
                let before = (self.summary, self.status.connection);
                // Counts read before the latest change would undo what it did to them.
                if self.dashboard_asked_at == self.changes_seen || self.summary.is_none() {
                    self.summary = Some(summary);
                }
                self.summary_at = Some(self.now());
                self.status.went_well();
                // The periodic refresh redraws only when a count changed.
                self.dirty = before != (self.summary, self.status.connection);
                return Vec::new();
            }
            Response::Dashboard(Err(error)) => {
                self.on_failure(&error, None);
                return Vec::new();
            }
            Response::Action { command, result } => return self.on_action_done(command, result),
            Response::Activity {
                subject: Some(subject),
                result,
                ..
            } => {
                // A history's events: to that history, if it is still open.
                self.tabs.answered_elsewhere();
                if let Some(history) = self.dialogs.history_of(subject) {
                    history.events_loaded(result);
                } else {
                    self.dirty = false;
                }
                return Vec::new();
            }
            Response::SignedIn(result) => return self.on_signed_in(result),
            Response::UsersFound {
                request,
                query,
                result,
            } => {
                self.after_read(result.as_ref().err());
                if !self.dialogs.users_found(request, &query, result) {
                    // Typed over or closed since: nothing to show.
                    self.dirty = false;
                }
                return Vec::new();
            }
            Response::UserRoles { user_id, result } => {
                self.after_read(result.as_ref().err());
                if !self.dialogs.user_roles(user_id, result) {
                    self.dirty = false;
                }
                return Vec::new();
            }
            Response::TokenChecked(result) => return self.on_token_checked(result),
            load => load,
        };
        let filter = self.filter.value().to_string();
        match self.tabs.take(self.tab, &filter, load) {
            Taken::Loaded(organization) => {
                // A conflict dialog open for this organization draws and checks with it.
                if let (Some(organization_id), Some(dialog)) =
                    (organization, self.dialogs.role_conflict())
                {
                    if let Some(user_id) = dialog.concerns(&organization_id) {
                        dialog.set_known(&self.tabs.roles.known(&user_id, &organization_id));
                    }
                }
                self.status.went_well();
            }
            Taken::Failed(error) => self.on_failure(&error, None),
            Taken::Unchanged => {
                self.status.went_well();
                self.dirty = false;
            }
            Taken::Dropped | Taken::Refused | Taken::Other => {}
        }
        Vec::new()
    }

    /// A read for a dialog answered: the connection is fine, or the failure is handled as
    /// any (sign in again, offline); the dialog shows the server's sentence itself.
    pub(super) fn after_read(&mut self, error: Option<&ClientError>) {
        match error {
            None => self.status.went_well(),
            Some(error @ ClientError::Unauthorized { .. }) => self.on_failure(error, None),
            Some(error) if error.is_retryable() => self.on_failure(error, None),
            Some(_) => self.status.went_well(),
        }
    }

    pub(super) fn on_action_done(
        &mut self,
        command: Command,
        result: Result<Done, ClientError>,
    ) -> Vec<Command> {
        match result {
            Ok(done) => {
                self.dialogs.close_senders();
                self.tabs.select_written(&done);
                self.flash = Some(Flash::done(done));
                self.status.went_well();
                // While the stream is up, the change comes back as an event like anyone's.
                if self.status.feed == Feed::Up {
                    Vec::new()
                } else {
                    self.reload_all()
                }
            }
            Err(ClientError::AssignmentConflict(body)) => {
                let Command::CreateAssignment(request) = command else {
                    return Vec::new();
                };
                let dialog = AssignmentConflict::new(body, request);
                self.dialogs.renew(Dialog::AssignmentConflict(dialog));
                Vec::new()
            }
            // A vehicle that is assigned cannot leave service: its dialog asks to return it.
            Err(ClientError::Conflict { message })
                if matches!(command, Command::SetVehicleStatus(..))
                    && matches!(self.dialogs.top(), Some(Dialog::StatusForm(_))) =>
            {
                if let Some(Dialog::StatusForm(form)) = self.dialogs.top_mut() {
                    form.assigned(message);
                }
                self.status.went_well();
                Vec::new()
            }
            Err(ClientError::RoleConflict { message, items }) => {
                self.on_role_conflict(command, message, items)
            }
            Err(error) => {
                let said =
                    !matches!(error, ClientError::Unauthorized { .. }) && !error.is_retryable();
                self.dialogs.failed(said.then(|| error.user_message()));
                self.on_failure(&error, Some(command));
                Vec::new()
            }
        }
    }

    /// A 409 from saving or resolving: open (or renew) the conflict dialog.
    pub(super) fn on_role_conflict(
        &mut self,
        command: Command,
        message: String,
        items: Vec<ConflictItem>,
    ) -> Vec<Command> {
        self.dialogs.failed(None);
        let (request, why) = match command {
            // Asked again because the dialog's suggestions went stale.
            Command::SaveRoleAssignment(request)
                if self
                    .dialogs
                    .role_conflict()
                    .is_some_and(|d| d.stale().is_some()) =>
            {
                (request, Some(FRESH_SUGGESTIONS))
            }
            Command::SaveRoleAssignment(request) => (request, None),
            Command::ResolveRoleConflict(resolve) if items.is_empty() => {
                // Nothing overlaps any more: the plain request goes through as it is.
                if let Some(Dialog::RoleConflict(dialog)) = self.dialogs.top_mut() {
                    dialog.mark_sending();
                }
                return vec![Command::SaveRoleAssignment(resolve.request)];
            }
            Command::ResolveRoleConflict(resolve) => (resolve.request, Some(FRESH_SUGGESTIONS)),
            _ => return Vec::new(),
        };
        let chosen = self.dialogs.role_form_user();
        let (dialog, reload) = self
            .tabs
            .roles
            .conflict(request, message, items, why, chosen);
        self.dialogs.renew(Dialog::RoleConflict(Box::new(dialog)));
        vec![reload]
    }

    /// The server said whose the kept token is, or could not be asked.
    pub(super) fn on_token_checked(&mut self, result: Result<User, ClientError>) -> Vec<Command> {
        match result {
            Ok(user) => {
                self.checking_token = false;
                self.tabs.roles.signed_in(&user);
                self.user = Some(user);
                self.status.set_feed(Feed::Connecting);
                self.status.went_well();
                self.reload_all()
            }
            Err(ClientError::Unauthorized { .. }) => {
                self.checking_token = false;
                self.status.went_well();
                let email = self.email_hint.clone();
                self.dialogs.need_sign_in(&email, None);
                Vec::new()
            }
            Err(error) => {
                // Tried again with the same backoff as any request; never the end of the client.
                if !error.is_retryable() {
                    self.flash = Some(Flash::error(&error));
                }
                self.status.go_offline();
                Vec::new()
            }
        }
    }

    pub(super) fn on_signed_in(
        &mut self,
        result: Result<(String, User), ClientError>,
    ) -> Vec<Command> {
        match result {
            Ok((_, user)) => {
                let retry = self.dialogs.signed_in();
                let text = format!("Signed in as {}", user.email);
                self.flash = Some(Flash::new(FlashKind::Success, text));
                self.tabs.roles.signed_in(&user);
                self.user = Some(user);
                if self.status.feed == Feed::Off {
                    self.status.set_feed(Feed::Connecting);
                }
                let mut commands = self.reload_all();
                commands.extend(retry);
                commands
            }
            Err(error) => {
                self.dialogs.sign_in_refused(error.user_message());
                Vec::new()
            }
        }
    }
}
