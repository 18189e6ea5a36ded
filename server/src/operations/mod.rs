//! The operations engine: runs requested operations against devices over SSH and records every
//! step as events of the `Operation` aggregate.
//!
//! One runner task per operation owns that aggregate's writes (a single writer, so targets running
//! in parallel never conflict on the aggregate's version); target tasks send it commands through a
//! channel. Cancel is a flag the runner checks before starting each target; the aggregate itself
//! refuses to start a target that a cancel already stopped, so the two cannot disagree.

mod checks;
mod runner;
mod target;
mod target_change;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use tokio::sync::watch;

use crate::adapters::ssh::SshTransport;
use crate::adapters::store::EventStore;
use crate::vault::Vault;

pub use checks::{compare, CheckReport, Snapshot};

/// Limits of operation runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// A post-check fails when CPU (5-second average) is at or above this percentage.
    pub cpu_limit: f64,
    /// Pause between a change and its post-checks, so counters and neighbors settle.
    pub settle: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self { cpu_limit: 80.0, settle: Duration::from_millis(200) }
    }
}

pub(crate) struct Inner {
    pub store: Arc<EventStore>,
    pub pool: PgPool,
    pub vault: Vault,
    pub transport: SshTransport,
    pub config: EngineConfig,
    running: Mutex<HashMap<String, watch::Sender<bool>>>,
}

/// Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    #[must_use]
    pub fn new(
        store: Arc<EventStore>,
        pool: PgPool,
        vault: Vault,
        transport: SshTransport,
        config: EngineConfig,
    ) -> Self {
        Self { inner: Arc::new(Inner { store, pool, vault, transport, config, running: Mutex::new(HashMap::new()) }) }
    }

    #[must_use]
    pub fn transport(&self) -> &SshTransport {
        &self.inner.transport
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<bool>>> {
        self.inner.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Starts running an operation now (in the background).
    pub fn submit(&self, id: String) {
        let (tx, rx) = watch::channel(false);
        {
            let mut reg = self.registry();
            if reg.contains_key(&id) {
                return;
            }
            reg.insert(id.clone(), tx);
        }
        let engine = self.clone();
        tokio::spawn(async move {
            if let Err(e) = runner::run(engine.inner.clone(), &id, rx).await {
                tracing::error!(operation = %id, error = %e, "operation run failed");
            }
            engine.registry().remove(&id);
        });
    }

    /// Runs an operation at `at` (or now if that is past).
    pub fn schedule(&self, id: String, at: DateTime<Utc>) {
        let engine = self.clone();
        tokio::spawn(async move {
            let wait = (at - Utc::now()).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;
            engine.submit(id);
        });
    }

    /// Stops starting new targets of an operation; the cancel itself is recorded by the caller on
    /// the aggregate first. An operation with no run in progress here (scheduled, or queued and not
    /// picked up) is run now: with every target cancelled, the run only records its end.
    pub fn cancel(&self, id: &str) {
        let running = self.registry().get(id).map(|tx| tx.send(true));
        if running.is_none() {
            self.submit(id.to_owned());
        }
    }

    /// After a restart: resumes queued and interrupted runs, re-arms scheduled ones.
    pub async fn resume(&self) -> Result<usize, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, status, scheduled_at FROM operations WHERE status IN ('queued', 'running', 'scheduled')",
        )
        .fetch_all(&self.inner.pool)
        .await?;
        for r in &rows {
            let id: String = r.get("id");
            match (r.get::<String, _>("status").as_str(), r.get::<Option<DateTime<Utc>>, _>("scheduled_at")) {
                ("scheduled", Some(at)) => self.schedule(id, at),
                _ => self.submit(id),
            }
        }
        Ok(rows.len())
    }
}
