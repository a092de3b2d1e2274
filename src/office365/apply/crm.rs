//! The CRM half of an Office 365 apply: the record writes of every folder batched by module
//! and action, 100 to a call, each result recorded against its folder and in the journal, then
//! the link of each Outlook item whose record was written, at the record's new modification
//! time.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream;
use serde_json::{Map, Value, json};

use super::{
    Counter, FOLDERS_AT_ONCE, Failure, FolderRun, RECORDS_PER_WRITE, WRITES_PER_MAILBOX, describe,
    link_map,
};
use crate::graph::{GraphApi, GraphItem};
use crate::office365::model::{FolderAction, ItemChange, SyncPlan, Work};
use crate::office365::observe::item_kind;
use crate::office365::observed::CrmRecord;
use crate::office365::state::{ItemLink, SyncKind};
use crate::zoho::{CrmApi, ItemError, ZohoError};

/// A CRM write waiting in a batch: which folder and change it belongs to.
struct Pending<'p> {
    folder: usize,
    change: &'p ItemChange,
    record: Map<String, Value>,
}

/// CRM writes of every folder, batched per module and action, then the Outlook links of
/// the written records.
pub(super) async fn crm_phase<C: CrmApi, G: GraphApi>(
    plan: &SyncPlan,
    runs: &mut [FolderRun],
    crm: &C,
    graph: &G,
    counter: &Counter<'_>,
) {
    for kind in SyncKind::ALL {
        let module = kind.crm_module();
        let mut creates = Vec::new();
        let mut updates = Vec::new();
        let mut deletes = Vec::new();
        for (index, folder) in plan.folders.iter().enumerate() {
            if folder.kind != kind
                || (folder.folder_action == FolderAction::Create && runs[index].folder_id.is_none())
            {
                continue;
            }
            for change in &folder.changes {
                match &change.work {
                    Work::CreateRecord { values } => {
                        let mut record = values.clone();
                        record.insert("Owner".into(), json!({ "id": folder.crm_user_id }));
                        creates.push(Pending {
                            folder: index,
                            change,
                            record,
                        });
                    }
                    Work::UpdateRecord { values, .. } => {
                        let mut record = values.clone();
                        record.insert(
                            "id".into(),
                            json!(change.crm_id.clone().unwrap_or_default()),
                        );
                        updates.push(Pending {
                            folder: index,
                            change,
                            record,
                        });
                    }
                    Work::DeleteRecord => deletes.push(Pending {
                        folder: index,
                        change,
                        record: Map::new(),
                    }),
                    _ => {}
                }
            }
        }
        let mut written: Vec<Written> = Vec::new();
        for (pending, update) in [(&creates, false), (&updates, true)] {
            for batch in pending.chunks(RECORDS_PER_WRITE) {
                let records: Vec<Map<String, Value>> =
                    batch.iter().map(|p| p.record.clone()).collect();
                let results = if update {
                    crm.update_records(module, &records).await
                } else {
                    crm.insert_records(module, &records).await
                };
                let results = results.map(written_ids);
                settle(plan, runs, batch, results, &mut written, counter);
            }
        }
        for batch in deletes.chunks(RECORDS_PER_WRITE) {
            let ids: Vec<String> = batch
                .iter()
                .map(|p| p.change.crm_id.clone().unwrap_or_default())
                .collect();
            let results = crm
                .delete_records(module, &ids)
                .await
                .map(|r| r.into_iter().map(|x| x.map(|id| (id, None))).collect());
            let mut ignored = Vec::new();
            settle(plan, runs, batch, results, &mut ignored, counter);
        }
        link_written(plan, runs, kind, written, crm, graph, counter).await;
    }
}

/// A record written: its folder, change, id and new modification time (when Zoho said).
type Written<'p> = (usize, &'p ItemChange, String, Option<DateTime<Utc>>);

/// A written record's id and, when Zoho said, its new `Modified_Time`.
type WrittenId = (String, Option<DateTime<Utc>>);

type WrittenIds = Vec<Result<WrittenId, ItemError>>;

/// Why one record of a batch was not written: Zoho refused it, or the whole call failed
/// (shared by every record the call carried).
#[derive(Debug, thiserror::Error)]
enum WriteError {
    #[error("{0}")]
    Record(ItemError),
    #[error("{0}")]
    Call(Arc<ZohoError>),
}

fn written_ids(results: Vec<crate::zoho::crm::WriteResult>) -> WrittenIds {
    results
        .into_iter()
        .map(|r| r.map(|o| (o.id, o.modified_time)))
        .collect()
}

