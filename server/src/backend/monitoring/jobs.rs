//! Measurement jobs: scheduling (targets resolved here), editing, cancelling, the job list and a
//! job's detail with each target's figures over the run.

use std::collections::{BTreeMap, HashMap, HashSet};

use app::error::AppError;
use app::model::{CurrentUser, Page};
use app::monitoring::model::{AlertRow, Gap, JobDetail, JobQuery, JobRow, TargetStatus};
use app::ssr::{require_role, CommandContext};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::identity::Permission;
use domain::monitoring::job::MAX_TARGETS;
use domain::monitoring::{
    JobCommand, JobError, JobEvent, JobRequest, JobSpec, JobTarget, MonitorJob, RoundStats, Summary, SummaryBuilder,
    TargetKind,
};
use domain::FieldErrors;
use futures::TryStreamExt;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::super::devices::{group_descendants, like};
use super::super::{from_aggregate, internal, metadata, AppState};
use super::{field_error, paging};

const COLUMNS: &str = "id, name, status, selection, starts_at, ends_at, interval_ms, targets_total, created_by,
                       created_at, started_at, finished_at, cancelled_by, finish_reason, version";

/// Above this many rounds a run's figures come from the 1-minute rollups (exact counts, min, max,
/// mean and jitter; p95 over the minutes' means) instead of reading every sample.
const SUMMARY_FROM_SAMPLES_MAX_ROUNDS: i64 = 500_000;

pub(super) fn row(r: &PgRow, now: DateTime<Utc>) -> JobRow {
    let status: String = r.get("status");
    let starts_at: DateTime<Utc> = r.get("starts_at");
    let ends_at: Option<DateTime<Utc>> = r.get("ends_at");
    let progress_pct = match (status.as_str(), ends_at) {
        ("running", Some(end)) if end > starts_at => {
            let done = (now - starts_at).num_milliseconds() as f64 / (end - starts_at).num_milliseconds() as f64;
            Some((done * 1000.0).round().clamp(0.0, 1000.0) / 10.0)
        }
        ("completed", _) => Some(100.0),
        _ => None,
    };
    JobRow {
        id: r.get("id"),
        name: r.get("name"),
        status,
        selection: r.get("selection"),
        starts_at,
        ends_at,
        interval_ms: r.get("interval_ms"),
        targets_total: r.get("targets_total"),
        created_by: r.get("created_by"),
        created_at: r.get("created_at"),
        started_at: r.get("started_at"),
        finished_at: r.get("finished_at"),
        cancelled_by: r.get("cancelled_by"),
        finish_reason: r.get("finish_reason"),
        progress_pct,
        version: r.get("version"),
    }
}

