//! End to end: the real `fleetdesk` binary in a real terminal. A tmux server of the test's own
//! runs a plain bash; the test types `fleetdesk demo` into it, drives the client with keys
//! (assign, a 409 conflict resolved by returning, return, filter, resize), quits, and checks
//! that the shell's terminal is restored and the demo's temporary directory is gone. A second
//! run does the same on the Roles tab: two role conflicts accepted, at 100×30 and at 80×24.
//!
//! Needs `tmux` on PATH (`.ci/run` installs it); without it each test is skipped saying so, or
//! fails under `FLEETDESK_TEST_REQUIRE_ALL=1`. Every wait polls the screen (`capture-pane`)
//! rather than sleeping.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The session's name inside the test's own tmux server.
const SESSION: &str = "e2e";
/// How often the screen is read while waiting.
const POLL: Duration = Duration::from_millis(100);
/// Start-up: the debug binary, the demo database and the first loads, on a busy machine.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Any other wait: one key and at most one round trip to the in-process server.
const TIMEOUT: Duration = Duration::from_secs(15);
/// A free vehicle, a busy one (its ASSIGNED TO column names a technician), and a filter text
/// matching some vehicles but not all, from `assets/demo.json`.
const FREE_VEHICLE: &str = "Van 12";
const BUSY_VEHICLE: &str = "Van 22";
const FILTER_TEXT: &str = "Truck";

/// A tmux server of the test's own (`tmux -L <socket>`), killed when dropped, also when the
/// test fails, which ends the shell and the client in it.
struct Tmux {
    socket: String,
    /// The socket file, removed after the server is killed (tmux leaves it behind).
    socket_path: Option<PathBuf>,
    /// The client's log (its state directory is set for the session), shown on failure.
    log: PathBuf,
}

impl Tmux {
    fn start(root: &Path, command: &str) -> Tmux {
        let mut tmux = Tmux {
            socket: format!("fleetdesk-e2e-{}-{}", std::process::id(), nanos()),
            socket_path: None,
            log: root.join("state").join("fleetdesk").join("fleetdesk.log"),
        };
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            SESSION,
            command,
        ]);
        let path = tmux.format("#{socket_path}");
        if !path.is_empty() {
            tmux.socket_path = Some(PathBuf::from(path));
        }
        tmux
    }

    fn command(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            // UTF-8 output whatever the locale; no user configuration.
            .args(["-u", "-f", "/dev/null", "-L", &self.socket])
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap_or_else(|err| panic!("cannot run tmux {args:?}: {err}"))
    }

    fn run(&self, args: &[&str]) -> String {
        let output = self.command(args);
        assert!(
            output.status.success(),
            "tmux {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The visible screen, one line per row.
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", SESSION])
    }

    /// The visible screen with wrapped lines joined.
    fn joined_screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-t", SESSION])
    }

    /// The whole history and screen with wrapped lines joined.
    fn joined_history(&self) -> String {
        self.run(&["capture-pane", "-p", "-J", "-S", "-", "-t", SESSION])
    }

    /// Text typed as is, never read as key names.
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", SESSION, "-l", text]);
    }

    /// Named keys: Enter, Escape, C-d.
    fn key(&self, key: &str) {
        self.run(&["send-keys", "-t", SESSION, key]);
    }

    fn format(&self, format: &str) -> String {
        self.run(&["display-message", "-p", "-t", SESSION, format])
            .trim()
            .to_string()
    }

    fn resize(&self, width: u16, height: u16) {
        let (width, height) = (width.to_string(), height.to_string());
        self.run(&["resize-window", "-t", SESSION, "-x", &width, "-y", &height]);
    }

    /// Polls the screen every 100 ms until `predicate` holds on two reads in a row that are
    /// the same (so a half-drawn frame is never taken); returns that screen. Panics on
    /// timeout with the last screen and the client's log.
    fn wait_for(&self, what: &str, timeout: Duration, predicate: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        let mut previous = String::new();
        loop {
            let screen = self.screen();
            if screen == previous && predicate(&screen) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; the last screen:\n{}\n{}",
                    framed(&screen),
                    self.log_tail()
                );
            }
            previous = screen;
            std::thread::sleep(POLL);
        }
    }

    fn log_tail(&self) -> String {
        match std::fs::read_to_string(&self.log) {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().collect();
                let tail = lines[lines.len().saturating_sub(30)..].join("\n");
                format!("the client's log ({}):\n{tail}", self.log.display())
            }
            Err(err) => format!("(no client log at {}: {err})", self.log.display()),
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // The server may be gone already; nothing to report then.
        let _ = self.command(&["kill-server"]);
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The test's own directory under cargo's scratch space; removed at the end unless the test
/// failed (then it is kept for a look, with the client's log in it).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} for a look", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos())
}

/// Single-quoted for the shell.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn framed(screen: &str) -> String {
    let lines: Vec<String> = screen.lines().map(|line| format!("|{line}")).collect();
    format!("+----\n{}\n+----", lines.join("\n"))
}

/// The first line that `is` says is the one, or "".
fn line_where(screen: &str, is: impl Fn(&str) -> bool) -> &str {
    screen.lines().find(|line| is(line)).unwrap_or("")
}

/// The header: "fleetdesk", the server, the user, the counts and the connection badge.
fn header(screen: &str) -> &str {
    line_where(screen, |line| line.starts_with(" fleetdesk "))
}

/// The tab bar: "[1 Vehicles]  2 Technicians …".
fn tab_bar(screen: &str) -> &str {
    line_where(screen, |line| {
        line.contains("1 Vehicles") && line.contains("2 Technicians")
    })
}

/// The status line: the filter, or how to start one, and the counts at the right.
fn status_line(screen: &str) -> &str {
    line_where(screen, |line| {
        let text = line.trim_start();
        ["filter: ", "/ to filter", "status: "]
            .iter()
            .any(|start| text.starts_with(start))
    })
}

/// The count at the right of the status line: "N of M" (M may end in "+").
fn counts(screen: &str) -> Option<(usize, usize)> {
    let words: Vec<&str> = status_line(screen).split_whitespace().collect();
    match words[..] {
        [.., shown, "of", total] => Some((
            shown.parse().ok()?,
            total.trim_end_matches('+').parse().ok()?,
        )),
        _ => None,
    }
}

/// The selected row of the main list (the marker is in the first column, then a `•` while
/// someone else's change is marked); the mark is given as a space.
fn selected_row(screen: &str) -> Option<String> {
    screen
        .lines()
        .find(|line| line.starts_with("▶ ") || line.starts_with("▶•"))
        .map(|line| line.replacen("▶•", "▶ ", 1))
}

/// The text of a list cell: the selected row from where `column` starts in the header.
fn selected_cell(screen: &str, column: &str) -> Option<String> {
    let header = screen.lines().find(|line| line.contains(column))?;
    let at = header.split(column).next()?.chars().count();
    let row = selected_row(screen)?;
    Some(row.chars().skip(at).collect::<String>().trim().to_string())
}

/// The list rows under the column titles (the line with the sort arrow) down to the rule
/// above the footer.
fn list_rows(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .skip_while(|line| !line.contains(" ▼") && !line.contains(" ▲"))
        .skip(1)
        .take_while(|line| !line.starts_with('─'))
        .filter(|line| !line.trim().is_empty())
        .collect()
}

/// The selected technician in a picker ("│▶ Name <e-mail>  free"): its name, if it is free.
fn picker_choice(screen: &str) -> Option<String> {
    let line = screen.lines().find(|line| line.contains("│▶ "))?;
    let item = line.split("│▶ ").nth(1)?;
    let (name, rest) = item.split_once(" <")?;
    rest.contains(">  free").then(|| name.trim().to_string())
}

