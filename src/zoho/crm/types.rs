//! CRM metadata as projectlink reads it (org, users, roles, profiles and their permissions,
//! modules, fields, related lists, variables) and deleted-record entries. Every struct decodes tolerantly: unknown keys
//! are ignored, missing keys take defaults, ids may be strings or numbers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::zoho::lenient;

/// A CRM record: field API name → value, exactly as Zoho sends it.
pub type Record = Map<String, Value>;

/// `{id, name}` references (a user's profile or role, a module's profiles…).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NamedRef {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
}

/// `GET /org`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Org {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub company_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub primary_email: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub domain_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub time_zone: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub currency: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zgid: Option<String>,
    pub max_per_page: Option<u32>,
    pub license_details: Option<LicenseDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LicenseDetails {
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub paid: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub paid_type: Option<String>,
    pub users_license_purchased: Option<u64>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub trial_type: Option<String>,
}

/// A CRM user (`GET /users`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CrmUser {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zuid: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub email: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub first_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub last_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub full_name: Option<String>,
    /// `active`, `disabled`, `deleted`… (an open set in Zoho's docs).
    #[serde(deserialize_with = "lenient::string")]
    pub status: String,
    /// Whether the user accepted the invitation.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub confirm: Option<bool>,
    pub profile: Option<NamedRef>,
    pub role: Option<NamedRef>,
    #[serde(rename = "Reporting_To")]
    pub reporting_to: Option<NamedRef>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub time_zone: Option<String>,
    /// `type__s`: `AdminUser`, `StandardUser`, …
    #[serde(rename = "type__s", deserialize_with = "lenient::opt_string")]
    pub user_type: Option<String>,
}

/// The profile Zoho gives its administrators; it cannot be renamed or deleted, and only it
/// may customize CRM (modules, fields, profile permissions, org variables) and add users.
pub const ADMIN_PROFILE: &str = "Administrator";

impl CrmUser {
    /// The name of the user's profile, `none` when the answer carried none.
    pub fn profile_name(&self) -> &str {
        self.profile
            .as_ref()
            .map(|p| p.name.as_str())
            .unwrap_or("none")
    }

    /// Whether the user has the Administrator profile.
    pub fn is_administrator(&self) -> bool {
        self.profile_name().eq_ignore_ascii_case(ADMIN_PROFILE)
    }
}

/// The `type` filter of `GET /users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserType {
    AllUsers,
    ActiveUsers,
    DeactiveUsers,
    ConfirmedUsers,
    NotConfirmedUsers,
    DeletedUsers,
    ActiveConfirmedUsers,
    AdminUsers,
    ActiveConfirmedAdmins,
    CurrentUser,
}

impl UserType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserType::AllUsers => "AllUsers",
            UserType::ActiveUsers => "ActiveUsers",
            UserType::DeactiveUsers => "DeactiveUsers",
            UserType::ConfirmedUsers => "ConfirmedUsers",
            UserType::NotConfirmedUsers => "NotConfirmedUsers",
            UserType::DeletedUsers => "DeletedUsers",
            UserType::ActiveConfirmedUsers => "ActiveConfirmedUsers",
            UserType::AdminUsers => "AdminUsers",
            UserType::ActiveConfirmedAdmins => "ActiveConfirmedAdmins",
            UserType::CurrentUser => "CurrentUser",
        }
    }
}

/// `GET /settings/roles`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Role {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub display_label: Option<String>,
    pub reporting_to: Option<NamedRef>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub admin_user: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub share_with_peers: Option<bool>,
}

/// `GET /settings/profiles[/{id}]`; `permissions_details` only comes with the single GET.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub display_label: Option<String>,
    /// `normal_profile`, `lite_profile`, `portal_profile`.
    #[serde(rename = "type", deserialize_with = "lenient::opt_string")]
    pub profile_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub custom: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub default: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub permissions_details: Vec<Permission>,
    /// When the profile was last changed (its permissions among it); in the list too.
    #[serde(deserialize_with = "lenient::opt_datetime")]
    pub modified_time: Option<DateTime<Utc>>,
}

/// One permission of a profile (`Crm_Implied_View_Linked_Projects`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Permission {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub display_label: Option<String>,
    /// Module API name the permission applies to, when it is a module permission.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub module: Option<String>,
    pub enabled: bool,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub customizable: Option<bool>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub parent_permissions: Vec<String>,
}

/// A module reference; Zoho sends `{"api_name","id"}` in v8 and a bare API name in older
/// versions, and both decode here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModuleRef {
    pub api_name: String,
    pub id: Option<String>,
}

impl<'de> Deserialize<'de> for ModuleRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(api_name) => ModuleRef { api_name, id: None },
            Value::Object(map) => ModuleRef {
                api_name: map
                    .get("api_name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                id: map.get("id").and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                }),
            },
            _ => ModuleRef::default(),
        })
    }
}

/// `GET /settings/modules[/{api_name}]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Module {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub api_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub module_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub singular_label: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub plural_label: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    /// `default`, `web`, `linking`, `custom`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub generated_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub api_supported: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub creatable: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub editable: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub deletable: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub viewable: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub visible: Option<bool>,
    /// `visible`, `user_hidden`, `system_hidden`, `scheduled_for_deletion`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub profiles: Vec<NamedRef>,
    /// When the module was last customised (its fields, layouts); `null` for modules that
    /// cannot be customised, such as Home.
    #[serde(deserialize_with = "lenient::opt_datetime")]
    pub modified_time: Option<DateTime<Utc>>,
}

