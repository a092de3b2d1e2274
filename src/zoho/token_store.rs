//! Access tokens kept between runs. Zoho issues at most ten access tokens per refresh token
//! per ten minutes, so a CLI that asked for a fresh token on every invocation would lock
//! itself (and every other integration on that grant) out during a busy CI hour. Tokens are
//! keyed by a digest of the grant, never by the refresh token itself, and the file is
//! readable by its owner only.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An access token and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    pub access_token: String,
    pub api_domain: Option<String>,
    /// Unix time (seconds) at which Zoho expires the token.
    pub expires_at: i64,
}

/// Somewhere to keep access tokens between runs.
pub trait TokenStore: Send + Sync {
    fn load(&self, key: &str) -> Option<StoredToken>;
    fn save(&self, key: &str, token: &StoredToken);
    fn forget(&self, key: &str);
}

/// The key of a grant: a digest of the token endpoint, client id and refresh token.
pub fn grant_key(token_url: &str, client_id: &str, refresh_token: &str) -> String {
    let mut hash = Sha256::new();
    for part in [token_url, client_id, refresh_token] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    hash.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Tokens in a JSON file (`<state-dir>/tokens.json`), mode 0600.
pub struct FileTokenStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileTokenStore {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    fn read(&self) -> BTreeMap<String, StoredToken> {
        std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Best effort: a token that cannot be stored is simply requested again next run.
    fn write(&self, tokens: &BTreeMap<String, StoredToken>) {
        let now = chrono::Utc::now().timestamp();
        let live: BTreeMap<&String, &StoredToken> =
            tokens.iter().filter(|(_, t)| t.expires_at > now).collect();
        let Ok(text) = serde_json::to_string_pretty(&live) else {
            return;
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::create_dir_all(dir);
        }
        let tmp = self.path.with_extension("json.tmp");
        if write_private(&tmp, &text).is_ok() {
            let _ = std::fs::rename(&tmp, &self.path);
        }
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

impl TokenStore for FileTokenStore {
    fn load(&self, key: &str) -> Option<StoredToken> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        self.read().remove(key)
    }

    fn save(&self, key: &str, token: &StoredToken) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut tokens = self.read();
        tokens.insert(key.to_string(), token.clone());
        self.write(&tokens);
    }

    fn forget(&self, key: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut tokens = self.read();
        if tokens.remove(key).is_some() {
            self.write(&tokens);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_survive_a_new_store_and_expired_ones_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        let now = chrono::Utc::now().timestamp();
        let store = FileTokenStore::new(&path);
        let live = StoredToken {
            access_token: "a".into(),
            api_domain: None,
            expires_at: now + 3600,
        };
        store.save("k1", &live);
        store.save(
            "k2",
            &StoredToken {
                expires_at: now - 1,
                ..live.clone()
            },
        );
        let again = FileTokenStore::new(&path);
        assert_eq!(again.load("k1"), Some(live));
        assert_eq!(again.load("k2"), None);
        again.forget("k1");
        assert_eq!(FileTokenStore::new(&path).load("k1"), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        FileTokenStore::new(&path).save(
            "k",
            &StoredToken {
                access_token: "a".into(),
                api_domain: None,
                expires_at: chrono::Utc::now().timestamp() + 60,
            },
        );
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "mode {mode:o}");
    }

    #[test]
    fn grant_keys_do_not_contain_the_refresh_token() {
        let key = grant_key(
            "https://accounts.zoho.com/oauth/v2/token",
            "id",
            "1000.secret-refresh",
        );
        assert!(!key.contains("secret"));
        assert_ne!(
            key,
            grant_key(
                "https://accounts.zoho.com/oauth/v2/token",
                "id",
                "1000.other"
            )
        );
    }
}
