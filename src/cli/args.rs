//! The arguments of the `plan` and `apply` verbs, apart from the verbs themselves, so that
//! what runs a kind through them (`kinds.rs` and each kind's module) depends on their
//! arguments and not on the verbs.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::duration::parse_duration;
use super::lease::LockArgs;

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

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `projectlink plan -o FILE`; applied only if still current.
    #[arg(
        value_name = "PLAN",
        conflicts_with = "files",
        required_unless_present = "files"
    )]
    pub saved_plan: Option<PathBuf>,
    /// Spec files (YAML); a directory stands for its .yaml and .yml files, `-` for stdin.
    #[arg(short = 'f', long = "file", value_name = "FILE", num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Apply without asking for confirmation (required when stdin is not a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow deletions of what the spec no longer declares.
    #[arg(long)]
    pub prune: bool,
    /// Allow destructive changes (portal change) and plans over policy.maxChangePercent.
    #[arg(long)]
    pub force: bool,
    /// Refuse (exit 3) a plan whose Zoho Projects calls would wait longer than this under the
    /// rate limit (--projects-rate-limit), e.g. `30m`, `90s`, `2h`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_paced_duration: Option<std::time::Duration>,
    #[command(flatten)]
    pub lock: LockArgs,
}
