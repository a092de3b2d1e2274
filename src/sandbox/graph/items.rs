//! Events in a calendar and contacts in a contact folder: list (`$filter`, `$select`, `$top`,
//! `$skip`, `$expand` of extended properties), get, create, PATCH and delete. Every write
//! takes the next change sequence value; a delete leaves a tombstone for delta queries.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::db::{self, Folder, Item, Kind};
use super::delta::max_page_size;
use super::error::GraphError;
use super::query::Options;
use super::render;
use super::{Mailbox, open_mailbox};
use crate::sandbox::server::AppState;

type Params = Path<HashMap<String, String>>;
type RawPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Parses the query string, answering Graph's 400 for a malformed one.
pub(super) fn options(query: RawPairs) -> Result<Options, GraphError> {
    let Query(pairs) =
        query.map_err(|e| GraphError::parse_uri(format!("The query string is malformed: {e}")))?;
    Options::parse(pairs)
}

fn param<'a>(params: &'a HashMap<String, String>, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| params.get(*n))
        .map(String::as_str)
}

const FOLDER_PARAMS: &[&str] = &["calendar_id", "folder_id"];
const ITEM_PARAMS: &[&str] = &["event_id", "contact_id"];

/// The folder named in the path, or the default calendar for `/users/{id}/events`.
pub(super) fn folder_of(
    state: &AppState,
    mailbox: &Mailbox,
    kind: Kind,
    params: &HashMap<String, String>,
) -> Result<Folder, GraphError> {
    let user = &mailbox.user.id;
    let found = state.store.with(|c| match param(params, FOLDER_PARAMS) {
        Some(id) => db::find_folder(c, user, kind, id),
        None => db::default_folder_or_make(c, user, kind),
    })?;
    found.ok_or_else(GraphError::item_not_found)
}

pub(super) fn open(
    state: &AppState,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    kind: Kind,
    write: bool,
) -> Result<Mailbox, GraphError> {
    let user = params.get("user_id").map(String::as_str).unwrap_or("");
    open_mailbox(state, headers, user, kind, write)
}

async fn list(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
    uri: OriginalUri,
    query: RawPairs,
) -> Result<Response, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, false)?;
    let opts = options(query)?;
    let folder = folder_of(&state, &mailbox, kind, &params)?;
    // `$top` wins over `Prefer: odata.maxpagesize`; Outlook pages 10 by default, 1,000 at most.
    let asked = max_page_size(&headers);
    let top = opts.top.or(asked).unwrap_or(10).clamp(1, 1000);
    let items = state.store.with(|c| db::folder_items(c, &folder.id))?;
    let matching: Vec<&Item> = items
        .iter()
        .filter(|it| {
            opts.filter
                .as_ref()
                .is_none_or(|f| f.matches(&render::item_for_filter(kind, it)))
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(opts.skip)
        .take(top)
        .map(|it| render::item_view(kind, it, &opts))
        .collect();
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!(
            "{}/graph/v1.0/$metadata#users('{}')/{}",
            state.base_url,
            mailbox.user.id,
            if kind == Kind::Event {
                "events"
            } else {
                "contacts"
            }
        )),
    );
    body.insert("value".into(), Value::Array(page));
    if opts.skip.saturating_add(top) < matching.len() {
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}{}?{}",
                state.base_url,
                uri.path(),
                opts.next_query(("$skip", (opts.skip.saturating_add(top)).to_string()))
            )),
        );
    }
    let mut response = Json(Value::Object(body)).into_response();
    if opts.top.is_none()
        && asked.is_some()
        && let Ok(v) = HeaderValue::from_str(&format!("odata.maxpagesize={top}"))
    {
        response.headers_mut().insert("Preference-Applied", v);
    }
    Ok(response)
}

async fn get(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
    query: RawPairs,
) -> Result<Json<Value>, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, false)?;
    let opts = options(query)?;
    let item = find(&state, &mailbox, kind, &params)?;
    Ok(Json(render::item_view(kind, &item, &opts)))
}

fn find(
    state: &AppState,
    mailbox: &Mailbox,
    kind: Kind,
    params: &HashMap<String, String>,
) -> Result<Item, GraphError> {
    if param(params, FOLDER_PARAMS).is_some() {
        folder_of(state, mailbox, kind, params)?;
    }
    let id = param(params, ITEM_PARAMS).unwrap_or("");
    let item = state
        .store
        .with(|c| db::find_item(c, &mailbox.user.id, kind, id))?
        .ok_or_else(GraphError::item_not_found)?;
    match param(params, FOLDER_PARAMS) {
        Some(folder) if folder != item.folder_id => Err(GraphError::item_not_found()),
        _ => Ok(item),
    }
}

