//! `plan(desired, observed, options)`: the pure planner for the configuration plane —
//! marker and portal binding, link module and fields, field-map checks, profile permissions,
//! portal users, and deactivation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::desired::Desired;
use super::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use super::field_map::{MappingProblem, check_mapping};
use super::link_module::{self, LINK_MODULE_PLURAL, LINK_MODULE_SINGULAR};
use super::model::*;
use super::safety;
use crate::live::{
    Address, ClientMappingState, IntegrationState, MARKER_VARIABLE, Marker, MarkerFacts, Observed,
    PermissionKind, PortalFacts, ProjectsGrant, ownership_marker,
};

/// Choices made on the command line (or by the operator) that shape a plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Allow deletions of what the spec no longer declares (also `policy.prune`).
    pub prune: bool,
    /// Allow destructive changes (portal change) and plans over `maxChangePercent`.
    pub force: bool,
}

/// Plans the changes that make `observed` match `desired`.
pub fn plan(desired: &Desired, observed: &Observed, options: &PlanOptions) -> Plan {
    let mut planner = Planner {
        desired,
        observed,
        prune: options.prune || desired.prune,
        changes: Vec::new(),
        diagnostics: Vec::new(),
    };
    if planner.org_is_bound_elsewhere() {
        // Another integration owns this org: touching anything would fight it.
    } else if desired.active {
        planner.plan_active();
    } else {
        planner.plan_deactivated();
    }
    let Planner {
        mut changes,
        mut diagnostics,
        ..
    } = planner;
    let client_mapping =
        super::data_plane::plan_data(desired, observed, &mut changes, &mut diagnostics);
    changes
        .sort_by(|a, b| (phase(&a.operation), &a.address).cmp(&(phase(&b.operation), &b.address)));
    diagnostics.sort_by(|a, b| {
        (a.severity, a.code, &a.address, &a.message)
            .cmp(&(b.severity, b.code, &b.address, &b.message))
    });
    let summary = safety::summarize(&changes, &diagnostics, desired, observed);
    let refusal = safety::refusal(&changes, &summary, desired, options);
    Plan {
        format_version: FORMAT_VERSION,
        integration: desired.owner.clone(),
        changes,
        diagnostics,
        summary,
        refusal,
        fingerprints: safety::fingerprints(observed),
        observe_only: desired.observe_only,
        client_mapping,
    }
}

/// Execution phase of an operation: destructive removals first, then the binding, the module,
/// its fields, permissions and users; a deactivating marker write comes last so that a run
/// interrupted half-way is redone by the next one. The data plane (which never runs while
/// deactivating) follows: mapping writes, project creations, link records, clients and
/// users, and finally the marker's record of the one-time client mapping.
pub fn phase(op: &Operation) -> u8 {
    match op {
        Operation::RebindPortal { .. } | Operation::RemoveLinkRecords { .. } => 0,
        Operation::WriteMarker { marker, .. } if marker.state == IntegrationState::Active => 1,
        Operation::CreateLinkModule { .. } => 2,
        Operation::CreateField { .. }
        | Operation::AdoptField { .. }
        | Operation::DeleteField { .. } => 3,
        Operation::SetLinkPermissions { .. } => 4,
        Operation::AddPortalUser { .. } => 5,
        Operation::WriteMarker { .. } => 6,
        Operation::WriteRecordFields { fields, .. } if fields.values().all(|v| v.is_null()) => 7,
        Operation::WriteRecordFields { .. } => 8,
        Operation::CreateLinkedProject { .. } => 9,
        Operation::UpsertLinkRecord { .. } => 10,
        Operation::AddProjectClient { .. }
        | Operation::AddProjectUsers { .. }
        | Operation::AddClientUser { .. } => 11,
        Operation::RecordClientMapping { .. } => 12,
    }
}

struct Planner<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    prune: bool,
    changes: Vec<Change>,
    diagnostics: Vec<PlanDiagnostic>,
}

