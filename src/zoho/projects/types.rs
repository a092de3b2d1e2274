//! Zoho Projects objects as projectlink uses them (portals, projects, users, client companies,
//! client users), whichever API answered: converted here from the legacy wire shapes in
//! [`super::wire`] (`MM-dd-yyyy` dates) and in `v3_types` from V3's, with dates as
//! `NaiveDate` and ids always as text, plus the inputs of Projects writes.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::Value;

use super::wire;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Portal {
    pub id: String,
    pub name: String,
    /// The caller's role in the portal (`admin`, …).
    pub role: Option<String>,
    pub plan: Option<String>,
    pub default: bool,
    pub is_crm_partner: bool,
    pub active_projects: Option<u64>,
    pub available_users: Option<u64>,
    pub profile_id: Option<String>,
}

/// A project's lifecycle state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum ProjectStatus {
    Active,
    Archived,
    Template,
    Other(String),
}

impl ProjectStatus {
    fn parse(text: Option<&str>) -> ProjectStatus {
        match text.map(str::to_ascii_lowercase).as_deref() {
            Some(wire::STATUS_ACTIVE) | None => ProjectStatus::Active,
            Some(wire::STATUS_ARCHIVED) => ProjectStatus::Archived,
            Some(wire::STATUS_TEMPLATE) => ProjectStatus::Template,
            Some(_) => ProjectStatus::Other(text.unwrap_or_default().to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            ProjectStatus::Active => wire::STATUS_ACTIVE,
            ProjectStatus::Archived => wire::STATUS_ARCHIVED,
            ProjectStatus::Template => wire::STATUS_TEMPLATE,
            ProjectStatus::Other(s) => s,
        }
    }
}

/// Which projects a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectFilter {
    /// Zoho's default: active and archived projects.
    #[default]
    ActiveAndArchived,
    Active,
    Archived,
    Templates,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub status: ProjectStatus,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub description: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub created_date: Option<NaiveDate>,
    pub percent_complete: Option<u8>,
    pub template_id: Option<String>,
    pub last_modified_time_long: Option<i64>,
    pub custom_fields: Vec<CustomFieldValue>,
    /// API URL of the project.
    pub self_url: Option<String>,
    /// Browser URL of the project (what a CRM related list links to).
    pub web_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomFieldValue {
    pub column_name: String,
    pub label_name: String,
    pub value: Option<String>,
}

/// A project custom field definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectCustomField {
    pub label_name: String,
    /// The legacy column (`UDF_CHAR1`), which specs name fields by.
    pub column_name: String,
    /// The V3 api name (`cf_budget_code`), when the field was read through V3.
    pub api_name: Option<String>,
    pub field_type: String,
    pub is_mandatory: bool,
}

/// A portal or project user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectsUser {
    pub id: String,
    pub zpuid: Option<String>,
    pub name: String,
    pub email: String,
    pub active: bool,
    pub role: Option<String>,
    pub portal_role_name: Option<String>,
    /// `Portal Owner` for the owner.
    pub portal_profile_name: Option<String>,
}

/// Which portal users a listing returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PortalUserFilter {
    #[default]
    Active,
    Inactive,
    All,
}

impl PortalUserFilter {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PortalUserFilter::Active => "active",
            PortalUserFilter::Inactive => "inactive",
            PortalUserFilter::All => "all",
        }
    }
}

/// How much of a listing to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingPages {
    /// The first page only (at the largest page size).
    First,
    /// Every page.
    All,
}

/// A listing as read: its items, whether more pages follow them, and the number of items
/// Zoho says the whole listing holds (`page_info.count` of its first page, when it says).
/// The legacy API gives no count and is always read to its end (`more: false`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingHead<T> {
    pub items: Vec<T>,
    pub more: bool,
    pub count: Option<u64>,
}

impl<T> ListingHead<T> {
    /// A listing read to its end without a count.
    pub fn whole(items: Vec<T>) -> ListingHead<T> {
        ListingHead {
            items,
            more: false,
            count: None,
        }
    }
}

/// A client company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Client {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientUser {
    pub id: String,
    pub zpuid: Option<String>,
    pub name: String,
    pub email: String,
    pub client_id: Option<String>,
    pub project_ids: Vec<String>,
}

/// A client company associated with a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectClient {
    pub id: String,
    pub name: String,
    pub primary: bool,
}

/// `POST /projects/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewProject {
    pub name: String,
    pub description: Option<String>,
    /// The owner's zpuid.
    pub owner: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub template_id: Option<String>,
    /// Custom field values keyed by `column_name`.
    pub custom_fields: BTreeMap<String, String>,
}

/// `POST /projects/{id}/`: only the given fields change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub owner: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    /// `Active` or `Archived`.
    pub status: Option<ProjectStatus>,
    pub percent_complete: Option<u8>,
    pub custom_fields: BTreeMap<String, String>,
}

/// `POST /clients/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewClient {
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
}

/// `MM-dd-yyyy` as Zoho Projects writes dates.
pub fn format_date(date: NaiveDate) -> String {
    date.format(wire::DATE_FORMAT).to_string()
}

/// Reads `MM-dd-yyyy` (and, tolerantly, ISO `yyyy-MM-dd`); anything else is no date.
pub fn parse_date(text: Option<&str>) -> Option<NaiveDate> {
    let text = text?.trim();
    NaiveDate::parse_from_str(text, wire::DATE_FORMAT)
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d"))
        .ok()
}

