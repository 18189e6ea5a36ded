//! A job's time series for charts: the resolution (raw rounds, or 1-minute / 1-hour rollups,
//! merged into wider buckets when needed) is chosen so each target has at most `max_points`
//! points; with the job's gaps and the change events of its device targets in the range.

use std::collections::{BTreeMap, HashSet};

use app::error::AppError;
use app::model::CurrentUser;
use app::monitoring::model::{ChangeMarker, Gap, Series, SeriesPoint, SeriesQuery, TargetSeries};
use app::ssr::require_role;
use chrono::{DateTime, Duration, DurationRound, Utc};
use domain::identity::Permission;
use domain::monitoring::{JobTarget, TargetKind};
use futures::TryStreamExt;
use serde_json::Value;
use sqlx::Row;

use super::super::{internal, AppState};
use super::field_error;
use super::jobs::{find, gaps, round};

const DEFAULT_MAX_POINTS: u32 = 600;
const MAX_MAX_POINTS: u32 = 10_000;
const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
/// Change markers drawn at most; a chart with more would be unreadable anyway.
const MAX_CHANGES: i64 = 500;

/// Where the points come from and how wide a bucket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    Raw,
    /// Rollup table's bucket (1 minute or 1 hour) and the width points are merged to.
    Rollup {
        source_ms: i64,
        width_ms: i64,
    },
}

impl Resolution {
    /// The finest resolution that gives at most `max_points` points over `span_ms`.
    fn choose(span_ms: i64, interval_ms: i64, max_points: i64) -> Self {
        let max_points = max_points.max(2);
        if span_ms / interval_ms.max(1) < max_points {
            return Self::Raw;
        }
        // Buckets are aligned to the rollup's own boundaries, so one more may touch each end.
        let needed = (span_ms + max_points - 3) / (max_points - 2);
        let source_ms = if needed <= HOUR_MS { MINUTE_MS } else { HOUR_MS };
        let width_ms = ((needed + source_ms - 1) / source_ms).max(1) * source_ms;
        // Wider than an hour but built from minutes wastes work: hours merge the same way.
        let source_ms = if width_ms >= HOUR_MS && width_ms % HOUR_MS == 0 { HOUR_MS } else { source_ms };
        Self::Rollup { source_ms, width_ms }
    }

    fn label(self) -> String {
        match self {
            Self::Raw => "raw".into(),
            Self::Rollup { width_ms, .. } if width_ms % HOUR_MS == 0 => format!("{}h", width_ms / HOUR_MS),
            Self::Rollup { width_ms, .. } => format!("{}m", width_ms / MINUTE_MS),
        }
    }
}

fn ms(us: f64) -> f64 {
    (us / 1000.0 * 1000.0).round() / 1000.0
}

fn loss(sent: i64, received: i64) -> f64 {
    (domain::monitoring::stats::loss_pct(u64::try_from(sent).unwrap_or(0), u64::try_from(received).unwrap_or(0))
        * 1000.0)
        .round()
        / 1000.0
}

