//! [`CrmApi`] for [`CrmClient`]: each method forwards to the inherent method of the same name.

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::CrmClient;
use super::inputs::*;
use super::types::*;
use crate::zoho::CrmApi;
use crate::zoho::error::{ItemError, ZohoError};

impl CrmApi for CrmClient {
    fn clock_ahead(&self) -> Option<chrono::Duration> {
        self.transport.stats().clock_ahead()
    }

    fn org(&self) -> impl Future<Output = Result<Org, ZohoError>> + Send {
        CrmClient::org(self)
    }

    fn users(
        &self,
        user_type: UserType,
    ) -> impl Future<Output = Result<Vec<CrmUser>, ZohoError>> + Send {
        CrmClient::users(self, user_type)
    }

    fn users_modified_since(
        &self,
        user_type: UserType,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<CrmUser>, ZohoError>> + Send {
        CrmClient::users_modified_since(self, user_type, since)
    }

    fn user(
        &self,
        user_id: &str,
    ) -> impl Future<Output = Result<Option<CrmUser>, ZohoError>> + Send {
        CrmClient::user(self, user_id)
    }

    fn add_user(&self, user: &NewUser) -> impl Future<Output = Result<String, ZohoError>> + Send {
        CrmClient::add_user(self, user)
    }

    fn update_user(
        &self,
        user_id: &str,
        update: &UserUpdate,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send {
        CrmClient::update_user(self, user_id, update)
    }

    fn roles(&self) -> impl Future<Output = Result<Vec<Role>, ZohoError>> + Send {
        CrmClient::roles(self)
    }

    fn profiles(&self) -> impl Future<Output = Result<Vec<Profile>, ZohoError>> + Send {
        CrmClient::profiles(self)
    }

    fn profile(&self, profile_id: &str) -> impl Future<Output = Result<Profile, ZohoError>> + Send {
        CrmClient::profile(self, profile_id)
    }

    fn update_profile_permissions(
        &self,
        profile_id: &str,
        permissions: &[(String, bool)],
    ) -> impl Future<Output = Result<(), ZohoError>> + Send {
        CrmClient::update_profile_permissions(self, profile_id, permissions)
    }

    fn modules(&self) -> impl Future<Output = Result<Vec<Module>, ZohoError>> + Send {
        CrmClient::modules(self)
    }

    fn module(
        &self,
        api_name: &str,
    ) -> impl Future<Output = Result<Option<Module>, ZohoError>> + Send {
        CrmClient::module(self, api_name)
    }

    fn create_module(
        &self,
        module: &NewModule,
    ) -> impl Future<Output = Result<String, ZohoError>> + Send {
        CrmClient::create_module(self, module)
    }

    fn fields(&self, module: &str) -> impl Future<Output = Result<Vec<Field>, ZohoError>> + Send {
        CrmClient::fields(self, module)
    }

    fn create_fields(
        &self,
        module: &str,
        fields: &[NewField],
    ) -> impl Future<Output = Result<Vec<Result<String, ItemError>>, ZohoError>> + Send {
        CrmClient::create_fields(self, module, fields)
    }

    fn update_field(
        &self,
        module: &str,
        field_id: &str,
        update: &FieldUpdate,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send {
        CrmClient::update_field(self, module, field_id, update)
    }

    fn delete_field(
        &self,
        module: &str,
        field_id: &str,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send {
        CrmClient::delete_field(self, module, field_id)
    }

    fn related_lists(
        &self,
        module: &str,
    ) -> impl Future<Output = Result<Vec<RelatedList>, ZohoError>> + Send {
        CrmClient::related_lists(self, module)
    }

    fn variables(&self) -> impl Future<Output = Result<Vec<Variable>, ZohoError>> + Send {
        CrmClient::variables(self)
    }

    fn create_variable(
        &self,
        variable: &NewVariable,
    ) -> impl Future<Output = Result<String, ZohoError>> + Send {
        CrmClient::create_variable(self, variable)
    }

    fn update_variable(
        &self,
        variable_id: &str,
        update: &VariableUpdate,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send {
        CrmClient::update_variable(self, variable_id, update)
    }

    fn delete_variable(
        &self,
        variable_id: &str,
    ) -> impl Future<Output = Result<(), ZohoError>> + Send {
        CrmClient::delete_variable(self, variable_id)
    }

    fn records(
        &self,
        module: &str,
        fields: &[String],
        query: &RecordQuery,
    ) -> impl Future<Output = Result<Vec<Record>, ZohoError>> + Send {
        CrmClient::records(self, module, fields, query)
    }

    fn record(
        &self,
        module: &str,
        record_id: &str,
    ) -> impl Future<Output = Result<Option<Record>, ZohoError>> + Send {
        CrmClient::record(self, module, record_id)
    }

    fn insert_records(
        &self,
        module: &str,
        records: &[Record],
    ) -> impl Future<Output = Result<Vec<WriteResult>, ZohoError>> + Send {
        CrmClient::insert_records(self, module, records)
    }

    fn update_records(
        &self,
        module: &str,
        records: &[Record],
    ) -> impl Future<Output = Result<Vec<WriteResult>, ZohoError>> + Send {
        CrmClient::update_records(self, module, records)
    }

    fn upsert_records(
        &self,
        module: &str,
        records: &[Record],
        duplicate_check_fields: &[String],
    ) -> impl Future<Output = Result<Vec<WriteResult>, ZohoError>> + Send {
        CrmClient::upsert_records(self, module, records, duplicate_check_fields)
    }

    fn delete_records(
        &self,
        module: &str,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Result<String, ItemError>>, ZohoError>> + Send {
        CrmClient::delete_records(self, module, ids)
    }

    fn search_records(
        &self,
        module: &str,
        criteria: &str,
        fields: &[String],
    ) -> impl Future<Output = Result<SearchResult, ZohoError>> + Send {
        CrmClient::search_records(self, module, criteria, fields)
    }

    fn count(
        &self,
        module: &str,
        criteria: Option<&str>,
    ) -> impl Future<Output = Result<u64, ZohoError>> + Send {
        CrmClient::count(self, module, criteria)
    }

    fn records_modified_since(
        &self,
        module: &str,
        fields: &[&str],
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Vec<Value>, ZohoError>> + Send {
        CrmClient::records_modified_since(self, module, fields, since)
    }

    fn records_by_ids(
        &self,
        module: &str,
        ids: &[String],
        fields: &[&str],
    ) -> impl Future<Output = Result<Vec<Value>, ZohoError>> + Send {
        CrmClient::records_by_ids(self, module, ids, fields)
    }

    fn deleted_records(
        &self,
        module: &str,
        since: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<Vec<DeletedRecord>, ZohoError>> + Send {
        CrmClient::deleted_records(self, module, since)
    }
}
