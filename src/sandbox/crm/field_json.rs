//! A field as Zoho's field metadata describes it: every member fields.json lists, with the
//! values the sandbox's fields actually have.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::db::iso;
use super::meta::{self, FieldRow, ModuleRow};
use super::respond;
use super::standard;

fn ui_type(data_type: &str) -> i64 {
    match data_type {
        "text" => 1,
        "textarea" => 3,
        "email" => 25,
        "phone" => 33,
        "website" => 21,
        "picklist" => 2,
        "multiselectpicklist" => 100,
        "date" => 24,
        "datetime" => 333,
        "integer" => 32,
        "bigint" => 36,
        "double" | "decimal" => 38,
        "currency" => 36,
        "percent" => 37,
        "boolean" => 301,
        "lookup" => 133,
        "ownerlookup" => 8,
        _ => 1,
    }
}

/// A field as Zoho's field metadata describes it.
pub fn render(conn: &Connection, module: &ModuleRow, f: &FieldRow) -> rusqlite::Result<Value> {
    let profiles = field_profiles(conn, f)?;
    let lookup = lookup(conn, f)?;
    Ok(respond::merged([
        behaviour(module, f),
        identity(f),
        relations(f, lookup, profiles),
        extras(f),
    ]))
}

/// Every profile, with the field's permission in it.
fn field_profiles(conn: &Connection, f: &FieldRow) -> rusqlite::Result<Vec<Value>> {
    conn.prepare("SELECT id, name FROM crm_profiles ORDER BY created_ms, id")?
        .query_map([], |r| {
            Ok(json!({
                "name": r.get::<_, String>(1)?,
                "id": r.get::<_, String>(0)?,
                "permission_type": if f.read_only { "read_only" } else { "read_write" },
            }))
        })?
        .collect::<rusqlite::Result<_>>()
}

/// A picklist's values as Zoho lists them.
fn pick_list(f: &FieldRow) -> Vec<Value> {
    f.pick_list
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "display_value": v,
                "actual_value": v,
                "sequence_number": i + 1,
                "id": format!("{}{:03}", &f.id[..16], i + 1),
                "type": "used",
                "colour_code": null,
                "reference_value": v,
            })
        })
        .collect()
}

/// A lookup field's target and related list (an empty object for other fields).
fn lookup(conn: &Connection, f: &FieldRow) -> rusqlite::Result<Value> {
    Ok(match (&f.lookup_module, &f.rl_id) {
        (Some(target), Some(rl_id)) => {
            let target_id = meta::module_by_name(conn, target)?
                .map(|m| m.id)
                .unwrap_or_default();
            json!({
                "display_label": f.rl_label,
                "api_name": f.rl_api_name,
                "module": { "api_name": target, "id": target_id },
                "id": rl_id,
                "query_details": {},
                "revalidate_filter_during_edit": false,
                "show_fields": [],
            })
        }
        _ => json!({}),
    })
}

// A data table: what Zoho says of how a field behaves, value by value.
fn behaviour(module: &ModuleRow, f: &FieldRow) -> Value {
    let system = !f.custom;
    json!({
        "associated_module": null,
        "data_type": f.data_type,
        "operation_type": {
            "web_update": !f.read_only,
            "api_create": !f.read_only,
            "web_create": !f.read_only,
            "api_update": !f.read_only,
        },
        "system_mandatory": f.mandatory && system,
        "webhook": true,
        "sequence_number": f.sequence,
        "blueprint_supported": false,
        "virtual_field": false,
        "field_read_only": f.read_only,
        "customizable_properties": [],
        "read_only": f.read_only,
        "custom_field": f.custom,
        "businesscard_supported": true,
        "filterable": true,
        "visible": true,
        "available_in_user_layout": true,
        "display_field": f.api_name == module.display_field,
        "pick_list_values_sorted_lexically": false,
        "sortable": true,
        "layout_associations": [],
        "separator": false,
        "searchable": true,
        "enable_colour_code": false,
        "mass_update": !f.read_only,
    })
}

// A data table: the field's names, type and times.
fn identity(f: &FieldRow) -> Value {
    let system = !f.custom;
    json!({
        "json_type": standard::json_type(&f.data_type),
        "created_source": if system { "default" } else { "crm" },
        "type": "used",
        "display_label": f.field_label,
        "field_label": f.field_label,
        "column_name": f.api_name.to_uppercase(),
        "api_name": f.api_name,
        "display_type": -1,
        "ui_type": ui_type(&f.data_type),
        "colour_code_enabled_by_system": false,
        "length": f.length,
        "decimal_place": if standard::json_type(&f.data_type) == "double" { json!(2) } else { Value::Null },
        "quick_sequence_number": f.sequence.to_string(),
        "email_parser": { "fields_update_supported": false, "record_operations_supported": false },
        "rollup_summary": null,
        "refer_from_field": null,
        "created_time": if system { Value::Null } else { json!(iso(f.created_ms)) },
        "modified_time": if system { Value::Null } else { json!(iso(f.modified_ms)) },
        "show_type": 7,
        "category": 0,
        "id": f.id,
    })
}

// A data table: the field's lookup, profiles and other relations.
fn relations(f: &FieldRow, lookup: Value, profiles: Vec<Value>) -> Value {
    json!({
        "multi_module_lookup": null,
        "sharing_properties": null,
        "currency": if f.data_type == "currency" { json!({ "rounding_option": "normal", "precision": 2 }) } else { Value::Null },
        "file_upolad_optionlist": [],
        "lookup": lookup,
        "profiles": profiles,
        "view_type": { "view": true, "edit": !f.read_only, "quick_create": f.mandatory, "create": !f.read_only },
        "unique": if f.unique { json!({ "casesensitive": false }) } else { Value::Null },
        "sub_module": null,
        "subform": null,
        "external": null,
        "formula": null,
        "private": null,
    })
}

// A data table: the rest of Zoho's field properties.
fn extras(f: &FieldRow) -> Value {
    let system = !f.custom;
    json!({
        "convert_mapping": { "Contacts": null, "Deals": null, "Accounts": null },
        "multiselectlookup": null,
        "multiuserlookup": null,
        "autonumber": null,
        "auto_number": null,
        "pick_list_values": pick_list(f),
        "crypt": null,
        "tooltip": f.tooltip.as_ref().map(|t| json!({ "name": "Static Text", "value": t })),
        "description": f.description,
        "history_tracking": null,
        "association_details": null,
        "allowed_modules": [],
        "additional_column": null,
        "common.picklist": null,
        "hipaa_compliance_enabled": false,
        "hipaa_compliance": { "restricted_in_export": false, "restricted": false },
        "_update_existing_records": false,
        "number_separator": false,
        "textarea": if f.data_type == "textarea" { json!({ "type": "large" }) } else { Value::Null },
        "static_field": system,
    })
}
