//! Alerts: queries on the `alerts` read model (one row per episode) and acknowledgement.

use app::error::AppError;
use app::model::{CurrentUser, Page};
use app::monitoring::model::{AlertCounts, AlertQuery, AlertRow};
use app::ssr::{require_role, CommandContext};
use cqrs_es::Aggregate;
use domain::identity::Permission;
use domain::monitoring::{Alert, AlertCommand, AlertError, AlertEvent};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

use super::super::{from_aggregate, internal, metadata, AppState};
use super::{field_error, paging};

const COLUMNS: &str = "id, subject, subject_label, metric, job_id, device_id, threshold, value, last_value, raised_at,
                       cleared_at, close_reason, acknowledged_by, acknowledged_at, ack_note";

fn row(r: &PgRow) -> AlertRow {
    AlertRow {
        id: r.get("id"),
        subject: r.get("subject"),
        subject_label: r.get("subject_label"),
        metric: r.get("metric"),
        job_id: r.get("job_id"),
        device_id: r.get("device_id"),
        threshold: r.get("threshold"),
        value: r.get("value"),
        last_value: r.get("last_value"),
        raised_at: r.get("raised_at"),
        cleared_at: r.get("cleared_at"),
        close_reason: r.get("close_reason"),
        acknowledged_by: r.get("acknowledged_by"),
        acknowledged_at: r.get("acknowledged_at"),
        ack_note: r.get("ack_note"),
    }
}

fn push_filters<'a>(b: &mut QueryBuilder<'a, Postgres>, q: &'a AlertQuery) -> Result<(), AppError> {
    b.push(" WHERE true");
    match q.state.trim() {
        "" | "open" => {
            b.push(" AND cleared_at IS NULL");
        }
        "unacknowledged" => {
            b.push(" AND cleared_at IS NULL AND acknowledged_at IS NULL");
        }
        "all" => {}
        other => return Err(field_error("state", format!("'{other}' is not open, unacknowledged or all"))),
    }
    if !q.job_id.trim().is_empty() {
        b.push(" AND job_id = ").push_bind(q.job_id.trim());
    }
    if !q.device_id.trim().is_empty() {
        b.push(" AND device_id = ").push_bind(q.device_id.trim());
    }
    Ok(())
}

pub async fn list(state: &AppState, user: &CurrentUser, q: AlertQuery) -> Result<Page<AlertRow>, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let (page, per_page) = paging(q.page, q.per_page);
    let mut b = QueryBuilder::new(format!("SELECT {COLUMNS} FROM alerts"));
    push_filters(&mut b, &q)?;
    b.push(" ORDER BY raised_at DESC, id LIMIT ").push_bind(i64::from(per_page));
    b.push(" OFFSET ").push_bind(i64::from(page - 1) * i64::from(per_page));
    let rows = b.build().fetch_all(&state.pool).await.map_err(internal)?;
    let mut c = QueryBuilder::new("SELECT count(*) FROM alerts");
    push_filters(&mut c, &q)?;
    let total = c.build_query_scalar::<i64>().fetch_one(&state.pool).await.map_err(internal)?;
    Ok(Page { items: rows.iter().map(row).collect(), total, page, per_page })
}

pub async fn counts(state: &AppState, user: &CurrentUser) -> Result<AlertCounts, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let r = sqlx::query(
        "SELECT count(*) AS open, count(*) FILTER (WHERE acknowledged_at IS NULL) AS unacknowledged
           FROM alerts WHERE cleared_at IS NULL",
    )
    .fetch_one(&state.pool)
    .await
    .map_err(internal)?;
    let latest = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE cleared_at IS NULL ORDER BY raised_at DESC, id LIMIT 10"
    ))
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?;
    Ok(AlertCounts {
        open: r.get("open"),
        unacknowledged: r.get("unacknowledged"),
        latest: latest.iter().map(row).collect(),
    })
}

pub(super) async fn open_for_job(state: &AppState, job_id: &str) -> Result<Vec<AlertRow>, AppError> {
    Ok(sqlx::query(&format!(
        "SELECT {COLUMNS} FROM alerts WHERE job_id = $1 AND cleared_at IS NULL ORDER BY raised_at DESC, id"
    ))
    .bind(job_id)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?
    .iter()
    .map(row)
    .collect())
}

/// `<subject>#<episode>` into its parts; anything else is no alert.
fn parse_id(id: &str) -> Option<(&str, u32)> {
    let (subject, episode) = id.rsplit_once('#')?;
    let episode = episode.parse().ok().filter(|e| *e > 0)?;
    (!subject.is_empty()).then_some((subject, episode))
}

pub async fn acknowledge(state: &AppState, ctx: &CommandContext, id: &str, note: String) -> Result<(), AppError> {
    ctx.require(Permission::AcknowledgeAlerts)?;
    let (subject, episode) = parse_id(id).ok_or(AppError::NotFound)?;
    let cmd = AlertCommand::Acknowledge { episode, by: ctx.user.username.clone(), note };
    state.store.alerts.execute_with_metadata(subject, cmd, metadata(ctx).to_map()).await.map_err(|e| match e {
        cqrs_es::AggregateError::UserError(AlertError::NoteTooLong) => {
            field_error("note", AlertError::NoteTooLong.to_string())
        }
        other => from_aggregate(other, |u| *u == AlertError::NotFound),
    })?;
    state.settle(Alert::TYPE, subject).await;
    Ok(())
}

/// How an alert event reads in the audit trail.
pub fn describe_event(payload: &Value) -> Option<String> {
    Some(match serde_json::from_value::<AlertEvent>(payload.clone()).ok()? {
        AlertEvent::Raised { episode, subject, value, threshold, .. } => {
            let unit = subject.metric.unit();
            format!(
                "Alert #{episode} raised: {} {} {value:.1} {unit} above {threshold} {unit}",
                subject.label,
                subject.metric.as_str()
            )
        }
        AlertEvent::Cleared { episode, value, .. } => format!("Alert #{episode} cleared at {value:.1}"),
        AlertEvent::Suppressed { episode, value, .. } => {
            format!("Alert crossing at {value:.1} suppressed (cooldown after #{episode})")
        }
        AlertEvent::Closed { episode, reason, .. } => format!("Alert #{episode} closed: {reason}"),
        AlertEvent::Acknowledged { episode, by, note } => format!(
            "Alert #{episode} acknowledged by {by}{}",
            if note.is_empty() { String::new() } else { format!(": {note}") }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn alert_ids_are_subject_and_episode() {
        assert_eq!(parse_id("job:j1:dst:d1:rtt#3"), Some(("job:j1:dst:d1:rtt", 3)));
        assert_eq!(parse_id("device:x:cpu#0"), None);
        assert_eq!(parse_id("device:x:cpu"), None);
        assert_eq!(parse_id("#2"), None);
    }
}
