//! Every name and behaviour of the Projects V3 API (`/api/v3/...`) that Zoho does not
//! document and the sandbox had to choose, marked "(chosen)" as in the legacy
//! [`wire`](super::super::wire), so correcting one against the real service is a one-place
//! edit. V3 shares the legacy API's store and rules: permissions, conflicts, templates and
//! scopes are the ones listed there.
//!
//! Behaviours Zoho does not document, as the sandbox answers them (chosen):
//! - Only the paths without a trailing `/` are served; `/api/v3/portals/{id}/...` (plural)
//!   and paths V3 has no rule for (project clients, client users of a company, a client
//!   user's projects) answer 400 `URL_RULE_NOT_CONFIGURED`, so a client falls back to legacy.
//! - A path and method pair V3 does not serve (e.g. `DELETE /projects/{id}`) is 400
//!   `INVALID_METHOD`; neither that nor an unknown path needs a token.
//! - Writes take a JSON object. A body with another content type is 400
//!   `INVALID_INPUTSTREAM`; text that is not JSON, a body that is not an object and a key
//!   with the wrong JSON type are 400 `JSON_PARSE_ERROR`. An empty body reads as `{}`.
//! - Keys the sandbox does not know are ignored, as live V3 ignores `*_id` keys, except
//!   `cf_*` keys: one that names no custom field is 400 `INVALID_PARAMETER_VALUE`.
//! - Ids in bodies may be strings or JSON integers; answers always carry strings.
//! - Not found is 404 `RESOURCE_NOT_FOUND`, a refused role 403 `FORBIDDEN`, a PATCH of a
//!   trashed project 410 `RESOURCE_GONE`; a project in the trash is 404 to every other call.
//! - `project_type` filters the project list (`active`, `archived`, `template`); without it
//!   the list has active and archived projects. Creating takes only `project_type=active`.
//! - A project's `key` is the initials of the portal's name and the project's sequence
//!   number in the portal (`AD-1234`); `status` is an object per `project_type`.
//! - `null` or `""` clears a date or a custom field; `null` for `description` empties it;
//!   `null` for `name` leaves it. A PATCH with no known key changes nothing but
//!   `modified_time` and answers the project.
//! - A custom field is written and read as `cf_` + its display name (see [`api_name`]);
//!   date custom fields are `YYYY-MM-DD`; numbers and booleans are taken as text.
//! - Users: `type` is `1` (portal users, the default) or `2` (client users, optionally of
//!   the companies in `company_ids`); `view_type` is `active`, `inactive` or `all` (the
//!   default, so an existence check before an add sees inactive users). Client users are
//!   always active, carry no `role` or `portal_profile`, and list the live projects they
//!   have access to as `"projects": [{"id", "name"}]`.
//! - Adding users takes `{"users":[{"email", "role":{"id"}}]}`; without `role` a portal user
//!   is an `Employee` and a project user keeps their portal role. Repeated emails count once.
//! - Role, profile, status and custom field ids are derived from the portal id (below);
//!   a role id from another portal is an invalid value.

use axum::http::StatusCode;

use crate::sandbox::projects::model::{ProjectStatus, Role};

/// `per_page` when the caller sends none, and its largest value (Zoho documents both).
pub const DEFAULT_PER_PAGE: u32 = 100;
pub const MAX_PER_PAGE: u32 = 200;
/// The same for user lists (chosen: the v3.1 users limit).
pub const USERS_DEFAULT_PER_PAGE: u32 = 50;
pub const USERS_MAX_PER_PAGE: u32 = 50;

/// The error titles the sandbox answers. Zoho documents the titles but not, for most, the
/// status and `error_type` that go with them; [`Title::spec`] holds the pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Title {
    UrlRuleNotConfigured,
    InvalidMethod,
    InvalidOauthToken,
    InvalidOauthScope,
    Forbidden,
    ResourceNotFound,
    InvalidParameterValue,
    LessThanMinOccurance,
    JsonParseError,
    InvalidInputStream,
    ResourceGone,
    InternalServerError,
}

/// `error_type` values: the first three are Zoho's, the rest chosen.
const OPERATIONAL: &str = "OPERATIONAL_VALIDATION_ERROR";
const FIELDS: &str = "FIELDS_VALIDATION_ERROR";
const AUTHENTICATION: &str = "AUTHENTICATION_ERROR";
const AUTHORIZATION: &str = "AUTHORIZATION_ERROR";
const RESOURCE: &str = "RESOURCE_ERROR";
const INTERNAL: &str = "INTERNAL_ERROR";

