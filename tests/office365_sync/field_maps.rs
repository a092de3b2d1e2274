//! Every field of the default maps has a home on both sides and settles in one apply: a
//! value set on the side that owns it reaches the other, the next plan is empty, and three
//! more runs leave it as it is.

use projectlink::office365::SyncKind;
use serde_json::{Map, Value, json};

use super::support::{ADMIN, World, linked_id, spec};

/// A distinct value for a CRM field of the contact map.
fn crm_value(field: &str, n: usize) -> Value {
    match field {
        "Email" | "Secondary_Email" => json!(format!("ada{n}.{}@example.com", field.len())),
        f if f.contains("Phone") || f == "Mobile" => json!(format!("+44 20 7946 {n:04}")),
        f => json!(format!("{f} {n}")),
    }
}

/// Asserts that each mapped field holds the same value on both sides.
fn assert_equal_sides(
    world_map: &projectlink::office365::mapping::Mapping,
    record: &Map<String, Value>,
    item: &Map<String, Value>,
    when: &str,
) {
    let crm = world_map.canonical_crm(record);
    let graph = world_map.canonical_graph(item);
    for (i, rule) in world_map.rules.iter().enumerate() {
        assert_eq!(
            crm[i],
            graph[i],
            "{when}: {} ↔ {} differ",
            rule.crm_field,
            rule.graph.as_str()
        );
        assert_ne!(crm[i], Value::Null, "{when}: {} is empty", rule.crm_field);
    }
}

/// The contact's record and its Outlook item.
async fn read(
    world: &World,
    fields: &[&str],
    id: &str,
) -> (Map<String, Value>, projectlink::graph::GraphItem) {
    let records = world.records("Contacts", ADMIN, fields).await;
    let record = records.into_iter().find(|r| r["id"] == json!(id)).unwrap();
    let item = world
        .items(ADMIN, SyncKind::Contacts)
        .await
        .into_iter()
        .find(|i| linked_id(i).as_deref() == Some(id))
        .expect("the contact reached Outlook");
    (record, item)
}

#[tokio::test]
async fn every_field_of_the_default_contact_map_settles_both_ways() {
    let world = World::start().await;
    let desired = spec(&[], &[ADMIN]);
    let mapping = desired.setting(SyncKind::Contacts).mapping.clone();
    let crm_fields: Vec<&str> = mapping.crm_fields();
    let account = world
        .insert("Accounts", ADMIN, vec![json!({"Account_Name": "Globex"})])
        .await;
    let mut record = Map::new();
    for field in &crm_fields {
        let value = match *field {
            "Account_Name" => json!({"id": account[0]}),
            f => crm_value(f, 1),
        };
        record.insert(field.to_string(), value);
    }
    let ids = world
        .insert("Contacts", ADMIN, vec![Value::Object(record)])
        .await;

    // CRM → Outlook: every field, the one-way company name included, in one apply.
    world.sync(&desired).await;
    world.assert_in_sync(&desired).await;
    let (record, item) = read(&world, &crm_fields, &ids[0]).await;
    assert_equal_sides(&mapping, &record, &item.properties, "after the first sync");
    assert_eq!(item.properties["companyName"], json!("Globex"));
    for run in 1..=3 {
        world.sync(&desired).await;
        let (_, again) = read(&world, &crm_fields, &ids[0]).await;
        assert_eq!(
            again.properties, item.properties,
            "run {run} changed the Outlook contact"
        );
    }

    // Outlook → CRM: every two-way field changed in Outlook.
    let mut patch = Map::new();
    for rule in &mapping.rules {
        if rule.direction.writes_crm() {
            rule.graph.set(&mut patch, crm_value(&rule.crm_field, 2));
        }
    }
    world
        .update_item(ADMIN, SyncKind::Contacts, &item.id, Value::Object(patch))
        .await;
    world.sync(&desired).await;
    world.assert_in_sync(&desired).await;
    let (record, item) = read(&world, &crm_fields, &ids[0]).await;
    assert_equal_sides(
        &mapping,
        &record,
        &item.properties,
        "after Outlook's change",
    );
    for rule in mapping.rules.iter().filter(|r| r.direction.writes_crm()) {
        assert_eq!(
            mapping.canonical_crm(&record)[mapping
                .rules
                .iter()
                .position(|r| r.crm_field == rule.crm_field)
                .unwrap()],
            crm_value(&rule.crm_field, 2),
            "{} did not reach CRM",
            rule.crm_field
        );
    }
    for run in 1..=3 {
        world.sync(&desired).await;
        let (again_record, again_item) = read(&world, &crm_fields, &ids[0]).await;
        assert_eq!(
            again_item.properties, item.properties,
            "run {run} changed Outlook"
        );
        assert_eq!(again_record, record, "run {run} changed CRM");
    }
}

