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
use crate::graph::{
    DeltaFrom, DeltaOutcome, EventWindow, GraphApi, GraphItem, GraphUser, ItemKind,
};
use crate::live::observe::{ObserveError, reading};
use crate::zoho::CrmApi;
use crate::zoho::crm::{CrmUser, UserType, Variable};

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
    let contact_fields = contact_fields(desired, crm).await?;
    let mut observed = Observed365 {
        observed_at,
        state: state_read(&variables, &desired.owner),
        crm_users: users.iter().map(crm_user_ref).collect(),
        mailboxes: mailboxes.into_iter().map(mailbox_ref).collect(),
        profiles: profiles.into_iter().map(|p| (p.name, p.id)).collect(),
        roles: roles.into_iter().map(|r| (r.name, r.id)).collect(),
        crm: BTreeMap::new(),
        folders: Vec::new(),
        calendar_window: Some(calendar_window),
        contact_fields,
    };
    let wanted = wanted_folders(desired, &observed, calendar_window);
    observed.folders = observe_folders(graph, &observed.state, wanted).await?;
    for kind in SyncKind::ALL {
        let enabled: Vec<&FolderObservation> = observed
            .folders
            .iter()
            .filter(|f| f.key.kind == kind && desired.enabled(kind, &f.key.user))
            .collect();
        if enabled.is_empty() {
            continue;
        }
        let since = changes_since(desired, &observed.state, kind, &enabled);
        let view = read_crm(desired, crm, kind, since, &enabled).await?;
        observed.crm.insert(kind, view);
    }
    Ok(observed)
}

/// The org's Contacts fields, which the contact map is checked against before anything
/// syncs; `None` when no user's contacts sync.
async fn contact_fields<C: CrmApi>(
    desired: &Desired365,
    crm: &C,
) -> Result<Option<Vec<CrmFieldRef>>, ObserveError> {
    if desired.setting(SyncKind::Contacts).users.is_empty() {
        return Ok(None);
    }
    let fields = crm
        .fields(SyncKind::Contacts.crm_module())
        .await
        .map_err(reading("CRM Contacts fields"))?;
    Ok(Some(
        fields
            .into_iter()
            .map(|f| CrmFieldRef {
                api_name: f.api_name,
                data_type: f.data_type,
            })
            .collect(),
    ))
}

/// What the org variable holding the sync state says, for the integration `owner`.
fn state_read(variables: &[Variable], owner: &str) -> StateRead {
    let Some(variable) = variables.iter().find(|v| v.api_name == STATE_VARIABLE) else {
        return StateRead::Absent;
    };
    let variable_id = variable.id.clone();
    match SyncState::parse(variable.value.as_str().unwrap_or_default()) {
        Ok(state) if state.owner == owner => StateRead::Ours { variable_id, state },
        Ok(state) => StateRead::Foreign {
            variable_id,
            owner: state.owner,
        },
        Err(error) => StateRead::Unreadable {
            variable_id,
            error: error.to_string(),
        },
    }
}

fn crm_user_ref(user: &CrmUser) -> CrmUserRef {
    CrmUserRef {
        id: user.id.clone(),
        email: user.email.to_ascii_lowercase(),
        active: user.status.eq_ignore_ascii_case("active"),
    }
}

/// A tenant user's mailbox, known by its mail address (its sign-in name when it has none).
fn mailbox_ref(user: GraphUser) -> MailboxRef {
    MailboxRef {
        email: user
            .mail
            .clone()
            .unwrap_or_else(|| user.user_principal_name.clone())
            .to_ascii_lowercase(),
        id: user.id,
        display_name: user.display_name,
    }
}

/// The folders to look at: enabled ones whose user is paired, and saved ones turned off.
fn wanted_folders(
    desired: &Desired365,
    observed: &Observed365,
    calendar_window: EventWindow,
) -> Vec<FolderRef> {
    let folder = |key: FolderKey, crm_user_id: String, mailbox_id: String, enabled: bool| {
        let window = (key.kind == SyncKind::Calendar).then_some(calendar_window);
        FolderRef {
            key,
            crm_user_id,
            mailbox_id,
            enabled,
            window,
        }
    };
    let mut wanted = Vec::new();
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
                wanted.push(folder(key, crm_user.id.clone(), mailbox.id.clone(), true));
            }
        }
    }
    if let Some(state) = observed.state.state() {
        for (key, _) in state.folders() {
            if !desired.enabled(key.kind, &key.user) {
                let mailbox = observed.mailbox(&key.user).map(|m| m.id.clone());
                wanted.push(folder(
                    key,
                    String::new(),
                    mailbox.unwrap_or_default(),
                    false,
                ));
            }
        }
    }
    wanted
}

