//! `projectlink plan`: show what apply would change, as text, markdown or JSON, and
//! optionally save it for `apply plan.json`.

use std::io::Write;

use super::kinds::{Office365, Projects, plan_one};
use super::workflow::load_specs;
use super::{GlobalArgs, exit};
use crate::plan::planner::PlanOptions;

pub use super::args::{Format, PlanArgs};

pub async fn run(
    global: &GlobalArgs,
    args: &PlanArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let specs = load_specs(&args.files, err, global.stderr_color())?;
    if args.out.is_some() && specs.len() > 1 {
        anyhow::bail!(
            "-o saves one resource's plan; the files hold {} resource(s), plan them one at a time",
            specs.len()
        );
    }
    let options = PlanOptions {
        prune: args.prune,
        force: args.force,
    };
    let mut code = exit::OK;
    let mut documents = Vec::new();
    for loaded in &specs.integrations {
        let printed = plan_one::<Projects>(global, args, &options, loaded, (out, err)).await?;
        code = super::combine_exit_codes(code, printed.code);
        documents.extend(printed.document);
    }
    for loaded in &specs.office365 {
        let printed = plan_one::<Office365>(global, args, &options, loaded, (out, err)).await?;
        code = super::combine_exit_codes(code, printed.code);
        documents.extend(printed.document);
    }
    if args.format == Format::Json {
        let text = match documents.as_slice() {
            [one] => serde_json::to_string_pretty(one)?,
            many => serde_json::to_string_pretty(many)?,
        };
        writeln!(out, "{text}")?;
    }
    Ok(code)
}
