//! What a key does: every key press becomes an [`Action`] through the [`KeyMap`] of the
//! context it arrives in (a tab, the filter line, a dialog), falling back to the keys common
//! to the tabs. Handlers match actions; the footer and the help read their keys from the same
//! map, so a rebound key shows where it works. A config that gives one key two actions in one
//! context is refused, naming both and the line.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crossterm::event::KeyEvent;

use super::defaults::defaults;
use super::spec::KeySpec;
use crate::config::{Config, ConfigError, KeyBinding};

/// Everything a key can do somewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    QuitNow,
    Quit,
    Refresh,
    Help,
    Filter,
    ClearFilter,
    KeepFilter,
    Sort,
    ReverseSort,
    NextTab,
    PreviousTab,
    Vehicles,
    Technicians,
    Assignments,
    Roles,
    Activity,
    Down,
    Up,
    PageDown,
    PageUp,
    First,
    Last,
    /// Enter on a row: its history, its details, fold or edit.
    Open,
    /// The error in the footer, in full.
    ShowError,
    New,
    Edit,
    Delete,
    Assign,
    Return,
    Status,
    /// A vehicle's service status (`o`).
    ServiceStatus,
    FocusTree,
    FocusList,
    Fold,
    /// The Roles tab's list with (or without) the organizations below the selected one.
    Descendants,
    /// All role assignments of the selected row's user.
    UserView,
    /// The selected row's key text to the clipboard (OSC 52).
    Copy,
    /// The list on screen to a CSV file.
    Export,
    /// Closes a dialog that only shows something.
    Close,
    Yes,
    No,
    /// Enter in a dialog: save, choose, sign in, accept.
    Accept,
    Cancel,
    NextField,
    PreviousField,
    Undo,
    PreviousRole,
    NextRole,
    Tick,
    /// Ticks the n-th role (1–5) of the role form.
    TickRole(u8),
}

/// Actions the config file may rebind, with the key each has by default. The default key is
/// replaced wherever the action has it, in every context.
const CONFIGURABLE: &[(Action, &str, &str)] = &[
    (Action::Quit, "quit", "q"),
    (Action::Refresh, "refresh", "ctrl-r"),
    (Action::Help, "help", "?"),
    (Action::ShowError, "show_error", "m"),
    (Action::Filter, "filter", "/"),
    (Action::Sort, "sort", "s"),
    (Action::ReverseSort, "reverse_sort", "S"),
    (Action::NextTab, "next_tab", "tab"),
    (Action::PreviousTab, "previous_tab", "shift-tab"),
    (Action::Vehicles, "vehicles", "1"),
    (Action::Technicians, "technicians", "2"),
    (Action::Assignments, "assignments", "3"),
    (Action::Roles, "roles", "4"),
    (Action::Activity, "activity", "5"),
    (Action::Down, "down", "j"),
    (Action::Up, "up", "k"),
    (Action::First, "first", "g"),
    (Action::Last, "last", "G"),
    (Action::New, "new", "n"),
    (Action::Edit, "edit", "e"),
    (Action::Delete, "delete", "d"),
    (Action::Assign, "assign", "a"),
    (Action::Return, "return", "r"),
    (Action::Status, "status", "f"),
    (Action::ServiceStatus, "service_status", "o"),
    (Action::Descendants, "descendants", "i"),
    (Action::UserView, "user", "u"),
    (Action::Copy, "copy", "y"),
    (Action::Export, "export", "x"),
];

impl Action {
    /// The name used in `[keys]` and in messages.
    pub fn name(self) -> String {
        if let Some((_, name, _)) = CONFIGURABLE.iter().find(|(action, ..)| *action == self) {
            return name.to_string();
        }
        let name = match self {
            Action::QuitNow => "quit_now",
            Action::ClearFilter => "clear_filter",
            Action::KeepFilter => "keep_filter",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::Open => "open",
            Action::FocusTree => "focus_tree",
            Action::FocusList => "focus_list",
            Action::Fold => "fold",
            Action::Close => "close",
            Action::Yes => "yes",
            Action::No => "no",
            Action::Accept => "accept",
            Action::Cancel => "cancel",
            Action::NextField => "next_field",
            Action::PreviousField => "previous_field",
            Action::Undo => "undo",
            Action::PreviousRole => "previous_role",
            Action::NextRole => "next_role",
            Action::Tick => "tick",
            Action::TickRole(n) => return format!("tick_role_{n}"),
            _ => "?",
        };
        name.to_string()
    }
}

