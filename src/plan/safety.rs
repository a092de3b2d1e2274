//! Safety checks and bookkeeping of a plan: the summary (with estimated API calls), the
//! refusal rules (destructive changes, `maxChangePercent`) and the fingerprints that make a
//! saved plan refuse to run once what it read has changed.

use std::collections::BTreeMap;

use super::desired::Desired;
use super::diagnostics::{PlanDiagnostic, Severity};
use super::model::*;
use super::planner::PlanOptions;
use crate::engine::safety::{GuardWords, change_guard};
use crate::engine::saved::fingerprint;
use crate::live::Observed;

/// Fields are created 25 per call and portal users added in batches of this size.
const FIELDS_PER_CREATE: u64 = 25;

pub fn summarize(
    changes: &[Change],
    diagnostics: &[PlanDiagnostic],
    desired: &Desired,
    observed: &Observed,
) -> Summary {
    let mut s = Summary::default();
    for c in changes {
        match c.action {
            Action::Create => s.create += 1,
            Action::Update => s.update += 1,
            Action::Delete => s.delete += 1,
            Action::Adopt => s.adopt += 1,
            Action::NoOp => {}
        }
        if c.destructive {
            s.destructive += 1;
        }
    }
    s.errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    s.warnings = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    s.managed_objects = managed_objects(desired, observed);
    s.estimated_api_calls = estimated_calls(changes);
    // A CRM call costs a credit, a record write one per 10 records; Projects calls cost none.
    let single_crm_calls = changes
        .iter()
        .filter(|c| c.address.system == "crm" && !super::estimate::is_batched_write(&c.operation));
    s.estimated_credits =
        estimated_calls(single_crm_calls) + super::estimate::write_credits(changes);
    s
}

/// Calls the executor will make, counting field creations batched per module and record
/// writes (link records of created projects included) batched as the executor batches them.
fn estimated_calls<'a>(changes: impl IntoIterator<Item = &'a Change>) -> u64 {
    let mut fields_per_module: BTreeMap<&str, u64> = BTreeMap::new();
    let mut batched = Vec::new();
    let mut calls = 0;
    for c in changes {
        match &c.operation {
            Operation::CreateField { module, .. } => {
                *fields_per_module.entry(module).or_default() += 1
            }
            op @ (Operation::WriteRecordFields { .. } | Operation::UpsertLinkRecord { .. }) => {
                batched.push(op)
            }
            // The create and the client here; the CRM write-back with its batch.
            op @ Operation::CreateLinkedProject { request, .. } => {
                calls += 1 + u64::from(request.client_id.is_some());
                batched.push(op)
            }
            op => calls += op.estimated_calls(),
        }
    }
    calls
        + fields_per_module
            .values()
            .map(|n| n.div_ceil(FIELDS_PER_CREATE))
            .sum::<u64>()
        + super::write_batches::crm_write_calls(batched)
}

/// Objects in the live systems that projectlink manages for this spec.
fn managed_objects(desired: &Desired, observed: &Observed) -> usize {
    let mut n = 0;
    if observed
        .marker
        .marker()
        .is_some_and(|m| m.owner == desired.owner)
    {
        n += 1;
    }
    if let Some(module) = &observed.link_module
        && module.owner.as_deref() == Some(desired.owner.as_str())
    {
        n += 1;
        n += module
            .fields
            .iter()
            .filter(|f| f.owner.as_deref() == Some(desired.owner.as_str()))
            .count();
    }
    n += desired
        .profiles
        .iter()
        .filter(|p| p.related_list.is_some() && observed.profiles.iter().any(|o| o.name == p.name))
        .count();
    n += observed.portal_users.as_ref().map_or(0, Vec::len);
    // Data plane: link records and mapped Accounts.
    n += observed.data.as_ref().map_or(0, |d| {
        d.link_records.len() + d.accounts.iter().filter(|a| a.client_id.is_some()).count()
    });
    n
}

/// Why the plan must not be applied with these options, if it must not.
pub fn refusal(
    changes: &[Change],
    summary: &Summary,
    desired: &Desired,
    options: &PlanOptions,
) -> Option<Refusal> {
    if options.force {
        return None;
    }
    if let Some(rebind) = changes
        .iter()
        .find(|c| matches!(c.operation, Operation::RebindPortal { .. }))
    {
        return Some(Refusal {
            reason: format!("{} — {}", rebind.address, rebind.reason),
            hint: "changing the bound portal disassociates every project from CRM; apply with --force (operator: annotation projectlink.dev/allow-destructive: \"true\") if that is intended".into(),
        });
    }
    if !desired.active {
        // Deactivation is what the spec explicitly asks for; the share guard is for accidents.
        return None;
    }
    // Data-plane changes (mapping writes, link records kept current) are the integration doing
    // its job on records, not edits of managed configuration: they do not count here.
    let data_plane = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Update | Action::Delete))
        .filter(|c| c.operation.is_data_plane())
        .count();
    let touched = summary.update + summary.delete - data_plane;
    change_guard(
        touched,
        summary.managed_objects,
        desired.max_change_percent,
        GuardWords {
            verb: "updates or deletes",
            noun: "managed objects",
        },
    )
}

/// Digests of the observed facts, per area, for detecting a stale saved plan.
pub fn fingerprints(observed: &Observed) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    map.insert("crm/marker".into(), fingerprint(&observed.marker));
    map.insert("crm/link-module".into(), fingerprint(&observed.link_module));
    map.insert("crm/profiles".into(), fingerprint(&observed.profiles));
    map.insert("crm/users".into(), fingerprint(&observed.users));
    map.insert(
        "crm/module-fields".into(),
        fingerprint(&observed.module_fields),
    );
    map.insert("projects/portals".into(), fingerprint(&observed.portals));
    map.insert(
        "projects/portal-users".into(),
        fingerprint(&observed.portal_users),
    );
    if let Some(data) = &observed.data {
        map.insert("data-plane".into(), fingerprint(data));
    }
    map
}
