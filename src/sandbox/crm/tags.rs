//! Record tags: the `Tag` member every record carries (`[{"name","id","color_code"}]`), set
//! by name or id on insert and update (an unknown name creates the module's tag, as Zoho
//! does), and `POST /{module}/actions/add_tags` / `remove_tags` (tags.json in Zoho's OAS).
//!
//! Tags are not fields in the metadata; a record's tags are stored in its JSON document and
//! rendered when `fields` names `Tag` (or when a record is read whole).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::context::{Caller, Params, json_object, wrapper_array};
use super::db::{next_id, now_ms};
use super::records::{load_record, open};
use super::respond::{self, ItemResult, success};
use super::values::{Schema, stamp};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// The member that holds a record's tags.
pub const TAG: &str = "Tag";
/// Longest tag name (tags.json: `Tag.name.maxLength`).
pub const MAX_NAME: usize = 25;
/// Records one tag action may touch ("a maximum of 500 record IDs").
pub const MAX_ACTION_IDS: usize = 500;
/// The colours tags.json allows.
pub(super) const COLORS: &[&str] = &[
    "#57B1FD", "#879BFC", "#658BA8", "#FD87BD", "#969696", "#F48435", "#1DB9B4", "#E7A826",
    "#63C57E", "#F17574", "#D297EE", "#A8C026", "#B88562",
];

/// Whether a record key names the tags.
pub fn is_tag_key(key: &str) -> bool {
    key.eq_ignore_ascii_case(TAG)
}

/// One of a module's tags.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tag {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) color_code: Option<String>,
}

impl Tag {
    fn to_json(&self) -> Value {
        json!({ "name": self.name, "id": self.id, "color_code": self.color_code })
    }

    fn from_json(v: &Value) -> Option<Tag> {
        Some(Tag {
            id: v.get("id")?.as_str()?.to_string(),
            name: v.get("name")?.as_str()?.to_string(),
            color_code: v
                .get("color_code")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

pub(super) fn find(
    conn: &Connection,
    module: &str,
    id: Option<&str>,
    name: Option<&str>,
) -> rusqlite::Result<Option<Tag>> {
    let row = |r: &rusqlite::Row<'_>| {
        Ok(Tag {
            id: r.get(0)?,
            name: r.get(1)?,
            color_code: r.get(2)?,
        })
    };
    match (id, name) {
        (Some(id), _) => conn
            .query_row(
                "SELECT id, name, color_code FROM crm_tags WHERE module = ?1 AND id = ?2",
                params![module, id],
                row,
            )
            .optional(),
        (None, Some(name)) => conn
            .query_row(
                "SELECT id, name, color_code FROM crm_tags WHERE module = ?1 AND name = ?2",
                params![module, name.trim()],
                row,
            )
            .optional(),
        (None, None) => Ok(None),
    }
}

/// Resolves one written tag (`{"id"}` first, else `{"name"}`); an unknown name becomes a
/// new tag of the module when `create` is set.
pub(super) fn resolve(
    conn: &Connection,
    module: &str,
    item: &Value,
    path: &str,
    create: bool,
) -> Result<Tag, CrmError> {
    let obj = item
        .as_object()
        .ok_or_else(|| CrmError::expected_type(TAG, path, "jsonobject"))?;
    let text = |key: &str| -> Result<Option<&str>, CrmError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.as_str())),
            Some(Value::String(_)) => Err(CrmError::invalid_data(key, &format!("{path}.{key}"))),
            Some(_) => Err(CrmError::expected_type(
                key,
                &format!("{path}.{key}"),
                "string",
            )),
        }
    };
    // The SDKs send tag ids as JSON numbers.
    let numeric_id = obj
        .get("id")
        .filter(|v| v.is_number())
        .map(|v| {
            super::context::body_id(v)
                .ok_or_else(|| CrmError::invalid_data("id", &format!("{path}.id")))
        })
        .transpose()?;
    let id = match &numeric_id {
        Some(id) => Some(id.as_str()),
        None => text("id")?,
    };
    let name = text("name")?;
    let color = text("color_code")?;
    if let Some(c) = color
        && !COLORS.contains(&c)
    {
        return Err(CrmError::invalid_data(
            "color_code",
            &format!("{path}.color_code"),
        ));
    }
    if let Some(id) = id {
        return find(conn, module, Some(id), None)?
            .ok_or_else(|| CrmError::invalid_data("id", &format!("{path}.id")));
    }
    let Some(name) = name else {
        return Err(CrmError::mandatory_missing("name", &format!("{path}.name")));
    };
    if name.trim().chars().count() > MAX_NAME {
        return Err(CrmError::max_length(
            "name",
            &format!("{path}.name"),
            MAX_NAME as u64,
        ));
    }
    if let Some(tag) = find(conn, module, None, Some(name))? {
        return Ok(tag);
    }
    if !create {
        return Err(CrmError::invalid_data("name", &format!("{path}.name")));
    }
    let tag = Tag {
        id: next_id(conn)?,
        name: name.trim().to_string(),
        color_code: color.map(str::to_string),
    };
    conn.execute(
        "INSERT INTO crm_tags(id, module, name, color_code, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![tag.id, module, tag.name, tag.color_code, now_ms()],
    )?;
    Ok(tag)
}

