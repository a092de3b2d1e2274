//! The `Office365Integration` kind in the operator: the CLI's observe → plan → apply of the
//! CRM <-> Office 365 sync over the CRM grant and the Graph app Secret, its plan and apply
//! described for the shared policy (per invite and per folder, since a first sync can hold
//! thousands of item changes), turning every sync off on delete, and its status.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::ResourceExt;

use super::connect::{claim_org, claimed_message, graph_client, zoho_clients};
use super::kind::{DeactivationError, IntegrationKind, owner, slot};
use super::outcome::{
    ANNOTATION_ALLOW_DESTRUCTIVE, ApplyFacts, Next, Outcome, PlanFacts, PlanSummary, decide,
    finish_apply, is_annotated, observe_failure,
};
use super::reconcile::{Context, record_api};
use crate::graph::GraphClient;
use crate::live::observe::ObserveError;
use crate::office365::apply::{Applied365, ApplyContext, apply};
use crate::office365::mapping::PathError;
use crate::office365::model::{FolderAction, FolderPlan, Severity, Target};
use crate::office365::observe::observe;
use crate::office365::observed::StateRead;
use crate::office365::state::{STATE_VARIABLE, SyncState};
use crate::office365::{Desired365, Observed365, SyncPlan, plan};
use crate::spec::names::is_guid;
use crate::spec::{
    Connection, DeletionPolicy, KIND_OFFICE365_INTEGRATION, Office365Integration,
    Office365IntegrationSpec, Office365IntegrationStatus, Office365PlanSummary,
    Severity as SpecSeverity, validate_office365_resource,
};
use crate::zoho::{ApiStatsSnapshot, CrmClient, ZohoClients};

impl IntegrationKind for Office365Integration {
    const KIND: &'static str = KIND_OFFICE365_INTEGRATION;

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
            Some(PlanSummary::Office365(summary)) => Some(summary),
            _ => previous.last_plan,
        };
        let status = Office365IntegrationStatus {
            observed_generation: self.metadata.generation,
            conditions,
            tenant_id: outcome.bound_to.clone().or(previous.tenant_id),
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

fn plan_summary(plan: &SyncPlan) -> Office365PlanSummary {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Office365PlanSummary {
        invites: count(plan.invites.len()),
        folder_changes: count(
            plan.folders
                .iter()
                .filter(|f| f.folder_action != FolderAction::Keep)
                .count(),
        ),
        item_changes: count(plan.folders.iter().map(|f| f.changes.len()).sum()),
        conflicts: count(plan.folders.iter().map(FolderPlan::conflicts).sum()),
        diagnostics: count(plan.diagnostics.len()),
    }
}

fn invite_line(email: &str) -> String {
    format!("invite {email}")
}

/// The prefix of the apply failures of one folder (see `office365::apply`).
fn folder_prefix(folder: &FolderPlan) -> String {
    format!("{} {}:", folder.kind, folder.user)
}

/// One folder's changes in a line: `calendar pat@acme.com: create folder "Zoho CRM", 2 item
/// change(s) to Office 365`.
fn folder_line(folder: &FolderPlan) -> String {
    let name = folder.kind.folder_name();
    let mut parts = Vec::new();
    match folder.folder_action {
        FolderAction::Create => parts.push(format!("create folder \"{name}\"")),
        FolderAction::Delete => parts.push(format!("delete folder \"{name}\" (sync off)")),
        FolderAction::Forget => parts.push("forget the folder (sync off, already gone)".into()),
        FolderAction::Keep => {}
    }
    for target in [Target::Office365, Target::Crm] {
        let n = folder.changes.iter().filter(|c| c.target == target).count();
        if n > 0 {
            parts.push(format!("{n} item change(s) {}", target.label()));
        }
    }
    if folder.conflicts() > 0 {
        parts.push(format!("{} conflict(s)", folder.conflicts()));
    }
    format!("{} {}", folder_prefix(folder), parts.join(", "))
}

/// The plan as the shared policy reads it.
fn plan_facts(
    plan: &SyncPlan,
    observed: &Observed365,
    observe_only: bool,
    org_id: &str,
    claimed_by: Option<String>,
) -> PlanFacts {
    let errors: Vec<String> = plan
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| match &d.hint {
            Some(hint) => format!("{} ({hint})", d.message),
            None => d.message.clone(),
        })
        .collect();
    // The saved state names another integration: the planner's error says which.
    let foreign = matches!(observed.state, StateRead::Foreign { .. })
        .then(|| errors.join("; "))
        .filter(|m| !m.is_empty());
    PlanFacts {
        conflict: foreign.or_else(|| claimed_by.map(|holder| claimed_message(org_id, &holder))),
        errors,
        changes: plan.change_count(),
        lines: plan
            .invites
            .iter()
            .map(|i| invite_line(&i.email))
            .chain(
                plan.folders
                    .iter()
                    .filter(|f| f.has_changes())
                    .map(folder_line),
            )
            .collect(),
        observe_only,
        refusal: plan.refusal.as_ref().map(|r| r.reason.clone()),
        two_way: true,
        pending: None,
    }
}

