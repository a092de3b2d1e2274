//! What an apply did, change by change: the journal printed after an apply and saved in
//! the state folder, so a partial failure says exactly what was applied and what was not.

use serde::{Deserialize, Serialize};

use crate::live::{Address, MARKER_VARIABLE};
use crate::plan::Action;
use crate::plan::data_plane::{MappingReport, MappingStatus};

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

    /// The plan's client mapping report as this apply left it: a mapping whose write failed
    /// (or was skipped) is unmapped, with the reason.
    pub fn client_mapping(&self, planned: &MappingReport) -> MappingReport {
        let mut report = planned.clone();
        let not_done = |module: &str, record_id: &str| {
            let address = Address::crm("client-mapping", format!("{module}/{record_id}"));
            self.outcomes
                .iter()
                .find(|o| o.address == address)
                .and_then(|o| match &o.status {
                    OutcomeStatus::Failed { error } => {
                        Some(format!("the write to {module} {record_id} failed: {error}"))
                    }
                    OutcomeStatus::Skipped { reason } => Some(format!(
                        "the write to {module} {record_id} was skipped: {reason}"
                    )),
                    _ => None,
                })
        };
        let statuses = report
            .clients
            .iter_mut()
            .map(|c| ("Accounts", &mut c.status))
            .chain(
                report
                    .client_users
                    .iter_mut()
                    .map(|u| ("Contacts", &mut u.status)),
            );
        for (module, status) in statuses {
            if let MappingStatus::Mapped { record_id, via, .. } = status
                && via != "existing"
                && let Some(reason) = not_done(module, record_id)
            {
                *status = MappingStatus::Unmapped { reason };
            }
        }
        let marker = Address::crm("client-mapping", MARKER_VARIABLE);
        if self
            .outcomes
            .iter()
            .any(|o| o.address == marker && !o.succeeded())
        {
            // The one-time mapping is recorded as run only once its marker write succeeds.
            report.automatic_mapping = "pending".into();
        }
        report
    }
}
