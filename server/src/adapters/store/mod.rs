//! PostgreSQL: the event store, the projector framework and the read models.

mod event_store;
pub mod projections;
mod projector;
mod verify;

pub use event_store::{EventStore, SNAPSHOT_EVERY, StoreError, StoredEvent, describe, read_committed_after};
pub use projector::{Checkpoint, Projection, ProjectorHub, catch_up_once, rebuild};
pub use verify::{ChainBreak, VerifyReport, verify_chains};

/// Runs the embedded migrations.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(pool).await
}
