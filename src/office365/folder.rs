//! Planning one user's folder: pairing CRM records with Outlook items through the link
//! property, deciding per pair which side changed (a conflict goes to the later
//! modification), and choosing what the first sync takes under its cap.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use super::desired::KindSetting;
use super::mapping::{Mapping, parse_crm_datetime};
use super::model::{
    CapReport, Conflict, FolderAction, FolderPlan, ItemAction, ItemChange, SyncMode, Target, Work,
};
use super::observed::{ChangeFeed, CrmRecord, CrmView, FolderObservation, OutlookItem};
use super::state::{FolderState, InitialSync, ItemLink, SyncKind};
use super::window::Scope;
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
            let time = |name: &str| {
                record
                    .fields
                    .get(name)
                    .and_then(Value::as_str)
                    .and_then(parse_crm_datetime)
            };
            let start = time("Start_DateTime").unwrap_or(record.modified);
            let end = time("End_DateTime").unwrap_or(start);
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

struct Planner<'a> {
    input: &'a FolderInput<'a>,
    kind: SyncKind,
    mapping: &'a Mapping,
    changes: Vec<ItemChange>,
}

/// Plans one enabled folder.
pub fn plan_folder(input: &FolderInput<'_>) -> FolderPlan {
    let observation = input.observation;
    let kind = observation.key.kind;
    let mut planner = Planner {
        input,
        kind,
        mapping: &input.setting.mapping,
        changes: Vec::new(),
    };
    let fingerprint = input.setting.mapping.fingerprint();
    // A folder deleted or replaced in Outlook starts over as a first sync: its missing items
    // say nothing about the CRM records.
    let prior = input
        .prior
        .filter(|p| observation.folder_id.as_deref() == Some(p.folder_id.as_str()));
    let mode = match (prior, &observation.feed) {
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
    };
    // A record created or modified after the last successful run settled is new to the
    // sync; one that is not, yet has no item, lost it in Outlook. (A run settles after its
    // own writes, or at its start when someone else wrote the user's records meanwhile.)
    // CRM keeps times to the second, so that second counts as after: recreating an item is
    // safer than deleting a record.
    let settled = prior.map(|p| whole_second(p.settled_at) - Duration::nanoseconds(1));
    // Events outside the window are left alone, whatever happened to them.
    let scope = Scope {
        now: input.window,
        before: prior.and_then(|p| p.window),
    };
    let user_id = observation.crm_user_id.as_str();
    let excluded_tags = &input.setting.exclude_tags;

    let mut excluded_by_tag = 0;
    let mut mine: Vec<&CrmRecord> = Vec::new();
    for record in input.crm.records.values() {
        if record.owner_id.as_deref() != Some(user_id) || input.crm.deleted.contains(&record.id) {
            continue;
        }
        if record.has_any_tag(excluded_tags).is_some() {
            excluded_by_tag += 1;
        } else {
            mine.push(record);
        }
    }
    mine.sort_by(|a, b| a.id.cmp(&b.id));

    let mut claimed: HashSet<&str> = HashSet::new();
    let mut linked: HashMap<&str, &OutlookItem> = HashMap::new();
    let mut unlinked: Vec<&OutlookItem> = Vec::new();
    let mut items: Vec<&OutlookItem> = observation.items.iter().collect();
    items.sort_by(|a, b| a.id.cmp(&b.id));
    for item in items {
        match &item.link {
            Some(link) => {
                if let Some(first) = linked.get(link.crm_id.as_str()) {
                    planner.delete_item(item, format!("duplicate of item {}", first.id));
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
        let link = item.link.as_ref().expect("linked items have a link");
        let item_in = scope.item_in(item);
        if input.crm.deleted.contains(crm_id) {
            if item_in {
                planner.delete_item(item, "deleted in CRM".into());
            }
            continue;
        }
        match input.crm.records.get(crm_id) {
            // Outside the window, a record moved to another user leaves its item alone.
            Some(record) if record.owner_id.as_deref() != Some(user_id) && !item_in => {}
            Some(record) if record.owner_id.as_deref() != Some(user_id) => {
                planner.delete_item(item, "now owned by another CRM user".into());
            }
            Some(record) => {
                let pair_in = item_in || scope.record_in(record);
                if let Some(tag) = record.has_any_tag(excluded_tags) {
                    if pair_in {
                        planner.delete_item(item, format!("tagged {tag} in CRM"));
                    }
                } else {
                    claimed.insert(crm_id);
                    if pair_in {
                        planner.compare(record, item, link);
                    }
                }
            }
            None if input.crm.complete && !item_in => {}
            None if input.crm.complete => {
                planner.delete_item(item, "no longer in CRM".into());
            }
            // Unchanged in CRM since the last sync, and not changed in Outlook either (the
            // observer reads every record whose item changed).
            None => {}
        }
    }

    // Items made in Outlook. One whose record was already created by an interrupted run is
    // recognised by its content among the records created since the watermark.
    let created_since = |record: &CrmRecord| match settled {
        None => true,
        Some(settled) => record.created.is_none_or(|c| c > settled),
    };
    let modified_since = |record: &CrmRecord| match settled {
        None => true,
        Some(settled) => record.modified > settled,
    };
    let is_new = |record: &CrmRecord| created_since(record) || modified_since(record);
    let mut by_content: HashMap<Vec<Value>, Vec<&CrmRecord>> = HashMap::new();
    for record in mine.iter().filter(|_| !unlinked.is_empty()) {
        if !claimed.contains(record.id.as_str()) && is_new(record) {
            by_content
                .entry(planner.mapping.canonical_crm(&record.fields))
                .or_default()
                .push(record);
        }
    }
    for item in unlinked.into_iter().filter(|i| scope.item_in(i)) {
        let values = planner.mapping.canonical_graph(&item.properties);
        let adopted = by_content
            .get_mut(&values)
            .and_then(|records| (!records.is_empty()).then(|| records.remove(0)));
        match adopted {
            Some(record) => {
                claimed.insert(record.id.as_str());
                planner.link_item(record, item, "matches a CRM record made for it earlier");
            }
            None => planner.create_record(item),
        }
    }

    let mut capped = None;
    let mut last_key = None;
    match prior {
        None => {
            let mut ordered: Vec<(OrderKey, &CrmRecord)> = mine
                .iter()
                .filter(|r| scope.record_in(r))
                .map(|r| (order_key(kind, r, input.observed_at), *r))
                .collect();
            ordered.sort_by(|a, b| a.0.cmp(&b.0));
            let cap = kind.initial_cap();
            if ordered.len() > cap {
                capped = Some(CapReport {
                    eligible: ordered.len(),
                    cap,
                });
                last_key = Some(key_text(&ordered[cap - 1].0));
            }
            for (_, record) in ordered.into_iter().take(cap) {
                if !claimed.contains(record.id.as_str()) {
                    planner.create_item(record, "initial sync");
                }
            }
        }
        Some(prior) => {
            for record in &mine {
                if claimed.contains(record.id.as_str()) || !scope.record_in(record) {
                    continue;
                }
                if created_since(record) {
                    planner.create_item(record, "new in CRM");
                } else if modified_since(record) {
                    planner.create_item(record, "changed in CRM and missing in Office 365");
                } else if !scope.record_was_in(record) {
                    planner.create_item(record, "entered the calendar window");
                } else if input.crm.complete && was_synced(kind, record, &prior.initial) {
                    planner.delete_record(record);
                }
            }
        }
    }

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
        kind,
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

impl Planner<'_> {
    fn title(&self, record: Option<&CrmRecord>, item: Option<&OutlookItem>) -> String {
        let pick = |crm: &[&str], graph: &[&str]| -> String {
            let from_crm = record.map(|r| {
                crm.iter()
                    .filter_map(|f| r.fields.get(*f).and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            let from_graph = item.map(|i| {
                graph
                    .iter()
                    .filter_map(|f| i.properties.get(*f).and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            from_crm
                .filter(|s| !s.trim().is_empty())
                .or(from_graph.filter(|s| !s.trim().is_empty()))
                .unwrap_or_else(|| "(untitled)".into())
        };
        match self.kind {
            SyncKind::Calendar => pick(&["Event_Title"], &["subject"]),
            SyncKind::Contacts => pick(&["First_Name", "Last_Name"], &["givenName", "surname"]),
        }
    }

    fn push(&mut self, change: ItemChange) {
        self.changes.push(change);
    }

    fn delete_item(&mut self, item: &OutlookItem, reason: String) {
        self.push(ItemChange {
            target: Target::Office365,
            action: ItemAction::Delete,
            crm_id: item.link.as_ref().map(|l| l.crm_id.clone()),
            item_id: Some(item.id.clone()),
            title: self.title(None, Some(item)),
            fields: Vec::new(),
            reason,
            conflict: None,
            work: Work::DeleteItem,
        });
    }

    fn create_item(&mut self, record: &CrmRecord, reason: &str) {
        let values = self.mapping.canonical_crm(&record.fields);
        self.push(ItemChange {
            target: Target::Office365,
            action: ItemAction::Create,
            crm_id: Some(record.id.clone()),
            item_id: None,
            title: self.title(Some(record), None),
            fields: Vec::new(),
            reason: reason.into(),
            conflict: None,
            work: Work::CreateItem {
                body: self.mapping.graph_body(&values),
                link: link_to(record),
            },
        });
    }

    fn link_item(&mut self, record: &CrmRecord, item: &OutlookItem, reason: &str) {
        self.push(ItemChange {
            target: Target::Office365,
            action: ItemAction::Link,
            crm_id: Some(record.id.clone()),
            item_id: Some(item.id.clone()),
            title: self.title(Some(record), Some(item)),
            fields: Vec::new(),
            reason: reason.into(),
            conflict: None,
            work: Work::PatchItem {
                patch: Map::new(),
                link: link_to(record),
            },
        });
    }

    fn create_record(&mut self, item: &OutlookItem) {
        let values = self.mapping.canonical_graph(&item.properties);
        let all: Vec<usize> = (0..self.mapping.rules.len()).collect();
        self.push(ItemChange {
            target: Target::Crm,
            action: ItemAction::Create,
            crm_id: None,
            item_id: Some(item.id.clone()),
            title: self.title(None, Some(item)),
            fields: Vec::new(),
            reason: "new in Office 365".into(),
            conflict: None,
            work: Work::CreateRecord {
                values: self
                    .mapping
                    .crm_values(&values, &all, self.kind.required_crm_fields()),
            },
        });
    }

    fn delete_record(&mut self, record: &CrmRecord) {
        self.push(ItemChange {
            target: Target::Crm,
            action: ItemAction::Delete,
            crm_id: Some(record.id.clone()),
            item_id: None,
            title: self.title(Some(record), None),
            fields: Vec::new(),
            reason: "deleted in Office 365".into(),
            conflict: None,
            work: Work::DeleteRecord,
        });
    }

    /// A linked pair: equal → nothing (or a link refresh); otherwise the side that changed
    /// since the last sync wins, the later modification when both did.
    fn compare(&mut self, record: &CrmRecord, item: &OutlookItem, link: &ItemLink) {
        let mapping = self.mapping;
        let crm_values = mapping.canonical_crm(&record.fields);
        let graph_values = mapping.canonical_graph(&item.properties);
        let differing: Vec<usize> = (0..mapping.rules.len())
            .filter(|&i| crm_values[i] != graph_values[i])
            .collect();
        let crm_changed = record.modified > link.crm_modified;
        if differing.is_empty() {
            if record.modified != link.crm_modified {
                self.link_item(record, item, "CRM record changed outside the synced fields");
            }
            return;
        }
        // An item modified after observation began changed after the delta round too.
        let changed_since_round = item
            .last_modified
            .is_some_and(|m| m > self.input.observed_at);
        let graph_changed = match &self.input.observation.feed {
            ChangeFeed::Incremental { changed, .. } => {
                changed.contains(&item.id) || changed_since_round
            }
            ChangeFeed::Restarted { .. } => {
                !crm_changed || item.last_modified.is_some_and(|m| m > record.modified)
            }
        };
        let (winner, conflict, reason) = match (crm_changed, graph_changed) {
            (true, true) => {
                let winner = if item.last_modified.is_some_and(|m| m > record.modified) {
                    Target::Crm
                } else {
                    Target::Office365
                };
                let conflict = Conflict {
                    crm_modified: record.modified,
                    office365_modified: item.last_modified,
                    winner: winner.other(),
                };
                let reason = match winner {
                    Target::Crm => "changed on both sides; Office 365's change is later",
                    Target::Office365 => "changed on both sides; CRM's change is later",
                };
                (winner, Some(conflict), reason)
            }
            (true, false) => (Target::Office365, None, "changed in CRM"),
            (false, true) => (Target::Crm, None, "changed in Office 365"),
            (false, false) => (
                Target::Office365,
                None,
                "differs from CRM though neither side changed since the last sync",
            ),
        };
        let rules = &mapping.rules;
        let (to_graph, to_crm): (Vec<usize>, Vec<usize>) = match winner {
            // CRM's values go out; fields that only flow into CRM come back.
            Target::Office365 => differing
                .iter()
                .partition(|&&i| rules[i].direction.writes_office365()),
            // Office 365's values come in; fields that only flow out are put back.
            Target::Crm => {
                let (to_crm, to_graph): (Vec<usize>, Vec<usize>) = differing
                    .iter()
                    .partition(|&&i| rules[i].direction.writes_crm());
                (to_graph, to_crm)
            }
        };
        let mut merged = graph_values.clone();
        for &i in &to_graph {
            merged[i] = crm_values[i].clone();
        }
        let item_patch = mapping.graph_patch(&item.properties, &merged, &to_graph);
        let fields = differing
            .iter()
            .map(|&i| rules[i].crm_field.clone())
            .collect();
        let title = self.title(Some(record), Some(item));
        let change = if to_crm.is_empty() {
            ItemChange {
                target: Target::Office365,
                action: ItemAction::Update,
                crm_id: Some(record.id.clone()),
                item_id: Some(item.id.clone()),
                title,
                fields,
                reason: reason.into(),
                conflict,
                work: Work::PatchItem {
                    patch: item_patch,
                    link: link_to(record),
                },
            }
        } else {
            ItemChange {
                target: Target::Crm,
                action: ItemAction::Update,
                crm_id: Some(record.id.clone()),
                item_id: Some(item.id.clone()),
                title,
                fields,
                reason: reason.into(),
                conflict,
                work: Work::UpdateRecord {
                    values: mapping.crm_values(
                        &graph_values,
                        &to_crm,
                        self.kind.required_crm_fields(),
                    ),
                    item_patch,
                },
            }
        };
        self.push(change);
    }
}

fn link_to(record: &CrmRecord) -> ItemLink {
    ItemLink {
        crm_id: record.id.clone(),
        crm_modified: record.modified,
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
