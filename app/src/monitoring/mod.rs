//! Latency monitoring and alerts: the model, the server functions and (on the server) the port.

pub mod api;
pub mod model;
#[cfg(feature = "ssr")]
pub mod ssr;
