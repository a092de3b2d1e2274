//! A module's tags as settings (`GET|POST /settings/tags?module=`) and tag actions on one
//! record (`POST /{module}/{id}/actions/add_tags|remove_tags`): endpoints every real org
//! serves and Zoho's SDKs call (`TagsOperations`). Zoho's OAS folder has no tags.json, so
//! the shapes follow the SDK's models (docs/sandbox.md). Record tags themselves, and the
//! many-record actions, are in [`super::tags`].

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::context::{Params, caller, json_object, param_module, require_admin, wrapper_array};
use super::db::iso;
use super::respond::{self, ItemResult, success};
use super::tags::{action, find, resolve};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// Tags one module may hold (Zoho's documented per-module limit for paid editions).
pub const MAX_TAGS_PER_MODULE: usize = 1_000;
/// Tags one create call may carry.
const MAX_PER_CREATE: usize = 50;

fn module_tags(conn: &Connection, module: &str) -> rusqlite::Result<Vec<Value>> {
    conn.prepare(
        "SELECT id, name, color_code, created_ms FROM crm_tags WHERE module = ?1
         ORDER BY name COLLATE NOCASE, id",
    )?
    .query_map(params![module], |r| {
        let created = iso(r.get(3)?);
        Ok(json!({
            "id": r.get::<_, String>(0)?,
            "name": r.get::<_, String>(1)?,
            "color_code": r.get::<_, Option<String>>(2)?,
            "created_time": created,
            "modified_time": created,
            "created_by": null,
            "modified_by": null,
        }))
    })?
    .collect()
}

/// `GET /settings/tags?module=`: `{"tags":[...], "info":{"count","allowed_count"}}`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.tags.READ")?;
    let tags = state.store.with(|c| {
        let module = param_module(c, &params)?;
        Ok::<_, CrmError>(module_tags(c, &module.api_name)?)
    })?;
    let count = tags.len();
    Ok(respond::json(
        StatusCode::OK,
        json!({
            "tags": tags,
            "info": { "count": count, "allowed_count": MAX_TAGS_PER_MODULE },
        }),
    ))
}

/// One tag of a create call: a new name (else DUPLICATE_DATA), checked like record tags.
fn create_one(conn: &Connection, module: &str, item: &Value, path: &str) -> ItemResult {
    let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
    if !name.trim().is_empty() && find(conn, module, None, Some(name))?.is_some() {
        return Err(CrmError::duplicate("name", &format!("{path}.name")));
    }
    if item.get("id").is_some_and(|v| !v.is_null()) {
        return Err(CrmError::invalid_data("id", &format!("{path}.id")));
    }
    let count: i64 = conn.query_row(
        "SELECT COUNT(*) FROM crm_tags WHERE module = ?1",
        params![module],
        |r| r.get(0),
    )?;
    if count as usize >= MAX_TAGS_PER_MODULE {
        return Err(CrmError::new(
            StatusCode::BAD_REQUEST,
            "LIMIT_EXCEEDED",
            "tags limit exceeded",
        )
        .with_details(json!({ "limit": MAX_TAGS_PER_MODULE })));
    }
    let tag = resolve(conn, module, item, path, true)?;
    Ok(success(
        "tags created successfully",
        json!({ "id": tag.id, "name": tag.name, "color_code": tag.color_code }),
    ))
}

/// `POST /settings/tags?module=`: `{"tags":[{"name","color_code"?}]}`, per-item results.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    let who = caller(&state, &headers, "ZohoCRM.settings.tags.CREATE")?;
    require_admin(&who, "Crm_Implied_Manage_Tags")?;
    let body = json_object(&body)?;
    let items = wrapper_array(&body, "tags")?;
    if items.len() > MAX_PER_CREATE {
        return Err(CrmError::record_limit(MAX_PER_CREATE as u64));
    }
    let results = state.store.with(|c| {
        let module = param_module(c, &params)?;
        let tx = c.transaction()?;
        let results: Vec<ItemResult> = items
            .iter()
            .enumerate()
            .map(|(i, item)| create_one(&tx, &module.api_name, item, &format!("$.tags[{i}]")))
            .collect();
        tx.commit()?;
        Ok::<_, CrmError>(results)
    })?;
    Ok(respond::batch("tags", results, StatusCode::OK))
}

/// `POST /{module}/{id}/actions/add_tags`: `{"tags":[{"name"|"id"}], "over_write"?}`.
pub async fn add_to_record(
    State(state): State<AppState>,
    Path((module, id)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    action(state, (module, Some(id)), headers, params, body, true).await
}

/// `POST /{module}/{id}/actions/remove_tags`: `{"tags":[{"name"|"id"}]}`.
pub async fn remove_from_record(
    State(state): State<AppState>,
    Path((module, id)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    action(state, (module, Some(id)), headers, params, body, false).await
}
