//! Interrupted runs, expired delta links and throttling: the sync converges without
//! duplicating anything.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use projectlink::office365::SyncKind;
use projectlink::office365::model::SyncMode;
use projectlink::sandbox::graph::{GraphConfig, MailboxBudget};
use serde_json::json;

use super::support::{ADMIN, World, assert_no_duplicates, event, spec};

/// A world after a first sync, with changes waiting on both sides.
async fn world_with_pending_changes(graph: GraphConfig) -> (World, Vec<String>) {
    let world = World::start_with(graph).await;
    let desired = spec(&[ADMIN], &[ADMIN]);
    let start = Utc::now() + Duration::days(2);
    let ids = world
        .insert(
            "Events",
            ADMIN,
            vec![event("One", start), event("Two", start)],
        )
        .await;
    world.sync(&desired).await;
    // CRM keeps modification times to the second: edits come in a later second than the sync.
    tokio::time::sleep(StdDuration::from_millis(1100)).await;
    world
        .update(
            "Events",
            &ids[0],
            json!({"Event_Title": "One (edited in CRM)"}),
        )
        .await;
    world
        .insert("Events", ADMIN, vec![event("Three", start)])
        .await;
    world
        .insert(
            "Contacts",
            ADMIN,
            vec![json!({"First_Name": "New", "Last_Name": "Contact"})],
        )
        .await;
    let items = world.items(ADMIN, SyncKind::Calendar).await;
    let two = items
        .iter()
        .find(|i| i.properties["subject"] == json!("Two"))
        .unwrap();
    world
        .update_item(
            ADMIN,
            SyncKind::Calendar,
            &two.id,
            json!({"subject": "Two (edited in Outlook)"}),
        )
        .await;
    let end = (start + Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    world
        .create_item(
            ADMIN,
            SyncKind::Calendar,
            json!({"subject": "Four (from Outlook)",
                   "start": {"dateTime": start.format("%Y-%m-%dT%H:%M:%S").to_string(), "timeZone": "UTC"},
                   "end": {"dateTime": end, "timeZone": "UTC"}}),
        )
        .await;
    world
        .create_item(
            ADMIN,
            SyncKind::Contacts,
            json!({"givenName": "Outlook", "surname": "Person"}),
        )
        .await;
    (world, ids)
}

async fn assert_converged(world: &World) {
    let desired = spec(&[ADMIN], &[ADMIN]);
    let mut titles: Vec<String> = world
        .records("Events", ADMIN, &["Event_Title"])
        .await
        .iter()
        .map(|r| r["Event_Title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    assert_eq!(
        titles,
        [
            "Four (from Outlook)",
            "One (edited in CRM)",
            "Three",
            "Two (edited in Outlook)"
        ]
    );
    let events = world.items(ADMIN, SyncKind::Calendar).await;
    assert_eq!(events.len(), 4);
    assert_no_duplicates(&events);
    let contacts = world.items(ADMIN, SyncKind::Contacts).await;
    assert_no_duplicates(&contacts);
    let crm_contacts = world.records("Contacts", ADMIN, &["Last_Name"]).await;
    assert_eq!(contacts.len(), crm_contacts.len());
    assert_eq!(
        crm_contacts
            .iter()
            .filter(|r| r["Last_Name"] == json!("Person"))
            .count(),
        1
    );
    let planned = world.plan(&desired).await;
    assert!(
        planned.is_empty(),
        "{}",
        projectlink::office365::render::text(&planned)
    );
}

#[tokio::test]
async fn a_run_interrupted_after_any_call_then_rerun_converges_without_duplicates() {
    let desired = spec(&[ADMIN], &[ADMIN]);
    let mut interrupted_at = 0;
    loop {
        interrupted_at += 1;
        let (world, _) = world_with_pending_changes(GraphConfig::default()).await;
        let finished = world.interrupted_sync(&desired, interrupted_at).await;
        world.sync(&desired).await;
        assert_converged(&world).await;
        if finished {
            break;
        }
        assert!(interrupted_at < 200, "the sync never finished");
    }
    // Every call of the run was interrupted in turn.
    assert!(interrupted_at > 10, "only {interrupted_at} calls");
}

#[tokio::test]
async fn an_expired_delta_link_falls_back_to_a_full_comparison() {
    let (world, _) = world_with_pending_changes(GraphConfig {
        delta_token_ttl: StdDuration::ZERO,
        ..GraphConfig::default()
    })
    .await;
    let desired = spec(&[ADMIN], &[ADMIN]);
    let planned = world.plan(&desired).await;
    for folder in &planned.folders {
        assert!(
            matches!(&folder.mode, SyncMode::Full { reason } if reason.contains("expired")),
            "{:?}",
            folder.mode
        );
    }
    world.sync(&desired).await;
    assert_converged(&world).await;
}

#[tokio::test]
async fn throttled_graph_calls_wait_for_retry_after_and_succeed() {
    let (world, _) = world_with_pending_changes(GraphConfig {
        mailbox_budget: Some(MailboxBudget {
            requests: 6,
            per: StdDuration::from_secs(1),
        }),
        ..GraphConfig::default()
    })
    .await;
    let before = world.graph.stats();
    world.sync(&spec(&[ADMIN], &[ADMIN])).await;
    let used = world.graph.stats().since(&before);
    assert!(used.graph_rate_limited > 0, "the budget never throttled");
    assert_converged(&world).await;
}
