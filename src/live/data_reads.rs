//! The reads behind [`observe_data`](super::data::observe_data), one step a function: which
//! client mapping fields exist, the CRM records and portal lists the data plane compares,
//! and the reads of single projects and clients that depend on them. Reads that do not
//! depend on each other run concurrently, as one `try_join!` each.

use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;

use super::data::{
    ACCOUNT_CLIENT_FIELD, CONTACT_CLIENT_USER_FIELD, ClientFacts, ClientUserFacts, DataFacts,
    DataMode, LinkRecordFacts, ProjectFacts, accounts_facts, contacts_facts, link_record_facts,
    value_text,
};
use super::incremental::CrmReads;
use super::observe::{ObserveError, reading};
use super::portal_lists::{ListedClients, complete_clients};
use super::projects_read::{ListedProjects, PROJECTS_SOURCE, PriorProjects};
use super::snapshot::Observed;
use super::{ClientMappingState, IntegrationState};
use crate::domain::Desired;
use crate::domain::link_module::base_fields;
use crate::zoho::crm::Record;
use crate::zoho::projects::{ClientUser, ProjectFilter};
use crate::zoho::{CrmApi, ProjectsApi};

/// What one data-plane observation reads from: the spec, the rest of the observation, the
/// two APIs, and the portal the data plane works in and why.
pub(super) struct DataRead<'a, 'r, C, P> {
    pub desired: &'a Desired,
    pub observed: &'a Observed,
    pub crm: &'a C,
    pub projects: &'a P,
    pub reads: &'a CrmReads<'r>,
    pub portal_id: &'a str,
    pub mode: DataMode,
}

/// The reads that need only the spec and the portal, as they came back.
struct PortalReads {
    accounts: Vec<Record>,
    contacts: Vec<Record>,
    link_records: Vec<Record>,
    value_records: Vec<(String, BTreeMap<String, Record>)>,
    projects: ListedProjects,
    templates: Vec<(String, String)>,
    clients: ListedClients,
}

impl<'a, 'r, C: CrmApi, P: ProjectsApi> DataRead<'a, 'r, C, P> {
    /// Whether `Accounts.Projects_Client_Id` and `Contacts.Projects_Client_User_Id` exist:
    /// the records are listed with a mapping field only when it does.
    pub async fn client_fields(&self) -> Result<(bool, bool), ObserveError> {
        futures::try_join!(
            self.field_exists("Accounts", ACCOUNT_CLIENT_FIELD),
            self.field_exists("Contacts", CONTACT_CLIENT_USER_FIELD)
        )
    }

    /// Whether `module` has `field`, from the module's fields (read when they changed).
    async fn field_exists(
        &self,
        module: &'static str,
        field: &'static str,
    ) -> Result<bool, ObserveError> {
        self.reads
            .metadata()
            .fields(self.crm, module)
            .await
            .map(|fs| fs.iter().any(|f| f.api_name == field))
            .map_err(reading(format!("fields of CRM module {module}")))
    }

    /// The deactivated mode's read: only the Accounts and Contacts holding client mappings,
    /// to clear them; nothing else of the data plane runs.
    pub async fn deactivated(
        &self,
        account_field: bool,
        contact_field: bool,
    ) -> Result<DataFacts, ObserveError> {
        let (account_fields, contact_fields) = mapping_fields(account_field, contact_field);
        let (accounts, contacts) = futures::try_join!(
            async {
                if account_field {
                    self.list("Accounts", account_fields).await
                } else {
                    Ok(Vec::new())
                }
            },
            async {
                if contact_field {
                    self.list("Contacts", contact_fields).await
                } else {
                    Ok(Vec::new())
                }
            }
        )?;
        Ok(DataFacts {
            portal_id: self.portal_id.to_string(),
            mode: self.mode,
            account_field,
            contact_field,
            accounts: accounts_facts(&accounts),
            contacts: contacts_facts(&contacts),
            ..Default::default()
        })
    }

    /// The active (or rebinding) mode's reads, in the order they depend on each other, and
    /// the facts assembled from them: the reads of the portal first, then those of single
    /// projects, then the client users of the client companies those projects name.
    pub async fn active(
        &self,
        account_field: bool,
        contact_field: bool,
    ) -> Result<DataFacts, ObserveError> {
        let read = self.portal_reads(account_field, contact_field).await?;
        let link_records = link_record_facts(&read.link_records, self.desired);
        let mut projects = read.projects.projects;
        let project_users = self.project_reads(&mut projects, &link_records).await?;
        let clients = self.client_facts(read.clients, &projects).await?;
        projects.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        let mut templates = read.templates;
        templates.sort();
        Ok(DataFacts {
            portal_id: self.portal_id.to_string(),
            mode: self.mode,
            account_field,
            contact_field,
            accounts: accounts_facts(&read.accounts),
            contacts: contacts_facts(&read.contacts),
            clients,
            projects,
            templates,
            link_records,
            project_users: project_users.into_iter().collect(),
            records: read.value_records.into_iter().collect(),
        })
    }