/// Resolves a list of written tags, dropping repeats.
fn resolve_all(
    conn: &Connection,
    module: &str,
    items: &[Value],
    path: &str,
    create: bool,
) -> Result<Vec<Tag>, CrmError> {
    let mut tags: Vec<Tag> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let tag = resolve(conn, module, item, &format!("{path}[{i}]"), create)?;
        if !tags.iter().any(|t| t.id == tag.id) {
            tags.push(tag);
        }
    }
    Ok(tags)
}

/// The stored form of a written `Tag` value: `null` clears the tags, an array of
/// `{"name"}`/`{"id"}` objects sets them.
pub fn normalize(
    conn: &Connection,
    module: &str,
    value: &Value,
    path: &str,
) -> Result<Value, CrmError> {
    match value {
        Value::Null => Ok(Value::Array(Vec::new())),
        Value::Array(items) => Ok(Value::Array(
            resolve_all(conn, module, items, path, true)?
                .iter()
                .map(Tag::to_json)
                .collect(),
        )),
        _ => Err(CrmError::expected_type(TAG, path, "jsonarray")),
    }
}

/// A record's tags as Zoho renders them (`[]` when it has none).
pub fn rendered(stored: &Map<String, Value>) -> Value {
    match stored.get(TAG) {
        Some(Value::Array(items)) => Value::Array(items.clone()),
        _ => Value::Array(Vec::new()),
    }
}

/// Whether a stored record carries the tag `name` (case-insensitive).
pub fn has_tag(stored: &Map<String, Value>, name: &str) -> bool {
    stored
        .get(TAG)
        .and_then(Value::as_array)
        .is_some_and(|tags| {
            tags.iter().any(|t| {
                t.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        })
}

/// What a tag action changes on one record.
enum Change<'a> {
    Add { tags: &'a [Tag], over_write: bool },
    Remove { tags: &'a [Tag] },
}

/// The body and query of a tag action: the tags, the record ids and `over_write`.
struct ActionInput {
    tags: Vec<Value>,
    ids: Vec<String>,
    over_write: bool,
}

fn action_input(
    body: &[u8],
    params: &Params,
    path_id: Option<String>,
) -> Result<ActionInput, CrmError> {
    let body = json_object(body)?;
    let tags = wrapper_array(&body, "tags")?;
    let mut ids: Vec<String> = match body.get("ids") {
        // `/{module}/{id}/actions/...` acts on the record in the path only.
        _ if path_id.is_some() => path_id.into_iter().collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(CrmError::expected_type(
                    "ids",
                    &format!("$.ids[{i}]"),
                    "string",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(CrmError::expected_type("ids", "$.ids", "jsonarray")),
    };
    if ids.is_empty() {
        ids = params.list("ids");
    }
    if ids.is_empty() {
        return Err(CrmError::mandatory_missing("ids", "$.ids"));
    }
    if ids.len() > MAX_ACTION_IDS {
        return Err(CrmError::record_limit(MAX_ACTION_IDS as u64));
    }
    let over_write = match body.get("over_write") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => params
            .get("over_write")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        Some(_) => {
            return Err(CrmError::expected_type(
                "over_write",
                "$.over_write",
                "boolean",
            ));
        }
    };
    Ok(ActionInput {
        tags,
        ids,
        over_write,
    })
}

/// Applies `change` to one record, stamping it as modified by the caller.
fn apply(
    conn: &Connection,
    schema: &Schema,
    caller: &Caller,
    id: &str,
    change: &Change<'_>,
) -> Result<ItemResult, CrmError> {
    let Some(mut record) = load_record(conn, &schema.module.api_name, id)? else {
        return Ok(Err(CrmError::invalid_id(id)));
    };
    let mut current: Vec<Tag> = record
        .get(TAG)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Tag::from_json).collect())
        .unwrap_or_default();
    let message = match change {
        Change::Add { tags, over_write } => {
            if *over_write {
                current.clear();
            }
            for tag in tags.iter() {
                if !current.iter().any(|t| t.id == tag.id) {
                    current.push(tag.clone());
                }
            }
            "tags updated successfully"
        }
        Change::Remove { tags } => {
            current.retain(|t| !tags.iter().any(|gone| gone.id == t.id));
            "tags removed successfully"
        }
    };
    let rendered: Vec<Value> = current.iter().map(Tag::to_json).collect();
    record.insert(TAG.into(), Value::Array(rendered.clone()));
    let now = now_ms();
    stamp(&mut record, &caller.user_id, now, false);
    conn.execute(
        "UPDATE crm_records SET data = ?3, modified_ms = ?4 WHERE module = ?1 AND id = ?2",
        params![
            schema.module.api_name,
            id,
            Value::Object(record).to_string(),
            now
        ],
    )?;
    Ok(Ok(success(message, json!({ "id": id, "tags": rendered }))))
}

/// A tag action on the records in `ids` (or on the one record `path_id` names).
pub(super) async fn action(
    state: AppState,
    (module, path_id): (String, Option<String>),
    headers: HeaderMap,
    params: Params,
    body: Bytes,
    add: bool,
) -> Result<Response, CrmError> {
    let (caller, schema) = open(&state, &headers, &module, "UPDATE", "Edit")?;
    let input = action_input(&body, &params, path_id)?;
    let results = state.store.with(|c| {
        let tx = c.transaction()?;
        let tags = resolve_all(&tx, &schema.module.api_name, &input.tags, "$.tags", add)?;
        let change = if add {
            Change::Add {
                tags: &tags,
                over_write: input.over_write,
            }
        } else {
            Change::Remove { tags: &tags }
        };
        let results = input
            .ids
            .iter()
            .map(|id| apply(&tx, &schema, &caller, id, &change))
            .collect::<Result<Vec<_>, CrmError>>()?;
        tx.commit()?;
        Ok::<_, CrmError>(results)
    })?;
    let succeeded = results.iter().filter(|r| r.is_ok()).count();
    let status = if succeeded == results.len() {
        StatusCode::OK
    } else if succeeded == 0 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::MULTI_STATUS
    };
    let data: Vec<Value> = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| e.body()))
        .collect();
    Ok(respond::json(
        status,
        json!({
            "data": data,
            "wf_scheduler": false,
            "success_count": succeeded.to_string(),
            "locked_count": "0",
        }),
    ))
}

