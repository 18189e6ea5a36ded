//! Operation use cases: request (targets resolved, RBAC checked, spec validated), history,
//! detail, cancel and export. Running them is the engine's job (`crate::operations`).

use app::error::AppError;
use app::model::{CurrentUser, OperationDetail, OperationQuery, OperationRow, OperationTargetRow, Page};
use app::ssr::{require_role, CommandContext};
use domain::identity::Permission;
use domain::operation::{
    Operation, OperationCommand, OperationError, OperationEvent, OperationKind, OperationRequest, OperationSpec,
    TargetRef,
};
use domain::FieldErrors;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::audit::parse_time;
use super::{from_aggregate, internal, metadata, AppState};

const COLUMNS: &str = "id, kind, status, selection, reason, requested_by, requested_at, scheduled_at, started_at,
                       finished_at, concurrency, targets_total, succeeded, failed, cancelled, cancelled_by, cancel_reason";

fn row(r: &PgRow) -> OperationRow {
    OperationRow {
        id: r.get("id"),
        kind: r.get("kind"),
        status: r.get("status"),
        selection: r.get("selection"),
        reason: r.get("reason"),
        requested_by: r.get("requested_by"),
        requested_at: r.get("requested_at"),
        scheduled_at: r.get("scheduled_at"),
        started_at: r.get("started_at"),
        finished_at: r.get("finished_at"),
        concurrency: r.get("concurrency"),
        targets_total: r.get("targets_total"),
        succeeded: r.get("succeeded"),
        failed: r.get("failed"),
        cancelled: r.get("cancelled"),
        cancelled_by: r.get("cancelled_by"),
        cancel_reason: r.get("cancel_reason"),
    }
}

fn target_row(r: &PgRow) -> OperationTargetRow {
    OperationTargetRow {
        device_id: r.get("device_id"),
        hostname: r.get("hostname"),
        status: r.get("status"),
        summary: r.get("summary"),
        log: r.get("log"),
        output: r.get("output"),
        details: r.get("details"),
        started_at: r.get("started_at"),
        finished_at: r.get("finished_at"),
        duration_ms: r.get("duration_ms"),
    }
}

