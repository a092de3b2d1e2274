//! Org, roles, profiles (with Zoho's permission names), modules (custom modules become real
//! modules), fields (25 per create; lookups make related lists), related lists, variables.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::{Env, demo_with_grants};
use projectlink::sandbox::SandboxConfig;

#[tokio::test]
async fn the_org_roles_and_modules_describe_the_demo_org() {
    let env = Env::start().await;
    let org = env.get("/crm/v8/org", &[]).await;
    let org = &org.ok()["org"][0];
    assert_eq!(org["company_name"], "Acme Corp");
    assert_eq!(org["primary_email"], "admin@acme.com");
    assert_eq!(org["time_zone"], "Europe/London");
    assert_eq!(org["license_details"]["paid_type"], "enterprise");

    let roles = env.get("/crm/v8/settings/roles", &[]).await;
    let roles = roles.ok()["roles"].as_array().unwrap().clone();
    let manager = roles.iter().find(|r| r["name"] == "Manager").unwrap();
    assert_eq!(manager["reporting_to"]["name"], "CEO");
    let role = env
        .get(
            &format!("/crm/v8/settings/roles/{}", manager["id"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(role.ok()["roles"][0]["name"], "Manager");

    let modules = env.get("/crm/v8/settings/modules", &[]).await;
    let api_names: Vec<&str> = modules.ok()["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["api_name"].as_str().unwrap())
        .collect();
    for m in [
        "Accounts",
        "Contacts",
        "Deals",
        "Products",
        "Cases",
        "Quotes",
        "Sales_Orders",
        "Purchase_Orders",
        "Invoices",
        "Campaigns",
        "Events",
    ] {
        assert!(api_names.contains(&m), "{m} missing from {api_names:?}");
    }
    let deals = env.get("/crm/v8/settings/modules/Deals", &[]).await;
    let deals = &deals.ok()["modules"][0];
    assert_eq!(deals["module_name"], "Potentials");
    assert_eq!(deals["generated_type"], "default");
    assert!(!deals["related_lists"].as_array().unwrap().is_empty());
    env.get("/crm/v8/settings/modules/Nope", &[])
        .await
        .error(400, "INVALID_MODULE");
}

#[tokio::test]
async fn profiles_carry_crm_implied_permissions_that_can_be_switched() {
    let env = Env::start().await;
    let list = env.get("/crm/v8/settings/profiles", &[]).await;
    let profiles = list.ok()["profiles"].as_array().unwrap().clone();
    let standard = profiles.iter().find(|p| p["name"] == "Standard").unwrap();
    let id = standard["id"].as_str().unwrap().to_string();
    let one = env
        .get(&format!("/crm/v8/settings/profiles/{id}"), &[])
        .await;
    let perms = one.ok()["profiles"][0]["permissions_details"]
        .as_array()
        .unwrap()
        .clone();
    let find = |name: &str| -> Value {
        perms
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no permission {name}"))
    };
    for name in [
        "Crm_Implied_View_Potentials",
        "Crm_Implied_Create_Potentials",
        "Crm_Implied_Edit_Potentials",
        "Crm_Implied_Delete_Potentials",
        "Crm_Implied_View_Accounts",
        "Crm_Implied_View_SalesOrders",
    ] {
        assert_eq!(find(name)["enabled"], true, "{name}");
    }
    let delete_deals = find("Crm_Implied_Delete_Potentials");
    assert_eq!(delete_deals["module"], "Deals");
    assert_eq!(delete_deals["display_label"], "Delete");
    assert_eq!(
        delete_deals["parent_permissions"],
        json!([find("Crm_Implied_View_Potentials")["id"]])
    );

    let update = env
        .put(
            &format!("/crm/v8/settings/profiles/{id}"),
            json!({"profiles": [{"permissions_details": [
                {"id": delete_deals["id"], "enabled": false}
            ]}]}),
        )
        .await;
    assert_eq!(
        update.ok()["profiles"][0]["message"],
        "profile updated successfully"
    );
    let one = env
        .get(&format!("/crm/v8/settings/profiles/{id}"), &[])
        .await;
    let now = one.body["profiles"][0]["permissions_details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Crm_Implied_Delete_Potentials")
        .unwrap()
        .clone();
    assert_eq!(now["enabled"], false);

    let unknown = env
        .put(
            &format!("/crm/v8/settings/profiles/{id}"),
            json!({"profiles": [{"permissions_details": [{"id": "1", "enabled": true}]}]}),
        )
        .await;
    assert_eq!(unknown.status.as_u16(), 400);
    assert_eq!(unknown.body["profiles"][0]["code"], "INVALID_DATA");
    let admin = profiles
        .iter()
        .find(|p| p["name"] == "Administrator")
        .unwrap();
    let admin_id = admin["id"].as_str().unwrap();
    let admin_perm = admin["permissions_details"][0]["id"].clone();
    let locked = env
        .put(
            &format!("/crm/v8/settings/profiles/{admin_id}"),
            json!({"profiles": [{"permissions_details": [{"id": admin_perm, "enabled": false}]}]}),
        )
        .await;
    assert_eq!(locked.body["profiles"][0]["code"], "NOT_ALLOWED");
    let gone = env
        .get("/crm/v8/settings/profiles/4876876999999999999", &[])
        .await;
    assert_eq!(gone.status.as_u16(), 204);
}

#[tokio::test]
async fn a_custom_module_created_through_the_api_is_a_real_module() {
    let env = Env::start().await;
    let standard_id = env.get("/crm/v8/settings/profiles", &[]).await.body["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Standard")
        .unwrap()["id"]
        .clone();
    let created = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "Zoho Project", "plural_label": "Zoho Projects",
                                "api_name": "Linked_Projects", "profiles": [{"id": standard_id}]}]}),
        )
        .await;
    assert_eq!(created.ok()["modules"][0]["message"], "module created");
    let module = env
        .get("/crm/v8/settings/modules/Linked_Projects", &[])
        .await;
    let module = &module.ok()["modules"][0];
    assert_eq!(module["generated_type"], "custom");
    assert_eq!(module["module_name"], "CustomModule1");
    let fields = env
        .get("/crm/v8/settings/fields", &[("module", "Linked_Projects")])
        .await;
    let field_names: Vec<&str> = fields.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["api_name"].as_str().unwrap())
        .collect();
    assert!(field_names.contains(&"Name") && field_names.contains(&"Owner"));

    let fields = env
        .post(
            "/crm/v8/settings/fields?module=Linked_Projects",
            json!({"fields": [
                {"field_label": "Project Id", "data_type": "text", "unique": {}},
                {"field_label": "Account", "data_type": "lookup",
                 "lookup": {"module": {"api_name": "Accounts"}, "display_label": "Zoho Projects"}},
                {"field_label": "Percent Complete", "data_type": "integer"}
            ]}),
        )
        .await;
    assert_eq!(fields.status.as_u16(), 201, "{}", fields.body);
    let lists = env
        .get("/crm/v8/settings/related_lists", &[("module", "Accounts")])
        .await;
    let zoho_projects = lists.ok()["related_lists"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["display_label"] == "Zoho Projects")
        .cloned()
        .expect("the lookup's related list");
    assert_eq!(zoho_projects["module"]["api_name"], "Linked_Projects");
    assert_eq!(zoho_projects["api_name"], "Linked_Projects");

    let bowman = env
        .record_id("Accounts", "Account_Name", "Bowman Furniture Inc.")
        .await;
    let record = env
        .post(
            "/crm/v8/Linked_Projects",
            json!({"data": [{"Name": "Website Redesign", "Project_Id": "170001",
                             "Account": {"id": bowman}, "Percent_Complete": 40}]}),
        )
        .await;
    assert_eq!(record.status.as_u16(), 201, "{}", record.body);
    let listed = env
        .get(
            "/crm/v8/Linked_Projects",
            &[("fields", "Name,Account,Project_Id")],
        )
        .await;
    assert_eq!(
        listed.ok()["data"][0]["Account"]["name"],
        "Bowman Furniture Inc."
    );
    let upserted = env
        .post(
            "/crm/v8/Linked_Projects/upsert",
            json!({"data": [{"Name": "Website Redesign", "Project_Id": "170001", "Percent_Complete": 60}],
                   "duplicate_check_fields": ["Project_Id"]}),
        )
        .await;
    assert_eq!(upserted.ok()["data"][0]["action"], "update");

    let profile = env
        .get(
            &format!(
                "/crm/v8/settings/profiles/{}",
                standard_id.as_str().unwrap()
            ),
            &[],
        )
        .await;
    let perms = profile.ok()["profiles"][0]["permissions_details"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        perms
            .iter()
            .any(|p| p["name"] == "Crm_Implied_View_CustomModule1" && p["enabled"] == true)
    );

    let dup = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "X", "plural_label": "Xs", "api_name": "Linked_Projects"}]}),
        )
        .await;
    assert_eq!(dup.status.as_u16(), 400);
    assert_eq!(dup.body["modules"][0]["code"], "DUPLICATE_DATA");
    let two = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "A", "plural_label": "As"},
                               {"singular_label": "B", "plural_label": "Bs"}]}),
        )
        .await;
    assert_eq!(two.status.as_u16(), 400);
    let missing = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "A"}]}),
        )
        .await;
    assert_eq!(missing.body["modules"][0]["code"], "MANDATORY_NOT_FOUND");
}

