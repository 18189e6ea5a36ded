//! `devices`: the current attributes and status of every device.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::device::Device;
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct InventoryProjection;

/// What a batch changes for one device; folded in memory so a batch is two bulk statements.
struct Patch<'a> {
    /// Payload text of the last event carrying the full spec; the spec is cut out in SQL.
    spec_payload: Option<&'a str>,
    spec_event: Option<&'a str>,
    status: Option<&'static str>,
    registered_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    version: i64,
}

// Frozen event names (see `DeviceEvent`); checked against the enum by a test below.
const REGISTERED: &str = "DeviceRegistered";
const UPDATED: &str = "DeviceUpdated";
const DECOMMISSIONED: &str = "DeviceDecommissioned";
const RESTORED: &str = "DeviceRestored";

#[async_trait]
impl Projection for InventoryProjection {
    fn name(&self) -> &'static str {
        "inventory"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["devices"]
    }

    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&["device"])
    }

    /// Registered and Updated events carry the whole resulting spec, so only the last one of
    /// each device in a batch matters; its payload goes to PostgreSQL as is. This keeps a
    /// rebuild from parsing a million payloads it would throw away.
    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        use cqrs_es::Aggregate;
        let mut patches: HashMap<&str, Patch<'_>> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for e in events.iter().filter(|e| e.aggregate_type == Device::TYPE) {
            let at = e.metadata.recorded_at;
            let p = patches.entry(e.aggregate_id.as_str()).or_insert_with(|| {
                order.push(e.aggregate_id.as_str());
                Patch {
                    spec_payload: None,
                    spec_event: None,
                    status: None,
                    registered_at: None,
                    updated_at: at,
                    version: e.sequence,
                }
            });
            p.updated_at = at;
            p.version = e.sequence;
            match e.event_type.as_str() {
                REGISTERED => {
                    p.spec_payload = Some(&e.payload);
                    p.spec_event = Some(REGISTERED);
                    p.status = Some("active");
                    p.registered_at = Some(at);
                }
                UPDATED => {
                    p.spec_payload = Some(&e.payload);
                    p.spec_event = Some(UPDATED);
                }
                DECOMMISSIONED => p.status = Some("decommissioned"),
                RESTORED => p.status = Some("active"),
                other => tracing::warn!(position = e.position, event_type = other, "inventory skips unknown event"),
            }
        }
        let (with_spec, status_only): (Vec<&str>, Vec<&str>) =
            order.into_iter().partition(|id| patches[id].spec_payload.is_some());

        if !with_spec.is_empty() {
            let rows: Vec<&Patch<'_>> = with_spec.iter().map(|id| &patches[id]).collect();
            sqlx::query(
                "INSERT INTO devices (id, spec, status, registered_at, updated_at, version)
                 SELECT id, (payload::jsonb) -> event -> 'spec', coalesce(status, 'active'),
                        coalesce(registered_at, updated_at), updated_at, version
                   FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bigint[])
                        AS u(id, payload, event, status, registered_at, updated_at, version)
                 ON CONFLICT (id) DO UPDATE SET
                    spec = EXCLUDED.spec,
                    status = CASE WHEN $8::text[] @> ARRAY[EXCLUDED.id] THEN EXCLUDED.status ELSE devices.status END,
                    updated_at = EXCLUDED.updated_at,
                    version = EXCLUDED.version",
            )
            .bind(&with_spec)
            .bind(rows.iter().map(|p| p.spec_payload).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.spec_event).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.status).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.registered_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.updated_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.version).collect::<Vec<_>>())
            .bind(with_spec.iter().filter(|id| patches[*id].status.is_some()).copied().collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
        }
        if !status_only.is_empty() {
            let rows: Vec<&Patch<'_>> = status_only.iter().map(|id| &patches[id]).collect();
            sqlx::query(
                "UPDATE devices d SET status = coalesce(u.status, d.status), updated_at = u.updated_at, version = u.version
                   FROM UNNEST($1::text[], $2::text[], $3::timestamptz[], $4::bigint[]) AS u(id, status, updated_at, version)
                  WHERE d.id = u.id",
            )
            .bind(&status_only)
            .bind(rows.iter().map(|p| p.status).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.updated_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.version).collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::DomainEvent;
    use domain::device::{DeviceDraft, DeviceEvent};

    #[test]
    fn event_names_match_the_domain() {
        let spec = DeviceDraft {
            hostname: "r1".into(),
            address: "10.0.0.1".into(),
            platform: "cisco_ios".into(),
            ..DeviceDraft::default()
        }
        .parse()
        .unwrap();
        let names: Vec<String> = [
            DeviceEvent::Registered { spec: spec.clone() },
            DeviceEvent::Updated { changes: vec![], spec },
            DeviceEvent::Decommissioned { reason: "x".into() },
            DeviceEvent::Restored { reason: "x".into() },
        ]
        .iter()
        .map(DomainEvent::event_type)
        .collect();
        assert_eq!(names, [super::REGISTERED, super::UPDATED, super::DECOMMISSIONED, super::RESTORED]);
    }
}
