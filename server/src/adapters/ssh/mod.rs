//! SSH transport to network devices (russh): platform drivers, limits, retries and host-key trust.
//!
//! [`SshTransport::open`] gives a [`DeviceSession`]: an interactive PTY shell, prepared by the
//! platform driver (paging off, width, enable), on which commands run one at a time with a
//! per-read timeout. The transport bounds concurrent sessions with one semaphore, retries connect
//! errors with exponential backoff and full jitter, keeps a circuit breaker per device, pins host
//! keys on first use through a [`HostKeyStore`], and can reach a device through a jump host.

mod breaker;
mod prompt;
mod session;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::device::Platform;
use rand::Rng;
use tokio::sync::Semaphore;

pub use breaker::BreakerState;
pub use prompt::{parse_prompt, Mode, Prompt};
pub use session::{backup, ConfigBackup, DeviceSession};

use breaker::{Admission, Breakers};

/// Failures of the SSH transport, by what the caller can do about them.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SshError {
    /// TCP or SSH handshake failure (retried by `open`).
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("timed out during {stage} after {after:?}")]
    Timeout { stage: &'static str, after: Duration },
    /// Wrong username/password or enable secret (never retried: retries would lock accounts).
    #[error("authentication failed")]
    Auth,
    #[error("host key mismatch: expected {expected}, device presented {presented}; refusing to connect")]
    HostKeyMismatch { expected: String, presented: String },
    #[error("circuit breaker open for this device; retry after {retry_after:?}")]
    CircuitOpen { retry_after: Duration },
    /// The device refused a configuration line (or a Junos commit).
    #[error("device rejected {line:?}: {output}")]
    Rejected { line: String, output: String },
    #[error("disconnected: {0}")]
    Disconnected(String),
    /// The device answered, but not as the driver expects (unknown prompt, mode not entered...).
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl SshError {
    /// Whether a new connection attempt may succeed where this one failed.
    fn is_transient_connect(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Timeout { stage: "connect", .. })
    }

    /// Whether this failure says the device is unreachable or broken (breaker food). Auth and host
    /// key failures prove the device answers; they go to the operator, not to the breaker.
    fn counts_against_device(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Timeout { .. } | Self::Disconnected(_) | Self::Protocol(_))
    }
}

/// Where and how to reach one device.
#[derive(Clone)]
pub struct SshTarget {
    pub device_id: String,
    pub host: String,
    pub port: u16,
    pub platform: Platform,
    pub username: String,
    pub password: String,
    pub enable_secret: Option<String>,
    pub jump: Option<JumpHost>,
}

/// A bastion that forwards to the device (SSH direct-tcpip).
#[derive(Clone)]
pub struct JumpHost {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
}

impl fmt::Debug for SshTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshTarget")
            .field("device_id", &self.device_id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("platform", &self.platform)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("enable_secret", &self.enable_secret.as_ref().map(|_| "<redacted>"))
            .field("jump", &self.jump)
            .finish()
    }
}

impl fmt::Debug for JumpHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JumpHost")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Limits and timings of the transport.
#[derive(Debug, Clone)]
pub struct SshConfig {
    /// TCP connect + SSH handshake + authentication + shell, per attempt.
    pub connect_timeout: Duration,
    /// Every read from an open session (a hung device times out here, other sessions go on).
    pub command_timeout: Duration,
    /// Sessions open at once across all devices.
    pub max_sessions: usize,
    /// Extra connect attempts after the first, on connect errors only.
    pub retries: u32,
    /// Backoff before retry n is uniform in [0, backoff_base × 2^n] (full jitter).
    pub backoff_base: Duration,
    /// Consecutive failed opens that open a device's breaker.
    pub breaker_failures: u32,
    pub breaker_cooldown: Duration,
}

impl Default for SshConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(30),
            max_sessions: 50,
            retries: 2,
            backoff_base: Duration::from_millis(200),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(60),
        }
    }
}

