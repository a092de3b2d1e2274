//! What every Projects request goes through before its handler's own logic: reading the path,
//! query and form body without axum's plain-text rejections, checking the token and scope,
//! and finding the portal as the calling user sees it.

use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::HeaderMap;
use rusqlite::Connection;

use super::db;
use super::error::{ApiError, ApiResult};
use super::params::Params;
pub use super::rules::Caller;
use crate::sandbox::auth::{self, Principal};
use crate::sandbox::server::AppState;

/// Largest request body read; Zoho's own limit for form posts is far below it.
const MAX_BODY_BYTES: usize = 1 << 20;

/// A request's path parameters, headers and parameters.
#[derive(Debug)]
pub struct ApiRequest {
    pub headers: HeaderMap,
    path: Vec<(String, String)>,
    pub params: Params,
    /// Why the query or body could not be read; reported after the token is checked, so an
    /// unauthenticated request is a 401 whatever its body.
    unreadable: Option<ApiError>,
}

impl FromRequest<AppState> for ApiRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let path = match RawPathParams::from_request_parts(&mut parts, state).await {
            Ok(raw) => raw
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            Err(_) => return Err(unknown_url()),
        };
        let read = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
            Ok(bytes) => Params::from_request(parts.uri.query(), &parts.headers, &bytes),
            Err(_) => Err(ApiError::invalid(
                "The request body is too large or unreadable",
            )),
        };
        let (params, unreadable) = match read {
            Ok(params) => (params, None),
            Err(e) => (Params::default(), Some(e)),
        };
        Ok(ApiRequest {
            headers: parts.headers,
            path,
            params,
            unreadable,
        })
    }
}

/// A path parameter by name (always present: the route declares it); shared by the legacy
/// and V3 requests.
pub fn path_param<'a>(path: &'a [(String, String)], name: &str) -> &'a str {
    path.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// A positive numeric id; anything else names nothing (a 404 in either API).
pub fn positive_id(text: &str) -> Option<i64> {
    text.parse::<i64>().ok().filter(|id| *id > 0)
}

impl ApiRequest {
    /// A path parameter by name (always present: the route declares it).
    pub fn path(&self, name: &str) -> &str {
        path_param(&self.path, name)
    }

    /// A numeric id from the path; anything else names nothing, so it is a 404.
    pub fn path_id(&self, name: &str, what: &str) -> ApiResult<i64> {
        positive_id(self.path(name)).ok_or_else(|| ApiError::not_found(format!("{what} not found")))
    }
}

/// The 404 for a URL the API does not have.
pub fn unknown_url() -> ApiError {
    ApiError::not_found("Given URL is wrong")
}

/// Checks the token and `scope`, then runs `f` on the database.
pub fn with_principal<T>(
    state: &AppState,
    req: &ApiRequest,
    scope: &str,
    f: impl FnOnce(&Connection, &Principal) -> ApiResult<T>,
) -> ApiResult<T> {
    // The token lookup takes the store's lock itself, so it must run before `with`.
    let principal = auth::require(state, &req.headers, scope)?;
    if let Some(e) = &req.unreadable {
        return Err(e.clone());
    }
    state
        .store
        .with(|conn| db::atomically(conn, |conn| f(conn, &principal)))
}

/// Checks the token and `scope`, resolves the path's portal for the calling user and runs
/// `f` atomically: whatever `f` wrote is undone when it fails.
pub fn in_portal<T>(
    state: &AppState,
    req: &ApiRequest,
    scope: &str,
    f: impl FnOnce(&Connection, &Caller) -> ApiResult<T>,
) -> ApiResult<T> {
    with_principal(state, req, scope, |conn, principal| {
        let caller = Caller::resolve(conn, principal, req.path("portal_id"), &state.base_url)?;
        f(conn, &caller)
    })
}
