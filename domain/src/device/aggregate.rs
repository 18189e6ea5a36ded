//! The `Device` aggregate: decides which events a command produces; `apply` only evolves state.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::values::DeviceSpec;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    #[default]
    New,
    Active,
    Decommissioned,
}

impl DeviceStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Active => "active",
            Self::Decommissioned => "decommissioned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeviceCommand {
    Register {
        spec: DeviceSpec,
    },
    /// Replaces the attributes; only the fields that differ are recorded.
    Update {
        spec: DeviceSpec,
    },
    Decommission {
        reason: String,
    },
    Restore {
        reason: String,
    },
    /// Trust the SSH host key seen at first connection (TOFU); later keys must match it.
    TrustHostKey {
        fingerprint: String,
    },
}

/// One attribute's value before and after an update, as JSON so any field type fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// Stored event names are frozen (`serde(rename)`); variant names may change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DeviceEvent {
    #[serde(rename = "DeviceRegistered")]
    Registered { spec: DeviceSpec },
    /// Carries the resulting spec so projections stay dumb, and the changes for auditors.
    #[serde(rename = "DeviceUpdated")]
    Updated { changes: Vec<FieldChange>, spec: DeviceSpec },
    #[serde(rename = "DeviceDecommissioned")]
    Decommissioned { reason: String },
    #[serde(rename = "DeviceRestored")]
    Restored { reason: String },
    #[serde(rename = "DeviceHostKeyTrusted")]
    HostKeyTrusted { fingerprint: String },
}

impl DomainEvent for DeviceEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Registered { .. } => "DeviceRegistered",
            Self::Updated { .. } => "DeviceUpdated",
            Self::Decommissioned { .. } => "DeviceDecommissioned",
            Self::Restored { .. } => "DeviceRestored",
            Self::HostKeyTrusted { .. } => "DeviceHostKeyTrusted",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("device is already registered")]
    AlreadyRegistered,
    #[error("device does not exist")]
    NotRegistered,
    #[error("device is decommissioned; restore it first")]
    Decommissioned,
    #[error("device is not decommissioned")]
    NotDecommissioned,
    #[error("a reason is required (at most 500 characters)")]
    ReasonRequired,
    #[error("the device already trusts host key {0}; a different key is refused")]
    HostKeyAlreadyTrusted(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub status: DeviceStatus,
    pub spec: Option<DeviceSpec>,
    #[serde(default)]
    pub host_key: Option<String>,
}

fn valid_reason(reason: &str) -> Result<String, DeviceError> {
    let r = reason.trim();
    if r.is_empty() || r.chars().count() > 500 {
        return Err(DeviceError::ReasonRequired);
    }
    Ok(r.to_owned())
}

/// The fields of `after` that differ from `before`, by their serialised names.
fn diff(before: &DeviceSpec, after: &DeviceSpec) -> Vec<FieldChange> {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) = (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| FieldChange {
            field: k.clone(),
            before: b.get(k).cloned().unwrap_or(Value::Null),
            after: v.clone(),
        })
        .collect()
}

impl Device {
    pub fn decide(&self, cmd: DeviceCommand) -> Result<Vec<DeviceEvent>, DeviceError> {
        use DeviceCommand as C;
        use DeviceEvent as E;
        use DeviceStatus as S;
        Ok(match (self.status, cmd) {
            (S::New, C::Register { spec }) => vec![E::Registered { spec }],
            (S::Active | S::Decommissioned, C::TrustHostKey { fingerprint }) => match &self.host_key {
                None => vec![E::HostKeyTrusted { fingerprint }],
                Some(known) if *known == fingerprint => vec![],
                Some(known) => return Err(DeviceError::HostKeyAlreadyTrusted(known.clone())),
            },
            (S::New, _) => return Err(DeviceError::NotRegistered),
            (_, C::Register { .. }) => return Err(DeviceError::AlreadyRegistered),
            (S::Decommissioned, C::Update { .. } | C::Decommission { .. }) => return Err(DeviceError::Decommissioned),
            (S::Active, C::Restore { .. }) => return Err(DeviceError::NotDecommissioned),
            (S::Active, C::Update { spec }) => {
                let changes = self.spec.as_ref().map(|cur| diff(cur, &spec)).unwrap_or_default();
                // An update that changes nothing is not a fact worth recording.
                if changes.is_empty() {
                    vec![]
                } else {
                    vec![E::Updated { changes, spec }]
                }
            }
            (S::Active, C::Decommission { reason }) => vec![E::Decommissioned { reason: valid_reason(&reason)? }],
            (S::Decommissioned, C::Restore { reason }) => vec![E::Restored { reason: valid_reason(&reason)? }],
        })
    }

    pub fn evolve(&mut self, event: DeviceEvent) {
        match event {
            DeviceEvent::Registered { spec } | DeviceEvent::Updated { spec, .. } => {
                if self.status == DeviceStatus::New {
                    self.status = DeviceStatus::Active;
                }
                self.spec = Some(spec);
            }
            DeviceEvent::Decommissioned { .. } => self.status = DeviceStatus::Decommissioned,
            DeviceEvent::Restored { .. } => self.status = DeviceStatus::Active,
            DeviceEvent::HostKeyTrusted { fingerprint } => self.host_key = Some(fingerprint),
        }
    }
}

