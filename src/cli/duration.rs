//! Why a duration flag (`--interval`, `--max-paced-duration`, `--full-resync-every`, ...)
//! was refused. Each flag keeps its own grammar and examples; clap prints this error after
//! the flag's name.

/// A duration flag's value that does not parse, with the examples of the flag's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("{text:?} is not a duration {examples}")]
    Malformed {
        text: String,
        examples: &'static str,
    },
    #[error("{text:?} is not a positive duration {examples}")]
    NotPositive {
        text: String,
        examples: &'static str,
    },
    #[error("{text:?} is longer than a year")]
    TooLong { text: String },
}
