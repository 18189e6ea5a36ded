//! What an operation does and to which devices, validated before anything is recorded.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::FieldErrors;

/// Stored output per target is capped: events are kept forever and a runaway `show tech` must not
/// bloat the log. The cap is recorded with the output so readers know it was cut.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;
/// Upper bound of one operation's parallel sessions; the transport has its own global limit too.
pub const MAX_CONCURRENCY: u16 = 200;
const MAX_TARGETS: usize = 10_000;
const MAX_COMMANDS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// TCP reachability, SSH login and ICMP echo, each timed.
    Connectivity,
    /// Run show commands and keep their output.
    Show,
    /// Back up running and startup configuration.
    Backup,
    /// Change the configuration, with pre/post checks and automatic rollback.
    Push,
    /// Bring a device back to a stored configuration version (a push whose target is that version).
    Restore,
    /// CPU, memory, uptime and interface state parsed into fields.
    Health,
}

impl OperationKind {
    pub const ALL: [Self; 6] = [Self::Connectivity, Self::Show, Self::Backup, Self::Push, Self::Restore, Self::Health];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Connectivity => "connectivity",
            Self::Show => "show",
            Self::Backup => "backup",
            Self::Push => "push",
            Self::Restore => "restore",
            Self::Health => "health",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::Connectivity => "Connectivity test",
            Self::Show => "Show commands",
            Self::Backup => "Config backup",
            Self::Push => "Config push",
            Self::Restore => "Config restore",
            Self::Health => "Health check",
        }
    }

    /// Whether the operation changes device configuration (locks the device, needs the push right).
    #[must_use]
    pub const fn changes_config(self) -> bool {
        matches!(self, Self::Push | Self::Restore)
    }
}

impl fmt::Display for OperationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OperationKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| "must be connectivity, show, backup, push, restore or health".into())
    }
}

/// A device an operation runs on, with the hostname it had when the operation was requested.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TargetRef {
    pub device_id: String,
    pub hostname: String,
}

/// An operation as the engineer asked for it (form or API), before targets are resolved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationRequest {
    pub kind: String,
    /// Explicit devices (ids).
    pub device_ids: Vec<String>,
    /// A group path: every active device in it or below.
    pub group: String,
    /// A tag: every active device carrying it.
    pub tag: String,
    /// Show commands, one per entry (kind `show`).
    pub commands: Vec<String>,
    /// Configuration lines to send (kind `push`), one per entry, in configuration-mode syntax.
    pub config_lines: Vec<String>,
    /// The full configuration the device should end up with (kind `push` on one device, or
    /// `restore`): the commands are derived from its difference with the running config.
    pub candidate: Option<String>,
    /// Config version number to restore (kind `restore`).
    pub restore_version: Option<i64>,
    pub reason: String,
    pub concurrency: Option<u16>,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Roll back automatically when a post-check fails (push/restore). Defaults to true.
    pub rollback_on_failure: Option<bool>,
}

/// A validated operation: what the aggregate records. Candidate configurations are referenced by
/// content hash (stored in the config archive), never embedded: configs carry secrets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationSpec {
    pub kind: OperationKind,
    pub targets: Vec<TargetRef>,
    /// How the targets were chosen, for people reading history ("group core/paris", "3 devices").
    pub selection: String,
    #[serde(default)]
    pub commands: Vec<String>,
    /// The lines to send as people may read them: secrets masked. The lines as sent are in the
    /// config archive under `config_lines_hash` (a `username ... secret ...` line must not reach
    /// the event log).
    #[serde(default)]
    pub config_lines: Vec<String>,
    #[serde(default)]
    pub config_lines_hash: Option<String>,
    #[serde(default)]
    pub candidate_hash: Option<String>,
    #[serde(default)]
    pub restore_version: Option<i64>,
    #[serde(default)]
    pub reason: String,
    pub concurrency: u16,
    #[serde(default)]
    pub scheduled_at: Option<DateTime<Utc>>,
    #[serde(default = "yes")]
    pub rollback_on_failure: bool,
}

const fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub FieldErrors);

/// Commands an engineer may run: read-only ones. Admins may run anything.
#[must_use]
pub fn is_read_only_command(command: &str) -> bool {
    let c = command.trim().to_ascii_lowercase();
    let first = c.split_whitespace().next().unwrap_or("");
    // "sh", "sho", "show" — IOS accepts any unambiguous prefix.
    let verb_ok = (first.len() >= 2 && "show".starts_with(first)) || first == "ping" || first == "traceroute";
    // Output redirection writes to the device's file system.
    let writes = c.split('|').skip(1).any(|pipe| {
        let p = pipe.trim_start();
        ["redirect", "append", "tee", "save"].iter().any(|w| p.starts_with(w))
    });
    verb_ok && !writes && !c.contains(['\n', '\r', ';'])
}

fn clean_lines(field: &str, raw: &[String], max: usize, e: &mut FieldErrors) -> Vec<String> {
    let lines: Vec<String> =
        raw.iter().flat_map(|s| s.lines()).map(|l| l.trim_end().to_owned()).filter(|l| !l.trim().is_empty()).collect();
    if lines.len() > max {
        e.push(field, format!("at most {max} lines"));
    }
    if lines.iter().any(|l| l.chars().any(|c| c.is_control() && c != '\t') || l.len() > 1_000) {
        e.push(field, "lines must be at most 1,000 characters without control characters");
    }
    lines
}

