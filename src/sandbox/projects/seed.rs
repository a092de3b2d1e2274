//! The Projects part of a sandbox seed: portals with their owner, users, custom fields,
//! templates, client companies (with client users) and projects, and loading them into the
//! tables with the same invariants the API keeps.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::db::{self, CustomField, NewProject};
use super::model::{FieldType, ProjectStatus, Role};
use super::params::is_plausible_email;
use super::users::name_from_email;

pub use super::generate::{GeneratePortalOpts, generate};

/// One portal. The owner is its `admin` with the "Portal Owner" profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalSeed {
    pub name: String,
    /// The owner's email.
    pub owner: String,
    /// The owner's display name; the email's local part when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    #[serde(default = "default_plan")]
    pub plan: String,
    /// Portal users besides the owner.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<PortalUserSeed>,
    /// Project custom fields (read-only through the API).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_fields: Vec<CustomFieldSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ClientSeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<ProjectSeed>,
}

fn default_plan() -> String {
    "Enterprise".into()
}

fn default_role() -> Role {
    Role::Employee
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A portal user: `role` is `Manager`, `Employee`, `Contractor` or `admin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortalUserSeed {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default = "default_role")]
    pub role: Role,
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub active: bool,
}

/// A project custom field; `column_name` is how the API names it (e.g. `UDF_CHAR1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldSeed {
    pub label_name: String,
    pub column_name: String,
    #[serde(default)]
    pub field_type: FieldType,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_mandatory: bool,
}

/// A project template: projects created from it get its users and custom field values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSeed {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Owner email; the portal owner when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Emails of active portal users.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Values by `column_name`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
}

/// A client company and its client users.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSeed {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<ClientUserSeed>,
}

/// A client user; `projects` names the projects it has access to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientUserSeed {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
}

/// A project's status in a seed (templates are listed under `templates`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedProjectStatus {
    #[default]
    Active,
    Archived,
}

/// A project. Dates are ISO (`2026-01-15`) in the seed; the API speaks `MM-dd-yyyy`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSeed {
    pub name: String,
    #[serde(default)]
    pub status: SeedProjectStatus,
    /// Owner email; the portal owner when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<NaiveDate>,
    #[serde(default)]
    pub percent_complete: u8,
    /// Name of the template the project was created from (its users and values come along).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Emails of active portal users (the owner is always a project user).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ProjectClientSeed>,
    /// Values by `column_name`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, String>,
}

/// A client company of a project, by name; at most one per project is primary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectClientSeed {
    pub name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub primary: bool,
}

/// Why the Projects part of a seed could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// The seed breaks an invariant the API keeps; the message names the item at fault.
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
}

type SeedResult<T> = Result<T, SeedError>;

fn invalid<T>(message: String) -> SeedResult<T> {
    Err(SeedError::Invalid(message))
}

/// Loads `portals` into the Projects tables, all or nothing. Errors name the portal and the
/// item, e.g. `portals[0] (Acme Delivery): project "X": owner bob@acme.com is not an active
/// user of the portal`.
pub fn load(conn: &Connection, portals: &[PortalSeed]) -> SeedResult<()> {
    db::atomically(conn, |conn| {
        for (i, portal) in portals.iter().enumerate() {
            load_portal(conn, portal).map_err(|e| match e {
                SeedError::Invalid(m) => {
                    SeedError::Invalid(format!("portals[{i}] ({}): {m}", portal.name))
                }
                other => other,
            })?;
        }
        Ok(())
    })
}

