//! The `Operation` aggregate: the life of one run and each target's part in it.

use std::collections::BTreeMap;

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::spec::{OperationSpec, MAX_OUTPUT_BYTES};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    #[default]
    New,
    /// Requested to run at a later time.
    Scheduled,
    /// Requested to run now, not yet picked up.
    Queued,
    Running,
    /// Every target succeeded.
    Completed,
    /// At least one target failed or was rolled back.
    Failed,
    Cancelled,
}

impl OperationStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Scheduled => "scheduled",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    #[must_use]
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    #[default]
    Pending,
    Running,
    Succeeded,
    Failed,
    /// A change whose post-checks failed and that was undone.
    RolledBack,
    Cancelled,
}

impl TargetStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::RolledBack => "rolled_back",
            Self::Cancelled => "cancelled",
        }
    }

    #[must_use]
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::RolledBack | Self::Cancelled)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OperationCommand {
    Request {
        id: String,
        spec: OperationSpec,
    },
    Start,
    StartTarget {
        device_id: String,
    },
    /// A step of a target's run (login, a command, a check) with its output so far.
    Progress {
        device_id: String,
        step: String,
        output: String,
        elapsed_ms: u64,
    },
    FinishTarget {
        device_id: String,
        status: TargetStatus,
        summary: String,
        output: String,
        details: Value,
        duration_ms: u64,
    },
    /// Stops targets that have not started; running ones finish their current device.
    Cancel {
        by: String,
        reason: String,
    },
    /// Closes the run once every target is finished.
    Finish,
}

/// Stored event names are frozen (`serde(rename)`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OperationEvent {
    #[serde(rename = "OperationRequested")]
    Requested { id: String, spec: OperationSpec },
    #[serde(rename = "OperationStarted")]
    Started,
    #[serde(rename = "OperationTargetStarted")]
    TargetStarted { device_id: String },
    #[serde(rename = "OperationTargetProgress")]
    TargetProgress { device_id: String, step: String, output: String, elapsed_ms: u64 },
    #[serde(rename = "OperationTargetFinished")]
    TargetFinished {
        device_id: String,
        status: TargetStatus,
        summary: String,
        output: String,
        /// Parsed results: timings, health fields, check reports, config version.
        details: Value,
        duration_ms: u64,
    },
    #[serde(rename = "OperationCancelled")]
    Cancelled { by: String, reason: String, cancelled_targets: Vec<String> },
    #[serde(rename = "OperationFinished")]
    Finished { status: OperationStatus, succeeded: u32, failed: u32, cancelled: u32 },
}

