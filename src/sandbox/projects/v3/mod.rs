//! Zoho Projects REST API V3 (`/api/v3/...`): portals, projects, users, clients and the
//! portal settings a client needs, over the same store and rules as the legacy API, so a
//! script written for either sees the same portal. Undocumented choices live in [`wire`].

mod body;
mod clients;
pub mod error;
mod portals;
mod projects;
mod render;
mod request;
mod users;
pub mod wire;

use axum::Router;
use axum::routing::{MethodRouter, get, patch, post};

use self::error::V3Error;
use crate::sandbox::server::AppState;

/// Every V3 endpoint under `/api/v3`. A path V3 has no rule for (including the legacy
/// API's project clients and client users) answers `URL_RULE_NOT_CONFIGURED`, which tells a
/// client to use legacy for it; a known path with another method answers `INVALID_METHOD`.
pub fn router() -> Router<AppState> {
    let routes: [(&str, MethodRouter<AppState>); 11] = [
        ("/portals", get(portals::list)),
        ("/portal/{portal_id}", get(portals::get)),
        (
            "/portal/{portal_id}/projects",
            get(projects::list).post(projects::create),
        ),
        (
            "/portal/{portal_id}/projects/{project_id}",
            get(projects::get).patch(projects::update),
        ),
        (
            "/portal/{portal_id}/projects/{project_id}/trash",
            post(projects::trash),
        ),
        (
            "/portal/{portal_id}/projects/{project_id}/users",
            get(users::list_project_users).post(users::add_project_users),
        ),
        ("/portal/{portal_id}/settings/fields", get(portals::fields)),
        ("/portal/{portal_id}/settings/roles", get(portals::roles)),
        (
            "/portal/{portal_id}/users",
            get(users::list).post(users::add),
        ),
        ("/portal/{portal_id}/users/{user_id}", patch(users::update)),
        (
            "/portal/{portal_id}/clients",
            get(clients::list).post(clients::create),
        ),
    ];
    let mut api = Router::new();
    for (path, route) in routes {
        api = api.route(path, route);
    }
    let api = api
        .fallback(unknown_url)
        .method_not_allowed_fallback(invalid_method);
    Router::new()
        .nest("/api/v3", api)
        .layer(axum::middleware::from_fn(error::locate))
}

async fn unknown_url() -> V3Error {
    V3Error::unknown_url()
}

async fn invalid_method() -> V3Error {
    V3Error::invalid_method()
}
