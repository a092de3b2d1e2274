//! V3 user endpoints: portal users (list by `view_type`, add, change role), client users
//! (`type=2`, by `company_ids`), and project users (list, add). The rules are the legacy
//! API's ([`rules::users`]); roles are given by id.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::body::{self, Object};
use super::error::{V3Error, V3Result};
use super::projects::find_project;
use super::render;
use super::request::{Paging, V3Request, in_portal};
use super::wire::{self, USERS_DEFAULT_PER_PAGE, USERS_MAX_PER_PAGE, key, param};
use crate::sandbox::projects::db::{self, Client, UserFilter};
use crate::sandbox::projects::model::Role;
use crate::sandbox::projects::params::{parse_id, split_list};
use crate::sandbox::projects::rules::users as rules;
use crate::sandbox::projects::rules::{Caller, Field, RuleError};
use crate::sandbox::projects::wire::{permission, scope};
use crate::sandbox::server::AppState;

/// GET /api/v3/portal/{portal_id}/users
pub async fn list(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::USERS_READ, |conn, caller| {
        let paging = req.paging(USERS_DEFAULT_PER_PAGE, USERS_MAX_PER_PAGE)?;
        let view_type = req
            .query
            .non_empty(param::VIEW_TYPE)
            .unwrap_or(wire::DEFAULT_VIEW_TYPE);
        let filter = match view_type.to_ascii_lowercase().as_str() {
            "active" => UserFilter::Active,
            "inactive" => UserFilter::Inactive,
            "all" => UserFilter::All,
            _ => {
                return Err(V3Error::invalid(
                    param::VIEW_TYPE,
                    format!("Invalid value for view_type: {view_type:?} (active, inactive or all)"),
                ));
            }
        };
        let user_type = req.query.non_empty(param::TYPE);
        let body = match user_type.unwrap_or(wire::USER_TYPE_PORTAL) {
            wire::USER_TYPE_PORTAL => portal_users(conn, caller, filter, paging)?,
            wire::USER_TYPE_CLIENT => client_users(conn, caller, &req, filter, paging)?,
            other => {
                return Err(V3Error::invalid(
                    param::TYPE,
                    format!("Invalid value for type: {other:?} (1 portal users, 2 client users)"),
                ));
            }
        };
        Ok(Json(body).into_response())
    })
}

fn portal_users(
    conn: &Connection,
    caller: &Caller,
    filter: UserFilter,
    paging: Paging,
) -> V3Result<Value> {
    let rows = db::members(
        conn,
        caller.portal.id,
        filter,
        paging.offset(),
        paging.probe_limit(),
    )?;
    let (rows, more) = paging.cut(rows);
    let items = rows
        .iter()
        .map(|m| render::user(caller.portal.id, m, m.role))
        .collect();
    let count = db::count_members(conn, caller.portal.id, filter)?;
    Ok(paging.counted_envelope("users", items, more, count))
}

/// Client users, of the companies in `company_ids` or of all; they are never inactive.
fn client_users(
    conn: &Connection,
    caller: &Caller,
    req: &V3Request,
    filter: UserFilter,
    paging: Paging,
) -> V3Result<Value> {
    let mut companies: BTreeMap<i64, Client> = BTreeMap::new();
    let wanted = split_list(req.query.non_empty(param::COMPANY_IDS).unwrap_or(""));
    for value in &wanted {
        let id = parse_id(param::COMPANY_IDS, value)
            .map_err(|e| V3Error::invalid(param::COMPANY_IDS, e.message))?;
        let client = db::client(conn, caller.portal.id, id)?
            .ok_or_else(|| V3Error::not_found(format!("Client {value} not found")))?;
        companies.insert(id, client);
    }
    if filter == UserFilter::Inactive {
        return Ok(paging.envelope("users", Vec::new(), false));
    }
    let ids: Vec<i64> = companies.keys().copied().collect();
    let rows = db::client_users_page(
        conn,
        caller.portal.id,
        &ids,
        paging.offset(),
        paging.probe_limit(),
    )?;
    let (rows, more) = paging.cut(rows);
    let mut items = Vec::with_capacity(rows.len());
    for user in &rows {
        if !companies.contains_key(&user.client_id)
            && let Some(c) = db::client(conn, caller.portal.id, user.client_id)?
        {
            companies.insert(c.id, c);
        }
        if let Some(company) = companies.get(&user.client_id) {
            let mut projects = Vec::new();
            for id in db::client_user_projects(conn, user.zpuid)? {
                projects.extend(db::project(conn, caller.portal.id, id)?);
            }
            items.push(render::client_user(user, company, &projects));
        }
    }
    Ok(paging.envelope("users", items, more))
}

