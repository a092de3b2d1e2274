//! The Microsoft identity platform's client-credentials grant
//! (`POST /login/{tenant}/oauth2/v2.0/token`) and the checks every Graph call makes on its
//! bearer token: present, known, unexpired, and carrying an application role the endpoint
//! accepts.

use std::collections::HashMap;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use rand::Rng;
use rusqlite::Connection;
use serde_json::json;

use super::db;
use super::error::{GraphError, oauth_error};
use crate::sandbox::server::AppState;

/// The only scope a client-credentials grant may ask for on Graph.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// `POST /login/{tenant}/oauth2/v2.0/token`.
pub async fn token(
    State(state): State<AppState>,
    Path(tenant): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "AADSTS900144: The request body must be application/x-www-form-urlencoded.",
        );
    };
    let grant = match Grant::read(&form) {
        Ok(grant) => grant,
        Err(refusal) => return refusal.answer(),
    };
    let ttl = state.config.token_ttl;
    let outcome = state.store.with(|conn| -> rusqlite::Result<Response> {
        Ok(match grant.app(conn, &tenant)? {
            Ok(app) => issue(conn, &tenant, grant.client_id, &app, ttl)?,
            Err(refusal) => refusal.answer(),
        })
    });
    outcome.unwrap_or_else(|e| {
        oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "temporarily_unavailable",
            &e.to_string(),
        )
    })
}

/// The fields of a client-credentials request, each present and non-empty but the secret
/// (a missing secret is answered as a wrong one, as Microsoft does).
struct Grant<'a> {
    client_id: &'a str,
    client_secret: Option<&'a str>,
    scope: &'a str,
}

impl<'a> Grant<'a> {
    /// The grant, or the answer refusing a missing field or another grant type.
    fn read(form: &'a HashMap<String, String>) -> Result<Self, Refusal> {
        let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
        let missing = |name: &str| {
            Refusal::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!(
                    "AADSTS900144: The request body must contain the following parameter: '{name}'."
                ),
            )
        };
        let grant_type = field("grant_type").ok_or_else(|| missing("grant_type"))?;
        if grant_type != "client_credentials" {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!("AADSTS70003: The app requested an unsupported grant type '{grant_type}'."),
            ));
        }
        let client_id = field("client_id").ok_or_else(|| missing("client_id"))?;
        let scope = field("scope").ok_or_else(|| missing("scope"))?;
        Ok(Grant {
            client_id,
            client_secret: field("client_secret"),
            scope,
        })
    }

    /// The app registration the grant authenticates as, or the answer refusing an unknown
    /// tenant or app, a wrong secret or a scope other than Graph's `.default`.
    fn app(&self, conn: &Connection, tenant: &str) -> rusqlite::Result<Result<db::App, Refusal>> {
        let client_id = self.client_id;
        if !db::tenant_exists(conn, tenant)? {
            return Ok(Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                format!(
                    "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the \
                     correct tenant ID and are signing into the correct cloud."
                ),
            )));
        }
        let Some(app) = db::find_app(conn, tenant, client_id)? else {
            return Ok(Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                format!(
                    "AADSTS700016: Application with identifier '{client_id}' was not found in \
                     the directory '{tenant}'."
                ),
            )));
        };
        if self.client_secret != Some(app.client_secret.as_str()) {
            return Ok(Err(Refusal::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                format!(
                    "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent \
                     in the request is the client secret value, not the client secret ID, for a \
                     secret added to app '{client_id}'."
                ),
            )));
        }
        let scope = self.scope;
        if !scope.eq_ignore_ascii_case(GRAPH_DEFAULT_SCOPE) {
            return Ok(Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                format!(
                    "AADSTS1002012: The provided value for scope {scope} is not valid. Client \
                     credential flows must have a scope value with /.default suffixed to the \
                     resource identifier (application ID URI)."
                ),
            )));
        }
        Ok(Ok(app))
    }
}

/// An OAuth error the token endpoint answers with, in Microsoft's `AADSTS` wording.
struct Refusal {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl Refusal {
    fn new(status: StatusCode, error: &'static str, description: String) -> Self {
        Refusal {
            status,
            error,
            description,
        }
    }

    fn answer(&self) -> Response {
        oauth_error(self.status, self.error, &self.description)
    }
}

/// Issues and stores an access token for `app`, answered as Microsoft's token endpoint does.
fn issue(
    conn: &Connection,
    tenant: &str,
    client_id: &str,
    app: &db::App,
    ttl: Duration,
) -> rusqlite::Result<Response> {
    let bytes: [u8; 48] = rand::rng().random();
    let expires_ms = chrono::Utc::now()
        .timestamp_millis()
        .saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
    // Shaped like Microsoft's app-only tokens: a JWT whose payload names the tenant,
    // the app and its application permissions in `roles` (the signature is random).
    let claims = json!({
        "aud": "https://graph.microsoft.com",
        "tid": tenant,
        "appid": client_id,
        "roles": app.roles,
        "exp": expires_ms / 1000,
    });
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let token = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.{}.{}",
        b64(claims.to_string().as_bytes()),
        b64(&bytes)
    );
    db::insert_token(conn, &token, tenant, client_id, &app.roles, expires_ms)?;
    let secs = ttl.as_secs();
    Ok(Json(json!({
        "token_type": "Bearer",
        "expires_in": secs,
        "ext_expires_in": secs,
        "access_token": token,
    }))
    .into_response())
}

/// A validated access token: the tenant it was issued in and the app's roles.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: String,
    pub roles: Vec<String>,
}

impl Caller {
    /// Passes when the caller holds one of `roles`.
    pub fn require(&self, roles: &[&str], denied: fn() -> GraphError) -> Result<(), GraphError> {
        if self
            .roles
            .iter()
            .any(|held| roles.iter().any(|r| r.eq_ignore_ascii_case(held)))
        {
            Ok(())
        } else {
            Err(denied())
        }
    }
}

/// Checks the `Authorization: Bearer` header.
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, GraphError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or("");
    if token.is_empty() {
        return Err(GraphError::unauthenticated("Access token is empty."));
    }
    let found = state.store.with(|conn| db::find_token(conn, token))?;
    let Some(found) = found else {
        return Err(GraphError::unauthenticated(
            "IDX14100: JWT is not well formed, there are no dots (.).",
        ));
    };
    if found.expires_ms <= chrono::Utc::now().timestamp_millis() {
        return Err(GraphError::unauthenticated(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    Ok(Caller {
        tenant: found.tenant,
        roles: found.roles,
    })
}
