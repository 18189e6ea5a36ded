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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed step should panic loudly

    use std::str::FromStr;

    use chrono::TimeZone;
    use sqlx::postgres::PgConnectOptions;
    use sqlx::{ConnectOptions, Executor};

    use super::*;

    /// A fresh migrated database, or `None` (with a note) when no test database is configured.
    async fn fresh_db() -> Option<PgPool> {
        let Ok(base) = std::env::var("NETLEDGER_TEST_DATABASE_URL").or_else(|_| std::env::var("DATABASE_URL")) else {
            eprintln!("skipping sample writer database test: NETLEDGER_TEST_DATABASE_URL is not set");
            return None;
        };
        let base = PgConnectOptions::from_str(&base).unwrap();
        let name = format!("nl_icmp_{}", uuid::Uuid::new_v4().simple());
        base.connect().await.unwrap().execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.unwrap();
        let pool = PgPool::connect_with(base.database(&name)).await.unwrap();
        crate::adapters::store::migrate(&pool).await.unwrap();
        Some(pool)
    }

    fn sample(at: DateTime<Utc>, rtts: &[u32], previous: Option<u32>) -> Sample {
        Sample {
            job_id: Arc::from("job-1"),
            target: Arc::from("10.0.0.1"),
            at,
            stats: RoundStats::from_rtts(2, rtts, previous),
        }
    }

    #[test]
    fn partition_ddl_covers_one_utc_day() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let ddl = partition_ddl(day, day.checked_add_days(Days::new(1)).unwrap());
        assert!(ddl.contains("monitor_samples_20261231 PARTITION OF monitor_samples"), "{ddl}");
        assert!(ddl.contains("FROM ('2026-12-31 00:00:00+00') TO ('2027-01-01 00:00:00+00')"), "{ddl}");
    }

    #[tokio::test]
    async fn rollups_merge_exactly_across_batches() {
        let Some(pool) = fresh_db().await else { return };
        let writer = SampleWriter::spawn(pool.clone());
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 10, 15, 5).unwrap();
        // Three batches touching the same minute: two answered rounds and one lost round.
        writer.write(sample(t, &[1_000, 3_000], None)).await;
        writer.flush().await.unwrap();
        writer.write(sample(t + chrono::Duration::seconds(10), &[500], Some(3_000))).await;
        writer.flush().await.unwrap();
        writer.write(sample(t + chrono::Duration::seconds(20), &[], Some(500))).await;
        // Another minute of the same hour.
        writer.write(sample(t + chrono::Duration::seconds(60), &[7_000, 7_000], None)).await;
        writer.flush().await.unwrap();

        let n: i64 =
            sqlx::query_scalar("SELECT count(*) FROM monitor_samples_20261202").fetch_one(&pool).await.unwrap();
        assert_eq!(n, 4, "rows land in the day's partition");
        let row: (i32, i32, i32, Option<i32>, i64, i32, Option<i32>, i64, i32) = sqlx::query_as(
            "SELECT rounds, sent, received, rtt_min_us, rtt_sum_us, rtt_n, rtt_max_us, jitter_sum_us, jitter_n \
             FROM monitor_rollup_1m WHERE bucket = '2026-12-02 10:15:00+00'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        // Round 1: avg 2000 over 2 replies, jitter 2000; round 2: avg 500 over 1, jitter 2500.
        assert_eq!(row, (3, 6, 3, Some(500), 2 * 2_000 + 500, 3, Some(3_000), 2_000 + 2_500, 2));
        let hour: (i32, i32, Option<i32>, i64, i32, Option<i32>) = sqlx::query_as(
            "SELECT rounds, received, rtt_min_us, rtt_sum_us, rtt_n, rtt_max_us FROM monitor_rollup_1h \
             WHERE bucket = '2026-12-02 10:00:00+00'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(hour, (4, 5, Some(500), 4_500 + 14_000, 5, Some(7_000)));
        let stats = writer.stats();
        assert_eq!((stats.rows, stats.errors, stats.dropped), (4, 0, 0));
        assert!(stats.batches >= 2, "{stats:?}");
    }

    #[tokio::test]
    async fn many_samples_are_cut_into_bounded_batches() {
        let Some(pool) = fresh_db().await else { return };
        let writer = SampleWriter::spawn(pool.clone());
        let t = Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap();
        for i in 0..12_000i64 {
            let mut s = sample(t + chrono::Duration::milliseconds(i), &[100], None);
            s.target = Arc::from(format!("t{}", i % 100));
            writer.write(s).await;
        }
        writer.flush().await.unwrap();
        let stats = writer.stats();
        assert_eq!(stats.rows, 12_000);
        assert!(stats.batches >= 3, "at most {MAX_BATCH} rows per batch: {stats:?}");
        let rounds: i64 =
            sqlx::query_scalar("SELECT sum(rounds)::bigint FROM monitor_rollup_1m").fetch_one(&pool).await.unwrap();
        assert_eq!(rounds, 12_000);
        let buckets: i64 = sqlx::query_scalar("SELECT count(*) FROM monitor_rollup_1h").fetch_one(&pool).await.unwrap();
        assert_eq!(buckets, 100, "one hour bucket per target");
    }

    #[tokio::test]
    async fn a_day_already_in_the_default_partition_stays_there() {
        let Some(pool) = fresh_db().await else { return };
        let t = Utc.with_ymd_and_hms(2001, 1, 1, 12, 0, 0).unwrap();
        sqlx::query("INSERT INTO monitor_samples (job_id, target, at, sent, received) VALUES ('old', 'x', $1, 1, 1)")
            .bind(t)
            .execute(&pool)
            .await
            .unwrap();
        let writer = SampleWriter::spawn(pool.clone());
        writer.write(sample(t, &[10], None)).await;
        writer.flush().await.unwrap();
        writer.write(sample(t + chrono::Duration::seconds(1), &[10], None)).await;
        writer.flush().await.unwrap();
        let in_default: i64 =
            sqlx::query_scalar("SELECT count(*) FROM monitor_samples_default").fetch_one(&pool).await.unwrap();
        assert_eq!(in_default, 3);
        let partition: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('monitor_samples_20010101')::text").fetch_one(&pool).await.unwrap();
        assert_eq!(partition, None);
        // The next day's partition was still created ahead.
        let next: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('monitor_samples_20010102')::text").fetch_one(&pool).await.unwrap();
        assert!(next.is_some());
        assert_eq!(writer.stats().errors, 0);
    }

    #[tokio::test]
    async fn a_database_that_stays_down_loses_the_batch_with_an_error() {
        let Some(pool) = fresh_db().await else { return };
        pool.close().await;
        let writer = SampleWriter::spawn(pool);
        writer.write(sample(Utc::now(), &[10], None)).await;
        let err = writer.flush().await.unwrap_err();
        assert!(matches!(err, WriterError::Dropped { rows: 1, .. }), "{err}");
        let stats = writer.stats();
        assert_eq!((stats.rows, stats.dropped, u64::from(ATTEMPTS)), (0, 1, stats.errors));
        // The writer keeps serving after the loss.
        assert_eq!(writer.flush().await, Ok(()));
    }
}
