//! The first sync's cap and order, imported records, and turning sync off.

use chrono::{Duration, Utc};
use projectlink::office365::SyncKind;
use projectlink::office365::model::{FolderAction, SyncMode};
use serde_json::json;

use super::support::{ADMIN, World, assert_no_duplicates, event, linked_id, spec};

#[tokio::test]
async fn the_first_sync_takes_5000_events_future_first_then_the_most_recently_ended() {
    let world = World::start().await;
    let desired = spec(&[ADMIN], &[]);
    let now = Utc::now();
    // 5,000 past events an hour apart, ending at most a day ago, and 3 in the future.
    let past: Vec<_> = (0..5_000)
        .map(|n| {
            event(
                &format!("past {n}"),
                now - Duration::days(1) - Duration::hours(n),
            )
        })
        .collect();
    let future: Vec<_> = (0..3)
        .map(|n| event(&format!("future {n}"), now + Duration::days(1 + n)))
        .collect();
    let past_ids = world.insert("Events", ADMIN, past).await;
    let future_ids = world.insert("Events", ADMIN, future).await;
    // CRM keeps times to the second, and records made in the second a sync looks are taken
    // as possibly unseen (synced later rather than risk deleting them): start a second on.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let planned = world.plan(&desired).await;
    let folder = &planned.folders[0];
    assert_eq!(folder.mode, SyncMode::Initial);
    let capped = folder.capped.as_ref().expect("the cap applies");
    assert_eq!((capped.eligible, capped.cap), (5_003, 5_000));
    let order: Vec<&str> = folder
        .changes
        .iter()
        .map(|c| c.crm_id.as_deref().unwrap())
        .collect();
    assert_eq!(
        &order[..3],
        &[&future_ids[0], &future_ids[1], &future_ids[2]].map(String::as_str)
    );
    assert_eq!(order[3], past_ids[0]);

    world.sync(&desired).await;
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    assert_eq!(items.len(), 5_000);
    assert_no_duplicates(&items);
    let synced: std::collections::HashSet<String> = items.iter().filter_map(linked_id).collect();
    // The three that ended longest ago are left out.
    for left_out in &past_ids[4_997..] {
        assert!(!synced.contains(left_out));
    }
    assert!(synced.contains(&past_ids[4_996]));
    // ... and stay out (they are not mistaken for events deleted in Outlook).
    world.assert_in_sync(&desired).await;
    let records = world.records("Events", ADMIN, &["Event_Title"]).await;
    assert_eq!(records.len(), 5_003);
}

#[tokio::test]
async fn records_tagged_as_imported_are_not_synced() {
    let world = World::start().await;
    let desired = spec(&[ADMIN], &[ADMIN]);
    let start = Utc::now() + Duration::days(1);
    let mut imported = event("Imported meeting", start);
    imported["Tag"] = json!([{"name": "Imported"}]);
    let ids = world
        .insert("Events", ADMIN, vec![imported, event("Own meeting", start)])
        .await;
    let contacts = world
        .insert(
            "Contacts",
            ADMIN,
            vec![json!({"Last_Name": "Imported", "Tag": [{"name": "Imported"}]})],
        )
        .await;
    let planned = world.sync(&desired).await;
    let calendar = planned
        .folders
        .iter()
        .find(|f| f.kind == SyncKind::Calendar)
        .unwrap();
    assert_eq!(calendar.excluded_by_tag, 1);
    let synced: Vec<String> = world
        .items(ADMIN, SyncKind::Calendar)
        .await
        .iter()
        .filter_map(linked_id)
        .collect();
    assert_eq!(synced, vec![ids[1].clone()]);
    let contact_links: Vec<String> = world
        .items(ADMIN, SyncKind::Contacts)
        .await
        .iter()
        .filter_map(linked_id)
        .collect();
    assert!(!contact_links.contains(&contacts[0]));

    // Tagging a synced record later takes it out of Outlook, not out of CRM.
    world
        .update("Events", &ids[1], json!({"Tag": [{"name": "Imported"}]}))
        .await;
    world.sync(&desired).await;
    assert!(world.items(ADMIN, SyncKind::Calendar).await.is_empty());
    assert_eq!(
        world.records("Events", ADMIN, &["Event_Title"]).await.len(),
        2
    );
    world.assert_in_sync(&desired).await;
}

#[tokio::test]
async fn turning_sync_off_removes_only_the_office365_side() {
    let world = World::start().await;
    let start = Utc::now() + Duration::days(1);
    world
        .insert("Events", ADMIN, vec![event("Stays in CRM", start)])
        .await;
    let on = spec(&[ADMIN], &[ADMIN]);
    world.sync(&on).await;
    assert!(world.folder(ADMIN, SyncKind::Calendar).await.is_some());
    let crm_events = world.records("Events", ADMIN, &["Event_Title"]).await.len();
    let crm_contacts = world.records("Contacts", ADMIN, &["Last_Name"]).await.len();
    let mailbox = world.mailbox(ADMIN).await;
    use projectlink::graph::ItemKind;
    let calendars_before = world
        .graph
        .folders(&mailbox, ItemKind::Event)
        .await
        .unwrap()
        .len();

    let off = spec(&[], &[ADMIN]);
    let planned = world.plan(&off).await;
    let calendar = planned
        .folders
        .iter()
        .find(|f| f.kind == SyncKind::Calendar)
        .unwrap();
    assert_eq!(calendar.folder_action, FolderAction::Delete);
    world.sync(&off).await;
    assert!(world.folder(ADMIN, SyncKind::Calendar).await.is_none());
    assert!(world.folder(ADMIN, SyncKind::Contacts).await.is_some());
    // Other calendars untouched, CRM untouched.
    let calendars_after = world
        .graph
        .folders(&mailbox, ItemKind::Event)
        .await
        .unwrap()
        .len();
    assert_eq!(calendars_after, calendars_before - 1);
    assert_eq!(
        world.records("Events", ADMIN, &["Event_Title"]).await.len(),
        crm_events
    );
    assert_eq!(
        world.records("Contacts", ADMIN, &["Last_Name"]).await.len(),
        crm_contacts
    );
    world.assert_in_sync(&off).await;

    // Turning it on again starts over without duplicating anything.
    world.sync(&on).await;
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    assert_eq!(items.len(), crm_events);
    assert_no_duplicates(&items);
}
