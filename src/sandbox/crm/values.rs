//! Record values: checking and normalizing what a client writes against the module's field
//! types (Zoho's `INVALID_DATA` with `expected_data_type`, `MANDATORY_NOT_FOUND`...), and
//! rendering what is stored back into Zoho's shapes (lookups as `{"id","name"}`, users as
//! `{"id","name","email"}`).

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::context::full_name;
use super::db::iso;
use super::meta::{self, FieldRow, ModuleRow};
use super::tags;
use crate::sandbox::error::CrmError;

/// A module with its fields, loaded once per request.
pub struct Schema {
    pub module: ModuleRow,
    pub fields: Vec<FieldRow>,
}

impl Schema {
    pub fn load(conn: &Connection, module: ModuleRow) -> rusqlite::Result<Self> {
        let fields = meta::fields_of(conn, &module.api_name)?;
        Ok(Schema { module, fields })
    }

    /// A field by api name (exact first, then ignoring case).
    pub fn field(&self, api_name: &str) -> Option<&FieldRow> {
        self.fields
            .iter()
            .find(|f| f.api_name == api_name)
            .or_else(|| {
                self.fields
                    .iter()
                    .find(|f| f.api_name.eq_ignore_ascii_case(api_name))
            })
    }

    /// Whether records carry a computed `Full_Name` (Contacts, Leads).
    fn computes_full_name(&self) -> bool {
        self.module.display_field == "Full_Name"
    }
}

/// Checks and normalizes one written record. Unknown keys are ignored, as Zoho does; system
/// fields (`Created_Time`...) and read-only fields are not writable; `Tag` names the record's
/// tags (see [`tags`]).
pub fn normalize(
    conn: &Connection,
    schema: &Schema,
    input: &Map<String, Value>,
    json_path: &str,
    check_references: bool,
) -> Result<Map<String, Value>, CrmError> {
    let mut out = Map::new();
    for (key, value) in input {
        if key == "id" || key.starts_with('$') {
            continue;
        }
        if tags::is_tag_key(key) {
            let path = format!("{json_path}.{}", tags::TAG);
            let tags = tags::normalize(conn, &schema.module.api_name, value, &path)?;
            out.insert(tags::TAG.into(), tags);
            continue;
        }
        let Some(field) = schema.field(key) else {
            continue;
        };
        if field.is_system() || field.read_only {
            continue;
        }
        let path = format!("{json_path}.{}", field.api_name);
        let normalized = normalize_value(conn, field, value, &path, check_references)?;
        out.insert(field.api_name.clone(), normalized);
    }
    Ok(out)
}

fn normalize_value(
    conn: &Connection,
    field: &FieldRow,
    value: &Value,
    path: &str,
    check_references: bool,
) -> Result<Value, CrmError> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let api = field.api_name.as_str();
    let wrong = |expected: &str| CrmError::expected_type(api, path, expected);
    match field.data_type.as_str() {
        "text" | "textarea" | "phone" | "website" | "picklist" => {
            let s = value.as_str().ok_or_else(|| wrong("string"))?;
            if s.chars().count() as i64 > field.length {
                return Err(CrmError::max_length(api, path, field.length as u64));
            }
            Ok(Value::String(s.to_string()))
        }
        "email" => {
            let s = value.as_str().ok_or_else(|| wrong("string"))?;
            if !s.is_empty() && !looks_like_email(s) {
                return Err(CrmError::invalid_data(api, path));
            }
            Ok(Value::String(s.to_string()))
        }
        "integer" => value
            .as_i64()
            .filter(|n| i32::try_from(*n).is_ok())
            .map(Value::from)
            .ok_or_else(|| wrong("integer")),
        "bigint" => match value {
            Value::Number(n) if n.is_i64() => Ok(Value::String(n.to_string())),
            Value::String(s) if s.parse::<i64>().is_ok() => Ok(Value::String(s.clone())),
            _ => Err(wrong("bigint")),
        },
        "double" | "decimal" | "currency" | "percent" => value
            .as_f64()
            .map(|f| json!(f))
            .ok_or_else(|| wrong("double")),
        "boolean" => value
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| wrong("boolean")),
        "date" | "datetime" => time_value(field, value, path),
        "multiselectpicklist" => {
            let items = value.as_array().ok_or_else(|| wrong("jsonarray"))?;
            if items.iter().any(|i| !i.is_string()) {
                return Err(wrong("jsonarray"));
            }
            Ok(Value::Array(items.clone()))
        }
        "lookup" | "ownerlookup" => reference_value(conn, field, value, path, check_references),
        _ => Ok(value.clone()),
    }
}

