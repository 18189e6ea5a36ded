//! The app-managed PostgreSQL cluster that `netledger serve` uses when `DATABASE_URL` is unset.
//!
//! The cluster lives in a data directory owned by the application (by default `.data/pg`), listens
//! only on 127.0.0.1 and trusts loopback connections: it is a private, single-machine database, not a
//! shared service. Its server log goes to `pg.log` beside the data directory.
//!
//! - The server binaries (`initdb`, `pg_ctl`, `postgres`) are taken from the newest
//!   `/usr/lib/postgresql/<version>/bin` (Debian/Ubuntu), else from `pg_config --bindir`, else from `PATH`.
//!   An existing data directory is started with the binaries of the version that created it.
//! - PostgreSQL refuses to run as root, so when NetLedger runs as root the cluster runs as the `postgres`
//!   system user; the data directory is chowned to it. If that user cannot reach the requested
//!   directory (for example a checkout under `/root`), the cluster is kept under
//!   `/var/lib/netledger/<hash of the requested path>/pg` instead, and a warning says so.
//! - If the cluster is already running (another `netledger` process started it), it is reused: the
//!   port is read from `postmaster.pid`. Only the process that started the cluster stops it.

use std::ffi::{OsStr, OsString};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::Connection;

/// Superuser created by `initdb`; used only to create the application's role and database.
const SUPERUSER: &str = "postgres";
/// Role and database the application connects with.
const APP_ROLE: &str = "netledger";
const APP_DATABASE: &str = "netledger";
/// System user that runs the cluster when NetLedger runs as root.
const SYSTEM_USER: &str = "postgres";
/// Fallback home for clusters the `postgres` user cannot reach at the requested place.
const FALLBACK_ROOT: &str = "/var/lib/netledger";

const START_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// The server log is rotated (one previous generation kept) when it grows beyond this at start.
const LOG_ROTATE_BYTES: u64 = 16 * 1024 * 1024;
const LOG_TAIL_LINES: usize = 30;
/// `sun_path` is 108 bytes on Linux, including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;

/// Errors from creating, starting or stopping the embedded cluster.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPgError {
    #[error(
        "PostgreSQL server binaries not found: install the `postgresql` package \
         (apt-get install postgresql), or set DATABASE_URL to use an existing PostgreSQL server"
    )]
    BinariesNotFound,

    #[error(
        "NetLedger is running as root, but there is no `{SYSTEM_USER}` system user to run PostgreSQL as \
         (PostgreSQL refuses to run as root): install the `postgresql` package, run NetLedger as an \
         ordinary user, or set DATABASE_URL"
    )]
    NoSystemUser,

    #[error("could not look up the `{SYSTEM_USER}` system user: {0}")]
    UserLookup(#[source] nix::Error),

    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "{} is not empty and is not a PostgreSQL data directory: move it away, or choose another data directory",
        dir.display()
    )]
    NotADataDirectory { dir: PathBuf },

    #[error(
        "the data directory {} was created by PostgreSQL {data_version}, but the server binaries found \
         ({}) are PostgreSQL {binary_version}: install the `postgresql-{data_version}` package, or move the \
         data directory away to start a fresh cluster",
        data_dir.display(),
        bin_dir.display()
    )]
    VersionMismatch { data_dir: PathBuf, data_version: String, bin_dir: PathBuf, binary_version: String },

    #[error("`{command}` failed ({status}): {output}")]
    CommandFailed { command: String, status: String, output: String },

    #[error(
        "PostgreSQL failed to start in {}: {output}\nlast lines of {}:\n{tail}",
        data_dir.display(),
        log.display()
    )]
    StartFailed { data_dir: PathBuf, output: String, log: PathBuf, tail: String },

    #[error(
        "PostgreSQL did not accept connections on 127.0.0.1:{port} within {} s (last error: {last_error})\n\
         last lines of {}:\n{tail}",
        waited.as_secs(),
        log.display()
    )]
    NotReady { port: u16, waited: Duration, last_error: String, log: PathBuf, tail: String },

    #[error(
        "the PostgreSQL server (pid {pid}) of {} exited before accepting connections\nlast lines of {}:\n{tail}",
        data_dir.display(),
        log.display()
    )]
    ServerExited { pid: i32, data_dir: PathBuf, log: PathBuf, tail: String },

    #[error(
        "the PostgreSQL server on 127.0.0.1:{port} serves {found}, not {}: remove the stale {}",
        expected.display(),
        expected.join("postmaster.pid").display()
    )]
    ForeignCluster { port: u16, expected: PathBuf, found: String },

    #[error("could not {action} in the embedded PostgreSQL cluster: {source}")]
    Sql {
        action: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EmbeddedPgError {
    let path = path.to_path_buf();
    move |source| EmbeddedPgError::Io { action, path, source }
}

/// The user the cluster's processes run as, when it is not the current user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunAs {
    uid: u32,
    gid: u32,
}

