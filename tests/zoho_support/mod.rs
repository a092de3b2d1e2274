//! A scripted stand-in for Zoho used by the client tests: an axum server on an ephemeral port
//! that records every request and answers through a test-supplied handler, with helpers to
//! answer the token endpoint the way Zoho Accounts does, count requests in flight, and drop
//! connections. It shares no code with `src/sandbox/` (on purpose: each side speaks JSON over
//! HTTP as documented).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use futures::future::BoxFuture;
use projectlink::zoho::{
    ClientOptions, Credentials, Endpoints, RetryPolicy, ZohoClients, ZohoCredentials,
};
use reqwest::Url;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub const CLIENT_ID: &str = "1000.TESTCLIENT";
pub const CANARY_SECRET: &str = "canary-client-secret-7f3a9";
pub const CANARY_REFRESH: &str = "canary-refresh-token-b41c2";
pub const CANARY_PORTAL_REFRESH: &str = "canary-portal-refresh-0d9e1";

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

fn decode_pairs(encoded: &str) -> Vec<(String, String)> {
    let url = Url::parse(&format!("http://x/?{encoded}")).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Recorded {
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn form(&self) -> Vec<(String, String)> {
        decode_pairs(std::str::from_utf8(&self.body).unwrap())
    }

    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn token(&self) -> Option<String> {
        self.headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Zoho-oauthtoken ")
            .map(str::to_string)
    }

    pub fn is_token_request(&self) -> bool {
        self.path == "/oauth/v2/token"
    }
}

/// What the fake answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Option<String>,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body.to_string()),
            headers: vec![("content-type".into(), "application/json".into())],
            delay: Duration::ZERO,
        }
    }

    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            body: None,
            headers: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Zoho CRM's whole-request error body.
    pub fn crm_error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"code": code, "details": {}, "message": message, "status": "error"}),
        )
    }
}

/// Shared state of one fake server.
pub struct Shared {
    pub log: Mutex<Vec<Recorded>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    arrivals: Notify,
    tokens_issued: AtomicUsize,
    drop_connections: Arc<AtomicUsize>,
}

