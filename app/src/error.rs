//! The one error type of the UI and API; it crosses the network unchanged.

use domain::identity::Permission;
use domain::FieldErrors;
use serde::{Deserialize, Serialize};
use server_fn_error::{FromServerFnError, ServerFnErrorErr};

// `leptos::server_fn` re-exports what a custom server function error needs.
mod server_fn_error {
    pub use leptos::server_fn::codec::JsonEncoding;
    pub use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("please sign in")]
    Unauthenticated,
    #[error("your role may not {}", permission_verb(*.0))]
    Forbidden(Permission),
    #[error("please correct the highlighted fields")]
    Invalid(FieldErrors),
    /// A domain refusal, safe to show as is.
    #[error("{0}")]
    Rejected(String),
    #[error("not found")]
    NotFound,
    #[error("changed by someone else meanwhile; reload and try again")]
    Conflict,
    #[error("too many attempts; wait a minute and try again")]
    RateLimited,
    /// Internal failure: only a reference id reaches the client; details are in the server log.
    #[error("internal error (ref {0})")]
    Internal(String),
    #[error("request failed: {0}")]
    Transport(String),
}

const fn permission_verb(p: Permission) -> &'static str {
    match p {
        Permission::ReadInventory => "read the inventory",
        Permission::ManageDevices => "change devices",
        Permission::ReadAudit => "read the audit trail",
        Permission::ManageUsers => "manage users",
        Permission::RunOperations => "run operations on devices",
        Permission::ChangeConfig => "change device configuration",
        Permission::RunAnyCommand => "run commands outside the read-only allowlist",
        Permission::ManageMonitoring => "manage latency monitoring",
        Permission::AcknowledgeAlerts => "acknowledge alerts",
        Permission::ViewSecrets => "see unmasked secrets",
        Permission::ManageLab => "manage the device lab",
    }
}

impl AppError {
    /// Stable machine-readable code for the REST API.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::Invalid(_) => "invalid",
            Self::Rejected(_) => "rejected",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::RateLimited => "rate_limited",
            Self::Internal(_) => "internal",
            Self::Transport(_) => "transport",
        }
    }

    #[must_use]
    pub const fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated => 401,
            Self::Forbidden(_) => 403,
            Self::Invalid(_) | Self::Rejected(_) => 400,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::RateLimited => 429,
            Self::Internal(_) | Self::Transport(_) => 500,
        }
    }

    #[must_use]
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            Self::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        Self::Invalid(e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = server_fn_error::JsonEncoding;

    fn from_server_fn_error(e: ServerFnErrorErr) -> Self {
        Self::Transport(e.to_string())
    }
}
