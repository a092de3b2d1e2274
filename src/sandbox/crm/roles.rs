//! `GET /settings/roles` and `GET /settings/roles/{id}`: the role hierarchy.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::context::caller;
use super::db::iso;
use super::respond;
use crate::sandbox::error::CrmError;
use crate::sandbox::server::AppState;

fn roles(conn: &Connection, only: Option<&str>) -> rusqlite::Result<Vec<Value>> {
    let admin: Option<(String, String)> = conn
        .query_row(
            "SELECT u.id, u.first_name, u.last_name FROM crm_users u
             JOIN crm_profiles p ON p.id = u.profile_id
             WHERE p.name = 'Administrator' ORDER BY u.id LIMIT 1",
            [],
            |r| {
                let first: Option<String> = r.get(1)?;
                let last: String = r.get(2)?;
                Ok((
                    r.get(0)?,
                    super::context::full_name(first.as_deref(), &last),
                ))
            },
        )
        .ok();
    let mut stmt = conn.prepare(
        "SELECT r.id, r.name, r.description, r.share_with_peers, r.reporting_to, m.name,
                r.created_ms, r.modified_ms
         FROM crm_roles r LEFT JOIN crm_roles m ON m.id = r.reporting_to
         WHERE ?1 IS NULL OR r.id = ?1
         ORDER BY r.created_ms, r.id",
    )?;
    stmt.query_map(params![only], |r| {
        let id: String = r.get(0)?;
        let name: String = r.get(1)?;
        let mut role = json!({
            "display_label": name,
            "name": name,
            "id": id,
            "description": r.get::<_, Option<String>>(2)?,
            "share_with_peers": r.get::<_, bool>(3)?,
            "admin_user": false,
            "created_time__s": iso(r.get(6)?),
            "modified_time__s": iso(r.get(7)?),
        });
        if let Some(manager) = r.get::<_, Option<String>>(4)? {
            role["reporting_to"] = json!({ "id": manager, "name": r.get::<_, String>(5)? });
        } else {
            // The top of the hierarchy is the role the org's administrators hold.
            role["admin_user"] = json!(true);
        }
        if let Some((uid, uname)) = &admin {
            role["created_by__s"] = json!({ "name": uname, "id": uid });
            role["modified_by__s"] = json!({ "name": uname, "id": uid });
        }
        Ok(role)
    })?
    .collect()
}

/// `GET /settings/roles`.
pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.roles.READ")?;
    let roles = state.store.with(|c| roles(c, None))?;
    Ok(respond::json(StatusCode::OK, json!({ "roles": roles })))
}

/// `GET /settings/roles/{id}`.
pub async fn get_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CrmError> {
    caller(&state, &headers, "ZohoCRM.settings.roles.READ")?;
    let roles = state.store.with(|c| roles(c, Some(&id)))?;
    if roles.is_empty() {
        return Ok(respond::no_content());
    }
    Ok(respond::json(StatusCode::OK, json!({ "roles": roles })))
}