/// Observes the folders, [`FOLDERS_AT_ONCE`] at a time, in the order given.
async fn observe_folders<G: GraphApi>(
    graph: &G,
    state: &StateRead,
    wanted: Vec<FolderRef>,
) -> Result<Vec<FolderObservation>, ObserveError> {
    stream::iter(wanted)
        .map(|folder| {
            let prior = state.folder(&folder.key).cloned();
            async move { observe_folder(graph, folder, prior).await }
        })
        .buffered(FOLDERS_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Where the listing of one kind's CRM changes starts: `None` (everything) when some folder
/// needs a full comparison, otherwise a margin before the oldest watermark.
fn changes_since(
    desired: &Desired365,
    state: &StateRead,
    kind: SyncKind,
    enabled: &[&FolderObservation],
) -> Option<DateTime<Utc>> {
    let fingerprint = desired.setting(kind).mapping.fingerprint();
    let priors: Vec<Option<&FolderState>> = enabled.iter().map(|f| state.folder(&f.key)).collect();
    let needs_everything = enabled.iter().zip(&priors).any(|(f, prior)| {
        prior.is_none_or(|p| p.mapping != fingerprint)
            || match &f.feed {
                ChangeFeed::Restarted { .. } => true,
                ChangeFeed::Incremental { removed, .. } => *removed > 0,
            }
    });
    if needs_everything {
        return None;
    }
    priors
        .iter()
        .flatten()
        .map(|p| p.synced_through)
        .min()
        .map(|t| t - WATERMARK_MARGIN)
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

impl FolderRef {
    fn item_kind(&self) -> ItemKind {
        item_kind(self.key.kind)
    }

    /// Names a part of this folder in a reading error.
    fn what(&self, part: &str) -> String {
        format!("{part} of {} for {}", self.key.kind, self.key.user)
    }
}

/// Where a folder's change feed stands after its saved delta link was tried.
enum SavedFeed {
    /// The round since the saved link is in the observation.
    Read { folder_id: String },
    /// The feed starts over.
    Restart { folder_id: String, reason: String },
    /// The folder was deleted in Office 365.
    Gone,
}

async fn observe_folder<G: GraphApi>(
    graph: &G,
    folder: FolderRef,
    prior: Option<FolderState>,
) -> Result<FolderObservation, ObserveError> {
    let mut observation = FolderObservation {
        key: folder.key.clone(),
        crm_user_id: folder.crm_user_id.clone(),
        mailbox_id: folder.mailbox_id.clone(),
        folder_id: None,
        items: Vec::new(),
        feed: ChangeFeed::Restarted {
            reason: "the folder does not exist yet".into(),
        },
        next_delta_link: None,
    };
    if folder.mailbox_id.is_empty() {
        return Ok(observation);
    }
    // A saved folder is read straight away; only a missing one is looked up by name.
    let saved = prior.as_ref().filter(|_| folder.enabled);
    let folder_id = match saved {
        Some(p) => Some(p.folder_id.clone()),
        None => find_folder(graph, &folder).await?,
    };
    let Some(id) = folder_id else {
        return Ok(observation);
    };
    if !folder.enabled {
        observation.folder_id = Some(id);
        return Ok(observation);
    }
    let (id, restart_reason) =
        match read_saved_feed(graph, &folder, saved, id, &mut observation).await? {
            SavedFeed::Read { folder_id } => (folder_id, None),
            SavedFeed::Restart { folder_id, reason } => (folder_id, Some(reason)),
            SavedFeed::Gone => return Ok(observation),
        };
    observation.folder_id = Some(id.clone());
    if let Some(reason) = restart_reason {
        let from = folder.window.map_or(DeltaFrom::Start, DeltaFrom::Window);
        let kind = folder.item_kind();
        match graph
            .delta(&folder.mailbox_id, kind, &id, &from, DELTA_PAGE_SIZE)
            .await
            .map_err(reading(folder.what("changes")))?
        {
            DeltaOutcome::Round(round) => observation.next_delta_link = Some(round.delta_link),
            DeltaOutcome::Expired => {}
        }
        observation.feed = ChangeFeed::Restarted { reason };
    }
    observation.items = graph
        .items(
            &folder.mailbox_id,
            folder.item_kind(),
            &id,
            &[LINK_PROPERTY],
        )
        .await
        .map_err(reading(folder.what("items")))?
        .into_iter()
        .map(outlook_item)
        .collect();
    Ok(observation)
}

/// The folder's id, looked up by its name in the mailbox.
async fn find_folder<G: GraphApi>(
    graph: &G,
    folder: &FolderRef,
) -> Result<Option<String>, ObserveError> {
    let listed = graph
        .folders(&folder.mailbox_id, folder.item_kind())
        .await
        .map_err(reading(folder.what("mailbox folders")))?;
    Ok(listed
        .into_iter()
        .find(|f| f.name.eq_ignore_ascii_case(folder.key.kind.folder_name()))
        .map(|f| f.id))
}

/// Reads the changes since the folder's saved delta link into `observation`, or says why
/// the feed starts over: no saved link, a moved calendar window, an expired link, or a
/// folder replaced in Office 365 (whose new id it then carries).
async fn read_saved_feed<G: GraphApi>(
    graph: &G,
    folder: &FolderRef,
    saved: Option<&FolderState>,
    folder_id: String,
    observation: &mut FolderObservation,
) -> Result<SavedFeed, ObserveError> {
    let restart = |folder_id, reason: &str| {
        let reason = reason.to_string();
        Ok(SavedFeed::Restart { folder_id, reason })
    };
    let moved = folder
        .window
        .filter(|w| saved.is_some_and(|p| p.window != Some(*w)));
    let link = match (saved.and_then(|p| p.delta_link.clone()), moved) {
        (None, _) => return restart(folder_id, "no saved delta link for this folder"),
        // The saved link only ever reports the old window's events.
        (Some(_), Some(window)) => {
            return restart(folder_id, &format!("the calendar window moved to {window}"));
        }
        (Some(link), None) => link,
    };
    let outcome = graph
        .delta(
            &folder.mailbox_id,
            folder.item_kind(),
            &folder_id,
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
            Ok(SavedFeed::Read { folder_id })
        }
        Ok(DeltaOutcome::Expired) => restart(folder_id, "the saved delta link expired"),
        Err(e) if e.status() == Some(404) => match find_folder(graph, folder).await? {
            Some(found) => restart(found, "the saved folder was replaced"),
            None => {
                observation.feed = ChangeFeed::Restarted {
                    reason: "the folder was deleted in Office 365".into(),
                };
                Ok(SavedFeed::Gone)
            }
        },
        Err(e) => Err(reading(folder.what("changes"))(e)),
    }
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
