//! Keys as people write them (`n`, `S`, `ctrl-r`, `shift-tab`, `f5`) and as the terminal
//! reports them (crossterm's `KeyEvent`), in one normalized form that compares equal.

use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key with modifiers, as written in `[keys]`: `n`, `S`, `ctrl-r`, `shift-tab`, `f5`,
/// `alt-enter`, `space`, `ctrl--`.
///
/// Built by [`KeySpec::new`], which folds shift into characters (`shift-a` is `A`, and shift
/// is dropped from other characters, since terminals disagree on whether they report it) and
/// writes back-tab as shift-tab, so that a terminal event compares equal to the written key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// A key text that does not name a key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeySpecError(pub String);

const KEY_NAMES: [(&str, KeyCode); 19] = [
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("space", KeyCode::Char(' ')),
];

impl KeySpec {
    /// A key with modifiers, normalized (see the type's documentation).
    pub fn new(code: KeyCode, ctrl: bool, alt: bool, shift: bool) -> KeySpec {
        let mut spec = KeySpec {
            code,
            ctrl,
            alt,
            shift,
        };
        match code {
            KeyCode::Char(c) if shift => {
                let mut upper = c.to_uppercase();
                if let (Some(u), None) = (upper.next(), upper.next()) {
                    spec.code = KeyCode::Char(u);
                }
                spec.shift = false;
            }
            KeyCode::BackTab => {
                spec.code = KeyCode::Tab;
                spec.shift = true;
            }
            _ => {}
        }
        spec
    }

    /// A key without modifiers.
    pub fn plain(code: KeyCode) -> KeySpec {
        KeySpec::new(code, false, false, false)
    }

    /// The key of a terminal event; None for keys that cannot be bound (media keys, …).
    pub fn of(event: &KeyEvent) -> Option<KeySpec> {
        let supported = matches!(
            event.code,
            KeyCode::Char(_)
                | KeyCode::F(_)
                | KeyCode::Enter
                | KeyCode::Esc
                | KeyCode::Tab
                | KeyCode::BackTab
                | KeyCode::Backspace
                | KeyCode::Delete
                | KeyCode::Insert
                | KeyCode::Home
                | KeyCode::End
                | KeyCode::PageUp
                | KeyCode::PageDown
                | KeyCode::Up
                | KeyCode::Down
                | KeyCode::Left
                | KeyCode::Right
        );
        supported.then(|| {
            KeySpec::new(
                event.code,
                event.modifiers.contains(KeyModifiers::CONTROL),
                event.modifiers.contains(KeyModifiers::ALT),
                event.modifiers.contains(KeyModifiers::SHIFT),
            )
        })
    }

    /// The terminal event this key arrives as (tests and benches press keys with it).
    pub fn event(self) -> KeyEvent {
        let mut modifiers = KeyModifiers::NONE;
        if self.ctrl {
            modifiers |= KeyModifiers::CONTROL;
        }
        if self.alt {
            modifiers |= KeyModifiers::ALT;
        }
        let code = match self.code {
            KeyCode::Tab if self.shift => {
                modifiers |= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            code => code,
        };
        KeyEvent::new(code, modifiers)
    }

    /// How the key is shown in the key hints and the help: `Ctrl-R`, `Shift-Tab`, `F5`, `n`.
    pub fn label(&self) -> String {
        let mut label = String::new();
        if self.ctrl {
            label.push_str("Ctrl-");
        }
        if self.alt {
            label.push_str("Alt-");
        }
        if self.shift {
            label.push_str("Shift-");
        }
        let modified = self.ctrl || self.alt;
        match self.code {
            KeyCode::Char(' ') => label.push_str("Space"),
            KeyCode::Char(c) if modified => label.extend(c.to_uppercase()),
            KeyCode::Char(c) => label.push(c),
            KeyCode::F(n) => label.push_str(&format!("F{n}")),
            KeyCode::Enter => label.push_str("Enter"),
            KeyCode::Esc => label.push_str("Esc"),
            KeyCode::Tab | KeyCode::BackTab => label.push_str("Tab"),
            KeyCode::Backspace => label.push_str("Backspace"),
            KeyCode::Delete => label.push_str("Del"),
            KeyCode::Insert => label.push_str("Ins"),
            KeyCode::Home => label.push_str("Home"),
            KeyCode::End => label.push_str("End"),
            KeyCode::PageUp => label.push_str("PgUp"),
            KeyCode::PageDown => label.push_str("PgDn"),
            KeyCode::Up => label.push('↑'),
            KeyCode::Down => label.push('↓'),
            KeyCode::Left => label.push('←'),
            KeyCode::Right => label.push('→'),
            _ => label.push('?'),
        }
        label
    }
}

impl FromStr for KeySpec {
    type Err = KeySpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let written = s.trim();
        if written.is_empty() {
            return Err(KeySpecError(
                "empty key: write e.g. \"n\", \"ctrl-r\", \"f5\"".into(),
            ));
        }
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = written;
        while let Some((head, tail)) = rest.split_once('-') {
            let flag = match head.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => &mut ctrl,
                "alt" | "meta" => &mut alt,
                "shift" => &mut shift,
                _ => break,
            };
            if tail.is_empty() {
                break;
            }
            if *flag {
                return Err(KeySpecError(format!("\"{written}\" names {head} twice")));
            }
            *flag = true;
            rest = tail;
        }
        let code = parse_key_code(rest).ok_or_else(|| {
            KeySpecError(format!(
                "\"{written}\" is not a key: write one character (\"n\", \"S\", \"/\") or a name \
                 (enter, esc, tab, backspace, delete, insert, home, end, pageup, pagedown, up, \
                 down, left, right, space, f1-f24), optionally after ctrl-, alt-, shift-"
            ))
        })?;
        Ok(KeySpec::new(code, ctrl, alt, shift))
    }
}

