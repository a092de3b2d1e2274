//! The Projects integration's apply on the command line: the gate (with the Zoho Projects
//! pacing bound), confirmation, the org's lease and a re-check under it, the journaled
//! execution and its report, and applying a saved plan.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};

use super::GlobalArgs;
use super::args::ApplyArgs;
use super::confirm::confirmed;
use super::exit;
use super::lease::{self, Recheck};
use super::progress::TerminalProgress;
use super::target;
use super::workflow::{Planned, client_options};
use crate::apply::kind::ProjectsKind;
use crate::apply::{ApplyReport, OutcomeStatus, journal};
use crate::engine::kind::{Gate, Hooks};
use crate::engine::saved::check_fresh;
use crate::plan::planner::{PlanOptions, plan};
use crate::plan::render::{json::PlanDocument, text};
use crate::plan::safety::fingerprints;
use crate::plan::{Change, Plan};
use crate::zoho::ZohoClients;

/// Why a plan would wait longer than `--max-paced-duration` allows, if it would.
fn over_paced_bound(args: &ApplyArgs, plan: &Plan) -> Option<String> {
    let bound = args.max_paced_duration?;
    let cost = plan.projects_cost.as_ref()?;
    (cost.paced_secs() > bound.as_secs()).then(|| {
        format!(
            "its Zoho Projects calls would wait about {} s under the rate limit ({} per API), more than --max-paced-duration {} s",
            cost.paced_secs(),
            cost.rate_limit,
            bound.as_secs()
        )
    })
}

/// Applies a planned Projects integration (its plan already shown), checking it again under
/// the lease when another apply held the org meanwhile.
pub(super) async fn apply_planned(
    global: &GlobalArgs,
    args: &ApplyArgs,
    planned: &Planned,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let recheck = Recheck::Replan {
        desired: &planned.desired,
        options: PlanOptions {
            prune: args.prune,
            force: args.force,
        },
        grant: planned.connected.grant.clone(),
    };
    let target = (&planned.connected.clients, planned.connected.id.as_str());
    confirm_and_execute(global, args, &planned.plan, target, recheck, out, err).await
}

/// Confirms, takes the org's apply lease, executes and reports; a plan made while another
/// apply held the org is checked again under the lease (`recheck`) before anything runs.
async fn confirm_and_execute(
    global: &GlobalArgs,
    args: &ApplyArgs,
    plan: &Plan,
    (clients, target): (&ZohoClients, &str),
    recheck: Recheck<'_>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    if let Some(code) = gate(args, plan, out, err)? {
        return Ok(code);
    }
    if !args.auto_approve && !confirmed(out)? {
        writeln!(out, "Apply cancelled.")?;
        return Ok(exit::ERROR);
    }
    // What applying costs includes taking and releasing the lease, as the plan estimated.
    let before = clients.stats.snapshot();
    let lease = lease::take(&args.lock, &clients.crm, err).await?;
    let result = async {
        if !lease.as_ref().is_some_and(|l| l.moved()) {
            return execute_and_report(global, plan, (clients, target), out, err).await;
        }
        let color = global.stdout_color();
        let fresh = match lease::recheck(&recheck, plan, clients, color, out, err).await? {
            Ok(fresh) => fresh,
            Err(code) => return Ok(code),
        };
        if let Some(code) = gate(args, &fresh, out, err)? {
            return Ok(code);
        }
        execute_and_report(global, &fresh, (clients, target), out, err).await
    }
    .await;
    lease::release(lease, err).await?;
    if result.is_ok() {
        report_cost(global, clients, &before, out)?;
    }
    result
}

/// What the run cost: the calls since `before` (the lease, any re-check and the writes), the
/// whole run's with its reads, its CRM credits and the waits for Projects' rate limit.
fn report_cost(
    global: &GlobalArgs,
    clients: &ZohoClients,
    before: &crate::zoho::stats::ApiStatsSnapshot,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let total = clients.stats.snapshot();
    let used = total.since(before);
    writeln!(
        out,
        "API calls: {} to apply (CRM {}, Projects {}), {} this run including reads and {} token request(s); CRM credits this run: {}.",
        used.api_calls(),
        used.crm_calls,
        used.projects_calls,
        total.api_calls(),
        total.accounts_calls,
        total.crm_credits
    )?;
    if total.projects_paced_ms >= 1000 {
        writeln!(
            out,
            "Zoho Projects' rate limit ({} per API) made this run wait {} s in all.",
            global.projects_pace(),
            total.projects_paced_ms / 1000
        )?;
    }
    Ok(())
}