/// POST /api/v3/portal/{portal_id}/users
pub async fn add(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::USERS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PORTAL_USERS, "add portal users")?;
        let mut added = Vec::new();
        for (email, role) in user_entries(req.body()?, caller.portal.id)? {
            let role = role.unwrap_or(wire::DEFAULT_ROLE);
            let member = rules::add_portal_user(conn, caller.portal.id, &email, role)?;
            added.push(render::user(caller.portal.id, &member, member.role));
        }
        Ok((StatusCode::CREATED, Json(json!({"users": added}))).into_response())
    })
}

/// PATCH /api/v3/portal/{portal_id}/users/{user_id}
pub async fn update(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::USERS_UPDATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PORTAL_USERS, "change portal users")?;
        let user_id = req.path_id("user_id", "User")?;
        let member = db::member_by_user_id(conn, caller.portal.id, user_id)?
            .ok_or_else(|| V3Error::not_found("User not found"))?;
        let role =
            role(req.body()?, caller.portal.id)?.ok_or_else(|| V3Error::missing(key::ROLE))?;
        let updated = rules::change_role(conn, member, role)?;
        Ok(Json(render::user(caller.portal.id, &updated, updated.role)).into_response())
    })
}

/// GET /api/v3/portal/{portal_id}/projects/{project_id}/users
pub async fn list_project_users(
    State(state): State<AppState>,
    req: V3Request,
) -> V3Result<Response> {
    in_portal(&state, &req, scope::USERS_READ, |conn, caller| {
        let paging = req.paging(USERS_DEFAULT_PER_PAGE, USERS_MAX_PER_PAGE)?;
        let project = find_project(conn, caller, &req)?;
        let (rows, more) = paging.slice(db::project_users(conn, project.id)?);
        let items = rows
            .iter()
            .map(|(m, role)| render::user(caller.portal.id, m, *role))
            .collect();
        Ok(Json(paging.envelope("users", items, more)).into_response())
    })
}

/// POST /api/v3/portal/{portal_id}/projects/{project_id}/users
pub async fn add_project_users(
    State(state): State<AppState>,
    req: V3Request,
) -> V3Result<Response> {
    in_portal(&state, &req, scope::USERS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "add project users")?;
        let project = find_project(conn, caller, &req)?;
        let mut added = Vec::new();
        for (email, role) in user_entries(req.body()?, caller.portal.id)? {
            let (member, project_role) =
                rules::add_project_user(conn, caller.portal.id, project.id, &email, role)?;
            added.push(render::user(caller.portal.id, &member, project_role));
        }
        Ok((StatusCode::CREATED, Json(json!({"users": added}))).into_response())
    })
}

/// The `users` array of an add: each entry's email (checked, repeats dropped) and role.
fn user_entries(b: &Object, portal_id: i64) -> V3Result<Vec<(String, Option<Role>)>> {
    let entries = body::array(b, key::USERS)?
        .filter(|a| !a.is_empty())
        .ok_or_else(|| V3Error::missing(key::USERS))?;
    let mut out: Vec<(String, Option<Role>)> = Vec::new();
    for entry in entries {
        let Value::Object(entry) = entry else {
            return Err(V3Error::json(Some(key::USERS), "users must hold objects"));
        };
        let email = body::required_text(entry, key::EMAIL)?;
        rules::check_email(email)?;
        let role = role(entry, portal_id)?;
        if !out.iter().any(|(e, _)| e.eq_ignore_ascii_case(email)) {
            out.push((email.to_string(), role));
        }
    }
    Ok(out)
}

/// `"role": {"id": "<role id>"}`: one of the roles of `/settings/roles`.
fn role(obj: &Object, portal_id: i64) -> V3Result<Option<Role>> {
    let Some(id) = body::reference(obj, key::ROLE, key::ID)? else {
        return Ok(None);
    };
    wire::role_by_id(portal_id, &id).map(Some).ok_or_else(|| {
        RuleError::Invalid {
            field: Field::Role,
            why: format!("{id} is not a role of this portal (see /settings/roles)"),
        }
        .into()
    })
}
