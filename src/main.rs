use std::io::IsTerminal;

use clap::Parser;
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
    // Logs go to stderr, where a service manager collects them; stdout is for results.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(fleetdesk::cli::run(cli))
}