/// A PostgreSQL cluster owned by the application. See the module documentation.
///
/// Dropping the value does not stop the cluster; call [`EmbeddedPostgres::stop`] on shutdown.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    log_file: PathBuf,
    bin_dir: PathBuf,
    port: u16,
    run_as: Option<RunAs>,
    /// True while this process owns the running server (it started it and has not stopped it).
    started_here: AtomicBool,
}

impl EmbeddedPostgres {
    /// Creates (initdb, first time only) and starts a cluster under `data_dir` (e.g. ".data/pg") on a
    /// free loopback port, or attaches to it if it is already running. Also creates the `netledger`
    /// role and database if they are missing.
    pub async fn start(data_dir: &Path) -> Result<Self, EmbeddedPgError> {
        let run_as = system_user()?;
        let requested = std::path::absolute(data_dir).map_err(io_error("resolve", data_dir))?;
        let data_dir = prepare_data_dir(&requested, run_as).await?;
        let log_file = log_path(&data_dir);

        let data_version = read_pg_version(&data_dir)?;
        let bin_dir = find_bin_dir(data_version.as_deref()).await?;
        if let Some(data_version) = &data_version {
            let binary_version = server_major_version(&bin_dir).await?;
            if &binary_version != data_version {
                return Err(EmbeddedPgError::VersionMismatch {
                    data_dir,
                    data_version: data_version.clone(),
                    bin_dir,
                    binary_version,
                });
            }
        }

        let mut cluster = Self { data_dir, log_file, bin_dir, port: 0, run_as, started_here: AtomicBool::new(false) };

        if let Some((pid, port)) = cluster.running_server().await {
            tracing::info!(
                port,
                data_dir = %cluster.data_dir.display(),
                "reusing the running embedded PostgreSQL cluster"
            );
            cluster.port = port;
            match cluster.attach(Some(pid)).await {
                Ok(()) => return Ok(cluster),
                // It was shutting down or crashing: start it afresh below.
                Err(EmbeddedPgError::ServerExited { .. }) => {
                    tracing::info!(pid, "the running embedded PostgreSQL server exited; starting it again");
                }
                Err(error) => return Err(error),
            }
        }

        if data_version.is_none() {
            cluster.initdb().await?;
        }
        cluster.prepare_log_file()?;
        cluster.port = free_loopback_port()?;

        let deadline = Instant::now() + START_TIMEOUT;
        while let Err(start_error) = cluster.pg_ctl_start().await {
            // Another process may have started the same cluster at the same moment: use its server.
            if let Some((pid, port)) = cluster.running_server().await {
                tracing::info!(port, "another process started the embedded PostgreSQL cluster first; reusing it");
                cluster.port = port;
                cluster.attach(Some(pid)).await?;
                return Ok(cluster);
            }
            // A killed server's lock file stays until its last process is gone (a zombie that nothing has
            // reaped yet still counts for PostgreSQL): wait for that rather than fail.
            if !cluster.data_dir.join("postmaster.pid").exists() || Instant::now() >= deadline {
                return Err(start_error);
            }
            tracing::info!("waiting for the processes of a previous PostgreSQL server to exit");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        cluster.started_here.store(true, Ordering::SeqCst);
        tracing::info!(
            port = cluster.port,
            data_dir = %cluster.data_dir.display(),
            log = %cluster.log_file.display(),
            "started the embedded PostgreSQL cluster"
        );

        let own_pid = cluster.running_server().await.map(|(pid, _)| pid);
        if let Err(error) = cluster.attach(own_pid).await {
            if let Err(stop_error) = cluster.stop().await {
                tracing::warn!(error = %stop_error, "could not stop the embedded PostgreSQL cluster after a failed start");
            }
            return Err(error);
        }
        Ok(cluster)
    }

    /// Connection URL for the application's role and database.
    pub fn url(&self) -> String {
        format!("postgres://{APP_ROLE}@127.0.0.1:{}/{APP_DATABASE}", self.port)
    }

    /// Connection URL for the cluster's superuser (administration and tests).
    pub fn superuser_url(&self) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/postgres", self.port)
    }

