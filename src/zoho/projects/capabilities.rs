//! Which Zoho Projects API serves each capability: V3 wherever a V3 endpoint is known, the
//! legacy `/restapi` API where none is (Zoho retires it at the end of 2026; the rows with no
//! V3 path are what would break that day). A V3 call answered `URL_RULE_NOT_CONFIGURED`
//! (the portal has no such rule) falls back to legacy for the rest of the client's life.

use std::sync::atomic::{AtomicBool, Ordering};

/// Everything projectlink asks of Zoho Projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    Portals,
    Portal,
    ListProjects,
    ChangedProjects,
    GetProject,
    CreateProject,
    UpdateProject,
    TrashProject,
    ProjectCustomFields,
    PortalUsers,
    AddPortalUsers,
    UpdatePortalUser,
    ProjectUsers,
    AddProjectUsers,
    Clients,
    CreateClient,
    ClientUsers,
    AddClientUser,
    AddClientUserToProjects,
    ProjectClients,
    AddProjectClient,
}

/// One row of [`ROUTES`].
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub capability: Capability,
    /// The V3 endpoint, or `None` when no source shows one.
    pub v3: Option<&'static str>,
    pub legacy: &'static str,
    /// Where the V3 form comes from, or why there is none.
    pub source: &'static str,
}

const fn v3(
    capability: Capability,
    v3: &'static str,
    legacy: &'static str,
    source: &'static str,
) -> Route {
    Route {
        capability,
        v3: Some(v3),
        legacy,
        source,
    }
}

const fn legacy_only(capability: Capability, legacy: &'static str, source: &'static str) -> Route {
    Route {
        capability,
        v3: None,
        legacy,
        source,
    }
}

use Capability as C;

/// The per-capability table (paths relative to `/api/v3/portal/{pid}` and
/// `/restapi/portal/{pid}`).
pub const ROUTES: &[Route] = &[
    v3(
        C::Portals,
        "GET /api/v3/portals",
        "GET /restapi/portals/",
        "seen live",
    ),
    v3(
        C::Portal,
        "GET /api/v3/portal/{pid}",
        "GET /restapi/portal/{pid}/",
        "seen live",
    ),
    v3(
        C::ListProjects,
        "GET /projects",
        "GET /projects/",
        "seen live; project_type filter chosen",
    ),
    legacy_only(
        C::ChangedProjects,
        "GET /projects/?sort_column=last_modified_time&sort_order=descending",
        "documented for legacy; no V3 modified-time order or filter known",
    ),
    v3(
        C::GetProject,
        "GET /projects/{id}",
        "GET /projects/{id}/",
        "seen live",
    ),
    v3(
        C::CreateProject,
        "POST /projects",
        "POST /projects/",
        "seen live; copy_from documented",
    ),
    v3(
        C::UpdateProject,
        "PATCH /projects/{id}",
        "POST /projects/{id}/",
        "seen live",
    ),
    v3(
        C::TrashProject,
        "POST /projects/{id}/trash",
        "DELETE /projects/{id}/",
        "seen live",
    ),
    v3(
        C::ProjectCustomFields,
        "GET /settings/fields?module=projects",
        "GET /projects/customfields/",
        "client code only (chosen)",
    ),
    v3(
        C::PortalUsers,
        "GET /users?type=1",
        "GET /users/",
        "seen live",
    ),
    v3(
        C::AddPortalUsers,
        "POST /users",
        "POST /users/",
        "body unknown (chosen)",
    ),
    v3(
        C::UpdatePortalUser,
        "PATCH /users/{id}",
        "POST /users/{id}/",
        "verb from the legacy docs (chosen)",
    ),
    v3(
        C::ProjectUsers,
        "GET /projects/{id}/users",
        "GET /projects/{id}/users/",
        "seen live",
    ),
    v3(
        C::AddProjectUsers,
        "POST /projects/{id}/users",
        "POST /projects/{id}/users/",
        "body unknown (chosen)",
    ),
    v3(
        C::Clients,
        "GET /clients",
        "GET /clients/",
        "client code only (chosen)",
    ),
    v3(
        C::CreateClient,
        "POST /clients",
        "POST /clients/",
        "client code only (chosen)",
    ),
    v3(
        C::ClientUsers,
        "GET /users?type=2&company_ids=",
        "GET /clients/{id}/users/",
        "documented type codes",
    ),
    legacy_only(
        C::AddClientUser,
        "POST /clients/{id}/users/",
        "no V3 form known",
    ),
    legacy_only(
        C::AddClientUserToProjects,
        "POST /clientusers/{id}/projects/",
        "no V3 form known",
    ),
    legacy_only(
        C::ProjectClients,
        "GET /projects/{id}/clients/",
        "no V3 form known",
    ),
    legacy_only(
        C::AddProjectClient,
        "POST /projects/{id}/clients/",
        "no V3 form known",
    ),
];

/// The row of a capability.
pub fn route(capability: Capability) -> &'static Route {
    ROUTES
        .iter()
        .find(|r| r.capability == capability)
        .unwrap_or(&ROUTES[0])
}

/// Capabilities whose V3 rule a portal turned out not to have.
#[derive(Debug, Default)]
pub struct Fallbacks {
    legacy: [AtomicBool; ROUTES.len()],
}

impl Fallbacks {
    fn index(capability: Capability) -> usize {
        ROUTES
            .iter()
            .position(|r| r.capability == capability)
            .unwrap_or(0)
    }

    /// Whether calls of this capability go to V3.
    pub fn uses_v3(&self, capability: Capability) -> bool {
        route(capability).v3.is_some()
            && !self.legacy[Self::index(capability)].load(Ordering::Relaxed)
    }

    pub fn fall_back(&self, capability: Capability) {
        self.legacy[Self::index(capability)].store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_has_exactly_one_row() {
        let all = [
            C::Portals,
            C::Portal,
            C::ListProjects,
            C::ChangedProjects,
            C::GetProject,
            C::CreateProject,
            C::UpdateProject,
            C::TrashProject,
            C::ProjectCustomFields,
            C::PortalUsers,
            C::AddPortalUsers,
            C::UpdatePortalUser,
            C::ProjectUsers,
            C::AddProjectUsers,
            C::Clients,
            C::CreateClient,
            C::ClientUsers,
            C::AddClientUser,
            C::AddClientUserToProjects,
            C::ProjectClients,
            C::AddProjectClient,
        ];
        assert_eq!(all.len(), ROUTES.len());
        for c in all {
            assert_eq!(
                ROUTES.iter().filter(|r| r.capability == c).count(),
                1,
                "{c:?}"
            );
        }
    }

    #[test]
    fn a_fallback_sticks_to_its_capability() {
        let f = Fallbacks::default();
        assert!(f.uses_v3(C::ListProjects));
        assert!(!f.uses_v3(C::ProjectClients));
        f.fall_back(C::Clients);
        assert!(!f.uses_v3(C::Clients));
        assert!(f.uses_v3(C::CreateClient));
    }
}
