//! V3 project endpoints: list (bare array, `page`/`per_page`, `project_type`), get, create
//! (optionally from a template), PATCH, and trash. The rules are the legacy API's
//! ([`rules::projects`]); only the reading of JSON bodies and the answers are V3's own.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use rusqlite::Connection;
use serde_json::Value;

use super::body::{self, Object};
use super::error::{V3Error, V3Result};
use super::render::ProjectView;
use super::request::{V3Request, in_portal};
use super::wire::{self, CUSTOM_FIELD_PREFIX, DEFAULT_PER_PAGE, MAX_PER_PAGE, key, param};
use crate::sandbox::projects::db::{self, CustomField, Project};
use crate::sandbox::projects::model::{FieldType, ProjectStatus};
use crate::sandbox::projects::params::format_date;
use crate::sandbox::projects::rules::projects::{self as rules, Changes, Creation};
use crate::sandbox::projects::rules::{Caller, Field, RuleError};
use crate::sandbox::projects::wire::{permission, scope};
use crate::sandbox::server::AppState;

/// GET /api/v3/portal/{portal_id}/projects
pub async fn list(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::PROJECTS_READ, |conn, caller| {
        let paging = req.paging(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
        let statuses = match req.query.non_empty(param::PROJECT_TYPE) {
            None => vec![ProjectStatus::Active, ProjectStatus::Archived],
            Some(t) => vec![ProjectStatus::parse(t).ok_or_else(|| {
                V3Error::invalid(
                    param::PROJECT_TYPE,
                    format!("Invalid value for project_type: {t:?} (active, archived or template)"),
                )
            })?],
        };
        let rows = db::projects(
            conn,
            caller.portal.id,
            &statuses,
            db::ProjectOrder::Id,
            paging.offset(),
            i64::from(paging.per_page),
        )?;
        let view = ProjectView::load(conn, &caller.portal)?;
        let items = rows
            .iter()
            .map(|p| view.project(conn, p))
            .collect::<V3Result<Vec<_>>>()?;
        Ok(Json(Value::Array(items)).into_response())
    })
}

/// GET /api/v3/portal/{portal_id}/projects/{project_id}
pub async fn get(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::PROJECTS_READ, |conn, caller| {
        let project = find_project(conn, caller, &req)?;
        answer(conn, caller, StatusCode::OK, &project)
    })
}

/// POST /api/v3/portal/{portal_id}/projects
pub async fn create(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::PROJECTS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "create projects")?;
        let b = req.body()?;
        let portal_id = caller.portal.id;
        let name = body::required_text(b, key::NAME)?;
        if let Some(t) = body::text(b, key::PROJECT_TYPE)?
            && ProjectStatus::parse(t) != Some(ProjectStatus::Active)
        {
            return Err(V3Error::invalid(
                key::PROJECT_TYPE,
                format!("Invalid value for project_type: {t:?} (projects are created active)"),
            ));
        }
        let template = match body::id(b, key::COPY_FROM)?.filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(rules::template(conn, portal_id, &v)?),
        };
        let owner = match body::reference(b, key::OWNER, key::ZPUID)? {
            None => None,
            Some(v) => Some(rules::owner(conn, portal_id, &v)?),
        };
        let creation = Creation {
            name,
            description: body::text(b, key::DESCRIPTION)?,
            owner,
            start_date: body::date(b, key::START_DATE)?.flatten(),
            end_date: body::date(b, key::END_DATE)?.flatten(),
            template,
            custom: custom_values(b, &db::custom_fields(conn, portal_id)?)?,
        };
        let project = rules::create(conn, caller, creation)?;
        answer(conn, caller, StatusCode::CREATED, &project)
    })
}

/// PATCH /api/v3/portal/{portal_id}/projects/{project_id}
pub async fn update(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::PROJECTS_UPDATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "update projects")?;
        let id = req.path_id("project_id", "Project")?;
        let Some(project) = db::project(conn, caller.portal.id, id)? else {
            return Err(if db::project_trashed(conn, caller.portal.id, id)? {
                V3Error::gone("The project is in the trash")
            } else {
                V3Error::not_found("Project not found")
            });
        };
        let changes = read_changes(conn, caller.portal.id, req.body()?)?;
        let project = rules::update(conn, caller.portal.id, project, changes)?;
        answer(conn, caller, StatusCode::OK, &project)
    })
}

