//! The JSON objects of the V3 API (Portal, Project, User, Client, CustomField, Role), drawn
//! from the same rows as the legacy ones: string ids, `YYYY-MM-DD` dates, nested
//! references, and one `cf_*` key per custom field with a value.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;
use serde_json::{Map, Value, json};

use super::error::V3Result;
use super::wire::{self, DATE_FORMAT, TIME_FORMAT};
use crate::sandbox::projects::db::{
    self, Client, ClientUser, CustomField, Member, Portal, Project,
};
use crate::sandbox::projects::model::{FieldType, Role};
use crate::sandbox::projects::wire as legacy;

/// A portal as `member` sees it; `is_default` marks the caller's first portal.
pub fn portal(
    conn: &Connection,
    portal: &Portal,
    member: &Member,
    is_default: bool,
) -> V3Result<Value> {
    let (active_projects, active_users) = db::portal_counts(conn, portal.id)?;
    let owner = db::portal_owner(conn, portal.id)?.map(|o| {
        json!({
            "id": o.zuid.to_string(),
            "zuid": o.zuid.to_string(),
            "full_name": o.name,
            "email": o.email,
        })
    });
    Ok(json!({
        "id": portal.id.to_string(),
        "portal_name": portal.slug,
        "name": portal.name,
        "org_name": portal.name,
        "is_default": is_default,
        "is_crm_partner": false,
        "owner": owner,
        "role": role_ref(portal.id, member.role),
        "portal_profile": profile(portal.id, member),
        "plan_details": {"projects_service_plan": portal.plan},
        "project_count": {"active": active_projects},
        "available_users": (legacy::plan_seats(&portal.plan) - active_users).max(0),
    }))
}

/// What rendering projects needs beyond the project rows, loaded once per request.
pub struct ProjectView<'a> {
    portal: &'a Portal,
    fields: Vec<CustomField>,
}

impl<'a> ProjectView<'a> {
    pub fn load(conn: &Connection, portal: &'a Portal) -> V3Result<Self> {
        Ok(ProjectView {
            portal,
            fields: db::custom_fields(conn, portal.id)?,
        })
    }

    /// A project or template.
    pub fn project(&self, conn: &Connection, project: &Project) -> V3Result<Value> {
        let owner = db::member_by_zpuid(conn, project.owner_zpuid)?;
        let (status_id, status_name, closed) = wire::status(self.portal.id, project.status);
        let mut obj = Map::new();
        let mut put = |k: &str, v: Value| obj.insert(k.to_string(), v);
        put("id", project.id.to_string().into());
        let key = wire::project_key(&self.portal.name, db::sequence_of(project.id));
        put("key", key.into());
        put("name", project.name.clone().into());
        put("description", project.description.clone().into());
        put("project_type", project.status.wire_name().into());
        put(
            "status",
            json!({"id": status_id, "name": status_name, "is_closed_type": closed}),
        );
        put("owner", owner.as_ref().map(person).unwrap_or(Value::Null));
        if let Some(d) = project.start_date {
            put("start_date", date(d).into());
        }
        if let Some(d) = project.end_date {
            put("end_date", date(d).into());
        }
        put("percent_complete", project.percent_complete.into());
        put("created_time", time(project.created_ms).into());
        put("modified_time", time(project.modified_ms).into());
        if let Some(t) = project.template_id {
            put("copied_from", t.to_string().into());
        }
        let values: BTreeMap<String, String> = db::custom_values(conn, project.id)?;
        for field in &self.fields {
            if let Some(v) = values.get(&field.column_name) {
                put(
                    &wire::api_name(&field.label_name),
                    custom_value(field, v).into(),
                );
            }
        }
        let web_url = legacy::project_web_url(&self.portal.slug, project.id);
        put("link", json!({"web_url": web_url}));
        Ok(Value::Object(obj))
    }
}

