//! The read models and the projections that build them.

mod alerts;
mod audit;
mod configs;
mod host_keys;
mod inventory;
mod monitoring;
mod operations;
mod users;

use std::sync::Arc;

pub use alerts::AlertsProjection;
pub use audit::AuditProjection;
pub use configs::ConfigsProjection;
pub use host_keys::HostKeysProjection;
pub use inventory::InventoryProjection;
pub use monitoring::MonitoringProjection;
pub use operations::OperationsProjection;
pub use users::UsersProjection;

use super::{Checkpoint, Projection, StoredEvent};

/// The first and last event of a batch in global order. Every event between them (inclusive)
/// is in the batch: they all belong to transactions older than the reader's horizon, so a
/// set-based projection may read exactly that range of the log again in SQL.
fn batch_range(events: &[StoredEvent]) -> Option<(Checkpoint, Checkpoint)> {
    Some(((events.first()?.tx_id, events.first()?.position), (events.last()?.tx_id, events.last()?.position)))
}

/// Every projection the server runs, in the order `projections rebuild` uses.
#[must_use]
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(InventoryProjection),
        Arc::new(AuditProjection),
        Arc::new(UsersProjection),
        Arc::new(OperationsProjection),
        Arc::new(ConfigsProjection),
        Arc::new(HostKeysProjection),
        Arc::new(MonitoringProjection),
        Arc::new(AlertsProjection),
    ]
}
