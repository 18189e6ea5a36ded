//! One device's part of an operation, by kind. Returns an outcome; never panics on device output.

use std::time::{Duration, Instant};

use cqrs_es::AggregateError;
use domain::archive::{ArchiveCommand, ArchiveError};
use domain::config;
use domain::device::Platform;
use domain::metadata::{EventMetadata, Source};
use domain::operation::{OperationKind, OperationSpec, TargetRef, TargetStatus};
use serde_json::{json, Value};
use sqlx::Row;

use super::checks::{self, Snapshot};
use super::runner::Recorder;
use super::Inner;
use crate::adapters::ssh::{DeviceSession, SshError, SshTarget};

pub(crate) struct Outcome {
    pub status: TargetStatus,
    pub summary: String,
    pub output: String,
    pub details: Value,
}

impl Outcome {
    pub(crate) fn failed(summary: impl Into<String>, details: Value) -> Self {
        Self { status: TargetStatus::Failed, summary: summary.into(), output: String::new(), details }
    }
}

pub(crate) async fn run_target(
    inner: &Inner,
    op_id: &str,
    spec: &OperationSpec,
    target: &TargetRef,
    rec: &Recorder,
) -> Outcome {
    let ssh = match crate::device_access::ssh_target(&inner.pool, &inner.vault, &target.device_id).await {
        Ok(t) => t,
        Err(e) => return Outcome::failed(e, Value::Null),
    };
    match spec.kind {
        OperationKind::Connectivity => connectivity(inner, &ssh, rec).await,
        OperationKind::Show => show(inner, &ssh, spec, rec).await,
        OperationKind::Backup => match open(inner, &ssh, rec).await {
            Ok(mut s) => {
                let out = backup(inner, op_id, &target.device_id, &mut s, rec).await;
                s.close().await;
                match out {
                    Ok(b) => Outcome {
                        status: TargetStatus::Succeeded,
                        summary: b.summary(),
                        output: String::new(),
                        details: b.details(),
                    },
                    Err(e) => Outcome::failed(e, Value::Null),
                }
            }
            Err(e) => Outcome::failed(e.to_string(), Value::Null),
        },
        OperationKind::Health => health(inner, &ssh, rec).await,
        OperationKind::Push | OperationKind::Restore => {
            // One change at a time per device, across operations.
            let _lock = inner.transport.lock_device(&target.device_id).await;
            super::target_change::change(inner, op_id, spec, &ssh, rec).await
        }
    }
}

pub(crate) async fn open(inner: &Inner, ssh: &SshTarget, rec: &Recorder) -> Result<DeviceSession, SshError> {
    let t = Instant::now();
    let s = inner.transport.open(ssh).await;
    match &s {
        Ok(_) => rec.step(format!("logged in ({} ms)", t.elapsed().as_millis()), "").await,
        Err(e) => rec.step(format!("login failed: {e}"), "").await,
    }
    s
}

async fn connectivity(inner: &Inner, ssh: &SshTarget, rec: &Recorder) -> Outcome {
    let mut details = serde_json::Map::new();
    let mut failures = Vec::new();
    // TCP reachability.
    let t = Instant::now();
    let tcp = tokio::time::timeout(
        inner.transport.config().connect_timeout,
        tokio::net::TcpStream::connect((ssh.host.as_str(), ssh.port)),
    )
    .await;
    let tcp_ms = t.elapsed().as_millis();
    match tcp {
        Ok(Ok(_)) => {
            rec.step(format!("TCP {}:{} reachable", ssh.host, ssh.port), "").await;
            details.insert("tcp_ms".into(), json!(tcp_ms));
        }
        Ok(Err(e)) => failures.push(format!("TCP: {e}")),
        Err(_) => failures.push(format!("TCP: no answer in {tcp_ms} ms")),
    }
    // SSH login.
    if failures.is_empty() {
        let t = Instant::now();
        match inner.transport.open(ssh).await {
            Ok(s) => {
                details.insert("ssh_login_ms".into(), json!(t.elapsed().as_millis()));
                details.insert("prompt".into(), json!(s.prompt().base));
                rec.step("SSH login", "").await;
                s.close().await;
            }
            Err(e) => failures.push(format!("SSH: {e}")),
        }
    }
    // ICMP echo.
    match crate::adapters::icmp::ping(&ssh.host, Duration::from_secs(1)).await {
        Ok(rtt) => {
            details.insert("ping_ms".into(), json!(rtt.as_secs_f64() * 1000.0));
            rec.step(format!("ping {:.2} ms", rtt.as_secs_f64() * 1000.0), "").await;
        }
        Err(e) => {
            details.insert("ping_error".into(), json!(e.to_string()));
            failures.push(format!("ping: {e}"));
        }
    }
    let details = Value::Object(details);
    if failures.is_empty() {
        let summary = format!(
            "reachable: TCP {} ms, SSH {} ms, ping {:.2} ms",
            details["tcp_ms"],
            details["ssh_login_ms"],
            details["ping_ms"].as_f64().unwrap_or_default()
        );
        Outcome { status: TargetStatus::Succeeded, summary, output: String::new(), details }
    } else {
        Outcome::failed(failures.join("; "), details)
    }
}

