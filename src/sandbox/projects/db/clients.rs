//! Client companies, their client users, and which projects each is a client of.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{allocate_id, zuid_for};

/// A client company.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: i64,
    pub portal_id: i64,
    pub name: String,
    pub website: String,
    pub phone: String,
}

/// A client user: a person of a client company with access to some projects.
#[derive(Debug, Clone)]
pub struct ClientUser {
    pub zpuid: i64,
    pub zuid: i64,
    pub portal_id: i64,
    pub client_id: i64,
    pub email: String,
    pub name: String,
}

/// A client company as a client of one project.
#[derive(Debug, Clone)]
pub struct ProjectClient {
    pub client_id: i64,
    pub name: String,
    pub primary: bool,
}

fn client_from_row(r: &Row<'_>) -> rusqlite::Result<Client> {
    Ok(Client {
        id: r.get(0)?,
        portal_id: r.get(1)?,
        name: r.get(2)?,
        website: r.get(3)?,
        phone: r.get(4)?,
    })
}

const CLIENT_USER_COLUMNS: &str = "c.zpuid, z.zuid, c.portal_id, c.client_id, c.email, c.name";

fn client_user_from_row(r: &Row<'_>) -> rusqlite::Result<ClientUser> {
    Ok(ClientUser {
        zpuid: r.get(0)?,
        zuid: r.get(1)?,
        portal_id: r.get(2)?,
        client_id: r.get(3)?,
        email: r.get(4)?,
        name: r.get(5)?,
    })
}

pub fn insert_client(
    conn: &Connection,
    portal_id: i64,
    name: &str,
    website: &str,
    phone: &str,
) -> rusqlite::Result<Client> {
    let id = allocate_id(conn, portal_id)?;
    conn.execute(
        "INSERT INTO prj_clients (id, portal_id, name, website, phone)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, portal_id, name, website, phone],
    )?;
    Ok(Client {
        id,
        portal_id,
        name: name.to_string(),
        website: website.to_string(),
        phone: phone.to_string(),
    })
}

pub fn client(conn: &Connection, portal_id: i64, id: i64) -> rusqlite::Result<Option<Client>> {
    conn.query_row(
        "SELECT id, portal_id, name, website, phone FROM prj_clients
         WHERE portal_id = ?1 AND id = ?2",
        params![portal_id, id],
        client_from_row,
    )
    .optional()
}

/// A client company of the portal with this name (case-insensitive).
pub fn client_named(
    conn: &Connection,
    portal_id: i64,
    name: &str,
) -> rusqlite::Result<Option<Client>> {
    conn.query_row(
        "SELECT id, portal_id, name, website, phone FROM prj_clients
         WHERE portal_id = ?1 AND lower(name) = lower(?2)",
        params![portal_id, name.trim()],
        client_from_row,
    )
    .optional()
}

/// One page of the portal's client companies, oldest first.
pub fn clients(
    conn: &Connection,
    portal_id: i64,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<Vec<Client>> {
    let mut stmt = conn.prepare(
        "SELECT id, portal_id, name, website, phone FROM prj_clients
         WHERE portal_id = ?1 ORDER BY id LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![portal_id, limit, offset], client_from_row)?;
    rows.collect()
}

/// How many client companies [`clients`] lists, over all its pages.
pub fn count_clients(conn: &Connection, portal_id: i64) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COUNT(*) FROM prj_clients WHERE portal_id = ?1",
        params![portal_id],
        |r| r.get(0),
    )
}

pub fn insert_client_user(
    conn: &Connection,
    portal_id: i64,
    client_id: i64,
    email: &str,
    name: &str,
) -> rusqlite::Result<ClientUser> {
    let zuid = zuid_for(conn, email)?;
    let zpuid = allocate_id(conn, portal_id)?;
    conn.execute(
        "INSERT INTO prj_client_users (zpuid, portal_id, client_id, email, name)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![zpuid, portal_id, client_id, email, name],
    )?;
    Ok(ClientUser {
        zpuid,
        zuid,
        portal_id,
        client_id,
        email: email.to_string(),
        name: name.to_string(),
    })
}

