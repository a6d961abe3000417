//! Client settings: the config file, the environment and the command line.
//!
//! Precedence, highest first: flags ([`ConfigOverrides`]) > environment (`FLEETDESK_SERVER`,
//! `FLEETDESK_CA_FILE`, `FLEETDESK_EMAIL`, `FLEETDESK_TOKEN_STORE`, and `NO_COLOR`, which
//! makes the theme `mono`) >
//! the TOML file > defaults. The file lives at `<config dir>/fleetdesk/config.toml`
//! (`~/.config/fleetdesk/config.toml` on Linux) unless `--config PATH` names another one;
//! `config.example.toml` at the root of the repository documents every key.
//!
//! A missing default file means defaults. A file that does not parse, a value of the wrong
//! kind, or a key fleetdesk does not know is an error naming the file, the line and the key,
//! so that a typo never silently does nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::credentials::TokenStorePolicy;

/// The server used when nothing else says which.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";
/// How often the lists are refreshed when nothing else says.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(5);
/// Every key the config file may hold at its top level.
pub const KNOWN_KEYS: [&str; 8] = [
    "server",
    "email",
    "ca_file",
    "refresh_interval",
    "theme",
    "token_store",
    "export_dir",
    "keys",
];

/// Colours of the terminal client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Theme {
    /// The terminal's own 16 colours, readable on dark and light backgrounds.
    #[default]
    Auto,
    /// The bright half of the 16, for a dark background.
    Dark,
    /// No yellow or cyan (they wash out on white), for a light background.
    Light,
    /// No colour at all (what `NO_COLOR` asks for).
    Mono,
}

impl Theme {
    pub const ALL: [Theme; 4] = [Theme::Auto, Theme::Dark, Theme::Light, Theme::Mono];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::Mono => "mono",
        }
    }
}

impl Theme {
    /// The theme when no config file is read (`fleetdesk demo`): auto, or mono under `NO_COLOR`.
    pub fn from_environment(env: &impl Fn(&str) -> Option<String>) -> Theme {
        if no_color(env) {
            Theme::Mono
        } else {
            Theme::Auto
        }
    }
}

/// Whether `NO_COLOR` asks for no colour: set to anything but blank (<https://no-color.org>).
/// The one place the variable is read; `env` is a lookup such as `|name| std::env::var(name).ok()`.
pub fn no_color(env: &impl Fn(&str) -> Option<String>) -> bool {
    env("NO_COLOR").is_some_and(|value| !value.trim().is_empty())
}

impl fmt::Display for Theme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Theme {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Theme::ALL
            .into_iter()
            .find(|theme| theme.as_str() == s.trim())
            .ok_or_else(|| {
                format!("unknown theme \"{s}\": expected one of auto, dark, light, mono")
            })
    }
}

/// The effective settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Base URL of the fleetdesk server, without a trailing `/`.
    pub server: String,
    /// PEM certificates trusted for `https://` servers besides the platform's own, e.g. a
    /// company's private CA.
    pub ca_file: Option<PathBuf>,
    /// The e-mail address offered at sign-in.
    pub email: Option<String>,
    /// How often the open list and the header counts are refreshed.
    pub refresh_interval: Duration,
    pub theme: Theme,
    /// Where the sign-in token is kept.
    pub token_store: TokenStorePolicy,
    /// `[keys]`: action name → key as written. The terminal client reads them (its key map
    /// checks the names with [`Config::check_key_actions`] and the keys themselves).
    pub keys: BTreeMap<String, KeyBinding>,
    /// Where `x` writes its CSV files; the current directory when unset.
    pub export_dir: Option<PathBuf>,
    /// The file the settings were read from, if one was.
    pub file: Option<PathBuf>,
}

/// One `[keys]` entry: the key as written and its line, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyBinding {
    pub key: String,
    pub line: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            server: DEFAULT_SERVER.to_string(),
            ca_file: None,
            email: None,
            refresh_interval: DEFAULT_REFRESH_INTERVAL,
            theme: Theme::Auto,
            token_store: TokenStorePolicy::Auto,
            keys: BTreeMap::new(),
            export_dir: None,
            file: None,
        }
    }
}

