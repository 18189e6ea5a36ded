//! Threshold alerts with hysteresis. One `Alert` aggregate per subject (a job's target and
//! metric, or a device's CPU) holds the episodes of that subject: raised when the value crosses
//! the threshold, cleared when it recovers below the clear level, acknowledged by a person. A
//! cooldown after each raise keeps a flapping value from raising again and again.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    Rtt,
    Loss,
    Jitter,
    Cpu,
}

impl AlertMetric {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rtt => "rtt",
            Self::Loss => "loss",
            Self::Jitter => "jitter",
            Self::Cpu => "cpu",
        }
    }

    #[must_use]
    pub const fn unit(self) -> &'static str {
        match self {
            Self::Rtt | Self::Jitter => "ms",
            Self::Loss | Self::Cpu => "%",
        }
    }
}

/// The share of the threshold a value must fall to before an alert clears: a value hovering at
/// the threshold neither raises nor clears on every sample.
pub const CLEAR_RATIO: f64 = 0.9;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AlertPolicy {
    pub threshold: f64,
    pub cooldown_s: u32,
}

impl AlertPolicy {
    #[must_use]
    pub fn clear_level(&self) -> f64 {
        self.threshold * CLEAR_RATIO
    }
}

/// What a new value does to a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Raise,
    Clear,
    /// Crossed again within the cooldown of the last raise: counted, not raised.
    Suppressed,
}

/// The hysteresis state of one subject. Pure: the same rule runs in the collector's memory
/// (to avoid a command per sample) and in the aggregate (which has the last word).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hysteresis {
    pub active: bool,
    pub last_raised_at: Option<DateTime<Utc>>,
    /// Whether the value is above the threshold now, so one crossing is suppressed once.
    pub above: bool,
}

impl Hysteresis {
    /// The transition `value` at `at` causes, without changing `self`.
    #[must_use]
    pub fn assess(&self, value: f64, at: DateTime<Utc>, policy: &AlertPolicy) -> Option<Transition> {
        if self.active {
            return (value <= policy.clear_level()).then_some(Transition::Clear);
        }
        if value <= policy.threshold {
            return None;
        }
        let cooling = self.last_raised_at.is_some_and(|t| at < t + Duration::seconds(i64::from(policy.cooldown_s)));
        match (cooling, self.above) {
            (false, _) => Some(Transition::Raise),
            (true, false) => Some(Transition::Suppressed),
            (true, true) => None,
        }
    }

    /// Applies `value` and returns the transition it caused.
    pub fn observe(&mut self, value: f64, at: DateTime<Utc>, policy: &AlertPolicy) -> Option<Transition> {
        let t = self.assess(value, at, policy);
        match t {
            Some(Transition::Raise) => {
                self.active = true;
                self.last_raised_at = Some(at);
            }
            Some(Transition::Clear) => self.active = false,
            Some(Transition::Suppressed) | None => {}
        }
        self.above = value > policy.threshold;
        t
    }
}

/// Who and what an alert is about, for lists and notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSubject {
    pub metric: AlertMetric,
    /// "Frankfurt DC (job EU latency)", "R15 CPU".
    pub label: String,
    #[serde(default)]
    pub job_id: Option<String>,
    #[serde(default)]
    pub device_id: Option<String>,
    /// The job's target key, when the alert is about one.
    #[serde(default)]
    pub target: Option<String>,
}

impl AlertSubject {
    /// The aggregate id: one per job target and metric, or per device metric.
    #[must_use]
    pub fn id(&self) -> String {
        match (&self.job_id, &self.target, &self.device_id) {
            (Some(job), Some(target), _) => format!("job:{job}:{target}:{}", self.metric.as_str()),
            (_, _, Some(device)) => format!("device:{device}:{}", self.metric.as_str()),
            _ => format!("other:{}:{}", self.label, self.metric.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AlertCommand {
    Observe {
        subject: AlertSubject,
        value: f64,
        at: DateTime<Utc>,
        policy: AlertPolicy,
    },
    Acknowledge {
        episode: u32,
        by: String,
        note: String,
    },
    /// Ends an active episode whose source went away (its job finished): not a recovery, so it
    /// is not recorded as one.
    Close {
        at: DateTime<Utc>,
        reason: String,
    },
}

/// Stored event names are frozen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AlertEvent {
    #[serde(rename = "AlertRaised")]
    Raised { episode: u32, subject: AlertSubject, value: f64, threshold: f64, at: DateTime<Utc> },
    #[serde(rename = "AlertCleared")]
    Cleared { episode: u32, value: f64, at: DateTime<Utc> },
    #[serde(rename = "AlertSuppressed")]
    Suppressed { episode: u32, value: f64, at: DateTime<Utc> },
    #[serde(rename = "AlertAcknowledged")]
    Acknowledged { episode: u32, by: String, note: String },
    #[serde(rename = "AlertClosed")]
    Closed { episode: u32, at: DateTime<Utc>, reason: String },
}

impl DomainEvent for AlertEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Raised { .. } => "AlertRaised",
            Self::Cleared { .. } => "AlertCleared",
            Self::Suppressed { .. } => "AlertSuppressed",
            Self::Acknowledged { .. } => "AlertAcknowledged",
            Self::Closed { .. } => "AlertClosed",
        }
        .into()
    }

    fn event_version(&self) -> String {
        "1.0".into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("no change: the value causes no transition")]
    NoTransition,
    #[error("alert does not exist")]
    NotFound,
    #[error("this alert has cleared")]
    Cleared,
    #[error("already acknowledged")]
    AlreadyAcknowledged,
    #[error("a note is at most 500 characters")]
    NoteTooLong,
    #[error("no alert is active")]
    NotActive,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub state: Hysteresis,
    pub episode: u32,
    pub acknowledged: bool,
}

