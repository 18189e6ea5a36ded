//! Configuration archive use cases: versions, masked views, diffs and push previews.

use app::error::AppError;
use app::model::{ConfigDiffView, ConfigSummary, ConfigText, ConfigVersionRow, CurrentUser, DiffRow, PushPreview};
use app::ssr::require_role;
use domain::archive::ArchiveEvent;
use domain::config;
use domain::device::Platform;
use domain::identity::Permission;
use domain::operation::TargetRef;
use domain::FieldErrors;
use serde_json::Value;
use sqlx::Row;

use super::{internal, AppState};

/// The device's hostname and platform, from the inventory (`NotFound` for an unknown id).
async fn device_platform(state: &AppState, device_id: &str) -> Result<(String, Platform), AppError> {
    let d = super::devices::find(state, device_id).await?;
    let platform = d.platform.parse().map_err(|e: String| internal(format!("device {device_id}: platform {e}")))?;
    Ok((d.hostname, platform))
}

/// Normalises a candidate configuration with the rules of its (single) target's platform.
pub async fn normalise_for(state: &AppState, targets: &[TargetRef], text: &str) -> Result<String, AppError> {
    let platform = match targets {
        [t] => device_platform(state, &t.device_id).await?.1,
        _ => Platform::CiscoIos,
    };
    Ok(config::normalize(platform, text))
}

pub async fn summary(state: &AppState, user: &CurrentUser, device_id: &str) -> Result<ConfigSummary, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let (hostname, platform) = device_platform(state, device_id).await?;
    let versions = sqlx::query(
        "SELECT version, running_hash, startup_hash, drift, operation_id, actor, recorded_at
           FROM config_versions WHERE device_id = $1 ORDER BY version DESC",
    )
    .bind(device_id)
    .fetch_all(&state.pool)
    .await
    .map_err(internal)?
    .iter()
    .map(|r| ConfigVersionRow {
        version: r.get("version"),
        running_hash: r.get("running_hash"),
        startup_hash: r.get("startup_hash"),
        drift: r.get("drift"),
        operation_id: r.get("operation_id"),
        actor: r.get("actor"),
        recorded_at: r.get("recorded_at"),
    })
    .collect();
    let state_row = sqlx::query("SELECT drift, last_backup_at, backups FROM config_state WHERE device_id = $1")
        .bind(device_id)
        .fetch_optional(&state.pool)
        .await
        .map_err(internal)?;
    Ok(ConfigSummary {
        device_id: device_id.to_owned(),
        hostname,
        platform: platform.as_str().to_owned(),
        versions,
        drift: state_row.as_ref().is_some_and(|r| r.get("drift")),
        last_backup_at: state_row.as_ref().map(|r| r.get("last_backup_at")),
        backups: state_row.as_ref().map_or(0, |r| r.get("backups")),
    })
}

/// Whether this request shows secrets: only when asked and allowed.
fn reveal_allowed(user: &CurrentUser, reveal: bool) -> Result<bool, AppError> {
    if reveal {
        require_role(user, Permission::ViewSecrets)?;
    }
    Ok(reveal)
}

async fn version_text(state: &AppState, device_id: &str, version: i64, which: &str) -> Result<String, AppError> {
    let column = match which {
        "running" => "running_hash",
        "startup" => "startup_hash",
        _ => {
            let mut e = FieldErrors::default();
            e.push("which", "must be running or startup");
            return Err(AppError::Invalid(e));
        }
    };
    let hash: Option<Option<String>> =
        sqlx::query_scalar(&format!("SELECT {column} FROM config_versions WHERE device_id = $1 AND version = $2"))
            .bind(device_id)
            .bind(version)
            .fetch_optional(&state.pool)
            .await
            .map_err(internal)?;
    let hash = hash
        .ok_or(AppError::NotFound)?
        .ok_or_else(|| AppError::Rejected("this platform has no startup configuration".into()))?;
    state.vault.config(&hash).await.map_err(internal)?.ok_or_else(|| internal(format!("config blob {hash} missing")))
}

pub async fn text(
    state: &AppState,
    user: &CurrentUser,
    device_id: &str,
    version: i64,
    which: &str,
    reveal: bool,
) -> Result<ConfigText, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let reveal = reveal_allowed(user, reveal)?;
    let (_, platform) = device_platform(state, device_id).await?;
    let text = version_text(state, device_id, version, which).await?;
    let text = if reveal { text } else { config::mask_secrets(platform, &text) };
    Ok(ConfigText { version, which: which.to_owned(), text, masked: !reveal })
}

