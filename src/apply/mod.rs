//! The executor: runs a plan's changes in dependency order through the client traits,
//! batched to the APIs' limits and with bounded concurrency. Every step is idempotent (it
//! looks up by natural key before creating, and treats "already there" as done), it keeps
//! going past independent failures, and its report says exactly what was and was not done.

mod data_ops;
mod executor;
pub mod journal;
pub mod kind;
pub mod lease;
mod linked_projects;
mod ops;
pub mod report;

pub use executor::{ApplyOptions, NoProgress, ProgressSink, execute};
pub use report::{ApplyReport, ChangeOutcome, OutcomeStatus};
