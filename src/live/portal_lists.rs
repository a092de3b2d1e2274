//! The portal's users and client companies at a cost that does not grow with the org once a
//! previous observation is at hand. Both listings are paged (users 50 to a page, clients
//! 200) and Zoho gives neither a modified-time order nor filter for them, so an incremental
//! observation reads only the first page and compares what Zoho says about the whole
//! listing, `page_info.count`, and the first page's items with the cached observation: when
//! both are as they were, the cached list is used; otherwise the listing is read whole.
//!
//! What this cannot see waits for the full observation (daily by default): a change to an
//! item past the first page that leaves the count as it was (a role changed or a user
//! deactivated by hand, a client company renamed, one item removed and another added).
//! `page_info.count` is documented only in a v3.1 users spec of one unattributed client
//! (confidence I): where Zoho gives no count, or the legacy API serves the listing, it is
//! read whole every run, which costs calls but is never wrong.

use std::collections::{BTreeMap, BTreeSet};

use super::cache::ListingCount;
use super::data::{ClientFacts, DataMode, ProjectFacts};
use super::incremental::CrmReads;
use super::observe::{ObserveError, reading};
use super::snapshot::{PortalFacts, PortalUserFacts};
use crate::zoho::ProjectsApi;
use crate::zoho::projects::{Client, ListingHead, ListingPages, PortalUserFilter, ProjectsUser};

/// The Projects profile name Zoho gives a portal's owner.
const PORTAL_OWNER_PROFILE: &str = "Portal Owner";

/// How a listing was read, for tests and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingRead {
    /// Every page read (no usable cache, or the first page or count changed).
    Whole,
    /// The first page matched the cache, which gave the rest.
    Cached,
}

/// The cached list of one listing and the count Zoho gave for it then.
#[derive(Debug, Clone, Copy)]
pub struct Prior<'a, F> {
    pub items: &'a [F],
    pub count: u64,
}

/// Whether `head` says the listing is as `prior` holds it: Zoho gives the same count as
/// then and every item of the first page is cached as it is now.
pub fn unchanged<T, F>(
    head: &ListingHead<T>,
    prior: &Prior<'_, F>,
    id: impl Fn(&F) -> &str,
    same: impl Fn(&T, &BTreeMap<&str, &F>) -> bool,
) -> bool {
    if head.count != Some(prior.count) {
        return false;
    }
    let by_id: BTreeMap<&str, &F> = prior.items.iter().map(|f| (id(f), f)).collect();
    head.items.iter().all(|item| same(item, &by_id))
}

/// The count kept for a listing of `portal_id`, when the cache has one.
fn kept_count(kept: Option<&ListingCount>, portal_id: &str) -> Option<u64> {
    kept.filter(|k| k.portal_id == portal_id).map(|k| k.count)
}

/// The count to keep for the next cache: Zoho's, of `portal_id`.
fn to_keep(portal_id: &str, count: Option<u64>) -> Option<ListingCount> {
    count.map(|count| ListingCount {
        portal_id: portal_id.to_string(),
        count,
    })
}

/// The cached portal users of `portal` and the count Zoho gave for them, when the cached
/// observation read this same portal's users and kept their count.
fn prior_users<'a>(
    reads: &CrmReads<'a>,
    portal: &PortalFacts,
) -> Option<Prior<'a, PortalUserFacts>> {
    let (cache, _) = reads.prior()?;
    let count = kept_count(reads.prior_projects()?.users.as_ref(), &portal.id)?;
    Some(Prior {
        items: cache.observed.portal_users.as_deref()?,
        count,
    })
}

/// Reads the users of `portal`, from the cache when its first page and count say nothing
/// changed; keeps the count for the next cache. Sorted by email.
pub async fn portal_users<P: ProjectsApi>(
    api: &P,
    portal: &PortalFacts,
    reads: &CrmReads<'_>,
) -> Result<(Vec<PortalUserFacts>, ListingRead), ObserveError> {
    let read = |pages| async move {
        api.portal_users_counted(&portal.id, PortalUserFilter::All, pages)
            .await
            .map_err(reading(format!("users of portal \"{}\"", portal.name)))
    };
    let prior = prior_users(reads, portal);
    let mut listing = read(first_or_all(prior.is_some())).await?;
    let cached = prior.filter(|prior| {
        listing.more
            && unchanged(
                &listing,
                prior,
                |u| u.id.as_str(),
                |u, cached| cached.get(u.id.as_str()) == Some(&&portal_user_facts(u)),
            )
    });
    let (users, how) = match cached {
        Some(prior) => (prior.items.to_vec(), ListingRead::Cached),
        None => {
            if listing.more {
                listing = read(ListingPages::All).await?;
            }
            let mut users: Vec<PortalUserFacts> =
                listing.items.iter().map(portal_user_facts).collect();
            users.sort_by(|a, b| a.email.cmp(&b.email));
            (users, ListingRead::Whole)
        }
    };
    reads.note_projects(|s| s.users = to_keep(&portal.id, listing.count));
    Ok((users, how))
}

