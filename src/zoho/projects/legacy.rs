//! Zoho Projects' legacy REST API (`/restapi/...`), which Zoho retires at the end of 2026:
//! the fallback for capabilities V3 does not offer (or a portal does not serve), exactly as
//! fixed in `docs/zoho-projects-api.md`: form-encoded writes, `index`/`range` paging,
//! `MM-dd-yyyy` dates, and the legacy `{"error":{"code","message"}}` body.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::types::*;
use super::wire;
use crate::zoho::error::{RequestDescription, ZohoError};
use crate::zoho::response;
use crate::zoho::transport::{ApiRequest, MAX_PAGES, Transport, endless_listing, segment};

/// The legacy API over one transport.
#[derive(Debug, Clone)]
pub(super) struct Legacy {
    pub(super) transport: Arc<Transport>,
}

/// Form fields of a write.
#[derive(Debug, Default)]
pub(super) struct Form(pub(super) Vec<(String, String)>);

impl Form {
    pub(super) fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Form {
        self.0.push((name.to_string(), value.into()));
        self
    }

    pub(super) fn set_opt(&mut self, name: &str, value: Option<impl Into<String>>) -> &mut Form {
        if let Some(value) = value {
            self.set(name, value);
        }
        self
    }
}

impl Legacy {
    /// One call whose answer is `{"<key>":[...]}` (204 for none).
    pub(super) async fn list<W, T>(
        &self,
        request: ApiRequest,
        key: &str,
    ) -> Result<Vec<T>, ZohoError>
    where
        W: DeserializeOwned,
        T: From<W>,
    {
        let answer = self.transport.send(request).await?;
        decode_list::<W, T>(answer.body, key, &answer.request)
    }

    /// Every item of an `index`/`range` listing: ranges of 200 until a short one.
    pub(super) async fn all_ranges<W, T>(
        &self,
        request: ApiRequest,
        key: &str,
    ) -> Result<Vec<T>, ZohoError>
    where
        W: DeserializeOwned,
        T: From<W>,
    {
        let mut all = Vec::new();
        let mut index = 1usize;
        for pages in 1..=MAX_PAGES {
            let ranged = request
                .clone()
                .query(wire::PARAM_INDEX, index.to_string())
                .query(wire::PARAM_RANGE, wire::MAX_RANGE.to_string());
            let items: Vec<T> = self.list::<W, T>(ranged, key).await?;
            let got = items.len();
            all.extend(items);
            let done = got < wire::MAX_RANGE;
            self.transport.page_read(&request, pages, all.len(), done);
            if done {
                return Ok(all);
            }
            index += got;
        }
        Err(endless_listing(&self.transport.describe(&request)))
    }

