//! Event times as Graph answers them: in UTC unless the request's `Prefer:
//! outlook.timezone="…"` names another zone, whatever zone the event was written in. Writes
//! must name a zone Exchange knows (IANA or Windows names).
//!
//! A layer over the Graph routes rewrites every `{dateTime, timeZone}` under an event's
//! `start`/`end` in JSON answers, so every endpoint that returns events (get, list, delta,
//! calendarView, create, update) answers alike; the store keeps what the client wrote.

use std::str::FromStr;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::error::GraphError;
use super::query::parse_time;
use super::render::graph_local;

/// Largest answer the layer rewrites; Graph pages (at most 1,000 items) stay far below.
const MAX_REWRITTEN: usize = 64 * 1024 * 1024;

/// Windows time zone names Exchange uses, for the zones the seeds and common clients use;
/// IANA names are accepted as they are.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("UTC", "UTC"),
    ("Coordinated Universal Time", "UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("India Standard Time", "Asia/Kolkata"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Eastern Standard Time", "America/New_York"),
    ("Central Standard Time", "America/Chicago"),
    ("Mountain Standard Time", "America/Denver"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
];

/// The zone a Graph time zone name stands for.
pub fn resolve(name: &str) -> Option<Tz> {
    let name = name.trim();
    WINDOWS_ZONES
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .map(|(_, iana)| *iana)
        .or(Some(name))
        .and_then(|iana| Tz::from_str(iana).ok())
}

/// Graph's answer to a write naming a zone it does not know.
pub fn unsupported(name: &str) -> GraphError {
    GraphError::new(
        axum::http::StatusCode::BAD_REQUEST,
        "TimeZoneNotSupportedException",
        format!(
            "A valid TimeZone value must be specified. The following TimeZone value is not supported: '{}'.",
            name.chars().take(120).collect::<String>()
        ),
    )
}

/// A wall-clock time in `zone` as the UTC instant it names (the earlier one across a
/// daylight-saving overlap, the moment after a gap).
pub fn to_utc(local: NaiveDateTime, zone: Tz) -> NaiveDateTime {
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.naive_utc(),
        chrono::LocalResult::None => zone
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map_or(local, |t| t.naive_utc()),
    }
}

/// The zone named by `Prefer: outlook.timezone="…"`, as given.
pub fn preferred(headers: &HeaderMap) -> Option<String> {
    super::query::preference(headers, "outlook.timezone")
}

/// Rewrites event times in JSON answers to UTC, or to the preferred zone when it is known.
pub async fn answer_in_zone(request: Request, next: Next) -> Response {
    let asked = preferred(request.headers());
    let target = asked
        .as_deref()
        .and_then(|name| resolve(name).map(|z| (name.to_string(), z)));
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_REWRITTEN).await else {
        return GraphError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "The answer was too large.",
        )
        .into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if rewrite(&mut value, target.as_ref().map(|(n, z)| (n.as_str(), *z))) {
        parts.headers.remove(header::CONTENT_LENGTH);
        if let Some((name, _)) = &target
            && let Ok(v) = HeaderValue::from_str(&format!("outlook.timezone=\"{name}\""))
        {
            parts.headers.append("Preference-Applied", v);
        }
        let text = serde_json::to_vec(&value).unwrap_or_default();
        return Response::from_parts(parts, Body::from(text));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Converts every event `start`/`end` below `value`; whether anything was an event time.
fn rewrite(value: &mut Value, target: Option<(&str, Tz)>) -> bool {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |seen, v| rewrite(v, target) | seen),
        Value::Object(map) => {
            let mut seen = false;
            for side in ["start", "end"] {
                if let Some(time) = map.get_mut(side) {
                    seen |= convert(time, target);
                }
            }
            if let Some(list) = map.get_mut("value") {
                seen |= rewrite(list, target);
            }
            seen
        }
        _ => false,
    }
}

fn convert(time: &mut Value, target: Option<(&str, Tz)>) -> bool {
    let (Some(local), Some(zone)) = (
        time.get("dateTime")
            .and_then(Value::as_str)
            .and_then(parse_time),
        time.get("timeZone")
            .and_then(Value::as_str)
            .and_then(resolve),
    ) else {
        return false;
    };
    let utc = to_utc(local, zone);
    let (shown, name) = match target {
        Some((name, tz)) => (
            Utc.from_utc_datetime(&utc).with_timezone(&tz).naive_local(),
            name.to_string(),
        ),
        None => (utc, "UTC".to_string()),
    };
    // Graph names the zone as the client spelt it in `Prefer`.
    *time = serde_json::json!({"dateTime": graph_local(shown), "timeZone": name});
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> NaiveDateTime {
        parse_time(s).unwrap()
    }

    #[test]
    fn windows_and_iana_names_resolve_and_nonsense_does_not() {
        assert_eq!(
            resolve("Pacific Standard Time"),
            Some(Tz::America__Los_Angeles)
        );
        assert_eq!(resolve("Europe/Berlin"), Some(Tz::Europe__Berlin));
        assert_eq!(resolve("UTC"), Some(Tz::UTC));
        assert_eq!(resolve("Mars/Olympus"), None);
    }

    #[test]
    fn events_come_back_in_utc_unless_another_zone_is_preferred() {
        let mut event = json!({"value": [{
            "start": {"dateTime": "2026-07-01T09:00:00.0000000", "timeZone": "Pacific Standard Time"},
            "end": {"dateTime": "2026-07-01T10:00:00.0000000", "timeZone": "Pacific Standard Time"},
        }]});
        let mut in_berlin = event.clone();
        assert!(rewrite(&mut event, None));
        assert_eq!(
            event["value"][0]["start"],
            json!({"dateTime": "2026-07-01T16:00:00.0000000", "timeZone": "UTC"})
        );
        assert!(rewrite(
            &mut in_berlin,
            Some(("Europe/Berlin", Tz::Europe__Berlin))
        ));
        assert_eq!(
            in_berlin["value"][0]["end"],
            json!({"dateTime": "2026-07-01T19:00:00.0000000", "timeZone": "Europe/Berlin"})
        );
    }

    #[test]
    fn the_prefer_header_is_read_among_other_preferences() {
        let mut headers = HeaderMap::new();
        headers.append("Prefer", HeaderValue::from_static("odata.maxpagesize=10"));
        headers.append(
            "Prefer",
            HeaderValue::from_static(
                "outlook.body-content-type=\"text\", outlook.timezone=\"Tokyo Standard Time\"",
            ),
        );
        assert_eq!(preferred(&headers).as_deref(), Some("Tokyo Standard Time"));
    }

    #[test]
    fn a_time_in_a_daylight_saving_gap_moves_forward() {
        let utc = to_utc(at("2026-03-08T02:30:00"), Tz::America__Los_Angeles);
        assert_eq!(utc, at("2026-03-08T10:30:00"));
    }
}
