//! Ports to the outside world.

pub mod icmp;
pub mod ssh;
pub mod store;
