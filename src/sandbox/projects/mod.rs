//! Zoho Projects legacy REST API (`/restapi/...`): portals, projects, users, clients.

pub mod seed;

use axum::Router;
use rusqlite::Connection;

use super::server::AppState;

pub(crate) fn migrate(_conn: &Connection) -> rusqlite::Result<()> {
    Ok(())
}

pub fn router() -> Router<AppState> {
    Router::new()
}
