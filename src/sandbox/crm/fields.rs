//! Field metadata: `GET/POST/PATCH /settings/fields?module=` and
//! `GET/PATCH/DELETE /settings/fields/{id}?module=`. At most 25 fields per create; a lookup
//! field makes a related list appear in the module it looks up.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use super::context::{
    Params, caller, json_object, opt_str, param_module, require_admin, wrapper_array,
};
use super::db::now_ms;
use super::field_json::render;
use super::meta::{self, ModuleRow, NewField};
use super::respond::{self, ItemResult, success};
use super::standard;
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// Fields per create call.
pub const MAX_FIELDS_PER_CREATE: usize = 25;
const CUSTOMIZE: &str = "Crm_Implied_Customize_Zoho_CRM";

/// `GET /settings/fields?module=`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.fields.READ")?;
    if let Some(kind) = params.get("type")
        && !matches!(kind, "all" | "used" | "unused")
    {
        return Err(CrmError::invalid_param("type", "invalid data"));
    }
    let fields = state.store.with(|c| {
        let module = param_module(c, &params)?;
        let fields = meta::fields_of(c, &module.api_name)?
            .iter()
            .map(|f| render(c, &module, f))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok::<_, CrmError>(fields)
    })?;
    Ok(respond::json(StatusCode::OK, json!({ "fields": fields })))
}

/// `GET /settings/fields/{id}?module=`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.fields.READ")?;
    let field = state.store.with(|c| {
        let module = param_module(c, &params)?;
        match meta::field_by_id(c, &id)? {
            Some(f) if f.module.eq_ignore_ascii_case(&module.api_name) => {
                Ok::<_, CrmError>(Some(render(c, &module, &f)?))
            }
            _ => Ok(None),
        }
    })?;
    match field {
        Some(f) => Ok(respond::json(StatusCode::OK, json!({ "fields": [f] }))),
        None => Ok(respond::no_content()),
    }
}

/// A field api name derived from its label, as Zoho derives it.
pub fn api_name_from_label(label: &str) -> String {
    let mut out = String::new();
    for c in label.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("F_{out}")
    } else {
        out
    }
}

fn valid_api_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 100
}

fn pick_list_values(value: &Value, path: &str) -> Result<Vec<String>, CrmError> {
    let items = value
        .as_array()
        .ok_or_else(|| CrmError::expected_type("pick_list_values", path, "jsonarray"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            Value::Object(o) => o
                .get("display_value")
                .or_else(|| o.get("actual_value"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    CrmError::mandatory_missing(
                        "display_value",
                        &format!("{path}[{i}].display_value"),
                    )
                }),
            _ => Err(CrmError::expected_type(
                "pick_list_values",
                &format!("{path}[{i}]"),
                "jsonobject",
            )),
        })
        .collect()
}

fn tooltip(value: &Value, path: &str) -> Result<Option<String>, CrmError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Object(o) => Ok(o.get("value").and_then(Value::as_str).map(str::to_string)),
        _ => Err(CrmError::expected_type("tooltip", path, "jsonobject")),
    }
}

