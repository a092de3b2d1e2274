//! Project endpoints: list (with paging and status), get, create (optionally from a
//! template), update, delete (to the trash), and the portal's project custom fields.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rusqlite::Connection;
use serde_json::{Value, json};

use super::db::{self, CustomField, Member, NewProject, Project};
use super::error::{ApiError, ApiResult};
use super::model::ProjectStatus;
use super::params::Params;
use super::render::{self, ProjectContext};
use super::request::{ApiRequest, Caller, in_portal};
use super::wire::{self, conflict, param, permission, scope};
use crate::sandbox::server::AppState;

/// GET /restapi/portal/{portal_id}/projects/
pub async fn list(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PROJECTS_READ, |conn, caller| {
        let page = req.params.page()?;
        let statuses = match req.params.non_empty(param::STATUS) {
            None => vec![ProjectStatus::Active, ProjectStatus::Archived],
            Some(s) => vec![ProjectStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid value for status: {s:?} (active, archived or template)"
                ))
            })?],
        };
        let rows = db::projects(
            conn,
            caller.portal.id,
            &statuses,
            page.offset(),
            page.limit(),
        )?;
        let ctx = ProjectContext::load(conn, &caller.base_url, &caller.portal)?;
        let items = rows
            .iter()
            .map(|p| ctx.project(conn, p))
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(render::list("projects", items))
    })
}

/// GET /restapi/portal/{portal_id}/projects/{project_id}/
pub async fn get(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PROJECTS_READ, |conn, caller| {
        let project = find_project(conn, caller, &req)?;
        answer(conn, caller, StatusCode::OK, &project)
    })
}

/// POST /restapi/portal/{portal_id}/projects/
pub async fn create(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PROJECTS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "create projects")?;
        let p = &req.params;
        let portal_id = caller.portal.id;
        let name = p.required(param::NAME)?;
        ensure_unique_name(conn, portal_id, name, false, None)?;
        let template = match p.non_empty(param::TEMPLATE_ID) {
            None => None,
            Some(v) => Some(template(conn, portal_id, v)?),
        };
        let owner = match p.non_empty(param::OWNER) {
            None => caller.member.clone(),
            Some(v) => owner(conn, portal_id, v)?,
        };
        let start_date = p.date(param::START_DATE)?;
        let end_date = p.date(param::END_DATE)?;
        check_dates(start_date, end_date)?;
        let fields = db::custom_fields(conn, portal_id)?;
        let mut values = match &template {
            Some(t) => db::custom_values(conn, t.id)?,
            None => BTreeMap::new(),
        };
        if let Some(text) = p.get(param::CUSTOM_FIELDS) {
            values.extend(custom_field_values(&fields, text)?);
        }
        values.retain(|_, v| !v.is_empty());
        check_mandatory(&fields, &values)?;
        let description = p
            .get(param::DESCRIPTION)
            .map(str::to_string)
            .or_else(|| template.as_ref().map(|t| t.description.clone()))
            .unwrap_or_default();
        let id = db::insert_project(
            conn,
            &NewProject {
                portal_id,
                name,
                description: &description,
                status: ProjectStatus::Active,
                owner_zpuid: owner.zpuid,
                start_date,
                end_date,
                percent_complete: 0,
                template_id: template.as_ref().map(|t| t.id),
            },
        )?;
        for (column, value) in &values {
            db::set_custom_value(conn, id, column, value)?;
        }
        // The template's team comes along; inactive users stay behind, as in Zoho's UI.
        if let Some(t) = &template {
            for (member, role) in db::project_users(conn, t.id)? {
                if member.active || member.is_owner {
                    db::add_project_user(conn, id, member.zpuid, role)?;
                }
            }
        }
        for member in [&owner, &caller.member] {
            db::add_project_user(conn, id, member.zpuid, member.role.default_project_role())?;
        }
        let project = db::project(conn, portal_id, id)?
            .ok_or_else(|| ApiError::internal("Created project vanished"))?;
        answer(conn, caller, StatusCode::CREATED, &project)
    })
}

