//! What applying a plan costs in calls and CRM credits beyond the executor's own writes.
//!
//! Record writes: a credit per 10 records of each insert, update or upsert call (other calls
//! cost one each, as `safety` counts them), counted in the batches the executor sends
//! (`write_batches`), so a change of 1,000 link records costs the 100 credits its 10 calls
//! are charged, not 10.
//!
//! Reads: the apply observes again before it writes, from the observation cache the plan
//! just wrote. [`apply_reads`] works that observation out from the plan's own: the reads
//! that repeat whatever changed (metadata), one probe per listing the cache holds in place of
//! its pages, and, of the reads this plan made for changed projects, the share the next
//! observation's overlap reads again.

use std::collections::BTreeMap;

use super::model::{Change, Operation};
use super::write_batches::{
    RECORDS_PER_WRITE, batches, linked_project_key, record_write_key, rounds, to_crm_targets,
};
use crate::live::Observed;
use crate::live::data::DataMode;

/// Credits one CRM write call of `records` records costs.
fn call_credits(records: usize) -> u64 {
    crate::zoho::stats::crm_credit_cost(records)
}

/// Whether the operation's CRM calls are record writes sent in batches (whose credits
/// [`write_credits`] counts); every other CRM call costs one credit.
pub fn is_batched_write(op: &Operation) -> bool {
    record_write_key(op).is_some() || linked_project_key(op).is_some()
}

/// CRM credits of the record writes and created projects' write-backs among the changes,
/// batched as the executor batches them.
pub fn write_credits(changes: &[Change]) -> u64 {
    let mut records = Vec::new();
    let mut created = Vec::new();
    for c in changes {
        let op = &c.operation;
        if let Some(key) = record_write_key(op) {
            records.push((key, ()));
        } else if let (Some(key), Operation::CreateLinkedProject { request, .. }) =
            (linked_project_key(op), op)
        {
            created.push((key, request));
        }
    }
    let record_credits: u64 = batches(records)
        .iter()
        .map(|(_, batch)| call_credits(batch.len()))
        .sum();
    let write_back_credits: u64 = batches(created)
        .into_iter()
        .map(|(_, batch)| {
            let links = call_credits(batch.len());
            let to_crm: u64 = to_crm_targets(batch)
                .into_values()
                .flat_map(rounds)
                .map(|round| {
                    round
                        .chunks(RECORDS_PER_WRITE)
                        .map(|chunk| call_credits(chunk.len()))
                        .sum::<u64>()
                })
                .sum();
            links + to_crm
        })
        .sum();
    record_credits + write_back_credits
}

/// Records per page of CRM listings (`per_page` at Zoho's maximum).
const CRM_PAGE: usize = 200;
/// Projects per page of the projects listing (V3 and legacy alike, at Zoho's maximum).
const PROJECTS_PAGE: usize = 200;
/// Calls of an incremental projects read that finds nothing changed: the change listing's
/// first page and the portal (whose count of active projects tells a trashed one).
const PROJECTS_PROBES: u64 = 2;
/// Calls of an incremental CRM listing that finds nothing changed: the changed records'
/// first page and the deleted records' first page.
const CRM_LISTING_PROBES: u64 = 2;

/// Pages of a CRM listing of `n` records (a page says whether more follow).
fn crm_pages(n: usize) -> u64 {
    n.div_ceil(CRM_PAGE).max(1) as u64
}

/// Pages of a projects listing of `n` projects: its pages carry no "more" flag, so a last
/// full page is followed by an empty one.
fn projects_pages(n: usize) -> u64 {
    (n / PROJECTS_PAGE + 1) as u64
}