fn check_span(kind: Kind, doc: &serde_json::Map<String, Value>) -> Result<(), GraphError> {
    let Some((start, end)) = render::event_span(doc).filter(|_| kind == Kind::Event) else {
        return Ok(());
    };
    if end < start {
        return Err(GraphError::invalid_request(
            "The end time of the event must not be before its start time.",
        ));
    }
    // Outlook keeps an all-day event as whole days: midnight to a later midnight.
    if doc.get("isAllDay").and_then(Value::as_bool) == Some(true) {
        let midnight = |t: chrono::NaiveDateTime| t.time() == chrono::NaiveTime::MIN;
        if !midnight(start) || !midnight(end) {
            return Err(GraphError::invalid_request(
                "An event marked as All day must start and end at midnight.",
            ));
        }
        if end <= start {
            return Err(GraphError::invalid_request(
                "The duration of an event marked as All day must be at least 24 hours.",
            ));
        }
    }
    Ok(())
}

async fn create(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
    body: axum::body::Bytes,
) -> Result<Response, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, true)?;
    let folder = folder_of(&state, &mailbox, kind, &params)?;
    let write = render::parse_write(kind, &body, true)?;
    check_span(kind, &write.doc)?;
    let now = render::now();
    let mut ext = Vec::new();
    render::merge_ext(&mut ext, write.ext);
    let item = state.store.with(|c| -> rusqlite::Result<Item> {
        let item = Item {
            id: render::new_id(),
            user_id: mailbox.user.id.clone(),
            folder_id: folder.id.clone(),
            doc: write.doc,
            ext,
            created: now.clone(),
            modified: now,
            change_key: render::new_change_key(),
            seq: db::next_seq(c)?,
            deleted: false,
        };
        db::save_item(c, kind, &item)?;
        Ok(item)
    })?;
    Ok((
        StatusCode::CREATED,
        Json(Value::Object(render::item(kind, &item))),
    )
        .into_response())
}

async fn update(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, true)?;
    let mut item = find(&state, &mailbox, kind, &params)?;
    let write = render::parse_write(kind, &body, false)?;
    for (k, v) in write.doc {
        item.doc.insert(k, v);
    }
    check_span(kind, &item.doc)?;
    render::merge_ext(&mut item.ext, write.ext);
    item.modified = render::now();
    item.change_key = render::new_change_key();
    let item = state.store.with(|c| -> rusqlite::Result<Item> {
        item.seq = db::next_seq(c)?;
        db::save_item(c, kind, &item)?;
        Ok(item)
    })?;
    Ok(Json(Value::Object(render::item(kind, &item))))
}

async fn delete(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
) -> Result<StatusCode, GraphError> {
    let mailbox = open(&state, &headers, &params, kind, true)?;
    let mut item = find(&state, &mailbox, kind, &params)?;
    item.deleted = true;
    item.modified = render::now();
    state.store.with(|c| -> rusqlite::Result<()> {
        item.seq = db::next_seq(c)?;
        db::save_item(c, kind, &item)
    })?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list_events(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    uri: OriginalUri,
    q: RawPairs,
) -> Result<Response, GraphError> {
    list(Kind::Event, s, h, p, uri, q).await
}

pub async fn list_contacts(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    uri: OriginalUri,
    q: RawPairs,
) -> Result<Response, GraphError> {
    list(Kind::Contact, s, h, p, uri, q).await
}

pub async fn get_event(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    q: RawPairs,
) -> Result<Json<Value>, GraphError> {
    get(Kind::Event, s, h, p, q).await
}

pub async fn get_contact(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    q: RawPairs,
) -> Result<Json<Value>, GraphError> {
    get(Kind::Contact, s, h, p, q).await
}

pub async fn create_event(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    body: axum::body::Bytes,
) -> Result<Response, GraphError> {
    create(Kind::Event, s, h, p, body).await
}

pub async fn create_contact(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    body: axum::body::Bytes,
) -> Result<Response, GraphError> {
    create(Kind::Contact, s, h, p, body).await
}

pub async fn update_event(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    body: axum::body::Bytes,
) -> Result<Json<Value>, GraphError> {
    update(Kind::Event, s, h, p, body).await
}

pub async fn update_contact(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
    body: axum::body::Bytes,
) -> Result<Json<Value>, GraphError> {
    update(Kind::Contact, s, h, p, body).await
}

pub async fn delete_event(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<StatusCode, GraphError> {
    delete(Kind::Event, s, h, p).await
}

pub async fn delete_contact(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Params,
) -> Result<StatusCode, GraphError> {
    delete(Kind::Contact, s, h, p).await
}
