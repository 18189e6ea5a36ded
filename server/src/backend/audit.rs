//! Audit trail, dashboard and global search: queries on `audit_log` and `devices`.

use app::error::AppError;
use app::model::{AuditEntry, AuditQuery, CurrentUser, Dashboard, Page, SearchHit};
use app::ssr::require_role;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use domain::device::DeviceEvent;
use domain::identity::{Permission, UserEvent};
use domain::FieldErrors;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::{internal, AppState};

/// Audit rows with their event's payload, read from the log itself.
const COLUMNS: &str = "a.position, a.recorded_at, a.actor, a.source, a.request_ip, a.correlation_id, a.aggregate_type,
                       a.aggregate_id, a.sequence, a.event_type, a.subject, e.payload::jsonb AS payload";
const FROM: &str = "audit_log a JOIN events e ON e.global_position = a.position";

fn entry(r: &PgRow) -> AuditEntry {
    let aggregate_type: String = r.get("aggregate_type");
    let aggregate_id: String = r.get("aggregate_id");
    let event_type: String = r.get("event_type");
    let payload: Value = r.get("payload");
    let (summary, changes) = describe(&aggregate_type, &aggregate_id, &event_type, &payload);
    AuditEntry {
        position: r.get("position"),
        recorded_at: r.get("recorded_at"),
        actor: r.get("actor"),
        source: r.get("source"),
        request_ip: r.get("request_ip"),
        correlation_id: r.get("correlation_id"),
        aggregate_type,
        aggregate_id,
        sequence: r.get("sequence"),
        event_type,
        subject: r.get("subject"),
        summary,
        changes,
        payload,
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

/// How an event reads in the audit trail: a one-line summary and, for updates, the changed
/// fields with their values before and after.
pub fn describe(aggregate_type: &str, aggregate_id: &str, event_type: &str, payload: &Value) -> (String, Value) {
    let unreadable = || (format!("{event_type} (unreadable payload)"), Value::Array(vec![]));
    match aggregate_type {
        "device" => match serde_json::from_value::<DeviceEvent>(payload.clone()) {
            Ok(DeviceEvent::Registered { spec }) => (
                format!("Registered {} ({}, {}:{})", spec.hostname, spec.platform.label(), spec.address, spec.port),
                Value::Array(vec![]),
            ),
            Ok(DeviceEvent::Updated { changes, .. }) => (
                format!(
                    "Updated {}",
                    changes
                        .iter()
                        .map(|c| format!("{}: {} → {}", c.field, short(&c.before), short(&c.after)))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                serde_json::to_value(&changes).unwrap_or(Value::Array(vec![])),
            ),
            Ok(DeviceEvent::Decommissioned { reason }) => (format!("Decommissioned: {reason}"), Value::Array(vec![])),
            Ok(DeviceEvent::Restored { reason }) => (format!("Restored: {reason}"), Value::Array(vec![])),
            Ok(DeviceEvent::HostKeyTrusted { fingerprint }) => {
                (format!("SSH host key trusted on first use: {fingerprint}"), Value::Array(vec![]))
            }
            Err(_) => unreadable(),
        },
        "user" => {
            let summary = match serde_json::from_value::<UserEvent>(payload.clone()) {
                Ok(UserEvent::Created { role, must_change_password, .. }) => format!(
                    "Created user {aggregate_id} as {role}{}",
                    if must_change_password { " (must change password)" } else { "" }
                ),
                Ok(UserEvent::RoleChanged { from, to }) => format!("Role changed from {from} to {to}"),
                Ok(UserEvent::PasswordChanged { by_admin, must_change_password }) => format!(
                    "Password {}{}",
                    if by_admin { "reset by an administrator" } else { "changed" },
                    if must_change_password { "; must change at next sign-in" } else { "" }
                ),
                Ok(UserEvent::SignedIn) => "Signed in".into(),
                Ok(UserEvent::SignedOut) => "Signed out".into(),
                Ok(UserEvent::Disabled { reason }) => format!("Disabled: {reason}"),
                Ok(UserEvent::Enabled) => "Enabled".into(),
                Err(_) => return unreadable(),
            };
            (summary, Value::Array(vec![]))
        }
        "operation" => {
            (super::operations::describe_event(payload).unwrap_or_else(|| event_type.to_owned()), Value::Array(vec![]))
        }
        "config_archive" => {
            (super::configs::describe_event(payload).unwrap_or_else(|| event_type.to_owned()), Value::Array(vec![]))
        }
        "destination" => (
            super::monitoring::describe_destination_event(payload).unwrap_or_else(|| event_type.to_owned()),
            Value::Array(vec![]),
        ),
        "monitor_job" => (
            super::monitoring::describe_job_event(payload).unwrap_or_else(|| event_type.to_owned()),
            Value::Array(vec![]),
        ),
        "alert" => (
            super::monitoring::describe_alert_event(payload).unwrap_or_else(|| event_type.to_owned()),
            Value::Array(vec![]),
        ),
        _ => (event_type.to_owned(), Value::Array(vec![])),
    }
}

/// Accepts RFC 3339, `YYYY-MM-DDTHH:MM[:SS]` (UTC) or `YYYY-MM-DD` (midnight UTC).
pub fn parse_time(s: &str) -> Result<Option<DateTime<Utc>>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Some(t.and_utc()));
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| format!("'{s}' is not a time (use 2026-11-23T14:05 or RFC 3339)"))
}

