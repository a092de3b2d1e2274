//! The CRM credits applying a plan spends on record writes, by Zoho's price list: a credit
//! per 10 records of each insert, update or upsert call (other calls cost one each, as
//! `safety` counts them). Writes are counted in the batches the executor sends
//! (`write_batches`), so a change of 1,000 link records costs the 100 credits its 10 calls
//! are charged, not 10. The reads an apply repeats before it writes (its own observation)
//! are measured by whoever observed and added to the summary.

use super::model::{Change, Operation};
use super::write_batches::{
    RECORDS_PER_WRITE, batches, linked_project_key, record_write_key, rounds, to_crm_targets,
};

/// Credits one CRM write call of `records` records costs.
fn call_credits(records: usize) -> u64 {
    crate::zoho::stats::crm_credit_cost(records)
}

/// Whether the operation's CRM calls are record writes sent in batches (whose credits
/// [`write_credits`] counts); every other CRM call costs one credit.
pub fn is_batched_write(op: &Operation) -> bool {
    record_write_key(op).is_some() || linked_project_key(op).is_some()
}

/// CRM credits of the record writes and created projects' write-backs among the changes,
/// batched as the executor batches them.
pub fn write_credits(changes: &[Change]) -> u64 {
    let mut records = Vec::new();
    let mut created = Vec::new();
    for c in changes {
        let op = &c.operation;
        if let Some(key) = record_write_key(op) {
            records.push((key, ()));
        } else if let (Some(key), Operation::CreateLinkedProject { request, .. }) =
            (linked_project_key(op), op)
        {
            created.push((key, request));
        }
    }
    let record_credits: u64 = batches(records)
        .iter()
        .map(|(_, batch)| call_credits(batch.len()))
        .sum();
    let write_back_credits: u64 = batches(created)
        .into_iter()
        .map(|(_, batch)| {
            let links = call_credits(batch.len());
            let to_crm: u64 = to_crm_targets(batch)
                .into_values()
                .flat_map(rounds)
                .map(|round| {
                    round
                        .chunks(RECORDS_PER_WRITE)
                        .map(|chunk| call_credits(chunk.len()))
                        .sum::<u64>()
                })
                .sum();
            links + to_crm
        })
        .sum();
    record_credits + write_back_credits
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::live::Address;
    use crate::plan::data_plane::{ProjectRequest, ToCrmWrite};
    use crate::plan::model::Action;

    fn change(system: &str, operation: Operation) -> Change {
        Change {
            address: Address::new(system, "kind", "1"),
            action: Action::Update,
            reason: String::new(),
            before: None,
            after: None,
            destructive: false,
            depends_on: Vec::new(),
            operation,
        }
    }

    fn link_update(i: usize) -> Change {
        change(
            "crm",
            Operation::UpsertLinkRecord {
                link_module: "Linked_Projects".into(),
                record_id: Some(format!("l{i}")),
                project_id: format!("p{i}"),
                fields: Map::from_iter([("Percent_Complete".to_string(), json!(40))]),
            },
        )
    }

    #[test]
    fn record_writes_cost_a_credit_per_ten_records_of_each_batch() {
        let changes: Vec<Change> = (0..1_050).map(link_update).collect();
        // Ten full batches of 100 (10 credits each) and one of 50 (5 credits).
        assert_eq!(write_credits(&changes), 105);
        assert_eq!(write_credits(&changes[..3]), 1);
        assert!(changes.iter().all(|c| is_batched_write(&c.operation)));
    }

    #[test]
    fn created_projects_cost_their_write_backs() {
        let created = |i: usize| {
            change(
                "projects",
                Operation::CreateLinkedProject {
                    portal_id: "101".into(),
                    link_module: "Linked_Projects".into(),
                    request: ProjectRequest {
                        name: format!("Deal {i}"),
                        to_crm: vec![ToCrmWrite {
                            module: "Deals".into(),
                            record_id: format!("d{i}"),
                            crm_field: "Project_Stage".into(),
                            ..ToCrmWrite::default()
                        }],
                        ..ProjectRequest::default()
                    },
                },
            )
        };
        let changes: Vec<Change> = (0..25).map(created).collect();
        // 25 link records in one call (3 credits), 25 Deals written back in one (3 credits).
        assert_eq!(write_credits(&changes), 6);
        let deletion = Operation::DeleteField {
            module: "Linked_Projects".into(),
            field_id: "f1".into(),
            api_name: "Old_Field".into(),
        };
        assert!(!is_batched_write(&deletion));
    }
}
