//! Carrying out an Office 365 plan: invites one per request, then per folder the folder
//! itself and its Outlook writes, then the CRM writes of every folder batched together, then
//! the link of each Outlook item whose record was written, and last the saved state — only
//! for folders whose every change succeeded, so a later run redoes exactly what failed.
//! `crm.rs` holds the CRM writes and links, `sync_state.rs` the state saved at the end; every
//! operation is recorded in the journal when the caller keeps one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream;
use serde_json::Value;

mod crm;
mod sync_state;

use self::crm::crm_phase;
use self::sync_state::{next_sync_state, save_new_state};
use super::model::{FolderAction, FolderPlan, ItemChange, SyncPlan, Work};
use super::observe::{DELTA_PAGE_SIZE, item_kind};
use super::observed::Observed365;
use super::state::{ItemLink, LINK_PROPERTY, SyncKind};
use crate::engine::journal::Journal;
use crate::graph::{DeltaFrom, DeltaOutcome, GraphApi, GraphError, GraphItem};
use crate::zoho::CrmApi;
use crate::zoho::crm::NewUser;

/// Folders written at once.
const FOLDERS_AT_ONCE: usize = 8;
/// Outlook writes at once within one mailbox (Outlook allows four concurrent requests).
const WRITES_PER_MAILBOX: usize = 4;
/// Records per CRM write (Zoho's limit).
const RECORDS_PER_WRITE: usize = 100;

/// One change that failed, named for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub what: String,
    pub error: String,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct Applied365 {
    pub invites: usize,
    pub folders: usize,
    pub items: usize,
    pub failures: Vec<Failure>,
    /// The saved state was written (or there was nothing new to save).
    pub state_saved: bool,
}

/// Who to tell about progress: called with (changes done, changes planned).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Everything the executor needs besides the plan.
pub struct ApplyContext<'a> {
    /// What the plan was made from: the saved state the new one is written over, and the
    /// profile and role ids invites need.
    pub observed: &'a Observed365,
    pub progress: Progress<'a>,
    /// Where each operation is recorded as soon as it is done, when the caller keeps one.
    pub journal: Option<&'a Journal>,
}

/// Counts operations for the progress report and records them in the journal.
struct Counter<'a> {
    done: AtomicUsize,
    total: usize,
    progress: Progress<'a>,
    journal: Option<&'a Journal>,
}

impl Counter<'_> {
    fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        (self.progress)(done, self.total);
    }

    /// Records the outcome of the operation `what` (`detail` is what resuming needs).
    fn record<T>(&self, what: &str, outcome: &Result<T, impl std::fmt::Display>, detail: Value) {
        if let Some(journal) = self.journal {
            match outcome {
                Ok(_) => journal.done(what, detail),
                Err(e) => journal.failed(what, &e.to_string()),
            }
        }
    }
}

/// The outcome of one folder's apply.
#[derive(Default)]
struct FolderRun {
    folder_id: Option<String>,
    /// Where the folder's delta feed stands: the observed link, or the one started when the
    /// folder was made; moved past this run's own writes at the end.
    delta_link: Option<String>,
    failures: Vec<Failure>,
    items: usize,
    folder_written: bool,
    /// Outlook items this run wrote, with the modification time Graph gave each write.
    wrote: HashMap<String, Option<DateTime<Utc>>>,
    deleted: HashSet<String>,
    /// The latest `Modified_Time` of this run's CRM writes (CRM's clock).
    crm_latest: Option<DateTime<Utc>>,
    /// CRM records this run created or updated.
    crm_written: HashSet<String>,
}

impl FolderRun {
    fn wrote_item(&mut self, item: &GraphItem) {
        self.wrote.insert(item.id.clone(), item.last_modified);
    }
}

fn describe(folder: &FolderPlan, change: &ItemChange) -> String {
    let mut text = format!(
        "{} {}: {} {} \"{}\"",
        folder.kind,
        folder.user,
        change.target.label(),
        change.action.label(),
        change.title
    );
    if let Some(id) = &change.crm_id {
        text.push_str(&format!(" (crm {id})"));
    }
    text
}

fn link_map(link: &ItemLink) -> BTreeMap<String, String> {
    BTreeMap::from([(LINK_PROPERTY.to_string(), link.to_value())])
}

