//! Every Zoho Projects V3 wire name this client depends on, in one table: paths, parameters,
//! error titles, value names and response shapes. Entries marked **(chosen)** are not settled
//! by any source (see `docs/zoho-projects-api.md` and `shared/zoho-projects-v3.md`, "Open
//! questions"); correcting one against the real service is an edit here only.

use serde::Deserialize;
use serde_json::Value;

use crate::zoho::lenient;

// ---- paths (relative to the Projects API root) ----
pub const PORTALS: &str = "/api/v3/portals";
pub fn portal(portal: &str) -> String {
    format!("/api/v3/portal/{portal}")
}
pub fn projects(portal: &str) -> String {
    format!("/api/v3/portal/{portal}/projects")
}
pub fn project(portal: &str, project: &str) -> String {
    format!("/api/v3/portal/{portal}/projects/{project}")
}
pub fn project_trash(portal: &str, project: &str) -> String {
    format!("/api/v3/portal/{portal}/projects/{project}/trash")
}
/// (chosen: clients disagree between `/settings/fields?module=` and
/// `/settings/modules/{id}/fields`)
pub fn fields(portal: &str) -> String {
    format!("/api/v3/portal/{portal}/settings/fields")
}
/// (chosen: `/settings/roles` or `/roles`)
pub fn roles(portal: &str) -> String {
    format!("/api/v3/portal/{portal}/settings/roles")
}
pub fn users(portal: &str) -> String {
    format!("/api/v3/portal/{portal}/users")
}
pub fn user(portal: &str, zpuid: &str) -> String {
    format!("/api/v3/portal/{portal}/users/{zpuid}")
}
pub fn project_users(portal: &str, project: &str) -> String {
    format!("/api/v3/portal/{portal}/projects/{project}/users")
}
pub fn clients(portal: &str) -> String {
    format!("/api/v3/portal/{portal}/clients")
}

// ---- paging ----
pub const PARAM_PAGE: &str = "page";
pub const PARAM_PER_PAGE: &str = "per_page";
/// Largest `per_page` of V3 listings.
pub const MAX_PER_PAGE: usize = 200;
/// Largest `per_page` of user listings (v3.1 users say 50; the stricter one is used).
pub const MAX_USERS_PER_PAGE: usize = 50;

// ---- parameters and keys ----
/// Which projects a listing returns (chosen name; `status` is an object in V3).
pub const PARAM_PROJECT_TYPE: &str = "project_type";
pub const PARAM_MODULE: &str = "module";
pub const MODULE_PROJECTS: &str = "projects";
/// `1` portal users, `2` client users (documented codes).
pub const PARAM_USER_TYPE: &str = "type";
pub const USER_TYPE_PORTAL: &str = "1";
pub const USER_TYPE_CLIENT: &str = "2";
/// `active`, `inactive` or `all` (chosen values).
pub const PARAM_VIEW_TYPE: &str = "view_type";
pub const PARAM_COMPANY_IDS: &str = "company_ids";
pub const KEY_PORTAL_DETAILS: &str = "portal_details";
pub const KEY_USERS: &str = "users";
pub const KEY_CLIENTS: &str = "clients";
pub const KEY_FIELDS: &str = "fields";
pub const KEY_ROLES: &str = "roles";
/// Template or project to copy a new project from, as a string id.
pub const KEY_COPY_FROM: &str = "copy_from";
/// Prefix of custom field api names.
pub const CUSTOM_FIELD_PREFIX: &str = "cf_";

// ---- values ----
pub const TYPE_ACTIVE: &str = "active";
pub const TYPE_ARCHIVED: &str = "archived";
pub const TYPE_TEMPLATE: &str = "template";
/// V3 project dates.
pub const DATE_FORMAT: &str = "%Y-%m-%d";
/// The portal role V3 names "Administrator" is the legacy `admin`.
pub const ADMIN_ROLE: &str = "Administrator";

// ---- error titles ----
/// The path has no V3 rule: the capability falls back to the legacy API.
pub const URL_RULE_NOT_CONFIGURED: &str = "URL_RULE_NOT_CONFIGURED";
pub const INVALID_OAUTHSCOPE: &str = "INVALID_OAUTHSCOPE";

// ---- response shapes ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Named {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortalWire {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub portal_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_default: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_crm_partner: Option<bool>,
    /// The caller's role and profile in the portal (chosen).
    pub role: Option<Named>,
    pub portal_profile: Option<Named>,
    pub plan_details: Option<Value>,
    pub project_count: Option<Value>,
    pub available_users: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PersonWire {
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zpuid: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zuid: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub full_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ProjectWire {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub project_type: Option<String>,
    pub owner: Option<PersonWire>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub start_date: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub end_date: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub created_time: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub modified_time: Option<String>,
    pub percent_complete: Option<Value>,
    /// The template a project was copied from (chosen name).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub copied_from: Option<String>,
    pub link: Option<Value>,
    /// Everything else, among it one `cf_*` key per custom field with a value.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FieldWire {
    #[serde(deserialize_with = "lenient::string")]
    pub api_name: String,
    #[serde(deserialize_with = "lenient::string")]
    pub display_name: String,
    /// The legacy column (`UDF_CHAR1`) the spec names fields by (chosen: present in V3).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub column_name: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub field_type: String,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_mandatory: Option<bool>,
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub is_custom_field: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleWire {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct UserWire {
    /// The zpuid.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zpuid: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub zuid: Option<String>,
    #[serde(deserialize_with = "lenient::string")]
    pub email: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub full_name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    pub role: Option<Named>,
    pub portal_profile: Option<Named>,
    pub client_company: Option<Named>,
    /// A client user's projects (chosen).
    #[serde(deserialize_with = "lenient::or_default")]
    pub projects: Vec<Named>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ClientWire {
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub website: Option<String>,
    #[serde(deserialize_with = "lenient::opt_string")]
    pub phone: Option<String>,
}

/// `page_info.count`: how many items the whole listing holds. Shown for the v3.1 users
/// listing by one unattributed client spec only (confidence I in zoho-projects-v3.md), so
/// it is read as a change signal, never as the truth: absent or unreadable gives `None`.
pub fn listing_count(body: &Value) -> Option<u64> {
    match body.get("page_info")?.get("count")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `page_info.has_next_page`, false when absent.
pub fn has_next_page(body: &Value) -> bool {
    body.get("page_info")
        .and_then(|p| p.get("has_next_page"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_listing_count_is_read_as_a_number_or_numeric_text_and_otherwise_not_at_all() {
        let body = |count: Value| json!({"users": [], "page_info": {"page": 1, "count": count}});
        assert_eq!(listing_count(&body(json!(4000))), Some(4000));
        assert_eq!(listing_count(&body(json!("4000"))), Some(4000));
        assert_eq!(listing_count(&body(json!(-1))), None);
        assert_eq!(listing_count(&body(json!("many"))), None);
        assert_eq!(
            listing_count(&json!({"users": [], "page_info": {"page": 1}})),
            None
        );
        assert_eq!(
            listing_count(&json!([])),
            None,
            "a bare array has no page_info"
        );
    }
}
