//! Zoho Accounts: the OAuth token endpoint (refresh-token grant) and revocation. Clients,
//! refresh tokens and their scopes come from the seed; access tokens live in SQLite so they
//! survive a restart, and expire after the configured TTL.

use axum::Router;
use rusqlite::{Connection, OptionalExtension};

use super::auth::Principal;
use super::server::AppState;
use super::store::Store;

pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS oauth_clients (
            client_id TEXT PRIMARY KEY,
            client_secret TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS refresh_tokens (
            token TEXT PRIMARY KEY,
            client_id TEXT NOT NULL REFERENCES oauth_clients(client_id),
            user_email TEXT NOT NULL,
            scopes TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS access_tokens (
            token TEXT PRIMARY KEY,
            refresh_token TEXT NOT NULL,
            client_id TEXT NOT NULL,
            user_email TEXT NOT NULL,
            scopes TEXT NOT NULL,
            expires_at_ms INTEGER NOT NULL
        );",
    )
}

/// The principal for a live access token, or `None` when unknown or expired.
pub fn lookup_access_token(store: &Store, token: &str) -> Option<Principal> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    store.with(|c| {
        c.query_row(
            "SELECT client_id, user_email, scopes FROM access_tokens
             WHERE token = ?1 AND expires_at_ms > ?2",
            rusqlite::params![token, now_ms],
            |row| {
                let scopes: String = row.get(2)?;
                Ok(Principal {
                    client_id: row.get(0)?,
                    user_email: row.get(1)?,
                    scopes: scopes.split_whitespace().map(str::to_string).collect(),
                })
            },
        )
        .optional()
        .ok()
        .flatten()
    })
}

pub fn router() -> Router<AppState> {
    Router::new()
}
