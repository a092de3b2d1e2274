//! Zoho Projects' side of the benchmarks' lower bounds, computed from the generated data and
//! the plan's operations (never from the client's own calls): the reads an observation cannot
//! do without at V3's page sizes, the writes an apply needs, each grouped by API, and the time
//! those calls take under the real service's limit of 100 calls per API per 2 minutes.

use std::collections::BTreeMap;
use std::time::Duration;

use projectlink::live::Observed;
use projectlink::plan::Desired;
use projectlink::plan::{Operation, Plan};
use projectlink::zoho::pacing::RateLimit;

/// The strictest limit reported for the real service.
pub const ZOHO_LIMIT: RateLimit = RateLimit {
    calls: 100,
    window: Duration::from_secs(120),
};

/// V3 listings give 200 per page; user listings 50.
const PAGE: usize = 200;
const USERS_PAGE: usize = 50;
/// Portal users per add, as projectlink sends them (Zoho documents no maximum).
const PORTAL_USERS_PER_ADD: u64 = 20;

fn pages(n: usize, per: usize) -> u64 {
    n.div_ceil(per).max(1) as u64
}

/// Calls per API (a label per endpoint) and their total.
#[derive(Debug, Default)]
pub struct Calls(pub BTreeMap<&'static str, u64>);

impl Calls {
    fn add(&mut self, api: &'static str, n: u64) {
        if n > 0 {
            *self.0.entry(api).or_default() += n;
        }
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    /// The time these calls take under [`ZOHO_LIMIT`]: APIs proceed side by side, so the
    /// busiest one decides.
    pub fn paced(&self) -> Duration {
        paced(self.0.values().copied())
    }
}

/// The busiest API's time under [`ZOHO_LIMIT`].
pub fn paced(counts: impl Iterator<Item = u64>) -> Duration {
    counts
        .map(|n| ZOHO_LIMIT.paced_duration(n))
        .max()
        .unwrap_or_default()
}

/// The Projects reads an observation of this state needs: the portal list, the portal's
/// users, projects, templates and client companies at full pages, and the per-project and
/// per-client reads that no V3 or legacy endpoint offers in bulk, for the objects the spec and
/// the generated data make them necessary for (worked out here from the data, not from what
/// the observation chose to read).
pub fn observe(desired: &Desired, observed: &Observed) -> Calls {
    let mut calls = Calls::default();
    calls.add("portals", 1);
    if let Some(users) = &observed.portal_users {
        calls.add("portal users", pages(users.len(), USERS_PAGE));
    }
    if let Some(data) = &observed.data {
        calls.add("projects", pages(data.projects.len(), PAGE));
        calls.add("templates", pages(data.templates.len(), PAGE));
        calls.add("clients", pages(data.clients.len(), PAGE));
        calls.add(
            "clients of a project",
            super::data_reads::project_client_reads(desired, data),
        );
        calls.add(
            "client users",
            super::data_reads::client_user_reads(desired, observed),
        );
    }
    calls
}

/// The Projects writes an apply of `plan` needs, at the largest batches.
pub fn apply(plan: &Plan) -> Calls {
    let mut calls = Calls::default();
    let mut portal_users: u64 = 0;
    for change in &plan.changes {
        match &change.operation {
            Operation::AddPortalUser { .. } => portal_users += 1,
            Operation::CreateLinkedProject { request, .. } => {
                calls.add("create project", 1);
                calls.add("add project client", u64::from(request.client_id.is_some()));
            }
            Operation::AddProjectClient { .. } => calls.add("add project client", 1),
            Operation::AddProjectUsers { .. } => calls.add("add project users", 1),
            Operation::AddClientUser {
                existing_user_id,
                project_ids,
                ..
            } => {
                calls.add("add client user", u64::from(existing_user_id.is_none()));
                calls.add("client user projects", u64::from(!project_ids.is_empty()));
            }
            _ => {}
        }
    }
    calls.add(
        "add portal users",
        portal_users.div_ceil(PORTAL_USERS_PER_ADD),
    );
    calls
}
