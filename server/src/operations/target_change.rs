//! Push and restore on one device: pre-checks, backup, change, save, post-checks, comparison, and
//! automatic rollback to the pre-change configuration when a post-check fails.

use domain::config;
use domain::operation::{OperationKind, OperationSpec, TargetStatus};
use serde_json::{json, Value};

use super::checks::compare;
use super::runner::Recorder;
use super::target::{backup, open, read_configs, snapshot, Outcome};
use super::Inner;
use crate::adapters::ssh::{DeviceSession, SshError, SshTarget};

/// Undoes a change: the commands that bring the running configuration back to `pre`.
async fn rollback(session: &mut DeviceSession, pre: &str, rec: &Recorder) -> Result<Vec<String>, SshError> {
    let platform = session.platform();
    let (now, _) = read_configs(session).await?;
    let commands = config::remediation(platform, &now, pre);
    if !commands.is_empty() {
        rec.step(format!("rollback: sending {} line(s)", commands.len()), mask(platform, &commands)).await;
        session.configure(&commands).await?;
        session.save().await?;
    }
    Ok(commands)
}

fn mask(platform: domain::device::Platform, lines: &[String]) -> String {
    config::mask_secrets(platform, &lines.join("\n"))
}

pub(crate) async fn change(
    inner: &Inner,
    op_id: &str,
    spec: &OperationSpec,
    ssh: &SshTarget,
    rec: &Recorder,
) -> Outcome {
    let mut session = match open(inner, ssh, rec).await {
        Ok(s) => s,
        Err(e) => return Outcome::failed(e.to_string(), Value::Null),
    };
    let outcome = change_in(inner, op_id, spec, ssh, &mut session, rec).await;
    session.close().await;
    outcome
}

async fn change_in(
    inner: &Inner,
    op_id: &str,
    spec: &OperationSpec,
    ssh: &SshTarget,
    session: &mut DeviceSession,
    rec: &Recorder,
) -> Outcome {
    let platform = ssh.platform;
    let fail = |summary: String, details: Value| Outcome::failed(summary, details);
    let pre_snap = match snapshot(session, rec, "pre-check").await {
        Ok(s) => s,
        Err(e) => return fail(format!("pre-check: {e}"), Value::Null),
    };
    if let Some(cpu) = pre_snap.cpu.filter(|c| *c >= inner.config.cpu_limit) {
        return fail(
            format!(
                "pre-check failed: CPU {cpu:.0}% is at or above {:.0}%; change not attempted",
                inner.config.cpu_limit
            ),
            json!({ "pre": pre_snap }),
        );
    }
    let pre = match backup(inner, op_id, &ssh.device_id, session, rec).await {
        Ok(b) => b,
        Err(e) => return fail(format!("backup before change: {e}"), json!({ "pre": pre_snap })),
    };
    let commands = match &spec.candidate_hash {
        Some(hash) => match inner.vault.config(hash).await {
            Ok(Some(target)) => config::remediation(platform, &pre.running, &target),
            Ok(None) => return fail(format!("configuration {hash} is not in the archive"), Value::Null),
            Err(e) => return fail(format!("archive: {e}"), Value::Null),
        },
        None => match &spec.config_lines_hash {
            Some(hash) => match inner.vault.config(hash).await {
                Ok(Some(text)) => text.lines().map(str::to_owned).collect(),
                Ok(None) => return fail(format!("the lines to send ({hash}) are not in the archive"), Value::Null),
                Err(e) => return fail(format!("archive: {e}"), Value::Null),
            },
            None => spec.config_lines.clone(),
        },
    };
    let mut details = json!({
        "pre": pre_snap,
        "version_before": pre.version,
        "commands": mask(platform, &commands),
    });
    if commands.is_empty() {
        return Outcome {
            status: TargetStatus::Succeeded,
            summary: format!("already at the target configuration (version {})", pre.version),
            output: String::new(),
            details,
        };
    }
    rec.step(format!("sending {} line(s)", commands.len()), mask(platform, &commands)).await;
    let applied = match session.configure(&commands).await {
        // The device echoes the lines, secrets included.
        Ok(out) => config::mask_secrets(platform, &out),
        Err(e) => {
            // A refused line may leave part of the change applied: undo what did apply.
            let undo = rollback(session, &pre.running, rec).await;
            details["rollback_commands"] = json!(undo.as_ref().map(|c| mask(platform, c)).unwrap_or_default());
            let status = if undo.is_ok() { TargetStatus::RolledBack } else { TargetStatus::Failed };
            let undo_note = match undo {
                Ok(_) => "partial change rolled back".to_owned(),
                Err(u) => format!("rollback failed too: {u}"),
            };
            return Outcome {
                status,
                summary: format!("change refused: {e}; {undo_note}"),
                output: String::new(),
                details,
            };
        }
    };
    if let Err(e) = session.save().await {
        return Outcome {
            status: TargetStatus::Failed,
            summary: format!("applied but not saved: {e}"),
            output: applied,
            details,
        };
    }
    tokio::time::sleep(inner.config.settle).await;
    let post_snap = match snapshot(session, rec, "post-check").await {
        Ok(s) => s,
        Err(e) => {
            return Outcome {
                status: TargetStatus::Failed,
                summary: format!("post-check: {e}"),
                output: applied,
                details,
            }
        }
    };
    let report = compare(&pre_snap, &post_snap, inner.config.cpu_limit);
    details["post"] = json!(post_snap);
    details["report"] = json!(report);
    let verb = if spec.kind == OperationKind::Restore { "restored" } else { "applied" };
    if report.passed() {
        let after = backup(inner, op_id, &ssh.device_id, session, rec).await;
        let version = after.as_ref().map(|b| b.version).unwrap_or(pre.version);
        details["version_after"] = json!(version);
        return Outcome {
            status: TargetStatus::Succeeded,
            summary: format!("{verb} {} line(s); post-checks passed; now version {version}", commands.len()),
            output: applied,
            details,
        };
    }
    let failed = report.failures().join("; ");
    if !spec.rollback_on_failure {
        let _ = backup(inner, op_id, &ssh.device_id, session, rec).await;
        return Outcome {
            status: TargetStatus::Failed,
            summary: format!("post-check failed ({failed}); automatic rollback was disabled"),
            output: applied,
            details,
        };
    }
    rec.step(format!("post-check failed: {failed}"), "").await;
    match rollback(session, &pre.running, rec).await {
        Ok(undo) => {
            details["rollback_commands"] = json!(mask(platform, &undo));
            let after = backup(inner, op_id, &ssh.device_id, session, rec).await;
            details["version_after"] = json!(after.as_ref().map(|b| b.version).ok());
            Outcome {
                status: TargetStatus::RolledBack,
                summary: format!("post-check failed ({failed}); rolled back to version {}", pre.version),
                output: applied,
                details,
            }
        }
        Err(e) => Outcome {
            status: TargetStatus::Failed,
            summary: format!("post-check failed ({failed}); ROLLBACK FAILED: {e}"),
            output: applied,
            details,
        },
    }
}
