//! Threshold alerts of jobs and devices.
//!
//! Every observed value goes through an in-memory `Hysteresis` mirror of its subject's `Alert`
//! aggregate; only a transition (raise, clear, suppressed) becomes a command, so a job with
//! thousands of targets does not write an event per round. The aggregate runs the same rule and
//! has the last word: when it refuses (the mirror drifted, e.g. after another writer), the
//! mirror is re-read from the event log.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use cqrs_es::AggregateError;
use domain::metadata::{EventMetadata, Source};
use domain::monitoring::{
    Alert, AlertCommand, AlertError, AlertEvent, AlertMetric, AlertPolicy, AlertSubject, Hysteresis, RoundStats,
    Thresholds,
};
use sqlx::{PgPool, Row};
use tokio::sync::mpsc;

use crate::adapters::store::EventStore;

/// Actor of the events the engine records.
pub const ACTOR: &str = "system:monitor";

/// Transitions waiting to be recorded; they are rare (a crossing, not a sample), so a small
/// bound only matters when the database is stuck, and then waiting is the right thing.
const QUEUE: usize = 1_024;

/// A command for one subject's aggregate, in the order the mirror decided it.
struct Pending {
    subject_id: String,
    command: AlertCommand,
}

struct Inner {
    store: Arc<EventStore>,
    pool: PgPool,
    mirror: Mutex<HashMap<String, Hysteresis>>,
    queue: OnceLock<mpsc::Sender<Pending>>,
}

/// Shared by every job runner and the health poller. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Alerts {
    inner: Arc<Inner>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LoadError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored alert event unreadable: {0}")]
    Event(#[from] serde_json::Error),
}

/// `LIKE` pattern matching ids that start with `prefix` literally.
fn prefix_pattern(prefix: &str) -> String {
    let mut p = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl Alerts {
    pub(crate) fn new(store: Arc<EventStore>, pool: PgPool) -> Self {
        Self { inner: Arc::new(Inner { store, pool, mirror: Mutex::new(HashMap::new()), queue: OnceLock::new() }) }
    }

    fn mirror(&self) -> std::sync::MutexGuard<'_, HashMap<String, Hysteresis>> {
        self.inner.mirror.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads the state of every alert aggregate whose id starts with `prefix` (`job:<id>:`,
    /// `device:`) into the mirror, so a restarted engine continues episodes and cooldowns.
    pub(crate) async fn load(&self, prefix: &str) -> Result<usize, LoadError> {
        let rows = sqlx::query(
            "SELECT aggregate_id, payload::text AS payload FROM events
              WHERE aggregate_type = 'alert' AND aggregate_id LIKE $1 ESCAPE '\\'
              ORDER BY aggregate_id, sequence",
        )
        .bind(prefix_pattern(prefix))
        .fetch_all(&self.inner.pool)
        .await?;
        let mut states: HashMap<String, Alert> = HashMap::new();
        for r in &rows {
            let id: String = r.get("aggregate_id");
            let payload: String = r.get("payload");
            states.entry(id).or_default().evolve(serde_json::from_str::<AlertEvent>(&payload)?);
        }
        let n = states.len();
        let mut mirror = self.mirror();
        for (id, alert) in states {
            mirror.insert(id, alert.state);
        }
        Ok(n)
    }

    /// Applies a value to the subject's mirror; a transition is queued for the aggregate.
    pub(crate) async fn observe(&self, subject: AlertSubject, value: f64, at: DateTime<Utc>, policy: AlertPolicy) {
        let subject_id = subject.id();
        let transition = self.mirror().entry(subject_id.clone()).or_default().observe(value, at, &policy);
        if transition.is_some() {
            let command = AlertCommand::Observe { subject, value, at, policy };
            let _ = self.queue().send(Pending { subject_id, command }).await;
        }
    }

    /// Closes the active alerts of subjects starting with `prefix` (a finished job's): nothing
    /// measures them any more, so they would otherwise stay open for ever.
    pub(crate) async fn close(&self, prefix: &str, reason: &str) {
        let active: Vec<String> = {
            let mut mirror = self.mirror();
            mirror
                .iter_mut()
                .filter(|(id, h)| id.starts_with(prefix) && h.active)
                .map(|(id, h)| {
                    h.active = false;
                    id.clone()
                })
                .collect()
        };
        for subject_id in active {
            let command = AlertCommand::Close { at: Utc::now(), reason: reason.to_owned() };
            let _ = self.queue().send(Pending { subject_id, command }).await;
        }
    }

    /// The recorder task, started on first use (it needs a runtime, which `new` may not have).
    fn queue(&self) -> &mpsc::Sender<Pending> {
        self.inner.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(record(self.clone(), rx));
            tx
        })
    }

    /// Drops the mirror entries of a finished job: their aggregates keep the state.
    pub(crate) fn forget(&self, prefix: &str) {
        self.mirror().retain(|id, _| !id.starts_with(prefix));
    }
}

