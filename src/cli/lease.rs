//! The apply lease on the command line: `--lock`, `--lock-timeout` (as Terraform names
//! them) and taking, announcing and releasing the org's lease around an apply. The lease is
//! taken only once there is something to apply (a plan with nothing to do writes nothing),
//! and a plan made while another apply held the org is checked again under the lease.

use std::io::Write;
use std::time::Duration;

use clap::{ArgAction, Args};

use super::exit;
use crate::apply::lease::{self, Lease, LeaseOptions};
use crate::live::ProjectsGrant;
use crate::live::observe::observe;
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::render::text;
use crate::plan::safety::fingerprints;
use crate::plan::{Desired, Plan};
use crate::zoho::{CrmClient, ZohoClients};

/// How a plan made before the lease is checked once the lease is held, if another apply
/// held the org meanwhile.
pub enum Recheck<'a> {
    /// Observe again and plan again from the same desired state and options.
    Replan {
        desired: &'a Desired,
        options: PlanOptions,
        grant: ProjectsGrant,
    },
    /// A saved plan: still applied only if what it read is unchanged.
    Saved {
        desired: &'a Desired,
        grant: ProjectsGrant,
    },
}

/// The plan to run now that the lease is held after another apply: a fresh one, or the
/// saved one if the org did not change under it; `Err(code)` when nothing may run.
pub async fn recheck(
    recheck: &Recheck<'_>,
    shown: &Plan,
    clients: &ZohoClients,
    color: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Result<Plan, u8>> {
    let (desired, grant) = match recheck {
        Recheck::Replan { desired, grant, .. } | Recheck::Saved { desired, grant } => {
            (*desired, grant.clone())
        }
    };
    let observed = observe(desired, &clients.crm, &clients.projects, grant)
        .await
        .map_err(|e| anyhow::anyhow!("cannot re-read the live state under the lease: {e}"))?;
    match recheck {
        Recheck::Replan { options, .. } => {
            let fresh = plan(desired, &observed, options);
            writeln!(
                out,
                "\nAnother apply ran on this org while this one waited; planned again:\n"
            )?;
            write!(out, "{}", text::render(&fresh, color))?;
            Ok(Ok(fresh))
        }
        Recheck::Saved { .. } => {
            if fingerprints(&observed) == shown.fingerprints {
                Ok(Ok(shown.clone()))
            } else {
                writeln!(err, "{}", crate::engine::saved::STALE_AFTER_WAIT)?;
                Ok(Err(exit::ERROR))
            }
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct LockArgs {
    /// Take the org's apply lease so that no other apply runs on it meanwhile;
    /// `--lock=false` skips it, for emergencies only (a holder that is gone for good).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set)]
    pub lock: bool,
    /// How long to wait for another apply's lease before giving up, e.g. `90s`, `5m`
    /// (default 0: give up at once, naming the holder).
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = super::duration::parse_duration)]
    pub lock_timeout: Duration,
    /// How long a lease lasts without renewal (renewed every third of it while the apply
    /// runs); after a crash the org is free again once it passes.
    #[arg(
        long,
        hide = true,
        value_name = "DURATION",
        env = "PROJECTLINK_LOCK_TTL",
        default_value = "300",
        value_parser = super::duration::parse_duration
    )]
    pub lock_ttl: Duration,
}

/// Takes the lease unless `--lock=false`, telling `err` whom it waits for or took over from.
pub async fn take(
    args: &LockArgs,
    crm: &CrmClient,
    err: &mut dyn Write,
) -> anyhow::Result<Option<Lease>> {
    if !args.lock {
        writeln!(
            err,
            "Warning: --lock=false: applying without the org's apply lease; another apply may run at the same time."
        )?;
        return Ok(None);
    }
    let options = LeaseOptions {
        ttl: args.lock_ttl.max(Duration::from_secs(1)),
        wait: args.lock_timeout,
    };
    let mut announce = |holder: &lease::Holder| {
        let _ = writeln!(
            err,
            "Waiting for the org's apply lease, held by {} until {} (renewed while it runs), for at most {} s (--lock-timeout)…",
            holder.owner,
            holder.expires_at.format("%Y-%m-%d %H:%M:%S UTC"),
            args.lock_timeout.as_secs()
        );
        let _ = err.flush();
    };
    let lease = lease::acquire(crm, &options, &mut announce).await?;
    if lease.waited {
        writeln!(err, "Took the org's apply lease.")?;
    }
    if let Some(old) = &lease.took_over {
        let why = if old.expires_at > chrono::Utc::now() {
            "whose process on this machine no longer runs".to_string()
        } else {
            format!(
                "which expired at {} without being released (that run stopped or stalled)",
                old.expires_at.format("%Y-%m-%d %H:%M:%S UTC")
            )
        };
        writeln!(
            err,
            "Took over the org's apply lease from {}, {why}.",
            old.owner
        )?;
    }
    Ok(Some(lease))
}

/// Releases the lease, if one was taken; a failure to release only delays the next apply
/// until the lease expires, so it is reported, not fatal.
pub async fn release(lease: Option<Lease>, err: &mut dyn Write) -> anyhow::Result<()> {
    let Some(lease) = lease else {
        return Ok(());
    };
    if lease.lost() {
        writeln!(
            err,
            "Warning: this run's apply lease expired and was taken over by another run while it applied."
        )?;
    }
    if let Err(e) = lease.release().await {
        writeln!(
            err,
            "Warning: could not release the org's apply lease ({e}); the next apply can run once it expires."
        )?;
    }
    Ok(())
}
