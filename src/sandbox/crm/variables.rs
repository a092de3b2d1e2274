//! Org variables: `GET/POST/PUT/DELETE /settings/variables` and
//! `GET/PUT/DELETE /settings/variables/{id or api_name}`. Zoho's OpenAPI file answers every
//! variable write with 201, so the sandbox does too.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::context::{Params, caller, json_object, opt_str, require_admin, wrapper_array};
use super::db::next_id;
use super::fields::api_name_from_label;
use super::respond::{self, ItemResult, success};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

const CUSTOMIZE: &str = "Crm_Implied_Customize_Zoho_CRM";

pub const TYPES: &[&str] = &[
    "text", "textarea", "integer", "long", "double", "percent", "currency", "date", "datetime",
    "phone", "website", "email", "checkbox",
];

/// The group variables land in when none is named.
pub fn default_group(conn: &Connection) -> rusqlite::Result<String> {
    if let Some(id) = conn
        .query_row(
            "SELECT id FROM crm_variable_groups WHERE api_name = 'General'",
            [],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(id);
    }
    let id = next_id(conn)?;
    conn.execute(
        "INSERT INTO crm_variable_groups(id, api_name, name) VALUES (?1, 'General', 'General')",
        params![id],
    )?;
    Ok(id)
}

fn render_all(conn: &Connection, only: Option<&str>) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare(
        "SELECT v.id, v.api_name, v.name, v.type, v.value, v.description,
                g.id, g.api_name, g.name
         FROM crm_variables v JOIN crm_variable_groups g ON g.id = v.group_id
         WHERE ?1 IS NULL OR v.id = ?1 OR v.api_name = ?1
         ORDER BY v.id",
    )?;
    stmt.query_map(params![only], |r| {
        let value: String = r.get(4)?;
        Ok(json!({
            "api_name": r.get::<_, String>(1)?,
            "name": r.get::<_, String>(2)?,
            "description": r.get::<_, Option<String>>(5)?,
            "source": "crm",
            "id": r.get::<_, String>(0)?,
            "type": r.get::<_, String>(3)?,
            "variable_group": {
                "id": r.get::<_, String>(6)?,
                "api_name": r.get::<_, String>(7)?,
                "name": r.get::<_, String>(8)?,
            },
            "read_only": false,
            "value": serde_json::from_str::<Value>(&value).unwrap_or(Value::Null),
        }))
    })?
    .collect()
}

/// Checks a variable value against its type; values are stored as JSON.
fn check_value(kind: &str, value: &Value, path: &str) -> Result<Value, CrmError> {
    let ok = match (kind, value) {
        (_, Value::Null) => true,
        ("integer" | "long", Value::Number(n)) => n.is_i64(),
        ("double" | "percent" | "currency", Value::Number(_)) => true,
        ("checkbox", Value::Bool(_)) => true,
        (
            "text" | "textarea" | "date" | "datetime" | "phone" | "website" | "email",
            Value::String(_),
        ) => true,
        _ => false,
    };
    if ok {
        Ok(value.clone())
    } else {
        Err(CrmError::expected_type("value", path, kind))
    }
}

/// Inserts one variable (API and seed share this).
pub fn insert(conn: &Connection, item: &Map<String, Value>, p: &str) -> Result<String, CrmError> {
    let name = opt_str(item, "name", p)?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| CrmError::mandatory_missing("name", &format!("{p}.name")))?;
    let kind = opt_str(item, "type", p)?
        .ok_or_else(|| CrmError::mandatory_missing("type", &format!("{p}.type")))?;
    if !TYPES.contains(&kind) {
        return Err(CrmError::invalid_data("type", &format!("{p}.type")));
    }
    let api_name = match opt_str(item, "api_name", p)? {
        Some(a) => a.to_string(),
        None => api_name_from_label(name),
    };
    if api_name.is_empty() {
        return Err(CrmError::invalid_data("api_name", &format!("{p}.api_name")));
    }
    let taken: bool = conn
        .query_row(
            "SELECT 1 FROM crm_variables WHERE api_name = ?1",
            params![api_name],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if taken {
        return Err(CrmError::duplicate("api_name", &format!("{p}.api_name")));
    }
    let value = check_value(
        kind,
        item.get("value").unwrap_or(&Value::Null),
        &format!("{p}.value"),
    )?;
    let group = match item.get("variable_group") {
        None | Some(Value::Null) => default_group(conn)?,
        Some(g) => {
            let key = g
                .get("id")
                .or_else(|| g.get("api_name"))
                .and_then(super::context::body_id)
                .unwrap_or_default();
            conn.query_row(
                "SELECT id FROM crm_variable_groups WHERE id = ?1 OR api_name = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| {
                CrmError::invalid_data("variable_group", &format!("{p}.variable_group"))
            })?
        }
    };
    let id = next_id(conn)?;
    conn.execute(
        "INSERT INTO crm_variables(id, api_name, name, type, value, description, group_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            api_name,
            name,
            kind,
            value.to_string(),
            opt_str(item, "description", p)?,
            group
        ],
    )?;
    Ok(id)
}

