//! Observing the data plane: the records, projects and clients the data-plane planner acts on
//! (client mapping, link records, project requests, deal conversion). Only what the spec
//! needs is read, every listing is paged to its end, and independent reads run concurrently.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::creation_tag::creation_tag_text;
use super::creation_tag::{creation_tag, without_creation_tag};
use super::data_reads::DataRead;
use super::incremental::CrmReads;
use super::observe::ObserveError;
use super::snapshot::Observed;
use super::{IntegrationState, MarkerFacts};
use crate::domain::Desired;
use crate::domain::link_module::base_fields;
use crate::zoho::crm::Record;
use crate::zoho::projects::Project;
use crate::zoho::{CrmApi, ProjectsApi};

/// The Accounts field holding the id of the client company an Account maps to.
pub const ACCOUNT_CLIENT_FIELD: &str = "Projects_Client_Id";
/// The Contacts field holding the id of the client user a Contact maps to.
pub const CONTACT_CLIENT_USER_FIELD: &str = "Projects_Client_User_Id";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DataFacts {
    pub portal_id: String,
    pub mode: DataMode,
    /// Whether `Accounts.Projects_Client_Id` / `Contacts.Projects_Client_User_Id` exist.
    pub account_field: bool,
    pub contact_field: bool,
    pub accounts: Vec<AccountFacts>,
    pub contacts: Vec<ContactFacts>,
    pub clients: Vec<ClientFacts>,
    /// Portal projects (not templates), sorted by name.
    pub projects: Vec<ProjectFacts>,
    /// Project templates: (id, name).
    pub templates: Vec<(String, String)>,
    pub link_records: Vec<LinkRecordFacts>,
    /// Users of the projects named in `imports`, by project id (lower-cased emails).
    pub project_users: BTreeMap<String, Vec<String>>,
    /// Records of CRM modules the spec reads values from, by module then record id.
    pub records: BTreeMap<String, BTreeMap<String, Record>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountFacts {
    pub id: String,
    pub name: String,
    pub client_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContactFacts {
    pub id: String,
    pub email: String,
    pub account_id: Option<String>,
    pub client_user_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientFacts {
    pub id: String,
    pub name: String,
    /// Client users, read while the one-time automatic mapping is pending, or when the spec
    /// maps client users by override or imports them.
    pub users: Option<Vec<ClientUserFacts>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientUserFacts {
    pub id: String,
    pub email: String,
    pub project_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectFacts {
    pub id: String,
    pub name: String,
    pub status: String,
    pub owner: String,
    /// `yyyy-MM-dd`, as CRM date fields hold dates.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub percent_complete: Option<u8>,
    pub url: Option<String>,
    /// `(owner, generation)` when projectlink created the project (tag in its description).
    pub created_by: Option<(String, u64)>,
    /// The description as people wrote it: without projectlink's creation tag.
    #[serde(default)]
    pub description: Option<String>,
    /// Custom field values by the name the API answered with: the legacy column
    /// (`UDF_CHAR1`) or the V3 api name (`cf_budget_code`).
    #[serde(default)]
    pub custom_fields: BTreeMap<String, String>,
    /// Client companies of the project; read only for projects without an Account link.
    pub clients: Option<Vec<ProjectClientFacts>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectClientFacts {
    pub id: String,
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkRecordFacts {
    pub id: String,
    pub name: String,
    pub project_id: Option<String>,
    /// Detail fields as text (see [`value_text`]).
    pub details: BTreeMap<String, String>,
    /// Lookup field → id of the linked record.
    pub lookups: BTreeMap<String, String>,
    pub created_by: Option<String>,
}

/// A CRM value as comparable text: strings as they are, integral numbers without a
/// fraction, lookups by id, null as empty.
pub fn value_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Object(o)) => value_text(o.get("id")),
        Some(other) => other.to_string(),
    }
}

/// The id inside a lookup value (`{"id": "...", "name": "..."}`).
pub fn lookup_id(v: Option<&Value>) -> Option<String> {
    let id = value_text(v.and_then(|v| v.get("id")));
    (!id.is_empty()).then_some(id)
}

/// Why the data plane runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataMode {
    /// The integration is (being) activated on its bound portal.
    #[default]
    Active,
    /// The bound portal changes in this plan: old link records and client mappings go.
    Rebinding,
    /// The integration is (being) deactivated: only client mappings are read, to clear them.
    Deactivated,
}

/// The portal the data plane works in and why, when it may run: this spec owns (or is about
/// to create) the marker and the link module.
fn data_portal(desired: &Desired, observed: &Observed) -> Option<(String, DataMode)> {
    if let Some(module) = &observed.link_module
        && module.owner.as_deref() != Some(desired.owner.as_str())
    {
        return None;
    }
    if !desired.active {
        let marker = observed.marker.marker()?;
        return (marker.owner == desired.owner)
            .then(|| (marker.portal_id.clone(), DataMode::Deactivated));
    }
    let portal = observed
        .portals
        .iter()
        .find(|p| p.name == desired.portal_name)?;
    observed.portal_users.as_ref()?;
    let mode = match &observed.marker {
        MarkerFacts::Absent => DataMode::Active,
        MarkerFacts::Unreadable { .. } => return None,
        MarkerFacts::Present { marker, .. } => {
            if marker.owner != desired.owner {
                return None;
            }
            if marker.state == IntegrationState::Active && marker.portal_id != portal.id {
                DataMode::Rebinding
            } else {
                DataMode::Active
            }
        }
    };
    Some((portal.id.clone(), mode))
}

/// Reads the data-plane facts, or `None` when the data plane does not run for this state.
pub async fn observe_data<C: CrmApi, P: ProjectsApi>(
    desired: &Desired,
    observed: &Observed,
    crm: &C,
    projects: &P,
    reads: &CrmReads<'_>,
) -> Result<Option<DataFacts>, ObserveError> {
    let Some((portal_id, mode)) = data_portal(desired, observed) else {
        return Ok(None);
    };
    let read = DataRead {
        desired,
        observed,
        crm,
        projects,
        reads,
        portal_id: &portal_id,
        mode,
    };
    let (account_field, contact_field) = read.client_fields().await?;
    let facts = match mode {
        DataMode::Deactivated => read.deactivated(account_field, contact_field).await?,
        DataMode::Active | DataMode::Rebinding => read.active(account_field, contact_field).await?,
    };
    Ok(Some(facts))
}

/// The link records as facts, sorted by project then id: the base detail fields as text,
/// and the lookups the spec's modules link through.
pub(super) fn link_record_facts(records: &[Record], desired: &Desired) -> Vec<LinkRecordFacts> {
    let lookup_fields: Vec<&str> = desired
        .modules
        .iter()
        .map(|m| m.lookup_field.as_str())
        .collect();
    let mut link_records: Vec<LinkRecordFacts> = records
        .iter()
        .map(|r| LinkRecordFacts {
            id: value_text(r.get("id")),
            name: value_text(r.get("Name")),
            project_id: Some(value_text(r.get("Project_Id"))).filter(|s| !s.is_empty()),
            details: base_fields()
                .iter()
                .filter(|f| f.api_name != "Project_Id")
                .map(|f| (f.api_name.clone(), value_text(r.get(&f.api_name))))
                .collect(),
            lookups: lookup_fields
                .iter()
                .filter_map(|f| lookup_id(r.get(*f)).map(|id| (f.to_string(), id)))
                .collect(),
            created_by: lookup_id(r.get("Created_By")),
        })
        .collect();
    link_records.sort_by(|a, b| (&a.project_id, &a.id).cmp(&(&b.project_id, &b.id)));
    link_records
}

/// The Accounts as facts, sorted by name then id.
pub(super) fn accounts_facts(records: &[Record]) -> Vec<AccountFacts> {
    let mut accounts: Vec<AccountFacts> = records
        .iter()
        .map(|r| AccountFacts {
            id: value_text(r.get("id")),
            name: value_text(r.get("Account_Name")),
            client_id: Some(value_text(r.get(ACCOUNT_CLIENT_FIELD))).filter(|s| !s.is_empty()),
        })
        .collect();
    accounts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    accounts
}

/// The Contacts as facts, sorted by lower-cased email then id.
pub(super) fn contacts_facts(records: &[Record]) -> Vec<ContactFacts> {
    let mut contacts: Vec<ContactFacts> = records
        .iter()
        .map(|r| ContactFacts {
            id: value_text(r.get("id")),
            email: value_text(r.get("Email")).to_ascii_lowercase(),
            account_id: lookup_id(r.get("Account_Name")),
            client_user_id: Some(value_text(r.get(CONTACT_CLIENT_USER_FIELD)))
                .filter(|s| !s.is_empty()),
        })
        .collect();
    contacts.sort_by(|a, b| (&a.email, &a.id).cmp(&(&b.email, &b.id)));
    contacts
}

pub fn project_facts(p: &Project) -> ProjectFacts {
    ProjectFacts {
        id: p.id.clone(),
        name: p.name.clone(),
        status: p.status.as_str().to_string(),
        owner: p.owner_name.clone().unwrap_or_default(),
        start_date: p.start_date.map(|d| d.format("%Y-%m-%d").to_string()),
        end_date: p.end_date.map(|d| d.format("%Y-%m-%d").to_string()),
        percent_complete: p.percent_complete,
        url: p.web_url.clone(),
        created_by: p.description.as_deref().and_then(creation_tag),
        description: p
            .description
            .as_deref()
            .map(without_creation_tag)
            .filter(|d| !d.is_empty()),
        custom_fields: p
            .custom_fields
            .iter()
            .filter_map(|c| Some((c.column_name.clone(), c.value.clone()?)))
            .collect(),
        clients: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_compare_as_text() {
        assert_eq!(value_text(Some(&json!(40.0))), "40");
        assert_eq!(value_text(Some(&json!(12.5))), "12.5");
        assert_eq!(value_text(Some(&json!(null))), "");
        assert_eq!(value_text(Some(&json!({"id": "7", "name": "x"}))), "7");
        assert_eq!(lookup_id(Some(&json!({"id": "7"}))).as_deref(), Some("7"));
        assert_eq!(lookup_id(Some(&json!(null))), None);
    }
}
