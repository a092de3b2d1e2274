//! The Zoho Projects client: each capability goes through Zoho's V3 API where one is known
//! and through the legacy `/restapi` API otherwise, as [`capabilities::ROUTES`] lays out. Every
//! call is paced per user and API by the transport (see [`crate::zoho::pacing`]).

mod api_impl;
pub mod capabilities;
mod legacy;
mod legacy_people;
pub mod types;
mod v3;
mod v3_calls;
mod v3_types;
pub mod v3_wire;
pub mod wire;

use std::future::Future;
use std::sync::Arc;

use capabilities::{Capability, Fallbacks};
use legacy::Legacy;
use v3::V3;

use super::error::ZohoError;
use super::stats::ApiStatsSnapshot;
use super::transport::Transport;

pub use types::*;

/// Client for the Projects portals one grant can reach. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ProjectsClient {
    legacy: Legacy,
    v3: V3,
    fallbacks: Arc<Fallbacks>,
}

impl ProjectsClient {
    pub fn new(transport: Arc<Transport>) -> ProjectsClient {
        ProjectsClient {
            legacy: Legacy {
                transport: transport.clone(),
            },
            v3: V3::new(transport),
            fallbacks: Arc::default(),
        }
    }

    pub fn stats(&self) -> ApiStatsSnapshot {
        self.legacy.transport.stats().snapshot()
    }

    /// The transport every call goes through, for read-only probes that need the raw
    /// answer (`projectlink doctor` checks response shapes against the client's types).
    pub fn transport(&self) -> &Arc<Transport> {
        &self.legacy.transport
    }

    /// Runs `capability` on V3, or on legacy when V3 has no rule for it; a V3 answer of
    /// `URL_RULE_NOT_CONFIGURED` (nothing was done) repeats the call on legacy.
    async fn via<T, FV, FL>(
        &self,
        capability: Capability,
        v3: impl FnOnce() -> FV,
        legacy: impl FnOnce() -> FL,
    ) -> Result<T, ZohoError>
    where
        FV: Future<Output = Result<T, ZohoError>>,
        FL: Future<Output = Result<T, ZohoError>>,
    {
        if self.fallbacks.uses_v3(capability) {
            match v3().await {
                Err(e) if e.code() == Some(v3_wire::URL_RULE_NOT_CONFIGURED) => {
                    tracing::info!(?capability, error = %e, "no V3 rule; using the legacy API");
                    self.fallbacks.fall_back(capability);
                }
                other => return other,
            }
        }
        legacy().await
    }

    /// `GET /api/v3/portals`.
    pub async fn portals(&self) -> Result<Vec<Portal>, ZohoError> {
        self.via(
            Capability::Portals,
            || self.v3.portals(),
            || self.legacy.portals(),
        )
        .await
    }

    /// One portal; `None` when Zoho answers 404.
    pub async fn portal(&self, portal_id: &str) -> Result<Option<Portal>, ZohoError> {
        self.via(
            Capability::Portal,
            || self.v3.portal(portal_id),
            || self.legacy.portal(portal_id),
        )
        .await
    }

    /// Every project the filter selects, through every page.
    pub async fn projects(
        &self,
        portal_id: &str,
        filter: ProjectFilter,
    ) -> Result<Vec<Project>, ZohoError> {
        self.via(
            Capability::ListProjects,
            || self.v3.projects(portal_id, filter),
            || self.legacy.projects(portal_id, filter),
        )
        .await
    }

    /// Active and archived projects modified at or after `since_ms` (legacy only: V3 has no
    /// documented modified-time order or filter).
    pub async fn projects_changed_since(
        &self,
        portal_id: &str,
        since_ms: i64,
    ) -> Result<Vec<Project>, ZohoError> {
        self.legacy
            .projects_changed_since(portal_id, since_ms)
            .await
    }

    /// One project; `None` when Zoho answers 404.
    pub async fn project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Option<Project>, ZohoError> {
        self.via(
            Capability::GetProject,
            || self.v3.project(portal_id, project_id),
            || self.legacy.project(portal_id, project_id),
        )
        .await
    }

    /// Creates a project, from a template when `template_id` is set.
    pub async fn create_project(
        &self,
        portal_id: &str,
        project: &NewProject,
    ) -> Result<Project, ZohoError> {
        if project.name.trim().is_empty() {
            return Err(ZohoError::InvalidInput("a project needs a name".into()));
        }
        self.via(
            Capability::CreateProject,
            || self.v3.create_project(portal_id, project),
            || self.legacy.create_project(portal_id, project),
        )
        .await
    }

    /// Changes only the given fields of a project.
    pub async fn update_project(
        &self,
        portal_id: &str,
        project_id: &str,
        update: &ProjectUpdate,
    ) -> Result<Project, ZohoError> {
        self.via(
            Capability::UpdateProject,
            || self.v3.update_project(portal_id, project_id, update),
            || self.legacy.update_project(portal_id, project_id, update),
        )
        .await
    }

    /// Moves a project to the trash.
    pub async fn delete_project(&self, portal_id: &str, project_id: &str) -> Result<(), ZohoError> {
        self.via(
            Capability::TrashProject,
            || self.v3.trash_project(portal_id, project_id),
            || self.legacy.delete_project(portal_id, project_id),
        )
        .await
    }

    /// The portal's project custom fields.
    pub async fn project_custom_fields(
        &self,
        portal_id: &str,
    ) -> Result<Vec<ProjectCustomField>, ZohoError> {
        self.via(
            Capability::ProjectCustomFields,
            || self.v3.project_custom_fields(portal_id),
            || self.legacy.project_custom_fields(portal_id),
        )
        .await
    }