impl Title {
    /// The title as sent, its HTTP status and its `error_type`.
    pub fn spec(self) -> (&'static str, StatusCode, &'static str) {
        use StatusCode as S;
        match self {
            Title::UrlRuleNotConfigured => ("URL_RULE_NOT_CONFIGURED", S::BAD_REQUEST, OPERATIONAL),
            // (chosen: the same type as an unknown URL)
            Title::InvalidMethod => ("INVALID_METHOD", S::BAD_REQUEST, OPERATIONAL),
            Title::InvalidOauthToken => ("INVALID_OAUTHTOKEN", S::UNAUTHORIZED, AUTHENTICATION),
            // (chosen: a 401 like the token error)
            Title::InvalidOauthScope => ("INVALID_OAUTHSCOPE", S::UNAUTHORIZED, AUTHENTICATION),
            // (chosen)
            Title::Forbidden => ("FORBIDDEN", S::FORBIDDEN, AUTHORIZATION),
            // (chosen: no V3 not-found title is documented)
            Title::ResourceNotFound => ("RESOURCE_NOT_FOUND", S::NOT_FOUND, RESOURCE),
            Title::InvalidParameterValue => ("INVALID_PARAMETER_VALUE", S::BAD_REQUEST, FIELDS),
            // Zoho's spelling.
            Title::LessThanMinOccurance => ("LESS_THAN_MIN_OCCURANCE", S::BAD_REQUEST, FIELDS),
            Title::JsonParseError => ("JSON_PARSE_ERROR", S::BAD_REQUEST, FIELDS),
            Title::InvalidInputStream => ("INVALID_INPUTSTREAM", S::BAD_REQUEST, OPERATIONAL),
            // (chosen)
            Title::ResourceGone => ("RESOURCE_GONE", S::GONE, RESOURCE),
            Title::InternalServerError => {
                ("INTERNAL_SERVER_ERROR", S::INTERNAL_SERVER_ERROR, INTERNAL)
            }
        }
    }
}

/// Query parameters.
pub mod param {
    pub const PAGE: &str = "page";
    pub const PER_PAGE: &str = "per_page";
    /// Project list filter (chosen name).
    pub const PROJECT_TYPE: &str = "project_type";
    pub const TYPE: &str = "type";
    pub const VIEW_TYPE: &str = "view_type";
    pub const COMPANY_IDS: &str = "company_ids";
    /// Custom field metadata: `module=projects` is the only module (chosen).
    pub const MODULE: &str = "module";
}

/// Body keys.
pub mod key {
    pub const NAME: &str = "name";
    pub const DESCRIPTION: &str = "description";
    pub const START_DATE: &str = "start_date";
    pub const END_DATE: &str = "end_date";
    /// `{"zpuid": "<id>"}` (a Zoho user id is accepted too, as on legacy).
    pub const OWNER: &str = "owner";
    pub const ZPUID: &str = "zpuid";
    /// A template's id.
    pub const COPY_FROM: &str = "copy_from";
    pub const PROJECT_TYPE: &str = "project_type";
    /// Writable (chosen).
    pub const PERCENT_COMPLETE: &str = "percent_complete";
    /// `[{"email", "role": {"id"}}]` (chosen).
    pub const USERS: &str = "users";
    pub const EMAIL: &str = "email";
    pub const ROLE: &str = "role";
    pub const ID: &str = "id";
    pub const WEBSITE: &str = "website";
    pub const PHONE: &str = "phone";
}

/// The only `module` custom field metadata is served for (chosen).
pub const FIELDS_MODULE: &str = "projects";
/// `type` values of the user list.
pub const USER_TYPE_PORTAL: &str = "1";
pub const USER_TYPE_CLIENT: &str = "2";
/// `view_type` when the caller sends none (chosen).
pub const DEFAULT_VIEW_TYPE: &str = "all";

/// Dates on V3: `YYYY-MM-DD`.
pub const DATE_FORMAT: &str = "%Y-%m-%d";
/// Times on V3, in UTC with milliseconds: `2026-01-10T08:00:00.000Z`.
pub const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// Prefix of custom field api names.
pub const CUSTOM_FIELD_PREFIX: &str = "cf_";

