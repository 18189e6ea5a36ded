//! Inventory use cases: queries on the `devices` read model and commands on `Device`.

use std::collections::HashSet;

use app::error::AppError;
use app::model::{
    CountBy, CurrentUser, DeviceDetail, DeviceQuery, DeviceRow, DeviceSort, Facets, ImportReport, ImportRowError, Page,
};
use app::ssr::{require_role, CommandContext};
use cqrs_es::Aggregate;
use domain::device::{import, Device, DeviceCommand, DeviceDraft, DeviceError, DeviceSpec};
use domain::identity::Permission;
use domain::FieldErrors;
use futures::StreamExt;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::{from_aggregate, internal, metadata, AppState};

const COLUMNS: &str =
    "id, hostname, address, port, platform, vendor, model, site, group_path, tags, latitude, longitude,
                       credential_ref, notes, status, registered_at, updated_at, version";

fn row(r: &PgRow) -> DeviceRow {
    DeviceRow {
        id: r.get("id"),
        hostname: r.get::<Option<String>, _>("hostname").unwrap_or_default(),
        address: r.get::<Option<String>, _>("address").unwrap_or_default(),
        port: r.get::<Option<i32>, _>("port").unwrap_or(22),
        platform: r.get::<Option<String>, _>("platform").unwrap_or_default(),
        vendor: r.get::<Option<String>, _>("vendor").unwrap_or_default(),
        model: r.get::<Option<String>, _>("model").unwrap_or_default(),
        site: r.get::<Option<String>, _>("site").unwrap_or_default(),
        group: r.get("group_path"),
        tags: r.get::<Option<Vec<String>>, _>("tags").unwrap_or_default(),
        latitude: r.get("latitude"),
        longitude: r.get("longitude"),
        credential_ref: r.get("credential_ref"),
        notes: r.get::<Option<String>, _>("notes").unwrap_or_default(),
        status: r.get("status"),
        registered_at: r.get("registered_at"),
        updated_at: r.get("updated_at"),
        version: r.get("version"),
    }
}

/// An ILIKE pattern matching `q` anywhere, with the user's `%`, `_` and backslash taken literally.
pub(super) fn like(q: &str) -> String {
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// A LIKE pattern for the groups below `group` (`core` → `core/%`), its `%` and `_` literal.
pub(super) fn group_descendants(group: &str) -> String {
    format!("{}/%", group.replace('%', "\\%").replace('_', "\\_"))
}

fn push_filters<'a>(b: &mut QueryBuilder<'a, Postgres>, q: &'a DeviceQuery) {
    b.push(" WHERE true");
    let text = q.q.trim();
    if !text.is_empty() {
        let pattern = like(text);
        b.push(" AND (hostname ILIKE ").push_bind(pattern.clone());
        b.push(" OR address ILIKE ").push_bind(pattern.clone());
        b.push(" OR site ILIKE ").push_bind(pattern.clone());
        b.push(" OR group_path ILIKE ").push_bind(pattern.clone());
        b.push(" OR model ILIKE ").push_bind(pattern.clone());
        b.push(" OR notes ILIKE ").push_bind(pattern);
        b.push(" OR ").push_bind(text.to_lowercase()).push(" = ANY(tags))");
    }
    if !q.platform.is_empty() {
        b.push(" AND platform = ").push_bind(q.platform.as_str());
    }
    if !q.site.is_empty() {
        b.push(" AND site = ").push_bind(q.site.as_str());
    }
    if !q.group.is_empty() {
        let g = q.group.trim_matches('/');
        b.push(" AND (group_path = ")
            .push_bind(g)
            .push(" OR group_path LIKE ")
            .push_bind(group_descendants(g))
            .push(")");
    }
    if !q.tag.is_empty() {
        b.push(" AND ").push_bind(q.tag.to_lowercase()).push(" = ANY(tags)");
    }
    match q.status.as_str() {
        "" | "all" => {}
        s => {
            b.push(" AND status = ").push_bind(s);
        }
    }
}

