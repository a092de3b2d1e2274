//! The Office 365 planner: a pure function from the desired integration and what was
//! observed to a plan, with a reason for every change and every problem found at once.

use super::desired::Desired365;
use super::field_check::check_contact_fields;
use super::folder::{FolderInput, plan_disabled, plan_folder};
use super::model::{FolderPlan, Invite, SyncPlan};
use super::observed::{Observed365, StateRead};
use super::state::SyncKind;
use crate::engine::diagnostic::{Diagnostic, DiagnosticCode as Code};

/// Plans one `Office365Integration`.
pub fn plan(desired: &Desired365, observed: &Observed365) -> SyncPlan {
    let mut diagnostics = Vec::new();
    let mut plan = SyncPlan {
        owner: desired.owner.clone(),
        invites: Vec::new(),
        folders: Vec::new(),
        diagnostics: Vec::new(),
        refusal: None,
        observe_only: desired.observe_only,
        state_refresh: false,
        state_variable_id: observed.state.variable_id().map(str::to_string),
        observed_at: observed.observed_at,
    };
    match &observed.state {
        StateRead::Foreign { owner, .. } => {
            diagnostics.push(
                Diagnostic::error(
                    Code::StateForeign,
                    format!(
                        "the CRM org's Office 365 sync belongs to the integration \"{owner}\", not \"{}\"",
                        desired.owner
                    ),
                )
                .hint("one Office365Integration per CRM org: remove the other, or use its name"),
            );
            plan.diagnostics = diagnostics;
            return plan;
        }
        StateRead::Unreadable { error, .. } => {
            plan.state_refresh = true;
            diagnostics.push(Diagnostic::warning(
                Code::StateUnreadable,
                format!("the saved sync state cannot be read ({error}); every folder is compared in full"),
            ));
        }
        StateRead::Absent | StateRead::Ours { .. } => {}
    }

    plan.invites = plan_invites(desired, observed, &mut diagnostics);
    // A contact map naming fields the org lacks would lose their values: contacts wait.
    let contacts_blocked = observed.contact_fields.as_ref().is_some_and(|fields| {
        let problems = check_contact_fields(desired, fields);
        let blocked = !problems.is_empty();
        diagnostics.extend(problems);
        blocked
    });
    for kind in SyncKind::ALL {
        if kind == SyncKind::Contacts && contacts_blocked {
            continue;
        }
        for user in &desired.setting(kind).users {
            let folder = plan_enabled(
                desired,
                observed,
                &plan.invites,
                kind,
                user,
                &mut diagnostics,
            );
            plan.folders.extend(folder);
        }
    }
    plan.folders.extend(plan_turned_off(desired, observed));
    plan.folders.sort_by_key(FolderPlan::key);
    plan.diagnostics = diagnostics;
    plan.refusal = super::safety::review(&plan, observed, &desired.policy);
    plan
}

