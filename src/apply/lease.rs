//! One apply at a time per CRM org: a lease kept in the org itself (a CRM org variable, like
//! the integration marker), so runs on different machines see it. It names its holder
//! (host, process id and a random tag) and an expiry that the holder pushes forward while it
//! works; a holder that dies (even killed with -9) loses the lease once the expiry passes.
//!
//! Taking the lease is a compare-and-swap built from what the API offers. A free org is
//! taken by creating the variable: Zoho refuses a second variable of the same API name, so
//! of two concurrent creators exactly one succeeds. An expired lease is taken over by
//! overwriting it, waiting [`SETTLE`] and reading it back: the taker owns it only if its own
//! value is still there. Two takers that both read "expired" and both write are told apart
//! by the read-back, as long as the later writer's write lands within the settle delay of
//! its read; a taker stalled longer than that between its read and its write can still
//! overwrite a lease just taken. That window exists only after a holder has died or stalled
//! past its expiry, and it is what the settle delay bounds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::zoho::crm::{NewVariable, Variable, VariableUpdate};
use crate::zoho::{CrmClient, ZohoError};

/// API name of the org variable holding the lease.
pub const LEASE_VARIABLE: &str = "projectlink_apply_lease";
/// How long a lease lasts without renewal, unless configured otherwise.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// How long a taker of an expired lease waits before reading it back.
pub const SETTLE: Duration = Duration::from_millis(500);
/// How often a waiting apply looks at the lease again.
const POLL: Duration = Duration::from_secs(1);
/// CRM calls of a lease nobody else holds: read the variables and create the lease, then
/// read them again and delete it. A plan's estimate counts them for every apply that writes.
pub const UNCONTENDED_CALLS: u64 = 4;

/// The lease document kept in the variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// `host:pid:tag`, unique per run.
    pub owner: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The holder's process-id namespace, so that a run on the same machine can tell a
    /// dead holder from one whose pid it cannot see (another container).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid_namespace: Option<String>,
}

impl Holder {
    fn parse(variable: &Variable) -> Option<Holder> {
        serde_json::from_str(variable.value.as_str()?).ok()
    }

    fn to_value(&self) -> String {
        serde_json::to_string(self).expect("a lease serializes")
    }

    fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at <= now
    }

    /// Whether the holder ran on this machine, in this pid namespace, and its process no
    /// longer exists: then the lease is free at once, without waiting for its expiry.
    fn gone(&self) -> bool {
        let mut parts = self.owner.rsplitn(3, ':');
        let (_tag, pid, host) = (parts.next(), parts.next(), parts.next());
        let (Some(pid), Some(host)) = (pid.and_then(|p| p.parse::<u32>().ok()), host) else {
            return false;
        };
        host == host_name()
            && self.pid_namespace.is_some()
            && self.pid_namespace == pid_namespace()
            && pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
}

/// This machine's name in the lease: `PROJECTLINK_LEASE_HOST`, else the hostname.
fn host_name() -> String {
    std::env::var("PROJECTLINK_LEASE_HOST")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace(':', "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// `pid:[4026531836]`, where the system says.
fn pid_namespace() -> Option<String> {
    std::fs::read_link("/proc/self/ns/pid")
        .ok()
        .map(|p| p.to_string_lossy().into_owned())
}

/// Why the lease could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(
        "another apply holds this org's apply lease: {} (taken {}, expires {}); wait for it to finish, pass --lock-timeout to wait, or, if that run is gone for good, --lock=false",
        holder.owner,
        holder.acquired_at.format("%Y-%m-%d %H:%M:%S UTC"),
        holder.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
    )]
    Held { holder: Holder },
    #[error("cannot read or write this org's apply lease: {0}")]
    Api(#[from] ZohoError),
}

/// How to take the lease.
#[derive(Debug, Clone)]
pub struct LeaseOptions {
    /// Lifetime without renewal; renewed every third of it.
    pub ttl: Duration,
    /// How long to wait for a held lease before giving up (zero: give up at once).
    pub wait: Duration,
}

