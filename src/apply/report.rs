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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::data_plane::{ClientMappingEntry, ClientUserMappingEntry};

    fn mapped(id: &str, via: &str) -> MappingStatus {
        MappingStatus::Mapped {
            record: format!("record {id}"),
            record_id: id.into(),
            via: via.into(),
        }
    }

    fn outcome(address: &str, status: OutcomeStatus) -> ChangeOutcome {
        let (module, id) = address.split_once('/').unwrap();
        ChangeOutcome {
            address: if module == "marker" {
                Address::crm("client-mapping", MARKER_VARIABLE)
            } else {
                Address::crm("client-mapping", format!("{module}/{id}"))
            },
            action: Action::Update,
            status,
        }
    }

    #[test]
    fn mappings_whose_write_did_not_happen_are_reported_unmapped() {
        let planned = MappingReport {
            automatic_mapping: "done".into(),
            clients: vec![
                ClientMappingEntry {
                    client: "A".into(),
                    client_id: "c1".into(),
                    status: mapped("10", "auto"),
                },
                ClientMappingEntry {
                    client: "B".into(),
                    client_id: "c2".into(),
                    status: mapped("11", "existing"),
                },
            ],
            client_users: vec![ClientUserMappingEntry {
                client: "A".into(),
                email: "ann@a.example".into(),
                status: mapped("20", "auto"),
            }],
        };
        let report = ApplyReport {
            outcomes: vec![
                outcome("Accounts/10", OutcomeStatus::Applied),
                outcome(
                    "Contacts/20",
                    OutcomeStatus::Failed {
                        error: "DUPLICATE_DATA".into(),
                    },
                ),
                outcome(
                    "marker/x",
                    OutcomeStatus::Skipped {
                        reason: "a change it depends on failed".into(),
                    },
                ),
            ],
        };
        let after = report.client_mapping(&planned);
        assert_eq!(after.automatic_mapping, "pending");
        assert_eq!(after.clients, planned.clients);
        assert_eq!(
            after.client_users[0].status,
            MappingStatus::Unmapped {
                reason: "the write to Contacts 20 failed: DUPLICATE_DATA".into()
            }
        );
    }
}
