//! Records, search, count, and the limit and fault errors against record.json,
//! module_search.json and common.json.

use std::time::Duration;

use projectlink::sandbox::SandboxConfig;
use projectlink::sandbox::limits::{FaultConfig, FaultKind};
use reqwest::Method;
use serde_json::{Value, json};

use super::checker::{Checker, first_id};
use super::support::{self, Env, demo_with_grants};

#[tokio::test]
async fn records_search_and_count_match_the_oas() {
    let mut c = Checker::new();
    let seed = demo_with_grants(&[("1000.sam", "sam@acme.com", &["ZohoCRM.modules.ALL"])]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let r = "record.json";
    let list = "/crm/v8/{module_api_name}";
    let item = "/crm/v8/{module_api_name}/{id}";

    let deals = env
        .get(
            "/crm/v8/Deals",
            &[
                ("fields", "Deal_Name,Stage,Account_Name,Owner,Amount"),
                ("per_page", "2"),
            ],
        )
        .await;
    c.check(r, list, "GET", &deals, None);
    for query in [
        vec![],
        vec![("fields", "Event_Title")],
        vec![("fields", "Deal_Name"), ("per_page", "300")],
    ] {
        let path = if query.first().is_some_and(|(_, v)| *v == "Event_Title") {
            "/crm/v8/Events"
        } else {
            "/crm/v8/Deals"
        };
        c.check(r, list, "GET", &env.get(path, &query).await, None);
    }
    let unknown = env.get("/crm/v8/Spaceships", &[("fields", "Name")]).await;
    c.check(r, list, "GET", &unknown, None);
    let deep = env
        .get("/crm/v8/Deals", &[("fields", "Deal_Name"), ("page", "11")])
        .await;
    c.check(
        r,
        list,
        "GET",
        &deep,
        Some("DISCRETE_PAGINATION_LIMIT_EXCEEDED is not among record.json's error codes"),
    );
    let not_modified = support::send(
        env.http
            .get(env.url("/crm/v8/Deals"))
            .query(&[("fields", "Deal_Name")])
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
            .header("If-Modified-Since", "2099-01-01T00:00:00+00:00"),
    )
    .await;
    c.check(r, list, "GET", &not_modified, None);

    let bowman = env
        .record_id("Accounts", "Account_Name", "Bowman Furniture Inc.")
        .await;
    let created = env
        .post(
            "/crm/v8/Deals",
            json!({"data": [{"Deal_Name": "Contract deal", "Stage": "Qualification",
                             "Account_Name": {"id": bowman}, "Amount": 1000.5}]}),
        )
        .await;
    c.check(r, list, "POST", &created, None);
    let deal = first_id(&created, "data");
    let mixed = env
        .post(
            "/crm/v8/Deals",
            json!({"data": [{"Deal_Name": "Fine", "Stage": "Qualification"}, {"Deal_Name": "No stage"},
                            {"Deal_Name": 7, "Stage": "Qualification"}]}),
        )
        .await;
    c.check(r, list, "POST", &mixed, None);
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"Deal_Name": format!("D{i}")}))
        .collect();
    let limit = env.post("/crm/v8/Deals", json!({"data": too_many})).await;
    c.check(r, list, "POST", &limit, None);
    let malformed = env
        .raw(Method::POST, "/crm/v8/Deals", &[], "{\"data\":")
        .await;
    c.check(r, list, "POST", &malformed, None);
    let updated = env
        .put(
            "/crm/v8/Deals",
            json!({"data": [{"id": deal, "Amount": 2000}]}),
        )
        .await;
    c.check(r, list, "PUT", &updated, None);
    let update_one = env
        .put(
            &format!("/crm/v8/Deals/{deal}"),
            json!({"data": [{"Stage": "Closed Won"}]}),
        )
        .await;
    c.check(r, item, "PUT", &update_one, None);
    let update_missing = env
        .put(
            "/crm/v8/Deals/4876876999999999999",
            json!({"data": [{"Stage": "Closed Won"}]}),
        )
        .await;
    c.check(r, item, "PUT", &update_missing, None);
    let one = env.get(&format!("/crm/v8/Deals/{deal}"), &[]).await;
    c.check(r, item, "GET", &one, None);
    let absent = env.get("/crm/v8/Deals/4876876999999999999", &[]).await;
    c.check(r, item, "GET", &absent, None);
    let upsert = env
        .post(
            "/crm/v8/Contacts/upsert",
            json!({"data": [{"Last_Name": "Bowman", "Email": "jane@bowman.example", "Title": "COO"},
                            {"Last_Name": "Fresh", "Email": "fresh@new.example"}]}),
        )
        .await;
    c.check(r, "/crm/v8/{module_api_name}/upsert", "POST", &upsert, None);
    let sam = env.token("1000.sam").await;
    let denied = env
        .call_as(
            &sam,
            Method::DELETE,
            &format!("/crm/v8/Deals/{deal}"),
            &[],
            None,
        )
        .await;
    c.check(r, item, "DELETE", &denied, None);
    let deleted = env
        .call(Method::DELETE, &format!("/crm/v8/Deals/{deal}"), &[], None)
        .await;
    c.check(r, item, "DELETE", &deleted, None);
    let fresh = first_id(&upsert, "data");
    let delete_many = env
        .call(
            Method::DELETE,
            "/crm/v8/Contacts",
            &[("ids", format!("{fresh},4876876999999999999").as_str())],
            None,
        )
        .await;
    c.check(r, list, "DELETE", &delete_many, None);
    let no_ids = env
        .call(Method::DELETE, "/crm/v8/Contacts", &[], None)
        .await;
    c.check(r, list, "DELETE", &no_ids, None);

    let s = "module_search.json";
    let search = "/crm/v8/{module}/search";
    for query in [
        vec![("email", "jane@bowman.example")],
        vec![(
            "criteria",
            "((Last_Name:equals:Bowman)and(First_Name:starts_with:J))",
        )],
        vec![("word", "bowman")],
        vec![("email", "nobody@nowhere.example")],
        vec![],
        vec![("criteria", "(Email:between:a)")],
        vec![("criteria", "(Email:equals:a")],
    ] {
        let answer = env.get("/crm/v8/Contacts/search", &query).await;
        c.check(s, search, "GET", &answer, None);
    }
    let bad_module = env.get("/crm/v8/Nope/search", &[("word", "xy")]).await;
    c.check(s, search, "GET", &bad_module, None);
    let beyond = env
        .get(
            "/crm/v8/Contacts/search",
            &[("word", "bowman"), ("page", "11")],
        )
        .await;
    c.check(
        s,
        search,
        "GET",
        &beyond,
        Some("LIMIT_REACHED (past the 2,000-result cap) is not among module_search.json's errors"),
    );
    let count = env.get("/crm/v8/Contacts/actions/count", &[]).await;
    c.check(
        r,
        "/crm/v8/{module_api_name}/actions/count",
        "GET",
        &count,
        None,
    );
    let count_some = env
        .get(
            "/crm/v8/Deals/actions/count",
            &[("criteria", "(Stage:equals:Closed Won)")],
        )
        .await;
    c.check(
        r,
        "/crm/v8/{module_api_name}/actions/count",
        "GET",
        &count_some,
        None,
    );

    c.finish();
}

