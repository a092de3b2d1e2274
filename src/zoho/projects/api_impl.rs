//! [`ProjectsApi`] for [`ProjectsClient`]: each method forwards to the inherent method of the same name.

use std::future::Future;

use super::ProjectsClient;
use super::types::*;
use crate::zoho::ProjectsApi;
use crate::zoho::error::ZohoError;

impl ProjectsApi for ProjectsClient {
    fn portals(&self) -> impl Future<Output = Result<Vec<Portal>, ZohoError>> + Send {
        ProjectsClient::portals(self)
    }

    fn portal(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Option<Portal>, ZohoError>> + Send {
        ProjectsClient::portal(self, portal_id)
    }

    fn projects(
        &self,
        portal_id: &str,
        filter: ProjectFilter,
    ) -> impl Future<Output = Result<Vec<Project>, ZohoError>> + Send {
        ProjectsClient::projects(self, portal_id, filter)
    }

    fn projects_changed_since(
        &self,
        portal_id: &str,
        since_ms: i64,
    ) -> impl Future<Output = Result<Vec<Project>, ZohoError>> + Send {
        ProjectsClient::projects_changed_since(self, portal_id, since_ms)
    }

    fn project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<Option<Project>, ZohoError>> + Send {
        ProjectsClient::project(self, portal_id, project_id)
    }

    fn create_project(
        &self,
        portal_id: &str,
        project: &NewProject,
    ) -> impl Future<Output = Result<Project, ZohoError>> + Send {
        ProjectsClient::create_project(self, portal_id, project)
    }

    fn update_project(
        &self,
        portal_id: &str,
        project_id: &str,
        update: &ProjectUpdate,
    ) -> impl Future<Output = Result<Project, ZohoError>> + Send {
        ProjectsClient::update_project(self, portal_id, project_id, update)
    }

    fn delete_project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send {
        ProjectsClient::delete_project(self, portal_id, project_id)
    }

    fn project_custom_fields(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Vec<ProjectCustomField>, ZohoError>> + Send {
        ProjectsClient::project_custom_fields(self, portal_id)
    }

    fn portal_roles(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, ZohoError>> + Send {
        ProjectsClient::portal_roles(self, portal_id)
    }

    fn portal_users(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send {
        ProjectsClient::portal_users(self, portal_id, filter)
    }

    fn portal_users_counted(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
        pages: ListingPages,
    ) -> impl Future<Output = Result<ListingHead<ProjectsUser>, ZohoError>> + Send {
        ProjectsClient::portal_users_counted(self, portal_id, filter, pages)
    }

    fn add_portal_users(
        &self,
        portal_id: &str,
        emails: &[String],
        role: &str,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send {
        ProjectsClient::add_portal_users(self, portal_id, emails, role)
    }

    fn update_portal_user(
        &self,
        portal_id: &str,
        user_id: &str,
        role: &str,
    ) -> impl Future<Output = Result<ProjectsUser, ZohoError>> + Send {
        ProjectsClient::update_portal_user(self, portal_id, user_id, role)
    }

    fn project_users(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send {
        ProjectsClient::project_users(self, portal_id, project_id)
    }

    fn add_project_users(
        &self,
        portal_id: &str,
        project_id: &str,
        emails: &[String],
        role: &str,
    ) -> impl Future<Output = Result<Vec<ProjectsUser>, ZohoError>> + Send {
        ProjectsClient::add_project_users(self, portal_id, project_id, emails, role)
    }

    fn clients(
        &self,
        portal_id: &str,
    ) -> impl Future<Output = Result<Vec<Client>, ZohoError>> + Send {
        ProjectsClient::clients(self, portal_id)
    }

    fn clients_counted(
        &self,
        portal_id: &str,
        pages: ListingPages,
    ) -> impl Future<Output = Result<ListingHead<Client>, ZohoError>> + Send {
        ProjectsClient::clients_counted(self, portal_id, pages)
    }

    fn create_client(
        &self,
        portal_id: &str,
        client: &NewClient,
    ) -> impl Future<Output = Result<Client, ZohoError>> + Send {
        ProjectsClient::create_client(self, portal_id, client)
    }

    fn client_users(
        &self,
        portal_id: &str,
        client_id: &str,
    ) -> impl Future<Output = Result<Vec<ClientUser>, ZohoError>> + Send {
        ProjectsClient::client_users(self, portal_id, client_id)
    }

    fn add_client_user(
        &self,
        portal_id: &str,
        client_id: &str,
        email: &str,
        name: Option<&str>,
    ) -> impl Future<Output = Result<ClientUser, ZohoError>> + Send {
        ProjectsClient::add_client_user(self, portal_id, client_id, email, name)
    }

    fn add_client_user_to_projects(
        &self,
        portal_id: &str,
        user_id: &str,
        project_ids: &[String],
    ) -> impl Future<Output = Result<ClientUser, ZohoError>> + Send {
        ProjectsClient::add_client_user_to_projects(self, portal_id, user_id, project_ids)
    }

    fn project_clients(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> impl Future<Output = Result<Vec<ProjectClient>, ZohoError>> + Send {
        ProjectsClient::project_clients(self, portal_id, project_id)
    }

    fn add_project_client(
        &self,
        portal_id: &str,
        project_id: &str,
        client_id: &str,
        primary: bool,
    ) -> impl Future<Output = Result<ProjectClient, ZohoError>> + Send {
        ProjectsClient::add_project_client(self, portal_id, project_id, client_id, primary)
    }
}
