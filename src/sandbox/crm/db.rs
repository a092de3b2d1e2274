//! The CRM tables, Zoho-style ids and timestamps.
//!
//! Metadata (users, roles, profiles, modules, fields, variables) lives in narrow tables; records
//! of every module share one table keyed by (module, id), with the record itself as a JSON
//! document and a `dup_key` column holding the module's system duplicate-check value so upserts
//! and duplicate checks stay indexed on large orgs (other fields a write looks records up by
//! are indexed in `value_index.rs`). Deleted records leave a row in
//! `crm_deleted_records` (the recycle bin `GET /{module}/deleted` lists); tags live per module
//! in `crm_tags`.

use rusqlite::{Connection, OptionalExtension, params};

/// Seven-digit prefix every id of the sandbox org starts with, as Zoho ids carry their org's.
const ID_PREFIX: &str = "4876876";

// A data table: the CRM schema, one SQL statement per table and index.
pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS crm_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS crm_org (
            id TEXT PRIMARY KEY,
            data TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS crm_roles (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            reporting_to TEXT,
            description TEXT,
            share_with_peers INTEGER NOT NULL DEFAULT 0,
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS crm_profiles (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            description TEXT,
            is_default INTEGER NOT NULL DEFAULT 0,
            custom INTEGER NOT NULL DEFAULT 0,
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS crm_users (
            id TEXT PRIMARY KEY,
            zuid TEXT NOT NULL,
            email TEXT NOT NULL UNIQUE COLLATE NOCASE,
            first_name TEXT,
            last_name TEXT NOT NULL,
            status TEXT NOT NULL,
            confirm INTEGER NOT NULL,
            profile_id TEXT NOT NULL,
            role_id TEXT NOT NULL,
            reporting_to TEXT,
            extra TEXT NOT NULL DEFAULT '{}',
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS crm_users_modified ON crm_users(modified_ms);
        CREATE TABLE IF NOT EXISTS crm_modules (
            id TEXT PRIMARY KEY,
            api_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            module_name TEXT NOT NULL,
            singular_label TEXT NOT NULL,
            plural_label TEXT NOT NULL,
            generated_type TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            description TEXT,
            display_field TEXT NOT NULL,
            notes_rl_id TEXT NOT NULL,
            attachments_rl_id TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS crm_permissions (
            id TEXT PRIMARY KEY,
            module TEXT NOT NULL COLLATE NOCASE,
            action TEXT NOT NULL,
            name TEXT NOT NULL,
            UNIQUE(module, action)
        );
        CREATE TABLE IF NOT EXISTS crm_profile_permissions (
            profile_id TEXT NOT NULL,
            permission_id TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            PRIMARY KEY(profile_id, permission_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS crm_fields (
            id TEXT PRIMARY KEY,
            module TEXT NOT NULL COLLATE NOCASE,
            api_name TEXT NOT NULL COLLATE NOCASE,
            field_label TEXT NOT NULL,
            data_type TEXT NOT NULL,
            custom INTEGER NOT NULL,
            mandatory INTEGER NOT NULL,
            read_only INTEGER NOT NULL,
            length INTEGER NOT NULL,
            lookup_module TEXT,
            rl_id TEXT,
            rl_api_name TEXT,
            rl_label TEXT,
            unique_field INTEGER NOT NULL DEFAULT 0,
            tooltip TEXT,
            description TEXT,
            pick_list TEXT NOT NULL DEFAULT '[]',
            sequence INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL,
            UNIQUE(module, api_name)
        );
        CREATE INDEX IF NOT EXISTS crm_fields_lookup ON crm_fields(lookup_module);
        CREATE TABLE IF NOT EXISTS crm_records (
            module TEXT NOT NULL,
            id TEXT NOT NULL,
            data TEXT NOT NULL,
            dup_key TEXT,
            created_ms INTEGER NOT NULL,
            modified_ms INTEGER NOT NULL,
            PRIMARY KEY(module, id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS crm_records_dup ON crm_records(module, dup_key);
        CREATE INDEX IF NOT EXISTS crm_records_modified ON crm_records(module, modified_ms);
        CREATE INDEX IF NOT EXISTS crm_records_created ON crm_records(module, created_ms);
        CREATE TABLE IF NOT EXISTS crm_deleted_records (
            module TEXT NOT NULL,
            id TEXT NOT NULL,
            display_name TEXT,
            created_by TEXT,
            deleted_by TEXT NOT NULL,
            deleted_ms INTEGER NOT NULL,
            PRIMARY KEY(module, id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS crm_deleted_records_time
            ON crm_deleted_records(module, deleted_ms);
        CREATE TABLE IF NOT EXISTS crm_tags (
            id TEXT PRIMARY KEY,
            module TEXT NOT NULL,
            name TEXT NOT NULL COLLATE NOCASE,
            color_code TEXT,
            created_ms INTEGER NOT NULL,
            UNIQUE(module, name)
        );
        CREATE TABLE IF NOT EXISTS crm_variable_groups (
            id TEXT PRIMARY KEY,
            api_name TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS crm_variables (
            id TEXT PRIMARY KEY,
            api_name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            description TEXT,
            group_id TEXT NOT NULL
        );",
    )?;
    super::value_index::migrate(conn)
}

/// Allocates the next id: the org prefix followed by a 12-digit counter (19 digits in all),
/// so ids sort numerically as strings.
pub fn next_id(conn: &Connection) -> rusqlite::Result<String> {
    let current: Option<String> = conn
        .query_row(
            "SELECT value FROM crm_meta WHERE key = 'next_id'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let n: u64 = current.and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
    conn.execute(
        "INSERT INTO crm_meta(key, value) VALUES ('next_id', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![(n + 1).to_string()],
    )?;
    Ok(format!("{ID_PREFIX}{n:012}"))
}

/// Reserves `count` consecutive ids at once (bulk loads).
pub fn reserve_ids(conn: &Connection, count: u64) -> rusqlite::Result<IdBlock> {
    let current: Option<String> = conn
        .query_row(
            "SELECT value FROM crm_meta WHERE key = 'next_id'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let start: u64 = current.and_then(|v| v.parse().ok()).unwrap_or(2_000_000);
    conn.execute(
        "INSERT INTO crm_meta(key, value) VALUES ('next_id', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![(start + count).to_string()],
    )?;
    Ok(IdBlock {
        next: start,
        end: start + count,
    })
}

/// A block of ids reserved by [`reserve_ids`].
pub struct IdBlock {
    next: u64,
    end: u64,
}

impl Iterator for IdBlock {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        (self.next < self.end).then(|| {
            let id = format!("{ID_PREFIX}{:012}", self.next);
            self.next += 1;
            id
        })
    }
}

/// Whether a string looks like one of the sandbox's ids (19 digits).
pub fn is_id(s: &str) -> bool {
    s.len() == 19 && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Zoho's timestamp format: ISO 8601 with a numeric offset, whole seconds.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// Parses an ISO 8601 timestamp with offset (as sent in `If-Modified-Since`).
pub fn parse_iso(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .or_else(|| chrono::DateTime::parse_from_rfc2822(s.trim()).ok())
        .map(|d| d.timestamp_millis())
}

/// A key/value pair in `crm_meta`.
pub fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT value FROM crm_meta WHERE key = ?1",
        params![key],
        |r| r.get(0),
    )
    .optional()
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO crm_meta(key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_19_digits_and_increase() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn).unwrap();
        let a = next_id(&conn).unwrap();
        let b = next_id(&conn).unwrap();
        assert!(is_id(&a) && is_id(&b));
        assert!(b > a);
        let block: Vec<String> = reserve_ids(&conn, 3).unwrap().collect();
        assert_eq!(block.len(), 3);
        assert!(block[0] > b);
        assert!(next_id(&conn).unwrap() > block[2]);
    }

    #[test]
    fn timestamps_render_with_offset_and_parse_back() {
        let ms = 1_795_000_000_000;
        let s = iso(ms);
        assert!(s.ends_with("+00:00"), "{s}");
        assert_eq!(parse_iso(&s), Some(ms));
    }
}
