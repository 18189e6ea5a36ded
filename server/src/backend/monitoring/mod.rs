//! Latency monitoring use cases: destinations, measurement jobs, their series and exports, and
//! alerts. Running jobs is the monitor engine's job (`crate::monitoring`); this layer records the
//! people's commands, checks roles, and reads the read models and samples.

mod alerts;
mod destinations;
pub mod export;
mod jobs;
mod series;

use app::error::AppError;
use app::model::{CurrentUser, ImportReport, Page};
use app::monitoring::model::{
    AlertCounts, AlertQuery, AlertRow, DestinationQuery, DestinationRow, JobDetail, JobQuery, JobRow, Series,
    SeriesQuery,
};
use app::monitoring::ssr::MonitoringBackend;
use app::ssr::CommandContext;
use async_trait::async_trait;
use domain::monitoring::{DestinationDraft, JobRequest};
use domain::FieldErrors;

use super::AppState;

pub use alerts::describe_event as describe_alert_event;
pub use destinations::describe_event as describe_destination_event;
pub use jobs::describe_event as describe_job_event;

/// One field error as an `AppError`.
fn field_error(field: &str, message: impl Into<String>) -> AppError {
    let mut e = FieldErrors::default();
    e.push(field, message);
    AppError::Invalid(e)
}

/// Page size and number as the other lists use them.
fn paging(page: u32, per_page: u32) -> (u32, u32) {
    (page.max(1), if per_page == 0 { 50 } else { per_page.min(500) })
}

#[async_trait]
impl MonitoringBackend for AppState {
    async fn destinations(&self, user: &CurrentUser, q: DestinationQuery) -> Result<Page<DestinationRow>, AppError> {
        destinations::list(self, user, q).await
    }
    async fn destination(&self, user: &CurrentUser, id: &str) -> Result<DestinationRow, AppError> {
        destinations::detail(self, user, id).await
    }
    async fn add_destination(&self, ctx: &CommandContext, draft: DestinationDraft) -> Result<DestinationRow, AppError> {
        destinations::add(self, ctx, draft).await
    }
    async fn update_destination(
        &self,
        ctx: &CommandContext,
        id: &str,
        draft: DestinationDraft,
        expected_version: Option<i64>,
    ) -> Result<DestinationRow, AppError> {
        destinations::update(self, ctx, id, draft, expected_version).await
    }
    async fn remove_destination(&self, ctx: &CommandContext, id: &str) -> Result<(), AppError> {
        destinations::remove(self, ctx, id).await
    }
    async fn import_destinations(&self, ctx: &CommandContext, csv: String) -> Result<ImportReport, AppError> {
        destinations::import(self, ctx, &csv).await
    }
    async fn monitor_jobs(&self, user: &CurrentUser, q: JobQuery) -> Result<Page<JobRow>, AppError> {
        jobs::list(self, user, q).await
    }
    async fn monitor_job(&self, user: &CurrentUser, id: &str) -> Result<JobDetail, AppError> {
        jobs::detail(self, user, id).await
    }
    async fn schedule_job(
        &self,
        ctx: &CommandContext,
        request: JobRequest,
        cloned_from: Option<String>,
    ) -> Result<String, AppError> {
        jobs::schedule(self, ctx, request, cloned_from).await
    }
    async fn edit_job(&self, ctx: &CommandContext, id: &str, request: JobRequest) -> Result<(), AppError> {
        jobs::edit(self, ctx, id, request).await
    }
    async fn cancel_job(&self, ctx: &CommandContext, id: &str, reason: String) -> Result<(), AppError> {
        jobs::cancel(self, ctx, id, reason).await
    }
    async fn job_series(&self, user: &CurrentUser, q: SeriesQuery) -> Result<Series, AppError> {
        series::series(self, user, q).await
    }
    async fn alerts(&self, user: &CurrentUser, q: AlertQuery) -> Result<Page<AlertRow>, AppError> {
        alerts::list(self, user, q).await
    }
    async fn alert_counts(&self, user: &CurrentUser) -> Result<AlertCounts, AppError> {
        alerts::counts(self, user).await
    }
    async fn acknowledge_alert(&self, ctx: &CommandContext, id: &str, note: String) -> Result<(), AppError> {
        alerts::acknowledge(self, ctx, id, note).await
    }
}
