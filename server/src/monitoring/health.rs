//! Device health: every active device's CPU, polled over SSH, written to `health_samples` and
//! checked against the CPU threshold (alert subject `device:<id>:cpu`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::device::Platform;
use domain::monitoring::{AlertMetric, AlertPolicy, AlertSubject};
use domain::parse::{parse, Parsed};
use futures::StreamExt;
use sqlx::Row;

use super::Inner;

/// Devices polled at the same time: a third of the SSH transport's default session limit, so
/// operations started during a poll still get sessions.
const CONCURRENCY: usize = 32;

/// The command whose output carries the CPU load, per platform.
#[must_use]
pub fn cpu_command(platform: Platform) -> &'static str {
    match platform {
        Platform::CiscoIos => "show processes cpu",
        Platform::ArubaAoscx => "show system resource-utilization",
        Platform::JuniperJunos => "show chassis routing-engine",
    }
}

/// The CPU percentage in a device's answer to `cpu_command` (five-second figure, else one minute).
pub fn cpu_from_output(platform: Platform, text: &str) -> Result<f64, String> {
    match parse(platform, cpu_command(platform), text) {
        Ok(Parsed::Resources(r)) => {
            r.cpu.five_sec.or(r.cpu.one_min).or(r.cpu.five_min).ok_or_else(|| "no CPU figure in the output".into())
        }
        Ok(_) => Err("unexpected output".into()),
        Err(e) => Err(e.to_string()),
    }
}

struct Reading {
    device_id: String,
    hostname: String,
    at: DateTime<Utc>,
    cpu: Result<f64, String>,
}

async fn read_cpu(inner: &Inner, device_id: &str) -> Result<f64, String> {
    let target = crate::device_access::ssh_target(&inner.pool, &inner.vault, device_id).await?;
    let mut session = inner.transport.open(&target).await.map_err(|e| e.to_string())?;
    let out = session.run(cpu_command(target.platform)).await;
    session.close().await;
    cpu_from_output(target.platform, &out.map_err(|e| e.to_string())?)
}

/// One poll of every active device.
async fn poll(inner: &Inner) -> Result<usize, sqlx::Error> {
    let devices: Vec<(String, String)> =
        sqlx::query("SELECT id, coalesce(hostname, id) AS hostname FROM devices WHERE status = 'active' ORDER BY id")
            .fetch_all(&inner.pool)
            .await?
            .iter()
            .map(|r| (r.get("id"), r.get("hostname")))
            .collect();
    let readings: Vec<Reading> = futures::stream::iter(devices)
        .map(|(device_id, hostname)| async move {
            let cpu = read_cpu(inner, &device_id).await;
            Reading { device_id, hostname, at: Utc::now(), cpu }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let n = readings.len();
    if n == 0 {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(n);
    let mut ats = Vec::with_capacity(n);
    let mut cpus: Vec<Option<f32>> = Vec::with_capacity(n);
    let mut errors: Vec<Option<String>> = Vec::with_capacity(n);
    for r in &readings {
        ids.push(r.device_id.clone());
        ats.push(r.at);
        #[allow(clippy::cast_possible_truncation)] // a percentage fits an f32
        cpus.push(r.cpu.as_ref().ok().map(|c| *c as f32));
        errors.push(r.cpu.as_ref().err().cloned());
    }
    sqlx::query(
        "INSERT INTO health_samples (device_id, at, cpu_pct, error)
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::real[], $4::text[])
         ON CONFLICT (device_id, at) DO NOTHING",
    )
    .bind(&ids)
    .bind(&ats)
    .bind(&cpus)
    .bind(&errors)
    .execute(&inner.pool)
    .await?;
    let policy = AlertPolicy { threshold: inner.config.cpu_threshold, cooldown_s: inner.config.cooldown_s };
    for r in readings {
        // An unreachable device is not a CPU problem: it gets an error sample and no alert.
        let Ok(cpu) = r.cpu else { continue };
        let subject = AlertSubject {
            metric: AlertMetric::Cpu,
            label: format!("{} CPU", r.hostname),
            job_id: None,
            device_id: Some(r.device_id),
            target: None,
        };
        inner.alerts.observe(subject, cpu, r.at, policy).await;
    }
    Ok(n)
}

/// Polls until the process ends. `interval` is the time between the starts of two polls; a
/// poll that takes longer delays the next instead of stacking polls up.
pub(crate) async fn run(inner: std::sync::Arc<Inner>, interval: Duration) {
    if let Err(e) = inner.alerts.load("device:").await {
        tracing::warn!(error = %e, "cannot read device alert states; starting from clear");
    }
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match poll(&inner).await {
            Ok(n) => tracing::debug!(devices = n, "device health polled"),
            Err(e) => tracing::warn!(error = %e, "device health poll failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_is_read_from_each_platforms_output() {
        let ios = "CPU utilization for five seconds: 93%/0%; one minute: 40%; five minutes: 12%\n PID Runtime(ms)\n";
        assert_eq!(cpu_from_output(Platform::CiscoIos, ios), Ok(93.0));
        assert!(cpu_from_output(Platform::CiscoIos, "% Invalid input detected at '^' marker.").is_err());
        assert!(cpu_from_output(Platform::CiscoIos, "\u{0}garbage\u{7f}").is_err());
    }
}