    /// The loopback TCP port the cluster listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The (absolute) data directory actually used; see the module documentation for the root fallback.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log file.
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// Stops the cluster (`pg_ctl stop -m fast`) if this process started it; otherwise does nothing,
    /// so that a cluster shared with a running `netledger serve` stays up. Calling it twice is harmless.
    pub async fn stop(&self) -> Result<(), EmbeddedPgError> {
        if !self.started_here.swap(false, Ordering::SeqCst) {
            tracing::debug!("embedded PostgreSQL cluster not started by this process; leaving it running");
            return Ok(());
        }
        let args = [
            OsString::from("stop"),
            OsString::from("-D"),
            self.data_dir.clone().into_os_string(),
            OsString::from("-m"),
            OsString::from("fast"),
            OsString::from("-w"),
            OsString::from("-t"),
            OsString::from(START_TIMEOUT.as_secs().to_string()),
            OsString::from("-s"),
        ];
        match self.run_tool("pg_ctl", &args).await {
            Ok(_) => {
                tracing::info!(data_dir = %self.data_dir.display(), "stopped the embedded PostgreSQL cluster");
                Ok(())
            }
            Err(_) if !self.data_dir.join("postmaster.pid").exists() => {
                tracing::info!("the embedded PostgreSQL cluster was already stopped");
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Waits for the server on `self.port`, checks that it serves our data directory and makes sure the
    /// application's role and database exist.
    /// `server_pid`, when known, is watched while waiting so that a dead server is noticed at once.
    async fn attach(&self, server_pid: Option<i32>) -> Result<(), EmbeddedPgError> {
        let mut conn = self.wait_ready(server_pid).await?;
        let result = self.check_and_provision(&mut conn).await;
        if let Err(error) = conn.close().await {
            tracing::debug!(%error, "closing the provisioning connection failed");
        }
        result
    }

    async fn check_and_provision(&self, conn: &mut PgConnection) -> Result<(), EmbeddedPgError> {
        let served: String = sqlx::query_scalar("SELECT current_setting('data_directory')")
            .fetch_one(&mut *conn)
            .await
            .map_err(|source| EmbeddedPgError::Sql { action: "read the data directory", source })?;
        if !same_path(Path::new(&served), &self.data_dir) {
            return Err(EmbeddedPgError::ForeignCluster {
                port: self.port,
                expected: self.data_dir.clone(),
                found: served,
            });
        }
        ensure_role_and_database(conn).await
    }

    async fn wait_ready(&self, server_pid: Option<i32>) -> Result<PgConnection, EmbeddedPgError> {
        let options = PgConnectOptions::new()
            .host("127.0.0.1")
            .port(self.port)
            .username(SUPERUSER)
            .database("postgres")
            .ssl_mode(PgSslMode::Disable);
        let started = Instant::now();
        loop {
            let last_error =
                match tokio::time::timeout(CONNECT_ATTEMPT_TIMEOUT, PgConnection::connect_with(&options)).await {
                    Ok(Ok(conn)) => return Ok(conn),
                    Ok(Err(error)) => error.to_string(),
                    Err(_) => format!("no answer within {} s", CONNECT_ATTEMPT_TIMEOUT.as_secs()),
                };
            if let Some(pid) = server_pid.filter(|pid| !process_is_postgres(*pid)) {
                return Err(EmbeddedPgError::ServerExited {
                    pid,
                    data_dir: self.data_dir.clone(),
                    log: self.log_file.clone(),
                    tail: log_tail(&self.log_file),
                });
            }
            if started.elapsed() >= START_TIMEOUT {
                return Err(EmbeddedPgError::NotReady {
                    port: self.port,
                    waited: started.elapsed(),
                    last_error,
                    log: self.log_file.clone(),
                    tail: log_tail(&self.log_file),
                });
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// (pid, port) of the server running on this data directory, if one is running (or starting).
    async fn running_server(&self) -> Option<(i32, u16)> {
        let pid_file = self.data_dir.join("postmaster.pid");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = match std::fs::read_to_string(&pid_file) {
                Ok(text) => text,
                Err(_) => return None,
            };
            match parse_postmaster_pid(&text) {
                Some((pid, port)) => {
                    if process_is_postgres(pid) {
                        return Some((pid, port));
                    }
                    tracing::debug!(pid, "ignoring the stale postmaster.pid of a server that is gone");
                    return None;
                }
                // The postmaster writes the file in steps: give a starting server a moment.
                None if Instant::now() < deadline => tokio::time::sleep(POLL_INTERVAL).await,
                None => return None,
            }
        }
    }

    async fn initdb(&self) -> Result<(), EmbeddedPgError> {
        let mut entries = std::fs::read_dir(&self.data_dir).map_err(io_error("read", &self.data_dir))?;
        if entries.next().is_some() {
            return Err(EmbeddedPgError::NotADataDirectory { dir: self.data_dir.clone() });
        }
        tracing::info!(data_dir = %self.data_dir.display(), "creating the embedded PostgreSQL cluster (initdb)");
        let args = [
            OsString::from("-D"),
            self.data_dir.clone().into_os_string(),
            OsString::from("-U"),
            OsString::from(SUPERUSER),
            OsString::from("--auth=trust"),
            OsString::from("--encoding=UTF8"),
            OsString::from("--no-locale"),
        ];
        self.run_tool("initdb", &args).await.map(drop)
    }

    fn prepare_log_file(&self) -> Result<(), EmbeddedPgError> {
        let log = &self.log_file;
        if let Ok(meta) = std::fs::metadata(log) {
            if meta.len() > LOG_ROTATE_BYTES {
                let mut previous = log.clone().into_os_string();
                previous.push(".1");
                std::fs::rename(log, &previous).map_err(io_error("rotate", log))?;
            }
        }
        std::fs::OpenOptions::new().create(true).append(true).open(log).map_err(io_error("create", log))?;
        if let Some(user) = self.run_as {
            std::os::unix::fs::chown(log, Some(user.uid), Some(user.gid)).map_err(io_error("chown", log))?;
        }
        Ok(())
    }

    async fn pg_ctl_start(&self) -> Result<(), EmbeddedPgError> {
        let mut server_options = format!("-p {} -c listen_addresses=127.0.0.1", self.port);
        match socket_dir_option(&self.data_dir) {
            Some(option) => {
                server_options.push_str(" -c unix_socket_directories=");
                server_options.push_str(&option);
            }
            None => server_options.push_str(" -c unix_socket_directories=''"),
        }
        let args = [
            OsString::from("start"),
            OsString::from("-D"),
            self.data_dir.clone().into_os_string(),
            OsString::from("-l"),
            self.log_file.clone().into_os_string(),
            OsString::from("-w"),
            OsString::from("-t"),
            OsString::from(START_TIMEOUT.as_secs().to_string()),
            OsString::from("-s"),
            OsString::from("-o"),
            OsString::from(server_options),
        ];
        match self.run_tool("pg_ctl", &args).await {
            Ok(_) => Ok(()),
            Err(EmbeddedPgError::CommandFailed { output, .. }) => Err(EmbeddedPgError::StartFailed {
                data_dir: self.data_dir.clone(),
                output,
                log: self.log_file.clone(),
                tail: log_tail(&self.log_file),
            }),
            Err(other) => Err(other),
        }
    }

    /// Runs one of the cluster's tools (as the `postgres` user when we are root) and returns its output.
    async fn run_tool(&self, tool: &str, args: &[OsString]) -> Result<String, EmbeddedPgError> {
        let program = self.bin_dir.join(tool);
        let mut command = tokio::process::Command::new(&program);
        command
            .args(args)
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("LC_MESSAGES", "C");
        for variable in ["PGDATA", "PGPORT", "PGHOST", "PGUSER", "PGOPTIONS", "PGDATABASE"] {
            command.env_remove(variable);
        }
        if let Some(user) = self.run_as {
            command.uid(user.uid).gid(user.gid);
        }
        let described = describe_command(&program, args);
        tracing::debug!(command = %described, "running");
        let output = command.output().await.map_err(io_error("run", &program))?;
        let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stderr));
        let text = text.trim().to_owned();
        if output.status.success() {
            Ok(text)
        } else {
            Err(EmbeddedPgError::CommandFailed { command: described, status: output.status.to_string(), output: text })
        }
    }
}

/// `Some(postgres user)` when running as root, `None` otherwise.
fn system_user() -> Result<Option<RunAs>, EmbeddedPgError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let user = nix::unistd::User::from_name(SYSTEM_USER)
        .map_err(EmbeddedPgError::UserLookup)?
        .ok_or(EmbeddedPgError::NoSystemUser)?;
    Ok(Some(RunAs { uid: user.uid.as_raw(), gid: user.gid.as_raw() }))
}

/// Creates the data directory and, when running as root, hands it to the `postgres` user; returns the
/// directory to use (the requested one, or the fallback when the `postgres` user cannot reach it).
async fn prepare_data_dir(requested: &Path, run_as: Option<RunAs>) -> Result<PathBuf, EmbeddedPgError> {
    std::fs::create_dir_all(requested).map_err(io_error("create", requested))?;
    let Some(user) = run_as else {
        return Ok(requested.to_path_buf());
    };
    hand_over(requested, user)?;
    if user_can_use_dir(requested, user).await {
        return Ok(requested.to_path_buf());
    }
    let fallback =
        Path::new(FALLBACK_ROOT).join(format!("{:016x}", fnv1a(requested.as_os_str().as_encoded_bytes()))).join("pg");
    tracing::warn!(
        requested = %requested.display(),
        used = %fallback.display(),
        "the `{SYSTEM_USER}` user cannot reach the requested PostgreSQL data directory; using another place"
    );
    std::fs::create_dir_all(&fallback).map_err(io_error("create", &fallback))?;
    hand_over(&fallback, user)?;
    if user_can_use_dir(&fallback, user).await {
        Ok(fallback)
    } else {
        Err(EmbeddedPgError::Io {
            action: "give the `postgres` user access to",
            path: requested.to_path_buf(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        })
    }
}

/// Makes `dir` (recursively) owned by `user` unless it already is.
fn hand_over(dir: &Path, user: RunAs) -> Result<(), EmbeddedPgError> {
    let meta = std::fs::metadata(dir).map_err(io_error("inspect", dir))?;
    if meta.uid() == user.uid && meta.gid() == user.gid {
        return Ok(());
    }
    chown_tree(dir, user).map_err(io_error("chown", dir))
}

fn chown_tree(path: &Path, user: RunAs) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid))?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), user)?;
        }
    }
    Ok(())
}

