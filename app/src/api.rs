//! Server functions: thin wrappers that resolve the caller and delegate to the `Backend`.

use domain::device::DeviceDraft;
use domain::identity::Role;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::{
    AuditEntry, AuditQuery, CurrentUser, Dashboard, DeviceDetail, DeviceQuery, DeviceRow, Facets, ImportReport,
    Invitation, Page, SearchHit, UserRow,
};

#[server(input = Json)]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    Ok(crate::ssr::user().await.ok())
}

#[server(input = Json)]
pub async fn list_devices(query: DeviceQuery) -> Result<Page<DeviceRow>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.list_devices(&user, query).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn get_device(id: String) -> Result<DeviceDetail, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.device(&user, &id).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn register_device(draft: DeviceDraft) -> Result<DeviceRow, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.register_device(&ctx, draft).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn update_device(id: String, draft: DeviceDraft, expected_version: i64) -> Result<DeviceRow, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.update_device(&ctx, &id, draft, Some(expected_version)).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn set_device_status(id: String, decommission: bool, reason: String) -> Result<DeviceRow, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.set_device_status(&ctx, &id, decommission, reason).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn import_devices(csv: String) -> Result<ImportReport, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.import_devices(&ctx, csv).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn device_facets() -> Result<Facets, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.facets(&user).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn audit_trail(query: AuditQuery) -> Result<Page<AuditEntry>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.audit(&user, query).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.dashboard(&user).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn global_search(q: String) -> Result<Vec<SearchHit>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.search(&user, &q).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.users(&user).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn invite_user(username: String, display_name: String, role: Role) -> Result<Invitation, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.invite_user(&ctx, username, display_name, role).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn change_role(username: String, role: Role) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.change_role(&ctx, &username, role).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.change_own_password(&ctx, current, new).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn request_operation(request: domain::operation::OperationRequest) -> Result<String, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.request_operation(&ctx, request).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn list_operations(
    query: crate::model::OperationQuery,
) -> Result<Page<crate::model::OperationRow>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.operations(&user, query).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn get_operation(id: String) -> Result<crate::model::OperationDetail, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.operation(&user, &id).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn cancel_operation(id: String, reason: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            crate::ssr::backend()?.cancel_operation(&ctx, &id, reason).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn device_configs(device_id: String) -> Result<crate::model::ConfigSummary, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.device_configs(&user, &device_id).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn config_text(
    device_id: String,
    version: i64,
    which: String,
    reveal: bool,
) -> Result<crate::model::ConfigText, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.config_text(&user, &device_id, version, &which, reveal).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn config_diff(
    device_id: String,
    from: i64,
    to: i64,
    reveal: bool,
) -> Result<crate::model::ConfigDiffView, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.config_diff(&user, &device_id, from, to, reveal).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn preview_push(
    device_id: String,
    candidate: Option<String>,
    restore_version: Option<i64>,
) -> Result<crate::model::PushPreview, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            crate::ssr::backend()?.preview_push(&user, &device_id, candidate, restore_version).await
        }
        .await,
    )
}