impl OperationSpec {
    /// Validates a request whose targets the caller already resolved. `free_commands` lifts the
    /// read-only allowlist (administrators).
    pub fn new(
        kind: OperationKind,
        request: &OperationRequest,
        targets: Vec<TargetRef>,
        selection: String,
        candidate_hash: Option<String>,
        free_commands: bool,
        now: DateTime<Utc>,
    ) -> Result<Self, SpecError> {
        let mut e = FieldErrors::default();
        if targets.is_empty() {
            e.push("targets", "choose at least one device, a group or a tag");
        }
        if targets.len() > MAX_TARGETS {
            e.push("targets", format!("at most {MAX_TARGETS} devices per operation"));
        }
        let commands = clean_lines("commands", &request.commands, MAX_COMMANDS, &mut e);
        let config_lines = clean_lines("config_lines", &request.config_lines, 5_000, &mut e);
        match kind {
            OperationKind::Show => {
                if commands.is_empty() {
                    e.push("commands", "enter at least one command");
                }
                if !free_commands {
                    for c in commands.iter().filter(|c| !is_read_only_command(c)) {
                        e.push(
                            "commands",
                            format!("'{c}' is not a read-only command (only administrators may run it)"),
                        );
                    }
                }
            }
            OperationKind::Push => {
                if config_lines.is_empty() && candidate_hash.is_none() {
                    e.push("config_lines", "enter the configuration lines to send, or a candidate configuration");
                }
                if candidate_hash.is_some() && targets.len() > 1 {
                    e.push("candidate", "a candidate configuration applies to one device");
                }
            }
            OperationKind::Restore => {
                if request.restore_version.is_none() || candidate_hash.is_none() {
                    e.push("restore_version", "choose the version to restore");
                }
                if targets.len() != 1 {
                    e.push("targets", "a restore applies to exactly one device");
                }
            }
            OperationKind::Connectivity | OperationKind::Backup | OperationKind::Health => {}
        }
        let reason = request.reason.trim().to_owned();
        if kind.changes_config() && reason.is_empty() {
            e.push("reason", "say why this change is made (kept in the audit trail)");
        }
        if reason.chars().count() > 500 {
            e.push("reason", "must be at most 500 characters");
        }
        let concurrency = request.concurrency.unwrap_or(20);
        if concurrency == 0 || concurrency > MAX_CONCURRENCY {
            e.push("concurrency", format!("must be between 1 and {MAX_CONCURRENCY}"));
        }
        if let Some(at) = request.scheduled_at {
            if at < now - chrono::Duration::minutes(1) {
                e.push("scheduled_at", "is in the past");
            }
        }
        if !e.is_empty() {
            return Err(SpecError(e));
        }
        Ok(Self {
            kind,
            targets,
            selection,
            commands,
            config_lines,
            config_lines_hash: None,
            candidate_hash,
            restore_version: request.restore_version,
            reason,
            concurrency,
            scheduled_at: request.scheduled_at.filter(|at| *at > now),
            rollback_on_failure: request.rollback_on_failure.unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(n: usize) -> Vec<TargetRef> {
        (0..n).map(|i| TargetRef { device_id: format!("d{i}"), hostname: format!("R{i}") }).collect()
    }

    #[test]
    fn engineers_run_only_read_only_commands() {
        for ok in ["show version", "sh ip int br", "show run | include hostname", "ping 10.0.0.1"] {
            assert!(is_read_only_command(ok), "{ok}");
        }
        for bad in ["reload", "configure terminal", "s", "show run | redirect flash:x", "show ver\nreload", "write"] {
            assert!(!is_read_only_command(bad), "{bad}");
        }
    }

    #[test]
    fn a_show_operation_refuses_config_commands_unless_free() {
        let req = OperationRequest { commands: vec!["show version".into(), "reload".into()], ..Default::default() };
        let now = Utc::now();
        let err = OperationSpec::new(OperationKind::Show, &req, t(1), "1 device".into(), None, false, now).unwrap_err();
        assert!(err.to_string().contains("'reload' is not a read-only command"), "{err}");
        let ok = OperationSpec::new(OperationKind::Show, &req, t(1), "1 device".into(), None, true, now).unwrap();
        assert_eq!(ok.commands, ["show version", "reload"]);
    }

    #[test]
    fn changes_need_a_reason_and_targets() {
        let req = OperationRequest { config_lines: vec!["interface Gi1\n description x".into()], ..Default::default() };
        let err = OperationSpec::new(OperationKind::Push, &req, vec![], String::new(), None, false, Utc::now())
            .unwrap_err()
            .0;
        assert!(err.get("reason").is_some() && err.get("targets").is_some(), "{err:?}");
        let req = OperationRequest { reason: " ticket 42 ".into(), ..req };
        let spec =
            OperationSpec::new(OperationKind::Push, &req, t(2), "2 devices".into(), None, false, Utc::now()).unwrap();
        assert_eq!(spec.config_lines, ["interface Gi1", " description x"]);
        assert_eq!(spec.reason, "ticket 42");
        assert!(spec.rollback_on_failure);
    }

    #[test]
    fn concurrency_and_schedule_are_bounded() {
        let now = Utc::now();
        let req = OperationRequest {
            concurrency: Some(0),
            scheduled_at: Some(now - chrono::Duration::hours(1)),
            ..Default::default()
        };
        let err = OperationSpec::new(OperationKind::Backup, &req, t(1), String::new(), None, false, now).unwrap_err().0;
        assert!(err.get("concurrency").is_some() && err.get("scheduled_at").is_some(), "{err:?}");
    }
}
