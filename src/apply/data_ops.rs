//! Running the data plane's operations: record writes batched per module (the client sends
//! 100 per call), link records upserted on `Project_Id`, and project creation that is safe
//! to interrupt after any call — the project is found by name before it is created again,
//! and everything after the create is a write a re-run repeats harmlessly.

use std::collections::BTreeMap;

use serde_json::json;

use super::ops::{failed, write_marker};
use super::report::OutcomeStatus;
use crate::live::data::project_facts;
use crate::plan::data_plane::ProjectRequest;
use crate::plan::{Change, Operation};
use crate::zoho::crm::{Record, WriteResult};
use crate::zoho::projects::{NewProject, ProjectFilter, parse_date};
use crate::zoho::{CrmApi, ItemError, ProjectsApi, ZohoError};

/// A unit of data-plane work.
pub enum DataUnit<'a> {
    /// `WriteRecordFields` of one module, or `UpsertLinkRecord`s of one link module.
    Records {
        module: String,
        changes: Vec<(usize, &'a Change)>,
    },
    Single(usize, &'a Change),
}

pub fn is_data_op(op: &Operation) -> bool {
    op.is_data_plane()
}

pub fn units(changes: Vec<(usize, &Change)>) -> Vec<DataUnit<'_>> {
    let mut batches: BTreeMap<String, Vec<(usize, &Change)>> = BTreeMap::new();
    let mut units = Vec::new();
    for (index, change) in changes {
        match &change.operation {
            Operation::WriteRecordFields { module, .. } => batches
                .entry(module.clone())
                .or_default()
                .push((index, change)),
            Operation::UpsertLinkRecord { link_module, .. } => batches
                .entry(link_module.clone())
                .or_default()
                .push((index, change)),
            _ => units.push(DataUnit::Single(index, change)),
        }
    }
    units.extend(
        batches
            .into_iter()
            .map(|(module, changes)| DataUnit::Records { module, changes }),
    );
    units
}

pub async fn run<C: CrmApi, P: ProjectsApi>(
    unit: DataUnit<'_>,
    crm: &C,
    projects: &P,
) -> Vec<(usize, OutcomeStatus)> {
    match unit {
        DataUnit::Records { module, changes } => write_records(&module, &changes, crm).await,
        DataUnit::Single(index, change) => {
            let status = run_single(&change.operation, crm, projects)
                .await
                .unwrap_or_else(failed);
            vec![(index, status)]
        }
    }
}

fn record_of(op: &Operation) -> (Record, bool) {
    match op {
        Operation::WriteRecordFields {
            record_id, fields, ..
        } => {
            let mut r = fields.clone();
            r.insert("id".into(), json!(record_id));
            (r, true)
        }
        Operation::UpsertLinkRecord {
            record_id,
            project_id,
            fields,
            ..
        } => {
            let mut r = fields.clone();
            r.insert("Project_Id".into(), json!(project_id));
            if let Some(id) = record_id {
                r.insert("id".into(), json!(id));
            }
            (r, record_id.is_some())
        }
        _ => unreachable!("only record writes are batched"),
    }
}

/// Updates records that carry an id and upserts the others on `Project_Id`.
async fn write_records<C: CrmApi>(
    module: &str,
    changes: &[(usize, &Change)],
    crm: &C,
) -> Vec<(usize, OutcomeStatus)> {
    let (mut updates, mut upserts) = (Vec::new(), Vec::new());
    for &(index, change) in changes {
        let (record, by_id) = record_of(&change.operation);
        if by_id {
            updates.push((index, record));
        } else {
            upserts.push((index, record));
        }
    }
    let mut out = Vec::new();
    for (batch, upsert) in [(updates, false), (upserts, true)] {
        if batch.is_empty() {
            continue;
        }
        let records: Vec<Record> = batch.iter().map(|(_, r)| r.clone()).collect();
        let result = if upsert {
            crm.upsert_records(module, &records, &["Project_Id".to_string()])
                .await
        } else {
            crm.update_records(module, &records).await
        };
        out.extend(statuses(&batch, result));
    }
    out
}

