//! The data-plane planner: what makes the "Zoho Projects" related list live. It runs after the
//! configuration plane, only when that plane found no errors, and plans the client mapping,
//! link records kept current, projects for requests and won deals, and user imports — all
//! pure, from the observed snapshot.

mod imports;
mod index;
mod links;
pub use links::{detail_fields, to_crm_value};
mod mapping;
mod mapping_users;
mod requests;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::desired::Desired;
use super::diagnostics::{PlanDiagnostic, Severity};
use super::model::{Action, Change, Operation};
use crate::live::data::{DataFacts, DataMode};
use crate::live::{Address, Marker, Observed};

/// One client company in the mapping report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMappingEntry {
    pub client: String,
    pub client_id: String,
    #[serde(flatten)]
    pub status: MappingStatus,
}

/// One client user in the mapping report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientUserMappingEntry {
    pub client: String,
    pub email: String,
    #[serde(flatten)]
    pub status: MappingStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MappingStatus {
    /// Mapped (or mapped by this plan) to the named CRM record.
    Mapped {
        record: String,
        record_id: String,
        /// `existing`, `override` or `auto`.
        via: String,
    },
    Unmapped {
        reason: String,
    },
}

/// Per client: mapped or unmapped with the reason. In every output format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingReport {
    /// `pending`, `done` or `skipped`: the one-time automatic mapping after this plan.
    pub automatic_mapping: String,
    pub clients: Vec<ClientMappingEntry>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_users: Vec<ClientUserMappingEntry>,
}

/// What a project creation needs; deterministic so a re-run finds what an interrupted one made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRequest {
    /// The project name: the request's `Name`, or the Deal's name (mapped `name` first).
    pub name: String,
    pub template_id: Option<String>,
    pub description: Option<String>,
    /// `yyyy-MM-dd`.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub custom_fields: BTreeMap<String, String>,
    /// The request's link record, written back by id; `None` upserts on `Project_Id`.
    pub request_record_id: Option<String>,
    /// Lookups of the link record (e.g. `Deal`, `Account`).
    pub link_fields: Map<String, Value>,
    /// Client company to add (primary when the project has none).
    pub client_id: Option<String>,
    /// `ToCrm` maps to fill in from the created project.
    #[serde(default)]
    pub to_crm: Vec<ToCrmWrite>,
}

/// A CRM field kept equal to a project field, written once the project exists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToCrmWrite {
    pub module: String,
    pub record_id: String,
    pub crm_field: String,
    /// The CRM field's `data_type`, which decides the conversion.
    pub crm_type: String,
    pub project_field: String,
    /// For a custom field: its type and V3 api name, to find and convert its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_field_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_api_name: Option<String>,
    /// The mapping's entry in the spec, named when the value cannot be written.
    #[serde(default)]
    pub spec_path: String,
}

impl ToCrmWrite {
    /// The definition of the mapped custom field, if the field is one.
    pub fn project_definition(&self) -> Option<crate::live::ProjectCustomFieldFacts> {
        self.project_field_type
            .as_ref()
            .map(|t| crate::live::ProjectCustomFieldFacts {
                column_name: self.project_field.clone(),
                label: String::new(),
                field_type: t.clone(),
                api_name: self.project_api_name.clone(),
            })
    }
}

/// State shared by the data-plane planning steps.
pub(crate) struct Ctx<'a> {
    pub desired: &'a Desired,
    pub observed: &'a Observed,
    pub data: &'a DataFacts,
    /// Lookups into `data`, built once.
    pub index: index::DataIndex<'a>,
    pub changes: Vec<Change>,
    pub diagnostics: Vec<PlanDiagnostic>,
    /// Config-plane creations that writes into the link module wait for.
    pub link_deps: Vec<Address>,
    /// Effective mapping after this plan: client id → Account id, and back.
    pub account_of_client: BTreeMap<String, String>,
    pub client_of_account: BTreeMap<String, String>,
    /// Mapping writes a step may need to wait for, by Account id.
    pub mapping_change_of_account: BTreeMap<String, Address>,
    /// Desired link-record fields per existing project id (merged by every step).
    pub links: BTreeMap<String, LinkPlan>,
    /// Activation generation the plan works in (tags the projects it creates).
    pub generation: u64,
    /// Emails the configuration plane already adds to the portal in this plan.
    pub config_portal_adds: std::collections::BTreeSet<String>,
}

/// The link record a project should have.
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkPlan {
    pub record_id: Option<String>,
    pub lookups: BTreeMap<String, String>,
    /// Why the record is created (e.g. adopted for a request).
    pub reason: Option<String>,
    pub adopted: bool,
    pub client_to_add: Option<String>,
}