fn load_portal(conn: &Connection, seed: &PortalSeed) -> SeedResult<()> {
    let name = seed.name.trim();
    let slug = super::wire::portal_slug(name);
    if slug.is_empty() {
        return invalid("the portal name needs at least one letter or digit".into());
    }
    if db::slug_taken(conn, &slug)? {
        return invalid(format!("another portal already has the URL name {slug:?}"));
    }
    check_email(&seed.owner, "owner")?;
    let owner_name = seed
        .owner_name
        .clone()
        .unwrap_or_else(|| name_from_email(&seed.owner));
    let portal = db::insert_portal(conn, name, &seed.plan, &seed.owner, &owner_name)?;
    let portal_id = portal.id;
    for user in &seed.users {
        load_user(conn, portal_id, user)?;
    }
    let fields = load_custom_fields(conn, portal_id, &seed.custom_fields)?;
    for t in &seed.templates {
        load_template(conn, portal_id, &fields, t)
            .map_err(|e| context(e, &format!("template {:?}", t.name)))?;
    }
    // Client users name projects, which are loaded after the clients.
    let mut client_user_projects: Vec<(i64, &str, &Vec<String>)> = Vec::new();
    for c in &seed.clients {
        client_user_projects.extend(load_client(conn, portal_id, c)?);
    }
    for p in &seed.projects {
        load_project(conn, portal_id, &fields, p)
            .map_err(|e| context(e, &format!("project {:?}", p.name)))?;
    }
    for (zpuid, email, projects) in client_user_projects {
        for name in projects {
            let id = db::project_named(conn, portal_id, name, false, None)?.ok_or_else(|| {
                SeedError::Invalid(format!("client user {email}: no project named {name:?}"))
            })?;
            db::add_client_user_project(conn, zpuid, id)?;
        }
    }
    Ok(())
}

fn load_user(conn: &Connection, portal_id: i64, user: &PortalUserSeed) -> SeedResult<()> {
    check_email(&user.email, "user")?;
    if db::member_by_email(conn, portal_id, &user.email)?.is_some() {
        return invalid(format!("user {} is listed twice", user.email));
    }
    let name = user
        .name
        .clone()
        .unwrap_or_else(|| name_from_email(&user.email));
    db::insert_member(
        conn,
        portal_id,
        &user.email,
        &name,
        user.role,
        user.active,
        false,
    )?;
    Ok(())
}

/// The portal's project custom fields as stored, each column named once.
fn load_custom_fields(
    conn: &Connection,
    portal_id: i64,
    seeds: &[CustomFieldSeed],
) -> SeedResult<Vec<CustomField>> {
    let mut fields: Vec<CustomField> = Vec::new();
    for f in seeds {
        let column = f.column_name.trim();
        if column.is_empty() || f.label_name.trim().is_empty() {
            return invalid("a custom field needs a label_name and a column_name".into());
        }
        if fields
            .iter()
            .any(|g| g.column_name.eq_ignore_ascii_case(column))
        {
            return invalid(format!("custom field {column} is listed twice"));
        }
        let field = CustomField {
            column_name: column.to_string(),
            label_name: f.label_name.trim().to_string(),
            field_type: f.field_type,
            is_mandatory: f.is_mandatory,
        };
        db::insert_custom_field(conn, portal_id, &field)?;
        fields.push(field);
    }
    Ok(fields)
}

/// Loads a client company and its users; each user's zpuid, email and the project names it
/// is to be given once the projects exist.
fn load_client<'a>(
    conn: &Connection,
    portal_id: i64,
    c: &'a ClientSeed,
) -> SeedResult<Vec<(i64, &'a str, &'a Vec<String>)>> {
    let what = format!("client {:?}", c.name);
    if c.name.trim().is_empty() {
        return invalid("a client needs a name".into());
    }
    if db::client_named(conn, portal_id, &c.name)?.is_some() {
        return invalid(format!("{what} is listed twice"));
    }
    let client = db::insert_client(
        conn,
        portal_id,
        c.name.trim(),
        c.website.as_deref().unwrap_or(""),
        c.phone.as_deref().unwrap_or(""),
    )?;
    let mut users = Vec::new();
    for u in &c.users {
        check_email(&u.email, "client user").map_err(|e| context(e, &what))?;
        if db::client_user_by_email(conn, portal_id, &u.email)?.is_some()
            || db::member_by_email(conn, portal_id, &u.email)?.is_some()
        {
            return invalid(format!(
                "{what}: {} is already a client user or portal user",
                u.email
            ));
        }
        let name = u.name.clone().unwrap_or_else(|| name_from_email(&u.email));
        let user = db::insert_client_user(conn, portal_id, client.id, &u.email, &name)?;
        users.push((user.zpuid, u.email.as_str(), &u.projects));
    }
    Ok(users)
}

