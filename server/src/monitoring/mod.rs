//! The monitoring engine: runs latency measurement jobs (one task per job, the single writer of
//! its lifecycle events), evaluates their alert thresholds, and polls device health.
//!
//! BACKEND records `MonitorJobScheduled` / `Edited` / `Cancelled` and then calls `submit` /
//! `reload` / `stop`; the engine records `Started` / `Resumed` / `Completed` / `Failed`. One
//! ICMP `Prober` and one `SampleWriter` serve every job.

mod alerts;
mod health;
mod runner;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{watch, Semaphore};

use crate::adapters::icmp::{Prober, SampleWriter};
use crate::adapters::ssh::SshTransport;
use crate::adapters::store::EventStore;
use crate::vault::Vault;

pub use health::{cpu_command, cpu_from_output};

/// Probes in flight over all jobs: bounds the prober's reply table and the memory of a round
/// over tens of thousands of targets.
const MAX_PROBES_IN_FLIGHT: usize = 4_096;

/// Engine settings (from `Settings`).
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    /// Between device health polls; zero turns polling off.
    pub health_interval: Duration,
    /// Device CPU percentage that raises an alert.
    pub cpu_threshold: f64,
    /// Seconds after a device alert during which a new crossing raises none.
    pub cooldown_s: u32,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self { health_interval: Duration::from_secs(60), cpu_threshold: 80.0, cooldown_s: 900 }
    }
}

impl MonitorConfig {
    #[must_use]
    pub fn from_settings(s: &crate::settings::Settings) -> Self {
        Self {
            health_interval: Duration::from_millis(s.health_interval_ms),
            cpu_threshold: s.health_cpu_threshold,
            cooldown_s: s.alert_cooldown_s,
        }
    }
}

/// What a job's runner is told.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Control {
    /// The job was cancelled: end within one interval.
    pub stop: bool,
    /// The engine is shutting down: end now and record nothing (the job resumes at start-up).
    pub halt: bool,
    /// Bumped on every edit: re-read the spec.
    pub reloads: u64,
}

pub(crate) struct Inner {
    pub store: Arc<EventStore>,
    pub pool: PgPool,
    pub vault: Vault,
    pub transport: SshTransport,
    pub config: MonitorConfig,
    pub alerts: alerts::Alerts,
    pub probes: Arc<Semaphore>,
    /// Opened on first use, so commands that never measure need no ICMP socket; a failure is
    /// not kept, so fixing the permission needs no restart.
    prober: Mutex<Option<Prober>>,
    writer: std::sync::OnceLock<SampleWriter>,
    jobs: Mutex<HashMap<String, watch::Sender<Control>>>,
    health: Mutex<Option<tokio::task::JoinHandle<()>>>,
    halted: std::sync::atomic::AtomicBool,
}

impl Inner {
    /// The shared prober, or why ICMP cannot be used (naming the sysctl and capability to fix).
    pub(crate) fn prober(&self) -> Result<Prober, String> {
        let mut slot = self.prober.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let p = Prober::new().map_err(|e| e.to_string())?;
        *slot = Some(p.clone());
        Ok(p)
    }

    /// The shared sample writer, started on first use (its task needs a runtime).
    pub(crate) fn writer(&self) -> &SampleWriter {
        self.writer.get_or_init(|| SampleWriter::spawn(self.pool.clone()))
    }
}

/// Cheap to clone.
#[derive(Clone)]
pub struct MonitorEngine {
    inner: Arc<Inner>,
}

impl MonitorEngine {
    #[must_use]
    pub fn new(
        store: Arc<EventStore>,
        pool: PgPool,
        vault: Vault,
        transport: SshTransport,
        config: MonitorConfig,
    ) -> Self {
        let alerts = alerts::Alerts::new(store.clone(), pool.clone());
        Self {
            inner: Arc::new(Inner {
                store,
                pool,
                vault,
                transport,
                config,
                alerts,
                probes: Arc::new(Semaphore::new(MAX_PROBES_IN_FLIGHT)),
                prober: Mutex::new(None),
                writer: std::sync::OnceLock::new(),
                jobs: Mutex::new(HashMap::new()),
                health: Mutex::new(None),
                halted: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<String, watch::Sender<Control>>> {
        self.inner.jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn halted(&self) -> bool {
        self.inner.halted.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Runs a job whose `MonitorJobScheduled` is recorded (it waits for its start time). A job
    /// already running here is left alone.
    pub fn submit(&self, job_id: &str) {
        if self.halted() {
            return;
        }
        let (tx, rx) = watch::channel(Control::default());
        {
            let mut jobs = self.jobs();
            if jobs.contains_key(job_id) {
                return;
            }
            jobs.insert(job_id.to_owned(), tx);
        }
        let engine = self.clone();
        let id = job_id.to_owned();
        tokio::spawn(async move {
            if let Err(e) = runner::run(engine.inner.clone(), &id, rx).await {
                tracing::error!(job = %id, error = %e, "monitoring job run failed");
            }
            engine.jobs().remove(&id);
        });
    }

    /// The job re-reads its spec (after `MonitorJobEdited`); a job not running here is started.
    pub fn reload(&self, job_id: &str) {
        let sent = self.jobs().get(job_id).map(|tx| tx.send_modify(|c| c.reloads += 1));
        if sent.is_none() {
            self.submit(job_id);
        }
    }

    /// The job's runner ends within one interval (after `MonitorJobCancelled` is recorded).
    pub fn stop(&self, job_id: &str) {
        if let Some(tx) = self.jobs().get(job_id) {
            tx.send_modify(|c| c.stop = true);
        }
    }

    /// Whether a runner for the job is alive in this process.
    #[must_use]
    pub fn is_running(&self, job_id: &str) -> bool {
        self.jobs().contains_key(job_id)
    }

    /// At start-up: runs every scheduled and running job again (a running one records the gap
    /// the restart left), and starts the device health poller. Returns how many jobs.
    pub async fn resume(&self) -> Result<usize, String> {
        self.start_health();
        // From the event log, not the read model: projections may not have caught up yet.
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT aggregate_id FROM events e
              WHERE aggregate_type = 'monitor_job'
                AND NOT EXISTS (SELECT 1 FROM events f
                                 WHERE f.aggregate_type = 'monitor_job' AND f.aggregate_id = e.aggregate_id
                                   AND f.event_type IN ('MonitorJobCompleted', 'MonitorJobCancelled', 'MonitorJobFailed'))",
        )
        .fetch_all(&self.inner.pool)
        .await
        .map_err(|e| e.to_string())?;
        for id in &ids {
            self.submit(id);
        }
        Ok(ids.len())
    }

    fn start_health(&self) {
        let interval = self.inner.config.health_interval;
        if interval.is_zero() || self.halted() {
            return;
        }
        let mut slot = self.inner.health.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(tokio::spawn(health::run(self.inner.clone(), interval)));
        }
    }

    /// Ends every runner and the health poller at once, recording nothing, as a process exit
    /// would: jobs stay `running` and resume (with their gap) at the next start-up.
    pub fn shutdown(&self) {
        self.inner.halted.store(true, std::sync::atomic::Ordering::SeqCst);
        for tx in self.jobs().values() {
            tx.send_modify(|c| c.halt = true);
        }
        if let Some(h) = self.inner.health.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            h.abort();
        }
    }

    /// Commits every sample handed to the writer so far.
    pub async fn flush(&self) -> Result<(), crate::adapters::icmp::WriterError> {
        self.inner.writer().flush().await
    }
}