impl Ctx<'_> {
    pub fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    pub fn diag(&mut self, d: PlanDiagnostic) {
        self.diagnostics.push(d);
    }

    pub fn link_module(&self) -> &str {
        &self.desired.link_module
    }

    pub fn has_lookup(&self, field: &str) -> bool {
        self.desired.modules.iter().any(|m| m.lookup_field == field)
    }

    /// The Account of a CRM record of `module` (itself for Accounts).
    pub fn account_of_record(&self, module: &str, record_id: &str) -> Option<String> {
        if module == "Accounts" {
            return Some(record_id.to_string());
        }
        let record = self.data.records.get(module)?.get(record_id)?;
        crate::live::data::lookup_id(record.get("Account_Name"))
    }
}

/// The marker the data plane builds on: the one the configuration plane writes in this plan,
/// else the observed one.
fn base_marker(changes: &[Change], observed: &Observed) -> Option<(Option<String>, Marker)> {
    for c in changes {
        match &c.operation {
            Operation::WriteMarker {
                variable_id,
                marker,
            }
            | Operation::RebindPortal {
                variable_id,
                marker,
                ..
            } => return Some((variable_id.clone(), marker.clone())),
            _ => {}
        }
    }
    let variable_id = observed.marker.variable_id().map(str::to_string);
    observed.marker.marker().map(|m| (variable_id, m.clone()))
}

/// The marker of a first activation, before the configuration plane has written one.
fn first_marker(desired: &Desired, portal_id: &str) -> Marker {
    Marker {
        version: Marker::VERSION,
        owner: desired.owner.clone(),
        state: crate::live::IntegrationState::Active,
        portal_id: portal_id.to_string(),
        portal_name: desired.portal_name.clone(),
        generation: 1,
        client_mapping: Default::default(),
    }
}

/// The planned creations every link record waits for: the link module and its fields.
fn link_dependencies(desired: &Desired, changes: &[Change]) -> Vec<Address> {
    changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .filter(|c| match &c.operation {
            Operation::CreateLinkModule { .. } => true,
            Operation::CreateField { module, .. } => module == &desired.link_module,
            _ => false,
        })
        .map(|c| c.address.clone())
        .collect()
}

/// An imported user the configuration plane adds anyway gets the import's role; returns
/// every email the configuration plane adds to the portal.
fn give_imported_roles(desired: &Desired, changes: &mut [Change]) -> BTreeSet<String> {
    let mut config_portal_adds = BTreeSet::new();
    for c in changes.iter_mut() {
        if let Operation::AddPortalUser { email, role, .. } = &mut c.operation {
            if let Some((_, wanted, _)) = desired
                .imports
                .portal_users
                .iter()
                .find(|(e, _, _)| e == email)
            {
                *role = wanted.clone();
                c.after = Some(serde_json::json!({"email": email, "role": wanted}));
            }
            config_portal_adds.insert(email.clone());
        }
    }
    config_portal_adds
}

/// Plans the data plane into `changes`/`diagnostics`; returns the mapping report, or `None`
/// when the data plane does not run (not observed, or the configuration plane has errors).
pub fn plan_data(
    desired: &Desired,
    observed: &Observed,
    changes: &mut Vec<Change>,
    diagnostics: &mut Vec<PlanDiagnostic>,
) -> Option<MappingReport> {
    let data = observed.data.as_ref()?;
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return None;
    }
    if data.mode == DataMode::Deactivated {
        changes.extend(mapping::clear_all(data, "deactivation: client mappings belong to an activation and are not restored by a later one"));
        return None;
    }
    if !desired.active {
        return None;
    }
    let (variable_id, marker) = base_marker(changes, observed)
        .unwrap_or_else(|| (None, first_marker(desired, &data.portal_id)));
    let link_deps = link_dependencies(desired, changes);
    let config_portal_adds = give_imported_roles(desired, changes);
    let mut ctx = Ctx {
        desired,
        observed,
        data,
        index: index::DataIndex::new(data, &observed.users),
        changes: Vec::new(),
        diagnostics: Vec::new(),
        link_deps,
        account_of_client: BTreeMap::new(),
        client_of_account: BTreeMap::new(),
        mapping_change_of_account: BTreeMap::new(),
        links: BTreeMap::new(),
        config_portal_adds,
        generation: 0,
    };
    ctx.generation = marker.generation;
    let report = mapping::plan_mapping(&mut ctx, variable_id, marker);
    links::associate_client_projects(&mut ctx);
    requests::plan_deals(&mut ctx);
    requests::plan_requests(&mut ctx);
    links::plan_link_records(&mut ctx);
    links::plan_to_crm(&mut ctx);
    imports::plan_imports(&mut ctx);
    changes.append(&mut ctx.changes);
    diagnostics.append(&mut ctx.diagnostics);
    Some(report)
}
