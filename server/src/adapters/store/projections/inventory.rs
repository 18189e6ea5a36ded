//! `devices`: the current attributes and status of every device.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::batch_range;
use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct InventoryProjection;

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

    /// Set-based: the batch is applied from the log in SQL, so no payload is read into Rust.
    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&[])
    }

    /// Registered and Updated events carry the whole resulting spec, so per device only the
    /// last of them in the batch matters, and the last status-changing event gives the status.
    /// One statement folds the batch's range of the log into the table; a device touched a
    /// hundred times in a batch is written once.
    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        let Some((first, last)) = batch_range(events) else { return Ok(()) };
        if !events.iter().any(|e| e.aggregate_type == "device") {
            return Ok(());
        }
        sqlx::query(
            // One pass over the batch, grouped by device; the joins are primary-key lookups. The
            // shape does not depend on planner estimates, which are stale right after bulk writes.
            "WITH b AS (
                SELECT aggregate_id, sequence, event_type, recorded_at, global_position
                  FROM events
                 WHERE (tx_id, global_position) >= ($1::text::xid8, $2)
                   AND (tx_id, global_position) <= ($3::text::xid8, $4)
                   AND aggregate_type = 'device'
             ), fold AS (
                SELECT aggregate_id,
                       max(sequence) AS version,
                       (array_agg(recorded_at ORDER BY sequence DESC))[1] AS updated_at,
                       min(recorded_at) FILTER (WHERE event_type = $5) AS registered_at,
                       (array_agg(global_position ORDER BY sequence DESC) FILTER (WHERE event_type IN ($5, $6)))[1]
                           AS spec_position,
                       (array_agg(event_type ORDER BY sequence DESC) FILTER (WHERE event_type IN ($5, $7, $8)))[1]
                           AS status_event
                  FROM b GROUP BY aggregate_id
             )
             INSERT INTO devices (id, spec, status, registered_at, updated_at, version)
             SELECT f.aggregate_id,
                    coalesce(e.payload::jsonb -> e.event_type -> 'spec', d.spec),
                    coalesce(CASE WHEN f.status_event = $7 THEN 'decommissioned'
                                  WHEN f.status_event IS NOT NULL THEN 'active' END,
                             d.status, 'active'),
                    coalesce(d.registered_at, f.registered_at, f.updated_at), f.updated_at, f.version
               FROM fold f
               LEFT JOIN events e ON e.global_position = f.spec_position
               LEFT JOIN devices d ON d.id = f.aggregate_id
              WHERE coalesce(e.payload::jsonb -> e.event_type -> 'spec', d.spec) IS NOT NULL
             ON CONFLICT (id) DO UPDATE SET
                spec = EXCLUDED.spec, status = EXCLUDED.status, updated_at = EXCLUDED.updated_at, version = EXCLUDED.version",
        )
        .bind(first.0.to_string())
        .bind(first.1)
        .bind(last.0.to_string())
        .bind(last.1)
        .bind(REGISTERED)
        .bind(UPDATED)
        .bind(DECOMMISSIONED)
        .bind(RESTORED)
        .execute(&mut *conn)
        .await?;
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