#[tokio::test]
async fn every_field_of_the_event_map_settles_both_ways() {
    let world = World::start().await;
    let desired = spec(&[ADMIN], &[]);
    let mapping = desired.setting(SyncKind::Calendar).mapping.clone();
    let fields: Vec<&str> = mapping.crm_fields();
    let day = (chrono::Utc::now() + chrono::Duration::days(10)).format("%Y-%m-%d");
    let next = (chrono::Utc::now() + chrono::Duration::days(11)).format("%Y-%m-%d");
    let ids = world
        .insert(
            "Events",
            ADMIN,
            vec![json!({
                "Event_Title": "Offsite", "All_day": true, "Venue": "Lakehouse",
                "Description": "Planning the year",
                "Start_DateTime": format!("{day}T00:00:00+00:00"),
                "End_DateTime": format!("{next}T00:00:00+00:00"),
            })],
        )
        .await;
    let read = || async {
        let records = world.records("Events", ADMIN, &fields).await;
        let record = records
            .into_iter()
            .find(|r| r["id"] == json!(ids[0]))
            .unwrap();
        let item = world
            .items(ADMIN, SyncKind::Calendar)
            .await
            .into_iter()
            .find(|i| linked_id(i).as_deref() == Some(ids[0].as_str()))
            .expect("the event reached Outlook");
        (record, item)
    };

    world.sync(&desired).await;
    world.assert_in_sync(&desired).await;
    let (record, item) = read().await;
    assert_equal_sides(&mapping, &record, &item.properties, "after the first sync");
    assert_eq!(item.properties["isAllDay"], json!(true));
    for run in 1..=3 {
        world.sync(&desired).await;
        assert_eq!(read().await.1.properties, item.properties, "run {run}");
    }

    // Every field changed in Outlook reaches CRM in one apply.
    let at = |d: &str| json!({"dateTime": format!("{d}T00:00:00"), "timeZone": "UTC"});
    let later = (chrono::Utc::now() + chrono::Duration::days(12))
        .format("%Y-%m-%d")
        .to_string();
    let end = (chrono::Utc::now() + chrono::Duration::days(14))
        .format("%Y-%m-%d")
        .to_string();
    world
        .update_item(
            ADMIN,
            SyncKind::Calendar,
            &item.id,
            json!({"subject": "Offsite (moved)", "start": at(&later), "end": at(&end),
                   "location": {"displayName": "Boathouse"},
                   "body": {"contentType": "text", "content": "Two days now"}}),
        )
        .await;
    world.sync(&desired).await;
    world.assert_in_sync(&desired).await;
    let (record, item) = read().await;
    assert_equal_sides(
        &mapping,
        &record,
        &item.properties,
        "after Outlook's change",
    );
    assert_eq!(record["Venue"], json!("Boathouse"));
    assert_eq!(record["Event_Title"], json!("Offsite (moved)"));
    for run in 1..=3 {
        world.sync(&desired).await;
        let (again_record, again_item) = read().await;
        assert_eq!(
            again_item.properties, item.properties,
            "run {run} changed Outlook"
        );
        assert_eq!(again_record, record, "run {run} changed CRM");
    }
}
