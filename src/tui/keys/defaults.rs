//! The key map before any rebinding: which keys do what in each context.

use super::action::{Action, Context};

/// The keys of each context before any rebinding, first key first (hints show it).
pub(super) fn defaults(context: Context) -> Vec<(Action, Vec<&'static str>)> {
    use Action as A;
    let list: &[(Action, &[&str])] = match context {
        Context::Always => &[(A::QuitNow, &["ctrl-c"])],
        Context::Common => &[
            (A::Quit, &["q"]),
            (A::Refresh, &["ctrl-r"]),
            (A::Help, &["?"]),
            (A::ShowError, &["m"]),
            (A::Filter, &["/"]),
            (A::ClearFilter, &["esc"]),
            (A::Sort, &["s"]),
            (A::ReverseSort, &["S"]),
            (A::NextTab, &["tab"]),
            (A::PreviousTab, &["shift-tab"]),
            (A::Vehicles, &["1"]),
            (A::Technicians, &["2"]),
            (A::Assignments, &["3"]),
            (A::Roles, &["4"]),
            (A::Activity, &["5", "L"]),
            (A::Down, &["j", "down"]),
            (A::Up, &["k", "up"]),
            (A::PageDown, &["pagedown"]),
            (A::PageUp, &["pageup"]),
            (A::First, &["g", "home"]),
            (A::Last, &["G", "end"]),
            (A::Copy, &["y"]),
            (A::Export, &["x"]),
        ],
        Context::Vehicles => &[
            (A::New, &["n"]),
            (A::Edit, &["e"]),
            (A::Delete, &["d"]),
            (A::Assign, &["a"]),
            (A::ServiceStatus, &["o"]),
            (A::Open, &["enter"]),
        ],
        Context::Technicians => &[
            (A::New, &["n"]),
            (A::Edit, &["e"]),
            (A::Assign, &["a"]),
            (A::Open, &["enter"]),
        ],
        Context::Assignments => &[
            (A::New, &["n"]),
            (A::Return, &["r"]),
            (A::Status, &["f"]),
            (A::Open, &["enter"]),
        ],
        Context::Roles => &[
            (A::New, &["n"]),
            (A::Edit, &["e"]),
            (A::Delete, &["d"]),
            (A::FocusTree, &["left", "h"]),
            (A::FocusList, &["right", "l"]),
            (A::Open, &["enter"]),
            (A::Fold, &["space"]),
            (A::Descendants, &["i"]),
            (A::UserView, &["u"]),
        ],
        Context::Activity => &[(A::Open, &["enter"])],
        Context::Filter => &[
            (A::KeepFilter, &["enter"]),
            (A::ClearFilter, &["esc"]),
            (A::Down, &["down"]),
            (A::Up, &["up"]),
        ],
        Context::Reader => &[
            (A::Close, &["esc", "enter", "q", "?"]),
            // The help scrolls when it does not fit.
            (A::Down, &["down", "j"]),
            (A::Up, &["up", "k"]),
            (A::PageDown, &["pagedown"]),
            (A::PageUp, &["pageup"]),
        ],
        Context::Confirm => &[(A::Yes, &["y", "enter"]), (A::No, &["n", "esc"])],
        Context::Picker => &[
            (A::Up, &["up"]),
            (A::Down, &["down"]),
            (A::PageUp, &["pageup"]),
            (A::PageDown, &["pagedown"]),
            (A::First, &["home"]),
            (A::Last, &["end"]),
            (A::Accept, &["enter"]),
            (A::Cancel, &["esc"]),
        ],
        Context::FleetForm | Context::RoleForm => &[
            (A::NextField, &["tab", "down"]),
            (A::PreviousField, &["shift-tab", "up"]),
            (A::Accept, &["enter"]),
            (A::Cancel, &["esc"]),
        ],
        Context::SignIn => &[
            (A::Accept, &["enter"]),
            (A::NextField, &["tab", "down", "up", "shift-tab"]),
            (A::Cancel, &["esc"]),
        ],
        Context::AssignmentConflict => &[(A::Accept, &["enter"]), (A::Cancel, &["esc"])],
        Context::RoleTicks => &[
            (A::PreviousRole, &["left", "h"]),
            (A::NextRole, &["right", "l"]),
            (A::Tick, &["space", "x"]),
            (A::TickRole(1), &["1"]),
            (A::TickRole(2), &["2"]),
            (A::TickRole(3), &["3"]),
            (A::TickRole(4), &["4"]),
            (A::TickRole(5), &["5"]),
            // Nothing is typed here, so `q` quits as on the tabs (asking first).
            (A::Quit, &["q"]),
        ],
        Context::RoleConflict => &[
            (A::Accept, &["enter"]),
            (A::Up, &["up", "k"]),
            (A::Down, &["down", "j"]),
            (A::Edit, &["e"]),
            (A::Undo, &["u"]),
            (A::Cancel, &["esc"]),
        ],
        Context::ServiceStatus => &[
            (A::Up, &["up", "k"]),
            (A::Down, &["down", "j"]),
            (A::NextField, &["tab"]),
            (A::PreviousField, &["shift-tab"]),
            (A::Accept, &["enter"]),
            (A::Cancel, &["esc"]),
        ],
        Context::DateEdit => &[
            (A::Accept, &["enter"]),
            (A::NextField, &["tab", "shift-tab", "up", "down"]),
            (A::Cancel, &["esc"]),
        ],
        Context::UserView => &[
            (A::Close, &["esc", "q", "u"]),
            (A::Down, &["down", "j"]),
            (A::Up, &["up", "k"]),
            (A::PageDown, &["pagedown"]),
            (A::PageUp, &["pageup"]),
        ],
    };
    list.iter()
        .map(|(action, keys)| (*action, keys.to_vec()))
        .collect()
}
