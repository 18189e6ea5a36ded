//! Passwords, sessions and sign-in throttling.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("hashing failed: {0}")]
    Hash(String),
}

pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

#[must_use]
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A random password for invitations and the first admin: 20 characters from an alphabet
/// without look-alikes, about 115 bits.
#[must_use]
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

/// A session token (sent to the browser) and the hash stored server-side, so a leaked
/// sessions table does not give working cookies.
#[must_use]
pub fn new_session_token() -> (String, Vec<u8>) {
    let bytes: [u8; 32] = rand::thread_rng().gen();
    let token = hex::encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

#[must_use]
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Sliding-window limit on failed sign-ins per account and per client address.
pub struct SignInThrottle {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
    max_failures: usize,
    window: Duration,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self { failures: Mutex::new(HashMap::new()), max_failures: 5, window: Duration::from_secs(60) }
    }
}

impl SignInThrottle {
    fn keys(username: &str, ip: Option<IpAddr>) -> Vec<String> {
        let mut k = vec![format!("user:{}", username.to_ascii_lowercase())];
        if let Some(ip) = ip {
            k.push(format!("ip:{ip}"));
        }
        k
    }

    /// Whether another attempt is allowed now.
    pub fn allowed(&self, username: &str, ip: Option<IpAddr>) -> bool {
        let now = Instant::now();
        let Ok(mut map) = self.failures.lock() else { return false };
        Self::keys(username, ip).iter().all(|k| {
            let v = map.entry(k.clone()).or_default();
            v.retain(|t| now.duration_since(*t) < self.window);
            // Per-address limit is looser: several people may share a NAT.
            let max = if k.starts_with("ip:") { self.max_failures * 4 } else { self.max_failures };
            v.len() < max
        })
    }

    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>) {
        if let Ok(mut map) = self.failures.lock() {
            for k in Self::keys(username, ip) {
                map.entry(k).or_default().push(Instant::now());
            }
            // Bound memory under a spray of random user names.
            if map.len() > 100_000 {
                map.clear();
            }
        }
    }

    pub fn record_success(&self, username: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&format!("user:{}", username.to_ascii_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn throttle_blocks_after_five_failures_per_account() {
        let t = SignInThrottle::default();
        for _ in 0..5 {
            assert!(t.allowed("bob", None));
            t.record_failure("bob", None);
        }
        assert!(!t.allowed("bob", None));
        assert!(t.allowed("alice", None));
    }

    #[test]
    fn session_tokens_are_random_and_hashed() {
        let (a, ha) = new_session_token();
        let (b, _) = new_session_token();
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), ha);
        assert_eq!(a.len(), 64);
    }
}
