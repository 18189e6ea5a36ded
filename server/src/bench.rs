//! `netledger bench store`: event-store, projection and page benchmarks. Each figure is
//! printed with a ratio against a baseline measured in the same run; the last line is one JSON
//! object with every figure. Runs in a scratch database that is dropped afterwards.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Subcommand;
use cqrs_es::persist::PersistedEventStore;
use cqrs_es::EventStore as _;
use domain::device::{Device, DeviceCommand, DeviceDraft, DeviceEvent, DeviceSpec};
use domain::metadata::{EventMetadata, Source};
use postgres_es::PostgresEventRepository;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor, PgPool};

use crate::adapters::store::projections::{AuditProjection, InventoryProjection};
use crate::adapters::store::{rebuild, EventStore, Projection, SNAPSHOT_EVERY};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Event store, projection rebuild and inventory page figures.
    Store(StoreBench),
    /// Config backup of lab devices over SSH against netmiko on the same lab.
    Ssh(crate::bench_ssh::SshBench),
    /// ICMP probing of loopback destinations into the sample store, against fping.
    Ping(crate::bench_ping::PingBench),
}

#[derive(clap::Args, Debug, Clone, Copy)]
pub struct StoreBench {
    /// Scaled-down run (CI smoke): 10x fewer of everything.
    #[arg(long)]
    quick: bool,
    /// Concurrent tasks for the command and raw-insert figures.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Commands (and raw inserts) to time per round.
    #[arg(long, default_value_t = 8_000)]
    commands: usize,
    /// Prior events on the long-lived aggregate.
    #[arg(long, default_value_t = 100_000)]
    history: usize,
    /// Events in the log for the rebuild figure.
    #[arg(long, default_value_t = 1_000_000)]
    rebuild_events: usize,
    /// Devices in the inventory for the page figure.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Concurrent browsers fetching the inventory page.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Page requests to time.
    #[arg(long, default_value_t = 1_600)]
    page_requests: usize,
}

impl StoreBench {
    /// The sizes actually used: `--quick` divides them by ten.
    fn scaled(self) -> Self {
        let scale = |n: usize| if self.quick { (n / 10).max(1) } else { n };
        Self {
            concurrency: self.concurrency.max(1),
            clients: self.clients.max(1),
            commands: scale(self.commands),
            history: scale(self.history),
            rebuild_events: scale(self.rebuild_events),
            devices: scale(self.devices),
            page_requests: scale(self.page_requests),
            quick: self.quick,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum BenchError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
}

fn other(e: impl std::fmt::Display) -> BenchError {
    BenchError::Other(e.to_string())
}

fn spec(host: &str, port: u16) -> Result<DeviceSpec, BenchError> {
    DeviceDraft {
        hostname: host.into(),
        address: "10.20.30.40".into(),
        port: Some(port.to_string()),
        platform: "cisco_ios".into(),
        site: format!("site-{}", host.len() % 7),
        group: "bench/core".into(),
        tags: "bench, core".into(),
        ..DeviceDraft::default()
    }
    .parse()
    .map_err(other)
}

fn meta() -> HashMap<String, String> {
    EventMetadata::new("system:bench", Source::System, uuid::Uuid::new_v4().to_string(), chrono::Utc::now()).to_map()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[allow(clippy::cast_precision_loss)]
fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

pub(crate) struct Scratch {
    pub(crate) pool: PgPool,
    admin: PgPool,
    name: String,
    url: String,
}

pub(crate) async fn scratch(pool: &PgPool, connections: u32) -> Result<Scratch, BenchError> {
    let name = format!("netledger_bench_{}", uuid::Uuid::new_v4().simple());
    pool.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await?;
    let opts: PgConnectOptions = pool.connect_options().as_ref().clone().database(&name);
    let url = opts.to_url_lossy().to_string();
    let bench = PgPoolOptions::new().max_connections(connections).connect_with(opts).await?;
    crate::adapters::store::migrate(&bench).await.map_err(other)?;
    Ok(Scratch { pool: bench, admin: pool.clone(), name, url })
}

impl Scratch {
    pub(crate) async fn drop_db(self) {
        self.pool.close().await;
        if let Err(e) =
            self.admin.execute(format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name).as_str()).await
        {
            tracing::warn!(error = %e, "could not drop the bench database");
        }
    }
}

/// Runs `total` jobs on `tasks` concurrent workers; returns elapsed time.
async fn fan_out<F, Fut>(tasks: usize, total: usize, job: F) -> Result<Duration, BenchError>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), BenchError>> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let job = job.clone();
        let next = next.clone();
        handles.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    return Ok::<(), BenchError>(());
                }
                job(i).await?;
            }
        }));
    }
    for h in handles {
        h.await.map_err(other)??;
    }
    Ok(start.elapsed())
}