fn marker_address() -> Address {
    Address::crm("variable", MARKER_VARIABLE)
}

impl<'a> Planner<'a> {
    fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    fn diag(&mut self, d: PlanDiagnostic) {
        self.diagnostics.push(d);
    }

    fn org_is_bound_elsewhere(&mut self) -> bool {
        let Some(marker) = self.observed.marker.marker() else {
            return false;
        };
        if marker.owner == self.desired.owner {
            return false;
        }
        self.diag(
            PlanDiagnostic::error(
                Code::OrgBoundElsewhere,
                format!(
                    "CRM org \"{}\" is already bound to portal \"{}\" by integration \"{}\"",
                    self.observed.org.company_name, marker.portal_name, marker.owner
                ),
            )
            .hint("a CRM org has one Projects integration; manage it from that spec, or deactivate it there first")
            .at(marker_address()),
        );
        true
    }

    fn resolve_portal(&mut self) -> Option<&'a PortalFacts> {
        let name = &self.desired.portal_name;
        let found = self.observed.portals.iter().find(|p| p.name == *name);
        if found.is_some() {
            return found;
        }
        let address = Address::projects("portal", name.clone());
        if self.observed.projects_grant == ProjectsGrant::PortalOwnerMissing {
            self.diag(
                PlanDiagnostic::warning(
                    Code::PendingApproval,
                    format!("portal \"{name}\" is another user's portal and its owner's grant is not configured yet"),
                )
                .hint("ask the portal owner to authorize projectlink and store the grant under connection.portalSecretRef; the integration stays PendingApproval until then")
                .at(address),
            );
        } else if self.desired.uses_portal_owner_grant {
            self.diag(
                PlanDiagnostic::warning(
                    Code::PendingApproval,
                    format!("portal \"{name}\" is not visible to the portal owner's grant yet"),
                )
                .hint("the grant in connection.portalSecretRef must belong to the portal's owner; the integration stays PendingApproval until it reaches the portal")
                .at(address),
            );
        } else {
            let visible: Vec<&str> = self
                .observed
                .portals
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            let visible = if visible.is_empty() {
                "none".to_string()
            } else {
                visible.join(", ")
            };
            self.diag(
                PlanDiagnostic::error(
                    Code::PortalNotFound,
                    format!("portal \"{name}\" is not visible to the Projects credentials (visible: {visible})"),
                )
                .hint("Zoho Projects has no API to create a portal: create it at projects.zoho.com (sign up with the CRM admin's account), or set connection.portalSecretRef to the portal owner's grant if it belongs to another user")
                .at(address),
            );
        }
        None
    }

    fn plan_active(&mut self) {
        let portal = self.resolve_portal();
        let marker_change = portal.and_then(|p| self.plan_marker(p));
        let module_change = self.plan_link_module(marker_change.as_ref());
        self.check_field_maps();
        self.plan_permissions(module_change.as_ref());
        if let Some(portal) = portal {
            self.plan_portal_users(portal, marker_change.as_ref());
        }
    }

    /// Creates, re-activates or re-binds the marker; returns the address of its change.
    fn plan_marker(&mut self, portal: &PortalFacts) -> Option<Address> {
        let fresh = |generation: u64| Marker {
            version: Marker::VERSION,
            owner: self.desired.owner.clone(),
            state: IntegrationState::Active,
            portal_id: portal.id.clone(),
            portal_name: portal.name.clone(),
            generation,
            client_mapping: ClientMappingState::Pending,
        };
        let address = marker_address();
        let change = match &self.observed.marker {
            MarkerFacts::Unreadable { error, .. } => {
                self.diag(
                    PlanDiagnostic::error(
                        Code::MarkerUnreadable,
                        format!("org variable {MARKER_VARIABLE} exists but is not an integration marker: {error}"),
                    )
                    .hint("projectlink will not overwrite a variable it does not understand; rename or delete it in CRM (Setup > Developer Space > Variables)")
                    .at(address),
                );
                return None;
            }
            MarkerFacts::Absent => {
                let marker = fresh(1);
                Change {
                    address: address.clone(),
                    action: Action::Create,
                    reason: format!(
                        "bind portal \"{}\" to this CRM org (activation)",
                        portal.name
                    ),
                    before: None,
                    after: Some(marker_view(&marker)),
                    destructive: false,
                    depends_on: vec![],
                    operation: Operation::WriteMarker {
                        variable_id: None,
                        marker,
                    },
                }
            }
            MarkerFacts::Present {
                variable_id,
                marker: current,
            } => {
                if current.state == IntegrationState::Deactivated {
                    let marker = fresh(current.generation + 1);
                    Change {
                        address: address.clone(),
                        action: Action::Update,
                        reason: "re-activate the integration as a new generation (earlier associations are not restored)".into(),
                        before: Some(marker_view(current)),
                        after: Some(marker_view(&marker)),
                        destructive: false,
                        depends_on: vec![],
                        operation: Operation::WriteMarker {
                            variable_id: Some(variable_id.clone()),
                            marker,
                        },
                    }
                } else if current.portal_id != portal.id {
                    let marker = fresh(current.generation + 1);
                    Change {
                        address: address.clone(),
                        action: Action::Update,
                        reason: format!(
                            "portal changes from \"{}\" to \"{}\": every project is disassociated from CRM (all link records are removed; projects stay in Zoho Projects)",
                            current.portal_name, portal.name
                        ),
                        before: Some(marker_view(current)),
                        after: Some(marker_view(&marker)),
                        destructive: true,
                        depends_on: vec![],
                        operation: Operation::RebindPortal {
                            link_module: self.desired.link_module.clone(),
                            variable_id: Some(variable_id.clone()),
                            marker,
                        },
                    }
                } else if current.portal_name != portal.name {
                    let mut marker = current.clone();
                    marker.portal_name = portal.name.clone();
                    Change {
                        address: address.clone(),
                        action: Action::Update,
                        reason: "the bound portal was renamed in Zoho Projects".into(),
                        before: Some(marker_view(current)),
                        after: Some(marker_view(&marker)),
                        destructive: false,
                        depends_on: vec![],
                        operation: Operation::WriteMarker {
                            variable_id: Some(variable_id.clone()),
                            marker,
                        },
                    }
                } else {
                    return None;
                }
            }
        };
        self.push(change);
        Some(address)
    }

    fn owner_tag(&self) -> String {
        ownership_marker(&self.desired.owner)
    }

    /// Plans the module and its fields; returns the address of the module's creation.
    fn plan_link_module(&mut self, after_marker: Option<&Address>) -> Option<Address> {
        let module_name = self.desired.link_module.clone();
        let module_address = Address::crm("module", module_name.clone());
        let mut declared = link_module::base_fields();
        for m in &self.desired.modules {
            declared.push(link_module::lookup_field(&m.lookup_field, &m.module));
        }
        let Some(live) = &self.observed.link_module else {
            let profile_ids = self.profiles_for_module_creation();
            self.push(Change {
                address: module_address.clone(),
                action: Action::Create,
                reason: format!("custom module holding one record per project association; its label \"{LINK_MODULE_PLURAL}\" names the related list"),
                before: None,
                after: Some(json!({"api_name": module_name, "plural_label": LINK_MODULE_PLURAL})),
                destructive: false,
                depends_on: after_marker.cloned().into_iter().collect(),
                operation: Operation::CreateLinkModule {
                    api_name: module_name.clone(),
                    singular_label: LINK_MODULE_SINGULAR.into(),
                    plural_label: LINK_MODULE_PLURAL.into(),
                    description: format!("Projects linked to CRM records. {}", self.owner_tag()),
                    profile_ids,
                },
            });
            for field in declared {
                self.plan_field_create(&module_name, field, Some(&module_address));
            }
            return Some(module_address);
        };
        if live.owner.as_deref() != Some(self.desired.owner.as_str()) {
            let whose = live
                .owner
                .as_deref()
                .map(|o| format!("is managed by integration \"{o}\""))
                .unwrap_or_else(|| "was not created by projectlink".into());
            self.diag(
                PlanDiagnostic::error(
                    Code::LinkModuleNotOwned,
                    format!("CRM module {module_name} already exists and {whose}"),
                )
                .hint("projectlink never edits what it does not own: set relatedLists.linkModule to another api name, or remove that module in CRM")
                .at(module_address),
            );
            return None;
        }
        let declared_names: BTreeSet<String> =
            declared.iter().map(|f| f.api_name.clone()).collect();
        for field in declared {
            match live.fields.iter().find(|f| f.api_name == field.api_name) {
                None => self.plan_field_create(&module_name, field, None),
                Some(existing)
                    if !link_module::same_shape(
                        &field,
                        &existing.data_type,
                        existing.lookup_module.as_deref(),
                    ) =>
                {
                    let have = match &existing.lookup_module {
                        Some(m) => format!("lookup to {m}"),
                        None => existing.data_type.clone(),
                    };
                    let want = match &field.lookup_module {
                        Some(m) => format!("lookup to {m}"),
                        None => field.data_type.clone(),
                    };
                    self.diag(
                        PlanDiagnostic::error(
                            Code::LinkFieldConflict,
                            format!("field {module_name}.{} is a {have}, but projectlink needs a {want}", field.api_name),
                        )
                        .hint("CRM cannot change a field's type: delete or rename that field in CRM, then plan again")
                        .at(Address::crm("field", format!("{module_name}.{}", field.api_name))),
                    );
                }
                Some(existing)
                    if existing.owner.as_deref() == Some(self.desired.owner.as_str()) => {}
                Some(existing) => {
                    let tooltip = self.owner_tag();
                    self.push(Change {
                        address: Address::crm("field", format!("{module_name}.{}", field.api_name)),
                        action: Action::Adopt,
                        reason: "an unmanaged field already matches the declared one; mark it as managed".into(),
                        before: Some(json!({"owner": existing.owner})),
                        after: Some(json!({"owner": self.desired.owner})),
                        destructive: false,
                        depends_on: vec![],
                        operation: Operation::AdoptField {
                            module: module_name.clone(),
                            field_id: existing.id.clone(),
                            api_name: existing.api_name.clone(),
                            tooltip,
                        },
                    });
                }
            }
        }
        // Lookups we own that the spec no longer lists: their related lists and associations go.
        for field in &live.fields {
            let ours = field.owner.as_deref() == Some(self.desired.owner.as_str());
            if !ours || field.data_type != "lookup" || declared_names.contains(&field.api_name) {
                continue;
            }
            let address = Address::crm("field", format!("{module_name}.{}", field.api_name));
            let target = field.lookup_module.clone().unwrap_or_default();
            if self.prune {
                self.push(Change {
                    address,
                    action: Action::Delete,
                    reason: format!("{target} is no longer in relatedLists.modules: its related list and associations are removed"),
                    before: Some(json!({"data_type": "lookup", "lookup": target})),
                    after: None,
                    destructive: true,
                    depends_on: vec![],
                    operation: Operation::DeleteField {
                        module: module_name.clone(),
                        field_id: field.id.clone(),
                        api_name: field.api_name.clone(),
                    },
                });
            } else {
                self.diag(
                    PlanDiagnostic::info(
                        Code::PruneDisabled,
                        format!("{target} is no longer in relatedLists.modules; its lookup {module_name}.{} stays until pruned", field.api_name),
                    )
                    .hint("apply with --prune (or policy.prune: true) to remove it and its associations")
                    .at(address),
                );
            }
        }
        None
    }

    fn plan_field_create(&mut self, module: &str, field: FieldSpec, after: Option<&Address>) {
        let reason = match &field.lookup_module {
            Some(target) => {
                format!("lookup that shows the \"{LINK_MODULE_PLURAL}\" related list in {target}")
            }
            None => "project detail shown in the related list".to_string(),
        };
        let mut after_view = json!({"label": field.label, "data_type": field.data_type});
        if let Some(target) = &field.lookup_module {
            after_view["lookup"] = json!(target);
        }
        if field.unique {
            after_view["unique"] = json!(true);
        }
        self.push(Change {
            address: Address::crm("field", format!("{module}.{}", field.api_name)),
            action: Action::Create,
            reason,
            before: None,
            after: Some(after_view),
            destructive: false,
            depends_on: after.cloned().into_iter().collect(),
            operation: Operation::CreateField {
                module: module.to_string(),
                field,
                tooltip: self.owner_tag(),
            },
        });
    }

    /// Zoho requires at least one profile when a module is created: the spec's profiles that
    /// may view the related list, or every declared profile if none may.
    fn profiles_for_module_creation(&self) -> Vec<String> {
        let wanted: Vec<&str> = self
            .desired
            .profiles
            .iter()
            .filter(|p| {
                p.related_list
                    .as_ref()
                    .is_some_and(|perms| perms.get(&PermissionKind::View).copied().unwrap_or(false))
            })
            .map(|p| p.name.as_str())
            .collect();
        let mut ids: Vec<String> = self
            .observed
            .profiles
            .iter()
            .filter(|p| {
                wanted.contains(&p.name.as_str())
                    || (wanted.is_empty() && p.name == "Administrator")
            })
            .map(|p| p.id.clone())
            .collect();
        ids.sort();
        ids
    }

    fn check_field_maps(&mut self) {
        for module in &self.desired.modules {
            let crm_fields = self
                .observed
                .module_fields
                .get(&module.module)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            for mapping in &module.field_map {
                let address = Address::crm(
                    "field-map",
                    format!("{}.{}", module.module, mapping.crm_field),
                );
                for problem in
                    check_mapping(mapping, crm_fields, &self.observed.project_custom_fields)
                {
                    let d = match problem {
                        MappingProblem::CrmFieldMissing => PlanDiagnostic::error(
                            Code::FieldNotFound,
                            format!("CRM field {}.{} does not exist", module.module, mapping.crm_field),
                        )
                        .hint(format!(
                            "fields of {} are listed in CRM under Setup > Customization > Modules and Fields; use the field's API name",
                            module.module
                        )),
                        MappingProblem::ProjectFieldMissing => PlanDiagnostic::error(
                            Code::ProjectFieldNotFound,
                            format!("Projects field \"{}\" does not exist in the portal", mapping.project_field),
                        )
                        .hint("use name, description, owner, status, start_date, end_date, percent_complete, or a project custom field's column name (UDF_...)"),
                        MappingProblem::CrmFieldReadOnly { data_type } => PlanDiagnostic::error(
                            Code::FieldReadOnly,
                            format!("CRM field {}.{} is a {data_type} field and cannot be written", module.module, mapping.crm_field),
                        )
                        .hint("map ToCrm only onto editable fields"),
                        MappingProblem::Incompatible { crm_type } => PlanDiagnostic::error(
                            Code::FieldTypeIncompatible,
                            format!(
                                "{} and {}.{} ({crm_type}) have incompatible types for {:?}",
                                mapping.project_field, module.module, mapping.crm_field, mapping.direction
                            ),
                        )
                        .hint("dates map onto date fields, numbers onto number fields; anything can be written into a text field"),
                    };
                    self.diag(d.at(address.clone()));
                }
            }
        }
    }

    fn plan_permissions(&mut self, module_created: Option<&Address>) {
        let available: Vec<&str> = self
            .observed
            .profiles
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        for desired in &self.desired.profiles {
            let Some(live) = self
                .observed
                .profiles
                .iter()
                .find(|p| p.name == desired.name)
            else {
                self.diag(
                    PlanDiagnostic::error(
                        Code::ProfileNotFound,
                        format!("CRM profile \"{}\" does not exist", desired.name),
                    )
                    .hint(format!("profiles in this org: {}", available.join(", ")))
                    .at(Address::crm("profile", desired.name.clone())),
                );
                continue;
            };
            let Some(wanted) = &desired.related_list else {
                continue;
            };
            let current: BTreeMap<PermissionKind, bool> = PermissionKind::ALL
                .iter()
                .map(|k| (*k, live.link_permission(*k)))
                .collect();
            let mut target: BTreeMap<PermissionKind, bool> = PermissionKind::ALL
                .iter()
                .map(|k| (*k, wanted.get(k).copied().unwrap_or(false)))
                .collect();
            // Zoho refuses changes to locked permissions (the Administrator profile's): keep
            // them as they are and say so, instead of planning a change that cannot succeed.
            let locked: Vec<&str> = PermissionKind::ALL
                .iter()
                .filter(|k| live.link_permission_locked(**k) && target[*k] != current[*k])
                .map(|k| k.label())
                .collect();
            if !locked.is_empty() {
                for kind in PermissionKind::ALL {
                    if live.link_permission_locked(kind) {
                        target.insert(kind, current[&kind]);
                    }
                }
                self.diag(
                    PlanDiagnostic::warning(
                        Code::PermissionLocked,
                        format!(
                            "Zoho does not allow changing the {} permission(s) of profile {} on {}",
                            locked.join("/"),
                            desired.name,
                            self.desired.link_module
                        ),
                    )
                    .hint("the Administrator profile always has full access in Zoho CRM; declare it with all permissions true")
                    .at(Address::crm("profile-permissions", format!("{}/{}", desired.name, self.desired.link_module))),
                );
            }
            if module_created.is_none() && current == target {
                continue;
            }
            // Permissions on a module created by this plan are granted, not changed.
            let action = if module_created.is_some() {
                Action::Create
            } else {
                Action::Update
            };
            self.push(Change {
                address: Address::crm(
                    "profile-permissions",
                    format!("{}/{}", desired.name, self.desired.link_module),
                ),
                action,
                reason: format!(
                    "related-list permissions of profile {} on {}",
                    desired.name, LINK_MODULE_PLURAL
                ),
                before: module_created.is_none().then(|| permissions_view(&current)),
                after: Some(permissions_view(&target)),
                destructive: false,
                depends_on: module_created.cloned().into_iter().collect(),
                operation: Operation::SetLinkPermissions {
                    profile_id: live.id.clone(),
                    profile_name: live.name.clone(),
                    link_module: self.desired.link_module.clone(),
                    permissions: target,
                },
            });
        }
    }

    /// The CRM users who belong in the portal: active and confirmed users of profiles with
    /// access, adjusted by per-user overrides.
    fn users_with_access(&mut self) -> BTreeSet<String> {
        let access_profiles: BTreeSet<&str> = self
            .desired
            .profiles
            .iter()
            .filter(|p| p.access)
            .map(|p| p.name.as_str())
            .collect();
        let mut wanted = BTreeSet::new();
        for user in &self.observed.users {
            let eligible = user.active && user.confirmed;
            let by_profile = access_profiles.contains(user.profile.as_str());
            match self.desired.user_access.get(&user.email) {
                Some(false) => {}
                Some(true) if !eligible => self.diag(
                    PlanDiagnostic::warning(
                        Code::UserNotActive,
                        format!("{} is not an active, confirmed CRM user and is not pushed into the portal", user.email),
                    )
                    .at(Address::crm("user", user.email.clone())),
                ),
                Some(true) => {
                    wanted.insert(user.email.clone());
                }
                None if eligible && by_profile => {
                    wanted.insert(user.email.clone());
                }
                None => {}
            }
        }
        for email in self.desired.user_access.keys() {
            if !self.observed.users.iter().any(|u| &u.email == email) {
                self.diag(
                    PlanDiagnostic::warning(
                        Code::UserNotFound,
                        format!("permissions.users names {email}, who is not a CRM user"),
                    )
                    .hint("check the address, or invite the user to CRM first")
                    .at(Address::crm("user", email.clone())),
                );
            }
        }
        wanted
    }

    fn plan_portal_users(&mut self, portal: &PortalFacts, after_marker: Option<&Address>) {
        let wanted = self.users_with_access();
        let Some(portal_users) = &self.observed.portal_users else {
            return;
        };
        for email in wanted {
            if portal_users.iter().any(|u| u.email == email) {
                // Already in the portal (owner included): keeps its role.
                continue;
            }
            self.push(Change {
                address: Address::projects("portal-user", format!("{}/{email}", portal.name)),
                action: Action::Create,
                reason: "CRM user of a profile with access is not in the portal".into(),
                before: None,
                after: Some(json!({"email": email, "role": self.desired.default_role})),
                destructive: false,
                depends_on: after_marker.cloned().into_iter().collect(),
                operation: Operation::AddPortalUser {
                    portal_id: portal.id.clone(),
                    email,
                    role: self.desired.default_role.clone(),
                },
            });
        }
    }

    fn plan_deactivated(&mut self) {
        let MarkerFacts::Present {
            variable_id,
            marker,
        } = &self.observed.marker
        else {
            return;
        };
        if marker.state == IntegrationState::Deactivated {
            return;
        }
        let mut last_steps = Vec::new();
        if self.observed.link_module.is_some() {
            let address = Address::crm("records", self.desired.link_module.clone());
            let count = self.observed.link_record_count.unwrap_or(0);
            self.push(Change {
                address: address.clone(),
                action: Action::Delete,
                reason: "deactivation: projects are no longer viewable in CRM (projects stay in Zoho Projects)".into(),
                before: Some(json!({"link_records": count})),
                after: Some(json!({"link_records": 0})),
                destructive: true,
                depends_on: vec![],
                operation: Operation::RemoveLinkRecords {
                    link_module: self.desired.link_module.clone(),
                },
            });
            last_steps.push(address);
        }
        for profile in &self.observed.profiles {
            let current: BTreeMap<PermissionKind, bool> = PermissionKind::ALL
                .iter()
                .map(|k| (*k, profile.link_permission(*k)))
                .collect();
            // Revoke what may be revoked; locked permissions (Administrator) stay.
            let none: BTreeMap<PermissionKind, bool> = PermissionKind::ALL
                .iter()
                .map(|k| (*k, profile.link_permission_locked(*k) && current[k]))
                .collect();
            if current == none {
                continue;
            }
            let address = Address::crm(
                "profile-permissions",
                format!("{}/{}", profile.name, self.desired.link_module),
            );
            self.push(Change {
                address: address.clone(),
                action: Action::Update,
                reason: "deactivation revokes the related-list permissions".into(),
                before: Some(permissions_view(&current)),
                after: Some(permissions_view(&none)),
                destructive: false,
                depends_on: vec![],
                operation: Operation::SetLinkPermissions {
                    profile_id: profile.id.clone(),
                    profile_name: profile.name.clone(),
                    link_module: self.desired.link_module.clone(),
                    permissions: none.clone(),
                },
            });
            last_steps.push(address);
        }
        let mut next = marker.clone();
        next.state = IntegrationState::Deactivated;
        self.push(Change {
            address: marker_address(),
            action: Action::Update,
            reason: "record the deactivation; a later activation starts a new generation".into(),
            before: Some(marker_view(marker)),
            after: Some(marker_view(&next)),
            destructive: false,
            depends_on: last_steps,
            operation: Operation::WriteMarker {
                variable_id: Some(variable_id.clone()),
                marker: next,
            },
        });
    }
}

fn marker_view(marker: &Marker) -> serde_json::Value {
    json!({
        "state": marker.state,
        "portal": marker.portal_name,
        "generation": marker.generation,
    })
}

fn permissions_view(perms: &BTreeMap<PermissionKind, bool>) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (kind, enabled) in perms {
        map.insert(kind.label().to_string(), json!(enabled));
    }
    serde_json::Value::Object(map)
}
