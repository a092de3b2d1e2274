//! Zoho Accounts: the OAuth token endpoint (refresh-token grant) and revocation. Clients,
//! refresh tokens and their scopes come from the seed; access tokens live in SQLite so they
//! survive a restart, and expire after the configured TTL.
//!
//! Zoho Accounts answers a bad grant with HTTP 200 and `{"error":"invalid_code"}` (and a bad
//! client with `{"error":"invalid_client"}`) rather than a 4xx status. (unconfirmed: widely
//! reported by client authors; Zoho's pages show only the success body.)

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::Rng;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::auth::Principal;
use super::seed::OAuthClientSeed;
use super::server::AppState;
use super::store::Store;

/// Access tokens one refresh token may mint per ten minutes (Zoho's documented limit).
pub const TOKENS_PER_TEN_MINUTES: u32 = 10;

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
            expires_at_ms INTEGER NOT NULL,
            issued_at_ms INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS access_tokens_by_refresh
            ON access_tokens(refresh_token, issued_at_ms);",
    )
}

/// Inserts the seed's OAuth clients and their refresh tokens.
pub fn load_clients(conn: &Connection, clients: &[OAuthClientSeed]) -> rusqlite::Result<()> {
    for client in clients {
        conn.execute(
            "INSERT OR REPLACE INTO oauth_clients(client_id, client_secret) VALUES (?1, ?2)",
            params![client.client_id, client.client_secret],
        )?;
        for grant in &client.refresh_tokens {
            conn.execute(
                "INSERT OR REPLACE INTO refresh_tokens(token, client_id, user_email, scopes)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    grant.token,
                    client.client_id,
                    grant.user,
                    grant.scopes.join(" ")
                ],
            )?;
        }
    }
    Ok(())
}

/// An OAuth client and its live grants.
#[derive(Debug, Clone)]
pub struct ClientGrants {
    pub client_id: String,
    pub client_secret: String,
    /// `(refresh token, user email)` pairs.
    pub grants: Vec<(String, String)>,
}

/// The seeded clients and their grants, for `sandbox serve` to print.
pub fn clients(store: &Store) -> rusqlite::Result<Vec<ClientGrants>> {
    store.with(|c| {
        let mut stmt =
            c.prepare("SELECT client_id, client_secret FROM oauth_clients ORDER BY 1")?;
        let clients: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for (id, secret) in clients {
            let mut stmt = c.prepare(
                "SELECT token, user_email FROM refresh_tokens
                 WHERE client_id = ?1 AND revoked = 0 ORDER BY rowid",
            )?;
            let grants = stmt
                .query_map(params![id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            out.push(ClientGrants {
                client_id: id,
                client_secret: secret,
                grants,
            });
        }
        Ok(out)
    })
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

/// Decodes `application/x-www-form-urlencoded` text (also a query string).
fn form_pairs(text: &str) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    let hex = |b: u8| (b as char).to_digit(16);
                    match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                        (Some(high), Some(low)) => {
                            out.push((high * 16 + low) as u8);
                            i += 2;
                        }
                        _ => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(pair), String::new()),
        })
        .collect()
}

