//! The state every reconcile shares — the Kubernetes client, the configuration, metrics,
//! the clients kept per resource, backoff and schedule — and how a run's API usage is
//! added up.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kube::Client;
use kube::runtime::events::Recorder;

use super::OperatorConfig;
use super::metrics::Metrics;
use super::outcome::{Next, Outcome};
use crate::graph::GraphClient;
use crate::zoho::{ApiStatsSnapshot, ZohoClients};

/// State shared by every reconcile. Maps are keyed by resource slot (`Kind namespace/name`).
pub struct Context {
    pub client: Client,
    pub config: OperatorConfig,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    /// Zoho clients per resource, with the fingerprint of the Secrets they were built from.
    pub(super) zoho: Mutex<HashMap<String, (String, Arc<ZohoClients>)>>,
    /// Graph clients per resource, likewise.
    pub(super) graph: Mutex<HashMap<String, (String, GraphClient)>>,
    /// Consecutive failures per resource, for the backoff.
    pub(super) failures: Mutex<HashMap<String, u32>>,
    /// Per resource: the digest of the inputs of its last full run, and when the next one
    /// is due (`None`: only when the inputs change).
    pub(super) schedule: Mutex<HashMap<String, (u64, Option<Instant>)>>,
    /// `Kind org-id` → the resource that reconciled it first, to spot two resources on one
    /// org before either has written its marker.
    pub(super) orgs: Mutex<HashMap<String, String>>,
}

impl Context {
    pub fn new(
        client: Client,
        config: OperatorConfig,
        metrics: Arc<Metrics>,
        recorder: Recorder,
    ) -> Self {
        Context {
            client,
            config,
            metrics,
            recorder,
            zoho: Mutex::default(),
            graph: Mutex::default(),
            failures: Mutex::default(),
            schedule: Mutex::default(),
            orgs: Mutex::default(),
        }
    }
}

pub(super) fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Adds one client's API usage to the run's, and to the metrics; a failed run that met 429s
/// waits as long as a rate-limited read would.
pub(crate) fn record_api(ctx: &Context, used: &ApiStatsSnapshot, outcome: &mut Outcome) {
    ctx.metrics.api_used(used);
    let total = combined(&outcome.api.unwrap_or_default(), used);
    outcome.api = Some(total);
    if let Next::Backoff { rate_limited } = &mut outcome.next
        && used.crm_rate_limited + used.projects_rate_limited + used.graph_rate_limited > 0
    {
        *rate_limited = true;
    }
}

/// The usage of two clients (or two runs) together.
pub(crate) fn combined(a: &ApiStatsSnapshot, b: &ApiStatsSnapshot) -> ApiStatsSnapshot {
    ApiStatsSnapshot {
        accounts_calls: a.accounts_calls + b.accounts_calls,
        crm_calls: a.crm_calls + b.crm_calls,
        projects_calls: a.projects_calls + b.projects_calls,
        identity_calls: a.identity_calls + b.identity_calls,
        graph_calls: a.graph_calls + b.graph_calls,
        crm_rate_limited: a.crm_rate_limited + b.crm_rate_limited,
        projects_rate_limited: a.projects_rate_limited + b.projects_rate_limited,
        graph_rate_limited: a.graph_rate_limited + b.graph_rate_limited,
        crm_credits: a.crm_credits + b.crm_credits,
        retries: a.retries + b.retries,
        token_refreshes: a.token_refreshes + b.token_refreshes,
        projects_paced_ms: a.projects_paced_ms + b.projects_paced_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_of_two_clients_adds_up() {
        let crm = ApiStatsSnapshot {
            crm_calls: 3,
            crm_credits: 4,
            accounts_calls: 1,
            ..ApiStatsSnapshot::default()
        };
        let graph = ApiStatsSnapshot {
            graph_calls: 5,
            identity_calls: 1,
            graph_rate_limited: 2,
            ..ApiStatsSnapshot::default()
        };
        let total = combined(&crm, &graph);
        assert_eq!(total.api_calls(), 8);
        assert_eq!(total.crm_credits, 4);
        assert_eq!(total.graph_rate_limited, 2);
        assert_eq!(total.identity_calls + total.accounts_calls, 2);
    }
}
