//! Observing the Office 365 integration: CRM users, profiles, roles and the saved state; the
//! tenant's users; per enabled folder a delta round and the folder's items; and the CRM
//! records the comparison needs — every record when some folder needs a full comparison,
//! otherwise only those changed or deleted since the oldest watermark. It never writes.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::future::try_join_all;
use futures::stream;

use super::desired::Desired365;
use super::folder::WATERMARK_MARGIN;
use super::observed::{
    ChangeFeed, CrmFieldRef, CrmRecord, CrmUserRef, CrmView, FolderObservation, MailboxRef,
    Observed365, OutlookItem, StateRead,
};
use super::state::{
    FolderKey, FolderState, ItemLink, LINK_PROPERTY, STATE_VARIABLE, SyncKind, SyncState,
};
use crate::graph::{DeltaFrom, DeltaOutcome, EventWindow, GraphApi, GraphItem, ItemKind};
use crate::live::observe::{ObserveError, reading};
use crate::zoho::CrmApi;
use crate::zoho::crm::UserType;

/// Items per delta page asked of Graph (its maximum).
pub const DELTA_PAGE_SIZE: u32 = 1000;
/// Folders observed at once.
const FOLDERS_AT_ONCE: usize = 8;
/// Records per `GET /{module}?ids=` call (Zoho's limit).
const IDS_PER_CALL: usize = 100;

/// The Graph folder kind a sync kind lives in.
pub fn item_kind(kind: SyncKind) -> ItemKind {
    match kind {
        SyncKind::Calendar => ItemKind::Event,
        SyncKind::Contacts => ItemKind::Contact,
    }
}

/// CRM fields read for a kind: the mapped ones plus what pairing needs.
pub fn crm_fields(desired: &Desired365, kind: SyncKind) -> Vec<String> {
    let mut fields: Vec<String> = ["Owner", "Created_Time", "Modified_Time", "Tag"]
        .iter()
        .map(|f| f.to_string())
        .collect();
    for field in desired.setting(kind).mapping.crm_fields() {
        if !fields.iter().any(|f| f == field) {
            fields.push(field.to_string());
        }
    }
    fields
}

fn outlook_item(item: GraphItem) -> OutlookItem {
    let link = item
        .extended
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(LINK_PROPERTY))
        .and_then(|(_, value)| ItemLink::parse(value));
    OutlookItem {
        id: item.id,
        last_modified: item.last_modified,
        properties: item.properties,
        link,
    }
}

/// Reads everything [`super::plan`] needs, with the calendar window of today.
pub async fn observe<C: CrmApi, G: GraphApi>(
    desired: &Desired365,
    crm: &C,
    graph: &G,
) -> Result<Observed365, ObserveError> {
    observe_on(desired, crm, graph, Utc::now()).await
}