/// Whether `user` can enter and write `dir` (every ancestor must be traversable too).
async fn user_can_use_dir(dir: &Path, user: RunAs) -> bool {
    let status = tokio::process::Command::new("test")
        .arg("-w")
        .arg(dir)
        .arg("-a")
        .arg("-x")
        .arg(dir)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .uid(user.uid)
        .gid(user.gid)
        .status()
        .await;
    matches!(status, Ok(status) if status.success())
}

/// `<data dir>/../pg.log`.
fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.parent().unwrap_or(data_dir).join("pg.log")
}

/// The major version recorded in `PG_VERSION`, or `None` if the directory holds no cluster yet.
fn read_pg_version(data_dir: &Path) -> Result<Option<String>, EmbeddedPgError> {
    let file = data_dir.join("PG_VERSION");
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(io_error("read", &file)(error)),
    }
}

fn has_server_binaries(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"].iter().all(|tool| dir.join(tool).is_file())
}

/// Finds the directory holding `initdb`, `pg_ctl` and `postgres`, preferring `wanted_version`.
async fn find_bin_dir(wanted_version: Option<&str>) -> Result<PathBuf, EmbeddedPgError> {
    // Debian/Ubuntu: /usr/lib/postgresql/<version>/bin, several versions may be installed.
    let mut versioned: Vec<(Vec<u32>, String, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let key = version_key(&name)?;
            let bin = entry.path().join("bin");
            has_server_binaries(&bin).then_some((key, name, bin))
        })
        .collect();
    versioned.sort_by(|a, b| b.0.cmp(&a.0));
    if let Some(wanted) = wanted_version {
        if let Some((_, _, bin)) = versioned.iter().find(|(_, name, _)| name == wanted) {
            return Ok(bin.clone());
        }
    }
    if let Some((_, _, bin)) = versioned.into_iter().next() {
        return Ok(bin);
    }

    let pg_config = tokio::process::Command::new("pg_config")
        .arg("--bindir")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .await;
    if let Ok(output) = pg_config {
        if output.status.success() {
            let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
            if has_server_binaries(&dir) {
                return Ok(dir);
            }
        }
    }

    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| has_server_binaries(dir))
        .ok_or(EmbeddedPgError::BinariesNotFound)
}

