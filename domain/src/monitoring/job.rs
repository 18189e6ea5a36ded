//! The `MonitorJob` aggregate: a latency measurement run over a time window, from scheduling to
//! completion, cancellation or failure, with the gaps a server restart leaves made explicit.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::FieldErrors;

pub const MIN_INTERVAL_MS: u32 = 100;
pub const MAX_INTERVAL_MS: u32 = 3_600_000;
pub const MAX_PACKETS: u16 = 100;
pub const MAX_PACKET_SIZE: u16 = 9_000;
pub const MAX_TIMEOUT_MS: u32 = 60_000;
pub const MAX_TARGETS: usize = 20_000;

/// What a job records of each round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    RttMin,
    RttAvg,
    RttMax,
    Jitter,
    Loss,
}

impl Metric {
    pub const ALL: [Self; 5] = [Self::RttMin, Self::RttAvg, Self::RttMax, Self::Jitter, Self::Loss];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RttMin => "rtt_min",
            Self::RttAvg => "rtt_avg",
            Self::RttMax => "rtt_max",
            Self::Jitter => "jitter",
            Self::Loss => "loss",
        }
    }

    #[must_use]
    pub const fn label(self) -> &'static str {
        match self {
            Self::RttMin => "RTT min",
            Self::RttAvg => "RTT avg",
            Self::RttMax => "RTT max",
            Self::Jitter => "Jitter",
            Self::Loss => "Packet loss",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Destination,
    Device,
}

/// One resolved target of a job. `key` names it in samples and alerts: `dst:<id>` or `dev:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobTarget {
    pub key: String,
    pub kind: TargetKind,
    pub ref_id: String,
    pub name: String,
    /// An IP address or DNS name, resolved when the job (re)starts.
    pub address: String,
}

impl JobTarget {
    #[must_use]
    pub fn key_for(kind: TargetKind, id: &str) -> String {
        match kind {
            TargetKind::Destination => format!("dst:{id}"),
            TargetKind::Device => format!("dev:{id}"),
        }
    }
}

/// Alert thresholds; a missing value means no alert on that metric.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    #[serde(default)]
    pub rtt_ms: Option<f64>,
    #[serde(default)]
    pub loss_pct: Option<f64>,
    #[serde(default)]
    pub jitter_ms: Option<f64>,
}

impl Thresholds {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rtt_ms.is_none() && self.loss_pct.is_none() && self.jitter_ms.is_none()
    }

    fn validate(&self, errors: &mut FieldErrors, field: &str) {
        for (name, v, max) in
            [("RTT", self.rtt_ms, 60_000.0), ("loss", self.loss_pct, 100.0), ("jitter", self.jitter_ms, 60_000.0)]
        {
            if let Some(v) = v {
                if !v.is_finite() || v <= 0.0 || v > max {
                    errors.push(field, format!("the {name} threshold must be above 0 and at most {max}"));
                }
            }
        }
    }
}

pub const DEFAULT_ALERT_WINDOW: u16 = 10;
pub const DEFAULT_COOLDOWN_S: u32 = 900;

fn default_window() -> u16 {
    DEFAULT_ALERT_WINDOW
}
fn default_cooldown() -> u32 {
    DEFAULT_COOLDOWN_S
}

/// A job as a form or the REST API asks for it; targets are resolved by the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    pub name: String,
    #[serde(default)]
    pub destination_ids: Vec<String>,
    #[serde(default)]
    pub device_ids: Vec<String>,
    /// Devices in this group (and its subgroups).
    #[serde(default)]
    pub group: String,
    /// Devices and destinations with this tag.
    #[serde(default)]
    pub tag: String,
    /// `None`: now.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// `None`: open-ended, runs until cancelled.
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    pub interval_ms: u32,
    pub packets: u16,
    pub packet_size: u16,
    pub timeout_ms: u32,
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Per-target overrides, by target key.
    #[serde(default)]
    pub target_thresholds: BTreeMap<String, Thresholds>,
    /// Rounds a threshold is evaluated over (sliding window).
    #[serde(default = "default_window")]
    pub alert_window: u16,
    /// Seconds after an alert during which a new crossing raises no new alert.
    #[serde(default = "default_cooldown")]
    pub cooldown_s: u32,
}