    /// The reads that need only the spec and the portal, run together: Accounts, Contacts,
    /// link records, the records the spec reads values from, the portal's projects, its
    /// templates and its client companies.
    async fn portal_reads(
        &self,
        account_field: bool,
        contact_field: bool,
    ) -> Result<PortalReads, ObserveError> {
        let (account_fields, contact_fields) = mapping_fields(account_field, contact_field);
        let portal_projects = super::projects_read::list_projects(
            self.projects,
            self.portal_id,
            self.prior_projects(),
        );
        // Read whole while the one-time automatic mapping, which matches them by name, is due.
        let clients = super::portal_lists::clients(
            self.projects,
            self.portal_id,
            self.reads,
            self.mapping_pending() && self.desired.clients.auto,
        );
        let (accounts, contacts, link_records, value_records, projects, templates, clients) = futures::try_join!(
            self.list("Accounts", account_fields),
            self.list("Contacts", contact_fields),
            self.link_records(),
            self.value_records(),
            portal_projects,
            self.templates(),
            clients
        )?;
        Ok(PortalReads {
            accounts,
            contacts,
            link_records,
            value_records,
            projects,
            templates,
            clients,
        })
    }

    /// Whether the one-time automatic client mapping is still due: no marker yet, a
    /// deactivated integration, or a mapping the marker records as pending.
    fn mapping_pending(&self) -> bool {
        self.observed.marker.marker().is_none_or(|m| {
            m.state == IntegrationState::Deactivated
                || m.client_mapping == ClientMappingState::Pending
        })
    }

    /// The records of `module` with `fields`, through the incremental reads.
    async fn list(
        &self,
        module: &'static str,
        fields: Vec<String>,
    ) -> Result<Vec<Record>, ObserveError> {
        self.reads
            .records(self.crm, module, &fields)
            .await
            .map_err(reading(format!("{module} records")))
    }

    /// The link module's records with the fields of it the plan compares (those it has),
    /// or none when there is no link module yet or the portal is being rebound.
    async fn link_records(&self) -> Result<Vec<Record>, ObserveError> {
        let Some(module) = &self.observed.link_module else {
            return Ok(Vec::new());
        };
        if self.mode == DataMode::Rebinding {
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
            self.desired
                .modules
                .iter()
                .map(|m| m.lookup_field.clone())
                .filter(|f| known.contains(f.as_str())),
        );
        self.reads
            .records(self.crm, &module.api_name, &fields)
            .await
            .map_err(reading(format!("{} records", module.api_name)))
    }

    /// The records of every module the plan reads values from, by module, all at once.
    async fn value_records(&self) -> Result<Vec<(String, BTreeMap<String, Record>)>, ObserveError> {
        try_join_all(
            value_modules(self.desired)
                .into_iter()
                .map(|(module, fields)| self.module_values(module, fields)),
        )
        .await
    }

    /// The records of `module` by id, with those of `fields` the module has, and always the
    /// Deal_Name, Stage and Account_Name the data plane itself reads.
    async fn module_values(
        &self,
        module: String,
        fields: BTreeSet<String>,
    ) -> Result<(String, BTreeMap<String, Record>), ObserveError> {
        let known: Option<BTreeSet<String>> = self
            .observed
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
        let records = self
            .reads
            .records(self.crm, &module, &fields)
            .await
            .map_err(reading(format!("{module} records")))?;
        let by_id: BTreeMap<String, Record> = records
            .into_iter()
            .map(|r| (value_text(r.get("id")), r))
            .filter(|(id, _)| !id.is_empty())
            .collect();
        Ok((module, by_id))
    }