#[tokio::test]
async fn fields_are_created_in_batches_of_at_most_25_and_deleted_with_their_related_list() {
    let env = Env::start().await;
    let many: Vec<Value> = (0..26)
        .map(|i| json!({"field_label": format!("Extra {i}"), "data_type": "text"}))
        .collect();
    let refused = env
        .post(
            "/crm/v8/settings/fields?module=Contacts",
            json!({"fields": many}),
        )
        .await;
    assert_eq!(refused.status.as_u16(), 400);
    assert_eq!(refused.body["fields"][0]["code"], "INVALID_DATA");
    assert_eq!(refused.body["fields"][0]["details"]["maximum_length"], 25);

    let mixed = env
        .post(
            "/crm/v8/settings/fields?module=Contacts",
            json!({"fields": [
                {"field_label": "Projects Client User Id", "data_type": "text"},
                {"field_label": "Email", "data_type": "text"},
                {"field_label": "Colour", "data_type": "hologram"},
                {"data_type": "text"},
                {"field_label": "Partner Account", "data_type": "lookup",
                 "lookup": {"module": {"api_name": "Accounts"}}}
            ]}),
        )
        .await;
    assert_eq!(mixed.status.as_u16(), 207, "{}", mixed.body);
    let codes: Vec<&str> = mixed.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec![
            "SUCCESS",
            "DUPLICATE_DATA",
            "INVALID_DATA",
            "MANDATORY_NOT_FOUND",
            "SUCCESS"
        ]
    );
    let lookup_id = mixed.body["fields"][4]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let field = env
        .get(
            &format!("/crm/v8/settings/fields/{lookup_id}"),
            &[("module", "Contacts")],
        )
        .await;
    assert_eq!(
        field.ok()["fields"][0]["lookup"]["module"]["api_name"],
        "Accounts"
    );
    let count_lists = |body: &Value| {
        body["related_lists"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["module"]["api_name"] == "Contacts")
            .count()
    };
    let before = env
        .get("/crm/v8/settings/related_lists", &[("module", "Accounts")])
        .await;
    assert_eq!(
        count_lists(before.ok()),
        2,
        "Account_Name and Partner_Account"
    );

    let patched = env
        .call(
            Method::PATCH,
            "/crm/v8/settings/fields",
            &[("module", "Contacts")],
            Some(json!({"fields": [{"id": lookup_id, "field_label": "Partner"}]})),
        )
        .await;
    assert_eq!(patched.ok()["fields"][0]["message"], "field updated");
    let deleted = env
        .call(
            Method::DELETE,
            &format!("/crm/v8/settings/fields/{lookup_id}"),
            &[("module", "Contacts")],
            None,
        )
        .await;
    assert_eq!(deleted.ok()["fields"][0]["message"], "field deleted");
    let after = env
        .get("/crm/v8/settings/related_lists", &[("module", "Accounts")])
        .await;
    assert_eq!(count_lists(after.ok()), 1);

    env.get("/crm/v8/settings/fields", &[])
        .await
        .error(400, "REQUIRED_PARAM_MISSING");
    env.get("/crm/v8/settings/fields", &[("module", "Nope")])
        .await
        .error(400, "INVALID_MODULE");
    env.get("/crm/v8/settings/related_lists", &[("module", "Nope")])
        .await
        .error(400, "INVALID_MODULE");
    let system = env
        .get("/crm/v8/settings/fields", &[("module", "Contacts")])
        .await
        .body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["api_name"] == "Email")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.call(
        Method::DELETE,
        &format!("/crm/v8/settings/fields/{system}"),
        &[("module", "Contacts")],
        None,
    )
    .await
    .error(400, "INVALID_DATA");
}

