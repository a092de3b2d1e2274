//! Request accounting and the service's limits: per-endpoint counters, injected latency and
//! faults, edition concurrency and rolling 24 h credits (429 `TOO_MANY_REQUESTS`).
//!
//! Limits apply to CRM calls (`/crm/...`), which is what Zoho's edition limits govern; the
//! Projects API (`/restapi/...`) and Microsoft Graph (`/graph/...`, throttled per mailbox by
//! its own router) are not counted against CRM credits or concurrency. Latency and faults
//! apply to every API call (CRM, Projects and Graph), never to the token endpoints, and
//! faults answer in the error format of the API called.

use std::collections::{BTreeMap, VecDeque};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

use super::error::{CrmError, projects_error};
use super::graph::error::GraphError;
use super::server::{AppState, SandboxConfig};
use super::store::Store;

/// Zoho CRM editions; they set the concurrency and credit limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edition {
    Free,
    Standard,
    Professional,
    Enterprise,
    Ultimate,
}

impl FromStr for Edition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "free" => Ok(Edition::Free),
            "standard" => Ok(Edition::Standard),
            "professional" => Ok(Edition::Professional),
            "enterprise" => Ok(Edition::Enterprise),
            "ultimate" => Ok(Edition::Ultimate),
            other => Err(format!(
                "unknown edition {other:?} (expected free, standard, professional, enterprise or ultimate)"
            )),
        }
    }
}

/// Sub-concurrency limit for heavy calls, whatever the edition.
pub const HEAVY_CONCURRENCY: usize = 10;

impl Edition {
    /// Concurrent API calls per org (the v7/v8 api-limits page as quoted by several sources).
    pub fn concurrency(self) -> usize {
        match self {
            Edition::Free => 5,
            Edition::Standard => 10,
            Edition::Professional => 15,
            Edition::Enterprise => 20,
            Edition::Ultimate => 25,
        }
    }

    /// API credits per rolling 24 hours for an org with `users` user licenses.
    pub fn credits_per_day(self, users: u64) -> u64 {
        match self {
            Edition::Free => 5_000,
            Edition::Standard => (50_000 + 250 * users).min(100_000),
            Edition::Professional => (50_000 + 500 * users).min(3_000_000),
            Edition::Enterprise => (50_000 + 1_000 * users).min(5_000_000),
            Edition::Ultimate => 50_000 + 2_000 * users,
        }
    }
}

/// Kinds of injected faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 `INTERNAL_ERROR`.
    ServerError,
    /// 429 `TOO_MANY_REQUESTS`.
    TooManyRequests,
    /// The connection is dropped without a complete response.
    Reset,
    /// The server holds the request far longer than any sane client timeout.
    Timeout,
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "500" => Ok(FaultKind::ServerError),
            "429" => Ok(FaultKind::TooManyRequests),
            "reset" => Ok(FaultKind::Reset),
            "timeout" => Ok(FaultKind::Timeout),
            other => Err(format!(
                "unknown fault kind {other:?} (expected 500, 429, reset or timeout)"
            )),
        }
    }
}

/// Fault injection settings: each API request fails with probability `rate`, with a kind
/// drawn uniformly from `kinds` (all four when empty).
#[derive(Debug, Clone, Default)]
pub struct FaultConfig {
    pub rate: f64,
    pub kinds: Vec<FaultKind>,
}

