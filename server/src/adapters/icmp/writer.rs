//! Batched writes of round results into `monitor_samples` and its rollups.
//!
//! Probing tasks hand samples to one writer task over a bounded channel: a slow database slows
//! the producers down (back-pressure) instead of growing a queue without bound. The task
//! commits a batch every 250 ms or 5,000 rows, whichever comes first, as ONE statement (so one
//! transaction and one round trip): the rows are bound as arrays and unnested, and the same
//! rows are summed into the 1-minute and 1-hour rollups. Rollups keep sums and counts, so a
//! bucket that several batches touch merges exactly; min/max merge with LEAST/GREATEST.
//!
//! Daily partitions are created before the first row of a day is inserted (and the next day's
//! ahead of time). Creating a partition fails when the default partition already holds rows of
//! that day (written by an older process, say); those rows then stay in the default partition,
//! which is still queried through the parent, and the failure is remembered so it is not
//! retried per batch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use domain::monitoring::stats::RoundStats;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

/// One target's result for one round of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub job_id: Arc<str>,
    pub target: Arc<str>,
    pub at: DateTime<Utc>,
    pub stats: RoundStats,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriterError {
    #[error("the sample writer has stopped")]
    Stopped,
    #[error("{rows} samples could not be written: {reason}")]
    Dropped { rows: u64, reason: String },
}

/// Counters since the writer was spawned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriterStats {
    /// Samples committed.
    pub rows: u64,
    /// Batches committed.
    pub batches: u64,
    /// Failed attempts to commit a batch (each retried or, after the last, dropped).
    pub errors: u64,
    /// Samples given up after every retry failed, or offered after the writer stopped.
    pub dropped: u64,
    /// Daily partitions created or found present.
    pub partitions: u64,
}

#[derive(Default)]
struct Counters {
    rows: AtomicU64,
    batches: AtomicU64,
    errors: AtomicU64,
    dropped: AtomicU64,
    partitions: AtomicU64,
}

enum Msg {
    Sample(Sample),
    Flush(oneshot::Sender<Result<(), WriterError>>),
}

/// Most samples waiting in the channel; beyond it `write` waits.
const QUEUE: usize = 20_000;
const MAX_BATCH: usize = 5_000;
const MAX_DELAY: Duration = Duration::from_millis(250);
/// Attempts per batch; the waits between them double from `FIRST_BACKOFF` (about 3 s in all).
const ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// Handle to the writer task; cheap to clone. The task ends when the last handle is dropped,
/// after committing what it holds.
#[derive(Clone)]
pub struct SampleWriter {
    tx: mpsc::Sender<Msg>,
    counters: Arc<Counters>,
}

impl SampleWriter {
    #[must_use]
    pub fn spawn(pool: PgPool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        tokio::spawn(run(pool, rx, counters.clone()));
        Self { tx, counters }
    }

