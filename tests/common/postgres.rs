//! Where the PostgreSQL tests get a server: `FLEETDESK_TEST_POSTGRES_URL` when set, otherwise a
//! throwaway server of this test binary's own, made with `initdb` and `pg_ctl` when they are
//! installed (on PATH or in `/usr/lib/postgresql/*/bin`).
//!
//! The throwaway server lives in a fresh directory under the temp dir, listens on 127.0.0.1 on
//! a free port with trust authentication and SSL on (a certificate from a CA made here, so the
//! TLS tests can verify it), and is started once per test binary, on first use. It is stopped
//! and its directory removed when the test binary exits, whatever way it exits: the script that
//! runs it waits for its standard input to close, and only this process holds the other end.
//!
//! Not pgtemp: it runs `initdb` as the current user, which PostgreSQL refuses for root (and the
//! tests run as root in containers and CI), and it stops the server only from `Drop`, which a
//! `static` shared by every test of a binary never runs. The script below does both in 30 lines.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;

use super::tls::TestCa;

pub const POSTGRES_ENV: &str = "FLEETDESK_TEST_POSTGRES_URL";

/// Runs as the server's owner. Arguments: the PostgreSQL bin directory and the port; the
/// certificate and key come in the environment. Prints `ready DIR` once the server accepts
/// connections, then waits for standard input to close, stops the server and removes DIR.
const SCRIPT: &str = r#"
set -eu
bin="$1"; port="$2"
base="${TMPDIR:-/tmp}"
# Run as `postgres`, the caller's private TMPDIR may be out of reach.
[ -w "$base" ] || base=/tmp
dir="$(mktemp -d "$base/fleetdesk-test-postgres.XXXXXX")"
trap 'rm -rf "$dir"' EXIT
"$bin/initdb" -D "$dir/data" -U postgres -A trust --no-locale -E UTF8 --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
umask 077
printf '%s' "$FLEETDESK_TEST_PG_CERT" >"$dir/data/server.crt"
printf '%s' "$FLEETDESK_TEST_PG_KEY" >"$dir/data/server.key"
chmod 755 "$dir"
printf '%s' "$FLEETDESK_TEST_PG_CA" >"$dir/ca.crt"
chmod 644 "$dir/ca.crt"
"$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $port -k $dir \
    -c listen_addresses=127.0.0.1 -c ssl=on -c max_connections=300 -c fsync=off \
    -c synchronous_commit=off -c full_page_writes=off" start >/dev/null 2>&1 \
    || { cat "$dir/server.log" >&2; exit 1; }
echo "ready $dir"
exec >/dev/null 2>&1
cat || true
"$bin/pg_ctl" -D "$dir/data" -m immediate stop || true
"#;

/// A server the tests may create databases on.
pub struct Postgres {
    /// A URL of the `postgres` database as a superuser.
    pub admin_url: String,
    /// Set for the throwaway server: the CA its certificate (for `localhost` and 127.0.0.1)
    /// was signed by, in a file anyone may read.
    pub ca_file: Option<PathBuf>,
    /// Held open for as long as the process runs; closing it stops the throwaway server.
    _lifeline: Option<ChildStdin>,
}

/// Why there is no PostgreSQL to test against.
pub enum Unavailable {
    /// Nothing to use: the test is skipped (or fails under FLEETDESK_TEST_REQUIRE_ALL).
    Missing(String),
    /// PostgreSQL is installed but could not be started: always a failure.
    Broken(String),
}

static POSTGRES: OnceLock<Result<Postgres, Unavailable>> = OnceLock::new();
static THROWAWAY: OnceLock<Result<Postgres, Unavailable>> = OnceLock::new();

/// The server for this test binary: `FLEETDESK_TEST_POSTGRES_URL`, else [`throwaway`].
pub fn postgres() -> &'static Result<Postgres, Unavailable> {
    POSTGRES.get_or_init(|| match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => Ok(Postgres {
            admin_url: url,
            ca_file: None,
            _lifeline: None,
        }),
        _ => match throwaway() {
            Ok(server) => Ok(Postgres {
                admin_url: server.admin_url.clone(),
                ca_file: server.ca_file.clone(),
                _lifeline: None,
            }),
            Err(Unavailable::Missing(reason)) => Err(Unavailable::Missing(reason.clone())),
            Err(Unavailable::Broken(reason)) => Err(Unavailable::Broken(reason.clone())),
        },
    })
}

/// This test binary's own server, started on first use, whatever `FLEETDESK_TEST_POSTGRES_URL`
/// says: for tests that need to know its certificate authority.
pub fn throwaway() -> &'static Result<Postgres, Unavailable> {
    THROWAWAY.get_or_init(|| match find_bin_dir() {
        Some(bin) => start_throwaway(&bin).map_err(Unavailable::Broken),
        None => Err(Unavailable::Missing(format!(
            "needs PostgreSQL: set {POSTGRES_ENV}, or install PostgreSQL's server binaries \
             (initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin; Debian: \
             apt-get install postgresql)"
        ))),
    })
}

