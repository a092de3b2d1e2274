//! Deleted records: every delete path leaves an entry in `GET /{module}/deleted` with who
//! deleted what and when; `type`, paging and If-Modified-Since filter it; 204 and 304 as Zoho
//! answers them; the caller needs to be able to read the module.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Answer, Env, demo_with_grants, send};
use projectlink::sandbox::SandboxConfig;

async fn create_contacts(env: &Env, names: &[&str]) -> Vec<String> {
    let data: Vec<Value> = names
        .iter()
        .map(|n| json!({"First_Name": "Del", "Last_Name": n}))
        .collect();
    let created = env.post("/crm/v8/Contacts", json!({ "data": data })).await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    created.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["details"]["id"].as_str().unwrap().to_string())
        .collect()
}

async fn deleted_since(env: &Env, module: &str, since: &str, query: &[(&str, &str)]) -> Answer {
    send(
        env.http
            .get(env.url(&format!("/crm/v8/{module}/deleted")))
            .query(query)
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
            .header("If-Modified-Since", since),
    )
    .await
}

#[tokio::test]
async fn deletions_through_either_delete_call_are_listed_newest_first() {
    let seed = demo_with_grants(&[("1000.sam", "sam@acme.com", &["ZohoCRM.modules.ALL"])]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let none = env.get("/crm/v8/Contacts/deleted", &[]).await;
    assert_eq!(none.status.as_u16(), 204);
    assert_eq!(none.body, Value::Null);

    let ids = create_contacts(&env, &["One", "Two", "Three"]).await;
    env.call(
        Method::DELETE,
        &format!("/crm/v8/Contacts/{}", ids[0]),
        &[],
        None,
    )
    .await
    .ok();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let sam = env.token("1000.sam").await;
    let joined = format!("{},{}", ids[1], ids[2]);
    env.call_as(
        &sam,
        Method::DELETE,
        "/crm/v8/Contacts",
        &[("ids", &joined)],
        None,
    )
    .await
    .ok();

    let listed = env.get("/crm/v8/Contacts/deleted", &[]).await;
    let body = listed.ok();
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{body}");
    assert_eq!(
        body["info"],
        json!({"per_page": 200, "count": 3, "page": 1, "more_records": false})
    );
    let by_id = |id: &str| data.iter().find(|d| d["id"] == id).unwrap().clone();
    let first = by_id(&ids[0]);
    assert_eq!(first["display_name"], "Del One");
    assert_eq!(first["type"], "recycle");
    assert_eq!(first["created_by"]["name"], "Ada Admin");
    assert_eq!(first["deleted_by"]["name"], "Ada Admin");
    assert!(first["deleted_by"]["id"].is_string());
    let time = first["deleted_time"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with("+00:00"),
        "{time}"
    );
    assert_eq!(by_id(&ids[2])["deleted_by"]["name"], "Sam Seller");
    assert_eq!(
        data.last().unwrap()["id"],
        ids[0].as_str(),
        "the earliest deletion comes last"
    );
    // The records themselves are gone.
    let gone = env.get(&format!("/crm/v8/Contacts/{}", ids[1]), &[]).await;
    assert_eq!(gone.status.as_u16(), 204);
    // Other modules have their own bin.
    let events = env.get("/crm/v8/Events/deleted", &[]).await;
    assert_eq!(events.status.as_u16(), 204);
}

#[tokio::test]
async fn type_paging_and_if_modified_since_filter_the_list() {
    let env = Env::start().await;
    let ids = create_contacts(&env, &["A", "B", "C", "D", "E"]).await;
    let joined = ids.join(",");
    env.call(
        Method::DELETE,
        "/crm/v8/Contacts",
        &[("ids", &joined)],
        None,
    )
    .await
    .ok();

    let recycle = env
        .get("/crm/v8/Contacts/deleted", &[("type", "recycle")])
        .await;
    assert_eq!(recycle.ok()["data"].as_array().unwrap().len(), 5);
    let permanent = env
        .get("/crm/v8/Contacts/deleted", &[("type", "permanent")])
        .await;
    assert_eq!(
        permanent.status.as_u16(),
        204,
        "nothing has left the recycle bin yet"
    );
    env.get("/crm/v8/Contacts/deleted", &[("type", "trash")])
        .await
        .error(400, "INVALID_DATA");
    env.get("/crm/v8/Contacts/deleted", &[("per_page", "201")])
        .await
        .error(400, "INVALID_DATA");

    let mut seen = Vec::new();
    for page in ["1", "2", "3"] {
        let answer = env
            .get(
                "/crm/v8/Contacts/deleted",
                &[("per_page", "2"), ("page", page)],
            )
            .await;
        let body = answer.ok();
        assert_eq!(body["info"]["more_records"], page != "3", "{body}");
        seen.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_string()),
        );
    }
    seen.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected);
    let past_the_end = env
        .get(
            "/crm/v8/Contacts/deleted",
            &[("per_page", "2"), ("page", "4")],
        )
        .await;
    assert_eq!(past_the_end.status.as_u16(), 204);

    let future = deleted_since(&env, "Contacts", "2099-01-01T00:00:00+00:00", &[]).await;
    assert_eq!(future.status.as_u16(), 304);
    assert_eq!(future.body, Value::Null);
    let past = deleted_since(&env, "Contacts", "2000-01-01T00:00:00+01:00", &[]).await;
    assert_eq!(past.ok()["data"].as_array().unwrap().len(), 5);
    // A deletion in the same second as If-Modified-Since is included (at or after).
    let at = past.body["data"][0]["deleted_time"]
        .as_str()
        .unwrap()
        .to_string();
    let same_second = deleted_since(&env, "Contacts", &at, &[]).await;
    let newest = &past.body["data"][0]["id"];
    assert!(
        same_second.ok()["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| &d["id"] == newest)
    );
}

#[tokio::test]
async fn reading_deletions_needs_read_access_to_the_module() {
    let seed = demo_with_grants(&[
        ("1000.sam", "sam@acme.com", &["ZohoCRM.modules.ALL"]),
        (
            "1000.sam-deals",
            "sam@acme.com",
            &["ZohoCRM.modules.deals.READ"],
        ),
    ]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let sam = env.token("1000.sam").await;
    env.call_as(&sam, Method::GET, "/crm/v8/Cases/deleted", &[], None)
        .await
        .error(403, "NO_PERMISSION");
    let deals_only = env.token("1000.sam-deals").await;
    env.call_as(
        &deals_only,
        Method::GET,
        "/crm/v8/Contacts/deleted",
        &[],
        None,
    )
    .await
    .error(401, "OAUTH_SCOPE_MISMATCH");
    let allowed = env
        .call_as(&deals_only, Method::GET, "/crm/v8/Deals/deleted", &[], None)
        .await;
    assert_eq!(allowed.status.as_u16(), 204);
    env.get("/crm/v8/Spaceships/deleted", &[])
        .await
        .error(400, "INVALID_MODULE");
}
