//! `audit_log`: one row per event with who, when, where from and what it is about, indexed for
//! the audit trail's filters. Summaries and before/after are derived from the event when read.

use async_trait::async_trait;
use sqlx::PgConnection;

use super::batch_range;
use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct AuditProjection;

#[async_trait]
impl Projection for AuditProjection {
    fn name(&self) -> &'static str {
        "audit"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["audit_log"]
    }

    /// Set-based: the batch is copied from the log in SQL, so no payload is read into Rust.
    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&[])
    }

    /// A device event's subject is its hostname: from the event's own spec, or for events
    /// without one (decommission, restore) from the device's latest spec-carrying event.
    /// JSON operators return NULL on unexpected shapes, so a malformed event cannot stall this.
    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        let Some((first, last)) = batch_range(events) else { return Ok(()) };
        sqlx::query(
            "INSERT INTO audit_log (position, recorded_at, actor, source, request_ip, correlation_id,
                                    aggregate_type, aggregate_id, sequence, event_type, subject)
             SELECT e.global_position, e.recorded_at,
                    coalesce(x.m ->> 'actor', ''), coalesce(x.m ->> 'source', 'system'),
                    x.m ->> 'request_ip', coalesce(x.m ->> 'correlation_id', ''),
                    e.aggregate_type, e.aggregate_id, e.sequence, e.event_type,
                    CASE WHEN e.aggregate_type = 'device' THEN coalesce(
                        x.p -> e.event_type -> 'spec' ->> 'hostname',
                        (SELECT q.payload::jsonb -> q.event_type -> 'spec' ->> 'hostname'
                           FROM events q
                          WHERE q.aggregate_type = 'device' AND q.aggregate_id = e.aggregate_id
                            AND q.sequence < e.sequence AND q.event_type IN ('DeviceRegistered', 'DeviceUpdated')
                          ORDER BY q.sequence DESC LIMIT 1),
                        e.aggregate_id)
                    ELSE e.aggregate_id END
               FROM events e
               -- Parse each stored text once (operators on `json` re-parse on every step).
               CROSS JOIN LATERAL (SELECT e.metadata::jsonb AS m,
                                          CASE WHEN e.aggregate_type = 'device' THEN e.payload::jsonb END AS p) x
              WHERE (e.tx_id, e.global_position) >= ($1::text::xid8, $2)
                AND (e.tx_id, e.global_position) <= ($3::text::xid8, $4)",
        )
        .bind(first.0.to_string())
        .bind(first.1)
        .bind(last.0.to_string())
        .bind(last.1)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
