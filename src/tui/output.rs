//! What the terminal can show, and a backend that writes only that. crossterm writes every
//! colour, the 16 basic ones included, as `38;5;N`, and ratatui adds `ESC[59m`; a terminal
//! without 256 colours reads `38;5;8` as blink + hidden. Where terminfo reports fewer than 256
//! colours (or `TERM` is `linux`, `vt100`, `vt220`) cells go out with the classic `30–37` /
//! `90–97` codes instead. Under a locale that is not UTF-8, box characters and symbols go out
//! as ASCII.

use std::io::{self, Write};

use crossterm::cursor::MoveTo;
use crossterm::queue;
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::{Color, Modifier};

/// What the terminal takes, read from the environment and its terminfo entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Only the 16 classic colours (SGR 30–37, 90–97, 40–47, 100–107); no `59m`.
    pub classic_colours: bool,
    /// Only ASCII characters: the locale is not UTF-8.
    pub ascii: bool,
}

/// Terminals known to lack 256 colours even where their terminfo entry is missing.
const CLASSIC_TERMS: [&str; 3] = ["linux", "vt100", "vt220"];

impl Capabilities {
    /// The full set: 256 colours, UTF-8.
    pub const FULL: Capabilities = Capabilities {
        classic_colours: false,
        ascii: false,
    };

    /// From `TERM`, its terminfo entry (colours) and `LC_ALL` / `LC_CTYPE` / `LANG`.
    pub fn from_environment(var: &dyn Fn(&str) -> Option<String>) -> Capabilities {
        let term = var("TERM").unwrap_or_default();
        let colours = if term.is_empty() {
            None
        } else {
            termini::TermInfo::from_name(&term)
                .ok()
                .map(|info| info.number_cap(termini::NumberCapability::MaxColors))
        };
        Capabilities::decide(&term, colours, var)
    }

    /// `colours`: None without a terminfo entry, Some(None) for an entry with no colours.
    fn decide(
        term: &str,
        colours: Option<Option<i32>>,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Capabilities {
        let classic_colours = CLASSIC_TERMS.contains(&term)
            || matches!(colours, Some(None))
            || matches!(colours, Some(Some(n)) if n < 256);
        Capabilities {
            classic_colours,
            ascii: !utf8_locale(var),
        }
    }
}

/// The locale's character set is UTF-8: the first of `LC_ALL`, `LC_CTYPE`, `LANG` that is
/// set decides. With none set the terminal is taken at its word (most are UTF-8 today, and
/// many containers and SSH sessions set no locale at all).
fn utf8_locale(var: &dyn Fn(&str) -> Option<String>) -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.is_empty());
    match locale {
        None => true,
        Some(locale) => {
            let lower = locale.to_ascii_lowercase();
            lower.contains("utf-8") || lower.contains("utf8")
        }
    }
}

/// The crossterm backend, writing cells within [`Capabilities`].
pub struct HonestBackend<W: Write> {
    writer: W,
    caps: Capabilities,
}

impl<W: Write> HonestBackend<W> {
    pub fn new(writer: W, caps: Capabilities) -> HonestBackend<W> {
        HonestBackend { writer, caps }
    }

    pub fn writer(&self) -> &W {
        &self.writer
    }

    /// ratatui's backend for everything but classic cells, over the same writer.
    fn crossterm(&mut self) -> CrosstermBackend<&mut W> {
        CrosstermBackend::new(&mut self.writer)
    }

    /// Cells with classic SGR codes: each change of style writes the whole style after a
    /// reset (`0`), so no `38;5;N`, no `59m` and no attribute left over from the cell before.
    fn draw_classic<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let ascii = self.caps.ascii;
        let writer = &mut self.writer;
        let mut style: Option<(Color, Color, Modifier)> = None;
        let mut last: Option<Position> = None;
        for (x, y, cell) in content {
            if !matches!(last, Some(p) if x == p.x + 1 && y == p.y) {
                queue!(writer, MoveTo(x, y))?;
            }
            last = Some(Position { x, y });
            let wanted = (cell.fg, cell.bg, cell.modifier);
            if style != Some(wanted) {
                writer.write_all(sgr(cell.fg, cell.bg, cell.modifier).as_bytes())?;
                style = Some(wanted);
            }
            write_symbol(writer, cell.symbol(), ascii)?;
        }
        writer.write_all(b"\x1b[0m")
    }

    /// Cells as crossterm writes them, symbols made ASCII.
    fn draw_ascii<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        let cells: Vec<(u16, u16, Cell)> = content
            .map(|(x, y, cell)| {
                let mut cell = cell.clone();
                let symbol = ascii_symbol(cell.symbol());
                cell.set_symbol(&symbol);
                (x, y, cell)
            })
            .collect();
        self.crossterm()
            .draw(cells.iter().map(|(x, y, cell)| (*x, *y, cell)))
    }
}

