//! `netledger bench ssh`: config backup of lab devices over SSH, against netmiko on the same lab.
//!
//! Starts an in-process lab of N devices on 127.0.0.1, backs all of them up through
//! [`SshTransport`] with C sessions at once, then has netmiko (tests/netmiko/bench_backup.py, a
//! thread pool of 50) back up 100 of them, and compares per-device throughput. Needs no database.

use std::net::Ipv4Addr;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use crate::adapters::ssh::{backup, HostKeyStore, MemoryHostKeys, SshConfig, SshError, SshTarget, SshTransport};
use crate::lab::{Lab, LabDeviceInfo, Topology};

/// Threads in netmiko's pool, as the comparison prescribes.
const NETMIKO_WORKERS: usize = 50;
const NETMIKO_DEFAULT_DEVICES: usize = 100;

#[derive(clap::Args, Debug, Clone)]
pub struct SshBench {
    /// Lab devices to back up.
    #[arg(long, default_value_t = 1_000)]
    pub devices: usize,
    /// Concurrent SSH sessions.
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
enum BenchError {
    #[error("lab: {0}")]
    Lab(#[from] crate::lab::LabError),
    #[error("{failed} of {devices} backups failed; first: {first}")]
    Backups { failed: usize, devices: usize, first: String },
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 10_000.0).round() / 10.0
}

fn target_of(device: &LabDeviceInfo) -> SshTarget {
    SshTarget {
        device_id: device.name.clone(),
        host: device.address.to_string(),
        port: device.port,
        platform: device.platform,
        username: device.username.clone(),
        password: device.password.clone(),
        enable_secret: Some(device.enable_secret.clone()),
        jump: None,
    }
}

struct RustFigures {
    wall: Duration,
    per_device: Vec<Duration>,
    config_bytes: usize,
}

async fn rust_backups(devices: &[LabDeviceInfo], concurrency: usize) -> Result<RustFigures, BenchError> {
    let keys: Arc<dyn HostKeyStore> = Arc::new(MemoryHostKeys::new());
    let transport = SshTransport::new(SshConfig { max_sessions: concurrency, ..SshConfig::default() }, keys);
    let started = Instant::now();
    // At most `concurrency` devices in flight, so a device's time is its own work, not queueing;
    // each on its own task so both cores drive sessions.
    let results: Vec<Result<(Duration, usize), (String, String)>> =
        futures::stream::iter(devices.iter().map(target_of))
            .map(|target| {
                let transport = transport.clone();
                let device = target.device_id.clone();
                let task = tokio::spawn(async move {
                    let t0 = Instant::now();
                    let mut session = transport.open(&target).await?;
                    let configs = backup(&mut session).await?;
                    session.close().await;
                    Ok::<_, SshError>((t0.elapsed(), configs.running.len() + configs.startup.len()))
                });
                async move {
                    match task.await {
                        Ok(Ok(done)) => Ok(done),
                        Ok(Err(e)) => Err((device, e.to_string())),
                        Err(e) => Err((device, format!("task failed: {e}"))),
                    }
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    let wall = started.elapsed();
    let mut per_device = Vec::with_capacity(results.len());
    let mut config_bytes = 0;
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok((elapsed, bytes)) => {
                per_device.push(elapsed);
                config_bytes += bytes;
            }
            Err((device, error)) => failures.push(format!("{device}: {error}")),
        }
    }
    if let Some(first) = failures.first() {
        return Err(BenchError::Backups { failed: failures.len(), devices: devices.len(), first: first.clone() });
    }
    per_device.sort_unstable();
    Ok(RustFigures { wall, per_device, config_bytes })
}

/// Runs the netmiko baseline; `Err` says why there is no figure (never a made-up one).
async fn netmiko_backups(devices: &[LabDeviceInfo]) -> Result<Value, String> {
    let script = std::env::var("NETLEDGER_BENCH_NETMIKO_SCRIPT")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/netmiko/bench_backup.py").to_owned());
    let mut input = Vec::new();
    for d in devices {
        let line = json!({
            "name": d.name, "platform": d.platform.as_str(), "host": d.address.to_string(), "port": d.port,
            "username": d.username, "password": d.password, "secret": d.enable_secret,
        });
        input.extend_from_slice(line.to_string().as_bytes());
        input.push(b'\n');
    }
    // The Python that has netmiko: scripts/setup installs it in a venv and exports NETLEDGER_PYTHON.
    let python = std::env::var("NETLEDGER_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let mut child = tokio::process::Command::new(&python)
        .arg(&script)
        .arg("--workers")
        .arg(NETMIKO_WORKERS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {python} {script}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(&input).await.map_err(|e| format!("writing to netmiko bench: {e}"))?;
    }
    let output = child.wait_with_output().await.map_err(|e| format!("netmiko bench: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let figures: Value = serde_json::from_str(last).map_err(|_| {
        format!(
            "netmiko bench printed no figures (exit {}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    if figures["available"] != json!(true) {
        return Err(format!("netmiko unavailable: {}", figures["error"].as_str().unwrap_or("import failed")));
    }
    if figures["ok"].as_u64().unwrap_or(0) == 0 {
        return Err(format!("netmiko backed up no device: {}", figures["errors"]));
    }
    Ok(figures)
}

#[allow(clippy::print_stdout, clippy::cast_precision_loss)]
pub async fn run(args: SshBench) -> ExitCode {
    let n = args.devices.max(1);
    let concurrency = args.concurrency.max(1);
    println!("bench ssh: {n} lab devices, {concurrency} concurrent sessions");
    let lab = match Lab::start(Topology::scaled(n).with_bind(Ipv4Addr::LOCALHOST, 0)).await {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("bench failed: {}", BenchError::Lab(e));
            return ExitCode::from(1);
        }
    };
    let devices = lab.devices();

    let rust = match rust_backups(&devices, concurrency).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("bench failed: {e}");
            lab.shutdown().await;
            return ExitCode::from(1);
        }
    };
    let rust_rate = rust.per_device.len() as f64 / rust.wall.as_secs_f64();
    let (p50, p95) = (percentile(&rust.per_device, 50.0), percentile(&rust.per_device, 95.0));
    println!(
        "  russh: {} devices in {:.2}s = {rust_rate:.1} devices/s; per device p50 {:.1} ms, p95 {:.1} ms; {} config bytes (target: 1000 in < 10 s)",
        rust.per_device.len(),
        rust.wall.as_secs_f64(),
        ms(p50),
        ms(p95),
        rust.config_bytes
    );

    let netmiko_count = std::env::var("NETLEDGER_BENCH_NETMIKO_DEVICES")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(NETMIKO_DEFAULT_DEVICES)
        .min(devices.len());
    let netmiko = if netmiko_count == 0 {
        Err("netmiko comparison disabled (NETLEDGER_BENCH_NETMIKO_DEVICES=0)".to_owned())
    } else {
        netmiko_backups(&devices[..netmiko_count]).await
    };
    lab.shutdown().await;

    let mut figures = json!({
        "devices": rust.per_device.len(),
        "concurrency": concurrency,
        "wall_s": (rust.wall.as_secs_f64() * 1000.0).round() / 1000.0,
        "devices_per_s": (rust_rate * 10.0).round() / 10.0,
        "p50_ms": ms(p50),
        "p95_ms": ms(p95),
        "target_met_under_10s_per_1000": rust.wall.as_secs_f64() * 1000.0 / (n as f64) < 10.0,
    });
    match netmiko {
        Ok(nm) => {
            let nm_rate = nm["devices_per_s"].as_f64().unwrap_or(0.0);
            let ratio = if nm_rate > 0.0 { Some((rust_rate / nm_rate * 100.0).round() / 100.0) } else { None };
            println!(
                "  netmiko {}: {} of {} devices in {}s = {nm_rate:.1} devices/s; per device p50 {} ms, p95 {} ms ({NETMIKO_WORKERS} threads)",
                nm["netmiko_version"].as_str().unwrap_or("?"),
                nm["ok"],
                nm["devices"],
                nm["wall_s"],
                nm["p50_ms"],
                nm["p95_ms"],
            );
            if let Some(ratio) = ratio {
                println!("  ratio (devices/s russh / netmiko): {ratio:.1}x (target >= 10x)");
            }
            figures["netmiko"] = nm;
            figures["ratio"] = json!(ratio);
        }
        Err(why) => {
            println!("  netmiko: no figure ({why}); no ratio reported");
            figures["netmiko"] = Value::Null;
            figures["netmiko_unavailable"] = json!(why);
            figures["ratio"] = Value::Null;
        }
    }
    println!("{figures}");
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 95.0), Duration::from_millis(95));
        assert_eq!(percentile(&v[..1], 95.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[tokio::test]
    async fn backs_up_a_small_lab() {
        let lab = match Lab::start(Topology::scaled(20).with_bind(Ipv4Addr::LOCALHOST, 0)).await {
            Ok(lab) => lab,
            Err(e) => panic!("{e}"),
        };
        let figures = rust_backups(&lab.devices(), 5).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(figures.per_device.len(), 20);
        assert!(figures.config_bytes > 20 * 200);
        lab.shutdown().await;
    }
}
