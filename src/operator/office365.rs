//! The `Office365Integration` kind's hooks in the operator's one pipeline: validation, the
//! CRM grant and the Graph app Secret, the tenant it binds, the saved state another
//! integration owns, turning every sync off on delete (and dropping the emptied state), and
//! its status.

use kube::ResourceExt;

use super::connect::{graph_client, zoho_clients};
use super::context::Context;
use super::kind::{DeactivationError, IntegrationKind, owner, resource_status, slot};
use super::outcome::{Outcome, PlanSummary};
use crate::live::observe::ObserveError;
use crate::office365::kind::{Office365Clients, Office365Kind};
use crate::office365::mapping::PathError;
use crate::office365::model::{FolderAction, FolderPlan};
use crate::office365::observed::StateRead;
use crate::office365::state::{STATE_VARIABLE, SyncState};
use crate::office365::{Desired365, Observed365, SyncPlan};
use crate::spec::names::is_guid;
use crate::spec::{
    Connection, Office365Integration, Office365IntegrationSpec, Office365IntegrationStatus,
    Office365PlanSummary, Severity as SpecSeverity, validate_office365_resource,
};
use crate::zoho::{ApiStatsSnapshot, CrmClient};

impl IntegrationKind for Office365Integration {
    type Engine = Office365Kind;
    const TWO_WAY: bool = true;

    resource_status!(Office365IntegrationStatus, tenant_id, Office365);

    fn desired(&self) -> Result<Desired365, Vec<String>> {
        let mut errors: Vec<String> = validate_office365_resource(self)
            .into_iter()
            .filter(|f| f.severity == SpecSeverity::Error)
            .map(|f| format!("{}: {}", f.path, f.summary))
            .collect();
        let desired = desired_of(&owner(self), &self.spec);
        if let Err(problem) = &desired {
            errors.push(problem.to_string());
        }
        match desired {
            Ok(desired) if errors.is_empty() => Ok(desired),
            _ => Err(errors),
        }
    }

    /// Every sync off: no invites and no sync users, which deletes each synced user's "Zoho
    /// CRM" calendar and "Zoho CRM Contacts" folder from Office 365 and leaves CRM's
    /// records as they are.
    fn deactivated(&self) -> Result<Desired365, DeactivationError> {
        let mut spec = self.spec.clone();
        spec.users.clear();
        spec.calendar_sync.users.clear();
        spec.contacts_sync.users.clear();
        desired_of(&owner(self), &spec).map_err(|e| DeactivationError::InvalidSpec(Box::new(e)))
    }

    async fn connect(
        &self,
        ctx: &Context,
        _cached: bool,
    ) -> Result<(Office365Clients, Option<String>), Outcome> {
        let slot = slot(self);
        let namespace = self.namespace().unwrap_or_default();
        let spec = &self.spec;
        let connection = Connection {
            data_center: spec.connection.data_center,
            secret_ref: spec.connection.secret_ref.clone(),
            portal_secret_ref: None,
        };
        let (zoho, _) = zoho_clients(ctx, &slot, &namespace, &connection).await?;
        let reference = &spec.connection.graph_secret_ref;
        let (graph, tenant) = graph_client(ctx, &slot, &namespace, reference, &spec.tenant).await?;
        let bound = is_guid(&tenant).then(|| tenant.to_ascii_lowercase());
        Ok((Office365Clients { zoho, graph }, bound))
    }

    fn usage(clients: &Office365Clients) -> ApiStatsSnapshot {
        super::context::combined(&clients.zoho.stats.snapshot(), &clients.graph.stats())
    }

    fn crm(clients: &Office365Clients) -> &CrmClient {
        &clients.zoho.crm
    }

    async fn org_id(clients: &Office365Clients, _: &Observed365) -> Result<String, ObserveError> {
        let org = clients
            .zoho
            .crm
            .org()
            .await
            .map_err(|source| ObserveError {
                what: "the CRM org".into(),
                source: source.into(),
            })?;
        Ok(org.id)
    }

    /// The saved state names another integration: the planner's error says which.
    fn conflict(plan: &SyncPlan, observed: &Observed365) -> Option<String> {
        use crate::engine::kind::KindPlan;
        matches!(observed.state, StateRead::Foreign { .. })
            .then(|| plan.error_lines().join("; "))
            .filter(|m| !m.is_empty())
    }

    fn summary(plan: &SyncPlan) -> PlanSummary {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        PlanSummary::Office365(Office365PlanSummary {
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
        })
    }

    /// Drops the emptied sync state.
    async fn after_deactivation(
        clients: &Office365Clients,
        desired: &Desired365,
    ) -> Result<(), DeactivationError> {
        forget_state(&clients.zoho.crm, &desired.owner).await
    }
}

/// A field map that validation would have refused, named by where it sits in the spec.
#[derive(Debug, thiserror::Error)]
#[error("spec.contactsSync.fieldMap: {0}")]
pub struct FieldMapError(#[source] PathError);

fn desired_of(owner: &str, spec: &Office365IntegrationSpec) -> Result<Desired365, FieldMapError> {
    Desired365::from_spec(owner, spec).map_err(FieldMapError)
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

    #[test]
    fn the_summary_counts_invites_and_folder_changes() {
        let PlanSummary::Office365(summary) =
            Office365Integration::summary(&crate::office365::kind::tests::sync_plan())
        else {
            panic!("not an Office 365 summary");
        };
        assert_eq!(summary.invites, 1);
        assert_eq!(summary.folder_changes, 2);
        assert_eq!(summary.item_changes, 0);
    }
}
