//! Portal users (list, add with role, update, remove) and project users (list, add).

use super::projects::zpuid_of;
use super::*;

fn users_path(portal: &str) -> String {
    format!("/restapi/portal/{portal}/users/")
}

fn emails(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|u| u["email"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn portal_users_list_by_user_type_with_the_owner_first() {
    let (env, ids) = Env::start().await;
    let t = env.token("eve@acme.com", ALL_SCOPES);
    let path = users_path(&ids.acme);
    let (status, all) = env.get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        emails(&all),
        vec![
            "owner@acme.com",
            "pat@acme.com",
            "eve@acme.com",
            "sam@acme.com"
        ]
    );
    let owner = &all["users"][0];
    assert_eq!(owner["role"], "admin");
    assert_eq!(owner["portal_profile_name"], "Portal Owner");
    assert_eq!(owner["name"], "Olive Owner");
    assert!(owner["id"].as_str().unwrap().parse::<u64>().is_ok());
    assert!(owner["zpuid"].as_str().unwrap().parse::<u64>().is_ok());
    let pat = &all["users"][1];
    assert_eq!(
        (
            pat["role"].as_str(),
            pat["portal_role_name"].as_str(),
            pat["active"].as_bool()
        ),
        (Some("Manager"), Some("Manager"), Some(true))
    );
    let active = env.get(&t, &path, &[("user_type", "active")]).await.1;
    assert_eq!(emails(&active).len(), 3);
    let inactive = env.get(&t, &path, &[("user_type", "inactive")]).await.1;
    assert_eq!(emails(&inactive), vec!["sam@acme.com"]);
    let page = env
        .get(&t, &path, &[("index", "2"), ("range", "2")])
        .await
        .1;
    assert_eq!(emails(&page), vec!["pat@acme.com", "eve@acme.com"]);
    assert_eq!(
        env.get(&t, &path, &[("index", "5")]).await.0,
        StatusCode::NO_CONTENT
    );
    error(
        &env.get(&t, &path, &[("user_type", "bots")]).await,
        400,
        6831,
    );
    error(&env.get(&t, &path, &[("range", "500")]).await, 400, 6831);
}

#[tokio::test]
async fn adding_portal_users_with_a_role_and_refusing_repeats() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = users_path(&ids.acme);
    let (status, body) = env
        .post(
            &t,
            &path,
            &[
                ("email", "kim@acme.com, lee@acme.com"),
                ("role", "contractor"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(emails(&body), vec!["kim@acme.com", "lee@acme.com"]);
    assert_eq!(body["users"][0]["role"], "Contractor");
    assert_eq!(body["users"][0]["active"], true);
    let (_, body) = env.post(&t, &path, &[("email", "max@acme.com")]).await;
    assert_eq!(body["users"][0]["role"], "Employee", "the default role");
    // The new user now sees the portal.
    let kim = env.token("kim@acme.com", ALL_SCOPES);
    assert_eq!(
        names(&env.get(&kim, "/restapi/portals/", &[]).await.1, "portals"),
        vec!["Acme Delivery"]
    );

    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("email", "PAT@acme.com")], "already a member"),
        (&[("email", "sam@acme.com")], "already a member"),
        (&[("email", "new@acme.com, kim@acme.com")], "kim@acme.com"),
        (&[("email", "jane@bowman.example")], "client user"),
        (&[("email", "not-an-email")], "email"),
        (&[("email", "")], "email"),
        (&[], "email"),
        (&[("email", "x@acme.com"), ("role", "admin")], "role"),
        (&[("email", "x@acme.com"), ("role", "Boss")], "role"),
    ];
    for (form, expected) in cases {
        let msg = error(&env.post(&t, &path, form).await, 400, 6831);
        assert!(msg.contains(expected), "{form:?}: {msg}");
    }
    // A rejected batch adds nobody.
    let all = env.get(&t, &path, &[]).await.1;
    assert!(!emails(&all).contains(&"new@acme.com".to_string()));
}

#[tokio::test]
async fn only_admins_manage_portal_users() {
    let (env, ids) = Env::start().await;
    let pat = env.token("pat@acme.com", ALL_SCOPES);
    let path = users_path(&ids.acme);
    error(
        &env.post(&pat, &path, &[("email", "z@acme.com")]).await,
        403,
        6403,
    );
    let read_only = env.token("owner@acme.com", &["ZohoProjects.users.READ"]);
    error(
        &env.post(&read_only, &path, &[("email", "z@acme.com")])
            .await,
        403,
        6403,
    );
}

