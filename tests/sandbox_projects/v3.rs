//! The V3 API (`/api/v3/...`) of the Projects sandbox over real HTTP: portals, routing and
//! error envelopes here; projects, settings, users, clients and the one store legacy and V3
//! share in the files below.

use reqwest::Method;
use serde_json::json;

use super::*;

#[path = "v3_project_updates.rs"]
mod project_updates;
#[path = "v3_projects.rs"]
mod projects;
#[path = "v3_shared_store.rs"]
mod shared_store;
#[path = "v3_users.rs"]
mod users;

/// The error titles most cases expect.
const BAD: &str = "INVALID_PARAMETER_VALUE";
const MISSING: &str = "LESS_THAN_MIN_OCCURANCE";
const JSON: &str = "JSON_PARSE_ERROR";

/// `/api/v3/portal/{portal}{rest}`.
fn v3(portal: &str, rest: &str) -> String {
    format!("/api/v3/portal/{portal}{rest}")
}

impl Env {
    async fn v3_get(&self, token: &str, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        self.get(token, path, query).await
    }

    /// A V3 write with a JSON body.
    async fn v3_send(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: &Value,
    ) -> (StatusCode, Value) {
        let req = self
            .http
            .request(method, self.url(path))
            .json(body)
            .header("Authorization", format!("Zoho-oauthtoken {token}"));
        self.send(req).await
    }

    async fn v3_post(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.v3_send(Method::POST, token, path, body).await
    }

    async fn v3_patch(&self, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        self.v3_send(Method::PATCH, token, path, body).await
    }
}

