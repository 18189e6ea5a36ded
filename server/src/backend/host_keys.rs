//! Host key trust on first use, recorded as `DeviceHostKeyTrusted` events.

use std::sync::Arc;

use async_trait::async_trait;
use domain::device::DeviceCommand;
use domain::metadata::{EventMetadata, Source};
use sqlx::PgPool;

use crate::adapters::ssh::HostKeyStore;
use crate::adapters::store::EventStore;

/// Reads trusted keys from the device's own events (not the read model, which may lag a first
/// connection made a moment ago) and records first sightings as device events. The aggregate
/// refuses a second, different key, so two first connections racing cannot both be trusted.
pub struct EventHostKeys {
    pub pool: PgPool,
    pub store: Arc<EventStore>,
}

#[async_trait]
impl HostKeyStore for EventHostKeys {
    async fn known(&self, device_id: &str) -> Option<String> {
        match sqlx::query_scalar(
            "SELECT payload::jsonb -> 'DeviceHostKeyTrusted' ->> 'fingerprint' FROM events
              WHERE aggregate_type = 'device' AND aggregate_id = $1 AND event_type = 'DeviceHostKeyTrusted'
              ORDER BY sequence LIMIT 1",
        )
        .bind(device_id)
        .fetch_optional(&self.pool)
        .await
        {
            Ok(f) => f,
            Err(e) => {
                tracing::warn!(device_id, error = %e, "cannot read trusted host keys");
                None
            }
        }
    }

    async fn trust_first_use(&self, device_id: &str, fingerprint: &str) {
        let meta =
            EventMetadata::new("system:ssh", Source::System, uuid::Uuid::new_v4().to_string(), chrono::Utc::now());
        let cmd = DeviceCommand::TrustHostKey { fingerprint: fingerprint.to_owned() };
        if let Err(e) = self.store.devices.execute_with_metadata(device_id, cmd, meta.to_map()).await {
            tracing::warn!(device_id, fingerprint, error = %crate::adapters::store::describe(&e), "host key not recorded");
        } else {
            tracing::info!(device_id, fingerprint, "host key trusted on first use");
        }
    }
}