/// Settings given on the command line; each one beats the environment and the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigOverrides {
    pub server: Option<String>,
    pub email: Option<String>,
    pub refresh_interval: Option<Duration>,
    pub theme: Option<Theme>,
    pub token_store: Option<TokenStorePolicy>,
}

/// An unknown key in the config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKey {
    pub key: String,
    pub line: usize,
    /// A known key the unknown one is probably a typo of.
    pub suggestion: Option<String>,
}

/// Why the settings could not be read (or written).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("config file {} does not exist", path.display())]
    NotFound { path: PathBuf },
    #[error("cannot write config file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A known key has a value fleetdesk cannot use.
    #[error("{}:{line}: {key}: {message}", path.display())]
    Value {
        path: PathBuf,
        line: usize,
        key: String,
        message: String,
    },
    #[error("{}: {}", path.display(), describe_unknown(keys, what, known))]
    UnknownKeys {
        path: PathBuf,
        /// "setting" or "key action".
        what: &'static str,
        keys: Vec<UnknownKey>,
        known: Vec<String>,
    },
    /// A value from the environment or the command line is unusable.
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

fn describe_unknown(keys: &[UnknownKey], what: &str, known: &[String]) -> String {
    let plural = if keys.len() == 1 { "" } else { "s" };
    let listed: Vec<String> = keys
        .iter()
        .map(|unknown| match &unknown.suggestion {
            Some(suggestion) => format!(
                "`{}` (line {}; did you mean `{suggestion}`?)",
                unknown.key, unknown.line
            ),
            None => format!("`{}` (line {})", unknown.key, unknown.line),
        })
        .collect();
    format!(
        "unknown {what}{plural} {}; known: {}",
        listed.join(", "),
        known.join(", ")
    )
}