/// What one observation read, as the plan's run measured it.
#[derive(Debug, Clone, Default)]
pub struct ObservationReads<'a> {
    /// Whether it read only what changed since a cached observation.
    pub incremental: bool,
    pub crm_calls: u64,
    pub projects_calls: u64,
    /// Its Zoho Projects calls per API (`GET /api/v3/portal/{id}/projects`, as the pacer
    /// names them).
    pub projects_by_api: BTreeMap<String, u64>,
    /// Records of each CRM listing in the cache it wrote; `None` when it wrote none, and the
    /// next observation reads everything again.
    pub next_listings: Option<&'a BTreeMap<String, usize>>,
    /// Of the changes it read, the share that lies inside the next observation's overlap
    /// and is read again (0 after a full observation, whose changes are unknown).
    pub repeated_share: f64,
}

/// Calls an observation makes per system; each CRM read costs one credit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCost {
    pub crm: u64,
    pub projects: u64,
}

impl ReadCost {
    pub fn calls(&self) -> u64 {
        self.crm + self.projects
    }

    pub fn credits(&self) -> u64 {
        self.crm
    }
}

/// Whether a Zoho Projects API reads one project or its clients: the reads a changed
/// project costs, which the next observation carries over from the cache.
fn is_per_project_read(api: &str) -> bool {
    api.starts_with("GET ")
        && (api.ends_with("/projects/{id}") || api.ends_with("/projects/{id}/clients"))
}

/// Whether a Zoho Projects API lists a portal's projects (or its templates).
fn is_projects_listing(api: &str) -> bool {
    api.starts_with("GET ") && api.ends_with("/portal/{id}/projects")
}

