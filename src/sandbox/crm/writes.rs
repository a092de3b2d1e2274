//! Writing records: insert, update, upsert and delete, at most 100 records per call, results
//! per item in input order (201/200, 207 when mixed), `Created_*`/`Modified_*` maintained,
//! mandatory and unique fields enforced.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::context::{Caller, Params, json_object, require_permission, wrapper_array};
use super::db::{next_id, now_ms};
use super::records::{load_record, open};
use super::respond::{self, ItemResult, success};
use super::standard;
use super::values::{self, Renderer, Schema, derive, dup_key, missing_mandatory, normalize, stamp};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// Records per insert/update/upsert/delete call.
pub const MAX_BATCH: usize = 100;

fn batch_items(body: &[u8]) -> Result<(Map<String, Value>, Vec<Value>), CrmError> {
    let body = json_object(body)?;
    let items = wrapper_array(&body, "data")?;
    if items.len() > MAX_BATCH {
        return Err(CrmError::record_limit(MAX_BATCH as u64));
    }
    Ok((body, items))
}

/// Runs one batch in a transaction; per-item failures write nothing for that item.
fn in_transaction<T>(
    state: &AppState,
    f: impl FnOnce(&Connection) -> Result<T, CrmError>,
) -> Result<T, CrmError> {
    state.store.with(|c| {
        let tx = c.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    })
}

/// `POST /{module}`.
pub async fn create(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let (caller, schema) = open(&state, &headers, &module, "CREATE", "Create")?;
    let (_, items) = batch_items(&body)?;
    let results = in_transaction(&state, |c| {
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| insert(c, &schema, &caller, item, &format!("$.data[{i}]")))
            .collect::<Vec<_>>())
    })?;
    Ok(respond::batch("data", results, StatusCode::CREATED))
}

/// `PUT /{module}`: every record names its `id`.
pub async fn update_many(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let (caller, schema) = open(&state, &headers, &module, "UPDATE", "Edit")?;
    let (_, items) = batch_items(&body)?;
    let results = in_transaction(&state, |c| {
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let path = format!("$.data[{i}]");
                let id = match item.get("id") {
                    Some(Value::String(id)) => id.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => {
                        return Err(CrmError::mandatory_missing("id", &format!("{path}.id")));
                    }
                };
                update(c, &schema, &caller, &id, item, &path)
            })
            .collect::<Vec<_>>())
    })?;
    Ok(respond::batch("data", results, StatusCode::OK))
}