fn statuses(
    batch: &[(usize, Record)],
    result: Result<Vec<WriteResult>, ZohoError>,
) -> Vec<(usize, OutcomeStatus)> {
    match result {
        Err(e) => batch.iter().map(|(i, _)| (*i, failed(&e))).collect(),
        Ok(results) => batch
            .iter()
            .enumerate()
            .map(|(n, (i, _))| {
                let status = match results.get(n) {
                    Some(Ok(_)) => OutcomeStatus::Applied,
                    Some(Err(e)) => failed(e),
                    None => failed("no result for this record"),
                };
                (*i, status)
            })
            .collect(),
    }
}

fn first_error(results: Vec<WriteResult>) -> Result<(), ZohoError> {
    match results.into_iter().find_map(Result::err) {
        None => Ok(()),
        // A quota keeps its name (and the report its reason), not "invalid request".
        Some(ItemError::Request(shared)) => match &*shared {
            ZohoError::Quota(q) => Err(ZohoError::Quota(q.clone())),
            _ => Err(ZohoError::InvalidInput(
                ItemError::Request(shared).to_string(),
            )),
        },
        Some(e) => Err(ZohoError::InvalidInput(e.to_string())),
    }
}

async fn run_single<C: CrmApi, P: ProjectsApi>(
    op: &Operation,
    crm: &C,
    projects: &P,
) -> Result<OutcomeStatus, ZohoError> {
    match op {
        Operation::CreateLinkedProject {
            portal_id,
            link_module,
            request,
        } => create_linked_project(crm, projects, portal_id, link_module, request).await,
        Operation::AddProjectClient {
            portal_id,
            project_id,
            client_id,
        } => add_project_client(projects, portal_id, project_id, client_id).await,
        Operation::RecordClientMapping {
            variable_id,
            marker,
        } => write_marker(crm, variable_id.as_deref(), marker).await,
        Operation::AddProjectUsers {
            portal_id,
            project_id,
            emails,
            role,
        } => {
            let present: Vec<String> = projects
                .project_users(portal_id, project_id)
                .await?
                .iter()
                .map(|u| u.email.to_ascii_lowercase())
                .collect();
            let missing: Vec<String> = emails
                .iter()
                .filter(|e| !present.contains(e))
                .cloned()
                .collect();
            if missing.is_empty() {
                return Ok(OutcomeStatus::AlreadyDone {
                    detail: "the users are already in the project".into(),
                });
            }
            if let Err(e) = projects
                .add_project_users(portal_id, project_id, &missing, role)
                .await
            {
                // Done, with the answer lost? Then every user is in the project now.
                let now: Vec<String> = projects
                    .project_users(portal_id, project_id)
                    .await?
                    .iter()
                    .map(|u| u.email.to_ascii_lowercase())
                    .collect();
                if !missing.iter().all(|m| now.contains(m)) {
                    return Err(e);
                }
            }
            Ok(OutcomeStatus::Applied)
        }
        Operation::AddClientUser {
            portal_id,
            client_id,
            email,
            name,
            existing_user_id,
            project_ids,
        } => {
            let user_id = match existing_user_id {
                Some(id) => id.clone(),
                None => {
                    let users = projects.client_users(portal_id, client_id).await?;
                    match users.iter().find(|u| u.email.eq_ignore_ascii_case(email)) {
                        Some(u) => u.id.clone(),
                        None => {
                            let name = (!name.is_empty()).then_some(name.as_str());
                            match projects
                                .add_client_user(portal_id, client_id, email, name)
                                .await
                            {
                                Ok(user) => user.id,
                                // Added, with the answer lost: the user is ours by email.
                                Err(e) => projects
                                    .client_users(portal_id, client_id)
                                    .await?
                                    .into_iter()
                                    .find(|u| u.email.eq_ignore_ascii_case(email))
                                    .map(|u| u.id)
                                    .ok_or(e)?,
                            }
                        }
                    }
                }
            };
            if !project_ids.is_empty() {
                projects
                    .add_client_user_to_projects(portal_id, &user_id, project_ids)
                    .await?;
            }
            Ok(OutcomeStatus::Applied)
        }
        other => Err(ZohoError::InvalidInput(format!(
            "not a data-plane operation: {other:?}"
        ))),
    }
}

