//! What the `plan` and `apply` verbs need of each kind, so both verbs run one path for every
//! kind: plan and show the plan, save it for `-o`, then apply what was shown under the org's
//! lease. A kind's command line is an implementation of [`CliKind`]; the engine's gate and
//! exit codes decide the rest.

use std::future::Future;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::GlobalArgs;
use super::args::ApplyArgs;
use super::args::{Format, PlanArgs};
use super::office365::{self, Planned365};
use super::workflow::{Planned, plan_integration};
use crate::engine::kind::{KindPlan, plan_exit_code};
use crate::plan::planner::PlanOptions;
use crate::plan::render::{json::PlanDocument, markdown, text};
use crate::spec::{LoadedIntegration, LoadedOffice365};

/// A plan as one format shows it.
pub(super) enum Shown {
    /// Text or markdown, printed as it comes.
    Text(String),
    /// A JSON document, printed with the others at the end.
    Json(serde_json::Value),
}

/// One kind on the command line.
pub(super) trait CliKind {
    /// A resource of the kind as its spec file held it.
    type Loaded;
    /// The resource connected, observed and planned.
    type Planned;
    type Plan: KindPlan;

    /// Connects, observes and plans; the `Target: ...` line goes to `notice`.
    fn plan(
        global: &GlobalArgs,
        loaded: &Self::Loaded,
        options: &PlanOptions,
        notice: &mut Vec<u8>,
    ) -> impl Future<Output = anyhow::Result<Self::Planned>>;

    fn plan_of(planned: &Self::Planned) -> &Self::Plan;

    /// The plan in `format`; `target` is the target line, without `Target: `. JSON is the
    /// plan as saved, made with `options`.
    fn show(
        context: (&GlobalArgs, &PlanOptions),
        planned: &Self::Planned,
        format: Format,
        target: &str,
    ) -> Shown;

    /// The plan saved for `projectlink apply FILE`, as JSON.
    fn saved(planned: &Self::Planned, loaded: &Self::Loaded, options: &PlanOptions) -> String;

    /// Applies the plan already shown: the gate, confirmation, the lease, the apply and its
    /// report; the exit code.
    fn apply(
        global: &GlobalArgs,
        args: &ApplyArgs,
        loaded: &Self::Loaded,
        planned: Self::Planned,
        io: (&mut dyn Write, &mut dyn Write),
    ) -> impl Future<Output = anyhow::Result<u8>>;
}

/// One resource's plan as printed: its exit code, and its JSON document when the output is
/// JSON (printed together at the end, as one document or a list).
pub(super) struct Printed {
    pub(super) code: u8,
    pub(super) document: Option<serde_json::Value>,
}

/// The planned resource and its target line; on failure the target line is written to `err`
/// first, so a failed plan still says which target it was for.
async fn planned<K: CliKind>(
    global: &GlobalArgs,
    loaded: &K::Loaded,
    options: &PlanOptions,
    err: &mut dyn Write,
) -> anyhow::Result<(K::Planned, String)> {
    let mut notice = Vec::new();
    match K::plan(global, loaded, options, &mut notice).await {
        Ok(planned) => Ok((
            planned,
            String::from_utf8_lossy(&notice).trim_end().to_string(),
        )),
        Err(e) => {
            err.write_all(&notice)?;
            Err(e)
        }
    }
}

/// `plan` of one resource: plans it, prints it (JSON is kept for the end) and saves it for
/// `-o`.
pub(super) async fn plan_one<K: CliKind>(
    global: &GlobalArgs,
    args: &PlanArgs,
    options: &PlanOptions,
    loaded: &K::Loaded,
    (out, err): (&mut dyn Write, &mut dyn Write),
) -> anyhow::Result<Printed> {
    let (planned, target_line) = planned::<K>(global, loaded, options, err).await?;
    let target = target_line.trim_start_matches("Target: ");
    let mut document = None;
    match K::show((global, options), &planned, args.format, target) {
        Shown::Text(shown) => {
            if args.format == Format::Text {
                writeln!(out, "{target_line}\n")?;
            }
            write!(out, "{shown}")?;
        }
        Shown::Json(json) => {
            writeln!(err, "{target_line}")?;
            document = Some(json);
        }
    }
    if let Some(path) = &args.out {
        save(path, &K::saved(&planned, loaded, options), err)?;
    }
    Ok(Printed {
        code: plan_exit_code(K::plan_of(&planned), args.detailed_exitcode),
        document,
    })
}