/// Applies `plan`. Never stops at the first failure: independent changes go on, and the
/// report lists what failed.
pub async fn apply<C: CrmApi, G: GraphApi>(
    plan: &SyncPlan,
    context: &ApplyContext<'_>,
    crm: &C,
    graph: &G,
) -> Applied365 {
    let mut applied = Applied365::default();
    let counter = Counter {
        done: AtomicUsize::new(0),
        total: plan.change_count(),
        progress: context.progress,
        journal: context.journal,
    };
    invite_all(plan, context.observed, crm, &counter, &mut applied).await;

    // Streams run over indices, not references: closures taking references make the
    // future impossible to prove `Send` (rust-lang/rust#102211), which a caller spawning
    // the apply on a multi-threaded runtime needs.
    let mut runs: Vec<FolderRun> = stream::iter(0..plan.folders.len())
        .map(|index| outlook_phase(&plan.folders[index], graph, &counter))
        .buffered(FOLDERS_AT_ONCE)
        .collect()
        .await;
    crm_phase(plan, &mut runs, crm, graph, &counter).await;
    // Built in a loop, not a closure, so the future stays `Send` (see above); the client
    // bounds how many run at once.
    let mut closing = Vec::with_capacity(runs.len());
    for (folder, run) in plan.folders.iter().zip(runs.iter_mut()) {
        closing.push(close_delta_round(folder, run, graph));
    }
    futures::future::join_all(closing).await;

    let prior = context.observed.state.state();
    let state = next_sync_state(plan, prior, &mut runs, crm, &mut applied).await;
    applied.state_saved =
        prior == Some(&state) || save_new_state(plan, &state, crm, &counter, &mut applied).await;
    applied
}

/// Invites the plan's users, one request each; a failure is reported and the rest go on.
async fn invite_all<C: CrmApi>(
    plan: &SyncPlan,
    observed: &Observed365,
    crm: &C,
    counter: &Counter<'_>,
    applied: &mut Applied365,
) {
    for invite in &plan.invites {
        let what = format!("invite {}", invite.email);
        let ids = (
            Observed365::id_by_name(&observed.profiles, &invite.profile),
            Observed365::id_by_name(&observed.roles, &invite.role),
        );
        let (Some(profile_id), Some(role_id)) = ids else {
            applied.failures.push(Failure {
                what,
                error: "the profile or role is gone from CRM".into(),
            });
            continue;
        };
        let user = NewUser {
            first_name: invite.first_name.clone(),
            last_name: invite.last_name.clone(),
            email: invite.email.clone(),
            role_id: role_id.to_string(),
            profile_id: profile_id.to_string(),
        };
        let result = super::invites::invite(crm, &user).await;
        counter.record(&what, &result, Value::Null);
        match result {
            Ok(()) => applied.invites += 1,
            Err(error) => applied.failures.push(Failure {
                what,
                error: error.to_string(),
            }),
        }
        counter.tick();
    }
}

/// The folder itself, then its Outlook writes.
async fn outlook_phase<G: GraphApi>(
    folder: &FolderPlan,
    graph: &G,
    counter: &Counter<'_>,
) -> FolderRun {
    let mut run = FolderRun {
        folder_id: folder.folder_id.clone(),
        delta_link: folder
            .next_state
            .as_ref()
            .and_then(|s| s.delta_link.clone()),
        ..FolderRun::default()
    };
    if !folder_phase(folder, graph, counter, &mut run).await {
        return run;
    }
    let kind = item_kind(folder.kind);
    let mailbox = folder.mailbox_id.as_str();
    let fail = |what: String, e: GraphError| Failure {
        what,
        error: e.to_string(),
    };
    let folder_id = run.folder_id.clone().unwrap_or_default();
    let outlook_changes: Vec<usize> = (0..folder.changes.len())
        .filter(|&i| {
            matches!(
                folder.changes[i].work,
                Work::CreateItem { .. } | Work::PatchItem { .. } | Work::DeleteItem
            )
        })
        .collect();
    let outcomes: Vec<Result<Wrote, Failure>> = stream::iter(outlook_changes)
        .map(|i| {
            let change = &folder.changes[i];
            let folder_id = folder_id.clone();
            async move {
                let item = change.item_id.as_deref().unwrap_or_default();
                let result = match &change.work {
                    Work::CreateItem { body, link } => graph
                        .create_item(mailbox, kind, &folder_id, body, &link_map(link))
                        .await
                        .map(Wrote::Item),
                    Work::PatchItem { patch, link } => graph
                        .update_item(mailbox, kind, item, patch, &link_map(link))
                        .await
                        .map(Wrote::Item),
                    _ => graph
                        .delete_item(mailbox, kind, item)
                        .await
                        .map(|()| Wrote::Deleted(item.to_string())),
                };
                let what = describe(folder, change);
                counter.record(&what, &result, Value::Null);
                counter.tick();
                result.map_err(|e| fail(what, e))
            }
        })
        .buffer_unordered(WRITES_PER_MAILBOX)
        .collect()
        .await;
    for outcome in outcomes {
        match outcome {
            Ok(wrote) => {
                run.items += 1;
                match wrote {
                    Wrote::Item(item) => run.wrote_item(&item),
                    Wrote::Deleted(id) => {
                        run.deleted.insert(id);
                    }
                }
            }
            Err(failure) => run.failures.push(failure),
        }
    }
    run
}

