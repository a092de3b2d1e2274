//! Projects and templates, their custom field values and their users.

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::portals::{MEMBER_COLUMNS, member_from_row};
use super::{Member, allocate_id, now_ms};
use crate::sandbox::projects::model::{FieldType, ProjectStatus, Role};

/// A project or template as stored.
#[derive(Debug, Clone)]
pub struct Project {
    pub id: i64,
    pub portal_id: i64,
    pub name: String,
    pub description: String,
    pub status: ProjectStatus,
    pub owner_zpuid: i64,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub percent_complete: i64,
    pub template_id: Option<i64>,
    pub created_ms: i64,
    pub modified_ms: i64,
}

/// What creating a project needs.
#[derive(Debug, Clone)]
pub struct NewProject<'a> {
    pub portal_id: i64,
    pub name: &'a str,
    pub description: &'a str,
    pub status: ProjectStatus,
    pub owner_zpuid: i64,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub percent_complete: i64,
    pub template_id: Option<i64>,
}

/// A project custom field of a portal.
#[derive(Debug, Clone)]
pub struct CustomField {
    pub column_name: String,
    pub label_name: String,
    pub field_type: FieldType,
    pub is_mandatory: bool,
}

const PROJECT_COLUMNS: &str = "id, portal_id, name, description, status, owner_zpuid, \
     start_date, end_date, percent_complete, template_id, created_ms, modified_ms";

fn project_from_row(r: &Row<'_>) -> rusqlite::Result<Project> {
    let status: String = r.get(4)?;
    Ok(Project {
        id: r.get(0)?,
        portal_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        status: ProjectStatus::parse(&status).unwrap_or_default(),
        owner_zpuid: r.get(5)?,
        start_date: date_from_row(r, 6)?,
        end_date: date_from_row(r, 7)?,
        percent_complete: r.get(8)?,
        template_id: r.get(9)?,
        created_ms: r.get(10)?,
        modified_ms: r.get(11)?,
    })
}

pub fn insert_project(conn: &Connection, new: &NewProject<'_>) -> rusqlite::Result<i64> {
    let id = allocate_id(conn, new.portal_id)?;
    let now = now_ms();
    conn.execute(
        "INSERT INTO prj_projects (id, portal_id, name, description, status, owner_zpuid,
             start_date, end_date, percent_complete, template_id, created_ms, modified_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
        params![
            id,
            new.portal_id,
            new.name,
            new.description,
            new.status.wire_name(),
            new.owner_zpuid,
            stored_date(new.start_date),
            stored_date(new.end_date),
            new.percent_complete,
            new.template_id,
            now
        ],
    )?;
    Ok(id)
}

/// Writes every stored field of `project` back and bumps its modification time.
pub fn update_project(conn: &Connection, project: &Project) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE prj_projects SET name = ?2, description = ?3, status = ?4, owner_zpuid = ?5,
             start_date = ?6, end_date = ?7, percent_complete = ?8, modified_ms = ?9
         WHERE id = ?1",
        params![
            project.id,
            project.name,
            project.description,
            project.status.wire_name(),
            project.owner_zpuid,
            stored_date(project.start_date),
            stored_date(project.end_date),
            project.percent_complete,
            now_ms()
        ],
    )?;
    Ok(())
}

/// Moves a project to the trash: it disappears from every read and frees its name.
pub fn trash_project(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE prj_projects SET trashed = 1, modified_ms = ?2 WHERE id = ?1",
        params![id, now_ms()],
    )?;
    Ok(())
}

/// A project or template of the portal that is not in the trash.
pub fn project(conn: &Connection, portal_id: i64, id: i64) -> rusqlite::Result<Option<Project>> {
    let sql = format!(
        "SELECT {PROJECT_COLUMNS} FROM prj_projects
         WHERE portal_id = ?1 AND id = ?2 AND trashed = 0"
    );
    conn.query_row(&sql, params![portal_id, id], project_from_row)
        .optional()
}

/// Whether the portal has a project with this id in the trash.
pub fn project_trashed(conn: &Connection, portal_id: i64, id: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM prj_projects
                        WHERE portal_id = ?1 AND id = ?2 AND trashed = 1)",
        params![portal_id, id],
        |r| r.get(0),
    )
}

/// A live project of the portal with this name (case-insensitive), other than `except`.
/// Templates and projects are separate namespaces: `templates` picks which one to search.
pub fn project_named(
    conn: &Connection,
    portal_id: i64,
    name: &str,
    templates: bool,
    except: Option<i64>,
) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT id FROM prj_projects
         WHERE portal_id = ?1 AND trashed = 0 AND (status = 'template') = ?3
           AND lower(name) = lower(?2) AND id IS NOT ?4",
        params![portal_id, name.trim(), templates, except],
        |r| r.get(0),
    )
    .optional()
}