/// An apply's report, with what succeeded told per invite and per folder.
fn apply_facts(plan: &SyncPlan, applied: &Applied365) -> ApplyFacts {
    let failed_with = |prefix: &str| applied.failures.iter().any(|f| f.what.starts_with(prefix));
    let invites = plan
        .invites
        .iter()
        .map(|i| invite_line(&i.email))
        .filter(|line| !failed_with(line));
    let folders = plan
        .folders
        .iter()
        .filter(|f| f.has_changes() && !failed_with(&folder_prefix(f)))
        .map(folder_line);
    ApplyFacts {
        written: applied.invites + applied.folders + applied.items,
        done: invites.chain(folders).collect(),
        failed: applied
            .failures
            .iter()
            .map(|f| format!("{}: {}", f.what, f.error))
            .collect(),
        skipped: 0,
        complete: applied.failures.is_empty(),
    }
}

/// The CRM and Graph clients of the resource, and the tenant Graph signs in to.
async fn connect(
    resource: &Office365Integration,
    ctx: &Context,
) -> Result<(std::sync::Arc<ZohoClients>, GraphClient, String), Outcome> {
    let slot = slot(resource);
    let namespace = resource.namespace().unwrap_or_default();
    let spec = &resource.spec;
    let connection = Connection {
        data_center: spec.connection.data_center,
        secret_ref: spec.connection.secret_ref.clone(),
        portal_secret_ref: None,
    };
    let (crm, _) = zoho_clients(ctx, &slot, &namespace, &connection).await?;
    let (graph, tenant) = graph_client(
        ctx,
        &slot,
        &namespace,
        &spec.connection.graph_secret_ref,
        &spec.tenant,
    )
    .await?;
    Ok((crm, graph, tenant))
}

/// API usage since `before` of both clients.
struct Usage<'a> {
    crm: &'a ZohoClients,
    graph: &'a GraphClient,
    crm_before: ApiStatsSnapshot,
    graph_before: ApiStatsSnapshot,
}

impl<'a> Usage<'a> {
    fn start(crm: &'a ZohoClients, graph: &'a GraphClient) -> Self {
        Usage {
            crm,
            graph,
            crm_before: crm.stats.snapshot(),
            graph_before: graph.stats(),
        }
    }

    fn record(&self, ctx: &Context, outcome: &mut Outcome) {
        record_api(
            ctx,
            &self.crm.stats.snapshot().since(&self.crm_before),
            outcome,
        );
        record_api(ctx, &self.graph.stats().since(&self.graph_before), outcome);
    }

    fn record_metrics(&self, ctx: &Context) {
        ctx.metrics
            .api_used(&self.crm.stats.snapshot().since(&self.crm_before));
        ctx.metrics
            .api_used(&self.graph.stats().since(&self.graph_before));
    }
}