/// The client user of the portal with this email, in whichever company.
pub fn client_user_by_email(
    conn: &Connection,
    portal_id: i64,
    email: &str,
) -> rusqlite::Result<Option<ClientUser>> {
    let sql = format!(
        "SELECT {CLIENT_USER_COLUMNS} FROM prj_client_users c
         JOIN prj_zusers z ON z.email = c.email
         WHERE c.portal_id = ?1 AND c.email = ?2"
    );
    conn.query_row(&sql, params![portal_id, email], client_user_from_row)
        .optional()
}

/// A client user by `zpuid` or by Zoho user id (`id`).
pub fn client_user_by_id(
    conn: &Connection,
    portal_id: i64,
    user_id: i64,
) -> rusqlite::Result<Option<ClientUser>> {
    let sql = format!(
        "SELECT {CLIENT_USER_COLUMNS} FROM prj_client_users c
         JOIN prj_zusers z ON z.email = c.email
         WHERE c.portal_id = ?1 AND (c.zpuid = ?2 OR z.zuid = ?2)"
    );
    conn.query_row(&sql, params![portal_id, user_id], client_user_from_row)
        .optional()
}

/// A company's client users in the order they were added.
pub fn client_users(conn: &Connection, client_id: i64) -> rusqlite::Result<Vec<ClientUser>> {
    let sql = format!(
        "SELECT {CLIENT_USER_COLUMNS} FROM prj_client_users c
         JOIN prj_zusers z ON z.email = c.email
         WHERE c.client_id = ?1 ORDER BY c.zpuid"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![client_id], client_user_from_row)?;
    rows.collect()
}

/// One page of the client users of the portal, or of the companies `client_ids` when it
/// is not empty, in the order they were added.
pub fn client_users_page(
    conn: &Connection,
    portal_id: i64,
    client_ids: &[i64],
    offset: i64,
    limit: i64,
) -> rusqlite::Result<Vec<ClientUser>> {
    // Ids are numbers, so inlining them cannot inject SQL; it spares a variable-length
    // parameter list.
    let companies = if client_ids.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = client_ids.iter().map(i64::to_string).collect();
        format!("AND c.client_id IN ({})", list.join(","))
    };
    let sql = format!(
        "SELECT {CLIENT_USER_COLUMNS} FROM prj_client_users c
         JOIN prj_zusers z ON z.email = c.email
         WHERE c.portal_id = ?1 {companies} ORDER BY c.zpuid LIMIT ?2 OFFSET ?3"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![portal_id, limit, offset], client_user_from_row)?;
    rows.collect()
}

/// Gives a client user access to a project; no-op when it already has it.
pub fn add_client_user_project(
    conn: &Connection,
    zpuid: i64,
    project_id: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO prj_client_user_projects (zpuid, project_id) VALUES (?1, ?2)",
        params![zpuid, project_id],
    )?;
    Ok(())
}

/// The live projects a client user has access to, oldest first.
pub fn client_user_projects(conn: &Connection, zpuid: i64) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare(
        "SELECT cp.project_id FROM prj_client_user_projects cp
         JOIN prj_projects p ON p.id = cp.project_id
         WHERE cp.zpuid = ?1 AND p.trashed = 0 ORDER BY cp.project_id",
    )?;
    let rows = stmt.query_map(params![zpuid], |r| r.get(0))?;
    rows.collect()
}

/// Makes a client company a client of a project.
pub fn add_project_client(
    conn: &Connection,
    project_id: i64,
    client_id: i64,
    primary: bool,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO prj_project_clients (project_id, client_id, is_primary, added_seq)
         VALUES (?1, ?2, ?3,
             (SELECT COALESCE(MAX(added_seq), 0) + 1 FROM prj_project_clients
              WHERE project_id = ?1))",
        params![project_id, client_id, primary],
    )?;
    Ok(())
}

/// A project's clients in the order they were added.
pub fn project_clients(conn: &Connection, project_id: i64) -> rusqlite::Result<Vec<ProjectClient>> {
    let mut stmt = conn.prepare(
        "SELECT c.id, c.name, pc.is_primary FROM prj_project_clients pc
         JOIN prj_clients c ON c.id = pc.client_id
         WHERE pc.project_id = ?1 ORDER BY pc.added_seq",
    )?;
    let rows = stmt.query_map(params![project_id], |r| {
        Ok(ProjectClient {
            client_id: r.get(0)?,
            name: r.get(1)?,
            primary: r.get(2)?,
        })
    })?;
    rows.collect()
}
