//! The calendar window: which events a run syncs. Graph's calendar delta only reports events
//! overlapping a bounded range, so the sync keeps to one (from the spec's `pastDays` before
//! today to its `futureDays` after) and leaves every event outside it alone on both sides.
//! When the window moves on, events entering it are synced like new ones; an event that
//! was inside the previous window and lost its item was deleted in Outlook.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::mapping::{parse_crm_datetime, parse_graph_datetime};
use super::observed::{CrmRecord, OutlookItem};
use crate::graph::EventWindow;

/// The windows one folder's planning compares against.
#[derive(Debug, Clone, Copy, Default)]
pub struct Scope {
    /// This run's window; `None` syncs everything (contacts).
    pub now: Option<EventWindow>,
    /// The window of the folder's last successful run; `None` when it had none (a first
    /// sync, contacts, or a state saved before windows existed: everything was in it).
    pub before: Option<EventWindow>,
}

impl Scope {
    /// Whether this run syncs the record.
    pub fn record_in(&self, record: &CrmRecord) -> bool {
        inside(self.now, record_span(record))
    }

    /// Whether the last successful run synced the record.
    pub fn record_was_in(&self, record: &CrmRecord) -> bool {
        inside(self.before, record_span(record))
    }

    /// Whether this run syncs the Outlook item.
    pub fn item_in(&self, item: &OutlookItem) -> bool {
        inside(self.now, item_span(item))
    }
}

/// An event with no readable times is kept in scope: the sync cannot place it, and leaving it
/// out would hide it for good.
fn inside(window: Option<EventWindow>, span: Option<(DateTime<Utc>, DateTime<Utc>)>) -> bool {
    match (window, span) {
        (Some(window), Some((start, end))) => window.overlaps(start, end),
        _ => true,
    }
}

/// A CRM event's `Start_DateTime` and `End_DateTime` (the end defaults to the start).
pub fn record_span(record: &CrmRecord) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = crm_time(record, "Start_DateTime")?;
    Some((start, crm_time(record, "End_DateTime").unwrap_or(start)))
}

/// A CRM record's date-time field `name`, when it holds one.
pub fn crm_time(record: &CrmRecord, name: &str) -> Option<DateTime<Utc>> {
    record
        .fields
        .get(name)
        .and_then(Value::as_str)
        .and_then(parse_crm_datetime)
}

/// An Outlook event's `start` and `end`.
pub fn item_span(item: &OutlookItem) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = parse_graph_datetime(item.properties.get("start")?)?;
    let end = item
        .properties
        .get("end")
        .and_then(parse_graph_datetime)
        .unwrap_or(start);
    Some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        parse_crm_datetime(text).unwrap()
    }

    fn record(start: &str, end: &str) -> CrmRecord {
        CrmRecord::from_json(&json!({
            "id": "1", "Modified_Time": "2026-01-01T00:00:00+00:00",
            "Start_DateTime": start, "End_DateTime": end,
        }))
        .unwrap()
    }

    fn item(start: &str, end: &str) -> OutlookItem {
        OutlookItem {
            id: "i".into(),
            last_modified: None,
            properties: json!({"start": {"dateTime": start, "timeZone": "UTC"},
                               "end": {"dateTime": end, "timeZone": "UTC"}})
            .as_object()
            .unwrap()
            .clone(),
            link: None,
        }
    }

    #[test]
    fn the_window_starts_at_midnight_and_spans_the_days_asked() {
        let window = EventWindow::around(at("2026-06-15T17:45:00Z"), 365, 1460);
        assert_eq!(window.start, at("2025-06-15T00:00:00Z"));
        assert_eq!(window.end, at("2030-06-14T00:00:00Z"));
        assert_eq!((window.end - window.start).num_days(), 1825);
        assert_eq!(
            window.query_bounds(),
            ("2025-06-15T00:00:00Z".into(), "2030-06-14T00:00:00Z".into())
        );
        // The same window all day long: it only moves at midnight.
        assert_eq!(
            EventWindow::around(at("2026-06-15T00:00:00Z"), 365, 1460),
            window
        );
        assert_ne!(
            EventWindow::around(at("2026-06-16T00:00:00Z"), 365, 1460),
            window
        );
    }

    #[test]
    fn events_overlapping_the_window_are_in_scope() {
        let window = EventWindow::around(at("2026-06-15T12:00:00Z"), 10, 10);
        let scope = Scope {
            now: Some(window),
            before: None,
        };
        // Inside, straddling either edge, and outside on either side.
        assert!(scope.record_in(&record(
            "2026-06-15T09:00:00+00:00",
            "2026-06-15T10:00:00+00:00"
        )));
        assert!(scope.record_in(&record(
            "2026-06-04T23:00:00+00:00",
            "2026-06-05T01:00:00+00:00"
        )));
        assert!(scope.record_in(&record(
            "2026-06-24T23:00:00+00:00",
            "2026-06-25T01:00:00+00:00"
        )));
        assert!(!scope.record_in(&record(
            "2026-06-04T22:00:00+00:00",
            "2026-06-04T23:00:00+00:00"
        )));
        assert!(!scope.record_in(&record(
            "2026-06-25T00:00:00+00:00",
            "2026-06-25T01:00:00+00:00"
        )));
        assert!(scope.item_in(&item(
            "2026-06-20T09:00:00.0000000",
            "2026-06-20T10:00:00.0000000"
        )));
        assert!(!scope.item_in(&item(
            "2027-06-20T09:00:00.0000000",
            "2027-06-20T10:00:00.0000000"
        )));
        // No previous window: everything was in it.
        assert!(scope.record_was_in(&record(
            "2001-01-01T00:00:00+00:00",
            "2001-01-01T01:00:00+00:00"
        )));
        // Events without times stay in scope.
        let timeless =
            CrmRecord::from_json(&json!({"id": "2", "Modified_Time": "2026-01-01T00:00:00+00:00"}))
                .unwrap();
        assert!(scope.record_in(&timeless));
        assert!(Scope::default().record_in(&record(
            "1990-01-01T00:00:00+00:00",
            "1990-01-01T01:00:00+00:00"
        )));
    }
}
