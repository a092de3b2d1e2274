//! Legacy paths for portal users, project users, client companies, client users and project clients: who can
//! see which projects in Zoho Projects.

use reqwest::Method;

use super::legacy::{Form, Legacy};
use super::types::{Client, ClientUser, NewClient, PortalUserFilter, ProjectClient, ProjectsUser};
use super::wire;
use crate::zoho::error::ZohoError;
use crate::zoho::transport::{ApiRequest, segment};

/// Validates and joins emails for the comma-separated `email` parameter.
pub(super) fn email_list(emails: &[String]) -> Result<String, ZohoError> {
    if emails.is_empty() {
        return Err(ZohoError::InvalidInput("no email addresses given".into()));
    }
    for email in emails {
        let email = email.trim();
        if email.is_empty() || email.contains(',') || !email.contains('@') {
            return Err(ZohoError::InvalidInput(format!(
                "{email:?} is not a single email address"
            )));
        }
    }
    Ok(emails
        .iter()
        .map(|e| e.trim())
        .collect::<Vec<_>>()
        .join(","))
}

impl Legacy {
    /// `GET /users/?user_type=` through every range.
    pub async fn portal_users(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let request = ApiRequest::get(wire::portal_users(segment(portal_id, "portal id")?))
            .query(wire::PARAM_USER_TYPE, filter.as_str());
        self.all_ranges::<wire::UserWire, ProjectsUser>(request, wire::KEY_USERS)
            .await
    }

    /// `POST /users/` adding every email with one role (`Manager`, `Employee`, `Contractor`).
    pub async fn add_portal_users(
        &self,
        portal_id: &str,
        emails: &[String],
        role: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let mut form = Form::default();
        form.set(wire::PARAM_EMAIL, email_list(emails)?)
            .set(wire::PARAM_ROLE, role);
        let request = ApiRequest::new(
            Method::POST,
            wire::portal_users(segment(portal_id, "portal id")?),
        )
        .form(form.0);
        self.list::<wire::UserWire, ProjectsUser>(request, wire::KEY_USERS)
            .await
    }

    /// `POST /users/{id}/` changing the user's role.
    pub async fn update_portal_user(
        &self,
        portal_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<ProjectsUser, ZohoError> {
        let mut form = Form::default();
        form.set(wire::PARAM_ROLE, role);
        let path = wire::portal_user(
            segment(portal_id, "portal id")?,
            segment(user_id, "user id")?,
        );
        let request = ApiRequest::new(Method::POST, path).form(form.0);
        self.one::<wire::UserWire, ProjectsUser>(request, wire::KEY_USERS)
            .await
    }

    /// `GET /projects/{id}/users/`.
    pub async fn project_users(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let path = wire::project_users(
            segment(portal_id, "portal id")?,
            segment(project_id, "project id")?,
        );
        self.list::<wire::UserWire, ProjectsUser>(ApiRequest::get(path), wire::KEY_USERS)
            .await
    }

    /// `POST /projects/{id}/users/`.
    pub async fn add_project_users(
        &self,
        portal_id: &str,
        project_id: &str,
        emails: &[String],
        role: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let mut form = Form::default();
        form.set(wire::PARAM_EMAIL, email_list(emails)?)
            .set(wire::PARAM_ROLE, role);
        let path = wire::project_users(
            segment(portal_id, "portal id")?,
            segment(project_id, "project id")?,
        );
        let request = ApiRequest::new(Method::POST, path).form(form.0);
        self.list::<wire::UserWire, ProjectsUser>(request, wire::KEY_USERS)
            .await
    }

    /// `GET /clients/` through every range.
    pub async fn clients(&self, portal_id: &str) -> Result<Vec<Client>, ZohoError> {
        let request = ApiRequest::get(wire::clients(segment(portal_id, "portal id")?));
        self.all_ranges::<wire::ClientWire, Client>(request, wire::KEY_CLIENTS)
            .await
    }

    /// `POST /clients/`.
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
        let mut form = Form::default();
        form.set(wire::PARAM_NAME, client.name.clone())
            .set_opt(wire::PARAM_WEBSITE, client.website.clone())
            .set_opt(wire::PARAM_PHONE, client.phone.clone());
        let request = ApiRequest::new(
            Method::POST,
            wire::clients(segment(portal_id, "portal id")?),
        )
        .form(form.0);
        self.one::<wire::ClientWire, Client>(request, wire::KEY_CLIENTS)
            .await
    }

    /// `GET /clients/{id}/users/`.
    pub async fn client_users(
        &self,
        portal_id: &str,
        client_id: &str,
    ) -> Result<Vec<ClientUser>, ZohoError> {
        let path = wire::client_users(
            segment(portal_id, "portal id")?,
            segment(client_id, "client id")?,
        );
        self.list::<wire::ClientUserWire, ClientUser>(ApiRequest::get(path), wire::KEY_USERS)
            .await
    }

    /// `POST /clients/{id}/users/`.
    pub async fn add_client_user(
        &self,
        portal_id: &str,
        client_id: &str,
        email: &str,
        name: Option<&str>,
    ) -> Result<ClientUser, ZohoError> {
        let mut form = Form::default();
        form.set(wire::PARAM_EMAIL, email_list(&[email.to_string()])?)
            .set_opt(wire::PARAM_NAME, name);
        let path = wire::client_users(
            segment(portal_id, "portal id")?,
            segment(client_id, "client id")?,
        );
        let request = ApiRequest::new(Method::POST, path).form(form.0);
        self.one::<wire::ClientUserWire, ClientUser>(request, wire::KEY_USERS)
            .await
    }

    /// `POST /clientusers/{id}/projects/`.
    pub async fn add_client_user_to_projects(
        &self,
        portal_id: &str,
        user_id: &str,
        project_ids: &[String],
    ) -> Result<ClientUser, ZohoError> {
        if project_ids.is_empty() {
            return Err(ZohoError::InvalidInput("no project ids given".into()));
        }
        for id in project_ids {
            segment(id, "project id")?;
        }
        let mut form = Form::default();
        form.set(wire::PARAM_PROJECT_IDS, project_ids.join(","));
        let path = wire::client_user_projects(
            segment(portal_id, "portal id")?,
            segment(user_id, "client user id")?,
        );
        let request = ApiRequest::new(Method::POST, path).form(form.0);
        self.one::<wire::ClientUserWire, ClientUser>(request, wire::KEY_USERS)
            .await
    }

    /// `GET /projects/{id}/clients/`.
    pub async fn project_clients(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectClient>, ZohoError> {
        let path = wire::project_clients(
            segment(portal_id, "portal id")?,
            segment(project_id, "project id")?,
        );
        self.list::<wire::ProjectClientWire, ProjectClient>(
            ApiRequest::get(path),
            wire::KEY_CLIENTS,
        )
        .await
    }

    /// `POST /projects/{id}/clients/`, as the primary client or an additional one.
    pub async fn add_project_client(
        &self,
        portal_id: &str,
        project_id: &str,
        client_id: &str,
        primary: bool,
    ) -> Result<ProjectClient, ZohoError> {
        let mut form = Form::default();
        form.set(wire::PARAM_CLIENT_ID, segment(client_id, "client id")?)
            .set(wire::PARAM_PRIMARY, primary.to_string());
        let path = wire::project_clients(
            segment(portal_id, "portal id")?,
            segment(project_id, "project id")?,
        );
        let request = ApiRequest::new(Method::POST, path).form(form.0);
        self.one::<wire::ProjectClientWire, ProjectClient>(request, wire::KEY_CLIENTS)
            .await
    }
}
