//! Reading a portal's projects and their client companies at a cost that does not grow with
//! the number of projects once a previous observation is at hand. A full read lists every
//! project and asks each project that needs it for its clients; an incremental one lists
//! only the projects modified since the previous observation (legacy listing, newest
//! modified first), reads each of those again as a full listing would, carries the rest over
//! with the clients read then, and asks for clients only of projects that changed or newly
//! need them.
//!
//! What Zoho does not signal, this cannot see: associating a client company with a project
//! does not change the project's modified time in Zoho's documentation, so an association
//! made outside projectlink reaches the plan at the next full observation. A trashed project
//! leaves no trace in the listing either; the portal's count of active projects tells that
//! one went (or came back from the trash), and the projects are then listed whole.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use futures::future::try_join_all;

use super::data::{ProjectClientFacts, ProjectFacts, project_facts};
use super::observe::{ObserveError, reading};
use crate::zoho::ProjectsApi;
use crate::zoho::projects::ProjectFilter;

/// Watermark key of the Projects reads in the observation cache.
pub const PROJECTS_SOURCE: &str = "projects";

/// The projects of the previous observation and where this one's change listing starts
/// (the previous watermark less its overlap).
#[derive(Debug, Clone, Copy)]
pub struct PriorProjects<'a> {
    pub projects: &'a [ProjectFacts],
    pub since: DateTime<Utc>,
}

/// How the projects were read, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProjectsListing {
    /// Every project listed.
    #[default]
    Full,
    /// Only `changed` projects listed, the rest carried over.
    Incremental { changed: usize },
    /// The change listing did not account for the portal's active projects (one was trashed
    /// or restored), so the projects were listed whole after all.
    Relisted,
}

/// The projects as listed: each one's clients are those carried over from the previous
/// observation, or `None` when they are still to be read.
#[derive(Debug, Clone, Default)]
pub struct ListedProjects {
    pub projects: Vec<ProjectFacts>,
    pub how: ProjectsListing,
}

/// Lists the portal's active and archived projects, in full when there is no `prior`.
pub async fn list_projects<P: ProjectsApi>(
    api: &P,
    portal_id: &str,
    prior: Option<PriorProjects<'_>>,
) -> Result<ListedProjects, ObserveError> {
    let full = || async {
        api.projects(portal_id, ProjectFilter::ActiveAndArchived)
            .await
            .map_err(reading("Zoho Projects projects"))
    };
    let Some(prior) = prior else {
        let projects = full().await?.iter().map(project_facts).collect();
        return Ok(ListedProjects {
            projects,
            how: ProjectsListing::Full,
        });
    };
    let (changed, portal) = futures::try_join!(
        async {
            api.projects_changed_since(portal_id, prior.since.timestamp_millis())
                .await
                .map_err(reading(
                    "Zoho Projects projects changed since the last observation",
                ))
        },
        async {
            api.portal(portal_id)
                .await
                .map_err(reading("the Zoho Projects portal"))
        }
    )?;
    let changed_ids: BTreeSet<&str> = changed.iter().map(|p| p.id.as_str()).collect();
    // The change listing is legacy, whose projects name custom fields and owners otherwise
    // than V3's: each changed project is read again the way a full listing reads it, so
    // facts compare equal whichever observation read them. One that went meanwhile is gone.
    let fresh = try_join_all(changed_ids.iter().map(|id| async move {
        api.project(portal_id, id)
            .await
            .map_err(reading(format!("Zoho Projects project {id}")))
    }))
    .await?;
    let carried = |p: &ProjectFacts| (!changed_ids.contains(p.id.as_str())).then(|| p.clone());
    let mut merged: BTreeMap<String, ProjectFacts> = prior
        .projects
        .iter()
        .filter_map(carried)
        .map(|p| (p.id.clone(), p))
        .collect();
    merged.extend(
        fresh
            .iter()
            .flatten()
            .map(|p| (p.id.clone(), project_facts(p))),
    );
    let active = merged.values().filter(|p| p.status == "active").count() as u64;
    if portal.and_then(|p| p.active_projects) == Some(active) {
        return Ok(ListedProjects {
            projects: merged.into_values().collect(),
            how: ProjectsListing::Incremental {
                changed: changed_ids.len(),
            },
        });
    }
    // A project left (or came back from the trash) without a change the listing shows.
    let projects = full()
        .await?
        .iter()
        .map(|p| {
            let mut facts = project_facts(p);
            facts.clients = merged.get(&p.id).and_then(|m| m.clients.clone());
            facts
        })
        .collect();
    Ok(ListedProjects {
        projects,
        how: ProjectsListing::Relisted,
    })
}

/// Reads the client companies of every project `wanted` says needs them and has none
/// carried over; a project not wanted ends with `None`, as a full observation leaves it.
/// Returns how many projects were asked.
pub async fn read_clients<P: ProjectsApi>(
    api: &P,
    portal_id: &str,
    projects: &mut [ProjectFacts],
    wanted: impl Fn(&ProjectFacts) -> bool,
) -> Result<usize, ObserveError> {
    for p in projects.iter_mut().filter(|p| !wanted(p)) {
        p.clients = None;
    }
    let reads = try_join_all(
        projects
            .iter()
            .enumerate()
            .filter(|(_, p)| p.clients.is_none() && wanted(p))
            .map(|(i, p)| async move {
                let clients = api
                    .project_clients(portal_id, &p.id)
                    .await
                    .map_err(reading(format!("clients of project \"{}\"", p.name)))?;
                Ok::<_, ObserveError>((i, clients))
            }),
    )
    .await?;
    let asked = reads.len();
    for (i, clients) in reads {
        let mut list: Vec<ProjectClientFacts> = clients
            .into_iter()
            .map(|c| ProjectClientFacts {
                id: c.id,
                primary: c.primary,
            })
            .collect();
        list.sort_by(|a, b| (!a.primary, &a.id).cmp(&(!b.primary, &b.id)));
        projects[i].clients = Some(list);
    }
    Ok(asked)
}
