//! The shared HTTP behaviour of the Zoho clients against a scripted server: token refresh and
//! cache, refresh on 401, retries on 429/5xx/connection resets/timeouts, the concurrency
//! bound, call and credit counting, the fault script, and secrets staying out of errors.

mod zoho_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use projectlink::zoho::crm::Record;
use projectlink::zoho::{
    ApiError, AuthError, ClientOptions, CrmApi, Endpoints, ProjectsApi, ZohoClients, ZohoError,
};
use serde_json::json;
use zoho_support::*;

fn org_body() -> serde_json::Value {
    json!({"org": [{"id": "4150868000000225000", "company_name": "Acme", "primary_email": "admin@acme.com"}]})
}

#[tokio::test]
async fn the_token_is_fetched_once_with_the_refresh_grant_and_then_cached() {
    let fake = FakeZoho::api(|_, _| async { Reply::ok(org_body()) }).await;
    let clients = connect(&fake, &fast_options());
    for _ in 0..3 {
        assert_eq!(clients.crm.org().await.unwrap().company_name, "Acme");
    }
    // A burst of concurrent calls on a cold client would each need a token; one refresh
    // serves them all.
    let cold = connect(&fake, &fast_options());
    let burst = (0..20).map(|_| cold.crm.org());
    for result in futures::future::join_all(burst).await {
        result.unwrap();
    }

    let tokens = fake.token_requests();
    assert_eq!(tokens.len(), 2, "one refresh per client");
    let form = tokens[0].form();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("grant_type"), Some("refresh_token"));
    assert_eq!(field("client_id"), Some(CLIENT_ID));
    assert_eq!(field("client_secret"), Some(CANARY_SECRET));
    assert_eq!(field("refresh_token"), Some(CANARY_REFRESH));
    assert_eq!(tokens[0].method, "POST");

    let api = fake.api_requests();
    assert_eq!(api.len(), 23);
    assert!(
        api[..3]
            .iter()
            .all(|r| r.token().as_deref() == Some("tok-1"))
    );
    assert!(
        api[3..]
            .iter()
            .all(|r| r.token().as_deref() == Some("tok-2"))
    );
    assert_eq!(api[0].path, "/crm/v8/org");
    assert_eq!(clients.stats.snapshot().token_refreshes, 1);
}

