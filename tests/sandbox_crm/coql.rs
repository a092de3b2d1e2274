//! COQL (`POST /crm/v8/coql`) and tags as settings: answers, limits and Zoho's errors.

use reqwest::Method;
use serde_json::json;

use super::support::{Env, demo_with_grants};
use projectlink::sandbox::SandboxConfig;

const COQL_ADMIN: &str = "1000.coql-admin";

async fn coql_env() -> Env {
    let seed = demo_with_grants(&[(
        COQL_ADMIN,
        "admin@acme.com",
        &["ZohoCRM.modules.ALL", "ZohoCRM.coql.READ"],
    )]);
    Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await
}

async fn coql(env: &Env, token: &str, query: &str) -> super::support::Answer {
    env.call_as(
        token,
        Method::POST,
        "/crm/v8/coql",
        &[],
        Some(json!({ "select_query": query })),
    )
    .await
}

#[tokio::test]
async fn coql_selects_filters_orders_and_pages() {
    let env = coql_env().await;
    let token = env.token(COQL_ADMIN).await;
    let found = coql(
        &env,
        &token,
        "select Last_Name, Email, Account_Name.Account_Name from Contacts \
         where Last_Name = 'bowman' order by First_Name desc limit 1",
    )
    .await;
    let body = found.ok();
    assert_eq!(body["info"], json!({"count": 1, "more_records": true}));
    let row = &body["data"][0];
    assert_eq!(row["Email"], "tom@bowman.example");
    assert_eq!(row["Account_Name.Account_Name"], "Bowman Furniture Inc.");
    assert!(row["id"].is_string());

    let second = coql(
        &env,
        &token,
        "select Email from Contacts where Last_Name = 'Bowman' order by First_Name desc limit 1, 1",
    )
    .await;
    assert_eq!(second.ok()["data"][0]["Email"], "jane@bowman.example");
    assert_eq!(second.ok()["info"]["more_records"], false);

    let like = coql(
        &env,
        &token,
        "select Email from Contacts where Email like '%@bowman.example' and (Title is null or Title != 'x')",
    )
    .await;
    assert_eq!(like.ok()["info"]["count"], 2);

    let none = coql(
        &env,
        &token,
        "select Email from Contacts where Email = 'no@one.example'",
    )
    .await;
    assert_eq!(none.status.as_u16(), 204);
}

#[tokio::test]
async fn coql_answers_zoho_errors() {
    let env = coql_env().await;
    let token = env.token(COQL_ADMIN).await;
    let syntax = coql(&env, &token, "select Email Contacts").await;
    assert_eq!(
        syntax.error(400, "SYNTAX_ERROR")["details"]["clause"],
        "from"
    );
    let column = coql(&env, &token, "select Nope from Contacts").await;
    let details = &column.error(400, "INVALID_QUERY")["details"];
    assert_eq!(details["column_name"], "Nope");
    let module = coql(&env, &token, "select Email from Spaceships").await;
    module.error(400, "INVALID_QUERY");
    let limit = coql(&env, &token, "select Email from Contacts limit 2001").await;
    limit.error(400, "LIMIT_EXCEEDED");
    let missing = env
        .call_as(&token, Method::POST, "/crm/v8/coql", &[], Some(json!({})))
        .await;
    missing.error(400, "MANDATORY_NOT_FOUND");
    let deep = format!(
        "select Email from Contacts where {}Email = 'x'{}",
        "(".repeat(500),
        ")".repeat(500)
    );
    coql(&env, &token, &deep).await.error(400, "SYNTAX_ERROR");
    // The demo admin's grant has no ZohoCRM.coql scope.
    let admin = coql(&env, &env.admin, "select Email from Contacts").await;
    admin.error(401, "OAUTH_SCOPE_MISMATCH");
}

#[tokio::test]
async fn tags_in_settings_list_create_and_refuse_duplicates() {
    let env = Env::start().await;
    let created = env
        .call(
            Method::POST,
            "/crm/v8/settings/tags",
            &[("module", "Contacts")],
            Some(json!({"tags": [{"name": "Partner", "color_code": "#57B1FD"}, {"name": "partner"}]})),
        )
        .await;
    assert_eq!(created.status.as_u16(), 207, "{}", created.body);
    assert_eq!(created.body["tags"][0]["code"], "SUCCESS");
    assert_eq!(created.body["tags"][1]["code"], "DUPLICATE_DATA");
    let listed = env
        .get("/crm/v8/settings/tags", &[("module", "Contacts")])
        .await;
    let tags = listed.ok()["tags"].as_array().unwrap().clone();
    let partner = tags.iter().find(|t| t["name"] == "Partner").unwrap();
    assert_eq!(partner["color_code"], "#57B1FD");
    assert_eq!(listed.ok()["info"]["count"], tags.len());
    env.get("/crm/v8/settings/tags", &[])
        .await
        .error(400, "REQUIRED_PARAM_MISSING");
    env.get("/crm/v8/settings/tags", &[("module", "Spaceships")])
        .await
        .error(400, "INVALID_MODULE");

    // Tagging one record by the tag's id as a JSON number, then untagging it by name.
    let contact = env
        .record_id("Contacts", "Email", "alice@nomad.example")
        .await;
    let numeric: u64 = partner["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/crm/v8/Contacts/{contact}/actions/add_tags");
    let added = env.post(&path, json!({"tags": [{"id": numeric}]})).await;
    assert_eq!(
        added.ok()["data"][0]["details"]["tags"][0]["name"],
        "Partner"
    );
    let path = format!("/crm/v8/Contacts/{contact}/actions/remove_tags");
    let removed = env
        .post(&path, json!({"tags": [{"name": "Partner"}]}))
        .await;
    assert_eq!(removed.ok()["data"][0]["details"]["tags"], json!([]));
}
