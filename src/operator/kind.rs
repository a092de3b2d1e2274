//! What the shared reconcile needs from each custom resource kind: the engine [`Kind`] it
//! runs on and the hooks of its one pipeline (`pipeline.rs`) — how it validates, connects
//! and binds, its status shape. Everything else — finalizer, status conditions, Events,
//! backoff, metrics, the run itself — is the same for every kind.

use std::fmt::Debug;
use std::future::Future;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::conditions::Conditioned;
use super::context::Context;
use super::outcome::{Outcome, PlanSummary};
use crate::engine::kind::Kind;
use crate::live::observe::ObserveError;
use crate::zoho::{ApiStatsSnapshot, CrmClient, ZohoError};

/// The connected clients of the kind `K`.
pub(crate) type ClientsOf<K> = <<K as IntegrationKind>::Engine as Kind>::Clients;
/// The plan of the kind `K`.
pub(crate) type PlanOf<K> = <<K as IntegrationKind>::Engine as Kind>::Plan;
/// The observation of the kind `K`.
pub(crate) type ObservedOf<K> = <<K as IntegrationKind>::Engine as Kind>::Observed;
/// The desired state of the kind `K`.
pub(crate) type DesiredOf<K> = <<K as IntegrationKind>::Engine as Kind>::Desired;

/// A kind the operator reconciles.
pub(crate) trait IntegrationKind:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// The engine's kind: observe, plan and apply.
    type Engine: Kind<ObserveError = ObserveError>;

    /// The kind's name, as in `kind:` (status patches, metrics labels, messages).
    const KIND: &'static str = <Self::Engine as Kind>::KIND;

    /// Changes found on an applied spec are carried between two systems that both change
    /// (a data sync), rather than reverted to the spec.
    const TWO_WAY: bool;

    /// The conditions of the status the operator last wrote.
    fn status_conditions(&self) -> &[Condition];

    /// The generation the last written status describes.
    fn observed_generation(&self) -> Option<i64>;

    /// `spec.policy.observeOnly`.
    fn observe_only(&self) -> bool;

    /// `spec.deletionPolicy: Orphan`.
    fn orphan_on_delete(&self) -> bool;

    /// The desired state of a valid spec, or every problem validation found.
    fn desired(&self) -> Result<DesiredOf<Self>, Vec<String>>;

    /// The desired state that undoes the integration, applied before the resource goes.
    fn deactivated(&self) -> Result<DesiredOf<Self>, DeactivationError>;

    /// The clients of the resource, and what it binds once Ready (the portal, the tenant).
    /// `cached`: observations may use the observation cache (never for a deactivation,
    /// which deletes only what a full observation saw).
    fn connect(
        &self,
        ctx: &Context,
        cached: bool,
    ) -> impl Future<Output = Result<(ClientsOf<Self>, Option<String>), Outcome>> + Send;

    /// Every call the clients made so far, every system together.
    fn usage(clients: &ClientsOf<Self>) -> ApiStatsSnapshot;

    /// The CRM client, whose org the apply lease is taken in.
    fn crm(clients: &ClientsOf<Self>) -> &CrmClient;

    /// The CRM org the resource reconciles (one resource of a kind per org).
    fn org_id(
        clients: &ClientsOf<Self>,
        observed: &ObservedOf<Self>,
    ) -> impl Future<Output = Result<String, ObserveError>> + Send;

    /// Another integration already binds what this one would write, as the plan found it.
    fn conflict(plan: &PlanOf<Self>, observed: &ObservedOf<Self>) -> Option<String>;

    /// Why the integration waits for someone else's approval, if it does.
    fn pending(_plan: &PlanOf<Self>) -> Option<String> {
        None
    }

    /// The plan's counts, in the shape of the kind's status.
    fn summary(plan: &PlanOf<Self>) -> PlanSummary;

    /// What is left to undo once the deactivation plan applied.
    fn after_deactivation(
        _clients: &ClientsOf<Self>,
        _desired: &DesiredOf<Self>,
    ) -> impl Future<Output = Result<(), DeactivationError>> + Send {
        async { Ok(()) }
    }

    /// The status to write: `conditions` already merged, the rest from `outcome` or, where
    /// this run learnt nothing new, from the previous status.
    fn status(
        &self,
        outcome: &Outcome,
        conditions: Vec<Condition>,
        now: &Time,
    ) -> serde_json::Value;
}