/// Resolves the request's devices, group and tag to active devices, in a stable order.
async fn resolve_targets(state: &AppState, req: &OperationRequest) -> Result<(Vec<TargetRef>, String), AppError> {
    let mut targets: Vec<TargetRef> = Vec::new();
    let mut parts = Vec::new();
    let mut errors = FieldErrors::default();
    if !req.device_ids.is_empty() {
        let rows =
            sqlx::query("SELECT id, hostname, status FROM devices WHERE id = ANY($1) ORDER BY array_position($1, id)")
                .bind(&req.device_ids)
                .fetch_all(&state.pool)
                .await
                .map_err(internal)?;
        for id in &req.device_ids {
            match rows.iter().find(|r| r.get::<String, _>("id") == *id) {
                None => errors.push("device_ids", format!("no device with id {id}")),
                Some(r) if r.get::<String, _>("status") == "decommissioned" => {
                    errors.push("device_ids", format!("{} is decommissioned", r.get::<String, _>("hostname")));
                }
                Some(r) => targets.push(TargetRef { device_id: id.clone(), hostname: r.get("hostname") }),
            }
        }
        parts.push(if targets.len() == 1 { targets[0].hostname.clone() } else { format!("{} devices", targets.len()) });
    }
    let group = req.group.trim().trim_matches('/');
    if !group.is_empty() {
        let rows = sqlx::query(
            "SELECT id, hostname FROM devices WHERE status <> 'decommissioned'
                AND (group_path = $1 OR group_path LIKE $2) ORDER BY lower(hostname), id",
        )
        .bind(group)
        .bind(super::devices::group_descendants(group))
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?;
        if rows.is_empty() {
            errors.push("group", format!("no active device in group {group}"));
        }
        targets.extend(rows.iter().map(|r| TargetRef { device_id: r.get("id"), hostname: r.get("hostname") }));
        parts.push(format!("group {group}"));
    }
    let tag = req.tag.trim().to_lowercase();
    if !tag.is_empty() {
        let rows = sqlx::query(
            "SELECT id, hostname FROM devices WHERE status <> 'decommissioned' AND $1 = ANY(tags)
              ORDER BY lower(hostname), id",
        )
        .bind(&tag)
        .fetch_all(&state.pool)
        .await
        .map_err(internal)?;
        if rows.is_empty() {
            errors.push("tag", format!("no active device tagged {tag}"));
        }
        targets.extend(rows.iter().map(|r| TargetRef { device_id: r.get("id"), hostname: r.get("hostname") }));
        parts.push(format!("tag {tag}"));
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let mut seen = std::collections::HashSet::new();
    targets.retain(|t| seen.insert(t.device_id.clone()));
    Ok((targets, parts.join(" + ")))
}

/// The content hash of the configuration a restore or candidate push brings the device to.
async fn candidate_hash(
    state: &AppState,
    user: &CurrentUser,
    kind: OperationKind,
    req: &OperationRequest,
    targets: &[TargetRef],
) -> Result<Option<String>, AppError> {
    match kind {
        OperationKind::Restore => {
            let (Some(version), [target]) = (req.restore_version, targets) else { return Ok(None) };
            let hash: Option<String> =
                sqlx::query_scalar("SELECT running_hash FROM config_versions WHERE device_id = $1 AND version = $2")
                    .bind(&target.device_id)
                    .bind(version)
                    .fetch_optional(&state.pool)
                    .await
                    .map_err(internal)?;
            hash.map(Some).ok_or_else(|| {
                let mut e = FieldErrors::default();
                e.push("restore_version", format!("{} has no configuration version {version}", target.hostname));
                AppError::Invalid(e)
            })
        }
        OperationKind::Push => match req.candidate.as_deref().map(str::trim) {
            Some(text) if !text.is_empty() => {
                // A full candidate replaces secrets too: only roles that may see them may write them.
                require_role(user, Permission::ViewSecrets)?;
                let normalised = super::configs::normalise_for(state, targets, text).await?;
                state.vault.put_config(&normalised).await.map(Some).map_err(internal)
            }
            _ => Ok(None),
        },
        _ => Ok(None),
    }
}

pub async fn request(state: &AppState, ctx: &CommandContext, req: OperationRequest) -> Result<String, AppError> {
    ctx.require(Permission::RunOperations)?;
    let kind: OperationKind = req.kind.parse().map_err(|m: String| {
        let mut e = FieldErrors::default();
        e.push("kind", m);
        AppError::Invalid(e)
    })?;
    if kind.changes_config() {
        ctx.require(Permission::ChangeConfig)?;
    }
    let (targets, selection) = resolve_targets(state, &req).await?;
    let candidate = candidate_hash(state, &ctx.user, kind, &req, &targets).await?;
    let free = ctx.user.role.can(Permission::RunAnyCommand);
    let mut spec = OperationSpec::new(kind, &req, targets, selection, candidate, free, chrono::Utc::now())
        .map_err(|e| AppError::Invalid(e.0))?;
    if !spec.config_lines.is_empty() {
        // The lines as sent go to the encrypted archive; the event keeps them masked.
        let text = spec.config_lines.join("\n");
        spec.config_lines_hash = Some(state.vault.put_config(&text).await.map_err(internal)?);
        let masked = domain::device::Platform::ALL.into_iter().fold(text, |t, p| domain::config::mask_secrets(p, &t));
        spec.config_lines = masked.lines().map(str::to_owned).collect();
    }
    let id = uuid::Uuid::new_v4().to_string();
    let scheduled = spec.scheduled_at;
    state
        .store
        .operations
        .execute_with_metadata(&id, OperationCommand::Request { id: id.clone(), spec }, metadata(ctx).to_map())
        .await
        .map_err(|e| from_aggregate(e, |_| false))?;
    match scheduled {
        Some(at) => state.engine.schedule(id.clone(), at),
        None => state.engine.submit(id.clone()),
    }
    state.settle(<Operation as cqrs_es::Aggregate>::TYPE, &id).await;
    Ok(id)
}

struct Filters {
    kind: String,
    status: String,
    actor: String,
    device_id: String,
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
}

impl Filters {
    fn parse(q: &OperationQuery) -> Result<Self, AppError> {
        let mut e = FieldErrors::default();
        let from = e.check("from", parse_time(&q.from)).flatten();
        let to = e.check("to", parse_time(&q.to)).flatten();
        if !e.is_empty() {
            return Err(AppError::Invalid(e));
        }
        Ok(Self {
            kind: q.kind.trim().to_owned(),
            status: q.status.trim().to_owned(),
            actor: q.actor.trim().to_owned(),
            device_id: q.device_id.trim().to_owned(),
            from,
            to,
        })
    }

    fn push_where<'a>(&'a self, b: &mut QueryBuilder<'a, Postgres>) {
        b.push(" WHERE true");
        if !self.kind.is_empty() {
            b.push(" AND kind = ").push_bind(self.kind.as_str());
        }
        if !self.status.is_empty() {
            b.push(" AND status = ").push_bind(self.status.as_str());
        }
        if !self.actor.is_empty() {
            b.push(" AND requested_by = ").push_bind(self.actor.as_str());
        }
        if !self.device_id.is_empty() {
            b.push(" AND id IN (SELECT operation_id FROM operation_targets WHERE device_id = ")
                .push_bind(self.device_id.as_str())
                .push(")");
        }
        if let Some(from) = self.from {
            b.push(" AND requested_at >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            b.push(" AND requested_at < ").push_bind(to);
        }
    }
}

pub async fn list(state: &AppState, user: &CurrentUser, q: OperationQuery) -> Result<Page<OperationRow>, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let per_page = if q.per_page == 0 { 50 } else { q.per_page.min(500) };
    let page = q.page.max(1);
    let f = Filters::parse(&q)?;
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM operations"));
    f.push_where(&mut b);
    b.push(" ORDER BY requested_at DESC, id LIMIT ").push_bind(i64::from(per_page));
    b.push(" OFFSET ").push_bind(i64::from(page - 1) * i64::from(per_page));
    let rows = b.build().fetch_all(&state.pool).await.map_err(internal)?;
    let mut c = QueryBuilder::new("SELECT count(*) FROM operations");
    f.push_where(&mut c);
    let total = c.build_query_scalar::<i64>().fetch_one(&state.pool).await.map_err(internal)?;
    Ok(Page { items: rows.iter().map(row).collect(), total, page, per_page })
}

