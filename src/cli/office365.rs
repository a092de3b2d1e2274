//! The `Office365Integration` kind in `plan` and `apply`: connecting to CRM and Microsoft
//! Graph, observing, planning, rendering and applying, with the same exit codes as the
//! Projects integration.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;

use super::args::ApplyArgs;
use super::lease;
use super::progress::TerminalProgress;
use super::target::{self, Connected};
use super::workflow::client_options;
use super::{GlobalArgs, exit};
use crate::engine::journal::Journal;
use crate::engine::kind::{self, Gate, Hooks, Kind, KindReport, apply_exit_code};
use crate::engine::saved::{Fingerprints, STALE_AFTER_WAIT, check_fresh};
use crate::graph::GraphClient;
use crate::office365::fingerprint::fingerprints as office365_fingerprints;
use crate::office365::kind::{Office365Clients, Office365Kind};
use crate::office365::observe::observe;
use crate::office365::{Desired365, Observed365, SyncPlan, plan};
use crate::plan::planner::PlanOptions;
use crate::spec::{Connection, FieldPath, LoadedOffice365, Office365IntegrationSpec};

/// One Office 365 integration connected, observed and planned.
pub struct Planned365 {
    pub connected: Connected,
    pub graph: GraphClient,
    pub desired: Desired365,
    pub observed: Observed365,
    pub plan: SyncPlan,
}

/// Connects to CRM and Graph, observes and plans; the target line goes to `notice`.
pub async fn plan_office365(
    global: &GlobalArgs,
    loaded: &LoadedOffice365,
    options: &PlanOptions,
    notice: &mut dyn Write,
) -> anyhow::Result<Planned365> {
    let spec = &loaded.resource.spec;
    let mut planned = plan_spec(global, loaded.name(), spec, options, notice).await?;
    locate(&mut planned.plan, loaded);
    Ok(planned)
}

/// [`plan_office365`] of the spec of the resource named `owner`, without its positions (a
/// saved plan's).
pub async fn plan_spec(
    global: &GlobalArgs,
    owner: &str,
    spec: &Office365IntegrationSpec,
    options: &PlanOptions,
    notice: &mut dyn Write,
) -> anyhow::Result<Planned365> {
    let mut desired = Desired365::from_spec(owner, spec)
        .map_err(|e| anyhow::anyhow!("cannot use the contacts field map of \"{owner}\": {e}"))?;
    desired.policy.prune |= options.prune;
    desired.policy.force = options.force;
    let connection = Connection {
        data_center: spec.connection.data_center,
        secret_ref: spec.connection.secret_ref.clone(),
        portal_secret_ref: None,
    };
    let options = client_options(global);
    let connected = target::connect(global, &connection, options.clone()).await?;
    let graph = target::connect_graph(
        global,
        &connected,
        &spec.connection.graph_secret_ref.name,
        &spec.tenant,
        &options,
    )?;
    let _ = writeln!(notice, "{}", connected.description);
    let observed = observe(&desired, &connected.clients.crm, &graph)
        .await
        .with_context(|| format!("cannot observe the Office 365 integration \"{owner}\""))?;
    let plan = plan(&desired, &observed);
    Ok(Planned365 {
        connected,
        graph,
        desired,
        observed,
        plan,
    })
}

/// Turns the spec paths diagnostics point at into `file:line:column` of the loaded spec.
fn locate(plan: &mut SyncPlan, loaded: &LoadedOffice365) {
    for diagnostic in &mut plan.diagnostics {
        let Some(path) = diagnostic.spec_at.as_deref().and_then(FieldPath::parse) else {
            continue;
        };
        let at = loaded.positions.nearest(&path);
        diagnostic.spec_at = Some(format!("{}:{}:{}", loaded.source.name, at.line, at.column));
    }
}