fn is_prompt_last(screen: &str) -> bool {
    screen
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .is_some_and(|line| line.trim_end() == "$")
}

fn live(screen: &str) -> bool {
    header(screen).contains("● live")
}

/// The Roles tab: the title of the role list, right of the tree's heading.
fn role_list_title(screen: &str) -> Option<&str> {
    role_list_part(line_where(screen, |line| {
        line.starts_with(" ORGANIZATIONS")
    }))
}

/// The Roles tab: a line's part right of the tree's rule, without the list's row marker.
fn role_list_part(line: &str) -> Option<&str> {
    let (_, list) = line.split_once('│')?;
    Some(list.trim_start_matches(['▶', '▷', ' ']))
}

/// The Roles tab: the selected organization in the tree (marker ▶ while the tree has focus).
fn tree_selected(screen: &str) -> Option<String> {
    let row = selected_row(screen)?;
    let tree = row.split('│').next()?;
    Some(
        tree.trim_start_matches(['▶', ' ', '▾', '▸'])
            .trim_end()
            .to_string(),
    )
}

/// A date cell of the role list: "2025-03-01" (wide), "25-03-01" (narrow) or "open".
fn is_date_cell(word: &str) -> bool {
    word == "open"
        || (matches!(word.len(), 8 | 10)
            && word.chars().all(|c| c.is_ascii_digit() || c == '-')
            && word.contains('-'))
}

/// The (valid from, valid to) cells of `user`'s rows in the role list, top to bottom.
fn role_rows(screen: &str, user: &str) -> Vec<(String, String)> {
    let start = format!("{user} ");
    screen
        .lines()
        .filter_map(role_list_part)
        .filter(|row| row.starts_with(&start))
        .map(|row| {
            let dates: Vec<&str> = row[start.len()..]
                .split_whitespace()
                .filter(|word| is_date_cell(word))
                .collect();
            (
                dates.first().copied().unwrap_or("").to_string(),
                dates.get(1).copied().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn owned_pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(from, to)| (from.to_string(), to.to_string()))
        .collect()
}

/// One row of the role conflict dialog: "REL ROLES NOW → SUGGESTED ACTION".
#[derive(Debug, PartialEq)]
struct ConflictRow {
    rel: String,
    now: String,
    suggested: String,
    action: String,
}

/// The rows of the role conflict dialog (those with an arrow), read inside its frame.
fn conflict_rows(screen: &str) -> Vec<ConflictRow> {
    screen
        .lines()
        .filter(|line| line.contains(" → "))
        .filter_map(|line| {
            let start = line.find('│')? + '│'.len_utf8();
            let end = line.rfind('│')?;
            let inner = line.get(start..end)?.trim_start_matches(['▶', ' ']);
            let (left, right) = inner.split_once(" → ")?;
            let left: Vec<&str> = left.split_whitespace().collect();
            let mut right = right.split_whitespace();
            Some(ConflictRow {
                rel: left.first()?.to_string(),
                now: left.last()?.to_string(),
                suggested: right.next()?.to_string(),
                action: right.collect::<Vec<&str>>().join(" "),
            })
        })
        .collect()
}

fn conflict_row(rel: &str, now: &str, suggested: &str, action: &str) -> ConflictRow {
    ConflictRow {
        rel: rel.to_string(),
        now: now.to_string(),
        suggested: suggested.to_string(),
        action: action.to_string(),
    }
}

/// Existing assignments show their number in the REL column; their ids are the database's,
/// so only that they are numbers is checked.
fn without_ids(rows: Vec<ConflictRow>) -> Vec<ConflictRow> {
    rows.into_iter()
        .map(|row| ConflictRow {
            rel: if !row.rel.is_empty() && row.rel.chars().all(|c| c.is_ascii_digit()) {
                "#".to_string()
            } else {
                row.rel
            },
            ..row
        })
        .collect()
}

/// A tmux server of the test's own running bash with the demo typed into it (Enter pressed),
/// TMPDIR set to a fresh directory; returns the server, that directory, the typed command and
/// the guard of the test's scratch directory.
fn start_demo() -> (Tmux, PathBuf, String, Scratch) {
    start_demo_in("LANG=C.UTF-8 LC_ALL= LC_CTYPE=", None)
}

/// [`start_demo`] with `terminal` (`NAME=value` pairs: TERM, the locale) in the shell's
/// environment; with `record`, every byte the shell and the client write goes to that file.
fn start_demo_in(terminal: &str, record: Option<&Path>) -> (Tmux, PathBuf, String, Scratch) {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-tmux-{}-{}",
        std::process::id(),
        nanos()
    ));
    let tmpdir = root.join("tmp");
    let state = root.join("state");
    for dir in [&tmpdir, &state] {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
    }
    let scratch = Scratch(root.clone());
    // TMPDIR: where the demo makes its directory, checked empty at the end. XDG_STATE_HOME:
    // where the client logs, so the test neither writes to the user's home nor loses the log.
    let shell = format!(
        "exec env TMPDIR={} XDG_STATE_HOME={} HISTFILE=/dev/null PS1='$ ' {terminal} bash --norc --noprofile",
        quoted(&tmpdir.display().to_string()),
        quoted(&state.display().to_string()),
    );
    let tmux = Tmux::start(&root, &shell);
    tmux.wait_for("the shell's prompt", START_TIMEOUT, is_prompt_last);
    if let Some(file) = record {
        let pipe = format!("cat >> {}", quoted(&file.display().to_string()));
        tmux.run(&["pipe-pane", "-o", "-t", SESSION, &pipe]);
    }
    let typed = format!("{} demo", quoted(env!("CARGO_BIN_EXE_fleetdesk")));
    tmux.type_text(&typed);
    tmux.key("Enter");

    (tmux, tmpdir, typed, scratch)
}

