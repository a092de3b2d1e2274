//! Microsoft Graph v1.0 (the subset a calendar and contact sync needs) and the identity
//! platform's client-credentials token endpoint, with Graph's own shapes and errors.
//!
//! URL mapping (one host serves everything): `https://login.microsoftonline.com/{tenant}/…`
//! is `{base}/login/{tenant}/…` and `https://graph.microsoft.com/v1.0/…` is
//! `{base}/graph/v1.0/…`. Choices where Microsoft's documentation is silent live in
//! `docs/sandbox.md` ("Microsoft Graph") and next to the code that makes them.

pub mod auth;
mod calendar_view;
pub mod db;
mod delta;
pub mod error;
mod folders;
mod items;
pub mod query;
mod render;
pub mod seed;
mod users;
mod zones;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use rusqlite::Connection;

use self::auth::Caller;
use self::db::Kind;
use self::error::GraphError;
use crate::sandbox::server::AppState;

pub(crate) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    db::migrate(conn)
}

/// Graph-specific sandbox settings.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// How long a delta token (and a delta round's next link) stays usable; older ones get
    /// 410 `SyncStateNotFound`. Microsoft does not publish a figure; seven days by default.
    pub delta_token_ttl: Duration,
    /// Requests one mailbox may receive per window before 429; `None` never throttles.
    pub mailbox_budget: Option<MailboxBudget>,
}

impl Default for GraphConfig {
    fn default() -> Self {
        GraphConfig {
            delta_token_ttl: Duration::from_secs(7 * 24 * 3600),
            mailbox_budget: None,
        }
    }
}

/// A sliding-window request budget per mailbox (Outlook throttles per app and mailbox).
#[derive(Debug, Clone, Copy)]
pub struct MailboxBudget {
    pub requests: usize,
    pub per: Duration,
}

/// Requests seen per mailbox, for the budget.
#[derive(Debug, Default)]
pub struct Throttle {
    seen: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    /// Records a request to `mailbox`, or refuses it with the seconds to wait.
    fn admit(&self, budget: MailboxBudget, mailbox: &str) -> Result<(), u64> {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let times = seen.entry(mailbox.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= budget.per)
        {
            times.pop_front();
        }
        if times.len() >= budget.requests {
            let wait = times
                .front()
                .map(|t| budget.per.saturating_sub(now.duration_since(*t)))
                .unwrap_or(budget.per);
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        times.push_back(now);
        Ok(())
    }
}

const USER_READ_ROLES: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];

/// The application roles that allow reading or writing a kind of mailbox item.
fn mailbox_roles(kind: Kind, write: bool) -> &'static [&'static str] {
    match (kind, write) {
        (Kind::Event, false) => &["Calendars.Read", "Calendars.ReadWrite"],
        (Kind::Event, true) => &["Calendars.ReadWrite"],
        (Kind::Contact, false) => &["Contacts.Read", "Contacts.ReadWrite"],
        (Kind::Contact, true) => &["Contacts.ReadWrite"],
    }
}

/// An authorized call on one user's mailbox.
pub(crate) struct Mailbox {
    pub user: db::User,
}

/// Authenticates, checks the role, finds the user in the caller's tenant, checks it has a
/// mailbox and charges the mailbox's request budget, in Graph's order.
pub(crate) fn open_mailbox(
    state: &AppState,
    headers: &HeaderMap,
    user_key: &str,
    kind: Kind,
    write: bool,
) -> Result<Mailbox, GraphError> {
    let caller: Caller = auth::authenticate(state, headers)?;
    caller.require(
        mailbox_roles(kind, write),
        GraphError::mailbox_access_denied,
    )?;
    let user = state
        .store
        .with(|c| db::find_user(c, &caller.tenant, user_key))?
        .ok_or_else(|| GraphError::invalid_user(user_key))?;
    if !user.has_mailbox {
        return Err(GraphError::new(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        ));
    }
    if let Some(budget) = state.config.graph.mailbox_budget {
        state
            .graph
            .admit(budget, &user.id)
            .map_err(GraphError::throttled)?;
    }
    Ok(Mailbox { user })
}

