//! Orders and batches a plan's changes and runs them: phase by phase, each phase's
//! independent changes concurrently, field creations batched per module and portal users
//! batched per role; a change whose dependency did not succeed is skipped, not attempted.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt;

use super::ops;
use super::report::{ApplyReport, ChangeOutcome, OutcomeStatus};
use crate::live::Address;
use crate::plan::planner::phase;
use crate::plan::{Change, Operation, Plan};
use crate::zoho::{CrmApi, ProjectsApi};

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Independent changes run at most this many at a time (the clients bound their own
    /// request concurrency as well).
    pub concurrency: usize,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { concurrency: 10 }
    }
}

/// Receives progress while an apply runs (the CLI draws a progress line from it).
pub trait ProgressSink: Send + Sync {
    fn begin(&self, _total: usize) {}
    fn finished(&self, _outcome: &ChangeOutcome) {}
}

/// A sink that ignores progress.
pub struct NoProgress;
impl ProgressSink for NoProgress {}

/// Executes `plan` and reports the outcome of every change, in plan order. `progress` hears
/// of each change as soon as the call that made it has answered (a journal flushes it then).
pub async fn execute<C: CrmApi, P: ProjectsApi>(
    plan: &Plan,
    crm: &C,
    projects: &P,
    options: &ApplyOptions,
    progress: &dyn ProgressSink,
) -> ApplyReport {
    progress.begin(plan.changes.len());
    let mut outcomes: BTreeMap<usize, ChangeOutcome> = BTreeMap::new();
    let mut not_done: BTreeSet<Address> = BTreeSet::new();
    let phases: BTreeSet<u8> = plan.changes.iter().map(|c| phase(&c.operation)).collect();
    for current in phases {
        let mut runnable = Vec::new();
        for (index, change) in plan.changes.iter().enumerate() {
            if phase(&change.operation) != current {
                continue;
            }
            if let Some(blocker) = change.depends_on.iter().find(|d| not_done.contains(d)) {
                let reason = format!("depends on {blocker}, which did not succeed");
                let status = OutcomeStatus::Skipped { reason };
                finish(plan, progress, &mut outcomes, &mut not_done, index, status);
                continue;
            }
            runnable.push((index, change));
        }
        let concurrency = options.concurrency.max(1);
        run_phase(
            &runnable,
            crm,
            projects,
            concurrency,
            &mut |index, status| {
                finish(plan, progress, &mut outcomes, &mut not_done, index, status)
            },
        )
        .await;
    }
    ApplyReport {
        outcomes: outcomes.into_values().collect(),
    }
}

/// Records the outcome of change `index` and tells `progress` of it.
fn finish(
    plan: &Plan,
    progress: &dyn ProgressSink,
    outcomes: &mut BTreeMap<usize, ChangeOutcome>,
    not_done: &mut BTreeSet<Address>,
    index: usize,
    status: OutcomeStatus,
) {
    let change = &plan.changes[index];
    let outcome = outcome(change, status);
    if !outcome.succeeded() {
        not_done.insert(change.address.clone());
    }
    progress.finished(&outcome);
    outcomes.insert(index, outcome);
}

fn outcome(change: &Change, status: OutcomeStatus) -> ChangeOutcome {
    ChangeOutcome {
        address: change.address.clone(),
        action: change.action,
        status,
    }
}

/// A unit of work: one change, or a batch of changes sent in as few calls as the API allows.
enum Unit<'a> {
    Single(usize, &'a Change),
    Fields {
        module: String,
        changes: Vec<(usize, &'a Change)>,
    },
    PortalUsers {
        portal_id: String,
        role: String,
        changes: Vec<(usize, &'a Change)>,
    },
    /// Data-plane work: record writes batched per module, the rest one by one.
    Data(super::data_ops::DataUnit<'a>),
}

/// Runs one phase's changes, `concurrency` units at a time, handing each outcome to
/// `record` as soon as its unit has finished.
async fn run_phase<C: CrmApi, P: ProjectsApi>(
    changes: &[(usize, &Change)],
    crm: &C,
    projects: &P,
    concurrency: usize,
    record: &mut (dyn FnMut(usize, OutcomeStatus) + Send),
) {
    let mut fields: BTreeMap<String, Vec<(usize, &Change)>> = BTreeMap::new();
    let mut users: BTreeMap<(String, String), Vec<(usize, &Change)>> = BTreeMap::new();
    let mut units = Vec::new();
    let mut data = Vec::new();
    for &(index, change) in changes {
        match &change.operation {
            Operation::CreateField { module, .. } => fields
                .entry(module.clone())
                .or_default()
                .push((index, change)),
            Operation::AddPortalUser {
                portal_id, role, ..
            } => users
                .entry((portal_id.clone(), role.clone()))
                .or_default()
                .push((index, change)),
            op if super::data_ops::is_data_op(op) => data.push((index, change)),
            _ => units.push(Unit::Single(index, change)),
        }
    }
    units.extend(super::data_ops::units(data).into_iter().map(Unit::Data));
    units.extend(
        fields
            .into_iter()
            .map(|(module, changes)| Unit::Fields { module, changes }),
    );
    units.extend(
        users
            .into_iter()
            .map(|((portal_id, role), changes)| Unit::PortalUsers {
                portal_id,
                role,
                changes,
            }),
    );
    // The (lazy) futures are built up front so that no closure over a borrowed `Unit` is
    // part of this future's state: the compiler cannot prove such a closure's future `Send`
    // where it is polled from generic code (the operator's controller).
    let work: Vec<_> = units
        .into_iter()
        .map(|unit| run_unit(unit, crm, projects))
        .collect();
    let mut finished = futures::stream::iter(work).buffer_unordered(concurrency);
    while let Some(outcomes) = finished.next().await {
        for (index, status) in outcomes {
            record(index, status);
        }
    }
}

async fn run_unit<C: CrmApi, P: ProjectsApi>(
    unit: Unit<'_>,
    crm: &C,
    projects: &P,
) -> Vec<(usize, OutcomeStatus)> {
    match unit {
        Unit::Single(index, change) => {
            vec![(index, ops::run_single(&change.operation, crm).await)]
        }
        Unit::Fields { module, changes } => ops::create_fields(&module, &changes, crm).await,
        Unit::PortalUsers {
            portal_id,
            role,
            changes,
        } => ops::add_portal_users(&portal_id, &role, &changes, projects).await,
        Unit::Data(unit) => super::data_ops::run(unit, crm, projects).await,
    }
}