/// Quits with `q` and checks the shell's terminal is restored (main screen, cursor, no mouse
/// reporting, cooked mode, echo) and the demo's temporary directory in `tmpdir` is gone.
fn quit_and_check_restored(tmux: &Tmux, typed: &str, tmpdir: &Path) {
    // The shell's prompt returns on the main screen.
    tmux.type_text("q");
    let screen = tmux.wait_for("the shell's prompt after quitting", TIMEOUT, is_prompt_last);
    let joined = tmux.joined_screen();
    assert!(
        joined
            .lines()
            .any(|line| line.trim_end() == format!("$ {typed}")),
        "the main screen should show the typed command again (alternate screen left):\n{}",
        framed(&screen)
    );
    assert!(
        !joined.contains("Vehicles") && !joined.contains("● live"),
        "nothing of the client should stay on the main screen:\n{}",
        framed(&screen)
    );
    assert_eq!(tmux.format("#{alternate_on}"), "0", "alternate screen left");
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor shown");
    assert_eq!(tmux.format("#{mouse_any_flag}"), "0", "mouse reporting off");

    tmux.type_text("stty -a; echo STTY-$((40+2))");
    tmux.key("Enter");
    tmux.wait_for("the output of stty -a", TIMEOUT, |s| {
        s.lines().any(|line| line.trim_end() == "STTY-42") && is_prompt_last(s)
    });
    let history = tmux.joined_history();
    let stty: Vec<&str> = history
        .lines()
        .skip_while(|line| !line.starts_with("$ stty -a"))
        .skip(1)
        .take_while(|line| line.trim_end() != "STTY-42")
        .collect();
    let flags: Vec<&str> = stty
        .iter()
        .flat_map(|line| line.split(|c: char| c.is_whitespace() || c == ';'))
        .collect();
    for flag in ["icanon", "echo", "isig", "icrnl", "opost"] {
        assert!(
            flags.contains(&flag) && !flags.contains(&format!("-{flag}").as_str()),
            "the terminal should be back in cooked mode ({flag} on); stty -a says:\n{}",
            stty.join("\n")
        );
    }

    // Typed text echoes: `cat` reads a line in cooked mode, so the line shows twice (the
    // terminal's echo, then cat's copy) only if echo and canonical input are on.
    tmux.type_text("cat");
    tmux.key("Enter");
    tmux.wait_for("cat running", TIMEOUT, |s| {
        s.lines().any(|line| line.trim_end() == "$ cat")
            && tmux.format("#{pane_current_command}") == "cat"
    });
    tmux.type_text("echo-probe");
    tmux.wait_for("the typed text echoed", TIMEOUT, |s| {
        s.lines().any(|line| line.trim_end() == "echo-probe")
    });
    tmux.key("Enter");
    tmux.wait_for("the line echoed, then copied by cat", TIMEOUT, |s| {
        let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
        lines
            .windows(3)
            .any(|w| w == ["$ cat", "echo-probe", "echo-probe"])
    });
    tmux.key("C-d");
    tmux.wait_for("the prompt after cat", TIMEOUT, is_prompt_last);

    // The demo removed its temporary directory.
    let left: Vec<String> = std::fs::read_dir(tmpdir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", tmpdir.display()))
        .map(|entry| entry.map_or_else(|err| err.to_string(), |e| e.path().display().to_string()))
        .collect();
    assert!(
        left.is_empty(),
        "the demo should remove its temporary directory; left in TMPDIR: {left:?}"
    );
}

#[test]
fn demo_in_a_real_terminal() {
    let started = Instant::now();
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (tmux, tmpdir, typed, _scratch) = start_demo();

    // 1. Signed in, everything loaded.
    let screen = tmux.wait_for("the client, live, with vehicles", START_TIMEOUT, |s| {
        live(s)
            && tab_bar(s).contains("[1 Vehicles]")
            && counts(s).is_some_and(|(shown, total)| shown == total && total > 0)
    });
    let (_, vehicle_total) = counts(&screen).expect("a count line");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the client should draw on the alternate screen"
    );

    // 2. Assign a free vehicle to the first technician in the picker (free ones come first).
    tmux.type_text("/");
    tmux.type_text(FREE_VEHICLE);
    tmux.key("Enter");
    let screen = tmux.wait_for(
        &format!("the list filtered to {FREE_VEHICLE}"),
        TIMEOUT,
        |s| {
            status_line(s).contains(&format!("filter: {FREE_VEHICLE}"))
                && !status_line(s).contains('█')
                && selected_row(s).is_some_and(|row| row.starts_with(&format!("▶ {FREE_VEHICLE} ")))
        },
    );
    assert_eq!(
        selected_cell(&screen, "ASSIGNED TO").as_deref(),
        Some("—"),
        "{FREE_VEHICLE} should be free in the demo data:\n{}",
        framed(&screen)
    );
    tmux.type_text("a");
    let screen = tmux.wait_for("the technician picker", TIMEOUT, |s| {
        s.contains(&format!("Assign {FREE_VEHICLE} to")) && picker_choice(s).is_some()
    });
    let first = picker_choice(&screen).expect("a free technician");
    tmux.key("Enter");
    // The message comes with the answer (and stays 6 s); the row with the reload after it.
    tmux.wait_for("the assignment's message", TIMEOUT, |s| {
        s.contains(&format!("✓ Assigned {FREE_VEHICLE} to {first}"))
    });
    tmux.wait_for(
        &format!("{FREE_VEHICLE}'s row naming {first}"),
        TIMEOUT,
        |s| selected_cell(s, "ASSIGNED TO").as_deref() == Some(first.as_str()),
    );

    // 3. A busy vehicle: the server answers 409; the dialog names the assignment in the way;
    //    Enter returns it and assigns.
    tmux.key("Escape");
    tmux.wait_for("the filter cleared", TIMEOUT, |s| {
        status_line(s).contains("/ to filter") && counts(s) == Some((vehicle_total, vehicle_total))
    });
    tmux.type_text("/");
    tmux.type_text(BUSY_VEHICLE);
    tmux.key("Enter");
    let screen = tmux.wait_for(
        &format!("the list filtered to {BUSY_VEHICLE}"),
        TIMEOUT,
        |s| {
            status_line(s).contains(&format!("filter: {BUSY_VEHICLE}"))
                && !status_line(s).contains('█')
                && selected_row(s).is_some_and(|row| row.starts_with(&format!("▶ {BUSY_VEHICLE} ")))
        },
    );
    let holder = selected_cell(&screen, "ASSIGNED TO").unwrap_or_default();
    assert!(
        !holder.is_empty() && holder != "—",
        "{BUSY_VEHICLE} should be busy in the demo data:\n{}",
        framed(&screen)
    );
    tmux.type_text("a");
    let screen = tmux.wait_for("the technician picker", TIMEOUT, |s| {
        s.contains(&format!("Assign {BUSY_VEHICLE} to")) && picker_choice(s).is_some()
    });
    let second = picker_choice(&screen).expect("a free technician");
    assert_ne!(
        second, first,
        "{first} is busy now and must not be offered first"
    );
    tmux.key("Enter");
    let in_the_way = format!("{BUSY_VEHICLE} (");
    let screen = tmux.wait_for("the conflict dialog", TIMEOUT, |s| {
        s.contains("Conflict") && s.contains(&format!("is with {holder} since"))
    });
    let named = screen
        .lines()
        .find(|line| line.contains(&format!("is with {holder} since")))
        .unwrap_or("");
    assert!(
        named.contains(&in_the_way) && named.contains("(#"),
        "the conflict should name {BUSY_VEHICLE}, {holder} and the assignment's number:\n{}",
        framed(&screen)
    );
    tmux.key("Enter");
    tmux.wait_for("the conflict resolved", TIMEOUT, |s| {
        !s.contains("Conflict") && s.contains(&format!("✓ Assigned {BUSY_VEHICLE} to {second}"))
    });
    tmux.wait_for(
        &format!("{BUSY_VEHICLE}'s row naming {second} instead of {holder}"),
        TIMEOUT,
        |s| selected_cell(s, "ASSIGNED TO").as_deref() == Some(second.as_str()),
    );

    // 4. Return the newest assignment (the one just made) on the Assignments tab.
    tmux.type_text("3");
    tmux.type_text("g");
    tmux.wait_for("the new assignment selected, newest first", TIMEOUT, |s| {
        tab_bar(s).contains("[3 Assignments]")
            && selected_row(s).is_some_and(|row| {
                row.contains(BUSY_VEHICLE) && row.contains(&second) && row.contains("active")
            })
    });
    tmux.type_text("r");
    tmux.wait_for("the return question", TIMEOUT, |s| {
        s.contains("Return assignment")
            && s.contains(&format!("Return {BUSY_VEHICLE} from {second} (#"))
            && s.contains("Odometer:")
    });
    // The optional note, typed into its field; the reading is left empty.
    tmux.key("Tab");
    tmux.type_text("tyres fine");
    tmux.wait_for("the note typed", TIMEOUT, |s| {
        s.contains("Note: tyres fine")
    });
    tmux.key("Enter");
    tmux.wait_for("the return's message", TIMEOUT, |s| {
        s.contains(&format!("✓ Returned {BUSY_VEHICLE} from {second}"))
    });
    tmux.wait_for("the assignment's row returned", TIMEOUT, |s| {
        selected_row(s).is_some_and(|row| row.contains(&second) && row.contains("returned"))
    });

    // 5. Filter as you type: the count changes; Esc clears.
    tmux.type_text("1");
    tmux.wait_for("the whole vehicle list", TIMEOUT, |s| {
        tab_bar(s).contains("[1 Vehicles]")
            && status_line(s).contains("/ to filter")
            && counts(s) == Some((vehicle_total, vehicle_total))
    });
    tmux.type_text("/");
    tmux.type_text(FILTER_TEXT);
    let screen = tmux.wait_for(
        &format!("the list filtered to {FILTER_TEXT}"),
        TIMEOUT,
        |s| {
            status_line(s).contains(&format!("filter: {FILTER_TEXT}█"))
                && counts(s).is_some_and(|(shown, total)| {
                    total == vehicle_total && shown > 0 && shown < total
                })
        },
    );
    let (shown, _) = counts(&screen).expect("a count line");
    let rows = list_rows(&screen);
    assert!(
        rows.len() == shown && rows.iter().all(|row| row.contains(FILTER_TEXT)),
        "{shown} rows, all with {FILTER_TEXT}, expected:\n{}",
        framed(&screen)
    );
    tmux.key("Escape");
    tmux.wait_for("the filter cleared", TIMEOUT, |s| {
        status_line(s).contains("/ to filter") && counts(s) == Some((vehicle_total, vehicle_total))
    });

    // 6. Resize: 80×24 still shows everything; 60×20 says so; back to 100×30.
    tmux.resize(80, 24);
    tmux.wait_for("the screen fitted to 80×24", TIMEOUT, |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() == 24
            && lines.iter().all(|line| line.chars().count() <= 80)
            && live(s)
            && tab_bar(s).contains("3 Assignments")
            && lines.last().is_some_and(|footer| footer.contains("q quit"))
            && counts(s) == Some((vehicle_total, vehicle_total))
    });
    tmux.resize(60, 20);
    tmux.wait_for("\"too small\" at 60×20", TIMEOUT, |s| {
        s.contains("too small") && !s.contains("q quit")
    });
    tmux.resize(100, 30);
    tmux.wait_for("the screen back at 100×30", TIMEOUT, |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() == 30
            && !s.contains("too small")
            && live(s)
            && tab_bar(s).contains("[1 Vehicles]")
            && lines.last().is_some_and(|footer| footer.contains("q quit"))
    });

    // 7. Quit: the terminal is restored; the demo removed its temporary directory.
    quit_and_check_restored(&tmux, &typed, &tmpdir);

    drop(tmux);
    eprintln!("e2e_tmux: passed in {:.1?}", started.elapsed());
}

