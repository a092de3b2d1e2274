//! `GET /settings/layouts?module=` and `/settings/layouts/{id}?module=`: every module's one
//! "Standard" layout, whose single section holds all the module's fields. A real org always
//! has layouts, and Zoho's SDKs read them; the sandbox has no layout editor, so there is
//! exactly one per module, derived from the module and its fields (layouts.json).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::Connection;
use serde_json::{Map, Value, json};

use super::context::{Params, caller, param_module};
use super::db::iso;
use super::field_json;
use super::meta::{self, ModuleRow};
use super::respond;
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

/// Layout and section ids live in an id range nothing else uses: the module's id with the
/// first digit of its 12-digit counter (always 0, see `db::next_id`) replaced by `digit`.
fn derived_id(module: &ModuleRow, digit: char) -> String {
    match (module.id.get(..7), module.id.get(8..)) {
        (Some(prefix), Some(rest)) if module.id.len() == 19 => format!("{prefix}{digit}{rest}"),
        _ => format!("{}{digit}", module.id),
    }
}

pub fn layout_id(module: &ModuleRow) -> String {
    derived_id(module, '9')
}

fn section_id(module: &ModuleRow) -> String {
    derived_id(module, '8')
}

/// Members layouts.json requires of a section's field beyond what the fields API renders,
/// with the value Zoho sends when the feature is unused.
fn layout_field_extras(section: u64) -> Value {
    json!({
        "required": false,
        "validation_rule": null,
        "default_value": null,
        "section_id": section,
        "blueprint_supported": false,
        "multi_module_lookup": null,
        "file_upolad_optionlist": [],
        "allowed_modules": [],
        "hipaa_compliance_enabled": false,
        "static_values": [],
        "static_field": false,
        "layout_associations": [],
        "field_read_only": false,
        "customizable_properties": [],
        "businesscard_supported": true,
        "filterable": true,
        "available_in_user_layout": true,
        "display_field": false,
        "pick_list_values_sorted_lexically": false,
        "sortable": true,
        "separator": false,
        "searchable": true,
        "mass_update": false,
        "created_source": "default",
        "type": "used",
        "display_type": -1,
        "ui_type": 1,
        "colour_code_enabled_by_system": false,
        "quick_sequence_number": "1",
        "rollup_summary": null,
        "show_type": 7,
        "category": 0,
        "additional_column": null,
        "common.picklist": null,
        "_update_existing_records": false,
        "number_separator": false,
        "_delete": null,
    })
}

/// The module's one layout, as layouts.json describes a layout.
fn render(conn: &Connection, module: &ModuleRow) -> rusqlite::Result<Value> {
    let section = section_id(module);
    let section_number: u64 = section.parse().unwrap_or_default();
    let mut fields = Vec::new();
    for (i, f) in meta::fields_of(conn, &module.api_name)?.iter().enumerate() {
        let mut field = field_json::render(conn, module, f)?;
        if let (Value::Object(out), Value::Object(extra)) =
            (&mut field, layout_field_extras(section_number))
        {
            for (k, v) in extra {
                out.entry(k).or_insert(v);
            }
            out.insert("sequence_number".into(), json!(i + 1));
            out.insert("required".into(), json!(f.mandatory));
        }
        fields.push(field);
    }
    let id = layout_id(module);
    let profiles: Vec<Value> = conn
        .prepare("SELECT id, name FROM crm_profiles ORDER BY created_ms, id")?
        .query_map([], |r| {
            Ok(json!({
                "name": r.get::<_, String>(1)?,
                "id": r.get::<_, String>(0)?,
                "default": true,
                "_default_view": { "name": "Standard", "id": id, "type": "layout" },
            }))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let admin = meta_admin(conn)?;
    Ok(json!({
        "id": id,
        "name": "Standard",
        "display_label": "Standard",
        "api_name": "Standard",
        "has_more_profiles": false,
        "created_time": iso(module.created_ms),
        "modified_time": iso(module.modified_ms),
        "created_by": admin,
        "modified_by": admin,
        "created_for": null,
        "visible": true,
        "source": "crm",
        "mode": "standard",
        "status": "active",
        "show_business_card": false,
        "generated_type": "default",
        "display_type": -1,
        // Only Leads layouts map conversions; the sandbox converts no leads.
        "convert_mapping": null,
        "subform_properties": { "pinned_column": null },
        "profiles": profiles,
        "actions_allowed": {
            "edit": true, "rename": false, "clone": true, "downgrade": false,
            "delete": false, "deactivate": false, "set_layout_permissions": true,
        },
        "sections": [{
            "id": section,
            "api_name": format!("{} Information", module.singular_label),
            "name": format!("{} Information", module.singular_label),
            "display_label": format!("{} Information", module.singular_label),
            "sequence_number": 1,
            "column_count": 2,
            "tab_traversal": "left_to_right",
            "isSubformSection": false,
            "generated_type": "default",
            "type": "used",
            "properties": { "reorder_rows": null, "maximum_rows": null, "tooltip": null },
            "_delete": null,
            "fields": fields,
        }],
    }))
}

/// The org's first administrator as `{"name","id","email"}`: who "created" built-in layouts.
fn meta_admin(conn: &Connection) -> rusqlite::Result<Value> {
    use rusqlite::OptionalExtension;
    let row = conn
        .query_row(
            "SELECT u.id, u.first_name, u.last_name, u.email FROM crm_users u
             JOIN crm_profiles p ON p.id = u.profile_id
             WHERE p.name = 'Administrator' ORDER BY u.created_ms, u.id LIMIT 1",
            [],
            |r| {
                let first: Option<String> = r.get(1)?;
                let last: String = r.get(2)?;
                Ok(json!({
                    "id": r.get::<_, String>(0)?,
                    "name": super::context::full_name(first.as_deref(), &last),
                    "email": r.get::<_, String>(3)?,
                }))
            },
        )
        .optional()?;
    Ok(row.unwrap_or(Value::Null))
}

fn wrap(layouts: Vec<Value>) -> Response {
    let mut body = Map::new();
    body.insert("layouts".into(), Value::Array(layouts));
    respond::json(StatusCode::OK, Value::Object(body))
}

/// `GET /settings/layouts?module=`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.layouts.READ")?;
    let layout = state.store.with(|c| {
        let module = param_module(c, &params)?;
        Ok::<_, CrmError>(render(c, &module)?)
    })?;
    Ok(wrap(vec![layout]))
}

/// `GET /settings/layouts/{id}?module=`: 204 for an id that is not the module's layout.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.layouts.READ")?;
    let found = state.store.with(|c| {
        let module = param_module(c, &params)?;
        if layout_id(&module) != id {
            return Ok::<_, CrmError>(None);
        }
        Ok(Some(render(c, &module)?))
    })?;
    Ok(match found {
        Some(layout) => wrap(vec![layout]),
        None => respond::no_content(),
    })
}
