//! Tags on records: `Tag` set by name or id on insert and update, rendered when asked for,
//! seeded from `Tag: [name]`, and changed with `actions/add_tags` / `actions/remove_tags`.

use projectlink::sandbox::SandboxConfig;
use projectlink::sandbox::seed::Seed;
use reqwest::Method;
use serde_json::{Value, json};

use super::support::Env;

async fn insert(env: &Env, record: Value) -> String {
    let created = env
        .post("/crm/v8/Contacts", json!({ "data": [record] }))
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    created.body["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn tags_of(env: &Env, id: &str) -> Value {
    let read = env
        .get(
            "/crm/v8/Contacts",
            &[("ids", id), ("fields", "Last_Name,Tag")],
        )
        .await;
    read.ok()["data"][0]["Tag"].clone()
}

fn names(tags: &Value) -> Vec<&str> {
    tags.as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn tags_are_written_by_name_or_id_and_read_when_asked_for() {
    let env = Env::start().await;
    let a = insert(
        &env,
        json!({"Last_Name": "Tagged", "Tag": [{"name": "Imported"}, {"name": "VIP"}]}),
    )
    .await;
    let tags = tags_of(&env, &a).await;
    assert_eq!(names(&tags), vec!["Imported", "VIP"]);
    let imported = tags[0]["id"].as_str().unwrap().to_string();
    assert_eq!(imported.len(), 19);
    assert!(tags[0].as_object().unwrap().contains_key("color_code"));

    // The same name (any case) or the id names the same tag.
    let b = insert(
        &env,
        json!({"Last_Name": "Again", "Tag": [{"name": "imported"}]}),
    )
    .await;
    assert_eq!(tags_of(&env, &b).await[0]["id"], imported.as_str());
    let c = insert(
        &env,
        json!({"Last_Name": "ById", "Tag": [{"id": imported}]}),
    )
    .await;
    assert_eq!(names(&tags_of(&env, &c).await), vec!["Imported"]);

    // Listings show Tag only when `fields` names it; a whole record always has it.
    let listed = env
        .get("/crm/v8/Contacts", &[("ids", &a), ("fields", "Last_Name")])
        .await;
    assert!(listed.ok()["data"][0].get("Tag").is_none());
    let plain = insert(&env, json!({"Last_Name": "Plain"})).await;
    let whole = env.get(&format!("/crm/v8/Contacts/{plain}"), &[]).await;
    assert_eq!(whole.ok()["data"][0]["Tag"], json!([]));

    // An update replaces the tags; null clears them.
    env.put(
        "/crm/v8/Contacts",
        json!({"data": [{"id": a, "Tag": [{"name": "VIP"}]}]}),
    )
    .await
    .ok();
    assert_eq!(names(&tags_of(&env, &a).await), vec!["VIP"]);
    env.put(
        &format!("/crm/v8/Contacts/{a}"),
        json!({"data": [{"Tag": null}]}),
    )
    .await
    .ok();
    assert_eq!(tags_of(&env, &a).await, json!([]));
}

#[tokio::test]
async fn malformed_tags_get_zoho_errors() {
    let env = Env::start().await;
    let bad = env
        .post(
            "/crm/v8/Contacts",
            json!({"data": [
                {"Last_Name": "A", "Tag": "Imported"},
                {"Last_Name": "B", "Tag": [{"id": "4876876999999999999"}]},
                {"Last_Name": "C", "Tag": [{"name": "a name far longer than twenty-five"}]},
                {"Last_Name": "D", "Tag": [{"color_code": "#57B1FD"}]},
                {"Last_Name": "E", "Tag": [{"name": "Fine"}]}
            ]}),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 207, "{}", bad.body);
    let items = bad.body["data"].as_array().unwrap();
    assert_eq!(items[0]["code"], "INVALID_DATA");
    assert_eq!(items[0]["details"]["expected_data_type"], "jsonarray");
    assert_eq!(items[0]["details"]["json_path"], "$.data[0].Tag");
    assert_eq!(items[1]["code"], "INVALID_DATA");
    assert_eq!(items[1]["details"]["json_path"], "$.data[1].Tag[0].id");
    assert_eq!(items[2]["details"]["maximum_length"], 25);
    assert_eq!(items[3]["code"], "MANDATORY_NOT_FOUND");
    assert_eq!(items[4]["code"], "SUCCESS");
}

#[tokio::test]
async fn tag_actions_add_overwrite_and_remove_tags_on_many_records() {
    let env = Env::start().await;
    let a = insert(&env, json!({"Last_Name": "A", "Tag": [{"name": "Old"}]})).await;
    let b = insert(&env, json!({"Last_Name": "B"})).await;
    let before = env
        .get(
            "/crm/v8/Contacts",
            &[("ids", &a), ("fields", "Modified_Time")],
        )
        .await;
    let modified_before = before.ok()["data"][0]["Modified_Time"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;

    let added = env
        .post(
            "/crm/v8/Contacts/actions/add_tags",
            json!({"tags": [{"name": "Imported"}], "ids": [a, b]}),
        )
        .await;
    let body = added.ok();
    assert_eq!(body["success_count"], "2");
    assert_eq!(body["data"][0]["code"], "SUCCESS");
    assert_eq!(body["data"][0]["details"]["id"], a.as_str());
    assert_eq!(
        names(&body["data"][0]["details"]["tags"]),
        vec!["Old", "Imported"]
    );
    assert_eq!(names(&tags_of(&env, &b).await), vec!["Imported"]);
    let after = env
        .get(
            "/crm/v8/Contacts",
            &[("ids", &a), ("fields", "Modified_Time")],
        )
        .await;
    assert!(
        after.ok()["data"][0]["Modified_Time"].as_str().unwrap() > modified_before.as_str(),
        "tagging is a change of the record"
    );

    let overwritten = env
        .post(
            "/crm/v8/Contacts/actions/add_tags",
            json!({"tags": [{"name": "VIP"}], "ids": [a], "over_write": true}),
        )
        .await;
    overwritten.ok();
    assert_eq!(names(&tags_of(&env, &a).await), vec!["VIP"]);

    let imported_id = tags_of(&env, &b).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let removed = env
        .post(
            "/crm/v8/Contacts/actions/remove_tags",
            json!({"tags": [{"id": imported_id}], "ids": [b, "4876876999999999999"]}),
        )
        .await;
    assert_eq!(removed.status.as_u16(), 207, "{}", removed.body);
    assert_eq!(removed.body["data"][0]["code"], "SUCCESS");
    assert_eq!(removed.body["data"][1]["code"], "INVALID_DATA");
    assert_eq!(tags_of(&env, &b).await, json!([]));

    env.post(
        "/crm/v8/Contacts/actions/add_tags",
        json!({"tags": [{"name": "VIP"}]}),
    )
    .await
    .error(400, "MANDATORY_NOT_FOUND");
    env.post(
        "/crm/v8/Contacts/actions/remove_tags",
        json!({"tags": [{"name": "Never Made"}], "ids": [a]}),
    )
    .await
    .error(400, "INVALID_DATA");
    let too_many: Vec<String> = (0..501).map(|i| format!("{i}")).collect();
    env.post(
        "/crm/v8/Contacts/actions/add_tags",
        json!({"tags": [{"name": "VIP"}], "ids": too_many}),
    )
    .await
    .error(400, "LIMIT_EXCEEDED");
    let reader = env
        .call(
            Method::POST,
            "/crm/v8/Spaceships/actions/add_tags",
            &[],
            Some(json!({"tags": [{"name": "VIP"}], "ids": [a]})),
        )
        .await;
    reader.error(400, "INVALID_MODULE");
}

#[tokio::test]
async fn seeds_tag_records_by_name() {
    let mut seed = Seed::demo();
    let tagged: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "Last_Name": "Imported Person", "Email": "imported@example.org", "Tag": ["Imported"]
    }))
    .unwrap();
    seed.records
        .get_mut("Contacts")
        .unwrap()
        .push(tagged.clone());
    let mut event = tagged;
    event.clear();
    event.insert("Event_Title".into(), json!("Imported meeting"));
    event.insert("Start_DateTime".into(), json!("2026-01-05T10:00:00+00:00"));
    event.insert("End_DateTime".into(), json!("2026-01-05T11:00:00+00:00"));
    event.insert("Tag".into(), json!([{"name": "Imported"}, "Board"]));
    seed.records.entry("Events".into()).or_default().push(event);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let id = env
        .record_id("Contacts", "Email", "imported@example.org")
        .await;
    assert_eq!(names(&tags_of(&env, &id).await), vec!["Imported"]);
    let events = env
        .get("/crm/v8/Events", &[("fields", "Event_Title,Tag")])
        .await;
    let event = &events.ok()["data"][0];
    assert_eq!(names(&event["Tag"]), vec!["Imported", "Board"]);
    assert_ne!(
        event["Tag"][0]["id"],
        tags_of(&env, &id).await[0]["id"],
        "tags belong to one module"
    );

    let mut bad = Seed::demo();
    let mut record = serde_json::Map::new();
    record.insert("Last_Name".into(), json!("X"));
    record.insert("Tag".into(), json!("Imported"));
    bad.records.get_mut("Contacts").unwrap().push(record);
    let store = projectlink::sandbox::store::Store::open(None).unwrap();
    let err = projectlink::sandbox::seed::load_if_empty(&store, &bad)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Tag must be a list of tag names"), "{err}");
}
