//! Records: CRUD with Zoho's envelopes, lookups, audit fields, the write and paging limits,
//! upsert, and Zoho's error bodies for bad input.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Env, demo_with_grants};
use projectlink::sandbox::SandboxConfig;

#[tokio::test]
async fn a_record_is_created_read_updated_and_deleted() {
    let env = Env::start().await;
    let bowman = env
        .record_id("Accounts", "Account_Name", "Bowman Furniture Inc.")
        .await;
    let created = env
        .post(
            "/crm/v8/Contacts",
            json!({"data": [{"First_Name": "Kim", "Last_Name": "Bowman",
                             "Email": "kim@bowman.example", "Account_Name": {"id": bowman}}],
                   "trigger": []}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    let item = &created.body["data"][0];
    assert_eq!(item["code"], "SUCCESS");
    assert_eq!(item["message"], "record added");
    assert_eq!(item["status"], "success");
    let id = item["details"]["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 19);
    assert!(id.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(item["details"]["Created_By"]["name"], "Ada Admin");
    let created_time = item["details"]["Created_Time"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(created_time.ends_with("+00:00"), "{created_time}");

    let read = env.get(&format!("/crm/v8/Contacts/{id}"), &[]).await;
    let record = &read.ok()["data"][0];
    assert_eq!(record["Full_Name"], "Kim Bowman");
    assert_eq!(
        record["Account_Name"],
        json!({"name": "Bowman Furniture Inc.", "id": bowman})
    );
    assert_eq!(record["Owner"]["email"], "admin@acme.com");
    assert_eq!(record["Created_Time"], created_time.as_str());

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let updated = env
        .put(
            &format!("/crm/v8/Contacts/{id}"),
            json!({"data": [{"Title": "Buyer"}]}),
        )
        .await;
    assert_eq!(updated.ok()["data"][0]["message"], "record updated");
    let read = env
        .get(
            &format!("/crm/v8/Contacts/{id}"),
            &[("fields", "Title,Modified_Time")],
        )
        .await;
    let record = &read.ok()["data"][0];
    assert_eq!(record["Title"], "Buyer");
    assert!(
        record.get("Email").is_none(),
        "only the requested fields: {record}"
    );
    assert!(record["Modified_Time"].as_str().unwrap() > created_time.as_str());

    let deleted = env
        .call(Method::DELETE, &format!("/crm/v8/Contacts/{id}"), &[], None)
        .await;
    assert_eq!(deleted.ok()["data"][0]["message"], "record deleted");
    let gone = env.get(&format!("/crm/v8/Contacts/{id}"), &[]).await;
    assert_eq!(gone.status.as_u16(), 204);
    assert_eq!(env.sandbox.counters.get("GET /crm/v8/{module}/{id}"), 3);
    assert_eq!(env.sandbox.counters.get("POST /crm/v8/{module}"), 1);
}

#[tokio::test]
async fn listing_requires_fields_and_pages_within_the_limits() {
    let env = Env::start().await;
    env.get("/crm/v8/Deals", &[])
        .await
        .error(400, "REQUIRED_PARAM_MISSING");
    let listed = env
        .get(
            "/crm/v8/Deals",
            &[("fields", "Deal_Name,Stage"), ("per_page", "2")],
        )
        .await;
    let body = listed.ok();
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["info"]["per_page"], 2);
    assert_eq!(body["info"]["count"], 2);
    assert_eq!(body["info"]["page"], 1);
    assert_eq!(body["info"]["more_records"], true);
    assert!(body["info"]["next_page_token"].is_string());
    assert_eq!(
        body["data"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        vec!["id", "Deal_Name", "Stage"]
    );
    env.get(
        "/crm/v8/Deals",
        &[("fields", "Deal_Name"), ("per_page", "201")],
    )
    .await
    .error(400, "INVALID_DATA");
    env.get(
        "/crm/v8/Deals",
        &[("fields", "Deal_Name"), ("per_page", "200"), ("page", "11")],
    )
    .await
    .error(400, "DISCRETE_PAGINATION_LIMIT_EXCEEDED");
    let empty = env
        .get("/crm/v8/Events", &[("fields", "Event_Title")])
        .await;
    assert_eq!(empty.status.as_u16(), 204);
    assert_eq!(empty.body, Value::Null);
}

#[tokio::test]
async fn page_tokens_reach_past_the_first_two_thousand_records() {
    let env = Env::start().await;
    for batch in 0..21 {
        let data: Vec<Value> = (0..100)
            .map(|i| json!({"Product_Name": format!("Part {batch:02}-{i:03}")}))
            .collect();
        let answer = env.post("/crm/v8/Products", json!({"data": data})).await;
        assert_eq!(answer.status.as_u16(), 201, "{}", answer.body);
    }
    let mut seen = std::collections::HashSet::new();
    let mut token: Option<String> = None;
    for page in 1..=10 {
        let page = page.to_string();
        let answer = env
            .get(
                "/crm/v8/Products",
                &[
                    ("fields", "Product_Name"),
                    ("per_page", "200"),
                    ("page", &page),
                    ("sort_order", "asc"),
                ],
            )
            .await;
        let body = answer.ok();
        for r in body["data"].as_array().unwrap() {
            seen.insert(r["id"].as_str().unwrap().to_string());
        }
        token = body["info"]["next_page_token"].as_str().map(str::to_string);
    }
    assert_eq!(seen.len(), 2_000);
    let token = token.expect("a token after page 10");
    let answer = env
        .get(
            "/crm/v8/Products",
            &[
                ("fields", "Product_Name"),
                ("per_page", "200"),
                ("page_token", &token),
            ],
        )
        .await;
    let body = answer.ok();
    for r in body["data"].as_array().unwrap() {
        assert!(
            seen.insert(r["id"].as_str().unwrap().to_string()),
            "no repeats"
        );
    }
    assert_eq!(
        seen.len(),
        2_101,
        "21 × 100 created plus the seeded product"
    );
    assert_eq!(body["info"]["more_records"], false);
    env.get(
        "/crm/v8/Products",
        &[("fields", "Product_Name"), ("page_token", "garbage")],
    )
    .await
    .error(400, "INVALID_DATA");
}

#[tokio::test]
async fn writes_take_at_most_one_hundred_records() {
    let env = Env::start().await;
    let data: Vec<Value> = (0..101)
        .map(|i| json!({"Campaign_Name": format!("C{i}")}))
        .collect();
    for (method, path) in [
        (Method::POST, "/crm/v8/Campaigns"),
        (Method::PUT, "/crm/v8/Campaigns"),
        (Method::POST, "/crm/v8/Campaigns/upsert"),
    ] {
        let answer = env
            .call(method, path, &[], Some(json!({"data": data.clone()})))
            .await;
        let body = answer.error(400, "LIMIT_EXCEEDED");
        assert_eq!(body["details"]["limit"], 100);
    }
    let ids: Vec<String> = (0..101)
        .map(|i| format!("{}", 4_876_876_000_000_000_000u64 + i))
        .collect();
    let joined = ids.join(",");
    env.call(
        Method::DELETE,
        "/crm/v8/Campaigns",
        &[("ids", &joined)],
        None,
    )
    .await
    .error(400, "LIMIT_EXCEEDED");
}

#[tokio::test]
async fn a_mixed_batch_answers_207_with_results_in_input_order() {
    let env = Env::start().await;
    let answer = env
        .post(
            "/crm/v8/Deals",
            json!({"data": [
                {"Deal_Name": "Good one", "Stage": "Qualification"},
                {"Deal_Name": "No stage"},
                {"Deal_Name": "Bad amount", "Stage": "Qualification", "Amount": "lots"},
                {"Deal_Name": "Another good", "Stage": "Closed Won", "Closing_Date": "2026-07-01"}
            ]}),
        )
        .await;
    assert_eq!(answer.status.as_u16(), 207, "{}", answer.body);
    let items = answer.body["data"].as_array().unwrap();
    assert_eq!(items[0]["code"], "SUCCESS");
    assert_eq!(items[1]["code"], "MANDATORY_NOT_FOUND");
    assert_eq!(
        items[1]["details"],
        json!({"api_name": "Stage", "json_path": "$.data[1].Stage"})
    );
    assert_eq!(items[2]["code"], "INVALID_DATA");
    assert_eq!(items[2]["details"]["expected_data_type"], "double");
    assert_eq!(items[2]["details"]["api_name"], "Amount");
    assert_eq!(items[2]["details"]["json_path"], "$.data[2].Amount");
    assert_eq!(items[3]["code"], "SUCCESS");

    let all_bad = env
        .post(
            "/crm/v8/Deals",
            json!({"data": [{"Stage": "Qualification"}]}),
        )
        .await;
    assert_eq!(all_bad.status.as_u16(), 400);
    assert_eq!(all_bad.body["data"][0]["code"], "MANDATORY_NOT_FOUND");
}

#[tokio::test]
async fn bad_input_gets_zoho_error_bodies() {
    let env = Env::start().await;
    let malformed = env
        .raw(Method::POST, "/crm/v8/Deals", &[], "{\"data\": [")
        .await;
    malformed.error(400, "INVALID_DATA");
    let not_object = env.raw(Method::POST, "/crm/v8/Deals", &[], "[1,2]").await;
    not_object.error(400, "INVALID_DATA");
    let empty = env.raw(Method::POST, "/crm/v8/Deals", &[], "").await;
    empty.error(400, "INVALID_DATA");
    env.post("/crm/v8/Deals", json!({"records": []}))
        .await
        .error(400, "MANDATORY_NOT_FOUND");
    let wrong_wrapper = env
        .post("/crm/v8/Deals", json!({"data": {"Deal_Name": "x"}}))
        .await;
    assert_eq!(
        wrong_wrapper.error(400, "INVALID_DATA")["details"]["expected_data_type"],
        "jsonarray"
    );
    let unknown = env.get("/crm/v8/Spaceships", &[("fields", "Name")]).await;
    assert_eq!(
        unknown.error(400, "INVALID_MODULE")["details"]["resource_path_index"],
        0
    );
    env.post("/crm/v8/Spaceships", json!({"data": [{}]}))
        .await
        .error(400, "INVALID_MODULE");
    let not_an_item = env.post("/crm/v8/Deals", json!({"data": ["x"]})).await;
    assert_eq!(not_an_item.body["data"][0]["code"], "INVALID_DATA");
    let types = env
        .post(
            "/crm/v8/Deals",
            json!({"data": [{"Deal_Name": 42, "Stage": "Qualification"},
                            {"Deal_Name": "x", "Stage": "Qualification", "Closing_Date": "31/12/2026"},
                            {"Deal_Name": "y", "Stage": "Qualification", "Account_Name": {"id": "123"}},
                            {"Deal_Name": "z", "Stage": "Qualification", "Probability": 1.5}]}),
        )
        .await;
    assert_eq!(types.status.as_u16(), 400);
    for (i, field) in ["Deal_Name", "Closing_Date", "Account_Name", "Probability"]
        .iter()
        .enumerate()
    {
        let item = &types.body["data"][i];
        assert_eq!(item["code"], "INVALID_DATA", "{item}");
        assert_eq!(item["details"]["api_name"], *field, "{item}");
    }
    let missing = env.get("/crm/v8/Deals/4876876999999999999", &[]).await;
    assert_eq!(missing.status.as_u16(), 204);
    let bad_update = env
        .put("/crm/v8/Deals", json!({"data": [{"Deal_Name": "no id"}]}))
        .await;
    assert_eq!(bad_update.body["data"][0]["code"], "MANDATORY_NOT_FOUND");
    let unknown_id = env
        .put(
            "/crm/v8/Deals/4876876999999999999",
            json!({"data": [{"Deal_Name": "x"}]}),
        )
        .await;
    assert_eq!(unknown_id.status.as_u16(), 400);
    assert_eq!(
        unknown_id.body["data"][0]["details"]["id"],
        "4876876999999999999"
    );
    let no_route = env.get("/crm/v8/settings/nothing_here", &[]).await;
    no_route.error(404, "INVALID_URL_PATTERN");
    let wrong_method = env.call(Method::PATCH, "/crm/v8/org", &[], None).await;
    wrong_method.error(405, "INVALID_REQUEST_METHOD");
}

#[tokio::test]
async fn upsert_matches_on_the_default_or_given_duplicate_check_fields() {
    let env = Env::start().await;
    let answer = env
        .post(
            "/crm/v8/Contacts/upsert",
            json!({"data": [
                {"Last_Name": "Bowman", "Email": "JANE@bowman.example", "Title": "COO"},
                {"Last_Name": "New", "Email": "new@person.example"}
            ]}),
        )
        .await;
    let items = answer.ok()["data"].as_array().unwrap().clone();
    assert_eq!(items[0]["action"], "update");
    assert_eq!(items[0]["duplicate_field"], "Email");
    assert_eq!(items[1]["action"], "insert");
    // Upsert writes the given values, the email's spelling included.
    let jane = env
        .record_id("Contacts", "Email", "JANE@bowman.example")
        .await;
    assert_eq!(items[0]["details"]["id"], jane.as_str());
    let read = env.get(&format!("/crm/v8/Contacts/{jane}"), &[]).await;
    assert_eq!(read.body["data"][0]["Title"], "COO");

    let by_name = env
        .post(
            "/crm/v8/Accounts/upsert",
            json!({"data": [{"Account_Name": "Initech", "Phone": "555-0100"}],
                   "duplicate_check_fields": ["Account_Name"]}),
        )
        .await;
    assert_eq!(by_name.ok()["data"][0]["action"], "update");
    let bad_field = env
        .post(
            "/crm/v8/Accounts/upsert",
            json!({"data": [{"Account_Name": "X"}], "duplicate_check_fields": ["Nope"]}),
        )
        .await;
    bad_field.error(400, "INVALID_DATA");
}

#[tokio::test]
async fn if_modified_since_filters_and_answers_304_when_nothing_changed() {
    let env = Env::start().await;
    let future = "2099-01-01T00:00:00+00:00";
    let answer = env
        .http
        .get(env.url("/crm/v8/Accounts"))
        .query(&[("fields", "Account_Name")])
        .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
        .header("If-Modified-Since", future)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 304);
    let past = env
        .http
        .get(env.url("/crm/v8/Accounts"))
        .query(&[("fields", "Account_Name")])
        .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
        .header("If-Modified-Since", "2000-01-01T00:00:00+00:00")
        .send()
        .await
        .unwrap();
    assert_eq!(past.status().as_u16(), 200);
}

#[tokio::test]
async fn profiles_decide_what_a_user_may_do_with_records() {
    let seed = demo_with_grants(&[("1000.sam", "sam@acme.com", &["ZohoCRM.modules.ALL"])]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let sam = env.token("1000.sam").await;
    let deal = env
        .record_id("Deals", "Deal_Name", "Umbrella Renewal")
        .await;
    env.call_as(
        &sam,
        Method::GET,
        &format!("/crm/v8/Deals/{deal}"),
        &[],
        None,
    )
    .await
    .ok();
    let denied = env
        .call_as(
            &sam,
            Method::DELETE,
            &format!("/crm/v8/Deals/{deal}"),
            &[],
            None,
        )
        .await;
    assert_eq!(
        denied.error(403, "NO_PERMISSION")["details"]["permissions"],
        json!(["Crm_Implied_Delete_Potentials"])
    );
    env.call_as(
        &sam,
        Method::GET,
        "/crm/v8/Cases",
        &[("fields", "Subject")],
        None,
    )
    .await
    .error(403, "NO_PERMISSION");
}

#[tokio::test]
async fn unique_fields_reject_duplicates_and_lookups_render_current_names() {
    let env = Env::start().await;
    let created = env
        .post(
            "/crm/v8/settings/fields?module=Accounts",
            json!({"fields": [{"field_label": "Projects Client Id", "data_type": "text", "unique": {}}]}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    let first = env
        .post(
            "/crm/v8/Accounts",
            json!({"data": [{"Account_Name": "A1", "Projects_Client_Id": "77"}]}),
        )
        .await;
    let first_id = first.ok()["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dup = env
        .post(
            "/crm/v8/Accounts",
            json!({"data": [{"Account_Name": "A2", "Projects_Client_Id": "77"}]}),
        )
        .await;
    let item = &dup.body["data"][0];
    assert_eq!(item["code"], "DUPLICATE_DATA", "{item}");
    assert_eq!(item["details"]["api_name"], "Projects_Client_Id");
    assert_eq!(item["details"]["duplicate_record"]["id"], first_id.as_str());

    let contact = env
        .post(
            "/crm/v8/Contacts",
            json!({"data": [{"Last_Name": "L", "Account_Name": {"id": first_id}}]}),
        )
        .await;
    let contact_id = contact.ok()["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.put(
        &format!("/crm/v8/Accounts/{first_id}"),
        json!({"data": [{"Account_Name": "Renamed"}]}),
    )
    .await
    .ok();
    let read = env
        .get(&format!("/crm/v8/Contacts/{contact_id}"), &[])
        .await;
    assert_eq!(read.body["data"][0]["Account_Name"]["name"], "Renamed");
    env.call(
        Method::DELETE,
        "/crm/v8/Accounts",
        &[("ids", first_id.as_str())],
        None,
    )
    .await
    .ok();
    let read = env
        .get(&format!("/crm/v8/Contacts/{contact_id}"), &[])
        .await;
    assert_eq!(read.body["data"][0]["Account_Name"], Value::Null);
}

#[tokio::test]
async fn the_demo_org_holds_the_cases_that_must_not_map() {
    let env = Env::start().await;
    let accounts = env
        .get("/crm/v8/Accounts", &[("fields", "Account_Name")])
        .await;
    let names: Vec<&str> = accounts.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["Account_Name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names.iter().filter(|n| **n == "Northwind Traders").count(),
        2
    );
    assert!(names.contains(&"Bowman Furniture Inc."));
    assert!(!names.iter().any(|n| n.contains("Globex")));
    let won = env
        .get(
            "/crm/v8/Deals/search",
            &[("criteria", "(Stage:equals:Closed Won)")],
        )
        .await;
    assert!(won.ok()["data"].as_array().unwrap().len() >= 2);
    let fields = env
        .get("/crm/v8/settings/fields", &[("module", "Deals")])
        .await;
    assert!(
        fields.ok()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["api_name"] == "Project_Status__c" && f["custom_field"] == true)
    );
}

#[tokio::test]
async fn a_full_batch_of_long_records_is_accepted() {
    let env = Env::start().await;
    let description = "x".repeat(30_000);
    let data: Vec<Value> = (0..100)
        .map(|i| json!({"Campaign_Name": format!("Long {i}"), "Description": description}))
        .collect();
    let answer = env.post("/crm/v8/Campaigns", json!({"data": data})).await;
    assert_eq!(answer.status.as_u16(), 201, "{}", answer.body);
    let too_long = env
        .post(
            "/crm/v8/Campaigns",
            json!({"data": [{"Campaign_Name": "x".repeat(256)}]}),
        )
        .await;
    assert_eq!(too_long.body["data"][0]["details"]["maximum_length"], 255);
}
