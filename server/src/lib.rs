//! NetLedger server: settings, wiring, adapters, HTTP and the command line.

pub mod adapters;
pub mod backend;
pub mod bench;
pub mod bench_ping;
pub mod bench_ssh;
pub mod cli;
pub mod device_access;
pub mod embedded_pg;
pub mod http;
pub mod identity;
pub mod lab;
pub mod monitoring;
pub mod operations;
pub mod settings;
pub mod startup;
pub mod telemetry;
pub mod vault;