#[tokio::test]
async fn updating_a_portal_users_role() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let eve = zpuid_of(&env, &t, &ids.acme, "eve@acme.com").await;
    let path = format!("{}{eve}/", users_path(&ids.acme));
    let (status, body) = env.post(&t, &path, &[("role", "Manager")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["users"][0]["role"], "Manager");
    assert_eq!(body["users"][0]["email"], "eve@acme.com");
    // By Zoho user id too.
    let zuid = body["users"][0]["id"].as_str().unwrap().to_string();
    let by_zuid = format!("{}{zuid}/", users_path(&ids.acme));
    let (status, body) = env.post(&t, &by_zuid, &[("role", "employee")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["users"][0]["role"], "Employee");

    error(&env.post(&t, &path, &[]).await, 400, 6831);
    error(&env.post(&t, &path, &[("role", "Owner")]).await, 400, 6831);
    let owner = zpuid_of(&env, &t, &ids.acme, "owner@acme.com").await;
    let msg = error(
        &env.post(
            &t,
            &format!("{}{owner}/", users_path(&ids.acme)),
            &[("role", "Employee")],
        )
        .await,
        400,
        6831,
    );
    assert!(msg.contains("owner"), "{msg}");
    let unknown = format!("{}42/", users_path(&ids.acme));
    error(
        &env.post(&t, &unknown, &[("role", "Employee")]).await,
        404,
        6404,
    );
}

#[tokio::test]
async fn removing_a_portal_user_but_never_the_owner() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let delete = |path: String| {
        let req = env
            .http
            .delete(env.url(&path))
            .header("Authorization", format!("Zoho-oauthtoken {t}"));
        env.send(req)
    };
    let eve = zpuid_of(&env, &t, &ids.acme, "eve@acme.com").await;
    let path = format!("{}{eve}/", users_path(&ids.acme));
    let (status, body) = delete(path.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["response"], "User removed successfully");
    let listed = env
        .get(&t, &users_path(&ids.acme), &[("user_type", "all")])
        .await
        .1;
    assert!(!emails(&listed).contains(&"eve@acme.com".to_string()));
    error(&delete(path).await, 404, 6404);
    let owner = zpuid_of(&env, &t, &ids.acme, "owner@acme.com").await;
    let msg = error(
        &delete(format!("{}{owner}/", users_path(&ids.acme))).await,
        400,
        6831,
    );
    assert!(msg.contains("owner"), "{msg}");
}

#[tokio::test]
async fn project_users_list_and_add() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let path = format!("/restapi/portal/{}/projects/{id}/users/", ids.acme);
    let (status, body) = env.get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(emails(&body), vec!["pat@acme.com"]);

    let (status, body) = env
        .post(
            &t,
            &path,
            &[
                ("email", "eve@acme.com,owner@acme.com"),
                ("role", "Employee"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(emails(&body), vec!["eve@acme.com", "owner@acme.com"]);
    assert_eq!(body["users"][1]["role"], "Employee", "the project role");
    assert_eq!(body["users"][1]["portal_profile_name"], "Portal Owner");
    let listed = env.get(&t, &path, &[]).await.1;
    assert_eq!(emails(&listed).len(), 3);

    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("email", "eve@acme.com")],
            "already a member of the project",
        ),
        (&[("email", "sam@acme.com")], "not an active user"),
        (&[("email", "nobody@acme.com")], "not an active user"),
        (&[("email", "bad")], "email"),
        (&[], "email"),
    ];
    for (form, expected) in cases {
        let msg = error(&env.post(&t, &path, form).await, 400, 6831);
        assert!(msg.contains(expected), "{form:?}: {msg}");
    }
    let unknown = format!("/restapi/portal/{}/projects/77/users/", ids.acme);
    error(&env.get(&t, &unknown, &[]).await, 404, 6404);
    error(
        &env.post(&t, &unknown, &[("email", "eve@acme.com")]).await,
        404,
        6404,
    );
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    error(
        &env.post(&eve, &path, &[("email", "owner@acme.com")]).await,
        403,
        6403,
    );
}