/// The job's row and spec from the read model.
pub(super) async fn find(state: &AppState, id: &str) -> Result<(JobRow, JobSpec), AppError> {
    let r = sqlx::query(&format!("SELECT {COLUMNS}, spec FROM monitor_jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.pool)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let spec: JobSpec = serde_json::from_value(r.get("spec")).map_err(internal)?;
    Ok((row(&r, Utc::now()), spec))
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// Resolves the request's destinations, devices, group and tag to targets, deduplicated, in a
/// stable order, with a description of the selection for people.
async fn resolve_targets(state: &AppState, req: &JobRequest) -> Result<(Vec<JobTarget>, String), AppError> {
    let mut targets: Vec<JobTarget> = Vec::new();
    let mut parts = Vec::new();
    let mut errors = FieldErrors::default();
    let destination = |r: &PgRow| {
        let id: String = r.get("id");
        JobTarget {
            key: JobTarget::key_for(TargetKind::Destination, &id),
            kind: TargetKind::Destination,
            ref_id: id,
            name: r.get("name"),
            address: r.get("address"),
        }
    };
    let device = |r: &PgRow| {
        let id: String = r.get("id");
        JobTarget {
            key: JobTarget::key_for(TargetKind::Device, &id),
            kind: TargetKind::Device,
            ref_id: id,
            name: r.get::<Option<String>, _>("hostname").unwrap_or_default(),
            address: r.get::<Option<String>, _>("address").unwrap_or_default(),
        }
    };
    if !req.destination_ids.is_empty() {
        let rows = sqlx::query("SELECT id, name, address FROM destinations WHERE id = ANY($1) AND NOT removed")
            .bind(&req.destination_ids)
            .fetch_all(&state.pool)
            .await
            .map_err(internal)?;
        let before = targets.len();
        for id in &req.destination_ids {
            match rows.iter().find(|r| r.get::<String, _>("id") == *id) {
                None => errors.push("destination_ids", format!("no destination with id {id}")),
                Some(r) => targets.push(destination(r)),
            }
        }
        let added = &targets[before..];
        parts.push(if added.len() == 1 { added[0].name.clone() } else { plural(added.len(), "destination") });
    }
    if !req.device_ids.is_empty() {
        let rows = sqlx::query("SELECT id, hostname, address, status FROM devices WHERE id = ANY($1)")
            .bind(&req.device_ids)
            .fetch_all(&state.pool)
            .await
            .map_err(internal)?;
        let before = targets.len();
        for id in &req.device_ids {
            match rows.iter().find(|r| r.get::<String, _>("id") == *id) {
                None => errors.push("device_ids", format!("no device with id {id}")),
                Some(r) if r.get::<String, _>("status") == "decommissioned" => errors.push(
                    "device_ids",
                    format!("{} is decommissioned", r.get::<Option<String>, _>("hostname").unwrap_or_default()),
                ),
                Some(r) => targets.push(device(r)),
            }
        }
        let added = &targets[before..];
        parts.push(if added.len() == 1 { added[0].name.clone() } else { plural(added.len(), "device") });
    }
    let group = req.group.trim().trim_matches('/');
    if !group.is_empty() {
        let rows = sqlx::query(
            "SELECT id, hostname, address FROM devices WHERE status <> 'decommissioned'
                AND (group_path = $1 OR group_path LIKE $2) ORDER BY lower(hostname), id",
        )
        .bind(group)
        .bind(group_descendants(group))
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?;
        if rows.is_empty() {
            errors.push("group", format!("no active device in group {group}"));
        }
        targets.extend(rows.iter().map(device));
        parts.push(format!("group {group}"));
    }
    let tag = req.tag.trim().to_lowercase();
    if !tag.is_empty() {
        let dst = sqlx::query(
            "SELECT id, name, address FROM destinations WHERE NOT removed AND $1 = ANY(tags) ORDER BY lower(name), id",
        )
        .bind(&tag)
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?;
        let dev = sqlx::query(
            "SELECT id, hostname, address FROM devices WHERE status <> 'decommissioned' AND $1 = ANY(tags)
              ORDER BY lower(hostname), id",
        )
        .bind(&tag)
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?;
        if dst.is_empty() && dev.is_empty() {
            errors.push("tag", format!("no destination or active device tagged {tag}"));
        }
        targets.extend(dst.iter().map(destination));
        targets.extend(dev.iter().map(device));
        parts.push(format!("tag {tag}"));
    }
    let mut seen = HashSet::new();
    targets.retain(|t| seen.insert(t.key.clone()));
    if errors.is_empty() && targets.is_empty() {
        errors.push("targets", "the selection has no target");
    }
    if targets.len() > MAX_TARGETS {
        errors.push("targets", format!("{} targets; at most {MAX_TARGETS}", targets.len()));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok((targets, parts.join(" + ")))
}

async fn execute(state: &AppState, ctx: &CommandContext, id: &str, cmd: JobCommand) -> Result<(), AppError> {
    state.store.monitor_jobs.execute_with_metadata(id, cmd, metadata(ctx).to_map()).await.map_err(|e| match e {
        cqrs_es::AggregateError::UserError(JobError::ReasonRequired) => {
            field_error("reason", JobError::ReasonRequired.to_string())
        }
        cqrs_es::AggregateError::UserError(JobError::StartChanged) => {
            field_error("starts_at", JobError::StartChanged.to_string())
        }
        other => from_aggregate(other, |u| *u == JobError::NotFound),
    })?;
    metrics::counter!("netledger_commands_total", "aggregate" => "monitor_job").increment(1);
    Ok(())
}

pub async fn schedule(
    state: &AppState,
    ctx: &CommandContext,
    request: JobRequest,
    cloned_from: Option<String>,
) -> Result<String, AppError> {
    ctx.require(Permission::ManageMonitoring)?;
    let now = Utc::now();
    request.validate(now)?;
    let cloned_from = cloned_from.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
    if let Some(source) = &cloned_from {
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM monitor_jobs WHERE id = $1)")
            .bind(source)
            .fetch_one(&state.pool)
            .await
            .map_err(internal)?;
        if !exists {
            return Err(field_error("cloned_from", format!("no job with id {source}")));
        }
    }
    let (targets, selection) = resolve_targets(state, &request).await?;
    let spec = request.into_spec(targets, selection, now, cloned_from);
    let id = uuid::Uuid::new_v4().to_string();
    execute(state, ctx, &id, JobCommand::Schedule { id: id.clone(), spec }).await?;
    state.settle(MonitorJob::TYPE, &id).await;
    state.monitor.submit(&id);
    Ok(id)
}

pub async fn edit(state: &AppState, ctx: &CommandContext, id: &str, mut request: JobRequest) -> Result<(), AppError> {
    ctx.require(Permission::ManageMonitoring)?;
    let (job, current) = find(state, id).await?;
    let now = Utc::now();
    let running = job.status == "running";
    if running {
        // A running job keeps its start; the form may send it back (now in the past) or not at all.
        request.starts_at = None;
    }
    request.validate(now)?;
    let (targets, selection) = resolve_targets(state, &request).await?;
    let mut spec = request.into_spec(targets, selection, now, current.cloned_from.clone());
    if running {
        spec.starts_at = current.starts_at;
        spec.request.starts_at = Some(current.starts_at);
    }
    execute(state, ctx, id, JobCommand::Edit { spec }).await?;
    state.settle(MonitorJob::TYPE, id).await;
    state.monitor.reload(id);
    Ok(())
}

pub async fn cancel(state: &AppState, ctx: &CommandContext, id: &str, reason: String) -> Result<(), AppError> {
    ctx.require(Permission::ManageMonitoring)?;
    execute(state, ctx, id, JobCommand::Cancel { by: ctx.user.username.clone(), reason }).await?;
    state.settle(MonitorJob::TYPE, id).await;
    state.monitor.stop(id);
    Ok(())
}

fn push_filters<'a>(b: &mut QueryBuilder<'a, Postgres>, q: &'a JobQuery) {
    b.push(" WHERE true");
    match q.status.trim() {
        "" | "all" => {}
        // "active": what is still to run or running.
        "active" => {
            b.push(" AND status IN ('scheduled', 'running')");
        }
        s => {
            b.push(" AND status = ").push_bind(s);
        }
    }
    let text = q.q.trim();
    if !text.is_empty() {
        let pattern = like(text);
        b.push(" AND (name ILIKE ").push_bind(pattern.clone());
        b.push(" OR selection ILIKE ").push_bind(pattern.clone());
        b.push(" OR created_by ILIKE ").push_bind(pattern).push(")");
    }
}

pub async fn list(state: &AppState, user: &CurrentUser, q: JobQuery) -> Result<Page<JobRow>, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let (page, per_page) = paging(q.page, q.per_page);
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM monitor_jobs"));
    push_filters(&mut b, &q);
    b.push(" ORDER BY created_at DESC, id LIMIT ").push_bind(i64::from(per_page));
    b.push(" OFFSET ").push_bind(i64::from(page - 1) * i64::from(per_page));
    let rows = b.build().fetch_all(&state.pool).await.map_err(internal)?;
    let mut c = QueryBuilder::new("SELECT count(*) FROM monitor_jobs");
    push_filters(&mut c, &q);
    let total = c.build_query_scalar::<i64>().fetch_one(&state.pool).await.map_err(internal)?;
    let now = Utc::now();
    Ok(Page { items: rows.iter().map(|r| row(r, now)).collect(), total, page, per_page })
}

pub(super) async fn gaps(state: &AppState, id: &str) -> Result<Vec<Gap>, AppError> {
    Ok(sqlx::query("SELECT gap_from, gap_to FROM monitor_job_gaps WHERE job_id = $1 ORDER BY gap_from")
        .bind(id)
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?
        .iter()
        .map(|r| Gap { from: r.get("gap_from"), to: r.get("gap_to") })
        .collect())
}

/// A sample row as round statistics; values out of range (not written by us) count as nothing.
pub(super) fn round(r: &PgRow) -> RoundStats {
    let us = |c: &str| r.get::<Option<i32>, _>(c).and_then(|v| u32::try_from(v).ok());
    RoundStats {
        sent: u16::try_from(r.get::<i16, _>("sent")).unwrap_or(0),
        received: u16::try_from(r.get::<i16, _>("received")).unwrap_or(0),
        rtt_min_us: us("rtt_min_us"),
        rtt_avg_us: us("rtt_avg_us"),
        rtt_max_us: us("rtt_max_us"),
        jitter_us: us("jitter_us"),
    }
}

/// Every target's summary over the run: from the samples, or from the rollups for long runs.
async fn summaries(state: &AppState, id: &str) -> Result<HashMap<String, Summary>, AppError> {
    let rounds: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(rounds), 0)::bigint FROM monitor_rollup_1m WHERE job_id = $1")
            .bind(id)
            .fetch_one(&state.pool)
            .await
            .map_err(internal)?;
    if rounds > SUMMARY_FROM_SAMPLES_MAX_ROUNDS {
        return rollup_summaries(state, id).await;
    }
    let mut builders: HashMap<String, SummaryBuilder> = HashMap::new();
    let mut rows = sqlx::query(
        "SELECT target, sent, received, rtt_min_us, rtt_avg_us, rtt_max_us, jitter_us
           FROM monitor_samples WHERE job_id = $1",
    )
    .bind(id)
    .fetch(&state.pool);
    while let Some(r) = rows.try_next().await.map_err(internal)? {
        builders.entry(r.get("target")).or_default().add(&round(&r));
    }
    Ok(builders.into_iter().map(|(k, b)| (k, b.finish())).collect())
}

