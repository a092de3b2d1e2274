//! Policy: what a plan means for the resource — which conditions, Events and next check
//! follow from a conflict, plan errors, a refusal, observe-only or paused mode, a drift, or
//! an apply's report. Pure functions of their inputs: the reconcile does the talking.

use kube::ResourceExt;
use kube::runtime::events::EventType;

use super::conditions::{
    CONDITION_CONFLICT, CONDITION_DRIFTED, CONDITION_READY, CONDITION_SYNCED, ConditionState,
};
use super::metrics::ReconcileResult;
use crate::apply::{ApplyReport, OutcomeStatus};
use crate::live::observe::ObserveError;
use crate::plan::Plan;
use crate::plan::diagnostics::{DiagnosticCode, Severity};
use crate::spec::{PlanSummaryStatus, ProjectsIntegration};
use crate::zoho::{ApiStatsSnapshot, ZohoError};

/// Annotation that suspends writes to Zoho (`"true"`); observing and status continue.
pub const ANNOTATION_PAUSED: &str = "projectlink.dev/paused";
/// Annotation that allows destructive changes (portal change, prune over the limit).
pub const ANNOTATION_ALLOW_DESTRUCTIVE: &str = "projectlink.dev/allow-destructive";

pub(super) fn is_annotated(resource: &ProjectsIntegration, annotation: &str) -> bool {
    resource
        .annotations()
        .get(annotation)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// What one run found, turned into status, events and the next check.
pub(super) struct Outcome {
    pub(super) result: ReconcileResult,
    pub(super) conditions: Vec<ConditionState>,
    pub(super) plan_summary: Option<PlanSummaryStatus>,
    pub(super) api: Option<ApiStatsSnapshot>,
    pub(super) applied: bool,
    pub(super) portal: Option<String>,
    pub(super) drifted: Option<bool>,
    pub(super) next: Next,
    pub(super) events: Vec<(EventType, &'static str, String)>,
}

pub(super) enum Next {
    /// The regular drift re-check.
    Interval,
    /// Retry with a growing delay; longer when Zoho rate-limited us.
    Backoff { rate_limited: bool },
    /// Nothing changes until the resource does.
    AwaitChange,
}

impl Outcome {
    pub(super) fn blocked(ready_reason: &str, message: String, next: Next) -> Outcome {
        Outcome {
            result: if matches!(next, Next::Backoff { .. }) {
                ReconcileResult::Error
            } else {
                ReconcileResult::Blocked
            },
            conditions: vec![
                ConditionState::new(CONDITION_READY, false, ready_reason, message.clone()),
                ConditionState::new(CONDITION_SYNCED, false, ready_reason, message.clone()),
                ConditionState::unknown(
                    CONDITION_DRIFTED,
                    "NotObserved",
                    "the live integration could not be observed",
                ),
            ],
            plan_summary: None,
            api: None,
            applied: false,
            portal: None,
            drifted: None,
            next,
            events: vec![(EventType::Warning, leak_reason(ready_reason), message)],
        }
    }
}

/// Event reasons are a fixed vocabulary; map the dynamic ones onto it.
fn leak_reason(reason: &str) -> &'static str {
    const KNOWN: [&str; 11] = [
        "InvalidSpec",
        "SecretMissing",
        "SecretUnreadable",
        "SecretInvalid",
        "CredentialsRejected",
        "ZohoUnreachable",
        "RateLimited",
        "ObserveFailed",
        "PlanErrors",
        "Conflict",
        "Refused",
    ];
    KNOWN
        .iter()
        .find(|k| **k == reason)
        .copied()
        .unwrap_or("ReconcileFailed")
}

pub(super) fn observe_failure(error: &ObserveError) -> Outcome {
    let source = &error.source;
    let (reason, rate_limited) = if source.is_rate_limited() {
        ("RateLimited", true)
    } else if matches!(source, ZohoError::Auth(_)) || source.status() == Some(401) {
        ("CredentialsRejected", false)
    } else if source.is_retryable() {
        ("ZohoUnreachable", false)
    } else {
        ("ObserveFailed", false)
    };
    Outcome::blocked(reason, error.to_string(), Next::Backoff { rate_limited })
}

pub(super) fn plan_summary(plan: &Plan) -> PlanSummaryStatus {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    PlanSummaryStatus {
        create: count(plan.summary.create),
        update: count(plan.summary.update),
        delete: count(plan.summary.delete),
        adopt: count(plan.summary.adopt),
        diagnostics: count(plan.diagnostics.len()),
    }
}

pub(super) fn change_list(plan: &Plan) -> String {
    plan.changes
        .iter()
        .map(|c| format!("{} {}", c.action.label(), c.address))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether the live state moved away from a spec that was already applied (as opposed to
/// the spec having been edited since the last successful reconcile).
pub(super) fn is_drift(resource: &ProjectsIntegration) -> bool {
    let Some(status) = &resource.status else {
        return false;
    };
    status.observed_generation.is_some()
        && status.observed_generation == resource.metadata.generation
        && status
            .condition(CONDITION_SYNCED)
            .is_some_and(|c| c.status == "True")
}

/// Decides what to do with a plan: report a conflict, errors or a refusal, hold back in
/// observe-only or paused mode, or mark it for applying.
pub(super) fn decide(
    resource: &ProjectsIntegration,
    org_id: &str,
    claimed_by: Option<String>,
    plan: &Plan,
    summary: PlanSummaryStatus,
) -> Outcome {
    let changes = plan.changes.len();
    let mut outcome = Outcome {
        result: ReconcileResult::Success,
        conditions: Vec::new(),
        plan_summary: Some(summary),
        api: None,
        applied: false,
        portal: None,
        drifted: Some(changes > 0),
        next: Next::Interval,
        events: Vec::new(),
    };
    let bound_elsewhere = plan
        .diagnostics
        .iter()
        .find(|d| d.code == DiagnosticCode::OrgBoundElsewhere)
        .map(|d| d.message.clone());
    if let Some(message) = bound_elsewhere.or_else(|| {
        claimed_by.map(|other| {
            format!("the CRM org {org_id} is already reconciled by the resource {other}")
        })
    }) {
        outcome.result = ReconcileResult::Blocked;
        outcome.drifted = None;
        outcome.conditions = vec![
            ConditionState::new(CONDITION_READY, false, "Conflict", message.clone()),
            ConditionState::new(CONDITION_SYNCED, false, "Conflict", message.clone()),
            ConditionState::unknown(CONDITION_DRIFTED, "Conflict", message.clone()),
            ConditionState::new(
                CONDITION_CONFLICT,
                true,
                "OrgBoundElsewhere",
                message.clone(),
            ),
        ];
        outcome
            .events
            .push((EventType::Warning, "Conflict", message));
        return outcome;
    }
    let drift_message = if changes == 0 {
        "the live integration matches the spec".to_string()
    } else {
        format!("{changes} change(s) pending: {}", change_list(plan))
    };
    if plan.has_errors() {
        let errors: Vec<String> = plan
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{:?}: {}", d.code, d.message))
            .collect();
        let message = errors.join("; ");
        outcome.result = ReconcileResult::Blocked;
        outcome.conditions = vec![
            ConditionState::new(CONDITION_READY, false, "PlanErrors", message.clone()),
            ConditionState::new(CONDITION_SYNCED, false, "PlanErrors", message.clone()),
            ConditionState::new(CONDITION_DRIFTED, changes > 0, "PlanErrors", drift_message),
        ];
        outcome
            .events
            .push((EventType::Warning, "PlanErrors", message));
        return outcome;
    }
    let paused = is_annotated(resource, ANNOTATION_PAUSED);
    let hold = if paused {
        Some((
            "Paused",
            format!("writes are paused by the {ANNOTATION_PAUSED} annotation"),
        ))
    } else if plan.observe_only {
        Some((
            "ObserveOnly",
            "policy.observeOnly is set: changes are reported, never applied".to_string(),
        ))
    } else {
        plan.refusal.as_ref().map(|r| {
            (
                "Refused",
                format!(
                    "the plan is refused: {}; annotate the resource with {ANNOTATION_ALLOW_DESTRUCTIVE}: \"true\" to allow it",
                    r.reason
                ),
            )
        })
    };
    if changes == 0 {
        let synced_reason = hold.as_ref().map(|(r, _)| *r).unwrap_or("UpToDate");
        outcome.conditions = vec![
            ConditionState::new(
                CONDITION_READY,
                true,
                "Reconciled",
                "the live integration matches the spec",
            ),
            ConditionState::new(CONDITION_SYNCED, true, synced_reason, "nothing to apply"),
            still_repaired(resource).unwrap_or_else(|| {
                ConditionState::new(CONDITION_DRIFTED, false, "InSync", drift_message)
            }),
        ];
        return outcome;
    }
    if let Some((reason, message)) = hold {
        if reason == "Refused" {
            outcome.result = ReconcileResult::Blocked;
            outcome
                .events
                .push((EventType::Warning, "Refused", message.clone()));
        }
        outcome.conditions = vec![
            ConditionState::new(CONDITION_READY, false, reason, drift_message.clone()),
            ConditionState::new(CONDITION_SYNCED, false, reason, message),
            ConditionState::new(CONDITION_DRIFTED, true, reason, drift_message),
        ];
        return outcome;
    }
    outcome.applied = true;
    outcome
}

/// A repaired drift stays reported (with what was reverted) until the next drift or spec
/// change, rather than being overwritten by the very next check.
pub(super) fn still_repaired(resource: &ProjectsIntegration) -> Option<ConditionState> {
    let previous = resource.status.as_ref()?.condition(CONDITION_DRIFTED)?;
    (previous.status == "False" && previous.reason == "Repaired" && is_drift(resource)).then(|| {
        ConditionState::new(
            CONDITION_DRIFTED,
            false,
            "Repaired",
            previous.message.clone(),
        )
    })
}

pub(super) fn finish_apply(
    resource: &ProjectsIntegration,
    plan: &Plan,
    report: &ApplyReport,
    outcome: &mut Outcome,
) {
    let drift = is_drift(resource);
    // `lastAppliedTime` moves only when something was actually changed.
    outcome.applied = report.applied() > 0;
    let done: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| o.succeeded())
        .map(|o| format!("{} {}", o.action.label(), o.address))
        .collect();
    let failed: Vec<String> = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.status {
            OutcomeStatus::Failed { error } => {
                Some(format!("{} {}: {error}", o.action.label(), o.address))
            }
            _ => None,
        })
        .collect();
    // One Event per batch of up to ten changes, so a large apply stays readable.
    for chunk in done.chunks(10) {
        let reason = if drift { "DriftRepaired" } else { "Applied" };
        outcome
            .events
            .push((EventType::Normal, reason, chunk.join(", ")));
    }
    for chunk in failed.chunks(5) {
        outcome
            .events
            .push((EventType::Warning, "ApplyFailed", chunk.join("; ")));
    }
    if report.is_complete() {
        outcome.drifted = Some(false);
        let (drift_reason, drift_message) = if drift {
            (
                "Repaired",
                format!(
                    "reverted {} change(s) made outside projectlink: {}",
                    plan.changes.len(),
                    change_list(plan)
                ),
            )
        } else {
            (
                "InSync",
                "the live integration matches the spec".to_string(),
            )
        };
        outcome.conditions = vec![
            ConditionState::new(
                CONDITION_READY,
                true,
                "Reconciled",
                "the live integration matches the spec",
            ),
            ConditionState::new(
                CONDITION_SYNCED,
                true,
                "Applied",
                format!("applied {} change(s)", report.applied()),
            ),
            ConditionState::new(CONDITION_DRIFTED, false, drift_reason, drift_message),
        ];
    } else {
        let message = format!(
            "apply incomplete: {} applied, {} failed, {} skipped; retrying: {}",
            report.applied(),
            report.failed(),
            report.skipped(),
            failed.join("; ")
        );
        outcome.result = ReconcileResult::Error;
        outcome.drifted = Some(true);
        outcome.next = Next::Backoff {
            rate_limited: false,
        };
        outcome.conditions = vec![
            ConditionState::new(CONDITION_READY, false, "ApplyFailed", message.clone()),
            ConditionState::new(CONDITION_SYNCED, false, "ApplyFailed", message.clone()),
            ConditionState::new(CONDITION_DRIFTED, true, "ApplyFailed", message),
        ];
    }
}
