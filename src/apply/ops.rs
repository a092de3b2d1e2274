//! One function per operation, each idempotent: a create that finds its object already
//! there reports it as done, a permission change re-reads the profile first, and link
//! records are removed until none are left.

use serde_json::json;

use super::report::OutcomeStatus;
use crate::live::{MARKER_VARIABLE, Marker, PermissionKind};
use crate::plan::{Change, FieldSpec, Operation, PORTAL_USERS_PER_ADD};
use crate::zoho::crm::{
    DisplayField, FieldUpdate, NewField, NewModule, NewVariable, RecordQuery, Tooltip,
    VariableUpdate,
};
use crate::zoho::projects::PortalUserFilter;
use crate::zoho::{CrmApi, ProjectsApi, ZohoError};

/// Zoho's error code for "this already exists".
const DUPLICATE: &str = "DUPLICATE_DATA";
/// Rounds of "read link record ids, delete them" before giving up on removal.
const REMOVAL_ROUNDS: usize = 5;

pub(super) fn failed(error: impl std::fmt::Display) -> OutcomeStatus {
    OutcomeStatus::Failed {
        error: error.to_string(),
    }
}

/// Runs one operation that is not batched with others.
pub async fn run_single<C: CrmApi>(op: &Operation, crm: &C) -> OutcomeStatus {
    let result = match op {
        Operation::WriteMarker {
            variable_id,
            marker,
        } => write_marker(crm, variable_id.as_deref(), marker).await,
        Operation::RebindPortal {
            link_module,
            variable_id,
            marker,
        } => match remove_link_records(crm, link_module).await {
            Ok(_) => write_marker(crm, variable_id.as_deref(), marker).await,
            Err(e) => Err(e),
        },
        Operation::RemoveLinkRecords { link_module } => remove_link_records(crm, link_module).await,
        Operation::CreateLinkModule {
            api_name,
            singular_label,
            plural_label,
            description,
            profile_ids,
        } => {
            create_module(
                crm,
                api_name,
                singular_label,
                plural_label,
                description,
                profile_ids,
            )
            .await
        }
        Operation::AdoptField {
            module,
            field_id,
            tooltip,
            ..
        } => crm
            .update_field(
                module,
                field_id,
                &FieldUpdate {
                    tooltip: Some(owner_tooltip(tooltip)),
                    ..Default::default()
                },
            )
            .await
            .map(|_| OutcomeStatus::Applied),
        Operation::DeleteField {
            module, field_id, ..
        } => match crm.delete_field(module, field_id).await {
            Ok(()) => Ok(OutcomeStatus::Applied),
            Err(e) if e.status() == Some(404) => Ok(OutcomeStatus::AlreadyDone {
                detail: "the field was already gone".into(),
            }),
            Err(e) => Err(e),
        },
        Operation::SetLinkPermissions {
            profile_id,
            profile_name,
            link_module,
            permissions,
        } => set_link_permissions(crm, profile_id, profile_name, link_module, permissions).await,
        _ => unreachable!("batched and data-plane operations are run by their own functions"),
    };
    result.unwrap_or_else(failed)
}

fn owner_tooltip(text: &str) -> Tooltip {
    Tooltip {
        name: "static_text".into(),
        value: text.to_string(),
    }
}

pub(super) async fn write_marker<C: CrmApi>(
    crm: &C,
    variable_id: Option<&str>,
    marker: &Marker,
) -> Result<OutcomeStatus, ZohoError> {
    let value = json!(marker.to_value());
    let update = VariableUpdate {
        value: Some(value.clone()),
        ..Default::default()
    };
    if let Some(id) = variable_id {
        crm.update_variable(id, &update).await?;
        return Ok(OutcomeStatus::Applied);
    }
    let created = crm
        .create_variable(&NewVariable {
            name: "projectlink integration".into(),
            api_name: MARKER_VARIABLE.into(),
            variable_type: "textarea".into(),
            value,
            description: Some("Written by projectlink: the portal bound to this org and its activation generation. Do not edit.".into()),
            group_id: None,
        })
        .await;
    match created {
        Ok(_) => Ok(OutcomeStatus::Applied),
        // Created meanwhile (an interrupted run, or another runner): overwrite it in place.
        Err(e) if e.code() == Some(DUPLICATE) => {
            let existing = crm.variables().await?;
            let Some(v) = existing.iter().find(|v| v.api_name == MARKER_VARIABLE) else {
                return Err(e);
            };
            crm.update_variable(&v.id, &update).await?;
            Ok(OutcomeStatus::Applied)
        }
        Err(e) => Err(e),
    }
}

