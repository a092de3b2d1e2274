//! Project rules: unique names, templates, owners, date order, custom field values, and the
//! create and update sequences both APIs run once they have read their own parameters.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use chrono::NaiveDate;
use rusqlite::Connection;

use super::{Caller, Field, RuleError, RuleResult};
use crate::sandbox::projects::db::{self, CustomField, Member, NewProject, Project};
use crate::sandbox::projects::model::ProjectStatus;
use crate::sandbox::projects::wire::conflict;

/// Values `percent_complete` may take.
pub const PERCENT_RANGE: RangeInclusive<i64> = 0..=100;

/// Refuses `name` when another live project (or template, when `template`) of the portal
/// has it, case-insensitively; `except` is the project being renamed.
pub fn ensure_unique_name(
    conn: &Connection,
    portal_id: i64,
    name: &str,
    template: bool,
    except: Option<i64>,
) -> RuleResult<()> {
    match db::project_named(conn, portal_id, name, template, except)? {
        Some(_) => Err(RuleError::Conflict {
            field: Field::Name,
            message: format!("{}: {name:?}", conflict::DUPLICATE_PROJECT),
        }),
        None => Ok(()),
    }
}

/// The template of the portal whose id is `value`.
pub fn template(conn: &Connection, portal_id: i64, value: &str) -> RuleResult<Project> {
    let id = value
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| RuleError::Invalid {
            field: Field::Template,
            why: format!("{value:?} (an id)"),
        })?;
    db::project(conn, portal_id, id)?
        .filter(|t| t.status == ProjectStatus::Template)
        .ok_or_else(|| RuleError::Invalid {
            field: Field::Template,
            why: format!("{value} is not a project template of this portal"),
        })
}

/// The active portal user a project owner names, by zpuid or Zoho user id.
pub fn owner(conn: &Connection, portal_id: i64, value: &str) -> RuleResult<Member> {
    let invalid = || RuleError::Invalid {
        field: Field::Owner,
        why: format!("{value} is not an active user of this portal"),
    };
    let id = value.parse::<i64>().map_err(|_| invalid())?;
    db::member_by_user_id(conn, portal_id, id)?
        .filter(|m| m.active || m.is_owner)
        .ok_or_else(invalid)
}

/// A project cannot end before it starts.
pub fn check_dates(start: Option<NaiveDate>, end: Option<NaiveDate>) -> RuleResult<()> {
    match (start, end) {
        (Some(s), Some(e)) if e < s => Err(RuleError::Invalid {
            field: Field::EndDate,
            why: "it is before start_date".into(),
        }),
        _ => Ok(()),
    }
}

/// A custom field value as stored (dates `MM-dd-yyyy`), checked against the field's type;
/// an empty value stays empty, which clears the field.
pub fn custom_value(field: &CustomField, raw: &str) -> RuleResult<String> {
    field
        .field_type
        .normalize(raw, false)
        .map_err(|why| RuleError::Invalid {
            field: Field::Custom(field.clone()),
            why: why.to_string(),
        })
}

/// Refuses values (by column name, empty ones left out) that leave a mandatory field empty.
pub fn check_mandatory(
    fields: &[CustomField],
    values: &BTreeMap<String, String>,
) -> RuleResult<()> {
    match fields
        .iter()
        .find(|f| f.is_mandatory && !values.contains_key(&f.column_name))
    {
        Some(f) => Err(RuleError::Mandatory(f.clone())),
        None => Ok(()),
    }
}

/// A project to create, its references already resolved.
#[derive(Debug, Clone, Default)]
pub struct Creation<'a> {
    pub name: &'a str,
    /// `None` takes the template's description, or none.
    pub description: Option<&'a str>,
    /// `None` makes the caller the owner.
    pub owner: Option<Member>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub template: Option<Project>,
    /// Checked values by column name; they win over the template's, and `""` drops one.
    pub custom: BTreeMap<String, String>,
}

