//! Every wait of more than two seconds says why and for how long, as it starts: a throttled
//! call waiting out its `Retry-After` and a call that went unanswered until its timeout, while
//! short waits pass without a word. Run against a scripted Zoho.

mod zoho_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use projectlink::zoho::{ClientOptions, RetryPolicy};
use serde_json::json;
use zoho_support::*;

fn org_body() -> serde_json::Value {
    json!({"org": [{"id": "4150868000000225000", "company_name": "Acme", "primary_email": "admin@acme.com"}]})
}

/// Options whose notices land in the returned list.
fn noticed(options: ClientOptions) -> (ClientOptions, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let options = ClientOptions {
        wait_notice: Some(Arc::new(move |line: &str| {
            sink.lock().unwrap().push(line.to_string())
        })),
        ..options
    };
    (options, lines)
}

/// A Zoho that answers the first `failures` calls with `first`, then the org.
fn failing_first(
    failures: usize,
    first: fn() -> Reply,
) -> impl Fn() -> Reply + Clone + Send + Sync + 'static {
    let calls = Arc::new(AtomicUsize::new(0));
    move || {
        if calls.fetch_add(1, Ordering::SeqCst) < failures {
            first()
        } else {
            Reply::ok(org_body())
        }
    }
}

/// `retrying in 0.3 s` → `retrying in [jitter] s`: the backoff is random on purpose.
fn scrub_jitter(line: &str) -> String {
    match line.split_once("retrying in ") {
        Some((head, tail)) => {
            let rest = tail.split_once(" s").map_or("", |(_, r)| r);
            format!("{head}retrying in [jitter] s{rest}")
        }
        None => line.to_string(),
    }
}

#[tokio::test]
async fn a_throttled_call_says_it_waits_for_retry_after_and_how_long() {
    let reply = failing_first(1, || {
        Reply::crm_error(429, "TOO_MANY_REQUESTS", "too many requests").header("retry-after", "3")
    });
    let fake = FakeZoho::api(move |_, _| {
        let reply = reply.clone();
        async move { reply() }
    })
    .await;
    let (options, lines) = noticed(ClientOptions {
        retry: RetryPolicy {
            max_retry_after: Duration::from_secs(10),
            ..fast_options().retry
        },
        ..fast_options()
    });
    let clients = connect(&fake, &options);
    let started = std::time::Instant::now();
    clients.crm.org().await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(3), "it did wait");
    let lines = lines.lock().unwrap().clone();
    insta::assert_snapshot!(lines.join("\n"));
}

#[tokio::test]
async fn a_call_unanswered_until_its_timeout_says_so_before_it_is_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let fake = FakeZoho::api(move |_, _| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        async move {
            if n == 0 {
                Reply::ok(org_body()).after(Duration::from_secs(30))
            } else {
                Reply::ok(org_body())
            }
        }
    })
    .await;
    let (options, lines) = noticed(ClientOptions {
        timeout: Duration::from_millis(2300),
        ..fast_options()
    });
    let clients = connect(&fake, &options);
    clients.crm.org().await.unwrap();
    let lines: Vec<String> = lines
        .lock()
        .unwrap()
        .iter()
        .map(|l| scrub_jitter(l))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[tokio::test]
async fn short_waits_pass_without_a_word() {
    let reply = failing_first(2, || {
        Reply::crm_error(429, "TOO_MANY_REQUESTS", "too many requests").header("retry-after", "0")
    });
    let fake = FakeZoho::api(move |_, _| {
        let reply = reply.clone();
        async move { reply() }
    })
    .await;
    let (options, lines) = noticed(fast_options());
    let clients = connect(&fake, &options);
    clients.crm.org().await.unwrap();
    assert_eq!(clients.stats.snapshot().retries, 2);
    assert!(
        lines.lock().unwrap().is_empty(),
        "{:?}",
        lines.lock().unwrap()
    );
}

#[tokio::test]
async fn a_throttled_token_request_says_why_it_waits_too() {
    let throttled = Arc::new(AtomicUsize::new(0));
    let fake = FakeZoho::raw(move |request, ctx| {
        let first = throttled.fetch_add(usize::from(request.is_token_request()), Ordering::SeqCst);
        async move {
            match (request.is_token_request(), first) {
                (true, 0) => Reply::json(
                    429,
                    json!({"error": "Access Denied", "error_description": "too many requests"}),
                )
                .header("retry-after", "3"),
                (true, _) => ctx.issue_token(None),
                (false, _) => Reply::ok(org_body()),
            }
        }
    })
    .await;
    let (options, lines) = noticed(ClientOptions {
        retry: RetryPolicy {
            max_retry_after: Duration::from_secs(10),
            ..fast_options().retry
        },
        ..fast_options()
    });
    let clients = connect(&fake, &options);
    clients.crm.org().await.unwrap();
    let lines = lines.lock().unwrap().clone();
    assert_no_secrets(&lines.join("\n"));
    insta::assert_snapshot!(lines.join("\n"));
}
