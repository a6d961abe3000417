//! What the footer and the header say between answers: the spinners a tick moves, the
//! actions on their way ("Assigning Van 3 to Bruno Kaya…"), failures, and when the header
//! counts go stale.

use std::time::Duration;

use super::App;
use crate::api::dates::Day;
use crate::api::roles::{RoleAssignmentRequest, UserIdValue};
use crate::client::ClientError;
use crate::tui::message::{Command, Response};
use crate::tui::status::{self, Connection, Due, Feed, Flash, FlashKind};

impl App {
    pub(super) fn on_tick(&mut self) -> Vec<Command> {
        // Only the spinners move by themselves, and the counts' stale mark comes with time.
        let mut changed = self.status.connection == Connection::Refreshing
            || (self.status.connection == Connection::Live && self.status.feed == Feed::Connecting)
            || !self.busy.is_empty();
        let stale = self.counts_stale();
        changed |= stale != self.summary_stale;
        self.summary_stale = stale;
        if self.follow_clock {
            let today = Day::today();
            changed |= today != self.today;
            self.today = today;
        }
        changed |= status::age(&mut self.flash);
        let polling = self.user.is_some() && !self.dialogs.is_signing_in();
        let (badge, due) = self.status.tick(polling);
        self.dirty = changed || badge;
        match due {
            Due::Nothing => Vec::new(),
            Due::Reload => self.reload_all(),
            Due::Refresh => vec![Command::LoadDashboard],
            Due::Poll => {
                let mut commands = vec![Command::LoadDashboard];
                commands.extend(self.tabs.poll(self.tab));
                commands
            }
        }
    }

    /// A failed request: sign in again, go offline, or say what the server said.
    pub(super) fn on_failure(&mut self, error: &ClientError, command: Option<Command>) {
        match error {
            ClientError::Unauthorized { .. } => {
                let retry = command.filter(|command| !command.is_retryable());
                let email = self.user.as_ref().map_or("", |user| user.email.as_str());
                self.dialogs.need_sign_in(email, retry);
            }
            error if error.is_retryable() => {
                self.status.go_offline();
                self.tabs.mark_stale();
                if command.is_some_and(|command| !command.is_retryable()) {
                    let text = format!("Not sent: {}", error.user_message());
                    self.flash = Some(Flash::new(FlashKind::Error, text));
                }
            }
            error => self.flash = Some(Flash::error(error)),
        }
    }

    /// An answer to an action the footer says is on its way: it is not any more.
    pub(super) fn answered_action(&mut self, response: &Response) {
        let index = match response {
            Response::Action { command, .. } => {
                self.busy.iter().position(|(busy, _)| busy == command)
            }
            Response::SignedIn(_) => self
                .busy
                .iter()
                .position(|(busy, _)| matches!(busy, Command::SignIn { .. })),
            _ => None,
        };
        if let Some(index) = index {
            self.busy.remove(index);
        }
    }

    /// What the footer says while `command` is on its way: "Assigning Van 3 to Bruno Kaya…".
    pub(super) fn describe(&self, command: &Command) -> String {
        let vehicle = |id: i64| {
            self.tabs
                .vehicles
                .list
                .get(id)
                .map_or_else(|| format!("vehicle {id}"), |v| v.vehicle.name.clone())
        };
        let technician = |id: i64| {
            self.tabs
                .technicians
                .list
                .get(id)
                .map_or_else(|| format!("technician {id}"), |t| t.user.name.clone())
        };
        let scope = |request: &RoleAssignmentRequest| {
            let user_id = match &request.user_id {
                UserIdValue::Text(text) => text.clone(),
                UserIdValue::Number(id) => id.to_string(),
            };
            let known = self.tabs.roles.known(&user_id, &request.organization_id);
            let directory = self.tabs.roles.directory();
            let user = known
                .first()
                .map_or_else(|| format!("user {user_id}"), |row| row.user_name.clone());
            let organization = directory
                .organizations
                .iter()
                .find(|o| o.id == request.organization_id)
                .map_or_else(|| request.organization_id.clone(), |o| o.name.clone());
            format!("{user}'s roles in {organization}")
        };
        match command {
            Command::CreateAssignment(new) if new.return_conflicting => format!(
                "Returning what is in the way and assigning {} to {}…",
                vehicle(new.vehicle_id),
                technician(new.technician_id)
            ),
            Command::CreateAssignment(new) => format!(
                "Assigning {} to {}…",
                vehicle(new.vehicle_id),
                technician(new.technician_id)
            ),
            Command::ReturnAssignment(id, _) => match self.tabs.assignments.list.get(*id) {
                Some(a) => format!("Returning {} from {}…", a.vehicle.name, a.technician.name),
                None => format!("Returning assignment {id}…"),
            },
            Command::CreateVehicle(new) => format!("Creating {}…", new.name),
            Command::UpdateVehicle(id, _) => format!("Saving {}…", vehicle(*id)),
            Command::DeleteVehicle(_, name) => format!("Deleting {name}…"),
            Command::SetVehicleStatus(_, name, patch) => format!(
                "Setting {name} to {}…",
                patch.service_status.map_or("its status", |s| s.label())
            ),
            Command::CreateTechnician(new) => format!("Creating technician {}…", new.name),
            Command::UpdateTechnician(id, _) => format!("Saving {}…", technician(*id)),
            Command::SaveRoleAssignment(request) => format!("Saving {}…", scope(request)),
            Command::ResolveRoleConflict(resolve) => {
                format!("Resolving the overlaps of {}…", scope(&resolve.request))
            }
            Command::DeleteRoleAssignment(_) => "Removing the role assignment…".to_string(),
            Command::SignIn { email, .. } => format!("Signing in as {email}…"),
            _ => "Working…".to_string(),
        }
    }

    /// The header counts are old: offline, or not read again for three refresh intervals.
    pub(super) fn counts_stale(&self) -> bool {
        if self.summary.is_none() {
            return false;
        }
        let old = Duration::from_secs(3 * self.refresh_every);
        matches!(self.status.connection, Connection::Offline { .. })
            || self
                .summary_at
                .is_some_and(|at| self.now().saturating_duration_since(at) > old)
    }
}