/// Validated filters; built before any query so bad input is a 400, not a 500.
pub struct AuditFilter {
    pub actor: String,
    pub device: String,
    pub event_type: String,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl AuditFilter {
    pub fn parse(q: &AuditQuery) -> Result<Self, AppError> {
        let mut e = FieldErrors::default();
        let from = e.check("from", parse_time(&q.from)).flatten();
        let to = e.check("to", parse_time(&q.to)).flatten();
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                e.push("to", "must be after 'from'");
            }
        }
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        Ok(Self {
            actor: q.actor.trim().to_owned(),
            device: q.device.trim().to_owned(),
            event_type: q.event_type.trim().to_owned(),
            from,
            to,
        })
    }

    pub fn push_where<'a>(&'a self, b: &mut QueryBuilder<'a, Postgres>) {
        b.push(" WHERE true");
        if !self.actor.is_empty() {
            b.push(" AND lower(a.actor) = lower(").push_bind(self.actor.as_str()).push(")");
        }
        if !self.device.is_empty() {
            b.push(" AND a.aggregate_type = 'device' AND (a.aggregate_id = ")
                .push_bind(self.device.as_str())
                .push(" OR a.aggregate_id IN (SELECT id FROM devices WHERE lower(hostname) = lower(")
                .push_bind(self.device.as_str())
                .push(")))");
        }
        if !self.event_type.is_empty() {
            b.push(" AND a.event_type = ").push_bind(self.event_type.as_str());
        }
        if let Some(f) = self.from {
            b.push(" AND a.recorded_at >= ").push_bind(f);
        }
        if let Some(t) = self.to {
            b.push(" AND a.recorded_at <= ").push_bind(t);
        }
    }
}

pub async fn query(state: &AppState, user: &CurrentUser, q: AuditQuery) -> Result<Page<AuditEntry>, AppError> {
    require_role(user, Permission::ReadAudit)?;
    let filter = AuditFilter::parse(&q)?;
    let per_page = if q.per_page == 0 { 50 } else { q.per_page.min(1000) };
    let page = q.page.max(1);
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM {FROM}"));
    filter.push_where(&mut b);
    b.push(" ORDER BY a.position DESC LIMIT ").push_bind(i64::from(per_page));
    b.push(" OFFSET ").push_bind(i64::from(page - 1) * i64::from(per_page));
    let rows = b.build().fetch_all(&state.pool).await.map_err(internal)?;
    let mut c = QueryBuilder::new("SELECT count(*) FROM audit_log a");
    filter.push_where(&mut c);
    let total = c.build_query_scalar::<i64>().fetch_one(&state.pool).await.map_err(internal)?;
    Ok(Page { items: rows.iter().map(entry).collect(), total, page, per_page })
}

