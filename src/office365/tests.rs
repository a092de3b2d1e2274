//! Table tests of the Office 365 planner: each branch of the pairing and change rules, fed
//! by hand-built observations.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::desired::{Desired365, DesiredInvite, KindSetting};
use super::mapping::{Mapping, canonical_instant};
use super::model::{FolderAction, ItemAction, SyncMode, Target, Work};
use super::observed::{
    ChangeFeed, CrmRecord, CrmUserRef, CrmView, FolderObservation, MailboxRef, Observed365,
    OutlookItem, StateRead,
};
use super::planner::plan;
use super::state::{FolderKey, FolderState, InitialSync, ItemLink, SyncKind, SyncState};
use crate::engine::diagnostic::DiagnosticCode as Code;
use crate::graph::EventWindow;

const USER: &str = "ada@acme.com";
const USER_ID: &str = "u1";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    at("2026-06-01T12:00:00Z")
}

fn desired(calendar: &[&str]) -> Desired365 {
    let setting = |users: &[&str], mapping| KindSetting {
        users: users.iter().map(|u| u.to_string()).collect(),
        exclude_tags: vec!["Imported".into()],
        mapping,
    };
    Desired365 {
        owner: "acme".into(),
        invites: Vec::new(),
        sync: BTreeMap::from([
            (SyncKind::Calendar, setting(calendar, Mapping::events())),
            (
                SyncKind::Contacts,
                setting(&[], Mapping::contacts([], &[]).unwrap()),
            ),
        ]),
        observe_only: false,
        policy: crate::engine::safety::Policy {
            prune: false,
            max_change_percent: 30,
            force: false,
        },
        calendar_window: Default::default(),
        contact_map_from_spec: false,
    }
}