/// Requests seen per `METHOD /path/template`, shared with handles and tests.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    inner: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Counters {
    pub fn record(&self, key: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry(key.to_string()).or_default() += 1;
    }

    /// Count for one endpoint, e.g. `"GET /crm/v8/users"`.
    pub fn get(&self, key: &str) -> u64 {
        let map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.get(key).copied().unwrap_or(0)
    }

    /// All counts, sorted by endpoint.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Total requests across all endpoints.
    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    /// Requests that were not token requests (i.e. API calls proper).
    pub fn api_total(&self) -> u64 {
        self.snapshot()
            .iter()
            .filter(|(k, _)| !k.contains("/oauth/") && !k.contains("/oauth2/"))
            .map(|(_, v)| v)
            .sum()
    }

    pub fn reset(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;
const BUCKET_MS: i64 = 60 * 1000;

/// Limit state for the org the sandbox serves.
pub struct Limits {
    pub counters: Counters,
    concurrency: usize,
    credits_total: u64,
    in_flight: AtomicUsize,
    heavy_in_flight: AtomicUsize,
    /// Credits spent per minute, oldest first, covering the last 24 hours.
    spent: Mutex<VecDeque<(i64, u64)>>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Limits {
    pub fn new(config: &SandboxConfig, store: &Store) -> Self {
        let users: i64 = store.with(|c| {
            c.query_row(
                "SELECT COUNT(*) FROM crm_users WHERE status = 'active'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0)
        });
        Limits {
            counters: Counters::default(),
            concurrency: config
                .concurrency_limit
                .unwrap_or_else(|| config.edition.concurrency()),
            credits_total: config
                .credits_per_day
                .unwrap_or_else(|| config.edition.credits_per_day(users.max(0) as u64)),
            in_flight: AtomicUsize::new(0),
            heavy_in_flight: AtomicUsize::new(0),
            spent: Mutex::new(VecDeque::new()),
            shutdown: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Concurrent CRM calls allowed.
    pub fn concurrency_limit(&self) -> usize {
        self.concurrency
    }

    /// Credits available per rolling 24 hours.
    pub fn credits_total(&self) -> u64 {
        self.credits_total
    }

    /// Credits spent in the last 24 hours.
    pub fn credits_used(&self) -> u64 {
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        prune(&mut spent, chrono::Utc::now().timestamp_millis());
        spent.iter().map(|(_, c)| c).sum()
    }

    /// Spends `cost` credits, or refuses when the 24-hour allowance would be exceeded.
    /// Returns the credits left.
    fn charge(&self, cost: u64) -> Option<u64> {
        let now = chrono::Utc::now().timestamp_millis();
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        prune(&mut spent, now);
        let used: u64 = spent.iter().map(|(_, c)| c).sum();
        if used + cost > self.credits_total {
            return None;
        }
        let bucket = now - now % BUCKET_MS;
        match spent.back_mut() {
            Some((b, c)) if *b == bucket => *c += cost,
            _ => spent.push_back((bucket, cost)),
        }
        Some(self.credits_total - used - cost)
    }

    /// Takes a concurrency slot (and a heavy-call slot), or refuses.
    fn acquire(self: &Arc<Self>, heavy: bool) -> Option<Slot> {
        if !try_increment(&self.in_flight, self.concurrency) {
            return None;
        }
        if heavy && !try_increment(&self.heavy_in_flight, HEAVY_CONCURRENCY) {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot {
            limits: self.clone(),
            heavy,
        })
    }

    /// Wakes requests held by injected timeouts so the server can stop.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }
}

fn prune(spent: &mut VecDeque<(i64, u64)>, now: i64) {
    while spent.front().is_some_and(|(b, _)| *b <= now - DAY_MS) {
        spent.pop_front();
    }
}

fn try_increment(counter: &AtomicUsize, limit: usize) -> bool {
    counter
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        })
        .is_ok()
}

/// A held concurrency slot, released when the request finishes or is abandoned.
struct Slot {
    limits: Arc<Limits>,
    heavy: bool,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.limits.in_flight.fetch_sub(1, Ordering::AcqRel);
        if self.heavy {
            self.limits.heavy_in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Record writes cost one credit per ten records (at least one).
fn is_record_write(method: &Method, template: &str) -> bool {
    matches!(
        (method.as_str(), template),
        ("POST", "/crm/v8/{module}")
            | ("PUT", "/crm/v8/{module}")
            | ("PUT", "/crm/v8/{module}/{id}")
            | ("POST", "/crm/v8/{module}/upsert")
    )
}

/// Credits a call costs: 1, or 1 per 10 records for record writes.
pub fn credit_cost(method: &Method, template: &str, records: usize) -> u64 {
    if is_record_write(method, template) {
        (records as u64).div_ceil(10).max(1)
    } else {
        1
    }
}

/// Heavy calls share the sub-concurrency limit: record listings sorted or filtered by a
/// custom view, and writes of more than ten records.
fn is_heavy(method: &Method, template: &str, query: &str, records: usize) -> bool {
    let sorted_listing = method == Method::GET
        && template == "/crm/v8/{module}"
        && query
            .split('&')
            .any(|p| p.starts_with("sort_by=") || p.starts_with("cvid="));
    sorted_listing || (is_record_write(method, template) && records > 10)
}

/// Which API a request belongs to, for the shape of injected errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    Crm,
    Projects,
    Graph,
}

fn too_many(area: Area, reason: &str) -> Response {
    match area {
        Area::Projects => projects_error(StatusCode::TOO_MANY_REQUESTS, 6429, "Too many requests"),
        Area::Graph => GraphError::throttled(1).into_response(),
        Area::Crm => CrmError::too_many_requests(reason).into_response(),
    }
}

/// Middleware applied to every request: counts it, then applies the edition's limits,
/// latency and faults before handing it on.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let method = request.method().clone();
    state
        .limits
        .counters
        .record(&format!("{method} {template}"));
    let path = request.uri().path().to_string();
    if path.starts_with("/oauth/") || path.starts_with("/login/") {
        return next.run(request).await;
    }
    let crm = path.starts_with("/crm/");
    let area = if path.starts_with("/restapi") {
        Area::Projects
    } else if path.starts_with("/graph/") {
        Area::Graph
    } else {
        Area::Crm
    };

    let mut request = request;
    let mut records = 0;
    if crm && is_record_write(&method, &template) {
        let (parts, body) = request.into_parts();
        let bytes = match axum::body::to_bytes(body, super::server::MAX_BODY_BYTES).await {
            Ok(b) => b,
            Err(_) => {
                return CrmError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "INVALID_DATA",
                    "the request body is too large",
                )
                .into_response();
            }
        };
        records = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("data").and_then(|d| d.as_array()).map(Vec::len))
            .unwrap_or(1);
        request = Request::from_parts(parts, Body::from(bytes));
    }

    let mut _slot = None;
    let mut remaining = None;
    if crm {
        let query = request.uri().query().unwrap_or("");
        let heavy = is_heavy(&method, &template, query, records);
        match state.limits.acquire(heavy) {
            Some(slot) => _slot = Some(slot),
            None => return too_many(Area::Crm, "concurrency limit exceeded"),
        }
        match state
            .limits
            .charge(credit_cost(&method, &template, records))
        {
            Some(left) => remaining = Some(left),
            None => return too_many(Area::Crm, "credit limit exceeded"),
        }
    }

    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    if let Some(kind) = roll_fault(&state.config.faults) {
        return fault(&state, kind, area, &path).await;
    }

    let mut response = next.run(request).await;
    if let Some(left) = remaining
        && left * 2 < state.limits.credits_total
        && let Ok(v) = HeaderValue::from_str(&left.to_string())
    {
        response.headers_mut().insert("X-API-CREDITS-REMAINING", v);
    }
    response
}

fn roll_fault(faults: &FaultConfig) -> Option<FaultKind> {
    if faults.rate <= 0.0 {
        return None;
    }
    let mut rng = rand::rng();
    if !rng.random_bool(faults.rate.min(1.0)) {
        return None;
    }
    const ALL: [FaultKind; 4] = [
        FaultKind::ServerError,
        FaultKind::TooManyRequests,
        FaultKind::Reset,
        FaultKind::Timeout,
    ];
    let kinds: &[FaultKind] = if faults.kinds.is_empty() {
        &ALL
    } else {
        &faults.kinds
    };
    Some(kinds[rng.random_range(0..kinds.len())])
}

async fn fault(state: &AppState, kind: FaultKind, area: Area, path: &str) -> Response {
    match kind {
        FaultKind::ServerError if area == Area::Graph => {
            GraphError::internal("An internal server error occurred.").into_response()
        }
        FaultKind::ServerError if area == Area::Projects => projects_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            6500,
            "Internal server error",
        ),
        FaultKind::ServerError => {
            CrmError::internal(path.starts_with("/crm/v8/users")).into_response()
        }
        FaultKind::TooManyRequests => too_many(area, "injected"),
        FaultKind::Reset => {
            // A body that fails before its first byte makes the server abort the
            // connection: the client sees a transport error, not an HTTP answer.
            let stream = futures::stream::once(async {
                Err::<axum::body::Bytes, std::io::Error>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "injected connection reset",
                ))
            });
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
        FaultKind::Timeout => {
            let mut stop = state.limits.shutdown.subscribe();
            let hold = state.config.fault_hold;
            let _ = tokio::time::timeout(hold, stop.wait_for(|s| *s)).await;
            if area == Area::Graph {
                GraphError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "UnknownError",
                    "The request timed out.",
                )
                .into_response()
            } else if area == Area::Projects {
                projects_error(StatusCode::GATEWAY_TIMEOUT, 6500, "Request timed out")
            } else {
                CrmError::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "INTERNAL_ERROR",
                    "Internal server error occurred.",
                )
                .into_response()
            }
        }
    }
}