impl Config {
    /// The default config file: `<config dir>/config.toml` of `ProjectDirs("", "", "fleetdesk")`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "fleetdesk")
            .map(|dirs| dirs.config_dir().join("config.toml"))
    }

    /// Read the settings: `path` (from `--config`; it must exist) or the default file (which
    /// may be missing), then `env` (a lookup such as `|name| std::env::var(name).ok()`), then
    /// `overrides`.
    pub fn load(
        path: Option<&Path>,
        env: &impl Fn(&str) -> Option<String>,
        overrides: ConfigOverrides,
    ) -> Result<Config, ConfigError> {
        match path {
            Some(path) => Config::load_file(path, true, env, overrides),
            None => match Config::default_path() {
                Some(path) => Config::load_file(&path, false, env, overrides),
                None => Config::resolve(None, FileSettings::default(), env, overrides),
            },
        }
    }

    fn load_file(
        path: &Path,
        must_exist: bool,
        env: &impl Fn(&str) -> Option<String>,
        overrides: ConfigOverrides,
    ) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let settings = FileSettings::parse(path, &text)?;
                Config::resolve(Some(path), settings, env, overrides)
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound && !must_exist => {
                Config::resolve(None, FileSettings::default(), env, overrides)
            }
            Err(error) if error.kind() == io::ErrorKind::NotFound => Err(ConfigError::NotFound {
                path: path.to_path_buf(),
            }),
            Err(source) => Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parse settings from TOML text (as if read from `path`) with no environment and no
    /// overrides: what `config.example.toml` is checked with.
    pub fn from_toml(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let settings = FileSettings::parse(path, text)?;
        Config::resolve(
            Some(path),
            settings,
            &|_: &str| None,
            ConfigOverrides::default(),
        )
    }

    fn resolve(
        file: Option<&Path>,
        settings: FileSettings,
        env: &impl Fn(&str) -> Option<String>,
        overrides: ConfigOverrides,
    ) -> Result<Config, ConfigError> {
        let env = |name: &str| env(name).filter(|value| !value.trim().is_empty());

        let server = match (overrides.server, env("FLEETDESK_SERVER")) {
            (Some(flag), _) => parse_server(&flag).map_err(|message| ConfigError::Invalid {
                origin: "--server".to_string(),
                message,
            })?,
            (None, Some(value)) => {
                parse_server(&value).map_err(|message| ConfigError::Invalid {
                    origin: "environment FLEETDESK_SERVER".to_string(),
                    message,
                })?
            }
            (None, None) => settings
                .server
                .unwrap_or_else(|| DEFAULT_SERVER.to_string()),
        };
        let ca_file = env("FLEETDESK_CA_FILE")
            .map(|file| PathBuf::from(file.trim()))
            .or(settings.ca_file);
        let email = overrides
            .email
            .map(|email| email.trim().to_string())
            .filter(|email| !email.is_empty())
            .or_else(|| env("FLEETDESK_EMAIL").map(|email| email.trim().to_string()))
            .or(settings.email);
        let refresh_interval = match overrides.refresh_interval {
            Some(interval) => check_interval(interval).map_err(|message| ConfigError::Invalid {
                origin: "--refresh-interval".to_string(),
                message,
            })?,
            None => settings
                .refresh_interval
                .unwrap_or(DEFAULT_REFRESH_INTERVAL),
        };
        let theme = match (overrides.theme, no_color(&env)) {
            (Some(theme), _) => theme,
            (None, true) => Theme::Mono,
            (None, false) => settings.theme.unwrap_or_default(),
        };
        let token_store = match (overrides.token_store, env("FLEETDESK_TOKEN_STORE")) {
            (Some(policy), _) => policy,
            (None, Some(value)) => {
                value
                    .parse()
                    .map_err(
                        |error: crate::credentials::UnknownPolicy| ConfigError::Invalid {
                            origin: "environment FLEETDESK_TOKEN_STORE".to_string(),
                            message: error.to_string(),
                        },
                    )?
            }
            (None, None) => settings.token_store.unwrap_or_default(),
        };
        Ok(Config {
            server,
            ca_file,
            email,
            refresh_interval,
            theme,
            token_store,
            keys: settings.keys,
            export_dir: settings.export_dir,
            file: file.map(Path::to_path_buf),
        })
    }

    /// Check the `[keys]` action names against the ones the TUI knows; an unknown one is an
    /// error naming it and its line.
    pub fn check_key_actions(&self, known: &[&str]) -> Result<(), ConfigError> {
        let unknown: Vec<UnknownKey> = self
            .keys
            .keys()
            .filter(|action| !known.contains(&action.as_str()))
            .map(|action| UnknownKey {
                key: action.clone(),
                line: self.keys.get(action).map_or(0, |binding| binding.line),
                suggestion: closest(action, known.iter().copied()),
            })
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        Err(ConfigError::UnknownKeys {
            path: self.file.clone().unwrap_or_default(),
            what: "key action",
            keys: unknown,
            known: known.iter().map(|action| action.to_string()).collect(),
        })
    }

    /// Remember `email` as the address offered at the next sign-in: set the top-level `email`
    /// key of the config file at `path`, keeping everything else in it (comments included) as
    /// it was. Creates the file (and its directory) when missing.
    pub fn remember_email(path: &Path, email: &str) -> Result<(), ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let table = parse_document(path, &text)?;
        let quoted = toml_string(email.trim());
        let existing = table
            .get_ref()
            .iter()
            .find(|(key, _)| key.get_ref().as_ref() == "email")
            .map(|(_, value)| value.span());
        let updated = match existing {
            Some(span) => format!("{}{quoted}{}", &text[..span.start], &text[span.end..]),
            None => insert_top_level(&text, &format!("email = {quoted}\n")),
        };
        write_atomically(path, &updated).map_err(|source| ConfigError::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// What the file says; `None` where it says nothing.
#[derive(Debug, Default)]
struct FileSettings {
    server: Option<String>,
    ca_file: Option<PathBuf>,
    email: Option<String>,
    refresh_interval: Option<Duration>,
    theme: Option<Theme>,
    token_store: Option<TokenStorePolicy>,
    export_dir: Option<PathBuf>,
    keys: BTreeMap<String, KeyBinding>,
}

fn parse_document<'t>(path: &Path, text: &'t str) -> Result<Spanned<DeTable<'t>>, ConfigError> {
    DeTable::parse(text).map_err(|error| {
        let (line, column) = line_column(text, error.span().map_or(0, |span| span.start));
        ConfigError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: error.message().trim().to_string(),
        }
    })
}

