//! `projectlink plan`: show what apply would change, as text, markdown or JSON, and
//! optionally save it for `apply plan.json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::workflow::{load_specs, plan_integration};
use super::{GlobalArgs, exit, office365, office365_saved};
use crate::plan::planner::PlanOptions;
use crate::plan::render::{json::PlanDocument, markdown, text};
use crate::spec::{LoadedIntegration, LoadedOffice365};

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
    for integration in &specs.integrations {
        let planned = plan_projects(global, args, &options, integration, out, err).await?;
        code = super::combine_exit_codes(code, planned.code);
        documents.extend(planned.document);
    }
    let mut json_documents: Vec<serde_json::Value> = documents
        .iter()
        .map(|d| serde_json::from_str(&d.to_json()))
        .collect::<Result<_, _>>()?;
    for loaded in &specs.office365 {
        let planned = plan_office365(global, args, &options, loaded, out, err).await?;
        code = super::combine_exit_codes(code, planned.code);
        json_documents.extend(planned.document);
    }
    if args.format == Format::Json {
        let text = match (documents.as_slice(), json_documents.as_slice()) {
            ([one], [_]) => one.to_json(),
            (_, [one]) => serde_json::to_string_pretty(one)?,
            (_, many) => serde_json::to_string_pretty(many)?,
        };
        writeln!(out, "{text}")?;
    }
    Ok(code)
}

/// One resource's plan as printed: its exit code, and its JSON document when the output is
/// JSON (printed together at the end, as one document or a list).
struct Printed<D> {
    code: u8,
    document: Option<D>,
}

/// The `Target: ...` line a plan prints, or on failure writes it to `err` first, so a
/// failed plan still says which target it was for.
fn target_line<T>(
    planned: anyhow::Result<T>,
    notice: &[u8],
    err: &mut dyn Write,
) -> anyhow::Result<(T, String)> {
    match planned {
        Ok(planned) => Ok((
            planned,
            String::from_utf8_lossy(notice).trim_end().to_string(),
        )),
        Err(e) => {
            err.write_all(notice)?;
            Err(e)
        }
    }
}

/// Plans one Projects integration, prints it as text or markdown (JSON is kept for the
/// end) and saves it for `-o`.
async fn plan_projects(
    global: &GlobalArgs,
    args: &PlanArgs,
    options: &PlanOptions,
    integration: &LoadedIntegration,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Printed<PlanDocument>> {
    let mut notice = Vec::new();
    let planned = plan_integration(global, integration, options, &mut notice).await;
    let (planned, target_line) = target_line(planned, &notice, err)?;
    let document = PlanDocument::new(
        &planned.connected.id,
        &planned.desired,
        &planned.connection,
        options,
        &planned.plan,
    );
    let mut json = None;
    match args.format {
        Format::Text => {
            writeln!(out, "{target_line}\n")?;
            write!(
                out,
                "{}",
                text::render(&planned.plan, global.stdout_color())
            )?;
        }
        Format::Markdown => {
            let target = target_line.trim_start_matches("Target: ");
            write!(out, "{}", markdown::render(&planned.plan, target))?;
        }
        Format::Json => {
            writeln!(err, "{target_line}")?;
            json = Some(document.clone());
        }
    }
    if let Some(path) = &args.out {
        save(path, &document.to_json(), err)?;
    }
    Ok(Printed {
        code: exit_code(&planned.plan, args.detailed_exitcode),
        document: json,
    })
}

/// Plans one Office 365 integration, prints it (JSON is kept for the end) and saves it for
/// `-o`.
async fn plan_office365(
    global: &GlobalArgs,
    args: &PlanArgs,
    options: &PlanOptions,
    loaded: &LoadedOffice365,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<Printed<serde_json::Value>> {
    let mut notice = Vec::new();
    let planned = office365::plan_office365(global, loaded, options, &mut notice).await;
    let (planned, target_line) = target_line(planned, &notice, err)?;
    let mut json = Vec::new();
    office365::print_plan(&planned, args.format, &target_line, out, err, &mut json)?;
    if let Some(path) = &args.out {
        let saved =
            office365_saved::saved_plan(&planned, loaded.name(), &loaded.resource.spec, options);
        save(path, &saved.to_json(), err)?;
    }
    Ok(Printed {
        code: exit_code(&planned.plan, args.detailed_exitcode),
        document: json.pop(),
    })
}

/// Writes a plan for `projectlink apply FILE` and says how to apply it.
fn save(path: &Path, json: &str, err: &mut dyn Write) -> anyhow::Result<()> {
    std::fs::write(path, json)
        .with_context(|| format!("cannot write the plan to {}", path.display()))?;
    writeln!(
        err,
        "Saved the plan to {}; apply it with `projectlink apply {}`.",
        path.display(),
        path.display()
    )?;
    Ok(())
}

/// The exit code of a plan of either kind (the engine's: 1 with errors, 3 refused, 2 for
/// changes with `--detailed-exitcode`, else 0).
pub use crate::engine::kind::plan_exit_code as exit_code;
