//! The `Destination` aggregate: a place engineers measure latency to (an address or a DNS name,
//! where it is, how it is labelled). Names are resolved by the server, not here.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::device::{MgmtAddress, Tag};
use crate::FieldErrors;

/// What a form, the REST API or a CSV row gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationDraft {
    pub name: String,
    pub address: String,
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    /// Comma- or space-separated.
    #[serde(default)]
    pub tags: String,
}

/// A validated destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationSpec {
    pub name: String,
    /// An IP address (normalised) or a lower-case DNS name.
    pub address: String,
    pub site: String,
    pub city: String,
    pub country: String,
    pub tags: Vec<String>,
}

fn label(errors: &mut FieldErrors, field: &str, value: &str, max: usize) -> String {
    let v = value.trim();
    if v.chars().count() > max {
        errors.push(field, format!("at most {max} characters"));
    } else if v.chars().any(char::is_control) {
        errors.push(field, "must not contain control characters");
    }
    v.to_owned()
}

impl DestinationDraft {
    /// Every invalid field at once.
    pub fn parse(&self) -> Result<DestinationSpec, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = label(&mut errors, "name", &self.name, 100);
        if name.is_empty() {
            errors.push("name", "is required");
        }
        let address = errors.check("address", MgmtAddress::parse(&self.address)).map(|a| a.as_str().to_owned());
        let site = label(&mut errors, "site", &self.site, 100);
        let city = label(&mut errors, "city", &self.city, 100);
        let country = label(&mut errors, "country", &self.country, 100);
        let tags = errors.check("tags", Tag::parse_list(&self.tags));
        match (address, tags) {
            (Some(address), Some(tags)) if errors.is_empty() => Ok(DestinationSpec {
                name,
                address,
                site,
                city,
                country,
                tags: tags.into_iter().map(|t| t.as_str().to_owned()).collect(),
            }),
            _ => Err(errors),
        }
    }
}

impl DestinationSpec {
    /// The draft that would parse to this spec (edit forms start from it).
    #[must_use]
    pub fn to_draft(&self) -> DestinationDraft {
        DestinationDraft {
            name: self.name.clone(),
            address: self.address.clone(),
            site: self.site.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
            tags: self.tags.join(", "),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DestinationCommand {
    Add { spec: DestinationSpec },
    Update { spec: DestinationSpec },
    Remove,
}

/// Stored event names are frozen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DestinationEvent {
    #[serde(rename = "DestinationAdded")]
    Added { spec: DestinationSpec },
    #[serde(rename = "DestinationUpdated")]
    Updated { spec: DestinationSpec },
    #[serde(rename = "DestinationRemoved")]
    Removed,
}

impl DomainEvent for DestinationEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Added { .. } => "DestinationAdded",
            Self::Updated { .. } => "DestinationUpdated",
            Self::Removed => "DestinationRemoved",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DestinationError {
    #[error("destination already exists")]
    AlreadyExists,
    #[error("destination does not exist")]
    NotFound,
    #[error("nothing changed")]
    Unchanged,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Destination {
    pub spec: Option<DestinationSpec>,
    pub removed: bool,
}

impl Destination {
    pub fn decide(&self, command: DestinationCommand) -> Result<Vec<DestinationEvent>, DestinationError> {
        match (command, &self.spec) {
            (DestinationCommand::Add { spec }, None) => Ok(vec![DestinationEvent::Added { spec }]),
            (DestinationCommand::Add { .. }, Some(_)) => Err(DestinationError::AlreadyExists),
            (_, None) => Err(DestinationError::NotFound),
            (_, Some(_)) if self.removed => Err(DestinationError::NotFound),
            (DestinationCommand::Update { spec }, Some(current)) if *current == spec => {
                Err(DestinationError::Unchanged)
            }
            (DestinationCommand::Update { spec }, Some(_)) => Ok(vec![DestinationEvent::Updated { spec }]),
            (DestinationCommand::Remove, Some(_)) => Ok(vec![DestinationEvent::Removed]),
        }
    }

    pub fn evolve(&mut self, event: DestinationEvent) {
        match event {
            DestinationEvent::Added { spec } | DestinationEvent::Updated { spec } => self.spec = Some(spec),
            DestinationEvent::Removed => self.removed = true,
        }
    }
}

decider_aggregate!(Destination, "destination", DestinationCommand, DestinationEvent, DestinationError);

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> DestinationDraft {
        DestinationDraft {
            name: " Frankfurt DC ".into(),
            address: "Example.NET".into(),
            site: "FRA1".into(),
            city: "Frankfurt".into(),
            country: "DE".into(),
            tags: "eu, dc eu".into(),
        }
    }

    #[test]
    fn a_draft_is_trimmed_and_normalised() {
        let spec = draft().parse().expect("valid");
        assert_eq!(spec.name, "Frankfurt DC");
        assert_eq!(spec.address, "example.net");
        assert_eq!(spec.tags, vec!["dc", "eu"]);
        assert_eq!(spec.to_draft().parse(), Ok(spec));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = DestinationDraft { name: String::new(), address: "300.1.1.1".into(), tags: "a/b".into(), ..draft() };
        let errors = bad.parse().expect_err("invalid");
        assert_eq!(errors.get("name"), Some("is required"));
        assert!(errors.get("address").is_some_and(|m| m.contains("not a valid IPv4")), "{errors}");
        assert!(errors.get("tags").is_some());
    }

    #[test]
    fn lifecycle() {
        let spec = draft().parse().expect("valid");
        let mut d = Destination::default();
        assert_eq!(d.decide(DestinationCommand::Remove), Err(DestinationError::NotFound));
        for e in d.decide(DestinationCommand::Add { spec: spec.clone() }).expect("add") {
            d.evolve(e);
        }
        assert_eq!(d.decide(DestinationCommand::Update { spec: spec.clone() }), Err(DestinationError::Unchanged));
        for e in d.decide(DestinationCommand::Remove).expect("remove") {
            d.evolve(e);
        }
        assert_eq!(d.decide(DestinationCommand::Update { spec }), Err(DestinationError::NotFound));
    }
}