/// A `date` (`yyyy-MM-dd`, kept as written) or a `datetime` (RFC 3339, answered with
/// second precision and its offset).
fn time_value(field: &FieldRow, value: &Value, path: &str) -> Result<Value, CrmError> {
    let api = field.api_name.as_str();
    let ty = field.data_type.as_str();
    let s = value
        .as_str()
        .ok_or_else(|| CrmError::expected_type(api, path, ty))?;
    if ty == "date" {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| CrmError::invalid_data(api, path))?;
        return Ok(Value::String(s.to_string()));
    }
    let parsed =
        chrono::DateTime::parse_from_rfc3339(s).map_err(|_| CrmError::invalid_data(api, path))?;
    Ok(Value::String(
        parsed.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    ))
}

/// A `lookup` (to a record of the field's module) or `ownerlookup` (to a user) as
/// `{"id": ...}`; with `check_references`, the record or user must exist.
fn reference_value(
    conn: &Connection,
    field: &FieldRow,
    value: &Value,
    path: &str,
    check_references: bool,
) -> Result<Value, CrmError> {
    let api = field.api_name.as_str();
    let id = reference_id(value).ok_or_else(|| CrmError::expected_type(api, path, "jsonobject"))?;
    if check_references {
        let exists = if field.data_type == "ownerlookup" {
            user_name(conn, &id)?.is_some()
        } else {
            let target = field.lookup_module.as_deref().unwrap_or_default();
            record_exists(conn, target, &id)?
        };
        if !exists {
            return Err(CrmError::invalid_data(api, path));
        }
    }
    Ok(json!({ "id": id }))
}

/// The id of a lookup value: `{"id": "..."}` or a bare id.
fn reference_id(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => match o.get("id")? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    }
}

pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}

