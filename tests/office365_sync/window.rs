//! The calendar window rolling forward over a simulated year: the run's date moves a month at
//! a time (the clock is injected, nothing sleeps), every move starts a new delta round,
//! events entering the window sync from either side, and nothing is ever deleted.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use projectlink::graph::EventWindow;
use projectlink::office365::SyncKind;
use projectlink::office365::model::{ItemAction, SyncMode};
use serde_json::json;

use super::support::{ADMIN, World, event, linked_id, spec_with};

const PAST_DAYS: u32 = 30;
const FUTURE_DAYS: u32 = 90;

fn outlook_event(title: &str, start: DateTime<Utc>) -> serde_json::Value {
    let at = |t: DateTime<Utc>| t.format("%Y-%m-%dT%H:%M:%S").to_string();
    json!({"subject": title,
           "start": {"dateTime": at(start), "timeZone": "UTC"},
           "end": {"dateTime": at(start + Duration::hours(1)), "timeZone": "UTC"}})
}

fn starts_in(window: &EventWindow, start: &str) -> bool {
    let start = DateTime::parse_from_rfc3339(start)
        .unwrap()
        .with_timezone(&Utc);
    window.overlaps(start, start + Duration::hours(1))
}

#[tokio::test]
async fn a_year_of_rolling_windows_deletes_nothing_and_syncs_what_enters() {
    let world = World::start().await;
    let desired = spec_with(
        &[ADMIN],
        &[],
        &format!("window: {{pastDays: {PAST_DAYS}, futureDays: {FUTURE_DAYS}}}"),
    );
    let day0 = Utc::now();
    // One CRM event every 20 days from 60 days ago to 15 months ahead: some start inside,
    // most enter the window as it rolls, the early ones leave it.
    let crm_events: Vec<_> = (0..24)
        .map(|n| event(&format!("CRM {n}"), day0 + Duration::days(20 * n - 60)))
        .collect();
    let crm_ids = world.insert("Events", ADMIN, crm_events).await;
    let first = world.sync_on(&desired, day0).await;
    assert!(first.folders[0].capped.is_none());

    // Made in Outlook far ahead, outside the window: CRM hears of it once it enters.
    let outlook_start = day0 + Duration::days(200);
    let outlook_id = world
        .create_item(
            ADMIN,
            SyncKind::Calendar,
            outlook_event("From Outlook", outlook_start),
        )
        .await;

    let mut items_seen: BTreeSet<String> = BTreeSet::new();
    for month in 0..=12 {
        let today = day0 + Duration::days(30 * month);
        let window = desired.calendar_window_on(today);
        let planned = world.sync_on(&desired, today).await;
        if month > 0 {
            // Each move of the window starts a new delta round and a full comparison.
            assert_eq!(
                planned.folders[0].mode,
                SyncMode::Full {
                    reason: format!("the calendar window moved to {window}")
                },
                "month {month}"
            );
        }
        for change in planned.folders.iter().flat_map(|f| &f.changes) {
            assert_ne!(
                change.action,
                ItemAction::Delete,
                "month {month}: {} {:?} ({})",
                change.title,
                change.target,
                change.reason
            );
        }
        // Nothing is lost on either side.
        let records = world
            .records("Events", ADMIN, &["Event_Title", "Start_DateTime"])
            .await;
        for id in &crm_ids {
            assert!(
                records.iter().any(|r| r["id"] == json!(id)),
                "month {month}: CRM event {id} is gone"
            );
        }
        let items = world.items(ADMIN, SyncKind::Calendar).await;
        let ids: BTreeSet<String> = items.iter().map(|i| i.id.clone()).collect();
        assert!(
            items_seen.is_subset(&ids),
            "month {month}: Outlook items disappeared: {:?}",
            items_seen.difference(&ids).collect::<Vec<_>>()
        );
        items_seen = ids;
        assert!(items_seen.contains(&outlook_id));
        // The Outlook event stays unlinked until it enters; no record has two items.
        let linked_ids: Vec<String> = items.iter().filter_map(linked_id).collect();
        let distinct: BTreeSet<&String> = linked_ids.iter().collect();
        assert_eq!(
            distinct.len(),
            linked_ids.len(),
            "month {month}: duplicates"
        );

        // Every CRM event in today's window has its item.
        let linked: BTreeSet<String> = items.iter().filter_map(linked_id).collect();
        for record in &records {
            let start = record["Start_DateTime"].as_str().unwrap_or_default();
            let id = record["id"].as_str().unwrap();
            if crm_ids.iter().any(|c| c == id) && starts_in(&window, start) {
                assert!(
                    linked.contains(id),
                    "month {month}: CRM event {} ({start}) is in the window {window} without an item",
                    record["Event_Title"]
                );
            }
        }
        // The Outlook event reached CRM once it entered the window, and not before.
        let from_outlook = records
            .iter()
            .filter(|r| r["Event_Title"] == json!("From Outlook"))
            .count();
        let entered = window.overlaps(outlook_start, outlook_start + Duration::hours(1));
        let reached = entered || outlook_start < window.start;
        assert_eq!(from_outlook, usize::from(reached), "month {month}");

        // A second run the same day has nothing to do.
        let again = world.plan_on(&desired, today).await;
        assert!(
            again.is_empty(),
            "month {month}: {}",
            projectlink::office365::render::text(&again)
        );
    }
    // Every CRM event that was ever in the window has an item; the two that had ended
    // before the first run's window never did.
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    let linked: BTreeSet<String> = items.iter().filter_map(linked_id).collect();
    for (n, id) in crm_ids.iter().enumerate() {
        assert_eq!(linked.contains(id), n >= 2, "CRM event {n} ({id})");
    }
}
