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
    /// The device lab `serve` runs in-process.
    pub lab: LabMode,
    /// `NETLEDGER_LAB_BIND=IP:PORT` moves the lab: devices at consecutive addresses from IP on PORT,
    /// or all on IP with ephemeral ports when PORT is 0 (tests beside a running lab).
    pub lab_bind: Option<std::net::SocketAddrV4>,
    /// SSH connect and per-command timeouts (`NETLEDGER_SSH_CONNECT_TIMEOUT_MS`,
    /// `NETLEDGER_SSH_COMMAND_TIMEOUT_MS`) and the global session limit (`NETLEDGER_SSH_MAX_SESSIONS`).
    pub ssh_connect_timeout_ms: u64,
    pub ssh_command_timeout_ms: u64,
    pub ssh_max_sessions: usize,
    /// How often every active device's CPU is polled (`NETLEDGER_HEALTH_INTERVAL_MS`, 0 = off).
    pub health_interval_ms: u64,
    /// CPU percentage above which a device raises an alert (`NETLEDGER_HEALTH_CPU_THRESHOLD`).
    pub health_cpu_threshold: f64,
    /// Seconds after a device alert during which a new crossing raises none (`NETLEDGER_ALERT_COOLDOWN_S`).
    pub alert_cooldown_s: u32,
}

/// Which simulated devices `serve` starts (`NETLEDGER_LAB`, `NETLEDGER_LAB_DEVICES`,
/// `NETLEDGER_LAB_TOPOLOGY`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabMode {
    Off,
    Builtin,
    Scaled(usize),
    File(PathBuf),
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
        let lab = match var("NETLEDGER_LAB").as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("off" | "0" | "false" | "no") => LabMode::Off,
            _ => match (var("NETLEDGER_LAB_TOPOLOGY"), var("NETLEDGER_LAB_DEVICES")) {
                (Some(path), _) => LabMode::File(PathBuf::from(path)),
                (None, Some(n)) => {
                    LabMode::Scaled(n.parse().ok().filter(|n| (1..=5_000).contains(n)).ok_or_else(|| {
                        SettingsError::Invalid {
                            name: "NETLEDGER_LAB_DEVICES",
                            value: n.clone(),
                            reason: "must be 1 to 5000".into(),
                        }
                    })?)
                }
                (None, None) => LabMode::Builtin,
            },
        };
        let number = |name: &'static str, default: u64, max: u64| -> Result<u64, SettingsError> {
            match var(name) {
                None => Ok(default),
                Some(v) => v.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                    SettingsError::Invalid { name, value: v.clone(), reason: format!("must be 1 to {max}") }
                }),
            }
        };
        let lab_bind = match var("NETLEDGER_LAB_BIND") {
            None => None,
            Some(v) => Some(v.parse().map_err(|e: std::net::AddrParseError| SettingsError::Invalid {
                name: "NETLEDGER_LAB_BIND",
                value: v.clone(),
                reason: e.to_string(),
            })?),
        };
        let health_interval_ms = match var("NETLEDGER_HEALTH_INTERVAL_MS") {
            None => 60_000,
            Some(v) => {
                v.parse::<u64>().ok().filter(|n| *n == 0 || (100..=86_400_000).contains(n)).ok_or_else(|| {
                    SettingsError::Invalid {
                        name: "NETLEDGER_HEALTH_INTERVAL_MS",
                        value: v.clone(),
                        reason: "must be 0 (off) or 100 to 86400000".into(),
                    }
                })?
            }
        };
        let health_cpu_threshold = match var("NETLEDGER_HEALTH_CPU_THRESHOLD") {
            None => 80.0,
            Some(v) => v.parse::<f64>().ok().filter(|n| n.is_finite() && *n > 0.0 && *n <= 100.0).ok_or_else(|| {
                SettingsError::Invalid {
                    name: "NETLEDGER_HEALTH_CPU_THRESHOLD",
                    value: v.clone(),
                    reason: "must be a percentage above 0 and at most 100".into(),
                }
            })?,
        };
        let alert_cooldown_s = u32::try_from(number("NETLEDGER_ALERT_COOLDOWN_S", 900, 86_400)?).unwrap_or(900);
        Ok(Self {
            lab,
            lab_bind,
            health_interval_ms,
            health_cpu_threshold,
            alert_cooldown_s,
            ssh_connect_timeout_ms: number("NETLEDGER_SSH_CONNECT_TIMEOUT_MS", 10_000, 600_000)?,
            ssh_command_timeout_ms: number("NETLEDGER_SSH_COMMAND_TIMEOUT_MS", 30_000, 3_600_000)?,
            ssh_max_sessions: usize::try_from(number("NETLEDGER_SSH_MAX_SESSIONS", 100, 10_000)?).unwrap_or(100),
            database_url: var("DATABASE_URL"),
            data_dir: var("NETLEDGER_DATA_DIR").map_or_else(|| PathBuf::from(".data"), PathBuf::from),
            addr,
            secure_cookies: var("NETLEDGER_SECURE_COOKIES").is_some_and(|v| v == "1" || v == "true"),
            session_hours,
            json_logs: var("NETLEDGER_LOG_FORMAT").is_some_and(|v| v == "json"),
        })
    }
}
