//! REST API under `/api/v1`: same use cases and rules as the UI (it calls the same `Backend`).

use std::sync::Arc;

use app::error::AppError;
use app::model::{
    AuditEntry, AuditQuery, DeviceDetail, DeviceQuery, DeviceRow, DeviceSort, Facets, ImportReport, Page,
};
use app::ssr::{require_role, Backend};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Json;
use axum::Router;
use domain::device::DeviceDraft;
use domain::identity::Permission;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use super::auth::ApiUser;
use super::{ApiError, HttpState};
use crate::backend::{export_audit, find_device, internal, AppState};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/v1/devices", get(list_devices).post(create_device))
        .route("/api/v1/devices/import", post(import_devices))
        .route("/api/v1/devices/facets", get(facets))
        .route("/api/v1/devices/{id}", get(get_device).patch(patch_device))
        .route("/api/v1/devices/{id}/history", get(device_history))
        .route("/api/v1/devices/{id}/decommission", post(decommission))
        .route("/api/v1/devices/{id}/restore", post(restore))
        .route("/api/v1/events", get(events))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/audit/export", get(audit_export))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    q: String,
    platform: String,
    site: String,
    group: String,
    tag: String,
    status: String,
    sort: String,
    desc: bool,
    page: u32,
    per_page: u32,
}

async fn list_devices(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Page<DeviceRow>>> {
    let q = DeviceQuery {
        q: p.q,
        platform: p.platform,
        site: p.site,
        group: p.group,
        tag: p.tag,
        status: p.status,
        sort: DeviceSort::parse(&p.sort),
        desc: p.desc,
        page: p.page,
        per_page: p.per_page,
    };
    Ok(Json(s.list_devices(&u.user, q).await?))
}

/// A device as the API speaks it. Numbers or strings are accepted for numeric fields.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct DeviceBody {
    hostname: Option<String>,
    address: Option<String>,
    port: Option<Value>,
    platform: Option<String>,
    vendor: Option<String>,
    model: Option<String>,
    site: Option<String>,
    group: Option<Value>,
    tags: Option<Vec<String>>,
    latitude: Option<Value>,
    longitude: Option<Value>,
    credential_ref: Option<Value>,
    notes: Option<String>,
    /// For PATCH: refuse with 409 when the device's version differs.
    expected_version: Option<i64>,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

impl DeviceBody {
    /// Applies the given fields over `base` (all of a new device, or the current one for PATCH).
    fn onto(self, mut d: DeviceDraft) -> DeviceDraft {
        if let Some(v) = self.hostname {
            d.hostname = v;
        }
        if let Some(v) = self.address {
            d.address = v;
        }
        if let Some(v) = self.port {
            d.port = text(&v);
        }
        if let Some(v) = self.platform {
            d.platform = v;
        }
        if let Some(v) = self.vendor {
            d.vendor = v;
        }
        if let Some(v) = self.model {
            d.model = v;
        }
        if let Some(v) = self.site {
            d.site = v;
        }
        if let Some(v) = self.group {
            d.group = text(&v).unwrap_or_default();
        }
        if let Some(v) = self.tags {
            d.tags = v.join(",");
        }
        if let Some(v) = self.latitude {
            d.latitude = text(&v);
        }
        if let Some(v) = self.longitude {
            d.longitude = text(&v);
        }
        if let Some(v) = self.credential_ref {
            d.credential_ref = text(&v).unwrap_or_default();
        }
        if let Some(v) = self.notes {
            d.notes = v;
        }
        d
    }
}

fn draft_of(row: &DeviceRow) -> DeviceDraft {
    DeviceDraft {
        hostname: row.hostname.clone(),
        address: row.address.clone(),
        port: Some(row.port.to_string()),
        platform: row.platform.clone(),
        vendor: row.vendor.clone(),
        model: row.model.clone(),
        site: row.site.clone(),
        latitude: row.latitude.map(|v| v.to_string()),
        longitude: row.longitude.map(|v| v.to_string()),
        group: row.group.clone().unwrap_or_default(),
        tags: row.tags.join(","),
        credential_ref: row.credential_ref.clone().unwrap_or_default(),
        notes: row.notes.clone(),
    }
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| ApiError(AppError::Rejected(format!("invalid JSON body: {e}"))))
}