pub async fn detail(state: &AppState, user: &CurrentUser, id: &str) -> Result<OperationDetail, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let r = sqlx::query(&format!("SELECT {COLUMNS}, spec FROM operations WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.pool)
        .await
        .map_err(internal)?
        .ok_or(AppError::NotFound)?;
    let targets = sqlx::query(
        "SELECT device_id, hostname, status, summary, log, output, details, started_at, finished_at, duration_ms
           FROM operation_targets WHERE operation_id = $1 ORDER BY ordinal",
    )
    .bind(id)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?;
    let mut spec: Value = r.get("spec");
    // The targets are listed beside; the spec keeps what was asked.
    if let Some(o) = spec.as_object_mut() {
        o.remove("targets");
    }
    Ok(OperationDetail { operation: row(&r), targets: targets.iter().map(target_row).collect(), spec })
}

pub async fn cancel(state: &AppState, ctx: &CommandContext, id: &str, reason: String) -> Result<(), AppError> {
    ctx.require(Permission::RunOperations)?;
    let cmd = OperationCommand::Cancel { by: ctx.user.username.clone(), reason };
    state
        .store
        .operations
        .execute_with_metadata(id, cmd, metadata(ctx).to_map())
        .await
        .map_err(|e| from_aggregate(e, |e| matches!(e, OperationError::NotFound)))?;
    state.engine.cancel(id);
    state.settle(<Operation as cqrs_es::Aggregate>::TYPE, id).await;
    Ok(())
}

/// Every operation matching the filters with its targets, newest first, for CSV/JSON export.
pub async fn export(
    state: &AppState,
    user: &CurrentUser,
    q: &OperationQuery,
) -> Result<Vec<(OperationRow, Vec<OperationTargetRow>)>, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let f = Filters::parse(q)?;
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM operations"));
    f.push_where(&mut b);
    b.push(" ORDER BY requested_at DESC, id LIMIT 10000");
    let ops: Vec<OperationRow> = b.build().fetch_all(&state.pool).await.map_err(internal)?.iter().map(row).collect();
    let ids: Vec<String> = ops.iter().map(|o| o.id.clone()).collect();
    let rows = sqlx::query(
        "SELECT operation_id, device_id, hostname, status, summary, '' AS log, output, details, started_at,
                finished_at, duration_ms
           FROM operation_targets WHERE operation_id = ANY($1) ORDER BY operation_id, ordinal",
    )
    .bind(&ids)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?;
    let mut by_op: std::collections::HashMap<String, Vec<OperationTargetRow>> = std::collections::HashMap::new();
    for r in &rows {
        by_op.entry(r.get("operation_id")).or_default().push(target_row(r));
    }
    Ok(ops
        .into_iter()
        .map(|o| {
            let t = by_op.remove(&o.id).unwrap_or_default();
            (o, t)
        })
        .collect())
}

/// How an operation event reads in the audit trail.
pub fn describe_event(payload: &Value) -> Option<String> {
    let event: OperationEvent = serde_json::from_value(payload.clone()).ok()?;
    Some(match event {
        OperationEvent::Requested { spec, .. } => {
            let when = spec.scheduled_at.map(|t| format!(" scheduled for {}", t.to_rfc3339())).unwrap_or_default();
            let why = if spec.reason.is_empty() { String::new() } else { format!(": {}", spec.reason) };
            format!("{} requested on {}{when}{why}", spec.kind.label(), spec.selection)
        }
        OperationEvent::Started => "Operation started".into(),
        OperationEvent::TargetStarted { device_id } => format!("Target {device_id} started"),
        OperationEvent::TargetProgress { device_id, step, .. } => format!("Target {device_id}: {step}"),
        OperationEvent::TargetFinished { device_id, status, summary, .. } => {
            format!("Target {device_id} {}: {summary}", status.as_str())
        }
        OperationEvent::Cancelled { by, reason, cancelled_targets } => {
            format!(
                "Cancelled by {by} ({} pending targets stopped){}",
                cancelled_targets.len(),
                if reason.is_empty() { String::new() } else { format!(": {reason}") }
            )
        }
        OperationEvent::Finished { status, succeeded, failed, cancelled } => {
            format!("Operation {}: {succeeded} succeeded, {failed} failed, {cancelled} cancelled", status.as_str())
        }
    })
}