/// The plan of `user`'s folder of `kind`, whose sync is on; `None`, with a diagnostic saying
/// why, while the user cannot sync yet.
fn plan_enabled(
    desired: &Desired365,
    observed: &Observed365,
    invites: &[Invite],
    kind: SyncKind,
    user: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<FolderPlan> {
    let Some(crm_user) = observed.crm_user(user) else {
        if invites.iter().any(|i| i.email == user) {
            diagnostics.push(Diagnostic::info(
                Code::InvitePending,
                format!("{kind} sync of {user} starts once the invited user is in CRM"),
            ));
        } else {
            diagnostics.push(
                Diagnostic::error(
                    Code::UserNotFound,
                    format!("{kind} sync: {user} is not a CRM user"),
                )
                .hint("list the user under `users` to invite them from Office 365"),
            );
        }
        return None;
    };
    if !crm_user.active {
        diagnostics.push(Diagnostic::warning(
            Code::UserNotActive,
            format!("{kind} sync of {user} waits: the CRM user is not active"),
        ));
        return None;
    }
    if observed.mailbox(user).is_none() {
        diagnostics.push(
            Diagnostic::error(
                Code::MailboxNotFound,
                format!("{kind} sync: {user} has no Office 365 mailbox in the tenant"),
            )
            .hint("sync needs a CRM user whose email is an Office 365 user's mail address"),
        );
        return None;
    }
    let observation = observed
        .folders
        .iter()
        .find(|f| f.key.kind == kind && f.key.user == user)?;
    let input = FolderInput {
        observation,
        setting: desired.setting(kind),
        crm: observed.crm.get(&kind).unwrap_or(&EMPTY_VIEW),
        prior: observed.state.folder(&observation.key),
        observed_at: observed.observed_at,
        window: observed
            .calendar_window
            .filter(|_| kind == SyncKind::Calendar),
    };
    Some(plan_folder(&input))
}

/// The saved folders whose sync was turned off.
fn plan_turned_off(desired: &Desired365, observed: &Observed365) -> Vec<FolderPlan> {
    let Some(state) = observed.state.state() else {
        return Vec::new();
    };
    let mut folders = Vec::new();
    for (key, prior) in state.folders() {
        if desired.enabled(key.kind, &key.user) {
            continue;
        }
        let observation = observed.folders.iter().find(|f| f.key == key);
        folders.push(plan_disabled(
            &key,
            prior,
            observation.is_some_and(|o| o.folder_id.is_some()),
            observation
                .map(|o| o.mailbox_id.clone())
                .unwrap_or_default(),
        ));
    }
    folders
}

static EMPTY_VIEW: std::sync::LazyLock<super::observed::CrmView> =
    std::sync::LazyLock::new(Default::default);

fn plan_invites(
    desired: &Desired365,
    observed: &Observed365,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Invite> {
    let mut invites = Vec::new();
    for wanted in &desired.invites {
        if observed.crm_user(&wanted.email).is_some() {
            continue;
        }
        let Some(mailbox) = observed.mailbox(&wanted.email) else {
            diagnostics.push(
                Diagnostic::error(
                    Code::MailboxNotFound,
                    format!("{} is not an Office 365 user of the tenant", wanted.email),
                )
                .hint("only the tenant's users can be invited; check the address"),
            );
            continue;
        };
        let mut problems = false;
        for (what, code, by_name, wanted_name) in [
            (
                "profile",
                Code::ProfileNotFound,
                &observed.profiles,
                &wanted.profile,
            ),
            ("role", Code::RoleNotFound, &observed.roles, &wanted.role),
        ] {
            if Observed365::id_by_name(by_name, wanted_name).is_none() {
                problems = true;
                let known: Vec<&str> = by_name.keys().map(String::as_str).collect();
                diagnostics.push(
                    Diagnostic::error(
                        code,
                        format!("{}: CRM has no {what} \"{wanted_name}\"", wanted.email),
                    )
                    .hint(format!("{what}s in CRM: {}", known.join(", "))),
                );
            }
        }
        if problems {
            continue;
        }
        let (first_name, last_name) = split_name(mailbox.display_name.as_deref(), &wanted.email);
        invites.push(Invite {
            email: wanted.email.clone(),
            profile: wanted.profile.clone(),
            role: wanted.role.clone(),
            first_name,
            last_name,
            reason: "an Office 365 user who is not in CRM yet".into(),
        });
    }
    invites
}

/// "Ada Lovelace" → (Ada, Lovelace); CRM needs a last name, so a lone word or no name at
/// all falls back to the mailbox part of the address.
fn split_name(display: Option<&str>, email: &str) -> (Option<String>, String) {
    let display = display.map(str::trim).filter(|d| !d.is_empty());
    match display.and_then(|d| d.rsplit_once(' ')) {
        Some((first, last)) => (Some(first.trim().to_string()), last.to_string()),
        None => (
            None,
            display
                .map(str::to_string)
                .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string()),
        ),
    }
}
