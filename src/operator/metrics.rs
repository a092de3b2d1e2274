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

    /// The metrics in the Prometheus text format (version 0.0.4): every family of
    /// [`FAMILIES`] in order, its `# HELP` and `# TYPE` lines, then its samples.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        for family in FAMILIES {
            let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
            let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind);
            for sample in (family.samples)(&inner) {
                let _ = writeln!(
                    out,
                    "{}{}{} {}",
                    family.name,
                    sample.suffix,
                    labels(&sample.labels),
                    sample.value
                );
            }
        }
        out
    }
}

/// One metric family: its name, Prometheus type and help text, and how its samples are
/// read from the counters.
struct Family {
    name: &'static str,
    kind: &'static str,
    help: &'static str,
    samples: fn(&Inner) -> Vec<Sample>,
}

/// One line of a family: the suffix after its name (`_bucket` for a histogram), its
/// labels and its value.
struct Sample {
    suffix: &'static str,
    labels: Vec<(&'static str, String)>,
    value: String,
}

impl Sample {
    fn new(labels: &[(&'static str, &str)], value: impl ToString) -> Sample {
        Sample::suffixed("", labels, value)
    }

    fn suffixed(
        suffix: &'static str,
        labels: &[(&'static str, &str)],
        value: impl ToString,
    ) -> Sample {
        Sample {
            suffix,
            labels: labels.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            value: value.to_string(),
        }
    }
}

/// Every family the operator exports, in the order they are rendered.
const FAMILIES: [Family; 7] = [
    Family {
        name: "projectlink_reconciles_total",
        kind: "counter",
        help: "Reconciles by kind and result.",
        samples: reconcile_samples,
    },
    Family {
        name: "projectlink_reconcile_duration_seconds",
        kind: "histogram",
        help: "Duration of reconciles.",
        samples: duration_samples,
    },
    Family {
        name: "projectlink_api_calls_total",
        kind: "counter",
        help: "API calls by system (accounts, identity: token requests to Zoho and Microsoft).",
        samples: |inner| {
            let api = &inner.api;
            per_system(&[
                ("crm", api.crm_calls),
                ("projects", api.projects_calls),
                ("accounts", api.accounts_calls),
                ("graph", api.graph_calls),
                ("identity", api.identity_calls),
            ])
        },
    },
    Family {
        name: "projectlink_api_rate_limited_total",
        kind: "counter",
        help: "Answers with HTTP 429, by system.",
        samples: |inner| {
            let api = &inner.api;
            per_system(&[
                ("crm", api.crm_rate_limited),
                ("projects", api.projects_rate_limited),
                ("graph", api.graph_rate_limited),
            ])
        },
    },
    Family {
        name: "projectlink_crm_credits_total",
        kind: "counter",
        help: "Zoho CRM API credits spent.",
        samples: |inner| vec![Sample::new(&[], inner.api.crm_credits)],
    },
    Family {
        name: "projectlink_leader",
        kind: "gauge",
        help: "Whether this replica is the one reconciling (1) or a standby (0).",
        samples: |inner| vec![Sample::new(&[], u8::from(inner.leader))],
    },
    Family {
        name: "projectlink_drifted",
        kind: "gauge",
        help: "1 when the live integration differs from the resource's spec.",
        samples: drift_samples,
    },
];

/// Every kind with every result, so a series exists before its first reconcile.
fn reconcile_samples(inner: &Inner) -> Vec<Sample> {
    let results = [
        ReconcileResult::Success,
        ReconcileResult::Blocked,
        ReconcileResult::Error,
    ];
    KINDS
        .iter()
        .flat_map(|kind| results.iter().map(move |result| (*kind, *result)))
        .map(|(kind, result)| {
            let n = inner.reconciles.get(&(kind, result)).copied().unwrap_or(0);
            Sample::new(&[("kind", kind), ("result", result.label())], n)
        })
        .collect()
}

/// The cumulative buckets, then `+Inf`, the sum and the count.
fn duration_samples(inner: &Inner) -> Vec<Sample> {
    let mut samples: Vec<Sample> = DURATION_BUCKETS
        .iter()
        .zip(inner.bucket_counts.iter())
        .map(|(bound, count)| Sample::suffixed("_bucket", &[("le", &bound.to_string())], count))
        .collect();
    samples.push(Sample::suffixed(
        "_bucket",
        &[("le", "+Inf")],
        inner.duration_count,
    ));
    samples.push(Sample::suffixed("_sum", &[], inner.duration_sum));
    samples.push(Sample::suffixed("_count", &[], inner.duration_count));
    samples
}

fn per_system(counts: &[(&str, u64)]) -> Vec<Sample> {
    counts
        .iter()
        .map(|(system, n)| Sample::new(&[("system", system)], n))
        .collect()
}

/// One gauge per resource, its `namespace/name` split into two labels.
fn drift_samples(inner: &Inner) -> Vec<Sample> {
    inner
        .drift
        .iter()
        .map(|((kind, resource), drifted)| {
            let (namespace, name) = resource.split_once('/').unwrap_or(("", resource));
            Sample::new(
                &[("kind", kind), ("namespace", namespace), ("name", name)],
                drifted,
            )
        })
        .collect()
}

/// `{key="value",...}` with the values escaped, or nothing for a sample without labels.
fn labels(labels: &[(&'static str, String)]) -> String {
    if labels.is_empty() {
        return String::new();
    }
    let pairs: Vec<String> = labels
        .iter()
        .map(|(key, value)| format!("{key}=\"{}\"", escape(value)))
        .collect();
    format!("{{{}}}", pairs.join(","))
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
    fn renders_every_family_in_order_with_its_help_and_type() {
        let m = Metrics::default();
        m.reconciled(
            KIND_PROJECTS_INTEGRATION,
            ReconcileResult::Success,
            Duration::from_millis(200),
        );
        m.api_used(&ApiStatsSnapshot {
            crm_calls: 4,
            ..ApiStatsSnapshot::default()
        });
        m.set_leader(true);
        m.set_drift(KIND_PROJECTS_INTEGRATION, "team-a/acme", true);
        let expected = r#"# HELP projectlink_reconciles_total Reconciles by kind and result.
# TYPE projectlink_reconciles_total counter
projectlink_reconciles_total{kind="ProjectsIntegration",result="success"} 1
projectlink_reconciles_total{kind="ProjectsIntegration",result="blocked"} 0
projectlink_reconciles_total{kind="ProjectsIntegration",result="error"} 0
projectlink_reconciles_total{kind="Office365Integration",result="success"} 0
projectlink_reconciles_total{kind="Office365Integration",result="blocked"} 0
projectlink_reconciles_total{kind="Office365Integration",result="error"} 0
# HELP projectlink_reconcile_duration_seconds Duration of reconciles.
# TYPE projectlink_reconcile_duration_seconds histogram
projectlink_reconcile_duration_seconds_bucket{le="0.05"} 0
projectlink_reconcile_duration_seconds_bucket{le="0.1"} 0
projectlink_reconcile_duration_seconds_bucket{le="0.25"} 1
projectlink_reconcile_duration_seconds_bucket{le="0.5"} 1
projectlink_reconcile_duration_seconds_bucket{le="1"} 1
projectlink_reconcile_duration_seconds_bucket{le="2.5"} 1
projectlink_reconcile_duration_seconds_bucket{le="5"} 1
projectlink_reconcile_duration_seconds_bucket{le="10"} 1
projectlink_reconcile_duration_seconds_bucket{le="30"} 1
projectlink_reconcile_duration_seconds_bucket{le="60"} 1
projectlink_reconcile_duration_seconds_bucket{le="+Inf"} 1
projectlink_reconcile_duration_seconds_sum 0.2
projectlink_reconcile_duration_seconds_count 1
# HELP projectlink_api_calls_total API calls by system (accounts, identity: token requests to Zoho and Microsoft).
# TYPE projectlink_api_calls_total counter
projectlink_api_calls_total{system="crm"} 4
projectlink_api_calls_total{system="projects"} 0
projectlink_api_calls_total{system="accounts"} 0
projectlink_api_calls_total{system="graph"} 0
projectlink_api_calls_total{system="identity"} 0
# HELP projectlink_api_rate_limited_total Answers with HTTP 429, by system.
# TYPE projectlink_api_rate_limited_total counter
projectlink_api_rate_limited_total{system="crm"} 0
projectlink_api_rate_limited_total{system="projects"} 0
projectlink_api_rate_limited_total{system="graph"} 0
# HELP projectlink_crm_credits_total Zoho CRM API credits spent.
# TYPE projectlink_crm_credits_total counter
projectlink_crm_credits_total 0
# HELP projectlink_leader Whether this replica is the one reconciling (1) or a standby (0).
# TYPE projectlink_leader gauge
projectlink_leader 1
# HELP projectlink_drifted 1 when the live integration differs from the resource's spec.
# TYPE projectlink_drifted gauge
projectlink_drifted{kind="ProjectsIntegration",namespace="team-a",name="acme"} 1
"#;
        assert_eq!(m.render(), expected);
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