/// "15" -> [15], "9.6" -> [9, 6]; `None` for names that are not versions.
fn version_key(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

/// Major version of the server binaries, as `PG_VERSION` spells it ("15", or "9.6" for old ones).
async fn server_major_version(bin_dir: &Path) -> Result<String, EmbeddedPgError> {
    let program = bin_dir.join("postgres");
    let output = tokio::process::Command::new(&program)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(io_error("run", &program))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    parse_server_version(&text).ok_or_else(|| EmbeddedPgError::CommandFailed {
        command: describe_command(&program, &[OsString::from("--version")]),
        status: output.status.to_string(),
        output: text.trim().to_owned(),
    })
}

/// "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "15"; "postgres (PostgreSQL) 9.6.24" -> "9.6".
fn parse_server_version(text: &str) -> Option<String> {
    let version = text.split_whitespace().find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next()?.parse().ok()?;
    if major >= 10 {
        Some(major.to_string())
    } else {
        let minor: u32 = parts.next()?.parse().ok()?;
        Some(format!("{major}.{minor}"))
    }
}

/// (pid, port) from `postmaster.pid` (line 1 and line 4).
fn parse_postmaster_pid(text: &str) -> Option<(i32, u16)> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let port = lines.nth(2)?.trim().parse().ok()?;
    Some((pid, port))
}

