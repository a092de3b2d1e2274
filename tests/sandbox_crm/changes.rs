//! What a two-way sync reads and writes: listings since a time (If-Modified-Since, at or after
//! it), records by id, page tokens that survive deletions mid-listing, and Events written
//! with Zoho's datetimes and answered with their audit stamps.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Answer, Env, send};

async fn since(env: &Env, module: &str, fields: &str, at: &str) -> Answer {
    send(
        env.http
            .get(env.url(&format!("/crm/v8/{module}")))
            .query(&[("fields", fields)])
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
            .header("If-Modified-Since", at),
    )
    .await
}

fn ids_of(answer: &Answer) -> Vec<String> {
    answer.body["data"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn insert_event(env: &Env, title: &str) -> Value {
    let created = env
        .post(
            "/crm/v8/Events",
            json!({"data": [{"Event_Title": title, "Start_DateTime": "2026-01-05T10:00:00+00:00",
                             "End_DateTime": "2026-01-05T11:00:00+00:00"}]}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    created.body["data"][0]["details"].clone()
}

#[tokio::test]
async fn if_modified_since_returns_what_changed_at_or_after_it() {
    let env = Env::start().await;
    let first = insert_event(&env, "First").await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let second = insert_event(&env, "Second").await;
    let at = second["Modified_Time"].as_str().unwrap();

    let changed = since(&env, "Events", "Event_Title,Modified_Time", at).await;
    let ids = ids_of(&changed);
    assert!(ids.contains(&second["id"].as_str().unwrap().to_string()));
    assert!(!ids.contains(&first["id"].as_str().unwrap().to_string()));
    assert!(
        changed.ok()["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["Modified_Time"].as_str().unwrap() >= at)
    );

    // The same instant in another offset means the same thing.
    let shifted = chrono::DateTime::parse_from_rfc3339(at)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap())
        .to_rfc3339();
    assert_eq!(
        ids_of(&since(&env, "Events", "Event_Title", &shifted).await),
        ids
    );

    let later = chrono::DateTime::parse_from_rfc3339(at).unwrap() + chrono::Duration::seconds(1);
    let nothing = since(&env, "Events", "Event_Title", &later.to_rfc3339()).await;
    assert_eq!(nothing.status.as_u16(), 304);
    assert_eq!(nothing.body, Value::Null);

    // An update brings the first record back into the window.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let updated = env
        .put(
            "/crm/v8/Events",
            json!({"data": [{"id": first["id"], "Venue": "Room 4"}]}),
        )
        .await;
    let stamp = updated.ok()["data"][0]["details"]["Modified_Time"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(stamp.as_str() > at);
    let again = since(&env, "Events", "Event_Title", &stamp).await;
    assert_eq!(
        ids_of(&again),
        vec![first["id"].as_str().unwrap().to_string()]
    );
}

#[tokio::test]
async fn records_are_read_by_id_with_or_without_a_field_list() {
    let env = Env::start().await;
    let a = insert_event(&env, "A").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = insert_event(&env, "B").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let wanted = format!("{a},4876876999999999999,{b}");
    let some = env
        .get(
            "/crm/v8/Events",
            &[("ids", &wanted), ("fields", "Event_Title")],
        )
        .await;
    let mut found = ids_of(&some);
    found.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(found, expected, "an unknown id is simply absent");
    assert_eq!(
        some.body["data"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["id", "Event_Title"]
    );

    let whole = env.get("/crm/v8/Events", &[("ids", &a)]).await;
    let record = &whole.ok()["data"][0];
    for field in [
        "Event_Title",
        "Start_DateTime",
        "End_DateTime",
        "All_day",
        "Venue",
        "Description",
        "Owner",
        "Created_Time",
        "Modified_Time",
        "Tag",
    ] {
        assert!(record.get(field).is_some(), "{field} missing in {record}");
    }

    let unknown = env
        .get(
            "/crm/v8/Events",
            &[("ids", "4876876999999999999"), ("fields", "Event_Title")],
        )
        .await;
    assert_eq!(unknown.status.as_u16(), 204);
    let too_many: Vec<String> = (0..101)
        .map(|i| format!("{}", 4_876_876_000_000_000_000u64 + i))
        .collect();
    env.get(
        "/crm/v8/Events",
        &[("ids", &too_many.join(",")), ("fields", "Event_Title")],
    )
    .await
    .error(400, "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn events_take_zoho_datetimes_and_answer_with_their_stamps() {
    let env = Env::start().await;
    let created = env
        .post(
            "/crm/v8/Events",
            json!({"data": [{"Event_Title": "Quarterly review", "Start_DateTime": "2026-01-05T10:00:00Z",
                             "End_DateTime": "2026-01-05T11:30:00+00:00", "All_day": false,
                             "Venue": "Board room", "Description": "Numbers"}]}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    let details = created.body["data"][0]["details"].clone();
    for key in [
        "id",
        "Created_Time",
        "Modified_Time",
        "Created_By",
        "Modified_By",
    ] {
        assert!(!details[key].is_null(), "{key} missing in {details}");
    }
    assert_eq!(details["Created_Time"], details["Modified_Time"]);
    let id = details["id"].as_str().unwrap();
    let read = env.get(&format!("/crm/v8/Events/{id}"), &[]).await;
    let event = &read.ok()["data"][0];
    assert_eq!(event["Start_DateTime"], "2026-01-05T10:00:00+00:00");
    assert_eq!(event["End_DateTime"], "2026-01-05T11:30:00+00:00");
    assert_eq!(event["Owner"]["email"], "admin@acme.com");
    assert_eq!(event["Modified_Time"], details["Modified_Time"]);

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let updated = env
        .put(
            &format!("/crm/v8/Events/{id}"),
            json!({"data": [{"Venue": "Online"}]}),
        )
        .await;
    let after = updated.ok()["data"][0]["details"].clone();
    assert_eq!(after["Created_Time"], details["Created_Time"]);
    assert!(after["Modified_Time"].as_str().unwrap() > details["Modified_Time"].as_str().unwrap());

    let bad = env
        .post(
            "/crm/v8/Events",
            json!({"data": [{"Event_Title": "x", "Start_DateTime": "2026-01-05 10:00",
                             "End_DateTime": "2026-01-05T11:00:00+00:00"}]}),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 400);
    assert_eq!(bad.body["data"][0]["code"], "INVALID_DATA");
    assert_eq!(bad.body["data"][0]["details"]["api_name"], "Start_DateTime");
}

#[tokio::test]
async fn page_tokens_continue_after_the_last_record_even_when_earlier_ones_go() {
    let env = Env::start().await;
    for batch in 0..21 {
        let data: Vec<Value> = (0..100)
            .map(|i| {
                json!({"Event_Title": format!("E{batch:02}-{i:03}"),
                       "Start_DateTime": "2026-02-01T09:00:00+00:00",
                       "End_DateTime": "2026-02-01T10:00:00+00:00"})
            })
            .collect();
        let answer = env.post("/crm/v8/Events", json!({ "data": data })).await;
        assert_eq!(answer.status.as_u16(), 201, "{}", answer.body);
    }
    let mut seen = Vec::new();
    let mut token = None;
    for page in 1..=10 {
        let page = page.to_string();
        let answer = env
            .get(
                "/crm/v8/Events",
                &[
                    ("fields", "Event_Title"),
                    ("page", &page),
                    ("sort_by", "Modified_Time"),
                    ("sort_order", "asc"),
                ],
            )
            .await;
        seen.extend(ids_of(&answer));
        token = answer.body["info"]["next_page_token"]
            .as_str()
            .map(str::to_string);
    }
    assert_eq!(seen.len(), 2000);
    // Deleting records already listed must not make the rest of the listing skip any.
    let gone = seen[..50].join(",");
    env.call(Method::DELETE, "/crm/v8/Events", &[("ids", &gone)], None)
        .await
        .ok();
    let rest = env
        .get(
            "/crm/v8/Events",
            &[
                ("fields", "Event_Title"),
                ("page_token", token.as_deref().unwrap()),
            ],
        )
        .await;
    let rest_ids = ids_of(&rest);
    assert_eq!(rest_ids.len(), 100, "{}", rest.body["info"]);
    assert!(rest_ids.iter().all(|id| !seen.contains(id)));
    assert_eq!(rest.body["info"]["more_records"], false);
}
