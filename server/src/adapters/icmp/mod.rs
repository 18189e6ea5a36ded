//! ICMP echo measurements: the one-shot `ping` used by connectivity tests, the shared `Prober`
//! that keeps many probes in flight on one socket per address family, the drift-free `Schedule`
//! of rounds, and the `SampleWriter` that batches round results into PostgreSQL.

mod prober;
mod schedule;
mod writer;

pub use prober::{ping, resolve, PingError, ProbeResult, ProbeSpec, Prober, ProberStats};
pub use schedule::{Schedule, Tick};
pub use writer::{Sample, SampleWriter, WriterError, WriterStats};
