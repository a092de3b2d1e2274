//! Plan diagnostics, the same for every kind: problems found against live metadata (a
//! mapped field that does not exist, a portal that is not visible, a user without a
//! mailbox, ...), reported all at once with a stable code, a hint and where in the spec they
//! are, and rendered in one format so a reader and a CI script see one shape whatever the kind.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::address::Address;

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
    /// A role the spec names does not exist: a portal role given to Projects users, or the
    /// CRM role an Office 365 user is invited with.
    RoleNotFound,
    /// The CRM org's saved Office 365 sync state belongs to another integration.
    StateForeign,
    /// The saved Office 365 sync state cannot be read; every folder is compared in full.
    StateUnreadable,
    /// An address is not an Office 365 user (mailbox) of the tenant.
    MailboxNotFound,
    /// A user's sync waits for their invitation to CRM to be accepted.
    InvitePending,
}

/// One problem of a plan; errors block apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
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

impl Diagnostic {
    pub fn new(severity: Severity, code: DiagnosticCode, message: impl Into<String>) -> Self {
        Diagnostic {
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

    /// The diagnostic in one line, for a status condition or an Event:
    /// `Code: message (hint)`.
    pub fn line(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{:?}: {} ({hint})", self.code, self.message),
            None => format!("{:?}: {}", self.code, self.message),
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics as text: a `Diagnostics:` block ending in a blank line. `paint` styles
/// each `severity[Code]` label, so a terminal can colour it by severity.
pub fn text(diagnostics: &[Diagnostic], paint: &dyn Fn(Severity, &str) -> String) -> String {
    let mut out = String::from("Diagnostics:\n");
    for d in diagnostics {
        let label = format!("{}[{:?}]", d.severity.label(), d.code);
        let _ = writeln!(out, "  {} {}", paint(d.severity, &label), d.message);
        if let Some(spec_at) = &d.spec_at {
            let _ = writeln!(out, "      in the spec at {spec_at}");
        }
        if let Some(address) = &d.address {
            let _ = writeln!(out, "      at {address}");
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "      hint: {hint}");
        }
    }
    out.push('\n');
    out
}

/// The diagnostics as a markdown list under a bold `Diagnostics` heading, ending in a blank
/// line. `escape` makes message and hint text safe for the surrounding markdown.
pub fn markdown(diagnostics: &[Diagnostic], escape: &dyn Fn(&str) -> String) -> String {
    let mut out = String::from("**Diagnostics**\n\n");
    for d in diagnostics {
        let _ = write!(
            out,
            "- **{}** `{:?}`: {}",
            d.severity.label(),
            d.code,
            escape(&d.message)
        );
        if let Some(spec_at) = &d.spec_at {
            // A backtick would end the code span early.
            let _ = write!(out, " (spec: `{}`)", spec_at.replace('`', "'"));
        }
        if let Some(hint) = &d.hint {
            let _ = write!(out, " — _{}_", escape(hint));
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Diagnostic> {
        vec![
            Diagnostic::error(DiagnosticCode::FieldNotFound, "no such field")
                .in_spec("spec.fields[0]")
                .at(Address::crm("field", "X.Deals"))
                .hint("check the name"),
            Diagnostic::info(DiagnosticCode::InvitePending, "waits"),
        ]
    }

    #[test]
    fn text_lists_each_diagnostic_with_its_code_place_and_hint() {
        let out = text(&sample(), &|severity, label| {
            format!("<{}>{label}", severity.label())
        });
        assert_eq!(
            out,
            "Diagnostics:\n  <error>error[FieldNotFound] no such field\n      in the spec at spec.fields[0]\n      at crm/field/X.Deals\n      hint: check the name\n  <info>info[InvitePending] waits\n\n"
        );
    }

    #[test]
    fn markdown_escapes_message_and_hint_but_not_the_spec_path() {
        let out = markdown(&sample(), &|t| t.replace(' ', "_"));
        assert_eq!(
            out,
            "**Diagnostics**\n\n- **error** `FieldNotFound`: no_such_field (spec: `spec.fields[0]`) — _check_the_name_\n- **info** `InvitePending`: waits\n\n"
        );
    }
}
