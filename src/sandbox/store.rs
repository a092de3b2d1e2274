//! SQLite persistence for the sandbox: one connection behind a mutex, each API area owning
//! its own tables (created by that area's `migrate`).

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Shared handle to the sandbox database.
///
/// Every request runs its reads and writes inside one closure holding the lock, which makes
/// each API call atomic, as the real service's calls are.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database file, or an in-memory database when `path` is
    /// `None`, and creates every area's tables.
    pub fn open(path: Option<&Path>) -> rusqlite::Result<Self> {
        let conn = match path {
            Some(p) => Connection::open(p)?,
            None => Connection::open_in_memory()?,
        };
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Tests and tools may open the same file alongside a running sandbox.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = Store {
            conn: Arc::new(Mutex::new(conn)),
        };
        store.with(|c| {
            super::accounts::migrate(c)?;
            super::crm::migrate(c)?;
            super::projects::migrate(c)?;
            super::graph::migrate(c)?;
            Ok::<_, rusqlite::Error>(())
        })?;
        Ok(store)
    }

    /// Runs `f` with exclusive access to the connection.
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        // A panic while holding the lock leaves SQLite consistent (statements are atomic),
        // so a poisoned lock is safe to keep using.
        let mut guard = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}