    /// Portal users, through every page.
    pub async fn portal_users(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        self.via(
            Capability::PortalUsers,
            || self.v3.portal_users(portal_id, filter),
            || self.legacy.portal_users(portal_id, filter),
        )
        .await
    }

    /// The portal's users, the first page or all, with the count Zoho gives for them all;
    /// through the legacy API, which gives no count, every user (`more: false`).
    pub async fn portal_users_counted(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
        pages: ListingPages,
    ) -> Result<ListingHead<ProjectsUser>, ZohoError> {
        self.via(
            Capability::PortalUsers,
            || self.v3.portal_users_counted(portal_id, filter, pages),
            || async {
                let all = self.legacy.portal_users(portal_id, filter).await?;
                Ok(ListingHead::whole(all))
            },
        )
        .await
    }

    /// The names of the roles users can be given in the portal. Read through the capability
    /// that gives roles: a portal whose V3 has no roles rule adds users through legacy too.
    pub async fn portal_roles(&self, portal_id: &str) -> Result<Vec<String>, ZohoError> {
        self.via(
            Capability::AddPortalUsers,
            || self.v3.role_names(portal_id),
            || async { Ok(wire::LEGACY_ROLES.map(String::from).to_vec()) },
        )
        .await
    }

    /// Adds every email to the portal with one role (`Manager`, `Employee`, `Contractor`).
    pub async fn add_portal_users(
        &self,
        portal_id: &str,
        emails: &[String],
        role: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        legacy_people::email_list(emails)?;
        self.via(
            Capability::AddPortalUsers,
            || self.v3.add_portal_users(portal_id, emails, role),
            || self.legacy.add_portal_users(portal_id, emails, role),
        )
        .await
    }

    /// Changes a portal user's role.
    pub async fn update_portal_user(
        &self,
        portal_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<ProjectsUser, ZohoError> {
        self.via(
            Capability::UpdatePortalUser,
            || self.v3.update_portal_user(portal_id, user_id, role),
            || self.legacy.update_portal_user(portal_id, user_id, role),
        )
        .await
    }

    /// A project's users.
    pub async fn project_users(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        self.via(
            Capability::ProjectUsers,
            || self.v3.project_users(portal_id, project_id),
            || self.legacy.project_users(portal_id, project_id),
        )
        .await
    }

    /// Adds portal users to a project with one project role.
    pub async fn add_project_users(
        &self,
        portal_id: &str,
        project_id: &str,
        emails: &[String],
        role: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        legacy_people::email_list(emails)?;
        self.via(
            Capability::AddProjectUsers,
            || {
                self.v3
                    .add_project_users(portal_id, project_id, emails, role)
            },
            || {
                self.legacy
                    .add_project_users(portal_id, project_id, emails, role)
            },
        )
        .await
    }

    /// Client companies, through every page.
    pub async fn clients(&self, portal_id: &str) -> Result<Vec<Client>, ZohoError> {
        self.via(
            Capability::Clients,
            || self.v3.clients(portal_id),
            || self.legacy.clients(portal_id),
        )
        .await
    }

    /// The portal's client companies, the first page or all, with the count Zoho gives for
    /// them all; through the legacy API, which gives no count, every client (`more: false`).
    pub async fn clients_counted(
        &self,
        portal_id: &str,
        pages: ListingPages,
    ) -> Result<ListingHead<Client>, ZohoError> {
        self.via(
            Capability::Clients,
            || self.v3.clients_counted(portal_id, pages),
            || async {
                let all = self.legacy.clients(portal_id).await?;
                Ok(ListingHead::whole(all))
            },
        )
        .await
    }

    /// Creates a client company.
    pub async fn create_client(
        &self,
        portal_id: &str,
        client: &NewClient,
    ) -> Result<Client, ZohoError> {
        if client.name.trim().is_empty() {
            return Err(ZohoError::InvalidInput(
                "a client company needs a name".into(),
            ));
        }
        self.via(
            Capability::CreateClient,
            || self.v3.create_client(portal_id, client),
            || self.legacy.create_client(portal_id, client),
        )
        .await
    }

    /// A client company's users.
    pub async fn client_users(
        &self,
        portal_id: &str,
        client_id: &str,
    ) -> Result<Vec<ClientUser>, ZohoError> {
        self.via(
            Capability::ClientUsers,
            || self.v3.client_users(portal_id, client_id),
            || self.legacy.client_users(portal_id, client_id),
        )
        .await
    }

    /// Adds a client user to a company (legacy only).
    pub async fn add_client_user(
        &self,
        portal_id: &str,
        client_id: &str,
        email: &str,
        name: Option<&str>,
    ) -> Result<ClientUser, ZohoError> {
        self.legacy
            .add_client_user(portal_id, client_id, email, name)
            .await
    }

    /// Gives a client user access to projects (legacy only).
    pub async fn add_client_user_to_projects(
        &self,
        portal_id: &str,
        user_id: &str,
        project_ids: &[String],
    ) -> Result<ClientUser, ZohoError> {
        self.legacy
            .add_client_user_to_projects(portal_id, user_id, project_ids)
            .await
    }

    /// A project's client companies (legacy only).
    pub async fn project_clients(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectClient>, ZohoError> {
        self.legacy.project_clients(portal_id, project_id).await
    }

    /// Adds a client company to a project, as primary or not (legacy only).
    pub async fn add_project_client(
        &self,
        portal_id: &str,
        project_id: &str,
        client_id: &str,
        primary: bool,
    ) -> Result<ProjectClient, ZohoError> {
        self.legacy
            .add_project_client(portal_id, project_id, client_id, primary)
            .await
    }
}