/// Parameters from the query string, the form body and HTTP Basic auth, in that order of
/// precedence for duplicates (form fields win over the query string).
fn token_params(uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Vec<(String, String)> {
    let mut params = form_pairs(uri.query().unwrap_or(""));
    params.extend(form_pairs(&String::from_utf8_lossy(body)));
    if let Some(basic) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        && let Some((id, secret)) = basic.split_once(':')
    {
        params.push(("client_id".into(), id.to_string()));
        params.push(("client_secret".into(), secret.to_string()));
    }
    params
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn oauth_error(error: &str) -> Response {
    (StatusCode::OK, Json(json!({ "error": error }))).into_response()
}

fn random_token() -> String {
    let mut rng = rand::rng();
    let hex = |rng: &mut rand::rngs::ThreadRng| -> String {
        (0..16)
            .map(|_| format!("{:02x}", rng.random::<u8>()))
            .collect()
    };
    format!("1000.{}.{}", hex(&mut rng), hex(&mut rng))
}

/// `POST /oauth/v2/token` with `grant_type=refresh_token`.
pub async fn token(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = token_params(&uri, &headers, &body);
    let grant_type = param(&params, "grant_type");
    let (Some(client_id), Some(client_secret)) =
        (param(&params, "client_id"), param(&params, "client_secret"))
    else {
        return oauth_error("invalid_client");
    };
    match grant_type {
        Some("refresh_token") => {}
        Some(_) => return oauth_error("unsupported_grant_type"),
        None => return oauth_error("invalid_request"),
    }
    let Some(refresh) = param(&params, "refresh_token") else {
        return oauth_error("invalid_request");
    };
    let grant = RefreshGrant {
        client_id,
        client_secret,
        refresh,
    };
    let ttl = state.config.token_ttl;
    let limit = state.config.token_requests_per_10_min;
    let issued = state.store.with(|c| grant.issue(c, ttl, limit));
    match issued {
        Ok(Ok((token, scopes))) => Json(json!({
            "access_token": token,
            "scope": scopes,
            "api_domain": state.base_url.to_string(),
            "token_type": "Bearer",
            "expires_in": ttl.as_secs(),
        }))
        .into_response(),
        Ok(Err("Access Denied")) => (
            StatusCode::BAD_REQUEST,
            Json(json!({
                "error_description":
                    "You have made too many requests continuously. Please try again after some time.",
                "error": "Access Denied",
                "status": "failure",
            })),
        )
            .into_response(),
        Ok(Err(code)) => oauth_error(code),
        Err(e) => {
            tracing::error!(error = %e, "sandbox token endpoint database error");
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": "server_error" })))
                .into_response()
        }
    }
}

/// A refresh-token grant as `POST /oauth/v2/token` received it.
struct RefreshGrant<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    refresh: &'a str,
}

impl RefreshGrant<'_> {
    /// Issues an access token with the grant's scopes, or names Zoho's error code: a wrong
    /// client or secret, an unknown or revoked refresh token, or more than `limit` tokens from
    /// this refresh token in ten minutes.
    fn issue(
        &self,
        c: &Connection,
        ttl: Duration,
        limit: Option<u32>,
    ) -> rusqlite::Result<Result<(String, String), &'static str>> {
        let (client_id, refresh) = (self.client_id, self.refresh);
        let now = chrono::Utc::now().timestamp_millis();
        let secret: Option<String> = c
            .query_row(
                "SELECT client_secret FROM oauth_clients WHERE client_id = ?1",
                params![client_id],
                |r| r.get(0),
            )
            .optional()?;
        if secret.as_deref() != Some(self.client_secret) {
            return Ok(Err("invalid_client"));
        }
        let grant: Option<(String, String)> = c
            .query_row(
                "SELECT user_email, scopes FROM refresh_tokens
                 WHERE token = ?1 AND client_id = ?2 AND revoked = 0",
                params![refresh, client_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((user, scopes)) = grant else {
            return Ok(Err("invalid_code"));
        };
        if let Some(limit) = limit {
            let recent: i64 = c.query_row(
                "SELECT COUNT(*) FROM access_tokens
                 WHERE refresh_token = ?1 AND issued_at_ms > ?2",
                params![refresh, now - 10 * 60 * 1000],
                |r| r.get(0),
            )?;
            if recent >= i64::from(limit) {
                return Ok(Err("Access Denied"));
            }
        }
        let token = random_token();
        c.execute(
            "INSERT INTO access_tokens(token, refresh_token, client_id, user_email, scopes,
                expires_at_ms, issued_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                token,
                refresh,
                client_id,
                user,
                scopes,
                now + ttl.as_millis() as i64,
                now
            ],
        )?;
        Ok(Ok((token, scopes)))
    }
}

/// `POST /oauth/v2/token/revoke?token=<refresh token>`: revokes the grant and every access
/// token it issued (an access token may be revoked on its own too).
pub async fn revoke(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = token_params(&uri, &headers, &body);
    let Some(token) = param(&params, "token") else {
        return oauth_error("invalid_request");
    };
    let result = state.store.with(|c| -> rusqlite::Result<()> {
        c.execute(
            "UPDATE refresh_tokens SET revoked = 1 WHERE token = ?1",
            params![token],
        )?;
        c.execute(
            "DELETE FROM access_tokens WHERE refresh_token = ?1 OR token = ?1",
            params![token],
        )?;
        Ok(())
    });
    match result {
        Ok(()) => Json(json!({ "status": "success" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "sandbox revoke database error");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "server_error" })),
            )
                .into_response()
        }
    }
}

pub fn router() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/oauth/v2/token", axum::routing::post(token))
        .route("/oauth/v2/token/revoke", axum::routing::post(revoke))
        // A grant is a few form fields; a larger body is refused before it is read whole.
        .layer(axum::extract::DefaultBodyLimit::max(
            super::request_limits::TOKEN_MAX_BODY,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode_plus_and_percent() {
        let pairs = form_pairs("a=1+2&b=%40x%2Fy&c&d=%zz");
        assert_eq!(pairs[0], ("a".into(), "1 2".into()));
        assert_eq!(pairs[1], ("b".into(), "@x/y".into()));
        assert_eq!(pairs[2], ("c".into(), String::new()));
        assert_eq!(pairs[3], ("d".into(), "%zz".into()));
    }

    #[test]
    fn tokens_look_like_zoho_tokens() {
        let t = random_token();
        assert!(t.starts_with("1000."));
        assert_eq!(t.split('.').count(), 3);
        assert_ne!(t, random_token());
    }
}
