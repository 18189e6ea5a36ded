//! Operations: work run against devices over SSH (connectivity test, show commands, config backup,
//! push/restore with checks, health check). One `Operation` aggregate per run records who asked for
//! what, every target's progress and result, and how the run ended, so an auditor can replay it.

mod aggregate;
mod spec;

pub use aggregate::{Operation, OperationCommand, OperationError, OperationEvent, OperationStatus, TargetStatus};
pub use spec::{
    is_read_only_command, OperationKind, OperationRequest, OperationSpec, SpecError, TargetRef, MAX_CONCURRENCY,
    MAX_OUTPUT_BYTES,
};