/// A PostgreSQL program (`pg_dump`, `pg_restore`, …) from the installation the throwaway
/// servers come from, when there is one.
pub fn program(name: &str) -> Option<PathBuf> {
    find_bin_dir()
        .map(|dir| dir.join(name))
        .filter(|path| path.is_file())
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: PATH first, then the newest of
/// Debian's `/usr/lib/postgresql/*/bin`.
fn find_bin_dir() -> Option<PathBuf> {
    let complete = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|name| dir.join(name).is_file())
    };
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|dir| std::fs::canonicalize(dir.join("initdb")).ok())
        .filter_map(|initdb| initdb.parent().map(Path::to_path_buf))
        .find(|dir| complete(dir));
    on_path.or_else(|| {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .filter(|(_, dir)| complete(dir))
            .collect();
        versions.sort();
        versions.pop().map(|(_, dir)| dir)
    })
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|err| format!("no free port on 127.0.0.1: {err}"))
}

fn start_throwaway(bin: &Path) -> Result<Postgres, String> {
    let ca = TestCa::new("fleetdesk test PostgreSQL CA");
    let cert = ca.server_cert(&["localhost", "127.0.0.1"]);
    // A port taken between our probe and the server's bind is the one likely failure: retry.
    let mut last_error = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        // PostgreSQL refuses to run as root; the package's `postgres` user owns the server then.
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", "sh", "-c", SCRIPT, "sh"]);
            command
        } else {
            let mut command = Command::new("sh");
            command.args(["-c", SCRIPT, "sh"]);
            command
        };
        command
            .arg(bin)
            .arg(port.to_string())
            .env("FLEETDESK_TEST_PG_CERT", &cert.cert_pem)
            .env("FLEETDESK_TEST_PG_KEY", &cert.key_pem)
            .env("FLEETDESK_TEST_PG_CA", &ca.cert_pem)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .map_err(|err| format!("cannot start PostgreSQL from {}: {err}", bin.display()))?;
        let lifeline = child.stdin.take().ok_or("no stdin pipe")?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        if let Some(dir) = line.trim().strip_prefix("ready ") {
            return Ok(Postgres {
                admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                ca_file: Some(Path::new(dir).join("ca.crt")),
                _lifeline: Some(lifeline),
            });
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        let _ = child.wait();
        last_error = format!(
            "cannot start a throwaway PostgreSQL with {}: {}",
            bin.display(),
            stderr.trim()
        );
    }
    Err(last_error)
}

/// Runs as the server's owner: `init DIR`, `start DIR PORT`, `kill DIR` (an immediate stop:
/// no checkpoint, recovery at the next start, as after a crash).
const PRIVATE_SCRIPT: &str = r#"
set -eu
bin="$1"; command="$2"; dir="$3"
case "$command" in
init)
    "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-locale -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; } ;;
start)
    "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "-p $4 -k $dir \
        -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1 \
        || { cat "$dir/server.log" >&2; exit 1; } ;;
kill)
    "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 ;;
esac
"#;

/// A PostgreSQL server of one test's own, which the test may kill and start again on the same
/// data directory and port. Killed and removed when dropped.
pub struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    /// The `postgres` database as a superuser.
    pub url: String,
}

impl PrivatePostgres {
    /// Initialises and starts one, or None when PostgreSQL is not installed.
    pub fn start() -> Result<PrivatePostgres, Unavailable> {
        let bin = find_bin_dir().ok_or_else(|| {
            Unavailable::Missing("needs PostgreSQL's server binaries (initdb, pg_ctl)".to_string())
        })?;
        let dir = std::env::temp_dir().join(format!(
            "fleetdesk-test-private-postgres-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|err| Unavailable::Broken(format!("{}: {err}", dir.display())))?;
        let port = free_port().map_err(Unavailable::Broken)?;
        let server = PrivatePostgres {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            dir,
            port,
        };
        if running_as_root() {
            let owned = Command::new("chown")
                .arg("postgres")
                .arg(&server.dir)
                .status()
                .is_ok_and(|status| status.success());
            if !owned {
                return Err(Unavailable::Broken(
                    "cannot give the data directory to the postgres user".to_string(),
                ));
            }
        }
        server.run(&["init"]).map_err(Unavailable::Broken)?;
        server.restart().map_err(Unavailable::Broken)?;
        Ok(server)
    }

    /// Starts the server on its data directory and port (again, after [`Self::kill`]).
    pub fn restart(&self) -> Result<(), String> {
        self.run(&["start", &self.port.to_string()])
    }

    /// Stops the server at once, the way a crash would.
    pub fn kill(&self) -> Result<(), String> {
        self.run(&["kill"])
    }

    fn run(&self, args: &[&str]) -> Result<(), String> {
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", "sh", "-c", PRIVATE_SCRIPT, "sh"]);
            command
        } else {
            let mut command = Command::new("sh");
            command.args(["-c", PRIVATE_SCRIPT, "sh"]);
            command
        };
        let output = command
            .arg(&self.bin)
            .arg(args[0])
            .arg(&self.dir)
            .args(&args[1..])
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot run pg_ctl: {err}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "PostgreSQL {}: {}",
                args[0],
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
