//! Desired state: the `ProjectsIntegration` kind as Rust types (serde, JSON Schema, CRD),
//! loading spec files with positions, and the static validation that runs before any
//! network call.

pub mod catalog;
pub mod document;
pub mod schema;
pub mod status;
pub mod types;

pub use catalog::{SUPPORTED_MODULES, SupportedModule, supported_module};
pub use document::{API_VERSION, IntegrationDocument, KIND_PROJECTS_INTEGRATION};
pub use schema::{crd, crd_yaml, json_schema, json_schema_text};
pub use status::{PlanSummaryStatus, ProjectsIntegrationStatus};
pub use types::*;
