//! `device_host_keys`: the SSH host key each device was trusted with on first use.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::device::{Device, DeviceEvent};
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct HostKeysProjection;

#[async_trait]
impl Projection for HostKeysProjection {
    fn name(&self) -> &'static str {
        "host_keys"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["device_host_keys"]
    }

    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&[Device::TYPE])
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        for e in events.iter().filter(|e| e.event_type == "DeviceHostKeyTrusted") {
            let Ok(DeviceEvent::HostKeyTrusted { fingerprint }) = e.payload_as() else {
                tracing::warn!(position = e.position, "host_keys projection skips unreadable event");
                continue;
            };
            sqlx::query(
                "INSERT INTO device_host_keys (device_id, fingerprint, trusted_at) VALUES ($1, $2, $3)
                 ON CONFLICT (device_id) DO UPDATE SET fingerprint = $2, trusted_at = $3",
            )
            .bind(&e.aggregate_id)
            .bind(fingerprint)
            .bind(e.metadata.recorded_at)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