/// Records each result of a CRM batch against its folder.
fn settle<'p>(
    plan: &SyncPlan,
    runs: &mut [FolderRun],
    batch: &[Pending<'p>],
    results: Result<WrittenIds, ZohoError>,
    written: &mut Vec<Written<'p>>,
    counter: &Counter<'_>,
) {
    let results: Vec<Result<WrittenId, WriteError>> = match results {
        Ok(results) => results
            .into_iter()
            .map(|r| r.map_err(WriteError::Record))
            .collect(),
        Err(e) => {
            let e = Arc::new(e);
            batch
                .iter()
                .map(|_| Err(WriteError::Call(e.clone())))
                .collect()
        }
    };
    for (pending, result) in batch.iter().zip(results) {
        let what = describe(&plan.folders[pending.folder], pending.change);
        counter.record(&what, &result, created(pending.change, &result));
        counter.tick();
        match result {
            Ok((id, modified)) => {
                let run = &mut runs[pending.folder];
                run.items += 1;
                if modified > run.crm_latest {
                    run.crm_latest = modified;
                }
                run.crm_written.insert(id.clone());
                written.push((pending.folder, pending.change, id, modified));
            }
            Err(error) => runs[pending.folder].failures.push(Failure {
                what,
                error: error.to_string(),
            }),
        }
    }
}

/// What the journal keeps of a CRM record created for an Outlook item: until the item is
/// linked to it, a resumed apply links the item instead of creating the record again.
fn created(change: &ItemChange, result: &Result<WrittenId, WriteError>) -> Value {
    match (&change.work, result, &change.item_id) {
        (Work::CreateRecord { .. }, Ok((record, _)), Some(item)) => {
            json!({ "created": { "item": item, "record": record } })
        }
        _ => Value::Null,
    }
}

/// The new `Modified_Time` of each written record: as Zoho answered the write, or read back
/// when it did not say; with why a read back failed, if one did.
async fn modified_times<C: CrmApi>(
    kind: SyncKind,
    written: &[Written<'_>],
    crm: &C,
) -> (HashMap<String, DateTime<Utc>>, Option<String>) {
    let unknown: Vec<String> = written
        .iter()
        .filter(|w| w.3.is_none())
        .map(|w| w.2.clone())
        .collect();
    let mut modified: HashMap<String, DateTime<Utc>> = written
        .iter()
        .filter_map(|w| Some((w.2.clone(), w.3?)))
        .collect();
    let mut read_failure = None;
    for chunk in unknown.chunks(RECORDS_PER_WRITE) {
        match crm
            .records_by_ids(kind.crm_module(), chunk, &["Modified_Time"])
            .await
        {
            Ok(records) => {
                for record in records.iter().filter_map(CrmRecord::from_json) {
                    modified.insert(record.id, record.modified);
                }
            }
            Err(e) => read_failure = Some(e.to_string()),
        }
    }
    (modified, read_failure)
}

/// Links the Outlook items of the written records, at the modification time Zoho returned
/// (read back for any record whose write response did not carry it).
async fn link_written<C: CrmApi, G: GraphApi>(
    plan: &SyncPlan,
    runs: &mut [FolderRun],
    kind: SyncKind,
    written: Vec<Written<'_>>,
    crm: &C,
    graph: &G,
    counter: &Counter<'_>,
) {
    if written.is_empty() {
        return;
    }
    let (modified, read_failure) = modified_times(kind, &written, crm).await;
    let outcomes: Vec<(usize, Result<GraphItem, Failure>)> = stream::iter(0..written.len())
        .map(|w| {
            let (index, change, id, _) = written[w].clone();
            let folder = &plan.folders[index];
            let read_failure = read_failure.clone();
            let at = modified.get(&id).copied();
            async move {
                let what = describe(folder, change);
                let Some(at) = at else {
                    let error = read_failure
                        .unwrap_or_else(|| "the written record could not be read back".into());
                    return (index, Err(Failure { what, error }));
                };
                let linked = json!({ "linked": { "item": change.item_id, "record": id } });
                let link = ItemLink {
                    crm_id: id,
                    crm_modified: at,
                };
                let patch = match &change.work {
                    Work::UpdateRecord { item_patch, .. } => item_patch.clone(),
                    _ => Map::new(),
                };
                let item = change.item_id.as_deref().unwrap_or_default();
                let result = graph
                    .update_item(
                        &folder.mailbox_id,
                        item_kind(kind),
                        item,
                        &patch,
                        &link_map(&link),
                    )
                    .await
                    .map_err(|e| Failure {
                        what: format!("{what}: link the Outlook item"),
                        error: e.to_string(),
                    });
                counter.record(
                    &format!("{what}: link the Outlook item"),
                    &result.as_ref().map_err(|f| &f.error),
                    linked,
                );
                (index, result)
            }
        })
        .buffer_unordered(FOLDERS_AT_ONCE * WRITES_PER_MAILBOX)
        .collect()
        .await;
    for (index, outcome) in outcomes {
        match outcome {
            Ok(item) => runs[index].wrote_item(&item),
            Err(failure) => runs[index].failures.push(failure),
        }
    }
}