/// `POST /{module}/actions/add_tags`: `{"tags":[{"name"|"id"}], "ids":[..], "over_write"?}`.
pub async fn add(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    action(state, (module, None), headers, params, body, true).await
}

/// `POST /{module}/actions/remove_tags`: `{"tags":[{"id"|"name"}], "ids":[..]}`.
pub async fn remove(
    State(state): State<AppState>,
    Path(module): Path<String>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    action(state, (module, None), headers, params, body, false).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        super::super::db::migrate(&c).unwrap();
        c
    }

    #[test]
    fn names_create_tags_once_per_module_and_ids_must_exist() {
        let c = conn();
        let first = normalize(
            &c,
            "Contacts",
            &json!([{"name": "Imported"}]),
            "$.data[0].Tag",
        )
        .unwrap();
        let again = normalize(
            &c,
            "Contacts",
            &json!([{"name": "imported"}, {"name": "Imported"}]),
            "$.data[1].Tag",
        )
        .unwrap();
        assert_eq!(first, again, "same tag, matched without case, no repeats");
        let id = first[0]["id"].as_str().unwrap();
        let by_id = normalize(&c, "Contacts", &json!([{"id": id}]), "$").unwrap();
        assert_eq!(by_id[0]["name"], "Imported");
        let other_module = normalize(&c, "Events", &json!([{"name": "Imported"}]), "$").unwrap();
        assert_ne!(other_module[0]["id"], first[0]["id"]);
        assert!(normalize(&c, "Contacts", &json!([{"id": "4876876000000000001"}]), "$").is_err());
        assert!(normalize(&c, "Contacts", &json!("Imported"), "$").is_err());
        assert!(normalize(&c, "Contacts", &json!([{}]), "$").is_err());
        let long = "x".repeat(MAX_NAME + 1);
        assert!(normalize(&c, "Contacts", &json!([{ "name": long }]), "$").is_err());
        assert_eq!(
            normalize(&c, "Contacts", &Value::Null, "$").unwrap(),
            json!([])
        );
    }

    #[test]
    fn tag_membership_ignores_case() {
        let c = conn();
        let tags = normalize(&c, "Contacts", &json!([{"name": "Imported"}]), "$").unwrap();
        let mut record = Map::new();
        assert!(!has_tag(&record, "Imported"));
        record.insert(TAG.into(), tags);
        assert!(has_tag(&record, "imported"));
        assert_eq!(rendered(&record)[0]["name"], "Imported");
    }
}
