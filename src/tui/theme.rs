//! Colours from the terminal's own 16, so skins keep working. `auto` reads well on dark and
//! light backgrounds; `dark` and `light` pick the brighter or the darker half of the 16 for
//! one kind of background; `mono` (or `NO_COLOR`) leaves only bold, reverse and underline.

use ratatui::style::{Color, Modifier, Style};

use crate::config;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Palette {
    Auto,
    Dark,
    Light,
    Mono,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    palette: Palette,
}

/// Colours of one palette: dim, key (and active tab), success, error, warning, border.
struct Colors {
    dim: Color,
    key: Color,
    success: Color,
    error: Color,
    warning: Color,
    border: Color,
}

impl Theme {
    pub fn colored() -> Theme {
        Theme {
            palette: Palette::Auto,
        }
    }

    pub fn mono() -> Theme {
        Theme {
            palette: Palette::Mono,
        }
    }

    /// For a light background: no yellow or cyan, which wash out on white.
    pub fn light() -> Theme {
        Theme {
            palette: Palette::Light,
        }
    }

    /// For a dark background: the bright half of the 16.
    pub fn dark() -> Theme {
        Theme {
            palette: Palette::Dark,
        }
    }

    /// The theme the settings name (`NO_COLOR` has already made it `mono` there).
    pub fn from_setting(setting: config::Theme) -> Theme {
        match setting {
            config::Theme::Auto => Theme::colored(),
            config::Theme::Dark => Theme::dark(),
            config::Theme::Light => Theme::light(),
            config::Theme::Mono => Theme::mono(),
        }
    }

    fn colors(self) -> Option<Colors> {
        match self.palette {
            Palette::Auto => Some(Colors {
                dim: Color::DarkGray,
                key: Color::Cyan,
                success: Color::Green,
                error: Color::Red,
                warning: Color::Yellow,
                border: Color::Blue,
            }),
            Palette::Dark => Some(Colors {
                dim: Color::Gray,
                key: Color::LightCyan,
                success: Color::LightGreen,
                error: Color::LightRed,
                warning: Color::LightYellow,
                border: Color::LightBlue,
            }),
            Palette::Light => Some(Colors {
                dim: Color::DarkGray,
                key: Color::Blue,
                success: Color::Green,
                error: Color::Red,
                warning: Color::Magenta,
                border: Color::Blue,
            }),
            Palette::Mono => None,
        }
    }

    fn fg(self, pick: fn(&Colors) -> Color) -> Style {
        match self.colors() {
            Some(colors) => Style::default().fg(pick(&colors)),
            None => Style::default(),
        }
    }

    pub fn title(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        self.fg(|c| c.dim)
    }

    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn active_tab(self) -> Style {
        self.fg(|c| c.key)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn success(self) -> Style {
        self.fg(|c| c.success).add_modifier(Modifier::BOLD)
    }

    pub fn error(self) -> Style {
        self.fg(|c| c.error).add_modifier(Modifier::BOLD)
    }

    pub fn warning(self) -> Style {
        self.fg(|c| c.warning).add_modifier(Modifier::BOLD)
    }

    pub fn key(self) -> Style {
        self.fg(|c| c.key).add_modifier(Modifier::BOLD)
    }

    pub fn border(self) -> Style {
        self.fg(|c| c.border)
    }
}
