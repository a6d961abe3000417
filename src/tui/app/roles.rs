//! The Roles tab's keys and answers: the tree and list, the role form and the conflict dialog.

use crossterm::event::{KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use super::{App, Command, Dialog, FlashKind, PickPurpose, Picker, PickerItem, Response};
use crate::api::dates::{DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::roles::{ConflictItem, ResolveRequest, Role};
use crate::tui::roles::{
    date_text, roles_text, Chosen, RoleConflict, RoleField, RoleForm, RolesFocus,
};

/// Shown when a resolve met changed data and the server sent fresh suggestions.
const FRESH_SUGGESTIONS: &str =
    "The assignments changed meanwhile, so nothing was applied; these are fresh suggestions.";

impl App {
    /// Everything the Roles tab shows: organizations, users for the picker, the selected
    /// organization's assignments. Not tracked; the caller does that.
    pub(super) fn roles_loads(&mut self) -> Vec<Command> {
        let mut commands = vec![Command::LoadOrganizations, Command::LoadUsers];
        commands.extend(self.load_selected_organization());
        commands
    }

    fn load_selected_organization(&mut self) -> Option<Command> {
        let (request, organization_id) = self.roles.load_selected()?;
        Some(Command::LoadRoleAssignments {
            request,
            organization_id,
        })
    }

    pub(super) fn on_roles_response(&mut self, response: Response) -> Vec<Command> {
        match response {
            Response::Organizations(Ok(organizations)) => {
                let filter = self.filter.value().to_string();
                self.roles.set_organizations(organizations, &filter);
                self.went_well();
            }
            Response::Users(Ok(mut users)) => {
                users.sort_by_key(|user| user.name.to_lowercase());
                self.roles.users = users;
                self.roles.users_loaded = true;
                self.went_well();
            }
            Response::RoleAssignments {
                request,
                organization_id,
                result: Ok(rows),
            } => {
                self.roles
                    .accept_assignments(request, organization_id.clone(), rows);
                self.refresh_open_conflict(&organization_id);
                self.went_well();
            }
            Response::Users(Err(error)) if error.status() == Some(403) => {
                self.roles.users_loaded = true;
                self.roles.users_forbidden = true;
            }
            Response::Organizations(Err(error))
            | Response::Users(Err(error))
            | Response::RoleAssignments {
                result: Err(error), ..
            } => self.on_failure(&error, None),
            _ => {}
        }
        Vec::new()
    }

    /// A conflict dialog open for this organization draws and checks with the fresh list.
    fn refresh_open_conflict(&mut self, organization_id: &str) {
        let Some(Dialog::RoleConflict(dialog)) = self
            .dialogs
            .iter_mut()
            .rev()
            .find(|dialog| matches!(dialog, Dialog::RoleConflict(_)))
        else {
            return;
        };
        if dialog.request.organization_id != organization_id {
            return;
        }
        let user_id = dialog.request.user_id.id().map(|id| id.to_string());
        let known = user_id
            .map(|id| self.roles.assignments_of(&id, organization_id))
            .unwrap_or_default();
        dialog.set_known(&known);
    }

    /// After any key or answer: a newly selected organization gets its assignments loaded
    /// (moving, filtering, folding and reloads can all change the selection).
    pub(super) fn follow_organization(&mut self) -> Vec<Command> {
        if self.tab != super::Tab::Roles || !self.roles.selection_unrequested() {
            return Vec::new();
        }
        self.roles.list_selected = 0;
        let commands: Vec<Command> = self.load_selected_organization().into_iter().collect();
        self.track(&commands);
        commands
    }

    pub(super) fn move_in_roles(&mut self, delta: isize) -> Vec<Command> {
        match self.roles.focus {
            RolesFocus::Tree => self.roles.move_tree(delta),
            RolesFocus::List => self.roles.move_list(delta),
        }
        Vec::new()
    }

    /// Keys of the Roles tab that the global list keys left alone.
    pub(super) fn roles_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let focus = self.roles.focus;
        match key.code {
            KeyCode::Right | KeyCode::Char('l') => self.roles.focus = RolesFocus::List,
            KeyCode::Left | KeyCode::Char('h') => self.roles.focus = RolesFocus::Tree,
            KeyCode::Enter | KeyCode::Char(' ') if focus == RolesFocus::Tree => {
                let filter = self.filter.value().to_string();
                if !self.roles.toggle_selected(&filter) {
                    self.roles.focus = RolesFocus::List;
                }
            }
            KeyCode::Char('n') => self.open_role_form(),
            KeyCode::Char('e') | KeyCode::Enter => match self.roles.selected_assignment() {
                Some(row) if focus == RolesFocus::List => {
                    self.dialogs.push(Dialog::RoleForm(RoleForm::edit(&row)));
                }
                _ => self.flash(
                    FlashKind::Info,
                    "Choose an assignment in the list first (→ moves there).",
                ),
            },
            KeyCode::Char('d') => match self.roles.selected_assignment() {
                Some(row) if focus == RolesFocus::List => self.dialogs.push(Dialog::Confirm {
                    title: "Delete role assignment".to_string(),
                    message: format!(
                        "Delete {}'s {} in {} ({} to {})?",
                        row.user_name,
                        roles_text(&row.roles, false),
                        row.organization_name,
                        date_text(row.valid_from, DEFAULT_VALID_FROM, true),
                        date_text(row.valid_to, DEFAULT_VALID_TO, true),
                    ),
                    on_yes: Command::DeleteRoleAssignment(row.rel_id),
                }),
                _ => self.flash(
                    FlashKind::Info,
                    "Choose an assignment in the list first (→ moves there).",
                ),
            },
            _ => self.dirty = false,
        }
        Vec::new()
    }

    fn open_role_form(&mut self) {
        let Some(organization) = self.roles.selected_organization() else {
            self.flash(FlashKind::Info, "Choose an organization first.");
            return;
        };
        let organization = Chosen {
            id: organization.id.clone(),
            label: organization.name.clone(),
        };
        self.dialogs
            .push(Dialog::RoleForm(RoleForm::new_assignment(organization)));
    }

    fn open_role_picker(&mut self, purpose: PickPurpose, first: Option<char>) {
        let (title, items): (&str, Vec<PickerItem>) = match purpose {
            PickPurpose::RoleOrganization => (
                "Organization",
                self.roles
                    .rows
                    .iter()
                    .filter_map(|row| {
                        let org = self.roles.organizations.get(row.index)?;
                        Some(PickerItem {
                            id: row.index as i64,
                            label: org.name.clone(),
                            busy_with: None,
                        })
                    })
                    .collect(),
            ),
            _ => (
                "User",
                self.roles
                    .users
                    .iter()
                    .map(|user| PickerItem {
                        id: user.id,
                        label: format!("{} <{}>", user.name, user.email),
                        busy_with: None,
                    })
                    .collect(),
            ),
        };
        if items.is_empty() {
            let why = if self.roles.users_forbidden && purpose == PickPurpose::RoleUser {
                "Only fleet admins may list users, so the user cannot be chosen here."
            } else if self.roles.users_loaded {
                "Nothing to choose from."
            } else {
                "Still loading the list; try again in a moment."
            };
            self.flash(FlashKind::Info, why);
        }
        let mut picker = Picker::new(title.to_string(), purpose, items);
        if let Some(c) = first {
            picker.filter = Input::new(c.to_string());
            picker.refilter();
        }
        self.dialogs.push(Dialog::Picker(picker));
    }

    /// The picker over the role form closed with a choice.
    pub(super) fn picked_for_role_form(&mut self, purpose: &PickPurpose, choice: &PickerItem) {
        let organization = match purpose {
            PickPurpose::RoleOrganization => usize::try_from(choice.id)
                .ok()
                .and_then(|index| self.roles.organizations.get(index))
                .map(|org| Chosen {
                    id: org.id.clone(),
                    label: org.name.clone(),
                }),
            _ => None,
        };
        let user = self
            .roles
            .users
            .iter()
            .find(|user| user.id == choice.id)
            .map(|user| Chosen {
                id: user.id.to_string(),
                label: user.name.clone(),
            });
        if let Some(Dialog::RoleForm(form)) = self.dialogs.last_mut() {
            match purpose {
                PickPurpose::RoleOrganization => {
                    if let Some(organization) = organization {
                        form.organization = organization;
                    }
                }
                _ => form.user = user.or(form.user.take()),
            }
            form.field_error = None;
            // The organization is preselected, so the roles come next either way.
            form.focus = RoleField::Roles;
        }
    }

    pub(super) fn role_form_key(
        &mut self,
        mut form: RoleForm,
        key: KeyEvent,
    ) -> (Option<Dialog>, Vec<Command>) {
        let picker_for = |field: RoleField| match field {
            RoleField::User => Some(PickPurpose::RoleUser),
            RoleField::Organization => Some(PickPurpose::RoleOrganization),
            _ => None,
        };
        match key.code {
            KeyCode::Esc if form.is_dirty() => {
                self.dialogs.push(Dialog::RoleForm(form));
                self.dialogs.push(Dialog::ConfirmDiscard);
                return (None, Vec::new());
            }
            KeyCode::Esc => return (None, Vec::new()),
            KeyCode::Tab | KeyCode::Down => form.move_focus(true),
            KeyCode::BackTab | KeyCode::Up => form.move_focus(false),
            KeyCode::Enter if form.may_change(form.focus) && picker_for(form.focus).is_some() => {
                if let Some(purpose) = picker_for(form.focus) {
                    self.open_role_picker(purpose, None);
                }
            }
            KeyCode::Enter if !form.sending => {
                if let Some(request) = form.validate(self.today) {
                    form.sending = true;
                    return (
                        Some(Dialog::RoleForm(form)),
                        vec![Command::SaveRoleAssignment(request)],
                    );
                }
            }
            KeyCode::Char(c) if form.may_change(form.focus) && picker_for(form.focus).is_some() => {
                if let Some(purpose) = picker_for(form.focus) {
                    self.open_role_picker(purpose, Some(c).filter(|c| !c.is_whitespace()));
                }
            }
            _ => match form.focus {
                RoleField::Roles => match key.code {
                    KeyCode::Left | KeyCode::Char('h') => {
                        form.role_cursor = form.role_cursor.saturating_sub(1)
                    }
                    KeyCode::Right | KeyCode::Char('l') => {
                        form.role_cursor = (form.role_cursor + 1).min(Role::ALL.len() - 1)
                    }
                    KeyCode::Char(' ') | KeyCode::Char('x') => {
                        if let Some(ticked) = form.roles.get_mut(form.role_cursor) {
                            *ticked = !*ticked;
                        }
                        form.field_error = None;
                    }
                    KeyCode::Char(c @ '1'..='5') => {
                        let index = (c as usize) - ('1' as usize);
                        form.role_cursor = index;
                        if let Some(ticked) = form.roles.get_mut(index) {
                            *ticked = !*ticked;
                        }
                        form.field_error = None;
                    }
                    _ => {}
                },
                RoleField::ValidFrom | RoleField::ValidTo => {
                    let input = if form.focus == RoleField::ValidFrom {
                        &mut form.valid_from
                    } else {
                        &mut form.valid_to
                    };
                    input.handle_event(&crossterm::event::Event::Key(key));
                    form.field_error = None;
                    form.error = None;
                }
                RoleField::User | RoleField::Organization => {}
            },
        }
        (Some(Dialog::RoleForm(form)), Vec::new())
    }

    pub(super) fn role_conflict_key(
        &mut self,
        mut dialog: Box<RoleConflict>,
        key: KeyEvent,
    ) -> (Option<Dialog>, Vec<Command>) {
        if let Some(edit) = dialog.editing.as_mut() {
            match key.code {
                KeyCode::Esc => dialog.editing = None,
                KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                    edit.focus = 1 - edit.focus.min(1)
                }
                KeyCode::Enter => {
                    dialog.finish_edit(self.today);
                }
                _ => {
                    let input = if edit.focus == 0 {
                        &mut edit.from
                    } else {
                        &mut edit.to
                    };
                    input.handle_event(&crossterm::event::Event::Key(key));
                    edit.error = None;
                }
            }
            return (Some(Dialog::RoleConflict(dialog)), Vec::new());
        }
        let last = dialog.items.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => {
                self.flash(FlashKind::Info, "Cancelled; nothing changed.");
                return (None, Vec::new());
            }
            KeyCode::Down | KeyCode::Char('j') => dialog.selected = (dialog.selected + 1).min(last),
            KeyCode::Up | KeyCode::Char('k') => dialog.selected = dialog.selected.saturating_sub(1),
            KeyCode::Char('e') if !dialog.sending => {
                dialog.error = dialog.start_edit().err();
            }
            KeyCode::Char('u') if !dialog.sending => {
                dialog.items = dialog.suggested.clone();
                dialog.error = None;
                dialog.recheck();
            }
            KeyCode::Enter if !dialog.sending => match &dialog.outcome {
                Err(why) => {
                    dialog.error = Some(format!(
                        "Not sent: {why}. Edit the dates (e) or undo the edits (u)."
                    ));
                }
                Ok(_) => {
                    dialog.sending = true;
                    dialog.error = None;
                    let resolve = ResolveRequest {
                        request: dialog.request.clone(),
                        resolution: dialog.items.clone(),
                    };
                    return (
                        Some(Dialog::RoleConflict(dialog)),
                        vec![Command::ResolveRoleConflict(resolve)],
                    );
                }
            },
            _ => {}
        }
        (Some(Dialog::RoleConflict(dialog)), Vec::new())
    }

    /// A 409 from saving or resolving: open (or renew) the conflict dialog.
    pub(super) fn on_role_conflict(
        &mut self,
        command: Command,
        message: String,
        items: Vec<ConflictItem>,
    ) -> Vec<Command> {
        self.mark_not_sending();
        let (request, why) = match command {
            Command::SaveRoleAssignment(request) => (request, None),
            Command::ResolveRoleConflict(resolve) if items.is_empty() => {
                // Nothing overlaps any more: the plain request goes through as it is.
                if let Some(Dialog::RoleConflict(dialog)) = self.dialogs.last_mut() {
                    dialog.sending = true;
                }
                let commands = vec![Command::SaveRoleAssignment(resolve.request)];
                self.track(&commands);
                return commands;
            }
            Command::ResolveRoleConflict(resolve) => (resolve.request, Some(FRESH_SUGGESTIONS)),
            _ => return Vec::new(),
        };
        if let Some(Dialog::RoleConflict(_)) = self.dialogs.last() {
            self.dialogs.pop();
        }
        let user_id = request.user_id.id().map(|id| id.to_string());
        let known = user_id
            .as_deref()
            .map(|id| self.roles.assignments_of(id, &request.organization_id))
            .unwrap_or_default();
        let user_name = user_id
            .as_deref()
            .and_then(|id| {
                self.roles
                    .users
                    .iter()
                    .find(|user| user.id.to_string() == id)
            })
            .map(|user| user.name.clone())
            .or_else(|| known.first().map(|row| row.user_name.clone()))
            .unwrap_or_else(|| format!("user {}", user_id.as_deref().unwrap_or("?")));
        let organization_name = self.roles.organization_name(&request.organization_id);
        let organization_id = request.organization_id.clone();
        let mut dialog = RoleConflict::new(
            message,
            request,
            items,
            &known,
            user_name,
            organization_name,
        );
        dialog.why = why.map(str::to_string);
        self.dialogs.push(Dialog::RoleConflict(Box::new(dialog)));
        // The list may be behind the server too: fetch it so the timeline is right.
        let (request, organization_id) = self.roles.load(organization_id);
        let commands = vec![Command::LoadRoleAssignments {
            request,
            organization_id,
        }];
        self.track(&commands);
        commands
    }
}
