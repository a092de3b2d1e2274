//! Thin entry point: parse arguments, run the chosen verb, map the outcome to an exit code.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
