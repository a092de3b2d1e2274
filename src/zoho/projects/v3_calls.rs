//! One method per capability V3 offers: portals, projects (list, get, create from a template
//! with `copy_from`, PATCH, trash), portal and project users, client companies and client
//! users. Each maps the V3 answer to the same domain types as its legacy counterpart.

use reqwest::Method;
use serde_json::{Value, json};

use super::legacy::not_found_as_none;
use super::types::*;
use super::v3::{ProjectFields, V3};
use super::v3_wire as wire;
use crate::zoho::error::ZohoError;
use crate::zoho::transport::{ApiRequest, segment};

fn pid(portal_id: &str) -> Result<&str, ZohoError> {
    segment(portal_id, "portal id")
}

impl V3 {
    /// `GET /api/v3/portals` (a bare array).
    pub(super) async fn portals(&self) -> Result<Vec<Portal>, ZohoError> {
        let (body, description) = self.body(ApiRequest::get(wire::PORTALS)).await?;
        match body {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|i| {
                    crate::zoho::response::decode::<wire::PortalWire>(i, &description, "a portal")
                        .map(Portal::from)
                })
                .collect(),
            Some(_) => Err(ZohoError::decode(
                &description,
                "the portals are not a list",
            )),
        }
    }

    /// `GET /api/v3/portal/{id}` (`{"portal_details":{..}}`); `None` on 404.
    pub(super) async fn portal(&self, portal_id: &str) -> Result<Option<Portal>, ZohoError> {
        let request = ApiRequest::get(wire::portal(pid(portal_id)?));
        let result = async {
            let (body, description) = self.body(request).await?;
            let details = body
                .and_then(|mut b| b.get_mut(wire::KEY_PORTAL_DETAILS).map(Value::take))
                .ok_or_else(|| {
                    ZohoError::decode(&description, "no portal_details in the answer")
                })?;
            crate::zoho::response::decode::<wire::PortalWire>(details, &description, "the portal")
                .map(|p| Some(Portal::from(p)))
        }
        .await;
        not_found_as_none(result)
    }

    /// `GET /projects?project_type=` through every page.
    pub(super) async fn projects(
        &self,
        portal_id: &str,
        filter: ProjectFilter,
    ) -> Result<Vec<Project>, ZohoError> {
        let mut request = ApiRequest::get(wire::projects(pid(portal_id)?));
        let project_type = match filter {
            ProjectFilter::ActiveAndArchived => None,
            ProjectFilter::Active => Some(wire::TYPE_ACTIVE),
            ProjectFilter::Archived => Some(wire::TYPE_ARCHIVED),
            ProjectFilter::Templates => Some(wire::TYPE_TEMPLATE),
        };
        if let Some(t) = project_type {
            request = request.query(wire::PARAM_PROJECT_TYPE, t);
        }
        self.all_pages::<wire::ProjectWire, Project>(request, None, wire::MAX_PER_PAGE)
            .await
    }

    /// `GET /projects/{id}`; `None` on 404.
    pub(super) async fn project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Option<Project>, ZohoError> {
        let path = wire::project(pid(portal_id)?, segment(project_id, "project id")?);
        not_found_as_none(
            self.object::<wire::ProjectWire, Project>(ApiRequest::get(path))
                .await
                .map(Some),
        )
    }

    /// `POST /projects`, from a template with `copy_from`.
    pub(super) async fn create_project(
        &self,
        portal_id: &str,
        project: &NewProject,
    ) -> Result<Project, ZohoError> {
        let fields = ProjectFields {
            name: Some(&project.name),
            description: project.description.as_deref(),
            owner: project.owner.as_deref(),
            start_date: project.start_date,
            end_date: project.end_date,
            copy_from: project.template_id.as_deref(),
            custom_fields: Some(&project.custom_fields),
            ..ProjectFields::default()
        };
        let body = self.project_body(portal_id, fields).await?;
        self.write_project(Method::POST, wire::projects(pid(portal_id)?), body)
            .await
    }

    /// `PATCH /projects/{id}` with only the changed fields.
    pub(super) async fn update_project(
        &self,
        portal_id: &str,
        project_id: &str,
        update: &ProjectUpdate,
    ) -> Result<Project, ZohoError> {
        let project_type = update.status.as_ref().map(|s| match s {
            ProjectStatus::Archived => wire::TYPE_ARCHIVED,
            ProjectStatus::Template => wire::TYPE_TEMPLATE,
            _ => wire::TYPE_ACTIVE,
        });
        let fields = ProjectFields {
            name: update.name.as_deref(),
            description: update.description.as_deref(),
            owner: update.owner.as_deref(),
            start_date: update.start_date,
            end_date: update.end_date,
            project_type,
            percent_complete: update.percent_complete,
            custom_fields: Some(&update.custom_fields),
            ..ProjectFields::default()
        };
        let body = self.project_body(portal_id, fields).await?;
        let path = wire::project(pid(portal_id)?, segment(project_id, "project id")?);
        self.write_project(Method::PATCH, path, body).await
    }

    /// `POST /projects/{id}/trash` (204).
    pub(super) async fn trash_project(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<(), ZohoError> {
        let path = wire::project_trash(pid(portal_id)?, segment(project_id, "project id")?);
        self.body(ApiRequest::new(Method::POST, path))
            .await
            .map(drop)
    }

    /// `GET /users?type=1&view_type=` through every page.
    pub(super) async fn portal_users(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let request = ApiRequest::get(wire::users(pid(portal_id)?))
            .query(wire::PARAM_USER_TYPE, wire::USER_TYPE_PORTAL)
            .query(wire::PARAM_VIEW_TYPE, filter.as_str());
        self.all_pages::<wire::UserWire, ProjectsUser>(
            request,
            Some(wire::KEY_USERS),
            wire::MAX_USERS_PER_PAGE,
        )
        .await
    }

    /// `GET /users?type=portal_user&view_type=`, its first page or all, with its count.
    pub(super) async fn portal_users_counted(
        &self,
        portal_id: &str,
        filter: PortalUserFilter,
        pages: ListingPages,
    ) -> Result<ListingHead<ProjectsUser>, ZohoError> {
        let request = ApiRequest::get(wire::users(pid(portal_id)?))
            .query(wire::PARAM_USER_TYPE, wire::USER_TYPE_PORTAL)
            .query(wire::PARAM_VIEW_TYPE, filter.as_str());
        self.counted_pages::<wire::UserWire, ProjectsUser>(
            request,
            Some(wire::KEY_USERS),
            wire::MAX_USERS_PER_PAGE,
            pages,
        )
        .await
    }

    /// The `{"users":[{"email","role":{"id"}}]}` body of a user add.
    async fn user_adds(
        &self,
        portal_id: &str,
        emails: &[String],
        role: &str,
    ) -> Result<Value, ZohoError> {
        let role_id = self.role_id(portal_id, role).await?;
        let users: Vec<Value> = emails
            .iter()
            .map(|e| json!({"email": e.trim(), "role": {"id": role_id}}))
            .collect();
        Ok(json!({ wire::KEY_USERS: users }))
    }

    /// `POST /users` adding every email with one role.
    pub(super) async fn add_portal_users(
        &self,
        portal_id: &str,
        emails: &[String],
        role: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let body = self.user_adds(portal_id, emails, role).await?;
        let request = ApiRequest::new(Method::POST, wire::users(pid(portal_id)?)).json(body);
        self.listed_users(request, emails).await
    }

    /// `PATCH /users/{zpuid}` changing the user's role.
    pub(super) async fn update_portal_user(
        &self,
        portal_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<ProjectsUser, ZohoError> {
        let role_id = self.role_id(portal_id, role).await?;
        let path = wire::user(pid(portal_id)?, segment(user_id, "user id")?);
        let request = ApiRequest::new(Method::PATCH, path).json(json!({"role": {"id": role_id}}));
        let user: ProjectsUser = self.object::<wire::UserWire, ProjectsUser>(request).await?;
        let set = user.portal_role_name.as_deref().unwrap_or_default();
        if !set.eq_ignore_ascii_case(role) {
            return Err(ZohoError::InvalidInput(format!(
                "Zoho Projects accepted the role change of user {user_id} but reports role {set:?}, not {role:?}"
            )));
        }
        Ok(user)
    }

    /// `GET /projects/{id}/users` through every page.
    pub(super) async fn project_users(
        &self,
        portal_id: &str,
        project_id: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let path = wire::project_users(pid(portal_id)?, segment(project_id, "project id")?);
        self.all_pages::<wire::UserWire, ProjectsUser>(
            ApiRequest::get(path),
            Some(wire::KEY_USERS),
            wire::MAX_USERS_PER_PAGE,
        )
        .await
    }

    /// `POST /projects/{id}/users`.
    pub(super) async fn add_project_users(
        &self,
        portal_id: &str,
        project_id: &str,
        emails: &[String],
        role: &str,
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let body = self.user_adds(portal_id, emails, role).await?;
        let path = wire::project_users(pid(portal_id)?, segment(project_id, "project id")?);
        let request = ApiRequest::new(Method::POST, path).json(body);
        self.listed_users(request, emails).await
    }

    /// The users an add answered with, each email sent among them.
    async fn listed_users(
        &self,
        request: ApiRequest,
        emails: &[String],
    ) -> Result<Vec<ProjectsUser>, ZohoError> {
        let (body, description) = self.body(request).await?;
        let items = body
            .and_then(|mut b| b.get_mut(wire::KEY_USERS).map(Value::take))
            .and_then(|v| match v {
                Value::Array(items) => Some(items),
                _ => None,
            })
            .ok_or_else(|| ZohoError::decode(&description, "no \"users\" list in the answer"))?;
        let users = items
            .into_iter()
            .map(|i| {
                crate::zoho::response::decode::<wire::UserWire>(i, &description, "a user")
                    .map(ProjectsUser::from)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(missing) = emails
            .iter()
            .find(|e| !users.iter().any(|u| u.email.eq_ignore_ascii_case(e.trim())))
        {
            return Err(ZohoError::decode(
                &description,
                format!("Zoho Projects accepted the add but its answer does not list {missing}"),
            ));
        }
        Ok(users)
    }

    /// `GET /clients` through every page.
    pub(super) async fn clients(&self, portal_id: &str) -> Result<Vec<Client>, ZohoError> {
        let request = ApiRequest::get(wire::clients(pid(portal_id)?));
        self.all_pages::<wire::ClientWire, Client>(
            request,
            Some(wire::KEY_CLIENTS),
            wire::MAX_PER_PAGE,
        )
        .await
    }

    /// `GET /clients`, its first page or all, with its count.
    pub(super) async fn clients_counted(
        &self,
        portal_id: &str,
        pages: ListingPages,
    ) -> Result<ListingHead<Client>, ZohoError> {
        let request = ApiRequest::get(wire::clients(pid(portal_id)?));
        self.counted_pages::<wire::ClientWire, Client>(
            request,
            Some(wire::KEY_CLIENTS),
            wire::MAX_PER_PAGE,
            pages,
        )
        .await
    }

    /// `POST /clients`.
    pub(super) async fn create_client(
        &self,
        portal_id: &str,
        client: &NewClient,
    ) -> Result<Client, ZohoError> {
        let mut body = json!({"name": client.name});
        if let Some(w) = &client.website {
            body["website"] = json!(w);
        }
        if let Some(p) = &client.phone {
            body["phone"] = json!(p);
        }
        let request = ApiRequest::new(Method::POST, wire::clients(pid(portal_id)?)).json(body);
        let created: Client = self.object::<wire::ClientWire, Client>(request).await?;
        if created.name != client.name {
            return Err(ZohoError::InvalidInput(format!(
                "Zoho Projects created client company {:?} when asked for {:?}",
                created.name, client.name
            )));
        }
        Ok(created)
    }

    /// `GET /users?type=2&company_ids=` through every page.
    pub(super) async fn client_users(
        &self,
        portal_id: &str,
        client_id: &str,
    ) -> Result<Vec<ClientUser>, ZohoError> {
        let request = ApiRequest::get(wire::users(pid(portal_id)?))
            .query(wire::PARAM_USER_TYPE, wire::USER_TYPE_CLIENT)
            .query(wire::PARAM_COMPANY_IDS, segment(client_id, "client id")?);
        self.all_pages::<wire::UserWire, ClientUser>(
            request,
            Some(wire::KEY_USERS),
            wire::MAX_USERS_PER_PAGE,
        )
        .await
    }
}
