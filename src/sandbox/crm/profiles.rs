//! Profiles: `GET /settings/profiles`, `GET /settings/profiles/{id}` with
//! `permissions_details` (each module's `Crm_Implied_{View,Create,Edit,Delete}_<Module>`), and
//! `PUT /settings/profiles/{id}` to switch those permissions on or off.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value, json};

use super::context::{caller, first_admin, json_object, require_admin, wrapper_array};
use super::db::{iso, now_ms};
use super::meta::{self, ADMIN_PROFILE};
use super::respond::{self, success};
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

const CUSTOMIZE: &str = "Crm_Implied_Customize_Zoho_CRM";

struct PermissionRow {
    id: String,
    name: String,
    module: String,
    action: String,
    enabled: bool,
}

fn permissions(conn: &Connection, profile_id: &str) -> rusqlite::Result<Vec<PermissionRow>> {
    let mut stmt = conn.prepare(
        "SELECT p.id, p.name, p.module, p.action, pp.enabled
         FROM crm_permissions p
         JOIN crm_profile_permissions pp ON pp.permission_id = p.id AND pp.profile_id = ?1
         JOIN crm_modules m ON m.api_name = p.module
         ORDER BY m.sequence, CASE p.action WHEN 'View' THEN 0 WHEN 'Create' THEN 1
                  WHEN 'Edit' THEN 2 ELSE 3 END",
    )?;
    stmt.query_map(params![profile_id], |r| {
        Ok(PermissionRow {
            id: r.get(0)?,
            name: r.get(1)?,
            module: r.get(2)?,
            action: r.get(3)?,
            enabled: r.get(4)?,
        })
    })?
    .collect()
}

/// Each permission as `permissions_details` shows it: Create, Edit and Delete name their
/// module's View as parent, since switching them on switches View on.
fn permission_details(perms: &[PermissionRow], is_admin: bool) -> Vec<Value> {
    let view_id = |module: &str| {
        perms
            .iter()
            .find(|p| p.module == module && p.action == "View")
            .map(|p| p.id.clone())
    };
    perms
        .iter()
        .map(|p| {
            let parents: Vec<String> = if p.action == "View" {
                vec![]
            } else {
                view_id(&p.module).into_iter().collect()
            };
            json!({
                "id": p.id,
                "name": p.name,
                "display_label": p.action,
                "module": p.module,
                "enabled": p.enabled,
                "customizable": !is_admin,
                "parent_permissions": parents,
            })
        })
        .collect()
}

/// The `modules` section: one category per module, in module order, listing its permission ids.
fn module_categories(conn: &Connection, perms: &[PermissionRow]) -> rusqlite::Result<Vec<Value>> {
    let mut categories: Vec<Value> = Vec::new();
    for module in meta::all_modules(conn)? {
        let ids: Vec<&str> = perms
            .iter()
            .filter(|p| p.module == module.api_name)
            .map(|p| p.id.as_str())
            .collect();
        categories.push(json!({
            "display_label": module.plural_label,
            "permissions_details": ids,
            "name": module.api_name,
            "module": module.api_name,
        }));
    }
    Ok(categories)
}

fn render(conn: &Connection, id: &str) -> rusqlite::Result<Option<Value>> {
    let row = conn
        .query_row(
            "SELECT name, description, is_default, custom, created_ms, modified_ms
             FROM crm_profiles WHERE id = ?1",
            params![id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )
        .optional()?;
    let Some((name, description, is_default, custom, created, modified)) = row else {
        return Ok(None);
    };
    let is_admin = name.eq_ignore_ascii_case(ADMIN_PROFILE);
    let perms = permissions(conn, id)?;
    let details = permission_details(&perms, is_admin);
    let categories = module_categories(conn, &perms)?;
    let admin = first_admin(conn)?;
    Ok(Some(json!({
        "name": name,
        "display_label": name,
        "description": description.unwrap_or_default(),
        "id": id,
        "default": is_default,
        "custom": custom,
        // An object, as Zoho's SDKs parse it (`Delete{permanent}`); profiles.json's boolean
        // is a documented defect (docs/sandbox.md). Built-in profiles cannot be deleted.
        "_delete": if custom { json!({ "permanent": false }) } else { Value::Null },
        "type": "normal_profile",
        "category": false,
        "permissions_details": details,
        "sections": [{ "name": "modules", "categories": categories }],
        "created_time": iso(created),
        "modified_time": iso(modified),
        "created_by": admin,
        "modified_by": admin,
    })))
}

/// `GET /settings/profiles`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.profiles.READ")?;
    let profiles = state.store.with(|c| {
        let ids: Vec<String> = c
            .prepare("SELECT id FROM crm_profiles ORDER BY created_ms, id")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .filter_map(|id| render(c, id).transpose())
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    Ok(respond::json(
        StatusCode::OK,
        json!({ "profiles": profiles }),
    ))
}

/// `GET /settings/profiles/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.profiles.READ")?;
    match state.store.with(|c| render(c, &id))? {
        Some(p) => Ok(respond::json(StatusCode::OK, json!({ "profiles": [p] }))),
        None => Ok(respond::no_content()),
    }
}

fn invalid_id(id: &str, api_name: &str, json_path: &str) -> CrmError {
    let mut e = CrmError::invalid_id(id);
    e.message = "the id given seems to be invalid or already deleted".into();
    e.details = json!({ "id": id, "api_name": api_name, "json_path": json_path });
    e
}

/// `PUT /settings/profiles/{id}`: `{"profiles":[{"permissions_details":[{"id","enabled"}]}]}`.
/// Enabling Create/Edit/Delete also enables View (their parent permission); disabling View
/// disables the others. The Administrator profile's permissions cannot be switched off.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CrmError> {
    let caller = caller(&state, &headers, "ZohoCRM.settings.profiles.UPDATE")?;
    require_admin(&caller, CUSTOMIZE)?;
    let body = json_object(&body)?;
    let items = wrapper_array(&body, "profiles")?;
    if items.len() > 1 {
        return Ok(CrmError::max_length("profiles", "$.profiles", 1).wrapped("profiles"));
    }
    let Some(item) = items[0].as_object().cloned() else {
        return Ok(
            CrmError::expected_type("profiles", "$.profiles[0]", "jsonobject").wrapped("profiles"),
        );
    };
    let result = state.store.with(|c| apply_update(c, &id, &item));
    Ok(match result {
        Ok(()) => respond::json(
            StatusCode::OK,
            json!({ "profiles": [success("profile updated successfully", json!({ "id": id }))] }),
        ),
        Err(e) if e.status == StatusCode::BAD_REQUEST => e.wrapped("profiles"),
        Err(e) => e.into_response(),
    })
}