impl DomainEvent for OperationEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Requested { .. } => "OperationRequested",
            Self::Started => "OperationStarted",
            Self::TargetStarted { .. } => "OperationTargetStarted",
            Self::TargetProgress { .. } => "OperationTargetProgress",
            Self::TargetFinished { .. } => "OperationTargetFinished",
            Self::Cancelled { .. } => "OperationCancelled",
            Self::Finished { .. } => "OperationFinished",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OperationError {
    #[error("operation already exists")]
    AlreadyRequested,
    #[error("operation does not exist")]
    NotFound,
    #[error("operation is already {0}")]
    AlreadyFinished(&'static str),
    #[error("operation is not running")]
    NotRunning,
    #[error("device {0} is not a target of this operation")]
    UnknownTarget(String),
    #[error("target {0} is {1}")]
    TargetState(String, &'static str),
    #[error("{0} targets are still pending or running")]
    TargetsOutstanding(usize),
    #[error("a reason is required (at most 500 characters)")]
    ReasonRequired,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    pub status: OperationStatus,
    pub spec: Option<OperationSpec>,
    pub targets: BTreeMap<String, TargetStatus>,
    pub cancelled: bool,
}

/// Cuts text at a character boundary at most `MAX_OUTPUT_BYTES` long, saying so.
fn capped(output: String) -> String {
    if output.len() <= MAX_OUTPUT_BYTES {
        return output;
    }
    let mut end = MAX_OUTPUT_BYTES;
    while !output.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n[output truncated at {MAX_OUTPUT_BYTES} bytes of {}]", &output[..end], output.len())
}

impl Operation {
    fn target(&self, device_id: &str) -> Result<TargetStatus, OperationError> {
        self.targets.get(device_id).copied().ok_or_else(|| OperationError::UnknownTarget(device_id.to_owned()))
    }

    fn ensure_open(&self) -> Result<(), OperationError> {
        match self.status {
            OperationStatus::New => Err(OperationError::NotFound),
            s if s.is_finished() => Err(OperationError::AlreadyFinished(s.as_str())),
            _ => Ok(()),
        }
    }

    pub fn decide(&self, cmd: OperationCommand) -> Result<Vec<OperationEvent>, OperationError> {
        use OperationCommand as C;
        use OperationEvent as E;
        if let C::Request { id, spec } = cmd {
            if self.status != OperationStatus::New {
                return Err(OperationError::AlreadyRequested);
            }
            return Ok(vec![E::Requested { id, spec }]);
        }
        self.ensure_open()?;
        Ok(match cmd {
            C::Request { .. } => return Err(OperationError::AlreadyRequested),
            C::Start => match self.status {
                OperationStatus::Running => vec![],
                _ => vec![E::Started],
            },
            C::StartTarget { device_id } => {
                if self.status != OperationStatus::Running {
                    return Err(OperationError::NotRunning);
                }
                match self.target(&device_id)? {
                    TargetStatus::Pending => vec![E::TargetStarted { device_id }],
                    s => return Err(OperationError::TargetState(device_id, s.as_str())),
                }
            }
            C::Progress { device_id, step, output, elapsed_ms } => match self.target(&device_id)? {
                TargetStatus::Running => {
                    vec![E::TargetProgress { device_id, step, output: capped(output), elapsed_ms }]
                }
                s => return Err(OperationError::TargetState(device_id, s.as_str())),
            },
            C::FinishTarget { device_id, status, summary, output, details, duration_ms } => {
                match self.target(&device_id)? {
                    // A target may fail before it starts (unknown credentials, open circuit).
                    TargetStatus::Running | TargetStatus::Pending if status.is_finished() => {
                        vec![E::TargetFinished {
                            device_id,
                            status,
                            summary,
                            output: capped(output),
                            details,
                            duration_ms,
                        }]
                    }
                    s => return Err(OperationError::TargetState(device_id, s.as_str())),
                }
            }
            C::Cancel { by, reason } => {
                let reason = reason.trim().to_owned();
                if reason.chars().count() > 500 {
                    return Err(OperationError::ReasonRequired);
                }
                if self.cancelled {
                    return Ok(vec![]);
                }
                let cancelled_targets = self
                    .targets
                    .iter()
                    .filter(|(_, s)| **s == TargetStatus::Pending)
                    .map(|(id, _)| id.clone())
                    .collect();
                vec![E::Cancelled { by, reason, cancelled_targets }]
            }
            C::Finish => {
                let outstanding = self.targets.values().filter(|s| !s.is_finished()).count();
                if outstanding > 0 {
                    return Err(OperationError::TargetsOutstanding(outstanding));
                }
                let count = |want: &[TargetStatus]| {
                    u32::try_from(self.targets.values().filter(|s| want.contains(s)).count()).unwrap_or(u32::MAX)
                };
                let succeeded = count(&[TargetStatus::Succeeded]);
                let failed = count(&[TargetStatus::Failed, TargetStatus::RolledBack]);
                let cancelled = count(&[TargetStatus::Cancelled]);
                let status = if self.cancelled {
                    OperationStatus::Cancelled
                } else if failed > 0 {
                    OperationStatus::Failed
                } else {
                    OperationStatus::Completed
                };
                vec![E::Finished { status, succeeded, failed, cancelled }]
            }
        })
    }

    pub fn evolve(&mut self, event: OperationEvent) {
        use OperationEvent as E;
        match event {
            E::Requested { spec, .. } => {
                self.status =
                    if spec.scheduled_at.is_some() { OperationStatus::Scheduled } else { OperationStatus::Queued };
                self.targets = spec.targets.iter().map(|t| (t.device_id.clone(), TargetStatus::Pending)).collect();
                self.spec = Some(spec);
            }
            E::Started => self.status = OperationStatus::Running,
            E::TargetStarted { device_id } => {
                self.targets.insert(device_id, TargetStatus::Running);
            }
            E::TargetProgress { .. } => {}
            E::TargetFinished { device_id, status, .. } => {
                self.targets.insert(device_id, status);
            }
            E::Cancelled { cancelled_targets, .. } => {
                self.cancelled = true;
                for id in cancelled_targets {
                    self.targets.insert(id, TargetStatus::Cancelled);
                }
            }
            E::Finished { status, .. } => self.status = status,
        }
    }

    /// Targets not yet started, in request order.
    #[must_use]
    pub fn pending_targets(&self) -> Vec<String> {
        let Some(spec) = &self.spec else { return vec![] };
        spec.targets
            .iter()
            .filter(|t| self.targets.get(&t.device_id) == Some(&TargetStatus::Pending))
            .map(|t| t.device_id.clone())
            .collect()
    }
}

decider_aggregate!(Operation, "operation", OperationCommand, OperationEvent, OperationError);

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::operation::{OperationKind, OperationRequest, TargetRef};

    fn spec(n: usize) -> OperationSpec {
        let targets = (0..n).map(|i| TargetRef { device_id: format!("d{i}"), hostname: format!("R{i}") }).collect();
        OperationSpec::new(
            OperationKind::Backup,
            &OperationRequest::default(),
            targets,
            format!("{n} devices"),
            None,
            false,
            Utc::now(),
        )
        .unwrap()
    }

    fn run(events: &[OperationEvent]) -> Operation {
        let mut op = Operation::default();
        for e in events {
            op.evolve(e.clone());
        }
        op
    }

    fn finish(id: &str, status: TargetStatus) -> OperationCommand {
        OperationCommand::FinishTarget {
            device_id: id.into(),
            status,
            summary: String::new(),
            output: String::new(),
            details: Value::Null,
            duration_ms: 1,
        }
    }

    fn apply(op: &mut Operation, cmd: OperationCommand) {
        for e in op.decide(cmd).unwrap() {
            op.evolve(e);
        }
    }

    #[test]
    fn a_run_goes_from_queued_to_completed_through_each_target() {
        let mut op = run(&[OperationEvent::Requested { id: "op1".into(), spec: spec(2) }]);
        assert_eq!(op.status, OperationStatus::Queued);
        assert_eq!(
            op.decide(OperationCommand::StartTarget { device_id: "d0".into() }),
            Err(OperationError::NotRunning)
        );
        apply(&mut op, OperationCommand::Start);
        for id in ["d0", "d1"] {
            apply(&mut op, OperationCommand::StartTarget { device_id: id.into() });
            apply(&mut op, finish(id, TargetStatus::Succeeded));
        }
        let events = op.decide(OperationCommand::Finish).unwrap();
        assert_eq!(
            events,
            [OperationEvent::Finished { status: OperationStatus::Completed, succeeded: 2, failed: 0, cancelled: 0 }]
        );
    }

    #[test]
    fn cancel_stops_pending_targets_and_records_who() {
        let mut op = run(&[OperationEvent::Requested { id: "op1".into(), spec: spec(3) }, OperationEvent::Started]);
        apply(&mut op, OperationCommand::StartTarget { device_id: "d0".into() });
        let events = op.decide(OperationCommand::Cancel { by: "alice".into(), reason: "wrong window".into() }).unwrap();
        assert_eq!(
            events,
            [OperationEvent::Cancelled {
                by: "alice".into(),
                reason: "wrong window".into(),
                cancelled_targets: vec!["d1".into(), "d2".into()],
            }]
        );
        for e in events {
            op.evolve(e);
        }
        // The running target may still finish; cancelled ones cannot start.
        assert!(matches!(
            op.decide(OperationCommand::StartTarget { device_id: "d1".into() }),
            Err(OperationError::TargetState(_, "cancelled"))
        ));
        assert_eq!(op.decide(OperationCommand::Finish), Err(OperationError::TargetsOutstanding(1)));
        apply(&mut op, finish("d0", TargetStatus::Succeeded));
        let done = op.decide(OperationCommand::Finish).unwrap();
        assert_eq!(
            done,
            [OperationEvent::Finished { status: OperationStatus::Cancelled, succeeded: 1, failed: 0, cancelled: 2 }]
        );
        for e in done {
            op.evolve(e);
        }
        assert_eq!(op.decide(OperationCommand::Start), Err(OperationError::AlreadyFinished("cancelled")));
    }

    #[test]
    fn a_rolled_back_target_fails_the_run_and_output_is_capped() {
        let mut op = run(&[OperationEvent::Requested { id: "op1".into(), spec: spec(1) }, OperationEvent::Started]);
        apply(&mut op, OperationCommand::StartTarget { device_id: "d0".into() });
        let big = "x".repeat(MAX_OUTPUT_BYTES + 10);
        let events = op
            .decide(OperationCommand::Progress {
                device_id: "d0".into(),
                step: "show".into(),
                output: big,
                elapsed_ms: 3,
            })
            .unwrap();
        let [OperationEvent::TargetProgress { output, .. }] = events.as_slice() else { panic!("{events:?}") };
        assert!(
            output.ends_with(&format!("[output truncated at {MAX_OUTPUT_BYTES} bytes of {}]", MAX_OUTPUT_BYTES + 10))
        );
        apply(&mut op, finish("d0", TargetStatus::RolledBack));
        let done = op.decide(OperationCommand::Finish).unwrap();
        assert!(matches!(done[0], OperationEvent::Finished { status: OperationStatus::Failed, failed: 1, .. }));
    }

    #[test]
    fn unknown_targets_and_double_requests_are_refused() {
        let op = run(&[OperationEvent::Requested { id: "op1".into(), spec: spec(1) }, OperationEvent::Started]);
        assert_eq!(
            op.decide(OperationCommand::StartTarget { device_id: "zz".into() }),
            Err(OperationError::UnknownTarget("zz".into()))
        );
        assert_eq!(
            op.decide(OperationCommand::Request { id: "op1".into(), spec: spec(1) }),
            Err(OperationError::AlreadyRequested)
        );
        assert_eq!(Operation::default().decide(OperationCommand::Start), Err(OperationError::NotFound));
    }

    #[test]
    fn stored_event_names_are_frozen() {
        let e = OperationEvent::Cancelled { by: "a".into(), reason: String::new(), cancelled_targets: vec![] };
        assert_eq!(e.event_type(), "OperationCancelled");
        assert!(serde_json::to_value(&e).unwrap().get("OperationCancelled").is_some());
    }
}
