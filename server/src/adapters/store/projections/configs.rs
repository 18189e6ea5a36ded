//! `config_versions` and `config_state`: each device's configuration versions and latest backup.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::archive::{ArchiveEvent, ConfigArchive};
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct ConfigsProjection;

#[async_trait]
impl Projection for ConfigsProjection {
    fn name(&self) -> &'static str {
        "configs"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["config_versions", "config_state"]
    }

    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&[ConfigArchive::TYPE])
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        for e in events.iter().filter(|e| e.aggregate_type == ConfigArchive::TYPE) {
            let event: ArchiveEvent = match e.payload_as() {
                Ok(ev) => ev,
                Err(err) => {
                    tracing::warn!(position = e.position, error = %err, "configs projection skips unreadable event");
                    continue;
                }
            };
            let device = e.aggregate_id.as_str();
            let at = e.metadata.recorded_at;
            let (version, drift, changed) = match event {
                ArchiveEvent::VersionRecorded { version, running_hash, startup_hash, drift, operation_id } => {
                    sqlx::query(
                        "INSERT INTO config_versions (device_id, version, running_hash, startup_hash, drift,
                                                      operation_id, actor, recorded_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                    )
                    .bind(device)
                    .bind(version)
                    .bind(running_hash)
                    .bind(startup_hash)
                    .bind(drift)
                    .bind(operation_id)
                    .bind(&e.metadata.actor)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                    (version, drift, true)
                }
                ArchiveEvent::Unchanged { version, drift, .. } => (version, drift, false),
            };
            sqlx::query(
                "INSERT INTO config_state (device_id, latest_version, drift, last_backup_at, last_changed, backups)
                 VALUES ($1, $2, $3, $4, $5, 1)
                 ON CONFLICT (device_id) DO UPDATE SET latest_version = $2, drift = $3, last_backup_at = $4,
                        last_changed = $5, backups = config_state.backups + 1",
            )
            .bind(device)
            .bind(version)
            .bind(drift)
            .bind(at)
            .bind(changed)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}
