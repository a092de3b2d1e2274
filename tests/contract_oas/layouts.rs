//! Layouts against layouts.json, and settings writes with ids sent as JSON numbers (as
//! Zoho's SDKs send them) against their files: what Zoho's Python SDK drives and
//! projectlink's own client does not.

use serde_json::{Value, json};

use super::checker::Checker;
use super::support::Env;

#[tokio::test]
async fn layouts_match_the_oas() {
    let mut c = Checker::new();
    let env = Env::start().await;
    let file = "layouts.json";
    let (list_path, one_path) = ("/crm/v8/settings/layouts", "/crm/v8/settings/layouts/{id}");

    let list = env.get(list_path, &[("module", "Contacts")]).await;
    c.check(file, list_path, "GET", &list, None);
    let layout = &list.ok()["layouts"][0];
    let fields = layout["sections"][0]["fields"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["api_name"] == "Last_Name"));
    let id = layout["id"].as_str().unwrap().to_string();
    let one = env
        .get(
            &format!("/crm/v8/settings/layouts/{id}"),
            &[("module", "Contacts")],
        )
        .await;
    c.check(file, one_path, "GET", &one, None);
    assert_eq!(one.ok()["layouts"][0]["id"], id.as_str());
    // Another module's layout id is not this module's layout.
    let elsewhere = env
        .get(
            &format!("/crm/v8/settings/layouts/{id}"),
            &[("module", "Deals")],
        )
        .await;
    c.check(file, one_path, "GET", &elsewhere, None);
    assert_eq!(elsewhere.status.as_u16(), 204);

    let no_module = env.get(list_path, &[]).await;
    c.check(file, list_path, "GET", &no_module, None);
    no_module.error(400, "REQUIRED_PARAM_MISSING");
    let unknown = env.get(list_path, &[("module", "Spaceships")]).await;
    c.check(file, list_path, "GET", &unknown, None);
    unknown.error(400, "INVALID_MODULE");

    c.finish();
}

/// A numeric form of a string id from an answer.
fn number(id: &Value) -> Value {
    json!(id.as_str().unwrap().parse::<u64>().unwrap())
}

#[tokio::test]
async fn settings_writes_accept_ids_as_json_numbers() {
    let mut c = Checker::new();
    let env = Env::start().await;

    let vars = env.get("/crm/v8/settings/variables", &[]).await;
    let group = number(&vars.ok()["variables"][0]["variable_group"]["id"]);
    let created = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"name": "Max Discount", "api_name": "max_discount",
                                  "type": "integer", "value": 15,
                                  "variable_group": {"id": group}}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "POST",
        &created,
        None,
    );
    let var_id = number(&created.ok()["variables"][0]["details"]["id"]);
    let put = env
        .put(
            "/crm/v8/settings/variables",
            json!({"variables": [{"id": var_id, "value": 20}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "PUT",
        &put,
        None,
    );
    assert_eq!(put.ok()["variables"][0]["code"], "SUCCESS");

    let profiles = env.get("/crm/v8/settings/profiles", &[]).await;
    let standard = profiles.ok()["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Standard")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = env
        .get(&format!("/crm/v8/settings/profiles/{standard}"), &[])
        .await;
    let perm = number(&detail.ok()["profiles"][0]["permissions_details"][3]["id"]);
    let updated = env
        .put(
            &format!("/crm/v8/settings/profiles/{standard}"),
            json!({"profiles": [{"permissions_details": [{"id": perm, "enabled": false}]}]}),
        )
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "PUT",
        &updated,
        None,
    );
    assert_eq!(updated.ok()["profiles"][0]["code"], "SUCCESS");

    // A negative or fractional number is no id.
    let bad = env
        .put(
            "/crm/v8/settings/variables",
            json!({"variables": [{"id": -4, "value": 20}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "PUT",
        &bad,
        None,
    );
    assert_eq!(bad.body["variables"][0]["status"], "error");

    c.finish();
}
