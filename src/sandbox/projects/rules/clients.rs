//! Client company rules: names are unique in a portal.

use rusqlite::Connection;

use super::{Field, RuleError, RuleResult};
use crate::sandbox::projects::db::{self, Client};
use crate::sandbox::projects::wire::conflict;

/// Creates a client company unless the portal already has one with this name
/// (case-insensitive).
pub fn create_client(
    conn: &Connection,
    portal_id: i64,
    name: &str,
    website: &str,
    phone: &str,
) -> RuleResult<Client> {
    if db::client_named(conn, portal_id, name)?.is_some() {
        return Err(RuleError::Conflict {
            field: Field::Name,
            message: format!("{}: {name:?}", conflict::DUPLICATE_CLIENT),
        });
    }
    Ok(db::insert_client(conn, portal_id, name, website, phone)?)
}