#[allow(clippy::print_stdout, clippy::too_many_lines)]
async fn store_bench(pool: &PgPool, args: StoreBench) -> Result<Value, BenchError> {
    let StoreBench { quick, concurrency, commands, history, rebuild_events, devices, clients, page_requests } =
        args.scaled();
    let s = scratch(pool, u32::try_from(concurrency + 8).unwrap_or(40)).await?;
    let store = Arc::new(EventStore::new(s.pool.clone()));
    println!("bench store: {} (concurrency {concurrency})", if quick { "quick" } else { "full" });

    // 1. Commands/s vs raw INSERT/s into the same events table.
    let sample_payload =
        serde_json::to_value(DeviceEvent::Registered { spec: spec("R-sample-0001", 22)? }).map_err(other)?;
    // Two rounds each, interleaved, best round counted: the first round also warms caches.
    let mut raw = Duration::MAX;
    let mut cmd = Duration::MAX;
    for round in 0..2 {
        let raw_pool = s.pool.clone();
        let payload = sample_payload.clone();
        let md = Value::Object(meta().into_iter().map(|(k, v)| (k, Value::String(v))).collect());
        let t = fan_out(concurrency, commands, move |_| {
            let (pool, payload, md) = (raw_pool.clone(), payload.clone(), md.clone());
            async move {
                sqlx::query(
                    "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
                     VALUES ('bench_raw', $1, 1, 'DeviceRegistered', '1.0', $2, $3)",
                )
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(payload)
                .bind(md)
                .execute(&pool)
                .await?;
                Ok(())
            }
        })
        .await?;
        raw = raw.min(t);
        let st = store.clone();
        let t = fan_out(concurrency, commands, move |i| {
            let st = st.clone();
            async move {
                let id = uuid::Uuid::new_v4().to_string();
                st.devices
                    .execute_with_metadata(
                        &id,
                        DeviceCommand::Register { spec: spec(&format!("C{round}{i:07}"), 22)? },
                        meta(),
                    )
                    .await
                    .map_err(other)
            }
        })
        .await?;
        cmd = cmd.min(t);
    }
    let (raw_rate, cmd_rate) = (rate(commands, raw), rate(commands, cmd));
    println!("  commands/s (register, {concurrency} tasks): {cmd_rate:.0}  raw INSERT/s: {raw_rate:.0}  ratio {:.2} (target >= 0.6)", cmd_rate / raw_rate);

    // 2. Cost per command on an aggregate with 100 vs `history` prior events.
    let es: PersistedEventStore<PostgresEventRepository, Device> =
        PersistedEventStore::new_snapshot_store(PostgresEventRepository::new(s.pool.clone()), SNAPSHOT_EVERY);
    for (id, n) in [("short-lived", 100usize), ("long-lived", history)] {
        store
            .devices
            .execute_with_metadata(id, DeviceCommand::Register { spec: spec(id, 1)? }, meta())
            .await
            .map_err(other)?;
        let mut written = 1;
        while written < n {
            let chunk = (n - written).min(1_000);
            let ctx = es.load_aggregate(id).await.map_err(other)?;
            let events = (0..chunk)
                .map(|k| {
                    Ok(DeviceEvent::Updated {
                        changes: vec![],
                        spec: spec(id, u16::try_from((written + k) % 60_000 + 2).unwrap_or(2))?,
                    })
                })
                .collect::<Result<Vec<_>, BenchError>>()?;
            es.commit(events, ctx, meta()).await.map_err(other)?;
            written += chunk;
        }
    }
    let rounds = if quick { 100 } else { 300 };
    let mut lat: HashMap<&str, Vec<Duration>> = HashMap::new();
    for r in 0..rounds {
        for id in ["short-lived", "long-lived"] {
            let port = u16::try_from(60_100 + r).unwrap_or(1);
            let t = Instant::now();
            store
                .devices
                .execute_with_metadata(id, DeviceCommand::Update { spec: spec(id, port)? }, meta())
                .await
                .map_err(other)?;
            lat.entry(id).or_default().push(t.elapsed());
        }
    }
    for v in lat.values_mut() {
        v.sort();
    }
    let short_p50 = percentile(&lat["short-lived"], 0.5);
    let long_p50 = percentile(&lat["long-lived"], 0.5);
    let history_ratio = long_p50.as_secs_f64() / short_p50.as_secs_f64().max(1e-9);
    println!(
        "  per-command p50: {:.2} ms with 100 prior events, {:.2} ms with {history}; ratio {history_ratio:.2} (target <= 1.5)",
        ms(short_p50),
        ms(long_p50)
    );

    // 3. Projection rebuild throughput over a log of `rebuild_events` events, in a second
    // scratch database so the log and the inventory hold exactly the stated sizes.
    s.drop_db().await;
    let s = scratch(pool, u32::try_from(concurrency + 8).unwrap_or(40)).await?;
    let to_seed = rebuild_events;
    let per_device = (to_seed / devices.max(1)).max(1);
    let seed_start = Instant::now();
    seed_log(&s.pool, devices, per_device, to_seed).await?;
    let seed_time = seed_start.elapsed();
    // Settle the freshly written table so autovacuum does not run inside the measurements.
    s.pool.execute("VACUUM ANALYZE events").await?;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events").fetch_one(&s.pool).await?;
    println!(
        "  seeded {total} events in {:.1}s ({:.0} events/s through the hash-chain trigger)",
        seed_time.as_secs_f64(),
        rate(usize::try_from(total).unwrap_or(0), seed_time)
    );
    let mut rebuilds = serde_json::Map::new();
    let projections: [&dyn Projection; 2] = [&InventoryProjection, &AuditProjection];
    for p in projections {
        let t = Instant::now();
        let n = rebuild(&s.pool, p).await.map_err(other)?;
        let d = t.elapsed();
        let r = rate(usize::try_from(n).unwrap_or(0), d);
        println!("  rebuild {}: {n} events in {:.2}s = {r:.0} events/s (target >= 200000)", p.name(), d.as_secs_f64());
        rebuilds.insert(p.name().to_owned(), json!({ "events": n, "seconds": d.as_secs_f64(), "events_per_s": r }));
    }
    // Baseline: reading the same log without applying it.
    let t = Instant::now();
    let mut cursor = (0, 0);
    let mut read = 0usize;
    loop {
        let batch = crate::adapters::store::read_committed_after(&s.pool, cursor, 10_000).await.map_err(other)?;
        let Some(last) = batch.last() else { break };
        cursor = (last.tx_id, last.position);
        read += batch.len();
    }
    let read_rate = rate(read, t.elapsed());
    println!("  baseline: reading the log alone {read_rate:.0} events/s");

    // 4. Inventory page, server-rendered, `clients` concurrent.
    let page = page_bench(&s, clients, page_requests).await?;
    println!(
        "  inventory page ({} devices, {clients} clients): p50 {:.1} ms p95 {:.1} ms (target p95 < 100 ms); raw list query p95 {:.1} ms",
        page["devices"], page["p50_ms"], page["p95_ms"], page["raw_query_p95_ms"]
    );

    let figures = json!({
        "quick": quick,
        "commands_per_s": cmd_rate,
        "raw_inserts_per_s": raw_rate,
        "command_vs_raw_ratio": cmd_rate / raw_rate,
        "command_p50_ms_100_events": ms(short_p50),
        "command_p50_ms_long_history": ms(long_p50),
        "long_history_events": history,
        "history_cost_ratio": history_ratio,
        "rebuild_log_events": total,
        "rebuild": rebuilds,
        "log_read_events_per_s": read_rate,
        "inventory_page": page,
    });
    s.drop_db().await;
    Ok(figures)
}

