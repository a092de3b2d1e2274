//! The Office 365 kind's part in the shared safety stage (`engine::safety`): a CRM record
//! deleted because its Outlook twin was deleted needs the prune opt-in, and deletions on
//! either side count toward `policy.maxChangePercent` of the synced items.
//!
//! Updates are the sync doing its job (a contact edited in Outlook is written to CRM), so
//! they are not counted, as the Projects kind does not count its data-plane writes.

use super::model::{ItemAction, ItemChange, SyncPlan, Target};
use super::observed::Observed365;
use crate::engine::safety::{self, GuardWords, Operation, Policy, Refusal};

/// What the change guard counts, in its refusal.
const WORDS: GuardWords = GuardWords {
    verb: "deletes",
    noun: "synced items",
};

impl Operation for ItemChange {
    fn deletes(&self) -> bool {
        self.target == Target::Crm && self.action == ItemAction::Delete
    }

    fn guarded(&self) -> bool {
        self.action == ItemAction::Delete
    }

    fn describe(&self) -> String {
        match &self.crm_id {
            Some(id) => format!("\"{}\" (crm {id})", self.title),
            None => format!("\"{}\"", self.title),
        }
    }
}

/// Why `plan` must not be applied under `policy`, if it must not.
pub fn review(plan: &SyncPlan, observed: &Observed365, policy: &Policy) -> Option<Refusal> {
    let changes = plan.folders.iter().flat_map(|f| &f.changes);
    safety::review(
        changes,
        synced_items(plan, observed),
        policy,
        "CRM record(s) whose Outlook twin was deleted",
        WORDS,
    )
}

/// Items synced before this plan: the linked Outlook items still there, and those whose
/// deletion in Outlook the plan carries over to CRM.
fn synced_items(plan: &SyncPlan, observed: &Observed365) -> usize {
    let linked: usize = observed
        .folders
        .iter()
        .map(|f| f.items.iter().filter(|i| i.link.is_some()).count())
        .sum();
    let gone: usize = plan
        .folders
        .iter()
        .map(|f| f.count(Target::Crm, ItemAction::Delete))
        .sum();
    linked + gone
}