    /// The previous observation's projects of this portal, when this one is incremental:
    /// the projects are then listed only as far as they changed since.
    fn prior_projects(&self) -> Option<PriorProjects<'r>> {
        self.reads.prior().and_then(|(cache, crm_since)| {
            let data = cache.observed.data.as_ref()?;
            (data.portal_id == self.portal_id && data.mode == DataMode::Active).then(|| {
                PriorProjects {
                    projects: &data.projects,
                    since: self.reads.since(PROJECTS_SOURCE).unwrap_or(crm_since),
                }
            })
        })
    }

    /// The portal's project templates, when deal conversion names one to create projects
    /// from; reused when the plan-time name checks read them from this portal already.
    async fn templates(&self) -> Result<Vec<(String, String)>, ObserveError> {
        if self
            .desired
            .deal_conversion
            .as_ref()
            .is_none_or(|d| d.template.is_none())
        {
            return Ok(Vec::new());
        }
        // Read already for the plan-time name checks (names.rs).
        if let Some(read) = self.observed.names.templates_of(self.portal_id) {
            return Ok(read.to_vec());
        }
        self.projects
            .projects(self.portal_id, ProjectFilter::Templates)
            .await
            .map(|ts| ts.into_iter().map(|t| (t.id, t.name)).collect())
            .map_err(reading("Zoho Projects project templates"))
    }

    /// The reads of single projects, run together: the client companies of projects not
    /// yet linked to an Account (they decide its Account link), into `projects`, and the
    /// users of the projects the spec imports users from, returned by project id.
    async fn project_reads(
        &self,
        projects: &mut [ProjectFacts],
        link_records: &[LinkRecordFacts],
    ) -> Result<Vec<(String, Vec<String>)>, ObserveError> {
        let account_linked: BTreeSet<&str> = link_records
            .iter()
            .filter(|l| l.lookups.contains_key("Account"))
            .filter_map(|l| l.project_id.as_deref())
            .collect();
        let wants_accounts = self.desired.modules.iter().any(|m| m.module == "Accounts");
        let imported = self.imported_projects(projects);
        let client_reads =
            super::projects_read::read_clients(self.projects, self.portal_id, projects, |p| {
                wants_accounts && !account_linked.contains(p.id.as_str())
            });
        let user_reads = try_join_all(
            imported
                .iter()
                .map(|(id, name)| self.project_users(id, name)),
        );
        let (_, project_users) = futures::try_join!(client_reads, user_reads)?;
        Ok(project_users)
    }

    /// (id, name) of the projects the spec imports portal users into.
    fn imported_projects(&self, projects: &[ProjectFacts]) -> Vec<(String, String)> {
        let imported: BTreeSet<&str> = self
            .desired
            .imports
            .portal_users
            .iter()
            .flat_map(|(_, _, projects)| projects)
            .map(String::as_str)
            .collect();
        projects
            .iter()
            .filter(|p| imported.contains(p.name.as_str()))
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect()
    }

    /// The users of project `id` as sorted, lower-cased emails, keyed by the project's id.
    async fn project_users(
        &self,
        id: &str,
        name: &str,
    ) -> Result<(String, Vec<String>), ObserveError> {
        let users = self
            .projects
            .project_users(self.portal_id, id)
            .await
            .map_err(reading(format!("users of project \"{name}\"")))?;
        let mut emails: Vec<String> = users.iter().map(|u| u.email.to_ascii_lowercase()).collect();
        emails.sort();
        Ok((id.to_string(), emails))
    }

    /// The client companies as listed, with their client users when the plan needs them,
    /// sorted by name. A list the cache gave is read whole again first when a project names
    /// a client company it lacks.
    async fn client_facts(
        &self,
        mut listed: ListedClients,
        portal_projects: &[ProjectFacts],
    ) -> Result<Vec<ClientFacts>, ObserveError> {
        let (projects, portal_id) = (self.projects, self.portal_id);
        complete_clients(
            projects,
            portal_id,
            self.reads,
            &mut listed,
            portal_projects,
        )
        .await?;
        // On a first activation the Contacts mapping field does not exist yet (this plan
        // creates it), and the client users are what the one-time mapping matches.
        let wants_users = (self.mapping_pending() && self.desired.clients.auto)
            || !self.desired.clients.user_overrides.is_empty()
            || !self.desired.imports.client_users.is_empty();
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
            facts[i].users = Some(client_user_facts(users));
        }
        facts.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        Ok(facts)
    }
}

/// The fields Accounts and Contacts are listed with: the mapping field only when it exists.
fn mapping_fields(account_field: bool, contact_field: bool) -> (Vec<String>, Vec<String>) {
    let mut account_fields = vec!["Account_Name".to_string()];
    if account_field {
        account_fields.push(ACCOUNT_CLIENT_FIELD.into());
    }
    let mut contact_fields = vec!["Email".to_string(), "Account_Name".to_string()];
    if contact_field {
        contact_fields.push(CONTACT_CLIENT_USER_FIELD.into());
    }
    (account_fields, contact_fields)
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

/// A client company's users, lower-cased, with sorted project ids, sorted by email.
fn client_user_facts(users: Vec<ClientUser>) -> Vec<ClientUserFacts> {
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
    users
}