/// A field map that validation would have refused, named by where it sits in the spec.
#[derive(Debug, thiserror::Error)]
#[error("spec.contactsSync.fieldMap: {0}")]
pub struct FieldMapError(#[source] PathError);

fn desired_of(owner: &str, spec: &Office365IntegrationSpec) -> Result<Desired365, FieldMapError> {
    Desired365::from_spec(owner, spec).map_err(FieldMapError)
}

async fn run(resource: &Office365Integration, ctx: &Context) -> Outcome {
    let mut errors: Vec<String> = validate_office365_resource(resource)
        .into_iter()
        .filter(|f| f.severity == SpecSeverity::Error)
        .map(|f| format!("{}: {}", f.path, f.summary))
        .collect();
    let desired = desired_of(&owner(resource), &resource.spec);
    if let Err(problem) = &desired {
        errors.push(problem.to_string());
    }
    let mut desired = match desired {
        Ok(desired) if errors.is_empty() => desired,
        _ => return Outcome::blocked("InvalidSpec", errors.join("; "), Next::AwaitChange),
    };
    desired.policy.force = is_annotated(resource, ANNOTATION_ALLOW_DESTRUCTIVE);
    let (crm, graph, tenant) = match connect(resource, ctx).await {
        Ok(clients) => clients,
        Err(outcome) => return outcome,
    };
    let usage = Usage::start(&crm, &graph);
    let observed = async {
        let org = crm.crm.org().await.map_err(|source| ObserveError {
            what: "the CRM org".into(),
            source: source.into(),
        })?;
        let observed = observe(&desired, &crm.crm, &graph).await?;
        Ok::<_, ObserveError>((org.id, observed))
    }
    .await;
    let (org_id, observed) = match observed {
        Ok(found) => found,
        Err(error) => {
            let mut outcome = observe_failure(&error);
            usage.record(ctx, &mut outcome);
            return outcome;
        }
    };
    let plan = plan(&desired, &observed);
    let claimed_by = claim_org(ctx, Office365Integration::KIND, &org_id, &slot(resource));
    let facts = plan_facts(&plan, &observed, desired.observe_only, &org_id, claimed_by);
    let mut outcome = decide(resource, &facts);
    outcome.plan_summary = Some(PlanSummary::Office365(plan_summary(&plan)));
    if matches!(outcome.next, Next::Interval) && outcome.applied {
        let lease = match super::org_lease::take(&crm.crm).await {
            Ok(lease) => lease,
            Err(held) => {
                let mut held = *held;
                usage.record(ctx, &mut held);
                return held;
            }
        };
        let context = ApplyContext {
            observed: &observed,
            progress: &|_, _| {},
            journal: None,
        };
        let applied = apply(&plan, &context, &crm.crm, &graph).await;
        super::org_lease::release(lease).await;
        finish_apply(
            resource,
            &facts,
            &apply_facts(&plan, &applied),
            &mut outcome,
        );
    }
    usage.record(ctx, &mut outcome);
    if outcome.is_ready() && is_guid(&tenant) {
        outcome.bound_to = Some(tenant.to_ascii_lowercase());
    }
    outcome
}

/// Turns every sync off: plans with no invites and no sync users, which deletes each synced
/// user's "Zoho CRM" calendar and "Zoho CRM Contacts" folder from Office 365 and leaves
/// CRM's records as they are, applies that, and then drops the emptied sync state.
async fn deactivate(
    resource: &Office365Integration,
    ctx: &Context,
) -> Result<usize, DeactivationError> {
    let mut spec = resource.spec.clone();
    spec.users.clear();
    spec.calendar_sync.users.clear();
    spec.contacts_sync.users.clear();
    let desired = desired_of(&owner(resource), &spec)?;
    let (crm, graph, _) = connect(resource, ctx)
        .await
        .map_err(|outcome| DeactivationError::Connect(outcome.message()))?;
    let usage = Usage::start(&crm, &graph);
    let result = async {
        let observed = observe(&desired, &crm.crm, &graph).await?;
        let plan = plan(&desired, &observed);
        if plan.has_errors() {
            let errors: Vec<String> = plan
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.message.clone())
                .collect();
            return Err(DeactivationError::Refused(errors));
        }
        let context = ApplyContext {
            observed: &observed,
            progress: &|_, _| {},
            journal: None,
        };
        let applied = apply(&plan, &context, &crm.crm, &graph).await;
        let facts = apply_facts(&plan, &applied);
        if !facts.complete {
            return Err(DeactivationError::Failed {
                written: facts.written,
                failures: facts.failed,
            });
        }
        forget_state(&crm.crm, &desired.owner).await?;
        Ok(facts.written)
    }
    .await;
    usage.record_metrics(ctx);
    result
}