/// A custom field's api name: `cf_` and the display name in lower case with every run of
/// characters other than letters and digits turned into `_` (chosen: "Budget Code" →
/// `cf_budget_code`, "Go-live" → `cf_go_live`). Leading and trailing runs are dropped.
pub fn api_name(display_name: &str) -> String {
    let mut out = String::from(CUSTOM_FIELD_PREFIX);
    let mut gap = false;
    for c in display_name.chars() {
        if c.is_alphanumeric() {
            if gap && out.len() > CUSTOM_FIELD_PREFIX.len() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Derived ids are `portal_id * 10^6` plus a per-kind number (chosen).
const DERIVED_SCALE: i64 = 1_000_000;
/// Per-kind offsets of derived ids; roles use [`Role::profile_suffix`].
const STATUS_BASE: i64 = 120_000;
const FIELD_BASE: i64 = 130_000;

/// The roles a caller may give through V3, in the order `/settings/roles` lists them.
pub const ROLES: [Role; 3] = [Role::Manager, Role::Employee, Role::Contractor];
/// The role flagged `is_default` (the one a user added without a role gets).
pub const DEFAULT_ROLE: Role = Role::Employee;

/// A role's id in a portal.
pub fn role_id(portal_id: i64, role: Role) -> String {
    let suffix = i64::try_from(role.profile_suffix(false)).unwrap_or_default();
    derived(portal_id, suffix)
}

/// The role a caller may give whose id in the portal is `id`.
pub fn role_by_id(portal_id: i64, id: &str) -> Option<Role> {
    ROLES.into_iter().find(|r| role_id(portal_id, *r) == id)
}

/// A project status object's id, name and closed flag, per `project_type` (chosen: only
/// archived projects count as closed).
pub fn status(portal_id: i64, status: ProjectStatus) -> (String, &'static str, bool) {
    match status {
        ProjectStatus::Active => (derived(portal_id, STATUS_BASE + 1), "Active", false),
        ProjectStatus::Archived => (derived(portal_id, STATUS_BASE + 2), "Archived", true),
        ProjectStatus::Template => (derived(portal_id, STATUS_BASE + 3), "Template", false),
    }
}

/// The id of the portal's `index`-th custom field (0-based, in their defined order).
pub fn field_id(portal_id: i64, index: usize) -> String {
    derived(
        portal_id,
        FIELD_BASE + i64::try_from(index).unwrap_or_default(),
    )
}

fn derived(portal_id: i64, n: i64) -> String {
    (i128::from(portal_id) * i128::from(DERIVED_SCALE) + i128::from(n)).to_string()
}

/// A project's key: the initials of the portal's name, upper case, then the project's
/// sequence number in the portal ("Acme Delivery", 1234 → `AD-1234`; chosen).
pub fn project_key(portal_name: &str, sequence: i64) -> String {
    let initials: String = portal_name
        .split(|c: char| !c.is_alphanumeric())
        .filter_map(|word| word.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    let initials = if initials.is_empty() {
        "PR".to_string()
    } else {
        initials
    };
    format!("{initials}-{sequence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_join_lower_case_words_with_underscores() {
        assert_eq!(api_name("Budget Code"), "cf_budget_code");
        assert_eq!(api_name("Go-live"), "cf_go_live");
        assert_eq!(api_name("  CRM Deal ID (main)  "), "cf_crm_deal_id_main");
        assert_eq!(api_name("R&D  2"), "cf_r_d_2");
    }

    #[test]
    fn role_ids_are_per_portal_and_read_back() {
        let id = role_id(10_234_695, Role::Manager);
        assert_eq!(id, "10234695110053");
        assert_eq!(role_by_id(10_234_695, &id), Some(Role::Manager));
        assert_eq!(role_by_id(10_234_696, &id), None);
        let admin = role_id(10_234_695, Role::Admin);
        assert_eq!(role_by_id(10_234_695, &admin), None, "admin is not given");
    }

    #[test]
    fn project_keys_use_the_portal_initials() {
        assert_eq!(project_key("Acme Delivery", 1234), "AD-1234");
        assert_eq!(project_key("---", 7), "PR-7");
    }
}
