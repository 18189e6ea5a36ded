//! `devices`: the current attributes and status of every device.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::device::{Device, DeviceEvent};
use serde_json::Value;
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct InventoryProjection;

/// What a batch changes for one device; folded in memory so a batch is two bulk statements.
struct Patch {
    spec: Option<Value>,
    status: Option<&'static str>,
    registered_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    version: i64,
}

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

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        use cqrs_es::Aggregate;
        let mut patches: HashMap<&str, Patch> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for e in events.iter().filter(|e| e.aggregate_type == Device::TYPE) {
            let event: DeviceEvent = match serde_json::from_value(e.payload.clone()) {
                Ok(ev) => ev,
                Err(err) => {
                    tracing::warn!(position = e.position, error = %err, "inventory skips unreadable event");
                    continue;
                }
            };
            let at = e.metadata.recorded_at;
            let p = patches.entry(e.aggregate_id.as_str()).or_insert_with(|| {
                order.push(e.aggregate_id.as_str());
                Patch { spec: None, status: None, registered_at: None, updated_at: at, version: e.sequence }
            });
            p.updated_at = at;
            p.version = e.sequence;
            match event {
                DeviceEvent::Registered { spec } => {
                    p.spec = serde_json::to_value(spec).ok();
                    p.status = Some("active");
                    p.registered_at = Some(at);
                }
                DeviceEvent::Updated { spec, .. } => p.spec = serde_json::to_value(spec).ok(),
                DeviceEvent::Decommissioned { .. } => p.status = Some("decommissioned"),
                DeviceEvent::Restored { .. } => p.status = Some("active"),
            }
        }
        let (with_spec, status_only): (Vec<&str>, Vec<&str>) =
            order.into_iter().partition(|id| patches[id].spec.is_some());

        if !with_spec.is_empty() {
            let rows: Vec<&Patch> = with_spec.iter().map(|id| &patches[id]).collect();
            sqlx::query(
                "INSERT INTO devices (id, spec, status, registered_at, updated_at, version)
                 SELECT id, spec, coalesce(status, 'active'), coalesce(registered_at, updated_at), updated_at, version
                   FROM UNNEST($1::text[], $2::jsonb[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[])
                        AS u(id, spec, status, registered_at, updated_at, version)
                 ON CONFLICT (id) DO UPDATE SET
                    spec = EXCLUDED.spec,
                    status = CASE WHEN $7::text[] @> ARRAY[EXCLUDED.id] THEN EXCLUDED.status ELSE devices.status END,
                    updated_at = EXCLUDED.updated_at,
                    version = EXCLUDED.version",
            )
            .bind(&with_spec)
            .bind(rows.iter().map(|p| p.spec.clone()).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.status).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.registered_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.updated_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|p| p.version).collect::<Vec<_>>())
            .bind(with_spec.iter().filter(|id| patches[*id].status.is_some()).copied().collect::<Vec<_>>())
            .execute(&mut *conn)
            .await?;
        }
        if !status_only.is_empty() {
            let rows: Vec<&Patch> = status_only.iter().map(|id| &patches[id]).collect();
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