/// A Linux console under the C locale: the real binary writes the classic colour codes (no
/// `38;5;N`, no `59m`) and only ASCII, read byte for byte from what tmux receives.
#[test]
fn sixteen_colours_and_ascii_on_a_linux_console() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let record = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-linux-console-{}-{}.out",
        std::process::id(),
        nanos()
    ));
    let (tmux, tmpdir, typed, _scratch) =
        start_demo_in("TERM=linux LANG=C LC_ALL= LC_CTYPE=", Some(&record));
    tmux.wait_for("the client, live, in ASCII", START_TIMEOUT, |s| {
        header(s).contains("* live") && counts(s).is_some_and(|(_, total)| total > 0)
    });
    // A dialog with borders and the selection marker.
    tmux.type_text("?");
    tmux.wait_for("the help", TIMEOUT, |s| s.contains("+ Help -"));
    tmux.key("Escape");
    tmux.wait_for("the help closed", TIMEOUT, |s| !s.contains("+ Help -"));
    quit_and_check_restored(&tmux, &typed, &tmpdir);
    drop(tmux);
    let bytes = std::fs::read(&record)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", record.display()));
    let _ = std::fs::remove_file(&record);
    let out = String::from_utf8_lossy(&bytes);
    let client: &str = out
        .split_once("\x1b[?1049h")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("the client never entered the alternate screen: {out:?}"));
    assert!(
        !client.contains("38;5;"),
        "256-colour codes written: {client:?}"
    );
    assert!(
        !client.contains("48;5;"),
        "256-colour codes written: {client:?}"
    );
    assert!(
        !client.contains("\x1b[59m"),
        "underline colour written: {client:?}"
    );
    assert!(
        client.contains("\x1b[0;1;32m* live"),
        "the badge in classic green: {client:?}"
    );
    assert!(
        client.contains("\x1b[0;90m"),
        "dim text in classic bright black: {client:?}"
    );
    assert!(
        bytes.is_ascii(),
        "only ASCII under LANG=C; found {:?}",
        out.chars().filter(|c| !c.is_ascii()).collect::<String>()
    );
}

/// A closed terminal (an SSH session dropped, a tmux server killed) hangs up the client; it
/// ends like `q`, so the demo still removes its temporary directory.
#[test]
fn hangup_removes_the_demo_directory() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (tmux, tmpdir, _, _scratch) = start_demo();
    tmux.wait_for("the client, live", START_TIMEOUT, |s| {
        live(s) && counts(s).is_some_and(|(_, total)| total > 0)
    });
    let demo_dirs = || -> Vec<String> {
        std::fs::read_dir(&tmpdir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(
        demo_dirs()
            .iter()
            .any(|name| name.starts_with("fleetdesk-demo-")),
        "the running demo should have its directory in {}",
        tmpdir.display()
    );
    // Killing the server closes the pane's terminal: SIGHUP, then reads and writes fail.
    drop(tmux);
    let start = Instant::now();
    while !demo_dirs().is_empty() {
        assert!(
            start.elapsed() < TIMEOUT,
            "after a hangup the demo should remove its directory; left in {}: {:?}",
            tmpdir.display(),
            demo_dirs()
        );
        std::thread::sleep(POLL);
    }
}

/// `y` in a real terminal: the client writes OSC 52, and tmux with `set-clipboard on` takes
/// it from the pane as a paste buffer holding the selected vehicle's plate.
#[test]
fn y_copies_the_plate_through_tmux() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (tmux, tmpdir, typed, _scratch) = start_demo();
    tmux.run(&["set-option", "-g", "set-clipboard", "on"]);
    let screen = tmux.wait_for("the client, live", START_TIMEOUT, |s| {
        live(s) && counts(s).is_some_and(|(_, total)| total > 0)
    });
    let plate = selected_cell(&screen, "PLATE")
        .and_then(|cells| cells.split("  ").next().map(str::to_string))
        .unwrap_or_else(|| panic!("a selected plate on:\n{}", framed(&screen)));
    assert!(!plate.is_empty(), "{}", framed(&screen));
    tmux.type_text("y");
    let said = format!("Copied {plate} (");
    tmux.wait_for("the footer saying what was copied", TIMEOUT, |s| {
        s.contains(&said)
    });
    // The sequence went out before the frame with the footer, so tmux has it by now.
    assert_eq!(tmux.run(&["show-buffer"]), plate);
    quit_and_check_restored(&tmux, &typed, &tmpdir);
}

