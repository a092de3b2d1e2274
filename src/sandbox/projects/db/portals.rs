//! Portals and their users (members): who owns a portal, who belongs to it, in which role.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{allocate_id, allocate_portal_ids, zuid_for};
use crate::sandbox::projects::model::Role;
use crate::sandbox::projects::wire;

/// A portal as stored.
#[derive(Debug, Clone)]
pub struct Portal {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub plan: String,
}

/// A portal user.
#[derive(Debug, Clone)]
pub struct Member {
    pub zpuid: i64,
    pub zuid: i64,
    pub portal_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub is_owner: bool,
}

pub(super) const MEMBER_COLUMNS: &str =
    "u.zpuid, z.zuid, u.portal_id, u.email, u.name, u.role, u.active, u.is_owner";

pub(super) fn member_from_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    let role: String = r.get(5)?;
    Ok(Member {
        zpuid: r.get(0)?,
        zuid: r.get(1)?,
        portal_id: r.get(2)?,
        email: r.get(3)?,
        name: r.get(4)?,
        role: Role::from_stored(&role).unwrap_or(Role::Employee),
        active: r.get(6)?,
        is_owner: r.get(7)?,
    })
}

fn portal_from_row(r: &Row<'_>) -> rusqlite::Result<Portal> {
    Ok(Portal {
        id: r.get(0)?,
        name: r.get(1)?,
        slug: r.get(2)?,
        plan: r.get(3)?,
    })
}

/// Creates a portal and its owner, who is an active `admin` member.
pub fn insert_portal(
    conn: &Connection,
    name: &str,
    plan: &str,
    owner_email: &str,
    owner_name: &str,
) -> rusqlite::Result<Portal> {
    let (id, prefix) = allocate_portal_ids(conn)?;
    let slug = wire::portal_slug(name);
    conn.execute(
        "INSERT INTO prj_portals (id, name, slug, plan, id_prefix, next_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, name, slug, plan, prefix, super::FIRST_SEQ],
    )?;
    insert_member(conn, id, owner_email, owner_name, Role::Admin, true, true)?;
    Ok(Portal {
        id,
        name: name.to_string(),
        slug,
        plan: plan.to_string(),
    })
}

/// Whether a portal with this URL name exists.
pub fn slug_taken(conn: &Connection, slug: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM prj_portals WHERE slug = ?1)",
        params![slug],
        |r| r.get(0),
    )
}

pub fn portal(conn: &Connection, id: i64) -> rusqlite::Result<Option<Portal>> {
    conn.query_row(
        "SELECT id, name, slug, plan FROM prj_portals WHERE id = ?1",
        params![id],
        portal_from_row,
    )
    .optional()
}

/// The portals `email` may see (active member or owner) with the membership, by id.
pub fn visible_portals(conn: &Connection, email: &str) -> rusqlite::Result<Vec<(Portal, Member)>> {
    let sql = format!(
        "SELECT p.id, p.name, p.slug, p.plan, {MEMBER_COLUMNS}
         FROM prj_portals p
         JOIN prj_portal_users u ON u.portal_id = p.id
         JOIN prj_zusers z ON z.email = u.email
         WHERE u.email = ?1 AND (u.active = 1 OR u.is_owner = 1)
         ORDER BY p.id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![email], |r| {
        let portal = portal_from_row(r)?;
        let member = Member {
            zpuid: r.get(4)?,
            zuid: r.get(5)?,
            portal_id: r.get(6)?,
            email: r.get(7)?,
            name: r.get(8)?,
            role: Role::from_stored(&r.get::<_, String>(9)?).unwrap_or(Role::Employee),
            active: r.get(10)?,
            is_owner: r.get(11)?,
        };
        Ok((portal, member))
    })?;
    rows.collect()
}

