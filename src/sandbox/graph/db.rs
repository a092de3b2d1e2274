//! Graph's tables: tenants, app registrations, access tokens, users, mailbox folders
//! (calendars and contact folders) and items (events and contacts). Every item change takes
//! the next value of one monotonic change sequence, and deleted items stay as tombstones, so
//! a delta token only has to remember "changes after N".

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Map, Value};

pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS graph_tenants (id TEXT PRIMARY KEY);
         CREATE TABLE IF NOT EXISTS graph_apps (
             tenant TEXT NOT NULL, client_id TEXT NOT NULL, client_secret TEXT NOT NULL,
             roles TEXT NOT NULL, PRIMARY KEY (tenant, client_id));
         CREATE TABLE IF NOT EXISTS graph_tokens (
             token TEXT PRIMARY KEY, tenant TEXT NOT NULL, client_id TEXT NOT NULL,
             roles TEXT NOT NULL, expires_ms INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS graph_users (
             id TEXT PRIMARY KEY, tenant TEXT NOT NULL, upn TEXT NOT NULL COLLATE NOCASE,
             mail TEXT, display_name TEXT NOT NULL, given_name TEXT, surname TEXT,
             job_title TEXT, has_mailbox INTEGER NOT NULL);
         CREATE UNIQUE INDEX IF NOT EXISTS graph_users_upn ON graph_users (upn);
         CREATE TABLE IF NOT EXISTS graph_folders (
             id TEXT PRIMARY KEY, user_id TEXT NOT NULL, kind TEXT NOT NULL,
             name TEXT NOT NULL, is_default INTEGER NOT NULL, change_key TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS graph_folders_user ON graph_folders (user_id, kind);
         CREATE TABLE IF NOT EXISTS graph_items (
             id TEXT PRIMARY KEY, user_id TEXT NOT NULL, folder_id TEXT NOT NULL,
             kind TEXT NOT NULL, doc TEXT NOT NULL, ext TEXT NOT NULL,
             created TEXT NOT NULL, modified TEXT NOT NULL, change_key TEXT NOT NULL,
             seq INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
         CREATE INDEX IF NOT EXISTS graph_items_folder ON graph_items (folder_id, seq);
         CREATE INDEX IF NOT EXISTS graph_items_seq ON graph_items (seq);",
    )
}

/// The two kinds of mailbox folders and the items they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Event,
    Contact,
}

impl Kind {
    pub fn item(self) -> &'static str {
        match self {
            Kind::Event => "event",
            Kind::Contact => "contact",
        }
    }
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Event => "calendar",
            Kind::Contact => "contactFolder",
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub tenant: String,
    pub upn: String,
    pub mail: Option<String>,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub has_mailbox: bool,
}

const USER_COLS: &str =
    "id, tenant, upn, mail, display_name, given_name, surname, job_title, has_mailbox";

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        tenant: r.get(1)?,
        upn: r.get(2)?,
        mail: r.get(3)?,
        display_name: r.get(4)?,
        given_name: r.get(5)?,
        surname: r.get(6)?,
        job_title: r.get(7)?,
        has_mailbox: r.get(8)?,
    })
}

pub fn insert_user(conn: &Connection, u: &User) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO graph_users ({USER_COLS}) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"),
        params![
            u.id,
            u.tenant,
            u.upn,
            u.mail,
            u.display_name,
            u.given_name,
            u.surname,
            u.job_title,
            u.has_mailbox
        ],
    )?;
    Ok(())
}

/// A user of `tenant` by object id or user principal name (case-insensitive).
pub fn find_user(conn: &Connection, tenant: &str, key: &str) -> rusqlite::Result<Option<User>> {
    conn.query_row(
        &format!("SELECT {USER_COLS} FROM graph_users WHERE tenant = ?1 AND (id = ?2 OR upn = ?2)"),
        params![tenant, key],
        user_from_row,
    )
    .optional()
}

/// Users of a tenant in a stable order, `skip` then at most `limit`.
pub fn list_users(
    conn: &Connection,
    tenant: &str,
    skip: usize,
    limit: usize,
) -> rusqlite::Result<Vec<User>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {USER_COLS} FROM graph_users WHERE tenant = ?1 ORDER BY rowid LIMIT ?2 OFFSET ?3"
    ))?;
    stmt.query_map(params![tenant, limit as i64, skip as i64], user_from_row)?
        .collect()
}

#[derive(Debug, Clone)]
pub struct Folder {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub is_default: bool,
    pub change_key: String,
}