/// `PUT /{module}/{id}`.
pub async fn update_one(
    State(state): State<AppState>,
    Path((module, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let (caller, schema) = open(&state, &headers, &module, "UPDATE", "Edit")?;
    let (_, items) = batch_items(&body)?;
    if items.len() > 1 {
        return Err(CrmError::max_length("data", "$.data", 1));
    }
    let results = in_transaction(&state, |c| {
        Ok(vec![update(
            c,
            &schema,
            &caller,
            &id,
            &items[0],
            "$.data[0]",
        )])
    })?;
    Ok(respond::batch("data", results, StatusCode::OK))
}

/// `DELETE /{module}?ids=...`.
pub async fn delete_many(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let (caller, schema) = open(&state, &headers, &module, "DELETE", "Delete")?;
    let ids = params.list("ids");
    if ids.is_empty() {
        return Err(CrmError::required_param_missing("ids"));
    }
    if ids.len() > MAX_BATCH {
        return Err(CrmError::record_limit(MAX_BATCH as u64));
    }
    let results = in_transaction(&state, |c| {
        ids.iter()
            .map(|id| delete(c, &schema, &caller, id))
            .collect::<Result<Vec<_>, CrmError>>()
    })?;
    Ok(respond::batch("data", results, StatusCode::OK))
}

/// `DELETE /{module}/{id}`.
pub async fn delete_one(
    State(state): State<AppState>,
    Path((module, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    let (caller, schema) = open(&state, &headers, &module, "DELETE", "Delete")?;
    let results = in_transaction(&state, |c| Ok(vec![delete(c, &schema, &caller, &id)?]))?;
    Ok(respond::batch("data", results, StatusCode::OK))
}

/// `POST /{module}/upsert`: updates the record matching a duplicate-check field, or inserts.
pub async fn upsert(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let (caller, schema) = open(&state, &headers, &module, "CREATE", "Create")?;
    state
        .store
        .with(|c| require_permission(c, &caller, &schema.module, "Edit"))?;
    let (body, items) = batch_items(&body)?;
    let check_fields = match body.get("duplicate_check_fields") {
        None | Some(Value::Null) => standard::duplicate_check_fields(&schema.module.api_name),
        Some(Value::Array(names)) => {
            let mut fields = Vec::new();
            for (i, name) in names.iter().enumerate() {
                let path = format!("$.duplicate_check_fields[{i}]");
                let field = name
                    .as_str()
                    .and_then(|n| schema.field(n))
                    .ok_or_else(|| CrmError::invalid_data("duplicate_check_fields", &path))?;
                fields.push(field.api_name.clone());
            }
            fields
        }
        Some(_) => {
            return Err(CrmError::expected_type(
                "duplicate_check_fields",
                "$.duplicate_check_fields",
                "jsonarray",
            ));
        }
    };
    let results = in_transaction(&state, |c| {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("$.data[{i}]");
            out.push(upsert_one(c, &schema, &caller, item, &path, &check_fields)?);
        }
        Ok(out)
    })?;
    Ok(respond::batch("data", results, StatusCode::OK))
}

fn upsert_one(
    conn: &Connection,
    schema: &Schema,
    caller: &Caller,
    item: &Value,
    path: &str,
    check_fields: &[String],
) -> Result<ItemResult, CrmError> {
    let Some(obj) = item.as_object() else {
        return Ok(Err(CrmError::expected_type("data", path, "jsonobject")));
    };
    let incoming = match normalize(conn, schema, obj, path, true) {
        Ok(v) => v,
        Err(e) => return Ok(Err(e)),
    };
    for field in check_fields {
        let Some(value) = incoming.get(field).filter(|v| !v.is_null()) else {
            continue;
        };
        if let Some(existing) = find_by_value(conn, schema, field, value, None)? {
            let result = update(conn, schema, caller, &existing, item, path).map(|mut v| {
                v["action"] = json!("update");
                v["duplicate_field"] = json!(field);
                v
            });
            return Ok(result);
        }
    }
    Ok(insert(conn, schema, caller, item, path).map(|mut v| {
        v["action"] = json!("insert");
        v
    }))
}

/// The oldest record whose `field` equals `value` (case-insensitive for text), if any.
fn find_by_value(
    conn: &Connection,
    schema: &Schema,
    field: &str,
    value: &Value,
    exclude: Option<&str>,
) -> rusqlite::Result<Option<String>> {
    let text = match value {
        Value::String(s) => s.trim().to_lowercase(),
        Value::Object(o) => match o.get("id") {
            Some(Value::String(id)) => id.clone(),
            _ => return Ok(None),
        },
        other => other.to_string(),
    };
    let exclude = exclude.unwrap_or("");
    let indexed = standard::duplicate_check_fields(&schema.module.api_name)
        .first()
        .is_some_and(|f| f == field);
    if indexed {
        return conn
            .query_row(
                "SELECT id FROM crm_records WHERE module = ?1 AND dup_key = ?2 AND id <> ?3
                 ORDER BY id LIMIT 1",
                params![schema.module.api_name, text, exclude],
                |r| r.get(0),
            )
            .optional();
    }
    super::value_index::find(
        conn,
        &schema.module.api_name,
        field,
        value.is_object(),
        &text,
        exclude,
    )
}

/// Zoho's `DUPLICATE_DATA` for the first unique field whose value another record holds.
fn duplicate_error(
    conn: &Connection,
    schema: &Schema,
    record: &Map<String, Value>,
    exclude: Option<&str>,
    path: &str,
) -> Result<Option<CrmError>, CrmError> {
    for field in schema.fields.iter().filter(|f| f.unique) {
        let Some(value) = record.get(&field.api_name).filter(|v| !v.is_null()) else {
            continue;
        };
        if value.as_str().is_some_and(|s| s.trim().is_empty()) {
            continue;
        }
        if let Some(other) = find_by_value(conn, schema, &field.api_name, value, exclude)? {
            let stored = load_record(conn, &schema.module.api_name, &other)?.unwrap_or_default();
            let owner = match stored
                .get("Owner")
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str)
            {
                Some(id) => Renderer::new(conn).user(id)?,
                None => Value::Null,
            };
            let mut err =
                CrmError::duplicate(&field.api_name, &format!("{path}.{}", field.api_name));
            err.details["duplicate_record"] = json!({
                "id": other,
                "module": { "api_name": schema.module.api_name, "id": schema.module.id },
                "Owner": owner,
            });
            return Ok(Some(err));
        }
    }
    Ok(None)
}

fn insert(
    conn: &Connection,
    schema: &Schema,
    caller: &Caller,
    item: &Value,
    path: &str,
) -> ItemResult {
    let obj = item
        .as_object()
        .ok_or_else(|| CrmError::expected_type("data", path, "jsonobject"))?;
    let mut record = normalize(conn, schema, obj, path, true)?;
    derive(schema, &mut record);
    if let Some(err) = missing_mandatory(schema, &record, path) {
        return Err(err);
    }
    if record.get("Owner").is_none_or(Value::is_null) {
        record.insert("Owner".into(), json!({ "id": caller.user_id }));
    }
    if let Some(err) = duplicate_error(conn, schema, &record, None, path)? {
        return Err(err);
    }
    let id = next_id(conn)?;
    let now = now_ms();
    stamp(&mut record, &caller.user_id, now, true);
    conn.execute(
        "INSERT INTO crm_records(module, id, data, dup_key, created_ms, modified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![
            schema.module.api_name,
            id,
            Value::Object(record.clone()).to_string(),
            dup_key(schema, &record),
            now
        ],
    )?;
    Ok(success("record added", write_details(conn, &id, &record)?))
}

fn update(
    conn: &Connection,
    schema: &Schema,
    caller: &Caller,
    id: &str,
    item: &Value,
    path: &str,
) -> ItemResult {
    let obj = item
        .as_object()
        .ok_or_else(|| CrmError::expected_type("data", path, "jsonobject"))?;
    let Some(mut record) = load_record(conn, &schema.module.api_name, id)? else {
        return Err(CrmError::invalid_id(id));
    };
    let changes = normalize(conn, schema, obj, path, true)?;
    record.extend(changes);
    derive(schema, &mut record);
    if let Some(err) = missing_mandatory(schema, &record, path) {
        return Err(err);
    }
    if let Some(err) = duplicate_error(conn, schema, &record, Some(id), path)? {
        return Err(err);
    }
    let now = now_ms();
    stamp(&mut record, &caller.user_id, now, false);
    conn.execute(
        "UPDATE crm_records SET data = ?3, dup_key = ?4, modified_ms = ?5
         WHERE module = ?1 AND id = ?2",
        params![
            schema.module.api_name,
            id,
            Value::Object(record.clone()).to_string(),
            dup_key(schema, &record),
            now
        ],
    )?;
    Ok(success("record updated", write_details(conn, id, &record)?))
}

/// Deletes a record into the recycle bin (what `GET /{module}/deleted` lists).
fn delete(
    conn: &Connection,
    schema: &Schema,
    caller: &Caller,
    id: &str,
) -> Result<ItemResult, CrmError> {
    let Some(record) = load_record(conn, &schema.module.api_name, id)? else {
        return Ok(Err(CrmError::invalid_id(id)));
    };
    conn.execute(
        "DELETE FROM crm_records WHERE module = ?1 AND id = ?2",
        params![schema.module.api_name, id],
    )?;
    super::deleted::record_deletion(conn, schema, id, &record, &caller.user_id, now_ms())?;
    Ok(Ok(success("record deleted", json!({ "id": id }))))
}

/// `details` of a successful write: id and the audit stamps, users as `{"name","id"}`.
fn write_details(
    conn: &Connection,
    id: &str,
    record: &Map<String, Value>,
) -> Result<Value, CrmError> {
    let mut renderer = Renderer::new(conn);
    let mut user = |key: &str| -> Result<Value, CrmError> {
        let uid = record
            .get(key)
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut v = renderer.user(uid)?;
        if let Some(o) = v.as_object_mut() {
            o.remove("email");
        }
        Ok(v)
    };
    Ok(json!({
        "Modified_Time": record.get("Modified_Time").cloned().unwrap_or(Value::Null),
        "Modified_By": user("Modified_By")?,
        "Created_Time": record.get("Created_Time").cloned().unwrap_or(Value::Null),
        "id": id,
        "Created_By": user("Created_By")?,
    }))
}

/// Inserts a seed record as-is (already normalized, references resolved) without a caller,
/// created and last modified at the given times.
pub fn insert_seeded(
    conn: &Connection,
    schema: &Schema,
    id: &str,
    mut record: Map<String, Value>,
    owner_id: &str,
    created_ms: i64,
    modified_ms: i64,
) -> rusqlite::Result<()> {
    derive(schema, &mut record);
    if record.get("Owner").is_none_or(Value::is_null) {
        record.insert("Owner".into(), json!({ "id": owner_id }));
    }
    stamp(&mut record, owner_id, created_ms, true);
    stamp(&mut record, owner_id, modified_ms, false);
    let dup_key = values::dup_key(schema, &record);
    conn.execute(
        "INSERT INTO crm_records(module, id, data, dup_key, created_ms, modified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            schema.module.api_name,
            id,
            Value::Object(record).to_string(),
            dup_key,
            created_ms,
            modified_ms
        ],
    )?;
    Ok(())
}
