use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::WrapErr;
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the C library's allocator: the server allocates on one thread and frees
/// on another all the time (rows, request and answer bodies), which the C library's allocator
/// serialises on its arenas' locks; see README, Performance.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit code for a setting fleetdesk cannot work with (as for a bad command line).
const CONFIG_ERROR_EXIT: u8 = 2;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => match configuration_error(&err) {
            // A wrong setting is the operator's to fix: one line, no report, no backtrace.
            Some(message) => {
                eprintln!("fleetdesk: {message}");
                ExitCode::from(CONFIG_ERROR_EXIT)
            }
            None => {
                eprintln!("Error: {err:?}");
                ExitCode::FAILURE
            }
        },
    }
}

/// The message of a configuration error anywhere in the chain (flat, on one line).
fn configuration_error(err: &color_eyre::Report) -> Option<String> {
    let message = err.chain().find_map(|cause| {
        if let Some(config) = cause.downcast_ref::<fleetdesk::server::ConfigError>() {
            Some(config.to_string())
        } else if let Some(config) = cause.downcast_ref::<fleetdesk::config::ConfigError>() {
            Some(config.to_string())
        } else if let Some(keys) = cause.downcast_ref::<fleetdesk::tui::KeyError>() {
            Some(keys.to_string())
        } else if let Some(fleetdesk::client::ClientError::Config { message }) =
            cause.downcast_ref::<fleetdesk::client::ClientError>()
        {
            Some(message.clone())
        } else {
            None
        }
    })?;
    Some(message.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

/// `FLEETDESK_LOG_FORMAT`: `text` (the default) or `json` (one JSON object per line).
fn log_format() -> color_eyre::Result<LogFormat> {
    match std::env::var("FLEETDESK_LOG_FORMAT") {
        Err(_) => Ok(LogFormat::Text),
        Ok(value) => match value.trim() {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(fleetdesk::server::ConfigError(format!(
                "FLEETDESK_LOG_FORMAT is {other:?}: use text or json"
            ))
            .into()),
        },
    }
}

fn run() -> color_eyre::Result<()> {
    // Plain reports where colour would be noise: a service manager's log, or NO_COLOR.
    let plain = !std::io::stderr().is_terminal()
        || fleetdesk::config::no_color(&|name| std::env::var(name).ok());
    let hook = color_eyre::config::HookBuilder::default();
    let hook = if plain {
        hook.theme(color_eyre::config::Theme::new())
    } else {
        hook
    };
    hook.install()?;
    let cli = fleetdesk::cli::Cli::parse();
    let format = log_format()?;
    let filter = EnvFilter::try_from_env("FLEETDESK_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let log_file = if cli.uses_terminal() {
        // The screen belongs to the client: logs go to a file.
        let path = fleetdesk::cli::log_file_path();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .wrap_err_with(|| format!("cannot create {}", parent.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .wrap_err_with(|| format!("cannot open the log file {}", path.display()))?;
        let writer = std::sync::Mutex::new(file);
        let logs = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false);
        match format {
            LogFormat::Text => logs.with_writer(writer).init(),
            LogFormat::Json => logs.json().with_writer(writer).init(),
        }
        Some(path)
    } else {
        // Logs go to stderr, where a service manager collects them; stdout is for results.
        let logs = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr);
        match format {
            LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
            LogFormat::Json => logs.json().with_ansi(false).init(),
        }
        None
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(fleetdesk::cli::run(cli));
    if let (Err(err), Some(path)) = (&result, &log_file) {
        tracing::error!(error = ?err, "fleetdesk stopped with an error");
        eprintln!(
            "fleetdesk stopped with an error; the log is at {}",
            path.display()
        );
    }
    result
}