/// A held lease; renewed in the background until [`Lease::release`].
pub struct Lease {
    crm: CrmClient,
    owner: String,
    renewal: tokio::task::JoinHandle<()>,
    lost: Arc<AtomicBool>,
    /// Whether another apply held the lease when this one first looked.
    pub waited: bool,
    /// The expired holder this run took the lease over from, if it did.
    pub took_over: Option<Holder>,
}

/// `host:pid:tag` for this process.
fn owner_id() -> String {
    let tag: u32 = rand::rng().random();
    format!("{}:{}:{tag:08x}", host_name(), std::process::id())
}

async fn current(crm: &CrmClient) -> Result<Option<Variable>, ZohoError> {
    Ok(crm
        .variables()
        .await?
        .into_iter()
        .find(|v| v.api_name == LEASE_VARIABLE))
}

fn fresh(owner: &str, ttl: Duration) -> Holder {
    let now = Utc::now();
    Holder {
        owner: owner.to_string(),
        acquired_at: now,
        expires_at: now + chrono::Duration::from_std(ttl).unwrap_or_default(),
        pid_namespace: pid_namespace(),
    }
}

/// Creates of the lease whose answers were all lost before taking the lease gives up.
const UNANSWERED_CREATES: u32 = 3;

/// Takes the org's apply lease, waiting up to `options.wait` for a holder to finish;
/// `waiting` is told once who holds it and until when.
pub async fn acquire(
    crm: &CrmClient,
    options: &LeaseOptions,
    waiting: &mut impl FnMut(&Holder),
) -> Result<Lease, LeaseError> {
    let owner = owner_id();
    let deadline = tokio::time::Instant::now() + options.wait;
    let (mut waited, mut took_over) = (false, None);
    let mut unanswered = 0;
    loop {
        let mine = fresh(&owner, options.ttl);
        match current(crm).await? {
            None => match create(crm, &mine).await {
                Ok(()) => break,
                // Another run created it between the read and the create: look again.
                Err(e) if e.code() == Some("DUPLICATE_DATA") => continue,
                // Every answer to the create was lost: the next read shows whether it
                // landed (then the lease is ours), a few times before giving up.
                Err(e) if e.outcome_unknown() && unanswered < UNANSWERED_CREATES => {
                    unanswered += 1;
                    continue;
                }
                Err(e) => return Err(e.into()),
            },
            Some(variable) => {
                let holder = Holder::parse(&variable);
                match holder {
                    // Our own create, whose answer was lost: its retry met DUPLICATE_DATA.
                    Some(h) if h.owner == owner => break,
                    Some(h) if !h.expired(Utc::now()) && !h.gone() => {
                        if tokio::time::Instant::now() >= deadline {
                            return Err(LeaseError::Held { holder: h });
                        }
                        if !waited {
                            waiting(&h);
                            waited = true;
                        }
                        tokio::time::sleep(POLL.min(deadline - tokio::time::Instant::now())).await;
                        continue;
                    }
                    // Expired, its holder's process gone, or not a lease this version
                    // understands: take it over.
                    _ => {
                        write(crm, &variable.id, &mine).await?;
                        tokio::time::sleep(SETTLE).await;
                        let after = current(crm).await?;
                        if after.as_ref().and_then(Holder::parse).map(|h| h.owner)
                            == Some(owner.clone())
                        {
                            took_over = holder;
                            break;
                        }
                    }
                }
            }
        }
    }
    let lost = Arc::new(AtomicBool::new(false));
    let renewal = tokio::spawn(renew(crm.clone(), owner.clone(), options.ttl, lost.clone()));
    Ok(Lease {
        crm: crm.clone(),
        owner,
        renewal,
        lost,
        waited,
        took_over,
    })
}

async fn create(crm: &CrmClient, holder: &Holder) -> Result<(), ZohoError> {
    crm.create_variable(&NewVariable {
        name: "projectlink apply lease".into(),
        api_name: LEASE_VARIABLE.into(),
        variable_type: "textarea".into(),
        value: json!(holder.to_value()),
        description: Some(
            "Written by projectlink while an apply runs on this org: who runs it and until when. Do not edit."
                .into(),
        ),
        group_id: None,
    })
    .await
    .map(drop)
}

