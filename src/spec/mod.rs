//! Desired state: the `ProjectsIntegration` and `Office365Integration` kinds as Rust types
//! (serde, JSON Schema, CRD), loading spec files with positions, and the static validation
//! that runs before any network call.

pub mod catalog;
pub mod diagnostic;
pub mod document;
pub mod limits;
pub mod load;
pub mod names;
pub mod office365;
pub mod path;
pub mod positions;
mod read;
mod read_errors;
mod scalars;
mod scan;
pub mod schema;
pub mod status;
pub mod types;
mod typing;
pub mod validate;

pub use catalog::{SUPPORTED_MODULES, SupportedModule, supported_module};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use document::{
    API_VERSION, IntegrationDocument, KIND_OFFICE365_INTEGRATION, KIND_PROJECTS_INTEGRATION, Kind,
    Office365Document, SpecKind,
};
pub use limits::{LIMITS, Limits};
pub use load::{
    LoadReport, Loaded, LoadedIntegration, LoadedOffice365, LoadedSummary, SourceFile, load_files,
    load_files_report, load_str, load_str_report,
};
pub use office365::validate::{validate_office365_resource, validate_office365_spec};
pub use office365::{
    CalendarSyncSpec, ContactFieldMap, ContactsSyncSpec, InvitedUser, OFFICE365_CONTACT_FIELDS,
    Office365Connection, Office365Integration, Office365IntegrationSpec,
    Office365IntegrationStatus, Office365PlanSummary, SyncDirection, SyncPolicy,
    default_contact_field_map,
};
pub use path::FieldPath;
pub use positions::{DocumentPositions, Position};
pub use schema::{
    crd, crd_of, crd_yaml, crd_yaml_of, crds_yaml, json_schema, json_schema_of, json_schema_text,
    json_schema_text_of,
};
pub use status::{PlanSummaryStatus, ProjectsIntegrationStatus};
pub use types::*;
pub use validate::{Finding, validate_resource, validate_spec};