impl FileSettings {
    fn parse(path: &Path, text: &str) -> Result<FileSettings, ConfigError> {
        let table = parse_document(path, text)?;
        let value_error = |span: Range<usize>, key: &str, message: String| ConfigError::Value {
            path: path.to_path_buf(),
            line: line_column(text, span.start).0,
            key: key.to_string(),
            message,
        };

        let unknown: Vec<UnknownKey> = table
            .get_ref()
            .iter()
            .filter(|(key, _)| !KNOWN_KEYS.contains(&key.get_ref().as_ref()))
            .map(|(key, _)| UnknownKey {
                key: key.get_ref().to_string(),
                line: line_column(text, key.span().start).0,
                suggestion: closest(key.get_ref(), KNOWN_KEYS.iter().copied()),
            })
            .collect();
        if !unknown.is_empty() {
            return Err(ConfigError::UnknownKeys {
                path: path.to_path_buf(),
                what: "setting",
                keys: unknown,
                known: KNOWN_KEYS.iter().map(|key| key.to_string()).collect(),
            });
        }

        let mut settings = FileSettings::default();
        for (key, value) in table.get_ref() {
            let name: &str = key.get_ref();
            if name == "keys" {
                let DeValue::Table(keys) = value.get_ref() else {
                    return Err(value_error(
                        key.span(),
                        name,
                        format!(
                            "expected a table of action = \"key\", found {}",
                            value.get_ref().type_str()
                        ),
                    ));
                };
                for (action, binding) in keys {
                    let qualified = format!("keys.{}", action.get_ref());
                    let key = string_value(binding)
                        .map_err(|message| value_error(binding.span(), &qualified, message))?;
                    let line = line_column(text, action.span().start).0;
                    settings.keys.insert(
                        action.get_ref().to_string(),
                        KeyBinding {
                            key: key.to_string(),
                            line,
                        },
                    );
                }
                continue;
            }
            let string =
                string_value(value).map_err(|message| value_error(value.span(), name, message))?;
            let invalid = |message: String| value_error(value.span(), name, message);
            match name {
                "server" => settings.server = Some(parse_server(string).map_err(invalid)?),
                "ca_file" => {
                    let file = PathBuf::from(string.trim());
                    // A relative path is relative to the config file, not to where fleetdesk runs.
                    settings.ca_file = match path.parent() {
                        Some(dir) if file.is_relative() => Some(dir.join(file)),
                        _ => Some(file),
                    }
                    .filter(|file| !file.as_os_str().is_empty() && !string.trim().is_empty());
                }
                "email" => {
                    settings.email =
                        Some(string.trim().to_string()).filter(|email| !email.is_empty())
                }
                "refresh_interval" => {
                    let interval = humantime::parse_duration(string.trim()).map_err(|error| {
                        invalid(format!(
                            "\"{string}\" is not a duration ({error}); write e.g. \"5s\", \"500ms\", \"1m\""
                        ))
                    })?;
                    settings.refresh_interval = Some(check_interval(interval).map_err(invalid)?);
                }
                "theme" => settings.theme = Some(string.parse().map_err(invalid)?),
                "export_dir" => {
                    settings.export_dir =
                        Some(expand_home(string.trim())).filter(|dir| !dir.as_os_str().is_empty())
                }
                "token_store" => {
                    settings.token_store = Some(string.parse().map_err(
                        |error: crate::credentials::UnknownPolicy| invalid(error.to_string()),
                    )?)
                }
                _ => unreachable!("unknown keys were rejected above"),
            }
        }
        Ok(settings)
    }
}