pub async fn series(state: &AppState, user: &CurrentUser, q: SeriesQuery) -> Result<Series, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let (job, spec) = find(state, &q.job_id).await?;
    let now = Utc::now();
    let from = q.from.unwrap_or(spec.starts_at);
    let to = q.to.unwrap_or_else(|| job.finished_at.or(spec.ends_at.filter(|e| *e < now)).unwrap_or(now));
    if to <= from {
        if q.from.is_some() || q.to.is_some() {
            return Err(field_error("to", "must be after 'from'"));
        }
        // A job that has not started yet has nothing to draw.
        return Ok(Series {
            resolution: Resolution::Raw.label(),
            from,
            to: from,
            targets: Vec::new(),
            gaps: Vec::new(),
            changes: Vec::new(),
        });
    }
    let wanted: Vec<&JobTarget> = if q.targets.is_empty() {
        spec.targets.iter().collect()
    } else {
        let keys: HashSet<&str> = q.targets.iter().map(String::as_str).collect();
        if let Some(unknown) = keys.iter().find(|k| !spec.targets.iter().any(|t| t.key == **k)) {
            return Err(field_error("targets", format!("the job has no target {unknown}")));
        }
        spec.targets.iter().filter(|t| keys.contains(t.key.as_str())).collect()
    };
    let keys: Vec<String> = wanted.iter().map(|t| t.key.clone()).collect();
    let max_points = match q.max_points {
        0 => DEFAULT_MAX_POINTS,
        n => n.min(MAX_MAX_POINTS),
    };
    let span_ms = (to - from).num_milliseconds();
    let resolution = Resolution::choose(span_ms, i64::from(spec.interval_ms), i64::from(max_points));
    let mut points: BTreeMap<String, Vec<SeriesPoint>> = BTreeMap::new();
    match resolution {
        Resolution::Raw => {
            let mut rows = sqlx::query(
                "SELECT target, at, sent, received, rtt_min_us, rtt_avg_us, rtt_max_us, jitter_us
                   FROM monitor_samples WHERE job_id = $1 AND target = ANY($2) AND at >= $3 AND at <= $4
                  ORDER BY target, at",
            )
            .bind(&q.job_id)
            .bind(&keys)
            .bind(from)
            .bind(to)
            .fetch(&state.pool);
            while let Some(r) = rows.try_next().await.map_err(internal)? {
                let s = round(&r);
                let us = |v: Option<u32>| v.map(|v| ms(f64::from(v)));
                points.entry(r.get("target")).or_default().push(SeriesPoint {
                    at: r.get("at"),
                    rtt_min_ms: us(s.rtt_min_us),
                    rtt_avg_ms: us(s.rtt_avg_us),
                    rtt_max_ms: us(s.rtt_max_us),
                    jitter_ms: us(s.jitter_us),
                    loss_pct: loss(i64::from(s.sent), i64::from(s.received)),
                });
            }
        }
        Resolution::Rollup { source_ms, width_ms } => {
            let table = if source_ms == HOUR_MS { "monitor_rollup_1h" } else { "monitor_rollup_1m" };
            let origin = from.duration_trunc(Duration::milliseconds(source_ms)).map_err(internal)?;
            let rows = sqlx::query(&format!(
                "SELECT target, date_bin(make_interval(secs => $5::float8 / 1000), bucket, $3) AS at,
                        sum(sent)::bigint AS sent, sum(received)::bigint AS received,
                        min(rtt_min_us) AS rtt_min_us, max(rtt_max_us) AS rtt_max_us,
                        sum(rtt_sum_us)::float8 / nullif(sum(rtt_n), 0) AS rtt_avg_us,
                        sum(jitter_sum_us)::float8 / nullif(sum(jitter_n), 0) AS jitter_us
                   FROM {table}
                  WHERE job_id = $1 AND target = ANY($2) AND bucket >= $3 AND bucket <= $4
                  GROUP BY 1, 2 ORDER BY 1, 2"
            ))
            .bind(&q.job_id)
            .bind(&keys)
            .bind(origin)
            .bind(to)
            .bind(width_ms as f64)
            .fetch_all(&state.pool)
            .await
            .map_err(internal)?;
            for r in &rows {
                points.entry(r.get("target")).or_default().push(SeriesPoint {
                    at: r.get("at"),
                    rtt_min_ms: r.get::<Option<i32>, _>("rtt_min_us").map(|v| ms(f64::from(v))),
                    rtt_avg_ms: r.get::<Option<f64>, _>("rtt_avg_us").map(ms),
                    rtt_max_ms: r.get::<Option<i32>, _>("rtt_max_us").map(|v| ms(f64::from(v))),
                    jitter_ms: r.get::<Option<f64>, _>("jitter_us").map(ms),
                    loss_pct: loss(r.get("sent"), r.get("received")),
                });
            }
        }
    }
    let targets = wanted
        .iter()
        .map(|t| TargetSeries {
            key: t.key.clone(),
            name: t.name.clone(),
            points: points.remove(&t.key).unwrap_or_default(),
        })
        .collect();
    let gaps: Vec<Gap> = gaps(state, &q.job_id).await?.into_iter().filter(|g| g.to >= from && g.from <= to).collect();
    let devices: Vec<String> =
        wanted.iter().filter(|t| t.kind == TargetKind::Device).map(|t| t.ref_id.clone()).collect();
    let changes = change_markers(state, &devices, from, to).await?;
    Ok(Series { resolution: resolution.label(), from, to, targets, gaps, changes })
}