fn create_one(conn: &Connection, module: &ModuleRow, item: &Value, index: usize) -> ItemResult {
    let p = format!("$.fields[{index}]");
    let item = item
        .as_object()
        .ok_or_else(|| CrmError::expected_type("fields", &p, "jsonobject"))?;
    let str_of = |key: &str| opt_str(item, key, &p);
    let label = str_of("field_label")?
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| CrmError::mandatory_missing("field_label", &format!("{p}.field_label")))?
        .trim()
        .to_string();
    if label.chars().count() > 50 {
        return Err(CrmError::max_length(
            "field_label",
            &format!("{p}.field_label"),
            50,
        ));
    }
    let data_type = creatable_type(str_of("data_type")?, &p)?;
    let api_name = new_api_name(conn, module, str_of("api_name")?, &label, &p)?;
    let length = field_length(item, data_type, &p)?;
    let mut new = NewField {
        custom: true,
        length,
        ..NewField::system(&api_name, &label, data_type, false)
    };
    if data_type == "lookup" {
        lookup_target(conn, item, &p, &mut new)?;
    }
    if matches!(data_type, "picklist" | "multiselectpicklist") {
        let pp = format!("{p}.pick_list_values");
        let values = item
            .get("pick_list_values")
            .ok_or_else(|| CrmError::mandatory_missing("pick_list_values", &pp))?;
        new.pick_list = pick_list_values(values, &pp)?;
        if new.pick_list.is_empty() {
            return Err(CrmError::mandatory_missing("pick_list_values", &pp));
        }
    }
    new.unique = match item.get("unique") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) | Some(Value::Object(_)) => true,
        Some(_) => {
            return Err(CrmError::expected_type(
                "unique",
                &format!("{p}.unique"),
                "jsonobject",
            ));
        }
    };
    if let Some(t) = item.get("tooltip") {
        new.tooltip = tooltip(t, &format!("{p}.tooltip"))?;
    }
    new.description = str_of("description")?.map(str::to_string);
    let field = meta::insert_field(conn, module, new)?;
    Ok(success("field created", json!({ "id": field.id })))
}

/// The item's `data_type`, which must be one a field can be created with.
fn creatable_type<'a>(data_type: Option<&'a str>, p: &str) -> Result<&'a str, CrmError> {
    let data_type = data_type
        .ok_or_else(|| CrmError::mandatory_missing("data_type", &format!("{p}.data_type")))?;
    if !standard::CREATABLE_TYPES
        .iter()
        .any(|(t, _)| *t == data_type)
    {
        let mut e = CrmError::invalid_data("data_type", &format!("{p}.data_type"));
        e.details["supported_values"] = json!(
            standard::CREATABLE_TYPES
                .iter()
                .map(|(t, _)| *t)
                .collect::<Vec<_>>()
        );
        return Err(e);
    }
    Ok(data_type)
}

/// The new field's api name (given, or made from its label), refused when the label or the
/// api name is the module's already.
fn new_api_name(
    conn: &Connection,
    module: &ModuleRow,
    given: Option<&str>,
    label: &str,
    p: &str,
) -> Result<String, CrmError> {
    let api_name = match given {
        Some(a) if !valid_api_name(a) => {
            return Err(CrmError::invalid_data("api_name", &format!("{p}.api_name")));
        }
        Some(a) => a.to_string(),
        None => api_name_from_label(label),
    };
    if api_name.is_empty() {
        return Err(CrmError::invalid_data(
            "field_label",
            &format!("{p}.field_label"),
        ));
    }
    let existing = meta::fields_of(conn, &module.api_name)?;
    if existing
        .iter()
        .any(|f| f.field_label.eq_ignore_ascii_case(label))
    {
        return Err(CrmError::duplicate(
            "field_label",
            &format!("{p}.field_label"),
        ));
    }
    if existing
        .iter()
        .any(|f| f.api_name.eq_ignore_ascii_case(&api_name))
    {
        return Err(CrmError::duplicate("api_name", &format!("{p}.api_name")));
    }
    Ok(api_name)
}

/// The item's `length`, between 1 and the type's longest (at least 255).
fn field_length(
    item: &Map<String, Value>,
    data_type: &str,
    p: &str,
) -> Result<Option<i64>, CrmError> {
    match item.get("length") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let n = v.as_i64().ok_or_else(|| {
                CrmError::expected_type("length", &format!("{p}.length"), "integer")
            })?;
            let max = standard::default_length(data_type).max(255);
            if n < 1 || n > max {
                return Err(CrmError::invalid_data("length", &format!("{p}.length")));
            }
            Ok(Some(n))
        }
    }
}

