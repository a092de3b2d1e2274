//! Portal users (list, add with a role, change role, remove) and project users (list, add).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::db::{self, UserFilter};
use super::error::{ApiError, ApiResult};
use super::model::Role;
use super::params::split_list;
use super::projects::find_project;
use super::render;
use super::request::{ApiRequest, in_portal};
use super::rules::users as rules;
/// The seed names invitees the way the API does.
pub use super::rules::users::name_from_email;
use super::wire::{self, param, permission, scope};
use crate::sandbox::server::AppState;

/// GET /restapi/portal/{portal_id}/users/
pub async fn list_portal_users(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::USERS_READ, |conn, caller| {
        let page = req.params.page()?;
        let user_type = req
            .params
            .non_empty(param::USER_TYPE)
            .unwrap_or(wire::DEFAULT_USER_TYPE);
        let filter = match user_type.to_ascii_lowercase().as_str() {
            "active" => UserFilter::Active,
            "inactive" => UserFilter::Inactive,
            "all" => UserFilter::All,
            _ => {
                return Err(ApiError::invalid(format!(
                    "Invalid value for user_type: {user_type:?} (active, inactive or all)"
                )));
            }
        };
        let members = db::members(conn, caller.portal.id, filter, page.offset(), page.limit())?;
        let items = members.iter().map(|m| render::user(m, m.role)).collect();
        Ok(render::list("users", items))
    })
}

/// POST /restapi/portal/{portal_id}/users/
pub async fn add_portal_users(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::USERS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PORTAL_USERS, "add portal users")?;
        let emails = emails(req.params.required(param::EMAIL)?)?;
        let role = role_param(req.params.non_empty(param::ROLE))?
            .unwrap_or(Role::from_param(wire::DEFAULT_ROLE).unwrap_or(Role::Employee));
        let mut added = Vec::new();
        for email in emails {
            let member = rules::add_portal_user(conn, caller.portal.id, email, role)?;
            added.push(render::user(&member, member.role));
        }
        Ok(render::envelope(StatusCode::CREATED, "users", added))
    })
}

/// POST /restapi/portal/{portal_id}/users/{user_id}/
pub async fn update_portal_user(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::USERS_UPDATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PORTAL_USERS, "change portal users")?;
        let user_id = req.path_id("user_id", "User")?;
        let member = db::member_by_user_id(conn, caller.portal.id, user_id)?
            .ok_or_else(|| ApiError::not_found("User not found"))?;
        let role = role_param(Some(req.params.required(param::ROLE)?))?
            .ok_or_else(|| ApiError::missing(param::ROLE))?;
        let updated = rules::change_role(conn, member, role)?;
        Ok(render::envelope(
            StatusCode::OK,
            "users",
            vec![render::user(&updated, updated.role)],
        ))
    })
}

/// DELETE /restapi/portal/{portal_id}/users/{user_id}/
pub async fn remove_portal_user(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::USERS_DELETE, |conn, caller| {
        caller.require_role(permission::MANAGE_PORTAL_USERS, "remove portal users")?;
        let user_id = req.path_id("user_id", "User")?;
        let member = db::member_by_user_id(conn, caller.portal.id, user_id)?
            .ok_or_else(|| ApiError::not_found("User not found"))?;
        rules::remove_portal_user(conn, member)?;
        Ok(axum::Json(serde_json::json!({"response": wire::PORTAL_USER_REMOVED})).into_response())
    })
}

/// GET /restapi/portal/{portal_id}/projects/{project_id}/users/
pub async fn list_project_users(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::USERS_READ, |conn, caller| {
        let project = find_project(conn, caller, &req)?;
        let items: Vec<Value> = db::project_users(conn, project.id)?
            .iter()
            .map(|(m, role)| render::user(m, *role))
            .collect();
        Ok(render::list("users", items))
    })
}

/// POST /restapi/portal/{portal_id}/projects/{project_id}/users/
pub async fn add_project_users(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::USERS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "add project users")?;
        let project = find_project(conn, caller, &req)?;
        let emails = emails(req.params.required(param::EMAIL)?)?;
        let role = role_param(req.params.non_empty(param::ROLE))?;
        let mut added = Vec::new();
        for email in emails {
            let (member, project_role) =
                rules::add_project_user(conn, caller.portal.id, project.id, email, role)?;
            added.push(render::user(&member, project_role));
        }
        Ok(render::envelope(StatusCode::CREATED, "users", added))
    })
}

/// The comma-separated `email` parameter: each a plausible address, duplicates once.
fn emails(value: &str) -> ApiResult<Vec<&str>> {
    let mut out: Vec<&str> = Vec::new();
    for email in split_list(value) {
        rules::check_email(email)?;
        if !out.iter().any(|e| e.eq_ignore_ascii_case(email)) {
            out.push(email);
        }
    }
    if out.is_empty() {
        return Err(ApiError::missing(param::EMAIL));
    }
    Ok(out)
}

fn role_param(value: Option<&str>) -> ApiResult<Option<Role>> {
    value
        .map(|v| {
            Role::from_param(v).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid value for role: {v:?} (Manager, Employee or Contractor)"
                ))
            })
        })
        .transpose()
}
