//! Read-model shapes shared by the server (which fills them) and the browser (which shows them).

use chrono::{DateTime, Utc};
use domain::identity::Role;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The signed-in user, as resolved from the session on every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceRow {
    pub id: String,
    pub hostname: String,
    pub address: String,
    pub port: i32,
    pub platform: String,
    pub vendor: String,
    pub model: String,
    pub site: String,
    pub group: Option<String>,
    pub tags: Vec<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub credential_ref: Option<String>,
    pub notes: String,
    pub status: String,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceSort {
    #[default]
    Hostname,
    Address,
    Platform,
    Site,
    Group,
    Status,
    Updated,
}

impl DeviceSort {
    #[must_use]
    pub fn parse(s: &str) -> Self {
        match s {
            "address" => Self::Address,
            "platform" => Self::Platform,
            "site" => Self::Site,
            "group" => Self::Group,
            "status" => Self::Status,
            "updated" => Self::Updated,
            _ => Self::Hostname,
        }
    }

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hostname => "hostname",
            Self::Address => "address",
            Self::Platform => "platform",
            Self::Site => "site",
            Self::Group => "group",
            Self::Status => "status",
            Self::Updated => "updated",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceQuery {
    pub q: String,
    pub platform: String,
    pub site: String,
    /// Matches the group and all its sub-groups.
    pub group: String,
    pub tag: String,
    /// `active` (default), `decommissioned` or `all`.
    pub status: String,
    pub sort: DeviceSort,
    pub desc: bool,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
}

impl<T> Page<T> {
    #[must_use]
    pub fn pages(&self) -> u32 {
        let per = i64::from(self.per_page.max(1));
        u32::try_from((self.total + per - 1) / per).unwrap_or(u32::MAX).max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub source: String,
    pub request_ip: Option<String>,
    pub correlation_id: String,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub subject: String,
    pub summary: String,
    /// `[{field, before, after}]` for updates.
    pub changes: Value,
    pub payload: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    /// A device id or hostname.
    pub device: String,
    pub event_type: String,
    /// RFC 3339 or `YYYY-MM-DD` / `YYYY-MM-DDTHH:MM` (UTC).
    pub from: String,
    pub to: String,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceDetail {
    pub device: DeviceRow,
    pub history: Vec<AuditEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountBy {
    pub key: String,
    pub count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facets {
    pub platforms: Vec<CountBy>,
    pub sites: Vec<CountBy>,
    pub groups: Vec<CountBy>,
    pub tags: Vec<CountBy>,
    pub statuses: Vec<CountBy>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub total_devices: i64,
    pub facets: Facets,
    pub total_events: i64,
    pub recent: Vec<AuditEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRowError {
    pub line: usize,
    pub hostname: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub imported: Vec<String>,
    pub errors: Vec<ImportRowError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub must_change_password: bool,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

/// An invited user and the one-time password to hand over; shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub username: String,
    pub initial_password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub kind: String,
    pub label: String,
    pub detail: String,
    pub href: String,
}

/// One operation in the history list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub selection: String,
    pub reason: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub concurrency: i32,
    pub targets_total: i32,
    pub succeeded: i32,
    pub failed: i32,
    pub cancelled: i32,
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
}

/// One device's part in an operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationTargetRow {
    pub device_id: String,
    pub hostname: String,
    pub status: String,
    pub summary: String,
    /// Progress steps as they happened (timed), streaming while the target runs.
    pub log: String,
    pub output: String,
    /// Parsed results: timings, health fields, check report, config version.
    pub details: Value,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperationDetail {
    pub operation: OperationRow,
    pub targets: Vec<OperationTargetRow>,
    /// Show commands, config lines and the like, as requested.
    pub spec: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationQuery {
    pub kind: String,
    pub status: String,
    /// Requester.
    pub actor: String,
    /// Only operations that targeted this device.
    pub device_id: String,
    /// RFC 3339 or YYYY-MM-DD bounds on the request time.
    pub from: String,
    pub to: String,
    pub page: u32,
    pub per_page: u32,
}

/// A configuration version of a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigVersionRow {
    pub version: i64,
    pub running_hash: String,
    pub startup_hash: Option<String>,
    pub drift: bool,
    pub operation_id: Option<String>,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigSummary {
    pub device_id: String,
    pub hostname: String,
    pub platform: String,
    pub versions: Vec<ConfigVersionRow>,
    pub drift: bool,
    pub last_backup_at: Option<DateTime<Utc>>,
    pub backups: i64,
}

/// A stored configuration, masked unless the caller may see secrets and asked to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigText {
    pub version: i64,
    /// `running` or `startup`.
    pub which: String,
    pub text: String,
    pub masked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffRow {
    pub left_no: Option<usize>,
    pub left: Option<String>,
    pub right_no: Option<usize>,
    pub right: Option<String>,
    /// `equal`, `delete`, `insert` or `replace`.
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigDiffView {
    pub from_label: String,
    pub to_label: String,
    pub unified: String,
    pub rows: Vec<DiffRow>,
    pub added: usize,
    pub removed: usize,
    /// Secrets are masked in both sides unless the caller may see them and asked to.
    pub masked: bool,
}

/// What a push or restore would do, shown before it is confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushPreview {
    pub diff: ConfigDiffView,
    /// The configuration-mode commands that will be sent.
    pub commands: Vec<String>,
}
