//! The `ProjectsIntegration` kind's hooks in the operator's one pipeline: validation, the
//! Zoho clients from its Secrets, the portal it binds, the org conflict and pending
//! approval its plan reports, deactivation on delete, and its status.

use kube::ResourceExt;

use super::connect::zoho_clients;
use super::context::Context;
use super::kind::{DeactivationError, IntegrationKind, owner, resource_status, slot};
use super::outcome::{Outcome, PlanSummary};
use crate::apply::kind::{ProjectsClients, ProjectsKind};
use crate::live::Observed;
use crate::live::observe::ObserveError;
use crate::plan::diagnostics::DiagnosticCode;
use crate::plan::{Desired, Plan};
use crate::spec::{
    IntegrationState, PlanSummaryStatus, ProjectsIntegration, ProjectsIntegrationStatus,
    Severity as SpecSeverity, validate_resource,
};
use crate::zoho::{ApiStatsSnapshot, CrmClient};

impl IntegrationKind for ProjectsIntegration {
    type Engine = ProjectsKind;
    const TWO_WAY: bool = false;

    resource_status!(ProjectsIntegrationStatus, portal, Projects);

    fn desired(&self) -> Result<Desired, Vec<String>> {
        let errors: Vec<String> = validate_resource(self)
            .into_iter()
            .filter(|f| f.severity == SpecSeverity::Error)
            .map(|f| format!("{}: {}", f.path, f.summary))
            .collect();
        if errors.is_empty() {
            Ok(Desired::from_spec(&owner(self), &self.spec))
        } else {
            Err(errors)
        }
    }

    /// The spec with `state: Deactivated`.
    fn deactivated(&self) -> Result<Desired, DeactivationError> {
        let mut spec = self.spec.clone();
        spec.state = IntegrationState::Deactivated;
        Ok(Desired::from_spec(&owner(self), &spec))
    }

    async fn connect(
        &self,
        ctx: &Context,
        cached: bool,
    ) -> Result<(ProjectsClients, Option<String>), Outcome> {
        let namespace = self.namespace().unwrap_or_default();
        let connection = &self.spec.connection;
        let (zoho, grant) = zoho_clients(ctx, &slot(self), &namespace, connection).await?;
        let clients = ProjectsClients {
            zoho,
            grant,
            cache: if cached {
                ctx.config.observation_cache.clone()
            } else {
                Default::default()
            },
            concurrency: ctx.config.concurrency,
        };
        // The spec's portal is the bound one once the live integration matches the spec.
        Ok((clients, Some(self.spec.portal.name.clone())))
    }

    fn usage(clients: &ProjectsClients) -> ApiStatsSnapshot {
        clients.zoho.stats.snapshot()
    }

    fn crm(clients: &ProjectsClients) -> &CrmClient {
        &clients.zoho.crm
    }

    async fn org_id(_: &ProjectsClients, observed: &Observed) -> Result<String, ObserveError> {
        Ok(observed.org.id.clone())
    }

    fn conflict(plan: &Plan, _: &Observed) -> Option<String> {
        plan.diagnostics
            .iter()
            .find(|d| d.code == DiagnosticCode::OrgBoundElsewhere)
            .map(|d| d.message.clone())
    }

    fn pending(plan: &Plan) -> Option<String> {
        plan.diagnostics
            .iter()
            .find(|d| d.code == DiagnosticCode::PendingApproval)
            .map(|d| match &d.hint {
                Some(hint) => format!("{} ({hint})", d.message),
                None => d.message.clone(),
            })
    }

    fn summary(plan: &Plan) -> PlanSummary {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        PlanSummary::Projects(PlanSummaryStatus {
            create: count(plan.summary.create),
            update: count(plan.summary.update),
            delete: count(plan.summary.delete),
            adopt: count(plan.summary.adopt),
            diagnostics: count(plan.diagnostics.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operator::conditions::{CONDITION_CONFLICT, CONDITION_READY};
    use crate::operator::connect::claimed_message;
    use crate::operator::outcome::{Next, PlanFacts, decide};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

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