/// One SGR sequence for a whole style, reset first.
fn sgr(fg: Color, bg: Color, modifier: Modifier) -> String {
    let mut codes = vec![0u8];
    for (flag, code) in [
        (Modifier::BOLD, 1),
        (Modifier::DIM, 2),
        (Modifier::ITALIC, 3),
        (Modifier::UNDERLINED, 4),
        (Modifier::SLOW_BLINK, 5),
        (Modifier::RAPID_BLINK, 5),
        (Modifier::REVERSED, 7),
        (Modifier::HIDDEN, 8),
        (Modifier::CROSSED_OUT, 9),
    ] {
        if modifier.contains(flag) && !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes.extend(classic(fg));
    codes.extend(classic(bg).map(|code| code + 10));
    let codes: Vec<String> = codes.iter().map(u8::to_string).collect();
    format!("\x1b[{}m", codes.join(";"))
}

/// The foreground code of one of the 16 colours; the terminal's default for anything else
/// (the themes use only the 16).
fn classic(color: Color) -> Option<u8> {
    let index = match color {
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(n) if n < 16 => n,
        _ => return None,
    };
    Some(if index < 8 {
        30 + index
    } else {
        90 + index - 8
    })
}

fn write_symbol(writer: &mut impl Write, symbol: &str, ascii: bool) -> io::Result<()> {
    if ascii {
        writer.write_all(ascii_symbol(symbol).as_bytes())
    } else {
        writer.write_all(symbol.as_bytes())
    }
}

/// A cell's symbol in ASCII, one column wide like the original: lines and corners as
/// `-|+`, markers as `>` and `*`, blocks as `#`, other letters transliterated.
fn ascii_symbol(symbol: &str) -> String {
    if symbol.is_ascii() {
        return symbol.to_string();
    }
    let mut chars = symbol.chars();
    let (Some(first), None) = (chars.next(), chars.next()) else {
        return transliterated(symbol);
    };
    let mapped = match first {
        '─' | '━' | '═' | '╌' | '┄' => '-',
        '│' | '┃' | '║' | '╎' | '┆' => '|',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╯' | '╰' | '╔' | '╗'
        | '╚' | '╝' | '┏' | '┓' | '┗' | '┛' => '+',
        '▶' | '▷' | '▸' | '►' | '→' | '›' => '>',
        '◀' | '◂' | '←' | '‹' => '<',
        '▲' | '↑' => '^',
        '▼' | '▾' | '↓' => 'v',
        '█' | '▓' | '▒' | '▌' | '▐' | '■' => '#',
        '░' | '·' | '•' => '.',
        '●' | '◆' | '✓' => '*',
        '◌' | '○' => 'o',
        '✗' | '×' => 'x',
        '…' => '~',
        '—' | '–' => '-',
        _ => return transliterated(symbol),
    };
    mapped.to_string()
}

/// Letters and anything else: deunicode's first character keeps the cell one column wide.
fn transliterated(symbol: &str) -> String {
    let plain = deunicode::deunicode(symbol);
    match plain.chars().find(|c| !c.is_ascii_control()) {
        Some(c) if c.is_ascii() => c.to_string(),
        _ => "?".to_string(),
    }
}

impl<W: Write> Backend for HonestBackend<W> {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        match self.caps {
            Capabilities {
                classic_colours: true,
                ..
            } => self.draw_classic(content),
            Capabilities { ascii: true, .. } => self.draw_ascii(content),
            _ => self.crossterm().draw(content),
        }
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.crossterm().append_lines(n)
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.crossterm().hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.crossterm().show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        self.crossterm().get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.crossterm().set_cursor_position(position)
    }

    fn clear(&mut self) -> io::Result<()> {
        self.crossterm().clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.crossterm().clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        crossterm::terminal::size().map(|(width, height)| Size { width, height })
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.crossterm().window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn terms_without_256_colours_get_classic_codes() {
        let utf8 = env(&[("LANG", "en_US.UTF-8")]);
        for term in ["linux", "vt100", "vt220"] {
            assert!(
                Capabilities::decide(term, None, &utf8).classic_colours,
                "{term}"
            );
        }
        assert!(Capabilities::decide("xterm", Some(Some(8)), &utf8).classic_colours);
        assert!(Capabilities::decide("dumbish", Some(None), &utf8).classic_colours);
        assert!(!Capabilities::decide("xterm-256color", Some(Some(256)), &utf8).classic_colours);
        assert!(!Capabilities::decide("unknown-term", None, &utf8).classic_colours);
    }

    #[test]
    fn the_locale_decides_ascii() {
        let ascii = |pairs: &'static [(&'static str, &'static str)]| {
            Capabilities::decide("xterm-256color", Some(Some(256)), &env(pairs)).ascii
        };
        assert!(ascii(&[("LANG", "C")]));
        assert!(ascii(&[("LANG", "en_US.UTF-8"), ("LC_ALL", "POSIX")]));
        assert!(ascii(&[("LANG", "de_DE.ISO-8859-1")]));
        assert!(!ascii(&[("LANG", "C"), ("LC_CTYPE", "C.utf8")]));
        assert!(!ascii(&[("LANG", "C.UTF-8")]));
        assert!(!ascii(&[]));
    }

    /// The machine's own terminfo entries (ncurses-base), as the client reads them.
    #[test]
    fn terminfo_entries_are_read() {
        let with = |term: &'static str| {
            let pairs: &'static [(&'static str, &'static str)] = match term {
                "linux" => &[("TERM", "linux"), ("LANG", "C.UTF-8")],
                "xterm" => &[("TERM", "xterm"), ("LANG", "C.UTF-8")],
                _ => &[("TERM", "xterm-256color"), ("LANG", "C.UTF-8")],
            };
            Capabilities::from_environment(&env(pairs))
        };
        assert!(with("linux").classic_colours);
        // Plain xterm's entry says 8 colours.
        assert!(with("xterm").classic_colours);
        assert!(!with("xterm-256color").classic_colours);
    }

    fn styled_buffer() -> Buffer {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 12, 1));
        buffer.set_string(0, 0, "▶ grey", Style::default().fg(Color::DarkGray));
        buffer.set_string(
            6,
            0,
            "│ok█",
            Style::default()
                .fg(Color::LightCyan)
                .bg(Color::Blue)
                .add_modifier(Modifier::BOLD),
        );
        buffer
    }

    fn written(caps: Capabilities) -> String {
        let buffer = styled_buffer();
        let mut backend = HonestBackend::new(Vec::new(), caps);
        let cells = buffer
            .content
            .iter()
            .enumerate()
            .map(|(i, cell)| (i as u16 % 12, i as u16 / 12, cell));
        backend.draw(cells).unwrap();
        String::from_utf8(backend.writer().clone()).unwrap()
    }

    #[test]
    fn classic_colours_are_written_as_classic_codes() {
        let out = written(Capabilities {
            classic_colours: true,
            ascii: false,
        });
        assert!(!out.contains("38;5;"), "{out:?}");
        assert!(!out.contains("48;5;"), "{out:?}");
        assert!(!out.contains("[59m"), "{out:?}");
        assert!(out.contains("\x1b[0;90m▶ grey"), "{out:?}");
        assert!(out.contains("\x1b[0;1;96;44m│ok█"), "{out:?}");
        assert!(out.ends_with("\x1b[0m"), "{out:?}");
    }

    #[test]
    fn full_terminals_keep_crossterms_codes() {
        let out = written(Capabilities::FULL);
        assert!(out.contains("38;5;8"), "{out:?}");
    }

    #[test]
    fn ascii_locale_draws_ascii() {
        for classic_colours in [true, false] {
            let out = written(Capabilities {
                classic_colours,
                ascii: true,
            });
            assert!(out.is_ascii(), "{out:?}");
            assert!(out.contains("> grey"), "{out:?}");
            assert!(out.contains("|ok#"), "{out:?}");
        }
        assert_eq!(ascii_symbol("ø"), "o");
        assert_eq!(ascii_symbol("ß"), "s");
        assert_eq!(ascii_symbol("┌"), "+");
    }
}