async fn remove_link_records<C: CrmApi>(
    crm: &C,
    link_module: &str,
) -> Result<OutcomeStatus, ZohoError> {
    if crm.module(link_module).await?.is_none() {
        return Ok(OutcomeStatus::AlreadyDone {
            detail: format!("module {link_module} does not exist"),
        });
    }
    let mut removed = 0usize;
    for _ in 0..REMOVAL_ROUNDS {
        let records = crm
            .records(link_module, &["id".to_string()], &RecordQuery::default())
            .await?;
        let ids: Vec<String> = records
            .iter()
            .filter_map(|r| r.get("id").and_then(|v| v.as_str()).map(str::to_string))
            .collect();
        if ids.is_empty() {
            return Ok(if removed == 0 {
                OutcomeStatus::AlreadyDone {
                    detail: "no link records were left".into(),
                }
            } else {
                OutcomeStatus::Applied
            });
        }
        let results = crm.delete_records(link_module, &ids).await?;
        if let Some(err) = results.iter().find_map(|r| r.as_ref().err()) {
            return Err(ZohoError::InvalidInput(format!(
                "could not remove every {link_module} record: {}",
                err
            )));
        }
        removed += ids.len();
    }
    Err(ZohoError::InvalidInput(format!(
        "{link_module} records kept appearing after {REMOVAL_ROUNDS} removal rounds"
    )))
}

async fn create_module<C: CrmApi>(
    crm: &C,
    api_name: &str,
    singular: &str,
    plural: &str,
    description: &str,
    profile_ids: &[String],
) -> Result<OutcomeStatus, ZohoError> {
    if crm.module(api_name).await?.is_some() {
        return Ok(OutcomeStatus::AlreadyDone {
            detail: format!("module {api_name} already exists"),
        });
    }
    let module = NewModule {
        singular_label: singular.into(),
        plural_label: plural.into(),
        api_name: Some(api_name.into()),
        description: Some(description.into()),
        profile_ids: profile_ids.to_vec(),
        display_field: Some(DisplayField {
            field_label: "Project Name".into(),
            data_type: "text".into(),
        }),
    };
    match crm.create_module(&module).await {
        Ok(_) => Ok(OutcomeStatus::Applied),
        Err(e) if e.code() == Some(DUPLICATE) => Ok(OutcomeStatus::AlreadyDone {
            detail: format!("module {api_name} already exists"),
        }),
        Err(e) => Err(e),
    }
}

async fn set_link_permissions<C: CrmApi>(
    crm: &C,
    profile_id: &str,
    profile_name: &str,
    link_module: &str,
    wanted: &std::collections::BTreeMap<PermissionKind, bool>,
) -> Result<OutcomeStatus, ZohoError> {
    let profile = crm.profile(profile_id).await?;
    let mut updates = Vec::new();
    for (kind, enabled) in wanted {
        let Some(perm) = profile
            .permissions_details
            .iter()
            .find(|p| kind.matches(&p.name, p.module.as_deref(), link_module))
        else {
            if !enabled {
                continue;
            }
            return Err(ZohoError::InvalidInput(format!(
                "profile {profile_name} has no {} permission on {link_module}; the module may not be visible to it yet",
                kind.label()
            )));
        };
        // Locked permissions cannot change; the plan already reported them.
        if perm.enabled != *enabled && perm.customizable != Some(false) {
            updates.push((perm.id.clone(), *enabled));
        }
    }
    if updates.is_empty() {
        return Ok(OutcomeStatus::AlreadyDone {
            detail: "permissions were already as declared".into(),
        });
    }
    crm.update_profile_permissions(profile_id, &updates).await?;
    Ok(OutcomeStatus::Applied)
}

