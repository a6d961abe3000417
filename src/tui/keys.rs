//! The keys each screen answers to, and their rebinding from the config file's `[keys]`.
//! The footer and the help dialog are built from the same list, with the rebound keys, so
//! the help never lists a key the screen ignores.

use std::collections::{BTreeMap, HashMap};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Tab};
use crate::config::{self, KeySpec, Modifiers};

/// Every action a key can be rebound to, with its default key.
pub const ACTIONS: &[(&str, &str)] = &[
    ("quit", "q"),
    ("refresh", "ctrl-r"),
    ("help", "?"),
    ("filter", "/"),
    ("sort", "s"),
    ("reverse_sort", "S"),
    ("next_tab", "tab"),
    ("previous_tab", "shift-tab"),
    ("vehicles", "1"),
    ("technicians", "2"),
    ("assignments", "3"),
    ("roles", "4"),
    ("down", "j"),
    ("up", "k"),
    ("first", "g"),
    ("last", "G"),
    ("new", "n"),
    ("edit", "e"),
    ("delete", "d"),
    ("assign", "a"),
    ("return", "r"),
    ("status", "f"),
];

pub fn action_names() -> Vec<&'static str> {
    ACTIONS.iter().map(|(name, _)| *name).collect()
}

fn default_spec(action: &str) -> Option<KeySpec> {
    ACTIONS
        .iter()
        .find(|(name, _)| *name == action)
        .and_then(|(_, key)| key.parse::<KeySpec>().ok())
}

/// A terminal key event as the config file writes it.
fn spec_of(event: &KeyEvent) -> Option<KeySpec> {
    let modifiers = Modifiers {
        ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        alt: event.modifiers.contains(KeyModifiers::ALT),
        shift: event.modifiers.contains(KeyModifiers::SHIFT),
    };
    let code = match event.code {
        KeyCode::Char(c) => config::KeyCode::Char(c),
        KeyCode::F(n) => config::KeyCode::F(n),
        KeyCode::Enter => config::KeyCode::Enter,
        KeyCode::Esc => config::KeyCode::Esc,
        KeyCode::Tab => config::KeyCode::Tab,
        KeyCode::BackTab => {
            return Some(KeySpec::new(
                config::KeyCode::Tab,
                Modifiers {
                    shift: true,
                    ..modifiers
                },
            ))
        }
        KeyCode::Backspace => config::KeyCode::Backspace,
        KeyCode::Delete => config::KeyCode::Delete,
        KeyCode::Insert => config::KeyCode::Insert,
        KeyCode::Home => config::KeyCode::Home,
        KeyCode::End => config::KeyCode::End,
        KeyCode::PageUp => config::KeyCode::PageUp,
        KeyCode::PageDown => config::KeyCode::PageDown,
        KeyCode::Up => config::KeyCode::Up,
        KeyCode::Down => config::KeyCode::Down,
        KeyCode::Left => config::KeyCode::Left,
        KeyCode::Right => config::KeyCode::Right,
        _ => return None,
    };
    Some(KeySpec::new(code, modifiers))
}

/// The terminal key event the app's handlers expect for a key.
fn event_of(spec: KeySpec) -> KeyEvent {
    let mut modifiers = KeyModifiers::NONE;
    if spec.modifiers.ctrl {
        modifiers |= KeyModifiers::CONTROL;
    }
    if spec.modifiers.alt {
        modifiers |= KeyModifiers::ALT;
    }
    let code = match spec.code {
        config::KeyCode::Char(c) => KeyCode::Char(c),
        config::KeyCode::F(n) => KeyCode::F(n),
        config::KeyCode::Enter => KeyCode::Enter,
        config::KeyCode::Esc => KeyCode::Esc,
        config::KeyCode::Tab if spec.modifiers.shift => {
            modifiers |= KeyModifiers::SHIFT;
            KeyCode::BackTab
        }
        config::KeyCode::Tab => KeyCode::Tab,
        config::KeyCode::Backspace => KeyCode::Backspace,
        config::KeyCode::Delete => KeyCode::Delete,
        config::KeyCode::Insert => KeyCode::Insert,
        config::KeyCode::Home => KeyCode::Home,
        config::KeyCode::End => KeyCode::End,
        config::KeyCode::PageUp => KeyCode::PageUp,
        config::KeyCode::PageDown => KeyCode::PageDown,
        config::KeyCode::Up => KeyCode::Up,
        config::KeyCode::Down => KeyCode::Down,
        config::KeyCode::Left => KeyCode::Left,
        config::KeyCode::Right => KeyCode::Right,
    };
    KeyEvent::new(code, modifiers)
}

/// Rebound keys: the user's key stands for the action's default key, which then does nothing.
#[derive(Clone, Debug, Default)]
pub struct KeyMap {
    translate: HashMap<KeySpec, Option<KeySpec>>,
    labels: HashMap<&'static str, String>,
}