/// The names `[keys]` accepts.
pub fn action_names() -> Vec<&'static str> {
    CONFIGURABLE.iter().map(|(_, name, _)| *name).collect()
}

/// Where a key arrives: each has its own keys; a tab falls back to the keys common to tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Context {
    /// Before anything else, everywhere.
    Always,
    /// The keys of every tab: moving, sorting, filtering, switching, quitting.
    Common,
    Vehicles,
    Technicians,
    Assignments,
    Roles,
    Activity,
    /// Typing a filter.
    Filter,
    /// Help, messages, details, history: read and close.
    Reader,
    Confirm,
    Picker,
    FleetForm,
    SignIn,
    AssignmentConflict,
    RoleForm,
    /// The role form with its roles focused (falls back to the role form).
    RoleTicks,
    RoleConflict,
    /// Editing a conflict row's dates.
    DateEdit,
    /// One user's role assignments in every organization.
    UserView,
    /// The service status dialog with its choices focused.
    ServiceStatus,
}

impl Context {
    const ALL: [Context; 20] = [
        Context::Always,
        Context::Common,
        Context::Vehicles,
        Context::Technicians,
        Context::Assignments,
        Context::Roles,
        Context::Activity,
        Context::Filter,
        Context::Reader,
        Context::Confirm,
        Context::Picker,
        Context::FleetForm,
        Context::SignIn,
        Context::AssignmentConflict,
        Context::RoleForm,
        Context::RoleTicks,
        Context::RoleConflict,
        Context::DateEdit,
        Context::UserView,
        Context::ServiceStatus,
    ];

    fn fallback(self) -> Option<Context> {
        match self {
            Context::Vehicles
            | Context::Technicians
            | Context::Assignments
            | Context::Roles
            | Context::Activity => Some(Context::Common),
            Context::RoleTicks => Some(Context::RoleForm),
            _ => None,
        }
    }

    /// The contexts a key is looked up in, first match wins.
    fn chain(self) -> impl Iterator<Item = Context> {
        let mut next = Some(self);
        std::iter::once(Context::Always).chain(std::iter::from_fn(move || {
            let current = next?;
            next = current.fallback();
            Some(current)
        }))
    }

    /// For messages: "the Vehicles tab".
    pub fn describe(self) -> &'static str {
        match self {
            Context::Always => "every screen",
            Context::Common => "every tab",
            Context::Vehicles => "the Vehicles tab",
            Context::Technicians => "the Technicians tab",
            Context::Assignments => "the Assignments tab",
            Context::Roles => "the Roles tab",
            Context::Activity => "the Activity tab",
            Context::Filter => "the filter line",
            Context::Reader => "help and messages",
            Context::Confirm => "questions",
            Context::Picker => "pickers",
            Context::FleetForm => "the vehicle and technician forms",
            Context::SignIn => "the sign-in dialog",
            Context::AssignmentConflict => "the assignment conflict dialog",
            Context::RoleForm | Context::RoleTicks => "the role form",
            Context::RoleConflict => "the role conflict dialog",
            Context::DateEdit => "the role conflict's date editor",
            Context::UserView => "the user view",
            Context::ServiceStatus => "the service status dialog",
        }
    }
}

/// Why the `[keys]` of the config file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// An action name fleetdesk does not know.
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}:{line}: keys.{action}: {message}", path.display())]
    NotAKey {
        path: PathBuf,
        line: usize,
        action: String,
        message: String,
    },
    /// One key, two actions, one context.
    #[error(transparent)]
    Clash(Box<Clash>),
}

/// A key bound to two actions in one context.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}: keys.{action} = \"{key}\": {label} already does `{other}`{other_line} on {context}; one key cannot do both", path.display())]
pub struct Clash {
    path: PathBuf,
    line: usize,
    action: String,
    key: KeySpec,
    label: String,
    other: String,
    /// Where the other action was bound, when the config file did it too.
    other_line: String,
    context: &'static str,
}

/// The keys of every context, rebound as the config file says.
#[derive(Clone, Debug)]
pub struct KeyMap {
    bindings: HashMap<Context, Vec<(Action, Vec<KeySpec>)>>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = Context::ALL
            .into_iter()
            .map(|context| {
                let keys = defaults(context)
                    .into_iter()
                    .map(|(action, keys)| (action, keys.into_iter().map(parse_default).collect()))
                    .collect();
                (context, keys)
            })
            .collect();
        KeyMap { bindings }
    }
}

fn parse_default(text: &str) -> KeySpec {
    text.parse().unwrap_or_else(|_| {
        // The defaults are written here and tested; a typo is a bug, not a user's mistake.
        unreachable!("default key {text:?} does not parse")
    })
}