/// `GET /settings/fields?module=`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Field {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub api_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub field_label: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub display_label: Option<String>,
    /// `text`, `picklist`, `lookup`, `date`, … (open set).
    #[serde(deserialize_with = "lenient::string")]
    pub data_type: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub json_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub custom_field: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub system_mandatory: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub read_only: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub visible: Option<bool>,
    pub length: Option<u32>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub pick_list_values: Vec<PickListValue>,
    /// Present (and non-empty) on lookup fields.
    pub lookup: Option<FieldLookup>,
    /// `{"casesensitive": ".."}` when the field is unique, `{}`/null otherwise.
    pub unique: Option<Value>,
    pub tooltip: Option<Tooltip>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub profiles: Vec<FieldProfile>,
}

impl Field {
    /// API name of the module a lookup field points at.
    pub fn lookup_module(&self) -> Option<&str> {
        self.lookup
            .as_ref()
            .and_then(|l| l.module.as_ref())
            .map(|m| m.api_name.as_str())
            .filter(|m| !m.is_empty())
    }

    pub fn is_unique(&self) -> bool {
        matches!(&self.unique, Some(Value::Object(m)) if !m.is_empty())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldLookup {
    pub module: Option<ModuleRef>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub display_label: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub api_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PickListValue {
    #[serde(deserialize_with = "lenient::string")]
    pub display_value: String,
    #[serde(deserialize_with = "lenient::string")]
    pub actual_value: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
}

/// A field tooltip: `{"name":"static_text"|"info_icon","value":".."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tooltip {
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub value: String,
}

/// A profile's access to a field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldProfile {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    /// `read_write`, `read_only`, `hidden`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub permission_type: Option<String>,
}

/// `GET /settings/related_lists?module=`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelatedList {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub api_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub display_label: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    pub module: Option<ModuleRef>,
    #[serde(rename = "type", deserialize_with = "lenient::opt_string")]
    pub list_type: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub href: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub action: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub connectedmodule: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub linkingmodule: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
}

/// An org variable (`GET /settings/variables`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Variable {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub api_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// `text`, `integer`, `checkbox`, … .
    #[serde(rename = "type", deserialize_with = "lenient::string")]
    pub variable_type: String,
    pub value: Value,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    pub variable_group: Option<VariableGroup>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub read_only: Option<bool>,
}

impl Variable {
    /// The value as text (`null` → `None`).
    pub fn value_text(&self) -> Option<String> {
        match &self.value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VariableGroup {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub api_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
}

/// One entry of `GET /{module}/deleted`: a record deleted (to the recycle bin or for good).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeletedRecord {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::opt_datetime")]
    pub deleted_time: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub display_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_zoho_shapes_tolerantly() {
        let user: CrmUser = serde_json::from_value(json!({
            "id": "4150868000000225013", "email": "pat@acme.com", "first_name": null,
            "last_name": "Doe", "status": "active", "confirm": true,
            "profile": {"id": "1", "name": "Administrator"}, "role": {"id": "2", "name": "CEO"},
            "type__s": "AdminUser", "Isonline": false, "customize_info": {}
        }))
        .unwrap();
        assert_eq!(user.first_name, None);
        assert_eq!(user.profile.unwrap().name, "Administrator");
        assert_eq!(user.user_type.as_deref(), Some("AdminUser"));

        let field: Field = serde_json::from_value(json!({
            "id": "9", "api_name": "Account", "field_label": "Account", "data_type": "lookup",
            "lookup": {"module": {"api_name": "Accounts", "id": "3"}, "display_label": "Account"},
            "unique": {}, "pick_list_values": null, "profiles": [{"id": "1", "permission_type": "read_write"}]
        }))
        .unwrap();
        assert_eq!(field.lookup_module(), Some("Accounts"));
        assert!(!field.is_unique());

        let legacy: Field = serde_json::from_value(json!({
            "api_name": "Account_Name", "lookup": {"module": "Accounts"}, "unique": {"casesensitive": "false"}
        }))
        .unwrap();
        assert_eq!(legacy.lookup_module(), Some("Accounts"));
        assert!(legacy.is_unique());

        let variable: Variable = serde_json::from_value(json!({
            "id": 5, "api_name": "projectlink_integration", "name": "projectlink integration",
            "type": "textarea", "value": "{\"portal\":\"1\"}", "variable_group": {"id": "7", "name": "General"}
        }))
        .unwrap();
        assert_eq!(variable.id, "5");
        assert_eq!(variable.value_text().as_deref(), Some("{\"portal\":\"1\"}"));

        let deleted: DeletedRecord = serde_json::from_value(json!({
            "deleted_by": {"name": "Pat", "id": "1"}, "id": 4876876000000123001u64,
            "display_name": "Jane Bowman", "type": "recycle",
            "created_by": {"name": "Pat", "id": "1"}, "deleted_time": "2026-01-05T15:30:00+05:30"
        }))
        .unwrap();
        assert_eq!(deleted.id, "4876876000000123001");
        assert_eq!(
            deleted.deleted_time.unwrap().to_rfc3339(),
            "2026-01-05T10:00:00+00:00"
        );
        assert_eq!(deleted.display_name.as_deref(), Some("Jane Bowman"));
    }
}
