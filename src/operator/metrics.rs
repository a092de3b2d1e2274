//! The operator's Prometheus metrics, kept in plain atomics and maps and rendered in the
//! Prometheus text exposition format by hand (the format is small; a metrics crate would
//! be most of the operator's dependency weight).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use crate::spec::{KIND_OFFICE365_INTEGRATION, KIND_PROJECTS_INTEGRATION};
use crate::zoho::ApiStatsSnapshot;

/// The kinds reconciled, so every counter series exists from the start.
const KINDS: [&str; 2] = [KIND_PROJECTS_INTEGRATION, KIND_OFFICE365_INTEGRATION];

/// Upper bounds (seconds) of the reconcile duration histogram's buckets.
const DURATION_BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// How a reconcile ended, for `projectlink_reconciles_total{result}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReconcileResult {
    /// Nothing to do or everything applied.
    Success,
    /// A condition the user must fix (invalid spec, missing Secret, conflict, refusal).
    Blocked,
    /// A failure that is retried with backoff.
    Error,
}

impl ReconcileResult {
    fn label(self) -> &'static str {
        match self {
            ReconcileResult::Success => "success",
            ReconcileResult::Blocked => "blocked",
            ReconcileResult::Error => "error",
        }
    }
}

#[derive(Default)]
struct Inner {
    /// (kind, result) → reconciles.
    reconciles: BTreeMap<(&'static str, ReconcileResult), u64>,
    bucket_counts: [u64; DURATION_BUCKETS.len()],
    duration_count: u64,
    duration_sum: f64,
    api: ApiStatsSnapshot,
    /// (kind, `namespace/name`) → 1 when drifted, 0 when not.
    drift: BTreeMap<(&'static str, String), u8>,
    leader: bool,
}

/// Metrics shared by every reconcile.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Records one reconcile of a resource of `kind`: its outcome and duration.
    pub fn reconciled(&self, kind: &'static str, result: ReconcileResult, took: Duration) {
        let mut inner = self.lock();
        *inner.reconciles.entry((kind, result)).or_default() += 1;
        let seconds = took.as_secs_f64();
        for (bound, count) in DURATION_BUCKETS.iter().zip(inner.bucket_counts.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
        inner.duration_count += 1;
        inner.duration_sum += seconds;
    }

    /// Adds the API usage of one reconcile.
    pub fn api_used(&self, used: &ApiStatsSnapshot) {
        let mut inner = self.lock();
        let api = &mut inner.api;
        api.accounts_calls += used.accounts_calls;
        api.crm_calls += used.crm_calls;
        api.projects_calls += used.projects_calls;
        api.identity_calls += used.identity_calls;
        api.graph_calls += used.graph_calls;
        api.crm_rate_limited += used.crm_rate_limited;
        api.projects_rate_limited += used.projects_rate_limited;
        api.graph_rate_limited += used.graph_rate_limited;
        api.crm_credits += used.crm_credits;
    }

    /// Sets the drift gauge of one resource (`namespace/name`) of `kind`.
    pub fn set_drift(&self, kind: &'static str, resource: &str, drifted: bool) {
        self.lock()
            .drift
            .insert((kind, resource.to_string()), drifted.into());
    }

    /// Whether this replica currently reconciles (holds the Lease, or runs alone).
    pub fn set_leader(&self, leader: bool) {
        self.lock().leader = leader;
    }

    /// Drops the gauge of a resource that no longer exists.
    pub fn forget(&self, kind: &'static str, resource: &str) {
        self.lock().drift.remove(&(kind, resource.to_string()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the counters inconsistent enough to
        // matter; keep serving them.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The metrics in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        header(
            &mut out,
            "projectlink_reconciles_total",
            "counter",
            "Reconciles by kind and result.",
        );
        for kind in KINDS {
            for result in [
                ReconcileResult::Success,
                ReconcileResult::Blocked,
                ReconcileResult::Error,
            ] {
                let n = inner.reconciles.get(&(kind, result)).copied().unwrap_or(0);
                let _ = writeln!(
                    out,
                    "projectlink_reconciles_total{{kind=\"{kind}\",result=\"{}\"}} {n}",
                    result.label()
                );
            }
        }
        header(
            &mut out,
            "projectlink_reconcile_duration_seconds",
            "histogram",
            "Duration of reconciles.",
        );
        for (bound, count) in DURATION_BUCKETS.iter().zip(inner.bucket_counts.iter()) {
            let _ = writeln!(
                out,
                "projectlink_reconcile_duration_seconds_bucket{{le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            out,
            "projectlink_reconcile_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            inner.duration_count
        );
        let _ = writeln!(
            out,
            "projectlink_reconcile_duration_seconds_sum {}",
            inner.duration_sum
        );
        let _ = writeln!(
            out,
            "projectlink_reconcile_duration_seconds_count {}",
            inner.duration_count
        );
        header(
            &mut out,
            "projectlink_api_calls_total",
            "counter",
            "API calls by system (accounts, identity: token requests to Zoho and Microsoft).",
        );
        for (system, n) in [
            ("crm", inner.api.crm_calls),
            ("projects", inner.api.projects_calls),
            ("accounts", inner.api.accounts_calls),
            ("graph", inner.api.graph_calls),
            ("identity", inner.api.identity_calls),
        ] {
            let _ = writeln!(
                out,
                "projectlink_api_calls_total{{system=\"{system}\"}} {n}"
            );
        }
        header(
            &mut out,
            "projectlink_api_rate_limited_total",
            "counter",
            "Answers with HTTP 429, by system.",
        );
        for (system, n) in [
            ("crm", inner.api.crm_rate_limited),
            ("projects", inner.api.projects_rate_limited),
            ("graph", inner.api.graph_rate_limited),
        ] {
            let _ = writeln!(
                out,
                "projectlink_api_rate_limited_total{{system=\"{system}\"}} {n}"
            );
        }
        header(
            &mut out,
            "projectlink_crm_credits_total",
            "counter",
            "Zoho CRM API credits spent.",
        );
        let _ = writeln!(
            out,
            "projectlink_crm_credits_total {}",
            inner.api.crm_credits
        );
        header(
            &mut out,
            "projectlink_leader",
            "gauge",
            "Whether this replica is the one reconciling (1) or a standby (0).",
        );
        let _ = writeln!(out, "projectlink_leader {}", u8::from(inner.leader));
        header(
            &mut out,
            "projectlink_drifted",
            "gauge",
            "1 when the live integration differs from the resource's spec.",
        );
        for ((kind, resource), drifted) in &inner.drift {
            let (namespace, name) = resource.split_once('/').unwrap_or(("", resource));
            let _ = writeln!(
                out,
                "projectlink_drifted{{kind=\"{kind}\",namespace=\"{}\",name=\"{}\"}} {drifted}",
                escape(namespace),
                escape(name)
            );
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Label values escape backslash, double quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histogram_and_gauges() {
        let m = Metrics::default();
        let projects = KIND_PROJECTS_INTEGRATION;
        let office365 = KIND_OFFICE365_INTEGRATION;
        m.reconciled(
            projects,
            ReconcileResult::Success,
            Duration::from_millis(200),
        );
        m.reconciled(office365, ReconcileResult::Error, Duration::from_secs(3));
        m.api_used(&ApiStatsSnapshot {
            crm_calls: 4,
            projects_calls: 2,
            crm_rate_limited: 1,
            ..ApiStatsSnapshot::default()
        });
        m.api_used(&ApiStatsSnapshot {
            graph_calls: 6,
            identity_calls: 1,
            graph_rate_limited: 2,
            ..ApiStatsSnapshot::default()
        });
        m.set_drift(projects, "team-a/acme", true);
        m.set_drift(office365, "team-a/acme", false);
        let text = m.render();
        assert!(text.contains(
            "projectlink_reconciles_total{kind=\"ProjectsIntegration\",result=\"success\"} 1"
        ));
        assert!(text.contains(
            "projectlink_reconciles_total{kind=\"Office365Integration\",result=\"error\"} 1"
        ));
        assert!(text.contains(
            "projectlink_reconciles_total{kind=\"Office365Integration\",result=\"success\"} 0"
        ));
        assert!(text.contains("projectlink_reconcile_duration_seconds_bucket{le=\"0.25\"} 1"));
        assert!(text.contains("projectlink_reconcile_duration_seconds_bucket{le=\"5\"} 2"));
        assert!(text.contains("projectlink_reconcile_duration_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(text.contains("projectlink_api_calls_total{system=\"crm\"} 4"));
        assert!(text.contains("projectlink_api_calls_total{system=\"graph\"} 6"));
        assert!(text.contains("projectlink_api_calls_total{system=\"identity\"} 1"));
        assert!(text.contains("projectlink_api_rate_limited_total{system=\"crm\"} 1"));
        assert!(text.contains("projectlink_api_rate_limited_total{system=\"graph\"} 2"));
        assert!(text.contains(
            "projectlink_drifted{kind=\"ProjectsIntegration\",namespace=\"team-a\",name=\"acme\"} 1"
        ));
        assert!(text.contains(
            "projectlink_drifted{kind=\"Office365Integration\",namespace=\"team-a\",name=\"acme\"} 0"
        ));
        m.forget(projects, "team-a/acme");
        let text = m.render();
        assert!(!text.contains("kind=\"ProjectsIntegration\",namespace=\"team-a\""));
        assert!(text.contains("kind=\"Office365Integration\",namespace=\"team-a\""));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
