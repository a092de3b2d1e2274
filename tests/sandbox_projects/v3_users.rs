//! V3 users and clients: portal users (paging, `view_type`, add, role change), project
//! users, client companies, and client users through `type=2&company_ids=`.

use super::*;

fn emails(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

async fn role_id(env: &Env, token: &str, portal: &str, name: &str) -> String {
    let (_, body) = env.v3_get(token, &v3(portal, "/settings/roles"), &[]).await;
    body["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .map(|r| r["id"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no role {name}"))
}

/// Page `n` (two per page) of the portal users.
async fn users_page(env: &Env, token: &str, path: &str, n: &str) -> (StatusCode, Value) {
    let query = [("type", "1"), ("page", n), ("per_page", "2")];
    env.v3_get(token, path, &query).await
}

/// The client users of the companies `ids` (comma-separated).
async fn client_users(env: &Env, token: &str, path: &str, ids: &str) -> (StatusCode, Value) {
    let query = [("type", "2"), ("company_ids", ids)];
    env.v3_get(token, path, &query).await
}

#[tokio::test]
async fn v3_portal_users_page_and_filter_by_view_type() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let path = v3(&ids.acme, "/users");
    let (status, all) = env.v3_get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let everyone = [
        "owner@acme.com",
        "pat@acme.com",
        "eve@acme.com",
        "sam@acme.com",
    ];
    assert_eq!(emails(&all), everyone, "all by default, the owner first");
    assert_eq!(
        all["page_info"],
        json!({"page": 1, "per_page": 50, "has_next_page": false, "count": 4})
    );
    let first = users_page(&env, &t, &path, "1").await.1;
    assert_eq!(emails(&first), everyone[..2]);
    assert_eq!(first["page_info"]["has_next_page"], true);
    assert_eq!(first["page_info"]["count"], 4, "the whole listing's count");
    let second = users_page(&env, &t, &path, "2").await.1;
    assert_eq!(emails(&second), everyone[2..]);
    assert_eq!(second["page_info"]["has_next_page"], false);
    assert_eq!(second["page_info"]["page"], 2);
    let active = env.v3_get(&t, &path, &[("view_type", "active")]).await.1;
    assert_eq!(emails(&active), everyone[..3]);
    assert_eq!(active["page_info"]["count"], 3, "counted as filtered");
    let inactive = env.v3_get(&t, &path, &[("view_type", "inactive")]).await.1;
    assert_eq!(emails(&inactive), ["sam@acme.com"]);
    assert_eq!(inactive["users"][0]["status"], "inactive");

    let owner = &all["users"][0];
    assert_eq!(owner["id"], owner["zpuid"]);
    assert_eq!(owner["zpuid"].as_str().unwrap().len(), 19);
    assert!(owner["zuid"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(owner["first_name"], "Olive");
    assert_eq!(owner["last_name"], "Owner");
    assert_eq!(owner["full_name"], "Olive Owner");
    assert_eq!(owner["status"], "active");
    assert_eq!(owner["user_type"], "portal");
    assert_eq!(owner["role"]["name"], "Administrator");
    assert_eq!(owner["portal_profile"]["name"], "Portal Owner");
    let pat = &all["users"][1];
    assert_eq!(pat["role"]["name"], "Manager");
    assert_eq!(
        pat["role"]["id"],
        role_id(&env, &t, &ids.acme, "Manager").await
    );

    for (k, v) in [("view_type", "gone"), ("type", "3")] {
        let answer = env.v3_get(&t, &path, &[(k, v)]).await;
        v3_field_error(&answer, "INVALID_PARAMETER_VALUE", k);
    }
}

#[tokio::test]
async fn v3_adds_portal_users() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = v3(&ids.acme, "/users");
    let contractor = role_id(&env, &t, &ids.acme, "Contractor").await;
    let body = json!({"users": [
        {"email": "kim@acme.com", "role": {"id": contractor}},
        {"email": "lee@acme.com"},
        {"email": "KIM@acme.com"},
    ]});
    let (status, added) = env.v3_post(&t, &path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(emails(&added), ["kim@acme.com", "lee@acme.com"]);
    assert_eq!(added["users"][0]["role"]["name"], "Contractor");
    assert_eq!(added["users"][1]["role"]["name"], "Employee", "default");
    assert_eq!(added["users"][0]["status"], "active");
    let kim = env.token("kim@acme.com", ALL_SCOPES);
    let (_, portals) = env.v3_get(&kim, "/api/v3/portals", &[]).await;
    assert_eq!(v3_names(&portals), vec!["Acme Delivery"]);

    // Only the owner may make administrators: the owner's role id is not one to give.
    let (_, all) = env.v3_get(&t, &path, &[]).await;
    let admin = all["users"][0]["role"]["id"].as_str().unwrap();
    let one = |user: Value| json!({"users": [user]});
    let cases = [
        (one(json!({"email": "PAT@acme.com"})), BAD, "email"),
        (one(json!({"email": "sam@acme.com"})), BAD, "email"),
        (one(json!({"email": "jane@bowman.example"})), BAD, "email"),
        (one(json!({"email": "not-an-email"})), BAD, "email"),
        (
            one(json!({"email": "x@acme.com", "role": {"id": admin}})),
            BAD,
            "role",
        ),
        (
            one(json!({"email": "x@acme.com", "role": {"id": "1"}})),
            BAD,
            "role",
        ),
        (
            one(json!({"email": "x@acme.com", "role": {}})),
            MISSING,
            "id",
        ),
        (one(json!({"name": "No Email"})), MISSING, "email"),
        (json!({"users": []}), MISSING, "users"),
        (json!({}), MISSING, "users"),
        (json!({"users": ["x@acme.com"]}), JSON, "users"),
    ];
    for (body, title, field) in &cases {
        v3_field_error(&env.v3_post(&t, &path, body).await, title, field);
    }
    // A batch with one bad entry adds nobody.
    let batch = json!({"users": [{"email": "new@acme.com"}, {"email": "eve@acme.com"}]});
    v3_field_error(&env.v3_post(&t, &path, &batch).await, BAD, "email");
    let (_, all) = env.v3_get(&t, &path, &[]).await;
    assert!(!emails(&all).contains(&"new@acme.com".to_string()));
    let pat = env.token("pat@acme.com", ALL_SCOPES);
    let refused = one(json!({"email": "z@acme.com"}));
    v3_error(&env.v3_post(&pat, &path, &refused).await, 403, "FORBIDDEN");
}

#[tokio::test]
async fn v3_changes_a_portal_users_role() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = v3(&ids.acme, "/users");
    let (_, all) = env.v3_get(&t, &path, &[]).await;
    let zpuid = |i: usize| all["users"][i]["zpuid"].as_str().unwrap().to_string();
    let (owner, eve) = (zpuid(0), zpuid(2));
    let manager = json!({"role": {"id": role_id(&env, &t, &ids.acme, "Manager").await}});
    let user = format!("{path}/{eve}");
    let (status, changed) = env.v3_patch(&t, &user, &manager).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["role"]["name"], "Manager");
    assert_eq!(changed["email"], "eve@acme.com");
    let (_, listed) = env.v3_get(&t, &path, &[]).await;
    assert_eq!(listed["users"][2]["role"]["name"], "Manager");

    let of_owner = env.v3_patch(&t, &format!("{path}/{owner}"), &manager).await;
    v3_field_error(&of_owner, BAD, "role");
    v3_field_error(&env.v3_patch(&t, &user, &json!({})).await, MISSING, "role");
    let nobody = env.v3_patch(&t, &format!("{path}/123"), &manager).await;
    v3_error(&nobody, 404, "RESOURCE_NOT_FOUND");
    let listing = env.v3_get(&t, &user, &[]).await;
    v3_error(&listing, 400, "INVALID_METHOD");
    let pat = env.token("pat@acme.com", ALL_SCOPES);
    v3_error(&env.v3_patch(&pat, &user, &manager).await, 403, "FORBIDDEN");
}