/// [`observe`] with the calendar window of `today`. Only the window follows `today`: the
/// watermarks follow this machine's clock, which CRM's modification times are compared
/// with. Tests move `today` to see the window roll without waiting for it.
pub async fn observe_on<C: CrmApi, G: GraphApi>(
    desired: &Desired365,
    crm: &C,
    graph: &G,
    today: DateTime<Utc>,
) -> Result<Observed365, ObserveError> {
    let observed_at = Utc::now();
    let calendar_window = desired.calendar_window_on(today);
    let (variables, users, profiles, roles, mailboxes) = futures::try_join!(
        async { crm.variables().await.map_err(reading("CRM org variables")) },
        async {
            crm.users(UserType::AllUsers)
                .await
                .map_err(reading("CRM users"))
        },
        async { crm.profiles().await.map_err(reading("CRM profiles")) },
        async { crm.roles().await.map_err(reading("CRM roles")) },
        async { graph.users().await.map_err(reading("Office 365 users")) },
    )?;
    // The contact map is checked against the org's own Contacts fields before anything syncs.
    let contact_fields = if desired.setting(SyncKind::Contacts).users.is_empty() {
        None
    } else {
        let fields = crm
            .fields(SyncKind::Contacts.crm_module())
            .await
            .map_err(reading("CRM Contacts fields"))?;
        Some(
            fields
                .into_iter()
                .map(|f| CrmFieldRef {
                    api_name: f.api_name,
                    data_type: f.data_type,
                })
                .collect(),
        )
    };
    let state = match variables.iter().find(|v| v.api_name == STATE_VARIABLE) {
        None => StateRead::Absent,
        Some(variable) => {
            let value = variable.value.as_str().unwrap_or_default();
            match SyncState::parse(value) {
                Ok(state) if state.owner == desired.owner => StateRead::Ours {
                    variable_id: variable.id.clone(),
                    state,
                },
                Ok(state) => StateRead::Foreign {
                    variable_id: variable.id.clone(),
                    owner: state.owner,
                },
                Err(error) => StateRead::Unreadable {
                    variable_id: variable.id.clone(),
                    error: error.to_string(),
                },
            }
        }
    };
    let crm_users: Vec<CrmUserRef> = users
        .iter()
        .map(|u| CrmUserRef {
            id: u.id.clone(),
            email: u.email.to_ascii_lowercase(),
            active: u.status.eq_ignore_ascii_case("active"),
        })
        .collect();
    let mailboxes: Vec<MailboxRef> = mailboxes
        .into_iter()
        .map(|u| MailboxRef {
            email: u
                .mail
                .clone()
                .unwrap_or_else(|| u.user_principal_name.clone())
                .to_ascii_lowercase(),
            id: u.id,
            display_name: u.display_name,
        })
        .collect();
    let mut observed = Observed365 {
        observed_at,
        state,
        crm_users,
        mailboxes,
        profiles: profiles.into_iter().map(|p| (p.name, p.id)).collect(),
        roles: roles.into_iter().map(|r| (r.name, r.id)).collect(),
        crm: BTreeMap::new(),
        folders: Vec::new(),
        calendar_window: Some(calendar_window),
        contact_fields,
    };

    // The folders to look at: enabled ones whose user is paired, and saved ones turned off.
    let mut wanted: Vec<(FolderKey, String, String, bool)> = Vec::new();
    for kind in SyncKind::ALL {
        for user in &desired.setting(kind).users {
            let (Some(crm_user), Some(mailbox)) = (observed.crm_user(user), observed.mailbox(user))
            else {
                continue;
            };
            if crm_user.active {
                let key = FolderKey {
                    kind,
                    user: user.clone(),
                };
                wanted.push((key, crm_user.id.clone(), mailbox.id.clone(), true));
            }
        }
    }
    if let Some(state) = observed.state.state() {
        for (key, _) in state.folders() {
            if !desired.enabled(key.kind, &key.user) {
                let mailbox = observed.mailbox(&key.user).map(|m| m.id.clone());
                wanted.push((key, String::new(), mailbox.unwrap_or_default(), false));
            }
        }
    }
    let state = &observed.state;
    let folders: Vec<FolderObservation> = stream::iter(wanted)
        .map(|(key, crm_user_id, mailbox_id, enabled)| {
            let prior = state.folder(&key).cloned();
            let window = (key.kind == SyncKind::Calendar).then_some(calendar_window);
            let folder = FolderRef {
                key,
                crm_user_id,
                mailbox_id,
                enabled,
                window,
            };
            async move { observe_folder(graph, folder, prior).await }
        })
        .buffered(FOLDERS_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    observed.folders = folders;

    for kind in SyncKind::ALL {
        let enabled: Vec<&FolderObservation> = observed
            .folders
            .iter()
            .filter(|f| f.key.kind == kind && desired.enabled(kind, &f.key.user))
            .collect();
        if enabled.is_empty() {
            continue;
        }
        let fingerprint = desired.setting(kind).mapping.fingerprint();
        let priors: Vec<Option<&FolderState>> = enabled
            .iter()
            .map(|f| observed.state.folder(&f.key))
            .collect();
        let needs_everything = enabled.iter().zip(&priors).any(|(f, prior)| {
            prior.is_none_or(|p| p.mapping != fingerprint)
                || match &f.feed {
                    ChangeFeed::Restarted { .. } => true,
                    ChangeFeed::Incremental { removed, .. } => *removed > 0,
                }
        });
        let since = if needs_everything {
            None
        } else {
            priors
                .iter()
                .flatten()
                .map(|p| p.synced_through)
                .min()
                .map(|t| t - WATERMARK_MARGIN)
        };
        let view = read_crm(desired, crm, kind, since, &enabled).await?;
        observed.crm.insert(kind, view);
    }
    Ok(observed)
}

/// One folder to observe.
struct FolderRef {
    key: FolderKey,
    crm_user_id: String,
    mailbox_id: String,
    enabled: bool,
    /// The calendar window (calendars only).
    window: Option<EventWindow>,
}

async fn observe_folder<G: GraphApi>(
    graph: &G,
    folder: FolderRef,
    prior: Option<FolderState>,
) -> Result<FolderObservation, ObserveError> {
    let FolderRef {
        key,
        crm_user_id,
        mailbox_id,
        enabled,
        window,
    } = folder;
    let kind = item_kind(key.kind);
    let what = |part: &str| format!("{part} of {} for {}", key.kind, key.user);
    let mut observation = FolderObservation {
        key: key.clone(),
        crm_user_id,
        mailbox_id: mailbox_id.clone(),
        folder_id: None,
        items: Vec::new(),
        feed: ChangeFeed::Restarted {
            reason: "the folder does not exist yet".into(),
        },
        next_delta_link: None,
    };
    if mailbox_id.is_empty() {
        return Ok(observation);
    }
    let find_folder = || async {
        let listed = graph
            .folders(&mailbox_id, kind)
            .await
            .map_err(reading(what("mailbox folders")))?;
        Ok::<_, ObserveError>(
            listed
                .into_iter()
                .find(|f| f.name.eq_ignore_ascii_case(key.kind.folder_name()))
                .map(|f| f.id),
        )
    };
    // A saved folder is read straight away; only a missing one is looked up by name.
    let saved = prior.as_ref().filter(|_| enabled);
    let mut folder_id = match saved {
        Some(p) => Some(p.folder_id.clone()),
        None => find_folder().await?,
    };
    let Some(mut id) = folder_id.clone() else {
        return Ok(observation);
    };
    if !enabled {
        observation.folder_id = folder_id;
        return Ok(observation);
    }
    let mut restart_reason = None;
    let moved = window.filter(|w| saved.is_some_and(|p| p.window != Some(*w)));
    match saved.and_then(|p| p.delta_link.clone()) {
        None => restart_reason = Some("no saved delta link for this folder".to_string()),
        // The saved link only ever reports the old window's events.
        Some(_) if moved.is_some() => {
            let window = moved.expect("checked");
            restart_reason = Some(format!("the calendar window moved to {window}"));
        }
        Some(link) => {
            let outcome = graph
                .delta(
                    &mailbox_id,
                    kind,
                    &id,
                    &DeltaFrom::Link(link),
                    DELTA_PAGE_SIZE,
                )
                .await;
            match outcome {
                Ok(DeltaOutcome::Round(round)) => {
                    // A removal of an item that is still there is an event moved out of the
                    // window: changed in Outlook all the same.
                    let removed = round.removed.len();
                    let changed = round.changed.into_iter().map(|i| i.id);
                    observation.feed = ChangeFeed::Incremental {
                        changed: changed.chain(round.removed).collect(),
                        removed,
                    };
                    observation.next_delta_link = Some(round.delta_link);
                }
                Ok(DeltaOutcome::Expired) => {
                    restart_reason = Some("the saved delta link expired".into());
                }
                Err(e) if e.status() == Some(404) => {
                    folder_id = find_folder().await?;
                    match &folder_id {
                        Some(found) => id = found.clone(),
                        None => {
                            observation.feed = ChangeFeed::Restarted {
                                reason: "the folder was deleted in Office 365".into(),
                            };
                            return Ok(observation);
                        }
                    }
                    restart_reason = Some("the saved folder was replaced".into());
                }
                Err(e) => return Err(reading(what("changes"))(e)),
            }
        }
    }
    observation.folder_id = Some(id.clone());
    let folder = crate::graph::GraphFolder {
        id,
        name: key.kind.folder_name().to_string(),
    };
    if let Some(reason) = restart_reason {
        let from = window.map_or(DeltaFrom::Start, DeltaFrom::Window);
        match graph
            .delta(&mailbox_id, kind, &folder.id, &from, DELTA_PAGE_SIZE)
            .await
            .map_err(reading(what("changes")))?
        {
            DeltaOutcome::Round(round) => observation.next_delta_link = Some(round.delta_link),
            DeltaOutcome::Expired => {}
        }
        observation.feed = ChangeFeed::Restarted { reason };
    }
    observation.items = graph
        .items(&mailbox_id, kind, &folder.id, &[LINK_PROPERTY])
        .await
        .map_err(reading(what("items")))?
        .into_iter()
        .map(outlook_item)
        .collect();
    Ok(observation)
}

/// The CRM side of one kind: everything (`since` is `None`), or the records changed and
/// deleted since `since` plus every record whose Outlook item changed.
async fn read_crm<C: CrmApi>(
    desired: &Desired365,
    crm: &C,
    kind: SyncKind,
    since: Option<DateTime<Utc>>,
    folders: &[&FolderObservation],
) -> Result<CrmView, ObserveError> {
    let module = kind.crm_module();
    let fields = crm_fields(desired, kind);
    let field_refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    let listed = crm
        .records_modified_since(module, &field_refs, since)
        .await
        .map_err(reading(format!("CRM {module}")))?;
    let mut view = CrmView {
        complete: since.is_none(),
        records: listed
            .into_iter()
            .filter_map(CrmRecord::from_value)
            .map(|r| (r.id.clone(), r))
            .collect(),
        deleted: HashSet::new(),
    };
    let Some(since) = since else {
        return Ok(view);
    };
    view.deleted = crm
        .deleted_records(module, Some(since))
        .await
        .map_err(reading(format!("deleted CRM {module}")))?
        .into_iter()
        .map(|d| d.id)
        .collect();
    // Items changed in Outlook whose record did not change: read those records to compare.
    let mut wanted: Vec<String> = Vec::new();
    for folder in folders {
        let ChangeFeed::Incremental { changed, .. } = &folder.feed else {
            continue;
        };
        for item in &folder.items {
            if let Some(link) = &item.link
                && changed.contains(&item.id)
                && !view.records.contains_key(&link.crm_id)
                && !view.deleted.contains(&link.crm_id)
            {
                wanted.push(link.crm_id.clone());
            }
        }
    }
    wanted.sort();
    wanted.dedup();
    let chunks: Vec<&[String]> = wanted.chunks(IDS_PER_CALL).collect();
    let fetched = try_join_all(chunks.iter().map(|ids| async {
        crm.records_by_ids(module, ids, &field_refs)
            .await
            .map_err(reading(format!("CRM {module} by id")))
    }))
    .await?;
    for record in fetched
        .into_iter()
        .flatten()
        .filter_map(CrmRecord::from_value)
    {
        view.records.insert(record.id.clone(), record);
    }
    for id in wanted {
        if !view.records.contains_key(&id) {
            view.deleted.insert(id);
        }
    }
    Ok(view)
}
