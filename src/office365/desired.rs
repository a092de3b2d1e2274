//! The Office 365 integration as the planner wants it: emails lower-cased, the contact field
//! map resolved (the spec's or the built-in default), one setting per sync kind.

use std::collections::{BTreeMap, BTreeSet};

use super::mapping::{Mapping, PathError};
use super::state::SyncKind;
use crate::engine::safety::Policy;
use crate::graph::EventWindow;
pub use crate::spec::office365::CalendarWindowSpec;

/// An Office 365 user to bring into CRM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredInvite {
    pub email: String,
    pub profile: String,
    pub role: String,
}

/// One kind of sync.
#[derive(Debug, Clone)]
pub struct KindSetting {
    /// Lower-case emails of the CRM users whose sync is on.
    pub users: BTreeSet<String>,
    pub exclude_tags: Vec<String>,
    pub mapping: Mapping,
}

/// The whole desired state.
#[derive(Debug, Clone)]
pub struct Desired365 {
    /// Who owns the saved state (the resource name, or `namespace/name` in the operator).
    pub owner: String,
    pub invites: Vec<DesiredInvite>,
    pub sync: BTreeMap<SyncKind, KindSetting>,
    pub observe_only: bool,
    /// `policy.prune` and `policy.maxChangePercent`; the CLI adds `--prune` and `--force`.
    pub policy: Policy,
    /// Days before and after today the calendar sync covers.
    pub calendar_window: CalendarWindowSpec,
    /// The contact map is the spec's `fieldMap` (its entries are the map's rules, in order),
    /// not the built-in one.
    pub contact_map_from_spec: bool,
}

impl Desired365 {
    pub fn setting(&self, kind: SyncKind) -> &KindSetting {
        &self.sync[&kind]
    }

    /// Whether `user`'s sync of `kind` is on.
    /// The calendar window of a run on `today`.
    pub fn calendar_window_on(&self, today: chrono::DateTime<chrono::Utc>) -> EventWindow {
        EventWindow::around(
            today,
            self.calendar_window.past_days,
            self.calendar_window.future_days,
        )
    }

    pub fn enabled(&self, kind: SyncKind, user: &str) -> bool {
        self.sync
            .get(&kind)
            .is_some_and(|s| s.users.contains(&user.to_ascii_lowercase()))
    }
}

/// CRM Contacts fields that are lookups: compared by name, written to Office 365 only.
const CONTACT_LOOKUPS: [&str; 3] = ["Account_Name", "Vendor_Name", "Reporting_To"];

impl Desired365 {
    /// The desired state of a spec; `owner` is who the saved state is recorded for. Fails
    /// only on a field map that validation would have refused.
    pub fn from_spec(
        owner: &str,
        spec: &crate::spec::Office365IntegrationSpec,
    ) -> Result<Desired365, PathError> {
        let lower = |users: &[String]| -> BTreeSet<String> {
            users
                .iter()
                .map(|u| u.trim().to_ascii_lowercase())
                .collect()
        };
        let contacts = Mapping::contacts(
            spec.contacts_sync
                .effective_field_map()
                .into_iter()
                .map(|m| (m.crm_field, m.office365_field, m.direction)),
            &CONTACT_LOOKUPS,
        )?;
        Ok(Desired365 {
            owner: owner.to_string(),
            invites: spec
                .users
                .iter()
                .map(|u| DesiredInvite {
                    email: u.email.trim().to_ascii_lowercase(),
                    profile: u.profile.clone(),
                    role: u.role.clone(),
                })
                .collect(),
            sync: BTreeMap::from([
                (
                    SyncKind::Calendar,
                    KindSetting {
                        users: lower(&spec.calendar_sync.users),
                        exclude_tags: spec.calendar_sync.exclude_tags.clone(),
                        mapping: Mapping::events(),
                    },
                ),
                (
                    SyncKind::Contacts,
                    KindSetting {
                        users: lower(&spec.contacts_sync.users),
                        exclude_tags: spec.contacts_sync.exclude_tags.clone(),
                        mapping: contacts,
                    },
                ),
            ]),
            observe_only: spec.policy.observe_only,
            policy: Policy {
                prune: spec.policy.prune,
                max_change_percent: spec.policy.max_change_percent,
                force: false,
            },
            calendar_window: spec.calendar_sync.window,
            contact_map_from_spec: spec.contacts_sync.field_map.is_some(),
        })
    }
}
