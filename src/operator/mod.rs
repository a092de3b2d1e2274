//! `projectlink operator`: keeps `ProjectsIntegration` and `Office365Integration` custom
//! resources reconciled from inside Kubernetes. It adds no reconciliation logic of its own —
//! each reconcile is the CLI's observe → plan → apply — only what running unattended needs:
//! credentials from Secrets, status conditions, Events, a finalizer for deactivation,
//! periodic drift checks with backoff, leader election and probes/metrics.

pub mod conditions;
mod connect;
mod context;
pub mod credentials;
mod kind;
pub mod metrics;
mod office365;
mod org_lease;
mod outcome;
mod pipeline;
pub mod probes;
mod projects;
pub mod reconcile;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use kube::runtime::Controller;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::watcher;
use kube::{Api, Client};
use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseManagerError};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use crate::spec::{Office365Integration, ProjectsIntegration};
pub use context::Context;
use kind::IntegrationKind;
pub use metrics::Metrics;
pub use outcome::{ANNOTATION_ALLOW_DESTRUCTIVE, ANNOTATION_PAUSED};
pub use reconcile::{FIELD_MANAGER, FINALIZER};

/// Default time between drift checks of a resource.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(600);

/// Default wait for reconciles in flight when the operator stops: below Kubernetes' default
/// termination grace period of 30 s, so the pod ends on its own rather than by SIGKILL.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// Everything the operator can be told.
#[derive(Debug, Clone)]
pub struct OperatorConfig {
    /// Namespaces to watch; empty for all namespaces.
    pub namespaces: Vec<String>,
    /// Time between drift checks (jittered by ±10%).
    pub interval: Duration,
    /// First delay after a failure; it doubles with each consecutive failure...
    pub error_backoff: Duration,
    /// ...up to this cap.
    pub error_backoff_cap: Duration,
    /// Least delay after Zoho or Microsoft Graph answered 429.
    pub rate_limit_backoff: Duration,
    /// Sends every Zoho request to this base URL (a sandbox) instead of the data centre's hosts.
    pub zoho_base_url: Option<reqwest::Url>,
    /// Sends every Microsoft identity and Graph request to this sandbox instead of Microsoft.
    pub graph_base_url: Option<reqwest::Url>,
    /// Most Zoho requests in flight per resource.
    pub concurrency: usize,
    /// Calls per Zoho Projects API and window, per Zoho user, shared by every resource.
    pub projects_rate_limit: crate::zoho::pacing::RateLimit,
    /// This replica's name in Events and the Lease.
    pub identity: String,
    /// Leader election; `None` when a single replica runs.
    pub leader_election: Option<LeaderElection>,
    /// The observation cache of ProjectsIntegration resources; without a store every
    /// reconcile observes everything.
    pub observation_cache: crate::live::cached::CacheUse,
    /// Where each resource's apply journal is kept (`journal/<kind>-<namespace>_<name>.jsonl`),
    /// so an apply cut short (the pod killed, the reconcile cancelled) is resumed by the next
    /// one without repeating its work; `None` keeps no journal.
    pub journal_dir: Option<std::path::PathBuf>,
    /// How long a stop waits for reconciles in flight (and for the Lease's release) before
    /// cancelling them. A reconcile can be waiting out Zoho's pacing for minutes; Kubernetes
    /// kills the pod 30 s after SIGTERM by default, so this stays below that.
    pub shutdown_grace: Duration,
}

/// Where the Lease that elects the active replica lives.
#[derive(Debug, Clone)]
pub struct LeaderElection {
    pub lease_name: String,
    pub lease_namespace: String,
    /// How long a lease stays valid without renewal, in seconds.
    pub lease_duration_seconds: u64,
}

