//! Creating linked projects a batch at a time. Each project of a batch is created (or, when a
//! project of its name already exists, adopted) and given its client; then the batch's link
//! records go to CRM in one call and its `ToCrm` values in one call per module, instead of one
//! call per project. Per-record results map back to each project's change: a record CRM
//! refuses fails only its own change. Safe to interrupt after any call: the client is added
//! before the link record exists, a re-run adopts a project it finds by name, and every CRM
//! write here (upsert on `Project_Id`, update by id) repeats harmlessly after a lost answer.

use futures::future::join_all;
use serde_json::json;

use super::data_ops::add_project_client;
use super::ops::failed;
use super::report::OutcomeStatus;
use crate::live::data::{ProjectFacts, project_facts};
use crate::plan::data_plane::{self, ProjectRequest};
use crate::plan::write_batches::{rounds, to_crm_targets};
use crate::plan::{Change, Operation};
use crate::zoho::crm::{Record, WriteResult};
use crate::zoho::projects::{NewProject, Project, ProjectFilter, parse_date};
use crate::zoho::{CrmApi, ItemError, ProjectsApi, ZohoError};

/// A project that exists for its change, waiting for its link record.
struct Made<'a> {
    index: usize,
    portal_id: &'a str,
    request: &'a ProjectRequest,
    project: Project,
    facts: ProjectFacts,
    adopted: bool,
}

/// Runs one batch of `CreateLinkedProject` changes that share a link module and a way of
/// writing the link record (see `plan::write_batches::linked_project_key`).
pub async fn run<C: CrmApi, P: ProjectsApi>(
    link_module: &str,
    changes: &[(usize, &Change)],
    crm: &C,
    projects: &P,
) -> Vec<(usize, OutcomeStatus)> {
    let mut out = Vec::new();
    let attempts = join_all(changes.iter().map(|&(index, change)| async move {
        let Operation::CreateLinkedProject {
            portal_id, request, ..
        } = &change.operation
        else {
            return (
                index,
                Err(ZohoError::InvalidInput("not a project creation".into())),
            );
        };
        let made = create_and_attach(projects, portal_id, request).await;
        (
            index,
            made.map(|(project, adopted)| Made {
                index,
                portal_id,
                request,
                facts: project_facts(&project),
                project,
                adopted,
            }),
        )
    }))
    .await;
    let mut made = Vec::new();
    for (index, attempt) in attempts {
        match attempt {
            Ok(m) => made.push(m),
            Err(e) => out.push((index, failed(&e))),
        }
    }
    let linked = write_links(link_module, made, crm, &mut out).await;
    out.extend(write_to_crm(linked, crm).await);
    out
}

/// Creates the project, or finds it by name when it already exists, and adds its client.
async fn create_and_attach<P: ProjectsApi>(
    projects: &P,
    portal_id: &str,
    request: &ProjectRequest,
) -> Result<(Project, bool), ZohoError> {
    let new = NewProject {
        name: request.name.clone(),
        description: request.description.clone(),
        owner: None,
        start_date: parse_date(request.start_date.as_deref()),
        end_date: parse_date(request.end_date.as_deref()),
        template_id: request.template_id.clone(),
        custom_fields: request.custom_fields.clone(),
    };
    let (project, adopted) = match projects.create_project(portal_id, &new).await {
        Ok(p) => (p, false),
        Err(e) => {
            // Created meanwhile (a saved plan applied late, or a concurrent run): find it by
            // name; the plan made sure no other record links a project of this name.
            let existing = projects
                .projects(portal_id, ProjectFilter::ActiveAndArchived)
                .await?;
            match existing
                .into_iter()
                .find(|p| p.name.eq_ignore_ascii_case(&request.name))
            {
                Some(p) => (p, true),
                None => return Err(e),
            }
        }
    };
    // The client is added before the write-back: once the link record exists, a re-run no
    // longer looks at this project's clients.
    if let Some(client) = &request.client_id {
        // A project just created has no clients: add the primary one without reading first.
        let added = !adopted
            && projects
                .add_project_client(portal_id, &project.id, client, true)
                .await
                .is_ok();
        if !added {
            add_project_client(projects, portal_id, &project.id, client).await?;
        }
    }
    Ok((project, adopted))
}

/// Writes the link records of `made` in one call (the client cuts at 100; batches hold no
/// more); the projects whose record CRM refused get their failure in `out`.
async fn write_links<'a, C: CrmApi>(
    link_module: &str,
    made: Vec<Made<'a>>,
    crm: &C,
    out: &mut Vec<(usize, OutcomeStatus)>,
) -> Vec<Made<'a>> {
    if made.is_empty() {
        return made;
    }
    let records: Vec<Record> = made.iter().map(link_record).collect();
    // A batch is all by id or all upserts (the batch key says which).
    let result = if made[0].request.request_record_id.is_some() {
        crm.update_records(link_module, &records).await
    } else {
        crm.upsert_records(link_module, &records, &["Project_Id".to_string()])
            .await
    };
    let results = match result {
        Ok(results) => results,
        Err(e) => {
            out.extend(made.iter().map(|m| (m.index, failed(&e))));
            return Vec::new();
        }
    };
    let mut linked = Vec::new();
    let mut results = results.into_iter();
    for m in made {
        match item_result(results.next()) {
            Ok(()) => linked.push(m),
            Err(e) => out.push((m.index, failed(&e))),
        }
    }
    linked
}

fn link_record(m: &Made<'_>) -> Record {
    let mut record = data_plane::detail_fields(m.portal_id, &m.facts);
    record.extend(m.request.link_fields.clone());
    record.insert("Project_Id".into(), json!(m.project.id));
    if let Some(id) = &m.request.request_record_id {
        record.insert("id".into(), json!(id));
    }
    record
}

