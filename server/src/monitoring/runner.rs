//! One job's run: wait for the start, measure every target once per round on an absolute grid
//! until the end (or a stop), and record the job's lifecycle events.
//!
//! Rounds may overlap (a timeout longer than the interval): each round is its own task, and
//! results are consumed in round order, so a target's jitter always compares with the round
//! just before it. Samples keep every figure of a round whatever `spec.metrics` says: the
//! metrics only choose what charts and exports show, and a later edit of them then still has
//! the data to show.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use domain::metadata::{EventMetadata, Source};
use domain::monitoring::{
    AlertPolicy, AlertSubject, JobCommand, JobError, JobEvent, JobSpec, JobStatus, MonitorJob, RoundStats, TargetKind,
};
use futures::stream::FuturesOrdered;
use futures::StreamExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::alerts::{checks, Window, ACTOR};
use super::{Control, Inner};
use crate::adapters::icmp::{resolve, ProbeResult, ProbeSpec, Sample, Schedule};

#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("event store: {0}")]
    Store(String),
    #[error("stored event unreadable: {0}")]
    Event(#[from] serde_json::Error),
}

/// How long resolving one target's DNS name may take before it counts as unresolvable.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A job as folded from its events, with what the aggregate does not keep.
struct Loaded {
    job: MonitorJob,
    started_at: Option<DateTime<Utc>>,
}

async fn load(inner: &Inner, id: &str) -> Result<Loaded, RunError> {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE aggregate_type = 'monitor_job' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(id)
    .fetch_all(&inner.pool)
    .await?;
    let mut loaded = Loaded { job: MonitorJob::default(), started_at: None };
    for p in payloads {
        let event = serde_json::from_str::<JobEvent>(&p)?;
        if let JobEvent::Started { at } = &event {
            loaded.started_at = Some(*at);
        }
        loaded.job.evolve(event);
    }
    Ok(loaded)
}

/// Executes one command; refusals come back as `Ok(Err)` so callers can tell them from failures.
async fn execute(inner: &Inner, id: &str, cmd: JobCommand) -> Result<Result<(), JobError>, RunError> {
    let metadata = EventMetadata::new(ACTOR, Source::Scheduler, id.to_owned(), Utc::now());
    match inner.store.monitor_jobs.execute_with_metadata(id, cmd, metadata.to_map()).await {
        Ok(()) => Ok(Ok(())),
        Err(cqrs_es::AggregateError::UserError(e)) => Ok(Err(e)),
        Err(e) => Err(RunError::Store(crate::adapters::store::describe(&e))),
    }
}

fn interval_of(spec: &JobSpec) -> Duration {
    Duration::from_millis(u64::from(spec.interval_ms.max(1)))
}

fn chrono_interval(spec: &JobSpec) -> chrono::Duration {
    chrono::Duration::milliseconds(i64::from(spec.interval_ms.max(1)))
}

/// The monotonic instant of a wall-clock time (now for times that are past).
fn instant_of(at: DateTime<Utc>) -> Instant {
    Instant::now() + (at - Utc::now()).to_std().unwrap_or_default()
}

/// The job's round grid: round `k` is due at `origin + k * interval`, both on the wall clock
/// (sample times) and the monotonic clock (sleeping).
struct Grid {
    origin: DateTime<Utc>,
    interval: chrono::Duration,
    schedule: Schedule,
}

impl Grid {
    /// A grid aligned to the job's start: its first round is the grid point at or before `now`
    /// (`late_ok`: run it at once) or the first one after `now` (after a gap: a sample must not
    /// land inside the gap just recorded).
    fn aligned(spec: &JobSpec, now: DateTime<Utc>, late_ok: bool) -> Self {
        let interval = chrono_interval(spec);
        let step = interval.num_milliseconds().max(1);
        let elapsed = (now - spec.starts_at).num_milliseconds().max(0);
        let mut k = elapsed / step;
        if !late_ok && k * step < elapsed {
            k += 1;
        }
        let origin = spec.starts_at + chrono::Duration::milliseconds(k * step);
        let mono = match (origin - now).to_std() {
            Ok(ahead) => Instant::now() + ahead,
            Err(_) => {
                let behind = (now - origin).to_std().unwrap_or_default();
                Instant::now().checked_sub(behind).unwrap_or_else(Instant::now)
            }
        };
        Self { origin, interval, schedule: Schedule::new(mono, interval_of(spec)) }
    }

