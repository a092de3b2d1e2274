//! `plan(desired, observed, options)`: the pure planner for the configuration plane —
//! marker and portal binding, link module and fields, field-map checks, profile permissions,
//! portal users, and deactivation.

use std::collections::BTreeMap;

use serde_json::json;

use super::desired::Desired;
use super::diagnostics::PlanDiagnostic;
use super::model::*;
use super::safety;
use crate::live::{
    Address, IntegrationState, MARKER_VARIABLE, Marker, MarkerFacts, Observed, PermissionKind,
    ownership_marker,
};

/// Choices made on the command line (or by the operator) that shape a plan: the engine's,
/// the same for every kind.
pub use crate::engine::kind::Options as PlanOptions;

/// Plans the changes that make `observed` match `desired`.
pub fn plan(desired: &Desired, observed: &Observed, options: &PlanOptions) -> Plan {
    let mut planner = Planner {
        desired,
        observed,
        prune: options.prune || desired.prune,
        changes: Vec::new(),
        diagnostics: Vec::new(),
    };
    planner.check_live_names();
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
        projects_cost: None,
        observation: None,
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

pub(super) struct Planner<'a> {
    pub(super) desired: &'a Desired,
    pub(super) observed: &'a Observed,
    pub(super) prune: bool,
    pub(super) changes: Vec<Change>,
    pub(super) diagnostics: Vec<PlanDiagnostic>,
}

pub(super) fn marker_address() -> Address {
    Address::crm("variable", MARKER_VARIABLE)
}

impl<'a> Planner<'a> {
    pub(super) fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    pub(super) fn diag(&mut self, d: PlanDiagnostic) {
        self.diagnostics.push(d);
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

    pub(super) fn owner_tag(&self) -> String {
        ownership_marker(&self.desired.owner)
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
        let mut change = marker_update(
            variable_id,
            marker,
            next,
            "record the deactivation; a later activation starts a new generation",
        );
        change.depends_on = last_steps;
        self.push(change);
    }
}

/// Rewrites an existing marker variable in place.
pub(super) fn marker_update(
    variable_id: &str,
    current: &Marker,
    next: Marker,
    reason: impl Into<String>,
) -> Change {
    Change {
        address: marker_address(),
        action: Action::Update,
        reason: reason.into(),
        before: Some(marker_view(current)),
        after: Some(marker_view(&next)),
        destructive: false,
        depends_on: vec![],
        operation: Operation::WriteMarker {
            variable_id: Some(variable_id.to_string()),
            marker: next,
        },
    }
}

pub(super) fn marker_view(marker: &Marker) -> serde_json::Value {
    json!({
        "state": marker.state,
        "portal": marker.portal_name,
        "generation": marker.generation,
    })
}

pub(super) fn permissions_view(perms: &BTreeMap<PermissionKind, bool>) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (kind, enabled) in perms {
        map.insert(kind.label().to_string(), json!(enabled));
    }
    serde_json::Value::Object(map)
}
