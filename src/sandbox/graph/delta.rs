//! Delta queries: `calendars/{id}/calendarView/delta` and `contactFolders/{id}/contacts/delta`.
//!
//! A round reads the folder's items whose change sequence lies in `(after, upto]`, `upto`
//! being the last change when the round began, in sequence order, `Prefer:
//! odata.maxpagesize` per page. Next links carry a `$skiptoken` (the round plus a cursor), the
//! last page a `$deltatoken` meaning "changes after `upto`". The first round lists live items
//! only; later rounds add `@removed` tombstones for deleted items and for events that moved
//! out of the window. Tokens older than the configured TTL, or not minted for this folder,
//! are answered 410 `SyncStateNotFound`: the client starts over with a full round.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::db::{self, Kind};
use super::error::GraphError;
use super::items::options;
use super::query::{Options, parse_time, url_encode_pairs};
use super::{open_mailbox, render};
use crate::sandbox::server::AppState;

type RawPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Page size when the client states no `Prefer: odata.maxpagesize`.
pub const DEFAULT_PAGE_SIZE: usize = 10;
/// Largest page served whatever the client asks for.
pub const MAX_PAGE_SIZE: usize = 1000;

/// What a skip or delta token remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SyncState {
    /// Folder the token was minted for.
    f: String,
    /// Changes after this sequence value are reported.
    a: i64,
    /// The round's last change (skip tokens only).
    #[serde(default)]
    u: i64,
    /// The last sequence value already served in this round (skip tokens only).
    #[serde(default)]
    c: i64,
    /// First round: live items only.
    #[serde(default)]
    i: bool,
    /// Milliseconds since the epoch the token's round began (skip) or the token was issued.
    t: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    e: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    x: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    l: Option<Vec<String>>,
}

fn encode(state: &SyncState) -> String {
    let json = serde_json::to_vec(state).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

fn decode(token: &str) -> Option<SyncState> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token.trim())
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `odata.maxpagesize=N` from the `Prefer` header(s).
pub(super) fn max_page_size(headers: &HeaderMap) -> Option<usize> {
    super::query::preference(headers, "odata.maxpagesize")?
        .parse()
        .ok()
}

pub async fn events(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Path<HashMap<String, String>>,
    uri: OriginalUri,
    q: RawPairs,
) -> Result<Response, GraphError> {
    delta(Kind::Event, s, h, p, uri, q).await
}

pub async fn contacts(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(p): Path<HashMap<String, String>>,
    uri: OriginalUri,
    q: RawPairs,
) -> Result<Response, GraphError> {
    delta(Kind::Contact, s, h, p, uri, q).await
}

async fn delta(
    kind: Kind,
    state: AppState,
    headers: HeaderMap,
    params: HashMap<String, String>,
    uri: OriginalUri,
    query: RawPairs,
) -> Result<Response, GraphError> {
    let user_key = params.get("user_id").map(String::as_str).unwrap_or("");
    let mailbox = open_mailbox(&state, &headers, user_key, kind, false)?;
    let opts = options(query)?;
    // `/users/{id}/calendarView/delta` means the default calendar.
    let folder = state
        .store
        .with(|c| {
            match params
                .get("calendar_id")
                .or_else(|| params.get("folder_id"))
            {
                Some(id) => db::find_folder(c, &mailbox.user.id, kind, id),
                None => db::default_folder_or_make(c, &mailbox.user.id, kind),
            }
        })?
        .ok_or_else(GraphError::item_not_found)?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let round = round_state(&state, kind, &opts, &folder.id, now_ms)?;
    let asked = max_page_size(&headers);
    let page_size = asked.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE);
    let page = read_page(&state, kind, &folder.id, &round, page_size)?;
    let link_base = format!("{}{}", state.base_url, uri.path());
    let body = page_body(&state, kind, round, page, &link_base, now_ms);
    let mut response = Json(body).into_response();
    if asked.is_some()
        && let Ok(v) = HeaderValue::from_str(&format!("odata.maxpagesize={page_size}"))
    {
        response.headers_mut().insert("Preference-Applied", v);
    }
    Ok(response)
}