/// POST /restapi/portal/{portal_id}/projects/{project_id}/
pub async fn update(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PROJECTS_UPDATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "update projects")?;
        let mut project = find_project(conn, caller, &req)?;
        let p = &req.params;
        let updatable = [
            param::NAME,
            param::DESCRIPTION,
            param::OWNER,
            param::START_DATE,
            param::END_DATE,
            param::STATUS,
            param::PERCENT_COMPLETE,
            param::CUSTOM_FIELDS,
        ];
        if updatable.iter().all(|name| p.get(name).is_none()) {
            return Err(ApiError::missing(&updatable.join(", ")));
        }
        apply_updates(conn, caller, p, &mut project)?;
        db::update_project(conn, &project)?;
        let project = db::project(conn, caller.portal.id, project.id)?
            .ok_or_else(|| ApiError::internal("Updated project vanished"))?;
        answer(conn, caller, StatusCode::OK, &project)
    })
}

/// DELETE /restapi/portal/{portal_id}/projects/{project_id}/
pub async fn delete(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PROJECTS_DELETE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "delete projects")?;
        let project = find_project(conn, caller, &req)?;
        db::trash_project(conn, project.id)?;
        Ok(axum::Json(json!({"response": wire::PROJECT_TRASHED})).into_response())
    })
}

/// GET /restapi/portal/{portal_id}/projects/customfields/
pub async fn custom_fields(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PROJECTS_READ, |conn, caller| {
        let items: Vec<Value> = db::custom_fields(conn, caller.portal.id)?
            .iter()
            .map(|f| {
                json!({
                    "label_name": f.label_name,
                    "column_name": f.column_name,
                    "field_type": f.field_type.wire_name(),
                    "is_mandatory": f.is_mandatory,
                })
            })
            .collect();
        Ok(render::list("project_custom_fields", items))
    })
}

/// The project (or template) named by the path, or 404.
pub fn find_project(conn: &Connection, caller: &Caller, req: &ApiRequest) -> ApiResult<Project> {
    let id = req.path_id("project_id", "Project")?;
    db::project(conn, caller.portal.id, id)?.ok_or_else(|| ApiError::not_found("Project not found"))
}

fn answer(
    conn: &Connection,
    caller: &Caller,
    status: StatusCode,
    project: &Project,
) -> ApiResult<Response> {
    let ctx = ProjectContext::load(conn, &caller.base_url, &caller.portal)?;
    Ok(render::envelope(
        status,
        "projects",
        vec![ctx.project(conn, project)?],
    ))
}

fn apply_updates(
    conn: &Connection,
    caller: &Caller,
    p: &Params,
    project: &mut Project,
) -> ApiResult<()> {
    let portal_id = caller.portal.id;
    if p.get(param::NAME).is_some() {
        let name = p.required(param::NAME)?;
        let is_template = project.status == ProjectStatus::Template;
        ensure_unique_name(conn, portal_id, name, is_template, Some(project.id))?;
        project.name = name.to_string();
    }
    if let Some(description) = p.get(param::DESCRIPTION) {
        project.description = description.to_string();
    }
    if let Some(v) = p.non_empty(param::OWNER) {
        let owner = owner(conn, portal_id, v)?;
        db::add_project_user(
            conn,
            project.id,
            owner.zpuid,
            owner.role.default_project_role(),
        )?;
        project.owner_zpuid = owner.zpuid;
    }
    if p.get(param::START_DATE).is_some() {
        project.start_date = p.date(param::START_DATE)?;
    }
    if p.get(param::END_DATE).is_some() {
        project.end_date = p.date(param::END_DATE)?;
    }
    check_dates(project.start_date, project.end_date)?;
    if let Some(s) = p.non_empty(param::STATUS) {
        let status = ProjectStatus::parse(s)
            .filter(|s| *s != ProjectStatus::Template)
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid value for status: {s:?} (active or archived)"
                ))
            })?;
        if project.status == ProjectStatus::Template {
            return Err(ApiError::invalid(
                "A template's status cannot be changed; create a project from it instead",
            ));
        }
        project.status = status;
    }
    if let Some(v) = p.non_empty(param::PERCENT_COMPLETE) {
        project.percent_complete = v
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=100).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid value for percent_complete: {v:?} (a whole number from 0 to 100)"
                ))
            })?;
    }
    if let Some(text) = p.get(param::CUSTOM_FIELDS) {
        let fields = db::custom_fields(conn, portal_id)?;
        let mut values = db::custom_values(conn, project.id)?;
        let changes = custom_field_values(&fields, text)?;
        values.extend(changes.clone());
        values.retain(|_, v| !v.is_empty());
        check_mandatory(&fields, &values)?;
        for (column, value) in &changes {
            db::set_custom_value(conn, project.id, column, value)?;
        }
    }
    Ok(())
}