fn event(id: &str, title: &str, start: DateTime<Utc>, modified: DateTime<Utc>) -> CrmRecord {
    let fields = json!({
        "id": id, "Event_Title": title,
        "Start_DateTime": start.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        "End_DateTime": (start + Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        "All_day": false, "Owner": {"id": USER_ID},
        "Created_Time": "2026-01-01T00:00:00+00:00",
        "Modified_Time": modified.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
    });
    CrmRecord::from_json(&fields).unwrap()
}

fn item_for(record: &CrmRecord, id: &str, synced: DateTime<Utc>) -> OutlookItem {
    let mapping = Mapping::events();
    let values = mapping.canonical_crm(&record.fields);
    OutlookItem {
        id: id.into(),
        last_modified: Some(synced),
        properties: mapping.graph_body(&values),
        link: Some(ItemLink {
            crm_id: record.id.clone(),
            crm_modified: synced,
        }),
    }
}

fn key() -> FolderKey {
    FolderKey {
        kind: SyncKind::Calendar,
        user: USER.into(),
    }
}

fn prior(synced_through: DateTime<Utc>, last_key: Option<&str>) -> FolderState {
    FolderState {
        folder_id: "cal1".into(),
        delta_link: Some("link".into()),
        synced_through,
        settled_at: synced_through,
        initial: InitialSync {
            at: at("2026-01-15T00:00:00Z"),
            last_key: last_key.map(str::to_string),
        },
        mapping: Mapping::events().fingerprint(),
        window: None,
    }
}

struct World {
    records: Vec<CrmRecord>,
    complete: bool,
    deleted: Vec<&'static str>,
    items: Vec<OutlookItem>,
    feed: ChangeFeed,
    prior: Option<FolderState>,
    folder: Option<&'static str>,
    window: Option<EventWindow>,
}

impl World {
    fn initial(records: Vec<CrmRecord>) -> World {
        World {
            records,
            complete: true,
            deleted: Vec::new(),
            items: Vec::new(),
            feed: ChangeFeed::Restarted {
                reason: "first sync".into(),
            },
            prior: None,
            folder: None,
            window: None,
        }
    }

    fn incremental(records: Vec<CrmRecord>, items: Vec<OutlookItem>, changed: &[&str]) -> World {
        World {
            records,
            complete: false,
            deleted: Vec::new(),
            items,
            feed: ChangeFeed::Incremental {
                changed: changed.iter().map(|s| s.to_string()).collect(),
                removed: 0,
            },
            prior: Some(prior(at("2026-05-01T00:00:00Z"), None)),
            folder: Some("cal1"),
            window: None,
        }
    }

    fn observe(self) -> Observed365 {
        let mut state = SyncState::new("acme");
        if let Some(p) = &self.prior {
            state.set_folder(&key(), p.clone());
        }
        Observed365 {
            observed_at: now(),
            state: StateRead::Ours {
                variable_id: "v1".into(),
                state,
            },
            crm_users: vec![CrmUserRef {
                id: USER_ID.into(),
                email: USER.into(),
                active: true,
            }],
            mailboxes: vec![MailboxRef {
                id: "m1".into(),
                email: USER.into(),
                display_name: Some("Ada Admin".into()),
            }],
            profiles: BTreeMap::from([
                ("Administrator".into(), "p1".into()),
                ("Standard".into(), "p2".into()),
            ]),
            roles: BTreeMap::from([("CEO".into(), "r1".into()), ("Manager".into(), "r2".into())]),
            crm: BTreeMap::from([(
                SyncKind::Calendar,
                CrmView {
                    complete: self.complete,
                    records: self
                        .records
                        .into_iter()
                        .map(|r| (r.id.clone(), r))
                        .collect(),
                    deleted: self.deleted.iter().map(|s| s.to_string()).collect(),
                },
            )]),
            folders: vec![FolderObservation {
                key: key(),
                crm_user_id: USER_ID.into(),
                mailbox_id: "m1".into(),
                folder_id: self.folder.map(str::to_string),
                items: self.items,
                feed: self.feed,
                next_delta_link: Some("next".into()),
            }],
            calendar_window: self.window,
            contact_fields: None,
        }
    }
}

fn only_folder(world: World) -> super::model::FolderPlan {
    let plan = plan(&desired(&[USER]), &world.observe());
    assert!(!plan.has_errors(), "{:?}", plan.diagnostics);
    assert_eq!(plan.folders.len(), 1);
    plan.folders.into_iter().next().unwrap()
}

#[test]
fn the_initial_sync_takes_future_events_first_then_the_most_recently_ended_up_to_the_cap() {
    let mut records = Vec::new();
    // 5,001 past events, the later the id the more recent; 3 future ones.
    for n in 0..5_001 {
        let start = at("2025-01-01T00:00:00Z") + Duration::hours(n);
        records.push(event(&format!("p{n:05}"), "past", start, start));
    }
    for n in 0..3 {
        let start = now() + Duration::days(3 - n);
        records.push(event(&format!("f{n}"), "future", start, start));
    }
    let folder = only_folder(World::initial(records));
    assert_eq!(folder.mode, SyncMode::Initial);
    assert_eq!(folder.folder_action, FolderAction::Create);
    let capped = folder.capped.clone().unwrap();
    assert_eq!((capped.eligible, capped.cap), (5_004, 5_000));
    let created: Vec<&str> = folder
        .changes
        .iter()
        .map(|c| c.crm_id.as_deref().unwrap())
        .collect();
    assert_eq!(created.len(), 5_000);
    assert_eq!(&created[..4], &["f2", "f1", "f0", "p05000"]);
    // The four oldest past events are left out.
    for left_out in ["p00000", "p00001", "p00002", "p00003"] {
        assert!(!created.contains(&left_out));
    }
    assert!(created.contains(&"p00004"));
    let state = folder.next_state.unwrap();
    assert!(state.initial.last_key.unwrap().ends_with("|p00004"));
}

#[test]
fn imported_records_are_never_synced() {
    let mut imported = event("e1", "imported", now(), now());
    imported.tags = vec!["imported".into()];
    let folder = only_folder(World::initial(vec![
        imported,
        event("e2", "mine", now(), now()),
    ]));
    assert_eq!(folder.excluded_by_tag, 1);
    assert_eq!(folder.changes.len(), 1);
    assert_eq!(folder.changes[0].crm_id.as_deref(), Some("e2"));
}

#[test]
fn an_interrupted_initial_sync_resumes_without_duplicates() {
    let synced = at("2026-05-20T00:00:00Z");
    let a = event("a", "A", now(), synced);
    let b = event("b", "B", now(), synced);
    let mut world = World::initial(vec![a.clone(), b]);
    world.items = vec![item_for(&a, "i-a", synced)];
    world.folder = Some("cal1");
    let folder = only_folder(world);
    assert_eq!(folder.folder_action, FolderAction::Keep);
    assert_eq!(folder.changes.len(), 1);
    assert_eq!(folder.changes[0].crm_id.as_deref(), Some("b"));
}

#[test]
fn equal_pairs_need_nothing_and_a_crm_change_goes_to_office365() {
    let synced = at("2026-05-01T00:00:00Z");
    let same = event("s", "Same", now(), synced);
    let before = event("c", "Old title", now(), synced);
    let mut changed = event("c", "New title", now(), at("2026-05-10T00:00:00Z"));
    changed.created = Some(at("2026-01-01T00:00:00Z"));
    let world = World::incremental(
        vec![same.clone(), changed],
        vec![
            item_for(&same, "i-s", synced),
            item_for(&before, "i-c", synced),
        ],
        &[],
    );
    let folder = only_folder(world);
    assert_eq!(folder.mode, SyncMode::Incremental);
    assert_eq!(folder.changes.len(), 1, "{:?}", folder.changes);
    let change = &folder.changes[0];
    assert_eq!(
        (change.target, change.action),
        (Target::Office365, ItemAction::Update)
    );
    assert_eq!(change.fields, vec!["Event_Title".to_string()]);
    let Work::PatchItem { patch, link } = &change.work else {
        panic!("{:?}", change.work)
    };
    assert_eq!(patch["subject"], json!("New title"));
    assert_eq!(link.crm_modified, at("2026-05-10T00:00:00Z"));
}

#[test]
fn an_office365_change_goes_to_crm() {
    let synced = at("2026-05-01T00:00:00Z");
    let record = event("c", "Title", now(), synced);
    let mut item = item_for(&record, "i-c", synced);
    item.properties["subject"] = json!("Renamed in Outlook");
    item.last_modified = Some(at("2026-05-20T00:00:00Z"));
    let folder = only_folder(World::incremental(vec![record], vec![item], &["i-c"]));
    let change = &folder.changes[0];
    assert_eq!(
        (change.target, change.action),
        (Target::Crm, ItemAction::Update)
    );
    let Work::UpdateRecord { values, .. } = &change.work else {
        panic!()
    };
    assert_eq!(values["Event_Title"], json!("Renamed in Outlook"));
}

#[test]
fn a_conflict_goes_to_the_later_modification_and_is_reported() {
    let synced = at("2026-05-01T00:00:00Z");
    let original = event("c", "Title", now(), synced);
    for (crm_time, outlook_time, winner) in [
        (
            "2026-05-10T00:00:00Z",
            "2026-05-11T00:00:00Z",
            Target::Office365,
        ),
        ("2026-05-12T00:00:00Z", "2026-05-11T00:00:00Z", Target::Crm),
    ] {
        let crm_side = event("c", "CRM title", now(), at(crm_time));
        let mut item = item_for(&original, "i-c", synced);
        item.properties["subject"] = json!("Outlook title");
        item.last_modified = Some(at(outlook_time));
        let folder = only_folder(World::incremental(vec![crm_side], vec![item], &["i-c"]));
        let change = &folder.changes[0];
        let conflict = change.conflict.as_ref().expect("reported as a conflict");
        assert_eq!(conflict.winner, winner);
        assert_eq!(change.target, winner.other());
    }
}

#[test]
fn deletions_propagate_both_ways_but_records_the_cap_left_out_stay() {
    let synced = at("2026-02-01T00:00:00Z");
    let kept = event("k", "Kept", now(), synced);
    let gone_in_crm = event("d", "Deleted in CRM", now(), synced);
    let gone_in_outlook = event("o", "Deleted in Outlook", now() + Duration::days(1), synced);
    // Ended long before the first sync and behind the cap's last key: never synced.
    let mut left_out = event(
        "z",
        "Old",
        at("2020-01-01T00:00:00Z"),
        at("2020-01-01T00:00:00Z"),
    );
    left_out.created = Some(at("2020-01-01T00:00:00Z"));
    let mut world = World::incremental(
        vec![kept.clone(), gone_in_outlook, left_out],
        vec![
            item_for(&kept, "i-k", synced),
            item_for(&gone_in_crm, "i-d", synced),
        ],
        &[],
    );
    world.complete = true;
    world.deleted = vec!["d"];
    world.feed = ChangeFeed::Incremental {
        changed: HashSet::new(),
        removed: 1,
    };
    let last_key = format!("1|{}|y", -at("2021-01-01T00:00:00Z").timestamp());
    world.prior = Some(prior(at("2026-05-01T00:00:00Z"), Some(&last_key)));
    let folder = only_folder(world);
    assert!(matches!(folder.mode, SyncMode::Full { .. }));
    let summary: Vec<(Target, ItemAction, String)> = folder
        .changes
        .iter()
        .map(|c| (c.target, c.action, c.crm_id.clone().unwrap()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (Target::Office365, ItemAction::Delete, "d".to_string()),
            (Target::Crm, ItemAction::Delete, "o".to_string()),
        ]
    );
}

#[test]
fn an_outlook_item_is_created_in_crm_once_then_adopted_after_an_interruption() {
    let item = OutlookItem {
        id: "i-new".into(),
        last_modified: Some(now()),
        properties: Mapping::events().graph_body(&[
            json!("Lunch"),
            canonical_instant(now()),
            canonical_instant(now() + Duration::hours(1)),
            json!(false),
            Value::Null,
            Value::Null,
        ]),
        link: None,
    };
    let folder = only_folder(World::incremental(vec![], vec![item.clone()], &["i-new"]));
    assert_eq!(
        (folder.changes[0].target, folder.changes[0].action),
        (Target::Crm, ItemAction::Create)
    );
    let Work::CreateRecord { values } = &folder.changes[0].work else {
        panic!()
    };
    // The record the interrupted run created, not yet linked.
    let mut fields = values.clone();
    fields.insert("id".into(), json!("r-new"));
    fields.insert("Owner".into(), json!({"id": USER_ID}));
    fields.insert("Created_Time".into(), json!("2026-06-01T11:59:00+00:00"));
    fields.insert("Modified_Time".into(), json!("2026-06-01T11:59:00+00:00"));
    let record = CrmRecord::from_json(&Value::Object(fields)).unwrap();
    let folder = only_folder(World::incremental(vec![record], vec![item], &["i-new"]));
    assert_eq!(folder.changes.len(), 1, "{:?}", folder.changes);
    assert_eq!(folder.changes[0].action, ItemAction::Link);
    assert_eq!(folder.changes[0].crm_id.as_deref(), Some("r-new"));
}

#[test]
fn turning_sync_off_deletes_only_the_office365_folder() {
    let world = World::incremental(vec![], vec![], &[]);
    let plan = plan(&desired(&[]), &world.observe());
    assert_eq!(plan.folders.len(), 1);
    assert_eq!(plan.folders[0].folder_action, FolderAction::Delete);
    assert!(plan.folders[0].changes.is_empty());
    assert!(plan.folders[0].next_state.is_none());
}

/// Three invites: one CRM can take, one of an address that is no Office 365 user, one with a
/// profile CRM lacks.
fn invite_plan() -> super::model::SyncPlan {
    let mut wanted = desired(&[]);
    wanted.invites = vec![
        DesiredInvite {
            email: "ada@acme.com".into(),
            profile: "Standard".into(),
            role: "CEO".into(),
        },
        DesiredInvite {
            email: "nobody@acme.com".into(),
            profile: "Standard".into(),
            role: "CEO".into(),
        },
    ];
    let mut observed = World::incremental(vec![], vec![], &[]).observe();
    observed.crm_users.clear();
    observed.mailboxes.push(MailboxRef {
        id: "m2".into(),
        email: "bob@acme.com".into(),
        display_name: None,
    });
    wanted.invites.push(DesiredInvite {
        email: "bob@acme.com".into(),
        profile: "Nope".into(),
        role: "CEO".into(),
    });
    plan(&wanted, &observed)
}

#[test]
fn invites_need_a_mailbox_and_an_existing_profile_and_role() {
    let plan = invite_plan();
    assert_eq!(plan.invites.len(), 1);
    assert_eq!(plan.invites[0].email, "ada@acme.com");
    assert_eq!(plan.invites[0].first_name.as_deref(), Some("Ada"));
    assert_eq!(plan.invites[0].last_name, "Admin");
    let errors: Vec<&str> = plan
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("nobody@acme.com is not an Office 365 user"))
    );
    assert!(errors.iter().any(|e| e.contains("no profile \"Nope\"")));
    let codes: Vec<Code> = plan.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::MailboxNotFound, Code::ProfileNotFound]);
}

