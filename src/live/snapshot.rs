//! Plain-data types of the observed snapshot. Every collection is sorted and every email is
//! lower-cased when the snapshot is built, so the planner can compare without normalizing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::marker::Marker;
pub use crate::domain::PermissionKind;

/// Prefix of the ownership marker written into descriptions and tooltips of what
/// projectlink creates: `managed-by: projectlink/<owner>`.
pub const OWNERSHIP_PREFIX: &str = "managed-by: projectlink/";

/// The ownership marker text for `owner`.
pub fn ownership_marker(owner: &str) -> String {
    format!("{OWNERSHIP_PREFIX}{owner}")
}

/// The owner named by a marker inside free text (description or tooltip), if any.
pub fn owner_in(text: &str) -> Option<String> {
    let start = text.find(OWNERSHIP_PREFIX)? + OWNERSHIP_PREFIX.len();
    let owner: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != ';' && *c != ',')
        .collect();
    (!owner.is_empty()).then_some(owner)
}

/// Everything the planner knows about the live systems.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub org: OrgFacts,
    pub marker: MarkerFacts,
    /// Which grant the Projects side was observed with.
    pub projects_grant: ProjectsGrant,
    /// Portals visible to that grant, sorted by name.
    pub portals: Vec<PortalFacts>,
    /// Users of the portal the spec selects (or the bound one), when it is visible.
    pub portal_users: Option<Vec<PortalUserFacts>>,
    /// Custom fields of projects in that portal (for field-map checks).
    pub project_custom_fields: Vec<ProjectCustomFieldFacts>,
    pub link_module: Option<LinkModuleFacts>,
    /// Fields of the CRM modules the spec maps fields of, keyed by module api name.
    pub module_fields: BTreeMap<String, Vec<FieldFacts>>,
    pub profiles: Vec<ProfileFacts>,
    /// Active and confirmed CRM users, sorted by email.
    pub users: Vec<CrmUserFacts>,
    /// Number of link records, counted only when the plan may remove them.
    pub link_record_count: Option<u64>,
    /// Data-plane facts; `None` when the data plane does not run for this state.
    #[serde(default)]
    pub data: Option<super::data::DataFacts>,
    /// The acting user and the org's names the spec refers to (stages, roles, templates).
    #[serde(default)]
    pub names: super::names::NamedFacts,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrgFacts {
    pub id: String,
    pub company_name: String,
}

/// The integration marker as found in the org variables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MarkerFacts {
    #[default]
    Absent,
    Present {
        variable_id: String,
        marker: Marker,
    },
    /// A variable of that name exists but does not hold a marker we understand.
    Unreadable {
        variable_id: String,
        error: String,
    },
}

impl MarkerFacts {
    pub fn marker(&self) -> Option<&Marker> {
        match self {
            MarkerFacts::Present { marker, .. } => Some(marker),
            _ => None,
        }
    }

    pub fn variable_id(&self) -> Option<&str> {
        match self {
            MarkerFacts::Present { variable_id, .. }
            | MarkerFacts::Unreadable { variable_id, .. } => Some(variable_id),
            MarkerFacts::Absent => None,
        }
    }
}

/// The grant used for Projects: the CRM connection's, or the portal owner's
/// (`connection.portalSecretRef`), which may not exist yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectsGrant {
    #[default]
    Connection,
    PortalOwner,
    /// `portalSecretRef` is set but its credentials are not available yet.
    PortalOwnerMissing,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PortalFacts {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PortalUserFacts {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
    /// The portal owner ("Portal Owner" profile).
    pub owner: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectCustomFieldFacts {
    pub column_name: String,
    pub label: String,
    pub field_type: String,
    /// The V3 api name (`cf_budget_code`) project values are keyed by, when read through V3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkModuleFacts {
    pub id: String,
    pub api_name: String,
    /// Owner named by the module's ownership marker, if any.
    pub owner: Option<String>,
    /// Fields, sorted by api name.
    pub fields: Vec<FieldFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldFacts {
    pub id: String,
    pub api_name: String,
    pub label: String,
    pub data_type: String,
    /// For lookups: the api name of the looked-up module.
    pub lookup_module: Option<String>,
    pub custom: bool,
    /// Owner named by the field's ownership marker (in its tooltip), if any.
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileFacts {
    pub id: String,
    pub name: String,
    /// The profile's permissions on the link module (empty when the module does not exist).
    pub link_permissions: BTreeMap<PermissionKind, PermissionFacts>,
}

impl ProfileFacts {
    pub fn link_permission(&self, kind: PermissionKind) -> bool {
        self.link_permissions.get(&kind).is_some_and(|p| p.enabled)
    }

    pub fn link_permission_locked(&self, kind: PermissionKind) -> bool {
        self.link_permissions.get(&kind).is_some_and(|p| p.locked)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PermissionFacts {
    pub id: String,
    pub enabled: bool,
    /// Zoho does not let this permission be changed (`customizable: false`, e.g. every
    /// permission of the Administrator profile).
    #[serde(default)]
    pub locked: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrmUserFacts {
    pub id: String,
    pub email: String,
    pub name: String,
    pub profile: String,
    pub active: bool,
    pub confirmed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_marker_is_found_inside_other_text() {
        let text = format!(
            "Projects linked to CRM records. {}",
            ownership_marker("acme")
        );
        assert_eq!(owner_in(&text).as_deref(), Some("acme"));
        assert_eq!(owner_in("hand-made field"), None);
        assert_eq!(owner_in(OWNERSHIP_PREFIX), None);
    }
}
