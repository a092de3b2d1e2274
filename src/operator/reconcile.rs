//! One reconcile of a `ProjectsIntegration` resource: the CLI's observe → plan → apply,
//! unchanged, with the outcome turned into status conditions, Events, metrics and the time
//! of the next check. Problems the user must fix (a missing Secret, an invalid spec,
//! rejected credentials, an unreachable Zoho) become conditions and a backoff, never a
//! crash loop.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::{Api, Client, Resource, ResourceExt};
use rand::Rng;

use super::OperatorConfig;
use super::conditions::{CONDITION_CONFLICT, CONDITION_READY, merge, truncate};
use super::credentials::{self, SecretError};
use super::metrics::{Metrics, ReconcileResult};
pub use super::outcome::{ANNOTATION_ALLOW_DESTRUCTIVE, ANNOTATION_PAUSED};
use super::outcome::{
    Next, Outcome, decide, finish_apply, is_annotated, observe_failure, plan_summary,
};
use crate::apply::{ApplyOptions, ApplyReport, NoProgress, execute};
use crate::live::observe::observe;
use crate::plan::diagnostics::Severity;
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::{Desired, Plan};
use crate::spec::{
    API_VERSION, DeletionPolicy, IntegrationState, KIND_PROJECTS_INTEGRATION, ProjectsIntegration,
    ProjectsIntegrationStatus, Severity as SpecSeverity, validate_resource,
};
use crate::zoho::{ApiStatsSnapshot, ClientOptions, Endpoints, ZohoClients};

/// Finalizer that keeps a resource until its deactivation ran.
pub const FINALIZER: &str = "projectlink.dev/deactivate";
/// Field manager of the status the operator applies.
pub const FIELD_MANAGER: &str = "projectlink-operator";
/// Longest Event note the API server accepts.
const MAX_EVENT_NOTE: usize = 1024;

/// State shared by every reconcile.
pub struct Context {
    pub client: Client,
    pub config: OperatorConfig,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    /// Clients per resource, reused across reconciles so access tokens are too (Zoho issues
    /// only a few per refresh token per ten minutes); rebuilt when a Secret changes.
    clients: Mutex<HashMap<String, (String, Arc<ZohoClients>)>>,
    /// Consecutive failures per resource, for the backoff.
    failures: Mutex<HashMap<String, u32>>,
    /// Per resource: the digest of the inputs of its last full run, and when the next one
    /// is due (`None`: only when the inputs change).
    schedule: Mutex<HashMap<String, (u64, Option<Instant>)>>,
    /// CRM org id → the resource that reconciled it first, to spot two resources on one org
    /// before either has written its marker.
    orgs: Mutex<HashMap<String, String>>,
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
            clients: Mutex::default(),
            failures: Mutex::default(),
            schedule: Mutex::default(),
            orgs: Mutex::default(),
        }
    }
}

fn locked<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Failures that leave the resource to be retried with backoff by the controller.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("cannot write the status: {0}")]
    Status(#[source] kube::Error),
    #[error("deactivation did not finish: {0}")]
    Deactivation(String),
    #[error("{0}")]
    Finalizer(String),
}

/// The controller's reconcile function.
pub async fn reconcile(
    resource: Arc<ProjectsIntegration>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let namespace = resource.namespace().unwrap_or_default();
    let api: Api<ProjectsIntegration> = Api::namespaced(ctx.client.clone(), &namespace);
    let started = Instant::now();
    let result = finalizer(&api, FINALIZER, resource, |event| async {
        match event {
            FinalizerEvent::Apply(resource) => reconcile_live(&resource, &api, &ctx).await,
            FinalizerEvent::Cleanup(resource) => deactivate(&resource, &ctx).await,
        }
    })
    .await;
    match result {
        Ok(action) => Ok(action),
        Err(kube::runtime::finalizer::Error::ApplyFailed(e))
        | Err(kube::runtime::finalizer::Error::CleanupFailed(e)) => {
            ctx.metrics
                .reconciled(ReconcileResult::Error, started.elapsed());
            Err(e)
        }
        Err(other) => {
            ctx.metrics
                .reconciled(ReconcileResult::Error, started.elapsed());
            Err(ReconcileError::Finalizer(other.to_string()))
        }
    }
}

