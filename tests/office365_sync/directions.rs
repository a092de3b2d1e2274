//! Creates, updates and deletes travel both ways; a conflict goes to the later change.

use chrono::{Duration, Utc};
use projectlink::office365::SyncKind;
use projectlink::office365::model::{ItemAction, Target};
use serde_json::json;

use super::support::{ADMIN, World, assert_no_duplicates, event, linked_id, spec};

#[tokio::test]
async fn crm_events_reach_outlook_and_follow_their_changes() {
    let world = World::start().await;
    let desired = spec(&[ADMIN], &[]);
    let start = Utc::now() + Duration::days(2);
    let ids = world
        .insert(
            "Events",
            ADMIN,
            vec![event("Kick-off", start), event("Review", start)],
        )
        .await;
    world.sync(&desired).await;
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    assert_eq!(items.len(), 2);
    assert_no_duplicates(&items);
    world.assert_in_sync(&desired).await;

    world
        .update(
            "Events",
            &ids[0],
            json!({"Event_Title": "Kick-off (moved)", "Venue": "Room 9"}),
        )
        .await;
    world.delete("Events", &ids[1]).await;
    let planned = world.sync(&desired).await;
    let actions: Vec<(Target, ItemAction)> = planned.folders[0]
        .changes
        .iter()
        .map(|c| (c.target, c.action))
        .collect();
    assert_eq!(
        actions,
        vec![
            (Target::Office365, ItemAction::Update),
            (Target::Office365, ItemAction::Delete)
        ]
    );
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].properties["subject"], json!("Kick-off (moved)"));
    assert_eq!(
        items[0].properties["location"]["displayName"],
        json!("Room 9")
    );
    world.assert_in_sync(&desired).await;
}

#[tokio::test]
async fn outlook_events_reach_crm_and_follow_their_changes() {
    let world = World::start().await;
    let desired = spec(&[ADMIN], &[]);
    world.sync(&desired).await; // makes the calendar
    let start = (Utc::now() + Duration::days(1))
        .format("%Y-%m-%dT%H:00:00")
        .to_string();
    let end = (Utc::now() + Duration::days(1) + Duration::hours(1))
        .format("%Y-%m-%dT%H:00:00")
        .to_string();
    let item = world
        .create_item(
            ADMIN,
            SyncKind::Calendar,
            json!({"subject": "Made in Outlook", "start": {"dateTime": start, "timeZone": "UTC"},
                   "end": {"dateTime": end, "timeZone": "UTC"}}),
        )
        .await;
    world.sync(&desired).await;
    let records = world.records("Events", ADMIN, &["Event_Title"]).await;
    let made: Vec<_> = records
        .iter()
        .filter(|r| r["Event_Title"] == json!("Made in Outlook"))
        .collect();
    assert_eq!(made.len(), 1);
    let record_id = made[0]["id"].as_str().unwrap().to_string();
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    assert_eq!(linked_id(&items[0]).as_deref(), Some(record_id.as_str()));
    world.assert_in_sync(&desired).await;

    world
        .update_item(
            ADMIN,
            SyncKind::Calendar,
            &item,
            json!({"subject": "Renamed in Outlook"}),
        )
        .await;
    world.sync(&desired).await;
    let records = world.records("Events", ADMIN, &["Event_Title"]).await;
    assert!(records.iter().any(|r| r["id"] == json!(record_id)
        && r["Event_Title"] == json!("Renamed in Outlook")));
    world.assert_in_sync(&desired).await;

    world.delete_item(ADMIN, SyncKind::Calendar, &item).await;
    let planned = world.sync(&desired).await;
    assert_eq!(planned.folders[0].count(Target::Crm, ItemAction::Delete), 1);
    let records = world.records("Events", ADMIN, &["Event_Title"]).await;
    assert!(!records.iter().any(|r| r["id"] == json!(record_id)));
    world.assert_in_sync(&desired).await;
}

