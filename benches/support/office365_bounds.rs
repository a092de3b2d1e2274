//! The fewest API calls an Office 365 sync can make, per system, for the benchmark's
//! lower bounds: pages at each API's largest page size, writes at its largest batch, and
//! nothing read twice.

use std::collections::BTreeMap;

use projectlink::office365::model::{ItemAction, Target};
use projectlink::office365::{Observed365, SyncKind, SyncPlan};

/// Records per CRM listing page and per write, ids per read by id (Zoho's maxima).
pub const CRM_PAGE: usize = 200;
pub const CRM_BATCH: usize = 100;
/// Items per Graph delta or listing page, users per Graph users page (Graph's maxima).
pub const GRAPH_PAGE: usize = 1000;
pub const GRAPH_USERS_PAGE: usize = 999;

/// API calls per system (token requests apart).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Calls {
    pub crm: u64,
    pub graph: u64,
}

impl std::ops::Add for Calls {
    type Output = Calls;
    fn add(self, other: Calls) -> Calls {
        Calls {
            crm: self.crm + other.crm,
            graph: self.graph + other.graph,
        }
    }
}

pub fn pages(n: usize, size: usize) -> u64 {
    n.div_ceil(size).max(1) as u64
}

/// Pages of the delta round that moves a folder's feed past `written` writes of the run's
/// own (none when the run wrote nothing there).
pub fn closing_round(written: usize) -> u64 {
    if written == 0 {
        0
    } else {
        pages(written, GRAPH_PAGE)
    }
}

/// CRM org variables (the saved state), users (paged), profiles and roles; the tenant's
/// users (paged): read by every run.
pub fn metadata_reads(observed: &Observed365) -> Calls {
    Calls {
        crm: 3 + pages(observed.crm_users.len(), CRM_PAGE),
        graph: pages(observed.mailboxes.len(), GRAPH_USERS_PAGE),
    }
}

/// Reads of the first sync: both modules listed in full; per folder one listing of the
/// mailbox's folders to find out whether it already exists.
pub fn initial_observe_bound(observed: &Observed365, folders: usize) -> Calls {
    let listings: u64 = SyncKind::ALL
        .iter()
        .map(|k| pages(observed.crm[k].records.len(), CRM_PAGE))
        .sum();
    metadata_reads(observed)
        + Calls {
            crm: listings,
            graph: folders as u64,
        }
}

/// Writes of the first sync: per folder its creation, a first delta round while it is empty
/// (so that changes made by anyone during the run are seen by the next one), one create per
/// item (Graph's supported subset has no batch endpoint) and the delta round past the run's
/// own creates; in CRM, the saved state.
pub fn initial_apply_bound(planned: &SyncPlan) -> Calls {
    let graph = planned
        .folders
        .iter()
        .map(|f| {
            let created = f.count(Target::Office365, ItemAction::Create);
            2 + created as u64 + closing_round(created)
        })
        .sum();
    Calls { crm: 1, graph }
}

/// What changed between the runs, per folder (kind, user).
#[derive(Default)]
pub struct Changes {
    pub in_crm: BTreeMap<(SyncKind, String), usize>,
    pub in_outlook: BTreeMap<(SyncKind, String), usize>,
    /// Items in each folder.
    pub items: BTreeMap<(SyncKind, String), usize>,
}

impl Changes {
    pub fn total(map: &BTreeMap<(SyncKind, String), usize>, kind: SyncKind) -> usize {
        map.iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Reads of a steady-state run. CRM: the records changed since the last run (one listing per
/// module) and deleted since (one per module), and, 100 ids a call, the records whose Outlook
/// item changed. Graph: per folder the delta round, and the folder's items in full: Graph
/// cannot filter items by more than one CRM id per request, so reading the folder (1,000
/// items a page) is the cheapest way to find the items of the records changed in CRM.
pub fn steady_observe_bound(observed: &Observed365, changes: &Changes) -> Calls {
    let mut bound = metadata_reads(observed);
    for kind in SyncKind::ALL {
        bound.crm += pages(Changes::total(&changes.in_crm, kind), CRM_PAGE)
            + 1
            + Changes::total(&changes.in_outlook, kind).div_ceil(CRM_BATCH) as u64;
    }
    for (folder, items) in &changes.items {
        let outlook = changes.in_outlook.get(folder).copied().unwrap_or(0);
        bound.graph += pages(outlook, GRAPH_PAGE) + pages(*items, GRAPH_PAGE);
    }
    bound
}

/// Writes of a steady-state run. Graph: one PATCH per item changed in CRM, one per item
/// changed in Outlook (the CRM write gives the record a new modification time, which must be
/// recorded on the item), and per folder the delta round past those writes. CRM: the records
/// changed in Outlook, 100 a call per module, and the saved state.
pub fn steady_apply_bound(changes: &Changes) -> Calls {
    let mut bound = Calls { crm: 1, graph: 0 };
    for kind in SyncKind::ALL {
        bound.crm += Changes::total(&changes.in_outlook, kind).div_ceil(CRM_BATCH) as u64;
    }
    for folder in changes.items.keys() {
        let written = changes.in_crm.get(folder).copied().unwrap_or(0)
            + changes.in_outlook.get(folder).copied().unwrap_or(0);
        bound.graph += written as u64 + closing_round(written);
    }
    bound
}
