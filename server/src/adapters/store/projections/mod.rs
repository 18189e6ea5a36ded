//! The read models and the projections that build them.

mod audit;
mod inventory;
mod users;

use std::sync::Arc;

pub use audit::AuditProjection;
pub use inventory::InventoryProjection;
pub use users::UsersProjection;

use super::Projection;

/// Every projection the server runs, in the order `projections rebuild` uses.
#[must_use]
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![Arc::new(InventoryProjection), Arc::new(AuditProjection), Arc::new(UsersProjection)]
}
