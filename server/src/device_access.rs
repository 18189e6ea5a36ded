//! Where and how to reach an inventory device over SSH: its address, platform and credentials
//! from the inventory and the vault, and its jump host. Shared by operations and health polling.

use domain::device::Platform;
use sqlx::{PgPool, Row};

use crate::adapters::ssh::{JumpHost, SshTarget};
use crate::vault::Vault;

/// Devices tagged `jump:<hostname>` are reached through that device (a bastion) with a
/// direct-tcpip channel; the bastion's own address and credentials come from the inventory.
const JUMP_TAG: &str = "jump:";

async fn jump_host(pool: &PgPool, vault: &Vault, hostname: &str) -> Result<JumpHost, String> {
    let r = sqlx::query(
        "SELECT address, port, credential_ref FROM devices
          WHERE lower(hostname) = lower($1) AND status <> 'decommissioned' LIMIT 1",
    )
    .bind(hostname)
    .fetch_optional(pool)
    .await
    .map_err(|e| format!("inventory: {e}"))?
    .ok_or_else(|| format!("jump host {hostname} is not in the inventory"))?;
    let cref = r.get::<Option<String>, _>("credential_ref").unwrap_or_default();
    let cred = vault
        .credential(&cref)
        .await
        .map_err(|e| format!("vault: {e}"))?
        .ok_or_else(|| format!("jump host {hostname} has no credentials in the vault"))?;
    Ok(JumpHost {
        host: r.get::<Option<String>, _>("address").unwrap_or_default(),
        port: u16::try_from(r.get::<Option<i32>, _>("port").unwrap_or(22)).unwrap_or(22),
        username: cred.username,
        password: cred.password,
    })
}

/// Where and how to reach a device, from the inventory and the vault.
pub async fn ssh_target(pool: &PgPool, vault: &Vault, device_id: &str) -> Result<SshTarget, String> {
    let r = sqlx::query("SELECT address, port, platform, credential_ref, tags FROM devices WHERE id = $1")
        .bind(device_id)
        .fetch_optional(pool)
        .await
        .map_err(|e| format!("inventory: {e}"))?
        .ok_or("device not found in the inventory")?;
    let platform: Platform = r
        .get::<Option<String>, _>("platform")
        .unwrap_or_default()
        .parse()
        .map_err(|e: String| format!("platform {e}"))?;
    let Some(cref) = r.get::<Option<String>, _>("credential_ref").filter(|c| !c.is_empty()) else {
        return Err("no credentials: set the device's credential reference to a vault entry".into());
    };
    let cred = vault
        .credential(&cref)
        .await
        .map_err(|e| format!("vault: {e}"))?
        .ok_or_else(|| format!("credential reference {cref:?} is not in the vault"))?;
    let bastion = r
        .get::<Option<Vec<String>>, _>("tags")
        .unwrap_or_default()
        .iter()
        .find_map(|t| t.strip_prefix(JUMP_TAG).map(str::to_owned));
    let jump = match bastion {
        Some(b) => Some(jump_host(pool, vault, &b).await?),
        None => None,
    };
    Ok(SshTarget {
        device_id: device_id.to_owned(),
        host: r.get::<Option<String>, _>("address").unwrap_or_default(),
        port: u16::try_from(r.get::<Option<i32>, _>("port").unwrap_or(22)).unwrap_or(22),
        platform,
        username: cred.username,
        password: cred.password,
        enable_secret: cred.enable_secret,
        jump,
    })
}