/// Records queued transitions in order, one subject's commands never overtaking each other.
async fn record(alerts: Alerts, mut rx: mpsc::Receiver<Pending>) {
    while let Some(o) = rx.recv().await {
        let metadata = EventMetadata::new(ACTOR, Source::Scheduler, uuid::Uuid::new_v4().to_string(), Utc::now());
        match alerts.inner.store.alerts.execute_with_metadata(&o.subject_id, o.command, metadata.to_map()).await {
            Ok(()) => {}
            Err(AggregateError::UserError(AlertError::NoTransition | AlertError::NotActive)) => {
                tracing::debug!(subject = %o.subject_id, "alert mirror drifted; re-reading it");
                if let Err(e) = alerts.load(&o.subject_id).await {
                    tracing::warn!(subject = %o.subject_id, error = %e, "cannot re-read alert state");
                }
            }
            Err(e) => {
                tracing::warn!(subject = %o.subject_id, error = %crate::adapters::store::describe(&e), "cannot record alert");
            }
        }
    }
}

/// The figures of a target over its last `alert_window` rounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Figures {
    /// Mean RTT of the replies, weighted by replies per round; `None` when nothing replied.
    pub rtt_ms: Option<f64>,
    pub loss_pct: f64,
    /// Mean of the rounds' jitter; `None` when no round had one.
    pub jitter_ms: Option<f64>,
}

/// Sliding window of one target's rounds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Window {
    rounds: VecDeque<RoundStats>,
}

impl Window {
    /// Adds a round and returns the window's figures once it holds `size` rounds: a single bad
    /// round at the start of a job should not raise what a full window would not.
    pub(crate) fn push(&mut self, stats: RoundStats, size: usize) -> Option<Figures> {
        let size = size.max(1);
        self.rounds.push_back(stats);
        while self.rounds.len() > size {
            self.rounds.pop_front();
        }
        (self.rounds.len() == size).then(|| self.figures())
    }

    fn figures(&self) -> Figures {
        let (mut sent, mut received, mut rtt_sum, mut jitter_sum, mut jitter_n) = (0u64, 0u64, 0f64, 0f64, 0u32);
        for r in &self.rounds {
            sent += u64::from(r.sent);
            received += u64::from(r.received);
            if let Some(avg) = r.rtt_avg_us {
                rtt_sum += f64::from(avg) * f64::from(r.received);
            }
            if let Some(j) = r.jitter_us {
                jitter_sum += f64::from(j);
                jitter_n += 1;
            }
        }
        #[allow(clippy::cast_precision_loss)] // reply counts are far below 2^52
        let rtt_ms = (received > 0).then(|| rtt_sum / received as f64 / 1_000.0);
        Figures {
            rtt_ms,
            loss_pct: domain::monitoring::stats::loss_pct(sent, received),
            jitter_ms: (jitter_n > 0).then(|| jitter_sum / f64::from(jitter_n) / 1_000.0),
        }
    }
}

/// The (metric, value, threshold) triples a window's figures are checked against.
pub(crate) fn checks(figures: &Figures, thresholds: &Thresholds) -> Vec<(AlertMetric, f64, f64)> {
    let mut out = Vec::with_capacity(3);
    if let (Some(v), Some(t)) = (figures.rtt_ms, thresholds.rtt_ms) {
        out.push((AlertMetric::Rtt, v, t));
    }
    if let Some(t) = thresholds.loss_pct {
        out.push((AlertMetric::Loss, figures.loss_pct, t));
    }
    if let (Some(v), Some(t)) = (figures.jitter_ms, thresholds.jitter_ms) {
        out.push((AlertMetric::Jitter, v, t));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(sent: u16, rtts: &[u32], prev: Option<u32>) -> RoundStats {
        RoundStats::from_rtts(sent, rtts, prev)
    }

    #[test]
    fn the_window_reports_only_when_full_and_slides() {
        let mut w = Window::default();
        assert_eq!(w.push(round(1, &[10_000], None), 3), None);
        assert_eq!(w.push(round(1, &[], None), 3), None);
        let f = w.push(round(1, &[30_000], Some(10_000)), 3).expect("full");
        assert_eq!(f.rtt_ms, Some(20.0));
        assert!((f.loss_pct - 100.0 / 3.0).abs() < 1e-9);
        assert_eq!(f.jitter_ms, Some(20.0));
        // The first round leaves: one reply of 30 ms and two losses... then a new reply.
        let f = w.push(round(1, &[50_000], Some(30_000)), 3).expect("full");
        assert_eq!(f.rtt_ms, Some(40.0));
        assert!((f.loss_pct - 100.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn rtt_is_weighted_by_replies_and_absent_without_any() {
        let mut w = Window::default();
        w.push(round(4, &[10_000, 10_000, 10_000, 10_000], None), 2);
        let f = w.push(round(4, &[40_000], Some(10_000)), 2).expect("full");
        assert_eq!(f.rtt_ms, Some(16.0), "(4 * 10 + 1 * 40) / 5 replies");
        assert_eq!(f.loss_pct, 37.5);
        let mut dead = Window::default();
        let f = dead.push(round(2, &[], None), 1).expect("full");
        assert_eq!((f.rtt_ms, f.loss_pct, f.jitter_ms), (None, 100.0, None));
    }

    #[test]
    fn only_metrics_with_a_threshold_and_a_value_are_checked() {
        let f = Figures { rtt_ms: None, loss_pct: 100.0, jitter_ms: Some(3.0) };
        let t = Thresholds { rtt_ms: Some(50.0), loss_pct: Some(10.0), jitter_ms: None };
        assert_eq!(checks(&f, &t), vec![(AlertMetric::Loss, 100.0, 10.0)]);
        assert!(checks(&f, &Thresholds::default()).is_empty());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(prefix_pattern("job:a_b%:"), "job:a\\_b\\%:%");
    }
}