fn count(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

impl From<wire::PortalWire> for Portal {
    fn from(w: wire::PortalWire) -> Portal {
        Portal {
            id: wire::id_of(w.id_string, &w.id),
            name: w.name,
            role: w.role,
            plan: w.plan,
            default: w.default.unwrap_or(false),
            is_crm_partner: w.is_crm_partner.unwrap_or(false),
            active_projects: count(w.project_count.as_ref().and_then(|c| c.get("active"))),
            available_users: count(w.avail_user_count.as_ref()),
            profile_id: w.profile_id,
        }
    }
}

impl From<wire::ProjectWire> for Project {
    fn from(w: wire::ProjectWire) -> Project {
        Project {
            id: wire::id_of(w.id_string, &w.id),
            name: w.name,
            status: ProjectStatus::parse(w.status.as_deref()),
            owner_id: w.owner_id,
            owner_name: w.owner_name,
            owner_email: w.owner_email,
            description: w.description,
            start_date: parse_date(w.start_date.as_deref()),
            end_date: parse_date(w.end_date.as_deref()),
            created_date: parse_date(w.created_date.as_deref()),
            percent_complete: w
                .percent_complete
                .and_then(|p| p.trim().parse::<f64>().ok())
                .map(|p| p.clamp(0.0, 100.0).round() as u8),
            template_id: w.template_id,
            last_modified_time_long: w.last_modified_time_long,
            custom_fields: w
                .custom_fields
                .into_iter()
                .map(|c| CustomFieldValue {
                    column_name: c.column_name,
                    label_name: c.label_name,
                    value: c.value,
                })
                .collect(),
            self_url: wire::link_url(w.link.as_ref(), "self"),
            web_url: wire::link_url(w.link.as_ref(), "web"),
        }
    }
}

impl From<wire::CustomFieldWire> for ProjectCustomField {
    fn from(w: wire::CustomFieldWire) -> ProjectCustomField {
        ProjectCustomField {
            label_name: w.label_name,
            column_name: w.column_name,
            api_name: None,
            field_type: w.field_type,
            is_mandatory: w.is_mandatory.unwrap_or(false),
        }
    }
}

impl From<wire::UserWire> for ProjectsUser {
    fn from(w: wire::UserWire) -> ProjectsUser {
        ProjectsUser {
            id: w.id,
            zpuid: w.zpuid,
            name: w.name,
            email: w.email,
            active: w.active.unwrap_or(true),
            role: w.role,
            portal_role_name: w.portal_role_name,
            portal_profile_name: w.portal_profile_name,
        }
    }
}

impl From<wire::ClientWire> for Client {
    fn from(w: wire::ClientWire) -> Client {
        Client {
            id: wire::id_of(w.id_string, &w.id),
            name: w.name,
            website: w.website,
            phone: w.phone,
        }
    }
}

impl From<wire::ClientUserWire> for ClientUser {
    fn from(w: wire::ClientUserWire) -> ClientUser {
        ClientUser {
            id: w.id,
            zpuid: w.zpuid,
            name: w.name,
            email: w.email,
            client_id: w.client_id,
            project_ids: w
                .project_ids
                .iter()
                .map(|v| wire::id_of(None, v))
                .filter(|id| !id.is_empty())
                .collect(),
        }
    }
}

impl From<wire::ProjectClientWire> for ProjectClient {
    fn from(w: wire::ProjectClientWire) -> ProjectClient {
        ProjectClient {
            id: w.id,
            name: w.name,
            primary: w.primary.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dates_round_trip_in_zohos_format() {
        let date = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        assert_eq!(format_date(date), "01-15-2026");
        assert_eq!(parse_date(Some("01-15-2026")), Some(date));
        assert_eq!(parse_date(Some("2026-01-15")), Some(date));
        assert_eq!(parse_date(Some("")), None);
        assert_eq!(parse_date(Some("15/01/2026")), None);
    }

    #[test]
    fn project_decodes_the_documented_shape() {
        let w: wire::ProjectWire = serde_json::from_value(json!({
            "id": 170876000001234u64, "id_string": "170876000001234", "name": "Website Redesign",
            "status": "active", "owner_id": "7730421", "start_date": "01-15-2026",
            "end_date": "03-31-2026", "percent_complete": 40, "template_id": "170876000000999",
            "custom_fields": [{"column_name": "UDF_CHAR1", "label_name": "Budget Code", "value": "X-1"}],
            "link": {"self": {"url": "https://p/self"}, "web": {"url": "https://p/web"}}
        }))
        .unwrap();
        let p = Project::from(w);
        assert_eq!(p.id, "170876000001234");
        assert_eq!(p.status, ProjectStatus::Active);
        assert_eq!(p.end_date, NaiveDate::from_ymd_opt(2026, 3, 31));
        assert_eq!(p.percent_complete, Some(40));
        assert_eq!(p.custom_fields[0].value.as_deref(), Some("X-1"));
        assert_eq!(p.web_url.as_deref(), Some("https://p/web"));
    }

    #[test]
    fn ids_fall_back_to_the_number() {
        let w: wire::ClientWire =
            serde_json::from_value(json!({"id": 170876000000321u64, "name": "Bowman"})).unwrap();
        assert_eq!(Client::from(w).id, "170876000000321");
    }
}