async fn create_device(State(s): State<Arc<AppState>>, u: ApiUser, bytes: Bytes) -> ApiResult<Response> {
    let b: DeviceBody = body(&bytes)?;
    let row = s.register_device(&u.context(), b.onto(DeviceDraft::default())).await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

async fn get_device(State(s): State<Arc<AppState>>, u: ApiUser, Path(id): Path<String>) -> ApiResult<Json<DeviceRow>> {
    require_role(&u.user, Permission::ReadInventory)?;
    Ok(Json(find_device(&s, &id).await?))
}

async fn device_history(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DeviceDetail>> {
    require_role(&u.user, Permission::ReadAudit)?;
    Ok(Json(s.device(&u.user, &id).await?))
}

async fn patch_device(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<DeviceRow>> {
    let b: DeviceBody = body(&bytes)?;
    require_role(&u.user, Permission::ManageDevices)?;
    let current = find_device(&s, &id).await?;
    let expected = b.expected_version;
    let draft = b.onto(draft_of(&current));
    Ok(Json(s.update_device(&u.context(), &id, draft, expected).await?))
}

#[derive(Deserialize)]
struct Reason {
    reason: String,
}

async fn decommission(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<DeviceRow>> {
    let r: Reason = body(&bytes)?;
    Ok(Json(s.set_device_status(&u.context(), &id, true, r.reason).await?))
}

async fn restore(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<DeviceRow>> {
    let r: Reason = body(&bytes)?;
    Ok(Json(s.set_device_status(&u.context(), &id, false, r.reason).await?))
}

async fn import_devices(State(s): State<Arc<AppState>>, u: ApiUser, bytes: Bytes) -> ApiResult<Json<ImportReport>> {
    let csv = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError(AppError::Rejected("the file is not UTF-8 text".into())))?;
    Ok(Json(s.import_devices(&u.context(), csv).await?))
}

async fn facets(State(s): State<Arc<AppState>>, u: ApiUser) -> ApiResult<Json<Facets>> {
    Ok(Json(s.facets(&u.user).await?))
}

#[derive(Deserialize)]
struct EventsParams {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    limit: Option<i64>,
}

#[derive(Serialize)]
struct EventOut {
    position: i64,
    aggregate_type: String,
    aggregate_id: String,
    sequence: i64,
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
    hash: String,
}

/// The raw log in commit-safe global order. `after` is the position of the last event the
/// caller has; positions are unique but, under concurrent writers, not always increasing in
/// this order, so always continue from the last event received.
async fn events(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(p): Query<EventsParams>,
) -> ApiResult<Json<Vec<EventOut>>> {
    require_role(&u.user, Permission::ReadAudit)?;
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let rows = sqlx::query(
        "WITH cursor AS (
            SELECT coalesce((SELECT tx_id FROM events WHERE global_position <= $1 ORDER BY global_position DESC LIMIT 1),
                            '0'::xid8) AS tx_id
         )
         SELECT global_position, aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata, hash
           FROM events, cursor
          WHERE (events.tx_id, global_position) > (cursor.tx_id, $1)
            AND events.tx_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY events.tx_id, global_position
          LIMIT $2",
    )
    .bind(p.after.max(0))
    .bind(limit)
    .fetch_all(&s.pool)
    .await
    .map_err(internal)?;
    Ok(Json(
        rows.iter()
            .map(|r| EventOut {
                position: r.get("global_position"),
                aggregate_type: r.get("aggregate_type"),
                aggregate_id: r.get("aggregate_id"),
                sequence: r.get("sequence"),
                event_type: r.get("event_type"),
                event_version: r.get("event_version"),
                payload: r.get("payload"),
                metadata: r.get("metadata"),
                hash: hex::encode(r.get::<Vec<u8>, _>("hash")),
            })
            .collect(),
    ))
}

async fn audit(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page<AuditEntry>>> {
    Ok(Json(s.audit(&u.user, q).await?))
}

#[derive(Deserialize)]
struct ExportParams {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    query: AuditQuery,
}

const EXPORT_LIMIT: i64 = 1_000_000;

async fn audit_export(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(p): Query<ExportParams>,
) -> ApiResult<Response> {
    let rows = export_audit(&s, &u.user, &p.query, EXPORT_LIMIT).await?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    match p.format.as_str() {
        "json" => {
            let body = serde_json::to_vec_pretty(&rows).map_err(internal)?;
            Ok(attachment("application/json", &format!("audit-{stamp}.json"), body))
        }
        "csv" | "" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let header = [
                "position",
                "recorded_at",
                "actor",
                "source",
                "request_ip",
                "event_type",
                "aggregate_type",
                "aggregate_id",
                "subject",
                "summary",
                "changes",
            ];
            w.write_record(header).map_err(internal)?;
            for r in &rows {
                w.write_record([
                    r.position.to_string(),
                    r.recorded_at.to_rfc3339(),
                    neutralise(&r.actor),
                    r.source.clone(),
                    r.request_ip.clone().unwrap_or_default(),
                    r.event_type.clone(),
                    r.aggregate_type.clone(),
                    r.aggregate_id.clone(),
                    neutralise(&r.subject),
                    neutralise(&r.summary),
                    r.changes.to_string(),
                ])
                .map_err(internal)?;
            }
            let body = w.into_inner().map_err(internal)?;
            Ok(attachment("text/csv; charset=utf-8", &format!("audit-{stamp}.csv"), body))
        }
        other => Err(ApiError(AppError::Rejected(format!("unknown format '{other}'; use csv or json")))),
    }
}

/// Spreadsheet apps execute cells starting with these; prefix a quote so exported text stays text.
/// A download: the browser saves `body` as `filename`.
pub(super) fn attachment(content_type: &str, filename: &str, body: Vec<u8>) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}

pub(super) fn neutralise(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}
