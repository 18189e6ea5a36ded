//! What the monitoring pages and the REST API exchange with the server.

use chrono::{DateTime, Utc};
use domain::monitoring::{JobSpec, Summary};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationRow {
    pub id: String,
    pub name: String,
    pub address: String,
    pub site: String,
    pub city: String,
    pub country: String,
    pub tags: Vec<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationQuery {
    /// Matches name, address, site, city and country.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tag: String,
    #[serde(default)]
    pub page: u32,
    #[serde(default)]
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: String,
    pub name: String,
    /// scheduled, running, completed, cancelled, failed
    pub status: String,
    pub selection: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub interval_ms: i32,
    pub targets_total: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub cancelled_by: Option<String>,
    /// Why it was cancelled or failed.
    pub finish_reason: Option<String>,
    /// Share of the window elapsed, for bounded jobs that have started.
    pub progress_pct: Option<f64>,
    pub version: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: u32,
    #[serde(default)]
    pub per_page: u32,
}

/// A target's latest round and its figures over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetStatus {
    pub key: String,
    pub name: String,
    pub address: String,
    /// destination or device
    pub kind: String,
    pub ref_id: String,
    pub last_at: Option<DateTime<Utc>>,
    pub last_rtt_ms: Option<f64>,
    pub last_loss_pct: Option<f64>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobDetail {
    pub job: JobRow,
    pub spec: JobSpec,
    pub targets: Vec<TargetStatus>,
    pub gaps: Vec<Gap>,
    pub open_alerts: Vec<AlertRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeriesQuery {
    pub job_id: String,
    /// Default: the job's start.
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Default: the job's end, or now.
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    /// Target keys; empty: every target.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Upper bound on points per target (the resolution is chosen to fit); 0: 600.
    #[serde(default)]
    pub max_points: u32,
}

/// One bucket (or one round, at raw resolution) of a target's series, in ms and %.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub at: DateTime<Utc>,
    pub rtt_min_ms: Option<f64>,
    pub rtt_avg_ms: Option<f64>,
    pub rtt_max_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub loss_pct: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSeries {
    pub key: String,
    pub name: String,
    pub points: Vec<SeriesPoint>,
}

/// A change event of a targeted device, drawn on the charts' time axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeMarker {
    pub at: DateTime<Utc>,
    pub device_id: String,
    pub hostname: String,
    pub event_type: String,
    pub summary: String,
    pub actor: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// raw, 1m or 1h
    pub resolution: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub targets: Vec<TargetSeries>,
    pub gaps: Vec<Gap>,
    pub changes: Vec<ChangeMarker>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRow {
    /// `<subject>#<episode>`
    pub id: String,
    pub subject: String,
    pub subject_label: String,
    /// rtt, loss, jitter, cpu
    pub metric: String,
    pub job_id: Option<String>,
    pub device_id: Option<String>,
    pub threshold: f64,
    /// The value that raised it.
    pub value: f64,
    pub last_value: f64,
    pub raised_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
    /// Why an episode ended without recovering (its job finished).
    #[serde(default)]
    pub close_reason: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub ack_note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertQuery {
    /// open (not cleared), unacknowledged (open and not acknowledged), all
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub job_id: String,
    #[serde(default)]
    pub device_id: String,
    #[serde(default)]
    pub page: u32,
    #[serde(default)]
    pub per_page: u32,
}

/// For the notification centre in the app shell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertCounts {
    pub open: i64,
    pub unacknowledged: i64,
    /// The newest open alerts, newest first (at most 10).
    pub latest: Vec<AlertRow>,
}
