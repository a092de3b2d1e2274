//! The desired state as the planner sees it: the spec reduced to what the configuration
//! plane acts on, with emails lower-cased and lists sorted, so planning never depends on how
//! the YAML happened to be written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PermissionKind;
use super::named::{NamedInSpec, named_in_spec};

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
    /// The mapping's entry in the spec (`spec.relatedLists.modules[0].fieldMap[2]`).
    #[serde(default)]
    pub spec_path: String,
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
    /// Client account mapping (`spec.clients`).
    #[serde(default)]
    pub clients: DesiredClients,
    /// `spec.dealConversion`.
    #[serde(default)]
    pub deal_conversion: Option<DesiredDealConversion>,
    /// `spec.imports`, emails lower-cased.
    #[serde(default)]
    pub imports: DesiredImports,
    /// The live names the spec uses (profiles, roles, stage, template) with their spec paths.
    #[serde(default)]
    pub named: Vec<NamedInSpec>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredClients {
    /// `accountMapping: Auto`.
    pub auto: bool,
    /// Client company → Account, in spec order.
    pub overrides: Vec<ClientOverride>,
    /// Client user → Contact, in spec order.
    #[serde(default)]
    pub user_overrides: Vec<ClientUserOverride>,
}

/// How an override names its CRM record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordRef {
    /// An Account's exact name, or a Contact's email (lower-cased).
    Name(String),
    Id(String),
}

/// `spec.clients.overrides[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientOverride {
    pub client: String,
    pub account: RecordRef,
    /// The override's entry in the spec (`spec.clients.overrides[2]`).
    pub spec_path: String,
}