fn parse_key_code(name: &str) -> Option<KeyCode> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return (!c.is_control()).then_some(KeyCode::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if let Some((_, code)) = KEY_NAMES.iter().find(|(key, _)| *key == lower) {
        return Some(*code);
    }
    let number: u8 = lower.strip_prefix('f')?.parse().ok()?;
    (1..=24).contains(&number).then_some(KeyCode::F(number))
}

impl fmt::Display for KeySpec {
    /// The form `[keys]` accepts: `ctrl-r`, `shift-tab`, `S`, `f5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        if self.shift {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(c) => match KEY_NAMES.iter().find(|(_, code)| *code == self.code) {
                Some((name, _)) => f.write_str(name),
                None => write!(f, "{c}"),
            },
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = KEY_NAMES
                    .iter()
                    .find(|(_, named)| *named == code)
                    .map_or("?", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> KeySpec {
        s.parse().unwrap()
    }

    #[test]
    fn key_specs_parse() {
        assert_eq!(key("n"), KeySpec::plain(KeyCode::Char('n')));
        assert_eq!(
            key("ctrl-r"),
            KeySpec::new(KeyCode::Char('r'), true, false, false)
        );
        assert!(key("Ctrl-R").ctrl);
        assert_eq!(key("Ctrl-R").code, KeyCode::Char('R'));
        assert_eq!(key("control-r"), key("ctrl-r"));
        assert_eq!(
            key("shift-tab"),
            KeySpec::new(KeyCode::Tab, false, false, true)
        );
        assert_eq!(key("f5"), KeySpec::plain(KeyCode::F(5)));
        assert_eq!(key("F12"), KeySpec::plain(KeyCode::F(12)));
        assert_eq!(key("f"), KeySpec::plain(KeyCode::Char('f')));
        assert_eq!(key("space"), KeySpec::plain(KeyCode::Char(' ')));
        assert_eq!(key("-"), KeySpec::plain(KeyCode::Char('-')));
        assert_eq!(
            key("ctrl--"),
            KeySpec::new(KeyCode::Char('-'), true, false, false)
        );
        assert_eq!(key("PageDown"), KeySpec::plain(KeyCode::PageDown));
        assert!(key("alt-enter").alt);
        assert_eq!(key("meta-x"), key("alt-x"));
        // Shift folds into characters: terminals report `S`, with or without SHIFT.
        assert_eq!(key("shift-s"), key("S"));
        assert_eq!(key("shift-S"), key("S"));
        assert!(!key("S").shift);
        assert_ne!(key("s"), key("S"));
        assert_eq!(
            KeySpec::new(KeyCode::Char('?'), false, false, true),
            key("?")
        );
        for bad in [
            "",
            "ctrl-",
            "ctrl-ctrl-r",
            "hyper-r",
            "f0",
            "f25",
            "pgup2",
            "ctrl-shift",
        ] {
            assert!(bad.parse::<KeySpec>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn key_specs_display_round_trips() {
        for written in [
            "n",
            "S",
            "ctrl-r",
            "shift-tab",
            "f5",
            "alt-enter",
            "space",
            "ctrl--",
            "esc",
            "ctrl-alt-delete",
            "pageup",
            "up",
            "?",
        ] {
            let spec = key(written);
            assert_eq!(spec.to_string().parse::<KeySpec>(), Ok(spec), "{written}");
        }
        assert_eq!(key("shift-tab").to_string(), "shift-tab");
        assert_eq!(key("ctrl-r").label(), "Ctrl-R");
        assert_eq!(key("shift-tab").label(), "Shift-Tab");
        assert_eq!(key("pagedown").label(), "PgDn");
        assert_eq!(key("S").label(), "S");
    }

    #[test]
    fn terminal_events_round_trip() {
        let back_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(KeySpec::of(&back_tab), Some(key("shift-tab")));
        assert_eq!(key("shift-tab").event().code, KeyCode::BackTab);
        let shifted = KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT);
        assert_eq!(KeySpec::of(&shifted), Some(key("S")));
        for written in ["n", "ctrl-r", "f5", "esc", "shift-tab", "G"] {
            assert_eq!(KeySpec::of(&key(written).event()), Some(key(written)));
        }
        let media = KeyEvent::new(KeyCode::CapsLock, KeyModifiers::NONE);
        assert_eq!(KeySpec::of(&media), None);
    }
}