fn ms(us: f64) -> f64 {
    (us / 1000.0 * 1000.0).round() / 1000.0
}

/// Run figures from the 1-minute rollups. Counts, min, max, mean and jitter are exact (the
/// rollups keep sums); p95 is taken over the minutes' mean RTTs, which the rollups still have.
async fn rollup_summaries(state: &AppState, id: &str) -> Result<HashMap<String, Summary>, AppError> {
    let rows = sqlx::query(
        "SELECT target, sum(rounds)::bigint AS rounds, sum(sent)::bigint AS sent, sum(received)::bigint AS received,
                min(rtt_min_us) AS rtt_min_us, max(rtt_max_us) AS rtt_max_us,
                sum(rtt_sum_us)::float8 / nullif(sum(rtt_n), 0) AS rtt_avg_us,
                sum(jitter_sum_us)::float8 / nullif(sum(jitter_n), 0) AS jitter_us,
                percentile_disc(0.95) WITHIN GROUP (ORDER BY rtt_sum_us::float8 / nullif(rtt_n, 0)) AS rtt_p95_us
           FROM monitor_rollup_1m WHERE job_id = $1 GROUP BY target",
    )
    .bind(id)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?;
    Ok(rows
        .iter()
        .map(|r| {
            let sent = u64::try_from(r.get::<i64, _>("sent")).unwrap_or(0);
            let received = u64::try_from(r.get::<i64, _>("received")).unwrap_or(0);
            let summary = Summary {
                rounds: u64::try_from(r.get::<i64, _>("rounds")).unwrap_or(0),
                sent,
                received,
                loss_pct: (domain::monitoring::stats::loss_pct(sent, received) * 1000.0).round() / 1000.0,
                rtt_min_ms: r.get::<Option<i32>, _>("rtt_min_us").map(|v| ms(f64::from(v))),
                rtt_avg_ms: r.get::<Option<f64>, _>("rtt_avg_us").map(ms),
                rtt_max_ms: r.get::<Option<i32>, _>("rtt_max_us").map(|v| ms(f64::from(v))),
                rtt_p95_ms: r.get::<Option<f64>, _>("rtt_p95_us").map(ms),
                jitter_ms: r.get::<Option<f64>, _>("jitter_us").map(ms),
            };
            (r.get("target"), summary)
        })
        .collect())
}