/// `spec.clients.userOverrides[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientUserOverride {
    /// Lower-cased.
    pub email: String,
    pub contact: RecordRef,
    /// The override's entry in the spec (`spec.clients.userOverrides[0]`).
    pub spec_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredDealConversion {
    pub stage: String,
    pub template: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredImports {
    /// (email, role, project names).
    pub portal_users: Vec<(String, String, Vec<String>)>,
    /// (email, project names).
    pub client_users: Vec<(String, Vec<String>)>,
}

impl Desired {
    /// Reduces a spec to what the planner acts on. `owner` is the name written into
    /// ownership markers: the resource name, or `namespace/name` under the operator.
    pub fn from_spec(owner: &str, spec: &crate::spec::ProjectsIntegrationSpec) -> Desired {
        let modules = desired_modules(spec);
        let mut profiles: Vec<DesiredProfile> = spec
            .permissions
            .profiles
            .iter()
            .map(|p| DesiredProfile {
                name: p.profile.clone(),
                access: p.access,
                related_list: Some(PermissionKind::from_spec(p.related_list)),
            })
            .collect();
        profiles.sort_by(|a, b| a.name.cmp(&b.name));
        Desired {
            owner: owner.to_string(),
            active: spec.is_active(),
            portal_name: spec.portal.name.clone(),
            uses_portal_owner_grant: spec.connection.portal_secret_ref.is_some(),
            link_module: spec.related_lists.link_module.clone(),
            modules,
            profiles,
            user_access: spec
                .permissions
                .users
                .iter()
                .map(|u| (u.email.to_ascii_lowercase(), u.access))
                .collect(),
            default_role: spec.permissions.default_role.clone(),
            prune: spec.policy.prune,
            max_change_percent: spec.policy.max_change_percent,
            observe_only: spec.policy.observe_only,
            clients: DesiredClients {
                auto: spec.clients.account_mapping == crate::spec::AccountMapping::Auto,
                overrides: client_overrides(&spec.clients),
                user_overrides: user_overrides(&spec.clients),
            },
            deal_conversion: spec
                .deal_conversion
                .as_ref()
                .map(|d| DesiredDealConversion {
                    stage: d.stage.clone(),
                    template: d.template.clone(),
                }),
            imports: desired_imports(spec),
            named: named_in_spec(spec),
        }
    }
}

/// The spec's enabled related-list modules with their field maps, sorted by module.
fn desired_modules(spec: &crate::spec::ProjectsIntegrationSpec) -> Vec<DesiredModule> {
    use crate::spec::Direction;
    let mut modules: Vec<DesiredModule> = spec
        .enabled_modules()
        .into_iter()
        .map(|(supported, entry)| {
            // Modules are sorted below: the spec index is found by the entry itself.
            let index = spec
                .related_lists
                .modules
                .iter()
                .position(|m| std::ptr::eq(m, entry))
                .unwrap_or_default();
            DesiredModule {
                module: entry.module.clone(),
                lookup_field: supported.lookup_field.to_string(),
                field_map: entry
                    .field_map
                    .iter()
                    .enumerate()
                    .map(|(j, m)| FieldMapping {
                        project_field: m.project_field.clone(),
                        crm_field: m.crm_field.clone(),
                        direction: match m.direction {
                            Direction::ToProject => MapDirection::ToProject,
                            Direction::ToCrm => MapDirection::ToCrm,
                        },
                        spec_path: format!("spec.relatedLists.modules[{index}].fieldMap[{j}]"),
                    })
                    .collect(),
            }
        })
        .collect();
    modules.sort_by(|a, b| a.module.cmp(&b.module));
    modules
}

/// The users the spec imports into the portal, each with its role and projects.
fn desired_imports(spec: &crate::spec::ProjectsIntegrationSpec) -> DesiredImports {
    DesiredImports {
        portal_users: spec
            .imports
            .portal_users
            .iter()
            .map(|u| {
                (
                    u.email.to_ascii_lowercase(),
                    u.role
                        .clone()
                        .unwrap_or_else(|| spec.permissions.default_role.clone()),
                    u.projects.clone(),
                )
            })
            .collect(),
        client_users: spec
            .imports
            .client_users
            .iter()
            .map(|u| (u.email.to_ascii_lowercase(), u.projects.clone()))
            .collect(),
    }
}

/// The client overrides; validation made sure each names its Account exactly one way.
fn client_overrides(clients: &crate::spec::ClientsSpec) -> Vec<ClientOverride> {
    clients
        .overrides
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let account = match (&o.account_id, &o.account) {
                (Some(id), _) => RecordRef::Id(id.trim().to_string()),
                (None, Some(name)) => RecordRef::Name(name.clone()),
                (None, None) => return None,
            };
            Some(ClientOverride {
                client: o.client.clone(),
                account,
                spec_path: format!("spec.clients.overrides[{i}]"),
            })
        })
        .collect()
}

/// The client user overrides, emails lower-cased.
fn user_overrides(clients: &crate::spec::ClientsSpec) -> Vec<ClientUserOverride> {
    clients
        .user_overrides
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let contact = match (&o.contact_id, &o.contact) {
                (Some(id), _) => RecordRef::Id(id.trim().to_string()),
                (None, Some(email)) => RecordRef::Name(email.trim().to_ascii_lowercase()),
                (None, None) => return None,
            };
            Some(ClientUserOverride {
                email: o.client_user.trim().to_ascii_lowercase(),
                contact,
                spec_path: format!("spec.clients.userOverrides[{i}]"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_acme_example_reduces_to_sorted_normalized_desired_state() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/acme.yaml"))
                .unwrap();
        let loaded = crate::spec::load_str("acme.yaml", &text).unwrap();
        let d = Desired::from_spec("acme", &loaded[0].resource.spec);
        let modules: Vec<&str> = d.modules.iter().map(|m| m.module.as_str()).collect();
        let mut sorted = modules.clone();
        sorted.sort();
        assert_eq!(modules, sorted);
        assert!(
            d.modules
                .iter()
                .any(|m| m.module == "Deals" && m.lookup_field == "Deal")
        );
        assert!(d.user_access.keys().all(|e| *e == e.to_ascii_lowercase()));
        assert!(d.active);
    }
}