/// The Roles tab: filters the tree to `name` and keeps the filter with Enter, which selects
/// `name` (the first match; its ancestors stay only for context); returns the screen once its
/// role list shows.
fn select_organization(tmux: &Tmux, name: &str) -> String {
    tmux.type_text("/");
    tmux.type_text(name);
    tmux.key("Enter");
    let screen = tmux.wait_for(&format!("the tree filtered to {name}"), TIMEOUT, |s| {
        status_line(s).contains(&format!("filter: {name}"))
            && !status_line(s).contains('█')
            && s.lines().any(|l| {
                l.split('│')
                    .next()
                    .is_some_and(|t| t.trim_end().ends_with(name))
            })
    });
    assert_eq!(
        tree_selected(&screen).as_deref(),
        Some(name),
        "Enter should select {name}, the first match:\n{}",
        framed(&screen)
    );
    tmux.wait_for(&format!("{name}'s role list"), TIMEOUT, |s| {
        role_list_title(s).is_some_and(|title| {
            title.starts_with(&format!("{name} · ")) && title.contains("role assignment")
        })
    })
}

/// The Roles tab, an organization selected: `n`, the user from the picker (filtered by
/// `query`), the role employee, the dates, Enter. Returns the screen once the role conflict
/// dialog for `user` in `organization` is drawn and checked.
fn request_employee_role(
    tmux: &Tmux,
    (query, user, email): (&str, &str, &str),
    organization: &str,
    (from, to): (&str, &str),
) -> String {
    tmux.type_text("n");
    tmux.wait_for("the role form", TIMEOUT, |s| {
        s.contains("New role assignment")
            && s.contains(&format!("Organization: {organization}"))
            && s.contains("User: (none)")
    });
    tmux.key("Enter");
    // The picker is filled by the server's search as the name is typed.
    tmux.wait_for("the user picker", TIMEOUT, |s| {
        s.contains("│filter: █") && s.contains(TYPE_MORE)
    });
    tmux.type_text(query);
    tmux.wait_for(&format!("{user} chosen in the picker"), TIMEOUT, |s| {
        s.contains(&format!("│filter: {query}█")) && s.contains(&format!("│▶ {user} <{email}>"))
    });
    tmux.key("Enter");
    // The focus moves to the roles; the cursor is on the first, employee.
    tmux.wait_for(&format!("the role form for {user}"), TIMEOUT, |s| {
        s.contains(&format!("User: {user}")) && s.contains("Space tick")
    });
    tmux.key("Space");
    tmux.wait_for("employee ticked", TIMEOUT, |s| s.contains("1 [x] employee"));
    tmux.key("Tab");
    tmux.type_text(from);
    tmux.wait_for("the start date", TIMEOUT, |s| {
        s.contains(&format!("Valid from: {from}█")) && s.contains(&format!("→ {from}"))
    });
    tmux.key("Tab");
    tmux.type_text(to);
    tmux.wait_for("the end date", TIMEOUT, |s| {
        s.contains(&format!("Valid to: {to}█")) && s.contains(&format!("→ {to}"))
    });
    tmux.key("Enter");
    let title = format!("Role conflict: {user} in {organization}");
    tmux.wait_for(&format!("the dialog \"{title}\""), TIMEOUT, |s| {
        s.contains(&title)
            && s.contains("✓ After these changes nothing overlaps.")
            && s.contains("Enter accept all")
    })
}

/// The Roles tab in a real terminal: a new role assignment overlapping three of Dmitri Ruiz's
/// (one ends earlier, one is deleted, one starts later), then at 80×24 one splitting Elif
/// Chen's open-ended assignment in two; both from `tryThis` in `assets/demo.json`.
#[test]
fn roles_conflict_in_a_real_terminal() {
    const ORGANIZATION: &str = "Depot North";
    const DMITRI: (&str, &str, &str) = ("dmitri", "Dmitri Ruiz", "dmitri.ruiz@depot.example");
    const ELIF: (&str, &str, &str) = ("elif", "Elif Chen", "elif.chen@depot.example");
    const CREATED: &str = "✓ The assignment was successfully created.";
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (tmux, tmpdir, typed, _scratch) = start_demo();
    tmux.wait_for("the client, live", START_TIMEOUT, |s| {
        live(s) && counts(s).is_some_and(|(_, total)| total > 0)
    });

    // 1. The Roles tab, Depot North selected; Dmitri Ruiz's three assignments as in the demo.
    tmux.type_text("4");
    tmux.wait_for("the Roles tab with its tree", TIMEOUT, |s| {
        tab_bar(s).contains("[4 Roles]")
            && s.contains(" ORGANIZATIONS")
            && role_list_title(s).is_some_and(|t| t.contains("role assignment"))
    });
    let screen = select_organization(&tmux, ORGANIZATION);
    assert_eq!(
        role_rows(&screen, DMITRI.1),
        owned_pairs(&[
            ("2025-01-01", "2025-03-31"),
            ("2025-05-01", "2025-05-31"),
            ("2025-07-01", "2025-12-31"),
        ]),
        "{} in {ORGANIZATION} as in the demo data:\n{}",
        DMITRI.1,
        framed(&screen)
    );

    // 2. Employee 2025-03-01..2025-08-31: the dialog suggests all three changes.
    let screen = request_employee_role(&tmux, DMITRI, ORGANIZATION, ("2025-03-01", "2025-08-31"));
    // In the server's order: by suggested start.
    let rows = without_ids(conflict_rows(&screen));
    assert_eq!(
        rows,
        vec![
            conflict_row(
                "#",
                "2025-01-01…2025-03-31",
                "2025-01-01…2025-02-28",
                "end earlier"
            ),
            conflict_row("new", "—", "2025-03-01…2025-08-31", "keep (yours)"),
            conflict_row("#", "2025-05-01…2025-05-31", "—", "delete"),
            conflict_row(
                "#",
                "2025-07-01…2025-12-31",
                "2025-09-01…2025-12-31",
                "start later"
            ),
        ],
        "the role conflict dialog's rows:\n{}",
        framed(&screen)
    );

    // 3. Enter accepts all: the dialog closes, the list shows the trimmed assignments.
    tmux.key("Enter");
    tmux.wait_for("the suggestions accepted", TIMEOUT, |s| {
        !s.contains("Role conflict") && s.contains(CREATED)
    });
    let expected = owned_pairs(&[
        ("2025-01-01", "2025-02-28"),
        ("2025-03-01", "2025-08-31"),
        ("2025-09-01", "2025-12-31"),
    ]);
    let screen = tmux.wait_for(&format!("{}'s rows trimmed", DMITRI.1), TIMEOUT, |s| {
        role_rows(s, DMITRI.1) == expected
    });
    assert!(
        !screen.contains("2025-05-01") && !screen.contains("2025-05-31"),
        "the deleted 2025-05 assignment should be gone:\n{}",
        framed(&screen)
    );

    // 4. At 80×24 dates keep their four-digit year; the first message has gone, so the next one is new.
    tmux.resize(80, 24);
    tmux.wait_for("the Roles tab at 80×24 without a message", TIMEOUT, |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() == 24
            && lines.iter().all(|line| line.chars().count() <= 80)
            && !s.contains(CREATED)
            && role_rows(s, ELIF.1) == owned_pairs(&[("2024-01-01", "open")])
            && role_rows(s, DMITRI.1).len() == 3
    });

    // 5. Employee 2026-01-01..2026-06-30 splits Elif Chen's open-ended assignment.
    let screen = request_employee_role(&tmux, ELIF, ORGANIZATION, ("2026-01-01", "2026-06-30"));
    let rows = without_ids(conflict_rows(&screen));
    assert_eq!(
        rows,
        vec![
            conflict_row(
                "#",
                "2024-01-01…open",
                "2024-01-01…2025-12-31",
                "end earlier"
            ),
            conflict_row("new", "—", "2026-01-01…2026-06-30", "keep (yours)"),
            conflict_row("new", "—", "2026-07-01…open", "start later"),
        ],
        "the split's dialog rows:\n{}",
        framed(&screen)
    );
    tmux.key("Enter");
    tmux.wait_for("the split accepted", TIMEOUT, |s| {
        !s.contains("Role conflict") && s.contains(CREATED)
    });
    let expected = owned_pairs(&[
        ("2024-01-01", "2025-12-31"),
        ("2026-01-01", "2026-06-30"),
        ("2026-07-01", "open"),
    ]);
    tmux.wait_for(&format!("{}'s assignment split", ELIF.1), TIMEOUT, |s| {
        role_rows(s, ELIF.1) == expected
    });

    // 6. Quit: the terminal is restored; the demo removed its temporary directory.
    quit_and_check_restored(&tmux, &typed, &tmpdir);
}

