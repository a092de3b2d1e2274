//! Running the data plane's operations: record writes batched per module, 100 to a call
//! (updates by id apart from upserts on `Project_Id`), projects created for link records a
//! batch at a time (`linked_projects.rs`), and the rest one by one. The batches are the ones
//! `plan::write_batches` describes, so a plan's estimate counts the calls made here.

use serde_json::json;

use super::ops::{failed, write_marker};
use super::report::OutcomeStatus;
use crate::plan::write_batches::{batches, linked_project_key, record_write_key};
use crate::plan::{Change, Operation};
use crate::zoho::crm::{Record, WriteResult};
use crate::zoho::{CrmApi, ProjectsApi, ZohoError};

/// A unit of data-plane work.
pub enum DataUnit<'a> {
    /// Up to 100 `WriteRecordFields` or `UpsertLinkRecord`s of one module.
    Records {
        module: String,
        changes: Vec<(usize, &'a Change)>,
    },
    /// Up to 100 `CreateLinkedProject`s whose link records share a module and a write.
    LinkedProjects {
        link_module: String,
        changes: Vec<(usize, &'a Change)>,
    },
    Single(usize, &'a Change),
}

pub fn is_data_op(op: &Operation) -> bool {
    op.is_data_plane()
}

pub fn units(changes: Vec<(usize, &Change)>) -> Vec<DataUnit<'_>> {
    let (mut records, mut created) = (Vec::new(), Vec::new());
    let mut units = Vec::new();
    for (index, change) in changes {
        if let Some(key) = record_write_key(&change.operation) {
            records.push((key, (index, change)));
        } else if let Some(key) = linked_project_key(&change.operation) {
            created.push((key, (index, change)));
        } else {
            units.push(DataUnit::Single(index, change));
        }
    }
    // Projects first: their Projects calls are paced, and the record batches fill the wait.
    units.extend(
        batches(created)
            .into_iter()
            .map(|(key, changes)| DataUnit::LinkedProjects {
                link_module: key.module,
                changes,
            }),
    );
    units.extend(
        batches(records)
            .into_iter()
            .map(|(key, changes)| DataUnit::Records {
                module: key.module,
                changes,
            }),
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
        DataUnit::LinkedProjects {
            link_module,
            changes,
        } => super::linked_projects::run(&link_module, &changes, crm, projects).await,
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

async fn run_single<C: CrmApi, P: ProjectsApi>(
    op: &Operation,
    crm: &C,
    projects: &P,
) -> Result<OutcomeStatus, ZohoError> {
    match op {
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
        } => add_project_users(projects, portal_id, project_id, emails, role).await,
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
                None => client_user_id(projects, portal_id, client_id, email, name).await?,
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

/// The project's users' emails, lower-cased.
async fn project_user_emails<P: ProjectsApi>(
    projects: &P,
    portal_id: &str,
    project_id: &str,
) -> Result<Vec<String>, ZohoError> {
    Ok(projects
        .project_users(portal_id, project_id)
        .await?
        .iter()
        .map(|u| u.email.to_ascii_lowercase())
        .collect())
}

/// Adds the users not yet in the project (`emails` are lower-cased).
async fn add_project_users<P: ProjectsApi>(
    projects: &P,
    portal_id: &str,
    project_id: &str,
    emails: &[String],
    role: &str,
) -> Result<OutcomeStatus, ZohoError> {
    let present = project_user_emails(projects, portal_id, project_id).await?;
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
        let now = project_user_emails(projects, portal_id, project_id).await?;
        if !missing.iter().all(|m| now.contains(m)) {
            return Err(e);
        }
    }
    Ok(OutcomeStatus::Applied)
}

/// The id of the client's user with this email, adding the user when there is none.
async fn client_user_id<P: ProjectsApi>(
    projects: &P,
    portal_id: &str,
    client_id: &str,
    email: &str,
    name: &str,
) -> Result<String, ZohoError> {
    let users = projects.client_users(portal_id, client_id).await?;
    if let Some(u) = users.iter().find(|u| u.email.eq_ignore_ascii_case(email)) {
        return Ok(u.id.clone());
    }
    let name = (!name.is_empty()).then_some(name);
    match projects
        .add_client_user(portal_id, client_id, email, name)
        .await
    {
        Ok(user) => Ok(user.id),
        // Added, with the answer lost: the user is ours by email.
        Err(e) => projects
            .client_users(portal_id, client_id)
            .await?
            .into_iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .map(|u| u.id)
            .ok_or(e),
    }
}

/// Adds the client; primary when the project has no primary client yet.
pub(super) async fn add_project_client<P: ProjectsApi>(
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
