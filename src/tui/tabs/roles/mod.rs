//! The Roles tab: the organization tree on the left, the role assignments of the selected
//! organization on the right (`←→` move between them), with those of the organizations below
//! it when `i` says so; new, edit and delete (asks), and a user's roles everywhere (`u`).
//! Each organization's list is loaded when the selection lands on it.

mod list;
mod tree;

use std::time::Instant;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use self::list::{ListLook, RoleList};
use self::tree::Tree;
use super::{Motion, TabLook};
use crate::api::dates::{DEFAULT_VALID_FROM, DEFAULT_VALID_TO};
use crate::api::events::{EventData, EventKind};
use crate::api::roles::{ConflictItem, Organization, RoleAssignmentRequest, RoleAssignmentRow};
use crate::api::{SystemRole, User};
use crate::tui::dialogs::{
    Chosen, Confirm, Dialog, Directory, Outcome, RoleConflict, RoleForm, UserView,
};
use crate::tui::keys::hints::{HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::live::Change;
use crate::tui::message::Command;
use crate::tui::rows::roles_text;
use crate::tui::status::Flash;
use crate::tui::widgets::date::date_text;
use crate::tui::widgets::selection::Selection;

pub const HINTS: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::New), "new", true),
    HintSpec::new(Keys::First(Action::Edit), "edit", true),
    HintSpec::new(Keys::First(Action::Delete), "delete", true),
    HintSpec::new(
        Keys::Run(Action::FocusTree, Action::FocusList),
        "tree / list",
        true,
    ),
    HintSpec::new(Keys::First(Action::UserView), "user", true),
    HintSpec::new(Keys::First(Action::Descendants), "units below too", false),
    HintSpec::new(
        Keys::First(Action::Open),
        "fold (tree) / user (list)",
        false,
    ),
];

/// Which half of the Roles tab the arrow keys move in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RolesFocus {
    Tree,
    List,
}

#[derive(Debug)]
pub struct RolesTab {
    tree: Tree,
    list: RoleList,
    focus: RolesFocus,
    /// The signed-in user: their id, and whether they are a fleet admin (who may assign
    /// everywhere).
    me: Option<(i64, bool)>,
    /// The signed-in user's own role assignments (where they may assign); None until loaded.
    holdings: Option<Vec<RoleAssignmentRow>>,
    /// Set once the tab has been opened; until then nothing of it is loaded.
    visited: bool,
    stale: bool,
}

impl Default for RolesTab {
    fn default() -> Self {
        RolesTab {
            tree: Tree::default(),
            list: RoleList::default(),
            focus: RolesFocus::Tree,
            me: None,
            holdings: None,
            visited: false,
            stale: false,
        }
    }
}

impl RolesTab {
    pub fn is_loaded(&self) -> bool {
        self.tree.loaded
    }

    pub fn focus(&self) -> RolesFocus {
        self.focus
    }

    pub fn selected_organization(&self) -> Option<&Organization> {
        self.tree.selected()
    }

    /// The tree as shown: (depth, name) per line.
    pub fn tree(&self) -> Vec<(usize, &str)> {
        let organizations = self.tree.organizations();
        self.tree
            .rows()
            .iter()
            .filter_map(|row| Some((row.depth, organizations.get(row.index)?.name.as_str())))
            .collect()
    }

    /// The selected organization's assignments as listed; None while never loaded.
    pub fn shown_rows(&self) -> Option<Vec<&RoleAssignmentRow>> {
        self.list.rows(self.tree.selected())
    }

    /// The row selected in the list.
    pub fn list_selected(&self) -> usize {
        self.list.selection.index()
    }

    pub fn selected_assignment(&self) -> Option<RoleAssignmentRow> {
        self.list.selected(self.tree.selected())
    }