// ---- two dispatchers, live ----

/// How long another dispatcher's change may take to show, with no key pressed.
const LIVE_WITHIN: Duration = Duration::from_secs(2);
/// Demo dispatchers (`assets/demo.json`): A acts, B watches.
const DISPATCHER_A: (&str, &str) = ("bo.okafor@depot.example", "Bo Okafor");
const DISPATCHER_B: &str = "dispatch@depot.example";
const DEMO_PASSWORD: &str = "demo-password";

/// The words the user picker shows until two letters are typed.
const TYPE_MORE: &str = "Type 2 or more letters of a name or e-mail to search.";

/// A `fleetdesk serve` process of the test's own, killed when dropped.
struct ServerProcess {
    child: std::process::Child,
    url: String,
}

impl ServerProcess {
    fn start(database: &str, demo: bool, scratch: &Path) -> ServerProcess {
        ServerProcess::start_on("127.0.0.1:0", database, demo, scratch)
    }

    fn start_on(bind: &str, database: &str, demo: bool, scratch: &Path) -> ServerProcess {
        use std::io::BufRead;
        let mut command = Command::new(env!("CARGO_BIN_EXE_fleetdesk"));
        command
            .args(["serve", "--bind", bind, "--database", database])
            .env("FLEETDESK_JWT_SECRET", common::JWT_SECRET)
            .env("FLEETDESK_LOG", "warn")
            .env("XDG_DATA_HOME", scratch.join("data"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        if demo {
            command.arg("--demo");
        }
        let mut child = command.spawn().expect("fleetdesk serve starts");
        let stdout = child.stdout.take().expect("its stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("not the listening line: {line:?}"))
            .to_string();
        ServerProcess { child, url }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A token for a demo user, from the server itself.
fn token_for(server: &str, email: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let client = fleetdesk::client::ApiClient::new(server, TIMEOUT).expect("a client");
        client
            .login(email, DEMO_PASSWORD)
            .await
            .unwrap_or_else(|err| panic!("{email} signs in: {err}"))
            .token
    })
}

/// The terminal client in a tmux server of its own, signed in by `FLEETDESK_TOKEN`, with
/// its own (empty) config and state directories under `root`.
fn start_client(root: &Path, server: &str, token: &str) -> Tmux {
    for dir in ["config", "state"] {
        std::fs::create_dir_all(root.join(dir)).expect("a client directory");
    }
    let command = format!(
        "exec env FLEETDESK_TOKEN={} FLEETDESK_SERVER={} XDG_CONFIG_HOME={} XDG_STATE_HOME={} {}",
        quoted(token),
        quoted(server),
        quoted(&root.join("config").display().to_string()),
        quoted(&root.join("state").display().to_string()),
        quoted(env!("CARGO_BIN_EXE_fleetdesk")),
    );
    Tmux::start(root, &command)
}

/// The list row whose first cell is `name` (marker and mark left out).
fn row_named<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen.lines().find(|line| {
        line.chars()
            .skip(2)
            .collect::<String>()
            .starts_with(&format!("{name} "))
    })
}

/// A on one client assigns a free vehicle that B's screen shows; B, with no key pressed,
/// shows the technician in that row within 2 s, marked, and names A in its footer.
fn two_clients(server_a: &str, server_b: &str, root: &Path) {
    let token_a = token_for(server_a, DISPATCHER_A.0);
    let token_b = token_for(server_b, DISPATCHER_B);
    let a = start_client(&root.join("a"), server_a, &token_a);
    let b = start_client(&root.join("b"), server_b, &token_b);
    let loaded =
        |s: &str| live(s) && counts(s).is_some_and(|(shown, total)| shown == total && total > 0);
    let screen_b = b.wait_for("client B, live, with vehicles", START_TIMEOUT, loaded);
    a.wait_for("client A, live, with vehicles", START_TIMEOUT, loaded);
    // A free vehicle B can see without scrolling.
    let target = list_rows(&screen_b)
        .into_iter()
        .filter(|row| !row.starts_with('▶'))
        .find_map(|row| {
            let header = screen_b.lines().find(|l| l.contains("ASSIGNED TO"))?;
            let at = header.split("ASSIGNED TO").next()?.chars().count();
            let assigned: String = row.chars().skip(at).collect();
            let plate_at = header.split("PLATE").next()?.chars().count();
            let name: String = row.chars().take(plate_at).skip(2).collect();
            (assigned.trim() == "—").then(|| name.trim().to_string())
        })
        .unwrap_or_else(|| panic!("a free vehicle on B's screen:\n{}", framed(&screen_b)));
    // A finds it (the first match of the filter, in natural order, is the name itself).
    a.type_text("/");
    a.type_text(&target);
    a.key("Enter");
    a.wait_for(&format!("A's list filtered to {target}"), TIMEOUT, |s| {
        !status_line(s).contains('█')
            && selected_row(s).is_some_and(|row| row.starts_with(&format!("▶ {target} ")))
    });
    a.type_text("a");
    let screen = a.wait_for("A's technician picker", TIMEOUT, |s| {
        s.contains(&format!("Assign {target} to")) && picker_choice(s).is_some()
    });
    let technician = picker_choice(&screen).expect("a free technician");
    let sent = Instant::now();
    a.key("Enter");
    // B: no key pressed.
    let expected_footer = format!("{target} assigned to {technician} by {}", DISPATCHER_A.1);
    let screen = b.wait_for(
        &format!("B's {target} row naming {technician}, and B's footer naming A"),
        TIMEOUT,
        |s| {
            row_named(s, &target).is_some_and(|row| row.contains(&technician))
                && s.contains(&expected_footer)
        },
    );
    let took = sent.elapsed();
    assert!(
        took <= LIVE_WITHIN,
        "B showed A's change after {took:?} (limit {LIVE_WITHIN:?}):\n{}",
        framed(&screen)
    );
    let row = row_named(&screen, &target).unwrap_or_default();
    assert!(row.starts_with(" •"), "B marks the changed row: {row:?}");
    assert!(live(&screen), "B stays live:\n{}", framed(&screen));
    // B's Activity tab lists it on top, with who did it.
    b.type_text("5");
    b.wait_for(
        "B's Activity tab with A's assignment on top",
        TIMEOUT,
        |s| {
            list_rows(s).first().is_some_and(|row| {
                row.contains(DISPATCHER_A.1)
                    && row.contains(&format!("assigned {target} to {technician}"))
            })
        },
    );
    // The mark goes by itself.
    b.type_text("1");
    b.wait_for("the mark gone", TIMEOUT, |s| {
        row_named(s, &target).is_some_and(|row| row.starts_with("  "))
    });
    eprintln!("e2e_tmux: B showed A's change {took:?} after A's Enter");
}

#[test]
fn two_clients_follow_each_other_live() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-live-{}-{}",
        std::process::id(),
        nanos()
    ));
    std::fs::create_dir_all(&root).expect("scratch");
    let _scratch = Scratch(root.clone());
    let database = format!("sqlite://{}", root.join("fleetdesk.db").display());
    let server = ServerProcess::start(&database, true, &root);
    two_clients(&server.url, &server.url, &root);
}

