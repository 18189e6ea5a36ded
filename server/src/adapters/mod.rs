//! Ports to the outside world.

pub mod store;
