//! `alerts`: one row per alert episode (`<subject>#<episode>`), from raised to cleared, with its
//! latest value and who acknowledged it.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::monitoring::{Alert, AlertEvent};
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct AlertsProjection;

#[async_trait]
impl Projection for AlertsProjection {
    fn name(&self) -> &'static str {
        "alerts"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["alerts"]
    }

    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&[Alert::TYPE])
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        for e in events.iter().filter(|e| e.aggregate_type == Alert::TYPE) {
            let event: AlertEvent = match e.payload_as() {
                Ok(ev) => ev,
                Err(err) => {
                    tracing::warn!(position = e.position, error = %err, "alerts projection skips unreadable event");
                    continue;
                }
            };
            let subject = e.aggregate_id.as_str();
            let episode_id = |episode: u32| format!("{subject}#{episode}");
            match event {
                AlertEvent::Raised { episode, subject: s, value, threshold, at } => {
                    sqlx::query(
                        "INSERT INTO alerts (id, subject, subject_label, metric, job_id, device_id, threshold, value,
                                             last_value, raised_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(episode_id(episode))
                    .bind(subject)
                    .bind(&s.label)
                    .bind(s.metric.as_str())
                    .bind(&s.job_id)
                    .bind(&s.device_id)
                    .bind(threshold)
                    .bind(value)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                }
                AlertEvent::Suppressed { episode, value, .. } => {
                    sqlx::query("UPDATE alerts SET last_value = $2 WHERE id = $1")
                        .bind(episode_id(episode))
                        .bind(value)
                        .execute(&mut *conn)
                        .await?;
                }
                AlertEvent::Cleared { episode, value, at } => {
                    sqlx::query("UPDATE alerts SET cleared_at = $2, last_value = $3 WHERE id = $1")
                        .bind(episode_id(episode))
                        .bind(at)
                        .bind(value)
                        .execute(&mut *conn)
                        .await?;
                }
                AlertEvent::Closed { episode, at, reason } => {
                    sqlx::query("UPDATE alerts SET cleared_at = $2, close_reason = $3 WHERE id = $1")
                        .bind(episode_id(episode))
                        .bind(at)
                        .bind(reason)
                        .execute(&mut *conn)
                        .await?;
                }
                AlertEvent::Acknowledged { episode, by, note } => {
                    sqlx::query(
                        "UPDATE alerts SET acknowledged_by = $2, acknowledged_at = $3, ack_note = $4 WHERE id = $1",
                    )
                    .bind(episode_id(episode))
                    .bind(by)
                    .bind(e.metadata.recorded_at)
                    .bind(note)
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
        Ok(())
    }
}
