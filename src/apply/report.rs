//! What an apply did, change by change: the journal printed after an apply and saved in
//! the state folder, so a partial failure says exactly what was applied and what was not.

use serde::{Deserialize, Serialize};

use crate::live::Address;
use crate::plan::Action;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OutcomeStatus {
    Applied,
    /// Nothing to do: the live system already had it (e.g. created by an interrupted run).
    AlreadyDone {
        detail: String,
    },
    Failed {
        error: String,
    },
    /// Not attempted because a change it depends on did not succeed.
    Skipped {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOutcome {
    pub address: Address,
    pub action: Action,
    #[serde(flatten)]
    pub status: OutcomeStatus,
}

impl ChangeOutcome {
    pub fn succeeded(&self) -> bool {
        matches!(
            self.status,
            OutcomeStatus::Applied | OutcomeStatus::AlreadyDone { .. }
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplyReport {
    /// One entry per planned change, in plan order.
    pub outcomes: Vec<ChangeOutcome>,
}

impl ApplyReport {
    pub fn count(&self, pred: impl Fn(&OutcomeStatus) -> bool) -> usize {
        self.outcomes.iter().filter(|o| pred(&o.status)).count()
    }

    pub fn applied(&self) -> usize {
        self.count(|s| {
            matches!(
                s,
                OutcomeStatus::Applied | OutcomeStatus::AlreadyDone { .. }
            )
        })
    }

    pub fn failed(&self) -> usize {
        self.count(|s| matches!(s, OutcomeStatus::Failed { .. }))
    }

    pub fn skipped(&self) -> usize {
        self.count(|s| matches!(s, OutcomeStatus::Skipped { .. }))
    }

    /// Every change succeeded.
    pub fn is_complete(&self) -> bool {
        self.outcomes.iter().all(ChangeOutcome::succeeded)
    }
}
