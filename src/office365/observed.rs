//! What the sync saw in CRM and Office 365, in the shape the planner needs: every field
//! already parsed, nothing borrowed from either client, so the planner stays a pure function
//! that tests can feed by hand.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::mapping::parse_crm_datetime;
use super::state::{FolderKey, FolderState, ItemLink, SyncKind, SyncState};
use crate::graph::EventWindow;

/// An Outlook event or contact in projectlink's folder.
#[derive(Debug, Clone, PartialEq)]
pub struct OutlookItem {
    pub id: String,
    pub last_modified: Option<DateTime<Utc>>,
    pub properties: Map<String, Value>,
    /// The link property, when the item came from (or was linked to) a CRM record.
    pub link: Option<ItemLink>,
}

/// A CRM Events or Contacts record, as far as the sync reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct CrmRecord {
    pub id: String,
    pub owner_id: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub modified: DateTime<Utc>,
    pub tags: Vec<String>,
    pub fields: Map<String, Value>,
}

impl CrmRecord {
    /// Reads a record from the CRM API's JSON; `None` without an id or `Modified_Time`.
    pub fn from_json(record: &Value) -> Option<CrmRecord> {
        CrmRecord::from_value(record.clone())
    }

    /// Like [`CrmRecord::from_json`], taking the JSON over instead of copying it (a first
    /// sync reads hundreds of thousands of records).
    pub fn from_value(record: Value) -> Option<CrmRecord> {
        let Value::Object(map) = record else {
            return None;
        };
        let time = |name: &str| map.get(name)?.as_str().and_then(parse_crm_datetime);
        let id = map.get("id")?.as_str()?.to_string();
        let modified = time("Modified_Time")?;
        let created = time("Created_Time");
        let owner_id = map
            .get("Owner")
            .and_then(|o| o.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let tags = map
            .get("Tag")
            .and_then(Value::as_array)
            .map(|tags| {
                tags.iter()
                    .filter_map(|t| t.get("name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Some(CrmRecord {
            id,
            owner_id,
            created,
            modified,
            tags,
            fields: map,
        })
    }

    pub fn has_any_tag(&self, tags: &[String]) -> Option<&str> {
        self.tags
            .iter()
            .find(|t| tags.iter().any(|x| x.eq_ignore_ascii_case(t)))
            .map(String::as_str)
    }
}

/// The CRM records of one module that this run read.
#[derive(Debug, Clone, Default)]
pub struct CrmView {
    /// Every record of the module was read (not only those changed since the watermark).
    pub complete: bool,
    pub records: HashMap<String, CrmRecord>,
    /// Records known to be deleted (the deleted-records listing, or asked for and missing).
    pub deleted: HashSet<String>,
}

/// How this run learnt what changed in the Outlook folder.
#[derive(Debug, Clone, PartialEq)]
pub enum ChangeFeed {
    /// The saved delta link answered: these items changed (or left the calendar window, which
    /// Graph reports as a removal), this many were removed.
    Incremental {
        changed: HashSet<String>,
        removed: usize,
    },
    /// There was no usable delta link; a new one was started.
    Restarted { reason: String },
}

/// One user's folder of one kind, as observed.
#[derive(Debug, Clone)]
pub struct FolderObservation {
    pub key: FolderKey,
    pub crm_user_id: String,
    /// The mailbox's Graph user id.
    pub mailbox_id: String,
    /// The folder, when it exists (found by its saved id or by name).
    pub folder_id: Option<String>,
    pub items: Vec<OutlookItem>,
    pub feed: ChangeFeed,
    /// The delta link to save once this folder's changes are applied.
    pub next_delta_link: Option<String>,
}

/// A field of a CRM module, as far as the field map check needs one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmFieldRef {
    pub api_name: String,
    pub data_type: String,
}

/// A CRM user, as far as invites and sync need one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrmUserRef {
    pub id: String,
    pub email: String,
    pub active: bool,
}

/// An Office 365 user of the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxRef {
    pub id: String,
    /// Lower-case mail address (or user principal name when there is no mail).
    pub email: String,
    pub display_name: Option<String>,
}

/// What the org variable held.
#[derive(Debug, Clone, PartialEq)]
pub enum StateRead {
    Absent,
    Ours {
        variable_id: String,
        state: SyncState,
    },
    /// Another integration owns the variable.
    Foreign {
        variable_id: String,
        owner: String,
    },
    /// The value is not a state this version understands; it is replaced on apply.
    Unreadable {
        variable_id: String,
        error: String,
    },
}

impl StateRead {
    pub fn state(&self) -> Option<&SyncState> {
        match self {
            StateRead::Ours { state, .. } => Some(state),
            _ => None,
        }
    }

    pub fn folder(&self, key: &FolderKey) -> Option<&FolderState> {
        self.state()?.folder(key)
    }

    pub fn variable_id(&self) -> Option<&str> {
        match self {
            StateRead::Absent => None,
            StateRead::Ours { variable_id, .. }
            | StateRead::Foreign { variable_id, .. }
            | StateRead::Unreadable { variable_id, .. } => Some(variable_id),
        }
    }
}

/// Everything one run observed.
#[derive(Debug, Clone)]
pub struct Observed365 {
    /// When observation began; the next watermark.
    pub observed_at: DateTime<Utc>,
    pub state: StateRead,
    pub crm_users: Vec<CrmUserRef>,
    pub mailboxes: Vec<MailboxRef>,
    /// CRM profile ids by name.
    pub profiles: BTreeMap<String, String>,
    /// CRM role ids by name.
    pub roles: BTreeMap<String, String>,
    pub crm: BTreeMap<SyncKind, CrmView>,
    pub folders: Vec<FolderObservation>,
    /// The calendar window this run syncs; `None` syncs every event.
    pub calendar_window: Option<EventWindow>,
    /// The Contacts module's fields, read when some user's contacts sync.
    pub contact_fields: Option<Vec<CrmFieldRef>>,
}

impl Observed365 {
    pub fn crm_user(&self, email: &str) -> Option<&CrmUserRef> {
        self.crm_users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
    }

    /// The id of the profile or role named `name` in `by_name` (case-insensitive).
    pub fn id_by_name<'a>(by_name: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
        by_name
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, id)| id.as_str())
    }

    pub fn mailbox(&self, email: &str) -> Option<&MailboxRef> {
        self.mailboxes
            .iter()
            .find(|m| m.email.eq_ignore_ascii_case(email))
    }
}
