//! `audit_log`: every event with who, what, when, where from, and before/after of updates.

use std::collections::HashMap;

use async_trait::async_trait;
use domain::device::{DeviceEvent, FieldChange};
use domain::identity::UserEvent;
use serde_json::Value;
use sqlx::{PgConnection, Row};

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct AuditProjection;

/// How an event reads in the audit trail.
struct Description {
    /// The thing it is about (hostname, user name); `None` when the event does not say.
    subject: Option<String>,
    summary: String,
    changes: Vec<FieldChange>,
}

fn short(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "(empty)".into(),
        Value::String(s) => s.clone(),
        Value::Null => "(none)".into(),
        other => other.to_string(),
    }
}

fn describe(e: &StoredEvent) -> Description {
    let plain = |summary: String| Description { subject: None, summary, changes: vec![] };
    match e.aggregate_type.as_str() {
        "device" => match e.payload_as::<DeviceEvent>() {
            Ok(DeviceEvent::Registered { spec }) => Description {
                subject: Some(spec.hostname.to_string()),
                summary: format!(
                    "Registered {} ({}, {}:{})",
                    spec.hostname,
                    spec.platform.label(),
                    spec.address,
                    spec.port
                ),
                changes: vec![],
            },
            Ok(DeviceEvent::Updated { changes, spec }) => Description {
                subject: Some(spec.hostname.to_string()),
                summary: format!(
                    "Updated {}",
                    changes
                        .iter()
                        .map(|c| format!("{}: {} → {}", c.field, short(&c.before), short(&c.after)))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                changes,
            },
            Ok(DeviceEvent::Decommissioned { reason }) => plain(format!("Decommissioned: {reason}")),
            Ok(DeviceEvent::Restored { reason }) => plain(format!("Restored: {reason}")),
            Err(_) => plain(format!("{} (unreadable payload)", e.event_type)),
        },
        "user" => {
            let subject = Some(e.aggregate_id.clone());
            let summary = match e.payload_as::<UserEvent>() {
                Ok(UserEvent::Created { role, must_change_password, .. }) => format!(
                    "Created user {} as {role}{}",
                    e.aggregate_id,
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
                Err(_) => format!("{} (unreadable payload)", e.event_type),
            };
            Description { subject, summary, changes: vec![] }
        }
        _ => plain(e.event_type.clone()),
    }
}

#[async_trait]
impl Projection for AuditProjection {
    fn name(&self) -> &'static str {
        "audit"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["audit_log"]
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        let described: Vec<Description> = events.iter().map(describe).collect();
        // Events that do not name their subject inherit it from the aggregate's latest row.
        let mut subjects: HashMap<(String, String), String> = HashMap::new();
        let (unknown_types, unknown_ids): (Vec<&str>, Vec<&str>) = events
            .iter()
            .zip(&described)
            .filter(|(_, d)| d.subject.is_none())
            .map(|(e, _)| (e.aggregate_type.as_str(), e.aggregate_id.as_str()))
            .unzip();
        if !unknown_ids.is_empty() {
            let rows = sqlx::query(
                "SELECT u.aggregate_type, u.aggregate_id,
                        (SELECT subject FROM audit_log a
                          WHERE a.aggregate_type = u.aggregate_type AND a.aggregate_id = u.aggregate_id
                          ORDER BY position DESC LIMIT 1) AS subject
                   FROM (SELECT DISTINCT * FROM UNNEST($1::text[], $2::text[])) AS u(aggregate_type, aggregate_id)",
            )
            .bind(&unknown_types)
            .bind(&unknown_ids)
            .fetch_all(&mut *conn)
            .await?;
            for r in rows {
                if let Some(subject) = r.get::<Option<String>, _>("subject") {
                    subjects.insert((r.get("aggregate_type"), r.get("aggregate_id")), subject);
                }
            }
        }
        let mut cols = AuditColumns::default();
        for (e, d) in events.iter().zip(described) {
            let key = (e.aggregate_type.clone(), e.aggregate_id.clone());
            let subject = match d.subject {
                Some(s) => {
                    subjects.insert(key, s.clone());
                    s
                }
                None => subjects.get(&key).cloned().unwrap_or_else(|| e.aggregate_id.clone()),
            };
            cols.push(e, subject, d.summary, serde_json::to_value(&d.changes).unwrap_or(Value::Array(vec![])));
        }
        sqlx::query(
            "INSERT INTO audit_log (position, recorded_at, actor, source, request_ip, correlation_id, aggregate_type,
                                    aggregate_id, sequence, event_type, subject, summary, changes)
             SELECT * FROM UNNEST($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                                  $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::text[],
                                  $13::jsonb[])
             ON CONFLICT (position) DO NOTHING",
        )
        .bind(cols.position)
        .bind(cols.recorded_at)
        .bind(cols.actor)
        .bind(cols.source)
        .bind(cols.request_ip)
        .bind(cols.correlation_id)
        .bind(cols.aggregate_type)
        .bind(cols.aggregate_id)
        .bind(cols.sequence)
        .bind(cols.event_type)
        .bind(cols.subject)
        .bind(cols.summary)
        .bind(cols.changes)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

#[derive(Default)]
struct AuditColumns {
    position: Vec<i64>,
    recorded_at: Vec<chrono::DateTime<chrono::Utc>>,
    actor: Vec<String>,
    source: Vec<String>,
    request_ip: Vec<Option<String>>,
    correlation_id: Vec<String>,
    aggregate_type: Vec<String>,
    aggregate_id: Vec<String>,
    sequence: Vec<i64>,
    event_type: Vec<String>,
    subject: Vec<String>,
    summary: Vec<String>,
    changes: Vec<Value>,
}

impl AuditColumns {
    fn push(&mut self, e: &StoredEvent, subject: String, summary: String, changes: Value) {
        self.position.push(e.position);
        self.recorded_at.push(e.metadata.recorded_at);
        self.actor.push(e.metadata.actor.clone());
        self.source.push(e.metadata.source.as_str().to_owned());
        self.request_ip.push(e.metadata.request_ip.clone());
        self.correlation_id.push(e.metadata.correlation_id.clone());
        self.aggregate_type.push(e.aggregate_type.clone());
        self.aggregate_id.push(e.aggregate_id.clone());
        self.sequence.push(e.sequence);
        self.event_type.push(e.event_type.clone());
        self.subject.push(subject);
        self.summary.push(summary);
        self.changes.push(changes);
    }
}