pub async fn detail(state: &AppState, user: &CurrentUser, id: &str) -> Result<JobDetail, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let (job, spec) = find(state, id).await?;
    // The latest round of every target is within the last few intervals of the job's last sample
    // (a dead target still records lost rounds), so only that tail of the samples is read.
    let latest = sqlx::query(
        "WITH last AS (SELECT max(at) AS last_at FROM monitor_samples WHERE job_id = $1)
         SELECT DISTINCT ON (s.target) s.target, s.at, s.sent, s.received, s.rtt_min_us, s.rtt_avg_us, s.rtt_max_us,
                s.jitter_us
           FROM monitor_samples s, last
          WHERE s.job_id = $1 AND s.at >= last.last_at - make_interval(secs => $2::float8 * 3 / 1000)
          ORDER BY s.target, s.at DESC",
    )
    .bind(id)
    .bind(f64::from(spec.interval_ms))
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?;
    let latest: BTreeMap<String, (DateTime<Utc>, RoundStats)> =
        latest.iter().map(|r| (r.get("target"), (r.get("at"), round(r)))).collect();
    let mut summaries = summaries(state, id).await?;
    let targets = spec
        .targets
        .iter()
        .map(|t| {
            let last = latest.get(&t.key);
            TargetStatus {
                key: t.key.clone(),
                name: t.name.clone(),
                address: t.address.clone(),
                kind: match t.kind {
                    TargetKind::Destination => "destination",
                    TargetKind::Device => "device",
                }
                .into(),
                ref_id: t.ref_id.clone(),
                last_at: last.map(|(at, _)| *at),
                last_rtt_ms: last.and_then(|(_, s)| s.rtt_avg_us).map(|v| ms(f64::from(v))),
                last_loss_pct: last.map(|(_, s)| s.loss_pct()),
                summary: summaries.remove(&t.key).unwrap_or_default(),
            }
        })
        .collect();
    let open_alerts: Vec<AlertRow> = super::alerts::open_for_job(state, id).await?;
    Ok(JobDetail { job, spec, targets, gaps: gaps(state, id).await?, open_alerts })
}

