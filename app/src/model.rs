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
