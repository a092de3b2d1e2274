//! Tokens, scopes, portal visibility per user, unknown URLs and malformed requests.

use super::*;

#[tokio::test]
async fn a_missing_unknown_or_expired_token_is_401_6401() {
    let (env, ids) = Env::start().await;
    let path = format!("/restapi/portal/{}/projects/", ids.acme);
    let resp = env.send(env.http.get(env.url(&path))).await;
    error(&resp, 401, 6401);
    error(&env.get("1000.nope", &path, &[]).await, 401, 6401);
    let expired = env.token_expiring("owner@acme.com", ALL_SCOPES, -1_000);
    error(&env.get(&expired, &path, &[]).await, 401, 6401);
    let bearer = env
        .send(env.http.get(env.url(&path)).bearer_auth("1000.nope"))
        .await;
    error(&bearer, 401, 6401);
}

#[tokio::test]
async fn a_token_without_the_endpoint_scope_is_403_6403() {
    let (env, ids) = Env::start().await;
    let portals_only = env.token("owner@acme.com", &["ZohoProjects.portals.READ"]);
    let msg = error(
        &env.get(
            &portals_only,
            &format!("/restapi/portal/{}/projects/", ids.acme),
            &[],
        )
        .await,
        403,
        6403,
    );
    assert_eq!(msg, "Invalid OAuth scope.");
    let read_only = env.token("owner@acme.com", &["ZohoProjects.projects.READ"]);
    let create = env
        .post(
            &read_only,
            &format!("/restapi/portal/{}/projects/", ids.acme),
            &[("name", "X")],
        )
        .await;
    error(&create, 403, 6403);
    let crm_only = env.token("owner@acme.com", &["ZohoCRM.modules.ALL"]);
    error(
        &env.get(&crm_only, "/restapi/portals/", &[]).await,
        403,
        6403,
    );
}

#[tokio::test]
async fn each_user_lists_the_portals_they_are_an_active_user_or_owner_of() {
    let (env, ids) = Env::start().await;
    let owner = env.token("owner@acme.com", ALL_SCOPES);
    let (status, body) = env.get(&owner, "/restapi/portals/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&body, "portals"),
        vec!["Acme Delivery", "Empty Portal"]
    );
    assert!(body["login_id"].as_str().unwrap().parse::<u64>().is_ok());
    let acme = &body["portals"][0];
    assert_eq!(acme["id_string"], ids.acme);
    assert_eq!(acme["id"].as_u64().unwrap().to_string(), ids.acme);
    assert_eq!(acme["role"], "admin");
    assert_eq!(acme["default"], true);
    assert_eq!(body["portals"][1]["default"], false);
    assert_eq!(acme["plan"], "Enterprise");
    assert_eq!(acme["project_count"]["active"], 1);
    assert_eq!(
        acme["link"]["project"]["url"],
        env.url(&format!("/restapi/portal/{}/projects/", ids.acme))
    );

    let pat = env.token("pat@acme.com", ALL_SCOPES);
    let body = env.get(&pat, "/restapi/portals/", &[]).await.1;
    assert_eq!(names(&body, "portals"), vec!["Acme Delivery"]);
    assert_eq!(body["portals"][0]["role"], "manager");

    // An inactive portal user and a stranger see no portal.
    for email in ["sam@acme.com", "stranger@nowhere.example"] {
        let t = env.token(email, ALL_SCOPES);
        let (status, body) = env.get(&t, "/restapi/portals/", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(names(&body, "portals").is_empty(), "{email}: {body}");
    }
    let other = env.token("other@else.example", ALL_SCOPES);
    let body = env.get(&other, "/restapi/portals/", &[]).await.1;
    assert_eq!(names(&body, "portals"), vec!["Other Portal"]);
}

#[tokio::test]
async fn a_portal_is_readable_only_by_its_users() {
    let (env, ids) = Env::start().await;
    let pat = env.token("pat@acme.com", ALL_SCOPES);
    let (status, body) = env
        .get(&pat, &format!("/restapi/portal/{}/", ids.acme), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(names(&body, "portals"), vec!["Acme Delivery"]);
    // Another user's portal exists but is not theirs: 403; no such portal: 404.
    let other = format!("/restapi/portal/{}/", ids.other);
    error(&env.get(&pat, &other, &[]).await, 403, 6403);
    let projects = format!("/restapi/portal/{}/projects/", ids.other);
    error(&env.get(&pat, &projects, &[]).await, 403, 6403);
    error(
        &env.get(&pat, "/restapi/portal/99999999/", &[]).await,
        404,
        6404,
    );
    error(
        &env.get(&pat, "/restapi/portal/acme/projects/", &[]).await,
        404,
        6404,
    );
    let sam = env.token("sam@acme.com", ALL_SCOPES);
    error(
        &env.get(&sam, &format!("/restapi/portal/{}/", ids.acme), &[])
            .await,
        403,
        6403,
    );
}

#[tokio::test]
async fn paths_work_with_and_without_the_trailing_slash() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    for path in ["/restapi/portals", "/restapi/portals/"] {
        assert_eq!(env.get(&t, path, &[]).await.0, StatusCode::OK, "{path}");
    }
    let path = format!("/restapi/portal/{}/projects", ids.acme);
    assert_eq!(env.get(&t, &path, &[]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn unknown_urls_and_methods_answer_in_the_api_error_format() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let msg = error(
        &env.get(&t, "/restapi/portal/1/nothing/here/", &[]).await,
        404,
        6404,
    );
    assert!(msg.contains("URL"), "{msg}");
    // Zoho has no endpoint to create a portal.
    let create_portal = env.post(&t, "/restapi/portals/", &[("name", "New")]).await;
    error(&create_portal, 405, 6404);
    let delete_portal = env
        .delete(&t, &format!("/restapi/portal/{}/", ids.empty))
        .await;
    error(&delete_portal, 405, 6404);
}

#[tokio::test]
async fn a_json_body_is_a_400_not_a_crash() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let req = env
        .http
        .post(env.url(&format!("/restapi/portal/{}/projects/", ids.acme)))
        .header("Authorization", format!("Zoho-oauthtoken {t}"))
        .header("Content-Type", "application/json")
        .body(r#"{"name":"X"}"#);
    let msg = error(&env.send(req).await, 400, 6831);
    assert!(msg.contains("form"), "{msg}");
    // Without a token the answer is still the token error.
    let anonymous = env
        .http
        .post(env.url(&format!("/restapi/portal/{}/projects/", ids.acme)))
        .header("Content-Type", "application/json")
        .body("{");
    error(&env.send(anonymous).await, 401, 6401);
}
