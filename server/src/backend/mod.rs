//! The application layer: `AppState` implements the UI's `Backend` port; the REST API calls
//! the same methods, so both entry points share every rule and RBAC check.

mod audit;
mod configs;
mod devices;
mod host_keys;
pub mod lab;
pub mod monitoring;
pub mod operations;
mod users;

use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use app::model::{
    AuditEntry, AuditQuery, ConfigDiffView, ConfigSummary, ConfigText, CurrentUser, Dashboard, DeviceDetail,
    DeviceQuery, DeviceRow, Facets, ImportReport, Invitation, OperationDetail, OperationQuery, OperationRow, Page,
    PushPreview, SearchHit, UserRow,
};
use app::ssr::{Backend, CommandContext};
use async_trait::async_trait;
use cqrs_es::AggregateError;
use domain::device::DeviceDraft;
use domain::identity::Role;
use domain::metadata::EventMetadata;
use domain::operation::OperationRequest;
use sqlx::PgPool;

use crate::adapters::store::{EventStore, ProjectorHub};
use crate::identity::SignInThrottle;
use crate::operations::Engine;
use crate::settings::Settings;
use crate::vault::Vault;

pub use audit::{export as export_audit, parse_time};
pub use devices::find as find_device;
pub use host_keys::EventHostKeys;
pub use users::{bootstrap_admin, reset_password, resolve_session, sign_in, sign_out, BootstrapAdmin, SignIn};

pub struct AppState {
    pub pool: PgPool,
    pub store: Arc<EventStore>,
    pub hub: Arc<ProjectorHub>,
    pub settings: Settings,
    pub throttle: SignInThrottle,
    /// Inventory facets and the projection version they were computed at.
    pub facets_cache: tokio::sync::Mutex<Option<(u64, Facets)>>,
    pub vault: Vault,
    pub engine: Engine,
    /// Latency monitoring jobs, their alerts and device health polling.
    pub monitor: crate::monitoring::MonitorEngine,
    /// The in-process device lab, when `serve` runs one.
    pub lab: std::sync::OnceLock<crate::lab::Lab>,
}

/// Logs an unexpected failure under a fresh reference and returns only the reference.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    let reference = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    tracing::error!(error_ref = %reference, error = %e, "internal error");
    AppError::Internal(reference)
}

pub fn from_aggregate<E: std::error::Error>(e: AggregateError<E>, not_found: impl Fn(&E) -> bool) -> AppError {
    match e {
        AggregateError::UserError(u) if not_found(&u) => AppError::NotFound,
        AggregateError::UserError(u) => AppError::Rejected(u.to_string()),
        AggregateError::AggregateConflict => AppError::Conflict,
        other => internal(crate::adapters::store::describe(&other)),
    }
}

#[must_use]
pub fn metadata(ctx: &CommandContext) -> EventMetadata {
    EventMetadata::new(ctx.user.username.clone(), ctx.source, uuid::Uuid::new_v4().to_string(), chrono::Utc::now())
        .with_ip(ctx.request_ip.clone())
}