/// PostgreSQL: client A on one server instance, client B on another, one database.
#[test]
fn two_clients_on_two_instances_follow_each_other_live_postgres() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let Some(database) = runtime.block_on(common::TestDatabase::try_new(common::DbKind::Postgres))
    else {
        return;
    };
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-live-pg-{}-{}",
        std::process::id(),
        nanos()
    ));
    std::fs::create_dir_all(&root).expect("scratch");
    let _scratch = Scratch(root.clone());
    let first = ServerProcess::start(&database.url, true, &root);
    let second = ServerProcess::start(&database.url, false, &root);
    two_clients(&first.url, &second.url, &root);
    drop((first, second));
    drop(database);
}

/// The terminal client in a tmux server of its own, not signed in (it opens on the sign-in
/// dialog), keeping the token in memory only.
fn start_signed_out_client(root: &Path, server: &str) -> Tmux {
    for dir in ["config", "state"] {
        std::fs::create_dir_all(root.join(dir)).expect("a client directory");
    }
    let command = format!(
        "exec env FLEETDESK_TOKEN_STORE=memory FLEETDESK_SERVER={} XDG_CONFIG_HOME={} XDG_STATE_HOME={} {}",
        quoted(server),
        quoted(&root.join("config").display().to_string()),
        quoted(&root.join("state").display().to_string()),
        quoted(env!("CARGO_BIN_EXE_fleetdesk")),
    );
    Tmux::start(root, &command)
}

/// The demo's administrator of Depot North, who is not a fleet admin, signs in, creates a
/// role assignment in her depot through the form (the user found by the server's search, the
/// organization picker offering only her depot and its units) and is refused, with the
/// server's sentence, in a sibling depot.
#[test]
fn an_organization_administrator_in_a_real_terminal() {
    const NADIA: &str = "north.admin@depot.example";
    const JONAS: &str = "Jonas Lind <jonas.lind@depot.example>";
    if common::tmux_or_skip().is_none() {
        return;
    }
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-admin-{}-{}",
        std::process::id(),
        nanos()
    ));
    std::fs::create_dir_all(&root).expect("scratch");
    let _scratch = Scratch(root.clone());
    let database = format!("sqlite://{}", root.join("fleetdesk.db").display());
    let server = ServerProcess::start(&database, true, &root);
    let tmux = start_signed_out_client(&root.join("client"), &server.url);

    // 1. Sign in as Nadia.
    tmux.wait_for("the sign-in dialog", START_TIMEOUT, |s| {
        s.contains("Sign in to") && s.contains("E-mail")
    });
    tmux.type_text(NADIA);
    tmux.key("Tab");
    tmux.type_text(DEMO_PASSWORD);
    tmux.key("Enter");
    tmux.wait_for("signed in as Nadia", START_TIMEOUT, |s| {
        header(s).contains("north.admin@depot (technician)") && !s.contains("Sign in to")
    });

    // 2. The Roles tab, Depot North.
    tmux.type_text("4");
    tmux.wait_for("the Roles tab with its tree", TIMEOUT, |s| {
        tab_bar(s).contains("[4 Roles]") && s.contains(" ORGANIZATIONS")
    });
    select_organization(&tmux, "Depot North");

    // 3. The form: the user from the search, the organization picker, employee from 2024.
    tmux.type_text("n");
    tmux.wait_for("the role form", TIMEOUT, |s| {
        s.contains("New role assignment")
            && s.contains("Organization: Depot North")
            && s.contains("User: (none)")
    });
    tmux.key("Enter");
    tmux.wait_for("the user picker", TIMEOUT, |s| {
        s.contains("│filter: █") && s.contains(TYPE_MORE)
    });
    tmux.type_text("jonas");
    tmux.wait_for("Jonas found by the search", TIMEOUT, |s| {
        s.contains("│filter: jonas█") && s.contains(&format!("│▶ {JONAS}"))
    });
    tmux.key("Enter");
    tmux.wait_for("the role form for Jonas", TIMEOUT, |s| {
        s.contains("User: Jonas Lind") && s.contains("Space tick")
    });
    tmux.key("BTab");
    tmux.key("Enter");
    let screen = tmux.wait_for("the organization picker", TIMEOUT, |s| {
        s.contains("│▶ Depot North") && s.contains("of 3")
    });
    for unit in ["Night Shift North", "Workshop North"] {
        assert!(
            screen.contains(&format!("│  {unit}")),
            "{unit} is offered:\n{}",
            framed(&screen)
        );
    }
    for elsewhere in ["Depot South", "Region Hamburg", "Depot Harbour"] {
        assert!(
            !screen.contains(&format!("│  {elsewhere}")),
            "{elsewhere} is not offered:\n{}",
            framed(&screen)
        );
    }
    tmux.key("Enter");
    tmux.wait_for("Depot North kept, the roles next", TIMEOUT, |s| {
        s.contains("Organization: Depot North") && s.contains("Space tick")
    });
    tmux.key("Space");
    tmux.wait_for("employee ticked", TIMEOUT, |s| s.contains("1 [x] employee"));
    tmux.key("Tab");
    tmux.type_text("2024-01-01");
    tmux.wait_for("the start date", TIMEOUT, |s| {
        s.contains("Valid from: 2024-01-01█") && s.contains("→ 2024-01-01")
    });
    tmux.key("Enter");
    let screen = tmux.wait_for("the assignment created and listed", TIMEOUT, |s| {
        s.contains("✓ The assignment was successfully created.")
            && !s.contains("New role assignment")
            && role_rows(s, "Jonas Lind").contains(&("2024-01-01".to_string(), "open".to_string()))
    });
    assert!(
        role_rows(&screen, "Jonas Lind").len() == 2,
        "Jonas's old assignment and the new one:\n{}",
        framed(&screen)
    );

    // 4. Depot South, a sibling depot: the server refuses, and the form says its sentence.
    tmux.key("Escape");
    tmux.wait_for("the tree filter cleared", TIMEOUT, |s| {
        !status_line(s).contains("filter: Depot North")
    });
    select_organization(&tmux, "Depot South");
    tmux.type_text("n");
    tmux.wait_for("the role form in Depot South", TIMEOUT, |s| {
        s.contains("New role assignment") && s.contains("Organization: Depot South")
    });
    tmux.key("Enter");
    tmux.type_text("jonas");
    tmux.wait_for("Jonas found by the search", TIMEOUT, |s| {
        s.contains(&format!("│▶ {JONAS}"))
    });
    tmux.key("Enter");
    tmux.wait_for("the role form for Jonas", TIMEOUT, |s| {
        s.contains("User: Jonas Lind") && s.contains("Space tick")
    });
    tmux.key("Space");
    tmux.key("Enter");
    let screen = tmux.wait_for("the server's refusal in the form", TIMEOUT, |s| {
        s.contains("✗ You may not assign roles in Depot South:")
            && s.contains("New role assignment")
    });
    assert!(
        screen.contains("main_administrator there or above, valid today."),
        "the whole sentence:\n{}",
        framed(&screen)
    );
    drop(tmux);
    drop(server);
}

/// The test's scratch directory under cargo's, named for `what`.
fn scratch(what: &str) -> (PathBuf, Scratch) {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "e2e-{what}-{}-{}",
        std::process::id(),
        nanos()
    ));
    std::fs::create_dir_all(&root).expect("scratch");
    (root.clone(), Scratch(root))
}