/// How a job event reads in the audit trail.
pub fn describe_event(payload: &Value) -> Option<String> {
    Some(match serde_json::from_value::<JobEvent>(payload.clone()).ok()? {
        JobEvent::Scheduled { spec, .. } => format!(
            "Monitoring job '{}' scheduled on {} ({}), every {} ms from {}{}{}",
            spec.name,
            spec.selection,
            plural(spec.targets.len(), "target"),
            spec.interval_ms,
            spec.starts_at.to_rfc3339(),
            spec.ends_at.map(|e| format!(" to {}", e.to_rfc3339())).unwrap_or_else(|| ", open-ended".into()),
            spec.cloned_from.map(|c| format!(" (cloned from {c})")).unwrap_or_default(),
        ),
        JobEvent::Edited { spec } => format!(
            "Monitoring job '{}' edited: {} ({}), every {} ms{}",
            spec.name,
            spec.selection,
            plural(spec.targets.len(), "target"),
            spec.interval_ms,
            spec.ends_at.map(|e| format!(", until {}", e.to_rfc3339())).unwrap_or_default(),
        ),
        JobEvent::Started { at } => format!("Monitoring job started at {}", at.to_rfc3339()),
        JobEvent::Resumed { gap_from, gap_to } => {
            format!("Monitoring job resumed after a gap from {} to {}", gap_from.to_rfc3339(), gap_to.to_rfc3339())
        }
        JobEvent::Completed { rounds, samples, late_rounds, .. } => {
            format!("Monitoring job completed: {rounds} rounds, {samples} samples, {late_rounds} late rounds")
        }
        JobEvent::Cancelled { by, reason } => format!("Monitoring job cancelled by {by}: {reason}"),
        JobEvent::Failed { error } => format!("Monitoring job failed: {error}"),
    })
}