fn view(from_label: String, to_label: String, old: &str, new: &str, masked: bool) -> ConfigDiffView {
    let d = config::diff(old, new);
    ConfigDiffView {
        from_label,
        to_label,
        unified: d.unified,
        rows: d
            .rows
            .into_iter()
            .map(|r| DiffRow {
                left_no: r.left_no,
                left: r.left,
                right_no: r.right_no,
                right: r.right,
                kind: match r.kind {
                    config::RowKind::Equal => "equal",
                    config::RowKind::Delete => "delete",
                    config::RowKind::Insert => "insert",
                    config::RowKind::Replace => "replace",
                }
                .to_owned(),
            })
            .collect(),
        added: d.added,
        removed: d.removed,
        masked,
    }
}

pub async fn diff(
    state: &AppState,
    user: &CurrentUser,
    device_id: &str,
    from: i64,
    to: i64,
    reveal: bool,
) -> Result<ConfigDiffView, AppError> {
    require_role(user, Permission::ReadInventory)?;
    let reveal = reveal_allowed(user, reveal)?;
    let (_, platform) = device_platform(state, device_id).await?;
    let mut old = version_text(state, device_id, from, "running").await?;
    let mut new = version_text(state, device_id, to, "running").await?;
    if !reveal {
        old = config::mask_secrets(platform, &old);
        new = config::mask_secrets(platform, &new);
    }
    Ok(view(format!("version {from}"), format!("version {to}"), &old, &new, !reveal))
}

/// The newest version's running configuration, the base every push is previewed against.
pub async fn latest_running(state: &AppState, device_id: &str) -> Result<Option<(i64, String)>, AppError> {
    let latest: Option<i64> = sqlx::query_scalar("SELECT max(version) FROM config_versions WHERE device_id = $1")
        .bind(device_id)
        .fetch_one(&state.pool)
        .await
        .map_err(internal)?;
    match latest {
        Some(v) => Ok(Some((v, version_text(state, device_id, v, "running").await?))),
        None => Ok(None),
    }
}

pub async fn preview(
    state: &AppState,
    user: &CurrentUser,
    device_id: &str,
    candidate: Option<String>,
    restore_version: Option<i64>,
) -> Result<PushPreview, AppError> {
    require_role(user, Permission::ChangeConfig)?;
    let (_, platform) = device_platform(state, device_id).await?;
    let Some((latest, current)) = latest_running(state, device_id).await? else {
        return Err(AppError::Rejected("back up this device first: a preview compares with its latest backup".into()));
    };
    let (label, target) = match (candidate, restore_version) {
        (_, Some(v)) => (format!("version {v}"), version_text(state, device_id, v, "running").await?),
        (Some(text), None) => {
            require_role(user, Permission::ViewSecrets)?;
            ("candidate".to_owned(), config::normalize(platform, &text))
        }
        (None, None) => {
            let mut e = FieldErrors::default();
            e.push("candidate", "give a candidate configuration or a version to restore");
            return Err(AppError::Invalid(e));
        }
    };
    let commands = config::remediation(platform, &current, &target);
    // The preview is for reading: secrets stay masked whoever asks; the commands keep them only
    // for those who may see them.
    let masked_current = config::mask_secrets(platform, &current);
    let masked_target = config::mask_secrets(platform, &target);
    let commands = if user.role.can(Permission::ViewSecrets) {
        commands
    } else {
        config::mask_secrets(platform, &commands.join("\n")).lines().map(str::to_owned).collect()
    };
    Ok(PushPreview {
        diff: view(format!("running (version {latest})"), label, &masked_current, &masked_target, true),
        commands,
    })
}

/// How a config archive event reads in the audit trail.
pub fn describe_event(payload: &Value) -> Option<String> {
    Some(match serde_json::from_value::<ArchiveEvent>(payload.clone()).ok()? {
        ArchiveEvent::VersionRecorded { version, running_hash, drift, .. } => format!(
            "Configuration version {version} recorded (sha256 {}){}",
            &running_hash[..running_hash.len().min(12)],
            if drift { "; running differs from startup" } else { "" }
        ),
        ArchiveEvent::Unchanged { version, drift, .. } => format!(
            "Backup unchanged (still version {version}){}",
            if drift { "; running differs from startup" } else { "" }
        ),
    })
}
