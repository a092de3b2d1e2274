//! Plan diagnostics: problems found against live metadata (a mapped field that does not
//! exist, a portal that is not visible, ...), reported all at once with a hint. The type is
//! the engine's, shared with every kind; the Projects names stay for the planner's code.

pub use crate::engine::diagnostic::{Diagnostic as PlanDiagnostic, DiagnosticCode, Severity};