/// A lookup field's `lookup`: the module it points at and its related list's label and
/// api name.
fn lookup_target(
    conn: &Connection,
    item: &Map<String, Value>,
    p: &str,
    new: &mut NewField,
) -> Result<(), CrmError> {
    let lp = format!("{p}.lookup");
    let lookup = item
        .get("lookup")
        .and_then(Value::as_object)
        .ok_or_else(|| CrmError::mandatory_missing("lookup", &lp))?;
    let target = lookup
        .get("module")
        .and_then(|m| m.get("api_name").or(Some(m)))
        .and_then(Value::as_str)
        .ok_or_else(|| CrmError::mandatory_missing("module", &format!("{lp}.module")))?;
    let target = meta::module_by_name(conn, target)?
        .ok_or_else(|| CrmError::invalid_data("module", &format!("{lp}.module")))?;
    new.lookup_module = Some(target.api_name);
    new.rl_label = lookup
        .get("display_label")
        .and_then(Value::as_str)
        .map(str::to_string);
    new.rl_api_name = match lookup.get("api_name").and_then(Value::as_str) {
        Some(a) if !valid_api_name(a) => {
            return Err(CrmError::invalid_data(
                "api_name",
                &format!("{lp}.api_name"),
            ));
        }
        other => other.map(str::to_string),
    };
    Ok(())
}

/// `POST /settings/fields?module=`.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.fields.CREATE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let module = state.store.with(|c| param_module(c, &params))?;
    let body = json_object(&body)?;
    let items = match wrapper_array(&body, "fields") {
        Ok(items) => items,
        Err(e) => return Ok(e.wrapped("fields")),
    };
    if items.len() > MAX_FIELDS_PER_CREATE {
        return Ok(
            CrmError::max_length("fields", "$.fields", MAX_FIELDS_PER_CREATE as u64)
                .wrapped("fields"),
        );
    }
    let results = state.store.with(|c| {
        let tx = c.transaction()?;
        let results: Vec<ItemResult> = items
            .iter()
            .enumerate()
            .map(|(i, item)| create_one(&tx, &module, item, i))
            .collect();
        tx.commit()?;
        Ok::<_, CrmError>(results)
    })?;
    Ok(respond::batch("fields", results, StatusCode::CREATED))
}

fn update_one_field(
    conn: &Connection,
    module: &ModuleRow,
    id: &str,
    item: &Map<String, Value>,
    p: &str,
) -> ItemResult {
    let field = meta::field_by_id(conn, id)?
        .filter(|f| f.module.eq_ignore_ascii_case(&module.api_name))
        .ok_or_else(|| CrmError::invalid_data("id", &format!("{p}.id")))?;
    let now = now_ms();
    if let Some(label) = item.get("field_label") {
        let label = label
            .as_str()
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| CrmError::invalid_data("field_label", &format!("{p}.field_label")))?;
        let clash = meta::fields_of(conn, &module.api_name)?
            .iter()
            .any(|f| f.id != field.id && f.field_label.eq_ignore_ascii_case(label));
        if clash {
            return Err(CrmError::duplicate(
                "field_label",
                &format!("{p}.field_label"),
            ));
        }
        conn.execute(
            "UPDATE crm_fields SET field_label = ?2 WHERE id = ?1",
            params![id, label.trim()],
        )?;
    }
    if let Some(t) = item.get("tooltip") {
        let t = tooltip(t, &format!("{p}.tooltip"))?;
        conn.execute(
            "UPDATE crm_fields SET tooltip = ?2 WHERE id = ?1",
            params![id, t],
        )?;
    }
    if let Some(d) = item.get("description") {
        conn.execute(
            "UPDATE crm_fields SET description = ?2 WHERE id = ?1",
            params![id, d.as_str()],
        )?;
    }
    if let Some(values) = item.get("pick_list_values") {
        if !matches!(field.data_type.as_str(), "picklist" | "multiselectpicklist") {
            return Err(CrmError::invalid_data(
                "pick_list_values",
                &format!("{p}.pick_list_values"),
            ));
        }
        let values = pick_list_values(values, &format!("{p}.pick_list_values"))?;
        conn.execute(
            "UPDATE crm_fields SET pick_list = ?2 WHERE id = ?1",
            params![id, serde_json::to_string(&values).unwrap_or_default()],
        )?;
    }
    if let Some(length) = item.get("length") {
        let n = length
            .as_i64()
            .filter(|n| *n >= 1 && *n <= standard::default_length(&field.data_type).max(255))
            .ok_or_else(|| CrmError::invalid_data("length", &format!("{p}.length")))?;
        if !field.custom {
            return Err(CrmError::invalid_data("length", &format!("{p}.length")));
        }
        conn.execute(
            "UPDATE crm_fields SET length = ?2 WHERE id = ?1",
            params![id, n],
        )?;
    }
    conn.execute(
        "UPDATE crm_fields SET modified_ms = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    meta::touch_module(conn, &module.api_name)?;
    Ok(success("field updated", json!({ "id": id })))
}