pub async fn list(state: &AppState, user: &CurrentUser, mut q: DeviceQuery) -> Result<Page<DeviceRow>, AppError> {
    require_role(user, Permission::ReadInventory)?;
    q.per_page = if q.per_page == 0 { 50 } else { q.per_page.min(500) };
    q.page = q.page.max(1);
    let order = match q.sort {
        DeviceSort::Hostname => "lower(hostname)",
        DeviceSort::Address => "address",
        DeviceSort::Platform => "platform",
        DeviceSort::Site => "site",
        DeviceSort::Group => "group_path",
        DeviceSort::Status => "status",
        DeviceSort::Updated => "updated_at",
    };
    // Count and page separately: a window count would force a full sort, while the page
    // alone can walk the sort index and stop after `per_page` rows.
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM devices"));
    push_filters(&mut b, &q);
    b.push(format!(" ORDER BY {order} {} NULLS LAST, id", if q.desc { "DESC" } else { "ASC" }));
    b.push(" LIMIT ").push_bind(i64::from(q.per_page));
    b.push(" OFFSET ").push_bind(i64::from(q.page - 1) * i64::from(q.per_page));
    let rows = b.build().fetch_all(&state.pool).await.map_err(internal)?;
    let mut c = QueryBuilder::new("SELECT count(*) FROM devices");
    push_filters(&mut c, &q);
    let total = c.build_query_scalar::<i64>().fetch_one(&state.pool).await.map_err(internal)?;
    Ok(Page { items: rows.iter().map(row).collect(), total, page: q.page, per_page: q.per_page })
}

pub async fn find(state: &AppState, id: &str) -> Result<DeviceRow, AppError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM devices WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.pool)
        .await
        .map_err(internal)?
        .as_ref()
        .map(row)
        .ok_or(AppError::NotFound)
}

pub async fn detail(state: &AppState, user: &CurrentUser, id: &str) -> Result<DeviceDetail, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let device = find(state, id).await?;
    let history = if user.role.can(Permission::ReadAudit) {
        super::audit::for_aggregate(state, Device::TYPE, id, 500).await?
    } else {
        Vec::new()
    };
    Ok(DeviceDetail { device, history })
}

/// Hostnames are unique among devices that are not decommissioned.
async fn hostname_taken(state: &AppState, hostname: &str, except: Option<&str>) -> Result<bool, AppError> {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM devices WHERE lower(hostname) = lower($1) AND status <> 'decommissioned'
                         AND ($2::text IS NULL OR id <> $2))",
    )
    .bind(hostname)
    .bind(except)
    .fetch_one(&state.pool)
    .await
    .map_err(internal)
}

fn taken(hostname: &str) -> AppError {
    let mut e = FieldErrors::default();
    e.push("hostname", format!("'{hostname}' is already used by another device"));
    AppError::Invalid(e)
}

async fn execute(state: &AppState, ctx: &CommandContext, id: &str, cmd: DeviceCommand) -> Result<(), AppError> {
    state
        .store
        .devices
        .execute_with_metadata(id, cmd, metadata(ctx).to_map())
        .await
        .map_err(|e| from_aggregate(e, |u| *u == DeviceError::NotRegistered))?;
    metrics::counter!("netledger_commands_total", "aggregate" => "device").increment(1);
    Ok(())
}

async fn register_spec(state: &AppState, ctx: &CommandContext, spec: DeviceSpec) -> Result<String, AppError> {
    let id = uuid::Uuid::new_v4().to_string();
    execute(state, ctx, &id, DeviceCommand::Register { spec }).await?;
    Ok(id)
}

pub async fn register(state: &AppState, ctx: &CommandContext, draft: DeviceDraft) -> Result<DeviceRow, AppError> {
    ctx.require(Permission::ManageDevices)?;
    let spec = draft.parse()?;
    if hostname_taken(state, spec.hostname.as_str(), None).await? {
        return Err(taken(spec.hostname.as_str()));
    }
    let id = register_spec(state, ctx, spec).await?;
    state.settle(Device::TYPE, &id).await;
    find(state, &id).await
}

pub async fn update(
    state: &AppState,
    ctx: &CommandContext,
    id: &str,
    draft: DeviceDraft,
    expected_version: Option<i64>,
) -> Result<DeviceRow, AppError> {
    ctx.require(Permission::ManageDevices)?;
    let current = find(state, id).await?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(AppError::Conflict);
    }
    let spec = draft.parse()?;
    if hostname_taken(state, spec.hostname.as_str(), Some(id)).await? {
        return Err(taken(spec.hostname.as_str()));
    }
    execute(state, ctx, id, DeviceCommand::Update { spec }).await?;
    state.settle(Device::TYPE, id).await;
    find(state, id).await
}

