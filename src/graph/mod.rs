//! The Microsoft Graph client the Office 365 sync talks through: directory users, calendars and
//! events, contact folders and contacts, with extended properties and delta rounds.
//!
//! Requests go through the same HTTP core as the Zoho clients (`crate::zoho::transport`):
//! bounded concurrency, token refresh on 401, retries on 429 and 5xx (a 429 waits exactly the
//! `Retry-After` Graph names), call counting in [`ApiStats`](crate::zoho::ApiStats). Tokens come
//! from the Microsoft identity platform by the client-credentials grant. Errors are
//! [`GraphError`]s, worded for Graph and the identity platform.

mod client;
mod delta;
mod error;
mod links;
mod wire;

use std::collections::BTreeMap;
use std::future::Future;

use chrono::{DateTime, Utc};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::zoho::credentials::GraphCredentials;
pub use client::GraphClient;
pub use error::{GraphAnswer, GraphError};

/// Where the identity platform and Graph live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEndpoints {
    /// The identity platform's root; tokens come from `{login}/{tenant}/oauth2/v2.0/token`.
    pub login: Url,
    /// Graph's versioned root, e.g. `https://graph.microsoft.com/v1.0`.
    pub graph: Url,
}

impl GraphEndpoints {
    /// Microsoft's global cloud.
    pub fn microsoft() -> GraphEndpoints {
        GraphEndpoints {
            login: Url::parse("https://login.microsoftonline.com").expect("static URL"),
            graph: Url::parse("https://graph.microsoft.com/v1.0").expect("static URL"),
        }
    }

    /// A projectlink sandbox at `base`, which serves both under path prefixes.
    pub fn sandbox(base: &Url) -> GraphEndpoints {
        GraphEndpoints {
            login: crate::zoho::dc::join(base, "/login"),
            graph: crate::zoho::dc::join(base, "/graph/v1.0"),
        }
    }
}

/// The longest calendar range Graph serves: a `calendarView` (delta or not) whose
/// `startDateTime` and `endDateTime` lie further apart is refused with 400
/// `ErrorInvalidRequest` ("… Maximum number of days: 1825").
pub const MAX_CALENDAR_RANGE_DAYS: u32 = 1825;
/// Days before today a calendar window reaches unless told otherwise.
pub const DEFAULT_PAST_DAYS: u32 = 365;
/// Days after today a calendar window reaches unless told otherwise: the rest of Graph's
/// bound, since meetings still to come are what a sync serves first.
pub const DEFAULT_FUTURE_DAYS: u32 = MAX_CALENDAR_RANGE_DAYS - DEFAULT_PAST_DAYS;

/// The range of a calendar delta round (`startDateTime`, `endDateTime`): Graph requires one
/// on the first request and remembers it in the round's links, so a round only ever sees
/// events overlapping it; an event moved out of it comes back as `@removed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl EventWindow {
    /// `past_days` before and `future_days` after the UTC midnight that begins `today`, so
    /// the window only moves once a day.
    pub fn around(today: DateTime<Utc>, past_days: u32, future_days: u32) -> EventWindow {
        let midnight = today
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|m| m.and_utc())
            .unwrap_or(today);
        EventWindow {
            start: midnight - chrono::Duration::days(i64::from(past_days)),
            end: midnight + chrono::Duration::days(i64::from(future_days)),
        }
    }

    /// Whether an event from `start` to `end` shows in this window: Graph's calendarView
    /// holds the events that overlap the range.
    pub fn overlaps(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        start < self.end && (end > self.start || start == self.start)
    }

    /// The two bounds as Graph's query takes them (`2026-01-05T00:00:00Z`).
    pub fn query_bounds(&self) -> (String, String) {
        let text = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        (text(self.start), text(self.end))
    }
}

impl std::fmt::Display for EventWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (start, end) = self.query_bounds();
        write!(f, "{start} to {end}")
    }
}

/// What a folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ItemKind {
    /// Calendars holding events.
    Event,
    /// Contact folders holding contacts.
    Contact,
}

impl ItemKind {
    /// `calendars` or `contactFolders`.
    fn folders(self) -> &'static str {
        match self {
            ItemKind::Event => "calendars",
            ItemKind::Contact => "contactFolders",
        }
    }

    /// `events` or `contacts`.
    fn items(self) -> &'static str {
        match self {
            ItemKind::Event => "events",
            ItemKind::Contact => "contacts",
        }
    }

    /// The property holding a folder's name: a calendar's `name`, a contact folder's
    /// `displayName`.
    fn folder_name_property(self) -> &'static str {
        match self {
            ItemKind::Event => "name",
            ItemKind::Contact => "displayName",
        }
    }
}

/// A directory user of the tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphUser {
    pub id: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub display_name: Option<String>,
    /// `None` when Graph did not say (it only returns the property when selected).
    pub account_enabled: Option<bool>,
}