/// The folder itself: created, deleted or forgotten as planned. Whether its item writes go
/// on (not once the folder is deleted, or could not be made).
async fn folder_phase<G: GraphApi>(
    folder: &FolderPlan,
    graph: &G,
    counter: &Counter<'_>,
    run: &mut FolderRun,
) -> bool {
    let kind = item_kind(folder.kind);
    let mailbox = folder.mailbox_id.as_str();
    let fail = |what: String, e: GraphError| Failure {
        what,
        error: e.to_string(),
    };
    let what = |verb: &str| {
        let (kind, user, name) = (folder.kind, &folder.user, folder.kind.folder_name());
        format!("{kind} {user}: {verb} folder \"{name}\"")
    };
    match folder.folder_action {
        FolderAction::Keep => {}
        FolderAction::Forget => {
            run.folder_written = true;
            counter.tick();
        }
        FolderAction::Delete => {
            let id = folder.folder_id.clone().unwrap_or_default();
            let what = what("delete");
            let result = graph.delete_folder(mailbox, kind, &id).await;
            counter.record(&what, &result, Value::Null);
            match result {
                Ok(()) => run.folder_written = true,
                Err(e) => run.failures.push(fail(what, e)),
            }
            counter.tick();
            return false;
        }
        FolderAction::Create => {
            let what = what("create");
            let window = folder.next_state.as_ref().and_then(|s| s.window);
            let result = create_folder(folder.kind, mailbox, window, graph).await;
            counter.record(&what, &result, Value::Null);
            match result {
                Ok((id, link)) => {
                    run.folder_id = Some(id);
                    run.delta_link = link;
                    run.folder_written = true;
                }
                Err(e) => {
                    // Without the folder none of its items can be written.
                    run.failures.push(fail(what, e));
                    return false;
                }
            }
            counter.tick();
        }
    }
    true
}

/// What one Outlook write did.
enum Wrote {
    Item(GraphItem),
    Deleted(String),
}

/// Moves the folder's delta feed past this run's own writes, so the next run's changes are
/// other people's only. When the round shows anything this run did not write (someone
/// changed the folder meanwhile), the feed stays where it was and the next run sees it all.
async fn close_delta_round<G: GraphApi>(folder: &FolderPlan, run: &mut FolderRun, graph: &G) {
    let (Some(folder_id), Some(link)) = (&run.folder_id, &run.delta_link) else {
        return;
    };
    if run.wrote.is_empty() && run.deleted.is_empty() {
        return;
    }
    let kind = item_kind(folder.kind);
    let round = graph
        .delta(
            &folder.mailbox_id,
            kind,
            folder_id,
            &DeltaFrom::Link(link.clone()),
            DELTA_PAGE_SIZE,
        )
        .await;
    let Ok(DeltaOutcome::Round(round)) = round else {
        return;
    };
    let ours = round.changed.iter().all(|item| {
        run.wrote
            .get(&item.id)
            .is_some_and(|written| match (written, item.last_modified) {
                (Some(written), Some(seen)) => seen <= *written,
                _ => true,
            })
    }) && round.removed.iter().all(|id| run.deleted.contains(id));
    if ours {
        run.delta_link = Some(round.delta_link);
    }
}

/// Creates the folder (or finds the one an interrupted run made) and starts its delta feed
/// while it is still empty, so the next run sees every later change.
async fn create_folder<G: GraphApi>(
    kind: SyncKind,
    mailbox: &str,
    window: Option<crate::graph::EventWindow>,
    graph: &G,
) -> Result<(String, Option<String>), GraphError> {
    let graph_kind = item_kind(kind);
    let id = match graph
        .create_folder(mailbox, graph_kind, kind.folder_name())
        .await
    {
        Ok(folder) => folder.id,
        Err(e) if e.status() == Some(409) => graph
            .folders(mailbox, graph_kind)
            .await?
            .into_iter()
            .find(|f| f.name.eq_ignore_ascii_case(kind.folder_name()))
            .map(|f| f.id)
            .ok_or(e)?,
        Err(e) => return Err(e),
    };
    let link = match graph
        .delta(
            mailbox,
            graph_kind,
            &id,
            &window.map_or(DeltaFrom::Start, DeltaFrom::Window),
            DELTA_PAGE_SIZE,
        )
        .await?
    {
        DeltaOutcome::Round(round) => Some(round.delta_link),
        DeltaOutcome::Expired => None,
    };
    Ok((id, link))
}
