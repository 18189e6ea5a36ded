//! The `ConfigArchive` aggregate (one per device): the device's configuration versions.
//!
//! Events carry content hashes, never configuration text: configurations hold secrets, and the
//! log is kept forever and shown to auditors. The text lives in a content-addressed blob store.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArchiveCommand {
    /// A backup's normalised running (and startup, where the platform has one) configuration.
    RecordBackup { running_hash: String, startup_hash: Option<String>, operation_id: Option<String> },
}

/// Stored event names are frozen (`serde(rename)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArchiveEvent {
    #[serde(rename = "ConfigVersionRecorded")]
    VersionRecorded {
        version: i64,
        running_hash: String,
        startup_hash: Option<String>,
        /// Running differs from startup: a reload would lose changes.
        drift: bool,
        operation_id: Option<String>,
    },
    /// A backup found the same configuration as the latest version.
    #[serde(rename = "ConfigBackupUnchanged")]
    Unchanged { version: i64, drift: bool, operation_id: Option<String> },
}

impl DomainEvent for ArchiveEvent {
    fn event_type(&self) -> String {
        match self {
            Self::VersionRecorded { .. } => "ConfigVersionRecorded",
            Self::Unchanged { .. } => "ConfigBackupUnchanged",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    #[error("a configuration hash must be 64 hexadecimal characters")]
    BadHash,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigArchive {
    pub version: i64,
    pub running_hash: Option<String>,
    pub startup_hash: Option<String>,
}

fn valid_hash(h: &str) -> bool {
    h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
}

impl ConfigArchive {
    pub fn decide(&self, cmd: ArchiveCommand) -> Result<Vec<ArchiveEvent>, ArchiveError> {
        let ArchiveCommand::RecordBackup { running_hash, startup_hash, operation_id } = cmd;
        if !valid_hash(&running_hash) || startup_hash.as_deref().is_some_and(|h| !valid_hash(h)) {
            return Err(ArchiveError::BadHash);
        }
        let drift = startup_hash.as_ref().is_some_and(|s| *s != running_hash);
        let same = self.running_hash.as_ref() == Some(&running_hash) && self.startup_hash == startup_hash;
        Ok(vec![if same {
            ArchiveEvent::Unchanged { version: self.version, drift, operation_id }
        } else {
            ArchiveEvent::VersionRecorded { version: self.version + 1, running_hash, startup_hash, drift, operation_id }
        }])
    }

    pub fn evolve(&mut self, event: ArchiveEvent) {
        if let ArchiveEvent::VersionRecorded { version, running_hash, startup_hash, .. } = event {
            self.version = version;
            self.running_hash = Some(running_hash);
            self.startup_hash = startup_hash;
        }
    }
}

decider_aggregate!(ConfigArchive, "config_archive", ArchiveCommand, ArchiveEvent, ArchiveError);

#[cfg(test)]
mod tests {
    use super::*;

    fn h(c: char) -> String {
        c.to_string().repeat(64)
    }

    fn record(a: &mut ConfigArchive, running: char, startup: Option<char>) -> ArchiveEvent {
        let cmd = ArchiveCommand::RecordBackup {
            running_hash: h(running),
            startup_hash: startup.map(h),
            operation_id: Some("op".into()),
        };
        let mut events = a.decide(cmd).unwrap();
        let e = events.remove(0);
        a.evolve(e.clone());
        e
    }

    #[test]
    fn a_new_version_only_when_the_config_changed() {
        let mut a = ConfigArchive::default();
        assert!(matches!(
            record(&mut a, 'a', Some('a')),
            ArchiveEvent::VersionRecorded { version: 1, drift: false, .. }
        ));
        assert!(matches!(record(&mut a, 'a', Some('a')), ArchiveEvent::Unchanged { version: 1, drift: false, .. }));
        // Running changed but not saved: a new version that drifts from startup.
        assert!(matches!(
            record(&mut a, 'b', Some('a')),
            ArchiveEvent::VersionRecorded { version: 2, drift: true, .. }
        ));
        // Saved: startup caught up, another version without drift.
        assert!(matches!(
            record(&mut a, 'b', Some('b')),
            ArchiveEvent::VersionRecorded { version: 3, drift: false, .. }
        ));
        // Platforms without a startup config never drift.
        assert!(matches!(record(&mut a, 'c', None), ArchiveEvent::VersionRecorded { version: 4, drift: false, .. }));
    }

    #[test]
    fn hashes_are_checked() {
        let cmd =
            ArchiveCommand::RecordBackup { running_hash: "nothex".into(), startup_hash: None, operation_id: None };
        assert_eq!(ConfigArchive::default().decide(cmd), Err(ArchiveError::BadHash));
    }
}
