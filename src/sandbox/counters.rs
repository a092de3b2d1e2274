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

    /// Requests per HTTP method (`GET`, `POST`, …), token requests included.
    pub fn by_method(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (key, n) in self.snapshot() {
            let method = key.split_once(' ').map_or(key.as_str(), |(m, _)| m);
            *out.entry(method.to_string()).or_default() += n;
        }
        out
    }

    /// Requests that are not GET (nor HEAD or OPTIONS), by endpoint, leaving out the token
    /// endpoints: what may have changed state in CRM, Projects or Graph.
    pub fn writes(&self) -> BTreeMap<String, u64> {
        self.snapshot()
            .into_iter()
            .filter(|(k, _)| {
                let method = k.split_once(' ').map_or(k.as_str(), |(m, _)| m);
                !matches!(method, "GET" | "HEAD" | "OPTIONS")
                    && !k.contains("/oauth/")
                    && !k.contains("/oauth2/")
            })
            .collect()
    }

    pub fn reset(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Counters;

    #[test]
    fn counts_by_method_and_sets_token_requests_apart_from_writes() {
        let c = Counters::default();
        c.record("GET /crm/v8/users");
        c.record("GET /crm/v8/org");
        c.record("POST /oauth/v2/token");
        c.record("PATCH /api/v3/portal/{pid}/projects/{id}");
        let by_method = c.by_method();
        assert_eq!(by_method["GET"], 2);
        assert_eq!(by_method["POST"], 1);
        assert_eq!(by_method["PATCH"], 1);
        assert_eq!(
            c.writes().keys().collect::<Vec<_>>(),
            ["PATCH /api/v3/portal/{pid}/projects/{id}"]
        );
    }
}