fn folder_from_row(r: &Row<'_>) -> rusqlite::Result<Folder> {
    Ok(Folder {
        id: r.get(0)?,
        user_id: r.get(1)?,
        name: r.get(2)?,
        is_default: r.get(3)?,
        change_key: r.get(4)?,
    })
}

pub fn insert_folder(conn: &Connection, kind: Kind, f: &Folder) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO graph_folders (id, user_id, kind, name, is_default, change_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            f.id,
            f.user_id,
            kind.folder(),
            f.name,
            f.is_default,
            f.change_key
        ],
    )?;
    Ok(())
}

pub fn list_folders(conn: &Connection, user: &str, kind: Kind) -> rusqlite::Result<Vec<Folder>> {
    let mut stmt = conn.prepare(
        "SELECT id, user_id, name, is_default, change_key FROM graph_folders
         WHERE user_id = ?1 AND kind = ?2 ORDER BY is_default DESC, rowid",
    )?;
    stmt.query_map(params![user, kind.folder()], folder_from_row)?
        .collect()
}

pub fn find_folder(
    conn: &Connection,
    user: &str,
    kind: Kind,
    id: &str,
) -> rusqlite::Result<Option<Folder>> {
    conn.query_row(
        "SELECT id, user_id, name, is_default, change_key FROM graph_folders
         WHERE user_id = ?1 AND kind = ?2 AND id = ?3",
        params![user, kind.folder(), id],
        folder_from_row,
    )
    .optional()
}

/// The user's default calendar (the one `/users/{id}/events` means).
pub fn default_folder(
    conn: &Connection,
    user: &str,
    kind: Kind,
) -> rusqlite::Result<Option<Folder>> {
    conn.query_row(
        "SELECT id, user_id, name, is_default, change_key FROM graph_folders
         WHERE user_id = ?1 AND kind = ?2 AND is_default = 1",
        params![user, kind.folder()],
        folder_from_row,
    )
    .optional()
}

/// The folder `/users/{id}/events` or `/users/{id}/contacts` means. Every mailbox has a
/// default "Contacts" folder; the sandbox makes it the first time it is asked for.
pub fn default_folder_or_make(
    conn: &Connection,
    user: &str,
    kind: Kind,
) -> rusqlite::Result<Option<Folder>> {
    if let Some(folder) = default_folder(conn, user, kind)? {
        return Ok(Some(folder));
    }
    if kind == Kind::Event {
        return Ok(None);
    }
    let folder = Folder {
        id: super::render::new_id(),
        user_id: user.to_string(),
        name: "Contacts".to_string(),
        is_default: true,
        change_key: super::render::new_change_key(),
    };
    insert_folder(conn, kind, &folder)?;
    Ok(Some(folder))
}

/// Deletes a folder with its items (tombstones included: the folder's sync state goes too).
pub fn delete_folder(conn: &Connection, id: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM graph_items WHERE folder_id = ?1", [id])?;
    conn.execute("DELETE FROM graph_folders WHERE id = ?1", [id])?;
    Ok(())
}

/// An event or contact: its writable properties (`doc`), extended properties and metadata.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub user_id: String,
    pub folder_id: String,
    pub doc: Map<String, Value>,
    /// `singleValueExtendedProperties` as (id, value).
    pub ext: Vec<(String, String)>,
    pub created: String,
    pub modified: String,
    pub change_key: String,
    pub seq: i64,
    pub deleted: bool,
}

const ITEM_COLS: &str =
    "id, user_id, folder_id, doc, ext, created, modified, change_key, seq, deleted";

fn item_from_row(r: &Row<'_>) -> rusqlite::Result<Item> {
    let doc: String = r.get(3)?;
    let ext: String = r.get(4)?;
    Ok(Item {
        id: r.get(0)?,
        user_id: r.get(1)?,
        folder_id: r.get(2)?,
        doc: serde_json::from_str(&doc).unwrap_or_default(),
        ext: serde_json::from_str(&ext).unwrap_or_default(),
        created: r.get(5)?,
        modified: r.get(6)?,
        change_key: r.get(7)?,
        seq: r.get(8)?,
        deleted: r.get(9)?,
    })
}

/// The next value of the change sequence.
pub fn next_seq(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM graph_items",
        [],
        |r| r.get(0),
    )
}

/// The last change sequence value handed out.
pub fn current_seq(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM graph_items", [], |r| {
        r.get(0)
    })
}

/// Inserts or replaces an item as given (seq included).
pub fn save_item(conn: &Connection, kind: Kind, item: &Item) -> rusqlite::Result<()> {
    save_item_with(&mut prepare_save(conn)?, kind, item)
}