/// Asserts a V3 error answer — status, the whole envelope, the title — and returns its
/// first `details` entry.
#[track_caller]
fn v3_error(answer: &(StatusCode, Value), status: u16, title: &str) -> Value {
    let (got, body) = answer;
    assert_eq!(got.as_u16(), status, "body: {body}");
    let e = &body["error"];
    assert_eq!(e["status_code"], status.to_string(), "body: {body}");
    assert_eq!(e["title"], title, "body: {body}");
    assert!(
        e["error_type"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        e["instance"].as_str().unwrap().starts_with("/api/v3"),
        "{body}"
    );
    assert!(
        e["method"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    let details = e["details"].as_array().expect("details is an array");
    assert!(details[0]["message"].is_string(), "{body}");
    details[0].clone()
}

/// Asserts a 400 `title` naming `field` in its details.
#[track_caller]
fn v3_field_error(answer: &(StatusCode, Value), title: &str, field: &str) {
    let detail = v3_error(answer, 400, title);
    assert_eq!(detail["field_name"], field, "{}", answer.1);
}

fn v3_names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn v3_lists_and_gets_portals() {
    let (env, ids) = Env::start().await;
    let owner = env.token("owner@acme.com", ALL_SCOPES);
    let (status, body) = env.v3_get(&owner, "/api/v3/portals", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v3_names(&body), vec!["Acme Delivery", "Empty Portal"]);
    let acme = &body[0];
    assert_eq!(acme["id"], ids.acme.as_str());
    assert_eq!(acme["portal_name"], "acmedelivery");
    assert_eq!(acme["org_name"], "Acme Delivery");
    assert_eq!(acme["is_default"], true);
    assert_eq!(body[1]["is_default"], false);
    assert_eq!(acme["owner"]["full_name"], "Olive Owner");
    assert_eq!(acme["owner"]["email"], "owner@acme.com");
    assert!(
        acme["owner"]["zuid"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert_eq!(acme["role"]["name"], "Administrator");
    assert_eq!(acme["portal_profile"]["name"], "Portal Owner");
    assert_eq!(acme["plan_details"]["projects_service_plan"], "Enterprise");
    assert_eq!(acme["project_count"]["active"], 1);
    assert!(acme["available_users"].as_i64().unwrap() > 0);

    let pat = env.token("pat@acme.com", ALL_SCOPES);
    let (status, body) = env.v3_get(&pat, &v3(&ids.acme, ""), &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let details = &body["portal_details"];
    assert_eq!(details["name"], "Acme Delivery");
    assert_eq!(details["role"]["name"], "Manager");
    assert_eq!(details["portal_profile"]["name"], "Manager");
    assert_eq!(details["is_default"], true);

    v3_error(
        &env.v3_get(&pat, &v3(&ids.other, ""), &[]).await,
        403,
        "FORBIDDEN",
    );
    let unknown = env.v3_get(&pat, &v3("99999999", ""), &[]).await;
    v3_error(&unknown, 404, "RESOURCE_NOT_FOUND");
    let sam = env.token("sam@acme.com", ALL_SCOPES);
    let (_, none) = env.v3_get(&sam, "/api/v3/portals", &[]).await;
    assert_eq!(none, json!([]), "an inactive user sees no portal");
}

#[tokio::test]
async fn v3_token_and_scope_failures_are_401() {
    let (env, ids) = Env::start().await;
    let path = v3(&ids.acme, "/projects");
    let anonymous = env.send(env.http.get(env.url(&path))).await;
    v3_error(&anonymous, 401, "INVALID_OAUTHTOKEN");
    v3_error(
        &env.v3_get("1000.nope", &path, &[]).await,
        401,
        "INVALID_OAUTHTOKEN",
    );
    let expired = env.token_expiring("owner@acme.com", ALL_SCOPES, -1_000);
    v3_error(
        &env.v3_get(&expired, &path, &[]).await,
        401,
        "INVALID_OAUTHTOKEN",
    );
    // Without a token a malformed body is still the token error.
    let req = env.http.post(env.url(&path)).body("{");
    v3_error(&env.send(req).await, 401, "INVALID_OAUTHTOKEN");

    let portals_only = env.token("owner@acme.com", &["ZohoProjects.portals.READ"]);
    let scope = env.v3_get(&portals_only, &path, &[]).await;
    let detail = v3_error(&scope, 401, "INVALID_OAUTHSCOPE");
    assert!(
        detail["message"]
            .as_str()
            .unwrap()
            .contains("projects.READ")
    );
    let roles = env
        .v3_get(&portals_only, &v3(&ids.acme, "/settings/roles"), &[])
        .await;
    v3_error(&roles, 401, "INVALID_OAUTHSCOPE");
    let users_only = env.token("owner@acme.com", &["ZohoProjects.users.READ"]);
    let fields = v3(&ids.acme, "/settings/fields");
    let answer = env
        .v3_get(&users_only, &fields, &[("module", "projects")])
        .await;
    v3_error(&answer, 401, "INVALID_OAUTHSCOPE");
    let read_only = env.token("owner@acme.com", &["ZohoProjects.projects.READ"]);
    let create = env.v3_post(&read_only, &path, &json!({"name": "X"})).await;
    v3_error(&create, 401, "INVALID_OAUTHSCOPE");
}

#[tokio::test]
async fn v3_paths_without_a_rule_and_wrong_methods_are_400() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let project = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let no_rule = [
        format!("/api/v3/portals/{}/projects", ids.acme),
        v3(&ids.acme, &format!("/projects/{project}/clients")),
        v3(&ids.acme, "/clients/1/users"),
        v3(&ids.acme, "/nothing/here"),
        "/api/v3/portals/".to_string(),
    ];
    for path in &no_rule {
        let answer = env.v3_get(&t, path, &[]).await;
        let detail = v3_error(&answer, 400, "URL_RULE_NOT_CONFIGURED");
        assert!(detail.get("field_name").is_none(), "{path}");
        assert_eq!(answer.1["error"]["instance"], path.as_str());
        assert_eq!(answer.1["error"]["method"], "GET");
    }
    let add_client = v3(&ids.acme, &format!("/projects/{project}/clients"));
    let answer = env
        .v3_post(&t, &add_client, &json!({"client_id": "1"}))
        .await;
    v3_error(&answer, 400, "URL_RULE_NOT_CONFIGURED");
    let client_user = v3(&ids.acme, "/clientusers/1/projects");
    let answer = env.v3_post(&t, &client_user, &json!({})).await;
    v3_error(&answer, 400, "URL_RULE_NOT_CONFIGURED");
    let item = v3(&ids.acme, &format!("/projects/{project}"));
    for method in [Method::DELETE, Method::PUT, Method::POST] {
        let answer = env.v3_send(method.clone(), &t, &item, &json!({})).await;
        v3_error(&answer, 400, "INVALID_METHOD");
        assert_eq!(answer.1["error"]["method"], method.as_str());
    }
    let portals = env
        .v3_post(&t, "/api/v3/portals", &json!({"name": "New"}))
        .await;
    v3_error(&portals, 400, "INVALID_METHOD");
    // The legacy API is untouched.
    let legacy = env
        .get(&t, &format!("/restapi/portal/{}/projects/", ids.acme), &[])
        .await;
    assert_eq!(legacy.0, StatusCode::OK);
}

#[tokio::test]
async fn v3_bodies_must_be_json_objects_of_the_right_types() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = v3(&ids.acme, "/projects");
    let form = env
        .send(
            env.http
                .post(env.url(&path))
                .header("Authorization", format!("Zoho-oauthtoken {t}"))
                .form(&[("name", "Form")]),
        )
        .await;
    v3_error(&form, 400, "INVALID_INPUTSTREAM");
    let raw = |text: &'static str| {
        env.http
            .post(env.url(&path))
            .header("Authorization", format!("Zoho-oauthtoken {t}"))
            .header("Content-Type", "application/json")
            .body(text)
    };
    v3_error(&env.send(raw("{not json")).await, 400, "JSON_PARSE_ERROR");
    v3_error(
        &env.send(raw(r#"[{"name":"X"}]"#)).await,
        400,
        "JSON_PARSE_ERROR",
    );
    let cases = [
        (json!({"name": 5}), "name"),
        (json!({"name": "N", "owner": "123"}), "owner"),
        (json!({"name": "N", "description": ["x"]}), "description"),
        (
            json!({"name": "N", "cf_budget_code": {"v": 1}}),
            "cf_budget_code",
        ),
    ];
    for (body, field) in cases {
        v3_field_error(
            &env.v3_post(&t, &path, &body).await,
            "JSON_PARSE_ERROR",
            field,
        );
    }
    let users = v3(&ids.acme, "/users");
    let answer = env
        .v3_post(&t, &users, &json!({"users": {"email": "a@b.co"}}))
        .await;
    v3_field_error(&answer, "JSON_PARSE_ERROR", "users");
}

#[tokio::test]
async fn v3_paging_parameters_are_checked() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let projects = v3(&ids.acme, "/projects");
    for (k, v) in [
        ("per_page", "201"),
        ("per_page", "0"),
        ("page", "0"),
        ("page", "x"),
    ] {
        let answer = env.v3_get(&t, &projects, &[(k, v)]).await;
        v3_field_error(&answer, "INVALID_PARAMETER_VALUE", k);
    }
    let ok = env.v3_get(&t, &projects, &[("per_page", "200")]).await;
    assert_eq!(ok.0, StatusCode::OK);
    let users = v3(&ids.acme, "/users");
    let answer = env.v3_get(&t, &users, &[("per_page", "51")]).await;
    v3_field_error(&answer, "INVALID_PARAMETER_VALUE", "per_page");
    let empty = env.v3_get(&t, &v3(&ids.empty, "/projects"), &[]).await;
    assert_eq!(empty, (StatusCode::OK, json!([])), "an empty list is []");
    let (status, clients) = env.v3_get(&t, &v3(&ids.empty, "/clients"), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(clients["clients"], json!([]));
    assert_eq!(
        clients["page_info"],
        json!({"page": 1, "per_page": 100, "has_next_page": false, "count": 0})
    );
}
