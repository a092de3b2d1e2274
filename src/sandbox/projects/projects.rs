//! Project endpoints: list (with paging and status), get, create (optionally from a
//! template), update, delete (to the trash), and the portal's project custom fields.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rusqlite::Connection;
use serde_json::{Value, json};

use super::db::{self, CustomField, Project};
use super::error::{ApiError, ApiResult};
use super::model::ProjectStatus;
use super::params::Params;
use super::render::{self, ProjectContext};
use super::request::{ApiRequest, Caller, in_portal};
use super::rules::projects::{self as rules, Changes, Creation};
use super::wire::{self, param, permission, scope};
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
        let order = listing_order(&req.params)?;
        let rows = db::projects(
            conn,
            caller.portal.id,
            &statuses,
            order,
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

/// The documented `sort_column` (`created_time` or `last_modified_time`) and `sort_order`
/// (`ascending`, the default, or `descending`); without `sort_column` the order is by id.
fn listing_order(params: &Params) -> ApiResult<db::ProjectOrder> {
    let descending = match params.non_empty(param::SORT_ORDER) {
        None | Some("ascending") => false,
        Some("descending") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "Invalid value for sort_order: {other:?} (ascending or descending)"
            )));
        }
    };
    match params.non_empty(param::SORT_COLUMN) {
        None => Ok(db::ProjectOrder::Id),
        Some("created_time") => Ok(db::ProjectOrder::Created { descending }),
        Some("last_modified_time") => Ok(db::ProjectOrder::Modified { descending }),
        Some(other) => Err(ApiError::invalid(format!(
            "Invalid value for sort_column: {other:?} (created_time or last_modified_time)"
        ))),
    }
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
        let template = match p.non_empty(param::TEMPLATE_ID) {
            None => None,
            Some(v) => Some(rules::template(conn, portal_id, v)?),
        };
        let owner = match p.non_empty(param::OWNER) {
            None => None,
            Some(v) => Some(rules::owner(conn, portal_id, v)?),
        };
        let custom = match p.get(param::CUSTOM_FIELDS) {
            Some(text) => custom_field_values(&db::custom_fields(conn, portal_id)?, text)?,
            None => BTreeMap::new(),
        };
        let creation = Creation {
            name,
            description: p.get(param::DESCRIPTION),
            owner,
            start_date: p.date(param::START_DATE)?,
            end_date: p.date(param::END_DATE)?,
            template,
            custom,
        };
        let project = rules::create(conn, caller, creation)?;
        answer(conn, caller, StatusCode::CREATED, &project)
    })
}

/// POST /restapi/portal/{portal_id}/projects/{project_id}/
pub async fn update(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PROJECTS_UPDATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "update projects")?;
        let project = find_project(conn, caller, &req)?;
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
        let changes = read_changes(conn, caller.portal.id, p)?;
        let project = rules::update(conn, caller.portal.id, project, changes)?;
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

/// The changes an update's parameters ask for, each read in the legacy formats.
fn read_changes<'a>(conn: &Connection, portal_id: i64, p: &'a Params) -> ApiResult<Changes<'a>> {
    let mut changes = Changes {
        description: p.get(param::DESCRIPTION),
        ..Changes::default()
    };
    if p.get(param::NAME).is_some() {
        changes.name = Some(p.required(param::NAME)?);
    }
    if let Some(v) = p.non_empty(param::OWNER) {
        changes.owner = Some(rules::owner(conn, portal_id, v)?);
    }
    if p.get(param::START_DATE).is_some() {
        changes.start_date = Some(p.date(param::START_DATE)?);
    }
    if p.get(param::END_DATE).is_some() {
        changes.end_date = Some(p.date(param::END_DATE)?);
    }
    if let Some(s) = p.non_empty(param::STATUS) {
        changes.status = Some(ProjectStatus::parse(s).ok_or_else(|| {
            ApiError::invalid(format!(
                "Invalid value for status: {s:?} (active or archived)"
            ))
        })?);
    }
    if let Some(v) = p.non_empty(param::PERCENT_COMPLETE) {
        changes.percent_complete = Some(v.parse::<i64>().map_err(|_| {
            ApiError::invalid(format!(
                "Invalid value for percent_complete: {v:?} (a whole number from 0 to 100)"
            ))
        })?);
    }
    if let Some(text) = p.get(param::CUSTOM_FIELDS) {
        changes.custom = custom_field_values(&db::custom_fields(conn, portal_id)?, text)?;
    }
    Ok(changes)
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
        out.insert(field.column_name.clone(), rules::custom_value(field, &raw)?);
    }
    Ok(out)
}
