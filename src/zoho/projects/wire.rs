//! Every Zoho Projects wire name this client depends on, in one table: paths, parameter names,
//! response keys and field names, error codes and the date format. Entries marked
//! **(chosen)** are not documented by Zoho (see `docs/zoho-projects-api.md`); correcting one
//! against the real service is an edit here only.

use serde::Deserialize;
use serde_json::Value;

use crate::zoho::lenient;

// ---- paths (relative to the Projects API root) ----
pub const PORTALS: &str = "/restapi/portals/";
pub fn portal(portal: &str) -> String {
    format!("/restapi/portal/{portal}/")
}
pub fn projects(portal: &str) -> String {
    format!("/restapi/portal/{portal}/projects/")
}
pub fn project(portal: &str, project: &str) -> String {
    format!("/restapi/portal/{portal}/projects/{project}/")
}
pub fn project_custom_fields(portal: &str) -> String {
    format!("/restapi/portal/{portal}/projects/customfields/")
}
pub fn portal_users(portal: &str) -> String {
    format!("/restapi/portal/{portal}/users/")
}
pub fn portal_user(portal: &str, user: &str) -> String {
    format!("/restapi/portal/{portal}/users/{user}/")
}
pub fn project_users(portal: &str, project: &str) -> String {
    format!("/restapi/portal/{portal}/projects/{project}/users/")
}
pub fn clients(portal: &str) -> String {
    format!("/restapi/portal/{portal}/clients/")
}
pub fn client_users(portal: &str, client: &str) -> String {
    format!("/restapi/portal/{portal}/clients/{client}/users/")
}
pub fn client_user_projects(portal: &str, user: &str) -> String {
    format!("/restapi/portal/{portal}/clientusers/{user}/projects/")
}
pub fn project_clients(portal: &str, project: &str) -> String {
    format!("/restapi/portal/{portal}/projects/{project}/clients/")
}

// ---- paging ----
pub const PARAM_INDEX: &str = "index";
pub const PARAM_RANGE: &str = "range";
/// Largest `range` (chosen).
pub const MAX_RANGE: usize = 200;

// ---- parameters ----
pub const PARAM_STATUS: &str = "status";
/// Documented listing order: `sort_column=last_modified_time&sort_order=descending`.
pub const PARAM_SORT_COLUMN: &str = "sort_column";
pub const PARAM_SORT_ORDER: &str = "sort_order";
pub const SORT_LAST_MODIFIED: &str = "last_modified_time";
pub const SORT_DESCENDING: &str = "descending";
pub const PARAM_USER_TYPE: &str = "user_type";
pub const PARAM_NAME: &str = "name";
pub const PARAM_DESCRIPTION: &str = "description";
/// Project owner's zpuid (chosen).
pub const PARAM_OWNER: &str = "owner";
pub const PARAM_START_DATE: &str = "start_date";
pub const PARAM_END_DATE: &str = "end_date";
/// Template to create a project from (chosen).
pub const PARAM_TEMPLATE_ID: &str = "template_id";
/// JSON object text keyed by `column_name` (chosen).
pub const PARAM_CUSTOM_FIELDS: &str = "custom_fields";
/// 0..100 (chosen).
pub const PARAM_PERCENT_COMPLETE: &str = "percent_complete";
/// Comma-separated emails (chosen for project users).
pub const PARAM_EMAIL: &str = "email";
/// Role name: `Manager`, `Employee`, `Contractor` (chosen).
pub const PARAM_ROLE: &str = "role";
/// The role names the legacy API's `role` parameter takes. It has no endpoint that lists
/// roles, so these stand for the portal's roles when Projects is served by legacy.
pub const LEGACY_ROLES: [&str; 3] = ["Manager", "Employee", "Contractor"];
/// Client company website and phone (chosen).
pub const PARAM_WEBSITE: &str = "website";
pub const PARAM_PHONE: &str = "phone";
/// Comma-separated project ids for a client user (chosen).
pub const PARAM_PROJECT_IDS: &str = "project_ids";
pub const PARAM_CLIENT_ID: &str = "client_id";
/// `true`/`false` (chosen).
pub const PARAM_PRIMARY: &str = "primary";

// ---- values ----
pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_ARCHIVED: &str = "archived";
pub const STATUS_TEMPLATE: &str = "template";
/// `MM-dd-yyyy`, in parameters and responses.
pub const DATE_FORMAT: &str = "%m-%d-%Y";

// ---- response keys ----
pub const KEY_PORTALS: &str = "portals";
pub const KEY_PROJECTS: &str = "projects";
pub const KEY_USERS: &str = "users";
pub const KEY_CLIENTS: &str = "clients";
/// (chosen shape)
pub const KEY_PROJECT_CUSTOM_FIELDS: &str = "project_custom_fields";

// ---- legacy error codes (chosen) ----
pub const ERROR_INVALID_TOKEN: &str = "6401";
pub const ERROR_FORBIDDEN: &str = "6403";
pub const ERROR_NOT_FOUND: &str = "6404";

// ---- response shapes ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortalWire {
    pub id: Value,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id_string: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub role: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub plan: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub default: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_crm_partner: Option<bool>,
    pub project_count: Option<Value>,
    pub avail_user_count: Option<Value>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub profile_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProjectWire {
    pub id: Value,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id_string: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner_id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub owner_email: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub start_date: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub end_date: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_date: Option<String>,
    /// (chosen)
    #[serde(deserialize_with = "lenient::opt_string")]
    pub percent_complete: Option<String>,
    /// (chosen)
    #[serde(deserialize_with = "lenient::opt_string")]
    pub template_id: Option<String>,
    pub last_modified_time_long: Option<i64>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub custom_fields: Vec<CustomFieldValueWire>,
    pub link: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomFieldValueWire {
    #[serde(deserialize_with = "lenient::string")]
    pub column_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub label_name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub value: Option<String>,
}

/// (chosen shape)
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CustomFieldWire {
    #[serde(deserialize_with = "lenient::string")]
    pub label_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub column_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub field_type: String,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_mandatory: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserWire {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zpuid: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub email: String,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub active: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub role: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub portal_role_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub portal_profile_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClientWire {
    pub id: Value,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id_string: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub website: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClientUserWire {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zpuid: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub email: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub client_id: Option<String>,
    #[serde(deserialize_with = "lenient::or_default")]
    pub project_ids: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProjectClientWire {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    /// (chosen)
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub primary: Option<bool>,
}

/// `id_string` when present, else the numeric `id` as text.
pub fn id_of(id_string: Option<String>, id: &Value) -> String {
    id_string.unwrap_or_else(|| match id {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    })
}

/// A `link.<name>.url` value.
pub fn link_url(link: Option<&Value>, name: &str) -> Option<String> {
    link?.get(name)?.get("url")?.as_str().map(str::to_string)
}
