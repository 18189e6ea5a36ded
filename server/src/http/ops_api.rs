//! REST API for operations, configuration archive and the lab (same `Backend` as the UI).

use std::sync::Arc;

use app::error::AppError;
use app::model::{
    ConfigDiffView, ConfigSummary, ConfigText, OperationDetail, OperationQuery, OperationRow, Page, PushPreview,
};
use app::ssr::Backend;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::operation::OperationRequest;
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{attachment, neutralise};
use super::auth::ApiUser;
use super::{ApiError, HttpState};
use crate::backend::lab::LabChange;
use crate::backend::{internal, AppState};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/v1/operations", get(list).post(create))
        .route("/api/v1/operations/export", get(export))
        .route("/api/v1/operations/{id}", get(detail))
        .route("/api/v1/operations/{id}/cancel", post(cancel))
        .route("/api/v1/devices/{id}/configs", get(configs))
        .route("/api/v1/devices/{id}/configs/diff", get(diff))
        .route("/api/v1/devices/{id}/configs/preview", post(preview))
        .route("/api/v1/devices/{id}/configs/{version}", get(config_text))
        .route("/api/v1/credentials", get(list_credentials))
        .route("/api/v1/credentials/{id}", axum::routing::put(put_credential))
        .route("/api/v1/lab/devices", get(lab_devices))
        .route("/api/v1/lab/devices/{name}", post(lab_change))
}

async fn create(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Json(req): Json<OperationRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = s.request_operation(&u.context(), req).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn list(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(q): Query<OperationQuery>,
) -> ApiResult<Json<Page<OperationRow>>> {
    Ok(Json(s.operations(&u.user, q).await?))
}

async fn detail(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<OperationDetail>> {
    Ok(Json(s.operation(&u.user, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CancelBody {
    reason: String,
}

async fn cancel(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    body: Option<Json<CancelBody>>,
) -> ApiResult<StatusCode> {
    let reason = body.map(|Json(b)| b.reason).unwrap_or_default();
    s.cancel_operation(&u.context(), &id, reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct ExportParams {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    query: OperationQuery,
}

async fn export(State(s): State<Arc<AppState>>, u: ApiUser, Query(p): Query<ExportParams>) -> ApiResult<Response> {
    let rows = crate::backend::operations::export(&s, &u.user, &p.query).await?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    match p.format.as_str() {
        "json" => {
            let body: Vec<Value> = rows.iter().map(|(o, t)| json!({ "operation": o, "targets": t })).collect();
            let body = serde_json::to_vec_pretty(&body).map_err(internal)?;
            Ok(attachment("application/json", &format!("operations-{stamp}.json"), body))
        }
        "csv" | "" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([
                "operation_id",
                "kind",
                "operation_status",
                "requested_by",
                "requested_at",
                "reason",
                "hostname",
                "device_id",
                "target_status",
                "summary",
                "started_at",
                "finished_at",
                "duration_ms",
            ])
            .map_err(internal)?;
            for (o, targets) in &rows {
                for t in targets {
                    w.write_record([
                        o.id.clone(),
                        o.kind.clone(),
                        o.status.clone(),
                        neutralise(&o.requested_by),
                        o.requested_at.to_rfc3339(),
                        neutralise(&o.reason),
                        neutralise(&t.hostname),
                        t.device_id.clone(),
                        t.status.clone(),
                        neutralise(&t.summary),
                        t.started_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                        t.finished_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                        t.duration_ms.map(|d| d.to_string()).unwrap_or_default(),
                    ])
                    .map_err(internal)?;
                }
            }
            let body = w.into_inner().map_err(internal)?;
            Ok(attachment("text/csv; charset=utf-8", &format!("operations-{stamp}.csv"), body))
        }
        other => Err(ApiError(AppError::Rejected(format!("unknown format '{other}'; use csv or json")))),
    }
}

async fn configs(State(s): State<Arc<AppState>>, u: ApiUser, Path(id): Path<String>) -> ApiResult<Json<ConfigSummary>> {
    Ok(Json(s.device_configs(&u.user, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TextParams {
    which: Option<String>,
    reveal: bool,
}

async fn config_text(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path((id, version)): Path<(String, i64)>,
    Query(p): Query<TextParams>,
) -> ApiResult<Json<ConfigText>> {
    let which = p.which.unwrap_or_else(|| "running".into());
    Ok(Json(s.config_text(&u.user, &id, version, &which, p.reveal).await?))
}

#[derive(Deserialize)]
struct DiffParams {
    from: i64,
    to: i64,
    #[serde(default)]
    reveal: bool,
}

async fn diff(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    Query(p): Query<DiffParams>,
) -> ApiResult<Json<ConfigDiffView>> {
    Ok(Json(s.config_diff(&u.user, &id, p.from, p.to, p.reveal).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PreviewBody {
    candidate: Option<String>,
    restore_version: Option<i64>,
}

async fn preview(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    Json(b): Json<PreviewBody>,
) -> ApiResult<Json<PushPreview>> {
    Ok(Json(s.preview_push(&u.user, &id, b.candidate, b.restore_version).await?))
}

async fn lab_devices(State(s): State<Arc<AppState>>, u: ApiUser) -> ApiResult<Json<Vec<Value>>> {
    Ok(Json(crate::backend::lab::devices(&s, &u.context())?))
}

async fn lab_change(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(name): Path<String>,
    Json(change): Json<LabChange>,
) -> ApiResult<StatusCode> {
    crate::backend::lab::change(&s, &u.context(), &name, change)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A device login to store in the vault; a device's `credential_ref` names it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialBody {
    username: String,
    password: String,
    #[serde(default)]
    enable_secret: Option<String>,
}

fn valid_credential_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

async fn put_credential(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    Json(b): Json<CredentialBody>,
) -> ApiResult<StatusCode> {
    // Writing a secret is as sensitive as reading one.
    app::ssr::require_role(&u.user, domain::identity::Permission::ViewSecrets)?;
    let mut errors = domain::FieldErrors::default();
    if !valid_credential_id(&id) {
        errors.push("id", "1 to 100 letters, digits, '-', '_', '.', ':'");
    }
    if b.username.trim().is_empty() || b.username.len() > 100 {
        errors.push("username", "is required (at most 100 characters)");
    }
    if b.password.is_empty() || b.password.len() > 1_000 {
        errors.push("password", "is required (at most 1,000 characters)");
    }
    if !errors.is_empty() {
        return Err(ApiError(AppError::Invalid(errors)));
    }
    let cred = crate::vault::Credential {
        username: b.username.trim().to_owned(),
        password: b.password,
        enable_secret: b.enable_secret.filter(|e| !e.is_empty()),
    };
    s.vault.put_credential(&id, "device", &cred).await.map_err(internal)?;
    tracing::info!(actor = %u.user.username, credential = %id, "credential stored in the vault");
    Ok(StatusCode::NO_CONTENT)
}

async fn list_credentials(State(s): State<Arc<AppState>>, u: ApiUser) -> ApiResult<Json<Vec<Value>>> {
    app::ssr::require_role(&u.user, domain::identity::Permission::ManageDevices)?;
    let rows = s.vault.list_credentials().await.map_err(internal)?;
    Ok(Json(
        rows.into_iter().map(|(id, purpose, at)| json!({ "id": id, "purpose": purpose, "updated_at": at })).collect(),
    ))
}
