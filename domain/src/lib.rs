//! NetLedger's business rules: aggregates, commands, events and value types.
//!
//! No IO lives here: the crate compiles for `wasm32-unknown-unknown` so the browser validates forms
//! with exactly the rules the server enforces.

pub mod archive;
pub mod config;
pub mod device;
pub mod identity;
pub mod metadata;
pub mod operation;
pub mod parse;
pub mod validation;

pub use validation::{FieldError, FieldErrors};