/// Whether `pid` is a live PostgreSQL server process (and not a recycled pid after a reboot).
fn process_is_postgres(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // /proc/<pid>/stat: "pid (comm) state ...". A killed server may linger as a zombie when nothing
    // reaps it (containers), so the state matters as much as the name.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let name = stat.split_once('(').and_then(|(_, rest)| rest.rsplit_once(')'));
            match name {
                Some((comm, rest)) => {
                    let state = rest.trim_start().chars().next();
                    matches!(comm, "postgres" | "postmaster") && !matches!(state, Some('Z' | 'X' | 'x'))
                }
                None => false,
            }
        }
        Err(_) if Path::new("/proc/self").exists() => false,
        // No procfs: fall back to asking the kernel whether the process exists.
        Err(_) => matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Ok(()) | Err(nix::errno::Errno::EPERM)
        ),
    }
}

/// The value for `-c unix_socket_directories=` (shell-quoted, since pg_ctl passes `-o` through the
/// shell), or `None` when the data directory cannot hold the socket (path too long or unusual).
fn socket_dir_option(data_dir: &Path) -> Option<String> {
    let dir = data_dir.to_str()?;
    let socket_path_len = dir.len() + "/.s.PGSQL.65535.lock".len();
    if socket_path_len > MAX_SOCKET_PATH || dir.contains([',', '"', '\n']) {
        tracing::debug!(data_dir = dir, "no unix socket for the embedded cluster (path unsuitable)");
        return None;
    }
    Some(shell_quote(dir))
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn free_loopback_port() -> Result<u16, EmbeddedPgError> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
        .map_err(io_error("bind a loopback port for", Path::new("127.0.0.1:0")))?;
    let port = listener.local_addr().map_err(io_error("read the address of", Path::new("127.0.0.1:0")))?.port();
    Ok(port)
}

