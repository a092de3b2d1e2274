//! The Office 365 integration as the planner wants it: emails lower-cased, the contact field
//! map resolved (the spec's or the built-in default), one setting per sync kind.

use std::collections::{BTreeMap, BTreeSet};

use super::mapping::Mapping;
use super::state::SyncKind;

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
}

impl Desired365 {
    pub fn setting(&self, kind: SyncKind) -> &KindSetting {
        &self.sync[&kind]
    }

    /// Whether `user`'s sync of `kind` is on.
    pub fn enabled(&self, kind: SyncKind, user: &str) -> bool {
        self.sync
            .get(&kind)
            .is_some_and(|s| s.users.contains(&user.to_ascii_lowercase()))
    }
}
