//! Client companies, client users (and their projects), and the clients of a project.

use super::*;

fn clients_path(portal: &str) -> String {
    format!("/restapi/portal/{portal}/clients/")
}

async fn client_id(env: &Env, token: &str, portal: &str, name: &str) -> String {
    let body = env.get(token, &clients_path(portal), &[]).await.1;
    body["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .map(|c| c["id_string"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no client {name}"))
}

#[tokio::test]
async fn client_companies_list_create_and_refuse_duplicates() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let empty = env.get(&t, &clients_path(&ids.empty), &[]).await;
    let owner = env.token("owner@acme.com", ALL_SCOPES);
    assert_eq!(
        env.get(&owner, &clients_path(&ids.empty), &[]).await.0,
        StatusCode::NO_CONTENT
    );
    error(&empty, 403, 6403);

    let path = clients_path(&ids.acme);
    let (status, body) = env.get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&body, "clients"),
        vec!["Bowman Furniture", "Carter Logistics"]
    );
    let (status, body) = env
        .post(
            &t,
            &path,
            &[
                ("name", "Dunn & Sons"),
                ("website", "https://dunn.example"),
                ("phone", "+1 555"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let c = &body["clients"][0];
    assert_eq!(c["name"], "Dunn & Sons");
    assert_eq!(c["website"], "https://dunn.example");
    assert_eq!(c["phone"], "+1 555");
    assert_eq!(
        c["id"].as_u64().unwrap().to_string(),
        c["id_string"].as_str().unwrap()
    );

    let page = env
        .get(&t, &path, &[("index", "2"), ("range", "1")])
        .await
        .1;
    assert_eq!(names(&page, "clients"), vec!["Carter Logistics"]);
    error(&env.get(&t, &path, &[("range", "1000")]).await, 400, 6831);
    let msg = error(
        &env.post(&t, &path, &[("name", "bowman furniture")]).await,
        400,
        6831,
    );
    assert!(msg.contains("already exists"), "{msg}");
    error(&env.post(&t, &path, &[]).await, 400, 6831);
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    error(
        &env.post(&eve, &path, &[("name", "Eve Co")]).await,
        403,
        6403,
    );
}

#[tokio::test]
async fn client_users_are_added_once_per_portal() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let bowman = client_id(&env, &t, &ids.acme, "Bowman Furniture").await;
    let carter = client_id(&env, &t, &ids.acme, "Carter Logistics").await;
    let carter_users = format!("{}{carter}/users/", clients_path(&ids.acme));
    assert_eq!(
        env.get(&t, &carter_users, &[]).await.0,
        StatusCode::NO_CONTENT
    );

    let (status, body) = env
        .post(
            &t,
            &carter_users,
            &[("email", "cat@carter.example"), ("name", "Cat Carter")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let u = &body["users"][0];
    assert_eq!(u["name"], "Cat Carter");
    assert_eq!(u["client_id"], carter);
    assert_eq!(u["project_ids"], serde_json::json!([]));
    let listed = env.get(&t, &carter_users, &[]).await.1;
    assert_eq!(listed["users"][0]["email"], "cat@carter.example");

    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("email", "CAT@carter.example")], "this company"),
        (&[("email", "jane@bowman.example")], "Bowman Furniture"),
        (&[("email", "pat@acme.com")], "portal user"),
        (&[("email", "a@b.example,c@d.example")], "one email"),
        (&[("email", "nope")], "email"),
        (&[], "email"),
    ];
    for (form, expected) in cases {
        let msg = error(&env.post(&t, &carter_users, form).await, 400, 6831);
        assert!(msg.contains(expected), "{form:?}: {msg}");
    }
    let bowman_users = format!("{}{bowman}/users/", clients_path(&ids.acme));
    assert_eq!(
        env.get(&t, &bowman_users, &[]).await.1["users"][0]["name"],
        "Jane Bowman"
    );
    let unknown = format!("{}12345/users/", clients_path(&ids.acme));
    error(&env.get(&t, &unknown, &[]).await, 404, 6404);
    error(
        &env.post(&t, &unknown, &[("email", "x@y.example")]).await,
        404,
        6404,
    );
}