#[tokio::test]
async fn settings_changes_need_an_administrator() {
    let seed = demo_with_grants(&[("1000.pat", "pat@acme.com", &["ZohoCRM.settings.ALL"])]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let pat = env.token("1000.pat").await;
    env.call_as(
        &pat,
        Method::GET,
        "/crm/v8/settings/fields",
        &[("module", "Deals")],
        None,
    )
    .await
    .ok();
    let denied = env
        .call_as(
            &pat,
            Method::POST,
            "/crm/v8/settings/fields",
            &[("module", "Deals")],
            Some(json!({"fields": [{"field_label": "X", "data_type": "text"}]})),
        )
        .await;
    assert_eq!(
        denied.error(403, "NO_PERMISSION")["details"]["permissions"],
        json!(["Crm_Implied_Customize_Zoho_CRM"])
    );
}

#[tokio::test]
async fn variables_are_created_read_updated_and_deleted() {
    let env = Env::start().await;
    let created = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"name": "projectlink integration", "api_name": "projectlink_integration",
                                  "type": "textarea", "value": "{\"portal_id\":\"1\"}"}]}),
        )
        .await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    let id = created.body["variables"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let by_name = env
        .get("/crm/v8/settings/variables/projectlink_integration", &[])
        .await;
    assert_eq!(
        by_name.ok()["variables"][0]["value"],
        "{\"portal_id\":\"1\"}"
    );
    let updated = env
        .put(
            "/crm/v8/settings/variables",
            json!({"variables": [{"id": id, "value": "{\"portal_id\":\"2\"}"}]}),
        )
        .await;
    assert_eq!(updated.status.as_u16(), 201);
    let all = env.get("/crm/v8/settings/variables", &[]).await;
    let values: Vec<&Value> = all.ok()["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["value"])
        .collect();
    assert!(values.contains(&&json!("{\"portal_id\":\"2\"}")));
    let dup = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"name": "again", "api_name": "projectlink_integration", "type": "text"}]}),
        )
        .await;
    assert_eq!(dup.body["variables"][0]["code"], "DUPLICATE_DATA");
    let wrong = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"name": "n", "type": "integer", "value": "seven"}]}),
        )
        .await;
    assert_eq!(wrong.body["variables"][0]["code"], "INVALID_DATA");
    let deleted = env
        .call(
            Method::DELETE,
            "/crm/v8/settings/variables",
            &[("ids", id.as_str())],
            None,
        )
        .await;
    assert_eq!(deleted.ok()["variables"][0]["code"], "SUCCESS");
    let gone = env
        .get("/crm/v8/settings/variables/projectlink_integration", &[])
        .await;
    assert_eq!(gone.status.as_u16(), 204);
}