#[tokio::test]
async fn v3_lists_and_adds_project_users() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let path = v3(&ids.acme, &format!("/projects/{id}/users"));
    let (status, before) = env.v3_get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    assert_eq!(emails(&before), ["pat@acme.com"]);
    assert_eq!(before["page_info"]["has_next_page"], false);
    let contractor = role_id(&env, &t, &ids.acme, "Contractor").await;
    let body = json!({"users": [
        {"email": "eve@acme.com", "role": {"id": contractor}},
        {"email": "owner@acme.com"},
    ]});
    let (status, added) = env.v3_post(&t, &path, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(
        added["users"][0]["role"]["name"], "Contractor",
        "the project role"
    );
    assert_eq!(
        added["users"][1]["role"]["name"], "Manager",
        "admins act as managers"
    );
    assert_eq!(added["users"][1]["portal_profile"]["name"], "Portal Owner");
    let first = env.v3_get(&t, &path, &[("per_page", "2")]).await.1;
    assert_eq!(emails(&first), ["owner@acme.com", "pat@acme.com"]);
    assert_eq!(first["page_info"]["has_next_page"], true);
    let second = env
        .v3_get(&t, &path, &[("per_page", "2"), ("page", "2")])
        .await
        .1;
    assert_eq!(emails(&second), ["eve@acme.com"]);
    assert_eq!(second["users"][0]["role"]["name"], "Contractor");

    let cases = [
        (
            json!({"users": [{"email": "eve@acme.com"}]}),
            "already a member of the project",
        ),
        (
            json!({"users": [{"email": "sam@acme.com"}]}),
            "not an active user",
        ),
        (
            json!({"users": [{"email": "nobody@acme.com"}]}),
            "not an active user",
        ),
    ];
    for (body, expected) in &cases {
        let detail = v3_error(
            &env.v3_post(&t, &path, body).await,
            400,
            "INVALID_PARAMETER_VALUE",
        );
        assert_eq!(detail["field_name"], "email");
        let message = detail["message"].as_str().unwrap();
        assert!(message.contains(expected), "{body}: {message}");
    }
    let unknown = v3(&ids.acme, "/projects/77/users");
    v3_error(
        &env.v3_get(&t, &unknown, &[]).await,
        404,
        "RESOURCE_NOT_FOUND",
    );
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let refused = env
        .v3_post(&eve, &path, &json!({"users": [{"email": "sam@acme.com"}]}))
        .await;
    v3_error(&refused, 403, "FORBIDDEN");
}

