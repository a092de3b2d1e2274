//! One reconcile of a resource of either kind: the kind's own observe → plan → apply, with
//! the outcome turned into status conditions, Events, metrics and the time of the next
//! check, and deactivation behind a finalizer. Problems the user must fix (a missing
//! Secret, an invalid spec, rejected credentials, an unreachable API) become conditions and
//! a backoff, never a crash loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Api, ResourceExt};
use rand::Rng;

use super::OperatorConfig;
use super::conditions::condition_is_true;
use super::conditions::{CONDITION_CONFLICT, merge, truncate};
use super::context::{Context, locked};
use super::kind::{DeactivationError, IntegrationKind, owner, slot};
use super::metrics::ReconcileResult;
use super::outcome::{ANNOTATION_PAUSED, Next, Outcome, is_annotated};
use crate::spec::API_VERSION;
use crate::zoho::redact::redact_urls_in;

/// Finalizer that keeps a resource until its deactivation ran.
pub const FINALIZER: &str = "projectlink.dev/deactivate";
/// Field manager of the status the operator applies.
pub const FIELD_MANAGER: &str = "projectlink-operator";
/// Longest Event note the API server accepts.
const MAX_EVENT_NOTE: usize = 1024;

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
}
