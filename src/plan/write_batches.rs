//! How the executor groups CRM record writes into calls, kept here so that a plan's estimate
//! counts exactly the calls its apply makes: CRM takes at most 100 records per insert, update
//! or upsert, record writes go per module (updates by id apart from upserts), and projects
//! created for link records have their link records and their `ToCrm` values written back a
//! batch at a time.

use std::collections::BTreeMap;

use super::data_plane::ProjectRequest;
use super::model::Operation;
use crate::zoho::crm::RECORD_BATCH;

/// Records per CRM write call (insert, update, upsert): Zoho's documented maximum.
pub const RECORDS_PER_WRITE: usize = RECORD_BATCH;

/// What one batch of record writes shares: the module, and whether its records are written
/// by id (`PUT /{module}`) or upserted on `Project_Id` (`POST /{module}/upsert`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BatchKey {
    pub module: String,
    pub by_id: bool,
}

/// The batch a record write belongs to: `WriteRecordFields` and `UpsertLinkRecord`.
pub fn record_write_key(op: &Operation) -> Option<BatchKey> {
    match op {
        Operation::WriteRecordFields { module, .. } => Some(BatchKey {
            module: module.clone(),
            by_id: true,
        }),
        Operation::UpsertLinkRecord {
            link_module,
            record_id,
            ..
        } => Some(BatchKey {
            module: link_module.clone(),
            by_id: record_id.is_some(),
        }),
        _ => None,
    }
}

/// The batch a created project's link record belongs to: a request's own record is written
/// by id, a deal's new link record is upserted.
pub fn linked_project_key(op: &Operation) -> Option<BatchKey> {
    match op {
        Operation::CreateLinkedProject {
            link_module,
            request,
            ..
        } => Some(BatchKey {
            module: link_module.clone(),
            by_id: request.request_record_id.is_some(),
        }),
        _ => None,
    }
}

/// Groups items by key (keys in order, items in their given order within a key), each group
/// cut into batches of at most [`RECORDS_PER_WRITE`].
pub fn batches<K: Ord + Clone, T>(items: impl IntoIterator<Item = (K, T)>) -> Vec<(K, Vec<T>)> {
    let mut groups: BTreeMap<K, Vec<T>> = BTreeMap::new();
    for (key, item) in items {
        groups.entry(key).or_default().push(item);
    }
    let mut out = Vec::new();
    for (key, items) in groups {
        let mut items = items.into_iter().peekable();
        while items.peek().is_some() {
            let batch: Vec<T> = items.by_ref().take(RECORDS_PER_WRITE).collect();
            out.push((key.clone(), batch));
        }
    }
    out
}

/// Splits writes into rounds in which no record appears twice (CRM refuses, or applies in an
/// unknown order, two writes of one record in one call): the n-th write of a record goes into
/// round n. Items are `(record id, item)`, in order.
pub fn rounds<T>(writes: Vec<(String, T)>) -> Vec<Vec<(String, T)>> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Vec<(String, T)>> = Vec::new();
    for (id, item) in writes {
        let round = seen.entry(id.clone()).or_default();
        if out.len() <= *round {
            out.push(Vec::new());
        }
        out[*round].push((id, item));
        *round += 1;
    }
    out
}

/// The `ToCrm` writes of a batch of created projects, per module: one record per project and
/// CRM record (the fields of one record merged), as `(record id, position in the batch)`.
pub fn to_crm_targets<'a>(
    requests: impl IntoIterator<Item = &'a ProjectRequest>,
) -> BTreeMap<String, Vec<(String, usize)>> {
    let mut out: BTreeMap<String, Vec<(String, usize)>> = BTreeMap::new();
    for (position, request) in requests.into_iter().enumerate() {
        for write in &request.to_crm {
            let targets = out.entry(write.module.clone()).or_default();
            let target = (write.record_id.clone(), position);
            if !targets.contains(&target) {
                targets.push(target);
            }
        }
    }
    out
}