/// Appends `devices` devices with `per_device` events each (register, then updates) until
/// `total` events, in bulk through the real insert trigger (hash chain, notify).
async fn seed_log(pool: &PgPool, devices: usize, per_device: usize, total: usize) -> Result<(), BenchError> {
    let md = Value::Object(meta().into_iter().map(|(k, v)| (k, Value::String(v))).collect());
    let mut rows: Vec<(String, i64, &'static str, Value)> = Vec::with_capacity(10_000);
    let mut written = 0usize;
    'outer: for seq in 1..=per_device {
        for d in 0..devices {
            if written >= total {
                break 'outer;
            }
            let host = format!("B{d:06}");
            let port = u16::try_from(seq % 60_000 + 1).unwrap_or(22);
            let (ty, payload) = if seq == 1 {
                (
                    "DeviceRegistered",
                    serde_json::to_value(DeviceEvent::Registered { spec: spec(&host, port)? }).map_err(other)?,
                )
            } else {
                (
                    "DeviceUpdated",
                    serde_json::to_value(DeviceEvent::Updated { changes: vec![], spec: spec(&host, port)? })
                        .map_err(other)?,
                )
            };
            rows.push((format!("seed-{d}"), i64::try_from(seq).unwrap_or(1), ty, payload));
            written += 1;
            if rows.len() == 10_000 {
                flush(pool, &mut rows, &md).await?;
            }
        }
    }
    flush(pool, &mut rows, &md).await
}