/// The token endpoint and Graph v1.0, ready to merge into the sandbox's router.
// A data table: every Graph route and its handler.
pub fn router() -> Router<AppState> {
    let v1 = Router::new()
        .route("/users", get(users::list))
        .route("/users/{user_id}", get(users::get))
        .route(
            "/users/{user_id}/calendars",
            get(folders::list_calendars).post(folders::create_calendar),
        )
        .route(
            "/users/{user_id}/calendars/{calendar_id}",
            get(folders::get_calendar).delete(folders::delete_calendar),
        )
        .route(
            "/users/{user_id}/calendars/{calendar_id}/events",
            get(items::list_events).post(items::create_event),
        )
        .route(
            "/users/{user_id}/calendars/{calendar_id}/events/{event_id}",
            get(items::get_event)
                .patch(items::update_event)
                .delete(items::delete_event),
        )
        .route("/users/{user_id}/calendar", get(folders::get_calendar))
        .route(
            "/users/{user_id}/calendar/events",
            get(items::list_events).post(items::create_event),
        )
        .route(
            "/users/{user_id}/calendar/events/{event_id}",
            get(items::get_event)
                .patch(items::update_event)
                .delete(items::delete_event),
        )
        .route(
            "/users/{user_id}/calendars/{calendar_id}/calendarView",
            get(calendar_view::list),
        )
        .route(
            "/users/{user_id}/calendar/calendarView",
            get(calendar_view::list),
        )
        .route("/users/{user_id}/calendarView", get(calendar_view::list))
        .route(
            "/users/{user_id}/events",
            get(items::list_events).post(items::create_event),
        )
        .route(
            "/users/{user_id}/events/{event_id}",
            get(items::get_event)
                .patch(items::update_event)
                .delete(items::delete_event),
        )
        .route(
            "/users/{user_id}/contactFolders",
            get(folders::list_contact_folders).post(folders::create_contact_folder),
        )
        .route(
            "/users/{user_id}/contactFolders/{folder_id}",
            get(folders::get_contact_folder).delete(folders::delete_contact_folder),
        )
        .route(
            "/users/{user_id}/contactFolders/{folder_id}/contacts",
            get(items::list_contacts).post(items::create_contact),
        )
        .route(
            "/users/{user_id}/contactFolders/{folder_id}/contacts/{contact_id}",
            get(items::get_contact)
                .patch(items::update_contact)
                .delete(items::delete_contact),
        )
        .route(
            "/users/{user_id}/contacts",
            get(items::list_contacts).post(items::create_contact),
        )
        .route(
            "/users/{user_id}/contacts/{contact_id}",
            get(items::get_contact)
                .patch(items::update_contact)
                .delete(items::delete_contact),
        )
        .fallback(unknown_segment)
        .method_not_allowed_fallback(unsupported_method);
    let v1 = delta_routes(v1);
    let login = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .fallback(unknown_login_endpoint)
        .method_not_allowed_fallback(unknown_login_endpoint);
    // Graph's own 4 MB request limit (the token endpoint's form is far smaller), also for
    // bodies sent without a Content-Length, which the sandbox-wide guard cannot see ahead.
    let login = login.layer(axum::extract::DefaultBodyLimit::max(
        crate::sandbox::request_limits::TOKEN_MAX_BODY,
    ));
    let v1 = v1
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::sandbox::request_limits::GRAPH_MAX_BODY,
        ))
        .layer(axum::middleware::from_fn(zones::answer_in_zone));
    Router::new().nest("/login", login).nest("/graph/v1.0", v1)
}

/// The delta functions, each under the three spellings Graph accepts: `delta`, `delta()`
/// (what Microsoft's SDKs send) and the namespace-qualified `microsoft.graph.delta()`.
fn delta_routes(mut v1: Router<AppState>) -> Router<AppState> {
    let events = [
        "/users/{user_id}/calendars/{calendar_id}/calendarView",
        "/users/{user_id}/calendar/calendarView",
        "/users/{user_id}/calendarView",
    ];
    let contacts = [
        "/users/{user_id}/contactFolders/{folder_id}/contacts",
        "/users/{user_id}/contacts",
    ];
    for spelling in ["delta", "delta()", "microsoft.graph.delta()"] {
        for base in events {
            v1 = v1.route(&format!("{base}/{spelling}"), get(delta::events));
        }
        for base in contacts {
            v1 = v1.route(&format!("{base}/{spelling}"), get(delta::contacts));
        }
    }
    v1
}

/// The identity platform answers unknown endpoints and methods with an OAuth error body.
async fn unknown_login_endpoint() -> axum::response::Response {
    error::oauth_error(
        StatusCode::NOT_FOUND,
        "invalid_request",
        "AADSTS900561: The endpoint only accepts POST requests to /{tenant}/oauth2/v2.0/token.",
    )
}

async fn unknown_segment(uri: axum::http::Uri) -> GraphError {
    let segment = uri
        .path()
        .trim_start_matches("/graph/v1.0")
        .trim_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    GraphError::bad_request(format!("Resource not found for the segment '{segment}'."))
}

async fn unsupported_method() -> GraphError {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "BadRequest",
        "The HTTP method is not supported on this resource.",
    )
}