async fn ensure_role_and_database(conn: &mut PgConnection) -> Result<(), EmbeddedPgError> {
    let role_exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
        .bind(APP_ROLE)
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| EmbeddedPgError::Sql { action: "look up the application role", source })?;
    if !role_exists {
        tracing::info!(role = APP_ROLE, "creating the application role");
        let created = sqlx::query(&format!("CREATE ROLE {APP_ROLE} LOGIN CREATEDB")).execute(&mut *conn).await;
        ignore_duplicate(created, "42710")
            .map_err(|source| EmbeddedPgError::Sql { action: "create the application role", source })?;
    }

    let database_exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(APP_DATABASE)
        .fetch_one(&mut *conn)
        .await
        .map_err(|source| EmbeddedPgError::Sql { action: "look up the application database", source })?;
    if !database_exists {
        tracing::info!(database = APP_DATABASE, "creating the application database");
        let created =
            sqlx::query(&format!("CREATE DATABASE {APP_DATABASE} OWNER {APP_ROLE}")).execute(&mut *conn).await;
        ignore_duplicate(created, "42P04")
            .map_err(|source| EmbeddedPgError::Sql { action: "create the application database", source })?;
    }
    Ok(())
}

/// Treats "already exists" (SQLSTATE `code`, a concurrent creator won the race) as success.
fn ignore_duplicate<T>(result: Result<T, sqlx::Error>, code: &str) -> Result<(), sqlx::Error> {
    match result {
        Ok(_) => Ok(()),
        Err(error) if error.as_database_error().and_then(|db| db.code()).is_some_and(|c| c == code) => Ok(()),
        Err(error) => Err(error),
    }
}

fn same_path(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The last lines of the server log, for error messages.
fn log_tail(log: &Path) -> String {
    const MAX_BYTES: u64 = 64 * 1024;
    let read = || -> std::io::Result<String> {
        let mut file = std::fs::File::open(log)?;
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(MAX_BYTES)))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    match read() {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
            if tail.trim().is_empty() {
                "(the log is empty)".to_owned()
            } else {
                tail
            }
        }
        Err(error) => format!("(could not read the log: {error})"),
    }
}

