//! Command-line front-end: argument parsing into validated settings, one module per verb,
//! and the mapping from outcomes to exit codes CI can rely on.

pub mod apply;
mod args;
pub mod completions;
mod confirm;
pub mod crd;
pub mod doctor;
pub mod duration;
pub mod export;
mod kinds;
pub mod lease;
pub mod logging;
pub mod man;
pub mod observation;
pub mod office365;
pub mod office365_saved;
pub mod operator;
pub mod plan;
pub mod progress;
mod projects_apply;
pub mod sandbox;
pub mod schema;
pub mod target;
pub mod validate;
pub mod version;
pub mod workflow;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::zoho::redact::redact_urls_in;

/// Exit codes (DESIGN.md §4).
/// The exit codes, the same for every kind (the engine's).
pub use crate::engine::kind::exit;

/// Combines the exit codes of several resources: an error outweighs a refusal, which
/// outweighs pending changes.
pub use crate::engine::kind::combine as combine_exit_codes;

const AFTER_HELP: &str = "\
Exit codes: 0 success or no changes, 1 error, 2 changes present (plan --detailed-exitcode),
3 plan refused as unsafe.

Target: Zoho when credentials are configured (ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET,
ZOHO_REFRESH_TOKEN, or a credentials file), otherwise the embedded sandbox, a local Zoho
stand-in kept in <state-dir>/sandbox.db. --target URL points at a running sandbox.";

/// Keep the Zoho CRM <-> Zoho Projects integration as code: validate, plan, apply, export.
#[derive(Debug, Parser)]
#[command(
    name = "projectlink",
    version = version::SHORT,
    long_version = version::LONG,
    about,
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every verb understands.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Base URL of a running sandbox (`projectlink sandbox serve`) to use as the target.
    #[arg(long, global = true, value_name = "URL", env = "PROJECTLINK_TARGET")]
    pub target: Option<String>,
    /// Credentials file (YAML, one entry per secretRef name); default
    /// ~/.config/projectlink/credentials.yaml.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "PROJECTLINK_CREDENTIALS"
    )]
    pub credentials: Option<PathBuf>,
    /// Folder for local state: the embedded sandbox database, the last apply's journal and
    /// the observation cache.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = ".projectlink",
        env = "PROJECTLINK_STATE_DIR"
    )]
    pub state_dir: PathBuf,
    /// Most API requests in flight at once (Zoho's edition limits are 5 to 25).
    #[arg(long, global = true, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=25))]
    pub concurrency: u16,
    /// Zoho Projects calls allowed per API, user and window [default: 90/120]. Zoho locks an
    /// API for a quarter of an hour past about 100 calls in 2 minutes; projectlink waits
    /// instead. For `sandbox serve`: what the sandbox enforces [default: 100/120]
    #[arg(
        long,
        global = true,
        value_name = "N/SECS",
        env = "PROJECTLINK_PROJECTS_RATE_LIMIT"
    )]
    pub projects_rate_limit: Option<crate::zoho::pacing::RateLimit>,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// More detail on standard error: -v logs each API call (method, path, status, duration,
    /// attempt), -vv adds the bodies, -vvv traces. Secrets are never logged. RUST_LOG
    /// overrides it.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log line format on standard error.
    #[arg(long, global = true, value_enum, default_value_t = logging::LogFormat::Text, env = "PROJECTLINK_LOG_FORMAT")]
    pub log_format: logging::LogFormat,
    #[command(flatten)]
    pub observation: observation::ObservationArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl GlobalArgs {
    /// The pace of Zoho Projects calls: `--projects-rate-limit`, else 90/120.
    pub fn projects_pace(&self) -> crate::zoho::pacing::RateLimit {
        self.projects_rate_limit.unwrap_or_default()
    }

    /// Whether standard output gets ANSI colours.
    pub fn stdout_color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }

    /// Whether standard error gets ANSI colours.
    pub fn stderr_color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check spec files without contacting Zoho.
    Validate(validate::ValidateArgs),
    /// Show what apply would change.
    Plan(plan::PlanArgs),
    /// Make the live integration match the spec (or apply a saved plan).
    Apply(apply::ApplyArgs),
    /// Check, read-only, that the spec's org and credentials will work.
    ///
    /// Refreshes each grant, compares its scopes with what the spec's features need, checks
    /// the acting user's admin rights, the edition and credits left, the Projects portal,
    /// role and which API (V3 or legacy) answers, and calls every endpoint projectlink reads
    /// once to check its answer's shape; for Office 365, the app's Graph permissions and the
    /// calendar window. Exit 0 all good, 1 something will fail, 2 warnings only.
    Doctor(doctor::DoctorArgs),
    /// Write the live integration as a spec.
    ///
    /// A ProjectsIntegration read from the CRM org's projectlink marker (the default), or with
    /// `--kind office365` an Office365Integration read from the Office 365 sync state saved in
    /// CRM and the tenant's users. Planning the exported spec shows no changes; a header
    /// comment says what was read where and what the live systems cannot tell.
    Export(export::ExportArgs),
    /// Run or generate data for the sandbox, a local Zoho stand-in.
    Sandbox(sandbox::SandboxArgs),
    /// Print the JSON Schema of the spec, for editors.
    Schema(schema::SchemaArgs),
    /// Print the CustomResourceDefinitions (crds/ is generated from this).
    Crd(crd::CrdArgs),
    /// Reconcile ProjectsIntegration resources from inside Kubernetes.
    Operator(operator::OperatorArgs),
    /// Print the shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one per verb with --out-dir.
    Man(man::ManArgs),
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    // Unlocked handles: holding the stderr lock for the whole run would block the log
    // output of every other thread (a deadlock at -vv and above).
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let Cli { global, command } = cli;
    // The operator sets up its own logging (JSON lines, its own level option).
    if !matches!(command, Command::Operator(_)) {
        init_logging(&global);
    }
    let result = match command {
        Command::Validate(args) => validate::run(&args, &mut out, &mut err, global.stderr_color()),
        Command::Schema(args) => schema::run(&args, &mut out, &mut err, false),
        Command::Crd(args) => crd::run(&args, &mut out, &mut err, false),
        Command::Plan(args) => block_on(plan::run(&global, &args, &mut out, &mut err)),
        Command::Apply(args) => block_on(apply::run(&global, &args, &mut out, &mut err)),
        Command::Export(args) => block_on(export::run(&global, &args, &mut out, &mut err)),
        Command::Doctor(args) => block_on(doctor::run(&global, &args, &mut out, &mut err)),
        Command::Sandbox(args) => {
            let limit = global.projects_rate_limit.map(|l| l.to_string());
            let state_dir = &global.state_dir;
            block_on(async { sandbox::run(args, limit, state_dir).await.map(|_| exit::OK) })
        }
        Command::Completions(args) => completions::run(&args, &mut out),
        Command::Man(args) => man::run(&args, &mut out, &mut err),
        Command::Operator(args) => {
            block_on(async { operator::run(&global, &args).await.map(|_| exit::OK) })
        }
    };
    let _ = out.flush();
    match result {
        Ok(code) => code,
        Err(error) => {
            // Spec diagnostics were printed in full already; only their summary remains.
            report_error(&mut err, &error, global.stderr_color());
            exit::ERROR
        }
    }
}