/// `~/exports` → the home directory's `exports`; other paths as written.
fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ if path == "~" => {
            std::env::var_os("HOME").map_or_else(|| PathBuf::from(path), PathBuf::from)
        }
        _ => PathBuf::from(path),
    }
}

fn string_value<'v>(value: &'v Spanned<DeValue<'_>>) -> Result<&'v str, String> {
    match value.get_ref() {
        DeValue::String(string) => Ok(string),
        other => Err(format!("expected a string, found {}", other.type_str())),
    }
}

/// Check a server URL and drop its trailing `/`.
fn parse_server(value: &str) -> Result<String, String> {
    let value = value.trim();
    let url = reqwest::Url::parse(value).map_err(|error| {
        format!("\"{value}\" is not a URL ({error}); write e.g. \"{DEFAULT_SERVER}\"")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("\"{value}\" must start with http:// or https://"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("\"{value}\" has no host"));
    }
    Ok(value.trim_end_matches('/').to_string())
}

fn check_interval(interval: Duration) -> Result<Duration, String> {
    if interval.is_zero() {
        Err("the refresh interval must be longer than zero".to_string())
    } else {
        Ok(interval)
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The known name closest to `name`, if it is close enough to be a typo.
fn closest<'k>(name: &str, known: impl Iterator<Item = &'k str>) -> Option<String> {
    known
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// A TOML basic string holding `value`.
fn toml_string(value: &str) -> String {
    let mut quoted = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

/// Insert a top-level `line` before the first table header (or at the end).
fn insert_top_level(text: &str, line: &str) -> String {
    let mut offset = 0;
    for current in text.split_inclusive('\n') {
        if current.trim_start().starts_with('[') {
            return format!("{}{line}\n{}", &text[..offset], &text[offset..]);
        }
        offset += current.len();
    }
    if text.is_empty() || text.ends_with('\n') {
        format!("{text}{line}")
    } else {
        format!("{text}\n{line}")
    }
}

fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("toml.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(Path::new("/home/ana/.config/fleetdesk/config.toml"), text)
    }

    fn key(config: &Config, action: &str) -> String {
        config.keys[action].key.clone()
    }

    #[test]
    fn empty_file_means_defaults() {
        let mut config = parse("").unwrap();
        config.file = None;
        assert_eq!(config, Config::default());
        assert_eq!(config.server, "http://127.0.0.1:8080");
        assert_eq!(config.refresh_interval, Duration::from_secs(5));
        assert_eq!(config.theme, Theme::Auto);
        assert_eq!(config.token_store, TokenStorePolicy::Auto);
    }

    #[test]
    fn every_setting_is_read() {
        let config = parse(
            r#"
server = "https://depot.example:8443/"
email = "ana@depot.example"
refresh_interval = "1m 30s"
theme = "light"
token_store = "keyring-only"

[keys]
refresh = "f5"
quit = "ctrl-q"
"#,
        )
        .unwrap();
        assert_eq!(config.server, "https://depot.example:8443");
        assert_eq!(config.email.as_deref(), Some("ana@depot.example"));
        assert_eq!(config.refresh_interval, Duration::from_secs(90));
        assert_eq!(config.theme, Theme::Light);
        assert_eq!(config.token_store, TokenStorePolicy::KeyringOnly);
        assert_eq!(key(&config, "refresh"), "f5");
        assert_eq!(key(&config, "quit"), "ctrl-q");
        assert!(config.check_key_actions(&["refresh", "quit"]).is_ok());
    }

    #[test]
    fn ca_file_is_relative_to_the_config_file_and_the_environment_wins() {
        let config = parse("ca_file = \"certs/depot-ca.pem\"\n").unwrap();
        assert_eq!(
            config.ca_file.as_deref(),
            Some(Path::new("/home/ana/.config/fleetdesk/certs/depot-ca.pem"))
        );
        let absolute = parse("ca_file = \"/etc/ssl/depot-ca.pem\"\n").unwrap();
        assert_eq!(
            absolute.ca_file.as_deref(),
            Some(Path::new("/etc/ssl/depot-ca.pem"))
        );
        assert_eq!(parse("ca_file = \"\"\n").unwrap().ca_file, None);
        let env = |name: &str| (name == "FLEETDESK_CA_FILE").then(|| "/env/ca.pem".to_string());
        let settings = FileSettings {
            ca_file: Some(PathBuf::from("/file/ca.pem")),
            ..FileSettings::default()
        };
        let config = Config::resolve(None, settings, &env, ConfigOverrides::default()).unwrap();
        assert_eq!(config.ca_file.as_deref(), Some(Path::new("/env/ca.pem")));
    }

    #[test]
    fn dotted_and_inline_keys_tables_work_too() {
        let dotted = parse("keys.refresh = \"f5\"\n").unwrap();
        let inline = parse("keys = { refresh = \"f5\" }\n").unwrap();
        assert_eq!(dotted.keys, inline.keys);
    }

    #[test]
    fn flags_beat_environment_beat_file() {
        let dir = std::env::temp_dir().join(format!("fleetdesk-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("precedence.toml");
        std::fs::write(
            &path,
            "server = \"http://file:1\"\nemail = \"file@x\"\ntheme = \"dark\"\ntoken_store = \"file\"\n",
        )
        .unwrap();
        let env = |name: &str| match name {
            "FLEETDESK_SERVER" => Some("http://env:2".to_string()),
            "FLEETDESK_EMAIL" => Some("env@x".to_string()),
            "FLEETDESK_TOKEN_STORE" => Some("memory".to_string()),
            "NO_COLOR" => Some("1".to_string()),
            _ => None,
        };

        let from_file = Config::load(Some(&path), &no_env, ConfigOverrides::default()).unwrap();
        assert_eq!(from_file.server, "http://file:1");
        assert_eq!(from_file.email.as_deref(), Some("file@x"));
        assert_eq!(from_file.theme, Theme::Dark);
        assert_eq!(from_file.token_store, TokenStorePolicy::File);
        assert_eq!(from_file.file.as_deref(), Some(path.as_path()));

        let from_env = Config::load(Some(&path), &env, ConfigOverrides::default()).unwrap();
        assert_eq!(from_env.server, "http://env:2");
        assert_eq!(from_env.email.as_deref(), Some("env@x"));
        assert_eq!(from_env.theme, Theme::Mono, "NO_COLOR forces mono");
        assert_eq!(from_env.token_store, TokenStorePolicy::Memory);

        let flags = ConfigOverrides {
            server: Some("http://flag:3".into()),
            email: Some("flag@x".into()),
            refresh_interval: Some(Duration::from_secs(2)),
            theme: Some(Theme::Light),
            token_store: Some(TokenStorePolicy::KeyringOnly),
        };
        let from_flags = Config::load(Some(&path), &env, flags).unwrap();
        assert_eq!(from_flags.server, "http://flag:3");
        assert_eq!(from_flags.email.as_deref(), Some("flag@x"));
        assert_eq!(from_flags.refresh_interval, Duration::from_secs(2));
        assert_eq!(from_flags.theme, Theme::Light);
        assert_eq!(from_flags.token_store, TokenStorePolicy::KeyringOnly);

        let empty_env = |name: &str| (name == "NO_COLOR").then(String::new);
        let config = Config::load(Some(&path), &empty_env, ConfigOverrides::default()).unwrap();
        assert_eq!(config.theme, Theme::Dark, "an empty NO_COLOR is not set");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_default_file_is_fine_but_a_missing_explicit_one_is_not() {
        let missing = std::env::temp_dir().join("fleetdesk-config-does-not-exist/config.toml");
        let config =
            Config::load_file(&missing, false, &no_env, ConfigOverrides::default()).unwrap();
        assert_eq!(config, Config::default());
        let error = Config::load(Some(&missing), &no_env, ConfigOverrides::default()).unwrap_err();
        assert!(matches!(error, ConfigError::NotFound { .. }), "{error}");
        assert!(error.to_string().contains("does-not-exist"), "{error}");
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let env = |name: &str| (name == "FLEETDESK_TOKEN_STORE").then(|| "vault".to_string());
        let error = Config::load_file(
            Path::new("/nonexistent/fleetdesk.toml"),
            false,
            &env,
            ConfigOverrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("environment FLEETDESK_TOKEN_STORE: "),
            "{error}"
        );
        let env = |name: &str| (name == "FLEETDESK_SERVER").then(|| "depot:8080".to_string());
        let error = Config::load_file(
            Path::new("/nonexistent/fleetdesk.toml"),
            false,
            &env,
            ConfigOverrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("environment FLEETDESK_SERVER: "),
            "{error}"
        );
    }

    #[test]
    fn syntax_errors_name_file_line_and_column() {
        let error = parse("server = \"http://a\"\ntheme = \"dark\n").unwrap_err();
        let ConfigError::Syntax { line, .. } = &error else {
            panic!("expected a syntax error, got {error:?}");
        };
        assert_eq!(*line, 2);
        let text = error.to_string();
        assert!(
            text.starts_with("/home/ana/.config/fleetdesk/config.toml:2:"),
            "{text}"
        );
        assert!(!text.contains('\n'), "one line: {text}");
    }

    #[test]
    fn duplicate_keys_are_syntax_errors() {
        let error = parse("theme = \"dark\"\ntheme = \"light\"\n").unwrap_err();
        assert!(
            matches!(error, ConfigError::Syntax { line: 2, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn bad_values_name_file_line_and_key() {
        let cases = [
            (
                "server = 8080",
                1,
                "server",
                "expected a string, found integer",
            ),
            ("\n\nserver = \"depot:8080\"", 3, "server", "http://"),
            (
                "refresh_interval = \"5 parsecs\"",
                1,
                "refresh_interval",
                "not a duration",
            ),
            (
                "refresh_interval = \"0s\"",
                1,
                "refresh_interval",
                "longer than zero",
            ),
            ("theme = \"blue\"", 1, "theme", "auto, dark, light, mono"),
            ("token_store = \"vault\"", 1, "token_store", "keyring-only"),
            ("keys = 3", 1, "keys", "table"),
            ("[keys]\n\nquit = 5", 3, "keys.quit", "expected a string"),
        ];
        for (text, expected_line, expected_key, fragment) in cases {
            let error = parse(text).unwrap_err();
            let ConfigError::Value {
                line, key, message, ..
            } = &error
            else {
                panic!("{text:?}: expected a value error, got {error:?}");
            };
            assert_eq!(
                (*line, key.as_str()),
                (expected_line, expected_key),
                "{text:?}"
            );
            assert!(message.contains(fragment), "{text:?}: {message}");
            assert!(
                error.to_string().starts_with(&format!(
                    "/home/ana/.config/fleetdesk/config.toml:{expected_line}: {expected_key}: "
                )),
                "{error}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_all_named_with_lines_and_suggestions() {
        let error = parse("serevr = \"http://a\"\ntheme = \"dark\"\ncolour = \"x\"\n").unwrap_err();
        let ConfigError::UnknownKeys { keys, .. } = &error else {
            panic!("expected unknown keys, got {error:?}");
        };
        assert_eq!(
            keys,
            &vec![
                UnknownKey {
                    key: "colour".into(),
                    line: 3,
                    suggestion: None
                },
                UnknownKey {
                    key: "serevr".into(),
                    line: 1,
                    suggestion: Some("server".into())
                },
            ]
        );
        let text = error.to_string();
        assert!(
            text.contains("`serevr` (line 1; did you mean `server`?)"),
            "{text}"
        );
        assert!(text.contains("`colour` (line 3)"), "{text}");
        assert!(text.contains("known: server, email"), "{text}");
    }

    #[test]
    fn unknown_table_is_an_unknown_key() {
        let error = parse("[colors]\nfg = \"red\"\n").unwrap_err();
        assert!(
            matches!(error, ConfigError::UnknownKeys { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("`colors` (line 1)"), "{error}");
    }

    #[test]
    fn unknown_key_actions_are_reported_by_check_key_actions() {
        let config = parse("[keys]\nrefersh = \"f5\"\nquit = \"q\"\n").unwrap();
        let error = config
            .check_key_actions(&["refresh", "quit"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("unknown key action `refersh` (line 2; did you mean `refresh`?)"),
            "{error}"
        );
    }

    #[test]
    fn remember_email_keeps_the_rest_of_the_file() {
        let dir = std::env::temp_dir().join(format!("fleetdesk-remember-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("nested").join("config.toml");

        Config::remember_email(&path, "ana@depot.example").unwrap();
        let config = Config::load(Some(&path), &no_env, ConfigOverrides::default()).unwrap();
        assert_eq!(config.email.as_deref(), Some("ana@depot.example"));

        let original = "# my settings\nserver = \"http://depot:8080\" # the depot\n\n[keys]\nrefresh = \"f5\"\n";
        std::fs::write(&path, original).unwrap();
        Config::remember_email(&path, "bo@depot.example").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "# my settings\nserver = \"http://depot:8080\" # the depot\n\nemail = \"bo@depot.example\"\n\n[keys]\nrefresh = \"f5\"\n"
        );
        Config::remember_email(&path, "q\"uote@x").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("email = \"q\\\"uote@x\"\n"), "{text}");
        let config = Config::load(Some(&path), &no_env, ConfigOverrides::default()).unwrap();
        assert_eq!(config.email.as_deref(), Some("q\"uote@x"));
        assert_eq!(key(&config, "refresh"), "f5");

        std::fs::write(&path, "theme = \"dark").unwrap();
        assert!(
            Config::remember_email(&path, "x@y").is_err(),
            "a broken file is left alone"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theme = \"dark");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    const EXAMPLE: &str = include_str!("../config.example.toml");

    #[test]
    fn example_file_parses_to_the_defaults() {
        let mut config = parse(EXAMPLE).unwrap();
        config.file = None;
        assert_eq!(config, Config::default());
    }

    /// `# key = value` lines: the commented examples.
    fn commented_examples() -> Vec<(usize, String)> {
        EXAMPLE
            .lines()
            .enumerate()
            .filter_map(|(index, line)| {
                let rest = line.strip_prefix("# ")?;
                let (key, _) = rest.split_once(" = ")?;
                key.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
                    .then(|| (index, key.to_string()))
            })
            .collect()
    }

    #[test]
    fn example_file_documents_every_key() {
        let active: Vec<&str> = EXAMPLE
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(key, _)| key))
            .filter(|key| !key.starts_with('#'))
            .collect();
        for known in KNOWN_KEYS {
            let documented = active.contains(&known)
                || commented_examples().iter().any(|(_, key)| key == known)
                || EXAMPLE.contains(&format!("[{known}]"));
            assert!(documented, "config.example.toml does not show `{known}`");
        }
    }

    #[test]
    fn every_commented_example_parses_and_changes_something() {
        let examples = commented_examples();
        assert!(examples.len() >= 6, "{examples:?}");
        for (index, key) in examples {
            let text: Vec<&str> = EXAMPLE
                .lines()
                .enumerate()
                .filter(|(other, line)| *other == index || !line.starts_with(&format!("{key} = ")))
                .map(|(other, line)| if other == index { &line[2..] } else { line })
                .collect();
            let config = parse(&text.join("\n"))
                .unwrap_or_else(|error| panic!("example for `{key}` does not parse: {error}"));
            let defaults = Config {
                file: config.file.clone(),
                ..Config::default()
            };
            assert_ne!(config, defaults, "example for `{key}` changes nothing");
        }
    }

    #[test]
    fn edit_distance_suggests_only_near_misses() {
        assert_eq!(
            closest("serevr", KNOWN_KEYS.iter().copied()).as_deref(),
            Some("server")
        );
        assert_eq!(
            closest("tokenstore", KNOWN_KEYS.iter().copied()).as_deref(),
            Some("token_store")
        );
        assert_eq!(closest("colour", KNOWN_KEYS.iter().copied()), None);
    }
}
