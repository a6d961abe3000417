//! Key hints for the footer, the help and the dialogs' key lines, written from the
//! [`KeyMap`], so a rebound key shows as what it is.

use ratatui::style::Style;
use ratatui::text::Span;

use super::action::{Action, Context, KeyMap};

/// Which keys a hint shows.
#[derive(Clone, Copy, Debug)]
pub enum Keys {
    /// The action's first key: "n".
    First(Action),
    /// Every key of the action: "y/Enter".
    All(Action),
    /// Two actions' first keys run together: "↑↓", "←→".
    Run(Action, Action),
    /// Two actions' first keys apart: "g G", "PgUp PgDn".
    Pair(Action, Action),
    /// The tab keys: "1-5 Tab".
    Tabs,
    /// Up and down, arrows then letters: "↑↓ j k".
    Move,
    /// Not a key: "type" (to filter).
    Typing,
    /// No key, only the words.
    None,
}

/// One hint: keys and what they do.
#[derive(Clone, Copy, Debug)]
pub struct HintSpec {
    pub keys: Keys,
    pub label: &'static str,
    /// Shown in the footer too (the help shows all).
    pub in_footer: bool,
}

impl HintSpec {
    pub const fn new(keys: Keys, label: &'static str, in_footer: bool) -> HintSpec {
        HintSpec {
            keys,
            label,
            in_footer,
        }
    }
}

/// A hint with its keys written out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    pub key: String,
    pub label: &'static str,
    pub in_footer: bool,
}

/// What the help key's hint says.
pub const HELP_LABEL: &str = "help";

/// The keys every tab has, after the tab's own.
const GLOBAL: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Filter), "filter", true),
    HintSpec::new(Keys::First(Action::Sort), "sort", true),
    HintSpec::new(
        Keys::First(Action::ReverseSort),
        "reverse sort (▲ ascending, ▼ descending)",
        false,
    ),
    HintSpec::new(Keys::Tabs, "switch tab", false),
    HintSpec::new(Keys::All(Action::Activity), "the activity log", false),
    HintSpec::new(Keys::Move, "move", false),
    HintSpec::new(Keys::Pair(Action::PageUp, Action::PageDown), "page", false),
    HintSpec::new(
        Keys::Pair(Action::First, Action::Last),
        "first / last",
        false,
    ),
    HintSpec::new(Keys::First(Action::Copy), "copy the row's key text", false),
    HintSpec::new(Keys::First(Action::Export), "export the list to CSV", false),
    HintSpec::new(Keys::First(Action::Refresh), "refresh now", false),
    HintSpec::new(
        Keys::First(Action::ShowError),
        "the error in the footer, in full",
        false,
    ),
    HintSpec::new(Keys::First(Action::Help), HELP_LABEL, true),
    HintSpec::new(Keys::First(Action::Quit), "quit", true),
    HintSpec::new(Keys::First(Action::QuitNow), "quit at once", false),
];

/// The tab jump actions, in tab order.
const TAB_JUMPS: [Action; 5] = [
    Action::Vehicles,
    Action::Technicians,
    Action::Assignments,
    Action::Roles,
    Action::Activity,
];

/// The text of a hint's keys in `context`.
pub fn keys_text(map: &KeyMap, context: Context, keys: Keys) -> String {
    let first = |action| map.label(context, action);
    let nth = |action, n: usize| {
        map.keys(context, action)
            .get(n)
            .map(|key| key.label())
            .unwrap_or_default()
    };
    match keys {
        Keys::First(action) => first(action),
        Keys::All(action) => map
            .keys(context, action)
            .iter()
            .map(|key| key.label())
            .collect::<Vec<_>>()
            .join("/"),
        Keys::Run(a, b) => format!("{}{}", first(a), first(b)),
        Keys::Pair(a, b) => format!("{} {}", first(a), first(b)),
        Keys::Tabs => {
            let jumps: Vec<String> = TAB_JUMPS.iter().map(|action| first(*action)).collect();
            let digits: Vec<u32> = jumps
                .iter()
                .filter_map(|key| key.parse::<u32>().ok().filter(|_| key.len() == 1))
                .collect();
            let consecutive =
                digits.len() == jumps.len() && digits.windows(2).all(|pair| pair[1] == pair[0] + 1);
            let jumps = match (consecutive, digits.first(), digits.last()) {
                (true, Some(low), Some(high)) => format!("{low}-{high}"),
                _ => jumps.join(" "),
            };
            format!("{jumps} {}", first(Action::NextTab))
        }
        Keys::Move => format!(
            "{}{} {} {}",
            nth(Action::Up, 1),
            nth(Action::Down, 1),
            first(Action::Down),
            first(Action::Up)
        ),
        Keys::Typing => "type".to_string(),
        Keys::None => String::new(),
    }
}

