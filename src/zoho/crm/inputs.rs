//! What projectlink writes to CRM (new users, modules, fields, variables, their updates) and
//! the outcome types of batch writes. Each input maps to its JSON body in one function here,
//! so the wire format of every write is visible in one place.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::types::Tooltip;
use crate::zoho::error::ItemError;

/// `POST /users` (Zoho accepts one user per request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub first_name: Option<String>,
    pub last_name: String,
    pub email: String,
    pub role_id: String,
    pub profile_id: String,
}

impl NewUser {
    pub(crate) fn to_json(&self) -> Value {
        let mut user = Map::new();
        if let Some(first) = &self.first_name {
            user.insert("first_name".into(), json!(first));
        }
        user.insert("last_name".into(), json!(self.last_name));
        user.insert("email".into(), json!(self.email));
        user.insert("role".into(), json!({ "id": self.role_id }));
        user.insert("profile".into(), json!({ "id": self.profile_id }));
        json!({ "users": [user] })
    }
}

/// `PUT /users/{id}`: only the given fields change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role_id: Option<String>,
    pub profile_id: Option<String>,
    /// `active` or `inactive` to (de)activate.
    pub status: Option<String>,
}

impl UserUpdate {
    pub(crate) fn to_json(&self, user_id: &str) -> Value {
        let mut user = Map::new();
        user.insert("id".into(), json!(user_id));
        if let Some(v) = &self.first_name {
            user.insert("first_name".into(), json!(v));
        }
        if let Some(v) = &self.last_name {
            user.insert("last_name".into(), json!(v));
        }
        if let Some(v) = &self.role_id {
            user.insert("role".into(), json!({ "id": v }));
        }
        if let Some(v) = &self.profile_id {
            user.insert("profile".into(), json!({ "id": v }));
        }
        if let Some(v) = &self.status {
            user.insert("status".into(), json!(v));
        }
        json!({ "users": [user] })
    }
}

/// `POST /settings/modules`: a custom module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewModule {
    pub singular_label: String,
    pub plural_label: String,
    /// Zoho derives one from the plural label when absent.
    pub api_name: Option<String>,
    pub description: Option<String>,
    /// Profiles that may use the module (Zoho requires at least one).
    pub profile_ids: Vec<String>,
    /// The record-name field; Zoho creates a text `Name` field when absent. The shape
    /// `{"field_label","data_type"}` is unconfirmed against Zoho's v8 page.
    pub display_field: Option<DisplayField>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayField {
    pub field_label: String,
    /// `text` or `autonumber`.
    pub data_type: String,
}

impl NewModule {
    pub(crate) fn to_json(&self) -> Value {
        let mut module = Map::new();
        module.insert("singular_label".into(), json!(self.singular_label));
        module.insert("plural_label".into(), json!(self.plural_label));
        if let Some(v) = &self.api_name {
            module.insert("api_name".into(), json!(v));
        }
        if let Some(v) = &self.description {
            module.insert("description".into(), json!(v));
        }
        let profiles: Vec<Value> = self
            .profile_ids
            .iter()
            .map(|id| json!({ "id": id }))
            .collect();
        module.insert("profiles".into(), Value::Array(profiles));
        if let Some(d) = &self.display_field {
            module.insert(
                "display_field".into(),
                json!({ "field_label": d.field_label, "data_type": d.data_type }),
            );
        }
        json!({ "modules": [module] })
    }
}

/// A profile's access to a new field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldAccess {
    pub profile_id: String,
    /// `read_write`, `read_only` or `hidden`.
    pub permission_type: String,
}

/// `POST /settings/fields?module=` (25 per request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewField {
    pub field_label: String,
    pub data_type: String,
    pub api_name: Option<String>,
    pub length: Option<u32>,
    pub tooltip: Option<Tooltip>,
    pub profiles: Vec<FieldAccess>,
    pub unique: bool,
    /// For picklists: display values (actual value = display value).
    pub pick_list_values: Vec<String>,
    /// For lookups: the API name of the module looked up.
    pub lookup_module: Option<String>,
}