async fn show(inner: &Inner, ssh: &SshTarget, spec: &OperationSpec, rec: &Recorder) -> Outcome {
    let mut session = match open(inner, ssh, rec).await {
        Ok(s) => s,
        Err(e) => return Outcome::failed(e.to_string(), Value::Null),
    };
    let mut output = String::new();
    let mut parsed = serde_json::Map::new();
    let mut failed = None;
    for command in &spec.commands {
        match session.run(command).await {
            Ok(text) => {
                // Show output can carry secrets (`show running-config`): mask before it is recorded.
                let text = config::mask_secrets(ssh.platform, &text);
                rec.step(format!("$ {command}"), text.clone()).await;
                if let Ok(p) = domain::parse::parse(ssh.platform, command, &text) {
                    parsed.insert(command.clone(), serde_json::to_value(p).unwrap_or(Value::Null));
                }
                output.push_str(&format!("{}# {command}\n{text}\n", session.prompt().base));
            }
            Err(e) => {
                failed = Some(format!("{command}: {e}"));
                break;
            }
        }
    }
    session.close().await;
    let details = json!({ "parsed": parsed });
    match failed {
        None => Outcome {
            status: TargetStatus::Succeeded,
            summary: format!("{} command(s) run", spec.commands.len()),
            output,
            details,
        },
        Some(e) => Outcome { status: TargetStatus::Failed, summary: e, output, details },
    }
}

/// What a backup found.
pub(crate) struct BackupResult {
    pub version: i64,
    pub changed: bool,
    pub drift: bool,
    pub running_hash: String,
    pub running: String,
    pub bytes: usize,
}

impl BackupResult {
    pub fn summary(&self) -> String {
        let drift = if self.drift { "; running differs from startup" } else { "" };
        if self.changed {
            format!("new version {} ({} bytes){drift}", self.version, self.bytes)
        } else {
            format!("unchanged (version {}){drift}", self.version)
        }
    }

    pub fn details(&self) -> Value {
        json!({
            "version": self.version,
            "changed": self.changed,
            "drift": self.drift,
            "running_sha256": self.running_hash,
            "bytes": self.bytes,
        })
    }
}

/// The device's running (and startup) configuration as the archive stores it: normalised, and
/// for Junos in `set` form, which diffs line by line and can be turned back into commands.
pub(crate) async fn read_configs(session: &mut DeviceSession) -> Result<(String, Option<String>), SshError> {
    let platform = session.platform();
    match platform {
        Platform::JuniperJunos => {
            let running = session.run("show configuration | display set").await?;
            Ok((config::normalize(platform, &running), None))
        }
        Platform::CiscoIos | Platform::ArubaAoscx => {
            let running = session.run("show running-config").await?;
            let startup = session.run("show startup-config").await?;
            Ok((config::normalize(platform, &running), Some(config::normalize(platform, &startup))))
        }
    }
}

