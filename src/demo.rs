//! `fleetdesk demo`: a whole depot with nothing set up. The server runs in-process on
//! 127.0.0.1 with a fresh SQLite database in a temporary directory, filled with the demo data
//! set; the terminal client signs in as a dispatcher with the token held in memory only; and
//! everything is removed when it quits. The one place that wires a server and a client.

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{eyre, Result, WrapErr};

use crate::client::ApiClient;
use crate::server::demo_data::{demo_data, DEMO_DISPATCHER};
use crate::server::{self, ServeConfig};
use crate::tui::{run, KeyMap, RunOptions, Theme};

/// A directory removed when dropped, also when the client fails.
struct TemporaryDirectory(PathBuf);

impl Drop for TemporaryDirectory {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(%err, path = %self.0.display(), "could not remove the demo directory");
        }
    }
}

pub async fn run_demo(theme: Theme) -> Result<()> {
    let directory =
        std::env::temp_dir().join(format!("fleetdesk-demo-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&directory)
        .wrap_err_with(|| format!("cannot create {}", directory.display()))?;
    let directory = TemporaryDirectory(directory);
    let mut config = ServeConfig::new(format!(
        "sqlite://{}",
        directory.0.join("demo.db").display()
    ));
    config.bind = "127.0.0.1:0".to_string();
    config.jwt_secret = Some(server::random_secret()?);
    config.demo = true;
    let running = server::start(config)
        .await
        .wrap_err("cannot start the demo server")?;
    let outcome = async {
        let client = ApiClient::new(&running.url(), Duration::from_secs(15))
            .map_err(|err| eyre!("{err}"))?;
        let password = demo_data()?.password;
        let signed_in = client
            .login(DEMO_DISPATCHER, &password)
            .await
            .map_err(|err| eyre!("cannot sign in to the demo server: {err}"))?;
        let client = client.with_token(signed_in.token);
        run(RunOptions {
            client,
            user: Some(signed_in.user),
            check_token: false,
            email_hint: None,
            theme,
            refresh_every: Duration::from_secs(5),
            // The demo keeps its token in memory only.
            keep_token: Box::new(|_| {}),
            keys: KeyMap::default(),
            // Exports land where the demo was started.
            export_dir: None,
        })
        .await
    }
    .await;
    running.stop().await?;
    drop(directory);
    outcome
}
