//! Saved plans of the Office 365 kind. `plan -o FILE` writes the spec and options, the target,
//! what the plan read (fingerprints) and the plan as shown, sealed (`engine::saved`). `apply
//! FILE` reconnects, refuses an edited file, a stale plan (CRM or Office 365 changed what it
//! read) or one its spec no longer plans the same way, and applies under the org's lease.

use std::io::Write;
use std::path::Path;

use anyhow::bail;

use super::args::ApplyArgs;
use super::office365::{Planned365, Recheck, apply_under_lease, plan_spec};
use super::{GlobalArgs, exit};
use crate::engine::saved::{SavedOptions, SavedPlan, check_fresh, kind_of};
use crate::office365::fingerprint::fingerprints;
use crate::office365::render;
use crate::office365::safety::review;
use crate::plan::planner::PlanOptions;
use crate::spec::{KIND_OFFICE365_INTEGRATION, Office365IntegrationSpec};

/// An Office 365 saved plan: the spec, and the plan's JSON rendering as shown.
pub type Saved365 = SavedPlan<Office365IntegrationSpec, serde_json::Value>;

/// Whether `text` is a saved plan of the Office 365 kind.
pub fn is_office365_plan(text: &str) -> bool {
    kind_of(text).as_deref() == Some(KIND_OFFICE365_INTEGRATION)
}

/// The saved plan of what `plan -f` just planned for the resource `name`.
pub fn saved_plan(
    planned: &Planned365,
    name: &str,
    spec: &Office365IntegrationSpec,
    options: &PlanOptions,
) -> Saved365 {
    SavedPlan::new(
        KIND_OFFICE365_INTEGRATION,
        &planned.connected.id,
        name,
        spec.clone(),
        SavedOptions {
            prune: options.prune,
            force: options.force,
        },
        fingerprints(&planned.observed),
        shown(planned),
    )
}

/// The plan as `plan --format json` shows it.
fn shown(planned: &Planned365) -> serde_json::Value {
    render::json(&planned.plan)["plan"].clone()
}

/// `apply FILE` of an Office 365 saved plan whose content is `text`.
pub async fn apply_saved(
    global: &GlobalArgs,
    args: &ApplyArgs,
    path: &Path,
    text: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let saved = Saved365::from_json(text, KIND_OFFICE365_INTEGRATION)
        .map_err(|e| anyhow::anyhow!("{} is not a usable plan: {e}", path.display()))?;
    let options = PlanOptions {
        prune: saved.options.prune,
        force: saved.options.force,
    };
    let mut notice = Vec::new();
    let planned = plan_spec(global, &saved.name, &saved.spec, &options, &mut notice).await;
    out.write_all(&notice)?;
    let mut planned = planned?;
    writeln!(out)?;
    if planned.connected.id != saved.target {
        bail!(
            "the plan was made against {} but this run targets {}; plan again against this target",
            saved.target,
            planned.connected.id
        );
    }
    if let Err(stale) = check_fresh(&saved.fingerprints, &fingerprints(&planned.observed)) {
        writeln!(err, "{stale}")?;
        return Ok(exit::ERROR);
    }
    // The seal catches edits, not a forger who recomputes it: the spec the file carries must
    // still plan exactly what the file shows, so what runs is what was reviewed.
    if shown(&planned) != saved.plan {
        writeln!(
            err,
            "The saved plan {} does not match what its spec plans against the live state. Run `projectlink plan` again.",
            path.display()
        )?;
        return Ok(exit::ERROR);
    }
    write!(out, "{}", render::text(&planned.plan))?;
    // The saved plan was reviewed with its own options; --force/--prune may still lift a refusal.
    if args.force || args.prune {
        planned.desired.policy.force |= args.force;
        planned.desired.policy.prune |= args.prune;
        planned.plan.refusal = review(&planned.plan, &planned.observed, &planned.desired.policy);
    }
    let recheck = Recheck::Saved(&saved.fingerprints);
    apply_under_lease(global, args, recheck, planned, out, err).await
}
