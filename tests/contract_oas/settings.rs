//! Modules, fields, related lists and variables against their OAS files.

use reqwest::Method;
use serde_json::{Value, json};

use super::checker::{Checker, first_id};
use super::support::Env;

#[tokio::test]
async fn modules_fields_related_lists_and_variables_match_the_oas() {
    let mut c = Checker::new();
    let env = Env::start().await;

    let modules = env.get("/crm/v8/settings/modules", &[]).await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "GET",
        &modules,
        None,
    );
    let deals = env.get("/crm/v8/settings/modules/Deals", &[]).await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules/{api_name}",
        "GET",
        &deals,
        None,
    );
    let nope = env.get("/crm/v8/settings/modules/Nope", &[]).await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules/{api_name}",
        "GET",
        &nope,
        None,
    );
    let created = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "Zoho Project", "plural_label": "Zoho Projects",
                                "api_name": "Linked_Projects"}]}),
        )
        .await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "POST",
        &created,
        None,
    );
    let missing = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"plural_label": "Things"}]}),
        )
        .await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "POST",
        &missing,
        None,
    );
    let dup = env
        .post(
            "/crm/v8/settings/modules",
            json!({"modules": [{"singular_label": "A", "plural_label": "B", "api_name": "Linked_Projects"}]}),
        )
        .await;
    c.check(
        "modules.json",
        "/crm/v8/settings/modules",
        "POST",
        &dup,
        Some("DUPLICATE_DATA (api name taken) is not among modules.json's error codes"),
    );

    let fields = env
        .get("/crm/v8/settings/fields", &[("module", "Deals")])
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "GET",
        &fields,
        None,
    );
    for query in [vec![], vec![("module", "Nope")]] {
        let answer = env.get("/crm/v8/settings/fields", &query).await;
        c.check(
            "fields.json",
            "/crm/v8/settings/fields",
            "GET",
            &answer,
            None,
        );
    }
    let created = env
        .post(
            "/crm/v8/settings/fields?module=Linked_Projects",
            json!({"fields": [
                {"field_label": "Project Id", "data_type": "text", "unique": {}},
                {"field_label": "Account", "data_type": "lookup",
                 "lookup": {"module": {"api_name": "Accounts"}, "display_label": "Zoho Projects"}},
                {"field_label": "Status", "data_type": "picklist", "pick_list_values": ["active", "archived"]}
            ]}),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "POST",
        &created,
        None,
    );
    let field_id = first_id(&created, "fields");
    let one = env
        .get(
            &format!("/crm/v8/settings/fields/{field_id}"),
            &[("module", "Linked_Projects")],
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "GET",
        &one,
        None,
    );
    let many: Vec<Value> = (0..26)
        .map(|i| json!({"field_label": format!("F{i}"), "data_type": "text"}))
        .collect();
    let too_many = env
        .post(
            "/crm/v8/settings/fields?module=Deals",
            json!({"fields": many}),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "POST",
        &too_many,
        None,
    );
    let mixed = env
        .post(
            "/crm/v8/settings/fields?module=Deals",
            json!({"fields": [{"field_label": "Region", "data_type": "text"},
                              {"field_label": "Oops", "data_type": "hologram"},
                              {"data_type": "text"}]}),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "POST",
        &mixed,
        None,
    );
    let patched = env
        .call(
            Method::PATCH,
            "/crm/v8/settings/fields",
            &[("module", "Linked_Projects")],
            Some(json!({"fields": [{"id": field_id, "field_label": "Zoho Project Id"}]})),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields",
        "PATCH",
        &patched,
        None,
    );
    let patched_one = env
        .call(
            Method::PATCH,
            &format!("/crm/v8/settings/fields/{field_id}"),
            &[("module", "Linked_Projects")],
            Some(json!({"fields": [{"tooltip": {"name": "Static Text", "value": "Set by projectlink"}}]})),
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "PATCH",
        &patched_one,
        None,
    );
    let region = first_id(&mixed, "fields");
    let deleted = env
        .call(
            Method::DELETE,
            &format!("/crm/v8/settings/fields/{region}"),
            &[("module", "Deals")],
            None,
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "DELETE",
        &deleted,
        None,
    );
    let system = fields.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["api_name"] == "Deal_Name")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = env
        .call(
            Method::DELETE,
            &format!("/crm/v8/settings/fields/{system}"),
            &[("module", "Deals")],
            None,
        )
        .await;
    c.check(
        "fields.json",
        "/crm/v8/settings/fields/{field}",
        "DELETE",
        &refused,
        None,
    );

    let lists = env
        .get("/crm/v8/settings/related_lists", &[("module", "Accounts")])
        .await;
    c.check(
        "related_lists.json",
        "/crm/v8/settings/related_lists",
        "GET",
        &lists,
        None,
    );
    let list_id = lists.body["related_lists"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let one = env
        .get(
            &format!("/crm/v8/settings/related_lists/{list_id}"),
            &[("module", "Accounts")],
        )
        .await;
    c.check(
        "related_lists.json",
        "/crm/v8/settings/related_lists/{id}",
        "GET",
        &one,
        None,
    );
    for query in [vec![], vec![("module", "Nope")]] {
        let answer = env.get("/crm/v8/settings/related_lists", &query).await;
        c.check(
            "related_lists.json",
            "/crm/v8/settings/related_lists",
            "GET",
            &answer,
            None,
        );
    }

    let vars = env.get("/crm/v8/settings/variables", &[]).await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "GET",
        &vars,
        None,
    );
    let created = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"name": "Integration", "api_name": "projectlink_integration",
                                  "type": "textarea", "value": "{}"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "POST",
        &created,
        None,
    );
    let var_id = first_id(&created, "variables");
    let bad = env
        .post(
            "/crm/v8/settings/variables",
            json!({"variables": [{"api_name": "nameless", "type": "text"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "POST",
        &bad,
        None,
    );
    let one = env
        .get(&format!("/crm/v8/settings/variables/{var_id}"), &[])
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{id}",
        "GET",
        &one,
        None,
    );
    let by_name = env
        .get("/crm/v8/settings/variables/projectlink_integration", &[])
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{api_name}",
        "GET",
        &by_name,
        None,
    );
    let put = env
        .put(
            "/crm/v8/settings/variables",
            json!({"variables": [{"id": var_id, "value": "{\"generation\":1}"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "PUT",
        &put,
        None,
    );
    let put_one = env
        .put(
            &format!("/crm/v8/settings/variables/{var_id}"),
            json!({"variables": [{"value": "{\"generation\":2}"}]}),
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{id}",
        "PUT",
        &put_one,
        None,
    );
    let deleted = env
        .call(
            Method::DELETE,
            "/crm/v8/settings/variables",
            &[("ids", var_id.as_str())],
            None,
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables",
        "DELETE",
        &deleted,
        None,
    );
    let again = env
        .call(
            Method::DELETE,
            &format!("/crm/v8/settings/variables/{var_id}"),
            &[],
            None,
        )
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{id}",
        "DELETE",
        &again,
        None,
    );
    let gone = env
        .get("/crm/v8/settings/variables/projectlink_integration", &[])
        .await;
    c.check(
        "variables.json",
        "/crm/v8/settings/variables/{api_name}",
        "GET",
        &gone,
        None,
    );

    c.finish();
}
