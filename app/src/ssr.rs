//! Server-side access for server functions: the `Backend` port (implemented by the `server`
//! crate on its state) and the request's user. Compiled only with the `ssr` feature.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Extension;
use domain::device::DeviceDraft;
use domain::identity::{Permission, Role};
use domain::metadata::Source;
use leptos::prelude::use_context;

use crate::error::AppError;
use crate::model::{
    AuditEntry, AuditQuery, ConfigDiffView, ConfigSummary, ConfigText, CurrentUser, Dashboard, DeviceDetail,
    DeviceQuery, DeviceRow, Facets, ImportReport, Invitation, OperationDetail, OperationQuery, OperationRow, Page,
    PushPreview, SearchHit, UserRow,
};
use domain::operation::OperationRequest;

/// The caller of a command, for RBAC and event metadata.
#[derive(Debug, Clone)]
pub struct CommandContext {
    pub user: CurrentUser,
    pub source: Source,
    pub request_ip: Option<String>,
}

impl CommandContext {
    /// Refuses before any work when the role lacks `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        require_role(&self.user, p)
    }
}

pub fn require_role(user: &CurrentUser, p: Permission) -> Result<(), AppError> {
    if user.role.can(p) {
        Ok(())
    } else {
        Err(AppError::Forbidden(p))
    }
}

/// The peer address of the request, put in request extensions by the server's middleware.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

/// Everything the UI and the REST API can ask of the platform. Every method checks the
/// caller's role itself, so no entry point can skip RBAC.
#[async_trait]
pub trait Backend: Send + Sync {
    async fn list_devices(&self, user: &CurrentUser, q: DeviceQuery) -> Result<Page<DeviceRow>, AppError>;
    async fn device(&self, user: &CurrentUser, id: &str) -> Result<DeviceDetail, AppError>;
    async fn register_device(&self, ctx: &CommandContext, draft: DeviceDraft) -> Result<DeviceRow, AppError>;
    async fn update_device(
        &self,
        ctx: &CommandContext,
        id: &str,
        draft: DeviceDraft,
        expected_version: Option<i64>,
    ) -> Result<DeviceRow, AppError>;
    async fn set_device_status(
        &self,
        ctx: &CommandContext,
        id: &str,
        decommission: bool,
        reason: String,
    ) -> Result<DeviceRow, AppError>;
    async fn import_devices(&self, ctx: &CommandContext, csv: String) -> Result<ImportReport, AppError>;
    async fn facets(&self, user: &CurrentUser) -> Result<Facets, AppError>;
    async fn audit(&self, user: &CurrentUser, q: AuditQuery) -> Result<Page<AuditEntry>, AppError>;
    async fn dashboard(&self, user: &CurrentUser) -> Result<Dashboard, AppError>;
    async fn search(&self, user: &CurrentUser, q: &str) -> Result<Vec<SearchHit>, AppError>;
    async fn users(&self, user: &CurrentUser) -> Result<Vec<UserRow>, AppError>;
    async fn invite_user(
        &self,
        ctx: &CommandContext,
        username: String,
        display_name: String,
        role: Role,
    ) -> Result<Invitation, AppError>;
    async fn change_role(&self, ctx: &CommandContext, username: &str, role: Role) -> Result<(), AppError>;
    async fn change_own_password(&self, ctx: &CommandContext, current: String, new: String) -> Result<(), AppError>;

    /// Validates, records and queues (or schedules) an operation; returns its id.
    async fn request_operation(&self, ctx: &CommandContext, request: OperationRequest) -> Result<String, AppError>;
    async fn operations(&self, user: &CurrentUser, q: OperationQuery) -> Result<Page<OperationRow>, AppError>;
    async fn operation(&self, user: &CurrentUser, id: &str) -> Result<OperationDetail, AppError>;
    async fn cancel_operation(&self, ctx: &CommandContext, id: &str, reason: String) -> Result<(), AppError>;
    async fn device_configs(&self, user: &CurrentUser, device_id: &str) -> Result<ConfigSummary, AppError>;
    /// `which` is `running` or `startup`; secrets stay masked unless `reveal` and the role allows it.
    async fn config_text(
        &self,
        user: &CurrentUser,
        device_id: &str,
        version: i64,
        which: &str,
        reveal: bool,
    ) -> Result<ConfigText, AppError>;
    async fn config_diff(
        &self,
        user: &CurrentUser,
        device_id: &str,
        from: i64,
        to: i64,
        reveal: bool,
    ) -> Result<ConfigDiffView, AppError>;
    /// The diff and commands a push of `candidate` (a full configuration) or a restore of
    /// `restore_version` would apply to the device's latest backed-up running configuration.
    async fn preview_push(
        &self,
        user: &CurrentUser,
        device_id: &str,
        candidate: Option<String>,
        restore_version: Option<i64>,
    ) -> Result<PushPreview, AppError>;
}

pub type SharedBackend = Arc<dyn Backend>;

pub fn backend() -> Result<SharedBackend, AppError> {
    use_context::<SharedBackend>().ok_or_else(|| AppError::Internal("backend missing from context".into()))
}

/// The signed-in user of this request.
pub async fn user() -> Result<CurrentUser, AppError> {
    leptos_axum::extract::<Extension<CurrentUser>>().await.map(|Extension(u)| u).map_err(|_| AppError::Unauthenticated)
}

/// The command context of this request, coming from the UI.
pub async fn context() -> Result<CommandContext, AppError> {
    let user = user().await?;
    let ip = leptos_axum::extract::<Extension<ClientIp>>().await.ok().and_then(|Extension(ClientIp(ip))| ip);
    Ok(CommandContext { user, source: Source::Ui, request_ip: ip })
}

/// Gives a server function's error its HTTP status (a refusal is not a 500), so browsers,
/// proxies and logs see what happened.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let (Some(res), Ok(status)) =
            (use_context::<leptos_axum::ResponseOptions>(), axum::http::StatusCode::from_u16(e.status()))
        {
            res.set_status(status);
        }
    }
    result
}