/// Creates a project. From a template it also gets the template's custom field values and
/// description (unless given) and its active users with their project roles; the owner and
/// the caller become project users too.
pub fn create(conn: &Connection, caller: &Caller, new: Creation<'_>) -> RuleResult<Project> {
    let portal_id = caller.portal.id;
    ensure_unique_name(conn, portal_id, new.name, false, None)?;
    check_dates(new.start_date, new.end_date)?;
    let fields = db::custom_fields(conn, portal_id)?;
    let mut values = match &new.template {
        Some(t) => db::custom_values(conn, t.id)?,
        None => BTreeMap::new(),
    };
    values.extend(new.custom);
    values.retain(|_, v| !v.is_empty());
    check_mandatory(&fields, &values)?;
    let description = new
        .description
        .map(str::to_string)
        .or_else(|| new.template.as_ref().map(|t| t.description.clone()))
        .unwrap_or_default();
    let owner = new.owner.unwrap_or_else(|| caller.member.clone());
    let id = db::insert_project(
        conn,
        &NewProject {
            portal_id,
            name: new.name,
            description: &description,
            status: ProjectStatus::Active,
            owner_zpuid: owner.zpuid,
            start_date: new.start_date,
            end_date: new.end_date,
            percent_complete: 0,
            template_id: new.template.as_ref().map(|t| t.id),
        },
    )?;
    for (column, value) in &values {
        db::set_custom_value(conn, id, column, value)?;
    }
    // The template's team comes along; inactive users stay behind, as in Zoho's UI.
    if let Some(t) = &new.template {
        for (member, role) in db::project_users(conn, t.id)? {
            if member.active || member.is_owner {
                db::add_project_user(conn, id, member.zpuid, role)?;
            }
        }
    }
    for member in [&owner, &caller.member] {
        db::add_project_user(conn, id, member.zpuid, member.role.default_project_role())?;
    }
    reread(conn, portal_id, id)
}

/// Changes to a project; `None` leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct Changes<'a> {
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub owner: Option<Member>,
    /// `Some(None)` clears the date.
    pub start_date: Option<Option<NaiveDate>>,
    pub end_date: Option<Option<NaiveDate>>,
    pub status: Option<ProjectStatus>,
    pub percent_complete: Option<i64>,
    /// Checked values by column name; `""` clears one.
    pub custom: BTreeMap<String, String>,
}

/// Applies `changes` to `project` and answers the project as stored afterwards.
pub fn update(
    conn: &Connection,
    portal_id: i64,
    mut project: Project,
    changes: Changes<'_>,
) -> RuleResult<Project> {
    if let Some(name) = changes.name {
        let is_template = project.status == ProjectStatus::Template;
        ensure_unique_name(conn, portal_id, name, is_template, Some(project.id))?;
        project.name = name.to_string();
    }
    if let Some(description) = changes.description {
        project.description = description.to_string();
    }
    if let Some(owner) = changes.owner {
        let role = owner.role.default_project_role();
        db::add_project_user(conn, project.id, owner.zpuid, role)?;
        project.owner_zpuid = owner.zpuid;
    }
    if let Some(date) = changes.start_date {
        project.start_date = date;
    }
    if let Some(date) = changes.end_date {
        project.end_date = date;
    }
    check_dates(project.start_date, project.end_date)?;
    if let Some(status) = changes.status {
        project.status = new_status(&project, status)?;
    }
    if let Some(percent) = changes.percent_complete {
        if !PERCENT_RANGE.contains(&percent) {
            return Err(RuleError::Invalid {
                field: Field::PercentComplete,
                why: format!("{percent} (a whole number from 0 to 100)"),
            });
        }
        project.percent_complete = percent;
    }
    if !changes.custom.is_empty() {
        let fields = db::custom_fields(conn, portal_id)?;
        let mut values = db::custom_values(conn, project.id)?;
        values.extend(changes.custom.clone());
        values.retain(|_, v| !v.is_empty());
        check_mandatory(&fields, &values)?;
        for (column, value) in &changes.custom {
            db::set_custom_value(conn, project.id, column, value)?;
        }
    }
    db::update_project(conn, &project)?;
    reread(conn, portal_id, project.id)
}

/// Projects move between active and archived; templates are made in the seed and stay
/// templates.
fn new_status(project: &Project, status: ProjectStatus) -> RuleResult<ProjectStatus> {
    if status == ProjectStatus::Template {
        return Err(RuleError::Invalid {
            field: Field::Status,
            why: format!("{:?} (active or archived)", status.wire_name()),
        });
    }
    if project.status == ProjectStatus::Template {
        return Err(RuleError::Conflict {
            field: Field::Status,
            message: "A template's status cannot be changed; create a project from it instead"
                .into(),
        });
    }
    Ok(status)
}

/// A project that was just written; missing would be a fault of the sandbox.
fn reread(conn: &Connection, portal_id: i64, id: i64) -> RuleResult<Project> {
    db::project(conn, portal_id, id)?
        .ok_or_else(|| RuleError::Internal("Written project vanished".into()))
}