    fn wall(&self, round: u64) -> DateTime<Utc> {
        self.origin + self.interval * i32::try_from(round).unwrap_or(i32::MAX)
    }
}

struct TargetRun {
    name: String,
    kind: TargetKind,
    ref_id: String,
    addr: Option<IpAddr>,
    /// The last reply of the previous rounds, for jitter across rounds.
    last_rtt: Option<u32>,
    window: Window,
}

async fn resolve_targets(spec: &JobSpec, old: &mut HashMap<Arc<str>, TargetRun>) -> HashMap<Arc<str>, TargetRun> {
    // Owned inputs: a stream of futures borrowing the spec is not `Send` for every lifetime.
    let addresses: Vec<(usize, String)> = spec.targets.iter().map(|t| t.address.clone()).enumerate().collect();
    let resolved: Vec<(usize, Option<IpAddr>)> = futures::stream::iter(addresses)
        .map(|(i, address)| async move {
            let addr = match tokio::time::timeout(RESOLVE_TIMEOUT, resolve(&address)).await {
                Ok(Ok(ip)) => Some(ip),
                Ok(Err(e)) => {
                    tracing::info!(%address, error = %e, "target unresolvable: its rounds are loss");
                    None
                }
                Err(_) => None,
            };
            (i, addr)
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut out = HashMap::with_capacity(spec.targets.len());
    for (i, addr) in resolved {
        let Some(t) = spec.targets.get(i) else { continue };
        let key: Arc<str> = Arc::from(t.key.as_str());
        let (last_rtt, window) = old.remove(&key).map(|o| (o.last_rtt, o.window)).unwrap_or_default();
        out.insert(
            key,
            TargetRun { name: t.name.clone(), kind: t.kind, ref_id: t.ref_id.clone(), addr, last_rtt, window },
        );
    }
    out
}

fn probe_spec(spec: &JobSpec) -> ProbeSpec {
    let interval = interval_of(spec);
    let packets = spec.packets.max(1);
    ProbeSpec {
        packets,
        size: spec.packet_size,
        timeout: Duration::from_millis(u64::from(spec.timeout_ms)),
        // Requests of a round are spread over at most the interval, never more than 100 ms apart.
        spacing: (interval / u32::from(packets)).min(Duration::from_millis(100)),
    }
}

/// One round against every target, as a task of its own.
fn spawn_round(
    inner: &Arc<Inner>,
    prober: &crate::adapters::icmp::Prober,
    targets: &HashMap<Arc<str>, TargetRun>,
    probe: ProbeSpec,
    at: DateTime<Utc>,
) -> JoinHandle<RoundResult> {
    let list: Vec<(Arc<str>, Option<IpAddr>)> = targets.iter().map(|(k, t)| (k.clone(), t.addr)).collect();
    let permits = inner.probes.clone();
    let prober = prober.clone();
    tokio::spawn(async move {
        let probes = list.into_iter().map(|(key, addr)| {
            let (permits, prober) = (permits.clone(), prober.clone());
            async move {
                let result = match addr {
                    Some(ip) => {
                        let _permit = permits.acquire_owned().await;
                        prober.probe(ip, &probe).await
                    }
                    None => ProbeResult {
                        sent: probe.packets,
                        rtts_us: Vec::new(),
                        error: Some("address unresolvable".into()),
                    },
                };
                (key, result)
            }
        });
        (at, futures::future::join_all(probes).await)
    })
}

/// What the measuring loop ended with.
enum End {
    Completed,
    Stopped,
    Halted,
}

/// Runs a job to its end. Returns when the job is finished, stopped or the engine halts.
pub(crate) async fn run(inner: Arc<Inner>, id: &str, mut control: watch::Receiver<Control>) -> Result<(), RunError> {
    // 1. Wait for the start (re-reading the spec on an edit), or pick up a running job.
    let (resumed, mut spec) = loop {
        if control.borrow().stop || control.borrow().halt {
            return Ok(());
        }
        let loaded = load(&inner, id).await?;
        let Some(spec) = loaded.job.spec.clone() else { return Ok(()) };
        match loaded.job.status {
            JobStatus::Scheduled => {
                let wait = (spec.starts_at - Utc::now()).to_std().unwrap_or_default();
                if !wait.is_zero() {
                    tokio::select! {
                        () = tokio::time::sleep(wait) => {}
                        changed = control.changed() => if changed.is_err() { return Ok(()) },
                    }
                    continue;
                }
                // A job that cannot measure fails instead of starting.
                if inner.prober().is_err() {
                    break (None, spec);
                }
                match execute(&inner, id, JobCommand::Start { at: Utc::now() }).await? {
                    Ok(()) => break (None, spec),
                    // Cancelled or started meanwhile: the next turn sees which.
                    Err(_) => continue,
                }
            }
            JobStatus::Running => break (Some(loaded.started_at.unwrap_or(spec.starts_at)), spec),
            _ => return Ok(()),
        }
    };
    let prober = match inner.prober() {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(job = %id, error = %e, "monitoring job cannot run");
            let _ = execute(&inner, id, JobCommand::Fail { error: e }).await?;
            return Ok(());
        }
    };
    let job_id: Arc<str> = Arc::from(id);

    // 2. After a restart: make the hole in the measurements explicit.
    if let Some(started_at) = resumed {
        let last: Option<DateTime<Utc>> = sqlx::query_scalar("SELECT max(at) FROM monitor_samples WHERE job_id = $1")
            .bind(id)
            .fetch_one(&inner.pool)
            .await?;
        let gap_from = last.unwrap_or(started_at);
        let now = Utc::now();
        let gap_to = spec.ends_at.map_or(now, |e| e.min(now));
        if gap_to - gap_from > chrono_interval(&spec) * 2 {
            match execute(&inner, id, JobCommand::Resume { gap_from, gap_to }).await? {
                Ok(()) => tracing::info!(job = %id, %gap_from, %gap_to, "monitoring job resumed after a gap"),
                Err(e) => tracing::warn!(job = %id, error = %e, "cannot record the gap"),
            }
        }
    }
    let alerts_loaded = inner.alerts.load(&format!("job:{id}:")).await;
    if let Err(e) = alerts_loaded {
        tracing::warn!(job = %id, error = %e, "cannot read the job's alert states; starting from clear");
    }

    // 3. Measure.
    let mut targets = resolve_targets(&spec, &mut HashMap::new()).await;
    let mut probe = probe_spec(&spec);
    let mut grid = Grid::aligned(&spec, Utc::now(), resumed.is_none());
    let mut next = grid.schedule.next();
    let mut in_flight = FuturesOrdered::new();
    let (mut rounds, mut late_rounds) = (0u64, 0u64);
    let end = loop {
        let due = grid.wall(next.round);
        let past_end = spec.ends_at.is_some_and(|e| due >= e);
        let wake = match (past_end, spec.ends_at) {
            (true, Some(e)) => instant_of(e),
            _ => next.at,
        };
        tokio::select! {
            biased;
            changed = control.changed() => {
                let c = *control.borrow();
                if changed.is_err() || c.halt {
                    break End::Halted;
                }
                if c.stop {
                    break End::Stopped;
                }
                let loaded = load(&inner, id).await?;
                if loaded.job.status.is_finished() {
                    break End::Stopped;
                }
                if let Some(new) = loaded.job.spec {
                    let regrid = new.interval_ms != spec.interval_ms;
                    spec = new;
                    probe = probe_spec(&spec);
                    targets = resolve_targets(&spec, &mut targets).await;
                    if regrid {
                        grid = Grid::aligned(&spec, Utc::now(), true);
                        next = grid.schedule.next();
                    }
                    tracing::info!(job = %id, "monitoring job spec reloaded");
                }
            }
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                process(&inner, &job_id, &spec, &mut targets, done).await;
            }
            () = tokio::time::sleep_until(wake) => {
                if past_end {
                    break End::Completed;
                }
                late_rounds += next.skipped;
                rounds += 1;
                in_flight.push_back(spawn_round(&inner, &prober, &targets, probe, due));
                next = grid.schedule.next();
            }
        }
    };
    if matches!(end, End::Halted) {
        // Rounds in flight finish their probes detached; nothing records their results.
        return Ok(());
    }
    // Rounds already sent finish within their timeout; their samples are kept.
    while let Some(done) = in_flight.next().await {
        process(&inner, &job_id, &spec, &mut targets, done).await;
    }
    if let Err(e) = inner.writer().flush().await {
        tracing::warn!(job = %id, error = %e, "samples of the job may be incomplete");
    }
    if matches!(end, End::Completed) {
        // Over the whole job, a restart included; rounds are the distinct sample times.
        let (samples, distinct): (i64, i64) =
            sqlx::query_as("SELECT count(*), count(DISTINCT at) FROM monitor_samples WHERE job_id = $1")
                .bind(id)
                .fetch_one(&inner.pool)
                .await?;
        let cmd = JobCommand::Complete {
            at: Utc::now(),
            rounds: u64::try_from(distinct).unwrap_or(rounds),
            samples: u64::try_from(samples).unwrap_or(0),
            late_rounds,
        };
        if let Err(e) = execute(&inner, id, cmd).await? {
            tracing::info!(job = %id, error = %e, "job not completed (finished meanwhile)");
        }
    }
    let prefix = format!("job:{id}:");
    let reason = if matches!(end, End::Completed) { "job completed" } else { "job stopped" };
    inner.alerts.close(&prefix, reason).await;
    inner.alerts.forget(&prefix);
    tracing::info!(job = %id, rounds, late_rounds, "monitoring job run ended");
    Ok(())
}

