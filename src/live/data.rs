//! Observing the data plane: the records, projects and clients the data-plane planner acts on
//! (client mapping, link records, project requests, deal conversion). Only what the spec
//! needs is read, every listing is paged to its end, and independent reads run concurrently.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use super::creation_tag::creation_tag_text;
use super::creation_tag::{creation_tag, without_creation_tag};
use super::incremental::CrmReads;
use super::observe::{ObserveError, reading};
use super::portal_lists::{ListedClients, complete_clients};
use super::projects_read::{PROJECTS_SOURCE, PriorProjects};
use super::snapshot::Observed;
use super::{IntegrationState, MarkerFacts};
use crate::domain::Desired;
use crate::domain::link_module::base_fields;
use crate::zoho::crm::Record;
use crate::zoho::projects::{Project, ProjectFilter};
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

/// Modules whose record values the plan reads: those with field maps, and Deals when deals
/// are converted.
fn value_modules(desired: &Desired) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for m in &desired.modules {
        if m.field_map.is_empty() {
            continue;
        }
        let fields = modules.entry(m.module.clone()).or_default();
        fields.extend(m.field_map.iter().map(|f| f.crm_field.clone()));
    }
    if desired.deal_conversion.is_some() {
        modules
            .entry("Deals".into())
            .or_default()
            .extend(["Deal_Name".to_string(), "Stage".to_string()]);
    }
    for (module, fields) in modules.iter_mut() {
        if matches!(module.as_str(), "Deals" | "Contacts") {
            fields.insert("Account_Name".into());
        }
    }
    modules
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
    let mapping_pending = observed.marker.marker().is_none_or(|m| {
        m.state == IntegrationState::Deactivated
            || m.client_mapping == super::ClientMappingState::Pending
    });
    let field_exists = |module: &'static str, field: &'static str| async move {
        reads
            .metadata()
            .fields(crm, module)
            .await
            .map(|fs| fs.iter().any(|f| f.api_name == field))
            .map_err(reading(format!("fields of CRM module {module}")))
    };
    let (account_field, contact_field) = futures::try_join!(
        field_exists("Accounts", ACCOUNT_CLIENT_FIELD),
        field_exists("Contacts", CONTACT_CLIENT_USER_FIELD)
    )?;

    let list = |module: &'static str, fields: Vec<String>| async move {
        reads
            .records(crm, module, &fields)
            .await
            .map_err(reading(format!("{module} records")))
    };
    let mut account_fields = vec!["Account_Name".to_string()];
    if account_field {
        account_fields.push(ACCOUNT_CLIENT_FIELD.into());
    }
    let mut contact_fields = vec!["Email".to_string(), "Account_Name".to_string()];
    if contact_field {
        contact_fields.push(CONTACT_CLIENT_USER_FIELD.into());
    }
    if mode == DataMode::Deactivated {
        // Only mappings to clear are read; nothing else of the data plane runs.
        let (accounts, contacts) = futures::try_join!(
            async {
                if account_field {
                    list("Accounts", account_fields).await
                } else {
                    Ok(Vec::new())
                }
            },
            async {
                if contact_field {
                    list("Contacts", contact_fields).await
                } else {
                    Ok(Vec::new())
                }
            }
        )?;
        return Ok(Some(DataFacts {
            portal_id,
            mode,
            account_field,
            contact_field,
            accounts: accounts_facts(&accounts),
            contacts: contacts_facts(&contacts),
            ..Default::default()
        }));
    }
    let accounts = list("Accounts", account_fields);
    let contacts = list("Contacts", contact_fields);
    let link_records = async {
        let Some(module) = &observed.link_module else {
            return Ok(Vec::new());
        };
        if mode == DataMode::Rebinding {
            // Removed before the data plane runs: the new portal starts without links.
            return Ok(Vec::new());
        }
        let known: BTreeSet<&str> = module.fields.iter().map(|f| f.api_name.as_str()).collect();
        let mut fields = vec!["Name".to_string(), "Created_By".to_string()];
        fields.extend(
            base_fields()
                .into_iter()
                .map(|f| f.api_name)
                .filter(|f| known.contains(f.as_str())),
        );
        fields.extend(
            desired
                .modules
                .iter()
                .map(|m| m.lookup_field.clone())
                .filter(|f| known.contains(f.as_str())),
        );
        reads
            .records(crm, &module.api_name, &fields)
            .await
            .map_err(reading(format!("{} records", module.api_name)))
    };
    let value_records = try_join_all(value_modules(desired).into_iter().map(
        |(module, fields)| async move {
            let known: Option<BTreeSet<String>> = observed
                .module_fields
                .get(&module)
                .map(|fs| fs.iter().map(|f| f.api_name.clone()).collect());
            let fields: Vec<String> = fields
                .into_iter()
                .filter(|f| {
                    known.as_ref().is_none_or(|k| k.contains(f))
                        || matches!(f.as_str(), "Deal_Name" | "Stage" | "Account_Name")
                })
                .collect();
            let records = reads
                .records(crm, &module, &fields)
                .await
                .map_err(reading(format!("{module} records")))?;
            let by_id: BTreeMap<String, Record> = records
                .into_iter()
                .map(|r| (value_text(r.get("id")), r))
                .filter(|(id, _)| !id.is_empty())
                .collect();
            Ok::<_, ObserveError>((module, by_id))
        },
    ));
    // The previous observation's projects of this portal, when this one is incremental.
    let prior_projects = reads.prior().and_then(|(cache, crm_since)| {
        let data = cache.observed.data.as_ref()?;
        (data.portal_id == portal_id && data.mode == DataMode::Active).then(|| PriorProjects {
            projects: &data.projects,
            since: reads.since(PROJECTS_SOURCE).unwrap_or(crm_since),
        })
    });
    let portal_projects = super::projects_read::list_projects(projects, &portal_id, prior_projects);
    let templates = async {
        if desired
            .deal_conversion
            .as_ref()
            .is_none_or(|d| d.template.is_none())
        {
            return Ok(Vec::new());
        }
        // Read already for the plan-time name checks (names.rs).
        if let Some(read) = observed.names.templates_of(&portal_id) {
            return Ok(read.to_vec());
        }
        projects
            .projects(&portal_id, ProjectFilter::Templates)
            .await
            .map(|ts| ts.into_iter().map(|t| (t.id, t.name)).collect())
            .map_err(reading("Zoho Projects project templates"))
    };
    // Read whole while the one-time automatic mapping, which matches them by name, is due.
    let clients = super::portal_lists::clients(
        projects,
        &portal_id,
        reads,
        mapping_pending && desired.clients.auto,
    );
    let (accounts, contacts, link_records, value_records, portal_projects, templates, clients) = futures::try_join!(
        accounts,
        contacts,
        link_records,
        value_records,
        portal_projects,
        templates,
        clients
    )?;

    let accounts = accounts_facts(&accounts);
    let contacts = contacts_facts(&contacts);

    let lookup_fields: Vec<&str> = desired
        .modules
        .iter()
        .map(|m| m.lookup_field.as_str())
        .collect();
    let mut link_records: Vec<LinkRecordFacts> = link_records
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

    // Client companies of projects not yet linked to an Account decide their Account link.
    let account_linked: BTreeSet<&str> = link_records
        .iter()
        .filter(|l| l.lookups.contains_key("Account"))
        .filter_map(|l| l.project_id.as_deref())
        .collect();
    let wants_accounts = desired.modules.iter().any(|m| m.module == "Accounts");
    let mut projects_facts: Vec<ProjectFacts> = portal_projects.projects;
    let imported_projects: BTreeSet<&str> = desired
        .imports
        .portal_users
        .iter()
        .flat_map(|(_, _, projects)| projects)
        .map(String::as_str)
        .collect();
    let imported: Vec<(String, String)> = projects_facts
        .iter()
        .filter(|p| imported_projects.contains(p.name.as_str()))
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let client_reads =
        super::projects_read::read_clients(projects, &portal_id, &mut projects_facts, |p| {
            wants_accounts && !account_linked.contains(p.id.as_str())
        });
    let project_user_reads = try_join_all(imported.iter().map(|(id, name)| {
        let portal_id = &portal_id;
        async move {
            let users = projects
                .project_users(portal_id, id)
                .await
                .map_err(reading(format!("users of project \"{name}\"")))?;
            let mut emails: Vec<String> =
                users.iter().map(|u| u.email.to_ascii_lowercase()).collect();
            emails.sort();
            Ok::<_, ObserveError>((id.clone(), emails))
        }
    }));
    let (_, project_users) = futures::try_join!(client_reads, project_user_reads)?;
    // On a first activation the Contacts mapping field does not exist yet (this plan creates
    // it), and the client users are what the one-time mapping matches.
    let wants_client_users = (mapping_pending && desired.clients.auto)
        || !desired.clients.user_overrides.is_empty()
        || !desired.imports.client_users.is_empty();
    let client_facts = client_facts(
        projects,
        &portal_id,
        reads,
        clients,
        &projects_facts,
        wants_client_users,
    )
    .await?;
    projects_facts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut templates: Vec<(String, String)> = templates;
    templates.sort();

    Ok(Some(DataFacts {
        portal_id,
        mode,
        account_field,
        contact_field,
        accounts,
        contacts,
        clients: client_facts,
        projects: projects_facts,
        templates,
        link_records,
        project_users: project_users.into_iter().collect(),
        records: value_records.into_iter().collect(),
    }))
}

