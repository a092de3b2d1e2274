//! One reconcile of a resource of either kind: the kind's own observe → plan → apply, with
//! the outcome turned into status conditions, Events, metrics and the time of the next
//! check, and deactivation behind a finalizer. Problems the user must fix (a missing
//! Secret, an invalid spec, rejected credentials, an unreachable API) become conditions and
//! a backoff, never a crash loop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Api, Client, ResourceExt};
use rand::Rng;

use super::OperatorConfig;
use super::conditions::{CONDITION_CONFLICT, merge, truncate};
use super::kind::{DeactivationError, IntegrationKind, condition_is_true, owner, slot};
use super::metrics::{Metrics, ReconcileResult};
use super::outcome::{ANNOTATION_PAUSED, Next, Outcome, is_annotated};
use crate::graph::GraphClient;
use crate::spec::API_VERSION;
use crate::zoho::redact::redact_urls_in;
use crate::zoho::{ApiStatsSnapshot, ZohoClients};

/// Finalizer that keeps a resource until its deactivation ran.
pub const FINALIZER: &str = "projectlink.dev/deactivate";
/// Field manager of the status the operator applies.
pub const FIELD_MANAGER: &str = "projectlink-operator";
/// Longest Event note the API server accepts.
const MAX_EVENT_NOTE: usize = 1024;

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
    failures: Mutex<HashMap<String, u32>>,
    /// Per resource: the digest of the inputs of its last full run, and when the next one
    /// is due (`None`: only when the inputs change).
    schedule: Mutex<HashMap<String, (u64, Option<Instant>)>>,
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

/// Failures that leave the resource to be retried with backoff by the controller.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("cannot write the status: {0}")]
    Status(#[source] kube::Error),
    #[error("deactivation did not finish: {0}")]
    Deactivation(#[source] DeactivationError),
    #[error("{0}")]
    Finalizer(String),
}

/// The controller's reconcile function.
pub(crate) async fn reconcile<K: IntegrationKind>(
    resource: Arc<K>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let namespace = resource.namespace().unwrap_or_default();
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &namespace);
    let started = Instant::now();
    let result = finalizer(&api, FINALIZER, resource, |event| async {
        match event {
            FinalizerEvent::Apply(resource) => reconcile_live(&*resource, &api, &ctx).await,
            FinalizerEvent::Cleanup(resource) => deactivate(&*resource, &ctx).await,
        }
    })
    .await;
    let failed = |e| {
        ctx.metrics
            .reconciled(K::KIND, ReconcileResult::Error, started.elapsed());
        Err(e)
    };
    match result {
        Ok(action) => Ok(action),
        Err(kube::runtime::finalizer::Error::ApplyFailed(e))
        | Err(kube::runtime::finalizer::Error::CleanupFailed(e)) => failed(e),
        Err(other) => failed(ReconcileError::Finalizer(other.to_string())),
    }
}

/// What the controller does after a failed reconcile: retry with backoff.
pub(crate) fn error_policy<K: IntegrationKind>(
    resource: Arc<K>,
    error: &ReconcileError,
    ctx: Arc<Context>,
) -> Action {
    let slot = slot(&*resource);
    tracing::warn!(resource = %slot, %error, "reconcile failed");
    Action::requeue(backoff(&ctx, &slot, false))
}

fn backoff(ctx: &Context, slot: &str, rate_limited: bool) -> Duration {
    let failures = {
        let mut map = locked(&ctx.failures);
        let n = map.entry(slot.to_string()).or_default();
        *n = n.saturating_add(1);
        *n
    };
    backoff_delay(&ctx.config, failures, rate_limited)
}

/// The delay after the `failures`-th consecutive failure: doubling from `error_backoff` up
/// to `error_backoff_cap`, and at least `rate_limit_backoff` after a 429.
fn backoff_delay(config: &OperatorConfig, failures: u32, rate_limited: bool) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    let delay = config
        .error_backoff
        .saturating_mul(2u32.saturating_pow(doublings))
        .min(config.error_backoff_cap);
    if rate_limited {
        delay.max(config.rate_limit_backoff)
    } else {
        delay
    }
}

/// The drift re-check interval, with ±10% jitter so resources do not check in lockstep.
fn jittered(interval: Duration) -> Duration {
    let factor = rand::rng().random_range(0.9..=1.1);
    interval.mul_f64(factor)
}

async fn reconcile_live<K: IntegrationKind>(
    resource: &K,
    api: &Api<K>,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let slot = slot(resource);
    // The controller also wakes up for the status this operator just wrote; such wake-ups
    // change none of the inputs and must not cost a full observe.
    let inputs = inputs_of(resource);
    let scheduled = locked(&ctx.schedule).get(&slot).copied();
    if let Some((seen, due)) = scheduled
        && seen == inputs
    {
        match due {
            None => return Ok(Action::await_change()),
            Some(due) if due > started => return Ok(Action::requeue(due - started)),
            Some(_) => {}
        }
    }
    let outcome = super::pipeline::run(resource, ctx).await;
    // Metrics first: whoever sees the new status can then read the metrics of the same run.
    if let Some(drifted) = outcome.drifted {
        ctx.metrics.set_drift(K::KIND, &owner(resource), drifted);
    }
    ctx.metrics
        .reconciled(K::KIND, outcome.result, started.elapsed());
    write_status(resource, api, &outcome).await?;
    publish_events(resource, ctx, &outcome.events).await;
    let delay = match outcome.next {
        Next::Interval => {
            locked(&ctx.failures).remove(&slot);
            Some(jittered(ctx.config.interval))
        }
        Next::AwaitChange => {
            locked(&ctx.failures).remove(&slot);
            None
        }
        Next::Backoff { rate_limited } => Some(backoff(ctx, &slot, rate_limited)),
        Next::AfterLock(lock) => Some(backoff(ctx, &slot, true).max(lock + Duration::from_secs(1))),
    };
    locked(&ctx.schedule).insert(slot, (inputs, delay.map(|d| Instant::now() + d)));
    Ok(delay.map_or_else(Action::await_change, Action::requeue))
}