/// The listed `modified_time` of module `api_name` and of profile `profile`.
async fn listed_times(env: &Env, api_name: &str, profile: &str) -> (String, String) {
    let modules = env.get("/crm/v8/settings/modules", &[]).await;
    let module = modules.ok()["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["api_name"] == api_name)
        .unwrap()["modified_time"]
        .as_str()
        .expect("every sandbox module can be customised, so it has a modified_time")
        .to_string();
    let profiles = env.get("/crm/v8/settings/profiles", &[]).await;
    let profile = profiles.ok()["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == profile)
        .unwrap()["modified_time"]
        .as_str()
        .unwrap()
        .to_string();
    (module, profile)
}

/// Zoho's times are whole seconds: wait for the next one so a change shows.
async fn next_second() {
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
}

#[tokio::test]
async fn field_changes_move_the_modules_time_and_permission_changes_the_profiles() {
    let env = Env::start().await;
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
    let (deals_at_start, standard_at_start) = listed_times(&env, "Deals", &standard).await;

    next_second().await;
    let created = env
        .post(
            "/crm/v8/settings/fields?module=Deals",
            json!({"fields": [{"field_label": "Delivery Notes", "data_type": "text"}]}),
        )
        .await;
    let field_id = created.ok()["fields"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (after_create, standard_now) = listed_times(&env, "Deals", &standard).await;
    assert!(
        after_create > deals_at_start,
        "{after_create} after {deals_at_start}"
    );
    assert_eq!(
        standard_now, standard_at_start,
        "a field is not a permission"
    );

    next_second().await;
    let path = format!("/crm/v8/settings/fields/{field_id}");
    let tooltip = json!({"fields": [{"tooltip": {"name": "Info Icon", "value": "owned"}}]});
    env.call(Method::PATCH, &path, &[("module", "Deals")], Some(tooltip))
        .await
        .ok();
    let (after_update, _) = listed_times(&env, "Deals", &standard).await;
    assert!(
        after_update > after_create,
        "{after_update} after {after_create}"
    );

    next_second().await;
    env.call(Method::DELETE, &path, &[("module", "Deals")], None)
        .await
        .ok();
    let (after_delete, _) = listed_times(&env, "Deals", &standard).await;
    assert!(
        after_delete > after_update,
        "{after_delete} after {after_update}"
    );

    let one = env
        .get(&format!("/crm/v8/settings/profiles/{standard}"), &[])
        .await;
    let edit_deals = one.ok()["profiles"][0]["permissions_details"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Crm_Implied_Edit_Potentials")
        .unwrap()["id"]
        .clone();
    next_second().await;
    env.put(
        &format!("/crm/v8/settings/profiles/{standard}"),
        json!({"profiles": [{"permissions_details": [{"id": edit_deals, "enabled": false}]}]}),
    )
    .await
    .ok();
    let (deals_now, after_permission) = listed_times(&env, "Deals", &standard).await;
    assert!(after_permission > standard_at_start);
    assert_eq!(deals_now, after_delete, "a permission is not a field");
}
