//! Secrets at rest: AES-256-GCM under one master key, for device credentials (`vault_secrets`)
//! and configuration text (`config_blobs`, content-addressed by the SHA-256 of the text).
//!
//! The master key comes from `NETLEDGER_MASTER_KEY` (64 hex characters) or from
//! `<data dir>/master.key`, created with mode 0600 on first start. Each ciphertext is bound to its
//! row id as associated data, so a ciphertext copied onto another row does not decrypt.

use std::fmt;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::Aes256Gcm;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("master key: {0}")]
    Key(String),
    #[error("secret {0} cannot be decrypted (wrong master key or tampered row)")]
    Decrypt(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored secret {0} is malformed")]
    Malformed(String),
}

/// Credentials to log in to a device. `Debug` never shows the secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub enable_secret: Option<String>,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential").field("username", &self.username).field("password", &"***").finish()
    }
}

#[derive(Clone)]
pub struct Vault {
    pool: PgPool,
    cipher: Aes256Gcm,
}

const NONCE_LEN: usize = 12;

/// Reads the master key from the environment, or from the key file (created when missing).
pub fn load_master_key(data_dir: &Path) -> Result<[u8; 32], VaultError> {
    if let Ok(hex_key) = std::env::var("NETLEDGER_MASTER_KEY") {
        let bytes = hex::decode(hex_key.trim()).map_err(|e| VaultError::Key(format!("NETLEDGER_MASTER_KEY: {e}")))?;
        return bytes.try_into().map_err(|_| VaultError::Key("NETLEDGER_MASTER_KEY must be 64 hex characters".into()));
    }
    let path = data_dir.join("master.key");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let bytes = hex::decode(text.trim()).map_err(|e| VaultError::Key(format!("{}: {e}", path.display())))?;
            bytes.try_into().map_err(|_| VaultError::Key(format!("{} must hold 64 hex characters", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            std::fs::create_dir_all(data_dir).map_err(|e| VaultError::Key(e.to_string()))?;
            match write_private(&path, &hex::encode(key)) {
                Ok(()) => {
                    tracing::info!(path = %path.display(), "created a new vault master key");
                    Ok(key)
                }
                // Another process created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_master_key(data_dir),
                Err(e) => Err(VaultError::Key(format!("{}: {e}", path.display()))),
            }
        }
        Err(e) => Err(VaultError::Key(format!("{}: {e}", path.display()))),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// The SHA-256 of a configuration text, as its blob name.
#[must_use]
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl Vault {
    pub fn new(pool: PgPool, key: &[u8; 32]) -> Result<Self, VaultError> {
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|e| VaultError::Key(e.to_string()))?;
        Ok(Self { pool, cipher })
    }

    fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<(Vec<u8>, Vec<u8>), VaultError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(&nonce.into(), Payload { msg: plaintext, aad: aad.as_bytes() })
            .map_err(|_| VaultError::Key("encryption failed".into()))?;
        Ok((nonce.to_vec(), ct))
    }

    fn open(&self, aad: &str, nonce: &[u8], ct: &[u8]) -> Result<Vec<u8>, VaultError> {
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| VaultError::Malformed(aad.to_owned()))?;
        self.cipher
            .decrypt(&nonce.into(), Payload { msg: ct, aad: aad.as_bytes() })
            .map_err(|_| VaultError::Decrypt(aad.to_owned()))
    }

    /// Stores (or replaces) a credential under `id`.
    pub async fn put_credential(&self, id: &str, purpose: &str, cred: &Credential) -> Result<(), VaultError> {
        let plain = serde_json::to_vec(cred).map_err(|e| VaultError::Malformed(e.to_string()))?;
        let (nonce, ct) = self.seal(id, &plain)?;
        sqlx::query(
            "INSERT INTO vault_secrets (id, purpose, nonce, ciphertext) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET purpose = $2, nonce = $3, ciphertext = $4, updated_at = now()",
        )
        .bind(id)
        .bind(purpose)
        .bind(nonce)
        .bind(ct)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Ids, purposes and update times of stored credentials (never the secrets).
    pub async fn list_credentials(&self) -> Result<Vec<(String, String, chrono::DateTime<chrono::Utc>)>, VaultError> {
        let rows =
            sqlx::query("SELECT id, purpose, updated_at FROM vault_secrets ORDER BY id").fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| (r.get("id"), r.get("purpose"), r.get("updated_at"))).collect())
    }

    pub async fn credential(&self, id: &str) -> Result<Option<Credential>, VaultError> {
        let Some(row) = sqlx::query("SELECT nonce, ciphertext FROM vault_secrets WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let plain = self.open(id, row.get("nonce"), row.get("ciphertext"))?;
        serde_json::from_slice(&plain).map(Some).map_err(|_| VaultError::Malformed(id.to_owned()))
    }

    /// Stores a configuration text; returns its hash. Storing the same text again is a no-op.
    pub async fn put_config(&self, text: &str) -> Result<String, VaultError> {
        let hash = content_hash(text);
        let (nonce, ct) = self.seal(&hash, text.as_bytes())?;
        sqlx::query(
            "INSERT INTO config_blobs (hash, nonce, ciphertext, bytes) VALUES ($1, $2, $3, $4)
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(&hash)
        .bind(nonce)
        .bind(ct)
        .bind(i32::try_from(text.len()).unwrap_or(i32::MAX))
        .execute(&self.pool)
        .await?;
        Ok(hash)
    }

    pub async fn config(&self, hash: &str) -> Result<Option<String>, VaultError> {
        let Some(row) = sqlx::query("SELECT nonce, ciphertext FROM config_blobs WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let plain = self.open(hash, row.get("nonce"), row.get("ciphertext"))?;
        let text = String::from_utf8(plain).map_err(|_| VaultError::Malformed(hash.to_owned()))?;
        // Content addressing doubles as an integrity check of the decrypted text.
        if content_hash(&text) != hash {
            return Err(VaultError::Decrypt(hash.to_owned()));
        }
        Ok(Some(text))
    }
}
