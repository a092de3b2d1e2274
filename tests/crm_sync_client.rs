//! The CRM client's sync reads against the sandbox over HTTP: records changed since a time,
//! records by id across several calls, deletions since a time, and the `Modified_Time` every
//! write reports.

#[path = "sandbox_crm/support.rs"]
mod support;

use chrono::{DateTime, Duration, Utc};
use projectlink::zoho::crm::Record;
use projectlink::zoho::{
    ClientOptions, Credentials, CrmApi, Endpoints, ZohoClients, ZohoCredentials,
};
use serde_json::{Value, json};
use support::{ADMIN_REFRESH, CLIENT_ID, CLIENT_SECRET, Env};

fn clients(env: &Env) -> ZohoClients {
    let creds = ZohoCredentials {
        crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, ADMIN_REFRESH),
        portal: None,
    };
    let url = reqwest::Url::parse(&env.sandbox.url).unwrap();
    ZohoClients::connect(&Endpoints::single(url), &creds, &ClientOptions::default()).unwrap()
}

fn event(title: &str, start_hour: u32) -> Record {
    json!({
        "Event_Title": title,
        "Start_DateTime": format!("2026-03-02T{start_hour:02}:00:00+00:00"),
        "End_DateTime": format!("2026-03-02T{:02}:30:00+00:00", start_hour),
        "Venue": "Room 1",
    })
    .as_object()
    .unwrap()
    .clone()
}

fn ids(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

async fn insert_events(crm: &impl CrmApi, titles: &[String]) -> Vec<(String, DateTime<Utc>)> {
    let records: Vec<Record> = titles.iter().map(|t| event(t, 9)).collect();
    crm.insert_records("Events", &records)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let outcome = r.unwrap();
            (outcome.id, outcome.modified_time.expect("Modified_Time"))
        })
        .collect()
}

#[tokio::test]
async fn changed_records_are_listed_since_a_write_s_modified_time() {
    let env = Env::start().await;
    let crm = clients(&env).crm;
    let first = insert_events(&crm, &["Early".to_string()]).await;
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let titles: Vec<String> = (0..3).map(|i| format!("Late {i}")).collect();
    let later = insert_events(&crm, &titles).await;
    let since = later[0].1;
    assert!(since > first[0].1);

    let everything = crm
        .records_modified_since("Events", &["Event_Title"], None)
        .await
        .unwrap();
    assert_eq!(everything.len(), 4);
    assert_eq!(
        everything[0]["id"],
        first[0].0.as_str(),
        "oldest change first"
    );
    assert!(everything.iter().all(|r| r["Modified_Time"].is_string()));

    let changed = crm
        .records_modified_since("Events", &["Event_Title", "Venue"], Some(since))
        .await
        .unwrap();
    let mut got = ids(&changed);
    got.sort();
    let mut expected: Vec<String> = later.iter().map(|(id, _)| id.clone()).collect();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(changed[0]["Venue"], "Room 1");

    let none = crm
        .records_modified_since(
            "Events",
            &["Event_Title"],
            Some(since + Duration::seconds(1)),
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "304 is an empty result");

    // An update's reported Modified_Time is the record's, and brings it back into the window.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let mut change = Record::new();
    change.insert("id".into(), json!(first[0].0));
    change.insert("Venue".into(), json!("Online"));
    let updated = crm.update_records("Events", &[change]).await.unwrap();
    let stamp = updated[0].as_ref().unwrap().modified_time.unwrap();
    assert!(stamp > since);
    let again = crm
        .records_modified_since("Events", &["Venue"], Some(stamp))
        .await
        .unwrap();
    assert_eq!(ids(&again), vec![first[0].0.clone()]);
    assert_eq!(
        again[0]["Modified_Time"].as_str().unwrap(),
        stamp.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    );
    crm.records_modified_since("Events", &[], None)
        .await
        .unwrap_err();
}

#[tokio::test]
async fn records_are_read_by_id_in_calls_of_one_hundred() {
    let env = Env::start().await;
    let crm = clients(&env).crm;
    let mut created = Vec::new();
    for batch in 0..3 {
        let titles: Vec<String> = (0..90).map(|i| format!("By id {batch}-{i}")).collect();
        created.extend(
            insert_events(&crm, &titles)
                .await
                .into_iter()
                .map(|(id, _)| id),
        );
    }
    let mut wanted: Vec<String> = created.iter().rev().cloned().collect();
    wanted.insert(5, "4876876999999999999".to_string());
    wanted.push(created[0].clone());
    let before = env.sandbox.counters.get("GET /crm/v8/{module}");
    let found = crm
        .records_by_ids("Events", &wanted, &["Event_Title"])
        .await
        .unwrap();
    assert_eq!(env.sandbox.counters.get("GET /crm/v8/{module}") - before, 3);
    let expected: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(
        ids(&found),
        expected,
        "in the order asked, unknown ids left out"
    );
    assert_eq!(
        found[0].as_object().unwrap().keys().collect::<Vec<_>>(),
        vec!["id", "Event_Title"]
    );
    let whole = crm
        .records_by_ids("Events", &created[..1], &[])
        .await
        .unwrap();
    assert!(whole[0].get("Start_DateTime").is_some() && whole[0].get("Tag").is_some());
    assert!(
        crm.records_by_ids("Events", &[], &["Event_Title"])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        crm.records_by_ids("Events", &["1,2".to_string()], &[])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn deletions_are_listed_since_a_time() {
    let env = Env::start().await;
    let crm = clients(&env).crm;
    let titles: Vec<String> = (0..3).map(|i| format!("Doomed {i}")).collect();
    let created: Vec<String> = insert_events(&crm, &titles)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(
        crm.deleted_records("Events", None)
            .await
            .unwrap()
            .is_empty()
    );
    let before = Utc::now() - Duration::seconds(1);
    let results = crm.delete_records("Events", &created[..2]).await.unwrap();
    assert!(results.iter().all(Result::is_ok));

    let deleted = crm.deleted_records("Events", Some(before)).await.unwrap();
    let mut got: Vec<String> = deleted.iter().map(|d| d.id.clone()).collect();
    got.sort();
    let mut expected = created[..2].to_vec();
    expected.sort();
    assert_eq!(got, expected);
    assert!(deleted.iter().all(|d| {
        d.deleted_time.is_some_and(|t| t >= before)
            && d.display_name
                .as_deref()
                .is_some_and(|n| n.starts_with("Doomed"))
    }));
    let later = crm
        .deleted_records("Events", Some(Utc::now() + Duration::seconds(5)))
        .await
        .unwrap();
    assert!(later.is_empty(), "304 is an empty result");
    assert_eq!(crm.deleted_records("Events", None).await.unwrap().len(), 2);
}
