//! Latency monitoring: destinations, measurement jobs, round statistics and threshold alerts.

pub mod alert;
pub mod destination;
pub mod job;
pub mod stats;

pub use alert::{
    Alert, AlertCommand, AlertError, AlertEvent, AlertMetric, AlertPolicy, AlertSubject, Hysteresis, Transition,
};
pub use destination::{
    Destination, DestinationCommand, DestinationDraft, DestinationError, DestinationEvent, DestinationSpec,
};
pub use job::{
    JobCommand, JobError, JobEvent, JobRequest, JobSpec, JobStatus, JobTarget, Metric, MonitorJob, TargetKind,
    Thresholds,
};
pub use stats::{RoundStats, Summary, SummaryBuilder};
