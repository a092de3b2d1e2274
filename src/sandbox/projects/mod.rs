//! Zoho Projects legacy REST API (`/restapi/...`): portals, projects, users, clients, as
//! fixed in `docs/zoho-projects-api.md`. Undocumented choices live in [`wire`]. The V3 API
//! (`/api/v3/...`, [`v3`]) serves the same store through the same [`rules`].

mod clients;
pub mod db;
pub mod error;
mod generate;
pub mod model;
pub mod params;
mod portals;
// The API area is "Projects" and one of its resources is "projects".
#[allow(clippy::module_inception)]
mod projects;
mod render;
mod request;
pub mod rules;
pub mod seed;
mod users;
pub mod v3;
pub mod wire;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{MethodRouter, get, post};
use rusqlite::Connection;

use self::error::ApiError;
use super::server::AppState;

/// Every Projects V3 endpoint under `/api/v3` (see [`v3`]).
pub fn router_v3() -> Router<AppState> {
    v3::router()
}

pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    db::migrate(conn)
}

/// Every Projects endpoint under `/restapi`. Zoho's paths end in `/`; the same path without
/// it is served too. Unknown URLs and methods get the API's own error body.
pub fn router() -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 12] = [
        ("/portals", get(portals::list)),
        ("/portal/{portal_id}", get(portals::get)),
        (
            "/portal/{portal_id}/projects",
            get(projects::list).post(projects::create),
        ),
        (
            "/portal/{portal_id}/projects/customfields",
            get(projects::custom_fields),
        ),
        (
            "/portal/{portal_id}/projects/{project_id}",
            get(projects::get)
                .post(projects::update)
                .delete(projects::delete),
        ),
        (
            "/portal/{portal_id}/users",
            get(users::list_portal_users).post(users::add_portal_users),
        ),
        (
            "/portal/{portal_id}/users/{user_id}",
            post(users::update_portal_user).delete(users::remove_portal_user),
        ),
        (
            "/portal/{portal_id}/projects/{project_id}/users",
            get(users::list_project_users).post(users::add_project_users),
        ),
        (
            "/portal/{portal_id}/clients",
            get(clients::list_clients).post(clients::create_client),
        ),
        (
            "/portal/{portal_id}/clients/{client_id}/users",
            get(clients::list_client_users).post(clients::add_client_user),
        ),
        (
            "/portal/{portal_id}/clientusers/{user_id}/projects",
            post(clients::add_client_user_to_projects),
        ),
        (
            "/portal/{portal_id}/projects/{project_id}/clients",
            get(clients::list_project_clients).post(clients::add_project_client),
        ),
    ];
    let mut api = Router::new();
    for (path, route) in routes {
        api = api
            .route(path, route.clone())
            .route(&format!("{path}/"), route);
    }
    let api = api
        .fallback(unknown_url)
        .method_not_allowed_fallback(method_not_allowed);
    Router::new().nest("/restapi", api)
}

async fn unknown_url() -> ApiError {
    request::unknown_url()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        wire::code::NOT_FOUND,
        "Given URL is wrong: the method is not supported on it",
    )
}
