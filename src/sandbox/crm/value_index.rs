//! An index of record field values, so that the lookups every write makes (an upsert's
//! duplicate-check fields, the unique fields of an insert or update) stay index searches at
//! 50k+ records instead of extracting JSON from every record of the module.
//!
//! A field is indexed the first time a write looks a record up by it (one pass over the
//! module's records then); from then on triggers on `crm_records` keep its values current
//! through every insert, update and delete, whichever code path makes them. Values are kept
//! as the lookup compares them: a lookup's referenced id, or the text of a scalar in lower
//! case.

use rusqlite::{Connection, OptionalExtension, params};

/// The key of field `field` in record JSON `data` (SQL expressions), and whether the value is
/// a reference (`{"id": …}`); `NULL` keys are not indexed.
fn key_sql(data: &str, field: &str) -> (String, String) {
    let path = format!("'$.' || {field}");
    let key = format!(
        "CASE json_type({data}, {path})
            WHEN 'object' THEN CAST(json_extract({data}, {path} || '.id') AS TEXT)
            WHEN 'null' THEN NULL
            WHEN 'array' THEN NULL
            ELSE lower(CAST(json_extract({data}, {path}) AS TEXT))
         END"
    );
    let reference = format!("json_type({data}, {path}) = 'object'");
    (key, reference)
}

/// The `INSERT … SELECT` a trigger runs: the values of the new row for its module's indexed
/// fields.
fn insert_new_values_sql() -> String {
    let (key, reference) = key_sql("NEW.data", "f.field");
    format!(
        "INSERT OR IGNORE INTO crm_record_values(module, field, reference, value, id)
         SELECT NEW.module, f.field, {reference}, {key}, NEW.id
         FROM crm_indexed_fields f
         WHERE f.module = NEW.module AND {key} IS NOT NULL"
    )
}

pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let on_new = insert_new_values_sql();
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS crm_indexed_fields (
            module TEXT NOT NULL,
            field TEXT NOT NULL,
            PRIMARY KEY(module, field)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS crm_record_values (
            module TEXT NOT NULL,
            field TEXT NOT NULL,
            reference INTEGER NOT NULL,
            value TEXT NOT NULL,
            id TEXT NOT NULL,
            PRIMARY KEY(module, field, reference, value, id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS crm_record_values_record ON crm_record_values(module, id);
        CREATE TRIGGER IF NOT EXISTS crm_record_values_insert AFTER INSERT ON crm_records
        BEGIN
            {on_new};
        END;
        CREATE TRIGGER IF NOT EXISTS crm_record_values_update AFTER UPDATE OF data ON crm_records
        BEGIN
            DELETE FROM crm_record_values WHERE module = OLD.module AND id = OLD.id;
            {on_new};
        END;
        CREATE TRIGGER IF NOT EXISTS crm_record_values_delete AFTER DELETE ON crm_records
        BEGIN
            DELETE FROM crm_record_values WHERE module = OLD.module AND id = OLD.id;
        END;"
    ))
}

/// Indexes `field` of `module` if it is not yet: registers it (the triggers then keep it)
/// and fills it from the records already stored.
pub(crate) fn ensure(conn: &Connection, module: &str, field: &str) -> rusqlite::Result<()> {
    let added = conn.execute(
        "INSERT OR IGNORE INTO crm_indexed_fields(module, field) VALUES (?1, ?2)",
        params![module, field],
    )?;
    if added == 0 {
        return Ok(());
    }
    let (key, reference) = key_sql("data", "?2");
    conn.execute(
        &format!(
            "INSERT OR IGNORE INTO crm_record_values(module, field, reference, value, id)
             SELECT module, ?2, {reference}, {key}, id FROM crm_records
             WHERE module = ?1 AND {key} IS NOT NULL"
        ),
        params![module, field],
    )?;
    Ok(())
}

/// The query [`find`] runs: the lowest id among the records whose `field` has this key.
pub const FIND_SQL: &str = "SELECT id FROM crm_record_values
    WHERE module = ?1 AND field = ?2 AND reference = ?3 AND value = ?4 AND id <> ?5
    ORDER BY id LIMIT 1";

/// The oldest record (lowest id) other than `exclude` whose `field` has the key `value`:
/// a referenced id when `reference`, else lower-case text.
pub(crate) fn find(
    conn: &Connection,
    module: &str,
    field: &str,
    reference: bool,
    value: &str,
    exclude: &str,
) -> rusqlite::Result<Option<String>> {
    ensure(conn, module, field)?;
    conn.query_row(
        FIND_SQL,
        params![module, field, reference, value, exclude],
        |r| r.get(0),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        super::super::db::migrate(&conn).unwrap();
        conn
    }

    fn put(conn: &Connection, id: &str, data: &str) {
        conn.execute(
            "INSERT INTO crm_records(module, id, data, created_ms, modified_ms)
             VALUES ('Links', ?1, ?2, 0, 0)",
            params![id, data],
        )
        .unwrap();
    }

    #[test]
    fn values_stored_before_and_after_indexing_are_found_and_kept_current() {
        let conn = store();
        put(&conn, "1", r#"{"Project_Id":"P-1","Deal":{"id":"9"}}"#);
        let find_text = |v: &str| find(&conn, "Links", "Project_Id", false, v, "").unwrap();
        // Indexed on first use, from what is stored.
        assert_eq!(find_text("p-1"), Some("1".into()));
        put(&conn, "2", r#"{"Project_Id":"P-2"}"#);
        assert_eq!(find_text("p-2"), Some("2".into()));
        conn.execute(
            "UPDATE crm_records SET data = '{\"Project_Id\":\"P-3\"}' WHERE id = '2'",
            [],
        )
        .unwrap();
        assert_eq!(find_text("p-2"), None);
        assert_eq!(find_text("p-3"), Some("2".into()));
        conn.execute("DELETE FROM crm_records WHERE id = '1'", [])
            .unwrap();
        assert_eq!(find_text("p-1"), None);
        // A reference is found by its id, and only as a reference.
        put(&conn, "3", r#"{"Deal":{"id":"9"}}"#);
        assert_eq!(
            find(&conn, "Links", "Deal", true, "9", "").unwrap(),
            Some("3".into())
        );
        assert_eq!(find(&conn, "Links", "Deal", false, "9", "").unwrap(), None);
        assert_eq!(find(&conn, "Links", "Deal", true, "9", "3").unwrap(), None);
    }

    #[test]
    fn the_lookup_searches_the_index() {
        let conn = store();
        ensure(&conn, "Links", "Project_Id").unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {FIND_SQL}"))
            .unwrap()
            .query_map(params!["Links", "Project_Id", false, "p", ""], |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(plan.len(), 1, "{plan:?}");
        assert!(
            plan[0].starts_with("SEARCH crm_record_values USING PRIMARY KEY"),
            "{plan:?}"
        );
    }
}
