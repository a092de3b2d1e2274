//! Every name and behaviour of the Projects API that Zoho does not document and the sandbox
//! had to choose (marked "(chosen)" in `docs/zoho-projects-api.md`), kept in one table so
//! correcting one against the real service is a one-place edit.
//!
//! Behaviours Zoho does not document, as the sandbox answers them (chosen):
//! - A portal id that does not exist is 404 `6404`; one that exists but where
//!   the token's user is neither the owner nor an active user is 403 `6403`.
//! - `GET /restapi/portals/` with no visible portal is 200 with `"portals": []` (the body
//!   still carries `login_id`), not 204. `default` is true on the user's first portal (lowest
//!   id); `role` is the user's role in lower case (`admin`, `manager`, ...).
//! - Lists are in creation order (ids ascending); the portal owner comes first among users.
//! - A project's `custom_fields` lists only the fields that have a value; `""` clears one.
//! - Creating a project makes its owner (default: the caller) and the caller project users.
//!   With `template_id` the new project also gets the template's custom field values
//!   (explicit `custom_fields` win), its active users with their project roles, and its
//!   description when none is given. Projects cannot be created as or turned into templates
//!   through the API; templates come from the seed.
//! - `owner` and the `{user_id}` of user paths accept a zpuid or a Zoho user id (`id`).
//! - An update with none of the updatable parameters is 400 (input parameter missing).
//! - Deleting moves the project to the trash: every read then answers 404 and its name may
//!   be used again.
//! - Project users must be active portal users already (no implicit invitation); without
//!   `role` they keep their portal role, admins becoming `Manager`.
//! - A person is either a portal user or a client user of one company in a portal.
//! - Adding a client user to a project it already has is a no-op; templates cannot have
//!   clients or client users.
//! - An unknown URL is 404 `6404` "Given URL is wrong"; a known URL with a method
//!   it does not take (e.g. POST `/restapi/portals/`: portals cannot be created) is 405 with
//!   the same code.

/// Largest `range` a list accepts; a larger one is a 400 (chosen: 200).
pub const MAX_RANGE: u32 = 200;
/// `range` when the caller sends none (chosen: 100).
pub const DEFAULT_RANGE: u32 = 100;

/// Error codes of the legacy `{"error":{"code","message"}}` body (chosen).
pub mod code {
    /// Invalid, unknown or expired OAuth token (401).
    pub const INVALID_TOKEN: u32 = 6401;
    /// Scope mismatch or missing permission in the portal, both 403 (a live client saw a
    /// scope mismatch answered 403 6403 "Invalid OAuth scope.").
    pub const FORBIDDEN: u32 = 6403;
    /// Unknown portal, project, user or client, or an unknown URL (404).
    pub const NOT_FOUND: u32 = 6404;
    /// A parameter is missing or invalid, including every conflict below (400).
    pub const INVALID_INPUT: u32 = 6831;
    /// An internal failure of the sandbox itself (500).
    pub const INTERNAL: u32 = 6500;
    /// Too many requests (429), for the limits layer when it answers a `/restapi` path.
    pub const TOO_MANY_REQUESTS: u32 = 6429;
}

/// Conflicts Zoho rejects, all answered 400 with [`code::INVALID_INPUT`] and a message that
/// names the conflict (chosen; callers must check before writing):
/// - creating (or renaming) a project to a name another project of the portal already has
///   (case-insensitive; templates and trashed projects do not count);
/// - creating a client company whose name the portal already has (case-insensitive);
/// - adding a portal user who is already in the portal, active or not;
/// - adding a project user who is already in the project;
/// - adding a client user whose email is already a client user of that company, or of
///   another company of the portal, or a portal user;
/// - adding a client to a project it is already a client of;
/// - adding a client with `primary=true` to a project that already has a primary client: a
///   project has at most one primary client, as in Zoho's UI, so the request is rejected and
///   the caller must add the client with `primary=false` (the old primary is never demoted).
pub mod conflict {
    pub const DUPLICATE_PROJECT: &str = "A project with this name already exists in the portal";
    pub const DUPLICATE_CLIENT: &str =
        "A client company with this name already exists in the portal";
    pub const PORTAL_USER_EXISTS: &str = "User is already a member of the portal";
    pub const PROJECT_USER_EXISTS: &str = "User is already a member of the project";
    pub const CLIENT_USER_EXISTS: &str = "Email is already a client user";
    pub const CLIENT_ALREADY_IN_PROJECT: &str = "Client company is already a client of the project";
    pub const PRIMARY_CLIENT_EXISTS: &str = "The project already has a primary client";
}

