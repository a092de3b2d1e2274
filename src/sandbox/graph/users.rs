//! Directory users of the caller's tenant: `GET /users` (`$top`, `$select`, `$filter`,
//! `$skiptoken` paging) and `GET /users/{id | userPrincipalName}`.

use axum::Json;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use super::auth::authenticate;
use super::db;
use super::error::GraphError;
use super::items::options;
use super::render;
use super::{USER_READ_ROLES, query::Options};
use crate::sandbox::server::AppState;

type RawPairs =
    Result<axum::extract::Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>;

/// Graph's default and largest page of users.
const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 999;

/// A user as Graph shows one: the default properties, or those `$select` names. Like Graph,
/// `accountEnabled` comes only when selected (every sandbox user is enabled).
fn view(u: &db::User, opts: &Options) -> Value {
    let mut user = render::user(u);
    let selected = |name: &str| {
        opts.select
            .as_ref()
            .is_some_and(|s| s.iter().any(|f| f.eq_ignore_ascii_case(name)))
    };
    if selected("accountEnabled") {
        user.insert("accountEnabled".into(), Value::Bool(true));
    }
    Value::Object(render::select(user, opts))
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: OriginalUri,
    query: RawPairs,
) -> Result<Json<Value>, GraphError> {
    let caller = authenticate(&state, &headers)?;
    caller.require(USER_READ_ROLES, GraphError::directory_access_denied)?;
    let opts = options(query)?;
    let top = opts.top.unwrap_or(DEFAULT_TOP);
    if top == 0 || top > MAX_TOP {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "Request_UnsupportedQuery",
            format!(
                "Invalid page size specified: '{top}'. Must be between 1 and {MAX_TOP} inclusive."
            ),
        ));
    }
    let skip = match &opts.skiptoken {
        Some(t) => t.parse::<usize>().map_err(|_| {
            GraphError::new(
                StatusCode::BAD_REQUEST,
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            )
        })?,
        None => 0,
    };
    let users = state
        .store
        .with(|c| db::list_users(c, &caller.tenant, 0, usize::MAX >> 1))?;
    let matching: Vec<&db::User> = users
        .iter()
        .filter(|u| {
            opts.filter
                .as_ref()
                .is_none_or(|f| f.matches(&Value::Object(render::user(u))))
        })
        .collect();
    let value: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(top)
        .map(|u| view(u, &opts))
        .collect();
    let mut body = json!({
        "@odata.context": format!("{}/graph/v1.0/$metadata#users", state.base_url),
        "value": value,
    });
    if skip.saturating_add(top) < matching.len() {
        body["@odata.nextLink"] = json!(format!(
            "{}{}?{}",
            state.base_url,
            uri.path(),
            opts.next_query(("$skiptoken", (skip.saturating_add(top)).to_string()))
        ));
    }
    Ok(Json(body))
}

pub async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
    query: RawPairs,
) -> Result<Json<Value>, GraphError> {
    let caller = authenticate(&state, &headers)?;
    caller.require(USER_READ_ROLES, GraphError::directory_access_denied)?;
    let opts = options(query)?;
    let user = state
        .store
        .with(|c| db::find_user(c, &caller.tenant, &user_id))?
        .ok_or_else(|| {
            GraphError::new(
                StatusCode::NOT_FOUND,
                "Request_ResourceNotFound",
                format!(
                    "Resource '{user_id}' does not exist or one of its queried reference-property \
                     objects are not present."
                ),
            )
        })?;
    Ok(Json(view(&user, &opts)))
}
