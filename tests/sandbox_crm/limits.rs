//! Edition limits (concurrency, heavy-call sub-concurrency, rolling credits), injected faults
//! and the per-endpoint request counters.

use std::time::Duration;

use futures::future::join_all;
use projectlink::sandbox::SandboxConfig;
use projectlink::sandbox::limits::{Edition, FaultConfig, FaultKind};
use serde_json::{Value, json};

use super::support::{Answer, Env, send};

async fn fire(env: &Env, n: usize, path: &str, query: &[(&str, &str)]) -> Vec<Answer> {
    join_all((0..n).map(|_| env.get(path, query))).await
}

fn statuses(answers: &[Answer]) -> (usize, usize) {
    let ok = answers.iter().filter(|a| a.status.as_u16() == 200).count();
    let limited = answers.iter().filter(|a| a.status.as_u16() == 429).count();
    (ok, limited)
}

#[tokio::test]
async fn calls_beyond_the_edition_concurrency_are_refused_not_queued() {
    let env = Env::start_with(SandboxConfig {
        edition: Edition::Free,
        latency: Duration::from_millis(1_500),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(env.sandbox.limits.concurrency_limit(), 5);
    let answers = fire(&env, 12, "/crm/v8/org", &[]).await;
    let (ok, limited) = statuses(&answers);
    assert_eq!(ok + limited, 12);
    assert!((1..=5).contains(&ok), "{ok} succeeded");
    assert!(limited >= 7, "{limited} refused");
    let refused = answers.iter().find(|a| a.status.as_u16() == 429).unwrap();
    refused.error(429, "TOO_MANY_REQUESTS");
    assert_eq!(env.sandbox.counters.get("GET /crm/v8/org"), 12);
    // Slots are released: a later call goes through.
    env.get("/crm/v8/org", &[]).await.ok();
}

#[tokio::test]
async fn heavy_calls_share_a_sub_concurrency_of_ten() {
    let env = Env::start_with(SandboxConfig {
        edition: Edition::Ultimate,
        latency: Duration::from_millis(1_500),
        ..SandboxConfig::default()
    })
    .await;
    let sorted = fire(
        &env,
        16,
        "/crm/v8/Accounts",
        &[("fields", "Account_Name"), ("sort_by", "Modified_Time")],
    )
    .await;
    let (ok, limited) = statuses(&sorted);
    assert!(ok <= 10, "{ok} heavy calls ran at once");
    assert!(limited >= 6, "{limited}");
    let plain = fire(&env, 16, "/crm/v8/Accounts", &[("fields", "Account_Name")]).await;
    let (ok, _) = statuses(&plain);
    assert_eq!(ok, 16, "16 ordinary calls fit in Ultimate's 25");
}

#[tokio::test]
async fn credits_run_out_within_the_rolling_day() {
    let env = Env::start_with(SandboxConfig {
        credits_per_day: Some(6),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(env.sandbox.limits.credits_total(), 6);
    env.get("/crm/v8/org", &[]).await.ok();
    // 25 records cost 3 credits.
    let data: Vec<Value> = (0..25)
        .map(|i| json!({"Campaign_Name": format!("C{i}")}))
        .collect();
    let created = env.post("/crm/v8/Campaigns", json!({"data": data})).await;
    assert_eq!(created.status.as_u16(), 201);
    assert_eq!(env.sandbox.limits.credits_used(), 4);
    let last = env.get("/crm/v8/org", &[]).await;
    last.ok();
    assert_eq!(
        last.headers
            .get("X-API-CREDITS-REMAINING")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // Projects calls are not counted against CRM credits.
    let portals = send(
        env.http
            .get(env.url("/restapi/portals/"))
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin)),
    )
    .await;
    assert_ne!(portals.status.as_u16(), 429);
    assert_eq!(env.sandbox.limits.credits_used(), 5);
    env.get("/crm/v8/users", &[]).await.ok();
    env.get("/crm/v8/users", &[])
        .await
        .error(429, "TOO_MANY_REQUESTS");
    // The token endpoint is never limited by CRM credits.
    env.token_request(super::support::ADMIN_REFRESH).await.ok();
}

#[tokio::test]
async fn editions_set_the_default_credit_totals() {
    let free = Env::start_with(SandboxConfig {
        edition: Edition::Free,
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(free.sandbox.limits.credits_total(), 5_000);
    let enterprise = Env::start().await;
    // 9 active users in the demo org.
    assert_eq!(enterprise.sandbox.limits.credits_total(), 59_000);
}

#[tokio::test]
async fn injected_server_errors_occur_at_the_configured_rate() {
    let env = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 0.2,
            kinds: vec![FaultKind::ServerError],
        },
        token_requests_per_10_min: None,
        ..SandboxConfig::default()
    })
    .await;
    let mut failed = 0;
    let mut users_failed = None;
    for i in 0..1000 {
        let path = if i % 2 == 0 {
            "/crm/v8/org"
        } else {
            "/crm/v8/users"
        };
        let answer = env.get(path, &[]).await;
        match answer.status.as_u16() {
            200 => {}
            500 => {
                failed += 1;
                if path == "/crm/v8/users" {
                    users_failed = Some(answer.body.clone());
                } else {
                    answer.error(500, "INTERNAL_ERROR");
                }
            }
            other => panic!("unexpected status {other}: {}", answer.body),
        }
    }
    assert!((150..=250).contains(&failed), "{failed} of 1000 failed");
    assert_eq!(users_failed.unwrap()["code"], "INTERNAL_SERVER_ERROR");
    assert_eq!(
        env.sandbox.counters.get("GET /crm/v8/org") + env.sandbox.counters.get("GET /crm/v8/users"),
        1000
    );
}

#[tokio::test]
async fn injected_resets_timeouts_and_429s_look_like_their_real_counterparts() {
    let reset = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::Reset],
        },
        ..SandboxConfig::default()
    })
    .await;
    let outcome = async {
        let resp = reset
            .http
            .get(reset.url("/crm/v8/org"))
            .header("Authorization", format!("Zoho-oauthtoken {}", reset.admin))
            .send()
            .await?;
        resp.bytes().await
    }
    .await;
    assert!(outcome.is_err(), "a reset never yields a complete body");

    let timeout = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::Timeout],
        },
        fault_hold: Duration::from_secs(30),
        ..SandboxConfig::default()
    })
    .await;
    let err = timeout
        .http
        .get(timeout.url("/crm/v8/org"))
        .header(
            "Authorization",
            format!("Zoho-oauthtoken {}", timeout.admin),
        )
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // Stopping the server releases held requests instead of waiting them out.
    tokio::time::timeout(Duration::from_secs(10), timeout.sandbox.stop())
        .await
        .expect("stop does not wait for held requests");

    let limited = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::TooManyRequests],
        },
        ..SandboxConfig::default()
    })
    .await;
    limited
        .get("/crm/v8/org", &[])
        .await
        .error(429, "TOO_MANY_REQUESTS");
    // Token requests are never faulted.
    limited
        .token_request(super::support::ADMIN_REFRESH)
        .await
        .ok();
}

#[tokio::test]
async fn counters_are_kept_per_method_and_path_template() {
    let env = Env::start().await;
    env.get("/crm/v8/Accounts", &[("fields", "Account_Name")])
        .await
        .ok();
    env.get("/crm/v8/Contacts", &[("fields", "Email")])
        .await
        .ok();
    env.get("/crm/v8/settings/fields", &[("module", "Deals")])
        .await
        .ok();
    env.get("/crm/v8/nothing/here/at/all", &[]).await;
    let snapshot = env.sandbox.counters.snapshot();
    assert_eq!(snapshot.get("GET /crm/v8/{module}"), Some(&2));
    assert_eq!(snapshot.get("GET /crm/v8/settings/fields"), Some(&1));
    assert_eq!(snapshot.get("POST /oauth/v2/token"), Some(&1));
    assert_eq!(env.sandbox.counters.api_total(), 3);
    env.sandbox.counters.reset();
    assert_eq!(env.sandbox.counters.total(), 0);
}