/// POST /api/v3/portal/{portal_id}/projects/{project_id}/trash
pub async fn trash(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::PROJECTS_DELETE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "delete projects")?;
        let project = find_project(conn, caller, &req)?;
        db::trash_project(conn, project.id)?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
}

/// The live project (or template) named by the path, or 404.
pub fn find_project(conn: &Connection, caller: &Caller, req: &V3Request) -> V3Result<Project> {
    let id = req.path_id("project_id", "Project")?;
    db::project(conn, caller.portal.id, id)?.ok_or_else(|| V3Error::not_found("Project not found"))
}

fn answer(
    conn: &Connection,
    caller: &Caller,
    status: StatusCode,
    project: &Project,
) -> V3Result<Response> {
    let view = ProjectView::load(conn, &caller.portal)?;
    Ok((status, Json(view.project(conn, project)?)).into_response())
}

/// The changes a PATCH body asks for; keys it does not name leave values as they are.
fn read_changes<'a>(conn: &Connection, portal_id: i64, b: &'a Object) -> V3Result<Changes<'a>> {
    let mut changes = Changes {
        start_date: body::date(b, key::START_DATE)?,
        end_date: body::date(b, key::END_DATE)?,
        custom: custom_values(b, &db::custom_fields(conn, portal_id)?)?,
        ..Changes::default()
    };
    if let Some(name) = body::text(b, key::NAME)? {
        let name = name.trim();
        if name.is_empty() {
            return Err(V3Error::invalid(key::NAME, "The name cannot be empty"));
        }
        changes.name = Some(name);
    }
    if b.contains_key(key::DESCRIPTION) {
        changes.description = Some(body::text(b, key::DESCRIPTION)?.unwrap_or(""));
    }
    if let Some(v) = body::reference(b, key::OWNER, key::ZPUID)? {
        changes.owner = Some(rules::owner(conn, portal_id, &v)?);
    }
    if let Some(t) = body::text(b, key::PROJECT_TYPE)? {
        changes.status = Some(ProjectStatus::parse(t).ok_or_else(|| {
            V3Error::invalid(
                key::PROJECT_TYPE,
                format!("Invalid value for project_type: {t:?} (active or archived)"),
            )
        })?);
    }
    changes.percent_complete = percent(b)?;
    Ok(changes)
}

/// `percent_complete`: a whole JSON number (the range is the rules' to check).
fn percent(b: &Object) -> V3Result<Option<i64>> {
    match b.get(key::PERCENT_COMPLETE) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) => Ok(Some(v)),
            None => Err(RuleError::Invalid {
                field: Field::PercentComplete,
                why: format!("{n} (a whole number from 0 to 100)"),
            }
            .into()),
        },
        Some(_) => Err(V3Error::json(
            Some(key::PERCENT_COMPLETE),
            "percent_complete must be a number",
        )),
    }
}

/// The body's `cf_*` keys as checked values by column name (`""` clears one). A key that
/// names no custom field is refused, unlike other unknown keys, so a misspelt field does
/// not silently lose its value.
fn custom_values(b: &Object, fields: &[CustomField]) -> V3Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, v) in b.iter().filter(|(k, _)| k.starts_with(CUSTOM_FIELD_PREFIX)) {
        let field = fields
            .iter()
            .find(|f| wire::api_name(&f.label_name) == *k)
            .ok_or_else(|| {
                V3Error::invalid(k, format!("{k} is not a custom field of this portal"))
            })?;
        let mut raw = body::scalar_text(v, k)?.trim().to_string();
        // Date fields are stored in the legacy API's form.
        if field.field_type == FieldType::Date && !raw.is_empty() {
            let d: NaiveDate = body::parse_date(k, &raw)?;
            raw = format_date(d);
        }
        out.insert(field.column_name.clone(), rules::custom_value(field, &raw)?);
    }
    Ok(out)
}