fn update(conn: &Connection, key: &str, item: &Map<String, Value>, p: &str) -> ItemResult {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT id, type FROM crm_variables WHERE id = ?1 OR api_name = ?1",
            params![key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (id, kind) = row.ok_or_else(|| CrmError::invalid_data("id", &format!("{p}.id")))?;
    if let Some(value) = item.get("value") {
        let value = check_value(&kind, value, &format!("{p}.value"))?;
        conn.execute(
            "UPDATE crm_variables SET value = ?2 WHERE id = ?1",
            params![id, value.to_string()],
        )?;
    }
    if let Some(name) = opt_str(item, "name", p)? {
        conn.execute(
            "UPDATE crm_variables SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
    }
    if item.contains_key("description") {
        conn.execute(
            "UPDATE crm_variables SET description = ?2 WHERE id = ?1",
            params![id, opt_str(item, "description", p)?],
        )?;
    }
    Ok(success(
        "variable updated successfully",
        json!({ "id": id }),
    ))
}

fn delete(conn: &Connection, key: &str) -> ItemResult {
    let removed = conn.execute(
        "DELETE FROM crm_variables WHERE id = ?1 OR api_name = ?1",
        params![key],
    )?;
    if removed == 0 {
        return Err(CrmError::invalid_id(key));
    }
    Ok(success(
        "variable deleted successfully",
        json!({ "id": key }),
    ))
}

/// `GET /settings/variables`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.variables.READ")?;
    let vars = state.store.with(|c| render_all(c, None))?;
    if vars.is_empty() {
        return Ok(respond::no_content());
    }
    Ok(respond::json(StatusCode::OK, json!({ "variables": vars })))
}

/// `GET /settings/variables/{id or api_name}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.variables.READ")?;
    let vars = state.store.with(|c| render_all(c, Some(&key)))?;
    if vars.is_empty() {
        return Ok(respond::no_content());
    }
    Ok(respond::json(StatusCode::OK, json!({ "variables": vars })))
}

/// `POST /settings/variables`.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.variables.CREATE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let body = json_object(&body)?;
    let items = wrapper_array(&body, "variables")?;
    let results = state.store.with(|c| {
        let tx = c.transaction()?;
        let results: Vec<ItemResult> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let p = format!("$.variables[{i}]");
                let obj = item
                    .as_object()
                    .ok_or_else(|| CrmError::expected_type("variables", &p, "jsonobject"))?;
                insert(&tx, obj, &p)
                    .map(|id| success("variable created successfully", json!({ "id": id })))
            })
            .collect();
        tx.commit()?;
        Ok::<_, CrmError>(results)
    })?;
    Ok(respond::batch("variables", results, StatusCode::CREATED))
}

/// `PUT /settings/variables`: each item names its `id` (or `api_name`).
pub async fn update_many(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    put(state, headers, None, body).await
}

/// `PUT /settings/variables/{id or api_name}`.
pub async fn update_one(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    put(state, headers, Some(key), body).await
}

async fn put(
    state: AppState,
    headers: HeaderMap,
    path_key: Option<String>,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.variables.UPDATE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let body = json_object(&body)?;
    let items = wrapper_array(&body, "variables")?;
    let results = state.store.with(|c| {
        let tx = c.transaction()?;
        let results: Vec<ItemResult> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let p = format!("$.variables[{i}]");
                let obj = item
                    .as_object()
                    .ok_or_else(|| CrmError::expected_type("variables", &p, "jsonobject"))?;
                let key = match &path_key {
                    Some(k) => k.clone(),
                    None => obj
                        .get("id")
                        .or_else(|| obj.get("api_name"))
                        .and_then(super::context::body_id)
                        .ok_or_else(|| CrmError::mandatory_missing("id", &format!("{p}.id")))?,
                };
                update(&tx, &key, obj, &p)
            })
            .collect();
        tx.commit()?;
        Ok::<_, CrmError>(results)
    })?;
    Ok(respond::batch("variables", results, StatusCode::CREATED))
}

/// `DELETE /settings/variables?ids=...`.
pub async fn delete_many(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.variables.DELETE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let ids = params.list("ids");
    if ids.is_empty() {
        return Err(CrmError::required_param_missing("ids"));
    }
    let results = state.store.with(|c| {
        ids.iter()
            .map(|id| delete(c, id))
            .collect::<Vec<ItemResult>>()
    });
    Ok(respond::batch("variables", results, StatusCode::CREATED))
}

/// `DELETE /settings/variables/{id}`.
pub async fn delete_one(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.variables.DELETE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let result = state.store.with(|c| delete(c, &key));
    Ok(respond::batch(
        "variables",
        vec![result],
        StatusCode::CREATED,
    ))
}