/// A stored custom field value as V3 shows it: dates are kept `MM-dd-yyyy` for the legacy
/// API and shown `YYYY-MM-DD` here.
fn custom_value(field: &CustomField, stored: &str) -> String {
    if field.field_type == FieldType::Date
        && let Ok(d) = NaiveDate::parse_from_str(stored, "%m-%d-%Y")
    {
        return date(d);
    }
    stored.to_string()
}

/// A project owner.
fn person(member: &Member) -> Value {
    json!({
        "zpuid": member.zpuid.to_string(),
        "zuid": member.zuid.to_string(),
        "name": member.name,
        "full_name": member.name,
        "email": member.email,
    })
}

/// A portal user; for a project user `role` is the project role.
pub fn user(portal_id: i64, member: &Member, role: Role) -> Value {
    let mut obj = person_fields(member.zpuid, member.zuid, &member.email, &member.name);
    let status = if member.active || member.is_owner {
        "active"
    } else {
        "inactive"
    };
    obj.insert("status".into(), status.into());
    obj.insert("user_type".into(), "portal".into());
    obj.insert("role".into(), role_ref(portal_id, role));
    obj.insert("portal_profile".into(), profile(portal_id, member));
    Value::Object(obj)
}

/// A client user of `company` with the projects they have access to.
pub fn client_user(user: &ClientUser, company: &Client, projects: &[Project]) -> Value {
    let mut obj = person_fields(user.zpuid, user.zuid, &user.email, &user.name);
    obj.insert("status".into(), "active".into());
    obj.insert("user_type".into(), "client".into());
    obj.insert(
        "client_company".into(),
        json!({"id": company.id.to_string(), "name": company.name}),
    );
    let projects: Vec<Value> = projects
        .iter()
        .map(|p| json!({"id": p.id.to_string(), "name": p.name}))
        .collect();
    obj.insert("projects".into(), Value::Array(projects));
    Value::Object(obj)
}

fn person_fields(zpuid: i64, zuid: i64, email: &str, name: &str) -> Map<String, Value> {
    let (first, last) = name.split_once(' ').unwrap_or((name, ""));
    let value = json!({
        "id": zpuid.to_string(),
        "zpuid": zpuid.to_string(),
        "zuid": zuid.to_string(),
        "email": email,
        "first_name": first,
        "last_name": last.trim(),
        "full_name": name,
        "name": name,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"id", "name"}` of a role; the portal role `admin` shows as "Administrator".
fn role_ref(portal_id: i64, role: Role) -> Value {
    json!({"id": wire::role_id(portal_id, role), "name": role.role_name()})
}

fn profile(portal_id: i64, member: &Member) -> Value {
    let is_default = !member.is_owner && member.role == wire::DEFAULT_ROLE;
    json!({
        "id": member.role.profile_id(portal_id, member.is_owner).to_string(),
        "name": member.role.profile_name(member.is_owner),
        "is_default": is_default,
    })
}

/// A role of `/settings/roles`.
pub fn role(portal_id: i64, role: Role) -> Value {
    json!({
        "id": wire::role_id(portal_id, role),
        "name": role.role_name(),
        "is_default": role == wire::DEFAULT_ROLE,
    })
}

/// The portal's `index`-th project custom field.
pub fn custom_field(portal_id: i64, index: usize, field: &CustomField) -> Value {
    json!({
        "id": wire::field_id(portal_id, index),
        "api_name": wire::api_name(&field.label_name),
        "display_name": field.label_name,
        "column_name": field.column_name,
        "field_type": field.field_type.wire_name(),
        "is_mandatory": field.is_mandatory,
        "is_custom_field": true,
    })
}

pub fn client(client: &Client) -> Value {
    json!({
        "id": client.id.to_string(),
        "name": client.name,
        "website": client.website,
        "phone": client.phone,
    })
}

fn date(d: NaiveDate) -> String {
    d.format(DATE_FORMAT).to_string()
}

fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format(TIME_FORMAT)
        .to_string()
}