/// CRM calls that write back one batch of created projects: the link records in one call,
/// then each module's `ToCrm` records, round by round, 100 to a call.
pub fn write_back_calls<'a>(requests: impl IntoIterator<Item = &'a ProjectRequest>) -> u64 {
    let targets = to_crm_targets(requests);
    let to_crm: u64 = targets
        .into_values()
        .flat_map(rounds)
        .map(|round| round.len().div_ceil(RECORDS_PER_WRITE) as u64)
        .sum();
    1 + to_crm
}

/// CRM calls of every record write and project write-back in `ops`, batched as the executor
/// batches them.
pub fn crm_write_calls<'a>(ops: impl IntoIterator<Item = &'a Operation>) -> u64 {
    let mut records = Vec::new();
    let mut created = Vec::new();
    for op in ops {
        if let Some(key) = record_write_key(op) {
            records.push((key, ()));
        } else if let (Some(key), Operation::CreateLinkedProject { request, .. }) =
            (linked_project_key(op), op)
        {
            created.push((key, request));
        }
    }
    batches(records).len() as u64
        + batches(created)
            .into_iter()
            .map(|(_, batch)| write_back_calls(batch))
            .sum::<u64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::data_plane::ToCrmWrite;

    fn created(module: &str, request_record: Option<&str>, to_crm: &[(&str, &str)]) -> Operation {
        Operation::CreateLinkedProject {
            portal_id: "1".into(),
            link_module: module.into(),
            request: ProjectRequest {
                request_record_id: request_record.map(str::to_string),
                to_crm: to_crm
                    .iter()
                    .map(|(module, id)| ToCrmWrite {
                        module: module.to_string(),
                        record_id: id.to_string(),
                        crm_field: "Project_Status".into(),
                        ..ToCrmWrite::default()
                    })
                    .collect(),
                ..ProjectRequest::default()
            },
        }
    }

    #[test]
    fn batches_keep_order_and_hold_at_most_the_maximum() {
        let items = (0..250).map(|i| (i % 2, i));
        let out = batches(items);
        let sizes: Vec<(i32, usize)> = out.iter().map(|(k, b)| (*k, b.len())).collect();
        assert_eq!(sizes, vec![(0, 100), (0, 25), (1, 100), (1, 25)]);
        assert_eq!(out[0].1[..3], [0, 2, 4]);
        assert_eq!(out[1].1[0], 200);
    }

    #[test]
    fn a_record_written_twice_goes_into_a_second_round() {
        let writes = vec![
            ("a".to_string(), 0),
            ("b".to_string(), 1),
            ("a".to_string(), 2),
            ("a".to_string(), 3),
        ];
        let out = rounds(writes);
        let ids: Vec<Vec<usize>> = out
            .iter()
            .map(|r| r.iter().map(|(_, i)| *i).collect())
            .collect();
        assert_eq!(ids, vec![vec![0, 1], vec![2], vec![3]]);
    }

    #[test]
    fn created_projects_are_written_back_a_batch_at_a_time() {
        // 250 deals' projects: 3 link-record upserts, and their Deals written 100 at a time.
        let ops: Vec<Operation> = (0..250)
            .map(|i| created("Links", None, &[("Deals", &format!("d{i}"))]))
            .collect();
        assert_eq!(crm_write_calls(&ops), 3 + 3);
        // Requests' own records are written by id, in batches apart from the upserts.
        let mut mixed = ops[..10].to_vec();
        mixed.push(created("Links", Some("r1"), &[]));
        assert_eq!(crm_write_calls(&mixed), 1 + 1 + 1);
        // Two projects writing one Deal need two rounds; two fields of one record, one.
        let shared = vec![
            created("Links", None, &[("Deals", "d"), ("Deals", "d")]),
            created("Links", None, &[("Deals", "d")]),
        ];
        assert_eq!(crm_write_calls(&shared), 1 + 2);
    }

    #[test]
    fn record_writes_count_updates_and_upserts_of_a_module_apart() {
        let upsert = |id: Option<&str>| Operation::UpsertLinkRecord {
            link_module: "Links".into(),
            record_id: id.map(str::to_string),
            project_id: "p".into(),
            fields: Default::default(),
        };
        let ops: Vec<Operation> = (0..101)
            .map(|_| upsert(None))
            .chain([upsert(Some("1"))])
            .collect();
        assert_eq!(crm_write_calls(&ops), 2 + 1);
    }
}