/// What the controller does after a failed reconcile: retry with backoff.
pub fn error_policy(
    resource: Arc<ProjectsIntegration>,
    error: &ReconcileError,
    ctx: Arc<Context>,
) -> Action {
    tracing::warn!(resource = %key(&resource), %error, "reconcile failed");
    Action::requeue(backoff(&ctx, &key(&resource), false))
}

fn key(resource: &ProjectsIntegration) -> String {
    format!(
        "{}/{}",
        resource.namespace().unwrap_or_default(),
        resource.name_any()
    )
}

fn backoff(ctx: &Context, key: &str, rate_limited: bool) -> Duration {
    let failures = {
        let mut map = locked(&ctx.failures);
        let n = map.entry(key.to_string()).or_default();
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

async fn reconcile_live(
    resource: &ProjectsIntegration,
    api: &Api<ProjectsIntegration>,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let started = Instant::now();
    let key = key(resource);
    // The controller also wakes up for the status this operator just wrote; such wake-ups
    // change none of the inputs and must not cost a full observe of Zoho.
    let inputs = inputs_of(resource);
    let scheduled = locked(&ctx.schedule).get(&key).copied();
    if let Some((seen, due)) = scheduled
        && seen == inputs
    {
        match due {
            None => return Ok(Action::await_change()),
            Some(due) if due > started => return Ok(Action::requeue(due - started)),
            Some(_) => {}
        }
    }
    let outcome = run(resource, &key, ctx).await;
    write_status(resource, api, &outcome).await?;
    publish_events(resource, ctx, &outcome.events).await;
    if let Some(drifted) = outcome.drifted {
        ctx.metrics.set_drift(&key, drifted);
    }
    ctx.metrics.reconciled(outcome.result, started.elapsed());
    let delay = match outcome.next {
        Next::Interval => {
            locked(&ctx.failures).remove(&key);
            Some(jittered(ctx.config.interval))
        }
        Next::AwaitChange => {
            locked(&ctx.failures).remove(&key);
            None
        }
        Next::Backoff { rate_limited } => Some(backoff(ctx, &key, rate_limited)),
    };
    locked(&ctx.schedule).insert(key, (inputs, delay.map(|d| Instant::now() + d)));
    Ok(delay.map_or_else(Action::await_change, Action::requeue))
}

/// A digest of what, besides Zoho and the Secrets, decides a reconcile: the spec (through
/// its generation), the annotations and the finalizers.
fn inputs_of(resource: &ProjectsIntegration) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    resource.metadata.uid.hash(&mut hasher);
    resource.metadata.generation.hash(&mut hasher);
    resource.annotations().hash(&mut hasher);
    resource.finalizers().hash(&mut hasher);
    hasher.finish()
}

/// Connects with the resource's credentials, reusing the clients of the last run when the
/// Secrets did not change.
async fn clients_for(
    resource: &ProjectsIntegration,
    key: &str,
    ctx: &Context,
) -> Result<(Arc<ZohoClients>, crate::live::ProjectsGrant), Outcome> {
    let namespace = resource.namespace().unwrap_or_default();
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let resolved = credentials::resolve(&secrets, &namespace, &resource.spec.connection)
        .await
        .map_err(|e| {
            let reason = match e {
                SecretError::Missing { .. } | SecretError::NoSecretRef => "SecretMissing",
                SecretError::Kube { .. } => "SecretUnreadable",
                _ => "SecretInvalid",
            };
            Outcome::blocked(
                reason,
                e.to_string(),
                Next::Backoff {
                    rate_limited: false,
                },
            )
        })?;
    if let Some((fingerprint, clients)) = locked(&ctx.clients).get(key)
        && *fingerprint == resolved.fingerprint
    {
        return Ok((clients.clone(), resolved.grant));
    }
    let endpoints = match &ctx.config.zoho_base_url {
        Some(url) => Endpoints::single(url.clone()),
        None => Endpoints::for_data_center(
            resolved
                .credentials
                .crm
                .data_center
                .unwrap_or(resource.spec.connection.data_center),
        ),
    };
    let options = ClientOptions {
        concurrency: ctx.config.concurrency,
        ..ClientOptions::default()
    };
    let clients = ZohoClients::connect(&endpoints, &resolved.credentials, &options)
        .map(Arc::new)
        .map_err(|e| {
            Outcome::blocked(
                "ZohoUnreachable",
                e.to_string(),
                Next::Backoff {
                    rate_limited: false,
                },
            )
        })?;
    locked(&ctx.clients).insert(key.to_string(), (resolved.fingerprint, clients.clone()));
    Ok((clients, resolved.grant))
}

async fn run(resource: &ProjectsIntegration, key: &str, ctx: &Context) -> Outcome {
    let errors: Vec<String> = validate_resource(resource)
        .into_iter()
        .filter(|f| f.severity == SpecSeverity::Error)
        .map(|f| format!("{}: {}", f.path, f.summary))
        .collect();
    if !errors.is_empty() {
        return Outcome::blocked("InvalidSpec", errors.join("; "), Next::AwaitChange);
    }
    let (clients, grant) = match clients_for(resource, key, ctx).await {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let before = clients.stats.snapshot();
    let desired = Desired::from_spec(key, &resource.spec);
    let observed = match observe(&desired, &clients.crm, &clients.projects, grant).await {
        Ok(observed) => observed,
        Err(error) => {
            let mut outcome = observe_failure(&error);
            record_api(ctx, &clients, &before, &mut outcome);
            return outcome;
        }
    };
    let force = is_annotated(resource, ANNOTATION_ALLOW_DESTRUCTIVE);
    let plan = plan(
        &desired,
        &observed,
        &PlanOptions {
            prune: false,
            force,
        },
    );
    let summary = plan_summary(&plan);
    let claimed_by = claim_org(ctx, &observed.org.id, key);
    let mut outcome = decide(resource, &observed.org.id, claimed_by, &plan, summary);
    if outcome.plan_summary.is_none() {
        outcome.plan_summary = Some(summary);
    }
    // Applying needs the clients; run it here so `decide` stays about policy.
    if matches!(outcome.next, Next::Interval) && outcome.applied {
        let report = execute_plan(&plan, &clients, ctx.config.concurrency).await;
        finish_apply(resource, &plan, &report, &mut outcome);
    }
    record_api(ctx, &clients, &before, &mut outcome);
    // The spec's portal is the bound one once the live integration matches the spec.
    if outcome
        .conditions
        .iter()
        .any(|c| c.type_ == CONDITION_READY && c.status == "True")
    {
        outcome.portal = Some(resource.spec.portal.name.clone());
    }
    outcome
}

async fn execute_plan(plan: &Plan, clients: &ZohoClients, concurrency: usize) -> ApplyReport {
    execute(
        plan,
        &clients.crm,
        &clients.projects,
        &ApplyOptions { concurrency },
        &NoProgress,
    )
    .await
}

fn record_api(
    ctx: &Context,
    clients: &ZohoClients,
    before: &ApiStatsSnapshot,
    outcome: &mut Outcome,
) {
    let used = clients.stats.snapshot().since(before);
    ctx.metrics.api_used(&used);
    outcome.api = Some(used);
    // A failed apply that met 429s waits as long as a rate-limited read would.
    if let Next::Backoff { rate_limited } = &mut outcome.next
        && used.crm_rate_limited + used.projects_rate_limited > 0
    {
        *rate_limited = true;
    }
}

/// Records which resource reconciles an org; returns the other resource when the org is
/// already taken by one that still exists.
fn claim_org(ctx: &Context, org_id: &str, key: &str) -> Option<String> {
    if org_id.is_empty() {
        return None;
    }
    let mut orgs = locked(&ctx.orgs);
    // A resource now pointing at another org gives up its old claim.
    orgs.retain(|org, holder| holder != key || org == org_id);
    let holder = orgs
        .entry(org_id.to_string())
        .or_insert_with(|| key.to_string());
    (holder != key).then(|| holder.clone())
}

async fn write_status(
    resource: &ProjectsIntegration,
    api: &Api<ProjectsIntegration>,
    outcome: &Outcome,
) -> Result<(), ReconcileError> {
    let previous = resource.status.clone().unwrap_or_default();
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let generation = resource.metadata.generation;
    let status = ProjectsIntegrationStatus {
        observed_generation: generation,
        conditions: merge(&previous.conditions, &outcome.conditions, generation, &now),
        portal: outcome.portal.clone().or(previous.portal),
        last_plan: outcome.plan_summary.or(previous.last_plan),
        api_calls: outcome.api.map(|a| a.api_calls()).or(previous.api_calls),
        credits: outcome.api.map(|a| a.crm_credits).or(previous.credits),
        last_applied_time: if outcome.applied {
            Some(now)
        } else {
            previous.last_applied_time
        },
    };
    let patch = serde_json::json!({
        "apiVersion": API_VERSION,
        "kind": KIND_PROJECTS_INTEGRATION,
        "status": status,
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

async fn publish_events(
    resource: &ProjectsIntegration,
    ctx: &Context,
    events: &[(EventType, &'static str, String)],
) {
    let reference = resource.object_ref(&());
    for (type_, reason, note) in events {
        let event = Event {
            type_: *type_,
            reason: (*reason).to_string(),
            note: Some(truncate(note, MAX_EVENT_NOTE)),
            action: "Reconcile".into(),
            secondary: None,
        };
        // Events are best effort: a failure to record one must not fail the reconcile.
        if let Err(error) = ctx.recorder.publish(&event, &reference).await {
            tracing::warn!(resource = %key(resource), %error, "cannot publish an Event");
        }
    }
}

/// Runs on deletion: deactivates the integration (or leaves it, for `Orphan`, observe-only
/// and paused resources), then lets the finalizer go.
async fn deactivate(
    resource: &ProjectsIntegration,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let key = key(resource);
    let leave_reason = if resource.spec.deletion_policy == DeletionPolicy::Orphan {
        Some("deletionPolicy is Orphan")
    } else if resource.spec.policy.observe_only {
        Some("policy.observeOnly is set")
    } else if is_annotated(resource, ANNOTATION_PAUSED) {
        Some("the resource is paused")
    } else if resource
        .status
        .as_ref()
        .and_then(|s| s.condition(CONDITION_CONFLICT))
        .is_some_and(|c| c.status == "True")
    {
        Some("the resource never owned its CRM org (Conflict)")
    } else {
        None
    };
    if let Some(why) = leave_reason {
        publish_events(
            resource,
            ctx,
            &[(
                EventType::Normal,
                "Orphaned",
                format!("{why}: Zoho left untouched"),
            )],
        )
        .await;
        forget(ctx, &key);
        return Ok(Action::await_change());
    }
    let (clients, grant) = match clients_for(resource, &key, ctx).await {
        Ok(found) => found,
        Err(outcome) => {
            let message = outcome
                .conditions
                .first()
                .map(|c| c.message.clone())
                .unwrap_or_default();
            return Err(deactivation_failed(resource, ctx, message).await);
        }
    };
    let mut spec = resource.spec.clone();
    spec.state = IntegrationState::Deactivated;
    let desired = Desired::from_spec(&key, &spec);
    let observed = match observe(&desired, &clients.crm, &clients.projects, grant).await {
        Ok(observed) => observed,
        Err(error) => return Err(deactivation_failed(resource, ctx, error.to_string()).await),
    };
    let force = is_annotated(resource, ANNOTATION_ALLOW_DESTRUCTIVE);
    let plan = plan(
        &desired,
        &observed,
        &PlanOptions {
            prune: false,
            force,
        },
    );
    if plan.has_errors() || plan.refusal.is_some() {
        let mut problems: Vec<String> = plan
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.message.clone())
            .collect();
        problems.extend(plan.refusal.as_ref().map(|r| r.reason.clone()));
        return Err(deactivation_failed(resource, ctx, problems.join("; ")).await);
    }
    let report = execute_plan(&plan, &clients, ctx.config.concurrency).await;
    if !report.is_complete() {
        let message = format!(
            "{} applied, {} failed, {} skipped",
            report.applied(),
            report.failed(),
            report.skipped()
        );
        return Err(deactivation_failed(resource, ctx, message).await);
    }
    publish_events(
        resource,
        ctx,
        &[(
            EventType::Normal,
            "Deactivated",
            format!(
                "deactivated the integration ({} change(s))",
                report.applied()
            ),
        )],
    )
    .await;
    forget(ctx, &key);
    Ok(Action::await_change())
}

async fn deactivation_failed(
    resource: &ProjectsIntegration,
    ctx: &Context,
    message: String,
) -> ReconcileError {
    publish_events(
        resource,
        ctx,
        &[(EventType::Warning, "DeactivationFailed", message.clone())],
    )
    .await;
    ReconcileError::Deactivation(message)
}

fn forget(ctx: &Context, key: &str) {
    ctx.metrics.forget(key);
    locked(&ctx.clients).remove(key);
    locked(&ctx.failures).remove(key);
    locked(&ctx.schedule).remove(key);
    locked(&ctx.orgs).retain(|_, holder| holder != key);
}

#[cfg(test)]
mod tests {
    use super::*;

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
