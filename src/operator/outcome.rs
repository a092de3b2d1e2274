//! Policy: what a plan means for the resource — which conditions, Events and next check
//! follow from a conflict, plan errors, a refusal, observe-only or paused mode, a drift, or
//! an apply's report. Pure functions of their inputs, shared by both kinds: each kind
//! describes its plan as [`PlanFacts`] and its apply as [`ApplyFacts`].

use kube::ResourceExt;
use kube::runtime::events::EventType;

use super::conditions::{
    CONDITION_CONFLICT, CONDITION_DRIFTED, CONDITION_READY, CONDITION_SYNCED, ConditionState,
    Conditioned, condition_is_true,
};
use super::metrics::ReconcileResult;
use crate::graph::GraphError;
use crate::live::observe::{ObserveError, ReadFailure};
use crate::spec::{Office365PlanSummary, PlanSummaryStatus};
use crate::zoho::{ApiStatsSnapshot, ZohoError};

/// Annotation that suspends writes (`"true"`); observing and status continue.
pub const ANNOTATION_PAUSED: &str = "projectlink.dev/paused";
/// Annotation that allows destructive changes (portal change, prune over the limit).
pub const ANNOTATION_ALLOW_DESTRUCTIVE: &str = "projectlink.dev/allow-destructive";