/// A port nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    listener.local_addr().expect("its address").port()
}

/// A kept token and a server that is down: the client draws at once, opens offline with the
/// usual backoff instead of exiting, and signs in once the server is there (the token is not
/// one the server made, so it asks for the password).
#[test]
fn a_server_that_is_down_at_start_opens_offline_and_is_retried() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (root, _scratch) = scratch("down");
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}");
    let tmux = start_client(&root, &url, "a-token-kept-earlier");
    tmux.wait_for("the client, offline", START_TIMEOUT, |s| {
        header(s).contains("○ offline, retry in") && s.contains("1 Vehicles")
    });
    tmux.wait_for("a longer wait after the next failure", TIMEOUT, |s| {
        header(s).contains("retry in 2s") || header(s).contains("retry in 4s")
    });
    let database = format!("sqlite://{}", root.join("fleetdesk.db").display());
    let _server = ServerProcess::start_on(&format!("127.0.0.1:{port}"), &database, true, &root);
    // Had it exited, its tmux session would be gone and this wait would fail.
    tmux.wait_for(
        "the sign-in, once the server answers",
        Duration::from_secs(45),
        |s| s.contains("Sign in to") && header(s).contains("fleetdesk"),
    );
}

/// A kept token and a server that takes the connection but never answers: `connecting…` at
/// once, offline when the request times out, and still running.
#[test]
fn a_silent_server_at_start_shows_connecting_then_offline() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (root, _scratch) = scratch("silent");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("its address").port()
    );
    // Takes every connection and keeps it, saying nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let started = Instant::now();
    let tmux = start_client(&root, &url, "a-token-kept-earlier");
    tmux.wait_for("connecting…, drawn at once", START_TIMEOUT, |s| {
        header(s).contains("connecting…") && s.contains("1 Vehicles")
    });
    let drawn = started.elapsed();
    let screen = tmux.wait_for(
        "offline after the request timed out",
        Duration::from_secs(60),
        |s| header(s).contains("○ offline, retry in"),
    );
    assert!(
        drawn < Duration::from_secs(10),
        "drawn after {drawn:?}, before any answer"
    );
    assert!(screen.contains("1 Vehicles"), "{}", framed(&screen));
}

/// Forwards connections to `upstream`, holding every chunk the server sends for `delay`: a
/// slow link. While the returned flag is set, what the server sends is held back until it is
/// cleared, so a test can look at the screen before an answer arrives however slow it is.
fn slow_proxy(upstream: &str, delay: Duration) -> (String, Arc<AtomicBool>) {
    use std::io::{Read, Write};
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("its address").port()
    );
    let hold = Arc::new(AtomicBool::new(false));
    let held = hold.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let held = held.clone();
            let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                continue;
            };
            let (Ok(mut client_reader), Ok(mut server_writer)) =
                (client.try_clone(), server.try_clone())
            else {
                continue;
            };
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut client_reader, &mut server_writer);
            });
            let (mut server_reader, mut client_writer) = (server, client);
            std::thread::spawn(move || {
                let mut buffer = [0u8; 16 * 1024];
                while let Ok(read) = server_reader.read(&mut buffer) {
                    if read == 0 {
                        break;
                    }
                    std::thread::sleep(delay);
                    while held.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    if client_writer.write_all(&buffer[..read]).is_err() {
                        break;
                    }
                }
            });
        }
    });
    (url, hold)
}

/// Through a slow link, the footer says what is on its way from `Enter` to the answer.
#[test]
fn an_assignment_through_a_slow_link_shows_it_is_on_its_way() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (root, _scratch) = scratch("slow");
    let database = format!("sqlite://{}", root.join("fleetdesk.db").display());
    let server = ServerProcess::start(&database, true, &root);
    let token = token_for(&server.url, DISPATCHER_B);
    let (proxy, hold) = slow_proxy(&server.url, Duration::from_millis(2500));
    let tmux = start_client(&root.join("client"), &proxy, &token);
    tmux.wait_for(
        "the client with its vehicles",
        Duration::from_secs(60),
        |s| counts(s).is_some_and(|(shown, total)| shown == total && total > 0),
    );
    tmux.type_text("/");
    tmux.type_text(FREE_VEHICLE);
    tmux.key("Enter");
    tmux.wait_for("the list filtered", TIMEOUT, |s| {
        !status_line(s).contains('█')
            && selected_row(s).is_some_and(|row| row.starts_with(&format!("▶ {FREE_VEHICLE} ")))
    });
    tmux.type_text("a");
    let screen = tmux.wait_for("the technician picker", TIMEOUT, |s| {
        s.contains(&format!("Assign {FREE_VEHICLE} to")) && picker_choice(s).is_some()
    });
    let technician = picker_choice(&screen).expect("a free technician");
    // The answer is held back until the footer has been seen (a loaded machine may take
    // longer than the link's delay to draw it); well within the client's request timeout.
    hold.store(true, Ordering::SeqCst);
    tmux.key("Enter");
    let on_its_way = format!("Assigning {FREE_VEHICLE} to {technician}…");
    let done = format!("Assigned {FREE_VEHICLE} to {technician}");
    let screen = tmux.wait_for(
        "the footer saying it is on its way",
        Duration::from_secs(10),
        |s| s.contains(&on_its_way),
    );
    hold.store(false, Ordering::SeqCst);
    assert!(!screen.contains(&done), "{}", framed(&screen));
    let screen = tmux.wait_for("the answer", TIMEOUT, |s| s.contains(&done));
    assert!(!screen.contains(&on_its_way), "{}", framed(&screen));
}

/// Idle means idle: with the stream up and nobody changing anything, the client writes not a
/// byte to its terminal over two of the header counts' refreshes (every 5 s, answered with the
/// same counts), read from what tmux receives; a key then is drawn at once (the recording works).
#[test]
fn an_idle_client_writes_nothing_to_its_terminal() {
    if common::tmux_or_skip().is_none() {
        return;
    }
    let (root, _scratch) = scratch("idle");
    let database = format!("sqlite://{}", root.join("fleetdesk.db").display());
    let server = ServerProcess::start(&database, true, &root);
    let token = token_for(&server.url, DISPATCHER_B);
    let tmux = start_client(&root.join("client"), &server.url, &token);
    let screen = tmux.wait_for(
        "the client, live, with its vehicles",
        Duration::from_secs(60),
        |s| live(s) && counts(s).is_some_and(|(shown, total)| shown == total && total > 0),
    );
    let first = selected_row(&screen).expect("a selected row");
    let record = root.join("idle.bytes");
    let pipe = format!("cat >> {}", quoted(&record.display().to_string()));
    tmux.run(&["pipe-pane", "-o", "-t", SESSION, &pipe]);
    // The window measured: eleven one-second ticks, two refreshes of the counts.
    std::thread::sleep(Duration::from_secs(11));
    let idle = std::fs::read(&record).unwrap_or_default();
    assert!(
        idle.is_empty(),
        "an idle client wrote {} bytes: {:?}\n{}",
        idle.len(),
        String::from_utf8_lossy(&idle),
        framed(&tmux.screen())
    );
    tmux.type_text("j");
    tmux.wait_for("the selection moved", TIMEOUT, |s| {
        selected_row(s).is_some_and(|row| row != first)
    });
    let deadline = Instant::now() + TIMEOUT;
    while std::fs::read(&record).unwrap_or_default().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the key's frame was not recorded"
        );
        std::thread::sleep(POLL);
    }
    tmux.run(&["pipe-pane", "-t", SESSION]);
}
