//! Org, users, roles and profiles: who is in the CRM org and what their profiles allow.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use super::inputs::{NewUser, UserUpdate};
use super::types::{CrmUser, Org, Profile, Role, UserType};
use super::{CrmClient, segment};
use crate::zoho::error::ZohoError;
use crate::zoho::transport::ApiRequest;

impl CrmClient {
    /// `GET /org`.
    pub async fn org(&self) -> Result<Org, ZohoError> {
        let answer = self.send(ApiRequest::get(Self::path("/org"))).await?;
        let request = answer.request.clone();
        let orgs: Vec<Org> = super::take_list(answer.body, "org", &request)?;
        orgs.into_iter()
            .next()
            .ok_or_else(|| ZohoError::decode(&request, "the org list is empty"))
    }

    /// `GET /users?type=` through every page.
    pub async fn users(&self, user_type: UserType) -> Result<Vec<CrmUser>, ZohoError> {
        let request = ApiRequest::get(Self::path("/users")).query("type", user_type.as_str());
        self.all_pages(request, "users").await
    }

    /// `GET /users?type=` with `If-Modified-Since`: the users changed after `since` (a user
    /// Zoho deleted is listed with status `deleted`), through every page; none when nothing
    /// changed (304).
    pub async fn users_modified_since(
        &self,
        user_type: UserType,
        since: DateTime<Utc>,
    ) -> Result<Vec<CrmUser>, ZohoError> {
        let request = ApiRequest::get(Self::path("/users"))
            .query("type", user_type.as_str())
            .header(
                "If-Modified-Since",
                super::changes::if_modified_since(since),
            );
        self.all_pages(request, "users").await
    }

    /// `GET /users/{id}`; `None` when Zoho has no such user.
    pub async fn user(&self, user_id: &str) -> Result<Option<CrmUser>, ZohoError> {
        let path = Self::path(&format!("/users/{}", segment(user_id, "user id")?));
        match self.list::<CrmUser>(ApiRequest::get(path), "users").await {
            Ok(users) => Ok(users.into_iter().next()),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /users`, one user per request as Zoho demands; returns the new user's id.
    pub async fn add_user(&self, user: &NewUser) -> Result<String, ZohoError> {
        if user.email.trim().is_empty() || user.last_name.trim().is_empty() {
            return Err(ZohoError::InvalidInput(
                "a new CRM user needs an email and a last name".into(),
            ));
        }
        let request = ApiRequest::new(Method::POST, Self::path("/users")).json(user.to_json());
        self.create_one(request, "users").await
    }

    /// `PUT /users/{id}`.
    pub async fn update_user(&self, user_id: &str, update: &UserUpdate) -> Result<(), ZohoError> {
        let path = Self::path(&format!("/users/{}", segment(user_id, "user id")?));
        let request = ApiRequest::new(Method::PUT, path).json(update.to_json(user_id));
        self.write_one(request, "users").await.map(drop)
    }

    /// `GET /settings/roles`.
    pub async fn roles(&self) -> Result<Vec<Role>, ZohoError> {
        self.list(ApiRequest::get(Self::path("/settings/roles")), "roles")
            .await
    }

    /// `GET /settings/profiles` (without permission details).
    pub async fn profiles(&self) -> Result<Vec<Profile>, ZohoError> {
        self.list(
            ApiRequest::get(Self::path("/settings/profiles")),
            "profiles",
        )
        .await
    }

    /// `GET /settings/profiles/{id}`, with `permissions_details`.
    pub async fn profile(&self, profile_id: &str) -> Result<Profile, ZohoError> {
        let path = Self::path(&format!(
            "/settings/profiles/{}",
            segment(profile_id, "profile id")?
        ));
        let answer = self.send(ApiRequest::get(path)).await?;
        let request = answer.request.clone();
        let profiles: Vec<Profile> = super::take_list(answer.body, "profiles", &request)?;
        profiles
            .into_iter()
            .next()
            .ok_or_else(|| ZohoError::decode(&request, "no profile in the answer"))
    }

    /// `PUT /settings/profiles/{id}` switching the given permissions on or off.
    pub async fn update_profile_permissions(
        &self,
        profile_id: &str,
        permissions: &[(String, bool)],
    ) -> Result<(), ZohoError> {
        if permissions.is_empty() {
            return Ok(());
        }
        let path = Self::path(&format!(
            "/settings/profiles/{}",
            segment(profile_id, "profile id")?
        ));
        let details: Vec<Value> = permissions
            .iter()
            .map(|(id, enabled)| json!({ "id": id, "enabled": enabled }))
            .collect();
        let body = json!({ "profiles": [{ "permissions_details": details }] });
        let request = ApiRequest::new(Method::PUT, path).json(body);
        self.write_one(request, "profiles").await.map(drop)
    }
}