impl AppState {
    /// Waits (briefly) until the projections show the aggregate's latest event, so the caller
    /// reads its own write.
    pub async fn settle(&self, aggregate_type: &str, aggregate_id: &str) {
        match self.store.head_of(aggregate_type, aggregate_id).await {
            Ok(Some(at)) => {
                if !self.hub.wait_for(at, Duration::from_secs(3)).await {
                    tracing::warn!(aggregate_type, aggregate_id, "projections slow to catch up");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "cannot read aggregate head"),
        }
    }
}

#[async_trait]
impl Backend for AppState {
    async fn list_devices(&self, user: &CurrentUser, q: DeviceQuery) -> Result<Page<DeviceRow>, AppError> {
        devices::list(self, user, q).await
    }
    async fn device(&self, user: &CurrentUser, id: &str) -> Result<DeviceDetail, AppError> {
        devices::detail(self, user, id).await
    }
    async fn register_device(&self, ctx: &CommandContext, draft: DeviceDraft) -> Result<DeviceRow, AppError> {
        devices::register(self, ctx, draft).await
    }
    async fn update_device(
        &self,
        ctx: &CommandContext,
        id: &str,
        draft: DeviceDraft,
        expected_version: Option<i64>,
    ) -> Result<DeviceRow, AppError> {
        devices::update(self, ctx, id, draft, expected_version).await
    }
    async fn set_device_status(
        &self,
        ctx: &CommandContext,
        id: &str,
        decommission: bool,
        reason: String,
    ) -> Result<DeviceRow, AppError> {
        devices::set_status(self, ctx, id, decommission, reason).await
    }
    async fn import_devices(&self, ctx: &CommandContext, csv: String) -> Result<ImportReport, AppError> {
        devices::import(self, ctx, &csv).await
    }
    async fn facets(&self, user: &CurrentUser) -> Result<Facets, AppError> {
        devices::facets(self, user).await
    }
    async fn audit(&self, user: &CurrentUser, q: AuditQuery) -> Result<Page<AuditEntry>, AppError> {
        audit::query(self, user, q).await
    }
    async fn dashboard(&self, user: &CurrentUser) -> Result<Dashboard, AppError> {
        audit::dashboard(self, user).await
    }
    async fn search(&self, user: &CurrentUser, q: &str) -> Result<Vec<SearchHit>, AppError> {
        audit::search(self, user, q).await
    }
    async fn users(&self, user: &CurrentUser) -> Result<Vec<UserRow>, AppError> {
        users::list(self, user).await
    }
    async fn invite_user(
        &self,
        ctx: &CommandContext,
        username: String,
        display_name: String,
        role: Role,
    ) -> Result<Invitation, AppError> {
        users::invite(self, ctx, &username, display_name, role).await
    }
    async fn change_role(&self, ctx: &CommandContext, username: &str, role: Role) -> Result<(), AppError> {
        users::change_role(self, ctx, username, role).await
    }
    async fn change_own_password(&self, ctx: &CommandContext, current: String, new: String) -> Result<(), AppError> {
        users::change_own_password(self, ctx, &current, &new).await
    }
    async fn request_operation(&self, ctx: &CommandContext, request: OperationRequest) -> Result<String, AppError> {
        operations::request(self, ctx, request).await
    }
    async fn operations(&self, user: &CurrentUser, q: OperationQuery) -> Result<Page<OperationRow>, AppError> {
        operations::list(self, user, q).await
    }
    async fn operation(&self, user: &CurrentUser, id: &str) -> Result<OperationDetail, AppError> {
        operations::detail(self, user, id).await
    }
    async fn cancel_operation(&self, ctx: &CommandContext, id: &str, reason: String) -> Result<(), AppError> {
        operations::cancel(self, ctx, id, reason).await
    }
    async fn device_configs(&self, user: &CurrentUser, device_id: &str) -> Result<ConfigSummary, AppError> {
        configs::summary(self, user, device_id).await
    }
    async fn config_text(
        &self,
        user: &CurrentUser,
        device_id: &str,
        version: i64,
        which: &str,
        reveal: bool,
    ) -> Result<ConfigText, AppError> {
        configs::text(self, user, device_id, version, which, reveal).await
    }
    async fn config_diff(
        &self,
        user: &CurrentUser,
        device_id: &str,
        from: i64,
        to: i64,
        reveal: bool,
    ) -> Result<ConfigDiffView, AppError> {
        configs::diff(self, user, device_id, from, to, reveal).await
    }
    async fn preview_push(
        &self,
        user: &CurrentUser,
        device_id: &str,
        candidate: Option<String>,
        restore_version: Option<i64>,
    ) -> Result<PushPreview, AppError> {
        configs::preview(self, user, device_id, candidate, restore_version).await
    }
}