/// Events that changed a device: its own updates and status changes, configuration versions
/// recorded by backups, and targets of push and restore operations that finished on it.
async fn change_markers(
    state: &AppState,
    devices: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ChangeMarker>, AppError> {
    if devices.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT a.recorded_at, a.aggregate_type, a.aggregate_id, a.event_type, a.actor,
                e.payload::jsonb AS payload, NULL::text AS kind, a.aggregate_id AS device_id
           FROM audit_log a JOIN events e ON e.global_position = a.position
          WHERE a.aggregate_type IN ('device', 'config_archive') AND a.aggregate_id = ANY($1)
            AND a.event_type IN ('DeviceUpdated', 'DeviceDecommissioned', 'DeviceRestored', 'ConfigVersionRecorded')
            AND a.recorded_at >= $2 AND a.recorded_at <= $3
         UNION ALL
         SELECT a.recorded_at, a.aggregate_type, a.aggregate_id, a.event_type, a.actor,
                e.payload::jsonb AS payload, o.kind, t.device_id
           FROM operation_targets t
           JOIN operations o ON o.id = t.operation_id AND o.kind IN ('push', 'restore')
           JOIN audit_log a ON a.aggregate_type = 'operation' AND a.aggregate_id = t.operation_id
                           AND a.event_type = 'OperationTargetFinished'
           JOIN events e ON e.global_position = a.position
          WHERE t.device_id = ANY($1) AND a.recorded_at >= $2 AND a.recorded_at <= $3
            AND e.payload::jsonb -> 'OperationTargetFinished' ->> 'device_id' = t.device_id
         ORDER BY 1 LIMIT $4",
    )
    .bind(devices)
    .bind(from)
    .bind(to)
    .bind(MAX_CHANGES)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?;
    let hosts: BTreeMap<String, String> = sqlx::query("SELECT id, hostname FROM devices WHERE id = ANY($1)")
        .bind(devices)
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?
        .iter()
        .map(|r| (r.get("id"), r.get::<Option<String>, _>("hostname").unwrap_or_default()))
        .collect();
    Ok(rows
        .iter()
        .map(|r| {
            let aggregate_type: String = r.get("aggregate_type");
            let aggregate_id: String = r.get("aggregate_id");
            let event_type: String = r.get("event_type");
            let payload: Value = r.get("payload");
            let device_id: String = r.get("device_id");
            let summary = match r.get::<Option<String>, _>("kind") {
                Some(kind) => {
                    let inner = &payload["OperationTargetFinished"];
                    format!(
                        "{kind} {}: {}",
                        inner["status"].as_str().unwrap_or("finished"),
                        inner["summary"].as_str().unwrap_or_default()
                    )
                }
                None => super::super::audit::describe(&aggregate_type, &aggregate_id, &event_type, &payload).0,
            };
            ChangeMarker {
                at: r.get("recorded_at"),
                hostname: hosts.get(&device_id).cloned().unwrap_or_default(),
                device_id,
                event_type,
                summary: summary.lines().next().unwrap_or_default().to_owned(),
                actor: r.get("actor"),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_rounds_when_they_fit() {
        assert_eq!(Resolution::choose(599_000, 1_000, 600), Resolution::Raw);
        assert_eq!(Resolution::choose(3_600_000, 60_000, 600), Resolution::Raw);
    }

    #[test]
    fn minutes_then_wider_buckets_never_exceed_the_bound() {
        for (span, interval, max) in [
            (3_600_000, 1_000, 600),
            (86_400_000, 1_000, 600),
            (30 * 86_400_000, 1_000, 600),
            (365 * 86_400_000_i64, 100, 600),
            (7_200_000, 1_000, 100),
        ] {
            let r = Resolution::choose(span, interval, max);
            let Resolution::Rollup { source_ms, width_ms } = r else { panic!("{span}: {r:?}") };
            assert_eq!(width_ms % source_ms, 0);
            // Aligned to the source boundary, the buckets can start up to one width early.
            assert!(span / width_ms + 2 <= max, "{span} {width_ms} {max}");
        }
        assert_eq!(Resolution::choose(3_600_000, 1_000, 600).label(), "1m");
        assert_eq!(Resolution::choose(86_400_000, 1_000, 600).label(), "3m");
        assert_eq!(Resolution::choose(365 * 86_400_000, 1_000, 600).label(), "15h");
    }
}