    /// The single object a get or write answers with.
    pub(super) async fn one<W, T>(&self, request: ApiRequest, key: &str) -> Result<T, ZohoError>
    where
        W: DeserializeOwned,
        T: From<W>,
    {
        let description = self.transport.describe(&request);
        self.list::<W, T>(request, key)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ZohoError::decode(&description, format!("no {key:?} in the answer")))
    }

    /// `GET /restapi/portals/`.
    pub async fn portals(&self) -> Result<Vec<Portal>, ZohoError> {
        self.list::<wire::PortalWire, Portal>(ApiRequest::get(wire::PORTALS), wire::KEY_PORTALS)
            .await
    }

    /// `GET /restapi/portal/{id}/`; `None` when Zoho answers 404.
    pub async fn portal(&self, portal_id: &str) -> Result<Option<Portal>, ZohoError> {
        let path = wire::portal(segment(portal_id, "portal id")?);
        let portals = self
            .list::<wire::PortalWire, Portal>(ApiRequest::get(path), wire::KEY_PORTALS)
            .await;
        not_found_as_none(portals.map(|p| p.into_iter().next()))
    }

    /// `GET /projects/` through every range.
    pub async fn projects(
        &self,
        portal_id: &str,
        filter: ProjectFilter,
    ) -> Result<Vec<Project>, ZohoError> {
        let mut request = ApiRequest::get(wire::projects(segment(portal_id, "portal id")?));
        let status = match filter {
            ProjectFilter::ActiveAndArchived => None,
            ProjectFilter::Active => Some(wire::STATUS_ACTIVE),
            ProjectFilter::Archived => Some(wire::STATUS_ARCHIVED),
            ProjectFilter::Templates => Some(wire::STATUS_TEMPLATE),
        };
        if let Some(status) = status {
            request = request.query(wire::PARAM_STATUS, status);
        }
        self.all_ranges::<wire::ProjectWire, Project>(request, wire::KEY_PROJECTS)
            .await
    }

    /// Active and archived projects modified at or after `since_ms` (epoch milliseconds):
    /// the listing newest-modified first, read page by page until a page reaches past
    /// `since_ms`. A project modified while the pages are read moves to the front, which
    /// shifts the rest back: a project may be read twice, never skipped.
    pub async fn projects_changed_since(
        &self,
        portal_id: &str,
        since_ms: i64,
    ) -> Result<Vec<Project>, ZohoError> {
        let request = ApiRequest::get(wire::projects(segment(portal_id, "portal id")?))
            .query(wire::PARAM_SORT_COLUMN, wire::SORT_LAST_MODIFIED)
            .query(wire::PARAM_SORT_ORDER, wire::SORT_DESCENDING);
        let recent = |p: &Project| p.last_modified_time_long.is_none_or(|t| t >= since_ms);
        let mut changed: Vec<Project> = Vec::new();
        let mut index = 1usize;
        for pages in 1..=MAX_PAGES {
            let ranged = request
                .clone()
                .query(wire::PARAM_INDEX, index.to_string())
                .query(wire::PARAM_RANGE, wire::MAX_RANGE.to_string());
            let items: Vec<Project> = self
                .list::<wire::ProjectWire, Project>(ranged, wire::KEY_PROJECTS)
                .await?;
            let got = items.len();
            let reached = items.iter().any(|p| !recent(p));
            changed.extend(items.into_iter().filter(recent));
            let done = got < wire::MAX_RANGE || reached;
            self.transport
                .page_read(&request, pages, changed.len(), done);
            if done {
                let mut seen = std::collections::BTreeSet::new();
                changed.retain(|p| seen.insert(p.id.clone()));
                return Ok(changed);
            }
            index += got;
        }
        Err(endless_listing(&self.transport.describe(&request)))
    }

    /// `GET /projects/{id}/`; `None` when Zoho answers 404.
    pub async fn project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Option<Project>, ZohoError> {
        let path = wire::project(
            segment(portal_id, "portal id")?,
            segment(project_id, "project id")?,
        );
        let projects = self
            .list::<wire::ProjectWire, Project>(ApiRequest::get(path), wire::KEY_PROJECTS)
            .await;
        not_found_as_none(projects.map(|p| p.into_iter().next()))
    }

    /// `POST /projects/`.
    pub async fn create_project(
        &self,
        portal_id: &str,
        project: &NewProject,
    ) -> Result<Project, ZohoError> {
        if project.name.trim().is_empty() {
            return Err(ZohoError::InvalidInput("a project needs a name".into()));
        }
        let mut form = Form::default();
        form.set(wire::PARAM_NAME, project.name.clone())
            .set_opt(wire::PARAM_DESCRIPTION, project.description.clone())
            .set_opt(wire::PARAM_OWNER, project.owner.clone())
            .set_opt(wire::PARAM_START_DATE, project.start_date.map(format_date))
            .set_opt(wire::PARAM_END_DATE, project.end_date.map(format_date))
            .set_opt(wire::PARAM_TEMPLATE_ID, project.template_id.clone());
        let custom = self.dated(portal_id, &project.custom_fields).await?;
        set_custom_fields(&mut form, &custom);
        let path = wire::projects(segment(portal_id, "portal id")?);
        let request = ApiRequest::new(Method::POST, path).form(form.0);
        self.one::<wire::ProjectWire, Project>(request, wire::KEY_PROJECTS)
            .await
    }

    /// `POST /projects/{id}/` with only the changed fields.
    pub async fn update_project(
        &self,
        portal_id: &str,
        project_id: &str,
        update: &ProjectUpdate,
    ) -> Result<Project, ZohoError> {
        let mut form = Form::default();
        form.set_opt(wire::PARAM_NAME, update.name.clone())
            .set_opt(wire::PARAM_DESCRIPTION, update.description.clone())
            .set_opt(wire::PARAM_OWNER, update.owner.clone())
            .set_opt(wire::PARAM_START_DATE, update.start_date.map(format_date))
            .set_opt(wire::PARAM_END_DATE, update.end_date.map(format_date))
            .set_opt(
                wire::PARAM_STATUS,
                update.status.as_ref().map(|s| s.as_str().to_string()),
            )
            .set_opt(
                wire::PARAM_PERCENT_COMPLETE,
                update.percent_complete.map(|p| p.min(100).to_string()),
            );
        let custom = self.dated(portal_id, &update.custom_fields).await?;
        set_custom_fields(&mut form, &custom);
        let path = wire::project(
            segment(portal_id, "portal id")?,
            segment(project_id, "project id")?,
        );
        let request = ApiRequest::new(Method::POST, path).form(form.0);
        self.one::<wire::ProjectWire, Project>(request, wire::KEY_PROJECTS)
            .await
    }

    /// `DELETE /projects/{id}/` (Zoho moves the project to the trash).
    pub async fn delete_project(&self, portal_id: &str, project_id: &str) -> Result<(), ZohoError> {
        let path = wire::project(
            segment(portal_id, "portal id")?,
            segment(project_id, "project id")?,
        );
        self.transport
            .send(ApiRequest::new(Method::DELETE, path))
            .await
            .map(drop)
    }

    /// Custom values with ISO dates (`yyyy-MM-dd`, as the rest of projectlink and V3 write
    /// them) in the legacy API's `MM-dd-yyyy` for the portal's date fields. The field
    /// definitions are read only when a value looks like an ISO date.
    async fn dated(
        &self,
        portal_id: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, ZohoError> {
        let iso = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
        if !values.values().any(|v| iso(v).is_some()) {
            return Ok(values.clone());
        }
        let fields = self.project_custom_fields(portal_id).await?;
        let is_date = |column: &str| {
            fields.iter().any(|f| {
                f.column_name.eq_ignore_ascii_case(column)
                    && f.field_type.to_ascii_lowercase().contains("date")
            })
        };
        Ok(values
            .iter()
            .map(|(column, value)| match iso(value) {
                Some(d) if is_date(column) => (column.clone(), format_date(d)),
                _ => (column.clone(), value.clone()),
            })
            .collect())
    }

    /// `GET /projects/customfields/`.
    pub async fn project_custom_fields(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ProjectCustomField>, ZohoError> {
        let path = wire::project_custom_fields(segment(portal_id, "portal id")?);
        self.list::<wire::CustomFieldWire, ProjectCustomField>(
            ApiRequest::get(path),
            wire::KEY_PROJECT_CUSTOM_FIELDS,
        )
        .await
    }
}

fn set_custom_fields(form: &mut Form, fields: &BTreeMap<String, String>) {
    if !fields.is_empty() {
        let object: serde_json::Map<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        form.set(wire::PARAM_CUSTOM_FIELDS, Value::Object(object).to_string());
    }
}

/// `body[key]` decoded through the wire shape `W`; no body (204) is an empty list.
fn decode_list<W, T>(
    body: Option<Value>,
    key: &str,
    request: &RequestDescription,
) -> Result<Vec<T>, ZohoError>
where
    W: DeserializeOwned,
    T: From<W>,
{
    let Some(mut body) = body else {
        return Ok(Vec::new());
    };
    match body.get_mut(key).map(Value::take) {
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| response::decode::<W>(item, request, key).map(T::from))
            .collect(),
        _ => Err(ZohoError::decode(
            request,
            format!("no {key:?} list in the answer"),
        )),
    }
}

/// Zoho's "not found" (HTTP 404 or legacy code 6404) as `None`.
pub(super) fn not_found_as_none<T>(
    result: Result<Option<T>, ZohoError>,
) -> Result<Option<T>, ZohoError> {
    match result {
        Err(e) if e.status() == Some(404) || e.code() == Some(wire::ERROR_NOT_FOUND) => Ok(None),
        other => other,
    }
}
