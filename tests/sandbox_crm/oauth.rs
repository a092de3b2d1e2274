//! Zoho Accounts: the refresh-token grant in its three spellings, its errors, expiry,
//! revocation, the per-grant token rate limit, and the token and scope checks of the API.

use std::time::Duration;

use base64::Engine;
use projectlink::sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::json;

use super::support::{ADMIN_REFRESH, CLIENT_ID, CLIENT_SECRET, Env, demo_with_grants, send};

#[tokio::test]
async fn the_refresh_grant_works_with_form_fields_query_string_and_basic_auth() {
    let env = Env::start().await;
    let form = env.token_request(ADMIN_REFRESH).await;
    let body = form.ok();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["api_domain"], env.sandbox.url.as_str());
    assert!(
        body["scope"]
            .as_str()
            .unwrap()
            .contains("ZohoCRM.modules.ALL")
    );
    assert!(
        body.get("refresh_token").is_none(),
        "a refresh returns no new refresh token"
    );

    let query = send(env.http.post(env.url("/oauth/v2/token")).query(&[
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", ADMIN_REFRESH),
    ]))
    .await;
    assert!(query.body["access_token"].is_string(), "{}", query.body);

    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    let basic = send(
        env.http
            .post(env.url("/oauth/v2/token"))
            .header("Authorization", format!("Basic {basic}"))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", ADMIN_REFRESH),
            ]),
    )
    .await;
    let token = basic.body["access_token"].as_str().unwrap().to_string();
    let org = env
        .call_as(&token, Method::GET, "/crm/v8/org", &[], None)
        .await;
    assert_eq!(org.ok()["org"][0]["company_name"], "Acme Corp");
    assert_eq!(env.sandbox.counters.get("POST /oauth/v2/token"), 4);
}

