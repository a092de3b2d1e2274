//! The Office 365 plan: invites, and per user and folder the item changes with a reason for
//! each, plus what the executor needs to carry them out (kept out of the JSON rendering).

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::engine::diagnostic::{Diagnostic, Severity};
use crate::engine::safety::Refusal;

use super::state::{FolderKey, FolderState, ItemLink, SyncKind};

/// Which system a change writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    Office365,
    Crm,
}

impl Target {
    pub fn other(self) -> Target {
        match self {
            Target::Office365 => Target::Crm,
            Target::Crm => Target::Office365,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Target::Office365 => "to Office 365",
            Target::Crm => "to CRM",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemAction {
    Create,
    Update,
    Delete,
    /// Record the CRM link on an Outlook item (an adopted item, or a stale link).
    Link,
}

impl ItemAction {
    pub fn label(self) -> &'static str {
        match self {
            ItemAction::Create => "create",
            ItemAction::Update => "update",
            ItemAction::Delete => "delete",
            ItemAction::Link => "link",
        }
    }

    pub fn sign(self) -> &'static str {
        match self {
            ItemAction::Create => "+",
            ItemAction::Update => "~",
            ItemAction::Delete => "-",
            ItemAction::Link => "&",
        }
    }
}

/// Both sides changed since the last sync; the later modification wins.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub crm_modified: DateTime<Utc>,
    pub office365_modified: Option<DateTime<Utc>>,
    /// The system whose version is kept (the other one is written).
    pub winner: Target,
}

/// What the executor does for one change.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    CreateItem {
        body: Map<String, Value>,
        link: ItemLink,
    },
    /// PATCH the item (possibly only its link).
    PatchItem {
        patch: Map<String, Value>,
        link: ItemLink,
    },
    DeleteItem,
    /// Insert the record, then link the item to it.
    CreateRecord {
        values: Map<String, Value>,
    },
    /// Update the record, then PATCH the item with `item_patch` and the new link.
    UpdateRecord {
        values: Map<String, Value>,
        item_patch: Map<String, Value>,
    },
    DeleteRecord,
}

/// One item's change.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemChange {
    pub target: Target,
    pub action: ItemAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crm_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    pub title: String,
    /// CRM fields whose values change (empty for creates, deletes and links).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<Conflict>,
    #[serde(skip)]
    pub work: Work,
}

/// What happens to the folder itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FolderAction {
    Keep,
    Create,
    /// Sync was turned off: the folder and its items go from Office 365 (CRM is untouched).
    Delete,
    /// Sync was turned off and the folder is already gone: only the saved state goes.
    Forget,
}

/// How the folder was compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SyncMode {
    /// First sync of the folder: capped, in CRM's order.
    Initial,
    /// Only what changed on either side since the last sync.
    Incremental,
    /// Every record and item compared.
    Full {
        reason: String,
    },
    Off,
}

/// The initial cap left records out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapReport {
    pub eligible: usize,
    pub cap: usize,
}

/// One user's folder of one kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderPlan {
    pub kind: SyncKind,
    pub user: String,
    pub folder_action: FolderAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    pub mode: SyncMode,
    pub changes: Vec<ItemChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capped: Option<CapReport>,
    /// Records skipped because they carry an excluded tag (imports).
    pub excluded_by_tag: usize,
    #[serde(skip)]
    pub mailbox_id: String,
    #[serde(skip)]
    pub crm_user_id: String,
    /// The progress to save once every change succeeded (`folder_id` is filled in when the
    /// folder is created); `None` for a folder whose sync is turned off.
    #[serde(skip)]
    pub next_state: Option<FolderState>,
    /// Whether the saved progress differs from `next_state` even without item changes.
    #[serde(skip)]
    pub state_changes: bool,
}

impl FolderPlan {
    pub fn key(&self) -> FolderKey {
        FolderKey {
            kind: self.kind,
            user: self.user.clone(),
        }
    }

    /// Whether applying this folder writes anything to either system.
    pub fn has_changes(&self) -> bool {
        !self.changes.is_empty() || self.folder_action != FolderAction::Keep
    }

    pub fn count(&self, target: Target, action: ItemAction) -> usize {
        self.changes
            .iter()
            .filter(|c| c.target == target && c.action == action)
            .count()
    }

    pub fn conflicts(&self) -> usize {
        self.changes.iter().filter(|c| c.conflict.is_some()).count()
    }
}

/// An Office 365 user brought into CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invite {
    pub email: String,
    pub profile: String,
    pub role: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    pub last_name: String,
    pub reason: String,
}

/// The whole plan for one `Office365Integration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlan {
    pub owner: String,
    pub invites: Vec<Invite>,
    pub folders: Vec<FolderPlan>,
    pub diagnostics: Vec<Diagnostic>,
    /// Why the plan must not be applied (CRM deletions without the prune opt-in, too many
    /// deletions for `policy.maxChangePercent`), if it must not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Refusal>,
    /// `policy.observeOnly`: the plan is shown and never applied.
    #[serde(skip)]
    pub observe_only: bool,
    /// Whether the saved state must be written even if nothing else changes (e.g. a
    /// delta link expired and was restarted).
    #[serde(skip)]
    pub state_refresh: bool,
    /// The org variable holding the state, when it exists.
    #[serde(skip)]
    pub state_variable_id: Option<String>,
    /// Where observation began: the watermark saved for folders that apply cleanly.
    #[serde(skip)]
    pub observed_at: DateTime<Utc>,
}

impl SyncPlan {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Number of writes the plan asks for (invites, folders, items).
    pub fn change_count(&self) -> usize {
        self.invites.len()
            + self
                .folders
                .iter()
                .map(|f| f.changes.len() + usize::from(f.folder_action != FolderAction::Keep))
                .sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.change_count() == 0
    }
}