#[tokio::test]
async fn client_users_are_added_to_projects() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let bowman = client_id(&env, &t, &ids.acme, "Bowman Furniture").await;
    let users = env
        .get(
            &t,
            &format!("{}{bowman}/users/", clients_path(&ids.acme)),
            &[],
        )
        .await
        .1;
    let jane = users["users"][0]["id"].as_str().unwrap().to_string();
    let jane_zpuid = users["users"][0]["zpuid"].as_str().unwrap().to_string();
    let website = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let intranet = project_id(&env, &t, &ids.acme, "Old Intranet").await;
    let path = format!("/restapi/portal/{}/clientusers/{jane}/projects/", ids.acme);
    let both = format!("{website},{intranet}");
    let (status, body) = env.post(&t, &path, &[("project_ids", both.as_str())]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut expected = vec![website.clone(), intranet.clone()];
    expected.sort();
    assert_eq!(body["users"][0]["project_ids"], serde_json::json!(expected));
    // Repeating is harmless; the zpuid names the same user.
    let by_zpuid = format!(
        "/restapi/portal/{}/clientusers/{jane_zpuid}/projects/",
        ids.acme
    );
    let (status, body) = env
        .post(&t, &by_zpuid, &[("project_ids", website.as_str())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["users"][0]["project_ids"].as_array().unwrap().len(), 2);

    let template = project_id(&env, &t, &ids.acme, "Standard Delivery").await;
    for bad in ["", "abc", "999", template.as_str()] {
        let msg = error(
            &env.post(&t, &path, &[("project_ids", bad)]).await,
            400,
            6831,
        );
        assert!(msg.contains("project_ids"), "{bad}: {msg}");
    }
    let unknown = format!("/restapi/portal/{}/clientusers/5/projects/", ids.acme);
    error(
        &env.post(&t, &unknown, &[("project_ids", website.as_str())])
            .await,
        404,
        6404,
    );
}

#[tokio::test]
async fn a_project_has_at_most_one_primary_client() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let carter = client_id(&env, &t, &ids.acme, "Carter Logistics").await;
    let website = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let path = format!("/restapi/portal/{}/projects/{website}/clients/", ids.acme);
    let (status, body) = env.get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["clients"],
        serde_json::json!([{"id": client_id(&env, &t, &ids.acme, "Bowman Furniture").await,
                            "name": "Bowman Furniture", "primary": true}])
    );

    let msg = error(
        &env.post(
            &t,
            &path,
            &[("client_id", carter.as_str()), ("primary", "true")],
        )
        .await,
        400,
        6831,
    );
    assert!(
        msg.contains("primary client") && msg.contains("Bowman"),
        "{msg}"
    );
    let (status, body) = env
        .post(
            &t,
            &path,
            &[("client_id", carter.as_str()), ("primary", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["clients"][0],
        serde_json::json!({"id": carter, "name": "Carter Logistics", "primary": false})
    );
    let listed = env.get(&t, &path, &[]).await.1;
    assert_eq!(
        names(&listed, "clients"),
        vec!["Bowman Furniture", "Carter Logistics"]
    );

    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("client_id", carter.as_str())], "already a client"),
        (&[("client_id", "123")], "client_id"),
        (&[("client_id", "x")], "client_id"),
        (&[], "client_id"),
    ];
    for (form, expected) in cases {
        let msg = error(&env.post(&t, &path, form).await, 400, 6831);
        assert!(msg.contains(expected), "{form:?}: {msg}");
    }
}

#[tokio::test]
async fn the_first_primary_client_of_a_project_is_accepted() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let carter = client_id(&env, &t, &ids.acme, "Carter Logistics").await;
    let intranet = project_id(&env, &t, &ids.acme, "Old Intranet").await;
    let path = format!("/restapi/portal/{}/projects/{intranet}/clients/", ids.acme);
    assert_eq!(env.get(&t, &path, &[]).await.0, StatusCode::NO_CONTENT);
    let msg = error(
        &env.post(
            &t,
            &path,
            &[("client_id", carter.as_str()), ("primary", "yes")],
        )
        .await,
        400,
        6831,
    );
    assert!(msg.contains("primary"), "{msg}");
    let (status, body) = env
        .post(
            &t,
            &path,
            &[("client_id", carter.as_str()), ("primary", "TRUE")],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["clients"][0]["primary"], true);
    let template = project_id(&env, &t, &ids.acme, "Standard Delivery").await;
    let template_clients = format!("/restapi/portal/{}/projects/{template}/clients/", ids.acme);
    error(
        &env.post(&t, &template_clients, &[("client_id", carter.as_str())])
            .await,
        400,
        6831,
    );
    let unknown = format!("/restapi/portal/{}/projects/1/clients/", ids.acme);
    error(&env.get(&t, &unknown, &[]).await, 404, 6404);
    let scoped = env.token("owner@acme.com", &["ZohoProjects.projects.ALL"]);
    error(&env.get(&scoped, &path, &[]).await, 403, 6403);
}