fn load_template(
    conn: &Connection,
    portal_id: i64,
    fields: &[CustomField],
    t: &TemplateSeed,
) -> SeedResult<()> {
    if t.name.trim().is_empty() {
        return invalid("a template needs a name".into());
    }
    if db::project_named(conn, portal_id, &t.name, true, None)?.is_some() {
        return invalid("listed twice".into());
    }
    let owner = project_owner(conn, portal_id, t.owner.as_deref())?;
    let values = field_values(fields, &t.custom_fields)?;
    let id = db::insert_project(
        conn,
        &NewProject {
            portal_id,
            name: t.name.trim(),
            description: t.description.as_deref().unwrap_or(""),
            status: ProjectStatus::Template,
            owner_zpuid: owner.zpuid,
            start_date: None,
            end_date: None,
            percent_complete: 0,
            template_id: None,
        },
    )?;
    for (column, value) in &values {
        db::set_custom_value(conn, id, column, value)?;
    }
    add_users(conn, portal_id, id, &owner, &t.users)
}

fn load_project(
    conn: &Connection,
    portal_id: i64,
    fields: &[CustomField],
    p: &ProjectSeed,
) -> SeedResult<()> {
    if p.name.trim().is_empty() {
        return invalid("a project needs a name".into());
    }
    if db::project_named(conn, portal_id, &p.name, false, None)?.is_some() {
        return invalid("listed twice".into());
    }
    if let (Some(s), Some(e)) = (p.start_date, p.end_date)
        && e < s
    {
        return invalid("end_date is before start_date".into());
    }
    if p.percent_complete > 100 {
        return invalid("percent_complete is above 100".into());
    }
    let owner = project_owner(conn, portal_id, p.owner.as_deref())?;
    let template_id = match &p.template {
        None => None,
        Some(name) => Some(
            db::project_named(conn, portal_id, name, true, None)?
                .ok_or_else(|| SeedError::Invalid(format!("no template named {name:?}")))?,
        ),
    };
    let values = project_values(conn, fields, template_id, &p.custom_fields)?;
    let status = match p.status {
        SeedProjectStatus::Active => ProjectStatus::Active,
        SeedProjectStatus::Archived => ProjectStatus::Archived,
    };
    let id = db::insert_project(
        conn,
        &NewProject {
            portal_id,
            name: p.name.trim(),
            description: p.description.as_deref().unwrap_or(""),
            status,
            owner_zpuid: owner.zpuid,
            start_date: p.start_date,
            end_date: p.end_date,
            percent_complete: i64::from(p.percent_complete),
            template_id,
        },
    )?;
    for (column, value) in &values {
        db::set_custom_value(conn, id, column, value)?;
    }
    if let Some(t) = template_id {
        for (member, role) in db::project_users(conn, t)? {
            if member.active || member.is_owner {
                db::add_project_user(conn, id, member.zpuid, role)?;
            }
        }
    }
    add_users(conn, portal_id, id, &owner, &p.users)?;
    add_clients(conn, portal_id, id, &p.clients)
}

