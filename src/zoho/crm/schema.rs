//! Modules, fields, related lists and org variables: the CRM schema projectlink extends with
//! its link module, lookup and mapping fields, and its integration marker.

use reqwest::Method;

use super::inputs::{FieldUpdate, NewField, NewModule, NewVariable, VariableUpdate};
use super::types::{Field, Module, RelatedList, Variable};
use super::{CrmClient, FIELD_BATCH, segment};
use crate::zoho::error::{ItemError, ZohoError};
use crate::zoho::response;
use crate::zoho::transport::ApiRequest;

impl CrmClient {
    /// `GET /settings/modules`.
    pub async fn modules(&self) -> Result<Vec<Module>, ZohoError> {
        self.list(ApiRequest::get(Self::path("/settings/modules")), "modules")
            .await
    }

    /// `GET /settings/modules/{api_name}`; `None` when the module does not exist.
    pub async fn module(&self, api_name: &str) -> Result<Option<Module>, ZohoError> {
        let path = Self::path(&format!(
            "/settings/modules/{}",
            segment(api_name, "module API name")?
        ));
        match self.list::<Module>(ApiRequest::get(path), "modules").await {
            Ok(modules) => Ok(modules.into_iter().next()),
            Err(e) if e.status() == Some(404) || e.code() == Some("INVALID_MODULE") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /settings/modules`; returns the new module's id.
    pub async fn create_module(&self, module: &NewModule) -> Result<String, ZohoError> {
        if module.profile_ids.is_empty() {
            return Err(ZohoError::InvalidInput(format!(
                "custom module {:?} needs at least one profile",
                module.plural_label
            )));
        }
        let request =
            ApiRequest::new(Method::POST, Self::path("/settings/modules")).json(module.to_json());
        self.create_one(request, "modules").await
    }

    /// `GET /settings/fields?module=`.
    pub async fn fields(&self, module: &str) -> Result<Vec<Field>, ZohoError> {
        let request = ApiRequest::get(Self::path("/settings/fields"))
            .query("module", segment(module, "module API name")?);
        self.list(request, "fields").await
    }

    /// `POST /settings/fields?module=`, 25 fields per call, calls run concurrently. One result
    /// per input field, in input order: the new field's id or why it was not created.
    pub async fn create_fields(
        &self,
        module: &str,
        fields: &[NewField],
    ) -> Result<Vec<Result<String, ItemError>>, ZohoError> {
        let module = segment(module, "module API name")?;
        let batches = fields
            .chunks(FIELD_BATCH)
            .map(|chunk| {
                let body = serde_json::json!({
                    "fields": chunk.iter().map(NewField::to_json).collect::<Vec<_>>()
                });
                let request = ApiRequest::new(Method::POST, Self::path("/settings/fields"))
                    .query("module", module)
                    .json(body);
                (chunk.len(), request)
            })
            .collect();
        let outcomes = self.write_batches(batches, "fields").await;
        Ok(outcomes.into_iter().map(with_id).collect())
    }

    /// `PATCH /settings/fields/{id}?module=`.
    pub async fn update_field(
        &self,
        module: &str,
        field_id: &str,
        update: &FieldUpdate,
    ) -> Result<(), ZohoError> {
        let path = Self::path(&format!(
            "/settings/fields/{}",
            segment(field_id, "field id")?
        ));
        let request = ApiRequest::new(Method::PATCH, path)
            .query("module", segment(module, "module API name")?)
            .json(update.to_json(field_id));
        self.write_one(request, "fields").await.map(drop)
    }

    /// `DELETE /settings/fields/{id}?module=`.
    pub async fn delete_field(&self, module: &str, field_id: &str) -> Result<(), ZohoError> {
        let path = Self::path(&format!(
            "/settings/fields/{}",
            segment(field_id, "field id")?
        ));
        let request = ApiRequest::new(Method::DELETE, path)
            .query("module", segment(module, "module API name")?);
        self.write_one(request, "fields").await.map(drop)
    }

    /// `GET /settings/related_lists?module=`.
    pub async fn related_lists(&self, module: &str) -> Result<Vec<RelatedList>, ZohoError> {
        let request = ApiRequest::get(Self::path("/settings/related_lists"))
            .query("module", segment(module, "module API name")?);
        self.list(request, "related_lists").await
    }

    /// `GET /settings/variables`.
    pub async fn variables(&self) -> Result<Vec<Variable>, ZohoError> {
        self.list(
            ApiRequest::get(Self::path("/settings/variables")),
            "variables",
        )
        .await
    }

    /// `POST /settings/variables`; returns the new variable's id.
    pub async fn create_variable(&self, variable: &NewVariable) -> Result<String, ZohoError> {
        let request = ApiRequest::new(Method::POST, Self::path("/settings/variables"))
            .json(variable.to_json());
        self.create_one(request, "variables").await
    }

    /// `PUT /settings/variables/{id}`.
    pub async fn update_variable(
        &self,
        variable_id: &str,
        update: &VariableUpdate,
    ) -> Result<(), ZohoError> {
        let path = Self::path(&format!(
            "/settings/variables/{}",
            segment(variable_id, "variable id")?
        ));
        let request = ApiRequest::new(Method::PUT, path).json(update.to_json(variable_id));
        self.write_one(request, "variables").await.map(drop)
    }

    /// `DELETE /settings/variables/{id}`.
    pub async fn delete_variable(&self, variable_id: &str) -> Result<(), ZohoError> {
        let path = Self::path(&format!(
            "/settings/variables/{}",
            segment(variable_id, "variable id")?
        ));
        self.write_one(ApiRequest::new(Method::DELETE, path), "variables")
            .await
            .map(drop)
    }
}

/// A successful item's `details.id`, or a rejection naming what was missing.
fn with_id(outcome: response::ItemOutcome) -> Result<String, ItemError> {
    let item = outcome?;
    response::item_id(&item).ok_or_else(|| ItemError::Rejected {
        code: "NO_ID".into(),
        message: "Zoho reported success without an id".into(),
        details: item,
    })
}
