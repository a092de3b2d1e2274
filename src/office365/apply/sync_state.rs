//! The end of an Office 365 apply: the sync state to save (each folder's progress, kept only
//! when every one of its changes succeeded, settled after this run's own CRM writes) and the
//! org variable it is saved in.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Applied365, Counter, Failure, FolderRun};
use crate::office365::model::SyncPlan;
use crate::office365::observed::CrmRecord;
use crate::office365::state::{STATE_VARIABLE, SyncKind, SyncState};
use crate::zoho::crm::{NewVariable, VariableUpdate};
use crate::zoho::{CrmApi, ZohoError};

/// Saves `state` over the one the plan was made from, recording the operation; whether it
/// was saved (a failure goes to `applied`).
pub(super) async fn save_new_state<C: CrmApi>(
    plan: &SyncPlan,
    state: &SyncState,
    crm: &C,
    counter: &Counter<'_>,
    applied: &mut Applied365,
) -> bool {
    let what = format!("save the sync state (org variable {STATE_VARIABLE})");
    let result = save_state(plan, state, crm).await;
    counter.record(&what, &result, Value::Null);
    match result {
        Ok(()) => true,
        Err(e) => {
            applied.failures.push(Failure {
                what,
                error: e.to_string(),
            });
            false
        }
    }
}

/// The sync state to save: the prior one with the progress of each folder whose every change
/// succeeded; every folder's counts and failures go to `applied`.
pub(super) async fn next_sync_state<C: CrmApi>(
    plan: &SyncPlan,
    prior: Option<&SyncState>,
    runs: &mut [FolderRun],
    crm: &C,
    applied: &mut Applied365,
) -> SyncState {
    let foreign = foreign_changes(plan, runs, crm).await;
    let settled_at = settle_clock(runs).await;
    let mut state = prior
        .cloned()
        .unwrap_or_else(|| SyncState::new(&plan.owner));
    state.owner = plan.owner.clone();
    for (folder, run) in plan.folders.iter().zip(runs.iter_mut()) {
        applied.items += run.items;
        applied.folders += usize::from(run.folder_written);
        let clean = run.failures.is_empty();
        applied.failures.append(&mut run.failures);
        if !clean {
            continue;
        }
        match &folder.next_state {
            None => state.remove_folder(&folder.key()),
            Some(next) => {
                let mut next = next.clone();
                if let Some(id) = &run.folder_id {
                    next.folder_id = id.clone();
                }
                next.delta_link = run.delta_link.clone();
                // Someone else wrote this user's records while the run went on (or that
                // could not be checked): count everything since observation as new.
                let disturbed = foreign.as_ref().is_none_or(|owners| {
                    owners.contains(&(folder.kind, folder.crm_user_id.clone()))
                });
                next.settled_at = if disturbed {
                    plan.observed_at
                } else {
                    settled_at
                };
                state.set_folder(&folder.key(), next);
            }
        }
    }
    state
}

/// The users (per kind) whose CRM records someone other than this run created or changed
/// since observation began; `None` when that could not be read.
async fn foreign_changes<C: CrmApi>(
    plan: &SyncPlan,
    runs: &[FolderRun],
    crm: &C,
) -> Option<HashSet<(SyncKind, String)>> {
    let mut owners = HashSet::new();
    for kind in SyncKind::ALL {
        let folders: Vec<usize> = (0..plan.folders.len())
            .filter(|&i| plan.folders[i].kind == kind && plan.folders[i].next_state.is_some())
            .collect();
        if folders.is_empty() {
            continue;
        }
        let ours: HashSet<&str> = folders
            .iter()
            .flat_map(|&i| runs[i].crm_written.iter().map(String::as_str))
            .collect();
        let since = plan.observed_at - chrono::Duration::seconds(1);
        let changed = crm
            .records_modified_since(kind.crm_module(), &["Owner", "Modified_Time"], Some(since))
            .await
            .ok()?;
        for record in changed.iter().filter_map(CrmRecord::from_json) {
            if !ours.contains(record.id.as_str())
                && let Some(owner) = record.owner_id
            {
                owners.insert((kind, owner));
            }
        }
    }
    Some(owners)
}

/// The instant this run's writes are settled: in a later second than every CRM write it
/// made, since CRM keeps times to the second (waits for the next second if needed).
async fn settle_clock(runs: &[FolderRun]) -> DateTime<Utc> {
    let latest = runs.iter().filter_map(|r| r.crm_latest).max();
    let now = Utc::now();
    match latest {
        Some(latest) if latest.timestamp() >= now.timestamp() => {
            let next = DateTime::from_timestamp(latest.timestamp() + 1, 0).unwrap_or(now);
            if let Ok(wait) = (next - now).to_std() {
                tokio::time::sleep(wait).await;
            }
            Utc::now().max(next)
        }
        _ => now,
    }
}

async fn save_state<C: CrmApi>(
    plan: &SyncPlan,
    state: &SyncState,
    crm: &C,
) -> Result<(), ZohoError> {
    let value = Value::String(state.to_value());
    match &plan.state_variable_id {
        Some(id) => {
            let update = VariableUpdate {
                value: Some(value),
                name: None,
                description: None,
            };
            crm.update_variable(id, &update).await
        }
        None => {
            let variable = NewVariable {
                name: "projectlink Office 365 sync".into(),
                api_name: STATE_VARIABLE.into(),
                variable_type: "textarea".into(),
                value,
                description: Some(
                    "Delta links and watermarks of projectlink's Office 365 sync; do not edit"
                        .into(),
                ),
                group_id: None,
            };
            match crm.create_variable(&variable).await {
                Ok(_) => Ok(()),
                // Created already: this run's own create whose answer was lost (the org's
                // apply lease keeps other runs out), so the state is written over it. When
                // every answer was lost, it is written over if the create landed.
                Err(e) if e.code() == Some("DUPLICATE_DATA") || e.outcome_unknown() => {
                    let existing = crm.variables().await?;
                    let Some(found) = existing.iter().find(|v| v.api_name == STATE_VARIABLE) else {
                        return Err(e);
                    };
                    let update = VariableUpdate {
                        value: Some(variable.value),
                        name: None,
                        description: None,
                    };
                    crm.update_variable(&found.id, &update).await
                }
                Err(e) => Err(e),
            }
        }
    }
}
