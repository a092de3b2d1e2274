//! V3 portal endpoints and the portal's settings: the portals the calling user belongs to,
//! one of them, its roles and its project custom fields.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error::{V3Error, V3Result};
use super::render;
use super::request::{V3Request, in_portal, with_principal};
use super::wire::{self, param};
use crate::sandbox::projects::db;
use crate::sandbox::projects::wire::scope;
use crate::sandbox::server::AppState;

/// GET /api/v3/portals
pub async fn list(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    with_principal(&state, &req, scope::PORTALS_READ, |conn, principal| {
        let portals = db::visible_portals(conn, &principal.user_email)?
            .iter()
            .enumerate()
            .map(|(i, (portal, member))| render::portal(conn, portal, member, i == 0))
            .collect::<V3Result<Vec<_>>>()?;
        Ok(Json(Value::Array(portals)).into_response())
    })
}

/// GET /api/v3/portal/{portal_id}
pub async fn get(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::PORTALS_READ, |conn, caller| {
        let first = db::visible_portals(conn, &caller.principal.user_email)?
            .first()
            .map(|(p, _)| p.id);
        let is_default = first == Some(caller.portal.id);
        let portal = render::portal(conn, &caller.portal, &caller.member, is_default)?;
        Ok(Json(json!({"portal_details": portal})).into_response())
    })
}

/// GET /api/v3/portal/{portal_id}/settings/roles
pub async fn roles(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::USERS_READ, |_, caller| {
        let roles: Vec<Value> = wire::ROLES
            .iter()
            .map(|r| render::role(caller.portal.id, *r))
            .collect();
        Ok(Json(json!({"roles": roles})).into_response())
    })
}

/// GET /api/v3/portal/{portal_id}/settings/fields?module=projects
pub async fn fields(State(state): State<AppState>, req: V3Request) -> V3Result<Response> {
    in_portal(&state, &req, scope::PROJECTS_READ, |conn, caller| {
        match req.query.non_empty(param::MODULE) {
            None => return Err(V3Error::missing(param::MODULE)),
            Some(m) if m.eq_ignore_ascii_case(wire::FIELDS_MODULE) => {}
            Some(_) => return Err(V3Error::invalid(param::MODULE, "Invalid module")),
        }
        let fields: Vec<Value> = db::custom_fields(conn, caller.portal.id)?
            .iter()
            .enumerate()
            .map(|(i, f)| render::custom_field(caller.portal.id, i, f))
            .collect();
        Ok(Json(json!({"fields": fields})).into_response())
    })
}
