//! Observing: reads the CRM and Projects facts a plan needs, through the client traits, and
//! builds a normalized [`Observed`] snapshot. It never writes.

use std::collections::BTreeMap;

use futures::future::try_join_all;

use super::incremental::CrmReads;
use super::marker::{MARKER_VARIABLE, Marker};
use super::metadata::MetadataReads;
use super::snapshot::*;
use crate::domain::Desired;
use crate::graph::GraphError;
use crate::zoho::crm::{CrmUser, Field, Module, Org, Profile, Variable};
use crate::zoho::{CrmApi, ProjectsApi, ZohoError};

/// A read that failed, with what was being read.
///
/// Its message ends with the failed call's message, because the operator's conditions and
/// Events show only the message. So the call is not offered again as `source()` (a chain
/// printer such as the CLI's would repeat it): the chain goes on with the call's own causes.
/// Written by hand because `thiserror` always offers a field named `source` as the source.
#[derive(Debug)]
pub struct ObserveError {
    pub what: String,
    pub source: ReadFailure,
}

impl std::fmt::Display for ObserveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot read {}: {}", self.what, self.source)
    }
}

impl std::error::Error for ObserveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.source)
    }
}

/// The failed call under an [`ObserveError`]: a Zoho client's, or (for the Office 365 kind)
/// the Microsoft Graph client's, each with its own service's wording.
#[derive(Debug, thiserror::Error)]
pub enum ReadFailure {
    #[error(transparent)]
    Zoho(#[from] ZohoError),
    /// Boxed: observation results stay small on their `Ok` path.
    #[error(transparent)]
    Graph(Box<GraphError>),
}

impl From<GraphError> for ReadFailure {
    fn from(e: GraphError) -> ReadFailure {
        ReadFailure::Graph(Box::new(e))
    }
}

pub(crate) fn reading<E: Into<ReadFailure>>(
    what: impl Into<String>,
) -> impl FnOnce(E) -> ObserveError {
    let what = what.into();
    move |source| ObserveError {
        what,
        source: source.into(),
    }
}

/// Reads everything `plan` needs for `desired`. `projects_grant` says which grant `projects`
/// carries; with [`ProjectsGrant::PortalOwnerMissing`] Projects is not read at all.
pub async fn observe<C: CrmApi, P: ProjectsApi>(
    desired: &Desired,
    crm: &C,
    projects: &P,
    projects_grant: ProjectsGrant,
) -> Result<Observed, ObserveError> {
    observe_with(desired, crm, projects, projects_grant, &CrmReads::full()).await
}

/// [`observe`] with the CRM record and user listings going through `reads`: in full, or
/// only what changed since a cached observation (see [`CrmReads`]).
pub async fn observe_with<C: CrmApi, P: ProjectsApi>(
    desired: &Desired,
    crm: &C,
    projects: &P,
    projects_grant: ProjectsGrant,
    reads: &CrmReads<'_>,
) -> Result<Observed, ObserveError> {
    let crm_side = observe_crm(desired, crm, reads);
    let projects_side = async {
        if projects_grant == ProjectsGrant::PortalOwnerMissing {
            return Ok((Vec::new(), None, Vec::new()));
        }
        observe_projects(desired, projects, reads).await
    };
    let (crm_facts, (portals, portal_users, custom_fields)) =
        futures::try_join!(crm_side, projects_side)?;
    let CrmFacts {
        org,
        marker,
        link_module,
        module_fields,
        profiles,
        users,
    } = crm_facts;
    let mut observed = Observed {
        org,
        marker,
        projects_grant,
        portals,
        portal_users,
        project_custom_fields: custom_fields,
        link_module,
        module_fields,
        profiles,
        users,
        link_record_count: None,
        data: None,
        names: Default::default(),
    };
    if needs_link_count(desired, &observed) {
        let count = crm
            .count(&desired.link_module, None)
            .await
            .map_err(reading(format!(
                "the number of {} records",
                desired.link_module
            )))?;
        observed.link_record_count = Some(count);
    }
    observed.names = super::names::observe_names(desired, &observed, crm, projects, reads).await?;
    observed.data = super::data::observe_data(desired, &observed, crm, projects, reads).await?;
    Ok(observed)
}

/// Link records are counted only when the plan may remove them: on deactivation or a
/// portal change.
fn needs_link_count(desired: &Desired, observed: &Observed) -> bool {
    let Some(marker) = observed.marker.marker() else {
        return false;
    };
    if observed.link_module.is_none() || marker.state != super::IntegrationState::Active {
        return false;
    }
    !desired.active
        || observed
            .portals
            .iter()
            .find(|p| p.name == desired.portal_name)
            .is_some_and(|p| p.id != marker.portal_id)
}

struct CrmFacts {
    org: OrgFacts,
    marker: MarkerFacts,
    link_module: Option<LinkModuleFacts>,
    module_fields: BTreeMap<String, Vec<FieldFacts>>,
    profiles: Vec<ProfileFacts>,
    users: Vec<CrmUserFacts>,
}

/// The CRM lists every observation reads, one call each whatever the org's size.
struct CrmLists {
    org: Org,
    variables: Vec<Variable>,
    modules: Vec<Module>,
    profiles: Vec<Profile>,
    users: Vec<CrmUserFacts>,
}

async fn read_crm_lists<C: CrmApi>(
    crm: &C,
    reads: &CrmReads<'_>,
) -> Result<CrmLists, ObserveError> {
    let org = async {
        match reads.org() {
            Some(org) => Ok(org.clone()),
            None => crm.org().await.map_err(reading("the CRM org")),
        }
    };
    let variables = async { crm.variables().await.map_err(reading("CRM org variables")) };
    let modules = async { crm.modules().await.map_err(reading("CRM modules")) };
    let profiles = async { crm.profiles().await.map_err(reading("CRM profiles")) };
    let users = async {
        super::incremental::users(reads, crm, crm_user_facts)
            .await
            .map_err(reading("CRM users"))
    };
    let (org, variables, modules, profiles, users) =
        futures::try_join!(org, variables, modules, profiles, users)?;
    Ok(CrmLists {
        org,
        variables,
        modules,
        profiles,
        users,
    })
}

/// Reads the CRM side. The lists come first: the `modified_time` of each module and profile
/// they carry decides whether its fields or permissions are read again (see
/// [`super::metadata`]), and it must be listed before those are read, never after.
async fn observe_crm<C: CrmApi>(
    desired: &Desired,
    crm: &C,
    reads: &CrmReads<'_>,
) -> Result<CrmFacts, ObserveError> {
    let lists = read_crm_lists(crm, reads).await?;
    let metadata = reads.metadata();
    metadata.listed_modules(&lists.modules);
    let link = lists
        .modules
        .iter()
        .find(|m| m.api_name == desired.link_module);
    let (module_fields, link_module, profiles) = futures::try_join!(
        mapped_module_fields(desired, crm, metadata),
        link_module_facts(crm, metadata, link),
        profile_facts(desired, crm, metadata, link, &lists.profiles),
    )?;
    Ok(CrmFacts {
        org: OrgFacts {
            id: lists.org.id,
            company_name: lists.org.company_name,
        },
        marker: marker_facts(&lists.variables),
        link_module,
        module_fields,
        profiles,
        users: lists.users,
    })
}

fn marker_facts(variables: &[Variable]) -> MarkerFacts {
    match variables.iter().find(|v| v.api_name == MARKER_VARIABLE) {
        None => MarkerFacts::Absent,
        Some(v) => match Marker::parse(&v.value_text().unwrap_or_default()) {
            Ok(marker) => MarkerFacts::Present {
                variable_id: v.id.clone(),
                marker,
            },
            Err(error) => MarkerFacts::Unreadable {
                variable_id: v.id.clone(),
                error: error.to_string(),
            },
        },
    }
}

/// The fields of each module the spec maps fields of.
async fn mapped_module_fields<C: CrmApi>(
    desired: &Desired,
    crm: &C,
    metadata: &MetadataReads<'_>,
) -> Result<BTreeMap<String, Vec<FieldFacts>>, ObserveError> {
    let mapped = desired.modules.iter().filter(|m| !m.field_map.is_empty());
    let read = try_join_all(mapped.map(|wanted| async move {
        let name = wanted.module.as_str();
        let fields = metadata
            .fields(crm, name)
            .await
            .map_err(reading(format!("fields of CRM module {name}")))?;
        Ok::<_, ObserveError>((name.to_string(), fields.iter().map(field_facts).collect()))
    }));
    Ok(read.await?.into_iter().collect())
}

/// The link module with its custom fields, sorted; `None` when the org has no such module.
async fn link_module_facts<C: CrmApi>(
    crm: &C,
    metadata: &MetadataReads<'_>,
    module: Option<&Module>,
) -> Result<Option<LinkModuleFacts>, ObserveError> {
    let Some(m) = module else {
        return Ok(None);
    };
    let fields = metadata
        .fields(crm, &m.api_name)
        .await
        .map_err(reading(format!("fields of CRM module {}", m.api_name)))?;
    let mut fields: Vec<FieldFacts> = fields
        .iter()
        .filter(|f| f.custom_field == Some(true))
        .map(field_facts)
        .collect();
    fields.sort_by(|a, b| a.api_name.cmp(&b.api_name));
    Ok(Some(LinkModuleFacts {
        id: m.id.clone(),
        api_name: m.api_name.clone(),
        owner: m.description.as_deref().and_then(owner_in),
        fields,
    }))
}

/// Every profile, sorted by name, with its permissions on the link module. Those exist only
/// once the module does; then each profile is read whole unless its stamp holds.
async fn profile_facts<C: CrmApi>(
    desired: &Desired,
    crm: &C,
    metadata: &MetadataReads<'_>,
    link: Option<&Module>,
    listed: &[Profile],
) -> Result<Vec<ProfileFacts>, ObserveError> {
    let Some(link) = link else {
        let mut profiles: Vec<ProfileFacts> = listed
            .iter()
            .map(|p| link_permission_facts(p, &desired.link_module))
            .collect();
        profiles.sort_by(|a, b| a.name.cmp(&b.name));
        return Ok(profiles);
    };
    let mut profiles = try_join_all(listed.iter().map(|p| async move {
        metadata.note_profile(p);
        if let Some(cached) = metadata.cached_profile(p, link) {
            return Ok(cached);
        }
        let whole = crm
            .profile(&p.id)
            .await
            .map_err(reading(format!("CRM profile {}", p.name)))?;
        Ok::<_, ObserveError>(link_permission_facts(&whole, &desired.link_module))
    }))
    .await?;
    profiles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(profiles)
}

/// A profile with its permissions on `link_module` (none in a profile from the list, which
/// carries no `permissions_details`).
fn link_permission_facts(p: &Profile, link_module: &str) -> ProfileFacts {
    ProfileFacts {
        id: p.id.clone(),
        name: p.name.clone(),
        link_permissions: PermissionKind::ALL
            .iter()
            .filter_map(|kind| {
                p.permissions_details
                    .iter()
                    .find(|perm| kind.matches(&perm.name, perm.module.as_deref(), link_module))
                    .map(|perm| {
                        (
                            *kind,
                            PermissionFacts {
                                id: perm.id.clone(),
                                enabled: perm.enabled,
                                locked: perm.customizable == Some(false),
                            },
                        )
                    })
            })
            .collect(),
    }
}

fn crm_user_facts(u: &CrmUser) -> CrmUserFacts {
    CrmUserFacts {
        id: u.id.clone(),
        email: u.email.to_ascii_lowercase(),
        name: u.full_name.clone().unwrap_or_default(),
        profile: u
            .profile
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        active: u.status.eq_ignore_ascii_case("active"),
        confirmed: u.confirm.unwrap_or(false),
    }
}

fn field_facts(f: &Field) -> FieldFacts {
    FieldFacts {
        id: f.id.clone(),
        api_name: f.api_name.clone(),
        label: f.field_label.clone(),
        data_type: f.data_type.clone(),
        lookup_module: f.lookup_module().map(str::to_string),
        custom: f.custom_field.unwrap_or(false),
        owner: f.tooltip.as_ref().and_then(|t| owner_in(&t.value)),
    }
}

type ProjectsFacts = (
    Vec<PortalFacts>,
    Option<Vec<PortalUserFacts>>,
    Vec<ProjectCustomFieldFacts>,
);

async fn observe_projects<P: ProjectsApi>(
    desired: &Desired,
    projects: &P,
    reads: &CrmReads<'_>,
) -> Result<ProjectsFacts, ObserveError> {
    let mut portals: Vec<PortalFacts> = projects
        .portals()
        .await
        .map_err(reading("Zoho Projects portals"))?
        .into_iter()
        .map(|p| PortalFacts {
            id: p.id,
            name: p.name,
        })
        .collect();
    portals.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let Some(portal) = portals.iter().find(|p| p.name == desired.portal_name) else {
        return Ok((portals, None, Vec::new()));
    };
    let wants_custom_fields = desired
        .modules
        .iter()
        .flat_map(|m| &m.field_map)
        .any(|m| m.project_field.to_ascii_uppercase().starts_with("UDF_"));
    // The first page and Zoho's count of them all when a cached observation can give the
    // rest (see `portal_lists`).
    let users = super::portal_lists::portal_users(projects, portal, reads);
    let custom = async {
        if !wants_custom_fields {
            return Ok(Vec::new());
        }
        projects
            .project_custom_fields(&portal.id)
            .await
            .map_err(reading(format!(
                "project custom fields of portal \"{}\"",
                portal.name
            )))
    };
    let ((users, _), custom) = futures::try_join!(users, custom)?;
    let mut custom: Vec<ProjectCustomFieldFacts> = custom
        .into_iter()
        .map(|c| ProjectCustomFieldFacts {
            column_name: c.column_name,
            label: c.label_name,
            field_type: c.field_type,
            api_name: c.api_name,
        })
        .collect();
    custom.sort_by(|a, b| a.column_name.cmp(&b.column_name));
    Ok((portals, Some(users), custom))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observe_error_names_its_cause_once_in_a_chain() {
        let cause = "the portal id is empty";
        let error = ObserveError {
            what: "Zoho Projects portals".into(),
            source: ZohoError::InvalidInput(cause.into()).into(),
        };
        // The operator shows only the message: the cause must be in it.
        assert!(error.to_string().ends_with(cause), "{error}");
        let chained = format!("{:#}", anyhow::Error::from(error));
        assert_eq!(chained.matches(cause).count(), 1, "{chained}");
        assert_eq!(
            chained,
            "cannot read Zoho Projects portals: invalid request: the portal id is empty"
        );
    }
}
