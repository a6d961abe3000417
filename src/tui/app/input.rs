//! Where a key goes: the dialog on top takes it first, then the filter being typed, then the
//! current tab through its key map; what the room answers (an [`Outcome`]) is carried out here.

use crossterm::event::KeyEvent;

use super::App;
use crate::tui::dialogs::{Context as DialogContext, Dialog, Help, Message, Outcome};
use crate::tui::keys::hints::tab_hints;
use crate::tui::keys::{Action, Context};
use crate::tui::message::Command;
use crate::tui::status::{Connection, Flash, FlashKind};
use crate::tui::tabs::{Motion, Tab};
use crate::tui::widgets::field::Field;

impl App {
    pub(super) fn on_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        if self.keys.action(Context::Always, key) == Some(Action::QuitNow) {
            self.quit = true;
            return vec![Command::Quit];
        }
        let signed_in = self.user.is_some();
        let now = self.now();
        if let Some(dialog) = self.dialogs.top_mut() {
            let context = DialogContext {
                keys: &self.keys,
                today: self.today,
                now,
                signed_in,
                directory: self.tabs.roles.directory(),
            };
            let outcome = dialog.on_key(key, &context);
            return self.carry_out(outcome);
        }
        if self.filtering {
            return self.on_filter_key(key);
        }
        match self.tab_keys().action(self.tab.context(), key) {
            Some(action) => self.on_action(action),
            None => self.carry_out(Outcome::Ignored),
        }
    }

    /// Typing a filter: keys are text, but for keeping, clearing and leaving it.
    pub(super) fn on_filter_key(&mut self, key: &KeyEvent) -> Vec<Command> {
        match self.keys.action(Context::Filter, key) {
            Some(Action::KeepFilter) => {
                self.filtering = false;
                self.tabs.filter_kept(self.tab, self.filter.value());
            }
            Some(Action::ClearFilter) => {
                self.filtering = false;
                self.filter = Field::default();
                self.tabs.refilter(self.tab, "");
            }
            Some(action @ (Action::Down | Action::Up)) => {
                self.filtering = false;
                return self.on_action(action);
            }
            _ => {
                self.filter.input(key);
                self.tabs.refilter(self.tab, self.filter.value());
            }
        }
        Vec::new()
    }

    /// An action on the current tab: the keys all tabs share here, the rest in the tab.
    pub(super) fn on_action(&mut self, action: Action) -> Vec<Command> {
        if let Some(tab) = Tab::jump(action) {
            return self.switch_tab(tab);
        }
        if let Some(motion) = Motion::of(action) {
            return self.tabs.motion(self.tab, motion).into_iter().collect();
        }
        match action {
            Action::Quit => return self.carry_out(Outcome::Quit),
            Action::NextTab => return self.switch_tab(self.tab.next(true)),
            Action::PreviousTab => return self.switch_tab(self.tab.next(false)),
            Action::Filter => self.filtering = true,
            Action::ClearFilter if !self.filter.value().is_empty() => {
                self.filter = Field::default();
                self.tabs.refilter(self.tab, "");
            }
            Action::Sort | Action::ReverseSort => {
                self.tabs
                    .cycle_sort(self.tab, action == Action::ReverseSort);
                self.tabs.refilter(self.tab, self.filter.value());
            }
            Action::Refresh => {
                self.status.connection = Connection::Refreshing;
                return self.reload_all();
            }
            Action::Help => {
                let hints = tab_hints(self.tab_keys(), self.tab.context(), self.tab.hints());
                let title = format!("{} tab", self.tab.title());
                self.dialogs.push(Dialog::Help(Help::new(title, hints)));
            }
            // The error in the footer in full; Enter keeps its meaning on the row.
            Action::ShowError => match self.flash.as_ref().and_then(|f| f.detail.clone()) {
                Some(detail) => self
                    .dialogs
                    .push(Dialog::Message(Message::new("Error", detail))),
                None => self.dirty = false,
            },
            Action::Export => self.flash = Some(self.export()),
            Action::Copy => {
                let text = match self.tabs.key_text(self.tab) {
                    Some((text, what)) => {
                        let said = format!("Copied {text} ({what}) to the clipboard.");
                        self.clipboard = Some(text);
                        said
                    }
                    None => format!("Nothing to copy on the {} tab.", self.tab.title()),
                };
                self.flash = Some(Flash::info(text));
            }
            action => {
                let outcome =
                    self.tabs
                        .on_action(self.tab, action, self.filter.value(), &self.keys);
                return self.carry_out(outcome);
            }
        }
        Vec::new()
    }

    pub(super) fn switch_tab(&mut self, tab: Tab) -> Vec<Command> {
        if self.tab == tab {
            return Vec::new();
        }
        self.tab = tab;
        self.filter = Field::default();
        self.filtering = false;
        self.tabs.refilter_all(tab, "");
        match tab {
            Tab::Roles => self.tabs.roles.visit(),
            Tab::Activity => self.tabs.activity.visit().into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Does what a room answered.
    pub(super) fn carry_out(&mut self, outcome: Outcome) -> Vec<Command> {
        let mut commands = Vec::new();
        match outcome {
            Outcome::Ignored => self.dirty = false,
            outcome => self.apply(outcome, &mut commands),
        }
        commands
    }

    pub(super) fn apply(&mut self, outcome: Outcome, commands: &mut Vec<Command>) {
        match outcome {
            Outcome::Ignored | Outcome::Stay => {}
            Outcome::Close => {
                self.dialogs.pop();
            }
            Outcome::Open(dialog) => self.dialogs.push(*dialog),
            Outcome::Send(command) => commands.push(command),
            Outcome::Say(flash) => self.flash = Some(flash),
            Outcome::Quit => {
                self.quit = true;
                commands.push(Command::Quit);
            }
            Outcome::All(all) => {
                for outcome in all {
                    self.apply(outcome, commands);
                }
            }
        }
    }
}

impl App {
    /// `x`: the list on screen into a CSV file; what the footer says about it.
    fn export(&self) -> Flash {
        let Some(view) = self.tabs.export_view(self.tab) else {
            return Flash::info("Nothing to export yet: choose an organization first.");
        };
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
        match crate::tui::export_view::write(self.export_dir.as_deref(), &view, &stamp) {
            Ok(path) => Flash::new(
                FlashKind::Success,
                format!(
                    "Exported {} {} to {}",
                    view.rows.len(),
                    view.name,
                    path.display()
                ),
            ),
            Err(why) => Flash::failed(format!("Not exported: {why}.")),
        }
    }
}