pub(crate) async fn backup(
    inner: &Inner,
    op_id: &str,
    device_id: &str,
    session: &mut DeviceSession,
    rec: &Recorder,
) -> Result<BackupResult, String> {
    let (running, startup) = read_configs(session).await.map_err(|e| e.to_string())?;
    if running.trim().is_empty() {
        return Err("the device returned an empty running configuration".into());
    }
    let running_hash = inner.vault.put_config(&running).await.map_err(|e| format!("archive: {e}"))?;
    let startup_hash = match &startup {
        Some(s) if !s.trim().is_empty() => Some(inner.vault.put_config(s).await.map_err(|e| format!("archive: {e}"))?),
        _ => None,
    };
    let cmd = ArchiveCommand::RecordBackup {
        running_hash: running_hash.clone(),
        startup_hash,
        operation_id: Some(op_id.to_owned()),
    };
    let meta = EventMetadata::new("system:operations", Source::Reactor, op_id.to_owned(), chrono::Utc::now());
    // Concurrent backups of one device (two operations) race on the archive's version: retry.
    let mut attempts = 0;
    loop {
        match inner.store.archives.execute_with_metadata(device_id, cmd.clone(), meta.to_map()).await {
            Ok(()) => break,
            Err(AggregateError::AggregateConflict) if attempts < 5 => attempts += 1,
            Err(AggregateError::UserError(ArchiveError::BadHash)) => return Err("archive refused the hash".into()),
            Err(e) => return Err(format!("archive: {}", crate::adapters::store::describe(&e))),
        }
    }
    let r = sqlx::query(
        "SELECT payload::jsonb AS p FROM events WHERE aggregate_type = 'config_archive' AND aggregate_id = $1
          ORDER BY sequence DESC LIMIT 1",
    )
    .bind(device_id)
    .fetch_one(&inner.pool)
    .await
    .map_err(|e| format!("archive: {e}"))?;
    let p: Value = r.get("p");
    let (changed, body) = match (p.get("ConfigVersionRecorded"), p.get("ConfigBackupUnchanged")) {
        (Some(b), _) => (true, b.clone()),
        (None, Some(b)) => (false, b.clone()),
        _ => return Err("archive: unexpected event".into()),
    };
    let result = BackupResult {
        version: body["version"].as_i64().unwrap_or_default(),
        changed,
        drift: body["drift"].as_bool().unwrap_or_default(),
        bytes: running.len(),
        running_hash,
        running,
    };
    rec.step(format!("backup: {}", result.summary()), "").await;
    Ok(result)
}

/// The check commands of a platform, and the snapshot parsed from their output.
pub(crate) async fn snapshot(session: &mut DeviceSession, rec: &Recorder, label: &str) -> Result<Snapshot, SshError> {
    let platform = session.platform();
    let mut outputs = Vec::new();
    for &command in checks::commands(platform) {
        let text = session.run(command).await?;
        outputs.push((command, text));
    }
    let snap = checks::snapshot(platform, &outputs);
    rec.step(format!("{label}: {}", snap.describe()), "").await;
    Ok(snap)
}

async fn health(inner: &Inner, ssh: &SshTarget, rec: &Recorder) -> Outcome {
    let mut session = match open(inner, ssh, rec).await {
        Ok(s) => s,
        Err(e) => return Outcome::failed(e.to_string(), Value::Null),
    };
    let mut outputs = Vec::new();
    let mut output = String::new();
    let mut error = None;
    for &command in checks::health_commands(ssh.platform) {
        match session.run(command).await {
            Ok(text) => {
                output.push_str(&format!("# {command}\n{text}\n"));
                outputs.push((command, text));
            }
            Err(e) => {
                error = Some(format!("{command}: {e}"));
                break;
            }
        }
    }
    session.close().await;
    if let Some(e) = error {
        return Outcome { status: TargetStatus::Failed, summary: e, output, details: Value::Null };
    }
    let h = checks::health(ssh.platform, &outputs, inner.config.cpu_limit);
    rec.step(h.summary.clone(), "").await;
    Outcome {
        status: if h.healthy { TargetStatus::Succeeded } else { TargetStatus::Failed },
        summary: h.summary.clone(),
        output,
        details: serde_json::to_value(&h).unwrap_or(Value::Null),
    }
}
