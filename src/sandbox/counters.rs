//! Requests seen per endpoint: what tests and benchmarks read to count the calls a client
//! made, whether the call was served or refused by a limit.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

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
