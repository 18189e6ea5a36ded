//! Metadata carried by every stored event: who, from where, why, when.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a command came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Ui,
    Api,
    Chat,
    Scheduler,
    Reactor,
    Lab,
    Cli,
    System,
}

impl Source {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ui => "ui",
            Self::Api => "api",
            Self::Chat => "chat",
            Self::Scheduler => "scheduler",
            Self::Reactor => "reactor",
            Self::Lab => "lab",
            Self::Cli => "cli",
            Self::System => "system",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "ui" => Self::Ui,
            "api" => Self::Api,
            "chat" => Self::Chat,
            "scheduler" => Self::Scheduler,
            "reactor" => Self::Reactor,
            "lab" => Self::Lab,
            "cli" => Self::Cli,
            "system" => Self::System,
            _ => return None,
        })
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The context of one command; stored with each event it produces.
///
/// Keys are frozen like event names: readers of old events depend on them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    /// A user name, or `system:<component>` for the platform's own actions.
    pub actor: String,
    pub source: Source,
    pub correlation_id: String,
    pub causation_id: String,
    pub recorded_at: DateTime<Utc>,
    pub request_ip: Option<String>,
    pub conversation_id: Option<String>,
}

impl EventMetadata {
    /// A fresh command context; `id` becomes both correlation and causation id.
    #[must_use]
    pub fn new(actor: impl Into<String>, source: Source, id: impl Into<String>, now: DateTime<Utc>) -> Self {
        let id = id.into();
        Self {
            actor: actor.into(),
            source,
            correlation_id: id.clone(),
            causation_id: id,
            recorded_at: now,
            request_ip: None,
            conversation_id: None,
        }
    }

    #[must_use]
    pub fn with_ip(mut self, ip: Option<String>) -> Self {
        self.request_ip = ip;
        self
    }

    /// The shape cqrs-es stores.
    #[must_use]
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut m = HashMap::from([
            ("actor".to_owned(), self.actor.clone()),
            ("source".to_owned(), self.source.as_str().to_owned()),
            ("correlation_id".to_owned(), self.correlation_id.clone()),
            ("causation_id".to_owned(), self.causation_id.clone()),
            ("recorded_at".to_owned(), self.recorded_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        ]);
        if let Some(ip) = &self.request_ip {
            m.insert("request_ip".to_owned(), ip.clone());
        }
        if let Some(c) = &self.conversation_id {
            m.insert("conversation_id".to_owned(), c.clone());
        }
        m
    }

    /// Reads stored metadata; missing keys become empty rather than failing, because an audit
    /// reader must show every event, including malformed ones.
    #[must_use]
    pub fn from_map(m: &HashMap<String, String>) -> Self {
        let get = |k: &str| m.get(k).cloned().unwrap_or_default();
        Self {
            actor: get("actor"),
            source: m.get("source").and_then(|s| Source::parse(s)).unwrap_or(Source::System),
            correlation_id: get("correlation_id"),
            causation_id: get("causation_id"),
            recorded_at: m
                .get("recorded_at")
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map_or(DateTime::<Utc>::UNIX_EPOCH, |d| d.with_timezone(&Utc)),
            request_ip: m.get("request_ip").cloned(),
            conversation_id: m.get("conversation_id").cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_through_the_stored_map() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T10:00:00.123456Z").unwrap().with_timezone(&Utc);
        let m = EventMetadata::new("alice", Source::Api, "c-1", now).with_ip(Some("10.0.0.9".into()));
        let map = m.to_map();
        assert_eq!(map["actor"], "alice");
        assert_eq!(map["source"], "api");
        assert_eq!(EventMetadata::from_map(&map), m);
    }
}