/// A calendar or a contact folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphFolder {
    pub id: String,
    /// A calendar's `name` or a contact folder's `displayName`.
    pub name: String,
}

/// An event or a contact.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphItem {
    pub id: String,
    /// From `lastModifiedDateTime`.
    pub last_modified: Option<chrono::DateTime<chrono::Utc>>,
    /// The item as Graph returned it, minus `id`, `@odata.*` and
    /// `singleValueExtendedProperties`.
    pub properties: Map<String, Value>,
    /// `singleValueExtendedProperties` by id. Graph returns them only when asked to expand
    /// them, so items from a create or update hold the ones that call wrote.
    pub extended: BTreeMap<String, String>,
}

/// Where a delta round starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeltaFrom {
    /// A first round listing every item; for events, those overlapping the default window
    /// around today ([`DEFAULT_PAST_DAYS`], [`DEFAULT_FUTURE_DAYS`]).
    Start,
    /// A first round listing the events that overlap a window (contacts have none: for
    /// them this is [`DeltaFrom::Start`]).
    Window(EventWindow),
    /// The `@odata.deltaLink` the previous round ended with.
    Link(String),
}

/// One complete delta round: every page followed to the delta link.
#[derive(Clone, Debug, PartialEq)]
pub struct DeltaRound {
    /// Items created or changed (each once, in its latest state).
    pub changed: Vec<GraphItem>,
    /// Ids of items deleted (or, for events, moved out of the window).
    pub removed: Vec<String>,
    /// Where the next round starts: the `@odata.deltaLink` as a path and query below the
    /// Graph root (`/users/…/delta?$deltatoken=…`), so a stored link survives a change of
    /// host or port; [`DeltaFrom::Link`] takes it back as it is.
    pub delta_link: String,
}

/// The result of a delta request.
#[derive(Clone, Debug, PartialEq)]
pub enum DeltaOutcome {
    Round(DeltaRound),
    /// Graph no longer knows the link's sync state (410 `SyncStateNotFound`, or the token was
    /// refused as unknown): start over with [`DeltaFrom::Start`].
    Expired,
}

/// Everything the Office 365 sync asks of Microsoft Graph. Implemented by [`GraphClient`];
/// tests implement it to script failures. `user` is an object id or a user principal name.
pub trait GraphApi: Send + Sync {
    /// Every user of the tenant.
    fn users(&self) -> impl Future<Output = Result<Vec<GraphUser>, GraphError>> + Send;
    /// Every calendar or contact folder of a mailbox.
    fn folders(
        &self,
        user: &str,
        kind: ItemKind,
    ) -> impl Future<Output = Result<Vec<GraphFolder>, GraphError>> + Send;
    fn create_folder(
        &self,
        user: &str,
        kind: ItemKind,
        name: &str,
    ) -> impl Future<Output = Result<GraphFolder, GraphError>> + Send;
    /// Deletes a folder and everything in it; a folder already gone is not an error.
    fn delete_folder(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;
    /// Every item of a folder, with the extended properties named in `extended_ids`.
    fn items(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        extended_ids: &[&str],
    ) -> impl Future<Output = Result<Vec<GraphItem>, GraphError>> + Send;
    fn create_item(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        body: &Map<String, Value>,
        extended: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<GraphItem, GraphError>> + Send;
    /// PATCHes an item; extended properties are upserted by id, the others kept.
    fn update_item(
        &self,
        user: &str,
        kind: ItemKind,
        item_id: &str,
        patch: &Map<String, Value>,
        extended: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<GraphItem, GraphError>> + Send;
    /// Deletes an item; an item already gone is not an error.
    fn delete_item(
        &self,
        user: &str,
        kind: ItemKind,
        item_id: &str,
    ) -> impl Future<Output = Result<(), GraphError>> + Send;
    /// One delta round of a folder, `page_size` items per page.
    fn delta(
        &self,
        user: &str,
        kind: ItemKind,
        folder_id: &str,
        from: &DeltaFrom,
        page_size: u32,
    ) -> impl Future<Output = Result<DeltaOutcome, GraphError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_endpoints_sit_under_the_base_url() {
        let base = Url::parse("http://127.0.0.1:4000").unwrap();
        let e = GraphEndpoints::sandbox(&base);
        assert_eq!(e.login.as_str(), "http://127.0.0.1:4000/login");
        assert_eq!(e.graph.as_str(), "http://127.0.0.1:4000/graph/v1.0");
        let prefixed = Url::parse("http://host/prefix/").unwrap();
        assert_eq!(
            GraphEndpoints::sandbox(&prefixed).graph.as_str(),
            "http://host/prefix/graph/v1.0"
        );
        let ms = GraphEndpoints::microsoft();
        assert_eq!(ms.graph.as_str(), "https://graph.microsoft.com/v1.0");
        assert_eq!(ms.login.host_str(), Some("login.microsoftonline.com"));
    }
}
