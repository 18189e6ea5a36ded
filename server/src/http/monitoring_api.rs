//! REST API for latency monitoring: destinations, jobs, series, exports and alerts (same
//! `MonitoringBackend` as the UI, so the same rules and role checks).

use std::sync::Arc;

use app::error::AppError;
use app::model::{ImportReport, Page};
use app::monitoring::model::{
    AlertCounts, AlertQuery, AlertRow, DestinationQuery, DestinationRow, JobDetail, JobQuery, JobRow, Series,
    SeriesQuery,
};
use app::monitoring::ssr::MonitoringBackend;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::monitoring::{DestinationDraft, JobRequest};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::api::{attachment, neutralise};
use super::auth::ApiUser;
use super::{ApiError, HttpState};
use crate::backend::monitoring::export::{self, ExportPlan, SampleRow, SAMPLE_COLUMNS};
use crate::backend::{internal, parse_time, AppState};

type ApiResult<T> = Result<T, ApiError>;

pub fn routes() -> Router<HttpState> {
    Router::new()
        .route("/api/v1/destinations", get(list_destinations).post(add_destination))
        .route("/api/v1/destinations/import", post(import_destinations))
        .route("/api/v1/destinations/{id}", get(get_destination).put(update_destination).delete(remove_destination))
        .route("/api/v1/monitor/jobs", get(list_jobs).post(schedule_job))
        .route("/api/v1/monitor/jobs/{id}", get(get_job).put(edit_job))
        .route("/api/v1/monitor/jobs/{id}/cancel", post(cancel_job))
        .route("/api/v1/monitor/jobs/{id}/series", get(series))
        .route("/api/v1/monitor/jobs/{id}/export", get(export_job))
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/counts", get(alert_counts))
        .route("/api/v1/alerts/{id}/ack", post(acknowledge))
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| ApiError(AppError::Rejected(format!("invalid JSON body: {e}"))))
}

async fn list_destinations(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(q): Query<DestinationQuery>,
) -> ApiResult<Json<Page<DestinationRow>>> {
    Ok(Json(s.destinations(&u.user, q).await?))
}

/// A destination as the API speaks it: tags as a list or a comma-separated string.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DestinationBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    tags: Option<Value>,
    /// For PUT: refuse with 409 when the destination's version differs.
    #[serde(default)]
    expected_version: Option<i64>,
}

