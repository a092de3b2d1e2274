//! The Office 365 integration as a kind of the shared engine: its observation, planner and
//! executor behind the [`Kind`] contract, and its plan and apply report as the shared
//! stages read them — told per invite and per folder, since a first sync can hold
//! thousands of item changes.

use std::sync::Arc;

use super::apply::{Applied365, ApplyContext, apply};
use super::model::{FolderAction, FolderPlan, Target};
use super::observe::observe;
use super::resume::{link_instead_of_create, unlinked_records};
use super::{Desired365, Observed365, SyncPlan, plan};
use crate::engine::journal::Record;
use crate::engine::kind::{Hooks, Kind, KindPlan, KindReport, Options, plan_gate_fields};
use crate::engine::safety::Policy;
use crate::graph::GraphClient;
use crate::live::observe::ObserveError;
use crate::spec::KIND_OFFICE365_INTEGRATION;
use crate::zoho::ZohoClients;

/// The `Office365Integration` kind.
pub struct Office365Kind;

/// The CRM org and the Microsoft 365 tenant the kind reads and writes.
pub struct Office365Clients {
    pub zoho: Arc<ZohoClients>,
    pub graph: GraphClient,
}

/// An apply's counts and failures, with what succeeded told per invite and per folder.
#[derive(Debug)]
pub struct Report365 {
    pub applied: Applied365,
    done: Vec<String>,
}

impl Kind for Office365Kind {
    const KIND: &'static str = KIND_OFFICE365_INTEGRATION;
    const JOURNAL: &'static str = "office365";
    type Desired = Desired365;
    type Clients = Office365Clients;
    type Observed = Observed365;
    type Plan = SyncPlan;
    type Report = Report365;
    type ObserveError = ObserveError;

    async fn observe(
        desired: &Desired365,
        clients: &Office365Clients,
    ) -> Result<Observed365, ObserveError> {
        observe(desired, &clients.zoho.crm, &clients.graph).await
    }

    /// The planner, reviewed again when the command line allows more than the spec.
    fn plan(desired: &Desired365, observed: &Observed365, options: &Options) -> SyncPlan {
        let mut plan = plan(desired, observed);
        if options.prune || options.force {
            let policy = Policy {
                prune: desired.policy.prune || options.prune,
                force: desired.policy.force || options.force,
                ..desired.policy
            };
            plan.refusal = super::safety::review(&plan, observed, &policy);
        }
        plan
    }

    /// Records the stopped apply created for Outlook items and did not link yet are linked
    /// now rather than created again: CRM does not show which item a record came from.
    fn resume(plan: &mut SyncPlan, observed: &Observed365, stopped: &Record) -> usize {
        link_instead_of_create(plan, observed, &unlinked_records(stopped))
    }

    async fn apply(
        plan: &SyncPlan,
        observed: &Observed365,
        clients: &Office365Clients,
        hooks: &Hooks<'_>,
    ) -> Report365 {
        let progress = |done: usize, total: usize| {
            if let Some(progress) = hooks.progress {
                progress(done, total, "");
            }
        };
        let context = ApplyContext {
            observed,
            progress: &progress,
            journal: hooks.journal,
        };
        let applied = apply(plan, &context, &clients.zoho.crm, &clients.graph).await;
        Report365::of(plan, applied)
    }
}

impl Report365 {
    /// The report of `applied`, an apply of `plan`.
    pub fn of(plan: &SyncPlan, applied: Applied365) -> Report365 {
        let failed_with =
            |prefix: &str| applied.failures.iter().any(|f| f.what.starts_with(prefix));
        let invites = plan
            .invites
            .iter()
            .map(|i| invite_line(&i.email))
            .filter(|line| !failed_with(line));
        let folders = plan
            .folders
            .iter()
            .filter(|f| f.has_changes() && !failed_with(&folder_prefix(f)))
            .map(folder_line);
        let done = invites.chain(folders).collect();
        Report365 { applied, done }
    }
}

fn invite_line(email: &str) -> String {
    format!("invite {email}")
}

/// The prefix of the apply failures of one folder (see `office365::apply`).
fn folder_prefix(folder: &FolderPlan) -> String {
    format!("{} {}:", folder.kind, folder.user)
}