pub(crate) fn is_annotated(resource: &impl ResourceExt, annotation: &str) -> bool {
    resource
        .annotations()
        .get(annotation)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The last plan's counts, in the shape of the kind's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlanSummary {
    Projects(PlanSummaryStatus),
    Office365(Office365PlanSummary),
}

/// What one run found, turned into status, events and the next check.
pub(crate) struct Outcome {
    pub(crate) result: ReconcileResult,
    pub(crate) conditions: Vec<ConditionState>,
    pub(crate) plan_summary: Option<PlanSummary>,
    /// API usage of the run, every system together.
    pub(crate) api: Option<ApiStatsSnapshot>,
    pub(crate) applied: bool,
    /// What the integration is bound to once Ready: the portal, or the tenant.
    pub(crate) bound_to: Option<String>,
    pub(crate) drifted: Option<bool>,
    pub(crate) next: Next,
    pub(crate) events: Vec<(EventType, &'static str, String)>,
}

pub(crate) enum Next {
    /// The regular drift re-check.
    Interval,
    /// Retry with a growing delay; longer when an API rate-limited us.
    Backoff { rate_limited: bool },
    /// Nothing changes until the resource does.
    AwaitChange,
    /// Zoho Projects locked an API: nothing is sent before the lock ends.
    AfterLock(std::time::Duration),
}

/// A plan as the policy sees it, whichever kind made it.
#[derive(Debug, Default)]
pub(crate) struct PlanFacts {
    /// Another integration already binds what this one would write.
    pub(crate) conflict: Option<String>,
    /// Error diagnostics, each a line; any of them blocks the apply.
    pub(crate) errors: Vec<String>,
    /// How many changes the plan holds...
    pub(crate) changes: usize,
    /// ...described for people (one line per change, or per group of changes).
    pub(crate) lines: Vec<String>,
    pub(crate) observe_only: bool,
    /// Why the plan may not be applied without the allow-destructive annotation.
    pub(crate) refusal: Option<String>,
    /// Changes found on an applied spec are carried between two systems that both change
    /// (a data sync), rather than reverted to the spec.
    pub(crate) two_way: bool,
    /// Why the integration waits for someone else's approval (another user's portal whose
    /// owner has not granted access yet): the rest is applied, but it is not Ready.
    pub(crate) pending: Option<String>,
}

/// An apply's report as the policy sees it.
#[derive(Debug, Default)]
pub(crate) struct ApplyFacts {
    /// Changes written.
    pub(crate) written: usize,
    /// What was done, for Events (one line per change or group).
    pub(crate) done: Vec<String>,
    /// What failed, with the error.
    pub(crate) failed: Vec<String>,
    pub(crate) skipped: usize,
    /// Every planned change succeeded.
    pub(crate) complete: bool,
}

impl Outcome {
    pub(crate) fn blocked(ready_reason: &str, message: String, next: Next) -> Outcome {
        Outcome {
            result: if matches!(next, Next::Backoff { .. } | Next::AfterLock(_)) {
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
            bound_to: None,
            drifted: None,
            next,
            events: vec![(EventType::Warning, leak_reason(ready_reason), message)],
        }
    }

    /// The message of the first condition, which says why the run stopped.
    pub(crate) fn message(&self) -> String {
        self.conditions
            .first()
            .map(|c| c.message.clone())
            .unwrap_or_default()
    }

    /// Whether the run ended with the live integration matching the spec.
    pub(crate) fn is_ready(&self) -> bool {
        self.conditions
            .iter()
            .any(|c| c.type_ == CONDITION_READY && c.status == "True")
    }
}

/// Event reasons are a fixed vocabulary; map the dynamic ones onto it.
fn leak_reason(reason: &str) -> &'static str {
    const KNOWN: [&str; 14] = [
        "InvalidSpec",
        "SecretMissing",
        "SecretUnreadable",
        "SecretInvalid",
        "CredentialsRejected",
        "ZohoUnreachable",
        "GraphUnreachable",
        "RateLimited",
        "ObserveFailed",
        "PlanErrors",
        "Conflict",
        "Refused",
        "PendingApproval",
        "JournalFailed",
    ];
    KNOWN
        .iter()
        .find(|k| **k == reason)
        .copied()
        .unwrap_or("ReconcileFailed")
}

/// The condition reason of an error that stopped a run before its plan: whether it was
/// rate-limited, refused credentials, could not reach its service (Zoho's or Microsoft
/// Graph) or failed otherwise.
pub(crate) fn failure_reason(source: &ReadFailure) -> (&'static str, bool) {
    match source {
        ReadFailure::Zoho(e) => zoho_failure_reason(e),
        ReadFailure::Graph(e) => graph_failure_reason(e),
    }
}

fn zoho_failure_reason(source: &ZohoError) -> (&'static str, bool) {
    if source.is_rate_limited() {
        ("RateLimited", true)
    } else if matches!(source, ZohoError::Auth(_)) || source.status() == Some(401) {
        ("CredentialsRejected", false)
    } else if source.is_retryable() {
        ("ZohoUnreachable", false)
    } else {
        ("ObserveFailed", false)
    }
}

/// As for Zoho: a throttled Graph call backs off as long as a rate-limited Zoho one.
fn graph_failure_reason(source: &GraphError) -> (&'static str, bool) {
    if source.is_throttled() {
        ("RateLimited", true)
    } else if source.is_credentials() {
        ("CredentialsRejected", false)
    } else if source.is_retryable() {
        ("GraphUnreachable", false)
    } else {
        ("ObserveFailed", false)
    }
}

pub(crate) fn observe_failure(error: &ObserveError) -> Outcome {
    let (reason, rate_limited) = failure_reason(&error.source);
    let next = match &error.source {
        // Every call during a lock prolongs it: the next attempt waits until it ends.
        ReadFailure::Zoho(locked @ ZohoError::Locked { .. }) => {
            Next::AfterLock(locked.retry_after().unwrap_or_default())
        }
        _ => Next::Backoff { rate_limited },
    };
    Outcome::blocked(reason, error.to_string(), next)
}

/// Whether the live state moved away from a spec that was already applied (as opposed to
/// the spec having been edited since the last successful reconcile).
pub(crate) fn is_drift<K: Conditioned>(resource: &K) -> bool {
    resource.observed_generation().is_some()
        && resource.observed_generation() == resource.meta().generation
        && condition_is_true(resource, CONDITION_SYNCED)
}

fn pending(facts: &PlanFacts) -> String {
    format!(
        "{} change(s) pending: {}",
        facts.changes,
        facts.lines.join(", ")
    )
}

/// Decides what to do with a plan: report a conflict, errors or a refusal, hold back in
/// observe-only or paused mode, or mark it for applying (`applied` set).
pub(crate) fn decide<K: Conditioned>(resource: &K, facts: &PlanFacts) -> Outcome {
    let mut outcome = decide_plan(resource, facts);
    if !outcome.applied {
        mark_pending(facts, &mut outcome);
    }
    outcome
}

/// Ready is False with reason `PendingApproval` while the plan says the integration waits for
/// an approval, whatever else went well: the same state the CLI's plan reports.
fn mark_pending(facts: &PlanFacts, outcome: &mut Outcome) {
    let Some(message) = &facts.pending else {
        return;
    };
    let Some(ready) = outcome
        .conditions
        .iter_mut()
        .find(|c| c.type_ == CONDITION_READY && c.status == "True")
    else {
        return;
    };
    *ready = ConditionState::new(CONDITION_READY, false, "PendingApproval", message.clone());
    outcome
        .events
        .push((EventType::Warning, "PendingApproval", message.clone()));
}

fn decide_plan<K: Conditioned>(resource: &K, facts: &PlanFacts) -> Outcome {
    let changes = facts.changes;
    let mut outcome = Outcome {
        result: ReconcileResult::Success,
        conditions: Vec::new(),
        plan_summary: None,
        api: None,
        applied: false,
        bound_to: None,
        drifted: Some(changes > 0),
        next: Next::Interval,
        events: Vec::new(),
    };
    if let Some(message) = facts.conflict.clone() {
        return conflict(outcome, message);
    }
    let drift_message = if changes == 0 {
        "the live integration matches the spec".to_string()
    } else {
        pending(facts)
    };
    if !facts.errors.is_empty() {
        let message = facts.errors.join("; ");
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
    let hold = hold(resource, facts);
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

/// Another resource holds the CRM org: nothing is applied and the drift is unknown.
fn conflict(mut outcome: Outcome, message: String) -> Outcome {
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
    outcome
}

/// Why pending changes are held back, if they are: the resource is paused, observing only,
/// or the plan is refused. The reason and the message of the `Synced` condition.
fn hold<K: Conditioned>(resource: &K, facts: &PlanFacts) -> Option<(&'static str, String)> {
    if is_annotated(resource, ANNOTATION_PAUSED) {
        Some((
            "Paused",
            format!("writes are paused by the {ANNOTATION_PAUSED} annotation"),
        ))
    } else if facts.observe_only {
        Some((
            "ObserveOnly",
            "policy.observeOnly is set: changes are reported, never applied".to_string(),
        ))
    } else {
        facts.refusal.as_ref().map(|reason| {
            (
                "Refused",
                format!(
                    "the plan is refused: {reason}; annotate the resource with {ANNOTATION_ALLOW_DESTRUCTIVE}: \"true\" to allow it"
                ),
            )
        })
    }
}

/// A repaired drift stays reported (with what was reverted) until the next drift or spec
/// change, rather than being overwritten by the very next check.
fn still_repaired<K: Conditioned>(resource: &K) -> Option<ConditionState> {
    let previous = resource
        .status_conditions()
        .iter()
        .find(|c| c.type_ == CONDITION_DRIFTED)?;
    (previous.status == "False" && previous.reason == "Repaired" && is_drift(resource)).then(|| {
        ConditionState::new(
            CONDITION_DRIFTED,
            false,
            "Repaired",
            previous.message.clone(),
        )
    })
}

/// Turns an apply's report into conditions and Events (one per batch of changes, so a
/// large apply stays readable).
pub(crate) fn finish_apply<K: Conditioned>(
    resource: &K,
    plan: &PlanFacts,
    report: &ApplyFacts,
    outcome: &mut Outcome,
) {
    let drift = is_drift(resource);
    // `lastAppliedTime` moves only when something was actually changed.
    outcome.applied = report.written > 0;
    for chunk in report.done.chunks(10) {
        let reason = if drift { "DriftRepaired" } else { "Applied" };
        outcome
            .events
            .push((EventType::Normal, reason, chunk.join(", ")));
    }
    for chunk in report.failed.chunks(5) {
        outcome
            .events
            .push((EventType::Warning, "ApplyFailed", chunk.join("; ")));
    }
    if report.complete {
        outcome.drifted = Some(false);
        let (drift_reason, drift_message) = if drift {
            let done = if plan.two_way { "synced" } else { "reverted" };
            (
                "Repaired",
                format!(
                    "{done} {} change(s) made outside projectlink: {}",
                    plan.changes,
                    plan.lines.join(", ")
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
                format!("applied {} change(s)", report.written),
            ),
            ConditionState::new(CONDITION_DRIFTED, false, drift_reason, drift_message),
        ];
    } else {
        let message = format!(
            "apply incomplete: {} applied, {} failed, {} skipped; retrying: {}",
            report.written,
            report.failed.len(),
            report.skipped,
            report.failed.join("; ")
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
    mark_pending(plan, outcome);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Office365Integration;
    use crate::zoho::{ApiError, AuthError, RequestDescription, System};

    fn answered(system: System, status: u16) -> ReadFailure {
        let request = RequestDescription {
            system,
            method: "GET".into(),
            target: "/users".into(),
        };
        let error = ZohoError::from(ApiError::new(status, "Busy", "try later", request));
        match system {
            System::Graph => GraphError::from(error).into(),
            _ => ReadFailure::Zoho(error),
        }
    }

    #[test]
    fn a_projects_lock_requeues_when_it_ends() {
        let locked = ZohoError::Locked {
            request: RequestDescription {
                system: System::Projects,
                method: "GET".into(),
                target: "/api/v3/portals".into(),
            },
            until: chrono::Utc::now() + chrono::Duration::seconds(600),
            message: "Try again after 10 minutes.".into(),
        };
        let outcome = observe_failure(&ObserveError {
            what: "Zoho Projects portals".into(),
            source: locked.into(),
        });
        let Next::AfterLock(wait) = outcome.next else {
            panic!("not requeued after the lock");
        };
        assert!(wait > std::time::Duration::from_secs(590), "{wait:?}");
        assert!(outcome.conditions.iter().any(|c| c.reason == "RateLimited"));
    }

    #[test]
    fn errors_before_a_plan_name_the_side_they_came_from() {
        assert_eq!(
            failure_reason(&answered(System::Graph, 503)),
            ("GraphUnreachable", false)
        );
        assert_eq!(
            failure_reason(&answered(System::Crm, 503)),
            ("ZohoUnreachable", false)
        );
        // A 429 from Graph waits as long as one from Zoho.
        assert_eq!(
            failure_reason(&answered(System::Graph, 429)),
            ("RateLimited", true)
        );
        let rejected = GraphError::from(AuthError::ClientCredentialsRejected {
            error: "invalid_client".into(),
            description: None,
            origin: "Secret team-a/acme-graph".into(),
        });
        assert_eq!(
            failure_reason(&rejected.into()),
            ("CredentialsRejected", false)
        );
        assert_eq!(
            failure_reason(&answered(System::Graph, 404)),
            ("ObserveFailed", false)
        );
    }

    fn office365(annotations: &[(&str, &str)]) -> Office365Integration {
        let spec = serde_json::from_value(serde_json::json!({
            "connection": {"graphSecretRef": {"name": "g"}},
            "tenant": "acme.onmicrosoft.com",
        }))
        .unwrap();
        let mut resource = Office365Integration::new("acme", spec);
        resource.metadata.annotations = Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        resource
    }

    fn drift_of(outcome: &Outcome) -> (&'static str, String) {
        let drifted = outcome
            .conditions
            .iter()
            .find(|c| c.type_ == CONDITION_DRIFTED)
            .unwrap();
        (drifted.status, drifted.reason.clone())
    }

    #[test]
    fn pending_changes_are_held_back_when_observing_only_or_paused() {
        let facts = PlanFacts {
            changes: 3,
            lines: vec!["invite nora@acme.com".into()],
            observe_only: true,
            ..PlanFacts::default()
        };
        let observing = decide(&office365(&[]), &facts);
        assert!(!observing.applied);
        assert_eq!(drift_of(&observing), ("True", "ObserveOnly".into()));
        let paused = decide(
            &office365(&[(ANNOTATION_PAUSED, "true")]),
            &PlanFacts {
                observe_only: false,
                ..facts
            },
        );
        assert!(!paused.applied);
        assert_eq!(drift_of(&paused), ("True", "Paused".into()));
        assert!(paused.events.is_empty());
    }

    #[test]
    fn a_plan_pending_approval_is_not_ready_before_or_after_its_apply() {
        let resource = office365(&[]);
        let facts = PlanFacts {
            pending: Some("portal \"P\" is another user's portal".into()),
            ..PlanFacts::default()
        };
        let ready = |o: &Outcome| {
            let c = o.conditions.iter().find(|c| c.type_ == CONDITION_READY);
            c.map(|c| (c.status, c.reason.clone(), c.message.clone()))
        };
        let expected = Some((
            "False",
            "PendingApproval".to_string(),
            "portal \"P\" is another user's portal".to_string(),
        ));
        let idle = decide(&resource, &facts);
        assert_eq!(ready(&idle), expected);
        assert_eq!(idle.events[0].1, "PendingApproval");
        let mut applied = decide(
            &resource,
            &PlanFacts {
                changes: 1,
                ..facts
            },
        );
        assert!(applied.applied, "the rest of the plan is applied");
        let facts = PlanFacts {
            pending: Some("portal \"P\" is another user's portal".into()),
            ..PlanFacts::default()
        };
        let report = ApplyFacts {
            written: 1,
            complete: true,
            ..ApplyFacts::default()
        };
        finish_apply(&resource, &facts, &report, &mut applied);
        assert_eq!(ready(&applied), expected);
    }

    #[test]
    fn plan_errors_block_and_a_clean_plan_is_applied() {
        let resource = office365(&[]);
        let blocked = decide(
            &resource,
            &PlanFacts {
                errors: vec!["x is not a CRM user".into()],
                changes: 1,
                ..PlanFacts::default()
            },
        );
        assert!(!blocked.applied);
        assert_eq!(blocked.result, ReconcileResult::Blocked);
        assert_eq!(blocked.events[0].1, "PlanErrors");
        let clean = decide(
            &resource,
            &PlanFacts {
                changes: 1,
                ..PlanFacts::default()
            },
        );
        assert!(clean.applied);
        let mut finished = clean;
        finish_apply(
            &resource,
            &PlanFacts::default(),
            &ApplyFacts {
                written: 1,
                done: vec!["invite nora@acme.com".into()],
                complete: true,
                ..ApplyFacts::default()
            },
            &mut finished,
        );
        assert!(finished.is_ready());
        assert_eq!(finished.events[0].1, "Applied");
    }
}