/// The reads of the observation an apply of this plan makes before it writes: the same as
/// this one when no cache was written (it reads everything again); otherwise an incremental
/// observation from the cache this one wrote, which finds only the changes in its overlap.
pub fn apply_reads(observed: &Observed, reads: &ObservationReads) -> ReadCost {
    let measured = ReadCost {
        crm: reads.crm_calls,
        projects: reads.projects_calls,
    };
    let Some(listings) = reads.next_listings else {
        return measured;
    };
    let per_project: u64 = reads
        .projects_by_api
        .iter()
        .filter(|(api, _)| is_per_project_read(api))
        .map(|(_, n)| n)
        .sum();
    let repeated = (per_project as f64 * reads.repeated_share.clamp(0.0, 1.0)).round() as u64;
    let mut projects = reads.projects_calls - per_project + repeated;
    let mut crm = reads.crm_calls;
    if !reads.incremental {
        // Every listing the cache holds is read next time by its changes, the users by theirs.
        let listed: u64 = listings.values().map(|n| crm_pages(*n)).sum();
        let users = crm_pages(observed.users.len());
        let probes = CRM_LISTING_PROBES * listings.len() as u64 + 1;
        crm = (crm + probes).saturating_sub(listed + users);
    }
    // The projects are listed by their changes when the data plane runs on the portal: after
    // a full observation instead of every page, after an incremental one instead of the
    // pages of the changes it found (the apply finds only those made since).
    let active = observed
        .data
        .as_ref()
        .is_some_and(|d| d.mode == DataMode::Active);
    if active {
        let listing: u64 = reads
            .projects_by_api
            .iter()
            .filter(|(api, _)| is_projects_listing(api))
            .map(|(_, n)| n)
            .sum();
        // The templates share the listing's API; the next observation reads them again.
        let templates = observed
            .names
            .templates
            .as_ref()
            .map_or(0, |t| projects_pages(t.len()));
        let pages = listing.saturating_sub(templates);
        projects = (projects + PROJECTS_PROBES).saturating_sub(pages);
    }
    ReadCost { crm, projects }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::live::Address;
    use crate::plan::data_plane::{ProjectRequest, ToCrmWrite};
    use crate::plan::model::Action;

    fn change(system: &str, operation: Operation) -> Change {
        Change {
            address: Address::new(system, "kind", "1"),
            action: Action::Update,
            reason: String::new(),
            before: None,
            after: None,
            destructive: false,
            depends_on: Vec::new(),
            operation,
        }
    }

    fn link_update(i: usize) -> Change {
        change(
            "crm",
            Operation::UpsertLinkRecord {
                link_module: "Linked_Projects".into(),
                record_id: Some(format!("l{i}")),
                project_id: format!("p{i}"),
                fields: Map::from_iter([("Percent_Complete".to_string(), json!(40))]),
            },
        )
    }

    #[test]
    fn record_writes_cost_a_credit_per_ten_records_of_each_batch() {
        let changes: Vec<Change> = (0..1_050).map(link_update).collect();
        // Ten full batches of 100 (10 credits each) and one of 50 (5 credits).
        assert_eq!(write_credits(&changes), 105);
        assert_eq!(write_credits(&changes[..3]), 1);
        assert!(changes.iter().all(|c| is_batched_write(&c.operation)));
    }

    #[test]
    fn created_projects_cost_their_write_backs() {
        let created = |i: usize| {
            change(
                "projects",
                Operation::CreateLinkedProject {
                    portal_id: "101".into(),
                    link_module: "Linked_Projects".into(),
                    request: ProjectRequest {
                        name: format!("Deal {i}"),
                        to_crm: vec![ToCrmWrite {
                            module: "Deals".into(),
                            record_id: format!("d{i}"),
                            crm_field: "Project_Stage".into(),
                            ..ToCrmWrite::default()
                        }],
                        ..ProjectRequest::default()
                    },
                },
            )
        };
        let changes: Vec<Change> = (0..25).map(created).collect();
        // 25 link records in one call (3 credits), 25 Deals written back in one (3 credits).
        assert_eq!(write_credits(&changes), 6);
        let deletion = Operation::DeleteField {
            module: "Linked_Projects".into(),
            field_id: "f1".into(),
            api_name: "Old_Field".into(),
        };
        assert!(!is_batched_write(&deletion));
    }

    fn measured<'a>(
        incremental: bool,
        crm: u64,
        by_api: &[(&str, u64)],
        listings: &'a BTreeMap<String, usize>,
        share: f64,
    ) -> ObservationReads<'a> {
        let projects_by_api: BTreeMap<String, u64> =
            by_api.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        ObservationReads {
            incremental,
            crm_calls: crm,
            projects_calls: projects_by_api.values().sum(),
            projects_by_api,
            next_listings: Some(listings),
            repeated_share: share,
        }
    }

    #[test]
    fn an_incremental_apply_carries_changed_projects_over_unless_the_overlap_reads_them() {
        let listings = BTreeMap::from([("Accounts?Account_Name".to_string(), 900)]);
        let by_api = [
            ("GET /api/v3/portal/{id}", 1),
            ("GET /restapi/portal/{id}/projects", 1),
            ("GET /api/v3/portal/{id}/projects/{id}", 30),
            ("GET /restapi/portal/{id}/projects/{id}/clients", 10),
        ];
        let observed = Observed::default();
        let none = apply_reads(&observed, &measured(true, 12, &by_api, &listings, 0.0));
        assert_eq!(
            none,
            ReadCost {
                crm: 12,
                projects: 2
            }
        );
        let half = apply_reads(&observed, &measured(true, 12, &by_api, &listings, 0.5));
        assert_eq!(half.projects, 22);
        assert_eq!(half.credits(), 12, "a credit per CRM read");
        let unwritten = ObservationReads {
            next_listings: None,
            ..measured(true, 12, &by_api, &listings, 0.0)
        };
        assert_eq!(
            apply_reads(&observed, &unwritten).projects,
            42,
            "read again"
        );
    }

    #[test]
    fn after_a_full_observation_each_cached_listing_costs_two_probes() {
        // 900 Accounts in 5 pages and 450 Contacts in 3, 250 users in 2: 10 listing calls of
        // 14; the apply reads each listing's changes and deletions and the users' changes.
        let listings = BTreeMap::from([
            ("Accounts?Account_Name".to_string(), 900),
            ("Contacts?Email".to_string(), 450),
        ]);
        let observed = Observed {
            users: vec![Default::default(); 250],
            ..Observed::default()
        };
        let cost = apply_reads(&observed, &measured(false, 14, &[], &listings, 0.0));
        assert_eq!(cost.crm, 14 - 10 + 2 * 2 + 1);
    }
}