impl KeyMap {
    /// The defaults with `[keys]` of `config` applied; unknown actions, texts that are not
    /// keys and keys given two actions in one context are errors naming the line.
    pub fn from_config(config: &Config) -> Result<KeyMap, KeyError> {
        config.check_key_actions(&action_names())?;
        let path = config.file.clone().unwrap_or_default();
        let mut map = KeyMap::default();
        let mut lines: HashMap<Action, (usize, KeySpec)> = HashMap::new();
        for (name, binding) in &config.keys {
            let Some((action, _, default)) = CONFIGURABLE.iter().find(|(_, n, _)| n == name) else {
                continue;
            };
            let key = binding
                .key
                .parse::<KeySpec>()
                .map_err(|error| KeyError::NotAKey {
                    path: path.clone(),
                    line: binding.line,
                    action: name.clone(),
                    message: error.0,
                })?;
            map.rebind(*action, parse_default(default), key);
            lines.insert(*action, (binding.line, key));
        }
        map.check(&path, &lines)?;
        Ok(map)
    }

    /// Test and bench helper: the defaults with `action` bound to `key` instead.
    pub fn with(config: &[(&str, &str)]) -> Result<KeyMap, KeyError> {
        let keys: BTreeMap<String, KeyBinding> = config
            .iter()
            .enumerate()
            .map(|(index, (action, key))| {
                (
                    action.to_string(),
                    KeyBinding {
                        key: key.to_string(),
                        line: index + 2,
                    },
                )
            })
            .collect();
        KeyMap::from_config(&Config {
            keys,
            file: Some(PathBuf::from("config.toml")),
            ..Config::default()
        })
    }

    fn rebind(&mut self, action: Action, default: KeySpec, key: KeySpec) {
        for keys in self.bindings.values_mut() {
            for (bound, keys) in keys.iter_mut() {
                if *bound == action {
                    for spec in keys.iter_mut().filter(|spec| **spec == default) {
                        *spec = key;
                    }
                }
            }
        }
    }

