//! CRM REST API v8 (`/crm/v8/...`), shapes as in Zoho's OpenAPI files.

use axum::Router;
use rusqlite::Connection;

use super::server::AppState;

pub(crate) fn migrate(_conn: &Connection) -> rusqlite::Result<()> {
    Ok(())
}

pub fn router() -> Router<AppState> {
    Router::new()
}