/// Trust on first use of device host keys. Fingerprints look like OpenSSH's: `SHA256:<base64>`.
#[async_trait]
pub trait HostKeyStore: Send + Sync {
    /// The fingerprint recorded for this device, if any.
    async fn known(&self, device_id: &str) -> Option<String>;
    /// Records the fingerprint seen on the first connection to a device.
    async fn trust_first_use(&self, device_id: &str, fingerprint: &str);
}

/// In-memory [`HostKeyStore`] for tests and the benchmark.
#[derive(Debug, Default)]
pub struct MemoryHostKeys {
    keys: Mutex<HashMap<String, String>>,
}

impl MemoryHostKeys {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Pre-seeds (or replaces) a device's fingerprint.
    pub fn insert(&self, device_id: &str, fingerprint: &str) {
        self.lock().insert(device_id.to_owned(), fingerprint.to_owned());
    }

    #[must_use]
    pub fn get(&self, device_id: &str) -> Option<String> {
        self.lock().get(device_id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl HostKeyStore for MemoryHostKeys {
    async fn known(&self, device_id: &str) -> Option<String> {
        self.get(device_id)
    }

    async fn trust_first_use(&self, device_id: &str, fingerprint: &str) {
        self.lock().entry(device_id.to_owned()).or_insert_with(|| fingerprint.to_owned());
    }
}

/// Opens prepared sessions to devices. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct SshTransport {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: SshConfig,
    client: Arc<russh::client::Config>,
    host_keys: Arc<dyn HostKeyStore>,
    sessions: Arc<Semaphore>,
    breakers: Breakers,
    device_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    attempts: AtomicU64,
}

/// Key exchanges, fastest safe ones first. SHA-1 exchanges are left out on purpose: devices that
/// only speak `diffie-hellman-group14-sha1` need an explicit, reviewed opt-in.
const KEX_ORDER: &[russh::kex::Name] = &[
    russh::kex::CURVE25519,
    russh::kex::CURVE25519_PRE_RFC_8731,
    russh::kex::MLKEM768X25519_SHA256,
    russh::kex::DH_G14_SHA256,
    russh::kex::DH_GEX_SHA256,
    russh::kex::DH_G16_SHA512,
    russh::kex::EXTENSION_SUPPORT_AS_CLIENT,
    russh::kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
];

/// AEAD ciphers first: they need no separate MAC pass.
const CIPHER_ORDER: &[russh::cipher::Name] = &[
    russh::cipher::AES_128_GCM,
    russh::cipher::AES_256_GCM,
    russh::cipher::CHACHA20_POLY1305,
    russh::cipher::AES_256_CTR,
    russh::cipher::AES_128_CTR,
];

impl SshTransport {
    #[must_use]
    pub fn new(config: SshConfig, host_keys: Arc<dyn HostKeyStore>) -> Self {
        let client = russh::client::Config {
            nodelay: true,
            preferred: russh::Preferred {
                kex: Cow::Borrowed(KEX_ORDER),
                cipher: Cow::Borrowed(CIPHER_ORDER),
                ..russh::Preferred::DEFAULT
            },
            ..Default::default()
        };
        let sessions = Arc::new(Semaphore::new(config.max_sessions.max(1)));
        let breakers = Breakers::new(config.breaker_failures, config.breaker_cooldown);
        Self {
            inner: Arc::new(Inner {
                config,
                client: Arc::new(client),
                host_keys,
                sessions,
                breakers,
                device_locks: Mutex::new(HashMap::new()),
                attempts: AtomicU64::new(0),
            }),
        }
    }

    #[must_use]
    pub fn config(&self) -> &SshConfig {
        &self.inner.config
    }

    /// Opens a prepared session. The session holds one of `max_sessions` permits until closed or
    /// dropped. Connect errors are retried; auth failures and host key mismatches are not.
    pub async fn open(&self, target: &SshTarget) -> Result<DeviceSession, SshError> {
        let inner = &self.inner;
        let device = target.device_id.as_str();
        if let Admission::Refused { retry_after } = inner.breakers.admit(device, Instant::now()) {
            return Err(SshError::CircuitOpen { retry_after });
        }
        // If this future is dropped mid-way, a half-open trial must not stay "in flight" forever.
        let mut trial = TrialGuard { breakers: &inner.breakers, device, settled: false };
        let mut attempt: u32 = 0;
        loop {
            let permit = Arc::clone(&inner.sessions)
                .acquire_owned()
                .await
                .map_err(|_| SshError::Connect("transport shut down".into()))?;
            inner.attempts.fetch_add(1, Ordering::Relaxed);
            match session::establish(target, inner, permit).await {
                Ok(session) => {
                    inner.breakers.record_success(device);
                    trial.settled = true;
                    return Ok(session);
                }
                Err(error) if error.is_transient_connect() && attempt < inner.config.retries => {
                    let delay = backoff(inner.config.backoff_base, attempt);
                    tracing::debug!(device, attempt, ?delay, %error, "ssh connect failed, retrying");
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                }
                Err(error) => {
                    if error.counts_against_device() {
                        inner.breakers.record_failure(device, Instant::now());
                    } else {
                        inner.breakers.record_success(device);
                    }
                    trial.settled = true;
                    tracing::info!(device, %error, "ssh open failed");
                    return Err(error);
                }
            }
        }
    }

    /// Serialises changes to one device: hold the guard for the whole change (push, checks, rollback).
    pub async fn lock_device(&self, device_id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.inner.device_locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(locks.entry(device_id.to_owned()).or_default())
        };
        lock.lock_owned().await
    }

    /// Connection attempts made so far (first tries and retries), for metrics and tests.
    #[must_use]
    pub fn connect_attempts(&self) -> u64 {
        self.inner.attempts.load(Ordering::Relaxed)
    }

    #[must_use]
    pub fn breaker_state(&self, device_id: &str) -> BreakerState {
        self.inner.breakers.state(device_id, Instant::now())
    }
}

struct TrialGuard<'a> {
    breakers: &'a Breakers,
    device: &'a str,
    settled: bool,
}

