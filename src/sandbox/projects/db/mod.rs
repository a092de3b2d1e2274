//! The Projects tables and the reads and writes on them, shared by the API handlers and the
//! seed loader so both keep the same invariants (ids, owners as members, one primary client).

pub mod clients;
pub mod portals;
pub mod projects;

use rusqlite::{Connection, OptionalExtension, params};

pub use clients::*;
pub use portals::*;
pub use projects::*;

/// Creates the Projects tables (prefixed `prj_` beside the CRM's own).
pub fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS prj_zusers (
            email TEXT PRIMARY KEY COLLATE NOCASE,
            zuid INTEGER NOT NULL UNIQUE
        );
        CREATE TABLE IF NOT EXISTS prj_portals (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            slug TEXT NOT NULL UNIQUE,
            plan TEXT NOT NULL,
            id_prefix INTEGER NOT NULL UNIQUE,
            next_seq INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS prj_portal_users (
            zpuid INTEGER PRIMARY KEY,
            portal_id INTEGER NOT NULL REFERENCES prj_portals(id),
            email TEXT NOT NULL COLLATE NOCASE,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            active INTEGER NOT NULL,
            is_owner INTEGER NOT NULL,
            UNIQUE (portal_id, email)
        );
        CREATE TABLE IF NOT EXISTS prj_custom_fields (
            portal_id INTEGER NOT NULL REFERENCES prj_portals(id),
            column_name TEXT NOT NULL,
            label_name TEXT NOT NULL,
            field_type TEXT NOT NULL,
            is_mandatory INTEGER NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (portal_id, column_name)
        );
        CREATE TABLE IF NOT EXISTS prj_projects (
            id INTEGER PRIMARY KEY,
            portal_id INTEGER NOT NULL REFERENCES prj_portals(id),
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            status TEXT NOT NULL,
            owner_zpuid INTEGER NOT NULL REFERENCES prj_portal_users(zpuid),
            start_date TEXT,
            end_date TEXT,
            percent_complete INTEGER NOT NULL,
            template_id INTEGER,
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL,
            trashed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS prj_projects_by_portal
            ON prj_projects (portal_id, trashed, status);
        -- Name checks are case-insensitive and run on every create.
        CREATE INDEX IF NOT EXISTS prj_projects_by_name ON prj_projects (portal_id, lower(name));
        CREATE INDEX IF NOT EXISTS prj_projects_by_modified
            ON prj_projects (portal_id, modified_ms);
        CREATE TABLE IF NOT EXISTS prj_project_values (
            project_id INTEGER NOT NULL REFERENCES prj_projects(id),
            column_name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (project_id, column_name)
        );
        CREATE TABLE IF NOT EXISTS prj_project_users (
            project_id INTEGER NOT NULL REFERENCES prj_projects(id),
            zpuid INTEGER NOT NULL REFERENCES prj_portal_users(zpuid),
            role TEXT NOT NULL,
            PRIMARY KEY (project_id, zpuid)
        );
        CREATE TABLE IF NOT EXISTS prj_clients (
            id INTEGER PRIMARY KEY,
            portal_id INTEGER NOT NULL REFERENCES prj_portals(id),
            name TEXT NOT NULL,
            website TEXT NOT NULL,
            phone TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS prj_clients_by_name ON prj_clients (portal_id, lower(name));
        CREATE TABLE IF NOT EXISTS prj_client_users (
            zpuid INTEGER PRIMARY KEY,
            portal_id INTEGER NOT NULL REFERENCES prj_portals(id),
            client_id INTEGER NOT NULL REFERENCES prj_clients(id),
            email TEXT NOT NULL COLLATE NOCASE,
            name TEXT NOT NULL,
            UNIQUE (portal_id, email)
        );
        CREATE INDEX IF NOT EXISTS prj_client_users_by_client ON prj_client_users (client_id);
        CREATE TABLE IF NOT EXISTS prj_client_user_projects (
            zpuid INTEGER NOT NULL REFERENCES prj_client_users(zpuid),
            project_id INTEGER NOT NULL REFERENCES prj_projects(id),
            PRIMARY KEY (zpuid, project_id)
        );
        CREATE TABLE IF NOT EXISTS prj_project_clients (
            project_id INTEGER NOT NULL REFERENCES prj_projects(id),
            client_id INTEGER NOT NULL REFERENCES prj_clients(id),
            is_primary INTEGER NOT NULL,
            added_seq INTEGER NOT NULL,
            PRIMARY KEY (project_id, client_id)
        );
        -- At most one primary client per project, whatever path writes it.
        CREATE UNIQUE INDEX IF NOT EXISTS prj_one_primary_client
            ON prj_project_clients (project_id) WHERE is_primary = 1;",
    )
}

/// First id given to a portal; later portals count up from it.
const FIRST_PORTAL_ID: i64 = 10_234_695;
/// First Zoho user id (`zuid`, the users' `id`); later users count up from it.
const FIRST_ZUID: i64 = 7_730_421;
/// Prefix of the first portal's long ids; each portal gets its own so ids never collide.
const FIRST_ID_PREFIX: i64 = 170_876;
const ID_PREFIX_STEP: i64 = 1_319;
/// Long ids are `prefix * 10^13 + seq`: 19 digits like Zoho's (`1708760000000001234`), so
/// they exceed 2^53 and a client that reads them as floating-point numbers loses digits, as
/// it would against Zoho. Projects, templates, client companies and zpuids all take this
/// shape and draw on one sequence per portal, so no two collide. They fit in an `i64` for the
/// first few hundred portals; past that, allocating an id fails instead of wrapping.
const ID_SCALE: i64 = 10_000_000_000_000;
/// Where each portal's sequence starts.
pub(crate) const FIRST_SEQ: i64 = 1_001;

/// A new portal id and its long-id prefix.
pub fn allocate_portal_ids(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    let (max_id, count): (Option<i64>, i64) =
        conn.query_row("SELECT MAX(id), COUNT(*) FROM prj_portals", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let id = max_id.map_or(FIRST_PORTAL_ID, |m| m + 1);
    Ok((id, FIRST_ID_PREFIX + ID_PREFIX_STEP * count))
}

/// The next long id in a portal.
pub fn allocate_id(conn: &Connection, portal_id: i64) -> rusqlite::Result<i64> {
    let (prefix, seq): (i64, i64) = conn.query_row(
        "UPDATE prj_portals SET next_seq = next_seq + 1 WHERE id = ?1
         RETURNING id_prefix, next_seq - 1",
        params![portal_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    prefix
        .checked_mul(ID_SCALE)
        .and_then(|base| base.checked_add(seq))
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, prefix))
}

/// The per-portal sequence number inside a long id, e.g. `1234` of `1708760000000001234`.
pub fn sequence_of(id: i64) -> i64 {
    id % ID_SCALE
}

/// The Zoho user id of an email, created on first sight: one person has one `zuid` across
/// every portal, as one Zoho account does.
pub fn zuid_for(conn: &Connection, email: &str) -> rusqlite::Result<i64> {
    if let Some(zuid) = conn
        .query_row(
            "SELECT zuid FROM prj_zusers WHERE email = ?1",
            params![email],
            |r| r.get(0),
        )
        .optional()?
    {
        return Ok(zuid);
    }
    conn.query_row(
        "INSERT INTO prj_zusers (email, zuid)
         VALUES (?1, (SELECT COALESCE(MAX(zuid) + 1, ?2) FROM prj_zusers))
         RETURNING zuid",
        params![email, FIRST_ZUID],
        |r| r.get(0),
    )
}

/// Milliseconds since the epoch, the unit of the `*_long` fields.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Runs `f` inside a savepoint: everything it wrote is kept if it succeeds and undone if it
/// fails. Savepoints nest, so this works inside or outside a caller's transaction.
pub fn atomically<T, E: From<rusqlite::Error>>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    conn.execute_batch("SAVEPOINT prj_write")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE prj_write")?;
            Ok(v)
        }
        Err(e) => {
            // Undo, then end the savepoint; a failure here would only hide the original error.
            let _ = conn.execute_batch("ROLLBACK TO prj_write; RELEASE prj_write");
            Err(e)
        }
    }
}