decider_aggregate!(Device, "device", DeviceCommand, DeviceEvent, DeviceError);

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::device::DeviceDraft;

    type Given = TestFramework<Device>;

    fn spec(host: &str) -> DeviceSpec {
        DeviceDraft {
            hostname: host.into(),
            address: "10.0.0.1".into(),
            platform: "cisco_ios".into(),
            ..DeviceDraft::default()
        }
        .parse()
        .unwrap()
    }

    fn registered() -> DeviceEvent {
        DeviceEvent::Registered { spec: spec("R15") }
    }

    #[test]
    fn register_records_the_spec() {
        Given::with(())
            .given_no_previous_events()
            .when(DeviceCommand::Register { spec: spec("R15") })
            .then_expect_events(vec![registered()]);
    }

    #[test]
    fn registering_twice_is_refused() {
        Given::with(())
            .given(vec![registered()])
            .when(DeviceCommand::Register { spec: spec("R15") })
            .then_expect_error(DeviceError::AlreadyRegistered);
    }

    #[test]
    fn update_records_only_changed_fields_with_before_and_after() {
        let mut new = spec("R15");
        new.port = 2222;
        new.site = "Paris".into();
        let events = Given::with(())
            .given(vec![registered()])
            .when(DeviceCommand::Update { spec: new.clone() })
            .inspect_result()
            .unwrap();
        let [DeviceEvent::Updated { changes, spec }] = events.as_slice() else { panic!("{events:?}") };
        assert_eq!(spec, &new);
        let fields: Vec<_> = changes.iter().map(|c| (c.field.as_str(), c.before.clone(), c.after.clone())).collect();
        assert_eq!(
            fields,
            vec![("port", Value::from(22), Value::from(2222)), ("site", Value::from(""), Value::from("Paris"))]
        );
    }

    #[test]
    fn an_update_that_changes_nothing_records_nothing() {
        Given::with(())
            .given(vec![registered()])
            .when(DeviceCommand::Update { spec: spec("R15") })
            .then_expect_events(vec![]);
    }

    #[test]
    fn updating_an_unknown_device_is_refused() {
        Given::with(())
            .given_no_previous_events()
            .when(DeviceCommand::Update { spec: spec("R15") })
            .then_expect_error(DeviceError::NotRegistered);
    }

    #[test]
    fn decommissioned_devices_refuse_updates_until_restored() {
        let gone = DeviceEvent::Decommissioned { reason: "RMA".into() };
        Given::with(())
            .given(vec![registered(), gone.clone()])
            .when(DeviceCommand::Update { spec: spec("R16") })
            .then_expect_error(DeviceError::Decommissioned);
        Given::with(())
            .given(vec![registered(), gone])
            .when(DeviceCommand::Restore { reason: " back from RMA ".into() })
            .then_expect_events(vec![DeviceEvent::Restored { reason: "back from RMA".into() }]);
    }

    #[test]
    fn decommission_needs_a_reason() {
        Given::with(())
            .given(vec![registered()])
            .when(DeviceCommand::Decommission { reason: "  ".into() })
            .then_expect_error(DeviceError::ReasonRequired);
    }

    #[test]
    fn restoring_an_active_device_is_refused() {
        Given::with(())
            .given(vec![registered()])
            .when(DeviceCommand::Restore { reason: "x".into() })
            .then_expect_error(DeviceError::NotDecommissioned);
    }

    #[test]
    fn the_first_host_key_is_trusted_and_a_different_one_refused() {
        let trusted = DeviceEvent::HostKeyTrusted { fingerprint: "SHA256:abc".into() };
        Given::with(())
            .given(vec![registered()])
            .when(DeviceCommand::TrustHostKey { fingerprint: "SHA256:abc".into() })
            .then_expect_events(vec![trusted.clone()]);
        Given::with(())
            .given(vec![registered(), trusted.clone()])
            .when(DeviceCommand::TrustHostKey { fingerprint: "SHA256:abc".into() })
            .then_expect_events(vec![]);
        Given::with(())
            .given(vec![registered(), trusted])
            .when(DeviceCommand::TrustHostKey { fingerprint: "SHA256:evil".into() })
            .then_expect_error(DeviceError::HostKeyAlreadyTrusted("SHA256:abc".into()));
    }

    #[test]
    fn stored_event_names_are_frozen() {
        let json = serde_json::to_value(registered()).unwrap();
        assert!(json.get("DeviceRegistered").is_some(), "{json}");
        assert_eq!(registered().event_type(), "DeviceRegistered");
        let restored = DeviceEvent::Restored { reason: "r".into() };
        assert_eq!(serde_json::to_string(&restored).unwrap(), r#"{"DeviceRestored":{"reason":"r"}}"#);
    }
}