/// Writes the `ToCrm` values of the linked projects, per module and round, and says how each
/// change ended: every value is tried, and the ones that do not fit their CRM field are
/// reported together.
async fn write_to_crm<C: CrmApi>(linked: Vec<Made<'_>>, crm: &C) -> Vec<(usize, OutcomeStatus)> {
    let mut errors: Vec<Vec<String>> = vec![Vec::new(); linked.len()];
    let mut values: Vec<Record> = Vec::new();
    let mut slots: Vec<(String, String, usize)> = Vec::new();
    for (position, m) in linked.iter().enumerate() {
        for write in &m.request.to_crm {
            let definition = write.project_definition();
            match data_plane::to_crm_value(
                &m.facts,
                &write.project_field,
                definition.as_ref(),
                &write.crm_type,
            ) {
                Ok(value) => {
                    let mut r = Record::new();
                    r.insert(write.crm_field.clone(), value);
                    values.push(r);
                    slots.push((write.module.clone(), write.record_id.clone(), position));
                }
                Err(why) => errors[position].push(format!(
                    "{} is not written into {}.{} ({}): {why}",
                    write.project_field, write.module, write.crm_field, write.spec_path
                )),
            }
        }
    }
    for (module, targets) in to_crm_targets(linked.iter().map(|m| m.request)) {
        for round in rounds(targets) {
            // A record whose every value was refused above carries only its id: not sent.
            let (positions, records): (Vec<usize>, Vec<Record>) = round
                .iter()
                .map(|(id, position)| {
                    let record = merged_record(&values, &slots, &module, id, *position);
                    (*position, record)
                })
                .filter(|(_, record)| record.len() > 1)
                .unzip();
            if records.is_empty() {
                continue;
            }
            let result = crm.update_records(&module, &records).await;
            for (position, outcome) in positions.into_iter().zip(per_item(result, records.len())) {
                if let Err(e) = outcome {
                    errors[position].push(e.to_string());
                }
            }
        }
    }
    linked
        .into_iter()
        .zip(errors)
        .map(|(m, errors)| (m.index, final_status(&m, errors)))
        .collect()
}

/// The values one project writes into one record, with the record's id.
fn merged_record(
    values: &[Record],
    slots: &[(String, String, usize)],
    module: &str,
    id: &str,
    position: usize,
) -> Record {
    let mut record = Record::new();
    record.insert("id".into(), json!(id));
    for (value, (m, i, p)) in values.iter().zip(slots) {
        if m == module && i == id && *p == position {
            record.extend(value.clone());
        }
    }
    record
}

fn per_item(result: Result<Vec<WriteResult>, ZohoError>, len: usize) -> Vec<Result<(), ZohoError>> {
    match result {
        Ok(results) => {
            let mut results = results.into_iter();
            (0..len).map(|_| item_result(results.next())).collect()
        }
        Err(e) => {
            let shared = std::sync::Arc::new(e);
            (0..len)
                .map(|_| Err(item_error(ItemError::Request(shared.clone()))))
                .collect()
        }
    }
}

fn item_result(result: Option<WriteResult>) -> Result<(), ZohoError> {
    match result {
        Some(Ok(_)) => Ok(()),
        Some(Err(e)) => Err(item_error(e)),
        None => Err(ZohoError::InvalidInput("no result for this record".into())),
    }
}

/// One record's failure as the change's error. A quota keeps its name (and the report its
/// reason), not "invalid request".
fn item_error(e: ItemError) -> ZohoError {
    match e {
        ItemError::Request(shared) => match &*shared {
            ZohoError::Quota(q) => ZohoError::Quota(q.clone()),
            _ => ZohoError::InvalidInput(ItemError::Request(shared).to_string()),
        },
        e => ZohoError::InvalidInput(e.to_string()),
    }
}

fn final_status(m: &Made<'_>, errors: Vec<String>) -> OutcomeStatus {
    if !errors.is_empty() {
        return failed(format!(
            "project \"{}\" was created and linked, but {}",
            m.project.name,
            errors.join("; ")
        ));
    }
    if m.adopted {
        OutcomeStatus::AlreadyDone {
            detail: format!("project \"{}\" already existed; linked it", m.project.name),
        }
    } else {
        OutcomeStatus::Applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_writes_its_values_of_one_record_in_one_item() {
        let value = |field: &str, v: &str| {
            let mut r = Record::new();
            r.insert(field.into(), json!(v));
            r
        };
        let values = vec![
            value("Status", "Active"),
            value("Owner_Name", "Ann"),
            value("Status", "Closed"),
        ];
        let slots = vec![
            ("Deals".to_string(), "7".to_string(), 0),
            ("Deals".to_string(), "7".to_string(), 0),
            ("Deals".to_string(), "7".to_string(), 1),
        ];
        let first = merged_record(&values, &slots, "Deals", "7", 0);
        assert_eq!(
            serde_json::Value::Object(first),
            json!({"id": "7", "Status": "Active", "Owner_Name": "Ann"})
        );
        let second = merged_record(&values, &slots, "Deals", "7", 1);
        assert_eq!(second.get("Status"), Some(&json!("Closed")));
    }

    #[test]
    fn a_failed_call_fails_each_of_its_records_and_a_missing_result_is_named() {
        let outcomes = per_item(Err(ZohoError::InvalidInput("refused".into())), 3);
        assert_eq!(outcomes.len(), 3);
        assert!(
            outcomes
                .iter()
                .all(|o| o.as_ref().is_err_and(|e| e.to_string().contains("refused")))
        );
        let short = per_item(Ok(Vec::new()), 1);
        assert!(
            short[0]
                .as_ref()
                .is_err_and(|e| e.to_string().contains("no result for this record"))
        );
    }
}