/// Why a plan is not applied at all (errors, observe-only, refusal, nothing to do, too much
/// waiting), as the exit code to return; `None` when it may be applied.
fn gate(
    args: &ApplyArgs,
    plan: &Plan,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<Option<u8>> {
    let gate = Gate::of(plan);
    if let Some((line, to_err, code)) = gate.stop() {
        if to_err {
            writeln!(err, "{line}")?;
        } else {
            writeln!(out, "{line}")?;
        }
        return Ok(Some(code));
    }
    if gate == Gate::InSync {
        return Ok(Some(exit::OK));
    }
    if let Some(why) = over_paced_bound(args, plan) {
        writeln!(err, "Nothing applied: {why}.")?;
        return Ok(Some(exit::REFUSED));
    }
    Ok(None)
}

/// Executes a plan and prints its report, journaling every change as it is made
/// (`<state-dir>/journal/projects-NAME.jsonl`) so a killed apply leaves what it did on disk.
async fn execute_and_report(
    global: &GlobalArgs,
    plan: &Plan,
    (clients, target): (&ZohoClients, &str),
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let state_dir = &global.state_dir;
    let stopped = journal::stopped(state_dir, &plan.integration)?;
    if let Some(stopped) = &stopped {
        writeln!(out, "{}\n", stopped.notice(&plan.integration))?;
    }
    let resumed = stopped.map_or(0, |s| s.done);
    let journal = journal::start(state_dir, &plan.integration, target, resumed)?;
    let progress = TerminalProgress::new();
    let show = |done: usize, total: usize, what: &str| progress.step("Applying", what, done, total);
    let hooks = Hooks {
        progress: Some(&show),
        journal: Some(&journal),
    };
    let concurrency = global.concurrency as usize;
    let report = ProjectsKind::execute(plan, clients, concurrency, &hooks).await;
    journal.finish(report.is_complete());
    progress.finish();
    write!(out, "{}", render_report(&report))?;
    if let Some(planned) = &plan.client_mapping {
        let mapping = report.client_mapping(planned);
        write!(out, "\n{}", crate::plan::render::mapping::text(&mapping))?;
    }
    if let Some(quota) = clients.crm.quota_exhausted() {
        writeln!(err, "Stopped calling Zoho CRM: {quota}.")?;
    }
    save_report(state_dir, &plan.integration, &report);
    Ok(if report.is_complete() {
        exit::OK
    } else {
        exit::ERROR
    })
}

pub fn render_report(report: &ApplyReport) -> String {
    let mut text = String::from("\n");
    for o in &report.outcomes {
        let line = match &o.status {
            OutcomeStatus::Applied => format!("  ✓ {} {}\n", o.action.label(), o.address),
            OutcomeStatus::AlreadyDone { detail } => {
                format!("  ✓ {} {} ({detail})\n", o.action.label(), o.address)
            }
            OutcomeStatus::Failed { error } => {
                format!("  ✗ {} {}: {error}\n", o.action.label(), o.address)
            }
            OutcomeStatus::Skipped { reason } => format!(
                "  - {} {}: skipped, {reason}\n",
                o.action.label(),
                o.address
            ),
        };
        text.push_str(&line);
    }
    text.push_str(&format!(
        "\nApply {}: {} applied, {} failed, {} skipped.\n",
        if report.is_complete() {
            "complete"
        } else {
            "incomplete"
        },
        report.applied(),
        report.failed(),
        report.skipped()
    ));
    if !report.is_complete() {
        text.push_str("Run the same command again to finish: every step is safe to repeat.\n");
    }
    text
}

/// Keeps the last apply's report beside the embedded sandbox, for `cat` after a failure.
fn save_report(state_dir: &Path, integration: &str, report: &ApplyReport) {
    let path = state_dir.join(format!("last-apply-{integration}.json"));
    if std::fs::create_dir_all(state_dir).is_ok()
        && let Ok(json) = serde_json::to_string_pretty(report)
    {
        let _ = std::fs::write(path, json);
    }
}

/// The first change where a saved plan and a fresh plan of the same spec and state differ.
fn first_difference(saved: &[Change], fresh: &[Change]) -> Option<String> {
    for (index, (a, b)) in saved.iter().zip(fresh).enumerate() {
        if a != b {
            return Some(format!(
                "change {} ({} {}) differs",
                index + 1,
                a.action.label(),
                a.address
            ));
        }
    }
    (saved.len() != fresh.len()).then(|| {
        format!(
            "it holds {} change(s), the planner makes {}",
            saved.len(),
            fresh.len()
        )
    })
}

/// Applies a saved Projects plan (`text`, read from `path`) if it is still what its spec
/// plans against the live state.
pub(super) async fn apply_saved(
    global: &GlobalArgs,
    args: &ApplyArgs,
    path: &Path,
    text: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let document = PlanDocument::from_json(text)
        .map_err(|e| anyhow::anyhow!("{} is not a usable plan: {e}", path.display()))?;
    let connected = target::connect(global, &document.connection, client_options(global)).await?;
    writeln!(out, "{}\n", connected.description)?;
    if connected.id != document.target {
        bail!(
            "the plan was made against {} but this run targets {}; plan again against this target",
            document.target,
            connected.id
        );
    }
    // Observed as `plan` observes, from the same cache: what changed since the plan was made
    // is read whichever way, and the fingerprints below compare it with what the plan read.
    let observed = super::observation::observe(global, &document.desired, &connected)
        .await
        .context("cannot re-read the live state to check the saved plan")?
        .observed;
    if let Err(stale) = check_fresh(&document.plan.fingerprints, &fingerprints(&observed)) {
        writeln!(err, "{stale}")?;
        return Ok(exit::ERROR);
    }
    // The seal catches edits, not a forger who recomputes it: the planner must still produce
    // exactly these changes from the spec the file carries, so what runs is what it shows.
    let replanned = plan(&document.desired, &observed, &document.options.into());
    if let Some(why) = first_difference(&document.plan.changes, &replanned.changes) {
        writeln!(
            err,
            "The saved plan {} does not match what its spec plans against the live state: {why}. Run `projectlink plan` again.",
            path.display()
        )?;
        return Ok(exit::ERROR);
    }
    write!(
        out,
        "{}",
        text::render(&document.plan, global.stdout_color())
    )?;
    let mut plan = document.plan;
    // The saved plan was reviewed with its own options; --force/--prune may still lift a refusal.
    if args.force {
        plan.refusal = None;
    }
    let recheck = Recheck::Saved {
        desired: &document.desired,
        grant: connected.grant.clone(),
    };
    let target = (&connected.clients, connected.id.as_str());
    confirm_and_execute(global, args, &plan, target, recheck, out, err).await
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::plan::cost::ProjectsCost;

    fn args(extra: &[&str]) -> ApplyArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            apply: ApplyArgs,
        }
        let mut argv = vec!["apply", "-f", "x.yaml"];
        argv.extend(extra);
        Wrapper::parse_from(argv).apply
    }

    fn plan_waiting(observe: u64, apply: u64) -> Plan {
        Plan {
            format_version: crate::plan::FORMAT_VERSION,
            integration: "acme".into(),
            changes: Vec::new(),
            diagnostics: Vec::new(),
            summary: Default::default(),
            refusal: None,
            fingerprints: Default::default(),
            observe_only: false,
            client_mapping: None,
            projects_cost: Some(ProjectsCost {
                rate_limit: "90/120".into(),
                observe_waited_secs: observe,
                apply_paced_secs: apply,
                ..ProjectsCost::default()
            }),
            observation: None,
        }
    }

    #[test]
    fn a_plan_waiting_longer_than_the_bound_is_refused() {
        let bounded = args(&["--max-paced-duration", "10m"]);
        assert!(over_paced_bound(&bounded, &plan_waiting(60, 540)).is_none());
        let why = over_paced_bound(&bounded, &plan_waiting(60, 541)).expect("refused");
        assert!(
            why.contains("about 601 s") && why.contains("600 s"),
            "{why}"
        );
        assert!(over_paced_bound(&args(&[]), &plan_waiting(0, 100_000)).is_none());
    }
}
