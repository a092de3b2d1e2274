//! The one run every kind goes through in the operator — validate, connect, observe, plan,
//! decide, apply under the org's lease, report — and the one deactivation, written once
//! over the engine's [`Kind`] contract. A kind supplies only its hooks in
//! [`IntegrationKind`]: how it connects, which org it binds, its status counts.

use super::connect::claimed_message;
use super::context::{Context, record_api};
use super::kind::{DeactivationError, IntegrationKind, ObservedOf, PlanOf, owner, slot};
use super::outcome::{
    ANNOTATION_ALLOW_DESTRUCTIVE, ApplyFacts, Next, Outcome, PlanFacts, decide, finish_apply,
    is_annotated, observe_failure,
};
use crate::engine::kind::{Hooks, Kind, KindPlan, KindReport, Options, Started, start_journal};

/// The engine the kind `K` runs on.
type EngineOf<K> = <K as IntegrationKind>::Engine;

/// What `--force` is in the CLI: the allow-destructive annotation.
fn options<K: IntegrationKind>(resource: &K) -> Options {
    Options {
        prune: false,
        force: is_annotated(resource, ANNOTATION_ALLOW_DESTRUCTIVE),
    }
}

/// The plan as the shared policy reads it; `claimed_by` is another resource already
/// reconciling the same org.
fn plan_facts<K: IntegrationKind>(
    plan: &PlanOf<K>,
    observed: &ObservedOf<K>,
    org_id: &str,
    claimed_by: Option<String>,
) -> PlanFacts {
    let claimed = claimed_by.map(|holder| claimed_message(org_id, &holder));
    PlanFacts {
        conflict: K::conflict(plan, observed).or(claimed),
        errors: plan.error_lines(),
        changes: plan.change_count(),
        lines: plan.change_lines(),
        observe_only: plan.observe_only(),
        refusal: plan.refusal().map(|r| r.reason.clone()),
        two_way: K::TWO_WAY,
        pending: K::pending(plan),
    }
}

fn apply_facts(report: &impl KindReport) -> ApplyFacts {
    ApplyFacts {
        written: report.written(),
        done: report.done_lines(),
        failed: report.failed_lines(),
        skipped: report.skipped(),
        complete: report.is_complete(),
    }
}

/// One full run: validate, connect, observe, plan, and apply what the policy allows.
pub(crate) async fn run<K: IntegrationKind>(resource: &K, ctx: &Context) -> Outcome {
    let desired = match resource.desired() {
        Ok(desired) => desired,
        Err(errors) => {
            return Outcome::blocked("InvalidSpec", errors.join("; "), Next::AwaitChange);
        }
    };
    let (clients, bound_to) = match resource.connect(ctx, true).await {
        Ok(connected) => connected,
        Err(outcome) => return outcome,
    };
    let before = K::usage(&clients);
    let record = |outcome: &mut Outcome| {
        record_api(ctx, &K::usage(&clients).since(&before), outcome);
    };
    let observed = async {
        let observed = EngineOf::<K>::observe(&desired, &clients).await?;
        let org_id = K::org_id(&clients, &observed).await?;
        Ok((org_id, observed))
    };
    let (org_id, observed) = match observed.await {
        Ok(found) => found,
        Err(error) => {
            let mut outcome = observe_failure(&error);
            record(&mut outcome);
            return outcome;
        }
    };
    let mut plan = EngineOf::<K>::plan(&desired, &observed, &options(resource));
    let claimed_by = super::connect::claim_org(ctx, K::KIND, &org_id, &slot(resource));
    let facts = plan_facts::<K>(&plan, &observed, &org_id, claimed_by);
    let mut outcome = decide(resource, &facts);
    outcome.plan_summary = Some(K::summary(&plan));
    if matches!(outcome.next, Next::Interval) && outcome.applied {
        let lease = match super::org_lease::take(K::crm(&clients)).await {
            Ok(lease) => lease,
            Err(held) => {
                let mut held = *held;
                record(&mut held);
                return held;
            }
        };
        // Under the lease only: starting a journal replaces a stopped one, whose record the
        // apply that holds the org may still need.
        let started = match journal::<K>(resource, ctx, &org_id, &mut plan, &observed) {
            Ok(started) => started,
            Err(failed) => {
                super::org_lease::release(lease).await;
                let mut failed = *failed;
                record(&mut failed);
                return failed;
            }
        };
        let hooks = Hooks {
            progress: None,
            journal: started.as_ref().map(|s| &s.journal),
        };
        let report = EngineOf::<K>::apply(&plan, &observed, &clients, &hooks).await;
        super::org_lease::release(lease).await;
        if let Some(started) = &started {
            started.journal.finish(report.is_complete());
        }
        finish_apply(resource, &facts, &apply_facts(&report), &mut outcome);
    }
    record(&mut outcome);
    if outcome.is_ready() {
        outcome.bound_to = bound_to;
    }
    outcome
}

/// Starts the apply's journal when the operator keeps journals, resuming the apply it
/// finds stopped; a journal that cannot be written stops the run before any write.
fn journal<K: IntegrationKind>(
    resource: &K,
    ctx: &Context,
    org_id: &str,
    plan: &mut PlanOf<K>,
    observed: &ObservedOf<K>,
) -> Result<Option<Started>, Box<Outcome>> {
    let Some(dir) = &ctx.config.journal_dir else {
        return Ok(None);
    };
    let name = owner(resource);
    let started =
        start_journal::<EngineOf<K>>(dir, (&name, org_id), plan, observed).map_err(|e| {
            let retry = Next::Backoff {
                rate_limited: false,
            };
            Box::new(Outcome::blocked("JournalFailed", e.to_string(), retry))
        })?;
    if let Some(resumed) = &started.resumed {
        tracing::info!(
            resource = %slot(resource),
            "resuming the apply that was stopped ({}): {} operation(s) it finished are not repeated, {} planned operation(s) changed so as not to repeat them",
            resumed.path.display(),
            resumed.done,
            resumed.changed
        );
    }
    Ok(Some(started))
}

/// Undoes the integration before the resource goes away: plans the kind's deactivated
/// spec from a full observation and applies it. The number of changes made, or why it
/// could not finish (retried with backoff).
pub(crate) async fn deactivate<K: IntegrationKind>(
    resource: &K,
    ctx: &Context,
) -> Result<usize, DeactivationError> {
    let desired = resource.deactivated()?;
    let (clients, _) = resource
        .connect(ctx, false)
        .await
        .map_err(|outcome| DeactivationError::Connect(outcome.message()))?;
    let before = K::usage(&clients);
    let result = async {
        let observed = EngineOf::<K>::observe(&desired, &clients).await?;
        let plan = EngineOf::<K>::plan(&desired, &observed, &options(resource));
        let mut problems = plan.error_lines();
        problems.extend(plan.refusal().map(|r| r.reason.clone()));
        if !problems.is_empty() {
            return Err(DeactivationError::Refused(problems));
        }
        let report = EngineOf::<K>::apply(&plan, &observed, &clients, &Hooks::default()).await;
        if !report.is_complete() {
            return Err(DeactivationError::Unfinished {
                written: report.written(),
                failures: report.failed_lines(),
                skipped: report.skipped(),
            });
        }
        K::after_deactivation(&clients, &desired).await?;
        Ok(report.written())
    }
    .await;
    ctx.metrics.api_used(&K::usage(&clients).since(&before));
    result
}