impl Default for JobRequest {
    fn default() -> Self {
        Self {
            name: String::new(),
            destination_ids: Vec::new(),
            device_ids: Vec::new(),
            group: String::new(),
            tag: String::new(),
            starts_at: None,
            ends_at: None,
            interval_ms: 1_000,
            packets: 1,
            packet_size: 56,
            timeout_ms: 1_000,
            metrics: Metric::ALL.to_vec(),
            thresholds: Thresholds::default(),
            target_thresholds: BTreeMap::new(),
            alert_window: DEFAULT_ALERT_WINDOW,
            cooldown_s: DEFAULT_COOLDOWN_S,
        }
    }
}

/// A validated job with its resolved targets; what `MonitorJobScheduled` records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    pub name: String,
    pub targets: Vec<JobTarget>,
    /// How the targets were chosen, for people ("3 destinations, tag eu").
    pub selection: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub interval_ms: u32,
    pub packets: u16,
    pub packet_size: u16,
    pub timeout_ms: u32,
    pub metrics: Vec<Metric>,
    pub thresholds: Thresholds,
    pub target_thresholds: BTreeMap<String, Thresholds>,
    pub alert_window: u16,
    pub cooldown_s: u32,
    /// The job this one was cloned from.
    #[serde(default)]
    pub cloned_from: Option<String>,
    /// The request the spec came from, so edit and clone forms start from what the user chose.
    pub request: JobRequest,
}

impl JobRequest {
    /// Checks everything but the targets (which need the inventory). `now` anchors "in the past".
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), FieldErrors> {
        self.validate_edit(now, None)
    }

    /// As `validate`, for an edit of a job that started at `started`: its (past) start may stay.
    pub fn validate_edit(&self, now: DateTime<Utc>, started: Option<DateTime<Utc>>) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push("name", "is required");
        } else if name.chars().count() > 100 || name.chars().any(char::is_control) {
            errors.push("name", "at most 100 characters, no control characters");
        }
        if self.destination_ids.is_empty()
            && self.device_ids.is_empty()
            && self.group.trim().is_empty()
            && self.tag.trim().is_empty()
        {
            errors.push("targets", "choose destinations, devices, a group or a tag");
        }
        if !(MIN_INTERVAL_MS..=MAX_INTERVAL_MS).contains(&self.interval_ms) {
            errors.push("interval_ms", format!("must be {MIN_INTERVAL_MS} ms to 1 hour"));
        }
        if !(1..=MAX_PACKETS).contains(&self.packets) {
            errors.push("packets", format!("must be 1 to {MAX_PACKETS}"));
        }
        if self.packet_size > MAX_PACKET_SIZE {
            errors.push("packet_size", format!("must be 0 to {MAX_PACKET_SIZE} bytes"));
        }
        if !(10..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            errors.push("timeout_ms", format!("must be 10 ms to {} s", MAX_TIMEOUT_MS / 1000));
        }
        if self.metrics.is_empty() {
            errors.push("metrics", "record at least one metric");
        }
        let starts = self.starts_at.unwrap_or(now);
        if let Some(end) = self.ends_at {
            if end <= starts {
                errors.push("ends_at", "must be after the start");
            } else if end <= now {
                errors.push("ends_at", "is in the past");
            }
        }
        if self.starts_at.is_some_and(|s| s < now - Duration::minutes(5) && Some(s) != started) {
            errors.push("starts_at", "is in the past (leave it empty to start now)");
        }
        self.thresholds.validate(&mut errors, "thresholds");
        for t in self.target_thresholds.values() {
            t.validate(&mut errors, "target_thresholds");
        }
        if !(1..=1_000).contains(&self.alert_window) {
            errors.push("alert_window", "must be 1 to 1000 rounds");
        }
        if !(1..=86_400).contains(&self.cooldown_s) {
            errors.push("cooldown_s", "must be 1 s to 24 h");
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The spec of a validated request with its resolved targets.
    #[must_use]
    pub fn into_spec(
        self,
        targets: Vec<JobTarget>,
        selection: String,
        now: DateTime<Utc>,
        cloned_from: Option<String>,
    ) -> JobSpec {
        let mut metrics = self.metrics.clone();
        metrics.sort();
        metrics.dedup();
        JobSpec {
            name: self.name.trim().to_owned(),
            targets,
            selection,
            // PostgreSQL keeps microseconds: a finer start would put the first stored sample
            // before the recorded start.
            starts_at: self.starts_at.unwrap_or(now).trunc_subsecs(6),
            ends_at: self.ends_at.map(|e| e.trunc_subsecs(6)),
            interval_ms: self.interval_ms,
            packets: self.packets,
            packet_size: self.packet_size,
            timeout_ms: self.timeout_ms,
            metrics,
            thresholds: self.thresholds,
            target_thresholds: self.target_thresholds.clone(),
            alert_window: self.alert_window,
            cooldown_s: self.cooldown_s,
            cloned_from,
            request: self,
        }
    }
}

