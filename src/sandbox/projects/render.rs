//! The JSON objects of the API (Portal, Project, User, Client, ClientUser, ProjectClient) and
//! the list envelope that turns an empty list into 204 No Content.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{Map, Value, json};

use super::db::{self, Client, ClientUser, CustomField, Member, Portal, Project, ProjectClient};
use super::error::ApiResult;
use super::model::Role;
use super::params::format_date;
use super::wire;

/// `{"<key>": [items]}` with 200, or 204 without a body when there are no items.
pub fn list(key: &str, items: Vec<Value>) -> Response {
    if items.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        envelope(StatusCode::OK, key, items)
    }
}

/// `{"<key>": [items]}` with `status`.
pub fn envelope(status: StatusCode, key: &str, items: Vec<Value>) -> Response {
    let mut body = Map::new();
    body.insert(key.to_string(), Value::Array(items));
    (status, Json(Value::Object(body))).into_response()
}

/// A portal as `member` sees it. `is_default` marks the caller's first portal.
pub fn portal(
    conn: &Connection,
    base_url: &str,
    portal: &Portal,
    member: &Member,
    is_default: bool,
) -> ApiResult<Value> {
    let (active_projects, active_users) = db::portal_counts(conn, portal.id)?;
    let profile_id = member.role.profile_id(portal.id, member.is_owner);
    Ok(json!({
        "id": portal.id,
        "id_string": portal.id.to_string(),
        "name": portal.name,
        "role": member.role.wire_name().to_ascii_lowercase(),
        "plan": portal.plan,
        "default": is_default,
        "is_crm_partner": false,
        "project_count": {"active": active_projects},
        "avail_user_count": (wire::plan_seats(&portal.plan) - active_users).max(0),
        "profile_id": profile_id,
        "link": {"project": {"url": format!("{base_url}/restapi/portal/{}/projects/", portal.id)}},
    }))
}

/// What rendering projects needs beyond the project rows, loaded once per request.
pub struct ProjectContext<'a> {
    pub base_url: &'a str,
    pub portal: &'a Portal,
    pub fields: Vec<CustomField>,
}

impl<'a> ProjectContext<'a> {
    pub fn load(conn: &Connection, base_url: &'a str, portal: &'a Portal) -> ApiResult<Self> {
        Ok(ProjectContext {
            base_url,
            portal,
            fields: db::custom_fields(conn, portal.id)?,
        })
    }

    /// A project or template.
    pub fn project(&self, conn: &Connection, project: &Project) -> ApiResult<Value> {
        let owner = db::member_by_zpuid(conn, project.owner_zpuid)?;
        let values: BTreeMap<String, String> = db::custom_values(conn, project.id)?;
        let custom_fields: Vec<Value> = self
            .fields
            .iter()
            .filter_map(|f| {
                values.get(&f.column_name).map(|v| {
                    json!({"column_name": f.column_name, "label_name": f.label_name, "value": v})
                })
            })
            .collect();
        let mut obj = json!({
            "id": project.id,
            "id_string": project.id.to_string(),
            "name": project.name,
            "status": project.status.wire_name(),
            "owner_id": owner.as_ref().map(|o| o.zuid.to_string()).unwrap_or_default(),
            "owner_name": owner.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
            "owner_email": owner.as_ref().map(|o| o.email.clone()).unwrap_or_default(),
            "description": project.description,
            "percent_complete": project.percent_complete,
            "created_date": format_date(date_of_ms(project.created_ms)),
            "created_date_long": project.created_ms,
            "last_modified_time_long": project.modified_ms,
            "custom_fields": custom_fields,
            "link": {
                "self": {"url": format!(
                    "{}/restapi/portal/{}/projects/{}/",
                    self.base_url, self.portal.id, project.id
                )},
                "web": {"url": wire::project_web_url(&self.portal.slug, project.id)},
            },
        });
        let map = obj.as_object_mut().expect("built as an object");
        if let Some(d) = project.start_date {
            map.insert("start_date".into(), format_date(d).into());
        }
        if let Some(d) = project.end_date {
            map.insert("end_date".into(), format_date(d).into());
        }
        if let Some(t) = project.template_id {
            map.insert("template_id".into(), t.to_string().into());
        }
        Ok(obj)
    }
}

fn date_of_ms(ms: i64) -> chrono::NaiveDate {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .date_naive()
}

/// A portal user; for a project user `role` is the project role.
pub fn user(member: &Member, role: Role) -> Value {
    json!({
        "id": member.zuid.to_string(),
        "zpuid": member.zpuid.to_string(),
        "name": member.name,
        "email": member.email,
        "active": member.active,
        "role": role.wire_name(),
        "portal_role_name": member.role.role_name(),
        "portal_profile_name": member.role.profile_name(member.is_owner),
    })
}

pub fn client(client: &Client) -> Value {
    json!({
        "id": client.id,
        "id_string": client.id.to_string(),
        "name": client.name,
        "website": client.website,
        "phone": client.phone,
    })
}

pub fn client_user(user: &ClientUser, project_ids: &[i64]) -> Value {
    json!({
        "id": user.zuid.to_string(),
        "zpuid": user.zpuid.to_string(),
        "name": user.name,
        "email": user.email,
        "client_id": user.client_id.to_string(),
        "project_ids": project_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
    })
}

pub fn project_client(client: &ProjectClient) -> Value {
    json!({
        "id": client.client_id.to_string(),
        "name": client.name,
        "primary": client.primary,
    })
}
