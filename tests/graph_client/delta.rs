//! Delta rounds: pages, changes, tombstones, expiry.

use super::*;

#[tokio::test]
async fn delta_rounds_follow_every_page_then_report_changes_and_tombstones() {
    let (_sandbox, client) = demo().await;
    let user = "admin@acme.com";
    let folder = client
        .create_folder(user, ItemKind::Contact, "Zoho CRM Contacts")
        .await
        .unwrap();
    let mut created = Vec::new();
    for name in ["Ann", "Bob", "Cid", "Dee", "Eli"] {
        created.push(
            client
                .create_item(
                    user,
                    ItemKind::Contact,
                    &folder.id,
                    &contact(name),
                    &BTreeMap::new(),
                )
                .await
                .unwrap(),
        );
    }

    let before = client.stats();
    let first = round(
        client
            .delta(user, ItemKind::Contact, &folder.id, &DeltaFrom::Start, 2)
            .await
            .unwrap(),
    );
    assert_eq!(ids(&first.changed), ids(&created));
    assert!(first.removed.is_empty());
    // Stored relative to the Graph root, so it survives the sandbox moving to another port.
    assert!(
        first.delta_link.starts_with("/users/"),
        "{}",
        first.delta_link
    );
    assert!(
        first.delta_link.contains("deltatoken"),
        "{}",
        first.delta_link
    );
    // Five items two per page: three pages.
    assert_eq!(client.stats().since(&before).graph_calls, 3);
    let ann = first
        .changed
        .iter()
        .find(|i| i.id == created[0].id)
        .unwrap();
    assert_eq!(ann.properties["givenName"], "Ann");

    client
        .update_item(
            user,
            ItemKind::Contact,
            &created[1].id,
            &props(json!({"surname": "Changed"})),
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    client
        .delete_item(user, ItemKind::Contact, &created[2].id)
        .await
        .unwrap();
    let newcomer = client
        .create_item(
            user,
            ItemKind::Contact,
            &folder.id,
            &contact("Fay"),
            &BTreeMap::new(),
        )
        .await
        .unwrap();

    let second = round(
        client
            .delta(
                user,
                ItemKind::Contact,
                &folder.id,
                &DeltaFrom::Link(first.delta_link.clone()),
                2,
            )
            .await
            .unwrap(),
    );
    let mut expected = vec![created[1].id.clone(), newcomer.id.clone()];
    expected.sort();
    assert_eq!(ids(&second.changed), expected);
    let changed = second
        .changed
        .iter()
        .find(|i| i.id == created[1].id)
        .unwrap();
    assert_eq!(changed.properties["surname"], "Changed");
    assert_eq!(second.removed, vec![created[2].id.clone()]);

    let quiet = round(
        client
            .delta(
                user,
                ItemKind::Contact,
                &folder.id,
                &DeltaFrom::Link(second.delta_link.clone()),
                2,
            )
            .await
            .unwrap(),
    );
    assert!(quiet.changed.is_empty() && quiet.removed.is_empty());

    // Events: the first round's window holds the seeded event, extended properties aside.
    let calendar = client
        .folders("pat@acme.com", ItemKind::Event)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.name == "Calendar")
        .unwrap();
    let events = round(
        client
            .delta(
                "pat@acme.com",
                ItemKind::Event,
                &calendar.id,
                // Around the seeded event's day, whatever today is.
                &DeltaFrom::Window(projectlink::graph::EventWindow::around(
                    chrono::DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z")
                        .unwrap()
                        .to_utc(),
                    30,
                    30,
                )),
                10,
            )
            .await
            .unwrap(),
    );
    assert_eq!(events.changed.len(), 1);
    assert_eq!(
        events.changed[0].properties["subject"],
        "Website redesign standup"
    );
    client
        .delete_item("pat@acme.com", ItemKind::Event, &events.changed[0].id)
        .await
        .unwrap();
    let after = round(
        client
            .delta(
                "pat@acme.com",
                ItemKind::Event,
                &calendar.id,
                &DeltaFrom::Link(events.delta_link),
                10,
            )
            .await
            .unwrap(),
    );
    assert_eq!(after.removed, vec![events.changed[0].id.clone()]);
    assert!(after.changed.is_empty());
}

#[tokio::test]
async fn expired_or_unknown_delta_links_mean_start_over() {
    // Every token is already too old: a round's second page and any later round expire.
    let sandbox = sandbox(SandboxConfig {
        graph: GraphConfig {
            delta_token_ttl: Duration::ZERO,
            ..GraphConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let client = client_for(&sandbox, APP, SECRET);
    let user = "nora@acme.com";
    let folder = client
        .folders(user, ItemKind::Contact)
        .await
        .unwrap()
        .remove(0);
    client
        .create_item(
            user,
            ItemKind::Contact,
            &folder.id,
            &contact("Ann"),
            &BTreeMap::new(),
        )
        .await
        .unwrap();

    let paged = client
        .delta(user, ItemKind::Contact, &folder.id, &DeltaFrom::Start, 1)
        .await
        .unwrap();
    assert_eq!(paged, DeltaOutcome::Expired);

    let whole = round(
        client
            .delta(user, ItemKind::Contact, &folder.id, &DeltaFrom::Start, 100)
            .await
            .unwrap(),
    );
    assert_eq!(whole.changed.len(), 2);
    let later = client
        .delta(
            user,
            ItemKind::Contact,
            &folder.id,
            &DeltaFrom::Link(whole.delta_link),
            100,
        )
        .await
        .unwrap();
    assert_eq!(later, DeltaOutcome::Expired);

    let bogus = format!(
        "{}/graph/v1.0/users/{user}/contactFolders/{}/contacts/delta?$deltatoken=bogus",
        sandbox.url, folder.id
    );
    let unknown = client
        .delta(
            user,
            ItemKind::Contact,
            &folder.id,
            &DeltaFrom::Link(bogus),
            100,
        )
        .await
        .unwrap();
    assert_eq!(unknown, DeltaOutcome::Expired);
    // An expired sync state is an answer, not a transient failure.
    assert_eq!(client.stats().retries, 0);
}
