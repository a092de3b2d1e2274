//! Thin entry point: parse arguments, run the chosen verb, map the outcome to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = projectlink::cli::Cli::parse();
    std::process::ExitCode::from(projectlink::cli::run(cli))
}
