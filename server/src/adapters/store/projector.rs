//! Projector framework: each projection reads the global log after its checkpoint and updates
//! its tables and its checkpoint in one transaction, so every event is applied exactly once
//! even across crashes, and a rebuild is "empty the tables, reset the checkpoint".

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgListener;
use sqlx::{PgConnection, PgPool, Row};
use tokio::sync::{watch, Notify};

use super::{read_committed_after_for, StoreError, StoredEvent};

/// Position of the last applied event: the pair the global order sorts by.
pub type Checkpoint = (i64, i64);

#[async_trait]
pub trait Projection: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// Tables this projection owns; emptied on rebuild.
    fn tables(&self) -> &'static [&'static str];
    /// The aggregate types whose events this projection reads; `None` for all.
    fn aggregate_types(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// Applies a batch inside the projector's transaction. Must not fail on events it does
    /// not understand (log and skip them), or the projection would stall forever.
    async fn apply(&self, conn: &mut PgConnection, events: &[StoredEvent]) -> Result<(), StoreError>;
}

const BATCH: i64 = 2_000;
const REBUILD_BATCH: i64 = 100_000;

/// Applies at most one batch; returns how many events it applied.
pub async fn catch_up_once(pool: &PgPool, p: &dyn Projection, batch: i64) -> Result<(usize, Checkpoint), StoreError> {
    let mut tx = pool.begin().await?;
    // An advisory lock, not FOR UPDATE: a row lock would give this transaction an xid, which
    // holds back the xmin that every reader (including the other projections) waits for.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('netledger.projection'), hashtext($1))")
        .bind(p.name())
        .execute(&mut *tx)
        .await?;
    // Set-based projections sort a whole batch; keep those sorts in memory.
    sqlx::query("SET LOCAL work_mem = '64MB'").execute(&mut *tx).await?;
    let query = "SELECT tx_id::text::bigint AS tx, position FROM projection_checkpoints WHERE name = $1";
    let row = match sqlx::query(query).bind(p.name()).fetch_optional(&mut *tx).await? {
        Some(row) => row,
        None => {
            sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT DO NOTHING")
                .bind(p.name())
                .execute(&mut *tx)
                .await?;
            sqlx::query(query).bind(p.name()).fetch_one(&mut *tx).await?
        }
    };
    let from: Checkpoint = (row.get("tx"), row.get("position"));
    let events = read_committed_after_for(&mut *tx, from, batch, p.aggregate_types()).await?;
    let Some(last) = events.last() else {
        tx.rollback().await?;
        return Ok((0, from));
    };
    let to = (last.tx_id, last.position);
    p.apply(&mut tx, &events).await?;
    sqlx::query(
        "UPDATE projection_checkpoints
            SET tx_id = $2::text::xid8, position = $3, events_applied = events_applied + $4, updated_at = now()
          WHERE name = $1",
    )
    .bind(p.name())
    .bind(to.0.to_string())
    .bind(to.1)
    .bind(i64::try_from(events.len()).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((events.len(), to))
}

/// Empties a projection's tables and replays the whole log into them. Returns events applied.
pub async fn rebuild(pool: &PgPool, p: &dyn Projection) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    // Excludes a live runner between the reset and its next batch.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('netledger.projection'), hashtext($1))")
        .bind(p.name())
        .execute(&mut *tx)
        .await?;
    for table in p.tables() {
        sqlx::query(&format!("TRUNCATE {table}")).execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO projection_checkpoints (name) VALUES ($1)
         ON CONFLICT (name) DO UPDATE SET tx_id = '0'::xid8, position = 0, events_applied = 0, updated_at = now()",
    )
    .bind(p.name())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let head = log_head(pool).await?;
    let mut total = 0u64;
    let mut idle_since = std::time::Instant::now();
    loop {
        // Large batches: a device touched many times in one batch is written once.
        let (n, at) = catch_up_once(pool, p, REBUILD_BATCH).await?;
        total += n as u64;
        if head.is_none_or(|h| at >= h) {
            // A replay rewrites rows many times over; reclaim the dead versions and refresh
            // the planner's statistics before the pages query the table.
            for table in p.tables() {
                sqlx::query(&format!("VACUUM ANALYZE {table}")).execute(pool).await?;
            }
            return Ok(total);
        }
        if n > 0 {
            idle_since = std::time::Instant::now();
            continue;
        }
        // The rest is committed but not yet readable: an older transaction somewhere in the
        // cluster is still running. Wait for it rather than report a partial rebuild as done.
        if idle_since.elapsed() > Duration::from_secs(60) {
            tracing::warn!(
                projection = p.name(),
                applied = total,
                "rebuild waited 60 s for a running transaction; the live projector will finish it"
            );
            return Ok(total);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The newest committed event in global order, whether or not readers may read it yet.
pub async fn log_head(pool: &PgPool) -> Result<Option<Checkpoint>, StoreError> {
    let row = sqlx::query(
        "SELECT tx_id::text::bigint AS tx, global_position FROM events ORDER BY tx_id DESC, global_position DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.get("tx"), r.get("global_position"))))
}

struct Runner {
    projection: Arc<dyn Projection>,
    checkpoint: watch::Sender<Checkpoint>,
}

/// Runs every projection live: catches up on start, then on each NOTIFY from the event store.
pub struct ProjectorHub {
    pool: PgPool,
    runners: Vec<Runner>,
    wake: Notify,
    /// Bumped after any projection commits; browsers refetch when it moves.
    version: watch::Sender<u64>,
}

impl ProjectorHub {
    #[must_use]
    pub fn new(pool: PgPool, projections: Vec<Arc<dyn Projection>>) -> Arc<Self> {
        Arc::new(Self {
            pool,
            runners: projections
                .into_iter()
                .map(|projection| Runner { projection, checkpoint: watch::Sender::new((0, 0)) })
                .collect(),
            wake: Notify::new(),
            version: watch::Sender::new(0),
        })
    }

    #[must_use]
    pub fn projections(&self) -> Vec<Arc<dyn Projection>> {
        self.runners.iter().map(|r| r.projection.clone()).collect()
    }

    pub fn subscribe_version(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// Waits until every projection has applied the event at `at`, or `timeout` passes.
    /// Gives read-your-writes to the UI after a command. Returns whether it caught up.
    pub async fn wait_for(&self, at: Checkpoint, timeout: Duration) -> bool {
        let all = async {
            for r in &self.runners {
                let mut rx = r.checkpoint.subscribe();
                if rx.wait_for(|cp| *cp >= at).await.is_err() {
                    return false;
                }
            }
            true
        };
        tokio::time::timeout(timeout, all).await.unwrap_or(false)
    }

    /// Whether every projection has applied every committed event.
    pub async fn caught_up(&self) -> Result<bool, StoreError> {
        let Some(head) = log_head(&self.pool).await? else { return Ok(true) };
        let rows = sqlx::query("SELECT name, tx_id::text::bigint AS tx, position FROM projection_checkpoints")
            .fetch_all(&self.pool)
            .await?;
        Ok(self.runners.iter().all(|r| {
            rows.iter().any(|row| {
                row.get::<String, _>("name") == r.projection.name()
                    && (row.get::<i64, _>("tx"), row.get::<i64, _>("position")) >= head
            })
        }))
    }

    /// Spawns the listener and one task per projection. Runs until the process exits.
    pub fn spawn(self: &Arc<Self>) {
        let hub = self.clone();
        tokio::spawn(async move { hub.listen().await });
        for i in 0..self.runners.len() {
            let hub = self.clone();
            tokio::spawn(async move { hub.run(i).await });
        }
    }

    async fn listen(&self) {
        // Ends with the pool (process shutdown, or the pool closed by a caller).
        while !self.pool.is_closed() {
            match PgListener::connect_with(&self.pool).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen("events").await {
                        tracing::warn!(error = %e, "LISTEN events failed");
                    } else {
                        // Events may have been written while we were not listening.
                        self.wake.notify_waiters();
                        loop {
                            match listener.recv().await {
                                Ok(_) => self.wake.notify_waiters(),
                                Err(_) if self.pool.is_closed() => return,
                                Err(e) => {
                                    tracing::warn!(error = %e, "event notifications interrupted");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot listen for events"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn run(&self, index: usize) {
        let runner = &self.runners[index];
        let name = runner.projection.name();
        while !self.pool.is_closed() {
            // Register interest before reading, so a NOTIFY arriving mid-batch is not lost.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match catch_up_once(&self.pool, runner.projection.as_ref(), BATCH).await {
                Ok((n, cp)) => {
                    runner.checkpoint.send_replace(cp);
                    if n > 0 {
                        metrics::counter!("netledger_projected_events_total", "projection" => name).increment(n as u64);
                        self.version.send_modify(|v| *v += 1);
                        continue;
                    }
                    // The periodic tick also picks up events held back by a transaction that
                    // was running during the last read.
                    let _ = tokio::time::timeout(Duration::from_millis(500), notified).await;
                }
                Err(e) => {
                    tracing::error!(projection = name, error = %e, "projection failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }
}
