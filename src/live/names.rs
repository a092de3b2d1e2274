//! The names a spec refers to, read from the live org so that a plan can tell a misspelt one
//! (or a grant without admin rights) before apply: the acting user, the stages of Deals,
//! the portal's roles and its project templates. Only what the spec uses is read.

use serde::{Deserialize, Serialize};

use super::incremental::CrmReads;
use super::observe::{ObserveError, reading};
use super::snapshot::{Observed, PortalFacts, ProjectsGrant};
use crate::domain::Desired;
use crate::zoho::crm::UserType;
use crate::zoho::projects::ProjectFilter;
use crate::zoho::{CrmApi, ProjectsApi};

/// The module and field whose values `dealConversion.stage` names.
pub const DEALS_MODULE: &str = "Deals";
pub const STAGE_FIELD: &str = "Stage";

/// Names of the live org the spec's names are held to. `None` is "not read".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedFacts {
    /// The user whose grant CRM is read and written with.
    pub acting_user: Option<ActingUserFacts>,
    /// Values of `Deals.Stage`, when the spec converts deals.
    pub deal_stages: Option<Vec<String>>,
    /// The selected portal, when it is visible: where roles and templates were read.
    pub portal_id: Option<String>,
    /// Roles of the selected portal, when it is visible.
    pub portal_roles: Option<Vec<String>>,
    /// Project templates of the selected portal as (id, name), sorted by name, when the spec
    /// names one (the data plane reuses them rather than reading them again).
    pub templates: Option<Vec<(String, String)>>,
}

impl NamedFacts {
    /// The templates, when they were read from `portal_id`.
    pub fn templates_of(&self, portal_id: &str) -> Option<&[(String, String)]> {
        match self.portal_id.as_deref() == Some(portal_id) {
            true => self.templates.as_deref(),
            false => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActingUserFacts {
    pub email: String,
    pub profile: String,
    /// Has the Administrator profile (the rights to customize CRM and add users).
    pub administrator: bool,
}

/// Reads the names `desired` uses; `observed` says which portal is selected and visible.
/// The Deals fields go through `reads`, which reads them only when the module changed.
pub async fn observe_names<C: CrmApi, P: ProjectsApi>(
    desired: &Desired,
    observed: &Observed,
    crm: &C,
    projects: &P,
    reads: &CrmReads<'_>,
) -> Result<NamedFacts, ObserveError> {
    let portal = selected_portal(desired, observed);
    let (acting_user, deal_stages, portal_roles, templates) = futures::try_join!(
        acting_user(crm),
        deal_stages(desired, crm, reads),
        portal_roles(projects, portal),
        templates(desired, projects, portal)
    )?;
    Ok(NamedFacts {
        acting_user,
        deal_stages,
        portal_id: portal.map(|p| p.id.clone()),
        portal_roles,
        templates,
    })
}

/// The user CRM is read and written as, whose profile says whether the grant may customize
/// CRM and add users.
async fn acting_user<C: CrmApi>(crm: &C) -> Result<Option<ActingUserFacts>, ObserveError> {
    let users = crm
        .users(UserType::CurrentUser)
        .await
        .map_err(reading("the acting CRM user"))?;
    Ok(users.first().map(|u| ActingUserFacts {
        email: u.email.to_ascii_lowercase(),
        profile: u.profile_name().to_string(),
        administrator: u.is_administrator(),
    }))
}

/// The values of `Deals.Stage`, which `dealConversion.stage` must name; read only when the
/// spec converts deals.
async fn deal_stages<C: CrmApi>(
    desired: &Desired,
    crm: &C,
    reads: &CrmReads<'_>,
) -> Result<Option<Vec<String>>, ObserveError> {
    if desired.deal_conversion.is_none() {
        return Ok(None);
    }
    let fields = reads
        .metadata()
        .fields(crm, DEALS_MODULE)
        .await
        .map_err(reading(format!("fields of CRM module {DEALS_MODULE}")))?;
    Ok(Some(
        fields
            .iter()
            .find(|f| f.api_name == STAGE_FIELD)
            .map(|f| {
                f.pick_list_values
                    .iter()
                    .map(|v| v.display_value.clone())
                    .collect()
            })
            .unwrap_or_default(),
    ))
}

/// The portal the spec selects, when it is visible to the Projects grant: the one whose
/// roles and templates the spec's names are held to.
fn selected_portal<'o>(desired: &Desired, observed: &'o Observed) -> Option<&'o PortalFacts> {
    observed
        .portals
        .iter()
        .find(|p| p.name == desired.portal_name)
        .filter(|_| observed.projects_grant != ProjectsGrant::PortalOwnerMissing)
}

/// The roles of the selected portal, which the spec's portal users name.
async fn portal_roles<P: ProjectsApi>(
    projects: &P,
    portal: Option<&PortalFacts>,
) -> Result<Option<Vec<String>>, ObserveError> {
    let Some(portal) = portal else {
        return Ok(None);
    };
    let roles = projects
        .portal_roles(&portal.id)
        .await
        .map_err(reading(format!("roles of portal \"{}\"", portal.name)))?;
    Ok(Some(roles))
}

/// The project templates of the selected portal as (id, name), sorted by name; read only
/// when deal conversion names a template.
async fn templates<P: ProjectsApi>(
    desired: &Desired,
    projects: &P,
    portal: Option<&PortalFacts>,
) -> Result<Option<Vec<(String, String)>>, ObserveError> {
    let (Some(portal), Some(_)) = (
        portal,
        desired
            .deal_conversion
            .as_ref()
            .and_then(|d| d.template.as_ref()),
    ) else {
        return Ok(None);
    };
    let templates = projects
        .projects(&portal.id, ProjectFilter::Templates)
        .await
        .map_err(reading("Zoho Projects project templates"))?;
    let mut named: Vec<(String, String)> = templates.into_iter().map(|t| (t.id, t.name)).collect();
    named.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    Ok(Some(named))
}