/// `PATCH /settings/fields?module=`.
pub async fn update_many(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    patch(state, headers, params, None, body).await
}

/// `PATCH /settings/fields/{id}?module=`.
pub async fn update_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Params,
    body: Bytes,
) -> Result<Response, CrmError> {
    patch(state, headers, params, Some(id), body).await
}

async fn patch(
    state: AppState,
    headers: HeaderMap,
    params: Params,
    path_id: Option<String>,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.fields.UPDATE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let module = state.store.with(|c| param_module(c, &params))?;
    let body = json_object(&body)?;
    let items = match wrapper_array(&body, "fields") {
        Ok(items) => items,
        Err(e) => return Ok(e.wrapped("fields")),
    };
    let results = state.store.with(|c| {
        let tx = c.transaction()?;
        let results: Vec<ItemResult> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let p = format!("$.fields[{i}]");
                let obj = item
                    .as_object()
                    .ok_or_else(|| CrmError::expected_type("fields", &p, "jsonobject"))?;
                let id = match (&path_id, obj.get("id").and_then(super::context::body_id)) {
                    (Some(id), _) => id.clone(),
                    (None, Some(id)) => id,
                    (None, None) => {
                        return Err(CrmError::mandatory_missing("id", &format!("{p}.id")));
                    }
                };
                update_one_field(&tx, &module, &id, obj, &p)
            })
            .collect();
        tx.commit()?;
        Ok::<_, CrmError>(results)
    })?;
    Ok(respond::batch("fields", results, StatusCode::OK))
}

/// `DELETE /settings/fields/{id}?module=`: custom fields only; their values leave every record
/// and a lookup's related list disappears with it.
pub async fn delete_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.fields.DELETE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let result = state.store.with(|c| {
        let module = param_module(c, &params)?;
        let field = meta::field_by_id(c, &id)?
            .filter(|f| f.module.eq_ignore_ascii_case(&module.api_name))
            .ok_or_else(|| CrmError::invalid_data("id", "$.id"))?;
        if !field.custom {
            let mut e = CrmError::invalid_data("id", "$.id");
            e.message = "system fields cannot be deleted".into();
            return Err(e);
        }
        let tx = c.transaction()?;
        tx.execute("DELETE FROM crm_fields WHERE id = ?1", params![id])?;
        meta::touch_module(&tx, &module.api_name)?;
        tx.execute(
            "UPDATE crm_records SET data = json_remove(data, ?2) WHERE module = ?1",
            params![module.api_name, format!("$.{}", field.api_name)],
        )?;
        tx.commit()?;
        Ok(())
    });
    match result {
        Ok(()) => Ok(respond::json(
            StatusCode::OK,
            json!({ "fields": [success("field deleted", json!({ "id": id }))] }),
        )),
        Err(e) => Ok(e.into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_derive_from_labels() {
        assert_eq!(api_name_from_label("Project Status"), "Project_Status");
        assert_eq!(
            api_name_from_label(" Projects Client Id "),
            "Projects_Client_Id"
        );
        assert_eq!(api_name_from_label("% Done (est.)"), "Done_est");
        assert_eq!(api_name_from_label("2nd Owner"), "F_2nd_Owner");
    }
}
