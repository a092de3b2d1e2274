//! The `ProjectsIntegration` kind in the operator: the CLI's observe → plan → apply of the
//! CRM <-> Projects integration, its plan and apply report described for the shared policy,
//! deactivation on delete, and its status.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::ResourceExt;

use super::connect::{claim_org, claimed_message, zoho_clients};
use super::kind::{DeactivationError, IntegrationKind, owner, slot};
use super::outcome::{
    ANNOTATION_ALLOW_DESTRUCTIVE, ApplyFacts, Next, Outcome, PlanFacts, PlanSummary, decide,
    finish_apply, is_annotated, observe_failure,
};
use super::reconcile::{Context, record_api};
use crate::apply::{ApplyOptions, ApplyReport, NoProgress, OutcomeStatus, execute};
use crate::live::cached::observe_cached;
use crate::live::observe::observe;
use crate::plan::diagnostics::{DiagnosticCode, Severity};
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::{Desired, Plan};
use crate::spec::{
    DeletionPolicy, IntegrationState, KIND_PROJECTS_INTEGRATION, PlanSummaryStatus,
    ProjectsIntegration, ProjectsIntegrationStatus, Severity as SpecSeverity, validate_resource,
};
use crate::zoho::ZohoClients;

impl IntegrationKind for ProjectsIntegration {
    const KIND: &'static str = KIND_PROJECTS_INTEGRATION;

    fn status_conditions(&self) -> &[Condition] {
        self.status
            .as_ref()
            .map(|s| s.conditions.as_slice())
            .unwrap_or_default()
    }

    fn observed_generation(&self) -> Option<i64> {
        self.status.as_ref().and_then(|s| s.observed_generation)
    }

    fn observe_only(&self) -> bool {
        self.spec.policy.observe_only
    }

    fn orphan_on_delete(&self) -> bool {
        self.spec.deletion_policy == DeletionPolicy::Orphan
    }

    async fn run(&self, ctx: &Context) -> Outcome {
        run(self, ctx).await
    }

    async fn deactivate(&self, ctx: &Context) -> Result<usize, DeactivationError> {
        deactivate(self, ctx).await
    }

    fn status(
        &self,
        outcome: &Outcome,
        conditions: Vec<Condition>,
        now: &Time,
    ) -> serde_json::Value {
        let previous = self.status.clone().unwrap_or_default();
        let last_plan = match outcome.plan_summary {
            Some(PlanSummary::Projects(summary)) => Some(summary),
            _ => previous.last_plan,
        };
        let status = ProjectsIntegrationStatus {
            observed_generation: self.metadata.generation,
            conditions,
            portal: outcome.bound_to.clone().or(previous.portal),
            last_plan,
            api_calls: outcome.api.map(|a| a.api_calls()).or(previous.api_calls),
            credits: outcome.api.map(|a| a.crm_credits).or(previous.credits),
            last_applied_time: if outcome.applied {
                Some(now.clone())
            } else {
                previous.last_applied_time
            },
        };
        serde_json::to_value(status).unwrap_or_default()
    }
}

fn plan_summary(plan: &Plan) -> PlanSummaryStatus {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    PlanSummaryStatus {
        create: count(plan.summary.create),
        update: count(plan.summary.update),
        delete: count(plan.summary.delete),
        adopt: count(plan.summary.adopt),
        diagnostics: count(plan.diagnostics.len()),
    }
}

/// The plan as the shared policy reads it; `claimed_by` is another resource already
/// reconciling the same org.
fn plan_facts(plan: &Plan, org_id: &str, claimed_by: Option<String>) -> PlanFacts {
    let bound_elsewhere = plan
        .diagnostics
        .iter()
        .find(|d| d.code == DiagnosticCode::OrgBoundElsewhere)
        .map(|d| d.message.clone());
    PlanFacts {
        conflict: bound_elsewhere
            .or_else(|| claimed_by.map(|holder| claimed_message(org_id, &holder))),
        errors: plan
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{:?}: {}", d.code, d.message))
            .collect(),
        changes: plan.changes.len(),
        lines: plan
            .changes
            .iter()
            .map(|c| format!("{} {}", c.action.label(), c.address))
            .collect(),
        observe_only: plan.observe_only,
        refusal: plan.refusal.as_ref().map(|r| r.reason.clone()),
        two_way: false,
        pending: plan
            .diagnostics
            .iter()
            .find(|d| d.code == DiagnosticCode::PendingApproval)
            .map(|d| match &d.hint {
                Some(hint) => format!("{} ({hint})", d.message),
                None => d.message.clone(),
            }),
    }
}

fn apply_facts(report: &ApplyReport) -> ApplyFacts {
    ApplyFacts {
        written: report.applied(),
        done: report
            .outcomes
            .iter()
            .filter(|o| o.succeeded())
            .map(|o| format!("{} {}", o.action.label(), o.address))
            .collect(),
        failed: report
            .outcomes
            .iter()
            .filter_map(|o| match &o.status {
                OutcomeStatus::Failed { error } => {
                    Some(format!("{} {}: {error}", o.action.label(), o.address))
                }
                _ => None,
            })
            .collect(),
        skipped: report.skipped(),
        complete: report.is_complete(),
    }
}

