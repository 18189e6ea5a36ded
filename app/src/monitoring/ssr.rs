//! The monitoring port the server implements; every method checks the caller's role itself.

use std::sync::Arc;

use async_trait::async_trait;
use domain::monitoring::{DestinationDraft, JobRequest};
use leptos::prelude::use_context;

use super::model::{
    AlertCounts, AlertQuery, AlertRow, DestinationQuery, DestinationRow, JobDetail, JobQuery, JobRow, Series,
    SeriesQuery,
};
use crate::error::AppError;
use crate::model::{CurrentUser, ImportReport, Page};
use crate::ssr::CommandContext;

#[async_trait]
pub trait MonitoringBackend: Send + Sync {
    async fn destinations(&self, user: &CurrentUser, q: DestinationQuery) -> Result<Page<DestinationRow>, AppError>;
    async fn destination(&self, user: &CurrentUser, id: &str) -> Result<DestinationRow, AppError>;
    /// Names are resolved before anything is recorded; an unresolvable name is a field error.
    async fn add_destination(&self, ctx: &CommandContext, draft: DestinationDraft) -> Result<DestinationRow, AppError>;
    async fn update_destination(
        &self,
        ctx: &CommandContext,
        id: &str,
        draft: DestinationDraft,
        expected_version: Option<i64>,
    ) -> Result<DestinationRow, AppError>;
    async fn remove_destination(&self, ctx: &CommandContext, id: &str) -> Result<(), AppError>;
    /// CSV with a header: name,address,site,city,country,tags. Valid rows are added, invalid
    /// ones reported by line; nothing is lost.
    async fn import_destinations(&self, ctx: &CommandContext, csv: String) -> Result<ImportReport, AppError>;

    async fn monitor_jobs(&self, user: &CurrentUser, q: JobQuery) -> Result<Page<JobRow>, AppError>;
    async fn monitor_job(&self, user: &CurrentUser, id: &str) -> Result<JobDetail, AppError>;
    /// Resolves targets, records `MonitorJobScheduled`, hands the job to the collector; returns its id.
    async fn schedule_job(
        &self,
        ctx: &CommandContext,
        request: JobRequest,
        cloned_from: Option<String>,
    ) -> Result<String, AppError>;
    async fn edit_job(&self, ctx: &CommandContext, id: &str, request: JobRequest) -> Result<(), AppError>;
    async fn cancel_job(&self, ctx: &CommandContext, id: &str, reason: String) -> Result<(), AppError>;
    async fn job_series(&self, user: &CurrentUser, q: SeriesQuery) -> Result<Series, AppError>;

    async fn alerts(&self, user: &CurrentUser, q: AlertQuery) -> Result<Page<AlertRow>, AppError>;
    async fn alert_counts(&self, user: &CurrentUser) -> Result<AlertCounts, AppError>;
    async fn acknowledge_alert(&self, ctx: &CommandContext, id: &str, note: String) -> Result<(), AppError>;
}

pub type SharedMonitoring = Arc<dyn MonitoringBackend>;

pub fn monitoring() -> Result<SharedMonitoring, AppError> {
    use_context::<SharedMonitoring>()
        .ok_or_else(|| AppError::Internal("monitoring backend missing from context".into()))
}