    /// Where the role form may assign.
    pub(crate) fn directory(&self) -> Directory<'_> {
        Directory {
            organizations: self.tree.organizations(),
            fleet_admin: self.me.is_some_and(|(_, admin)| admin),
            holdings: self.holdings.as_deref(),
        }
    }

    /// Who is signed in: a fleet admin may assign everywhere, anyone else where their own
    /// roles allow, which are loaded with the tab.
    pub(crate) fn signed_in(&mut self, user: &User) {
        let me = (user.id, user.role == SystemRole::Admin);
        if self.me.is_some_and(|(id, _)| id != user.id) {
            self.holdings = None;
        }
        self.me = Some(me);
    }

    /// Whether the list includes the organizations below the selected one.
    pub fn shows_below(&self) -> bool {
        self.list.below
    }

    fn load_my_roles(&self) -> Option<Command> {
        match self.me {
            Some((user_id, false)) => Some(Command::LoadMyRoles { user_id }),
            _ => None,
        }
    }

    /// (shown, loaded in all) of the organizations.
    pub(crate) fn row_counts(&self) -> (usize, usize) {
        (self.tree.rows().len(), self.tree.organizations().len())
    }

    /// "5 of 10 organizations", and whether that is stale.
    pub(crate) fn counts(&self) -> (String, bool) {
        let (shown, total) = self.row_counts();
        (format!("{shown} of {total} organizations"), self.stale)
    }

    /// The selection the arrow keys move: the tree's or the list's.
    pub(crate) fn moving(&self) -> &Selection {
        match self.focus {
            RolesFocus::Tree => &self.tree.selection,
            RolesFocus::List => &self.list.selection,
        }
    }

    pub(crate) fn mark_stale(&mut self) {
        self.stale = true;
    }

    pub(crate) fn page(&self) -> usize {
        self.tree.selection.page()
    }

    /// The first visit loads the tab.
    pub(crate) fn visit(&mut self) -> Vec<Command> {
        if self.visited {
            return Vec::new();
        }
        self.visited = true;
        self.loads()
    }

    /// Everything the tab shows, once it has been visited: organizations, where the user
    /// may assign, the selected organization's assignments.
    pub(crate) fn loads(&mut self) -> Vec<Command> {
        if !self.visited {
            return Vec::new();
        }
        let mut commands = vec![Command::LoadOrganizations];
        commands.extend(self.load_my_roles());
        commands.extend(self.load_selected());
        commands
    }

    fn load_selected(&mut self) -> Option<Command> {
        let id = self.tree.selected()?.id.clone();
        let (request, organization_id) = self.list.load_selected(id);
        Some(Command::LoadRoleAssignments {
            request,
            organization_id,
            below: self.list.below,
        })
    }

    /// What the tab shows, loaded again (polling while the stream is away).
    pub(crate) fn poll(&mut self) -> Vec<Command> {
        if !self.visited {
            return Vec::new();
        }
        let mut commands = vec![Command::LoadOrganizations];
        commands.extend(self.load_selected());
        commands
    }

    /// After any key or answer: a newly selected organization gets its assignments loaded
    /// (moving, filtering, folding and reloads can all change the selection).
    pub(crate) fn follow(&mut self) -> Option<Command> {
        if !self.list.is_unrequested(self.tree.selected()) {
            return None;
        }
        self.list.selection.select(0);
        self.load_selected()
    }

    pub(crate) fn organizations_loaded(&mut self, organizations: Vec<Organization>, filter: &str) {
        self.tree.set_organizations(organizations, filter);
        self.stale = false;
    }

    /// The signed-in user's own role assignments.
    pub(crate) fn my_roles_loaded(&mut self, rows: Vec<RoleAssignmentRow>) {
        self.holdings = Some(rows);
    }

    pub(crate) fn assignments_loaded(
        &mut self,
        request: u64,
        organization_id: String,
        below: bool,
        rows: Vec<RoleAssignmentRow>,
    ) {
        if self.list.accept(
            request,
            (organization_id, below),
            rows,
            self.tree.selected(),
        ) {
            self.stale = false;
        }
    }

    /// Applies a change to the tree, the role lists and the users the form picks from;
    /// `mark` marks a changed role assignment until then. True when what the tab shows
    /// changed.
    pub(crate) fn apply(&mut self, change: &Change, mark: Option<Instant>, filter: &str) -> bool {
        match (change.kind(), change.data.as_ref()) {
            (_, EventData::Organization(organization)) => {
                self.tree.add(organization.clone(), filter)
            }
            (kind, EventData::RoleAssignment(row)) => {
                let deleted = kind == EventKind::RoleAssignmentDeleted;
                // The user's own roles decide where they may assign.
                if let (Some((me, _)), Some(holdings)) = (self.me, self.holdings.as_mut()) {
                    if row.user_id == me.to_string() {
                        holdings.retain(|held| held.rel_id != row.rel_id);
                        if !deleted {
                            holdings.push(row.clone());
                        }
                    }
                }
                let ancestry = self.tree.ancestry(&row.organization_id);
                self.list
                    .apply(row, deleted, mark, self.tree.selected(), &ancestry)
            }
            (_, EventData::User(user)) => {
                let id = user.id.to_string();
                self.list.rename_user(&id, &user.name, self.tree.selected())
            }
            _ => false,
        }
    }

    pub(crate) fn expire_marks(&mut self, now: Instant) -> bool {
        self.list.expire_marks(now, self.tree.selected())
    }

    pub(crate) fn next_mark_end(&self) -> Option<Instant> {
        self.list.next_mark_end()
    }

    /// Whether the assignment `rel_id` is marked as just changed by someone else.
    pub fn is_marked(&self, rel_id: i64) -> bool {
        self.list.is_marked(rel_id)
    }

    /// One user's assignments in one organization, as last loaded.
    pub(crate) fn known(&self, user_id: &str, organization_id: &str) -> Vec<RoleAssignmentRow> {
        self.list.assignments_of(user_id, organization_id)
    }

    /// The conflict dialog for a 409 on `request`, and the reload of its organization (the
    /// list may be behind the server too, and the timeline should be right).
    pub(crate) fn conflict(
        &mut self,
        request: RoleAssignmentRequest,
        message: String,
        items: Vec<ConflictItem>,
        why: Option<&str>,
        chosen_name: Option<String>,
    ) -> (RoleConflict, Command) {
        let user_id = request.user_id.id().map(|id| id.to_string());
        let known = user_id
            .as_deref()
            .map(|id| self.known(id, &request.organization_id))
            .unwrap_or_default();
        let user_name = chosen_name
            .or_else(|| known.first().map(|row| row.user_name.clone()))
            .unwrap_or_else(|| format!("user {}", user_id.as_deref().unwrap_or("?")));
        let organization_name = self.tree.name_of(&request.organization_id);
        let organization_id = request.organization_id.clone();
        let dialog = RoleConflict::new(
            message,
            request,
            items,
            &known,
            user_name,
            organization_name,
        )
        .with_why(why);
        let (request, organization_id) = self.list.load(organization_id);
        let reload = Command::LoadRoleAssignments {
            request,
            organization_id,
            below: self.list.below,
        };
        (dialog, reload)
    }

    pub(crate) fn refilter(&mut self, filter: &str) {
        self.tree.rebuild(filter);
    }

    /// The filter was kept: the selection lands on a match.
    pub(crate) fn filter_kept(&mut self, filter: &str) {
        self.tree.land_on_match(filter);
    }

    pub(crate) fn cycle_sort(&mut self, reverse: bool) {
        self.list.cycle_sort(self.tree.selected(), reverse);
    }

    /// Selects the assignment `rel_id` once the list holding it arrives (one just written).
    pub(crate) fn want(&mut self, rel_id: i64) {
        self.list.want(rel_id, self.tree.selected());
    }

    pub(crate) fn motion(&mut self, motion: Motion) {
        let page = self.page();
        match self.focus {
            RolesFocus::Tree => {
                let len = self.tree.rows().len();
                self.tree.selection.move_by(motion.delta(page, len), len);
            }
            RolesFocus::List => {
                let len = self.list.shown(self.tree.selected()).len();
                self.list.move_by(motion.delta(page, len), len);
            }
        }
    }

    /// The user view of the selected row's user, and its load.
    fn user_view(&self) -> Option<Outcome> {
        let row = self.selected_assignment()?;
        let user_id = row.user_id.parse::<i64>().ok()?;
        Some(
            Outcome::open(Dialog::UserView(Box::new(UserView::new(
                user_id,
                row.user_name,
            ))))
            .and(Outcome::Send(Command::LoadUserRoles { user_id })),
        )
    }

    pub(crate) fn on_action(&mut self, action: Action, filter: &str, keys: &KeyMap) -> Outcome {
        let in_list = self.focus == RolesFocus::List;
        let choose_first = || {
            Outcome::Say(Flash::info(format!(
                "Choose an assignment in the list first ({} moves there).",
                keys.label(Context::Roles, Action::FocusList)
            )))
        };
        match action {
            Action::FocusList => self.focus = RolesFocus::List,
            Action::FocusTree => self.focus = RolesFocus::Tree,
            Action::Open | Action::Fold if !in_list => {
                if !self.tree.toggle_selected(filter) {
                    self.focus = RolesFocus::List;
                }
            }
            Action::New => {
                let Some(organization) = self.tree.selected() else {
                    return Outcome::Say(Flash::info("Choose an organization first."));
                };
                let organization = Chosen {
                    id: organization.id.clone(),
                    label: organization.name.clone(),
                };
                return Outcome::open(Dialog::RoleForm(Box::new(RoleForm::new_assignment(
                    organization,
                ))));
            }
            Action::Descendants => {
                // The list follows the new mode (loaded if it never was).
                self.list.below = !self.list.below;
                let keep = self.selected_assignment().map(|row| row.rel_id);
                self.list.selection.select(0);
                if let Some(rel_id) = keep {
                    self.list.want(rel_id, self.tree.selected());
                }
                let text = if self.list.below {
                    "Listing the organizations below too."
                } else {
                    "Listing this organization only."
                };
                return Outcome::Say(Flash::info(text));
            }
            Action::UserView | Action::Open => match self.user_view() {
                Some(outcome) if in_list || action == Action::UserView => return outcome,
                _ => return choose_first(),
            },
            Action::Edit => match self.selected_assignment() {
                Some(row) if in_list => {
                    return Outcome::open(Dialog::RoleForm(Box::new(RoleForm::edit(&row))))
                }
                _ => return choose_first(),
            },
            Action::Delete => match self.selected_assignment() {
                Some(row) if in_list => {
                    let message = format!(
                        "Delete {}'s {} in {} ({} to {})?",
                        row.user_name,
                        roles_text(&row.roles, false),
                        row.organization_name,
                        date_text(row.valid_from, DEFAULT_VALID_FROM, true),
                        date_text(row.valid_to, DEFAULT_VALID_TO, true),
                    );
                    return Outcome::open(Dialog::Confirm(Confirm::new(
                        "Delete role assignment",
                        message,
                        Command::DeleteRoleAssignment(row.rel_id),
                    )));
                }
                _ => return choose_first(),
            },
            _ => return Outcome::Ignored,
        }
        Outcome::Stay
    }

    pub(crate) fn draw(&mut self, frame: &mut Frame, area: Rect, look: &TabLook) {
        let tree_width = if look.wide { 28 } else { 22 };
        let [tree_area, rule_area, list_area] = Layout::horizontal([
            Constraint::Length(tree_width),
            Constraint::Length(1),
            Constraint::Min(10),
        ])
        .areas(area);
        self.tree.draw(
            frame,
            tree_area,
            look.focused && self.focus == RolesFocus::Tree,
            look.theme,
        );
        let rule: Vec<Line> = (0..rule_area.height).map(|_| Line::from("│")).collect();
        frame.render_widget(Paragraph::new(rule).style(look.theme.dim()), rule_area);
        let Some(organization) = self.tree.selected() else {
            return;
        };
        let new_key = look.keys.label(Context::Roles, Action::New);
        let list_look = ListLook {
            today: look.today,
            wide: look.wide,
            focused: look.focused && self.focus == RolesFocus::List,
            new_key: &new_key,
            theme: look.theme,
        };
        self.list.draw(frame, list_area, organization, &list_look);
    }
}