async fn run(resource: &ProjectsIntegration, ctx: &Context) -> Outcome {
    let errors: Vec<String> = validate_resource(resource)
        .into_iter()
        .filter(|f| f.severity == SpecSeverity::Error)
        .map(|f| format!("{}: {}", f.path, f.summary))
        .collect();
    if !errors.is_empty() {
        return Outcome::blocked("InvalidSpec", errors.join("; "), Next::AwaitChange);
    }
    let slot = slot(resource);
    let namespace = resource.namespace().unwrap_or_default();
    let (clients, grant) =
        match zoho_clients(ctx, &slot, &namespace, &resource.spec.connection).await {
            Ok(found) => found,
            Err(outcome) => return outcome,
        };
    let before = clients.stats.snapshot();
    let desired = Desired::from_spec(&owner(resource), &resource.spec);
    let cache = &ctx.config.observation_cache;
    let observed =
        match observe_cached(&desired, &clients.crm, &clients.projects, grant, cache).await {
            Ok(cached) => {
                for warning in &cached.warnings {
                    tracing::warn!(resource = %slot, "{warning}");
                }
                tracing::info!(resource = %slot, "{}", cached.kind.describe());
                cached.observed
            }
            Err(error) => {
                let mut outcome = observe_failure(&error);
                record_api(ctx, &clients.stats.snapshot().since(&before), &mut outcome);
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
    let claimed_by = claim_org(ctx, ProjectsIntegration::KIND, &observed.org.id, &slot);
    let facts = plan_facts(&plan, &observed.org.id, claimed_by);
    let mut outcome = decide(resource, &facts);
    outcome.plan_summary = Some(PlanSummary::Projects(plan_summary(&plan)));
    if matches!(outcome.next, Next::Interval) && outcome.applied {
        let lease = match super::org_lease::take(&clients.crm).await {
            Ok(lease) => lease,
            Err(held) => {
                let mut held = *held;
                record_api(ctx, &clients.stats.snapshot().since(&before), &mut held);
                return held;
            }
        };
        let report = execute_plan(&plan, &clients, ctx.config.concurrency).await;
        super::org_lease::release(lease).await;
        finish_apply(resource, &facts, &apply_facts(&report), &mut outcome);
    }
    record_api(ctx, &clients.stats.snapshot().since(&before), &mut outcome);
    // The spec's portal is the bound one once the live integration matches the spec.
    if outcome.is_ready() {
        outcome.bound_to = Some(resource.spec.portal.name.clone());
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

/// Plans the spec with `state: Deactivated` and applies it.
async fn deactivate(
    resource: &ProjectsIntegration,
    ctx: &Context,
) -> Result<usize, DeactivationError> {
    let namespace = resource.namespace().unwrap_or_default();
    let (clients, grant) =
        zoho_clients(ctx, &slot(resource), &namespace, &resource.spec.connection)
            .await
            .map_err(|outcome| DeactivationError::Connect(outcome.message()))?;
    let before = clients.stats.snapshot();
    let mut spec = resource.spec.clone();
    spec.state = IntegrationState::Deactivated;
    let desired = Desired::from_spec(&owner(resource), &spec);
    let result = async {
        let observed = observe(&desired, &clients.crm, &clients.projects, grant).await?;
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
            return Err(DeactivationError::Refused(problems));
        }
        let report = execute_plan(&plan, &clients, ctx.config.concurrency).await;
        if !report.is_complete() {
            return Err(DeactivationError::Unfinished {
                applied: report.applied(),
                failed: report.failed(),
                skipped: report.skipped(),
            });
        }
        Ok(report.applied())
    }
    .await;
    ctx.metrics
        .api_used(&clients.stats.snapshot().since(&before));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::conditions::{CONDITION_CONFLICT, CONDITION_READY};

    fn resource() -> ProjectsIntegration {
        let spec = serde_json::from_value(serde_json::json!({"portal": {"name": "P"}})).unwrap();
        let mut resource = ProjectsIntegration::new("acme", spec);
        resource.metadata.namespace = Some("team-a".into());
        resource
    }

    #[test]
    fn a_claimed_org_is_a_conflict_naming_the_holder() {
        let facts = PlanFacts {
            conflict: Some(claimed_message("42", "ProjectsIntegration team-a/first")),
            ..PlanFacts::default()
        };
        let outcome = decide(&resource(), &facts);
        let conflict = outcome
            .conditions
            .iter()
            .find(|c| c.type_ == CONDITION_CONFLICT)
            .unwrap();
        assert_eq!(conflict.status, "True");
        assert!(
            conflict.message.contains("team-a/first"),
            "{}",
            conflict.message
        );
        assert!(!outcome.applied);
    }

    #[test]
    fn the_status_keeps_what_a_blocked_run_did_not_learn() {
        let mut resource = resource();
        resource.status = Some(ProjectsIntegrationStatus {
            portal: Some("P".into()),
            api_calls: Some(7),
            ..ProjectsIntegrationStatus::default()
        });
        let outcome = Outcome::blocked("SecretMissing", "gone".into(), Next::AwaitChange);
        let now = Time(k8s_openapi::jiff::Timestamp::now());
        let status = resource.status(&outcome, Vec::new(), &now);
        assert_eq!(status["portal"], "P");
        assert_eq!(status["apiCalls"], 7);
        assert!(status.get("lastAppliedTime").is_none());
        assert!(
            outcome
                .conditions
                .iter()
                .any(|c| c.type_ == CONDITION_READY && c.reason == "SecretMissing")
        );
    }
}
