//! What the shared reconcile needs from each custom resource kind: its own observe → plan →
//! apply run and deactivation, and its status shape. Everything else — finalizer, status
//! conditions, Events, backoff, metrics — is the same for every kind.

use std::fmt::Debug;
use std::future::Future;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::office365::FieldMapError;
use super::outcome::Outcome;
use super::reconcile::Context;
use crate::live::observe::ObserveError;
use crate::zoho::ZohoError;

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
    /// The kind's name, as in `kind:` (status patches, metrics labels, messages).
    const KIND: &'static str;

    /// The conditions of the status the operator last wrote.
    fn status_conditions(&self) -> &[Condition];

    /// The generation the last written status describes.
    fn observed_generation(&self) -> Option<i64>;

    /// `spec.policy.observeOnly`.
    fn observe_only(&self) -> bool;

    /// `spec.deletionPolicy: Orphan`.
    fn orphan_on_delete(&self) -> bool;

    /// One full run: validate, connect, observe, plan, and apply what the policy allows.
    fn run(&self, ctx: &Context) -> impl Future<Output = Outcome> + Send;

    /// Undoes the integration before the resource goes away: the number of changes made, or
    /// why it could not finish (retried with backoff).
    fn deactivate(
        &self,
        ctx: &Context,
    ) -> impl Future<Output = Result<usize, DeactivationError>> + Send;

    /// The status to write: `conditions` already merged, the rest from `outcome` or, where
    /// this run learnt nothing new, from the previous status.
    fn status(
        &self,
        outcome: &Outcome,
        conditions: Vec<Condition>,
        now: &Time,
    ) -> serde_json::Value;
}

/// Why undoing an integration on deletion did not finish; the finalizer retries it with
/// backoff and publishes the message as a `DeactivationFailed` Event.
#[derive(Debug, thiserror::Error)]
pub enum DeactivationError {
    /// Connecting was refused (credentials, Secret, rate limit): the message a blocked run
    /// would have put on the `Ready` condition.
    #[error("{0}")]
    Connect(String),
    #[error(transparent)]
    FieldMap(#[from] FieldMapError),
    #[error(transparent)]
    Observe(#[from] ObserveError),
    /// The deactivation plan has errors or was refused: each problem as the plan words it.
    #[error("{}", .0.join("; "))]
    Refused(Vec<String>),
    /// Some changes of the deactivation failed or were skipped.
    #[error("{applied} applied, {failed} failed, {skipped} skipped")]
    Unfinished {
        applied: usize,
        failed: usize,
        skipped: usize,
    },
    /// Some changes failed; each failure as apply worded it.
    #[error("{written} applied, {} failed: {}", failures.len(), failures.join("; "))]
    Failed {
        written: usize,
        failures: Vec<String>,
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

/// The condition of this type on the last written status, if it is `True`.
pub(crate) fn condition_is_true<K: IntegrationKind>(resource: &K, type_: &str) -> bool {
    resource
        .status_conditions()
        .iter()
        .any(|c| c.type_ == type_ && c.status == "True")
}
