//! `calendarView`: the events of a calendar that overlap a time range, in start order, paged
//! by `$top` (or `Prefer: odata.maxpagesize`) and `$skip` next links; and the range rule it
//! shares with `calendarView/delta`: both bounds required, and at most 1,825 days apart, as
//! Graph answers a longer range (400 `ErrorInvalidRequest`).

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::db::{self, Kind};
use super::delta::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, max_page_size};
use super::error::GraphError;
use super::items::{folder_of, open, options};
use super::query::{Options, parse_time};
use super::render;
use crate::sandbox::server::AppState;

type RawPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Graph's bound on a calendar range, in days.
pub const MAX_RANGE_DAYS: i64 = 1825;

fn bound(opts: &Options, name: &str) -> Result<NaiveDateTime, GraphError> {
    opts.param(name).and_then(parse_time).ok_or_else(|| {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters \
             StartDateTime and EndDateTime.",
        )
    })
}

/// The `startDateTime` and `endDateTime` of a calendar view, checked as Graph checks them.
pub(super) fn range(opts: &Options) -> Result<(NaiveDateTime, NaiveDateTime), GraphError> {
    let start = bound(opts, "startDateTime")?;
    let end = bound(opts, "endDateTime")?;
    if end - start > chrono::Duration::days(MAX_RANGE_DAYS) {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRequest",
            format!(
                "Your request can't be completed. The range between the start and end dates \
                 is greater than the allowed range. Maximum number of days: {MAX_RANGE_DAYS}"
            ),
        ));
    }
    Ok((start, end))
}

/// Whether an event from `start` to `end` shows in the range `(s, e)`: it overlaps it (an
/// event of no length at the range's start counts).
pub(super) fn overlaps(
    span: (NaiveDateTime, NaiveDateTime),
    s: NaiveDateTime,
    e: NaiveDateTime,
) -> bool {
    let (start, end) = span;
    start < e && (end > s || start == s)
}

/// `GET …/calendarView?startDateTime=…&endDateTime=…` of a calendar (the default one when
/// the path names none).
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(params): Path<HashMap<String, String>>,
    uri: OriginalUri,
    query: RawPairs,
) -> Result<Response, GraphError> {
    let mailbox = open(&state, &headers, &params, Kind::Event, false)?;
    let opts = options(query)?;
    let (s, e) = range(&opts)?;
    let folder = folder_of(&state, &mailbox, Kind::Event, &params)?;
    let items = state.store.with(|c| db::folder_items(c, &folder.id))?;
    let mut inside: Vec<(NaiveDateTime, &db::Item)> = items
        .iter()
        .filter_map(|it| {
            let span = render::event_span_utc(&it.doc)?;
            overlaps(span, s, e).then_some((span.0, it))
        })
        .filter(|(_, it)| {
            opts.filter
                .as_ref()
                .is_none_or(|f| f.matches(&render::item_for_filter(Kind::Event, it)))
        })
        .collect();
    inside.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let asked = max_page_size(&headers);
    let top = opts
        .top
        .or(asked)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .clamp(1, MAX_PAGE_SIZE);
    let page: Vec<Value> = inside
        .iter()
        .skip(opts.skip)
        .take(top)
        .map(|(_, it)| render::item_view(Kind::Event, it, &opts))
        .collect();
    let mut body = json!({
        "@odata.context": format!(
            "{}/graph/v1.0/$metadata#users('{}')/calendarView",
            state.base_url, mailbox.user.id
        ),
        "value": page,
    });
    let next = opts.skip.saturating_add(top);
    if next < inside.len() {
        body["@odata.nextLink"] = json!(format!(
            "{}{}?{}",
            state.base_url,
            uri.path(),
            opts.next_query(("$skip", next.to_string()))
        ));
    }
    let mut response = Json(body).into_response();
    if opts.top.is_none()
        && asked.is_some()
        && let Ok(v) = HeaderValue::from_str(&format!("odata.maxpagesize={top}"))
    {
        response.headers_mut().insert("Preference-Applied", v);
    }
    Ok(response)
}
