//! The item changes one folder's plan is made of: each kind of change built with its title
//! and reason, and the comparison of a linked pair that decides which side an update writes.

use serde_json::{Map, Value};

use super::Planner;
use crate::office365::model::{Conflict, ItemAction, ItemChange, Target, Work};
use crate::office365::observed::{ChangeFeed, CrmRecord, OutlookItem};
use crate::office365::state::{ItemLink, SyncKind};

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

    pub(super) fn delete_item(&mut self, item: &OutlookItem, reason: String) {
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

    pub(super) fn create_item(&mut self, record: &CrmRecord, reason: &str) {
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

    pub(super) fn link_item(&mut self, record: &CrmRecord, item: &OutlookItem, reason: &str) {
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

    pub(super) fn create_record(&mut self, item: &OutlookItem) {
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

    pub(super) fn delete_record(&mut self, record: &CrmRecord) {
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
    pub(super) fn compare(&mut self, record: &CrmRecord, item: &OutlookItem, link: &ItemLink) {
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
        let graph_changed = self.graph_changed(record, item, crm_changed);
        let (winner, conflict, reason) = decide(record, item, crm_changed, graph_changed);
        let (to_graph, to_crm) = self.split_by_direction(&differing, winner);
        let mut merged = graph_values.clone();
        for &i in &to_graph {
            merged[i] = crm_values[i].clone();
        }
        let item_patch = mapping.graph_patch(&item.properties, &merged, &to_graph);
        let (target, work) = if to_crm.is_empty() {
            let link = link_to(record);
            (
                Target::Office365,
                Work::PatchItem {
                    patch: item_patch,
                    link,
                },
            )
        } else {
            let required = self.kind.required_crm_fields();
            let values = mapping.crm_values(&graph_values, &to_crm, required);
            (Target::Crm, Work::UpdateRecord { values, item_patch })
        };
        self.push(ItemChange {
            target,
            action: ItemAction::Update,
            crm_id: Some(record.id.clone()),
            item_id: Some(item.id.clone()),
            title: self.title(Some(record), Some(item)),
            fields: differing
                .iter()
                .map(|&i| mapping.rules[i].crm_field.clone())
                .collect(),
            reason: reason.into(),
            conflict,
            work,
        });
    }

    /// Whether the item changed in Outlook since the last sync.
    fn graph_changed(&self, record: &CrmRecord, item: &OutlookItem, crm_changed: bool) -> bool {
        // An item modified after observation began changed after the delta round too.
        let changed_since_round = item
            .last_modified
            .is_some_and(|m| m > self.input.observed_at);
        match &self.input.observation.feed {
            ChangeFeed::Incremental { changed, .. } => {
                changed.contains(&item.id) || changed_since_round
            }
            ChangeFeed::Restarted { .. } => {
                !crm_changed || item.last_modified.is_some_and(|m| m > record.modified)
            }
        }
    }

    /// The differing rules split into those written to Office 365 and those written to CRM:
    /// the winner's values go to the other side, and a field that only flows towards the
    /// winner is put back there.
    fn split_by_direction(&self, differing: &[usize], winner: Target) -> (Vec<usize>, Vec<usize>) {
        let rules = &self.mapping.rules;
        match winner {
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
        }
    }
}

/// Which system a differing pair writes to, the conflict when both sides changed, and why.
fn decide(
    record: &CrmRecord,
    item: &OutlookItem,
    crm_changed: bool,
    graph_changed: bool,
) -> (Target, Option<Conflict>, &'static str) {
    match (crm_changed, graph_changed) {
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
    }
}

fn link_to(record: &CrmRecord) -> ItemLink {
    ItemLink {
        crm_id: record.id.clone(),
        crm_modified: record.modified,
    }
}
