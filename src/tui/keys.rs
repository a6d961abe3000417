//! The keys each screen answers to. The footer and the help dialog are built from this one
//! list, so the help never lists a key the screen ignores.

use super::app::{App, Tab};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    pub key: &'static str,
    pub label: &'static str,
    /// Shown in the footer too (the help shows all).
    pub in_footer: bool,
}

const fn hint(key: &'static str, label: &'static str, in_footer: bool) -> Hint {
    Hint {
        key,
        label,
        in_footer,
    }
}

const VEHICLES: &[Hint] = &[
    hint("n", "new", true),
    hint("e", "edit", true),
    hint("d", "delete", true),
    hint("a", "assign", true),
    hint("Enter", "history", false),
];

const TECHNICIANS: &[Hint] = &[
    hint("n", "new", true),
    hint("e", "edit", true),
    hint("a", "assign a vehicle", true),
    hint("Enter", "history", false),
];

const ASSIGNMENTS: &[Hint] = &[
    hint("n", "new", true),
    hint("r", "return", true),
    hint("f", "status", true),
    hint("Enter", "details", false),
];

const GLOBAL: &[Hint] = &[
    hint("/", "filter", true),
    hint("s", "sort", true),
    hint("S", "reverse sort", false),
    hint("1-3 Tab", "switch tab", false),
    hint("↑↓ j k", "move", false),
    hint("PgUp PgDn", "page", false),
    hint("g G", "first / last", false),
    hint("Ctrl-R", "refresh now", false),
    hint("?", "help", true),
    hint("q", "quit", true),
    hint("Ctrl-C", "quit at once", false),
];

/// The keys of the current tab, then the global ones.
pub fn hints(app: &App) -> Vec<Hint> {
    let tab = match app.tab {
        Tab::Vehicles => VEHICLES,
        Tab::Technicians => TECHNICIANS,
        Tab::Assignments => ASSIGNMENTS,
    };
    tab.iter().chain(GLOBAL.iter()).copied().collect()
}