/// The statement [`save_item_with`] runs, prepared once for bulk loads.
pub fn prepare_save(conn: &Connection) -> rusqlite::Result<rusqlite::Statement<'_>> {
    conn.prepare(&format!(
        "INSERT OR REPLACE INTO graph_items ({ITEM_COLS}, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))
}

pub fn save_item_with(
    stmt: &mut rusqlite::Statement<'_>,
    kind: Kind,
    item: &Item,
) -> rusqlite::Result<()> {
    stmt.execute(params![
        item.id,
        item.user_id,
        item.folder_id,
        Value::Object(item.doc.clone()).to_string(),
        serde_json::to_string(&item.ext).unwrap_or_else(|_| "[]".into()),
        item.created,
        item.modified,
        item.change_key,
        item.seq,
        item.deleted,
        kind.item(),
    ])?;
    Ok(())
}

/// A live item of the user's mailbox.
pub fn find_item(
    conn: &Connection,
    user: &str,
    kind: Kind,
    id: &str,
) -> rusqlite::Result<Option<Item>> {
    conn.query_row(
        &format!(
            "SELECT {ITEM_COLS} FROM graph_items
             WHERE user_id = ?1 AND kind = ?2 AND id = ?3 AND deleted = 0"
        ),
        params![user, kind.item(), id],
        item_from_row,
    )
    .optional()
}

/// Live items of a folder, oldest first.
pub fn folder_items(conn: &Connection, folder: &str) -> rusqlite::Result<Vec<Item>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ITEM_COLS} FROM graph_items WHERE folder_id = ?1 AND deleted = 0 ORDER BY rowid"
    ))?;
    stmt.query_map([folder], item_from_row)?.collect()
}

/// Items of a folder (tombstones included) changed in `(after, upto]`, by change sequence,
/// starting past `cursor`, at most `limit`.
pub fn changes(
    conn: &Connection,
    folder: &str,
    after: i64,
    upto: i64,
    cursor: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Item>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {ITEM_COLS} FROM graph_items
         WHERE folder_id = ?1 AND seq > ?2 AND seq <= ?3 AND seq > ?4
         ORDER BY seq LIMIT ?5"
    ))?;
    stmt.query_map(
        params![folder, after, upto, cursor, limit as i64],
        item_from_row,
    )?
    .collect()
}

pub struct App {
    pub client_secret: String,
    pub roles: Vec<String>,
}

pub fn find_app(conn: &Connection, tenant: &str, client_id: &str) -> rusqlite::Result<Option<App>> {
    conn.query_row(
        "SELECT client_secret, roles FROM graph_apps WHERE tenant = ?1 AND client_id = ?2",
        params![tenant, client_id],
        |r| {
            let roles: String = r.get(1)?;
            Ok(App {
                client_secret: r.get(0)?,
                roles: serde_json::from_str(&roles).unwrap_or_default(),
            })
        },
    )
    .optional()
}

pub fn tenant_exists(conn: &Connection, tenant: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM graph_tenants WHERE id = ?1)",
        [tenant],
        |r| r.get(0),
    )
}

/// An issued access token.
pub struct Token {
    pub tenant: String,
    pub roles: Vec<String>,
    pub expires_ms: i64,
}

pub fn insert_token(
    conn: &Connection,
    token: &str,
    tenant: &str,
    client_id: &str,
    roles: &[String],
    expires_ms: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO graph_tokens (token, tenant, client_id, roles, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            token,
            tenant,
            client_id,
            serde_json::to_string(roles).unwrap_or_else(|_| "[]".into()),
            expires_ms
        ],
    )?;
    Ok(())
}

pub fn find_token(conn: &Connection, token: &str) -> rusqlite::Result<Option<Token>> {
    conn.query_row(
        "SELECT tenant, roles, expires_ms FROM graph_tokens WHERE token = ?1",
        [token],
        |r| {
            let roles: String = r.get(1)?;
            Ok(Token {
                tenant: r.get(0)?,
                roles: serde_json::from_str(&roles).unwrap_or_default(),
                expires_ms: r.get(2)?,
            })
        },
    )
    .optional()
}

/// An app registration as (tenant, client id, client secret, roles).
pub type AppListing = (String, String, String, Vec<String>);

/// Every app registration, for `sandbox serve` to print.
pub fn apps(conn: &Connection) -> rusqlite::Result<Vec<AppListing>> {
    let mut stmt = conn.prepare(
        "SELECT tenant, client_id, client_secret, roles FROM graph_apps ORDER BY tenant, rowid",
    )?;
    stmt.query_map([], |r| {
        let roles: String = r.get(3)?;
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            serde_json::from_str(&roles).unwrap_or_default(),
        ))
    })?
    .collect()
}