#[test]
fn diagnostics_render_in_the_format_every_kind_shares() {
    let plan = invite_plan();
    insta::assert_snapshot!("diagnostics_text", super::render::text(&plan));
    insta::assert_snapshot!("diagnostics_markdown", super::render::markdown(&plan));
    let json = super::render::json(&plan);
    assert_eq!(
        json["plan"]["diagnostics"][1],
        json!({
            "severity": "error",
            "code": "ProfileNotFound",
            "message": "bob@acme.com: CRM has no profile \"Nope\"",
            "hint": "profiles in CRM: Administrator, Standard",
        })
    );
}

#[test]
fn another_integrations_state_blocks_the_plan() {
    let mut observed = World::incremental(vec![], vec![], &[]).observe();
    observed.state = StateRead::Foreign {
        variable_id: "v1".into(),
        owner: "other".into(),
    };
    let plan = plan(&desired(&[USER]), &observed);
    assert!(plan.has_errors());
    assert!(plan.folders.is_empty());
}

#[test]
fn events_leaving_the_window_stay_and_events_entering_it_sync() {
    let before = EventWindow::around(at("2026-05-01T00:00:00Z"), 10, 40);
    let window = EventWindow::around(now(), 10, 20);
    let synced = at("2026-04-01T00:00:00Z");
    // Left the window, then deleted in CRM: its item stays.
    let left = event("left", "Left", at("2026-04-25T09:00:00Z"), synced);
    // Left the window with its item, unchanged: nothing.
    let stayed_out = event("out", "Out", at("2026-04-26T09:00:00Z"), synced);
    // Entered the window, never synced: its item is made.
    let entered = event("in", "Entered", at("2026-06-15T09:00:00Z"), synced);
    // Inside both windows and its item gone: deleted in Outlook, as before.
    let gone = event("gone", "Gone", at("2026-05-25T09:00:00Z"), synced);
    // Far outside both: never looked at.
    let far = event("far", "Far", at("2027-01-01T09:00:00Z"), synced);
    let mut outlook_only = item_for(&far, "i-new", synced);
    outlook_only.link = None;
    let mut world = World::incremental(
        vec![stayed_out.clone(), entered, gone, far],
        vec![
            item_for(&left, "i-left", synced),
            item_for(&stayed_out, "i-out", synced),
            outlook_only,
        ],
        &[],
    );
    world.complete = true;
    world.deleted = vec!["left"];
    world.feed = ChangeFeed::Restarted {
        reason: format!("the calendar window moved to {window}"),
    };
    world.prior.as_mut().unwrap().window = Some(before);
    world.window = Some(window);
    let folder = only_folder(world);
    let changes: Vec<(Target, ItemAction, &str, &str)> = folder
        .changes
        .iter()
        .map(|c| {
            (
                c.target,
                c.action,
                c.crm_id.as_deref().unwrap_or("-"),
                c.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                Target::Crm,
                ItemAction::Delete,
                "gone",
                "deleted in Office 365"
            ),
            (
                Target::Office365,
                ItemAction::Create,
                "in",
                "entered the calendar window"
            ),
        ]
    );
    assert_eq!(folder.next_state.unwrap().window, Some(window));
}