/// The first page when a cache may give the rest, else every page.
fn first_or_all(cached: bool) -> ListingPages {
    if cached {
        ListingPages::First
    } else {
        ListingPages::All
    }
}

pub fn portal_user_facts(u: &ProjectsUser) -> PortalUserFacts {
    PortalUserFacts {
        id: u.id.clone(),
        email: u.email.to_ascii_lowercase(),
        name: u.name.clone(),
        role: u.role.clone().unwrap_or_default(),
        active: u.active,
        owner: u.portal_profile_name.as_deref() == Some(PORTAL_OWNER_PROFILE),
    }
}

/// A client company as the data plane compares it: id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientName {
    pub id: String,
    pub name: String,
}

impl From<&Client> for ClientName {
    fn from(c: &Client) -> ClientName {
        ClientName {
            id: c.id.clone(),
            name: c.name.clone(),
        }
    }
}

impl From<&ClientFacts> for ClientName {
    fn from(c: &ClientFacts) -> ClientName {
        ClientName {
            id: c.id.clone(),
            name: c.name.clone(),
        }
    }
}

/// The client companies of `portal_id` as read, and whether they came from the cache.
#[derive(Debug, Clone)]
pub struct ListedClients {
    pub clients: Vec<ClientName>,
    pub how: ListingRead,
}

/// The cached client companies of `portal_id`, when the cached observation listed them in
/// this portal's data plane and kept their count.
fn prior_clients<'a>(reads: &CrmReads<'a>, portal_id: &str) -> Option<Prior<'a, ClientFacts>> {
    let (cache, _) = reads.prior()?;
    let count = kept_count(reads.prior_projects()?.clients.as_ref(), portal_id)?;
    let data = cache.observed.data.as_ref()?;
    (data.portal_id == portal_id && data.mode == DataMode::Active).then_some(Prior {
        items: &data.clients,
        count,
    })
}

/// Reads the client companies of `portal_id`: whole when `whole` (the one-time automatic
/// mapping matches them by name) or when the cache cannot say, else the first page, and the
/// cached list when it and the count say nothing changed. Keeps the count for the next cache.
pub async fn clients<P: ProjectsApi>(
    api: &P,
    portal_id: &str,
    reads: &CrmReads<'_>,
    whole: bool,
) -> Result<ListedClients, ObserveError> {
    let prior = prior_clients(reads, portal_id).filter(|_| !whole);
    let mut listing = read_clients(api, portal_id, first_or_all(prior.is_some())).await?;
    let cached = prior.filter(|prior| {
        listing.more
            && unchanged(
                &listing,
                prior,
                |c| c.id.as_str(),
                |c, cached| cached.get(c.id.as_str()).is_some_and(|f| f.name == c.name),
            )
    });
    let listed = match cached {
        Some(prior) => ListedClients {
            clients: prior.items.iter().map(ClientName::from).collect(),
            how: ListingRead::Cached,
        },
        None => {
            if listing.more {
                listing = read_clients(api, portal_id, ListingPages::All).await?;
            }
            ListedClients {
                clients: listing.items.iter().map(ClientName::from).collect(),
                how: ListingRead::Whole,
            }
        }
    };
    reads.note_projects(|s| s.clients = to_keep(portal_id, listing.count));
    Ok(listed)
}

async fn read_clients<P: ProjectsApi>(
    api: &P,
    portal_id: &str,
    pages: ListingPages,
) -> Result<ListingHead<Client>, ObserveError> {
    api.clients_counted(portal_id, pages)
        .await
        .map_err(reading("Zoho Projects client companies"))
}

/// When the list came from the cache and a project names a client company it lacks (one
/// was created since), reads the list whole again. Returns whether it did.
pub async fn complete_clients<P: ProjectsApi>(
    api: &P,
    portal_id: &str,
    reads: &CrmReads<'_>,
    listed: &mut ListedClients,
    projects: &[ProjectFacts],
) -> Result<bool, ObserveError> {
    if listed.how != ListingRead::Cached {
        return Ok(false);
    }
    if !names_unlisted_client(&listed.clients, projects) {
        return Ok(false);
    }
    let listing = read_clients(api, portal_id, ListingPages::All).await?;
    reads.note_projects(|s| s.clients = to_keep(portal_id, listing.count));
    *listed = ListedClients {
        clients: listing.items.iter().map(ClientName::from).collect(),
        how: ListingRead::Whole,
    };
    Ok(true)
}

/// Whether a project's client companies (as read) include one `clients` lacks.
fn names_unlisted_client(clients: &[ClientName], projects: &[ProjectFacts]) -> bool {
    let known: BTreeSet<&str> = clients.iter().map(|c| c.id.as_str()).collect();
    projects
        .iter()
        .flat_map(|p| p.clients.iter().flatten())
        .any(|c| !known.contains(c.id.as_str()))
}

#[cfg(test)]
#[path = "portal_lists_tests.rs"]
mod tests;
