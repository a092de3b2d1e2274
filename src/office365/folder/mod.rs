//! Planning one user's folder: pairing CRM records with Outlook items through the link
//! property, deciding per pair which side changed (a conflict goes to the later
//! modification), and choosing what the first sync takes under its cap.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

mod changes;

use super::desired::KindSetting;
use super::mapping::Mapping;
use super::model::{CapReport, FolderAction, FolderPlan, ItemChange, SyncMode};
use super::observed::{ChangeFeed, CrmRecord, CrmView, FolderObservation, OutlookItem};
use super::state::{FolderState, InitialSync, SyncKind};
use super::window::{Scope, crm_time};
use crate::graph::EventWindow;

/// Listings of CRM changes start this long before the saved watermark: the machine's and
/// CRM's clocks may disagree, and reading a record twice costs nothing but a comparison.
pub const WATERMARK_MARGIN: Duration = Duration::minutes(5);

/// Where a record stands in the initial sync's order: events that have not ended first
/// (soonest first), then the most recently ended; contacts most recently modified first.
type OrderKey = (u8, i64, String);

fn order_key(kind: SyncKind, record: &CrmRecord, at: DateTime<Utc>) -> OrderKey {
    match kind {
        SyncKind::Calendar => {
            let start = crm_time(record, "Start_DateTime").unwrap_or(record.modified);
            let end = crm_time(record, "End_DateTime").unwrap_or(start);
            if end >= at {
                (0, start.timestamp(), record.id.clone())
            } else {
                (1, -end.timestamp(), record.id.clone())
            }
        }
        SyncKind::Contacts => (0, -record.modified.timestamp(), record.id.clone()),
    }
}

fn key_text(key: &OrderKey) -> String {
    format!("{}|{}|{}", key.0, key.1, key.2)
}

fn parse_key(text: &str) -> Option<OrderKey> {
    let mut parts = text.splitn(3, '|');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.to_string(),
    ))
}

/// Everything one folder's planning reads.
pub struct FolderInput<'a> {
    pub observation: &'a FolderObservation,
    pub setting: &'a KindSetting,
    pub crm: &'a CrmView,
    pub prior: Option<&'a FolderState>,
    pub observed_at: DateTime<Utc>,
    /// The calendar window this run syncs (calendars only).
    pub window: Option<EventWindow>,
}

/// One folder's planning: what it reads and the changes decided so far.
struct Planner<'a> {
    input: &'a FolderInput<'a>,
    kind: SyncKind,
    mapping: &'a Mapping,
    /// Events outside the window are left alone, whatever happened to them.
    scope: Scope,
    /// A record created or modified after the last successful run settled is new to the
    /// sync; one that is not, yet has no item, lost it in Outlook. (A run settles after its
    /// own writes, or at its start when someone else wrote the user's records meanwhile.)
    /// CRM keeps times to the second, so that second counts as after: recreating an item is
    /// safer than deleting a record. `None` on a first sync.
    settled: Option<DateTime<Utc>>,
    /// CRM records already paired with an Outlook item.
    claimed: HashSet<&'a str>,
    changes: Vec<ItemChange>,
}

/// Plans one enabled folder.
pub fn plan_folder(input: &FolderInput<'_>) -> FolderPlan {
    let observation = input.observation;
    let fingerprint = input.setting.mapping.fingerprint();
    // A folder deleted or replaced in Outlook starts over as a first sync: its missing items
    // say nothing about the CRM records.
    let prior = input
        .prior
        .filter(|p| observation.folder_id.as_deref() == Some(p.folder_id.as_str()));
    let mode = sync_mode(prior, &observation.feed, &fingerprint);
    let mut planner = Planner::new(input, prior);
    let (mine, excluded_by_tag) = planner.own_records();
    let unlinked = planner.pair_linked_items();
    planner.adopt_or_create_records(unlinked, &mine);
    let (capped, last_key) = match prior {
        None => planner.initial_sync(&mine),
        Some(prior) => {
            planner.catch_up(&mine, prior);
            (None, None)
        }
    };
    let next_state = FolderState {
        folder_id: observation.folder_id.clone().unwrap_or_default(),
        delta_link: observation.next_delta_link.clone(),
        synced_through: input.observed_at,
        // The executor sets when this run's writes were done.
        settled_at: input.observed_at,
        initial: prior.map(|p| p.initial.clone()).unwrap_or(InitialSync {
            at: input.observed_at,
            last_key,
        }),
        mapping: fingerprint,
        window: input.window,
    };
    let state_changes = prior != Some(&next_state);
    FolderPlan {
        kind: planner.kind,
        user: observation.key.user.clone(),
        folder_action: if observation.folder_id.is_some() {
            FolderAction::Keep
        } else {
            FolderAction::Create
        },
        folder_id: observation.folder_id.clone(),
        mode,
        changes: planner.changes,
        capped,
        excluded_by_tag,
        mailbox_id: observation.mailbox_id.clone(),
        crm_user_id: observation.crm_user_id.clone(),
        next_state: Some(next_state),
        state_changes,
    }
}

