//! `projectlink plan`: show what apply would change, as text, markdown or JSON, and
//! optionally save it for `apply plan.json`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::kinds::{Office365, Projects, plan_one};
use super::workflow::load_specs;
use super::{GlobalArgs, exit};
use crate::plan::planner::PlanOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Spec files (YAML); a directory stands for its .yaml and .yml files, `-` for stdin.
    #[arg(short = 'f', long = "file", value_name = "FILE", required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Output format: text for people, markdown for pull-request comments, json for tools.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also save the plan (JSON) for `projectlink apply FILE`.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit with 2 when there are changes (0 = none, 1 = error, 3 = refused).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan deletions of what the spec no longer declares.
    #[arg(long)]
    pub prune: bool,
    /// Plan as if destructive and large changes were allowed.
    #[arg(long)]
    pub force: bool,
}

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
