//! Plan diagnostics: problems found against live metadata (a mapped field that does not
//! exist, a portal that is not visible, ...), reported all at once with a hint.

use serde::{Deserialize, Serialize};

use crate::live::Address;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Blocks apply.
    Error,
    /// Reported; the rest of the plan proceeds.
    Warning,
    Info,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// Stable machine-readable codes, for CI scripts and the operator's conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DiagnosticCode {
    PortalNotFound,
    PendingApproval,
    OrgBoundElsewhere,
    MarkerUnreadable,
    LinkModuleNotOwned,
    LinkFieldConflict,
    FieldNotFound,
    FieldTypeIncompatible,
    FieldReadOnly,
    ProjectFieldNotFound,
    ProfileNotFound,
    PermissionLocked,
    UserNotFound,
    UserNotActive,
    PruneDisabled,
    PortalUsersKept,
    ClientNotFound,
    ClientUserNotFound,
    AccountNotFound,
    RequestRefused,
    RequestInvalid,
    ProjectNameTaken,
    TemplateNotFound,
    ProjectNotFound,
    ContactNotFound,
    ValueNotWritable,
    /// The acting user lacks the Administrator profile.
    NotAdministrator,
    /// `dealConversion.stage` is not a value of `Deals.Stage`.
    StageNotFound,
    /// A portal role the spec gives users does not exist in the portal.
    RoleNotFound,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDiagnostic {
    pub severity: Severity,
    pub code: DiagnosticCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// The spec node the problem is about: a field path (`spec.clients.overrides[1].account`)
    /// from the planner, which the CLI turns into `file:line:column`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_at: Option<String>,
}

impl PlanDiagnostic {
    pub fn new(severity: Severity, code: DiagnosticCode, message: impl Into<String>) -> Self {
        PlanDiagnostic {
            severity,
            code,
            message: message.into(),
            hint: None,
            address: None,
            spec_at: None,
        }
    }

    pub fn error(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    pub fn info(code: DiagnosticCode, message: impl Into<String>) -> Self {
        Self::new(Severity::Info, code, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn at(mut self, address: Address) -> Self {
        self.address = Some(address);
        self
    }

    /// Points the diagnostic at a node of the spec, by field path.
    pub fn in_spec(mut self, path: impl Into<String>) -> Self {
        self.spec_at = Some(path.into());
        self
    }
}
