//! V3 projects: the bare-array list with `page`/`per_page` and `project_type`, the project
//! shape, create (owner, dates, template, custom fields) and its errors, and the settings a
//! client reads first (roles, project custom fields).

use projectlink::sandbox::projects::db::{self, CustomField};
use projectlink::sandbox::projects::model::FieldType;

use super::*;

pub(super) async fn zpuid(env: &Env, token: &str, portal: &str, email: &str) -> String {
    let (_, body) = env.v3_get(token, &v3(portal, "/users"), &[]).await;
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .map(|u| u["zpuid"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no user {email}"))
}

#[tokio::test]
async fn v3_project_list_pages_by_page_and_per_page_and_filters_by_project_type() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = v3(&ids.empty, "/projects");
    for i in 1..=5 {
        let (status, body) = env
            .v3_post(&t, &path, &json!({"name": format!("P{i}")}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let archive = json!({"project_type": "archived"});
    let (_, p5) = env
        .v3_get(&t, &path, &[("page", "3"), ("per_page", "2")])
        .await;
    let p5_id = p5[0]["id"].as_str().unwrap().to_string();
    let (status, _) = env.v3_patch(&t, &format!("{path}/{p5_id}"), &archive).await;
    assert_eq!(status, StatusCode::OK);

    let (status, first) = list_page(&env, &t, &path, "1", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(first.is_array(), "a bare array: {first}");
    assert_eq!(v3_names(&first), vec!["P1", "P2"]);
    assert_eq!(
        v3_names(&list_page(&env, &t, &path, "2", "").await.1),
        vec!["P3", "P4"]
    );
    assert_eq!(
        v3_names(&list_page(&env, &t, &path, "3", "").await.1),
        vec!["P5"],
        "active and archived"
    );
    assert_eq!(list_page(&env, &t, &path, "4", "").await.1, json!([]));
    assert_eq!(
        v3_names(&list_page(&env, &t, &path, "2", "active").await.1),
        vec!["P3", "P4"]
    );
    assert_eq!(list_page(&env, &t, &path, "3", "active").await.1, json!([]));
    assert_eq!(
        v3_names(&list_page(&env, &t, &path, "1", "archived").await.1),
        vec!["P5"]
    );
    assert_eq!(
        v3_names(&list_page(&env, &t, &path, "1", "template").await.1),
        Vec::<String>::new()
    );
    let acme_templates = env
        .v3_get(
            &t,
            &v3(&ids.acme, "/projects"),
            &[("project_type", "template")],
        )
        .await
        .1;
    assert_eq!(v3_names(&acme_templates), vec!["Standard Delivery"]);
    assert_eq!(acme_templates[0]["project_type"], "template");
    let bad = env.v3_get(&t, &path, &[("project_type", "deleted")]).await;
    v3_field_error(&bad, "INVALID_PARAMETER_VALUE", "project_type");
}

/// Page `n` (two per page) of a project list, filtered by `project_type` unless empty.
async fn list_page(
    env: &Env,
    token: &str,
    path: &str,
    n: &str,
    project_type: &str,
) -> (StatusCode, Value) {
    let mut query = vec![("page", n), ("per_page", "2")];
    if !project_type.is_empty() {
        query.push(("project_type", project_type));
    }
    env.v3_get(token, path, &query).await
}

#[tokio::test]
async fn v3_project_has_the_v3_shape() {
    let (env, ids) = Env::start().await;
    let t = env.token("eve@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let (status, p) = env
        .v3_get(&t, &v3(&ids.acme, &format!("/projects/{id}")), &[])
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["id"], id.as_str());
    assert_eq!(id.len(), 19, "ids above 2^53 like Zoho's: {id}");
    assert!(id.parse::<u64>().unwrap() > 1 << 53);
    assert!(p["key"].as_str().unwrap().starts_with("AD-"), "{p}");
    assert_eq!(p["project_type"], "active");
    assert_eq!(p["status"]["name"], "Active");
    assert_eq!(p["status"]["is_closed_type"], false);
    assert_eq!(p["owner"]["full_name"], "Pat Doe");
    assert_eq!(p["owner"]["email"], "pat@acme.com");
    assert_eq!(p["owner"]["zpuid"].as_str().unwrap().len(), 19);
    assert_eq!(p["start_date"], "2026-01-15");
    assert_eq!(p["end_date"], "2026-03-31");
    assert_eq!(p["percent_complete"], 40);
    assert!(p["created_time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(p["cf_budget_code"], "X-1");
    assert!(p.get("cf_seats").is_none(), "only fields with a value");
    assert!(p.get("copied_from").is_none());
    assert_eq!(
        p["link"]["web_url"],
        format!("https://projects.zoho.com/portal/acmedelivery#project/{id}")
    );
    let missing = env.v3_get(&t, &v3(&ids.acme, "/projects/123"), &[]).await;
    v3_error(&missing, 404, "RESOURCE_NOT_FOUND");
    let other = env.token("other@else.example", ALL_SCOPES);
    let secret = project_id(&env, &other, &ids.other, "Secret Project").await;
    let foreign = env
        .v3_get(&t, &v3(&ids.acme, &format!("/projects/{secret}")), &[])
        .await;
    v3_error(&foreign, 404, "RESOURCE_NOT_FOUND");
}

#[tokio::test]
async fn v3_creates_a_project_from_a_template_with_owner_dates_and_custom_fields() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let template = project_id(&env, &t, &ids.acme, "Standard Delivery").await;
    let pat = zpuid(&env, &t, &ids.acme, "pat@acme.com").await;
    let body = json!({
        "name": "Warehouse Fit-out",
        "owner": {"zpuid": pat},
        "start_date": "2026-04-01",
        "end_date": "2026-06-30",
        "copy_from": template,
        "cf_seats": "9",
        "cf_go_live": "2026-06-15",
        "milestone_id": "ignored",
    });
    let (status, p) = env.v3_post(&t, &v3(&ids.acme, "/projects"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["name"], "Warehouse Fit-out");
    assert_eq!(p["owner"]["zpuid"], pat.as_str());
    assert_eq!(p["start_date"], "2026-04-01");
    assert_eq!(p["end_date"], "2026-06-30");
    assert_eq!(p["copied_from"], template.as_str());
    assert_eq!(p["description"], "The usual", "the template's description");
    assert_eq!(p["cf_budget_code"], "TPL-1", "the template's value");
    assert_eq!(p["cf_seats"], "9", "an explicit value wins");
    assert_eq!(p["cf_go_live"], "2026-06-15");
    assert_eq!(p["project_type"], "active");
    let id = p["id"].as_str().unwrap();
    let users = v3(&ids.acme, &format!("/projects/{id}/users"));
    let (_, body) = env.v3_get(&t, &users, &[]).await;
    let mut emails: Vec<&str> = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    emails.sort_unstable();
    assert_eq!(
        emails,
        vec!["eve@acme.com", "owner@acme.com", "pat@acme.com"]
    );
    // A plain create by a manager: the caller owns it.
    let pat_token = env.token("pat@acme.com", ALL_SCOPES);
    let plain = env
        .v3_post(
            &pat_token,
            &v3(&ids.acme, "/projects"),
            &json!({"name": "Plain"}),
        )
        .await;
    let (status, p) = plain;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["owner"]["email"], "pat@acme.com");
    assert_eq!(p["description"], "");
    assert!(p.get("start_date").is_none());
}

#[tokio::test]
async fn v3_create_errors_name_the_field() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = v3(&ids.acme, "/projects");
    let sam = zpuid(&env, &t, &ids.acme, "sam@acme.com").await;
    let named = |extra: Value| {
        let mut body = json!({"name": "N"});
        if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
            b.extend(e);
        }
        body
    };
    let cases = [
        (json!({}), MISSING, "name"),
        (json!({"name": "  "}), MISSING, "name"),
        (json!({"name": "website REDESIGN"}), BAD, "name"),
        (
            named(json!({"start_date": "01-15-2026"})),
            BAD,
            "start_date",
        ),
        (
            named(json!({"start_date": "2026-02-01", "end_date": "2026-01-01"})),
            BAD,
            "end_date",
        ),
        (named(json!({"owner": {"zpuid": "12345"}})), BAD, "owner"),
        (named(json!({"owner": {"zpuid": sam}})), BAD, "owner"),
        (named(json!({"owner": {}})), MISSING, "zpuid"),
        (named(json!({"copy_from": "abc"})), BAD, "copy_from"),
        (named(json!({"copy_from": "123"})), BAD, "copy_from"),
        (named(json!({"cf_nope": "x"})), BAD, "cf_nope"),
        (named(json!({"cf_seats": "many"})), BAD, "cf_seats"),
        (
            named(json!({"cf_go_live": "06-15-2026"})),
            BAD,
            "cf_go_live",
        ),
        (
            named(json!({"project_type": "template"})),
            BAD,
            "project_type",
        ),
    ];
    for (body, title, field) in &cases {
        v3_field_error(&env.v3_post(&t, &path, body).await, title, field);
    }
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let forbidden = env.v3_post(&eve, &path, &json!({"name": "Mine"})).await;
    v3_error(&forbidden, 403, "FORBIDDEN");
    // Nothing above was created.
    let (_, list) = env.v3_get(&t, &path, &[]).await;
    assert_eq!(v3_names(&list), vec!["Website Redesign", "Old Intranet"]);
}

#[tokio::test]
async fn v3_mandatory_custom_fields_are_less_than_min_occurance() {
    let (env, ids) = Env::start().await;
    let portal_id: i64 = ids.empty.parse().unwrap();
    env.store.with(|c| {
        let field = CustomField {
            column_name: "UDF_CHAR9".into(),
            label_name: "CRM Deal ID".into(),
            field_type: FieldType::Text,
            is_mandatory: true,
        };
        db::insert_custom_field(c, portal_id, &field).unwrap();
    });
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = v3(&ids.empty, "/projects");
    let answer = env.v3_post(&t, &path, &json!({"name": "Deal"})).await;
    v3_field_error(&answer, "LESS_THAN_MIN_OCCURANCE", "cf_crm_deal_id");
    let with = json!({"name": "Deal", "cf_crm_deal_id": "7217638000000702236"});
    let (status, p) = env.v3_post(&t, &path, &with).await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["cf_crm_deal_id"], "7217638000000702236");
    let item = format!("{path}/{}", p["id"].as_str().unwrap());
    let clear = env
        .v3_patch(&t, &item, &json!({"cf_crm_deal_id": null}))
        .await;
    v3_field_error(&clear, "LESS_THAN_MIN_OCCURANCE", "cf_crm_deal_id");
}

#[tokio::test]
async fn v3_serves_roles_and_project_custom_fields() {
    let (env, ids) = Env::start().await;
    let t = env.token("eve@acme.com", ALL_SCOPES);
    let (status, body) = env.v3_get(&t, &v3(&ids.acme, "/settings/roles"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v3_names(&body["roles"]),
        vec!["Manager", "Employee", "Contractor"]
    );
    let defaults: Vec<bool> = body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["is_default"].as_bool().unwrap())
        .collect();
    assert_eq!(defaults, vec![false, true, false]);
    assert!(body["roles"][0]["id"].is_string());

    let path = v3(&ids.acme, "/settings/fields");
    let (status, body) = env.v3_get(&t, &path, &[("module", "projects")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fields = body["fields"].as_array().unwrap();
    let api_names: Vec<&str> = fields
        .iter()
        .map(|f| f["api_name"].as_str().unwrap())
        .collect();
    assert_eq!(api_names, vec!["cf_budget_code", "cf_seats", "cf_go_live"]);
    assert_eq!(fields[0]["display_name"], "Budget Code");
    assert_eq!(fields[0]["column_name"], "UDF_CHAR1");
    assert_eq!(fields[0]["field_type"], "text");
    assert_eq!(fields[0]["is_mandatory"], false);
    assert_eq!(fields[0]["is_custom_field"], true);
    assert!(fields[0]["id"].is_string());
    let bad = env.v3_get(&t, &path, &[("module", "tasks")]).await;
    v3_field_error(&bad, "INVALID_PARAMETER_VALUE", "module");
    let missing = env.v3_get(&t, &path, &[]).await;
    v3_field_error(&missing, "LESS_THAN_MIN_OCCURANCE", "module");
}