fn ensure_unique_name(
    conn: &Connection,
    portal_id: i64,
    name: &str,
    template: bool,
    except: Option<i64>,
) -> ApiResult<()> {
    match db::project_named(conn, portal_id, name, template, except)? {
        Some(_) => Err(ApiError::invalid(format!(
            "{}: {name:?}",
            conflict::DUPLICATE_PROJECT
        ))),
        None => Ok(()),
    }
}

/// The template named by `template_id`.
fn template(conn: &Connection, portal_id: i64, value: &str) -> ApiResult<Project> {
    let id = super::params::parse_id(param::TEMPLATE_ID, value)?;
    db::project(conn, portal_id, id)?
        .filter(|t| t.status == ProjectStatus::Template)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid value for template_id: {value} is not a project template of this portal"
            ))
        })
}

/// The active portal user named by an `owner` parameter (zpuid or user id).
fn owner(conn: &Connection, portal_id: i64, value: &str) -> ApiResult<Member> {
    let invalid = || {
        ApiError::invalid(format!(
            "Invalid value for owner: {value} is not an active user of this portal"
        ))
    };
    let id = value.parse::<i64>().map_err(|_| invalid())?;
    db::member_by_user_id(conn, portal_id, id)?
        .filter(|m| m.active || m.is_owner)
        .ok_or_else(invalid)
}

fn check_dates(start: Option<NaiveDate>, end: Option<NaiveDate>) -> ApiResult<()> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(ApiError::invalid(
            "Invalid value for end_date: it is before start_date",
        )),
        _ => Ok(()),
    }
}

/// Parses the `custom_fields` JSON object into checked values by column name; an empty
/// value clears the field.
fn custom_field_values(fields: &[CustomField], text: &str) -> ApiResult<BTreeMap<String, String>> {
    let invalid =
        |why: String| ApiError::invalid(format!("Invalid value for custom_fields: {why}"));
    if text.is_empty() {
        return Ok(BTreeMap::new());
    }
    let parsed: Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("not JSON ({e})")))?;
    let Value::Object(map) = parsed else {
        return Err(invalid(
            "expected a JSON object keyed by column_name".into(),
        ));
    };
    let mut out = BTreeMap::new();
    for (column, value) in map {
        let field = fields
            .iter()
            .find(|f| f.column_name.eq_ignore_ascii_case(&column))
            .ok_or_else(|| invalid(format!("unknown column_name {column:?}")))?;
        let raw = match value {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            _ => return Err(invalid(format!("{column}: expected a text value"))),
        };
        let normalized = field
            .field_type
            .normalize(&raw, false)
            .map_err(|why| invalid(format!("{column}: {why}")))?;
        out.insert(field.column_name.clone(), normalized);
    }
    Ok(out)
}

fn check_mandatory(fields: &[CustomField], values: &BTreeMap<String, String>) -> ApiResult<()> {
    match fields
        .iter()
        .find(|f| f.is_mandatory && !values.contains_key(&f.column_name))
    {
        Some(f) => Err(ApiError::invalid(format!(
            "Input parameter missing: custom field {} ({}) is mandatory",
            f.column_name, f.label_name
        ))),
        None => Ok(()),
    }
}