async fn flush(
    pool: &PgPool,
    rows: &mut Vec<(String, i64, &'static str, Value)>,
    md: &Value,
) -> Result<(), BenchError> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let seqs: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let types: Vec<&str> = rows.iter().map(|r| r.2).collect();
    let payloads: Vec<&Value> = rows.iter().map(|r| &r.3).collect();
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'device', id, seq, ty, '1.0', p::json, $5::json
           FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::jsonb[]) AS u(id, seq, ty, p)",
    )
    .bind(&ids)
    .bind(&seqs)
    .bind(&types)
    .bind(&payloads)
    .bind(md)
    .execute(pool)
    .await?;
    rows.clear();
    Ok(())
}

async fn page_bench(s: &Scratch, clients: usize, requests: usize) -> Result<Value, BenchError> {
    let mut settings = crate::settings::Settings::from_env().map_err(other)?;
    settings.database_url = Some(s.url.clone());
    settings.addr = "127.0.0.1:0".parse().map_err(other)?;
    let app = crate::startup::Application::build(s.pool.clone(), settings).await.map_err(other)?;
    let password = "bench-password-not-secret-1";
    crate::backend::reset_password(&app.state, "admin", Some(password.into())).await.map_err(other)?;
    let addr = app.local_addr().map_err(other)?;
    // Sign-in reads the users projection, which may still be replaying the seeded log.
    let wait = Instant::now();
    while !app.state.hub.caught_up().await.map_err(other)? {
        if wait.elapsed() > Duration::from_secs(300) {
            return Err(other("projections did not catch up within 5 minutes"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let devices: i64 = sqlx::query_scalar("SELECT count(*) FROM devices").fetch_one(&s.pool).await?;
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder().cookie_store(true).build().map_err(other)?;
    let res = client
        .post(format!("http://{addr}/api/v1/session"))
        .json(&json!({ "username": "admin", "password": password }))
        .send()
        .await
        .map_err(other)?;
    if !res.status().is_success() {
        return Err(other(format!("bench sign-in failed: {}", res.status())));
    }
    let url = format!("http://{addr}/devices");
    // Warm up, and check the page really contains the rows.
    let body = client.get(&url).send().await.map_err(other)?.text().await.map_err(other)?;
    if !body.contains("device-table") {
        return Err(other("the inventory page did not render its table"));
    }
    // Baseline: the page's own list query, straight to PostgreSQL, same concurrency.
    let raw = Arc::new(tokio::sync::Mutex::new(Vec::with_capacity(requests)));
    let (p, r) = (s.pool.clone(), raw.clone());
    fan_out(clients, requests, move |_| {
        let (p, r) = (p.clone(), r.clone());
        async move {
            let t = Instant::now();
            // The two queries the inventory page's list makes.
            sqlx::query(
                "SELECT id, hostname, address, port, platform, vendor, model, site, group_path, tags, latitude,
                        longitude, credential_ref, notes, status, registered_at, updated_at, version
                   FROM devices ORDER BY lower(hostname), id LIMIT 50",
            )
            .fetch_all(&p)
            .await?;
            sqlx::query("SELECT count(*) FROM devices").fetch_one(&p).await?;
            r.lock().await.push(t.elapsed());
            Ok(())
        }
    })
    .await?;
    let lat = Arc::new(tokio::sync::Mutex::new(Vec::with_capacity(requests)));
    let (c, u, l) = (client.clone(), url.clone(), lat.clone());
    let elapsed = fan_out(clients, requests, move |_| {
        let (c, u, l) = (c.clone(), u.clone(), l.clone());
        async move {
            let t = Instant::now();
            let res = c.get(&u).send().await.map_err(other)?;
            if !res.status().is_success() {
                return Err(other(format!("inventory page answered {}", res.status())));
            }
            res.bytes().await.map_err(other)?;
            l.lock().await.push(t.elapsed());
            Ok(())
        }
    })
    .await?;
    let mut lat = lat.lock().await.clone();
    lat.sort();
    let mut raw = raw.lock().await.clone();
    raw.sort();
    Ok(json!({
        "devices": devices,
        "clients": clients,
        "requests": requests,
        "pages_per_s": rate(requests, elapsed),
        "p50_ms": ms(percentile(&lat, 0.5)),
        "p95_ms": ms(percentile(&lat, 0.95)),
        "raw_query_p95_ms": ms(percentile(&raw, 0.95)),
        "p95_vs_raw_ratio": percentile(&lat, 0.95).as_secs_f64() / percentile(&raw, 0.95).as_secs_f64().max(1e-9),
    }))
}

#[allow(clippy::print_stdout)]
pub async fn run(command: BenchCommand, pool: &PgPool) -> ExitCode {
    let args = match command {
        BenchCommand::Store(args) => args,
        BenchCommand::Ssh(args) => return crate::bench_ssh::run(args).await,
        BenchCommand::Ping(args) => return crate::bench_ping::run(args, pool).await,
    };
    match store_bench(pool, args).await {
        Ok(figures) => {
            println!("{figures}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench failed: {e}");
            ExitCode::from(1)
        }
    }
}