/// Hints written out for `context`.
/// A hint whose action has no key here (a read-only user's write keys) is left out.
pub fn hints(map: &KeyMap, context: Context, specs: &[HintSpec]) -> Vec<Hint> {
    specs
        .iter()
        .filter(|spec| match spec.keys {
            Keys::First(action) | Keys::All(action) => !map.keys(context, action).is_empty(),
            _ => true,
        })
        .map(|spec| Hint {
            key: keys_text(map, context, spec.keys),
            label: spec.label,
            in_footer: spec.in_footer,
        })
        .collect()
}

/// A tab's own hints, then those every tab has.
pub fn tab_hints(map: &KeyMap, context: Context, own: &[HintSpec]) -> Vec<Hint> {
    let mut all = hints(map, context, own);
    all.extend(hints(map, context, GLOBAL));
    all
}

/// A dialog's key line: `lead`, then "key label" for each hint, `between` them.
pub fn key_line(
    map: &KeyMap,
    context: Context,
    specs: &[HintSpec],
    (lead, between): (&str, &str),
    key_style: Style,
) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if !lead.is_empty() {
        spans.push(Span::raw(lead.to_string()));
    }
    for (index, spec) in specs.iter().enumerate() {
        if index > 0 {
            spans.push(Span::raw(between.to_string()));
        }
        match spec.keys {
            // Each key styled, the slashes between them not: "y/Enter".
            Keys::All(action) => {
                for (n, key) in map.keys(context, action).iter().enumerate() {
                    if n > 0 {
                        spans.push(Span::raw("/"));
                    }
                    spans.push(Span::styled(key.label(), key_style));
                }
            }
            keys => spans.push(Span::styled(keys_text(map, context, keys), key_style)),
        }
        spans.push(Span::raw(format!(" {}", spec.label)));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(map: &KeyMap, context: Context) -> Vec<String> {
        tab_hints(map, context, &[])
            .into_iter()
            .map(|hint| format!("{} {}", hint.key, hint.label))
            .collect()
    }

    #[test]
    fn the_global_hints_read_as_before_and_follow_rebinding() {
        let map = KeyMap::default();
        assert_eq!(
            written(&map, Context::Vehicles),
            [
                "/ filter",
                "s sort",
                "S reverse sort (▲ ascending, ▼ descending)",
                "1-5 Tab switch tab",
                "5/L the activity log",
                "↑↓ j k move",
                "PgUp PgDn page",
                "g G first / last",
                "y copy the row's key text",
                "x export the list to CSV",
                "Ctrl-R refresh now",
                "m the error in the footer, in full",
                "? help",
                "q quit",
                "Ctrl-C quit at once",
            ]
        );
        let map =
            KeyMap::with(&[("down", "v"), ("roles", "0"), ("refresh", "f5")]).expect("no clash");
        let rebound = written(&map, Context::Vehicles);
        assert!(rebound.contains(&"↑↓ v k move".to_string()), "{rebound:?}");
        assert!(
            rebound.contains(&"1 2 3 0 5 Tab switch tab".to_string()),
            "{rebound:?}"
        );
        assert!(
            rebound.contains(&"F5 refresh now".to_string()),
            "{rebound:?}"
        );
    }

    #[test]
    fn dialog_lines_show_every_key_or_the_first() {
        let map = KeyMap::default();
        let text = |specs: &[HintSpec], layout| -> String {
            key_line(&map, Context::Confirm, specs, layout, Style::default())
                .iter()
                .map(|span| span.content.to_string())
                .collect()
        };
        let yes_no = [
            HintSpec::new(Keys::All(Action::Yes), "yes", true),
            HintSpec::new(Keys::All(Action::No), "no", true),
        ];
        assert_eq!(text(&yes_no, ("", "    ")), "y/Enter yes    n/Esc no");
        let discard = [
            HintSpec::new(Keys::First(Action::Yes), "discard it", true),
            HintSpec::new(Keys::All(Action::No), "keep editing", true),
        ];
        assert_eq!(
            text(&discard, (" ", "  ")),
            " y discard it  n/Esc keep editing"
        );
    }
}
