//! The per-user, per-API throttle on `/restapi` and `/api/v3`: the call past the limit is
//! refused in Zoho's observed 400 form (or the documented 429 form), the lock outlasts the
//! window and is prolonged by every call, and other APIs and users keep their budget.

use std::time::Duration;

use projectlink::sandbox::projects_throttle::{ProjectsThrottle, ThrottleForm};
use reqwest::header::HeaderMap;

use super::*;

/// 5 calls per 2 s, then 3 s locked: small enough to hit and outwait in a test.
fn small(form: ThrottleForm) -> SandboxConfig {
    SandboxConfig {
        projects_throttle: Some(ProjectsThrottle {
            calls: 5,
            window: Duration::from_secs(2),
            lockout: Duration::from_secs(3),
            form,
        }),
        ..SandboxConfig::default()
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn remaining(&self) -> u32 {
        self.header("ratelimit-remaining")
            .expect("RateLimit-Remaining")
            .parse()
            .unwrap()
    }

    /// Asserts a throttle refusal with `status` and returns its message.
    #[track_caller]
    fn refused(&self, status: u16) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        let error = &self.body["error"];
        assert_eq!(error["title"], "URL_ROLLING_THROTTLES_LIMIT_EXCEEDED");
        assert_eq!(error["status_code"].as_u64(), Some(u64::from(status)));
        assert_eq!(error["error_type"], "OPERATIONAL_VALIDATION_ERROR");
        assert_eq!(self.remaining(), 0);
        error["details"]["message"].as_str().unwrap().to_string()
    }
}