/// `apply -f` of one resource: plans it, shows the plan and applies it.
pub(super) async fn apply_one<K: CliKind>(
    global: &GlobalArgs,
    args: &ApplyArgs,
    options: &PlanOptions,
    loaded: &K::Loaded,
    (out, err): (&mut dyn Write, &mut dyn Write),
) -> anyhow::Result<u8> {
    let (planned, target_line) = planned::<K>(global, loaded, options, err).await?;
    writeln!(out, "{target_line}\n")?;
    if let Shown::Text(shown) = K::show((global, options), &planned, Format::Text, "") {
        write!(out, "{shown}")?;
    }
    K::apply(global, args, loaded, planned, (out, err)).await
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

/// The `ProjectsIntegration` kind.
pub(super) struct Projects;

fn document(planned: &Planned, options: &PlanOptions) -> PlanDocument {
    PlanDocument::new(
        &planned.connected.id,
        &planned.desired,
        &planned.connection,
        options,
        &planned.plan,
    )
}

impl CliKind for Projects {
    type Loaded = LoadedIntegration;
    type Planned = Planned;
    type Plan = crate::plan::Plan;

    async fn plan(
        global: &GlobalArgs,
        loaded: &LoadedIntegration,
        options: &PlanOptions,
        notice: &mut Vec<u8>,
    ) -> anyhow::Result<Planned> {
        plan_integration(global, loaded, options, notice).await
    }

    fn plan_of(planned: &Planned) -> &crate::plan::Plan {
        &planned.plan
    }

    fn show(
        (global, options): (&GlobalArgs, &PlanOptions),
        planned: &Planned,
        format: Format,
        target: &str,
    ) -> Shown {
        let plan = &planned.plan;
        match format {
            Format::Text => Shown::Text(text::render(plan, global.stdout_color())),
            Format::Markdown => Shown::Text(markdown::render(plan, target)),
            Format::Json => {
                let json = document(planned, options);
                Shown::Json(serde_json::to_value(json).expect("plans serialize"))
            }
        }
    }

    fn saved(planned: &Planned, _: &LoadedIntegration, options: &PlanOptions) -> String {
        document(planned, options).to_json()
    }

    async fn apply(
        global: &GlobalArgs,
        args: &ApplyArgs,
        _: &LoadedIntegration,
        planned: Planned,
        (out, err): (&mut dyn Write, &mut dyn Write),
    ) -> anyhow::Result<u8> {
        super::projects_apply::apply_planned(global, args, &planned, out, err).await
    }
}

/// The `Office365Integration` kind.
pub(super) struct Office365;

impl CliKind for Office365 {
    type Loaded = LoadedOffice365;
    type Planned = Planned365;
    type Plan = crate::office365::SyncPlan;

    async fn plan(
        global: &GlobalArgs,
        loaded: &LoadedOffice365,
        options: &PlanOptions,
        notice: &mut Vec<u8>,
    ) -> anyhow::Result<Planned365> {
        office365::plan_office365(global, loaded, options, notice).await
    }

    fn plan_of(planned: &Planned365) -> &crate::office365::SyncPlan {
        &planned.plan
    }

    fn show(
        _: (&GlobalArgs, &PlanOptions),
        planned: &Planned365,
        format: Format,
        _: &str,
    ) -> Shown {
        use crate::office365::render;
        match format {
            Format::Text => Shown::Text(render::text(&planned.plan)),
            Format::Markdown => Shown::Text(render::markdown(&planned.plan)),
            Format::Json => Shown::Json(render::json(&planned.plan)),
        }
    }

    fn saved(planned: &Planned365, loaded: &LoadedOffice365, options: &PlanOptions) -> String {
        let spec = &loaded.resource.spec;
        super::office365_saved::saved_plan(planned, loaded.name(), spec, options).to_json()
    }

    async fn apply(
        global: &GlobalArgs,
        args: &ApplyArgs,
        loaded: &LoadedOffice365,
        planned: Planned365,
        (out, err): (&mut dyn Write, &mut dyn Write),
    ) -> anyhow::Result<u8> {
        office365::apply_planned(global, args, loaded, planned, out, err).await
    }
}