impl Default for OperatorConfig {
    fn default() -> Self {
        OperatorConfig {
            namespaces: Vec::new(),
            interval: DEFAULT_INTERVAL,
            error_backoff: Duration::from_secs(5),
            error_backoff_cap: Duration::from_secs(300),
            rate_limit_backoff: Duration::from_secs(120),
            zoho_base_url: None,
            graph_base_url: None,
            concurrency: crate::zoho::DEFAULT_CONCURRENCY,
            projects_rate_limit: crate::zoho::pacing::RateLimit::DEFAULT,
            identity: "projectlink".into(),
            leader_election: None,
            observation_cache: Default::default(),
            journal_dir: None,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// Why the operator stopped.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("leader election failed: {0}")]
    LeaderElection(#[from] kube_lease_manager::LeaseManagerError),
    #[error("the leader election task ended unexpectedly: {0}")]
    LeaderTask(#[source] tokio::task::JoinError),
}

/// Runs the controllers until `shutdown` turns `true`. With leader election, this replica
/// waits for the Lease and reconciles only while it holds it.
pub async fn run(
    client: Client,
    config: OperatorConfig,
    metrics: Arc<Metrics>,
    health: Arc<probes::Health>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), OperatorError> {
    let recorder = Recorder::new(
        client.clone(),
        Reporter {
            controller: "projectlink".into(),
            instance: Some(config.identity.clone()),
        },
    );
    let ctx = Arc::new(Context::new(
        client.clone(),
        config.clone(),
        metrics.clone(),
        recorder,
    ));
    let Some(election) = &config.leader_election else {
        health.set_ready(true);
        metrics.set_leader(true);
        let stop = wait_true(shutdown.clone());
        run_controllers(ctx, stop).await;
        return Ok(());
    };
    let duration = election.lease_duration_seconds.max(2);
    let manager = LeaseManagerBuilder::new(client, &election.lease_name)
        .with_namespace(&election.lease_namespace)
        .with_identity(&config.identity)
        .with_duration(duration)
        .with_grace((duration / 3).max(1))
        .build()
        .await?;
    let (leader, task) = manager.watch().await;
    health.set_ready(true);
    reconcile_while_leader(&ctx, &leader, &mut shutdown).await;
    // Dropping the last receiver makes the lease task release the Lease and end.
    drop(leader);
    release_lease(task, &config, duration).await
}

/// Reconciles while this replica holds the Lease and stands by while another does, until
/// `shutdown` turns `true`.
async fn reconcile_while_leader(
    ctx: &Arc<Context>,
    leader: &watch::Receiver<bool>,
    shutdown: &mut watch::Receiver<bool>,
) {
    let identity = &ctx.config.identity;
    loop {
        let mut became_leader = leader.clone();
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            changed = became_leader.wait_for(|is_leader| *is_leader) => {
                if changed.is_err() {
                    break;
                }
            }
        }
        tracing::info!(identity = %identity, "acquired the lease: reconciling");
        ctx.metrics.set_leader(true);
        let lost = {
            let mut leader = leader.clone();
            async move {
                let _ = leader.wait_for(|is_leader| !*is_leader).await;
            }
        };
        let stop = futures::future::select(Box::pin(lost), Box::pin(wait_true(shutdown.clone())))
            .map(|_| ());
        run_controllers(ctx.clone(), stop).await;
        ctx.metrics.set_leader(false);
        if *shutdown.borrow() {
            break;
        }
        tracing::warn!(identity = %identity, "lost the lease: standing by");
    }
}

/// Waits up to the shutdown grace for the lease task to release the Lease; past it the
/// Lease simply expires after `duration` seconds.
async fn release_lease(
    task: JoinHandle<Result<LeaseManager, LeaseManagerError>>,
    config: &OperatorConfig,
    duration: u64,
) -> Result<(), OperatorError> {
    let abort = task.abort_handle();
    match tokio::time::timeout(config.shutdown_grace, task).await {
        Ok(Ok(Ok(_))) => Ok(()),
        Ok(Ok(Err(e))) => Err(OperatorError::LeaderElection(e)),
        Ok(Err(e)) => Err(OperatorError::LeaderTask(e)),
        Err(_) => {
            abort.abort();
            tracing::warn!(
                identity = %config.identity,
                grace = ?config.shutdown_grace,
                "the Lease was not released in time; another replica takes over once it expires ({duration} s)"
            );
            Ok(())
        }
    }
}

async fn wait_true(mut signal: watch::Receiver<bool>) {
    let _ = signal.wait_for(|v| *v).await;
}

/// Per kind, one controller per watched namespace (or one over all namespaces), stopped
/// gracefully when `stop` completes: reconciles in flight get `shutdown_grace` to finish and
/// are cancelled after it. A cancelled apply is safe to cut short: every write is idempotent
/// and the next reconcile plans from what it then observes.
async fn run_controllers(ctx: Arc<Context>, stop: impl Future<Output = ()>) {
    let mut stoppers = Vec::new();
    let mut controllers = controllers_of::<ProjectsIntegration>(&ctx, &mut stoppers);
    controllers.extend(controllers_of::<Office365Integration>(&ctx, &mut stoppers));
    let all = futures::future::join_all(controllers);
    tokio::pin!(all);
    tokio::pin!(stop);
    tokio::select! {
        _ = &mut all => {}
        _ = &mut stop => {
            for stopper in stoppers {
                let _ = stopper.send(());
            }
            let grace = ctx.config.shutdown_grace;
            if tokio::time::timeout(grace, &mut all).await.is_err() {
                // Dropping the controllers' streams aborts the reconcile tasks they run.
                tracing::warn!(
                    ?grace,
                    "reconciles still running after the shutdown grace period were cancelled; the next reconcile plans from what it observes then (an apply cut short leaves the org's apply lease to expire on its own)"
                );
            }
        }
    }
}

/// The controllers of one kind, each with a sender in `stoppers` that shuts it down.
fn controllers_of<K: IntegrationKind>(
    ctx: &Arc<Context>,
    stoppers: &mut Vec<oneshot::Sender<()>>,
) -> Vec<BoxFuture<'static, ()>> {
    let apis: Vec<Api<K>> = if ctx.config.namespaces.is_empty() {
        vec![Api::all(ctx.client.clone())]
    } else {
        ctx.config
            .namespaces
            .iter()
            .map(|ns| Api::namespaced(ctx.client.clone(), ns))
            .collect()
    };
    apis.into_iter()
        .map(|api| {
            let (stop_tx, stop_rx) = oneshot::channel::<()>();
            stoppers.push(stop_tx);
            Controller::new(api, watcher::Config::default().any_semantic())
                .graceful_shutdown_on(stop_rx.map(|_| ()))
                .run(reconcile::reconcile, reconcile::error_policy, ctx.clone())
                .for_each(|result| async move {
                    match result {
                        Ok((object, _)) => tracing::debug!(resource = %object, "reconciled"),
                        Err(error) => tracing::debug!(%error, kind = K::KIND, "controller"),
                    }
                })
                .boxed()
        })
        .collect()
}