/// How long an injected timeout holds a request unless the server stops first.
pub const DEFAULT_FAULT_HOLD: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_totals_follow_the_edition_table() {
        assert_eq!(Edition::Free.credits_per_day(100), 5_000);
        assert_eq!(Edition::Standard.credits_per_day(10), 52_500);
        assert_eq!(Edition::Standard.credits_per_day(1_000), 100_000);
        assert_eq!(Edition::Enterprise.credits_per_day(10_000), 5_000_000);
        assert_eq!(Edition::Ultimate.credits_per_day(10_000), 20_050_000);
    }

    #[test]
    fn writes_cost_one_credit_per_ten_records() {
        let post = Method::POST;
        assert_eq!(credit_cost(&post, "/crm/v8/{module}", 1), 1);
        assert_eq!(credit_cost(&post, "/crm/v8/{module}", 10), 1);
        assert_eq!(credit_cost(&post, "/crm/v8/{module}", 11), 2);
        assert_eq!(credit_cost(&post, "/crm/v8/{module}/upsert", 100), 10);
        assert_eq!(credit_cost(&Method::GET, "/crm/v8/{module}", 0), 1);
    }

    #[test]
    fn heavy_calls_are_sorted_listings_and_big_writes() {
        assert!(is_heavy(
            &Method::GET,
            "/crm/v8/{module}",
            "fields=a&sort_by=id",
            0
        ));
        assert!(!is_heavy(&Method::GET, "/crm/v8/{module}", "fields=a", 0));
        assert!(is_heavy(&Method::POST, "/crm/v8/{module}", "", 11));
        assert!(!is_heavy(&Method::POST, "/crm/v8/{module}", "", 10));
    }

    #[test]
    fn slots_are_refused_past_the_limit_and_released_on_drop() {
        let config = SandboxConfig {
            concurrency_limit: Some(2),
            ..SandboxConfig::default()
        };
        let store = Store::open(None).unwrap();
        let limits = Arc::new(Limits::new(&config, &store));
        let a = limits.acquire(false).unwrap();
        let _b = limits.acquire(false).unwrap();
        assert!(limits.acquire(false).is_none());
        drop(a);
        assert!(limits.acquire(false).is_some());
    }

    #[test]
    fn credits_run_out_and_report_what_is_left() {
        let config = SandboxConfig {
            credits_per_day: Some(3),
            ..SandboxConfig::default()
        };
        let store = Store::open(None).unwrap();
        let limits = Limits::new(&config, &store);
        assert_eq!(limits.charge(2), Some(1));
        assert_eq!(limits.charge(2), None);
        assert_eq!(limits.charge(1), Some(0));
        assert_eq!(limits.credits_used(), 3);
    }
}