impl JobSpec {
    /// The thresholds that apply to a target: its own where set, else the job's.
    #[must_use]
    pub fn thresholds_for(&self, key: &str) -> Thresholds {
        let own = self.target_thresholds.get(key).copied().unwrap_or_default();
        Thresholds {
            rtt_ms: own.rtt_ms.or(self.thresholds.rtt_ms),
            loss_pct: own.loss_pct.or(self.thresholds.loss_pct),
            jitter_ms: own.jitter_ms.or(self.thresholds.jitter_ms),
        }
    }

    /// Rounds expected between two instants of the window (for progress and gap figures).
    #[must_use]
    pub fn rounds_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> u64 {
        let ms = (to - from).num_milliseconds().max(0);
        u64::try_from(ms).unwrap_or(0) / u64::from(self.interval_ms.max(1))
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    #[default]
    New,
    Scheduled,
    Running,
    Completed,
    Cancelled,
    Failed,
}

impl JobStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    #[must_use]
    pub const fn is_finished(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Failed)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobCommand {
    Schedule {
        id: String,
        spec: JobSpec,
    },
    /// Replaces the spec of a job that has not finished.
    Edit {
        spec: JobSpec,
    },
    Start {
        at: DateTime<Utc>,
    },
    /// The server came back while the job was running: no rounds between `gap_from` and `gap_to`.
    Resume {
        gap_from: DateTime<Utc>,
        gap_to: DateTime<Utc>,
    },
    Complete {
        at: DateTime<Utc>,
        rounds: u64,
        samples: u64,
        late_rounds: u64,
    },
    Cancel {
        by: String,
        reason: String,
    },
    Fail {
        error: String,
    },
}

/// Stored event names are frozen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobEvent {
    #[serde(rename = "MonitorJobScheduled")]
    Scheduled { id: String, spec: JobSpec },
    #[serde(rename = "MonitorJobEdited")]
    Edited { spec: JobSpec },
    #[serde(rename = "MonitorJobStarted")]
    Started { at: DateTime<Utc> },
    #[serde(rename = "MonitorJobResumed")]
    Resumed { gap_from: DateTime<Utc>, gap_to: DateTime<Utc> },
    #[serde(rename = "MonitorJobCompleted")]
    Completed { at: DateTime<Utc>, rounds: u64, samples: u64, late_rounds: u64 },
    #[serde(rename = "MonitorJobCancelled")]
    Cancelled { by: String, reason: String },
    #[serde(rename = "MonitorJobFailed")]
    Failed { error: String },
}

