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
            "WITH b AS (
                SELECT aggregate_id, sequence, event_type, payload, recorded_at
                  FROM events
                 WHERE (tx_id, global_position) >= ($1::text::xid8, $2)
                   AND (tx_id, global_position) <= ($3::text::xid8, $4)
                   AND aggregate_type = 'device'
             ), last_spec AS (
                SELECT DISTINCT ON (aggregate_id) aggregate_id, event_type, payload
                  FROM b WHERE event_type IN ($5, $6)
                 ORDER BY aggregate_id, sequence DESC
             ), spec AS (
                -- Parsed only for the one event per device that wins.
                SELECT aggregate_id, payload::jsonb -> event_type -> 'spec' AS spec FROM last_spec
             ), status AS (
                SELECT DISTINCT ON (aggregate_id) aggregate_id,
                       CASE WHEN event_type = $7 THEN 'decommissioned' ELSE 'active' END AS status
                  FROM b WHERE event_type IN ($5, $7, $8)
                 ORDER BY aggregate_id, sequence DESC
             ), head AS (
                SELECT DISTINCT ON (aggregate_id) aggregate_id, sequence AS version, recorded_at AS updated_at
                  FROM b ORDER BY aggregate_id, sequence DESC
             ), registered AS (
                SELECT aggregate_id, min(recorded_at) AS registered_at FROM b WHERE event_type = $5 GROUP BY aggregate_id
             )
             INSERT INTO devices (id, spec, status, registered_at, updated_at, version)
             SELECT h.aggregate_id, coalesce(s.spec, d.spec), coalesce(st.status, d.status, 'active'),
                    coalesce(d.registered_at, r.registered_at, h.updated_at), h.updated_at, h.version
               FROM head h
               LEFT JOIN spec s USING (aggregate_id)
               LEFT JOIN status st USING (aggregate_id)
               LEFT JOIN registered r USING (aggregate_id)
               LEFT JOIN devices d ON d.id = h.aggregate_id
              WHERE coalesce(s.spec, d.spec) IS NOT NULL
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
