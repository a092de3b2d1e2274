//! Where the sync remembers what it did, kept in the two systems rather than a local file so
//! any run on any machine resumes: each synced Outlook item carries its CRM record id and the
//! CRM modification time it was last synced at (an extended property), and one CRM org
//! variable per integration holds each mailbox folder's delta link and watermarks.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::mapping::parse_crm_datetime;
use crate::graph::EventWindow;

/// API name of the CRM org variable holding the sync state.
pub const STATE_VARIABLE: &str = "projectlink_office365";

/// The extended property every synced Outlook item carries (projectlink's own property set).
pub const LINK_PROPERTY: &str =
    "String {8c2e7f5a-3f0b-4b6e-9d1e-5a7c0b7e4a21} Name projectlink.crmRecord";

/// Version of [`SyncState`]'s format.
pub const STATE_VERSION: u32 = 1;

/// The two things that sync per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SyncKind {
    Calendar,
    Contacts,
}

impl SyncKind {
    pub const ALL: [SyncKind; 2] = [SyncKind::Calendar, SyncKind::Contacts];

    pub fn label(self) -> &'static str {
        match self {
            SyncKind::Calendar => "calendar",
            SyncKind::Contacts => "contacts",
        }
    }

    /// Name of the mailbox folder projectlink syncs into.
    pub fn folder_name(self) -> &'static str {
        match self {
            SyncKind::Calendar => "Zoho CRM",
            SyncKind::Contacts => "Zoho CRM Contacts",
        }
    }

    /// The CRM module synced.
    pub fn crm_module(self) -> &'static str {
        match self {
            SyncKind::Calendar => "Events",
            SyncKind::Contacts => "Contacts",
        }
    }

    /// How many records the first sync of a folder takes at most (CRM's own limits).
    pub fn initial_cap(self) -> usize {
        match self {
            SyncKind::Calendar => 5_000,
            SyncKind::Contacts => 10_000,
        }
    }

    /// CRM fields that must never be written empty.
    pub fn required_crm_fields(self) -> &'static [&'static str] {
        match self {
            SyncKind::Calendar => &["Event_Title", "Start_DateTime", "End_DateTime"],
            SyncKind::Contacts => &["Last_Name"],
        }
    }

    /// The singular noun for items, in messages.
    pub fn item_noun(self) -> &'static str {
        match self {
            SyncKind::Calendar => "event",
            SyncKind::Contacts => "contact",
        }
    }
}

impl fmt::Display for SyncKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One user's folder of one kind: the unit the sync plans, applies and records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FolderKey {
    pub kind: SyncKind,
    /// The user's email, lower-case.
    pub user: String,
}

impl fmt::Display for FolderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.label(), self.user)
    }
}

impl FolderKey {
    fn parse(text: &str) -> Option<FolderKey> {
        let (kind, user) = text.split_once('/')?;
        let kind = SyncKind::ALL.into_iter().find(|k| k.label() == kind)?;
        Some(FolderKey {
            kind,
            user: user.to_string(),
        })
    }
}

/// What the first sync of a folder took, so later runs can tell a record that was synced
/// and then deleted in Outlook from one the cap left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InitialSync {
    pub at: DateTime<Utc>,
    /// The order key of the last record taken when the cap was reached; `None` when every
    /// eligible record was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_key: Option<String>,
}

/// A folder's progress, saved after every one of its changes succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderState {
    pub folder_id: String,
    /// Graph's delta link from the round read before this folder's last successful apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_link: Option<String>,
    /// Every CRM change up to this instant has been read (where the last successful run's
    /// observation began; the next listing of changes starts a margin before it).
    pub synced_through: DateTime<Utc>,
    /// When the last successful run's writes were done: a record neither created nor
    /// modified after this was seen, and written if needed, by that run.
    pub settled_at: DateTime<Utc>,
    pub initial: InitialSync,
    /// Fingerprint of the field mapping the folder was synced with.
    pub mapping: String,
    /// The calendar window the delta link covers and the last run synced (calendars only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<EventWindow>,
}