#[tokio::test]
async fn contacts_sync_both_ways_through_the_field_map() {
    let world = World::start().await;
    let desired = spec(&[], &[ADMIN]);
    let ids = world
        .insert(
            "Contacts",
            ADMIN,
            vec![
                json!({"First_Name": "Grace", "Last_Name": "Hopper", "Email": "grace@navy.example",
                        "Mailing_City": "Arlington"}),
            ],
        )
        .await;
    world.sync(&desired).await;
    let items = world.items(ADMIN, SyncKind::Contacts).await;
    let grace = items
        .iter()
        .find(|i| linked_id(i).as_deref() == Some(ids[0].as_str()))
        .expect("the contact reached Outlook");
    assert_eq!(grace.properties["givenName"], json!("Grace"));
    assert_eq!(
        grace.properties["emailAddresses"][0]["address"],
        json!("grace@navy.example")
    );
    assert_eq!(
        grace.properties["businessAddress"]["city"],
        json!("Arlington")
    );

    world
        .update_item(
            ADMIN,
            SyncKind::Contacts,
            &grace.id,
            json!({"jobTitle": "Rear Admiral", "emailAddresses": [{"address": "grace@hopper.example"}]}),
        )
        .await;
    world
        .create_item(
            ADMIN,
            SyncKind::Contacts,
            json!({"givenName": "Alan", "surname": "Turing"}),
        )
        .await;
    world.sync(&desired).await;
    let records = world
        .records(
            "Contacts",
            ADMIN,
            &["First_Name", "Last_Name", "Email", "Title"],
        )
        .await;
    let grace = records.iter().find(|r| r["id"] == json!(ids[0])).unwrap();
    assert_eq!(grace["Title"], json!("Rear Admiral"));
    assert_eq!(grace["Email"], json!("grace@hopper.example"));
    assert!(records.iter().any(|r| r["Last_Name"] == json!("Turing")));
    assert_no_duplicates(&world.items(ADMIN, SyncKind::Contacts).await);
    world.assert_in_sync(&desired).await;
}

#[tokio::test]
async fn a_conflict_is_reported_and_the_later_change_wins() {
    let world = World::start().await;
    let desired = spec(&[ADMIN], &[]);
    let start = Utc::now() + Duration::days(3);
    let ids = world
        .insert("Events", ADMIN, vec![event("Budget", start)])
        .await;
    world.sync(&desired).await;
    let item = world.items(ADMIN, SyncKind::Calendar).await.remove(0);

    // CRM keeps modification times to the second: let each change fall in its own second.
    let next_second = || tokio::time::sleep(std::time::Duration::from_millis(1100));
    // CRM first, Outlook a moment later: Outlook's title wins.
    next_second().await;
    world
        .update("Events", &ids[0], json!({"Event_Title": "Budget (CRM)"}))
        .await;
    next_second().await;
    world
        .update_item(
            ADMIN,
            SyncKind::Calendar,
            &item.id,
            json!({"subject": "Budget (Outlook)"}),
        )
        .await;
    let planned = world.sync(&desired).await;
    let change = &planned.folders[0].changes[0];
    let conflict = change.conflict.as_ref().expect("reported as a conflict");
    assert_eq!(conflict.winner, Target::Office365);
    assert_eq!(change.target, Target::Crm);
    let records = world.records("Events", ADMIN, &["Event_Title"]).await;
    assert_eq!(
        records.iter().find(|r| r["id"] == json!(ids[0])).unwrap()["Event_Title"],
        json!("Budget (Outlook)")
    );
    world.assert_in_sync(&desired).await;

    // Outlook first, CRM a moment later: CRM's title wins.
    next_second().await;
    world
        .update_item(
            ADMIN,
            SyncKind::Calendar,
            &item.id,
            json!({"subject": "Budget (Outlook 2)"}),
        )
        .await;
    next_second().await;
    world
        .update("Events", &ids[0], json!({"Event_Title": "Budget (CRM 2)"}))
        .await;
    let planned = world.sync(&desired).await;
    let change = &planned.folders[0].changes[0];
    assert_eq!(change.conflict.as_ref().unwrap().winner, Target::Crm);
    assert_eq!(change.target, Target::Office365);
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    assert_eq!(items[0].properties["subject"], json!("Budget (CRM 2)"));
    world.assert_in_sync(&desired).await;
}
