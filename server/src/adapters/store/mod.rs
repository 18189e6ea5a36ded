//! PostgreSQL: the event store, the projector framework and the read models.

mod event_store;
pub mod projections;
mod projector;
mod verify;

pub use event_store::{
    describe, read_committed_after, read_committed_after_for, EventStore, StoreError, StoredEvent, SNAPSHOT_EVERY,
};
pub use projector::{catch_up_once, log_head, rebuild, Checkpoint, Projection, ProjectorHub};
pub use verify::{verify_chains, ChainBreak, VerifyReport};

/// Runs the embedded migrations.
pub async fn migrate(pool: &sqlx::PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    sqlx::migrate!("../migrations").run(pool).await
}
