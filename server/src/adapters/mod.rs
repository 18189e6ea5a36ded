//! Ports to the outside world.

pub mod ssh;
pub mod store;
