//! Module metadata: `GET /settings/modules`, `GET /settings/modules/{api_name}` and
//! `POST /settings/modules` (one custom module per request). A module created here is a real
//! module afterwards: it takes records, fields, lookups and profile permissions.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, params};
use serde_json::{Map, Value, json};

use super::context::{
    Params, caller, first_admin, json_object, opt_str, require_admin, wrapper_array,
};
use super::db::iso;
use super::fields;
use super::meta::{self, ModuleRow, NewModule};
use super::related_lists;
use super::respond::{self, success};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

const CUSTOMIZE: &str = "Crm_Implied_Customize_Zoho_CRM";

/// Path segments of `/crm/v8/...` that are not modules and cannot become module names.
const RESERVED: &[&str] = &[
    "settings",
    "users",
    "org",
    "coql",
    "bulk",
    "functions",
    "composite",
    "Notes",
    "Attachments",
];

/// A module as module metadata describes it; `detail` adds its related lists. Field metadata
/// is served by the fields API, so `fields` stays empty here.
pub fn render(conn: &Connection, m: &ModuleRow, detail: bool) -> rusqlite::Result<Value> {
    let profiles = viewing_profiles(conn, m)?;
    let field_rows = meta::fields_of(conn, &m.api_name)?;
    let display_id = field_rows
        .iter()
        .find(|f| f.api_name == m.display_field)
        .map(|f| f.id.clone());
    // The module shows the first Administrator as its last modifier.
    let admin = first_admin(conn).unwrap_or_else(|_| json!({ "name": "", "id": null }));
    let related = if detail {
        related_lists::related_lists(conn, m)?
    } else {
        vec![]
    };
    Ok(respond::merged([
        identity(m),
        abilities(m),
        people(m, admin, profiles, display_id.clone()),
        views(m, related, display_id),
    ]))
}

/// The profiles that may view the module.
fn viewing_profiles(conn: &Connection, m: &ModuleRow) -> rusqlite::Result<Vec<Value>> {
    conn.prepare(
        "SELECT pr.id, pr.name FROM crm_profiles pr
             JOIN crm_profile_permissions pp ON pp.profile_id = pr.id AND pp.enabled = 1
             JOIN crm_permissions p ON p.id = pp.permission_id
             WHERE p.module = ?1 AND p.action = 'View'
             ORDER BY pr.created_ms, pr.id",
    )?
    .query_map(params![m.api_name], |r| {
        Ok(json!({ "id": r.get::<_, String>(0)?, "name": r.get::<_, String>(1)? }))
    })?
    .collect::<rusqlite::Result<_>>()
}

// A data table: the module's identity and what it supports.
fn identity(m: &ModuleRow) -> Value {
    let custom = m.is_custom();
    json!({
        "has_more_profiles": false,
        "sub_menu_available": false,
        "global_search_supported": true,
        "common.search_supported": true,
        "deletable": custom,
        "description": m.description,
        "creatable": true,
        "recycle_bin_on_delete": true,
        "inventory_template_supported": matches!(
            m.api_name.as_str(),
            "Quotes" | "Sales_Orders" | "Purchase_Orders" | "Invoices"
        ),
        // Zoho's answers carry it for standard modules too (Leads in its module metadata
        // examples); `null` only for modules that cannot be customised (Home), which the
        // sandbox has none of. Fields created, changed or deleted move it (meta.rs).
        "modified_time": iso(m.modified_ms),
        "plural_label": m.plural_label,
        "presence_sub_menu": false,
        "triggers_supported": true,
        "id": m.id,
        "chart_view": false,
        "isBlueprintSupported": true,
        "visibility": 1,
    })
}

// A data table: what may be done with the module.
fn abilities(m: &ModuleRow) -> Value {
    json!({
        "visible": true,
        "convertable": false,
        "editable": true,
        "emailTemplate_support": true,
        "email_parser_supported": false,
        "filter_supported": true,
        "show_as_tab": true,
        "web_link": null,
        "sequence_number": m.sequence,
        "singular_label": m.singular_label,
        "viewable": true,
        "api_supported": true,
        "api_name": m.api_name,
        "quick_create": true,
        "generated_type": m.generated_type,
        "feeds_required": false,
        "scoring_supported": true,
        "webform_supported": true,
        "arguments": [],
    })
}

