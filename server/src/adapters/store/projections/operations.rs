//! `operations` and `operation_targets`: every run, its targets, their progress and results.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::operation::{Operation, OperationEvent, OperationStatus, TargetStatus};
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct OperationsProjection;

/// Progress logs are for watching a run; the final output is kept separately and in full.
const MAX_LOG_BYTES: i32 = 256 * 1024;

#[async_trait]
impl Projection for OperationsProjection {
    fn name(&self) -> &'static str {
        "operations"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["operations", "operation_targets"]
    }

    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&[Operation::TYPE])
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        for e in events.iter().filter(|e| e.aggregate_type == Operation::TYPE) {
            let event: OperationEvent = match e.payload_as() {
                Ok(ev) => ev,
                Err(err) => {
                    tracing::warn!(position = e.position, error = %err, "operations projection skips unreadable event");
                    continue;
                }
            };
            let id = e.aggregate_id.as_str();
            let at = e.metadata.recorded_at;
            match event {
                OperationEvent::Requested { spec, .. } => {
                    let status =
                        if spec.scheduled_at.is_some() { OperationStatus::Scheduled } else { OperationStatus::Queued };
                    let spec_json = serde_json::to_value(&spec).unwrap_or(serde_json::Value::Null);
                    sqlx::query(
                        "INSERT INTO operations (id, kind, status, selection, reason, requested_by, requested_at,
                                                 scheduled_at, concurrency, spec, targets_total)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(id)
                    .bind(spec.kind.as_str())
                    .bind(status.as_str())
                    .bind(&spec.selection)
                    .bind(&spec.reason)
                    .bind(&e.metadata.actor)
                    .bind(at)
                    .bind(spec.scheduled_at)
                    .bind(i32::from(spec.concurrency))
                    .bind(spec_json)
                    .bind(i32::try_from(spec.targets.len()).unwrap_or(i32::MAX))
                    .execute(&mut *conn)
                    .await?;
                    let ids: Vec<&str> = spec.targets.iter().map(|t| t.device_id.as_str()).collect();
                    let hosts: Vec<&str> = spec.targets.iter().map(|t| t.hostname.as_str()).collect();
                    sqlx::query(
                        "INSERT INTO operation_targets (operation_id, device_id, ordinal, hostname, status)
                         SELECT $1, d, o::int, h, 'pending' FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(d, h, o)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(&ids)
                    .bind(&hosts)
                    .execute(&mut *conn)
                    .await?;
                }
                OperationEvent::Started => {
                    sqlx::query("UPDATE operations SET status = 'running', started_at = $2 WHERE id = $1")
                        .bind(id)
                        .bind(at)
                        .execute(&mut *conn)
                        .await?;
                }
                OperationEvent::TargetStarted { device_id } => {
                    sqlx::query(
                        "UPDATE operation_targets SET status = 'running', started_at = $3
                          WHERE operation_id = $1 AND device_id = $2",
                    )
                    .bind(id)
                    .bind(device_id)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                }
                OperationEvent::TargetProgress { device_id, step, output, elapsed_ms } => {
                    let line = if output.is_empty() {
                        format!("[{elapsed_ms} ms] {step}\n")
                    } else {
                        format!("[{elapsed_ms} ms] {step}\n{output}\n")
                    };
                    sqlx::query(
                        "UPDATE operation_targets SET log = CASE WHEN octet_length(log) > $4 THEN log ELSE log || $3 END
                          WHERE operation_id = $1 AND device_id = $2",
                    )
                    .bind(id)
                    .bind(device_id)
                    .bind(line)
                    .bind(MAX_LOG_BYTES)
                    .execute(&mut *conn)
                    .await?;
                }
                OperationEvent::TargetFinished { device_id, status, summary, output, details, duration_ms } => {
                    sqlx::query(
                        "UPDATE operation_targets
                            SET status = $3, summary = $4, output = $5, details = $6, finished_at = $7, duration_ms = $8
                          WHERE operation_id = $1 AND device_id = $2",
                    )
                    .bind(id)
                    .bind(device_id)
                    .bind(status.as_str())
                    .bind(summary)
                    .bind(output)
                    .bind(details)
                    .bind(at)
                    .bind(i64::try_from(duration_ms).unwrap_or(i64::MAX))
                    .execute(&mut *conn)
                    .await?;
                    let column = match status {
                        TargetStatus::Succeeded => "succeeded",
                        TargetStatus::Cancelled => "cancelled",
                        _ => "failed",
                    };
                    sqlx::query(&format!("UPDATE operations SET {column} = {column} + 1 WHERE id = $1"))
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                }
                OperationEvent::Cancelled { by, reason, cancelled_targets } => {
                    sqlx::query(
                        "UPDATE operation_targets SET status = 'cancelled', finished_at = $3
                          WHERE operation_id = $1 AND device_id = ANY($2)",
                    )
                    .bind(id)
                    .bind(&cancelled_targets)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query(
                        "UPDATE operations SET cancelled_by = $2, cancel_reason = $3, cancelled = cancelled + $4
                          WHERE id = $1",
                    )
                    .bind(id)
                    .bind(by)
                    .bind(reason)
                    .bind(i32::try_from(cancelled_targets.len()).unwrap_or(i32::MAX))
                    .execute(&mut *conn)
                    .await?;
                }
                OperationEvent::Finished { status, succeeded, failed, cancelled } => {
                    sqlx::query(
                        "UPDATE operations SET status = $2, finished_at = $3, succeeded = $4, failed = $5, cancelled = $6
                          WHERE id = $1",
                    )
                    .bind(id)
                    .bind(status.as_str())
                    .bind(at)
                    .bind(i32::try_from(succeeded).unwrap_or(i32::MAX))
                    .bind(i32::try_from(failed).unwrap_or(i32::MAX))
                    .bind(i32::try_from(cancelled).unwrap_or(i32::MAX))
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
        Ok(())
    }
}
