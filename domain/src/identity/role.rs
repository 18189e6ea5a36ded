//! Roles and permissions: the one table both the server (enforcing) and the UI (hiding) read.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Engineer,
    Viewer,
    Auditor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See the inventory, dashboards and a device's current state.
    ReadInventory,
    /// Register, edit, decommission and import devices.
    ManageDevices,
    /// Read the full event history and export it.
    ReadAudit,
    /// Invite users and change roles.
    ManageUsers,
    /// Run operations that read from devices: connectivity, allowlisted show commands, backup, health.
    RunOperations,
    /// Push configuration changes and restore versions.
    ChangeConfig,
    /// Run any command on a device, not only the read-only allowlist.
    RunAnyCommand,
    /// See configurations with their secrets unmasked.
    ViewSecrets,
    /// Inject faults into the device lab.
    ManageLab,
    /// Add destinations and create, edit, cancel and clone latency monitoring jobs.
    ManageMonitoring,
    /// Acknowledge alerts.
    AcknowledgeAlerts,
}

impl Role {
    pub const ALL: [Self; 4] = [Self::Admin, Self::Engineer, Self::Viewer, Self::Auditor];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Engineer => "engineer",
            Self::Viewer => "viewer",
            Self::Auditor => "auditor",
        }
    }

    #[must_use]
    pub const fn can(self, p: Permission) -> bool {
        use Permission as P;
        match self {
            Self::Admin => true,
            Self::Engineer => {
                matches!(
                    p,
                    P::ReadInventory
                        | P::ManageDevices
                        | P::ReadAudit
                        | P::RunOperations
                        | P::ChangeConfig
                        | P::ManageMonitoring
                        | P::AcknowledgeAlerts
                )
            }
            Self::Viewer => matches!(p, P::ReadInventory),
            Self::Auditor => matches!(p, P::ReadInventory | P::ReadAudit),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| "must be admin, engineer, viewer or auditor".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_manage_users_and_auditors_change_nothing() {
        assert!(Role::Admin.can(Permission::ManageUsers));
        for r in [Role::Engineer, Role::Viewer, Role::Auditor] {
            assert!(!r.can(Permission::ManageUsers), "{r}");
        }
        assert!(!Role::Auditor.can(Permission::ManageDevices));
        assert!(Role::Auditor.can(Permission::ReadAudit));
        assert!(!Role::Viewer.can(Permission::ReadAudit));
        assert!(Role::Engineer.can(Permission::ManageDevices));
    }

    #[test]
    fn only_admins_run_free_commands_and_see_secrets() {
        for p in [Permission::RunAnyCommand, Permission::ViewSecrets, Permission::ManageLab] {
            assert!(Role::Admin.can(p));
            assert!(!Role::Engineer.can(p), "{p:?}");
        }
        assert!(Role::Engineer.can(Permission::ChangeConfig));
        for r in [Role::Viewer, Role::Auditor] {
            assert!(!r.can(Permission::RunOperations) && !r.can(Permission::ChangeConfig), "{r}");
        }
    }
}
