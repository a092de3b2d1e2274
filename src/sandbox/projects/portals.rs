//! Portal endpoints: the portals the calling user belongs to, and one of them. Zoho has no
//! endpoint to create a portal, so neither does the sandbox.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::db;
use super::error::ApiResult;
use super::render;
use super::request::{ApiRequest, in_portal, with_principal};
use super::wire::scope;
use crate::sandbox::server::AppState;

/// GET /restapi/portals/
pub async fn list(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    let base_url = state.base_url.clone();
    with_principal(&state, &req, scope::PORTALS_READ, |conn, principal| {
        let visible = db::visible_portals(conn, &principal.user_email)?;
        let login_id = db::zuid_for(conn, &principal.user_email)?;
        let portals = visible
            .iter()
            .enumerate()
            .map(|(i, (portal, member))| render::portal(conn, &base_url, portal, member, i == 0))
            .collect::<ApiResult<Vec<_>>>()?;
        let body = json!({"login_id": login_id.to_string(), "portals": portals});
        Ok(Json(body).into_response())
    })
}

/// GET /restapi/portal/{portal_id}/
pub async fn get(State(state): State<AppState>, req: ApiRequest) -> ApiResult<Response> {
    in_portal(&state, &req, scope::PORTALS_READ, |conn, caller| {
        let first = db::visible_portals(conn, &caller.principal.user_email)?
            .first()
            .map(|(p, _)| p.id);
        let portal = render::portal(
            conn,
            &caller.base_url,
            &caller.portal,
            &caller.member,
            first == Some(caller.portal.id),
        )?;
        Ok(render::envelope(StatusCode::OK, "portals", vec![portal]))
    })
}
