//! `projectlink apply`: plan, confirm, execute, report, for every kind (`kinds.rs`). Also
//! applies a saved plan (`apply plan.json`) after checking that what it read has not
//! changed since.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

pub use super::args::ApplyArgs;
use super::kinds::{Office365, Projects, apply_one};
use super::workflow::load_specs;
use super::{GlobalArgs, exit, office365_saved};
use crate::plan::planner::PlanOptions;

pub async fn run(
    global: &GlobalArgs,
    args: &ApplyArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    if let Some(path) = &args.saved_plan {
        return apply_saved(global, args, path, out, err).await;
    }
    let specs = load_specs(&args.files, err, global.stderr_color())?;
    let options = PlanOptions {
        prune: args.prune,
        force: args.force,
    };
    let mut code = exit::OK;
    for loaded in &specs.integrations {
        let result = apply_one::<Projects>(global, args, &options, loaded, (out, err)).await?;
        code = super::combine_exit_codes(code, result);
    }
    for loaded in &specs.office365 {
        let result = apply_one::<Office365>(global, args, &options, loaded, (out, err)).await?;
        code = super::combine_exit_codes(code, result);
    }
    Ok(code)
}

async fn apply_saved(
    global: &GlobalArgs,
    args: &ApplyArgs,
    path: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the saved plan {}", path.display()))?;
    if office365_saved::is_office365_plan(&text) {
        return office365_saved::apply_saved(global, args, path, &text, out, err).await;
    }
    super::projects_apply::apply_saved(global, args, path, &text, out, err).await
}