    /// Queues one sample; waits while the queue is full.
    pub async fn write(&self, sample: Sample) {
        if self.tx.send(Msg::Sample(sample)).await.is_err() {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Returns once every sample written before this call is committed (or given up: then an
    /// error says how many rows were lost since the previous flush).
    pub async fn flush(&self) -> Result<(), WriterError> {
        let (tx, rx) = oneshot::channel();
        self.tx.send(Msg::Flush(tx)).await.map_err(|_| WriterError::Stopped)?;
        rx.await.map_err(|_| WriterError::Stopped)?
    }

    #[must_use]
    pub fn stats(&self) -> WriterStats {
        let c = &self.counters;
        WriterStats {
            rows: c.rows.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            partitions: c.partitions.load(Ordering::Relaxed),
        }
    }
}

async fn run(pool: PgPool, mut rx: mpsc::Receiver<Msg>, counters: Arc<Counters>) {
    let mut partitions = Partitions::default();
    let mut batch: Vec<Sample> = Vec::with_capacity(MAX_BATCH);
    let mut flushes: Vec<oneshot::Sender<Result<(), WriterError>>> = Vec::new();
    let mut inbox: Vec<Msg> = Vec::with_capacity(MAX_BATCH);
    // Rows lost since the last flush, reported to the next flush.
    let mut lost: Option<WriterError> = None;
    let mut open = true;
    while open {
        // Wait for the first message, then collect until the batch is full, a flush is asked
        // for, or the batch has waited long enough.
        if rx.recv_many(&mut inbox, MAX_BATCH).await == 0 {
            break;
        }
        let deadline = tokio::time::Instant::now() + MAX_DELAY;
        loop {
            for msg in inbox.drain(..) {
                match msg {
                    Msg::Sample(s) => batch.push(s),
                    Msg::Flush(tx) => flushes.push(tx),
                }
            }
            if batch.len() >= MAX_BATCH || !flushes.is_empty() {
                break;
            }
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut inbox, MAX_BATCH - batch.len())).await {
                Ok(0) => {
                    open = false;
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            if let Err(e) = commit_with_retry(&pool, &mut partitions, &batch, &counters).await {
                let rows = batch.len() as u64;
                counters.dropped.fetch_add(rows, Ordering::Relaxed);
                lost = Some(match lost.take() {
                    Some(WriterError::Dropped { rows: before, .. }) => {
                        WriterError::Dropped { rows: before + rows, reason: e.to_string() }
                    }
                    _ => WriterError::Dropped { rows, reason: e.to_string() },
                });
            }
            batch.clear();
        }
        if !flushes.is_empty() {
            let outcome = lost.take().map_or(Ok(()), Err);
            for tx in flushes.drain(..) {
                // A flusher that stopped waiting needs no answer.
                let _ = tx.send(outcome.clone());
            }
        }
    }
    for msg in inbox.drain(..) {
        if let Msg::Flush(tx) = msg {
            let _ = tx.send(Err(WriterError::Stopped));
        }
    }
}

async fn commit_with_retry(
    pool: &PgPool,
    partitions: &mut Partitions,
    batch: &[Sample],
    counters: &Counters,
) -> Result<(), sqlx::Error> {
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        let result = async {
            partitions.ensure_for(pool, batch, counters).await;
            insert(pool, batch).await
        }
        .await;
        match result {
            Ok(()) => {
                counters.rows.fetch_add(batch.len() as u64, Ordering::Relaxed);
                counters.batches.fetch_add(1, Ordering::Relaxed);
                return Ok(());
            }
            Err(e) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                if attempt >= ATTEMPTS {
                    tracing::error!(error = %e, rows = batch.len(), "monitor samples dropped after {ATTEMPTS} attempts");
                    return Err(e);
                }
                tracing::warn!(error = %e, rows = batch.len(), attempt, "writing monitor samples failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                attempt += 1;
            }
        }
    }
}

/// Days whose partition exists (`true`) or could not be created (`false`, rows stay in the
/// default partition).
#[derive(Default)]
struct Partitions {
    known: HashMap<NaiveDate, bool>,
}

impl Partitions {
    async fn ensure_for(&mut self, pool: &PgPool, batch: &[Sample], counters: &Counters) {
        let mut days: Vec<NaiveDate> = batch.iter().map(|s| s.at.date_naive()).collect();
        days.sort_unstable();
        days.dedup();
        for day in days {
            // The next day's partition too, before any of its rows can arrive.
            for d in [Some(day), day.checked_add_days(Days::new(1))].into_iter().flatten() {
                if !self.known.contains_key(&d) {
                    self.ensure(pool, d, counters).await;
                }
            }
        }
    }

    async fn ensure(&mut self, pool: &PgPool, day: NaiveDate, counters: &Counters) {
        let Some(next) = day.checked_add_days(Days::new(1)) else { return };
        let sql = partition_ddl(day, next);
        match sqlx::query(&sql).execute(pool).await {
            Ok(_) => {
                counters.partitions.fetch_add(1, Ordering::Relaxed);
                self.known.insert(day, true);
            }
            // The server refused (rows of that day in the default partition, a concurrent
            // creator): remember it. Connection trouble is not remembered, so it is retried.
            Err(sqlx::Error::Database(e)) => {
                tracing::warn!(error = %e, %day, "no daily partition for monitor samples; rows stay in the default partition");
                self.known.insert(day, false);
            }
            Err(e) => tracing::warn!(error = %e, %day, "creating a monitor samples partition failed"),
        }
    }
}

fn partition_ddl(day: NaiveDate, next: NaiveDate) -> String {
    // Dates come from chrono, not from input, so formatting them into DDL is safe.
    format!(
        "CREATE TABLE IF NOT EXISTS monitor_samples_{} PARTITION OF monitor_samples \
         FOR VALUES FROM ('{} 00:00:00+00') TO ('{} 00:00:00+00')",
        day.format("%Y%m%d"),
        day.format("%Y-%m-%d"),
        next.format("%Y-%m-%d"),
    )
}

/// Rollup upsert for one bucket width; `{table}` and `{unit}` are constants below.
fn rollup_sql(table: &str, unit: &str) -> String {
    format!(
        "INSERT INTO {table} AS r (job_id, target, bucket, rounds, sent, received, rtt_min_us, \
           rtt_sum_us, rtt_n, rtt_max_us, jitter_sum_us, jitter_n) \
         SELECT job_id, target, date_trunc('{unit}', at, 'UTC'), count(*), sum(sent), sum(received), \
           min(rtt_min_us), \
           coalesce(sum(rtt_avg_us::bigint * received) FILTER (WHERE rtt_avg_us IS NOT NULL), 0), \
           coalesce(sum(received) FILTER (WHERE rtt_avg_us IS NOT NULL), 0), \
           max(rtt_max_us), coalesce(sum(jitter_us), 0), count(jitter_us) \
         FROM s GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 \
         ON CONFLICT (job_id, target, bucket) DO UPDATE SET \
           rounds = r.rounds + EXCLUDED.rounds, sent = r.sent + EXCLUDED.sent, \
           received = r.received + EXCLUDED.received, \
           rtt_min_us = LEAST(r.rtt_min_us, EXCLUDED.rtt_min_us), \
           rtt_sum_us = r.rtt_sum_us + EXCLUDED.rtt_sum_us, rtt_n = r.rtt_n + EXCLUDED.rtt_n, \
           rtt_max_us = GREATEST(r.rtt_max_us, EXCLUDED.rtt_max_us), \
           jitter_sum_us = r.jitter_sum_us + EXCLUDED.jitter_sum_us, \
           jitter_n = r.jitter_n + EXCLUDED.jitter_n"
    )
}

fn batch_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "WITH s AS (SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int2[], \
               $5::int2[], $6::int4[], $7::int4[], $8::int4[], $9::int4[]) \
               AS t(job_id, target, at, sent, received, rtt_min_us, rtt_avg_us, rtt_max_us, jitter_us)), \
             ins AS (INSERT INTO monitor_samples (job_id, target, at, sent, received, rtt_min_us, \
               rtt_avg_us, rtt_max_us, jitter_us) SELECT * FROM s), \
             m AS ({}) {}",
            rollup_sql("monitor_rollup_1m", "minute"),
            rollup_sql("monitor_rollup_1h", "hour"),
        )
    })
}