/// Applies a plan after confirmation, printing the report and the API calls used.
pub async fn confirm_and_apply(
    global: &GlobalArgs,
    planned: &mut Planned365,
    auto_approve: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let plan = &planned.plan;
    // An Office 365 plan with nothing to change still runs: it may save the sync state.
    if let Some((line, to_err, code)) = Gate::of(plan).stop() {
        if to_err {
            writeln!(err, "{line}")?;
        } else {
            writeln!(out, "{line}")?;
        }
        return Ok(code);
    }
    if !plan.is_empty() && !auto_approve && !super::confirm::confirmed(out)? {
        writeln!(out, "Apply cancelled.")?;
        return Ok(exit::ERROR);
    }
    let journal = start_journal(global, planned, out)?;
    let planned = &*planned;
    let plan = &planned.plan;
    let crm_before = planned.connected.clients.stats.snapshot();
    let graph_before = planned.graph.stats();
    let progress = TerminalProgress::new();
    let show = |done: usize, total: usize, _: &str| progress.count("Syncing", done, total);
    let clients = Office365Clients {
        zoho: Arc::new(planned.connected.clients.clone()),
        graph: planned.graph.clone(),
    };
    let hooks = Hooks {
        progress: Some(&show),
        journal: Some(&journal),
    };
    let report = Office365Kind::apply(plan, &planned.observed, &clients, &hooks).await;
    let applied = &report.applied;
    progress.finish();
    journal.finish(report.is_complete());
    let crm_used = planned
        .connected
        .clients
        .stats
        .snapshot()
        .since(&crm_before);
    let graph_used = planned.graph.stats().since(&graph_before);
    if !plan.is_empty() {
        writeln!(
            out,
            "Apply complete: {} invite(s), {} folder change(s), {} item change(s), {} failed.",
            applied.invites,
            applied.folders,
            applied.items,
            applied.failures.len()
        )?;
    }
    for failure in &applied.failures {
        writeln!(out, "  failed: {}: {}", failure.what, failure.error)?;
    }
    if applied.state_saved {
        writeln!(out, "Sync state saved.")?;
    }
    writeln!(
        out,
        "API calls to apply: CRM {}, Microsoft Graph {}.",
        crm_used.crm_calls,
        graph_used.api_calls()
    )?;
    Ok(apply_exit_code(&report))
}

/// Starts this apply's journal (`<state-dir>/journal/office365-NAME.jsonl`). When the last
/// apply of this resource was stopped before its end, the records it created for Outlook
/// items and did not link are linked now rather than created again.
fn start_journal(
    global: &GlobalArgs,
    planned: &mut Planned365,
    out: &mut dyn Write,
) -> anyhow::Result<Journal> {
    let name = (
        planned.desired.owner.as_str(),
        planned.connected.id.as_str(),
    );
    let started = kind::start_journal::<Office365Kind>(
        &global.state_dir,
        name,
        &mut planned.plan,
        &planned.observed,
    )?;
    if let Some(resumed) = &started.resumed {
        writeln!(
            out,
            "Resuming the apply that was stopped ({}): {} operation(s) it finished are not repeated, {} record(s) it created are linked instead of created again.",
            resumed.path.display(),
            resumed.done,
            resumed.changed
        )?;
    }
    Ok(started.journal)
}

/// Applies an Office 365 plan under the org's apply lease (the same lease as the
/// integration's), taken only when there is something to apply; a plan made while another
/// apply held the org is made again under the lease.
pub async fn apply_planned(
    global: &GlobalArgs,
    args: &ApplyArgs,
    loaded: &LoadedOffice365,
    planned: Planned365,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    apply_under_lease(global, args, Recheck::Replan(loaded), planned, out, err).await
}

/// What to do when another apply held the org while this one waited for the lease.
pub enum Recheck<'a> {
    /// Plan the spec again and apply that.
    Replan(&'a LoadedOffice365),
    /// A saved plan: apply it only if what it read is unchanged.
    Saved(&'a Fingerprints),
}

/// Takes the lease (when there is something to apply), checks the plan again if another
/// apply ran meanwhile (`recheck`), confirms and applies.
pub async fn apply_under_lease(
    global: &GlobalArgs,
    args: &ApplyArgs,
    recheck: Recheck<'_>,
    mut planned: Planned365,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let plan = &planned.plan;
    if plan.is_empty()
        || plan.has_errors()
        || planned.desired.observe_only
        || plan.refusal.is_some()
    {
        return confirm_and_apply(global, &mut planned, args.auto_approve, out, err).await;
    }
    let lease = lease::take(&args.lock, &planned.connected.clients.crm, err).await?;
    let result = async {
        if lease.as_ref().is_some_and(|l| l.moved()) {
            match recheck {
                Recheck::Replan(loaded) => {
                    let options = PlanOptions {
                        prune: args.prune,
                        force: args.force,
                    };
                    let mut notice = Vec::new();
                    planned = plan_office365(global, loaded, &options, &mut notice).await?;
                    writeln!(
                        out,
                        "\nAnother apply ran on this org while this one waited; planned again:\n"
                    )?;
                    write!(out, "{}", crate::office365::render::text(&planned.plan))?;
                }
                Recheck::Saved(fingerprints) => {
                    let observed = observe(
                        &planned.desired,
                        &planned.connected.clients.crm,
                        &planned.graph,
                    )
                    .await
                    .context("cannot re-read the live state to check the saved plan")?;
                    if check_fresh(fingerprints, &office365_fingerprints(&observed)).is_err() {
                        writeln!(err, "{STALE_AFTER_WAIT}")?;
                        return Ok(exit::ERROR);
                    }
                }
            }
        }
        confirm_and_apply(global, &mut planned, args.auto_approve, out, err).await
    }
    .await;
    lease::release(lease, err).await?;
    result
}
