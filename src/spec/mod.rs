//! Desired state: the `ProjectsIntegration` kind as Rust types (serde, JSON Schema, CRD),
//! loading spec files with positions, and the static validation that runs before any
//! network call.

pub mod catalog;
pub mod diagnostic;
pub mod document;
pub mod load;
pub mod names;
pub mod path;
pub mod positions;
mod read_errors;
pub mod schema;
pub mod status;
pub mod types;
pub mod validate;

pub use catalog::{SUPPORTED_MODULES, SupportedModule, supported_module};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use document::{API_VERSION, IntegrationDocument, KIND_PROJECTS_INTEGRATION};
pub use load::{
    LoadReport, LoadedIntegration, SourceFile, load_files, load_files_report, load_str,
    load_str_report,
};
pub use path::FieldPath;
pub use positions::{DocumentPositions, Position};
pub use schema::{crd, crd_yaml, json_schema, json_schema_text};
pub use status::{PlanSummaryStatus, ProjectsIntegrationStatus};
pub use types::*;
pub use validate::{Finding, validate_resource, validate_spec};