impl DestinationBody {
    fn draft(self) -> (DestinationDraft, Option<i64>) {
        let tags = match self.tags {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            Some(Value::String(s)) => s,
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        (
            DestinationDraft {
                name: self.name,
                address: self.address,
                site: self.site,
                city: self.city,
                country: self.country,
                tags,
            },
            self.expected_version,
        )
    }
}

async fn add_destination(State(s): State<Arc<AppState>>, u: ApiUser, bytes: Bytes) -> ApiResult<Response> {
    let (draft, _) = body::<DestinationBody>(&bytes)?.draft();
    let row = s.add_destination(&u.context(), draft).await?;
    Ok((StatusCode::CREATED, Json(row)).into_response())
}

async fn get_destination(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<DestinationRow>> {
    Ok(Json(s.destination(&u.user, &id).await?))
}

async fn update_destination(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<DestinationRow>> {
    let (draft, expected) = body::<DestinationBody>(&bytes)?.draft();
    Ok(Json(s.update_destination(&u.context(), &id, draft, expected).await?))
}

async fn remove_destination(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.remove_destination(&u.context(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn import_destinations(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    bytes: Bytes,
) -> ApiResult<Json<ImportReport>> {
    let csv = String::from_utf8(bytes.to_vec())
        .map_err(|_| ApiError(AppError::Rejected("the file is not UTF-8 text".into())))?;
    Ok(Json(s.import_destinations(&u.context(), csv).await?))
}

async fn list_jobs(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(q): Query<JobQuery>,
) -> ApiResult<Json<Page<JobRow>>> {
    Ok(Json(s.monitor_jobs(&u.user, q).await?))
}

#[derive(Deserialize)]
struct ScheduleBody {
    #[serde(flatten)]
    request: JobRequest,
    #[serde(default)]
    cloned_from: Option<String>,
}

async fn schedule_job(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    bytes: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let b: ScheduleBody = body(&bytes)?;
    let id = s.schedule_job(&u.context(), b.request, b.cloned_from).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

async fn get_job(State(s): State<Arc<AppState>>, u: ApiUser, Path(id): Path<String>) -> ApiResult<Json<JobDetail>> {
    Ok(Json(s.monitor_job(&u.user, &id).await?))
}

async fn edit_job(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<JobDetail>> {
    let request: JobRequest = body(&bytes)?;
    s.edit_job(&u.context(), &id, request).await?;
    Ok(Json(s.monitor_job(&u.user, &id).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CancelBody {
    reason: String,
}

async fn cancel_job(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<StatusCode> {
    let reason = if bytes.is_empty() { String::new() } else { body::<CancelBody>(&bytes)?.reason };
    s.cancel_job(&u.context(), &id, reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SeriesParams {
    from: String,
    to: String,
    /// Comma-separated target keys.
    targets: String,
    max_points: u32,
}

type Range = (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>);

fn times(from: &str, to: &str) -> ApiResult<Range> {
    let mut e = domain::FieldErrors::default();
    let from = e.check("from", parse_time(from)).flatten();
    let to = e.check("to", parse_time(to)).flatten();
    if e.is_empty() {
        Ok((from, to))
    } else {
        Err(ApiError(AppError::Invalid(e)))
    }
}

async fn series(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    Query(p): Query<SeriesParams>,
) -> ApiResult<Json<Series>> {
    let (from, to) = times(&p.from, &p.to)?;
    let targets = p.targets.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect();
    let q = SeriesQuery { job_id: id, from, to, targets, max_points: p.max_points };
    Ok(Json(s.job_series(&u.user, q).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExportParams {
    format: String,
    from: String,
    to: String,
}

async fn export_job(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    Query(p): Query<ExportParams>,
) -> ApiResult<Response> {
    let format = match p.format.as_str() {
        "" | "csv" => "csv",
        "xlsx" => "xlsx",
        other => return Err(ApiError(AppError::Rejected(format!("unknown format '{other}'; use csv or xlsx")))),
    };
    let plan = export::plan(&s, &u.user, &id, &p.from, &p.to).await?;
    if format == "xlsx" {
        let bytes = export::xlsx(s.pool.clone(), &plan).await?;
        return Ok(attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &plan.filename("xlsx"),
            bytes,
        ));
    }
    Ok(csv_response(&s, &plan))
}

fn csv_cells(s: &SampleRow) -> [String; 11] {
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    [
        s.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        neutralise(&s.target),
        neutralise(&s.name),
        neutralise(&s.address),
        s.stats.sent.to_string(),
        s.stats.received.to_string(),
        ((s.stats.loss_pct() * 1000.0).round() / 1000.0).to_string(),
        opt(export::ms(s.stats.rtt_min_us)),
        opt(export::ms(s.stats.rtt_avg_us)),
        opt(export::ms(s.stats.rtt_max_us)),
        opt(export::ms(s.stats.jitter_us)),
    ]
}

fn csv_chunk(rows: &[SampleRow], with_header: bool) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 96));
    if with_header {
        w.write_record(SAMPLE_COLUMNS).map_err(internal)?;
    }
    for r in rows {
        w.write_record(csv_cells(r)).map_err(internal)?;
    }
    w.into_inner().map_err(internal)
}

/// The CSV is written batch by batch into the response body; a database error midway ends the
/// body early (the client sees a failed download, and the error is logged under a reference).
fn csv_response(s: &AppState, plan: &ExportPlan) -> Response {
    let mut batches = export::samples(s.pool.clone(), plan);
    let (tx, rx) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    tokio::spawn(async move {
        let mut first = true;
        while let Some(batch) = batches.recv().await {
            let item = batch.and_then(|rows| csv_chunk(&rows, first)).map_err(|e| std::io::Error::other(e.to_string()));
            first = false;
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
        if first {
            let _ = tx.send(csv_chunk(&[], true).map_err(|e| std::io::Error::other(e.to_string()))).await;
        }
    });
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    (
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", plan.filename("csv"))),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn list_alerts(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Query(q): Query<AlertQuery>,
) -> ApiResult<Json<Page<AlertRow>>> {
    Ok(Json(s.alerts(&u.user, q).await?))
}

async fn alert_counts(State(s): State<Arc<AppState>>, u: ApiUser) -> ApiResult<Json<AlertCounts>> {
    Ok(Json(s.alert_counts(&u.user).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AckBody {
    note: String,
}

async fn acknowledge(
    State(s): State<Arc<AppState>>,
    u: ApiUser,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<StatusCode> {
    let note = if bytes.is_empty() { String::new() } else { body::<AckBody>(&bytes)?.note };
    s.acknowledge_alert(&u.context(), &id, note).await?;
    Ok(StatusCode::NO_CONTENT)
}