fn small(v: u16) -> i16 {
    i16::try_from(v).unwrap_or(i16::MAX)
}

fn int(v: Option<u32>) -> Option<i32> {
    v.map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

async fn insert(pool: &PgPool, batch: &[Sample]) -> Result<(), sqlx::Error> {
    let n = batch.len();
    let mut job = Vec::with_capacity(n);
    let mut target = Vec::with_capacity(n);
    let mut at = Vec::with_capacity(n);
    let mut sent = Vec::with_capacity(n);
    let mut received = Vec::with_capacity(n);
    let mut min = Vec::with_capacity(n);
    let mut avg = Vec::with_capacity(n);
    let mut max = Vec::with_capacity(n);
    let mut jitter = Vec::with_capacity(n);
    for s in batch {
        job.push(&*s.job_id);
        target.push(&*s.target);
        at.push(s.at);
        sent.push(small(s.stats.sent));
        received.push(small(s.stats.received));
        min.push(int(s.stats.rtt_min_us));
        avg.push(int(s.stats.rtt_avg_us));
        max.push(int(s.stats.rtt_max_us));
        jitter.push(int(s.stats.jitter_us));
    }
    sqlx::query(batch_sql())
        .bind(job)
        .bind(target)
        .bind(at)
        .bind(sent)
        .bind(received)
        .bind(min)
        .bind(avg)
        .bind(max)
        .bind(jitter)
        .execute(pool)
        .await?;
    Ok(())
}