/// Why the org variable's content cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("unknown state version {0}")]
    UnknownVersion(u32),
}

/// The org variable's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncState {
    pub owner: String,
    pub version: u32,
    #[serde(default)]
    folders: BTreeMap<String, FolderState>,
}

impl SyncState {
    pub fn new(owner: &str) -> SyncState {
        SyncState {
            owner: owner.to_string(),
            version: STATE_VERSION,
            folders: BTreeMap::new(),
        }
    }

    pub fn parse(value: &str) -> Result<SyncState, StateError> {
        let state: SyncState = serde_json::from_str(value)?;
        if state.version != STATE_VERSION {
            return Err(StateError::UnknownVersion(state.version));
        }
        Ok(state)
    }

    pub fn to_value(&self) -> String {
        serde_json::to_string(self).expect("the state serializes")
    }

    pub fn folder(&self, key: &FolderKey) -> Option<&FolderState> {
        self.folders.get(&key.to_string())
    }

    pub fn set_folder(&mut self, key: &FolderKey, state: FolderState) {
        self.folders.insert(key.to_string(), state);
    }

    pub fn remove_folder(&mut self, key: &FolderKey) {
        self.folders.remove(&key.to_string());
    }

    /// Every folder with saved progress.
    pub fn folders(&self) -> impl Iterator<Item = (FolderKey, &FolderState)> {
        self.folders
            .iter()
            .filter_map(|(key, state)| Some((FolderKey::parse(key)?, state)))
    }
}

/// What an Outlook item's link property says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLink {
    pub crm_id: String,
    /// The CRM record's `Modified_Time` when it was last synced.
    pub crm_modified: DateTime<Utc>,
}

impl ItemLink {
    pub fn parse(value: &str) -> Option<ItemLink> {
        let (id, modified) = value.split_once('|')?;
        if id.is_empty() {
            return None;
        }
        Some(ItemLink {
            crm_id: id.to_string(),
            crm_modified: parse_crm_datetime(modified)?,
        })
    }

    pub fn to_value(&self) -> String {
        format!(
            "{}|{}",
            self.crm_id,
            self.crm_modified
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_round_trips_through_its_variable() {
        let mut state = SyncState::new("acme");
        let key = FolderKey {
            kind: SyncKind::Contacts,
            user: "ada@acme.com".into(),
        };
        let at = parse_crm_datetime("2026-01-01T00:00:00Z").unwrap();
        state.set_folder(
            &key,
            FolderState {
                folder_id: "f1".into(),
                delta_link: Some("https://graph/x?$deltatoken=1".into()),
                synced_through: at,
                settled_at: at,
                initial: InitialSync { at, last_key: None },
                mapping: "abc".into(),
                window: Some(EventWindow::around(at, 365, 1460)),
            },
        );
        let back = SyncState::parse(&state.to_value()).unwrap();
        assert_eq!(back, state);
        assert_eq!(back.folders().next().unwrap().0, key);
        assert_eq!(
            SyncState::parse("{\"owner\":\"x\",\"version\":9}")
                .unwrap_err()
                .to_string(),
            "unknown state version 9"
        );
        assert!(matches!(
            SyncState::parse("not json"),
            Err(StateError::Json(_))
        ));
    }

    #[test]
    fn links_round_trip_and_reject_garbage() {
        let link = ItemLink {
            crm_id: "42".into(),
            crm_modified: parse_crm_datetime("2026-03-01T10:00:00+00:00").unwrap(),
        };
        assert_eq!(link.to_value(), "42|2026-03-01T10:00:00Z");
        assert_eq!(ItemLink::parse(&link.to_value()), Some(link));
        assert_eq!(ItemLink::parse("42"), None);
        assert_eq!(ItemLink::parse("|2026-03-01T10:00:00Z"), None);
        assert_eq!(ItemLink::parse("42|yesterday"), None);
    }
}
