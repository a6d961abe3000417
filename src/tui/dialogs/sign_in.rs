//! Signing in: at start without a token, and over the screen when the token has expired
//! (then the action that met the 401 is sent again afterwards, and form input is kept).

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::{Look, Outcome};
use crate::tui::keys::hints::{key_line, HintSpec, Keys};
use crate::tui::keys::{Action, Context, KeyMap};
use crate::tui::message::Command;
use crate::tui::widgets::field::{label, Field};
use crate::tui::widgets::frame::{centered, dialog_block};

/// Esc quits while nobody is signed in; later it does nothing (the input below is kept).
const HINTS_FIRST: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "sign in", true),
    HintSpec::new(Keys::First(Action::NextField), "next field", true),
    HintSpec::new(Keys::First(Action::Cancel), "quit", true),
];
const HINTS_AGAIN: &[HintSpec] = &[
    HintSpec::new(Keys::First(Action::Accept), "sign in", true),
    HintSpec::new(Keys::First(Action::NextField), "next field", true),
    HintSpec::new(Keys::None, "(form input is kept)", true),
];

#[derive(Debug)]
pub struct SignIn {
    email: Field,
    password: Field,
    /// 0 = e-mail, 1 = password.
    focus: usize,
    error: Option<String>,
    sending: bool,
    /// The action that met the 401; sent again after signing in.
    retry: Option<Command>,
}

impl SignIn {
    /// `email` prefilled (the password then has the focus), with why it is asked, if known.
    pub fn new(email: &str, error: Option<String>, retry: Option<Command>) -> SignIn {
        SignIn {
            email: Field::new(email),
            password: Field::default(),
            focus: usize::from(!email.is_empty()),
            error,
            sending: false,
            retry,
        }
    }

    pub fn prefill(&mut self, email: &str) {
        self.email = Field::new(email);
        self.focus = 1;
    }

    /// Another 401 while open: not sending any more; the newest action to send again wins.
    pub fn asked_again(&mut self, retry: Option<Command>) {
        self.sending = false;
        if retry.is_some() {
            self.retry = retry;
        }
    }

    pub fn take_retry(&mut self) -> Option<Command> {
        self.retry.take()
    }

    /// The server refused: the password goes, the reason shows.
    pub fn refused(&mut self, why: String) {
        self.sending = false;
        self.password.set("");
        self.error = Some(why);
    }

    pub fn on_key(&mut self, key: &KeyEvent, keys: &KeyMap, signed_in: bool) -> Outcome {
        match keys.action(Context::SignIn, key) {
            Some(Action::Cancel) if !signed_in => return Outcome::Quit,
            Some(Action::Cancel) => return Outcome::Ignored,
            Some(Action::NextField) => self.focus = 1 - self.focus.min(1),
            Some(Action::Accept) if self.sending => return Outcome::Ignored,
            Some(Action::Accept) => {
                let email = self.email.value().trim().to_string();
                let password = self.password.value().to_string();
                if email.is_empty() {
                    self.error = Some("Enter your e-mail address.".to_string());
                    self.focus = 0;
                } else if password.is_empty() {
                    self.error = Some("Enter your password.".to_string());
                    self.focus = 1;
                } else {
                    self.sending = true;
                    self.error = None;
                    return Outcome::Send(Command::SignIn { email, password });
                }
            }
            _ => {
                let field = if self.focus == 0 {
                    &mut self.email
                } else {
                    &mut self.password
                };
                field.input(key);
            }
        }
        Outcome::Stay
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, look: &Look) {
        let theme = look.theme;
        let rect = centered(area, 60, 10);
        frame.render_widget(Clear, rect);
        // Right of the label ("Password: "), up to the border.
        let field_width = usize::from(rect.width).saturating_sub(2 + 12);
        let field = |name: &str, field: &Field, secret: bool, focused: bool| {
            Line::from(vec![
                label(name, 10, focused, theme),
                Span::raw(field.in_width(focused, secret, field_width)),
            ])
        };
        let mut lines = vec![
            Line::from(format!(" Sign in to {}", look.server)),
            Line::from(""),
            field("E-mail", &self.email, false, self.focus == 0),
            field("Password", &self.password, true, self.focus == 1),
            Line::from(""),
        ];
        if let Some(error) = &self.error {
            lines.push(Line::from(Span::styled(format!(" {error}"), theme.error())));
        } else if self.sending {
            lines.push(Line::from(Span::styled(" Signing in…", theme.warning())));
        } else {
            lines.push(Line::from(""));
        }
        let hints = if look.signed_in {
            HINTS_AGAIN
        } else {
            HINTS_FIRST
        };
        lines.push(Line::from(key_line(
            look.keys,
            Context::SignIn,
            hints,
            (" ", "  "),
            theme.key(),
        )));
        frame.render_widget(
            Paragraph::new(lines).block(dialog_block("Sign in", theme)),
            rect,
        );
    }
}