async fn write(crm: &CrmClient, id: &str, holder: &Holder) -> Result<(), ZohoError> {
    let update = VariableUpdate {
        value: Some(json!(holder.to_value())),
        ..Default::default()
    };
    crm.update_variable(id, &update).await
}

/// Pushes the expiry forward every third of the lifetime while the apply runs; notes a
/// lease lost to another run (which can only happen after this one stalled past expiry).
async fn renew(crm: CrmClient, owner: String, ttl: Duration, lost: Arc<AtomicBool>) {
    let acquired_at = Utc::now();
    loop {
        tokio::time::sleep(ttl / 3).await;
        let Ok(Some(variable)) = current(&crm).await else {
            continue;
        };
        match Holder::parse(&variable) {
            Some(h) if h.owner == owner => {
                let next = Holder {
                    acquired_at: h.acquired_at.min(acquired_at),
                    ..fresh(&owner, ttl)
                };
                if let Err(e) = write(&crm, &variable.id, &next).await {
                    tracing::warn!(error = %e, "could not renew the apply lease");
                }
            }
            _ => {
                lost.store(true, Ordering::SeqCst);
                tracing::warn!("this run's apply lease was taken over by another run");
                return;
            }
        }
    }
}

impl Lease {
    /// Whether another apply held the org since this run looked at it: a plan made before
    /// the lease may no longer describe the org.
    pub fn moved(&self) -> bool {
        self.waited || self.took_over.is_some()
    }

    /// Whether another run took the lease over while this one held it.
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Stops renewing and removes the lease if it is still this run's.
    pub async fn release(self) -> Result<(), ZohoError> {
        self.renewal.abort();
        if let Some(variable) = current(&self.crm).await?
            && Holder::parse(&variable).is_some_and(|h| h.owner == self.owner)
        {
            self.crm.delete_variable(&variable.id).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_ids_name_the_host_and_process_and_differ_per_run() {
        let a = owner_id();
        assert!(a.contains(&format!(":{}:", std::process::id())), "{a}");
        assert_ne!(a, owner_id());
    }

    #[test]
    fn a_holder_whose_process_is_gone_on_this_machine_is_gone() {
        let mut h = fresh(&owner_id(), Duration::from_secs(60));
        assert!(!h.gone(), "this very process is alive");
        // A pid above the kernel's maximum cannot be running.
        h.owner = format!("{}:4294967290:0000abcd", host_name());
        assert_eq!(h.gone(), pid_namespace().is_some());
        h.owner = "elsewhere:4294967290:0000abcd".into();
        assert!(
            !h.gone(),
            "a holder on another machine is never presumed dead"
        );
        h.owner = format!("{}:4294967290:0000abcd", host_name());
        h.pid_namespace = Some("pid:[1]".into());
        assert!(!h.gone(), "a pid in another namespace cannot be checked");
    }

    #[test]
    fn a_lease_round_trips_and_expires() {
        let h = fresh("host:1:abcd", Duration::from_secs(60));
        let variable = Variable {
            id: "1".into(),
            api_name: LEASE_VARIABLE.into(),
            value: json!(h.to_value()),
            ..Variable::default()
        };
        assert_eq!(Holder::parse(&variable), Some(h.clone()));
        assert!(!h.expired(Utc::now()));
        assert!(h.expired(h.expires_at));
        let foreign = Variable {
            value: json!("hello"),
            ..variable
        };
        assert_eq!(Holder::parse(&foreign), None);
    }

    #[test]
    fn a_held_lease_names_its_holder_and_expiry() {
        let holder = Holder {
            owner: "build-7:4242:0000beef".into(),
            acquired_at: "2026-01-02T03:00:00Z".parse().unwrap(),
            expires_at: "2026-01-02T03:05:00Z".parse().unwrap(),
            pid_namespace: None,
        };
        let text = LeaseError::Held { holder }.to_string();
        assert!(text.contains("build-7:4242:0000beef"), "{text}");
        assert!(text.contains("expires 2026-01-02 03:05:00 UTC"), "{text}");
        assert!(
            text.contains("--lock-timeout") && text.contains("--lock=false"),
            "{text}"
        );
    }
}
