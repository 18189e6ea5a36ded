//! Server functions of the monitoring pages: resolve the caller, delegate to the port.

use domain::monitoring::{DestinationDraft, JobRequest};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::model::{
    AlertCounts, AlertQuery, AlertRow, DestinationQuery, DestinationRow, JobDetail, JobQuery, JobRow, Series,
    SeriesQuery,
};
use crate::error::AppError;
use crate::model::{ImportReport, Page};

#[server(input = Json)]
pub async fn list_destinations(query: DestinationQuery) -> Result<Page<DestinationRow>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            super::ssr::monitoring()?.destinations(&user, query).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn get_destination(id: String) -> Result<DestinationRow, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            super::ssr::monitoring()?.destination(&user, &id).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn add_destination(draft: DestinationDraft) -> Result<DestinationRow, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.add_destination(&ctx, draft).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn update_destination(
    id: String,
    draft: DestinationDraft,
    expected_version: i64,
) -> Result<DestinationRow, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.update_destination(&ctx, &id, draft, Some(expected_version)).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn remove_destination(id: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.remove_destination(&ctx, &id).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn import_destinations(csv: String) -> Result<ImportReport, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.import_destinations(&ctx, csv).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn list_monitor_jobs(query: JobQuery) -> Result<Page<JobRow>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            super::ssr::monitoring()?.monitor_jobs(&user, query).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn get_monitor_job(id: String) -> Result<JobDetail, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            super::ssr::monitoring()?.monitor_job(&user, &id).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn schedule_monitor_job(request: JobRequest, cloned_from: Option<String>) -> Result<String, AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.schedule_job(&ctx, request, cloned_from).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn edit_monitor_job(id: String, request: JobRequest) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.edit_job(&ctx, &id, request).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn cancel_monitor_job(id: String, reason: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.cancel_job(&ctx, &id, reason).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn monitor_job_series(query: SeriesQuery) -> Result<Series, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            super::ssr::monitoring()?.job_series(&user, query).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn list_alerts(query: AlertQuery) -> Result<Page<AlertRow>, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            super::ssr::monitoring()?.alerts(&user, query).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn get_alert_counts() -> Result<AlertCounts, AppError> {
    crate::ssr::respond(
        async {
            let user = crate::ssr::user().await?;
            super::ssr::monitoring()?.alert_counts(&user).await
        }
        .await,
    )
}

#[server(input = Json)]
pub async fn acknowledge_alert(id: String, note: String) -> Result<(), AppError> {
    crate::ssr::respond(
        async {
            let ctx = crate::ssr::context().await?;
            super::ssr::monitoring()?.acknowledge_alert(&ctx, &id, note).await
        }
        .await,
    )
}