/// Applies one profile's changes (name, description, permissions) in one transaction.
fn apply_update(c: &mut Connection, id: &str, item: &Map<String, Value>) -> Result<(), CrmError> {
    let tx = c.transaction()?;
    let name: String = tx
        .query_row(
            "SELECT name FROM crm_profiles WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| invalid_id(id, "id", "$.profiles[0]"))?;
    let is_admin = name.eq_ignore_ascii_case(ADMIN_PROFILE);
    let current = permissions(&tx, id)?;
    if let Some(new_name) = item.get("name") {
        rename(&tx, id, new_name)?;
    }
    if let Some(description) = item.get("description") {
        let description = description
            .as_str()
            .ok_or_else(|| CrmError::invalid_data("description", "$.profiles[0].description"))?;
        tx.execute(
            "UPDATE crm_profiles SET description = ?2 WHERE id = ?1",
            params![id, description],
        )?;
    }
    let changes = match item.get("permissions_details") {
        None | Some(Value::Null) => &[][..],
        Some(Value::Array(a)) => a.as_slice(),
        Some(_) => {
            return Err(CrmError::expected_type(
                "permissions_details",
                "$.profiles[0].permissions_details",
                "jsonarray",
            ));
        }
    };
    for (i, change) in changes.iter().enumerate() {
        let path = format!("$.profiles[0].permissions_details[{i}]");
        switch_permission(&tx, id, is_admin, &current, change, &path)?;
    }
    tx.execute(
        "UPDATE crm_profiles SET modified_ms = ?2 WHERE id = ?1",
        params![id, now_ms()],
    )?;
    tx.commit()?;
    Ok(())
}

/// Renames a profile; the name must be a non-blank string no other profile has.
fn rename(tx: &Connection, id: &str, new_name: &Value) -> Result<(), CrmError> {
    let new_name = new_name
        .as_str()
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| CrmError::invalid_data("name", "$.profiles[0].name"))?;
    let clash: bool = tx
        .query_row(
            "SELECT 1 FROM crm_profiles WHERE name = ?1 AND id <> ?2",
            params![new_name, id],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if clash {
        let mut e = CrmError::duplicate("name", "$.profiles[0].name");
        e.details = json!({ "api_name": "name", "id": id });
        return Err(e);
    }
    tx.execute(
        "UPDATE crm_profiles SET name = ?2 WHERE id = ?1",
        params![id, new_name],
    )?;
    Ok(())
}

/// One `permissions_details` entry (`{"id","enabled"}` at `path`): View follows a switched-on
/// Create/Edit/Delete, and a switched-off View takes the other three with it.
fn switch_permission(
    tx: &Connection,
    profile_id: &str,
    is_admin: bool,
    current: &[PermissionRow],
    change: &Value,
    path: &str,
) -> Result<(), CrmError> {
    let perm_id = change
        .get("id")
        .and_then(super::context::body_id)
        .ok_or_else(|| CrmError::mandatory_missing("id", &format!("{path}.id")))?;
    let enabled = change
        .get("enabled")
        .and_then(Value::as_bool)
        .ok_or_else(|| CrmError::expected_type("enabled", &format!("{path}.enabled"), "boolean"))?;
    let perm = current
        .iter()
        .find(|p| p.id == perm_id)
        .ok_or_else(|| invalid_id(&perm_id, "id", &format!("{path}.id")))?;
    if is_admin && !enabled {
        return Err(CrmError::not_allowed(
            "permissions_details",
            path,
            "permissions of the Administrator profile cannot be changed",
        ));
    }
    meta::set_permission(tx, profile_id, &perm.module, &perm.action, enabled)?;
    if enabled && perm.action != "View" {
        meta::set_permission(tx, profile_id, &perm.module, "View", true)?;
    }
    if !enabled && perm.action == "View" {
        for action in meta::ACTIONS.into_iter().filter(|a| *a != "View") {
            meta::set_permission(tx, profile_id, &perm.module, action, false)?;
        }
    }
    Ok(())
}