/// A round's due time and every target's result.
type RoundResult = (DateTime<Utc>, Vec<(Arc<str>, ProbeResult)>);
type RoundOutput = Result<RoundResult, tokio::task::JoinError>;

/// Turns a finished round into samples and alert checks.
async fn process(
    inner: &Inner,
    job_id: &Arc<str>,
    spec: &JobSpec,
    targets: &mut HashMap<Arc<str>, TargetRun>,
    done: RoundOutput,
) {
    let (at, results) = match done {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(job = %job_id, error = %e, "a measurement round was lost");
            return;
        }
    };
    let writer = inner.writer();
    let window = usize::from(spec.alert_window);
    for (key, result) in results {
        // A target an edit removed while its round was in flight.
        let Some(t) = targets.get_mut(&key) else { continue };
        let stats = RoundStats::from_rtts(result.sent, &result.rtts_us, t.last_rtt);
        if let Some(&last) = result.rtts_us.last() {
            t.last_rtt = Some(last);
        }
        writer.write(Sample { job_id: job_id.clone(), target: key.clone(), at, stats }).await;
        let Some(figures) = t.window.push(stats, window) else { continue };
        let thresholds = spec.thresholds_for(&key);
        for (metric, value, threshold) in checks(&figures, &thresholds) {
            let subject = AlertSubject {
                metric,
                label: format!("{} ({})", t.name, spec.name),
                job_id: Some(job_id.to_string()),
                device_id: (t.kind == TargetKind::Device).then(|| t.ref_id.clone()),
                target: Some(key.to_string()),
            };
            inner.alerts.observe(subject, value, at, AlertPolicy { threshold, cooldown_s: spec.cooldown_s }).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::monitoring::JobRequest;

    fn spec(starts_at: DateTime<Utc>, interval_ms: u32) -> JobSpec {
        JobRequest { name: "j".into(), interval_ms, ..JobRequest::default() }.into_spec(
            vec![],
            String::new(),
            starts_at,
            None,
        )
    }

    #[test]
    fn the_grid_stays_on_the_jobs_start_and_skips_into_the_future_after_a_gap() {
        let t0 = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").expect("time").with_timezone(&Utc);
        let s = spec(t0, 200);
        let now = t0 + chrono::Duration::milliseconds(1_050);
        let late = Grid::aligned(&s, now, true);
        assert_eq!(late.origin, t0 + chrono::Duration::milliseconds(1_000));
        assert_eq!(late.wall(3), t0 + chrono::Duration::milliseconds(1_600));
        let after_gap = Grid::aligned(&s, now, false);
        assert_eq!(after_gap.origin, t0 + chrono::Duration::milliseconds(1_200));
        let exact = Grid::aligned(&s, t0 + chrono::Duration::milliseconds(400), false);
        assert_eq!(exact.origin, t0 + chrono::Duration::milliseconds(400));
    }

    #[test]
    fn requests_of_a_round_fit_the_interval() {
        let mut s = spec(Utc::now(), 200);
        s.packets = 5;
        assert_eq!(probe_spec(&s).spacing, Duration::from_millis(40));
        s.interval_ms = 10_000;
        assert_eq!(probe_spec(&s).spacing, Duration::from_millis(100));
    }
}
