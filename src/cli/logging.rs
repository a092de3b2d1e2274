//! Log set-up for every verb and the operator: `tracing` to standard error, in text or JSON
//! lines, filtered by `-v` (or the operator's level and `--api-log`) unless `RUST_LOG` says
//! otherwise. API calls log under their own target, `projectlink::api`: one line per call at
//! info, the bodies (secrets hidden) at debug.

use clap::ValueEnum;

/// The target of the per-call log lines (see `zoho::call_log`).
pub const API_TARGET: &str = "projectlink::api";
/// The target of progress lines and wait notices when they are log events.
pub const PROGRESS_TARGET: &str = "projectlink::progress";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// How much the operator logs of its API calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApiLog {
    /// Nothing (its waits and errors are still logged).
    Off,
    /// One line per call: method, path, status, duration, attempt.
    Calls,
    /// Each call and its request and answer bodies, secrets hidden.
    Bodies,
}

/// The CLI's filter: warnings only, `-v` info (each API call), `-vv` debug (bodies too),
/// `-vvv` trace; progress and waits (log events only in JSON mode) always.
pub fn cli_filter(verbose: u8) -> String {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    format!("projectlink={level},{PROGRESS_TARGET}=info,warn")
}

/// The operator's filter: its own level, and its API calls only as `api` asks.
pub fn operator_filter(level: &str, api: ApiLog) -> String {
    let calls = match api {
        ApiLog::Off => "warn",
        ApiLog::Calls => "info",
        ApiLog::Bodies => "debug",
    };
    format!("projectlink={level},{API_TARGET}={calls},warn")
}

/// Installs the subscriber; `RUST_LOG`, when set, replaces `default_filter`.
pub fn init(default_filter: &str, format: LogFormat, ansi: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.with_ansi(false).json().try_init(),
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
    };
    use super::progress::{Mode, set_mode};
    set_mode(if format == LogFormat::Json {
        Mode::Events
    } else if tracing::enabled!(target: "projectlink::api", tracing::Level::INFO) {
        Mode::Plain
    } else {
        Mode::Auto
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_and_the_operator_option_choose_what_is_logged() {
        assert_eq!(
            cli_filter(0),
            "projectlink=warn,projectlink::progress=info,warn"
        );
        assert_eq!(
            cli_filter(1),
            "projectlink=info,projectlink::progress=info,warn"
        );
        assert_eq!(
            cli_filter(2),
            "projectlink=debug,projectlink::progress=info,warn"
        );
        assert_eq!(
            cli_filter(7),
            "projectlink=trace,projectlink::progress=info,warn"
        );
        assert_eq!(
            operator_filter("info", ApiLog::Off),
            "projectlink=info,projectlink::api=warn,warn"
        );
        assert_eq!(
            operator_filter("warn", ApiLog::Bodies),
            "projectlink=warn,projectlink::api=debug,warn"
        );
        for filter in [cli_filter(2), operator_filter("info", ApiLog::Calls)] {
            assert!(
                tracing_subscriber::EnvFilter::try_new(&filter).is_ok(),
                "{filter}"
            );
        }
    }
}