/// A project's custom field values: its template's, overridden by its own; every mandatory
/// field needs one.
fn project_values(
    conn: &Connection,
    fields: &[CustomField],
    template_id: Option<i64>,
    own: &BTreeMap<String, String>,
) -> SeedResult<BTreeMap<String, String>> {
    let mut values = match template_id {
        Some(t) => db::custom_values(conn, t)?,
        None => BTreeMap::new(),
    };
    values.extend(field_values(fields, own)?);
    values.retain(|_, v| !v.is_empty());
    if let Some(f) = fields
        .iter()
        .find(|f| f.is_mandatory && !values.contains_key(&f.column_name))
    {
        return invalid(format!(
            "mandatory custom field {} has no value",
            f.column_name
        ));
    }
    Ok(values)
}

/// Links a project's client companies, each once and at most one of them primary.
fn add_clients(
    conn: &Connection,
    portal_id: i64,
    id: i64,
    clients: &[ProjectClientSeed],
) -> SeedResult<()> {
    let mut primaries = 0;
    for c in clients {
        let client = db::client_named(conn, portal_id, &c.name)?
            .ok_or_else(|| SeedError::Invalid(format!("no client named {:?}", c.name)))?;
        if db::project_clients(conn, id)?
            .iter()
            .any(|pc| pc.client_id == client.id)
        {
            return invalid(format!("client {:?} is listed twice", c.name));
        }
        primaries += usize::from(c.primary);
        if primaries > 1 {
            return invalid("more than one primary client".into());
        }
        db::add_project_client(conn, id, client.id, c.primary)?;
    }
    Ok(())
}

/// Adds the owner and `emails` (active portal users) to a project or template.
fn add_users(
    conn: &Connection,
    portal_id: i64,
    project_id: i64,
    owner: &db::Member,
    emails: &[String],
) -> SeedResult<()> {
    db::add_project_user(
        conn,
        project_id,
        owner.zpuid,
        owner.role.default_project_role(),
    )?;
    for email in emails {
        let member = active_member(conn, portal_id, email, "user")?;
        db::add_project_user(
            conn,
            project_id,
            member.zpuid,
            member.role.default_project_role(),
        )?;
    }
    Ok(())
}

fn project_owner(conn: &Connection, portal_id: i64, email: Option<&str>) -> SeedResult<db::Member> {
    match email {
        Some(e) => active_member(conn, portal_id, e, "owner"),
        None => db::members(conn, portal_id, db::UserFilter::All, 0, 1)?
            .into_iter()
            .find(|m| m.is_owner)
            .ok_or_else(|| SeedError::Invalid("the portal has no owner".into())),
    }
}

fn active_member(
    conn: &Connection,
    portal_id: i64,
    email: &str,
    what: &str,
) -> SeedResult<db::Member> {
    db::member_by_email(conn, portal_id, email)?
        .filter(|m| m.active || m.is_owner)
        .ok_or_else(|| {
            SeedError::Invalid(format!(
                "{what} {email} is not an active user of the portal"
            ))
        })
}

/// Checked custom field values by their declared column name; dates may be ISO here.
fn field_values(
    fields: &[CustomField],
    values: &BTreeMap<String, String>,
) -> SeedResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (column, value) in values {
        let field = fields
            .iter()
            .find(|f| f.column_name.eq_ignore_ascii_case(column))
            .ok_or_else(|| SeedError::Invalid(format!("unknown custom field {column}")))?;
        let normalized = field
            .field_type
            .normalize(value, true)
            .map_err(|why| SeedError::Invalid(format!("custom field {column}: {why}")))?;
        out.insert(field.column_name.clone(), normalized);
    }
    Ok(out)
}

fn check_email(email: &str, what: &str) -> SeedResult<()> {
    if is_plausible_email(email) {
        Ok(())
    } else {
        invalid(format!("{what} {email:?} is not an email address"))
    }
}

fn context(e: SeedError, what: &str) -> SeedError {
    match e {
        SeedError::Invalid(m) => SeedError::Invalid(format!("{what}: {m}")),
        other => other,
    }
}

#[cfg(test)]
#[path = "seed_tests.rs"]
mod tests;