fn new_field(field: &FieldSpec, tooltip: &str) -> NewField {
    NewField {
        field_label: field.label.clone(),
        data_type: field.data_type.clone(),
        api_name: Some(field.api_name.clone()),
        length: field.length,
        tooltip: Some(owner_tooltip(tooltip)),
        profiles: Vec::new(),
        unique: field.unique,
        pick_list_values: Vec::new(),
        lookup_module: field.lookup_module.clone(),
    }
}

/// Creates a module's fields in as few calls as the API allows (25 per call, in the client).
pub async fn create_fields<C: CrmApi>(
    module: &str,
    changes: &[(usize, &Change)],
    crm: &C,
) -> Vec<(usize, OutcomeStatus)> {
    let fields: Vec<NewField> = changes
        .iter()
        .map(|(_, c)| match &c.operation {
            Operation::CreateField { field, tooltip, .. } => new_field(field, tooltip),
            _ => unreachable!("only field creations are batched here"),
        })
        .collect();
    match crm.create_fields(module, &fields).await {
        Ok(results) => changes
            .iter()
            .zip(results)
            .map(|((index, _), result)| {
                let status = match result {
                    Ok(_) => OutcomeStatus::Applied,
                    Err(e) if e.code() == Some(DUPLICATE) => OutcomeStatus::AlreadyDone {
                        detail: "the field already exists".into(),
                    },
                    Err(e) => failed(e),
                };
                (*index, status)
            })
            .collect(),
        Err(e) => changes
            .iter()
            .map(|(index, _)| (*index, failed(&e)))
            .collect(),
    }
}

/// Adds users to a portal in batches; when a batch is refused (e.g. one of them joined
/// meanwhile), re-reads the portal and adds the ones still missing one by one.
pub async fn add_portal_users<P: ProjectsApi>(
    portal_id: &str,
    role: &str,
    changes: &[(usize, &Change)],
    projects: &P,
) -> Vec<(usize, OutcomeStatus)> {
    let email_of = |c: &Change| match &c.operation {
        Operation::AddPortalUser { email, .. } => email.clone(),
        _ => unreachable!("only portal users are batched here"),
    };
    let mut results = Vec::new();
    for chunk in changes.chunks(PORTAL_USERS_PER_ADD) {
        let emails: Vec<String> = chunk.iter().map(|(_, c)| email_of(c)).collect();
        match projects.add_portal_users(portal_id, &emails, role).await {
            Ok(_) => results.extend(chunk.iter().map(|(i, _)| (*i, OutcomeStatus::Applied))),
            Err(batch_error) => {
                let present = match projects
                    .portal_users(portal_id, PortalUserFilter::All)
                    .await
                {
                    Ok(users) => users
                        .into_iter()
                        .map(|u| u.email.to_ascii_lowercase())
                        .collect::<Vec<_>>(),
                    Err(_) => {
                        results.extend(chunk.iter().map(|(i, _)| (*i, failed(&batch_error))));
                        continue;
                    }
                };
                for (index, change) in chunk {
                    let email = email_of(change);
                    let status = if present.contains(&email) {
                        OutcomeStatus::AlreadyDone {
                            detail: "the user is already in the portal".into(),
                        }
                    } else {
                        match projects
                            .add_portal_users(portal_id, std::slice::from_ref(&email), role)
                            .await
                        {
                            Ok(_) => OutcomeStatus::Applied,
                            Err(e) => failed(e),
                        }
                    };
                    results.push((*index, status));
                }
            }
        }
    }
    results
}