#[tokio::test]
async fn v3_lists_and_creates_client_companies() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = v3(&ids.acme, "/clients");
    let (status, body) = env.v3_get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v3_names(&body["clients"]),
        vec!["Bowman Furniture", "Carter Logistics"]
    );
    assert_eq!(body["clients"][0]["id"].as_str().unwrap().len(), 19);
    let new =
        json!({"name": "Delta Freight", "website": "https://delta.example", "phone": "+1 555"});
    let (status, made) = env.v3_post(&t, &path, &new).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["name"], "Delta Freight");
    assert_eq!(made["website"], "https://delta.example");
    assert_eq!(made["phone"], "+1 555");
    let first = env.v3_get(&t, &path, &[("per_page", "2")]).await.1;
    assert_eq!(first["page_info"]["has_next_page"], true);
    let third = env
        .v3_get(&t, &path, &[("per_page", "2"), ("page", "2")])
        .await
        .1;
    assert_eq!(v3_names(&third["clients"]), vec!["Delta Freight"]);
    assert_eq!(third["page_info"]["has_next_page"], false);

    let duplicate = env
        .v3_post(&t, &path, &json!({"name": "bowman furniture"}))
        .await;
    v3_field_error(&duplicate, "INVALID_PARAMETER_VALUE", "name");
    let nameless = env.v3_post(&t, &path, &json!({"website": "x"})).await;
    v3_field_error(&nameless, "LESS_THAN_MIN_OCCURANCE", "name");
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    v3_error(
        &env.v3_post(&eve, &path, &json!({"name": "E"})).await,
        403,
        "FORBIDDEN",
    );
    // The company is the legacy API's too.
    let legacy = env
        .get(&t, &format!("/restapi/portal/{}/clients/", ids.acme), &[])
        .await;
    assert!(names(&legacy.1, "clients").contains(&"Delta Freight".to_string()));
}

#[tokio::test]
async fn v3_lists_client_users_by_company() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let (_, clients) = env.v3_get(&t, &v3(&ids.acme, "/clients"), &[]).await;
    let bowman = clients["clients"][0]["id"].as_str().unwrap().to_string();
    let carter = clients["clients"][1]["id"].as_str().unwrap().to_string();
    // A second Bowman user and a Carter user, through the legacy API (V3 has no rule).
    for (client, email) in [
        (&bowman, "joe@bowman.example"),
        (&carter, "cat@carter.example"),
    ] {
        let legacy = format!("/restapi/portal/{}/clients/{client}/users/", ids.acme);
        let (status, body) = env.post(&t, &legacy, &[("email", email)]).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let path = v3(&ids.acme, "/users");
    let (status, body) = client_users(&env, &t, &path, &bowman).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(emails(&body), ["jane@bowman.example", "joe@bowman.example"]);
    let jane = &body["users"][0];
    assert_eq!(jane["user_type"], "client");
    assert_eq!(jane["full_name"], "Jane Bowman");
    assert_eq!(
        jane["client_company"],
        json!({"id": bowman, "name": "Bowman Furniture"})
    );
    assert_eq!(jane["projects"], json!([]));
    // Access to a project, given over legacy (V3 has no rule), shows in the listing.
    let website = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let jane_id = jane["zpuid"].as_str().unwrap();
    let grant = format!(
        "/restapi/portal/{}/clientusers/{jane_id}/projects/",
        ids.acme
    );
    let (status, granted) = env.post(&t, &grant, &[("project_ids", &website)]).await;
    assert_eq!(status, StatusCode::OK, "{granted}");
    let (_, body) = client_users(&env, &t, &path, &bowman).await;
    let expected = json!([{"id": website, "name": "Website Redesign"}]);
    assert_eq!(body["users"][0]["projects"], expected);
    assert_eq!(body["page_info"]["has_next_page"], false);
    let both = format!("{bowman},{carter}");
    assert_eq!(
        emails(&client_users(&env, &t, &path, &both).await.1).len(),
        3
    );
    let (_, all) = env
        .v3_get(&t, &path, &[("type", "2"), ("per_page", "2")])
        .await;
    assert_eq!(emails(&all).len(), 2);
    assert_eq!(all["page_info"]["has_next_page"], true);
    v3_error(
        &client_users(&env, &t, &path, "123").await,
        404,
        "RESOURCE_NOT_FOUND",
    );
    v3_field_error(
        &client_users(&env, &t, &path, "abc").await,
        "INVALID_PARAMETER_VALUE",
        "company_ids",
    );
}
