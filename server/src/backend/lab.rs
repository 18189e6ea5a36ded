//! The in-process lab seen from the application: its devices registered in the inventory (events
//! from source `lab`, credentials in the vault) and fault injection for administrators.

use app::error::AppError;
use app::ssr::CommandContext;
use domain::device::{DeviceCommand, DeviceDraft, Platform};
use domain::identity::Permission;
use domain::metadata::{EventMetadata, Source};
use serde::Deserialize;
use sqlx::Row;

use super::AppState;
use crate::lab::{CpuProfile, Fault, Lab, LabDeviceInfo};
use crate::vault::Credential;

/// The tag every lab device carries (the inventory's filter for "the lab").
pub const LAB_TAG: &str = "lab";

fn vendor(p: Platform) -> &'static str {
    match p {
        Platform::CiscoIos => "Cisco",
        Platform::ArubaAoscx => "Aruba",
        Platform::JuniperJunos => "Juniper",
    }
}

fn draft(d: &LabDeviceInfo) -> DeviceDraft {
    DeviceDraft {
        hostname: d.name.clone(),
        address: d.address.to_string(),
        port: Some(d.port.to_string()),
        platform: d.platform.as_str().to_owned(),
        vendor: vendor(d.platform).to_owned(),
        model: "NetLedger lab".to_owned(),
        site: "lab".to_owned(),
        group: "lab".to_owned(),
        tags: LAB_TAG.to_owned(),
        credential_ref: format!("lab:{}", d.name),
        notes: "Simulated device of the built-in lab (netledger lab).".to_owned(),
        ..DeviceDraft::default()
    }
}

/// Registers (or updates the address of) every lab device; returns how many events were written.
pub async fn register(state: &AppState, lab: &Lab) -> Result<usize, String> {
    let meta = || EventMetadata::new("system:lab", Source::Lab, uuid::Uuid::new_v4().to_string(), chrono::Utc::now());
    let existing = sqlx::query("SELECT id, hostname FROM devices WHERE status <> 'decommissioned' AND $1 = ANY(tags)")
        .bind(LAB_TAG)
        .fetch_all(&state.pool)
        .await
        .map_err(|e| e.to_string())?;
    let mut written = 0;
    let mut last = None;
    for d in lab.devices() {
        let cred = Credential {
            username: d.username.clone(),
            password: d.password.clone(),
            enable_secret: Some(d.enable_secret.clone()),
        };
        state.vault.put_credential(&format!("lab:{}", d.name), "lab", &cred).await.map_err(|e| e.to_string())?;
        let spec = draft(&d).parse().map_err(|e| format!("{}: {e}", d.name))?;
        let found = existing.iter().find(|r| r.get::<Option<String>, _>("hostname").as_deref() == Some(&d.name));
        let (id, cmd) = match found {
            Some(r) => (r.get::<String, _>("id"), DeviceCommand::Update { spec }),
            None => (uuid::Uuid::new_v4().to_string(), DeviceCommand::Register { spec }),
        };
        state
            .store
            .devices
            .execute_with_metadata(&id, cmd, meta().to_map())
            .await
            .map_err(|e| format!("{}: {}", d.name, crate::adapters::store::describe(&e)))?;
        written += 1;
        last = Some(id);
    }
    // Callers list the lab right after: let the inventory catch up first.
    if let Some(id) = last {
        state.settle("device", &id).await;
    }
    Ok(written)
}

/// What an administrator may change on a lab device.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LabChange {
    /// `null` clears the fault.
    pub fault: Option<Fault>,
    pub cpu: Option<CpuProfile>,
}

fn lab(state: &AppState) -> Result<&Lab, AppError> {
    state.lab.get().ok_or_else(|| AppError::Rejected("no lab runs in this server (NETLEDGER_LAB=off)".into()))
}

pub fn devices(state: &AppState, ctx: &CommandContext) -> Result<Vec<serde_json::Value>, AppError> {
    ctx.require(Permission::ManageLab)?;
    Ok(lab(state)?
        .devices()
        .into_iter()
        .map(|d| {
            serde_json::json!({
                "name": d.name, "platform": d.platform, "address": d.address, "port": d.port,
            })
        })
        .collect())
}

pub fn change(state: &AppState, ctx: &CommandContext, name: &str, change: LabChange) -> Result<(), AppError> {
    ctx.require(Permission::ManageLab)?;
    let lab = lab(state)?;
    lab.set_fault(name, change.fault).map_err(|e| AppError::Rejected(e.to_string()))?;
    if let Some(cpu) = change.cpu {
        lab.set_cpu(name, cpu).map_err(|e| AppError::Rejected(e.to_string()))?;
    }
    tracing::info!(actor = %ctx.user.username, device = name, fault = ?change.fault, cpu = ?change.cpu, "lab fault set");
    Ok(())
}
