//! What a plan costs in Zoho Projects calls and in time under its per-API rate limit: the
//! calls observing took (measured), the calls applying will take (estimated per capability
//! from the operations), and how long the limit makes both wait. Zoho Projects locks an API
//! once a user exceeds its limit, so a plan says this before anyone applies it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::model::{Change, Operation, PORTAL_USERS_PER_ADD};
use crate::zoho::pacing::{self, RateLimit};
use crate::zoho::projects::capabilities::{self, Capability};

/// Zoho Projects calls and paced time of one plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectsCost {
    /// The limit the client paces to, `CALLS/SECONDS` per API.
    pub rate_limit: String,
    /// Calls observing made (measured).
    pub observe_calls: u64,
    /// Seconds observing waited for the limit (measured).
    pub observe_waited_secs: u64,
    /// Calls applying the plan will make (estimated).
    pub apply_calls: u64,
    /// Seconds applying may wait for the limit: every API's calls in a row (an upper bound;
    /// calls to different APIs proceed side by side).
    pub apply_paced_secs: u64,
    /// Estimated apply calls per API, for the busiest ones.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub apply_calls_by_api: BTreeMap<String, u64>,
}

impl ProjectsCost {
    /// Seconds an apply of this plan spends waiting: observing again, then applying.
    pub fn paced_secs(&self) -> u64 {
        self.observe_waited_secs + self.apply_paced_secs
    }

    /// One line for people: calls and waits of observing and applying.
    pub fn describe(&self) -> String {
        let limit: Option<RateLimit> = self.rate_limit.parse().ok();
        let under = limit.map_or(String::new(), |l| {
            format!(
                " under {} calls per API per {}",
                l.calls,
                pacing::describe_window(l.window)
            )
        });
        format!(
            "Zoho Projects: {} call(s) to observe ({} s waited), about {} to apply (at most {} s of waiting{under}).",
            self.observe_calls, self.observe_waited_secs, self.apply_calls, self.apply_paced_secs
        )
    }
}

/// The Projects capabilities one operation uses, with counts (before batching).
fn capabilities_of(op: &Operation) -> Vec<(Capability, u64)> {
    use Capability as C;
    match op {
        // create, then (for a client) the add; a refused create re-reads the projects.
        Operation::CreateLinkedProject { request, .. } => {
            let mut calls = vec![(C::CreateProject, 1)];
            if request.client_id.is_some() {
                calls.push((C::AddProjectClient, 1));
            }
            calls
        }
        // read the project's clients, then add
        Operation::AddProjectClient { .. } => {
            vec![(C::ProjectClients, 1), (C::AddProjectClient, 1)]
        }
        Operation::AddProjectUsers { .. } => vec![(C::ProjectUsers, 1), (C::AddProjectUsers, 1)],
        Operation::AddClientUser {
            existing_user_id,
            project_ids,
            ..
        } => {
            let mut calls = Vec::new();
            if existing_user_id.is_none() {
                calls.push((C::ClientUsers, 1));
                calls.push((C::AddClientUser, 1));
            }
            if !project_ids.is_empty() {
                calls.push((C::AddClientUserToProjects, 1));
            }
            calls
        }
        _ => Vec::new(),
    }
}

/// Estimated Projects calls per capability to apply `changes`.
pub fn apply_calls(changes: &[Change]) -> BTreeMap<Capability, u64> {
    let mut calls: BTreeMap<Capability, u64> = BTreeMap::new();
    let mut portal_users: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for change in changes {
        if let Operation::AddPortalUser {
            portal_id, role, ..
        } = &change.operation
        {
            *portal_users.entry((portal_id, role)).or_default() += 1;
        }
        for (capability, n) in capabilities_of(&change.operation) {
            *calls.entry(capability).or_default() += n;
        }
    }
    let adds: u64 = portal_users
        .values()
        .map(|n| n.div_ceil(PORTAL_USERS_PER_ADD as u64))
        .sum();
    if adds > 0 {
        *calls.entry(Capability::AddPortalUsers).or_default() += adds;
    }
    calls
}

/// The cost of applying `changes` after an observation that made `observe_calls` Projects
/// calls and waited `observe_waited` for the limit.
pub fn projects_cost(
    changes: &[Change],
    observe_calls: u64,
    observe_waited: Duration,
    limit: RateLimit,
) -> ProjectsCost {
    let by_capability = apply_calls(changes);
    let apply_paced: Duration = by_capability
        .values()
        .map(|n| limit.paced_duration(*n))
        .sum();
    let apply_calls_by_api = by_capability
        .iter()
        .map(|(c, n)| {
            let route = capabilities::route(*c);
            (route.v3.unwrap_or(route.legacy).to_string(), *n)
        })
        .collect();
    ProjectsCost {
        rate_limit: limit.to_string(),
        observe_calls,
        observe_waited_secs: observe_waited.as_secs(),
        apply_calls: by_capability.values().sum(),
        apply_paced_secs: apply_paced.as_secs(),
        apply_calls_by_api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::Address;
    use crate::plan::model::Action;

    fn change(operation: Operation) -> Change {
        Change {
            address: Address::new("projects", "portal", "1"),
            action: Action::Create,
            reason: String::new(),
            before: None,
            after: None,
            destructive: false,
            depends_on: Vec::new(),
            operation,
        }
    }

    #[test]
    fn portal_users_are_counted_per_batch_and_pacing_per_api() {
        let users: Vec<Change> = (0..45)
            .map(|i| {
                change(Operation::AddPortalUser {
                    portal_id: "1".into(),
                    email: format!("u{i}@x.com"),
                    role: "Employee".into(),
                })
            })
            .collect();
        let clients: Vec<Change> = (0..200)
            .map(|i| {
                change(Operation::AddProjectClient {
                    portal_id: "1".into(),
                    project_id: i.to_string(),
                    client_id: "7".into(),
                })
            })
            .collect();
        let all: Vec<Change> = users.into_iter().chain(clients).collect();
        let cost = projects_cost(&all, 12, Duration::ZERO, RateLimit::DEFAULT);
        assert_eq!(cost.apply_calls, 3 + 200 + 200);
        // 200 reads and 200 adds: each API needs two more windows after its first 90.
        assert_eq!(cost.apply_paced_secs, 2 * 240);
        assert_eq!(cost.apply_calls_by_api["POST /users"], 3);
        assert!(
            cost.describe().contains("about 403 to apply"),
            "{}",
            cost.describe()
        );
    }
}
