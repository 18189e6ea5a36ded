//! `destinations`, `monitor_jobs` and `monitor_job_gaps`: the places latency is measured to and
//! every measurement job with its status and the gaps a server restart left.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::monitoring::{Destination, DestinationEvent, JobEvent, MonitorJob};
use sqlx::PgConnection;

use crate::adapters::store::{Projection, StoreError, StoredEvent};

pub struct MonitoringProjection;

#[async_trait]
impl Projection for MonitoringProjection {
    fn name(&self) -> &'static str {
        "monitoring"
    }

    fn tables(&self) -> &'static [&'static str] {
        &["destinations", "monitor_jobs", "monitor_job_gaps"]
    }

    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        Some(&[Destination::TYPE, MonitorJob::TYPE])
    }

    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError> {
        for e in events {
            if e.aggregate_type == Destination::TYPE {
                match e.payload_as::<DestinationEvent>() {
                    Ok(ev) => destination(conn, e, ev).await?,
                    Err(err) => {
                        tracing::warn!(position = e.position, error = %err, "monitoring projection skips unreadable event");
                    }
                }
            } else if e.aggregate_type == MonitorJob::TYPE {
                match e.payload_as::<JobEvent>() {
                    Ok(ev) => job(conn, e, ev).await?,
                    Err(err) => {
                        tracing::warn!(position = e.position, error = %err, "monitoring projection skips unreadable event");
                    }
                }
            }
        }
        Ok(())
    }
}

/// A name another live destination already has (two adds raced past the server's check) gets
/// the id appended rather than stalling the projection on the unique index.
const UNIQUE_NAME: &str = "CASE WHEN EXISTS (SELECT 1 FROM destinations o WHERE lower(o.name) = lower($2)
                                              AND NOT o.removed AND o.id <> $1)
                            THEN $2 || ' (' || left($1, 8) || ')' ELSE $2 END";

async fn destination(conn: &mut PgConnection, e: &StoredEvent, event: DestinationEvent) -> Result<(), StoreError> {
    let id = e.aggregate_id.as_str();
    let at = e.metadata.recorded_at;
    match event {
        // An update writes the same columns as the add; the row keeps its creation time.
        DestinationEvent::Added { spec } | DestinationEvent::Updated { spec } => {
            sqlx::query(&format!(
                "INSERT INTO destinations (id, name, address, site, city, country, tags, version, created_at, updated_at)
                 VALUES ($1, {UNIQUE_NAME}, $3, $4, $5, $6, $7, $8, $9, $9)
                 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
                        site = EXCLUDED.site, city = EXCLUDED.city, country = EXCLUDED.country, tags = EXCLUDED.tags,
                        version = EXCLUDED.version, updated_at = EXCLUDED.updated_at"
            ))
            .bind(id)
            .bind(&spec.name)
            .bind(&spec.address)
            .bind(&spec.site)
            .bind(&spec.city)
            .bind(&spec.country)
            .bind(&spec.tags)
            .bind(e.sequence)
            .bind(at)
            .execute(&mut *conn)
            .await?;
        }
        DestinationEvent::Removed => {
            sqlx::query("UPDATE destinations SET removed = true, version = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(e.sequence)
                .bind(at)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

async fn job(conn: &mut PgConnection, e: &StoredEvent, event: JobEvent) -> Result<(), StoreError> {
    let id = e.aggregate_id.as_str();
    let at = e.metadata.recorded_at;
    let targets = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let interval = |ms: u32| i32::try_from(ms).unwrap_or(i32::MAX);
    match event {
        JobEvent::Scheduled { spec, .. } => {
            let spec_json = serde_json::to_value(&spec).unwrap_or(serde_json::Value::Null);
            sqlx::query(
                "INSERT INTO monitor_jobs (id, name, status, selection, spec, starts_at, ends_at, interval_ms,
                                           targets_total, created_by, created_at, version)
                 VALUES ($1, $2, 'scheduled', $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(&spec.name)
            .bind(&spec.selection)
            .bind(spec_json)
            .bind(spec.starts_at)
            .bind(spec.ends_at)
            .bind(interval(spec.interval_ms))
            .bind(targets(spec.targets.len()))
            .bind(&e.metadata.actor)
            .bind(at)
            .bind(e.sequence)
            .execute(&mut *conn)
            .await?;
        }
        JobEvent::Edited { spec } => {
            let spec_json = serde_json::to_value(&spec).unwrap_or(serde_json::Value::Null);
            sqlx::query(
                "UPDATE monitor_jobs SET name = $2, selection = $3, spec = $4, starts_at = $5, ends_at = $6,
                        interval_ms = $7, targets_total = $8, version = $9
                  WHERE id = $1",
            )
            .bind(id)
            .bind(&spec.name)
            .bind(&spec.selection)
            .bind(spec_json)
            .bind(spec.starts_at)
            .bind(spec.ends_at)
            .bind(interval(spec.interval_ms))
            .bind(targets(spec.targets.len()))
            .bind(e.sequence)
            .execute(&mut *conn)
            .await?;
        }
        JobEvent::Started { at: started } => {
            sqlx::query("UPDATE monitor_jobs SET status = 'running', started_at = $2, version = $3 WHERE id = $1")
                .bind(id)
                .bind(started)
                .bind(e.sequence)
                .execute(&mut *conn)
                .await?;
        }
        JobEvent::Resumed { gap_from, gap_to } => {
            sqlx::query(
                "INSERT INTO monitor_job_gaps (job_id, gap_from, gap_to) VALUES ($1, $2, $3)
                 ON CONFLICT (job_id, gap_from) DO UPDATE SET gap_to = greatest(monitor_job_gaps.gap_to, EXCLUDED.gap_to)",
            )
            .bind(id)
            .bind(gap_from)
            .bind(gap_to)
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE monitor_jobs SET status = 'running', version = $2 WHERE id = $1")
                .bind(id)
                .bind(e.sequence)
                .execute(&mut *conn)
                .await?;
        }
        JobEvent::Completed { at: finished, .. } => {
            sqlx::query("UPDATE monitor_jobs SET status = 'completed', finished_at = $2, version = $3 WHERE id = $1")
                .bind(id)
                .bind(finished)
                .bind(e.sequence)
                .execute(&mut *conn)
                .await?;
        }
        JobEvent::Cancelled { by, reason } => {
            sqlx::query(
                "UPDATE monitor_jobs SET status = 'cancelled', finished_at = $2, cancelled_by = $3, finish_reason = $4,
                        version = $5
                  WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(by)
            .bind(reason)
            .bind(e.sequence)
            .execute(&mut *conn)
            .await?;
        }
        JobEvent::Failed { error } => {
            sqlx::query(
                "UPDATE monitor_jobs SET status = 'failed', finished_at = $2, finish_reason = $3, version = $4
                  WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .bind(error)
            .bind(e.sequence)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}