/// The accessors and status of a kind whose spec has `policy` and `deletionPolicy`, and
/// whose status (`$status`) has conditions, the observed generation, what it is bound to
/// (`$bound`), the last plan (`PlanSummary::$summary`), API calls, credits and the last
/// applied time: the shape both kinds share.
macro_rules! resource_status {
    ($status:ident, $bound:ident, $summary:ident) => {
        fn status_conditions(
            &self,
        ) -> &[k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition] {
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
            self.spec.deletion_policy == $crate::spec::DeletionPolicy::Orphan
        }

        fn status(
            &self,
            outcome: &$crate::operator::outcome::Outcome,
            conditions: Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
            now: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
        ) -> serde_json::Value {
            let previous = self.status.clone().unwrap_or_default();
            let last_plan = match outcome.plan_summary {
                Some($crate::operator::outcome::PlanSummary::$summary(summary)) => Some(summary),
                _ => previous.last_plan,
            };
            let status = $status {
                observed_generation: self.metadata.generation,
                conditions,
                $bound: outcome.bound_to.clone().or(previous.$bound),
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
    };
}
pub(crate) use resource_status;

/// Why undoing an integration on deletion did not finish; the finalizer retries it with
/// backoff and publishes the message as a `DeactivationFailed` Event.
#[derive(Debug, thiserror::Error)]
pub enum DeactivationError {
    /// Connecting was refused (credentials, Secret, rate limit): the message a blocked run
    /// would have put on the `Ready` condition.
    #[error("{0}")]
    Connect(String),
    /// The spec cannot be turned into the kind's desired state (what validation would have
    /// refused), with the field at fault.
    #[error(transparent)]
    InvalidSpec(Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Observe(#[from] ObserveError),
    /// The deactivation plan has errors or was refused: each problem as the plan words it.
    #[error("{}", .0.join("; "))]
    Refused(Vec<String>),
    /// Some changes of the deactivation failed or were skipped; each failure as apply
    /// worded it.
    #[error("{written} applied, {} failed, {skipped} skipped{}", failures.len(), failed_list(failures))]
    Unfinished {
        written: usize,
        failures: Vec<String>,
        skipped: usize,
    },
    /// The saved Office 365 sync state could not be read.
    #[error(transparent)]
    ReadState(ZohoError),
    /// The emptied Office 365 sync state could not be deleted.
    #[error("cannot delete the sync state ({variable}): {source}")]
    DeleteState {
        variable: &'static str,
        source: ZohoError,
    },
}

fn failed_list(failures: &[String]) -> String {
    if failures.is_empty() {
        String::new()
    } else {
        format!(": {}", failures.join("; "))
    }
}

/// `namespace/name`: who owns what the integration writes (markers, saved state), exactly
/// as the CLI would call an integration of that name.
pub(crate) fn owner<K: IntegrationKind>(resource: &K) -> String {
    format!(
        "{}/{}",
        resource.namespace().unwrap_or_default(),
        resource.name_any()
    )
}

/// `Kind namespace/name`: the operator's own key of a resource, unique across kinds.
pub(crate) fn slot<K: IntegrationKind>(resource: &K) -> String {
    format!("{} {}", K::KIND, owner(resource))
}

/// Every kind's resource has the conditions its status holds.
impl<K: IntegrationKind> Conditioned for K {
    fn status_conditions(&self) -> &[Condition] {
        IntegrationKind::status_conditions(self)
    }

    fn observed_generation(&self) -> Option<i64> {
        IntegrationKind::observed_generation(self)
    }
}