pub fn record_exists(conn: &Connection, module: &str, id: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM crm_records WHERE module = ?1 AND id = ?2",
            params![module, id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// `(full name, email)` of a CRM user.
pub fn user_name(conn: &Connection, id: &str) -> rusqlite::Result<Option<(String, String)>> {
    conn.query_row(
        "SELECT first_name, last_name, email FROM crm_users WHERE id = ?1",
        params![id],
        |r| {
            let first: Option<String> = r.get(0)?;
            let last: String = r.get(1)?;
            Ok((full_name(first.as_deref(), &last), r.get(2)?))
        },
    )
    .optional()
}

/// The first missing mandatory field of a complete record, as Zoho reports it.
pub fn missing_mandatory(
    schema: &Schema,
    record: &Map<String, Value>,
    json_path: &str,
) -> Option<CrmError> {
    schema
        .fields
        .iter()
        .filter(|f| f.mandatory)
        .find(|f| match record.get(&f.api_name) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            _ => false,
        })
        .map(|f| CrmError::mandatory_missing(&f.api_name, &format!("{json_path}.{}", f.api_name)))
}

/// Recomputes derived values (`Full_Name`) after a write.
pub fn derive(schema: &Schema, record: &mut Map<String, Value>) {
    if schema.computes_full_name() {
        let first = record.get("First_Name").and_then(Value::as_str);
        let last = record
            .get("Last_Name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        record.insert("Full_Name".into(), Value::String(full_name(first, last)));
    }
}

/// The value of the module's system duplicate-check field, lowercased, kept in an indexed
/// column so upserts and duplicate searches on large modules stay fast.
pub fn dup_key(schema: &Schema, record: &Map<String, Value>) -> Option<String> {
    let field = super::standard::duplicate_check_fields(&schema.module.api_name)
        .into_iter()
        .next()?;
    record
        .get(&field)
        .and_then(Value::as_str)
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
}

/// Renders stored records, resolving lookup and user names (cached per call).
pub struct Renderer<'a> {
    conn: &'a Connection,
    names: HashMap<(String, String), Value>,
    users: HashMap<String, Value>,
    displays: HashMap<String, String>,
}

impl<'a> Renderer<'a> {
    pub fn new(conn: &'a Connection) -> Self {
        Renderer {
            conn,
            names: HashMap::new(),
            users: HashMap::new(),
            displays: HashMap::new(),
        }
    }

    /// The record as Zoho returns it: `id`, then the requested fields (all when `wanted` is
    /// `None`), unset ones as `null`, and `Tag` when asked for.
    pub fn record(
        &mut self,
        schema: &Schema,
        id: &str,
        stored: &Map<String, Value>,
        wanted: Option<&[String]>,
    ) -> rusqlite::Result<Value> {
        let mut out = Map::new();
        out.insert("id".into(), Value::String(id.to_string()));
        for field in &schema.fields {
            if let Some(w) = wanted
                && !w.iter().any(|n| n.eq_ignore_ascii_case(&field.api_name))
            {
                continue;
            }
            let value = stored.get(&field.api_name).cloned().unwrap_or(Value::Null);
            let rendered = match field.data_type.as_str() {
                "lookup" => match reference_id(&value) {
                    Some(ref_id) => {
                        self.lookup(field.lookup_module.as_deref().unwrap_or(""), &ref_id)?
                    }
                    None => Value::Null,
                },
                "ownerlookup" => match reference_id(&value) {
                    Some(user_id) => self.user(&user_id)?,
                    None => Value::Null,
                },
                _ => value,
            };
            out.insert(field.api_name.clone(), rendered);
        }
        if wanted.is_none_or(|w| w.iter().any(|n| tags::is_tag_key(n))) {
            out.insert(tags::TAG.into(), tags::rendered(stored));
        }
        Ok(Value::Object(out))
    }

    /// `{"name","id"}` for a record, or null when it no longer exists.
    pub fn lookup(&mut self, module: &str, id: &str) -> rusqlite::Result<Value> {
        let key = (module.to_string(), id.to_string());
        if let Some(v) = self.names.get(&key) {
            return Ok(v.clone());
        }
        let display = match self.displays.get(module) {
            Some(d) => d.clone(),
            None => {
                let d = meta::module_by_name(self.conn, module)?
                    .map(|m| m.display_field)
                    .unwrap_or_else(|| "Name".into());
                self.displays.insert(module.to_string(), d.clone());
                d
            }
        };
        let name: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT json_extract(data, '$.' || ?3) FROM crm_records
                 WHERE module = ?1 AND id = ?2",
                params![module, id, display],
                |r| r.get(0),
            )
            .optional()?;
        let v = match name {
            Some(n) => json!({ "name": n.unwrap_or_default(), "id": id }),
            None => Value::Null,
        };
        self.names.insert(key, v.clone());
        Ok(v)
    }

    /// `{"name","id","email"}` for a user.
    pub fn user(&mut self, id: &str) -> rusqlite::Result<Value> {
        if let Some(v) = self.users.get(id) {
            return Ok(v.clone());
        }
        let v = match user_name(self.conn, id)? {
            Some((name, email)) => json!({ "name": name, "id": id, "email": email }),
            None => Value::Null,
        };
        self.users.insert(id.to_string(), v.clone());
        Ok(v)
    }
}

/// The stamp written into `Created_*`/`Modified_*` fields.
pub fn stamp(record: &mut Map<String, Value>, user_id: &str, ms: i64, created: bool) {
    let who = json!({ "id": user_id });
    if created {
        record.insert("Created_By".into(), who.clone());
        record.insert("Created_Time".into(), Value::String(iso(ms)));
    }
    record.insert("Modified_By".into(), who);
    record.insert("Modified_Time".into(), Value::String(iso(ms)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        assert!(looks_like_email("jane@bowman.example"));
        assert!(!looks_like_email("jane"));
        assert!(!looks_like_email("jane@bowman"));
        assert!(!looks_like_email("ja ne@bowman.example"));
    }

    #[test]
    fn lookup_references_accept_objects_and_bare_ids() {
        assert_eq!(reference_id(&json!({"id": "12"})).as_deref(), Some("12"));
        assert_eq!(reference_id(&json!("12")).as_deref(), Some("12"));
        assert_eq!(reference_id(&json!({"name": "x"})), None);
        assert_eq!(reference_id(&json!(true)), None);
    }
}