/// One page of the portal's projects with one of `statuses`, oldest first.
pub fn projects(
    conn: &Connection,
    portal_id: i64,
    statuses: &[ProjectStatus],
    order: ProjectOrder,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<Vec<Project>> {
    let wanted: Vec<&str> = statuses.iter().map(|s| s.wire_name()).collect();
    let order_by = match order {
        ProjectOrder::Id => "id",
        ProjectOrder::Created { descending: false } => "created_ms, id",
        ProjectOrder::Created { descending: true } => "created_ms DESC, id DESC",
        ProjectOrder::Modified { descending: false } => "modified_ms, id",
        ProjectOrder::Modified { descending: true } => "modified_ms DESC, id DESC",
    };
    let sql = format!(
        "SELECT {PROJECT_COLUMNS} FROM prj_projects
         WHERE portal_id = ?1 AND trashed = 0 AND status IN (?2, ?3, ?4)
         ORDER BY {order_by} LIMIT ?5 OFFSET ?6"
    );
    let pick = |i: usize| wanted.get(i).or(wanted.first()).copied().unwrap_or("");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(
        params![portal_id, pick(0), pick(1), pick(2), limit, offset],
        project_from_row,
    )?;
    rows.collect()
}

pub fn insert_custom_field(
    conn: &Connection,
    portal_id: i64,
    field: &CustomField,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO prj_custom_fields
             (portal_id, column_name, label_name, field_type, is_mandatory, position)
         VALUES (?1, ?2, ?3, ?4, ?5,
             (SELECT COUNT(*) FROM prj_custom_fields WHERE portal_id = ?1))",
        params![
            portal_id,
            field.column_name,
            field.label_name,
            field.field_type.wire_name(),
            field.is_mandatory
        ],
    )?;
    Ok(())
}

/// The portal's project custom fields in their defined order.
pub fn custom_fields(conn: &Connection, portal_id: i64) -> rusqlite::Result<Vec<CustomField>> {
    let mut stmt = conn.prepare(
        "SELECT column_name, label_name, field_type, is_mandatory FROM prj_custom_fields
         WHERE portal_id = ?1 ORDER BY position",
    )?;
    let rows = stmt.query_map(params![portal_id], |r| {
        Ok(CustomField {
            column_name: r.get(0)?,
            label_name: r.get(1)?,
            field_type: FieldType::from_stored(&r.get::<_, String>(2)?),
            is_mandatory: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Sets (or, with an empty value, clears) one custom field value of a project.
pub fn set_custom_value(
    conn: &Connection,
    project_id: i64,
    column_name: &str,
    value: &str,
) -> rusqlite::Result<()> {
    if value.is_empty() {
        conn.execute(
            "DELETE FROM prj_project_values WHERE project_id = ?1 AND column_name = ?2",
            params![project_id, column_name],
        )?;
    } else {
        conn.execute(
            "INSERT INTO prj_project_values (project_id, column_name, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (project_id, column_name) DO UPDATE SET value = excluded.value",
            params![project_id, column_name, value],
        )?;
    }
    Ok(())
}

/// A project's custom field values by column name.
pub fn custom_values(
    conn: &Connection,
    project_id: i64,
) -> rusqlite::Result<std::collections::BTreeMap<String, String>> {
    let mut stmt =
        conn.prepare("SELECT column_name, value FROM prj_project_values WHERE project_id = ?1")?;
    let rows = stmt.query_map(params![project_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Adds a portal user to a project with a project role; no-op when already there.
pub fn add_project_user(
    conn: &Connection,
    project_id: i64,
    zpuid: i64,
    role: Role,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO prj_project_users (project_id, zpuid, role) VALUES (?1, ?2, ?3)",
        params![project_id, zpuid, role.wire_name()],
    )?;
    Ok(())
}

/// A project's users with their project role, in the order they joined the portal.
pub fn project_users(conn: &Connection, project_id: i64) -> rusqlite::Result<Vec<(Member, Role)>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS}, pu.role
         FROM prj_project_users pu
         JOIN prj_portal_users u ON u.zpuid = pu.zpuid
         JOIN prj_zusers z ON z.email = u.email
         WHERE pu.project_id = ?1
         ORDER BY u.is_owner DESC, u.zpuid"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![project_id], |r| {
        let member = member_from_row(r)?;
        let role = Role::from_stored(&r.get::<_, String>(8)?).unwrap_or(member.role);
        Ok((member, role))
    })?;
    rows.collect()
}

/// A portal user by `zpuid`, e.g. a project's owner.
pub fn member_by_zpuid(conn: &Connection, zpuid: i64) -> rusqlite::Result<Option<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM prj_portal_users u JOIN prj_zusers z ON z.email = u.email
         WHERE u.zpuid = ?1"
    );
    conn.query_row(&sql, params![zpuid], member_from_row)
        .optional()
}

/// The order of a project listing: by id (the default), or by creation or modification
/// time as the legacy API's `sort_column` asks, ties broken by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectOrder {
    Id,
    Created { descending: bool },
    Modified { descending: bool },
}

/// Dates are stored as ISO text, which sorts and compares in SQL.
fn stored_date(date: Option<NaiveDate>) -> Option<String> {
    date.map(|d| d.format("%Y-%m-%d").to_string())
}

fn date_from_row(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let text: Option<String> = r.get(i)?;
    Ok(text.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok()))
}
