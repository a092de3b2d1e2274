//! Resuming an Office 365 apply that was stopped (killed, or the machine went down), from its
//! journal. Every write of the kind is safe to repeat except one: a CRM record created for a
//! new Outlook item whose link was not yet written. A fresh plan sees the item unlinked and
//! would create a second record, so the record the journal names is linked instead.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::model::{ItemAction, SyncPlan, Target, Work};
use super::observed::Observed365;
use super::state::ItemLink;
use crate::engine::journal::Record;

/// Outlook item id → the CRM record a stopped apply created for it and did not link.
pub fn unlinked_records(record: &Record) -> HashMap<String, String> {
    let pair = |detail: &Value, key: &str| -> Option<(String, String)> {
        let entry = detail.get(key)?;
        Some((
            entry.get("item")?.as_str()?.to_string(),
            entry.get("record")?.as_str()?.to_string(),
        ))
    };
    let mut created: HashMap<String, String> =
        record.done().filter_map(|d| pair(d, "created")).collect();
    for (item, _) in record.done().filter_map(|d| pair(d, "linked")) {
        created.remove(&item);
    }
    created
}

/// Turns the plan's creates of records for those items into links of the items to the
/// records already made, and returns how many. The planner recognises such a record by its
/// content, which fails once someone edited it in CRM after the stopped apply; the journal
/// names it whatever it holds now. The item is linked at the record's creation, so an edit
/// made in CRM since is the later change and reaches Outlook on the next run.
pub fn link_instead_of_create(
    plan: &mut SyncPlan,
    observed: &Observed365,
    records: &HashMap<String, String>,
) -> usize {
    // Such a record is also new to the sync, so the plan makes an Outlook item for it: the
    // item it was made for takes that place.
    let made_for_items: HashSet<&String> = records.values().collect();
    for folder in &mut plan.folders {
        folder.changes.retain(|c| {
            !(matches!(c.work, Work::CreateItem { .. })
                && c.crm_id
                    .as_ref()
                    .is_some_and(|r| made_for_items.contains(r)))
        });
    }
    let claimed: HashSet<String> = plan
        .folders
        .iter()
        .flat_map(|f| f.changes.iter().filter_map(|c| c.crm_id.clone()))
        .collect();
    let mut linked = 0;
    for folder in &mut plan.folders {
        let Some(view) = observed.crm.get(&folder.kind) else {
            continue;
        };
        for change in &mut folder.changes {
            if !matches!(change.work, Work::CreateRecord { .. }) {
                continue;
            }
            let made = change.item_id.as_ref().and_then(|i| records.get(i));
            let Some(record) = made
                .filter(|r| !claimed.contains(*r) && !view.deleted.contains(*r))
                .and_then(|r| view.records.get(r))
            else {
                continue;
            };
            change.work = Work::PatchItem {
                patch: Map::new(),
                link: ItemLink {
                    crm_id: record.id.clone(),
                    crm_modified: record.created.unwrap_or(record.modified),
                },
            };
            change.target = Target::Office365;
            change.action = ItemAction::Link;
            change.crm_id = Some(record.id.clone());
            change.reason = "its CRM record was created by an apply that was stopped; linked, not created again".into();
            linked += 1;
        }
    }
    linked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::journal::Line;
    use chrono::Utc;
    use serde_json::json;

    fn done(detail: Value) -> Line {
        Line::Done {
            at: Utc::now(),
            what: "x".into(),
            detail,
        }
    }

    #[test]
    fn only_records_created_and_not_linked_are_named() {
        let record = Record {
            lines: vec![
                done(json!({"created": {"item": "i1", "record": "r1"}})),
                done(json!({"created": {"item": "i2", "record": "r2"}})),
                done(json!({"linked": {"item": "i1", "record": "r1"}})),
                done(Value::Null),
            ],
        };
        assert_eq!(
            unlinked_records(&record),
            HashMap::from([("i2".to_string(), "r2".to_string())])
        );
    }
}
