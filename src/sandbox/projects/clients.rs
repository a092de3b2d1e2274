//! Client companies, their client users, client users' projects, and the clients of a
//! project (at most one of them primary).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rusqlite::Connection;
use serde_json::Value;

use super::db::{self, Client, ClientUser, Project, ProjectClient};
use super::error::{ApiError, ApiResult};
use super::model::ProjectStatus;
use super::params::{is_plausible_email, parse_bool, parse_id, split_list};
use super::projects::find_project;
use super::render;
use super::request::{ApiRequest, Caller, in_portal};
use super::rules::{self, users::name_from_email};
use super::wire::{conflict, param, permission, scope};
use crate::sandbox::server::AppState;

/// GET /restapi/portal/{portal_id}/clients/
pub async fn list_clients(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::CLIENTS_READ, |conn, caller| {
        let page = req.params.page()?;
        let items = db::clients(conn, caller.portal.id, page.offset(), page.limit())?
            .iter()
            .map(render::client)
            .collect();
        Ok(render::list("clients", items))
    })
}

/// POST /restapi/portal/{portal_id}/clients/
pub async fn create_client(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::CLIENTS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "create client companies")?;
        let p = &req.params;
        let name = p.required(param::NAME)?;
        let client = rules::clients::create_client(
            conn,
            caller.portal.id,
            name,
            p.get(param::WEBSITE).unwrap_or(""),
            p.get(param::PHONE).unwrap_or(""),
        )?;
        Ok(render::envelope(
            StatusCode::CREATED,
            "clients",
            vec![render::client(&client)],
        ))
    })
}

/// GET /restapi/portal/{portal_id}/clients/{client_id}/users/
pub async fn list_client_users(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::CLIENTS_READ, |conn, caller| {
        let client = find_client(conn, caller, &req)?;
        let items = db::client_users(conn, client.id)?
            .iter()
            .map(|u| client_user_json(conn, u))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(render::list("users", items))
    })
}

/// POST /restapi/portal/{portal_id}/clients/{client_id}/users/
pub async fn add_client_user(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::CLIENTS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "add client users")?;
        let client = find_client(conn, caller, &req)?;
        let email = req.params.required(param::EMAIL)?;
        if split_list(email).len() > 1 || !is_plausible_email(email) {
            return Err(ApiError::invalid(format!(
                "Invalid value for email: {email:?} (one email address)"
            )));
        }
        let portal_id = caller.portal.id;
        if let Some(existing) = db::client_user_by_email(conn, portal_id, email)? {
            let company = if existing.client_id == client.id {
                "this company".to_string()
            } else {
                db::client(conn, portal_id, existing.client_id)?
                    .map(|c| format!("the company {:?}", c.name))
                    .unwrap_or_else(|| "another company".into())
            };
            return Err(ApiError::invalid(format!(
                "{} of {company}: {email}",
                conflict::CLIENT_USER_EXISTS
            )));
        }
        if db::member_by_email(conn, portal_id, email)?.is_some() {
            return Err(ApiError::invalid(format!(
                "{email} is a portal user and cannot also be a client user"
            )));
        }
        let name = req
            .params
            .non_empty(param::NAME)
            .map(str::to_string)
            .unwrap_or_else(|| name_from_email(email));
        let user = db::insert_client_user(conn, portal_id, client.id, email, &name)?;
        Ok(render::envelope(
            StatusCode::CREATED,
            "users",
            vec![render::client_user(&user, &[])],
        ))
    })
}

/// POST /restapi/portal/{portal_id}/clientusers/{user_id}/projects/
pub async fn add_client_user_to_projects(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::CLIENTS_UPDATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "add client users to projects")?;
        let user_id = req.path_id("user_id", "Client user")?;
        let user = db::client_user_by_id(conn, caller.portal.id, user_id)?
            .ok_or_else(|| ApiError::not_found("Client user not found"))?;
        let ids = split_list(req.params.required(param::PROJECT_IDS)?);
        if ids.is_empty() {
            return Err(ApiError::missing(param::PROJECT_IDS));
        }
        for value in ids {
            let id = parse_id(param::PROJECT_IDS, value)?;
            let project = project_for_clients(conn, caller, id, param::PROJECT_IDS)?;
            db::add_client_user_project(conn, user.zpuid, project.id)?;
        }
        Ok(render::envelope(
            StatusCode::OK,
            "users",
            vec![client_user_json(conn, &user)?],
        ))
    })
}

/// GET /restapi/portal/{portal_id}/projects/{project_id}/clients/
pub async fn list_project_clients(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::CLIENTS_READ, |conn, caller| {
        let project = find_project(conn, caller, &req)?;
        let items: Vec<Value> = db::project_clients(conn, project.id)?
            .iter()
            .map(render::project_client)
            .collect();
        Ok(render::list("clients", items))
    })
}

/// POST /restapi/portal/{portal_id}/projects/{project_id}/clients/
///
/// A project has at most one primary client: adding a second with `primary=true` is
/// rejected (see `wire::conflict`), never resolved by demoting the first.
pub async fn add_project_client(
    State(state): State<AppState>,
    req: ApiRequest,
) -> ApiResult<Response> {
    in_portal(&state, &req, scope::CLIENTS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "add clients to projects")?;
        let project = find_project(conn, caller, &req)?;
        if project.status == ProjectStatus::Template {
            return Err(ApiError::invalid("A project template cannot have clients"));
        }
        let value = req.params.required(param::CLIENT_ID)?;
        let client_id = parse_id(param::CLIENT_ID, value)?;
        let client = db::client(conn, caller.portal.id, client_id)?.ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid value for client_id: {value} is not a client company of this portal"
            ))
        })?;
        let primary = match req.params.non_empty(param::PRIMARY) {
            Some(v) => parse_bool(param::PRIMARY, v)?,
            None => false,
        };
        let current = db::project_clients(conn, project.id)?;
        if current.iter().any(|c| c.client_id == client.id) {
            return Err(ApiError::invalid(format!(
                "{}: {:?}",
                conflict::CLIENT_ALREADY_IN_PROJECT,
                client.name
            )));
        }
        if primary && let Some(existing) = current.iter().find(|c| c.primary) {
            return Err(ApiError::invalid(format!(
                "{} ({:?}); add {:?} with primary=false",
                conflict::PRIMARY_CLIENT_EXISTS,
                existing.name,
                client.name
            )));
        }
        db::add_project_client(conn, project.id, client.id, primary)?;
        let added = ProjectClient {
            client_id: client.id,
            name: client.name,
            primary,
        };
        Ok(render::envelope(
            StatusCode::CREATED,
            "clients",
            vec![render::project_client(&added)],
        ))
    })
}

fn find_client(conn: &Connection, caller: &Caller, req: &ApiRequest) -> ApiResult<Client> {
    let id = req.path_id("client_id", "Client")?;
    db::client(conn, caller.portal.id, id)?.ok_or_else(|| ApiError::not_found("Client not found"))
}

/// A project (not a template) given as a parameter value.
fn project_for_clients(
    conn: &Connection,
    caller: &Caller,
    id: i64,
    name: &str,
) -> ApiResult<Project> {
    db::project(conn, caller.portal.id, id)?
        .filter(|p| p.status != ProjectStatus::Template)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid value for {name}: {id} is not a project of this portal"
            ))
        })
}

fn client_user_json(conn: &Connection, user: &ClientUser) -> ApiResult<Value> {
    let projects = db::client_user_projects(conn, user.zpuid)?;
    Ok(render::client_user(user, &projects))
}