#[tokio::test]
async fn limit_and_fault_errors_match_the_oas() {
    let mut c = Checker::new();
    let limited = Env::start_with(SandboxConfig {
        credits_per_day: Some(1),
        ..SandboxConfig::default()
    })
    .await;
    limited.get("/crm/v8/org", &[]).await;
    let too_many = limited
        .get("/crm/v8/Deals", &[("fields", "Deal_Name")])
        .await;
    assert_eq!(too_many.status.as_u16(), 429);
    c.check(
        "record.json",
        "/crm/v8/{module_api_name}",
        "GET",
        &too_many,
        None,
    );

    let faulty = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::ServerError],
        },
        fault_hold: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    let users = faulty.get("/crm/v8/users", &[]).await;
    assert_eq!(users.status.as_u16(), 500);
    c.check("users.json", "/crm/v8/users", "GET", &users, None);
    let records = faulty
        .get("/crm/v8/Deals", &[("fields", "Deal_Name")])
        .await;
    c.check(
        "record.json",
        "/crm/v8/{module_api_name}",
        "GET",
        &records,
        None,
    );

    let env = Env::start().await;
    let no_route = env.get("/crm/v8/settings/nowhere", &[]).await;
    assert_eq!(no_route.status.as_u16(), 404);
    c.check("org.json", "/crm/v8/org", "GET", &no_route, None);
    let wrong_method = env.call(Method::PATCH, "/crm/v8/org", &[], None).await;
    c.check("org.json", "/crm/v8/org", "GET", &wrong_method, None);
    c.finish();
}

