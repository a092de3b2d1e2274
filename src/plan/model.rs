//! The plan's data model: changes, their operations, the summary and the refusal, all
//! serializable so a saved plan (`plan -o plan.json`) can be applied later.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::diagnostics::{PlanDiagnostic, Severity};
pub use crate::domain::FieldSpec;
use crate::live::{Address, Marker, PermissionKind};

/// Version of the JSON plan format; bumped on incompatible changes (2: saved plans carry
/// their options and a seal of digests).
pub const FORMAT_VERSION: u32 = 2;

/// Emails sent per add-portal-users call (Zoho documents no maximum; the UI takes a
/// comma-separated list): how the executor batches `AddPortalUser` and how estimates count it.
pub const PORTAL_USERS_PER_ADD: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Take ownership of an existing object that matches what the spec declares.
    Adopt,
    NoOp,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Adopt => "adopt",
            Action::NoOp => "no-op",
        }
    }

    /// The sign used in text output, as in a diff.
    pub fn sign(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Delete => "-",
            Action::Adopt => "&",
            Action::NoOp => " ",
        }
    }
}

/// What the executor does for a change. Kept separate from the human-facing fields so the
/// executor never has to parse a reason or a before/after value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Create or overwrite the marker variable.
    WriteMarker {
        variable_id: Option<String>,
        marker: Marker,
    },
    /// Remove every link record, then bind the marker to a new portal (a new generation).
    RebindPortal {
        link_module: String,
        variable_id: Option<String>,
        marker: Marker,
    },
    /// Remove every link record (deactivation).
    RemoveLinkRecords { link_module: String },
    CreateLinkModule {
        api_name: String,
        singular_label: String,
        plural_label: String,
        description: String,
        /// Profiles given access at creation (Zoho requires at least one).
        profile_ids: Vec<String>,
    },
    CreateField {
        module: String,
        field: FieldSpec,
        tooltip: String,
    },
    /// Put the ownership marker on an existing field that matches the declared one.
    AdoptField {
        module: String,
        field_id: String,
        api_name: String,
        tooltip: String,
    },
    DeleteField {
        module: String,
        field_id: String,
        api_name: String,
    },
    /// Set a profile's permissions on the link module. Permission ids are resolved when the
    /// change runs, because a module created in the same apply has none at plan time.
    SetLinkPermissions {
        profile_id: String,
        profile_name: String,
        link_module: String,
        permissions: BTreeMap<PermissionKind, bool>,
    },
    AddPortalUser {
        portal_id: String,
        email: String,
        role: String,
    },
    /// Sets fields of one CRM record (client mapping, `ToCrm` field maps); batched per module.
    WriteRecordFields {
        module: String,
        record_id: String,
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// Writes one link record: by id when `record_id` is known, else upserted on `Project_Id`.
    UpsertLinkRecord {
        link_module: String,
        record_id: Option<String>,
        project_id: String,
        fields: serde_json::Map<String, serde_json::Value>,
    },
    /// Creates a project for a request or a deal, writes its link record back and adds the
    /// client company.
    CreateLinkedProject {
        portal_id: String,
        link_module: String,
        request: super::data_plane::ProjectRequest,
    },
    /// Adds a client company to a project: primary when the project has none.
    AddProjectClient {
        portal_id: String,
        project_id: String,
        client_id: String,
    },
    /// Records in the marker that the one-time client mapping ran (or was skipped).
    RecordClientMapping {
        variable_id: Option<String>,
        marker: Marker,
    },
    /// Adds existing portal users to a project (imports).
    AddProjectUsers {
        portal_id: String,
        project_id: String,
        emails: Vec<String>,
        role: String,
    },
    /// Adds a Contact as a client user of a client company, and to projects (imports).
    AddClientUser {
        portal_id: String,
        client_id: String,
        email: String,
        name: String,
        existing_user_id: Option<String>,
        project_ids: Vec<String>,
    },
}

impl Operation {
    /// Whether this operation belongs to the data plane (records, projects, clients).
    pub fn is_data_plane(&self) -> bool {
        matches!(
            self,
            Operation::WriteRecordFields { .. }
                | Operation::UpsertLinkRecord { .. }
                | Operation::CreateLinkedProject { .. }
                | Operation::AddProjectClient { .. }
                | Operation::RecordClientMapping { .. }
                | Operation::AddProjectUsers { .. }
                | Operation::AddClientUser { .. }
        )
    }

    /// API calls this operation needs on its own (before batching), for estimates.
    pub fn estimated_calls(&self) -> u64 {
        match self {
            Operation::WriteMarker { .. } => 1,
            // count, read ids page(s), delete batch(es), marker
            Operation::RebindPortal { .. } => 4,
            Operation::RemoveLinkRecords { .. } => 3,
            Operation::CreateLinkModule { .. } => 1,
            Operation::CreateField { .. } => 1,
            Operation::AdoptField { .. } => 1,
            Operation::DeleteField { .. } => 1,
            // read the profile for permission ids, then update it
            Operation::SetLinkPermissions { .. } => 2,
            Operation::AddPortalUser { .. } => 1,
            Operation::WriteRecordFields { .. } | Operation::UpsertLinkRecord { .. } => 1,
            // create, add the client, write the link record back, and the ToCrm writes
            Operation::CreateLinkedProject { request, .. } => {
                2 + u64::from(request.client_id.is_some()) + request.to_crm.len() as u64
            }
            Operation::AddProjectClient { .. } => 2,
            Operation::RecordClientMapping { .. } => 1,
            Operation::AddProjectUsers { .. } => 1,
            Operation::AddClientUser { project_ids, .. } => 1 + u64::from(!project_ids.is_empty()),
        }
    }
}

/// One planned change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
    /// Removes data or associations; listed first and gated by `--prune` / `--force`.
    pub destructive: bool,
    /// Changes that must succeed before this one runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    pub operation: Operation,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub adopt: usize,
    pub destructive: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Objects projectlink manages in the live systems (the base of `maxChangePercent`).
    pub managed_objects: usize,
    pub estimated_api_calls: u64,
    pub estimated_credits: u64,
}

impl Summary {
    pub fn total_changes(&self) -> usize {
        self.create + self.update + self.delete + self.adopt
    }
}

pub use crate::engine::safety::Refusal;

/// The outcome of planning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    /// `metadata.name` of the spec this plan is for.
    pub integration: String,
    /// Changes in execution order, destructive ones first where dependencies allow.
    pub changes: Vec<Change>,
    pub diagnostics: Vec<PlanDiagnostic>,
    pub summary: Summary,
    /// Set when the plan is unsafe to apply with the given options.
    pub refusal: Option<Refusal>,
    /// Digests of what was read, keyed by what they cover; a saved plan is stale when a
    /// fresh observation gives different digests.
    pub fingerprints: BTreeMap<String, String>,
    /// Observe-only: the plan is a drift report and must never be applied.
    pub observe_only: bool,
    /// The client mapping report (data plane), when the data plane ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_mapping: Option<super::data_plane::MappingReport>,
    /// Zoho Projects calls and paced time; set by the front-end, which measured observing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projects_cost: Option<super::cost::ProjectsCost>,
    /// Whether the plan was built on a full or an incremental observation; set by the
    /// front-end that chose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observation: Option<crate::live::cache::ObservationKind>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}