async fn call(env: &Env, token: Option<&str>, path: &str) -> Answer {
    let mut req = env.http.get(env.url(path));
    if let Some(token) = token {
        req = req.header("Authorization", format!("Zoho-oauthtoken {token}"));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

/// Makes the five calls the window allows, checking the countdown, then the refused sixth.
async fn exhaust(env: &Env, token: &str, path: &str) -> Answer {
    for left in (0..5).rev() {
        let answer = call(env, Some(token), path).await;
        assert!(answer.status.is_success(), "{path}: {}", answer.body);
        assert_eq!(answer.header("ratelimit"), Some("5"));
        assert_eq!(answer.header("ratelimit-window"), Some("2"));
        assert_eq!(answer.header("ratelimit-window-unit"), Some("seconds"));
        assert_eq!(answer.remaining(), left);
        assert_eq!(answer.header("retry-after"), None);
    }
    call(env, Some(token), path).await
}

#[tokio::test]
async fn the_call_past_the_limit_gets_zohos_400_and_only_that_user_and_api_are_locked() {
    let (env, ids) = Env::start_with(small(ThrottleForm::Status400)).await;
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let projects = format!("/restapi/portal/{}/projects/", ids.acme);
    let refused = exhaust(&env, &eve, &projects).await;
    assert_eq!(
        refused.refused(400),
        "Cannot execute more than 5 requests per API in 2 seconds. Try again after 1 minutes."
    );
    assert_eq!(refused.header("retry-after"), None);
    // The path without its trailing slash is the same API; another token of the same
    // user is the same user.
    let eve_again = env.token("eve@acme.com", ALL_SCOPES);
    call(&env, Some(&eve_again), projects.trim_end_matches('/'))
        .await
        .refused(400);
    let users = format!("/restapi/portal/{}/users/", ids.acme);
    let other_api = call(&env, Some(&eve), &users).await;
    assert_eq!(other_api.status, StatusCode::OK);
    assert_eq!(other_api.remaining(), 4);
    let pat = env.token("pat@acme.com", ALL_SCOPES);
    let other_user = call(&env, Some(&pat), &projects).await;
    assert_eq!(other_user.status, StatusCode::OK);
    assert_eq!(other_user.remaining(), 4);
    assert_eq!(env.sandbox.limits.projects_throttled(), 2);
    // Refused calls are counted like any other.
    let counted = env
        .sandbox
        .counters
        .get("GET /restapi/portal/{portal_id}/projects/")
        + env
            .sandbox
            .counters
            .get("GET /restapi/portal/{portal_id}/projects");
    assert_eq!(counted, 8);
}

#[tokio::test]
async fn calls_during_the_lock_prolong_it_and_calls_after_it_succeed() {
    let (env, ids) = Env::start_with(small(ThrottleForm::Status400)).await;
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let projects = format!("/restapi/portal/{}/projects/", ids.acme);
    exhaust(&env, &eve, &projects).await.refused(400);
    // The window (2 s) has rolled over, but the lock (3 s) holds, and this call restarts it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    call(&env, Some(&eve), &projects).await.refused(400);
    // 4 s after the first refusal but 2 s after the last: still locked.
    tokio::time::sleep(Duration::from_secs(2)).await;
    call(&env, Some(&eve), &projects).await.refused(400);
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let after = call(&env, Some(&eve), &projects).await;
    assert_eq!(after.status, StatusCode::OK, "{}", after.body);
    assert_eq!(after.remaining(), 4);
    assert_eq!(env.sandbox.limits.projects_throttled(), 3);
}

#[tokio::test]
async fn the_documented_form_is_a_429_with_retry_after() {
    let (env, ids) = Env::start_with(small(ThrottleForm::Status429)).await;
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let projects = format!("/restapi/portal/{}/projects/", ids.acme);
    let refused = exhaust(&env, &eve, &projects).await;
    let message = refused.refused(429);
    assert!(message.contains("more than 5 requests"), "{message}");
    assert_eq!(refused.header("retry-after"), Some("3"));
}

#[tokio::test]
async fn calls_without_a_valid_token_are_not_counted() {
    let (env, ids) = Env::start_with(small(ThrottleForm::Status400)).await;
    let projects = format!("/restapi/portal/{}/projects/", ids.acme);
    for token in [None, Some("1000.unknown")].into_iter().cycle().take(8) {
        let answer = call(&env, token, &projects).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
        assert_eq!(answer.header("ratelimit-remaining"), None);
    }
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    assert_eq!(call(&env, Some(&eve), &projects).await.remaining(), 4);
}

#[tokio::test]
async fn v3_paths_are_throttled_per_route_apart_from_the_legacy_ones() {
    let (env, ids) = Env::start_with(small(ThrottleForm::Status400)).await;
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let v3 = format!("/api/v3/portal/{}/projects", ids.acme);
    let message = exhaust(&env, &eve, &v3).await.refused(400);
    assert!(message.contains("more than 5 requests"), "{message}");
    // Another project is the same API: the throttle keys on the route, not the URL.
    let project = project_id(&env, &eve, &ids.acme, "Website Redesign").await;
    let one = format!("/api/v3/portal/{}/projects/{project}", ids.acme);
    exhaust(&env, &eve, &one).await.refused(400);
    let other = format!("/api/v3/portal/{}/projects/1", ids.acme);
    call(&env, Some(&eve), &other).await.refused(400);
    // The legacy listing is another API, with its own budget (one call of which found the
    // project above).
    let legacy = format!("/restapi/portal/{}/projects/", ids.acme);
    let answer = call(&env, Some(&eve), &legacy).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.remaining(), 3);
    assert_eq!(env.sandbox.limits.projects_throttled(), 3);
}

#[tokio::test]
async fn an_injected_429_is_a_short_wait_not_a_lock() {
    use projectlink::sandbox::limits::{FaultConfig, FaultKind};
    // Every call fails, so the portal ids cannot be looked up; the fault comes before the
    // handler reads the portal, so any id does.
    let env = Env::start_bare(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::TooManyRequests],
        },
        ..small(ThrottleForm::Status400)
    })
    .await;
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    for path in ["/restapi/portal/1/projects/", "/api/v3/portal/1/projects"] {
        let answer = call(&env, Some(&eve), path).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert_eq!(answer.header("retry-after"), Some("1"), "{path}");
        // The call reached the service, so it counts against the API's budget.
        assert_eq!(answer.remaining(), 4, "{path}");
    }
}