// A data table: who sees and last changed the module, and its lookup properties.
fn people(m: &ModuleRow, admin: Value, profiles: Vec<Value>, display_id: Option<String>) -> Value {
    json!({
        "module_name": m.module_name,
        "chart_view_supported": true,
        "profile_count": profiles.len(),
        "business_card_field_limit": 5,
        "track_current_data": false,
        "modified_by": admin,
        "profiles": profiles,
        "parent_module": {},
        "activity_badge": null,
        "$field_states": [],
        "business_card_fields": [],
        "per_page": 200,
        "$properties": [],
        "$on_demand_properties": [],
        "search_layout_fields": [m.display_field],
        "kanban_view_supported": true,
        "lookup_field_properties": {
            "fields": [{ "sequence_number": 1, "api_name": m.display_field, "id": display_id }]
        },
    })
}

// A data table: the module's views, related lists and display field.
fn views(m: &ModuleRow, related: Vec<Value>, display_id: Option<String>) -> Value {
    let display_ref = json!({
        "api_name": m.display_field,
        "id": display_id,
    });
    json!({
        "kanban_view": false,
        "related_lists": related,
        "filter_status": true,
        "related_list_properties": {
            "sort_by": { "api_name": null, "id": null },
            "fields": [m.display_field],
            "sort_order": null,
        },
        "display_field": display_ref,
        "layouts": [],
        "fields": [],
        "custom_view": null,
        "zia_view": false,
        "default_mapping_fields": [],
        "layout_associations": [],
        "status": "visible",
    })
}

/// `GET /settings/modules`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.modules.READ")?;
    if let Some(status) = params.get("status")
        && !status.split(',').all(|s| {
            matches!(
                s.trim(),
                "visible" | "user_hidden" | "system_hidden" | "scheduled_for_deletion"
            )
        })
    {
        return Err(CrmError::invalid_param("status", "invalid data"));
    }
    let visible_wanted = params
        .get("status")
        .is_none_or(|s| s.split(',').any(|x| x.trim() == "visible"));
    let modules = state.store.with(|c| {
        if !visible_wanted {
            return Ok(vec![]);
        }
        meta::all_modules(c)?
            .iter()
            .map(|m| render(c, m, false))
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    Ok(respond::json(StatusCode::OK, json!({ "modules": modules })))
}

/// `GET /settings/modules/{api_name}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(api_name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.modules.READ")?;
    let module = state.store.with(|c| {
        let m = meta::module_by_name(c, &api_name)?;
        let m = match m {
            Some(m) => Some(m),
            None => meta::module_by_id(c, &api_name)?,
        };
        m.map(|m| render(c, &m, true)).transpose()
    })?;
    match module {
        Some(m) => Ok(respond::json(StatusCode::OK, json!({ "modules": [m] }))),
        None => Err(CrmError::invalid_module_in_path(2)),
    }
}

/// `POST /settings/modules`: `{"modules":[{"singular_label","plural_label","api_name"?,
/// "profiles":[{"id"}]?}]}`. Without profiles only Administrators see the new module.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.modules.CREATE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let body = json_object(&body)?;
    let items = match wrapper_array(&body, "modules") {
        Ok(items) => items,
        Err(e) => return Ok(e.wrapped("modules")),
    };
    if items.len() > 1 {
        return Ok(CrmError::max_length("modules", "$.modules", 1).wrapped("modules"));
    }
    let p = "$.modules[0]";
    let Some(item) = items[0].as_object().cloned() else {
        return Ok(CrmError::expected_type("modules", p, "jsonobject").wrapped("modules"));
    };
    let result = state.store.with(|c| -> Result<String, CrmError> {
        let (singular, plural) = labels(&item, p)?;
        let api_name = new_api_name(c, &item, p, &plural)?;
        let profiles = profile_ids(c, &item, p)?;
        let tx = c.transaction()?;
        let module = meta::create_module(
            &tx,
            NewModule {
                api_name,
                module_name: None,
                singular_label: singular,
                plural_label: plural,
                custom: true,
                display_field: "Name".into(),
                description: opt_str(&item, "description", p)?.map(str::to_string),
                profiles,
            },
        )?;
        meta::add_audit_fields(&tx, &module)?;
        tx.commit()?;
        Ok(module.id)
    });
    Ok(match result {
        Ok(id) => respond::json(
            StatusCode::OK,
            json!({ "modules": [success("module created", json!({ "id": id }))] }),
        ),
        Err(e) if e.status == StatusCode::BAD_REQUEST => e.wrapped("modules"),
        Err(e) => e.into_response(),
    })
}

