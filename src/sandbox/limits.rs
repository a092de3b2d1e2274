//! Request accounting and the service's limits: per-endpoint counters, injected latency and
//! faults, edition concurrency and rolling 24 h credits (429 `TOO_MANY_REQUESTS`), and the
//! Projects per-user, per-API throttle.
//!
//! Edition limits apply to CRM calls (`/crm/...`), which is what Zoho's edition limits
//! govern; the Projects API (`/restapi/...` and `/api/v3/...`) has its own throttle (see
//! [`super::projects_throttle`]) and Microsoft Graph (`/graph/...`) is throttled per mailbox
//! by its own router; neither is counted against CRM credits or concurrency. Latency and
//! faults apply to every API call (CRM, Projects and Graph), never to the token endpoints,
//! and faults answer in the error format of the API called.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;

pub use super::counters::Counters;
use super::error::{CrmError, projects_error};
use super::graph::error::GraphError;
use super::projects_throttle::{self, ProjectsThrottle, Throttle, Verdict};
use super::server::{AppState, SandboxConfig};
use super::store::Store;

pub use super::limit_settings::{Edition, FaultConfig, FaultKind, HEAVY_CONCURRENCY, SettingError};

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
    /// Projects calls per user and API.
    projects: Throttle,
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
            projects: Throttle::new(config.effective_projects_throttle()),
            shutdown: tokio::sync::watch::Sender::new(false),
        }
    }

    /// The Projects throttle's settings.
    pub fn projects_throttle(&self) -> &ProjectsThrottle {
        self.projects.config()
    }

    /// Projects calls refused by the throttle so far.
    pub fn projects_throttled(&self) -> u64 {
        self.projects.refused()
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
        Area::Projects => {
            // Zoho documents a Projects 429 as always carrying `Retry-After`; without one a
            // client must assume a long lock, which an injected, passing fault is not.
            let mut response =
                projects_error(StatusCode::TOO_MANY_REQUESTS, 6429, "Too many requests");
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            response
        }
        Area::Graph => GraphError::throttled(1).into_response(),
        Area::Crm => CrmError::too_many_requests(reason).into_response(),
    }
}

/// Middleware applied to every request: counts it, then applies the edition's limits (CRM),
/// the throttle (Projects), latency and faults before handing it on.
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
    let area = area_of(&path);
    let (request, crm) = if path.starts_with("/crm/") {
        match admit_crm(&state, request, &method, &template).await {
            Ok(admitted) => admitted,
            Err(refusal) => return refusal,
        }
    } else {
        (request, CrmAdmission::default())
    };

    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    let verdict = match area {
        Area::Projects => throttle_projects(&state, request.headers(), &method, &template),
        _ => None,
    };
    if let Some(Verdict::Refused { retry_after }) = verdict {
        return state.limits.projects.refusal(retry_after);
    }
    let mut response = match roll_fault(&state.config.faults) {
        // Only writes lose their answers: a read's lost answer is a `reset`, which changes
        // nothing, so reads pass untouched.
        Some(FaultKind::Lost) if method == Method::GET => next.run(request).await,
        Some(FaultKind::Lost) => {
            // Carried out in full, then the answer is lost on the way back.
            let _answered = next.run(request).await;
            dropped_connection()
        }
        Some(kind) => fault(&state, kind, area, &path).await,
        None => next.run(request).await,
    };
    if let Some(left) = crm.credits_left
        && left * 2 < state.limits.credits_total
        && let Ok(v) = HeaderValue::from_str(&left.to_string())
    {
        response.headers_mut().insert("X-API-CREDITS-REMAINING", v);
    }
    if let Some(verdict) = verdict {
        state
            .limits
            .projects
            .add_headers(verdict, response.headers_mut());
    }
    response
}

fn area_of(path: &str) -> Area {
    // `/api/v3` also covers the `/api/v3.1/...` endpoints the V3 docs use for some resources.
    if path.starts_with("/restapi") || path.starts_with("/api/v3") {
        Area::Projects
    } else if path.starts_with("/graph/") {
        Area::Graph
    } else {
        Area::Crm
    }
}

/// A CRM call's hold on the edition's limits, kept until it is answered.
#[derive(Default)]
struct CrmAdmission {
    _slot: Option<Slot>,
    credits_left: Option<u64>,
}

/// Takes a concurrency slot and charges the call's credits, or answers the refusal. Record
/// writes are read first: they cost credits by the number of records.
async fn admit_crm(
    state: &AppState,
    request: Request,
    method: &Method,
    template: &str,
) -> Result<(Request, CrmAdmission), Response> {
    let mut request = request;
    let mut records = 0;
    if is_record_write(method, template) {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, super::server::MAX_BODY_BYTES).await else {
            return Err(CrmError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "INVALID_DATA",
                "the request body is too large",
            )
            .into_response());
        };
        records = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("data").and_then(|d| d.as_array()).map(Vec::len))
            .unwrap_or(1);
        request = Request::from_parts(parts, Body::from(bytes));
    }
    let query = request.uri().query().unwrap_or("");
    let heavy = is_heavy(method, template, query, records);
    let Some(slot) = state.limits.acquire(heavy) else {
        return Err(too_many(Area::Crm, "concurrency limit exceeded"));
    };
    let Some(left) = state.limits.charge(credit_cost(method, template, records)) else {
        // Zoho documents one 429 `TOO_MANY_REQUESTS` for both refusals; the spent allowance
        // also shows in the credits header, which it sends once half the credits are used.
        let mut refusal = too_many(Area::Crm, "credit limit exceeded");
        refusal
            .headers_mut()
            .insert("X-API-CREDITS-REMAINING", HeaderValue::from_static("0"));
        return Err(refusal);
    };
    let admission = CrmAdmission {
        _slot: Some(slot),
        credits_left: Some(left),
    };
    Ok((request, admission))
}

/// Counts a Projects call against its user's budget for the API, or `None` when the token
/// names no user: such a call is not counted and gets its 401 from the handler. The token
/// lookup takes the store's lock and releases it before the throttle's lock is taken, and
/// neither is held while the handler runs.
fn throttle_projects(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    method: &Method,
    template: &str,
) -> Option<Verdict> {
    let principal = super::auth::authenticate(state, headers).ok()?;
    let api = projects_throttle::api_key(method.as_str(), template);
    Some(
        state
            .limits
            .projects
            .check(&principal.user_email, &api, Instant::now()),
    )
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
        FaultKind::Reset | FaultKind::Lost => dropped_connection(),
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

/// A body that fails before its first byte makes the server abort the connection: the
/// client sees a transport error, not an HTTP answer.
fn dropped_connection() -> Response {
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

/// How long an injected timeout holds a request unless the server stops first.
pub const DEFAULT_FAULT_HOLD: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

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