/// Parameter names that Zoho does not document (chosen).
pub mod param {
    pub const INDEX: &str = "index";
    pub const RANGE: &str = "range";
    pub const STATUS: &str = "status";
    /// Documented project listing order: `created_time` or `last_modified_time`.
    pub const SORT_COLUMN: &str = "sort_column";
    /// Documented with `sort_column`: `ascending` or `descending`.
    pub const SORT_ORDER: &str = "sort_order";
    pub const NAME: &str = "name";
    pub const DESCRIPTION: &str = "description";
    /// Project owner: the zpuid of an active portal user (the user's `id` is accepted too).
    pub const OWNER: &str = "owner";
    pub const START_DATE: &str = "start_date";
    pub const END_DATE: &str = "end_date";
    pub const TEMPLATE_ID: &str = "template_id";
    pub const PERCENT_COMPLETE: &str = "percent_complete";
    /// JSON object text keyed by `column_name`, e.g. `{"UDF_CHAR1":"X-1"}`; `""` clears.
    pub const CUSTOM_FIELDS: &str = "custom_fields";
    pub const USER_TYPE: &str = "user_type";
    /// Comma-separated emails for portal and project users; one email for a client user.
    pub const EMAIL: &str = "email";
    /// Role name: `Manager`, `Employee` or `Contractor` (case-insensitive).
    pub const ROLE: &str = "role";
    pub const WEBSITE: &str = "website";
    pub const PHONE: &str = "phone";
    /// Comma-separated project ids for adding a client user to projects.
    pub const PROJECT_IDS: &str = "project_ids";
    pub const CLIENT_ID: &str = "client_id";
    /// `true` or `false` (default `false`).
    pub const PRIMARY: &str = "primary";
}

/// `user_type` when the caller sends none (chosen: `all`, so an existence check before an
/// add sees inactive users too).
pub const DEFAULT_USER_TYPE: &str = "all";
/// Role given to a portal user added without `role` (chosen), as Zoho's CRM integration does.
pub const DEFAULT_ROLE: &str = "Employee";

/// Scopes per endpoint group; `clients` is Zoho's unconfirmed name (chosen).
pub mod scope {
    pub const PORTALS_READ: &str = "ZohoProjects.portals.READ";
    pub const PROJECTS_READ: &str = "ZohoProjects.projects.READ";
    pub const PROJECTS_CREATE: &str = "ZohoProjects.projects.CREATE";
    pub const PROJECTS_UPDATE: &str = "ZohoProjects.projects.UPDATE";
    pub const PROJECTS_DELETE: &str = "ZohoProjects.projects.DELETE";
    pub const USERS_READ: &str = "ZohoProjects.users.READ";
    pub const USERS_CREATE: &str = "ZohoProjects.users.CREATE";
    pub const USERS_UPDATE: &str = "ZohoProjects.users.UPDATE";
    pub const USERS_DELETE: &str = "ZohoProjects.users.DELETE";
    pub const CLIENTS_READ: &str = "ZohoProjects.clients.READ";
    /// Creating client companies and client users, and adding a client to a project.
    pub const CLIENTS_CREATE: &str = "ZohoProjects.clients.CREATE";
    /// Adding an existing client user to projects.
    pub const CLIENTS_UPDATE: &str = "ZohoProjects.clients.UPDATE";
}

/// Who may write what inside a portal (chosen, after Zoho's default profiles). Every active
/// member reads everything; a write by a role not listed is a 403 with [`code::FORBIDDEN`].
pub mod permission {
    /// Create, update and delete projects; add project users and project clients; create
    /// client companies and client users and add them to projects.
    pub const MANAGE_PROJECTS: &[&str] = &["admin", "Manager"];
    /// Add portal users and change their role.
    pub const MANAGE_PORTAL_USERS: &[&str] = &["admin"];
}

/// Profile names by role; the portal owner's profile is [`OWNER_PROFILE`].
pub const OWNER_PROFILE: &str = "Portal Owner";
/// `portal_role_name` of the owner and of admins.
pub const ADMIN_ROLE_NAME: &str = "Administrator";

/// Licensed seats per plan, used for `avail_user_count` (chosen; adding users is not
/// refused when they run out, as the sandbox does not model billing).
pub fn plan_seats(plan: &str) -> i64 {
    match plan.to_ascii_lowercase().as_str() {
        "free" => 3,
        "premium" => 50,
        _ => 1000,
    }
}

/// Response of a successful project delete.
pub const PROJECT_TRASHED: &str = "Project Trashed successfully";
/// Response of a successful portal user removal (chosen: the legacy docs list the endpoint,
/// `DELETE /users/{UID}/`, but not its answer).
pub const PORTAL_USER_REMOVED: &str = "User removed successfully";

/// Zoho Projects' web UI (US data centre). The sandbox serves no web UI, so project links
/// point where Zoho's would; they must not depend on the sandbox's own address, which changes
/// with every start of an embedded sandbox.
pub const WEB_UI_BASE: &str = "https://projects.zoho.com";

/// Where a project is shown in the web UI: `https://projects.zoho.com/portal/{slug}#project/{id}`.
pub fn project_web_url(portal_slug: &str, project_id: i64) -> String {
    format!("{WEB_UI_BASE}/portal/{portal_slug}#project/{project_id}")
}

/// The portal's URL name: its name lower-cased with everything but letters and digits
/// removed ("Acme Delivery" → "acmedelivery").
pub fn portal_slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_keeps_only_lowercase_letters_and_digits() {
        assert_eq!(portal_slug("Acme Delivery"), "acmedelivery");
        assert_eq!(portal_slug("R&D-2 Team"), "rd2team");
    }

    #[test]
    fn web_url_points_at_the_portal_page_of_the_project() {
        assert_eq!(
            project_web_url("acme", 1_708_760_000_000_001_234),
            "https://projects.zoho.com/portal/acme#project/1708760000000001234"
        );
    }
}
