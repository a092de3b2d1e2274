//! Thin entry point: parse arguments, run the chosen verb, map the outcome to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = match projectlink::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            // Help and version are successes; usage errors must not exit 2, which CI reads
            // as "changes present".
            let code = if error.use_stderr() {
                projectlink::cli::exit::ERROR
            } else {
                projectlink::cli::exit::OK
            };
            return std::process::ExitCode::from(code);
        }
    };
    std::process::ExitCode::from(projectlink::cli::run(cli))
}