/// A digest of what, besides the live systems and the Secrets, decides a reconcile: the
/// spec (through its generation), the annotations and the finalizers.
fn inputs_of<K: IntegrationKind>(resource: &K) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    resource.meta().uid.hash(&mut hasher);
    resource.meta().generation.hash(&mut hasher);
    resource.annotations().hash(&mut hasher);
    resource.finalizers().hash(&mut hasher);
    hasher.finish()
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

async fn write_status<K: IntegrationKind>(
    resource: &K,
    api: &Api<K>,
    outcome: &Outcome,
) -> Result<(), ReconcileError> {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let generation = resource.meta().generation;
    let conditions = merge(
        resource.status_conditions(),
        &outcome.conditions,
        generation,
        &now,
    );
    let patch = serde_json::json!({
        "apiVersion": API_VERSION,
        "kind": K::KIND,
        "status": resource.status(outcome, conditions, &now),
    });
    api.patch_status(
        &resource.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(ReconcileError::Status)?;
    Ok(())
}

async fn publish_events<K: IntegrationKind>(
    resource: &K,
    ctx: &Context,
    events: &[(EventType, &'static str, String)],
) {
    let reference = resource.object_ref(&());
    for (type_, reason, note) in events {
        let event = Event {
            type_: *type_,
            reason: (*reason).to_string(),
            // Events are read by anyone who may read the resource: no URL credentials.
            note: Some(truncate(&redact_urls_in(note), MAX_EVENT_NOTE)),
            action: "Reconcile".into(),
            secondary: None,
        };
        // Events are best effort: a failure to record one must not fail the reconcile.
        if let Err(error) = ctx.recorder.publish(&event, &reference).await {
            tracing::warn!(resource = %slot(resource), %error, "cannot publish an Event");
        }
    }
}

/// Why deleting this resource leaves the live systems as they are, if it does.
fn leave_untouched<K: IntegrationKind>(resource: &K) -> Option<&'static str> {
    if resource.orphan_on_delete() {
        Some("deletionPolicy is Orphan")
    } else if resource.observe_only() {
        Some("policy.observeOnly is set")
    } else if is_annotated(resource, ANNOTATION_PAUSED) {
        Some("the resource is paused")
    } else if condition_is_true(resource, CONDITION_CONFLICT) {
        Some("the resource never owned its CRM org (Conflict)")
    } else {
        None
    }
}

/// Runs on deletion: deactivates the integration (or leaves it, for `Orphan`, observe-only,
/// paused and conflicting resources), then lets the finalizer go.
async fn deactivate<K: IntegrationKind>(
    resource: &K,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let event = match leave_untouched(resource) {
        Some(why) => (
            EventType::Normal,
            "Orphaned",
            format!("{why}: the live systems are left untouched"),
        ),
        None => match super::pipeline::deactivate(resource, ctx).await {
            Ok(changes) => (
                EventType::Normal,
                "Deactivated",
                format!("deactivated the integration ({changes} change(s))"),
            ),
            Err(error) => {
                publish_events(
                    resource,
                    ctx,
                    &[(EventType::Warning, "DeactivationFailed", error.to_string())],
                )
                .await;
                return Err(ReconcileError::Deactivation(error));
            }
        },
    };
    publish_events(resource, ctx, &[event]).await;
    forget(ctx, resource);
    Ok(Action::await_change())
}

fn forget<K: IntegrationKind>(ctx: &Context, resource: &K) {
    let slot = slot(resource);
    ctx.metrics.forget(K::KIND, &owner(resource));
    locked(&ctx.zoho).remove(&slot);
    locked(&ctx.graph).remove(&slot);
    locked(&ctx.failures).remove(&slot);
    locked(&ctx.schedule).remove(&slot);
    locked(&ctx.orgs).retain(|_, holder| *holder != slot);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ProjectsIntegration;

    #[test]
    fn backoff_doubles_to_the_cap_and_waits_longer_after_a_429() {
        let config = OperatorConfig {
            error_backoff: Duration::from_secs(5),
            error_backoff_cap: Duration::from_secs(60),
            rate_limit_backoff: Duration::from_secs(120),
            ..OperatorConfig::default()
        };
        let delays: Vec<u64> = (1..=6)
            .map(|n| backoff_delay(&config, n, false).as_secs())
            .collect();
        assert_eq!(delays, [5, 10, 20, 40, 60, 60]);
        assert_eq!(backoff_delay(&config, u32::MAX, false).as_secs(), 60);
        assert_eq!(backoff_delay(&config, 1, true).as_secs(), 120);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..100 {
            let d = jittered(Duration::from_secs(600)).as_secs_f64();
            assert!((540.0..=660.0).contains(&d), "{d}");
        }
    }

    #[test]
    fn annotations_count_only_when_true() {
        let spec = serde_json::from_value(serde_json::json!({"portal": {"name": "P"}})).unwrap();
        let mut resource = ProjectsIntegration::new("acme", spec);
        assert!(!is_annotated(&resource, ANNOTATION_PAUSED));
        resource.metadata.annotations = Some(
            [(ANNOTATION_PAUSED.to_string(), " True ".to_string())]
                .into_iter()
                .collect(),
        );
        assert!(is_annotated(&resource, ANNOTATION_PAUSED));
        resource
            .metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(ANNOTATION_PAUSED.into(), "false".into());
        assert!(!is_annotated(&resource, ANNOTATION_PAUSED));
    }

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