/// The client companies as listed, with their client users when `wants_users`, sorted by
/// name. A list the cache gave is read whole again first when a project names a client
/// company it lacks.
async fn client_facts<P: ProjectsApi>(
    projects: &P,
    portal_id: &str,
    reads: &CrmReads<'_>,
    mut listed: ListedClients,
    portal_projects: &[ProjectFacts],
    wants_users: bool,
) -> Result<Vec<ClientFacts>, ObserveError> {
    complete_clients(projects, portal_id, reads, &mut listed, portal_projects).await?;
    let user_reads = try_join_all(
        listed
            .clients
            .iter()
            .enumerate()
            .filter(|_| wants_users)
            .map(|(i, c)| async move {
                let users = projects
                    .client_users(portal_id, &c.id)
                    .await
                    .map_err(reading(format!("users of client \"{}\"", c.name)))?;
                Ok::<_, ObserveError>((i, users))
            }),
    )
    .await?;
    let mut facts: Vec<ClientFacts> = listed
        .clients
        .into_iter()
        .map(|c| ClientFacts {
            id: c.id,
            name: c.name,
            users: None,
        })
        .collect();
    for (i, users) in user_reads {
        let mut users: Vec<ClientUserFacts> = users
            .into_iter()
            .map(|u| ClientUserFacts {
                id: u.id,
                email: u.email.to_ascii_lowercase(),
                project_ids: {
                    let mut ids = u.project_ids;
                    ids.sort();
                    ids
                },
            })
            .collect();
        users.sort_by(|a, b| a.email.cmp(&b.email));
        facts[i].users = Some(users);
    }
    facts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    Ok(facts)
}

fn accounts_facts(records: &[Record]) -> Vec<AccountFacts> {
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

fn contacts_facts(records: &[Record]) -> Vec<ContactFacts> {
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