/// Active projects and active users of a portal, for the portal object.
pub fn portal_counts(conn: &Connection, portal_id: i64) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT
            (SELECT COUNT(*) FROM prj_projects
             WHERE portal_id = ?1 AND status = 'active' AND trashed = 0),
            (SELECT COUNT(*) FROM prj_portal_users WHERE portal_id = ?1 AND active = 1)",
        params![portal_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Adds a user to a portal.
pub fn insert_member(
    conn: &Connection,
    portal_id: i64,
    email: &str,
    name: &str,
    role: Role,
    active: bool,
    is_owner: bool,
) -> rusqlite::Result<Member> {
    let zuid = zuid_for(conn, email)?;
    let zpuid = allocate_id(conn, portal_id)?;
    conn.execute(
        "INSERT INTO prj_portal_users (zpuid, portal_id, email, name, role, active, is_owner)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            zpuid,
            portal_id,
            email,
            name,
            role.wire_name(),
            active,
            is_owner
        ],
    )?;
    Ok(Member {
        zpuid,
        zuid,
        portal_id,
        email: email.to_string(),
        name: name.to_string(),
        role,
        active,
        is_owner,
    })
}

pub fn member_by_email(
    conn: &Connection,
    portal_id: i64,
    email: &str,
) -> rusqlite::Result<Option<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM prj_portal_users u JOIN prj_zusers z ON z.email = u.email
         WHERE u.portal_id = ?1 AND u.email = ?2"
    );
    conn.query_row(&sql, params![portal_id, email], member_from_row)
        .optional()
}

/// The portal's owner.
pub fn portal_owner(conn: &Connection, portal_id: i64) -> rusqlite::Result<Option<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM prj_portal_users u JOIN prj_zusers z ON z.email = u.email
         WHERE u.portal_id = ?1 AND u.is_owner = 1"
    );
    conn.query_row(&sql, params![portal_id], member_from_row)
        .optional()
}

/// A portal user by `zpuid` or by Zoho user id (`id`); both appear in user objects.
pub fn member_by_user_id(
    conn: &Connection,
    portal_id: i64,
    user_id: i64,
) -> rusqlite::Result<Option<Member>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM prj_portal_users u JOIN prj_zusers z ON z.email = u.email
         WHERE u.portal_id = ?1 AND (u.zpuid = ?2 OR z.zuid = ?2)"
    );
    conn.query_row(&sql, params![portal_id, user_id], member_from_row)
        .optional()
}

/// Which portal users a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserFilter {
    Active,
    Inactive,
    All,
}

/// One page of a portal's users: the owner first, then in the order they joined.
pub fn members(
    conn: &Connection,
    portal_id: i64,
    filter: UserFilter,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<Vec<Member>> {
    let condition = match filter {
        UserFilter::Active => "AND u.active = 1",
        UserFilter::Inactive => "AND u.active = 0",
        UserFilter::All => "",
    };
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM prj_portal_users u JOIN prj_zusers z ON z.email = u.email
         WHERE u.portal_id = ?1 {condition}
         ORDER BY u.is_owner DESC, u.zpuid LIMIT ?2 OFFSET ?3"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![portal_id, limit, offset], member_from_row)?;
    rows.collect()
}

/// How many users [`members`] lists with `filter`, over all its pages.
pub fn count_members(
    conn: &Connection,
    portal_id: i64,
    filter: UserFilter,
) -> rusqlite::Result<i64> {
    let condition = match filter {
        UserFilter::Active => "AND u.active = 1",
        UserFilter::Inactive => "AND u.active = 0",
        UserFilter::All => "",
    };
    conn.query_row(
        &format!(
            "SELECT COUNT(*) FROM prj_portal_users u JOIN prj_zusers z ON z.email = u.email
             WHERE u.portal_id = ?1 {condition}"
        ),
        params![portal_id],
        |r| r.get(0),
    )
}

/// Whether the portal user owns a project (trashed ones included).
pub fn owns_projects(conn: &Connection, zpuid: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM prj_projects WHERE owner_zpuid = ?1)",
        params![zpuid],
        |r| r.get(0),
    )
}

/// Removes a portal user, and with them their place in every project.
pub fn delete_member(conn: &Connection, zpuid: i64) -> rusqlite::Result<()> {
    conn.execute(
        "DELETE FROM prj_project_users WHERE zpuid = ?1",
        params![zpuid],
    )?;
    conn.execute(
        "DELETE FROM prj_portal_users WHERE zpuid = ?1",
        params![zpuid],
    )?;
    Ok(())
}

pub fn set_member_role(conn: &Connection, zpuid: i64, role: Role) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE prj_portal_users SET role = ?2 WHERE zpuid = ?1",
        params![zpuid, role.wire_name()],
    )?;
    Ok(())
}