impl KeyMap {
    /// From `[keys]`; the action names must have been checked against [`action_names`].
    pub fn from_config(keys: &BTreeMap<String, KeySpec>) -> KeyMap {
        let mut map = KeyMap::default();
        for (action, spec) in keys {
            let Some((name, _)) = ACTIONS.iter().find(|(name, _)| name == action) else {
                continue;
            };
            let Some(default) = default_spec(name) else {
                continue;
            };
            map.translate.entry(default).or_insert(None);
            map.translate.insert(*spec, Some(default));
            map.labels.insert(name, spec.label());
        }
        map
    }

    /// The key the handlers should see for `event` (list screens only; dialogs and text
    /// fields get keys as typed).
    pub fn translate(&self, event: KeyEvent) -> KeyEvent {
        match spec_of(&event).and_then(|spec| self.translate.get(&spec)) {
            Some(Some(default)) => {
                let mut translated = event_of(*default);
                translated.kind = event.kind;
                translated
            }
            // The default key of a rebound action no longer does it.
            Some(None) => KeyEvent::new(KeyCode::Null, KeyModifiers::NONE),
            None => event,
        }
    }

    /// How to show an action's key: the rebound one, or `default`.
    pub fn label(&self, action: &str, default: &str) -> String {
        self.labels
            .get(action)
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub key: String,
    pub label: &'static str,
    /// Shown in the footer too (the help shows all).
    pub in_footer: bool,
}

/// (action, shown key, what it does, in the footer)
type HintRow = (&'static str, &'static str, &'static str, bool);

const VEHICLES: &[HintRow] = &[
    ("new", "n", "new", true),
    ("edit", "e", "edit", true),
    ("delete", "d", "delete", true),
    ("assign", "a", "assign", true),
    ("", "Enter", "history", false),
];

const TECHNICIANS: &[HintRow] = &[
    ("new", "n", "new", true),
    ("edit", "e", "edit", true),
    ("assign", "a", "assign a vehicle", true),
    ("", "Enter", "history", false),
];

const ASSIGNMENTS: &[HintRow] = &[
    ("new", "n", "new", true),
    ("return", "r", "return", true),
    ("status", "f", "status", true),
    ("", "Enter", "details", false),
];

const ROLES: &[HintRow] = &[
    ("new", "n", "new", true),
    ("edit", "e", "edit", true),
    ("delete", "d", "delete", true),
    ("", "←→", "tree / list", true),
    ("", "Enter", "fold / edit", false),
];

const GLOBAL: &[HintRow] = &[
    ("filter", "/", "filter", true),
    ("sort", "s", "sort", true),
    ("reverse_sort", "S", "reverse sort", false),
    ("", "1-4 Tab", "switch tab", false),
    ("", "↑↓ j k", "move", false),
    ("", "PgUp PgDn", "page", false),
    ("", "g G", "first / last", false),
    ("refresh", "Ctrl-R", "refresh now", false),
    ("help", "?", "help", true),
    ("quit", "q", "quit", true),
    ("", "Ctrl-C", "quit at once", false),
];

/// The keys of the current tab, then the global ones, as rebound.
pub fn hints(app: &App) -> Vec<Hint> {
    let tab = match app.tab {
        Tab::Vehicles => VEHICLES,
        Tab::Technicians => TECHNICIANS,
        Tab::Assignments => ASSIGNMENTS,
        Tab::Roles => ROLES,
    };
    tab.iter()
        .chain(GLOBAL.iter())
        .map(|(action, key, label, in_footer)| Hint {
            key: app.keys.label(action, key),
            label,
            in_footer: *in_footer,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_key_parses() {
        for (action, key) in ACTIONS {
            assert!(default_spec(action).is_some(), "{action} = {key}");
        }
    }

    #[test]
    fn a_rebound_key_stands_for_the_default_and_the_default_goes_quiet() {
        let mut keys = BTreeMap::new();
        keys.insert(
            "refresh".to_string(),
            "f5".parse::<KeySpec>().expect("a key"),
        );
        keys.insert(
            "quit".to_string(),
            "ctrl-q".parse::<KeySpec>().expect("a key"),
        );
        let map = KeyMap::from_config(&keys);
        let f5 = map.translate(KeyEvent::new(KeyCode::F(5), KeyModifiers::NONE));
        assert_eq!(
            (f5.code, f5.modifiers),
            (KeyCode::Char('r'), KeyModifiers::CONTROL)
        );
        let q = map.translate(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
        assert_eq!(q.code, KeyCode::Null);
        let ctrl_q = map.translate(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL));
        assert_eq!(ctrl_q.code, KeyCode::Char('q'));
        let n = map.translate(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::NONE));
        assert_eq!(n.code, KeyCode::Char('n'));
        assert_eq!(map.label("quit", "q"), "Ctrl-Q");
        assert_eq!(map.label("new", "n"), "n");
    }

    #[test]
    fn shift_tab_round_trips() {
        let spec = spec_of(&KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)).expect("a key");
        assert_eq!(Some(spec), default_spec("previous_tab"));
        assert_eq!(event_of(spec).code, KeyCode::BackTab);
    }
}