    /// Every context, with what it falls back to, gives each key at most one action.
    fn check(
        &self,
        path: &std::path::Path,
        lines: &HashMap<Action, (usize, KeySpec)>,
    ) -> Result<(), KeyError> {
        for context in Context::ALL {
            let mut seen: HashMap<KeySpec, Action> = HashMap::new();
            for link in context.chain() {
                for (action, keys) in self.bindings.get(&link).into_iter().flatten() {
                    for key in keys {
                        match seen.get(key) {
                            Some(other) if other != action => {
                                return Err(clash(path, lines, context, *key, *action, *other));
                            }
                            _ => {
                                seen.insert(*key, *action);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The action of a key press in `context`, if any.
    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        let spec = KeySpec::of(event)?;
        context.chain().find_map(|link| {
            self.bindings
                .get(&link)?
                .iter()
                .find(|(_, keys)| keys.contains(&spec))
                .map(|(action, _)| *action)
        })
    }

    /// The same keys without those that change the fleet, for a read-only (`viewer`) user:
    /// the tabs neither act on nor show them.
    pub fn read_only(&self) -> KeyMap {
        const WRITES: [Action; 6] = [
            Action::ServiceStatus,
            Action::New,
            Action::Edit,
            Action::Delete,
            Action::Assign,
            Action::Return,
        ];
        let mut map = self.clone();
        for context in [
            Context::Vehicles,
            Context::Technicians,
            Context::Assignments,
        ] {
            if let Some(bindings) = map.bindings.get_mut(&context) {
                bindings.retain(|(action, _)| !WRITES.contains(action));
            }
        }
        map
    }

    /// The keys of `action` in `context`, first key first.
    pub fn keys(&self, context: Context, action: Action) -> &[KeySpec] {
        context
            .chain()
            .find_map(|link| {
                self.bindings
                    .get(&link)?
                    .iter()
                    .find(|(bound, _)| *bound == action)
                    .map(|(_, keys)| keys.as_slice())
            })
            .unwrap_or(&[])
    }

    /// How to show the first key of `action` in `context`: "n", "Ctrl-R", "Enter".
    pub fn label(&self, context: Context, action: Action) -> String {
        self.keys(context, action)
            .first()
            .map(KeySpec::label)
            .unwrap_or_default()
    }
}

fn clash(
    path: &std::path::Path,
    lines: &HashMap<Action, (usize, KeySpec)>,
    context: Context,
    key: KeySpec,
    action: Action,
    other: Action,
) -> KeyError {
    // Name the line of the configured one; when both are, the later line, citing the other.
    let (action, other) = match (lines.get(&action), lines.get(&other)) {
        (Some((a, _)), Some((b, _))) if a < b => (other, action),
        (None, Some(_)) => (other, action),
        _ => (action, other),
    };
    let line = lines.get(&action).map_or(0, |(line, _)| *line);
    let other_line = lines
        .get(&other)
        .map(|(line, _)| format!(" (keys.{}, line {line})", other.name()))
        .unwrap_or_default();
    KeyError::Clash(Box::new(Clash {
        path: path.to_path_buf(),
        line,
        action: action.name(),
        key,
        label: key.label(),
        other: other.name(),
        other_line,
        context: context.describe(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_default_keys_parse_and_never_clash() {
        let map = KeyMap::default();
        map.check(std::path::Path::new(""), &HashMap::new())
            .expect("no clash among the defaults");
        for (action, name, key) in CONFIGURABLE {
            assert_eq!(action.name(), *name);
            assert!(key.parse::<KeySpec>().is_ok(), "{name} = {key}");
        }
    }

    #[test]
    fn a_tab_falls_back_to_the_common_keys_and_a_dialog_does_not() {
        let map = KeyMap::default();
        let n = press(KeyCode::Char('n'));
        let q = press(KeyCode::Char('q'));
        assert_eq!(map.action(Context::Vehicles, &n), Some(Action::New));
        assert_eq!(map.action(Context::Vehicles, &q), Some(Action::Quit));
        assert_eq!(
            map.action(Context::FleetForm, &q),
            None,
            "typed into the field"
        );
        assert_eq!(map.action(Context::Reader, &q), Some(Action::Close));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            map.action(Context::FleetForm, &ctrl_c),
            Some(Action::QuitNow)
        );
        assert_eq!(
            map.action(Context::RoleTicks, &press(KeyCode::Tab)),
            Some(Action::NextField)
        );
    }

    #[test]
    fn a_rebound_key_replaces_the_default_everywhere_it_is_bound() {
        let map = KeyMap::with(&[("refresh", "f5"), ("quit", "ctrl-q"), ("down", "v")])
            .expect("no clash");
        assert_eq!(
            map.action(Context::Roles, &press(KeyCode::F(5))),
            Some(Action::Refresh)
        );
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Context::Roles, &ctrl_r), None);
        assert_eq!(
            map.action(Context::Vehicles, &press(KeyCode::Char('q'))),
            None
        );
        let ctrl_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Context::Vehicles, &ctrl_q), Some(Action::Quit));
        assert_eq!(map.label(Context::Vehicles, Action::Quit), "Ctrl-Q");
        // The arrow stays; the letter moves, in lists and in the conflict dialog alike.
        assert_eq!(
            map.action(Context::Common, &press(KeyCode::Down)),
            Some(Action::Down)
        );
        assert_eq!(
            map.action(Context::Common, &press(KeyCode::Char('v'))),
            Some(Action::Down)
        );
        assert_eq!(
            map.action(Context::RoleConflict, &press(KeyCode::Char('v'))),
            Some(Action::Down)
        );
        assert_eq!(
            map.action(Context::RoleConflict, &press(KeyCode::Char('j'))),
            None
        );
    }

    #[test]
    fn one_key_for_two_actions_names_both_and_the_line() {
        let error = KeyMap::with(&[("refresh", "n")]).unwrap_err().to_string();
        assert!(error.contains("config.toml:2"), "{error}");
        assert!(error.contains("keys.refresh"), "{error}");
        assert!(error.contains("`new`"), "{error}");
        assert!(error.contains("the Vehicles tab"), "{error}");
        let error = KeyMap::with(&[("new", "x"), ("edit", "x")])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("keys.edit") && error.contains("keys.new"),
            "{error}"
        );
        assert!(
            error.contains("config.toml:3") && error.contains("line 2"),
            "{error}"
        );
        let error = KeyMap::with(&[("quit", "down")]).unwrap_err().to_string();
        assert!(error.contains("`down`"), "{error}");
    }

    #[test]
    fn bad_key_texts_and_unknown_actions_name_the_line() {
        let error = KeyMap::with(&[("quit", "ctrl-")]).unwrap_err().to_string();
        assert!(error.starts_with("config.toml:2: keys.quit:"), "{error}");
        assert!(error.contains("not a key"), "{error}");
        let error = KeyMap::with(&[("quit", "q"), ("refersh", "f5")])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("`refersh` (line 3; did you mean `refresh`?)"),
            "{error}"
        );
    }
}