/// Adds the client; primary when the project has no primary client yet.
async fn add_project_client<P: ProjectsApi>(
    projects: &P,
    portal_id: &str,
    project_id: &str,
    client_id: &str,
) -> Result<OutcomeStatus, ZohoError> {
    let current = projects.project_clients(portal_id, project_id).await?;
    if current.iter().any(|c| c.id == client_id) {
        return Ok(OutcomeStatus::AlreadyDone {
            detail: "the client is already a client of the project".into(),
        });
    }
    let primary = !current.iter().any(|c| c.primary);
    match projects
        .add_project_client(portal_id, project_id, client_id, primary)
        .await
    {
        Ok(_) => Ok(OutcomeStatus::Applied),
        // The add may have happened and only its answer been lost (a retry then meets
        // "already a client"): look before reporting a failure.
        Err(e) => {
            let after = projects.project_clients(portal_id, project_id).await?;
            if after.iter().any(|c| c.id == client_id) {
                Ok(OutcomeStatus::AlreadyDone {
                    detail: "the client is a client of the project (an answer was lost)".into(),
                })
            } else {
                Err(e)
            }
        }
    }
}

fn date(text: &Option<String>) -> Option<chrono::NaiveDate> {
    parse_date(text.as_deref())
}

async fn create_linked_project<C: CrmApi, P: ProjectsApi>(
    crm: &C,
    projects: &P,
    portal_id: &str,
    link_module: &str,
    request: &ProjectRequest,
) -> Result<OutcomeStatus, ZohoError> {
    let new = NewProject {
        name: request.name.clone(),
        description: request.description.clone(),
        owner: None,
        start_date: date(&request.start_date),
        end_date: date(&request.end_date),
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
    let facts = project_facts(&project);
    let mut record = crate::plan::data_plane::detail_fields(portal_id, &facts);
    record.extend(request.link_fields.clone());
    record.insert("Project_Id".into(), json!(project.id));
    let results = match &request.request_record_id {
        Some(id) => {
            record.insert("id".into(), json!(id));
            crm.update_records(link_module, &[record]).await?
        }
        None => {
            crm.upsert_records(link_module, &[record], &["Project_Id".to_string()])
                .await?
        }
    };
    first_error(results)?;
    // Every write is tried; values that do not fit their CRM field are reported together.
    let mut refused = Vec::new();
    for write in &request.to_crm {
        let definition = write.project_definition();
        let value = match crate::plan::data_plane::to_crm_value(
            &facts,
            &write.project_field,
            definition.as_ref(),
            &write.crm_type,
        ) {
            Ok(value) => value,
            Err(why) => {
                refused.push(format!(
                    "{} is not written into {}.{} ({}): {why}",
                    write.project_field, write.module, write.crm_field, write.spec_path
                ));
                continue;
            }
        };
        let mut r = Record::new();
        r.insert("id".into(), json!(write.record_id));
        r.insert(write.crm_field.clone(), value);
        first_error(crm.update_records(&write.module, &[r]).await?)?;
    }
    if !refused.is_empty() {
        return Err(ZohoError::InvalidInput(format!(
            "project \"{}\" was created and linked, but {}",
            project.name,
            refused.join("; ")
        )));
    }
    Ok(if adopted {
        OutcomeStatus::AlreadyDone {
            detail: format!("project \"{}\" already existed; linked it", project.name),
        }
    } else {
        OutcomeStatus::Applied
    })
}