/// The new module's singular and plural labels, each present and at most 25 characters.
fn labels(item: &Map<String, Value>, p: &str) -> Result<(String, String), CrmError> {
    let singular = opt_str(item, "singular_label", p)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            CrmError::mandatory_missing("singular_label", &format!("{p}.singular_label"))
        })?
        .trim()
        .to_string();
    let plural = opt_str(item, "plural_label", p)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| CrmError::mandatory_missing("plural_label", &format!("{p}.plural_label")))?
        .trim()
        .to_string();
    for (key, value) in [("singular_label", &singular), ("plural_label", &plural)] {
        if value.chars().count() > 25 {
            return Err(CrmError::max_length(key, &format!("{p}.{key}"), 25));
        }
    }
    Ok((singular, plural))
}

/// The new module's api name (given, or made from its plural label), which must be valid,
/// not reserved, and not the name or plural label of a module the org has.
fn new_api_name(
    c: &Connection,
    item: &Map<String, Value>,
    p: &str,
    plural: &str,
) -> Result<String, CrmError> {
    let api_name = match opt_str(item, "api_name", p)? {
        Some(a) => a.to_string(),
        None => fields::api_name_from_label(plural),
    };
    let valid = api_name.starts_with(|ch: char| ch.is_ascii_alphabetic())
        && api_name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&api_name));
    if !valid {
        return Err(CrmError::invalid_data("api_name", &format!("{p}.api_name")));
    }
    for existing in meta::all_modules(c)? {
        if existing.api_name.eq_ignore_ascii_case(&api_name) {
            return Err(CrmError::duplicate("api_name", &format!("{p}.api_name")));
        }
        if existing.plural_label.eq_ignore_ascii_case(plural) {
            return Err(CrmError::duplicate(
                "plural_label",
                &format!("{p}.plural_label"),
            ));
        }
    }
    Ok(api_name)
}

/// The profiles that may see the new module (`Some(empty)`: Administrators only); each
/// must exist.
fn profile_ids(
    c: &Connection,
    item: &Map<String, Value>,
    p: &str,
) -> Result<Option<Vec<String>>, CrmError> {
    let profiles = match item.get("profiles") {
        None | Some(Value::Null) => Some(vec![]),
        Some(Value::Array(list)) => {
            let mut ids = Vec::new();
            for (i, entry) in list.iter().enumerate() {
                let pp = format!("{p}.profiles[{i}]");
                let id = entry
                    .get("id")
                    .and_then(super::context::body_id)
                    .ok_or_else(|| CrmError::mandatory_missing("id", &format!("{pp}.id")))?;
                let known: bool = c
                    .query_row(
                        "SELECT 1 FROM crm_profiles WHERE id = ?1",
                        params![id],
                        |_| Ok(()),
                    )
                    .is_ok();
                if !known {
                    return Err(CrmError::invalid_data("id", &format!("{pp}.id")));
                }
                ids.push(id.to_string());
            }
            Some(ids)
        }
        Some(_) => {
            return Err(CrmError::expected_type(
                "profiles",
                &format!("{p}.profiles"),
                "jsonarray",
            ));
        }
    };
    Ok(profiles)
}