fn block_on<T>(future: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?
        .block_on(future)
}

/// Logs go to standard error; `-v` raises the level, `RUST_LOG` overrides it. Secrets are
/// never logged by any module, at any level.
fn init_logging(global: &GlobalArgs) {
    logging::init(
        &logging::cli_filter(global.verbose),
        global.log_format,
        global.stderr_color(),
    );
}

/// Prints an error with its chain of causes, the way users of CLI tools expect.
pub fn report_error(err: &mut dyn Write, error: &anyhow::Error, color: bool) {
    let label = if color {
        "\x1b[1;31merror:\x1b[0m"
    } else {
        "error:"
    };
    // Whatever a cause says, a URL in it never shows its credentials or query.
    let mut shown = error.to_string();
    let _ = writeln!(err, "{label} {}", redact_urls_in(&shown));
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        // Many errors write their cause into their own message: said once is enough.
        if shown.contains(&text) {
            continue;
        }
        let _ = writeln!(err, "  caused by: {}", redact_urls_in(&text));
        shown = text;
    }
}

#[cfg(test)]
mod report_tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the lease: {0}")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("connection failed")]
    struct Inner(#[source] std::io::Error);

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::other("reset by peer");
        let error = anyhow::Error::from(Outer(Inner(io)));
        let mut out = Vec::new();
        report_error(&mut out, &error, false);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "error: cannot read the lease: connection failed\n  caused by: reset by peer\n"
        );
    }
}