/// Every audit row matching the filter, oldest first, for export.
pub async fn export(
    state: &AppState,
    user: &CurrentUser,
    q: &AuditQuery,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    require_role(user, Permission::ReadAudit)?;
    let filter = AuditFilter::parse(q)?;
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM {FROM}"));
    filter.push_where(&mut b);
    b.push(" ORDER BY a.position ASC LIMIT ").push_bind(limit);
    let rows = b.build().fetch_all(&state.pool).await.map_err(internal)?;
    Ok(rows.iter().map(entry).collect())
}

pub async fn for_aggregate(
    state: &AppState,
    aggregate_type: &str,
    id: &str,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE a.aggregate_type = $1 AND a.aggregate_id = $2 ORDER BY a.position DESC LIMIT $3"
    ))
    .bind(aggregate_type)
    .bind(id)
    .bind(limit)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?;
    Ok(rows.iter().map(entry).collect())
}

pub async fn dashboard(state: &AppState, user: &CurrentUser) -> Result<Dashboard, AppError> {
    let facets = super::devices::facets(state, user).await?;
    let total_devices = facets.statuses.iter().map(|c| c.count).sum();
    let (total_events, recent) = if user.role.can(Permission::ReadAudit) {
        let total: i64 =
            sqlx::query_scalar("SELECT count(*) FROM audit_log").fetch_one(&state.pool).await.map_err(internal)?;
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY a.position DESC LIMIT 15"))
            .fetch_all(&state.pool)
            .await
            .map_err(internal)?;
        (total, rows.iter().map(entry).collect())
    } else {
        (0, Vec::new())
    };
    Ok(Dashboard { total_devices, facets, total_events, recent })
}

pub async fn search(state: &AppState, user: &CurrentUser, q: &str) -> Result<Vec<SearchHit>, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let q = q.trim();
    if q.is_empty() || q.len() > 200 {
        return Ok(Vec::new());
    }
    let pattern = super::devices::like(q);
    let mut hits: Vec<SearchHit> = sqlx::query(
        "SELECT id, hostname, address, site, status FROM devices
          WHERE hostname ILIKE $1 OR address ILIKE $1 OR site ILIKE $1
          ORDER BY (lower(hostname) = lower($2)) DESC, lower(hostname) LIMIT 8",
    )
    .bind(&pattern)
    .bind(q)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?
    .iter()
    .map(|r| SearchHit {
        kind: "device".into(),
        label: r.get::<Option<String>, _>("hostname").unwrap_or_default(),
        detail: format!(
            "{} · {} · {}",
            r.get::<Option<String>, _>("address").unwrap_or_default(),
            r.get::<Option<String>, _>("site").unwrap_or_default(),
            r.get::<String, _>("status")
        ),
        href: format!("/devices/{}", r.get::<String, _>("id")),
    })
    .collect();
    if user.role.can(Permission::ReadAudit) {
        let rows = sqlx::query(
            "SELECT position, event_type, subject, actor FROM audit_log
              WHERE subject ILIKE $1 OR actor ILIKE $1 OR event_type ILIKE $1 ORDER BY position DESC LIMIT 5",
        )
        .bind(&pattern)
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?;
        hits.extend(rows.iter().map(|r| SearchHit {
            kind: "event".into(),
            label: format!("{} · {}", r.get::<String, _>("event_type"), r.get::<String, _>("subject")),
            detail: format!("by {}", r.get::<String, _>("actor")),
            href: format!("/audit?position={}", r.get::<i64, _>("position")),
        }));
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn time_filters_accept_the_formats_forms_send() {
        assert_eq!(parse_time("").unwrap(), None);
        assert_eq!(parse_time("2026-11-23").unwrap().unwrap().to_rfc3339(), "2026-11-23T00:00:00+00:00");
        assert_eq!(parse_time("2026-11-23T14:05").unwrap().unwrap().to_rfc3339(), "2026-11-23T14:05:00+00:00");
        assert_eq!(parse_time("2026-11-23T14:05:00+01:00").unwrap().unwrap().to_rfc3339(), "2026-11-23T13:05:00+00:00");
        assert!(parse_time("yesterday").is_err());
    }
}
