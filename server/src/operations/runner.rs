//! One operation's run: the single writer of its aggregate, and its targets under a concurrency limit.

use std::sync::Arc;
use std::time::Instant;

use cqrs_es::Aggregate;
use domain::metadata::{EventMetadata, Source};
use domain::operation::{Operation, OperationCommand, OperationError, OperationEvent, TargetStatus};
use tokio::sync::{mpsc, oneshot, watch, Semaphore};

use super::target::{run_target, Outcome};
use super::Inner;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("event store: {0}")]
    Store(String),
    #[error("stored event unreadable: {0}")]
    Event(#[from] serde_json::Error),
}

/// The aggregate's current state, folded from its events.
pub(crate) async fn load(inner: &Inner, id: &str) -> Result<Operation, RunError> {
    let payloads: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text FROM events WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY sequence",
    )
    .bind(Operation::TYPE)
    .bind(id)
    .fetch_all(&inner.pool)
    .await?;
    let mut op = Operation::default();
    for p in payloads {
        op.evolve(serde_json::from_str::<OperationEvent>(&p)?);
    }
    Ok(op)
}

fn system_metadata(id: &str) -> EventMetadata {
    EventMetadata::new("system:operations", Source::Reactor, id.to_owned(), chrono::Utc::now())
}

/// Executes one command; refusals come back as `Ok(Err)` so callers can tell them from failures.
async fn execute(inner: &Inner, id: &str, cmd: OperationCommand) -> Result<Result<(), OperationError>, RunError> {
    match inner.store.operations.execute_with_metadata(id, cmd, system_metadata(id).to_map()).await {
        Ok(()) => Ok(Ok(())),
        Err(cqrs_es::AggregateError::UserError(e)) => Ok(Err(e)),
        Err(e) => Err(RunError::Store(crate::adapters::store::describe(&e))),
    }
}

/// Commands from target tasks to the writer, with a reply for those whose result matters.
pub(crate) struct Write {
    pub cmd: OperationCommand,
    pub reply: Option<oneshot::Sender<bool>>,
}

/// Sends commands to the operation's writer.
#[derive(Clone)]
pub(crate) struct Recorder {
    tx: mpsc::Sender<Write>,
    device_id: String,
    started: Instant,
}

impl Recorder {
    /// Records a progress step (output may be empty).
    pub async fn step(&self, step: impl Into<String>, output: impl Into<String>) {
        let cmd = OperationCommand::Progress {
            device_id: self.device_id.clone(),
            step: step.into(),
            output: output.into(),
            elapsed_ms: u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        let _ = self.tx.send(Write { cmd, reply: None }).await;
    }

    #[must_use]
    pub fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

async fn send_and_wait(tx: &mpsc::Sender<Write>, cmd: OperationCommand) -> bool {
    let (reply, rx) = oneshot::channel();
    if tx.send(Write { cmd, reply: Some(reply) }).await.is_err() {
        return false;
    }
    rx.await.unwrap_or(false)
}

pub async fn run(inner: Arc<Inner>, id: &str, mut cancel: watch::Receiver<bool>) -> Result<(), RunError> {
    let op = load(&inner, id).await?;
    if op.status.is_finished() {
        return Ok(());
    }
    let Some(spec) = op.spec.clone() else { return Ok(()) };
    if !op.cancelled {
        if let Err(e) = execute(&inner, id, OperationCommand::Start).await? {
            tracing::warn!(operation = %id, error = %e, "operation cannot start");
            return Ok(());
        }
    }

    // The single writer: applies commands in arrival order.
    let (tx, mut rx) = mpsc::channel::<Write>(1024);
    let writer_inner = inner.clone();
    let writer_id = id.to_owned();
    let writer = tokio::spawn(async move {
        while let Some(w) = rx.recv().await {
            let ok = match execute(&writer_inner, &writer_id, w.cmd).await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::debug!(operation = %writer_id, error = %e, "operation command refused");
                    false
                }
                Err(e) => {
                    tracing::error!(operation = %writer_id, error = %e, "operation event not recorded");
                    false
                }
            };
            if let Some(r) = w.reply {
                let _ = r.send(ok);
            }
        }
    });

    let limit = Arc::new(Semaphore::new(usize::from(spec.concurrency.max(1))));
    let mut tasks = tokio::task::JoinSet::new();
    // Targets an interrupted run already finished stay finished; running ones are re-run.
    let todo: Vec<_> = spec
        .targets
        .iter()
        .filter(|t| matches!(op.targets.get(&t.device_id), Some(TargetStatus::Pending | TargetStatus::Running)))
        .cloned()
        .collect();
    for target in todo {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => p,
            _ = cancel.wait_for(|c| *c) => break,
        };
        let Ok(permit) = permit else { break };
        if *cancel.borrow() {
            break;
        }
        let was_running = op.targets.get(&target.device_id) == Some(&TargetStatus::Running);
        if !was_running
            && !send_and_wait(&tx, OperationCommand::StartTarget { device_id: target.device_id.clone() }).await
        {
            // Cancelled meanwhile (the aggregate refused): nothing to do for this target.
            continue;
        }
        let (inner, spec, tx, id) = (inner.clone(), spec.clone(), tx.clone(), id.to_owned());
        tasks.spawn(async move {
            let _permit = permit;
            let started = Instant::now();
            let rec = Recorder { tx: tx.clone(), device_id: target.device_id.clone(), started };
            let Outcome { status, summary, output, details } = run_target(&inner, &id, &spec, &target, &rec).await;
            let cmd = OperationCommand::FinishTarget {
                device_id: target.device_id.clone(),
                status,
                summary,
                output,
                details,
                duration_ms: rec.elapsed_ms(),
            };
            send_and_wait(&tx, cmd).await;
        });
    }
    while tasks.join_next().await.is_some() {}
    send_and_wait(&tx, OperationCommand::Finish).await;
    drop(tx);
    let _ = writer.await;
    Ok(())
}
