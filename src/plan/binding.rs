//! Planning the binding of the CRM org to a portal: who owns the org's integration, which
//! portal the spec selects (or why it cannot be used yet), and the marker that records it.

use super::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use super::model::*;
use super::planner::{Planner, marker_address, marker_update, marker_view};
use crate::live::{
    Address, ClientMappingState, IntegrationState, MARKER_VARIABLE, Marker, MarkerFacts,
    PortalFacts, ProjectsGrant,
};

impl<'a> Planner<'a> {
    pub(super) fn org_is_bound_elsewhere(&mut self) -> bool {
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

    pub(super) fn resolve_portal(&mut self) -> Option<&'a PortalFacts> {
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

    /// Creates, re-activates or re-binds the marker; returns the address of its change.
    pub(super) fn plan_marker(&mut self, portal: &PortalFacts) -> Option<Address> {
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
                let marker = self.fresh_marker(portal, 1);
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
            } => self.marker_update_of(variable_id, current, portal)?,
        };
        self.push(change);
        Some(address)
    }

    /// A marker of a new generation, bound to `portal`, its client mapping still to do.
    fn fresh_marker(&self, portal: &PortalFacts, generation: u64) -> Marker {
        Marker {
            version: Marker::VERSION,
            owner: self.desired.owner.clone(),
            state: IntegrationState::Active,
            portal_id: portal.id.clone(),
            portal_name: portal.name.clone(),
            generation,
            client_mapping: ClientMappingState::Pending,
        }
    }

    /// The change to an existing marker: re-activation, a new portal, the bound portal's
    /// new name, or `None` when it is as it should be.
    fn marker_update_of(
        &self,
        variable_id: &str,
        current: &Marker,
        portal: &PortalFacts,
    ) -> Option<Change> {
        if current.state == IntegrationState::Deactivated {
            Some(marker_update(
                variable_id,
                current,
                self.fresh_marker(portal, current.generation + 1),
                "re-activate the integration as a new generation (earlier associations are not restored)",
            ))
        } else if current.portal_id != portal.id {
            Some(self.rebind(variable_id, current, portal))
        } else if current.portal_name != portal.name {
            let mut marker = current.clone();
            marker.portal_name = portal.name.clone();
            Some(marker_update(
                variable_id,
                current,
                marker,
                "the bound portal was renamed in Zoho Projects",
            ))
        } else {
            None
        }
    }

    /// Binds the org to another portal: a new generation, and every link record removed.
    fn rebind(&self, variable_id: &str, current: &Marker, portal: &PortalFacts) -> Change {
        let marker = self.fresh_marker(portal, current.generation + 1);
        Change {
            address: marker_address(),
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
                variable_id: Some(variable_id.to_string()),
                marker,
            },
        }
    }
}
