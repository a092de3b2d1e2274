//! Calendars, contact folders and their items, with extended properties.

use super::*;

#[tokio::test]
async fn folders_are_created_listed_and_deleted() {
    let (_sandbox, client) = demo().await;
    for (kind, name) in [
        (ItemKind::Event, "Zoho CRM"),
        (ItemKind::Contact, "Zoho CRM Contacts"),
    ] {
        let before = client.folders("pat@acme.com", kind).await.unwrap();
        assert!(!before.is_empty(), "{kind:?}");
        let created = client
            .create_folder("pat@acme.com", kind, name)
            .await
            .unwrap();
        assert_eq!(created.name, name);
        let listed = client.folders("pat@acme.com", kind).await.unwrap();
        assert_eq!(listed.len(), before.len() + 1);
        assert!(listed.contains(&created));

        let again = client
            .create_folder("pat@acme.com", kind, name)
            .await
            .unwrap_err();
        assert_eq!(again.status(), Some(409), "{again}");
        assert_eq!(again.code(), Some("ErrorFolderExists"));

        client
            .delete_folder("pat@acme.com", kind, &created.id)
            .await
            .unwrap();
        assert_eq!(client.folders("pat@acme.com", kind).await.unwrap(), before);
        // Already gone is what was wanted.
        client
            .delete_folder("pat@acme.com", kind, &created.id)
            .await
            .unwrap();
    }
    let calendars = client
        .folders("pat@acme.com", ItemKind::Event)
        .await
        .unwrap();
    let names: Vec<&str> = calendars.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["Calendar", "Projects"]);

    // A missing mailbox is not "already deleted".
    let ghost = client
        .delete_folder("ghost@acme.com", ItemKind::Event, "AAMk")
        .await
        .unwrap_err();
    assert_eq!(ghost.code(), Some("ErrorInvalidUser"), "{ghost}");
    let no_mailbox = client
        .folders("meetingroom@acme.com", ItemKind::Contact)
        .await
        .unwrap_err();
    assert_eq!(no_mailbox.code(), Some("MailboxNotEnabledForRESTAPI"));

    // An app without write permission is refused, and the refusal is not retried.
    let reader = client_for(&_sandbox, READER_APP, READER_SECRET);
    let denied = reader
        .create_folder("pat@acme.com", ItemKind::Event, "Nope")
        .await
        .unwrap_err();
    assert_eq!(denied.status(), Some(403));
    assert_eq!(denied.code(), Some("ErrorAccessDenied"));
    assert_eq!(reader.stats().retries, 0);
}

#[tokio::test]
async fn items_round_trip_with_extended_properties() {
    let (_sandbox, client) = demo().await;
    let user = "nora@acme.com";
    let cal = client
        .create_folder(user, ItemKind::Event, "Zoho CRM")
        .await
        .unwrap();
    let written = ext(&[(CRM_ID, "4876876000000100001"), (ORIGIN_ID, "crm")]);
    let created = client
        .create_item(
            user,
            ItemKind::Event,
            &cal.id,
            &event("Kickoff", 4),
            &written,
        )
        .await
        .unwrap();
    assert_eq!(created.properties["subject"], "Kickoff");
    assert_eq!(created.extended, written);
    assert!(created.last_modified.is_some());
    assert!(!created.properties.contains_key("id"));
    assert!(!created.properties.contains_key("@odata.etag"));
    client
        .create_item(
            user,
            ItemKind::Event,
            &cal.id,
            &event("Untagged", 5),
            &BTreeMap::new(),
        )
        .await
        .unwrap();

    let items = client
        .items(user, ItemKind::Event, &cal.id, &[CRM_ID, ORIGIN_ID])
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    let kickoff = items.iter().find(|i| i.id == created.id).unwrap();
    assert_eq!(kickoff.extended, written);
    assert_eq!(
        kickoff.properties["start"]["dateTime"],
        "2026-05-04T09:00:00.0000000"
    );
    let untagged = items.iter().find(|i| i.id != created.id).unwrap();
    assert!(untagged.extended.is_empty());
    // Only the properties asked for come back.
    let only_crm = client
        .items(user, ItemKind::Event, &cal.id, &[CRM_ID])
        .await
        .unwrap();
    let kickoff = only_crm.iter().find(|i| i.id == created.id).unwrap();
    assert_eq!(kickoff.extended, ext(&[(CRM_ID, "4876876000000100001")]));
    let plain = client
        .items(user, ItemKind::Event, &cal.id, &[])
        .await
        .unwrap();
    assert!(plain.iter().all(|i| i.extended.is_empty()));

    let updated = client
        .update_item(
            user,
            ItemKind::Event,
            &created.id,
            &props(json!({"subject": "Kickoff v2"})),
            &ext(&[(CRM_ID, "4876876000000100002")]),
        )
        .await
        .unwrap();
    assert_eq!(updated.properties["subject"], "Kickoff v2");
    assert_eq!(
        updated.properties["location"],
        created.properties["location"]
    );
    let after = client
        .items(user, ItemKind::Event, &cal.id, &[CRM_ID, ORIGIN_ID])
        .await
        .unwrap();
    let kickoff = after.iter().find(|i| i.id == created.id).unwrap();
    assert_eq!(kickoff.properties["subject"], "Kickoff v2");
    // Upserted by id: the changed one is new, the other one kept.
    assert_eq!(
        kickoff.extended,
        ext(&[(CRM_ID, "4876876000000100002"), (ORIGIN_ID, "crm")])
    );

    client
        .delete_item(user, ItemKind::Event, &created.id)
        .await
        .unwrap();
    client
        .delete_item(user, ItemKind::Event, &created.id)
        .await
        .unwrap();
    let left = client
        .items(user, ItemKind::Event, &cal.id, &[CRM_ID])
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_ne!(left[0].id, created.id);

    // Contacts work the same way, in the seeded folder next to the seeded contact.
    let folder = client
        .folders(user, ItemKind::Contact)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.name == "CRM Contacts")
        .unwrap();
    let jane = client
        .create_item(
            user,
            ItemKind::Contact,
            &folder.id,
            &contact("Jane"),
            &ext(&[(CRM_ID, "77")]),
        )
        .await
        .unwrap();
    client
        .update_item(
            user,
            ItemKind::Contact,
            &jane.id,
            &props(json!({"jobTitle": "Buyer"})),
            &BTreeMap::new(),
        )
        .await
        .unwrap();
    let contacts = client
        .items(user, ItemKind::Contact, &folder.id, &[CRM_ID])
        .await
        .unwrap();
    assert_eq!(contacts.len(), 2);
    let jane = contacts.iter().find(|c| c.id == jane.id).unwrap();
    assert_eq!(jane.properties["jobTitle"], "Buyer");
    assert_eq!(
        jane.properties["emailAddresses"][0]["address"],
        "jane@example.org"
    );
    assert_eq!(jane.extended, ext(&[(CRM_ID, "77")]));

    // A body that smuggles extended properties past the map is refused before sending.
    let calls = client.stats().graph_calls;
    let mut smuggled = contact("Eve");
    smuggled.insert("singleValueExtendedProperties".into(), json!([]));
    let err = client
        .create_item(
            user,
            ItemKind::Contact,
            &folder.id,
            &smuggled,
            &BTreeMap::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::InvalidInput(_)), "{err}");
    assert_eq!(client.stats().graph_calls, calls);
}