#[tokio::test]
async fn bad_clients_and_grants_get_zoho_accounts_errors() {
    let env = Env::start().await;
    let ask = |pairs: Vec<(&'static str, &'static str)>| {
        send(env.http.post(env.url("/oauth/v2/token")).form(&pairs))
    };
    let wrong_secret = ask(vec![
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", "nope"),
        ("refresh_token", ADMIN_REFRESH),
    ])
    .await;
    assert_eq!(wrong_secret.body, json!({"error": "invalid_client"}));
    let unknown_grant = ask(vec![
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", "1000.unknown"),
    ])
    .await;
    assert_eq!(unknown_grant.body, json!({"error": "invalid_code"}));
    let other_grant_type = ask(vec![
        ("grant_type", "password"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ])
    .await;
    assert_eq!(
        other_grant_type.body,
        json!({"error": "unsupported_grant_type"})
    );
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_ttl() {
    let env = Env::start_with(SandboxConfig {
        token_ttl: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(env.token_request(ADMIN_REFRESH).await.body["expires_in"], 1);
    env.get("/crm/v8/org", &[]).await.ok();
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    env.get("/crm/v8/org", &[])
        .await
        .error(401, "INVALID_TOKEN");
    let fresh = env.token(ADMIN_REFRESH).await;
    env.call_as(&fresh, Method::GET, "/crm/v8/org", &[], None)
        .await
        .ok();
}

#[tokio::test]
async fn missing_and_unknown_tokens_are_invalid_tokens() {
    let env = Env::start().await;
    let none = send(env.http.get(env.url("/crm/v8/users"))).await;
    none.error(401, "INVALID_TOKEN");
    assert_eq!(none.body["message"], "invalid oauth token");
    env.call_as("1000.forged.token", Method::GET, "/crm/v8/users", &[], None)
        .await
        .error(401, "INVALID_TOKEN");
    let bearer = send(
        env.http
            .get(env.url("/crm/v8/users"))
            .header("Authorization", format!("Bearer {}", env.admin)),
    )
    .await;
    bearer.error(401, "INVALID_TOKEN");
}

#[tokio::test]
async fn each_endpoint_checks_the_scope_it_needs() {
    let seed = demo_with_grants(&[
        ("1000.users-only", "admin@acme.com", &["ZohoCRM.users.READ"]),
        (
            "1000.deals-only",
            "admin@acme.com",
            &["ZohoCRM.modules.deals.READ", "ZohoCRM.settings.fields.READ"],
        ),
    ]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let users_only = env.token("1000.users-only").await;
    env.call_as(&users_only, Method::GET, "/crm/v8/users", &[], None)
        .await
        .ok();
    for path in [
        "/crm/v8/org",
        "/crm/v8/settings/roles",
        "/crm/v8/settings/modules",
    ] {
        env.call_as(&users_only, Method::GET, path, &[], None)
            .await
            .error(401, "OAUTH_SCOPE_MISMATCH");
    }
    env.call_as(
        &users_only,
        Method::POST,
        "/crm/v8/users",
        &[],
        Some(json!({"users": []})),
    )
    .await
    .error(401, "OAUTH_SCOPE_MISMATCH");

    let deals_only = env.token("1000.deals-only").await;
    env.call_as(
        &deals_only,
        Method::GET,
        "/crm/v8/Deals",
        &[("fields", "Deal_Name")],
        None,
    )
    .await
    .ok();
    env.call_as(
        &deals_only,
        Method::GET,
        "/crm/v8/Contacts",
        &[("fields", "Email")],
        None,
    )
    .await
    .error(401, "OAUTH_SCOPE_MISMATCH");
    env.call_as(
        &deals_only,
        Method::POST,
        "/crm/v8/Deals",
        &[],
        Some(json!({"data": [{"Deal_Name": "x", "Stage": "Qualification"}]})),
    )
    .await
    .error(401, "OAUTH_SCOPE_MISMATCH");
    env.call_as(
        &deals_only,
        Method::GET,
        "/crm/v8/settings/fields",
        &[("module", "Deals")],
        None,
    )
    .await
    .ok();
}

#[tokio::test]
async fn revoking_a_grant_kills_its_access_tokens_and_further_refreshes() {
    let env = Env::start().await;
    env.get("/crm/v8/org", &[]).await.ok();
    let revoked = send(
        env.http
            .post(env.url("/oauth/v2/token/revoke"))
            .query(&[("token", ADMIN_REFRESH)]),
    )
    .await;
    assert_eq!(revoked.body["status"], "success");
    env.get("/crm/v8/org", &[])
        .await
        .error(401, "INVALID_TOKEN");
    assert_eq!(
        env.token_request(ADMIN_REFRESH).await.body,
        json!({"error": "invalid_code"})
    );
    assert_eq!(env.sandbox.counters.get("POST /oauth/v2/token/revoke"), 1);
}

#[tokio::test]
async fn a_grant_mints_at_most_ten_access_tokens_per_ten_minutes() {
    let env = Env::start().await; // already minted one
    for _ in 0..9 {
        env.token(ADMIN_REFRESH).await;
    }
    let refused = env.token_request(ADMIN_REFRESH).await;
    assert_eq!(refused.status.as_u16(), 400);
    assert_eq!(refused.body["error"], "Access Denied");
    // Tokens already issued keep working.
    env.get("/crm/v8/org", &[]).await.ok();

    let unlimited = Env::start_with(SandboxConfig {
        token_requests_per_10_min: None,
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..12 {
        unlimited.token(ADMIN_REFRESH).await;
    }
}

#[tokio::test]
async fn the_crm_user_behind_a_grant_must_be_active() {
    let seed = demo_with_grants(&[
        ("1000.lee", "lee@acme.com", &["ZohoCRM.org.READ"]),
        (
            "1000.stranger",
            "nobody@else.example",
            &["ZohoCRM.org.READ"],
        ),
    ]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    for grant in ["1000.lee", "1000.stranger"] {
        let token = env.token(grant).await;
        env.call_as(&token, Method::GET, "/crm/v8/org", &[], None)
            .await
            .error(401, "AUTHENTICATION_FAILURE");
    }
}
