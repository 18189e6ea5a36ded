//! Configuration from the environment (`NETLEDGER_*`, `DATABASE_URL`), with local defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `None`: run an app-managed PostgreSQL cluster under `data_dir/pg`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    /// Marks cookies `Secure`; set when served over TLS (directly or behind a proxy).
    pub secure_cookies: bool,
    pub session_hours: i64,
    pub json_logs: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{name}={value:?} is invalid: {reason}")]
    Invalid { name: &'static str, value: String, reason: String },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        let addr_raw = var("NETLEDGER_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr = addr_raw.parse().map_err(|e: std::net::AddrParseError| SettingsError::Invalid {
            name: "NETLEDGER_ADDR",
            value: addr_raw.clone(),
            reason: e.to_string(),
        })?;
        let session_raw = var("NETLEDGER_SESSION_HOURS").unwrap_or_else(|| "12".into());
        let session_hours = session_raw.parse::<i64>().ok().filter(|h| (1..=720).contains(h)).ok_or_else(|| {
            SettingsError::Invalid {
                name: "NETLEDGER_SESSION_HOURS",
                value: session_raw.clone(),
                reason: "must be 1 to 720".into(),
            }
        })?;
        Ok(Self {
            database_url: var("DATABASE_URL"),
            data_dir: var("NETLEDGER_DATA_DIR").map_or_else(|| PathBuf::from(".data"), PathBuf::from),
            addr,
            secure_cookies: var("NETLEDGER_SECURE_COOKIES").is_some_and(|v| v == "1" || v == "true"),
            session_hours,
            json_logs: var("NETLEDGER_LOG_FORMAT").is_some_and(|v| v == "json"),
        })
    }
}
