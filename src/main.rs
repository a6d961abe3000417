use std::io::IsTerminal;

use clap::Parser;
use color_eyre::eyre::WrapErr;
use tracing_subscriber::EnvFilter;

fn main() -> color_eyre::Result<()> {
    // Plain reports where colour would be noise: a service manager's log, or NO_COLOR.
    let plain = !std::io::stderr().is_terminal() || std::env::var_os("NO_COLOR").is_some();
    let hook = color_eyre::config::HookBuilder::default();
    let hook = if plain {
        hook.theme(color_eyre::config::Theme::new())
    } else {
        hook
    };
    hook.install()?;
    let cli = fleetdesk::cli::Cli::parse();
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
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .init();
        Some(path)
    } else {
        // Logs go to stderr, where a service manager collects them; stdout is for results.
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .init();
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
