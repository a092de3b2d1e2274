//! The desired state as the planner sees it: the spec reduced to what the configuration
//! plane acts on, with emails lower-cased and lists sorted, so planning never depends on how
//! the YAML happened to be written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::live::PermissionKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MapDirection {
    ToProject,
    ToCrm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    pub project_field: String,
    pub crm_field: String,
    pub direction: MapDirection,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredModule {
    /// CRM module api name, e.g. `Deals`.
    pub module: String,
    /// Lookup field in the link module pointing at this module, e.g. `Deal`.
    pub lookup_field: String,
    pub field_map: Vec<FieldMapping>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredProfile {
    pub name: String,
    /// The profile's users are pushed into the portal.
    pub access: bool,
    /// Permissions on the link module; `None` leaves them as they are.
    pub related_list: Option<BTreeMap<PermissionKind, bool>>,
}

/// Everything the configuration plane reconciles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Desired {
    /// Owner name written into markers (`metadata.name`, or `namespace/name`).
    pub owner: String,
    pub active: bool,
    pub portal_name: String,
    /// `connection.portalSecretRef` is set: Projects is reached with the portal owner's grant.
    pub uses_portal_owner_grant: bool,
    pub link_module: String,
    /// Sorted by module name.
    pub modules: Vec<DesiredModule>,
    /// Sorted by profile name.
    pub profiles: Vec<DesiredProfile>,
    /// Per-user access overrides, keyed by lower-cased email.
    pub user_access: BTreeMap<String, bool>,
    pub default_role: String,
    pub prune: bool,
    pub max_change_percent: u32,
    pub observe_only: bool,
}