pub async fn set_status(
    state: &AppState,
    ctx: &CommandContext,
    id: &str,
    decommission: bool,
    reason: String,
) -> Result<DeviceRow, AppError> {
    ctx.require(Permission::ManageDevices)?;
    let current = find(state, id).await?;
    if !decommission && hostname_taken(state, &current.hostname, Some(id)).await? {
        return Err(AppError::Rejected(format!(
            "another active device is now named '{}'; rename one of them first",
            current.hostname
        )));
    }
    let cmd = if decommission { DeviceCommand::Decommission { reason } } else { DeviceCommand::Restore { reason } };
    execute(state, ctx, id, cmd).await?;
    state.settle(Device::TYPE, id).await;
    find(state, id).await
}

pub async fn import(state: &AppState, ctx: &CommandContext, csv: &str) -> Result<ImportReport, AppError> {
    ctx.require(Permission::ManageDevices)?;
    let parsed = import::parse_csv(csv).map_err(|e| AppError::Rejected(e.to_string()))?;
    let mut errors: Vec<ImportRowError> = parsed
        .invalid
        .iter()
        .map(|r| ImportRowError { line: r.line, hostname: r.hostname.clone(), message: r.errors.summary() })
        .collect();
    let existing: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT lower(hostname) FROM devices WHERE status <> 'decommissioned' AND hostname IS NOT NULL",
    )
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?
    .into_iter()
    .collect();
    let mut seen = HashSet::new();
    let mut accepted = Vec::new();
    for (line, spec) in parsed.valid {
        let key = spec.hostname.as_str().to_lowercase();
        if existing.contains(&key) {
            errors.push(ImportRowError {
                line,
                hostname: spec.hostname.to_string(),
                message: "hostname: already in the inventory".into(),
            });
        } else if !seen.insert(key) {
            errors.push(ImportRowError {
                line,
                hostname: spec.hostname.to_string(),
                message: "hostname: appears twice in this file".into(),
            });
        } else {
            accepted.push((line, spec));
        }
    }
    // Each row is one command: a row is either fully registered or reported, never half-written.
    let results: Vec<(usize, String, Result<String, AppError>)> = futures::stream::iter(accepted)
        .map(|(line, spec)| async move {
            let host = spec.hostname.to_string();
            (line, host, register_spec(state, ctx, spec).await)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut imported = Vec::new();
    let mut last_id = None;
    for (line, hostname, r) in results {
        match r {
            Ok(id) => {
                imported.push(hostname);
                last_id = Some(id);
            }
            Err(e) => errors.push(ImportRowError { line, hostname, message: e.to_string() }),
        }
    }
    errors.sort_by_key(|e| e.line);
    if let Some(id) = last_id {
        state.settle(Device::TYPE, &id).await;
    }
    tracing::info!(imported = imported.len(), rejected = errors.len(), "device import");
    Ok(ImportReport { imported, errors })
}

async fn count_by(state: &AppState, sql: &str) -> Result<Vec<CountBy>, AppError> {
    let rows = sqlx::query(sql).fetch_all(&state.pool).await.map_err(internal)?;
    Ok(rows
        .iter()
        .map(|r| CountBy { key: r.get::<Option<String>, _>("key").unwrap_or_default(), count: r.get("count") })
        .collect())
}

pub async fn facets(state: &AppState, user: &CurrentUser) -> Result<Facets, AppError> {
    require_role(user, Permission::ReadInventory)?;
    // Facets change only when a projection moves; every page view would otherwise run five
    // GROUP BYs over the whole inventory.
    let version = *state.hub.subscribe_version().borrow();
    if let Some((v, f)) = state.facets_cache.lock().await.as_ref() {
        if *v == version {
            return Ok(f.clone());
        }
    }
    let f = Facets {
        platforms: count_by(state, "SELECT platform AS key, count(*) AS count FROM devices GROUP BY 1 ORDER BY 1").await?,
        sites: count_by(state, "SELECT site AS key, count(*) AS count FROM devices WHERE site <> '' GROUP BY 1 ORDER BY 1").await?,
        groups: count_by(state, "SELECT group_path AS key, count(*) AS count FROM devices WHERE group_path IS NOT NULL GROUP BY 1 ORDER BY 1").await?,
        tags: count_by(state, "SELECT t AS key, count(*) AS count FROM devices, unnest(tags) AS t GROUP BY 1 ORDER BY 2 DESC, 1").await?,
        statuses: count_by(state, "SELECT status AS key, count(*) AS count FROM devices GROUP BY 1 ORDER BY 1").await?,
    };
    *state.facets_cache.lock().await = Some((version, f.clone()));
    Ok(f)
}