impl Shared {
    /// Waits until at least `n` API requests are being handled at once (or `limit` passes),
    /// so concurrency tests observe the client's true parallelism without timing assertions.
    pub async fn wait_for_in_flight(&self, n: usize, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.arrivals.notified();
            if self.in_flight.load(Ordering::SeqCst) >= n {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    /// Holds a request until `limit` requests are in flight, then a little longer so any
    /// request beyond the limit (a client bug) would arrive and be counted.
    pub async fn hold_until_limit(&self, limit: usize) {
        self.wait_for_in_flight(limit, Duration::from_secs(2)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    /// A fresh access token, as Zoho Accounts answers the refresh-token grant.
    pub fn issue_token(&self, api_domain: Option<&str>) -> Reply {
        let n = self.tokens_issued.fetch_add(1, Ordering::SeqCst) + 1;
        let mut body = json!({
            "access_token": format!("tok-{n}"),
            "scope": "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.users.ALL ZohoCRM.org.ALL",
            "token_type": "Bearer",
            "expires_in": 3600
        });
        if let Some(domain) = api_domain {
            body["api_domain"] = json!(domain);
        }
        Reply::ok(body)
    }
}

pub type Ctx = Arc<Shared>;
pub type Handler = Arc<dyn Fn(Recorded, Ctx) -> BoxFuture<'static, Reply> + Send + Sync>;

/// A running fake.
pub struct FakeZoho {
    pub base: Url,
    pub shared: Ctx,
}

/// Drops the first N accepted connections with a TCP reset, then serves normally.
struct DroppingListener {
    inner: TcpListener,
    drops: Arc<AtomicUsize>,
}

impl axum::serve::Listener for DroppingListener {
    type Io = tokio::net::TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.inner.accept().await else {
                continue;
            };
            let dropped = self
                .drops
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if dropped {
                let _ = stream.set_zero_linger();
                drop(stream);
                continue;
            }
            return (stream, addr);
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

async fn handle(State(shared): State<Ctx>, handler: Handler, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: decode_pairs(parts.uri.query().unwrap_or_default()),
        headers: parts.headers.clone(),
        body,
    };
    shared.log.lock().unwrap().push(recorded.clone());
    let counts = !recorded.is_token_request();
    if counts {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        shared.arrivals.notify_waiters();
    }
    let reply = handler(recorded, shared.clone()).await;
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    if counts {
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
    let mut response = Response::new(reply.body.map(Body::from).unwrap_or_else(Body::empty));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(&value).unwrap(),
        );
    }
    // A new connection per request makes connection-level faults deterministic.
    response
        .headers_mut()
        .insert("connection", HeaderValue::from_static("close"));
    response
}

impl FakeZoho {
    /// Serves every request (token endpoint included) through `handler`.
    pub async fn raw<F, Fut>(handler: F) -> FakeZoho
    where
        F: Fn(Recorded, Ctx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Reply> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |r, c| Box::pin(handler(r, c)));
        let drops = Arc::new(AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            arrivals: Notify::new(),
            tokens_issued: AtomicUsize::new(0),
            drop_connections: drops.clone(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .fallback(move |state: State<Ctx>, request: Request| {
                let handler = handler.clone();
                async move { handle(state, handler, request).await }
            })
            .with_state(shared.clone());
        let listener = DroppingListener {
            inner: listener,
            drops,
        };
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeZoho {
            base: Url::parse(&format!("http://{addr}/")).unwrap(),
            shared,
        }
    }

    /// Answers the token endpoint like Zoho Accounts (`tok-1`, `tok-2`, …) and everything
    /// else through `handler`.
    pub async fn api<F, Fut>(handler: F) -> FakeZoho
    where
        F: Fn(Recorded, Ctx) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Reply> + Send + 'static,
    {
        let handler = Arc::new(handler);
        FakeZoho::raw(move |request, ctx| {
            let handler = handler.clone();
            async move {
                if request.is_token_request() {
                    ctx.issue_token(None)
                } else {
                    handler(request, ctx).await
                }
            }
        })
        .await
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().unwrap().clone()
    }

    pub fn api_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| !r.is_token_request())
            .collect()
    }

    pub fn token_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(Recorded::is_token_request)
            .collect()
    }

    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Resets the next `n` connections as soon as they are accepted.
    pub fn drop_next_connections(&self, n: usize) {
        self.shared.drop_connections.store(n, Ordering::SeqCst);
    }

    pub fn endpoints(&self) -> Endpoints {
        Endpoints::single(self.base.clone())
    }
}

/// Retry settings small enough that tests never wait noticeably.
pub fn fast_options() -> ClientOptions {
    ClientOptions {
        concurrency: 10,
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            max_retry_after: Duration::from_millis(20),
        },
        fault_script: None,
        token_store: None,
        token_store_scope: None,
        ..ClientOptions::default()
    }
}

pub fn canary_credentials() -> ZohoCredentials {
    ZohoCredentials {
        crm: Credentials::new(CLIENT_ID, CANARY_SECRET, CANARY_REFRESH),
        portal: None,
    }
}

pub fn connect(fake: &FakeZoho, options: &ClientOptions) -> ZohoClients {
    ZohoClients::connect(&fake.endpoints(), &canary_credentials(), options).unwrap()
}

/// Asserts a text shows none of the test secrets.
pub fn assert_no_secrets(text: &str) {
    for canary in [
        CANARY_SECRET,
        CANARY_REFRESH,
        CANARY_PORTAL_REFRESH,
        "canary-access",
    ] {
        assert!(
            !text.contains(canary),
            "secret {canary:?} leaked into: {text}"
        );
    }
}

/// A CRM batch-write answer item.
pub fn success_item(id: &str) -> Value {
    json!({"code": "SUCCESS", "details": {"id": id}, "message": "record added", "status": "success"})
}

pub fn error_item(code: &str, field: &str, index: usize) -> Value {
    json!({"code": code, "details": {"api_name": field, "json_path": format!("$.data[{index}].{field}")},
           "message": "invalid data", "status": "error"})
}
