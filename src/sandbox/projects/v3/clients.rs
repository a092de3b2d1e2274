//! V3 client company endpoints: list and create. Client users are listed through
//! `/users?type=2`; adding them and linking clients to projects has no V3 rule, so those
//! stay on the legacy API.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::body;
use super::error::V3Result;
use super::render;
use super::request::{V3Request, in_portal};
use super::wire::{DEFAULT_PER_PAGE, MAX_PER_PAGE, key};
use crate::sandbox::projects::db;
use crate::sandbox::projects::rules::clients as rules;
use crate::sandbox::projects::wire::{permission, scope};
use crate::sandbox::server::AppState;

/// GET /api/v3/portal/{portal_id}/clients
pub async fn list(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::CLIENTS_READ, |conn, caller| {
        let paging = req.paging(DEFAULT_PER_PAGE, MAX_PER_PAGE)?;
        let rows = db::clients(
            conn,
            caller.portal.id,
            paging.offset(),
            paging.probe_limit(),
        )?;
        let (rows, more) = paging.cut(rows);
        let items = rows.iter().map(render::client).collect();
        let count = db::count_clients(conn, caller.portal.id)?;
        Ok(Json(paging.counted_envelope("clients", items, more, count)).into_response())
    })
}

/// POST /api/v3/portal/{portal_id}/clients
pub async fn create(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::CLIENTS_CREATE, |conn, caller| {
        caller.require_role(permission::MANAGE_PROJECTS, "create client companies")?;
        let b = req.body()?;
        let client = rules::create_client(
            conn,
            caller.portal.id,
            body::required_text(b, key::NAME)?,
            body::text(b, key::WEBSITE)?.unwrap_or(""),
            body::text(b, key::PHONE)?.unwrap_or(""),
        )?;
        Ok((StatusCode::CREATED, Json(render::client(&client))).into_response())
    })
}