impl DomainEvent for JobEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Scheduled { .. } => "MonitorJobScheduled",
            Self::Edited { .. } => "MonitorJobEdited",
            Self::Started { .. } => "MonitorJobStarted",
            Self::Resumed { .. } => "MonitorJobResumed",
            Self::Completed { .. } => "MonitorJobCompleted",
            Self::Cancelled { .. } => "MonitorJobCancelled",
            Self::Failed { .. } => "MonitorJobFailed",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("job already exists")]
    AlreadyExists,
    #[error("job does not exist")]
    NotFound,
    #[error("job is already {0}")]
    Finished(&'static str),
    #[error("job is {0}, not running")]
    NotRunning(&'static str),
    #[error("job is already running")]
    AlreadyRunning,
    #[error("a running job's start time cannot change")]
    StartChanged,
    #[error("a reason is required (at most 500 characters)")]
    ReasonRequired,
    #[error("the gap must end after it starts")]
    BadGap,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonitorJob {
    pub status: JobStatus,
    pub spec: Option<JobSpec>,
}

impl MonitorJob {
    pub fn decide(&self, command: JobCommand) -> Result<Vec<JobEvent>, JobError> {
        use JobStatus as S;
        if let JobCommand::Schedule { id, spec } = command {
            return match self.status {
                S::New => Ok(vec![JobEvent::Scheduled { id, spec }]),
                _ => Err(JobError::AlreadyExists),
            };
        }
        match self.status {
            S::New => return Err(JobError::NotFound),
            s if s.is_finished() => return Err(JobError::Finished(s.as_str())),
            _ => {}
        }
        match command {
            JobCommand::Schedule { .. } => Err(JobError::AlreadyExists),
            JobCommand::Edit { spec } => {
                let current = self.spec.as_ref().ok_or(JobError::NotFound)?;
                if self.status == S::Running && spec.starts_at != current.starts_at {
                    return Err(JobError::StartChanged);
                }
                Ok(vec![JobEvent::Edited { spec }])
            }
            JobCommand::Start { at } => match self.status {
                S::Scheduled => Ok(vec![JobEvent::Started { at }]),
                _ => Err(JobError::AlreadyRunning),
            },
            JobCommand::Resume { gap_from, gap_to } => {
                if self.status != S::Running {
                    return Err(JobError::NotRunning(self.status.as_str()));
                }
                if gap_to <= gap_from {
                    return Err(JobError::BadGap);
                }
                Ok(vec![JobEvent::Resumed { gap_from, gap_to }])
            }
            JobCommand::Complete { at, rounds, samples, late_rounds } => match self.status {
                S::Running => Ok(vec![JobEvent::Completed { at, rounds, samples, late_rounds }]),
                s => Err(JobError::NotRunning(s.as_str())),
            },
            JobCommand::Cancel { by, reason } => {
                let reason = reason.trim().to_owned();
                if reason.is_empty() || reason.chars().count() > 500 {
                    return Err(JobError::ReasonRequired);
                }
                Ok(vec![JobEvent::Cancelled { by, reason }])
            }
            JobCommand::Fail { error } => Ok(vec![JobEvent::Failed { error }]),
        }
    }

    pub fn evolve(&mut self, event: JobEvent) {
        match event {
            JobEvent::Scheduled { spec, .. } => {
                self.spec = Some(spec);
                self.status = JobStatus::Scheduled;
            }
            JobEvent::Edited { spec } => self.spec = Some(spec),
            JobEvent::Started { .. } => self.status = JobStatus::Running,
            JobEvent::Resumed { .. } => {}
            JobEvent::Completed { .. } => self.status = JobStatus::Completed,
            JobEvent::Cancelled { .. } => self.status = JobStatus::Cancelled,
            JobEvent::Failed { .. } => self.status = JobStatus::Failed,
        }
    }
}

decider_aggregate!(MonitorJob, "monitor_job", JobCommand, JobEvent, JobError);

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn request() -> JobRequest {
        JobRequest { name: "EU latency".into(), destination_ids: vec!["d1".into()], ..JobRequest::default() }
    }

    fn spec() -> JobSpec {
        let target = JobTarget {
            key: JobTarget::key_for(TargetKind::Destination, "d1"),
            kind: TargetKind::Destination,
            ref_id: "d1".into(),
            name: "Frankfurt".into(),
            address: "192.0.2.1".into(),
        };
        request().into_spec(vec![target], "1 destination".into(), now(), None)
    }

    fn run(job: &mut MonitorJob, command: JobCommand) -> Result<(), JobError> {
        for e in job.decide(command)? {
            job.evolve(e);
        }
        Ok(())
    }

    #[test]
    fn a_request_is_checked_field_by_field() {
        assert_eq!(request().validate(now()), Ok(()));
        let bad = JobRequest {
            name: String::new(),
            destination_ids: vec![],
            interval_ms: 50,
            packets: 0,
            timeout_ms: 5,
            metrics: vec![],
            ends_at: Some(now() - Duration::hours(1)),
            thresholds: Thresholds { loss_pct: Some(150.0), ..Thresholds::default() },
            ..JobRequest::default()
        };
        let errors = bad.validate(now()).expect_err("invalid");
        for field in ["name", "targets", "interval_ms", "packets", "timeout_ms", "metrics", "ends_at", "thresholds"] {
            assert!(errors.get(field).is_some(), "{field}: {errors}");
        }
        assert_eq!(errors.get("interval_ms"), Some("must be 100 ms to 1 hour"));
    }

    #[test]
    fn an_edit_may_keep_a_past_start() {
        let started = now() - Duration::hours(2);
        let r = JobRequest { starts_at: Some(started), ..request() };
        assert!(r.validate(now()).expect_err("past").get("starts_at").is_some());
        assert_eq!(r.validate_edit(now(), Some(started)), Ok(()));
    }

    #[test]
    fn target_thresholds_override_the_jobs() {
        let mut s = spec();
        s.thresholds = Thresholds { rtt_ms: Some(100.0), loss_pct: Some(5.0), jitter_ms: None };
        s.target_thresholds.insert("dst:d1".into(), Thresholds { rtt_ms: Some(20.0), ..Thresholds::default() });
        assert_eq!(s.thresholds_for("dst:d1").rtt_ms, Some(20.0));
        assert_eq!(s.thresholds_for("dst:d1").loss_pct, Some(5.0));
        assert_eq!(s.thresholds_for("dst:other").rtt_ms, Some(100.0));
    }

    #[test]
    fn lifecycle_with_a_gap_and_completion() {
        let mut job = MonitorJob::default();
        assert_eq!(run(&mut job, JobCommand::Start { at: now() }), Err(JobError::NotFound));
        run(&mut job, JobCommand::Schedule { id: "j".into(), spec: spec() }).expect("schedule");
        assert_eq!(job.status, JobStatus::Scheduled);
        assert!(matches!(
            job.decide(JobCommand::Resume { gap_from: now(), gap_to: now() }),
            Err(JobError::NotRunning("scheduled"))
        ));
        run(&mut job, JobCommand::Start { at: now() }).expect("start");
        assert_eq!(run(&mut job, JobCommand::Start { at: now() }), Err(JobError::AlreadyRunning));
        assert_eq!(run(&mut job, JobCommand::Resume { gap_from: now(), gap_to: now() }), Err(JobError::BadGap));
        run(&mut job, JobCommand::Resume { gap_from: now(), gap_to: now() + Duration::seconds(30) }).expect("resume");
        let mut moved = spec();
        moved.starts_at = now() + Duration::hours(1);
        assert_eq!(run(&mut job, JobCommand::Edit { spec: moved }), Err(JobError::StartChanged));
        run(&mut job, JobCommand::Complete { at: now(), rounds: 10, samples: 10, late_rounds: 0 }).expect("complete");
        assert_eq!(
            run(&mut job, JobCommand::Cancel { by: "ann".into(), reason: "x".into() }),
            Err(JobError::Finished("completed"))
        );
    }

    #[test]
    fn cancel_needs_a_reason_and_works_before_the_start() {
        let mut job = MonitorJob::default();
        run(&mut job, JobCommand::Schedule { id: "j".into(), spec: spec() }).expect("schedule");
        assert_eq!(
            run(&mut job, JobCommand::Cancel { by: "ann".into(), reason: " ".into() }),
            Err(JobError::ReasonRequired)
        );
        run(&mut job, JobCommand::Cancel { by: "ann".into(), reason: "wrong targets".into() }).expect("cancel");
        assert_eq!(job.status, JobStatus::Cancelled);
    }
}