impl Drop for TrialGuard<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.breakers.release_trial(self.device);
        }
    }
}

/// Full jitter: uniform in [0, base × 2^attempt], capped at 30 s.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(1u32 << attempt.min(16)).min(Duration::from_secs(30));
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn backoff_stays_under_the_exponential_ceiling() {
        let base = Duration::from_millis(100);
        for attempt in 0..5 {
            for _ in 0..50 {
                assert!(backoff(base, attempt) <= base * (1 << attempt));
            }
        }
        assert!(backoff(base, 40) <= Duration::from_secs(30));
    }

    #[test]
    fn target_debug_hides_secrets() {
        let target = SshTarget {
            device_id: "r1".into(),
            host: "10.0.0.1".into(),
            port: 22,
            platform: Platform::CiscoIos,
            username: "netops".into(),
            password: "hunter2".into(),
            enable_secret: Some("s3cret".into()),
            jump: Some(JumpHost { host: "b".into(), port: 22, username: "u".into(), password: "jumppw".into() }),
        };
        let text = format!("{target:?}");
        assert!(!text.contains("hunter2") && !text.contains("s3cret") && !text.contains("jumppw"));
        assert!(text.contains("netops"));
    }

    #[tokio::test]
    async fn memory_host_keys_keep_the_first_fingerprint() {
        let keys = MemoryHostKeys::new();
        keys.trust_first_use("r1", "SHA256:a").await;
        keys.trust_first_use("r1", "SHA256:b").await;
        assert_eq!(keys.known("r1").await.as_deref(), Some("SHA256:a"));
        assert_eq!(keys.known("r2").await, None);
    }

    #[test]
    fn retry_and_breaker_classification() {
        assert!(SshError::Connect("refused".into()).is_transient_connect());
        assert!(SshError::Timeout { stage: "connect", after: Duration::from_secs(1) }.is_transient_connect());
        assert!(!SshError::Timeout { stage: "command", after: Duration::from_secs(1) }.is_transient_connect());
        assert!(!SshError::Auth.is_transient_connect());
        assert!(!SshError::Auth.counts_against_device());
        assert!(SshError::Connect("refused".into()).counts_against_device());
    }
}