/// One folder's changes in a line: `calendar pat@acme.com: create folder "Zoho CRM", 2 item
/// change(s) to Office 365`.
fn folder_line(folder: &FolderPlan) -> String {
    let name = folder.kind.folder_name();
    let mut parts = Vec::new();
    match folder.folder_action {
        FolderAction::Create => parts.push(format!("create folder \"{name}\"")),
        FolderAction::Delete => parts.push(format!("delete folder \"{name}\" (sync off)")),
        FolderAction::Forget => parts.push("forget the folder (sync off, already gone)".into()),
        FolderAction::Keep => {}
    }
    for target in [Target::Office365, Target::Crm] {
        let n = folder.changes.iter().filter(|c| c.target == target).count();
        if n > 0 {
            parts.push(format!("{n} item change(s) {}", target.label()));
        }
    }
    if folder.conflicts() > 0 {
        parts.push(format!("{} conflict(s)", folder.conflicts()));
    }
    format!("{} {}", folder_prefix(folder), parts.join(", "))
}

impl KindPlan for SyncPlan {
    fn change_count(&self) -> usize {
        SyncPlan::change_count(self)
    }

    fn change_lines(&self) -> Vec<String> {
        let invites = self.invites.iter().map(|i| invite_line(&i.email));
        let folders = self
            .folders
            .iter()
            .filter(|f| f.has_changes())
            .map(folder_line);
        invites.chain(folders).collect()
    }

    plan_gate_fields!();
}

impl KindReport for Report365 {
    fn written(&self) -> usize {
        self.applied.invites + self.applied.folders + self.applied.items
    }

    fn done_lines(&self) -> Vec<String> {
        self.done.clone()
    }

    fn failed_lines(&self) -> Vec<String> {
        self.applied
            .failures
            .iter()
            .map(|f| format!("{}: {}", f.what, f.error))
            .collect()
    }

    fn skipped(&self) -> usize {
        0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::office365::apply::Failure;
    use crate::office365::model::{Invite, SyncMode};
    use crate::office365::state::SyncKind;

    fn folder(kind: SyncKind, user: &str, action: FolderAction) -> FolderPlan {
        FolderPlan {
            kind,
            user: user.into(),
            folder_action: action,
            folder_id: None,
            mode: SyncMode::Off,
            changes: Vec::new(),
            capped: None,
            excluded_by_tag: 0,
            mailbox_id: String::new(),
            crm_user_id: String::new(),
            next_state: None,
            state_changes: false,
        }
    }

    pub(crate) fn sync_plan() -> SyncPlan {
        SyncPlan {
            owner: "team-a/acme".into(),
            invites: vec![Invite {
                email: "nora@acme.com".into(),
                profile: "Standard".into(),
                role: "Sales Rep".into(),
                first_name: None,
                last_name: "Newhire".into(),
                reason: "new".into(),
            }],
            folders: vec![
                folder(SyncKind::Calendar, "pat@acme.com", FolderAction::Delete),
                folder(SyncKind::Contacts, "pat@acme.com", FolderAction::Create),
                folder(SyncKind::Contacts, "dev@acme.com", FolderAction::Keep),
            ],
            diagnostics: Vec::new(),
            refusal: None,
            observe_only: false,
            state_refresh: false,
            state_variable_id: None,
            observed_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn applied_lines_leave_out_what_failed() {
        let plan = sync_plan();
        let applied = Applied365 {
            invites: 1,
            folders: 1,
            items: 0,
            failures: vec![Failure {
                what: "contacts pat@acme.com: create folder \"Zoho CRM Contacts\"".into(),
                error: "HTTP 503".into(),
            }],
            state_saved: true,
        };
        let report = Report365::of(&plan, applied);
        assert_eq!(
            report.done_lines(),
            [
                "invite nora@acme.com",
                "calendar pat@acme.com: delete folder \"Zoho CRM\" (sync off)"
            ]
        );
        assert_eq!(report.written(), 2);
        assert!(!report.is_complete());
        assert_eq!(report.failed_lines().len(), 1);
        assert!(report.failed_lines()[0].ends_with("HTTP 503"));
    }

    #[test]
    fn plan_lines_name_each_invite_and_each_folder_with_changes() {
        let lines = sync_plan().change_lines();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(lines[0], "invite nora@acme.com");
        assert!(lines[2].starts_with("contacts pat@acme.com: create folder"));
    }
}