#[tokio::test]
async fn a_401_refreshes_the_token_and_retries_once() {
    let fake = FakeZoho::api(|request, _| async move {
        match request.token().as_deref() {
            Some("tok-1") => Reply::crm_error(401, "INVALID_TOKEN", "invalid oauth token"),
            _ => Reply::ok(org_body()),
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    clients.crm.org().await.unwrap();
    assert_eq!(fake.token_requests().len(), 2);
    let tokens: Vec<_> = fake.api_requests().iter().map(|r| r.token()).collect();
    assert_eq!(tokens, vec![Some("tok-1".into()), Some("tok-2".into())]);
}

#[tokio::test]
async fn a_401_that_persists_fails_after_one_refresh() {
    let fake = FakeZoho::api(|_, _| async {
        Reply::crm_error(401, "INVALID_TOKEN", "invalid oauth token")
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let err = clients.crm.org().await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.code(), Some("INVALID_TOKEN"));
    assert!(!err.is_retryable());
    assert_eq!(fake.api_requests().len(), 2);
    assert_eq!(fake.token_requests().len(), 2);
}

#[tokio::test]
async fn a_scope_mismatch_is_not_cured_by_a_new_token() {
    let fake = FakeZoho::api(|_, _| async {
        Reply::crm_error(
            401,
            "OAUTH_SCOPE_MISMATCH",
            "invalid oauth scope to access this URL",
        )
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let err = clients.crm.org().await.unwrap_err();
    assert_eq!(err.code(), Some("OAUTH_SCOPE_MISMATCH"));
    assert_eq!(fake.api_requests().len(), 1);
    assert_eq!(fake.token_requests().len(), 1);
}

#[tokio::test]
async fn rate_limits_are_retried_honouring_retry_after_and_counted() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let fake = FakeZoho::api(move |_, _| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if n < 2 {
                Reply::crm_error(429, "TOO_MANY_REQUESTS", "too many requests")
                    .header("retry-after", "0")
            } else {
                Reply::ok(org_body())
            }
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    clients.crm.org().await.unwrap();
    let stats = clients.stats.snapshot();
    assert_eq!(stats.crm_calls, 3);
    assert_eq!(stats.crm_rate_limited, 2);
    assert_eq!(stats.retries, 2);
    assert_eq!(stats.crm_credits, 1, "refused calls cost no credits");
}

#[tokio::test]
async fn server_errors_are_retried_up_to_the_budget_then_reported_clearly() {
    let fake = FakeZoho::api(|_, _| async {
        Reply::crm_error(500, "INTERNAL_ERROR", "Internal server error occurred.")
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let err = clients
        .crm
        .users(projectlink::zoho::crm::UserType::ActiveUsers)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ZohoError::RetriesExhausted { attempts: 4, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.code(), Some("INTERNAL_ERROR"));
    let text = err.to_string();
    assert!(text.contains("gave up after 4 attempts"), "{text}");
    assert!(
        text.contains("GET /crm/v8/users?type=ActiveUsers&page=1&per_page=200"),
        "{text}"
    );
    assert_eq!(fake.api_requests().len(), 4);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let fake = FakeZoho::api(|_, _| async {
        Reply::json(
            400,
            json!({"code": "INVALID_DATA", "details": {"api_name": "Email", "json_path": "$.users[0].email"},
                   "message": "invalid data", "status": "error"}),
        )
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let err = clients.crm.org().await.unwrap_err();
    let ZohoError::Api(api) = &err else {
        panic!("expected an API error, got {err:?}")
    };
    assert_eq!(api.status, 400);
    assert_eq!(api.code, "INVALID_DATA");
    assert_eq!(api.details["api_name"], "Email");
    assert!(err.to_string().contains("(field Email)"));
    assert_eq!(fake.api_requests().len(), 1);
}

#[tokio::test]
async fn reset_connections_are_retried() {
    let fake = FakeZoho::api(|_, _| async { Reply::ok(org_body()) }).await;
    let clients = connect(&fake, &fast_options());
    clients.crm.org().await.unwrap();
    let before = clients.stats.snapshot();
    fake.drop_next_connections(2);
    clients.crm.org().await.unwrap();
    let delta = clients.stats.snapshot().since(&before);
    assert_eq!(delta.crm_calls, 3);
    assert_eq!(delta.retries, 2);
    assert_eq!(
        fake.api_requests().len(),
        2,
        "reset connections never reached the handler"
    );
}

#[tokio::test]
async fn connections_that_keep_failing_end_in_a_transport_error() {
    let fake = FakeZoho::api(|_, _| async { Reply::ok(org_body()) }).await;
    let clients = connect(&fake, &fast_options());
    clients.crm.org().await.unwrap();
    fake.drop_next_connections(100);
    let err = clients.crm.org().await.unwrap_err();
    let ZohoError::RetriesExhausted { attempts, last } = &err else {
        panic!("expected retries to run out, got {err:?}")
    };
    assert_eq!(*attempts, 4);
    assert!(matches!(**last, ZohoError::Transport { .. }), "{last:?}");
    assert!(err.to_string().contains("GET /crm/v8/org"), "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn timeouts_are_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let fake = FakeZoho::api(move |_, _| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Reply::ok(org_body()).after(Duration::from_secs(30))
            } else {
                Reply::ok(org_body())
            }
        }
    })
    .await;
    let options = ClientOptions {
        timeout: Duration::from_millis(300),
        ..fast_options()
    };
    let clients = connect(&fake, &options);
    clients.crm.org().await.unwrap();
    assert_eq!(clients.stats.snapshot().crm_calls, 2);
    assert_eq!(clients.stats.snapshot().retries, 1);
}

#[tokio::test]
async fn concurrency_never_exceeds_the_configured_limit() {
    let fake = FakeZoho::api(|_, ctx| async move {
        ctx.hold_until_limit(3).await;
        Reply::ok(org_body())
    })
    .await;
    let options = ClientOptions {
        concurrency: 3,
        ..fast_options()
    };
    let clients = connect(&fake, &options);
    let calls = (0..30).map(|_| clients.crm.org());
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(fake.max_in_flight(), 3);
}

#[tokio::test]
async fn the_default_limit_is_ten_and_batched_writes_respect_it() {
    assert_eq!(ClientOptions::default().concurrency, 10);
    let fake = FakeZoho::api(|request, ctx| async move {
        ctx.hold_until_limit(10).await;
        let n = request.json()["data"].as_array().unwrap().len();
        let items: Vec<_> = (0..n).map(|i| success_item(&i.to_string())).collect();
        Reply::json(201, json!({ "data": items }))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let records: Vec<Record> = (0..2000)
        .map(|i| {
            json!({"Last_Name": format!("L{i}")})
                .as_object()
                .unwrap()
                .clone()
        })
        .collect();
    let results = clients
        .crm
        .insert_records("Contacts", &records)
        .await
        .unwrap();
    assert_eq!(results.len(), 2000);
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(fake.api_requests().len(), 20);
    assert_eq!(fake.max_in_flight(), 10);
}

#[tokio::test]
async fn crm_calls_follow_the_api_domain_except_on_a_single_base() {
    let api_host = FakeZoho::api(|_, _| async { Reply::ok(org_body()) }).await;
    let domain = api_host.base.as_str().trim_end_matches('/').to_string();
    let accounts = FakeZoho::raw(move |request, ctx| {
        let domain = domain.clone();
        async move {
            if request.is_token_request() {
                ctx.issue_token(Some(&domain))
            } else {
                match request.path.as_str() {
                    "/api/v3/portals" => Reply::ok(json!([])),
                    _ => Reply::ok(json!({"org": [{"id": "1", "company_name": "Local"}]})),
                }
            }
        }
    })
    .await;

    let public_like = Endpoints {
        follow_api_domain: true,
        ..accounts.endpoints()
    };
    let clients =
        ZohoClients::connect(&public_like, &canary_credentials(), &fast_options()).unwrap();
    assert_eq!(clients.crm.org().await.unwrap().company_name, "Acme");
    clients.projects.portals().await.unwrap();
    assert_eq!(api_host.api_requests().len(), 1);
    assert_eq!(
        accounts.api_requests().len(),
        1,
        "Projects keeps its own host"
    );
    assert_eq!(accounts.api_requests()[0].path, "/api/v3/portals");

    let sandbox = ZohoClients::connect(
        &accounts.endpoints(),
        &canary_credentials(),
        &fast_options(),
    )
    .unwrap();
    assert_eq!(sandbox.crm.org().await.unwrap().company_name, "Local");
    assert_eq!(api_host.api_requests().len(), 1);
}

#[tokio::test]
async fn a_rejected_refresh_token_is_a_clear_error_without_secrets() {
    let fake = FakeZoho::raw(|_, _| async { Reply::ok(json!({"error": "invalid_code"})) }).await;
    let clients = connect(&fake, &fast_options());
    let err = clients.crm.org().await.unwrap_err();
    assert!(
        matches!(err, ZohoError::Auth(AuthError::Rejected { .. })),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "refresh token rejected by Zoho Accounts: invalid_code; check the credentials for"
        ),
        "{text}"
    );
    assert_no_secrets(&text);
    assert_no_secrets(&format!("{err:?}"));
    assert_eq!(fake.api_requests().len(), 0, "no API call without a token");
    assert_eq!(
        fake.token_requests().len(),
        1,
        "a refused grant is not retried"
    );
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output_or_errors() {
    let fake = FakeZoho::raw(|request, _| async move {
        if request.is_token_request() {
            Reply::ok(json!({"access_token": "canary-access-token-55aa", "expires_in": 3600}))
        } else {
            Reply::crm_error(400, "INVALID_DATA", "invalid data")
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let err = clients.crm.org().await.unwrap_err();
    assert_eq!(
        fake.api_requests()[0].token().as_deref(),
        Some("canary-access-token-55aa")
    );
    assert_no_secrets(&err.to_string());
    assert_no_secrets(&format!("{err:?}"));
    assert_no_secrets(&format!("{clients:?}"));
    assert_no_secrets(&format!("{:?}", canary_credentials()));
    let items = clients
        .crm
        .insert_records(
            "Contacts",
            &[json!({"Last_Name": "X"}).as_object().unwrap().clone()],
        )
        .await
        .unwrap();
    assert_no_secrets(&format!("{items:?}"));
}

#[tokio::test]
async fn the_fault_script_fails_the_chosen_call_before_it_is_sent() {
    let fake = FakeZoho::api(|_, _| async { Reply::ok(org_body()) }).await;
    let counter = Arc::new(AtomicUsize::new(0));
    let seen = counter.clone();
    let options = ClientOptions {
        fault_script: Some(Arc::new(move |request| {
            if seen.fetch_add(1, Ordering::SeqCst) == 2 {
                Err(ZohoError::Injected {
                    request: request.clone(),
                    reason: "interrupted after call 2".into(),
                })
            } else {
                Ok(())
            }
        })),
        ..fast_options()
    };
    let clients = connect(&fake, &options);
    clients.crm.org().await.unwrap();
    clients.crm.org().await.unwrap();
    let err = clients.crm.org().await.unwrap_err();
    assert!(matches!(err, ZohoError::Injected { .. }));
    assert_eq!(err.to_string(), "GET /crm/v8/org: interrupted after call 2");
    clients.crm.org().await.unwrap();
    assert_eq!(
        fake.api_requests().len(),
        3,
        "the failed call was never sent"
    );
}

#[tokio::test]
async fn a_retryable_injected_fault_is_retried_like_a_real_one() {
    let fake = FakeZoho::api(|_, _| async { Reply::ok(json!([])) }).await;
    let counter = Arc::new(AtomicUsize::new(0));
    let seen = counter.clone();
    let options = ClientOptions {
        fault_script: Some(Arc::new(move |request| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(ApiError::new(503, "HTTP_503", "injected outage", request.clone()).into())
            } else {
                Ok(())
            }
        })),
        ..fast_options()
    };
    let clients = connect(&fake, &options);
    assert!(clients.projects.portals().await.unwrap().is_empty());
    assert_eq!(counter.load(Ordering::SeqCst), 2);
    assert_eq!(fake.api_requests().len(), 1);
}

#[tokio::test]
async fn calls_and_credits_are_counted_per_system() {
    let fake = FakeZoho::api(|request, _| async move {
        if request.path.starts_with("/api/v3/") {
            return Reply::ok(json!([{"id": "1", "name": "P"}]));
        }
        let n = request.json()["data"].as_array().unwrap().len();
        let items: Vec<_> = (0..n).map(|i| success_item(&i.to_string())).collect();
        Reply::json(201, json!({ "data": items }))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let records: Vec<Record> = (0..250)
        .map(|i| {
            json!({"Last_Name": format!("L{i}")})
                .as_object()
                .unwrap()
                .clone()
        })
        .collect();
    clients
        .crm
        .insert_records("Contacts", &records)
        .await
        .unwrap();
    ProjectsApi::portals(&clients.projects).await.unwrap();
    CrmApi::insert_records(&clients.crm, "Contacts", &records[..5])
        .await
        .unwrap();
    let stats = clients.stats.snapshot();
    assert_eq!(stats.crm_calls, 4);
    assert_eq!(stats.projects_calls, 1);
    assert_eq!(stats.crm_credits, 10 + 10 + 5 + 1);
    assert_eq!(stats.accounts_calls, 1);
    assert_eq!(stats.api_calls(), 5);
}

/// A token kept by an earlier run is reused by a new client, so repeated CLI runs do not
/// each spend one of Zoho's ten tokens per ten minutes; a rejected one is forgotten.
#[tokio::test]
async fn a_stored_token_is_reused_across_clients_and_forgotten_when_rejected() {
    use projectlink::zoho::token_store::{FileTokenStore, TokenStore};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let store: std::sync::Arc<dyn TokenStore> = std::sync::Arc::new(FileTokenStore::new(&path));
    let fake = FakeZoho::api(|request, _| async move {
        match request.token().as_deref() {
            Some("revoked-token") => Reply::crm_error(401, "INVALID_TOKEN", "invalid oauth token"),
            _ => Reply::ok(org_body()),
        }
    })
    .await;
    let mut options = fast_options();
    options.token_store = Some(store.clone());
    for _ in 0..3 {
        let clients = connect(&fake, &options);
        clients.crm.org().await.unwrap();
    }
    assert_eq!(
        fake.token_requests().len(),
        1,
        "later runs reuse the stored token"
    );
    assert!(!std::fs::read_to_string(&path).unwrap().contains("refresh"));
    // Zoho revoked the stored token: it is dropped and a new one requested.
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("tok-1", "revoked-token"),
    )
    .unwrap();
    let clients = connect(&fake, &options);
    clients.crm.org().await.unwrap();
    assert_eq!(fake.token_requests().len(), 2);
}

/// Zoho Accounts' answer to an eleventh token request within ten minutes is not a bad grant:
/// the error says to wait, and counts as rate limiting.
#[tokio::test]
async fn too_many_token_requests_says_to_wait_not_to_check_credentials() {
    let fake = FakeZoho::raw(|request, _| async move {
        if request.is_token_request() {
            Reply::json(
                400,
                serde_json::json!({"error": "Access Denied", "error_description": "You have made too many requests continuously. Please try again after some time.", "status": "failure"}),
            )
        } else {
            Reply::ok(org_body())
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let error = clients.crm.org().await.unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("ten per refresh token per ten minutes"),
        "{text}"
    );
    assert!(!text.contains("check the credentials"), "{text}");
    assert!(error.is_rate_limited());
}
