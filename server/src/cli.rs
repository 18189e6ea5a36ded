//! The `netledger` command line. Every subcommand resolves the database the same way, so
//! `user` or `audit verify` work beside a running `serve`.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sqlx::PgPool;

use crate::adapters::store::{projections, rebuild, verify_chains};
use crate::backend::reset_password;
use crate::embedded_pg::EmbeddedPostgres;
use crate::settings::Settings;
use crate::startup::{build_state, connect, Application};

#[derive(Parser)]
#[command(name = "netledger", version, about = "Event-sourced network operations")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and API (default http://127.0.0.1:3000).
    Serve {
        /// HOST:PORT to listen on [env: NETLEDGER_ADDR]
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
    },
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Audit the event store.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Manage read-model projections.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Run the simulated device lab (SSH on loopback) in the foreground, or list its devices.
    Lab(crate::lab::LabArgs),
    /// Benchmarks that print figures and ratios against a baseline measured in the same run.
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Set a new password: generated (must be changed at next sign-in) or read from stdin.
    ResetPassword {
        name: String,
        /// Read the password from standard input (for scripts; no forced change).
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every aggregate's hash chain; exit code 1 names the first broken link.
    Verify,
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Empty and replay one projection (or all) from the start of the log.
    Rebuild { name: Option<String> },
    /// List projections and their checkpoints.
    Status,
}

/// The database every subcommand uses: `DATABASE_URL`, or the app-managed cluster.
pub struct Database {
    pub pool: PgPool,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    pub async fn open(settings: &Settings, max_connections: u32) -> Result<Self, String> {
        let (url, embedded) = match &settings.database_url {
            Some(url) => (url.clone(), None),
            None => {
                let pg = EmbeddedPostgres::start(&settings.data_dir.join("pg")).await.map_err(|e| e.to_string())?;
                (pg.url(), Some(pg))
            }
        };
        let pool = connect(&url, max_connections).await.map_err(|e| e.to_string())?;
        Ok(Self { pool, embedded })
    }

    pub async fn close(self) {
        self.pool.close().await;
        if let Some(pg) = self.embedded {
            if let Err(e) = pg.stop().await {
                tracing::warn!(error = %e, "stopping the embedded PostgreSQL failed");
            }
        }
    }
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    crate::telemetry::init(settings.json_logs);
    if let Command::Serve { addr: Some(addr) } = &cli.command {
        settings.addr = *addr;
    }
    // The lab and the SSH benchmark need no database.
    match cli.command {
        Command::Lab(args) => return crate::lab::run_cli(args).await,
        Command::Bench { command: crate::bench::BenchCommand::Ssh(args) } => return crate::bench_ssh::run(args).await,
        _ => {}
    }
    let max = if matches!(cli.command, Command::Bench { .. }) { 48 } else { 20 };
    let db = match Database::open(&settings, max).await {
        Ok(db) => db,
        Err(e) => return fail(e),
    };
    let code = run(cli.command, &db, settings).await;
    db.close().await;
    code
}

#[allow(clippy::print_stdout)] // the command line's output is its interface
async fn run(command: Command, db: &Database, settings: Settings) -> ExitCode {
    let pool = db.pool.clone();
    match command {
        Command::Serve { .. } => serve(pool, settings).await,
        Command::Migrate => match crate::adapters::store::migrate(&pool).await {
            Ok(()) => {
                println!("migrations applied");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::User { command: UserCommand::ResetPassword { name, password_stdin } } => {
            let state = match build_state(pool, settings).await {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            let given = if password_stdin {
                let mut s = String::new();
                if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                    return fail(e);
                }
                Some(s.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let scripted = given.is_some();
            match reset_password(&state, &name, given).await {
                Ok(p) if !scripted => {
                    println!("new password for {name}: {p}\n(it must be changed at the next sign-in)");
                    ExitCode::SUCCESS
                }
                Ok(_) => {
                    println!("password for {name} set");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Audit { command: AuditCommand::Verify } => {
            if let Err(e) = crate::adapters::store::migrate(&pool).await {
                return fail(e);
            }
            match verify_chains(&pool, 100).await {
                Ok(r) if r.is_intact() => {
                    println!("ok: {} events in {} chains verified, no broken link", r.events, r.aggregates);
                    ExitCode::SUCCESS
                }
                Ok(r) => {
                    for b in &r.breaks {
                        println!(
                            "BROKEN: {}/{} event {} (position {}): {}",
                            b.aggregate_type, b.aggregate_id, b.sequence, b.position, b.reason
                        );
                    }
                    if let Some(first) = r.breaks.first() {
                        println!("first broken link at position {}", first.position);
                    }
                    ExitCode::from(1)
                }
                Err(e) => fail(e),
            }
        }
        Command::Projections { command } => projections_command(command, &pool).await,
        Command::Bench { command } => crate::bench::run(command, &pool).await,
        Command::Lab(_) => ExitCode::SUCCESS,
    }
}

#[allow(clippy::print_stdout)]
async fn projections_command(command: ProjectionsCommand, pool: &PgPool) -> ExitCode {
    if let Err(e) = crate::adapters::store::migrate(pool).await {
        return fail(e);
    }
    match command {
        ProjectionsCommand::Status => {
            let rows = sqlx::query_as::<_, (String, i64, i64)>(
                "SELECT name, position, events_applied FROM projection_checkpoints ORDER BY name",
            )
            .fetch_all(pool)
            .await;
            match rows {
                Ok(rows) => {
                    for (name, pos, n) in rows {
                        println!("{name}: position {pos}, {n} events applied");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        ProjectionsCommand::Rebuild { name } => {
            let all = projections::all();
            let chosen: Vec<_> = all.iter().filter(|p| name.as_deref().is_none_or(|n| n == p.name())).collect();
            if chosen.is_empty() {
                let names: Vec<_> = all.iter().map(|p| p.name()).collect();
                return fail(format!(
                    "no projection named {:?}; known: {}",
                    name.unwrap_or_default(),
                    names.join(", ")
                ));
            }
            for p in chosen {
                let start = std::time::Instant::now();
                match rebuild(pool, p.as_ref()).await {
                    Ok(n) => println!("{}: rebuilt from {n} events in {:.2}s", p.name(), start.elapsed().as_secs_f64()),
                    Err(e) => return fail(format!("{}: {e}", p.name())),
                }
            }
            ExitCode::SUCCESS
        }
    }
}

#[allow(clippy::print_stdout)]
async fn serve(pool: PgPool, settings: Settings) -> ExitCode {
    let app = match Application::build(pool, settings).await {
        Ok(a) => a,
        Err(e) => return fail(e),
    };
    let addr = app.local_addr().map_or_else(|_| "?".into(), |a| a.to_string());
    if let Some(admin) = &app.bootstrap {
        println!(
            "\n  First run: sign in as '{}' with password: {}\n  (shown once; you will be asked to change it)\n",
            admin.username, admin.password
        );
    }
    if let Some(lab) = app.state.lab.get() {
        let devices = lab.devices();
        let first = devices.first().map(|d| format!("{}:{}", d.address, d.port)).unwrap_or_default();
        println!(
            "Device lab: {} simulated devices from {first} (tag 'lab' in the inventory; `netledger lab --list` for logins; NETLEDGER_LAB=off to disable)",
            devices.len()
        );
    }
    println!("NetLedger listening on http://{addr}");
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => return,
            };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
    };
    match app.run_until(shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