/// Deletes the saved sync state once it holds no folder, so the CRM org is free for another
/// integration (whose name would otherwise meet this one's in a Conflict).
async fn forget_state(crm: &CrmClient, owner: &str) -> Result<(), DeactivationError> {
    let variables = crm
        .variables()
        .await
        .map_err(DeactivationError::ReadState)?;
    let Some(variable) = variables.iter().find(|v| v.api_name == STATE_VARIABLE) else {
        return Ok(());
    };
    let value = variable.value.as_str().unwrap_or_default();
    match SyncState::parse(value) {
        Ok(state) if state.owner == owner && state.folders().next().is_none() => crm
            .delete_variable(&variable.id)
            .await
            .map_err(|source| DeactivationError::DeleteState {
                variable: STATE_VARIABLE,
                source,
            }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::office365::apply::Failure;
    use crate::office365::model::{Invite, SyncMode};
    use crate::office365::state::SyncKind;

    fn folder(kind: SyncKind, user: &str, action: FolderAction) -> FolderPlan {
        FolderPlan {
            kind,
            user: user.into(),
            folder_action: action,
            folder_id: None,
            mode: SyncMode::Off,
            changes: Vec::new(),
            capped: None,
            excluded_by_tag: 0,
            mailbox_id: String::new(),
            crm_user_id: String::new(),
            next_state: None,
            state_changes: false,
        }
    }

    fn sync_plan() -> SyncPlan {
        SyncPlan {
            owner: "team-a/acme".into(),
            invites: vec![Invite {
                email: "nora@acme.com".into(),
                profile: "Standard".into(),
                role: "Sales Rep".into(),
                first_name: None,
                last_name: "Newhire".into(),
                reason: "new".into(),
            }],
            folders: vec![
                folder(SyncKind::Calendar, "pat@acme.com", FolderAction::Delete),
                folder(SyncKind::Contacts, "pat@acme.com", FolderAction::Create),
                folder(SyncKind::Contacts, "dev@acme.com", FolderAction::Keep),
            ],
            diagnostics: Vec::new(),
            refusal: None,
            state_refresh: false,
            state_variable_id: None,
            observed_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_summary_counts_invites_and_folder_changes() {
        let summary = plan_summary(&sync_plan());
        assert_eq!(summary.invites, 1);
        assert_eq!(summary.folder_changes, 2);
        assert_eq!(summary.item_changes, 0);
    }

    #[test]
    fn applied_lines_leave_out_what_failed() {
        let plan = sync_plan();
        let applied = Applied365 {
            invites: 1,
            folders: 1,
            items: 0,
            failures: vec![Failure {
                what: "contacts pat@acme.com: create folder \"Zoho CRM Contacts\"".into(),
                error: "HTTP 503".into(),
            }],
            state_saved: true,
        };
        let facts = apply_facts(&plan, &applied);
        assert_eq!(
            facts.done,
            [
                "invite nora@acme.com",
                "calendar pat@acme.com: delete folder \"Zoho CRM\" (sync off)"
            ]
        );
        assert_eq!(facts.written, 2);
        assert!(!facts.complete);
        assert_eq!(facts.failed.len(), 1);
        assert!(facts.failed[0].ends_with("HTTP 503"));
    }
}
