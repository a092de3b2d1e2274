//! Tokens and permissions, users, throttling, counters, faults and persistence.

use super::*;

/// Tenant, form, expected status and OAuth error.
type TokenCase<'a> = (&'a str, [(&'a str, &'a str); 4], StatusCode, &'a str);

#[tokio::test]
async fn the_client_credentials_grant_issues_bearer_tokens_and_refuses_bad_requests() {
    let env = Env::start().await;
    let ok = env
        .token_request(
            TENANT,
            &[
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(ok.body["expires_in"], 3600);
    assert!(ok.body["ext_expires_in"].is_u64());
    assert!(ok.body["access_token"].as_str().unwrap().len() > 20);

    let cases: [TokenCase; 5] = [
        (
            TENANT,
            [
                ("client_id", APP),
                ("client_secret", "wrong"),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            TENANT,
            [
                ("client_id", "nobody"),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
        ),
        (
            TENANT,
            [
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", "Calendars.Read"),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            TENANT,
            [
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "password"),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            "no-such-tenant",
            [
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (tenant, form, status, error) in cases {
        let a = env.token_request(tenant, &form).await;
        assert_eq!(a.status, status, "{}", a.body);
        assert_eq!(a.body["error"], error, "{}", a.body);
        assert!(
            a.body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS")
        );
    }
    let wrong_method = env
        .http
        .get(format!(
            "{}/login/{TENANT}/oauth2/v2.0/token",
            env.sandbox.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::NOT_FOUND);
    let body: Value = wrong_method.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let missing = env
        .token_request(TENANT, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.body["error_description"]
            .as_str()
            .unwrap()
            .contains("'client_id'")
    );
}

#[tokio::test]
async fn calls_need_a_live_token_and_the_right_application_role() {
    let env = Env::start().await;
    let none = env
        .call(reqwest::Method::GET, "/users", "", None, &[])
        .await;
    assert_graph_error(
        &none,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    );
    let bogus = env
        .call(reqwest::Method::GET, "/users", "nope", None, &[])
        .await;
    assert_graph_error(
        &bogus,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    );

    let reader = env.grant(TENANT, "app-reader", "r").await;
    let read = env
        .call(
            reqwest::Method::GET,
            "/users/ada@acme.com/calendars",
            &reader,
            None,
            &[],
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let write = env
        .call(
            reqwest::Method::POST,
            "/users/ada@acme.com/calendars",
            &reader,
            Some(json!({"name": "X"})),
            &[],
        )
        .await;
    assert_graph_error(&write, StatusCode::FORBIDDEN, "ErrorAccessDenied");
    let contacts = env
        .call(
            reqwest::Method::GET,
            "/users/ada@acme.com/contactFolders",
            &reader,
            None,
            &[],
        )
        .await;
    assert_graph_error(&contacts, StatusCode::FORBIDDEN, "ErrorAccessDenied");
    let users = env
        .call(reqwest::Method::GET, "/users", &reader, None, &[])
        .await;
    assert_graph_error(&users, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let env = Env::start_with(SandboxConfig {
        token_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let a = env.get("/users").await;
    assert_graph_error(&a, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn users_list_in_pages_and_resolve_by_id_or_principal_name_within_the_tenant() {
    let env = Env::start().await;
    let first = env.get("/users?$top=3&$select=displayName,mail").await;
    assert_eq!(first.status, StatusCode::OK);
    let page = first.body["value"].as_array().unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(page[0]["displayName"], "Ada Admin");
    assert_eq!(page[0]["mail"], "ada@acme.com");
    assert!(page[0]["id"].is_string());
    assert!(page[0].get("userPrincipalName").is_none());
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    let second = env.get(next).await;
    let rest = second.body["value"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["displayName"], "Room");
    assert!(
        rest[0].get("userPrincipalName").is_none(),
        "$select carries over"
    );
    assert!(second.body.get("@odata.nextLink").is_none());

    let by_upn = env.get("/users/PAT@acme.com").await;
    assert_eq!(by_upn.status, StatusCode::OK);
    assert_eq!(by_upn.body["userPrincipalName"], "pat@acme.com");
    let id = by_upn.body["id"].as_str().unwrap();
    let by_id = env.get(&format!("/users/{id}")).await;
    assert_eq!(by_id.body["displayName"], "Pat Doe");

    let other = env.get("/users/eve@other.example").await;
    assert_graph_error(&other, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let filtered = env.get("/users?$filter=displayName eq 'dev builder'").await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
    let bad_top = env.get("/users?$top=5000").await;
    assert_graph_error(
        &bad_top,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
    );
}

#[tokio::test]
async fn a_mailbox_over_its_budget_gets_429_with_retry_after() {
    let env = Env::start_with(SandboxConfig {
        graph: GraphConfig {
            mailbox_budget: Some(MailboxBudget {
                requests: 3,
                per: Duration::from_secs(3600),
            }),
            ..GraphConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            env.get("/users/pat@acme.com/calendars").await.status,
            StatusCode::OK
        );
    }
    let refused = env.get("/users/pat@acme.com/calendars").await;
    assert_graph_error(
        &refused,
        StatusCode::TOO_MANY_REQUESTS,
        "ApplicationThrottled",
    );
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait));
    // Another mailbox and the directory are not affected.
    assert_eq!(
        env.get("/users/ada@acme.com/calendars").await.status,
        StatusCode::OK
    );
    assert_eq!(env.get("/users").await.status, StatusCode::OK);
}

#[tokio::test]
async fn graph_calls_are_counted_per_template_and_spend_no_crm_credits() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    for _ in 0..3 {
        env.get(&format!("/users/ada@acme.com/calendars/{cal}/events"))
            .await;
    }
    let counters = &env.sandbox.counters;
    assert_eq!(
        counters.get("GET /graph/v1.0/users/{user_id}/calendars/{calendar_id}/events"),
        3
    );
    assert_eq!(counters.get("GET /graph/v1.0/users/{user_id}/calendars"), 1);
    assert_eq!(counters.get("POST /login/{tenant}/oauth2/v2.0/token"), 1);
    assert_eq!(env.sandbox.limits.credits_used(), 0);
}

#[tokio::test]
async fn injected_faults_answer_in_graph_format_but_spare_the_token_endpoint() {
    let env = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::ServerError],
        },
        ..SandboxConfig::default()
    })
    .await;
    let a = env.get("/users").await;
    assert_graph_error(&a, StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError");
    let env429 = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::TooManyRequests],
        },
        ..SandboxConfig::default()
    })
    .await;
    let b = env429.get("/users").await;
    assert_eq!(b.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(b.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn graph_data_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("sandbox.db");
    let config = || SandboxConfig {
        db: Some(db.clone()),
        ..SandboxConfig::default()
    };
    let env = Env::start_with(config()).await;
    let cal = env.default_calendar("dev@acme.com").await;
    let id = env
        .post(
            &format!("/users/dev@acme.com/calendars/{cal}/events"),
            json!({"subject": "Persisted", "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                   "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = env.token.clone();
    let Env { sandbox, .. } = env;
    sandbox.stop().await;

    let again = Env::start_with(config()).await;
    let got = again
        .call(
            reqwest::Method::GET,
            &format!("/users/dev@acme.com/events/{id}"),
            &token,
            None,
            &[],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["subject"], "Persisted");
}

#[tokio::test]
async fn the_demo_seed_has_a_tenant_matching_crm_users() {
    let env = Env::start_with(SandboxConfig {
        seed: Some(Seed::demo()),
        ..SandboxConfig::default()
    })
    .await;
    let demo = Seed::demo();
    let tenant = &demo.tenants[0];
    let app = &tenant.apps[0];
    let token = env
        .grant(&tenant.id, &app.client_id, &app.client_secret)
        .await;
    let users = env
        .call(reqwest::Method::GET, "/users", &token, None, &[])
        .await;
    let upns: Vec<&str> = users.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    assert!(upns.contains(&"admin@acme.com") && upns.contains(&"pat@acme.com"));
    assert!(
        upns.contains(&"nora@acme.com"),
        "a mailbox without a CRM user"
    );
}