/// The round a request continues (a skip token), starts after (a delta token) or begins
/// (neither: a full round, in the query's window for events).
fn round_state(
    state: &AppState,
    kind: Kind,
    opts: &Options,
    folder_id: &str,
    now_ms: i64,
) -> Result<SyncState, GraphError> {
    let ttl_ms = i64::try_from(state.config.graph.delta_token_ttl.as_millis()).unwrap_or(i64::MAX);
    let current = state.store.with(|c| db::current_seq(c))?;

    let resumed = |token: &str| -> Result<SyncState, GraphError> {
        let st = decode(token).ok_or_else(GraphError::sync_state_not_found)?;
        if st.f != folder_id || st.t > now_ms || now_ms.saturating_sub(st.t) >= ttl_ms {
            return Err(GraphError::sync_state_not_found());
        }
        Ok(st)
    };
    let round = if let Some(token) = &opts.skiptoken {
        resumed(token)?
    } else if let Some(token) = &opts.deltatoken {
        let st = resumed(token)?;
        SyncState {
            u: current,
            c: st.a,
            i: false,
            t: now_ms,
            ..st
        }
    } else {
        let (s, e) = if kind == Kind::Event {
            let (s, e) = super::calendar_view::range(opts)?;
            (Some(render::graph_local(s)), Some(render::graph_local(e)))
        } else {
            (None, None)
        };
        SyncState {
            f: folder_id.to_string(),
            a: 0,
            u: current,
            c: 0,
            i: true,
            t: now_ms,
            s,
            e,
            x: opts.expand.clone(),
            l: opts.select.clone(),
        }
    };
    Ok(round)
}

/// One page of a round: the items (and tombstones) served, the last sequence served, and
/// whether the round is over.
struct Page {
    value: Vec<serde_json::Value>,
    cursor: i64,
    exhausted: bool,
}

/// Reads changes past the round's cursor until the page is full or the round runs out.
fn read_page(
    state: &AppState,
    kind: Kind,
    folder_id: &str,
    round: &SyncState,
    page_size: usize,
) -> Result<Page, GraphError> {
    let window = match (&round.s, &round.e) {
        (Some(s), Some(e)) => parse_time(s).zip(parse_time(e)),
        _ => None,
    };
    let view_opts = Options {
        select: round.l.clone(),
        expand: round.x.clone(),
        ..Options::default()
    };
    let mut value = Vec::new();
    let mut cursor = round.c;
    let exhausted = loop {
        let want = page_size - value.len();
        let batch = state
            .store
            .with(|c| db::changes(c, folder_id, round.a, round.u, cursor, want))?;
        let fetched = batch.len();
        for item in batch {
            cursor = item.seq;
            let in_window = match window {
                Some((s, e)) => render::event_span_utc(&item.doc)
                    .is_some_and(|span| super::calendar_view::overlaps(span, s, e)),
                None => true,
            };
            if !item.deleted && in_window {
                value.push(render::item_view(kind, &item, &view_opts));
            } else if !round.i {
                value.push(json!({
                    "@odata.type": format!("#microsoft.graph.{}", kind.item()),
                    "id": item.id,
                    "@removed": {"reason": "deleted"},
                }));
            }
        }
        if fetched < want {
            break true;
        }
        if value.len() >= page_size {
            // A full page: the round goes on only if changes remain past the cursor.
            let more = state
                .store
                .with(|c| db::changes(c, folder_id, round.a, round.u, cursor, 1))?;
            break more.is_empty();
        }
    };
    Ok(Page {
        value,
        cursor,
        exhausted,
    })
}

/// The page as Graph answers it: a next link with a skip token while the round goes on,
/// a delta link with a delta token on its last page.
fn page_body(
    state: &AppState,
    kind: Kind,
    round: SyncState,
    page: Page,
    link_base: &str,
    now_ms: i64,
) -> serde_json::Value {
    let mut body = json!({
        "@odata.context": format!(
            "{}/graph/v1.0/$metadata#Collection({})",
            state.base_url,
            kind.item()
        ),
        "value": page.value,
    });
    if page.exhausted {
        let token = encode(&SyncState {
            a: round.u,
            u: 0,
            c: 0,
            i: false,
            t: now_ms,
            ..round
        });
        body["@odata.deltaLink"] = json!(format!(
            "{link_base}?{}",
            url_encode_pairs([("$deltatoken", token.as_str())].into_iter())
        ));
    } else {
        let token = encode(&SyncState {
            c: page.cursor,
            ..round
        });
        body["@odata.nextLink"] = json!(format!(
            "{link_base}?{}",
            url_encode_pairs([("$skiptoken", token.as_str())].into_iter())
        ));
    }
    body
}