impl Alert {
    pub fn decide(&self, command: AlertCommand) -> Result<Vec<AlertEvent>, AlertError> {
        match command {
            AlertCommand::Observe { subject, value, at, policy } => match self.state.assess(value, at, &policy) {
                Some(Transition::Raise) => Ok(vec![AlertEvent::Raised {
                    episode: self.episode + 1,
                    subject,
                    value,
                    threshold: policy.threshold,
                    at,
                }]),
                Some(Transition::Clear) => Ok(vec![AlertEvent::Cleared { episode: self.episode, value, at }]),
                Some(Transition::Suppressed) => Ok(vec![AlertEvent::Suppressed { episode: self.episode, value, at }]),
                None => Err(AlertError::NoTransition),
            },
            AlertCommand::Acknowledge { episode, by, note } => {
                if episode == 0 || episode > self.episode {
                    return Err(AlertError::NotFound);
                }
                if episode < self.episode || !self.state.active {
                    return Err(AlertError::Cleared);
                }
                if self.acknowledged {
                    return Err(AlertError::AlreadyAcknowledged);
                }
                let note = note.trim().to_owned();
                if note.chars().count() > 500 {
                    return Err(AlertError::NoteTooLong);
                }
                Ok(vec![AlertEvent::Acknowledged { episode, by, note }])
            }
            AlertCommand::Close { at, reason } => {
                if !self.state.active {
                    return Err(AlertError::NotActive);
                }
                Ok(vec![AlertEvent::Closed { episode: self.episode, at, reason }])
            }
        }
    }

    pub fn evolve(&mut self, event: AlertEvent) {
        match event {
            AlertEvent::Raised { episode, value, threshold, at, .. } => {
                self.episode = episode;
                self.acknowledged = false;
                self.state = Hysteresis { active: true, last_raised_at: Some(at), above: value > threshold };
            }
            AlertEvent::Cleared { .. } | AlertEvent::Closed { .. } => {
                self.state.active = false;
                self.state.above = false;
            }
            AlertEvent::Suppressed { .. } => self.state.above = true,
            AlertEvent::Acknowledged { .. } => self.acknowledged = true,
        }
    }
}

decider_aggregate!(Alert, "alert", AlertCommand, AlertEvent, AlertError);

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).expect("time")
    }

    const POLICY: AlertPolicy = AlertPolicy { threshold: 80.0, cooldown_s: 900 };

    #[test]
    fn raise_hold_clear_below_the_clear_level() {
        let mut h = Hysteresis::default();
        assert_eq!(h.observe(50.0, t(0), &POLICY), None);
        assert_eq!(h.observe(95.0, t(60), &POLICY), Some(Transition::Raise));
        assert_eq!(h.observe(97.0, t(120), &POLICY), None, "still active: no second raise");
        assert_eq!(h.observe(75.0, t(180), &POLICY), None, "below threshold, above clear level (72)");
        assert_eq!(h.observe(70.0, t(240), &POLICY), Some(Transition::Clear));
    }

    #[test]
    fn a_flap_within_the_cooldown_is_suppressed_once_then_raises_after_it() {
        let mut h = Hysteresis::default();
        assert_eq!(h.observe(90.0, t(0), &POLICY), Some(Transition::Raise));
        assert_eq!(h.observe(10.0, t(60), &POLICY), Some(Transition::Clear));
        assert_eq!(h.observe(90.0, t(120), &POLICY), Some(Transition::Suppressed));
        assert_eq!(h.observe(91.0, t(180), &POLICY), None, "same crossing: not counted twice");
        assert_eq!(h.observe(92.0, t(900), &POLICY), Some(Transition::Raise), "cooldown over");
    }

    #[test]
    fn the_aggregate_numbers_episodes_and_takes_one_acknowledgement() {
        let subject = AlertSubject {
            metric: AlertMetric::Cpu,
            label: "R15 CPU".into(),
            job_id: None,
            device_id: Some("r15".into()),
            target: None,
        };
        assert_eq!(subject.id(), "device:r15:cpu");
        let mut a = Alert::default();
        let observe =
            |v: f64, s: i64| AlertCommand::Observe { subject: subject.clone(), value: v, at: t(s), policy: POLICY };
        assert_eq!(a.decide(observe(10.0, 0)), Err(AlertError::NoTransition));
        for e in a.decide(observe(95.0, 0)).expect("raise") {
            a.evolve(e);
        }
        assert_eq!(a.episode, 1);
        let ack = |ep: u32| AlertCommand::Acknowledge { episode: ep, by: "ann".into(), note: "on it".into() };
        assert_eq!(a.decide(ack(2)), Err(AlertError::NotFound));
        for e in a.decide(ack(1)).expect("ack") {
            a.evolve(e);
        }
        assert_eq!(a.decide(ack(1)), Err(AlertError::AlreadyAcknowledged));
        for e in a.decide(observe(5.0, 60)).expect("clear") {
            a.evolve(e);
        }
        assert_eq!(a.decide(ack(1)), Err(AlertError::Cleared));
        assert!(matches!(a.decide(observe(95.0, 120)).as_deref(), Ok([AlertEvent::Suppressed { episode: 1, .. }])));
        assert!(matches!(a.decide(observe(95.0, 1_000)).as_deref(), Ok([AlertEvent::Raised { episode: 2, .. }])));
        for e in a.decide(observe(95.0, 1_000)).expect("raise") {
            a.evolve(e);
        }
        let close = || AlertCommand::Close { at: t(1_100), reason: "job completed".into() };
        for e in a.decide(close()).expect("close") {
            a.evolve(e);
        }
        assert!(!a.state.active);
        assert_eq!(a.decide(close()), Err(AlertError::NotActive));
    }
}
