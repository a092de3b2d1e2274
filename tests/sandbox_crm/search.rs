//! Search and count: criteria syntax, email and word searches, the 2,000-result cap.

use serde_json::{Value, json};

use super::support::Env;

fn names(body: &Value, field: &str) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| r[field].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn criteria_email_and_word_searches_find_records() {
    let env = Env::start().await;
    let by_email = env
        .get(
            "/crm/v8/Contacts/search",
            &[("email", "jane@bowman.example")],
        )
        .await;
    assert_eq!(names(by_email.ok(), "Full_Name"), vec!["Jane Bowman"]);
    assert_eq!(by_email.body["info"]["count"], 1);
    assert_eq!(by_email.body["info"]["more_records"], false);

    let criteria = env
        .get(
            "/crm/v8/Contacts/search",
            &[(
                "criteria",
                "((Last_Name:starts_with:Bow)and(First_Name:equals:Tom))",
            )],
        )
        .await;
    assert_eq!(names(criteria.ok(), "Email"), vec!["tom@bowman.example"]);

    let either = env
        .get(
            "/crm/v8/Accounts/search",
            &[(
                "criteria",
                "((Account_Name:equals:Initech)or(Billing_City:equals:Seattle))",
            )],
        )
        .await;
    let mut found = names(either.ok(), "Account_Name");
    found.sort();
    assert_eq!(found, vec!["Initech", "Northwind Traders"]);

    let amounts = env
        .get(
            "/crm/v8/Deals/search",
            &[
                ("criteria", "(Amount:greater_than:20000)"),
                ("fields", "Deal_Name,Amount"),
            ],
        )
        .await;
    let mut found = names(amounts.ok(), "Deal_Name");
    found.sort();
    assert_eq!(found, vec!["Bowman Showroom Fit-out", "Bowman Web Shop"]);
    assert!(amounts.body["data"][0].get("Stage").is_none());

    let bowman = env
        .record_id("Accounts", "Account_Name", "Bowman Furniture Inc.")
        .await;
    let by_lookup = env
        .get(
            "/crm/v8/Contacts/search",
            &[(
                "criteria",
                format!("(Account_Name:equals:{bowman})").as_str(),
            )],
        )
        .await;
    assert_eq!(by_lookup.ok()["data"].as_array().unwrap().len(), 2);

    let word = env
        .get("/crm/v8/Deals/search", &[("word", "showroom")])
        .await;
    assert_eq!(
        names(word.ok(), "Deal_Name"),
        vec!["Bowman Showroom Fit-out"]
    );

    let nothing = env
        .get(
            "/crm/v8/Contacts/search",
            &[("email", "nobody@nowhere.example")],
        )
        .await;
    assert_eq!(nothing.status.as_u16(), 204);
    assert_eq!(env.sandbox.counters.get("GET /crm/v8/{module}/search"), 7);
}

#[tokio::test]
async fn bad_searches_get_zoho_errors() {
    let env = Env::start().await;
    let none = env.get("/crm/v8/Contacts/search", &[]).await;
    assert_eq!(
        none.error(400, "EXPECTED_PARAM_MISSING")["details"]["param_names"],
        json!(["criteria", "email", "phone", "word"])
    );
    env.get(
        "/crm/v8/Contacts/search",
        &[("criteria", "(Email:equals:x")],
    )
    .await
    .error(400, "INVALID_QUERY");
    env.get(
        "/crm/v8/Contacts/search",
        &[("criteria", "(Nope:equals:x)")],
    )
    .await
    .error(400, "INVALID_QUERY");
    let op = env
        .get(
            "/crm/v8/Contacts/search",
            &[("criteria", "(Email:greater_than:x)")],
        )
        .await;
    assert_eq!(
        op.error(400, "INVALID_QUERY")["details"]["operator"],
        "greater_than"
    );
    env.get("/crm/v8/Contacts/search", &[("word", "x")])
        .await
        .error(400, "INVALID_DATA");
    env.get("/crm/v8/Nowhere/search", &[("word", "xy")])
        .await
        .error(400, "INVALID_MODULE");
}

#[tokio::test]
async fn search_stops_at_two_thousand_results_and_count_counts() {
    let env = Env::start().await;
    for batch in 0..21 {
        let data: Vec<Value> = (0..100)
            .map(|i| json!({"Last_Name": "Crowd", "First_Name": format!("P{batch}-{i}")}))
            .collect();
        assert_eq!(
            env.post("/crm/v8/Leads", json!({"data": data}))
                .await
                .status
                .as_u16(),
            201
        );
    }
    let last_page = env
        .get(
            "/crm/v8/Leads/search",
            &[("word", "crowd"), ("per_page", "200"), ("page", "10")],
        )
        .await;
    let body = last_page.ok();
    assert_eq!(body["data"].as_array().unwrap().len(), 200);
    assert_eq!(body["info"]["more_records"], false);
    env.get(
        "/crm/v8/Leads/search",
        &[("word", "crowd"), ("per_page", "200"), ("page", "11")],
    )
    .await
    .error(400, "LIMIT_REACHED");

    let all = env.get("/crm/v8/Leads/actions/count", &[]).await;
    assert_eq!(all.ok()["count"], "2100");
    let some = env
        .get(
            "/crm/v8/Deals/actions/count",
            &[("criteria", "(Stage:equals:Closed Won)")],
        )
        .await;
    assert_eq!(some.ok()["count"], "2");
}