fn describe_command(program: &Path, args: &[OsString]) -> String {
    let mut text = program.display().to_string();
    for arg in args {
        text.push(' ');
        text.push_str(&OsStr::to_string_lossy(arg));
    }
    text
}

/// FNV-1a, 64 bit: a stable name for the fallback directory of a requested path.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postmaster_pid() {
        let text = "4242\n/work/main/.data/pg\n1700000000\n54321\n/work/main/.data/pg\n127.0.0.1\n  1234 5\nready   \n";
        assert_eq!(parse_postmaster_pid(text), Some((4242, 54321)));
        assert_eq!(parse_postmaster_pid("4242\n/x\n"), None);
        assert_eq!(parse_postmaster_pid(""), None);
    }

    #[test]
    fn parses_server_versions() {
        assert_eq!(
            parse_server_version("postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n").as_deref(),
            Some("15")
        );
        assert_eq!(parse_server_version("postgres (PostgreSQL) 17beta1").as_deref(), Some("17"));
        assert_eq!(parse_server_version("postgres (PostgreSQL) 9.6.24").as_deref(), Some("9.6"));
        assert_eq!(parse_server_version("nonsense"), None);
    }

    #[test]
    fn orders_versions_numerically() {
        let mut names = vec!["9.6", "15", "10", "nonsense", "16"];
        names.retain(|name| version_key(name).is_some());
        names.sort_by_key(|name| std::cmp::Reverse(version_key(name)));
        assert_eq!(names, ["16", "15", "10", "9.6"]);
    }

    #[test]
    fn only_live_postgres_processes_count_as_servers() {
        let me = i32::try_from(std::process::id()).expect("pid fits i32");
        assert!(!process_is_postgres(me));
        assert!(!process_is_postgres(0));
        assert!(!process_is_postgres(-1));
    }

    #[test]
    fn quotes_socket_directories_for_the_shell() {
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(socket_dir_option(Path::new("/a,b")), None);
        let long = format!("/{}", "x".repeat(120));
        assert_eq!(socket_dir_option(Path::new(&long)), None);
        assert_eq!(socket_dir_option(Path::new("/srv/pg")).as_deref(), Some("'/srv/pg'"));
    }

    #[tokio::test]
    async fn starts_reuses_restarts_and_stops_a_cluster() {
        if find_bin_dir(None).await.is_err() {
            eprintln!("skipping embedded PostgreSQL test: no PostgreSQL server binaries installed");
            return;
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let base = std::env::temp_dir().join(format!("netledger-embedded-pg-{}-{nanos}", std::process::id()));
        let data_dir = base.join("pg");

        let first = EmbeddedPostgres::start(&data_dir).await.expect("first start");
        assert!(first.url().starts_with("postgres://netledger@127.0.0.1:"));
        assert_eq!(select_one(&first.url()).await, 1);

        // A second process (e.g. `netledger user add` beside `serve`) attaches to the same server ...
        let second = EmbeddedPostgres::start(&data_dir).await.expect("attach to the running cluster");
        assert_eq!(second.port(), first.port());
        // ... and does not stop it.
        second.stop().await.expect("stop by a non-owner is a no-op");
        assert_eq!(select_one(&first.url()).await, 1);

        first.stop().await.expect("stop");
        first.stop().await.expect("second stop is a no-op");
        assert!(!first.data_dir().join("postmaster.pid").exists());

        // An existing cluster starts again without initdb and keeps its role and database.
        let third = EmbeddedPostgres::start(&data_dir).await.expect("restart");
        assert_eq!(select_one(&third.url()).await, 1);
        third.stop().await.expect("stop after restart");

        std::fs::remove_dir_all(&base).expect("remove the test cluster");
    }

    async fn select_one(url: &str) -> i32 {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await.expect("SELECT 1");
        conn.close().await.expect("close");
        one
    }
}