/// How much of the folder this run compares: everything on a first sync, after a change of
/// the field map or a restarted change feed; otherwise what changed.
fn sync_mode(prior: Option<&FolderState>, feed: &ChangeFeed, fingerprint: &str) -> SyncMode {
    match (prior, feed) {
        (None, _) => SyncMode::Initial,
        (Some(p), _) if p.mapping != fingerprint => SyncMode::Full {
            reason: "the field map changed".into(),
        },
        (Some(_), ChangeFeed::Restarted { reason }) => SyncMode::Full {
            reason: reason.clone(),
        },
        (Some(_), ChangeFeed::Incremental { removed, .. }) if *removed > 0 => SyncMode::Full {
            reason: format!("{removed} item(s) were removed in Office 365"),
        },
        (Some(_), ChangeFeed::Incremental { .. }) => SyncMode::Incremental,
    }
}

impl<'a> Planner<'a> {
    fn new(input: &'a FolderInput<'a>, prior: Option<&FolderState>) -> Planner<'a> {
        Planner {
            input,
            kind: input.observation.key.kind,
            mapping: &input.setting.mapping,
            scope: Scope {
                now: input.window,
                before: prior.and_then(|p| p.window),
            },
            settled: prior.map(|p| whole_second(p.settled_at) - Duration::nanoseconds(1)),
            claimed: HashSet::new(),
            changes: Vec::new(),
        }
    }

    fn user_id(&self) -> &'a str {
        self.input.observation.crm_user_id.as_str()
    }

    fn owned_by_user(&self, record: &CrmRecord) -> bool {
        record.owner_id.as_deref() == Some(self.user_id())
    }

    /// The user's live CRM records not excluded by a tag, by id; and how many a tag excluded.
    fn own_records(&self) -> (Vec<&'a CrmRecord>, usize) {
        let crm = self.input.crm;
        let mut excluded_by_tag = 0;
        let mut mine: Vec<&CrmRecord> = Vec::new();
        for record in crm.records.values() {
            if !self.owned_by_user(record) || crm.deleted.contains(&record.id) {
                continue;
            }
            if record
                .has_any_tag(&self.input.setting.exclude_tags)
                .is_some()
            {
                excluded_by_tag += 1;
            } else {
                mine.push(record);
            }
        }
        mine.sort_by(|a, b| a.id.cmp(&b.id));
        (mine, excluded_by_tag)
    }

    /// Pairs each linked Outlook item with its CRM record (a second item linked to the same
    /// record goes); returns the items without a link, by id.
    fn pair_linked_items(&mut self) -> Vec<&'a OutlookItem> {
        let mut linked: HashMap<&str, &OutlookItem> = HashMap::new();
        let mut unlinked: Vec<&OutlookItem> = Vec::new();
        let mut items: Vec<&OutlookItem> = self.input.observation.items.iter().collect();
        items.sort_by(|a, b| a.id.cmp(&b.id));
        for item in items {
            match &item.link {
                Some(link) => {
                    if let Some(first) = linked.get(link.crm_id.as_str()) {
                        self.delete_item(item, format!("duplicate of item {}", first.id));
                    } else {
                        linked.insert(&link.crm_id, item);
                    }
                }
                None => unlinked.push(item),
            }
        }
        let mut linked_sorted: Vec<(&str, &OutlookItem)> = linked.into_iter().collect();
        linked_sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (crm_id, item) in linked_sorted {
            self.pair(crm_id, item);
        }
        unlinked
    }

    /// One linked item and what became of its CRM record.
    fn pair(&mut self, crm_id: &'a str, item: &'a OutlookItem) {
        let link = item.link.as_ref().expect("linked items have a link");
        let crm = self.input.crm;
        let item_in = self.scope.item_in(item);
        if crm.deleted.contains(crm_id) {
            if item_in {
                self.delete_item(item, "deleted in CRM".into());
            }
            return;
        }
        match crm.records.get(crm_id) {
            // Outside the window, a record moved to another user leaves its item alone.
            Some(record) if !self.owned_by_user(record) && !item_in => {}
            Some(record) if !self.owned_by_user(record) => {
                self.delete_item(item, "now owned by another CRM user".into());
            }
            Some(record) => {
                let pair_in = item_in || self.scope.record_in(record);
                if let Some(tag) = record.has_any_tag(&self.input.setting.exclude_tags) {
                    if pair_in {
                        self.delete_item(item, format!("tagged {tag} in CRM"));
                    }
                } else {
                    self.claimed.insert(crm_id);
                    if pair_in {
                        self.compare(record, item, link);
                    }
                }
            }
            None if crm.complete && !item_in => {}
            None if crm.complete => {
                self.delete_item(item, "no longer in CRM".into());
            }
            // Unchanged in CRM since the last sync, and not changed in Outlook either (the
            // observer reads every record whose item changed).
            None => {}
        }
    }

    fn created_since(&self, record: &CrmRecord) -> bool {
        match self.settled {
            None => true,
            Some(settled) => record.created.is_none_or(|c| c > settled),
        }
    }

    fn modified_since(&self, record: &CrmRecord) -> bool {
        match self.settled {
            None => true,
            Some(settled) => record.modified > settled,
        }
    }

    /// Items made in Outlook. One whose record was already created by an interrupted run is
    /// recognised by its content among the records created since the watermark.
    fn adopt_or_create_records(&mut self, unlinked: Vec<&'a OutlookItem>, mine: &[&'a CrmRecord]) {
        let mut by_content: HashMap<Vec<Value>, Vec<&'a CrmRecord>> = HashMap::new();
        for record in mine.iter().filter(|_| !unlinked.is_empty()) {
            let is_new = self.created_since(record) || self.modified_since(record);
            if !self.claimed.contains(record.id.as_str()) && is_new {
                by_content
                    .entry(self.mapping.canonical_crm(&record.fields))
                    .or_default()
                    .push(record);
            }
        }
        let scope = self.scope;
        for item in unlinked.into_iter().filter(|i| scope.item_in(i)) {
            let values = self.mapping.canonical_graph(&item.properties);
            let adopted = by_content
                .get_mut(&values)
                .and_then(|records| (!records.is_empty()).then(|| records.remove(0)));
            match adopted {
                Some(record) => {
                    self.claimed.insert(record.id.as_str());
                    self.link_item(record, item, "matches a CRM record made for it earlier");
                }
                None => self.create_record(item),
            }
        }
    }

    /// A first sync: an item for each record in scope, in the initial order up to the
    /// kind's cap. Returns the cap report and the order key of the last record taken, when
    /// the cap left records out.
    fn initial_sync(&mut self, mine: &[&'a CrmRecord]) -> (Option<CapReport>, Option<String>) {
        let at = self.input.observed_at;
        let mut ordered: Vec<(OrderKey, &CrmRecord)> = mine
            .iter()
            .filter(|r| self.scope.record_in(r))
            .map(|r| (order_key(self.kind, r, at), *r))
            .collect();
        ordered.sort_by(|a, b| a.0.cmp(&b.0));
        let cap = self.kind.initial_cap();
        let mut capped = None;
        let mut last_key = None;
        if ordered.len() > cap {
            capped = Some(CapReport {
                eligible: ordered.len(),
                cap,
            });
            last_key = Some(key_text(&ordered[cap - 1].0));
        }
        for (_, record) in ordered.into_iter().take(cap) {
            if !self.claimed.contains(record.id.as_str()) {
                self.create_item(record, "initial sync");
            }
        }
        (capped, last_key)
    }

    /// A later sync: each unpaired record in scope gets an item, unless its item was
    /// deleted in Outlook since it was synced, when the record goes.
    fn catch_up(&mut self, mine: &[&'a CrmRecord], prior: &FolderState) {
        for record in mine {
            if self.claimed.contains(record.id.as_str()) || !self.scope.record_in(record) {
                continue;
            }
            if self.created_since(record) {
                self.create_item(record, "new in CRM");
            } else if self.modified_since(record) {
                self.create_item(record, "changed in CRM and missing in Office 365");
            } else if !self.scope.record_was_in(record) {
                self.create_item(record, "entered the calendar window");
            } else if self.input.crm.complete && was_synced(self.kind, record, &prior.initial) {
                self.delete_record(record);
            }
        }
    }
}

fn whole_second(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(at.timestamp(), 0).unwrap_or(at)
}

/// Whether a record unchanged since the first sync was taken by it (rather than left out by
/// the cap), so that its missing item means the user deleted it in Outlook.
fn was_synced(kind: SyncKind, record: &CrmRecord, initial: &InitialSync) -> bool {
    if record.created.is_none_or(|c| c > initial.at) || record.modified > initial.at {
        return true;
    }
    match initial.last_key.as_deref().map(parse_key) {
        None => true,
        Some(None) => false,
        Some(Some(last)) => order_key(kind, record, initial.at) <= last,
    }
}

/// Plans a folder whose sync is turned off: the folder goes from Office 365, CRM is untouched.
pub fn plan_disabled(
    key: &super::state::FolderKey,
    prior: &FolderState,
    folder_exists: bool,
    mailbox_id: String,
) -> FolderPlan {
    FolderPlan {
        kind: key.kind,
        user: key.user.clone(),
        folder_action: if folder_exists {
            FolderAction::Delete
        } else {
            FolderAction::Forget
        },
        folder_id: Some(prior.folder_id.clone()),
        mode: SyncMode::Off,
        changes: Vec::new(),
        capped: None,
        excluded_by_tag: 0,
        mailbox_id,
        crm_user_id: String::new(),
        next_state: None,
        state_changes: true,
    }
}
