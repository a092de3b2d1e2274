//! The operator takes the same org apply lease as `projectlink apply` around every apply, so a
//! terminal or CI apply and the operator never write to one org at the same time. It never
//! waits for a held lease: the reconcile is retried with backoff and plans afresh then.

use std::time::Duration;

use super::outcome::{Next, Outcome};
use crate::apply::lease::{self, Lease, LeaseError, LeaseOptions};
use crate::zoho::crm::CrmClient;

/// Lifetime of the lease without renewal, as the CLI's default.
const LEASE_TTL: Duration = Duration::from_secs(300);

/// Takes the org's apply lease, or says why not as a retried outcome.
pub(crate) async fn take(crm: &CrmClient) -> Result<Lease, Box<Outcome>> {
    let options = LeaseOptions {
        ttl: LEASE_TTL,
        wait: Duration::ZERO,
    };
    match lease::acquire(crm, &options, &mut |_| {}).await {
        Ok(lease) => Ok(lease),
        Err(LeaseError::Held { holder }) => Err(Box::new(Outcome::blocked(
            "ApplyLeaseHeld",
            format!(
                "another apply holds this org's apply lease: {} (expires {}); the apply is retried once it is free",
                holder.owner,
                holder.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            Next::Backoff {
                rate_limited: false,
            },
        ))),
        Err(LeaseError::Api(error)) => Err(Box::new(Outcome::blocked(
            "ApplyLeaseFailed",
            format!("cannot take this org's apply lease: {error}"),
            Next::Backoff {
                rate_limited: false,
            },
        ))),
    }
}

/// Releases the lease; a failure only delays the next apply until it expires, so it is logged.
pub(crate) async fn release(lease: Lease) {
    if let Err(error) = lease.release().await {
        tracing::warn!(%error, "could not release the org's apply lease; it expires on its own");
    }
}