#[tokio::test]
async fn deleted_records_and_changed_since_listings_match_the_oas() {
    let mut c = Checker::new();
    let env = Env::start().await;
    let r = "record.json";
    let deleted = "/crm/v8/{module_api_name}/deleted";
    let list = "/crm/v8/{module_api_name}";

    let empty = env.get("/crm/v8/Contacts/deleted", &[]).await;
    assert_eq!(empty.status.as_u16(), 204);
    c.check(r, deleted, "GET", &empty, None);
    let created = env
        .post(
            "/crm/v8/Contacts",
            json!({"data": [{"Last_Name": "Gone", "Tag": [{"name": "Imported"}]},
                            {"Last_Name": "Also gone"}]}),
        )
        .await;
    c.check(r, list, "POST", &created, None);
    let ids: Vec<String> = created.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["details"]["id"].as_str().unwrap().to_string())
        .collect();
    let tagged = env
        .get(
            "/crm/v8/Contacts",
            &[("ids", ids.join(",").as_str()), ("fields", "Last_Name,Tag")],
        )
        .await;
    c.check(r, list, "GET", &tagged, None);
    env.call(
        Method::DELETE,
        "/crm/v8/Contacts",
        &[("ids", ids.join(",").as_str())],
        None,
    )
    .await;
    for query in [
        vec![],
        vec![("type", "recycle"), ("per_page", "1")],
        vec![("type", "permanent")],
        vec![("type", "trash")],
    ] {
        let answer = env.get("/crm/v8/Contacts/deleted", &query).await;
        c.check(r, deleted, "GET", &answer, None);
    }
    let listed = env.get("/crm/v8/Contacts/deleted", &[]).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);
    // record.json's API_Exception alternative accepts nearly any body, so the success shape
    // is also checked on its own, and a body that breaks it must fail.
    let wrapper = "/components/schemas/Deleted_Records_Wrapper";
    if let Err(errors) = c.oas.validate(r, wrapper, &listed.body) {
        panic!("{wrapper}: {errors:?}\n{}", listed.body);
    }
    let mut broken = listed.body.clone();
    broken["data"][0]["deleted_by"] = json!({"id": 7});
    assert!(c.oas.validate(r, wrapper, &broken).is_err());
    for since in ["2000-01-01T00:00:00+00:00", "2099-01-01T00:00:00+00:00"] {
        let answer = support::send(
            env.http
                .get(env.url("/crm/v8/Contacts/deleted"))
                .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
                .header("If-Modified-Since", since),
        )
        .await;
        c.check(r, deleted, "GET", &answer, None);
        let changed = support::send(
            env.http
                .get(env.url("/crm/v8/Contacts"))
                .query(&[("fields", "Last_Name,Modified_Time")])
                .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
                .header("If-Modified-Since", since),
        )
        .await;
        c.check(r, list, "GET", &changed, None);
    }
    let unknown = env.get("/crm/v8/Spaceships/deleted", &[]).await;
    c.check(r, deleted, "GET", &unknown, None);
    c.finish();
}
