//! The steady-state benchmark's lower bounds and its reading of the sandbox's counters. The
//! bounds are worked out from the generated data and the spec, never from the calls the
//! implementation made: learning that nothing changed takes at least one request per
//! listing the spec needs; a change adds the pages of changed items and its writes.

use std::collections::BTreeMap;
use std::time::Duration;

use projectlink::sandbox::generate::{GenerateOptions, generate};
use projectlink::zoho::pacing::RateLimit;
use serde_json::Value;

/// Records per page of CRM and Zoho Projects listings at their documented maxima (CRM's
/// `per_page` 200; V3's "1–200"; the legacy API's `range` ≤ 200).
const PAGE: usize = 200;
/// Users per page of the V3.1 portal users listing ("default 50 (Zoho max)").
const USERS_PAGE: usize = 50;

/// The strictest limit reported for the real Zoho Projects service: 100 calls per API per
/// 2 minutes.
pub const ZOHO_LIMIT: RateLimit = RateLimit {
    calls: 100,
    window: Duration::from_secs(120),
};
/// The pace the client keeps by default: at most this many calls per API in any window,
/// below [`ZOHO_LIMIT`], so a run never trips it.
pub const CLIENT_PACE: RateLimit = RateLimit::DEFAULT;

/// The listings the benchmark's spec needs observed: CRM users, Accounts, Deals and the
/// link module's records; the portal's projects, client companies and users.
const CRM_LISTINGS: u64 = 4;
const PROJECTS_LISTINGS: u64 = 3;

/// The generated org's sizes.
pub struct Counts {
    pub projects: usize,
    pub users: usize,
    pub accounts: usize,
    pub deals: usize,
    pub clients: usize,
    /// Users of the generated portal, its owner included.
    pub portal_users: usize,
}

fn pages(n: usize) -> u64 {
    pages_of(n, PAGE)
}

fn pages_of(n: usize, per_page: usize) -> u64 {
    n.div_ceil(per_page).max(1) as u64
}

impl Counts {
    pub fn of(o: &GenerateOptions) -> Counts {
        // The portal's users are a slice of the active CRM users: counted in what the
        // generator makes of these options, not guessed from them.
        let portal_users = generate(o).portals.first().map_or(0, |p| p.users.len() + 1);
        Counts {
            portal_users,
            projects: o.projects,
            users: o.users,
            accounts: o.accounts,
            deals: o.deals.unwrap_or(o.accounts / 2),
            clients: o.clients.unwrap_or((o.accounts / 10).max(1)),
        }
    }

    /// A plan that finds nothing changed: one request per listing.
    pub fn no_change_bound(&self) -> Bound {
        Bound {
            crm: CRM_LISTINGS,
            projects: PROJECTS_LISTINGS,
        }
    }

    /// A plan after `changed` projects changed one field each: the no-change requests, the
    /// further pages of the changed projects (their link records are written, not read).
    pub fn change_bound(&self, changed: usize) -> Bound {
        Bound {
            crm: CRM_LISTINGS,
            projects: PROJECTS_LISTINGS + pages(changed) - 1,
        }
    }

    /// Every listing read to its end at the maximum page size: what a full observation of
    /// this org needs (one link record per project; the portal's users 50 to a page). The
    /// clients of projects without an Account link, one read each, are left out: which
    /// projects those are depends on the apply, not on the generated counts alone, and the
    /// bound stays a bound without them.
    pub fn full_observation_bound(&self) -> Bound {
        Bound {
            crm: pages(self.users)
                + pages(self.accounts)
                + pages(self.deals)
                + pages(self.projects),
            projects: pages(self.projects)
                + pages(self.clients)
                + pages_of(self.portal_users, USERS_PAGE),
        }
    }
}

/// A lower bound of calls per system.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub crm: u64,
    pub projects: u64,
}

impl Bound {
    pub fn total(&self) -> u64 {
        self.crm + self.projects
    }
}

/// Calls one phase made per system, from the sandbox's counters (token requests apart).
#[derive(Debug, Default)]
pub struct Usage {
    pub crm: u64,
    pub projects: u64,
    /// Zoho Projects calls per API, which its rate limit counts.
    pub projects_by_api: BTreeMap<String, u64>,
    /// CRM credits, when the run reported them (an apply does); else a credit per CRM read.
    pub crm_credits: u64,
}

impl Usage {
    pub fn of(used: &BTreeMap<String, u64>) -> Usage {
        let mut usage = Usage::default();
        for (key, n) in used {
            let path = key.split_once(' ').map_or(key.as_str(), |(_, p)| p);
            if path.contains("/oauth") {
                continue;
            }
            if path.starts_with("/crm/") {
                usage.crm += n;
            } else {
                usage.projects += n;
                usage.projects_by_api.insert(key.clone(), *n);
            }
        }
        // Reads cost a credit each.
        usage.crm_credits = usage.crm;
        usage
    }

    pub fn total(&self) -> u64 {
        self.crm + self.projects
    }

    /// The time these calls take at the client's pace ([`CLIENT_PACE`]), which keeps each
    /// API under Zoho Projects' limit: each API is a lane of its own, and the busiest one
    /// decides (its calls wait for their windows whatever the other APIs do).
    pub fn paced(&self) -> Duration {
        self.projects_by_api
            .values()
            .map(|n| CLIENT_PACE.paced_duration(*n))
            .max()
            .unwrap_or_default()
    }

    /// The most calls of one Zoho Projects API.
    pub fn busiest_api(&self) -> u64 {
        self.projects_by_api.values().copied().max().unwrap_or(0)
    }

    pub fn header() -> String {
        format!(
            "{:<26} {:>6} {:>9} {:>7} {:>7} {:>7} {:>8} {:>10}  observation",
            "phase", "CRM", "Projects", "total", "bound", "ratio", "credits", "paced (s)"
        )
    }

    /// One line of the table, with the kind of observation the plan reports, if it does.
    pub fn row(&self, phase: &str, bound: Bound, plan: &Value) -> String {
        let kind = observation_kind(plan);
        format!(
            "{phase:<26} {:>6} {:>9} {:>7} {:>7} {:>7.1} {:>8} {:>10.0}  {kind}",
            self.crm,
            self.projects,
            self.total(),
            bound.total(),
            self.total() as f64 / bound.total().max(1) as f64,
            self.crm_credits,
            self.paced().as_secs_f64()
        )
    }
}

/// What the plan document says about how it observed (full or incremental), if anything.
pub fn observation_kind(document: &Value) -> String {
    let plan = &document["plan"];
    for key in ["observation", "observation_kind", "observed_with"] {
        match &plan[key] {
            Value::Null => {}
            Value::String(s) => return s.clone(),
            Value::Object(o) => {
                if let Some(Value::String(kind)) = o.get("kind") {
                    return kind.clone();
                }
                return Value::Object(o.clone()).to_string();
            }
            other => return other.to_string(),
        }
    }
    "not reported".into()
}

/// The CRM credits an apply reports having spent in its run.
pub fn reported_credits(stdout: &str) -> Option<u64> {
    let (_, rest) = stdout.split_once("CRM credits this run: ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