impl NewField {
    pub(crate) fn to_json(&self) -> Value {
        let mut field = Map::new();
        field.insert("field_label".into(), json!(self.field_label));
        field.insert("data_type".into(), json!(self.data_type));
        if let Some(v) = &self.api_name {
            field.insert("api_name".into(), json!(v));
        }
        if let Some(v) = self.length {
            field.insert("length".into(), json!(v));
        }
        if let Some(t) = &self.tooltip {
            field.insert(
                "tooltip".into(),
                json!({ "name": t.name, "value": t.value }),
            );
        }
        if !self.profiles.is_empty() {
            field.insert("profiles".into(), access_json(&self.profiles));
        }
        if self.unique {
            field.insert("unique".into(), json!({ "casesensitive": "false" }));
        }
        if !self.pick_list_values.is_empty() {
            let values: Vec<Value> = self
                .pick_list_values
                .iter()
                .map(|v| json!({ "display_value": v, "actual_value": v }))
                .collect();
            field.insert("pick_list_values".into(), Value::Array(values));
        }
        if let Some(m) = &self.lookup_module {
            field.insert("lookup".into(), json!({ "module": { "api_name": m } }));
        }
        Value::Object(field)
    }
}

fn access_json(profiles: &[FieldAccess]) -> Value {
    Value::Array(
        profiles
            .iter()
            .map(|p| json!({ "id": p.profile_id, "permission_type": p.permission_type }))
            .collect(),
    )
}

/// `PATCH /settings/fields/{id}?module=`: only the given properties change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldUpdate {
    pub field_label: Option<String>,
    pub length: Option<u32>,
    pub tooltip: Option<Tooltip>,
    pub profiles: Option<Vec<FieldAccess>>,
}

impl FieldUpdate {
    pub(crate) fn to_json(&self, field_id: &str) -> Value {
        let mut field = Map::new();
        field.insert("id".into(), json!(field_id));
        if let Some(v) = &self.field_label {
            field.insert("field_label".into(), json!(v));
        }
        if let Some(v) = self.length {
            field.insert("length".into(), json!(v));
        }
        if let Some(t) = &self.tooltip {
            field.insert(
                "tooltip".into(),
                json!({ "name": t.name, "value": t.value }),
            );
        }
        if let Some(p) = &self.profiles {
            field.insert("profiles".into(), access_json(p));
        }
        json!({ "fields": [field] })
    }
}

/// `POST /settings/variables`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVariable {
    pub name: String,
    pub api_name: String,
    /// `text`, `textarea`, `integer`, … .
    pub variable_type: String,
    pub value: Value,
    pub description: Option<String>,
    /// Group id; Zoho puts the variable in its default group when absent.
    pub group_id: Option<String>,
}

impl NewVariable {
    pub(crate) fn to_json(&self) -> Value {
        let mut variable = Map::new();
        variable.insert("name".into(), json!(self.name));
        variable.insert("api_name".into(), json!(self.api_name));
        variable.insert("type".into(), json!(self.variable_type));
        variable.insert("value".into(), self.value.clone());
        if let Some(v) = &self.description {
            variable.insert("description".into(), json!(v));
        }
        if let Some(g) = &self.group_id {
            variable.insert("variable_group".into(), json!({ "id": g }));
        }
        json!({ "variables": [variable] })
    }
}

/// `PUT /settings/variables/{id}`: only the given properties change.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariableUpdate {
    pub value: Option<Value>,
    pub name: Option<String>,
    pub description: Option<String>,
}

impl VariableUpdate {
    pub(crate) fn to_json(&self, variable_id: &str) -> Value {
        let mut variable = Map::new();
        variable.insert("id".into(), json!(variable_id));
        if let Some(v) = &self.value {
            variable.insert("value".into(), v.clone());
        }
        if let Some(v) = &self.name {
            variable.insert("name".into(), json!(v));
        }
        if let Some(v) = &self.description {
            variable.insert("description".into(), json!(v));
        }
        json!({ "variables": [variable] })
    }
}

/// Options of a record listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordQuery {
    /// `id`, `Created_Time` or `Modified_Time`.
    pub sort_by: Option<String>,
    /// `asc` or `desc`.
    pub sort_order: Option<String>,
    /// A custom view id.
    pub cvid: Option<String>,
}

/// Whether an upsert inserted or updated the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertAction {
    Insert,
    Update,
}

/// A record write that Zoho accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    pub id: String,
    /// Upserts only.
    pub action: Option<UpsertAction>,
    /// Upserts only: the field that matched an existing record.
    pub duplicate_field: Option<String>,
    /// The record's `Modified_Time` after this write (`details.Modified_Time`), which a sync
    /// stores to tell its own writes from later changes.
    pub modified_time: Option<DateTime<Utc>>,
    /// The record's `Created_Time` (`details.Created_Time`).
    pub created_time: Option<DateTime<Utc>>,
}

/// Per-item result of a batch write, in input order.
pub type WriteResult = Result<WriteOutcome, ItemError>;

/// Records found by a search, and whether Zoho's 2,000-result cap cut the list short.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResult {
    pub records: Vec<super::types::Record>,
    pub truncated: bool,
}
