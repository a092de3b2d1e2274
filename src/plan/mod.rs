//! The planner: a pure, deterministic function from (desired, observed, options) to a
//! [`Plan`] — typed changes with an action, a reason and before/after — plus its safety
//! checks and its renderers. It performs no I/O, reads no clock and draws no random numbers.

mod access;
mod binding;
pub mod cost;
pub mod data_plane;
pub mod diagnostics;
pub mod estimate;
pub mod field_map;
pub mod field_values;
pub mod live_checks;
pub mod model;
mod module_plan;
pub mod planner;
pub mod render;
pub mod safety;
pub mod write_batches;

// The desired state and the link module's fields live in `domain`, below `live` and `plan`.
pub use crate::domain::{desired, link_module};
pub use desired::{Desired, DesiredModule, DesiredProfile, FieldMapping, MapDirection};
pub use diagnostics::{DiagnosticCode, PlanDiagnostic, Severity};
pub use model::*;
pub use planner::plan;

#[cfg(test)]
mod tests;
