//! CRM REST API v8 (`/crm/v8/...`), shapes as in Zoho's OpenAPI files.
//!
//! Handlers authenticate with [`context::caller`] (token, scope, the CRM user behind the
//! grant), read and write through [`crate::sandbox::store::Store::with`] and answer errors
//! with [`crate::sandbox::error::CrmError`].

pub mod context;
pub mod coql;
pub mod coql_parse;
pub mod criteria;
pub mod db;
pub mod deleted;
pub mod field_json;
pub mod fields;
pub mod layouts;
pub mod load;
pub mod meta;
pub mod modules;
pub mod org;
pub mod profiles;
pub mod records;
pub mod related_lists;
pub mod respond;
pub mod roles;
pub mod search;
pub mod standard;
pub mod tag_settings;
pub mod tags;
pub mod users;
pub mod value_index;
pub mod values;
pub mod variables;
pub mod writes;

use axum::Router;
use axum::routing::{get, post};
use rusqlite::Connection;

use super::server::AppState;

pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    db::migrate(conn)
}

// A data table: every CRM v8 route and its handler.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/crm/v8/org", get(org::get_org))
        .route(
            "/crm/v8/users",
            get(users::list).post(users::create).put(users::update_many),
        )
        .route("/crm/v8/users/actions/count", get(users::count))
        .route(
            "/crm/v8/users/{id}",
            get(users::get_one).put(users::update_one),
        )
        .route("/crm/v8/settings/roles", get(roles::list))
        .route("/crm/v8/settings/roles/{id}", get(roles::get_one))
        .route("/crm/v8/settings/profiles", get(profiles::list))
        .route(
            "/crm/v8/settings/profiles/{id}",
            get(profiles::get_one).put(profiles::update),
        )
        .route(
            "/crm/v8/settings/modules",
            get(modules::list).post(modules::create),
        )
        .route("/crm/v8/settings/modules/{api_name}", get(modules::get_one))
        .route(
            "/crm/v8/settings/fields",
            get(fields::list)
                .post(fields::create)
                .patch(fields::update_many),
        )
        .route(
            "/crm/v8/settings/fields/{id}",
            get(fields::get_one)
                .patch(fields::update_one)
                .delete(fields::delete_one),
        )
        .route("/crm/v8/settings/layouts", get(layouts::list))
        .route("/crm/v8/settings/layouts/{id}", get(layouts::get_one))
        .route(
            "/crm/v8/settings/tags",
            get(tag_settings::list).post(tag_settings::create),
        )
        .route("/crm/v8/coql", post(coql::query))
        .route("/crm/v8/settings/related_lists", get(related_lists::list))
        .route(
            "/crm/v8/settings/related_lists/{id}",
            get(related_lists::get_one),
        )
        .route(
            "/crm/v8/settings/variables",
            get(variables::list)
                .post(variables::create)
                .put(variables::update_many)
                .delete(variables::delete_many),
        )
        .route(
            "/crm/v8/settings/variables/{id}",
            get(variables::get_one)
                .put(variables::update_one)
                .delete(variables::delete_one),
        )
        .route(
            "/crm/v8/{module}",
            get(records::list)
                .post(writes::create)
                .put(writes::update_many)
                .delete(writes::delete_many),
        )
        .route("/crm/v8/{module}/upsert", post(writes::upsert))
        .route("/crm/v8/{module}/deleted", get(deleted::list))
        .route("/crm/v8/{module}/actions/add_tags", post(tags::add))
        .route("/crm/v8/{module}/actions/remove_tags", post(tags::remove))
        .route(
            "/crm/v8/{module}/{id}/actions/add_tags",
            post(tag_settings::add_to_record),
        )
        .route(
            "/crm/v8/{module}/{id}/actions/remove_tags",
            post(tag_settings::remove_from_record),
        )
        .route("/crm/v8/{module}/search", get(search::search))
        .route("/crm/v8/{module}/actions/count", get(search::count))
        .route(
            "/crm/v8/{module}/{id}",
            get(records::get_one)
                .put(writes::update_one)
                .delete(writes::delete_one),
        )
}
