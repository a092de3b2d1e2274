//! What people read: the Office 365 plan as counts per user, folder and direction with a few
//! sample items (a first sync can hold tens of thousands), in text or markdown; the JSON
//! rendering carries every change.

use std::fmt::Write as _;

use serde::Serialize;

use super::model::{FolderAction, FolderPlan, ItemAction, ItemChange, SyncMode, SyncPlan, Target};
use crate::engine::diagnostic;

/// Sample items shown per folder.
pub const SAMPLES: usize = 3;

const ACTIONS: [ItemAction; 4] = [
    ItemAction::Create,
    ItemAction::Update,
    ItemAction::Delete,
    ItemAction::Link,
];

fn counts(folder: &FolderPlan, target: Target) -> Option<String> {
    let parts: Vec<String> = ACTIONS
        .iter()
        .filter_map(|&action| {
            let n = folder.count(target, action);
            (n > 0).then(|| format!("{n} {}", action.label()))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn folder_heading(folder: &FolderPlan) -> String {
    let name = folder.kind.folder_name();
    let mut notes = Vec::new();
    match folder.folder_action {
        FolderAction::Create => notes.push(format!("create folder \"{name}\"")),
        FolderAction::Delete => notes.push(format!(
            "delete folder \"{name}\" and its items from Office 365: sync turned off; CRM is not touched"
        )),
        FolderAction::Forget => {
            notes.push("sync turned off; the folder is already gone".to_string())
        }
        FolderAction::Keep => {}
    }
    match &folder.mode {
        SyncMode::Initial => notes.push("first sync".into()),
        SyncMode::Full { reason } => notes.push(format!("full comparison: {reason}")),
        SyncMode::Incremental | SyncMode::Off => {}
    }
    if let Some(cap) = &folder.capped {
        notes.push(format!(
            "{} eligible, the first sync takes {}",
            cap.eligible, cap.cap
        ));
    }
    if folder.excluded_by_tag > 0 {
        notes.push(format!(
            "{} tagged record(s) not synced",
            folder.excluded_by_tag
        ));
    }
    let mut heading = format!("{} {}", folder.kind, folder.user);
    if !notes.is_empty() {
        let _ = write!(heading, " [{}]", notes.join("; "));
    }
    heading
}

fn describe(change: &ItemChange) -> String {
    let sign = if change.conflict.is_some() {
        "!"
    } else {
        change.action.sign()
    };
    let mut ids = Vec::new();
    if let Some(id) = &change.crm_id {
        ids.push(format!("crm {id}"));
    }
    let mut text = format!("{sign} {} {}", change.target.label(), change.title);
    if !ids.is_empty() {
        let _ = write!(text, " ({})", ids.join(", "));
    }
    let _ = write!(text, ": {}", change.reason);
    if !change.fields.is_empty() {
        let _ = write!(text, " [{}]", change.fields.join(", "));
    }
    text
}

/// Conflicts first, then the plan's order.
fn samples(folder: &FolderPlan) -> impl Iterator<Item = &ItemChange> {
    let conflicts = folder.changes.iter().filter(|c| c.conflict.is_some());
    let others = folder.changes.iter().filter(|c| c.conflict.is_none());
    conflicts.chain(others).take(SAMPLES)
}

/// One line summing the plan up, as the last line of the text rendering.
pub fn summary_line(plan: &SyncPlan) -> String {
    if plan.is_empty() {
        return "No changes.".into();
    }
    let items: usize = plan.folders.iter().map(|f| f.changes.len()).sum();
    let touched = plan.folders.iter().filter(|f| f.has_changes()).count();
    let conflicts: usize = plan.folders.iter().map(FolderPlan::conflicts).sum();
    let mut line = format!(
        "Plan: {} invite(s), {items} item change(s) in {touched} folder(s)",
        plan.invites.len()
    );
    if conflicts > 0 {
        let _ = write!(line, ", {conflicts} conflict(s)");
    }
    line.push('.');
    line
}

/// The plan as text.
pub fn text(plan: &SyncPlan) -> String {
    let mut out = format!("Office 365 integration \"{}\"\n", plan.owner);
    for invite in &plan.invites {
        let _ = writeln!(
            out,
            "  + invite {} to CRM (profile {}, role {}): {}",
            invite.email, invite.profile, invite.role, invite.reason
        );
    }
    for folder in plan.folders.iter().filter(|f| f.has_changes()) {
        let _ = writeln!(out, "  {}", folder_heading(folder));
        for target in [Target::Office365, Target::Crm] {
            if let Some(counts) = counts(folder, target) {
                let _ = writeln!(out, "    {:<14} {counts}", format!("{}:", target.label()));
            }
        }
        if folder.conflicts() > 0 {
            let _ = writeln!(
                out,
                "    conflicts:     {} (resolved to the later modification)",
                folder.conflicts()
            );
        }
        for (i, change) in samples(folder).enumerate() {
            let lead = if i == 0 { "e.g." } else { "    " };
            let _ = writeln!(out, "    {lead} {}", describe(change));
        }
        if folder.changes.len() > SAMPLES {
            let _ = writeln!(
                out,
                "         … and {} more (--format json lists every change)",
                folder.changes.len() - SAMPLES
            );
        }
    }
    // After the changes and before the summary, as in every kind's plan.
    if !plan.diagnostics.is_empty() {
        out.push_str(&diagnostic::text(&plan.diagnostics, &|_, label| {
            label.to_string()
        }));
    }
    let _ = writeln!(out, "{}", summary_line(plan));
    if let Some(refusal) = &plan.refusal {
        out.push_str(&refusal.text("Refused:"));
    }
    out
}

/// The plan as a markdown section (for pull-request comments).
pub fn markdown(plan: &SyncPlan) -> String {
    let mut out = format!("### Office 365 integration `{}`\n\n", plan.owner);
    if let Some(refusal) = &plan.refusal {
        out.push_str(&refusal.markdown(str::to_string));
    }
    if !plan.diagnostics.is_empty() {
        out.push_str(&diagnostic::markdown(&plan.diagnostics, &escape));
    }
    for invite in &plan.invites {
        let _ = writeln!(
            out,
            "- invite `{}` (profile {}, role {})",
            invite.email, invite.profile, invite.role
        );
    }
    let changed: Vec<&FolderPlan> = plan.folders.iter().filter(|f| f.has_changes()).collect();
    if !changed.is_empty() {
        out.push_str("\n| user | sync | folder | to Office 365 | to CRM | conflicts |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for folder in &changed {
            let folder_note = match folder.folder_action {
                FolderAction::Create => "create",
                FolderAction::Delete => "delete (sync off)",
                FolderAction::Forget => "forget (sync off)",
                FolderAction::Keep => "",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {folder_note} | {} | {} | {} |",
                folder.user,
                folder.kind,
                counts(folder, Target::Office365).unwrap_or_default(),
                counts(folder, Target::Crm).unwrap_or_default(),
                folder.conflicts()
            );
        }
        out.push_str("\n<details><summary>Samples</summary>\n\n");
        for folder in &changed {
            for change in samples(folder) {
                let _ = writeln!(
                    out,
                    "- {} {}: `{}`",
                    folder.kind,
                    folder.user,
                    describe(change)
                );
            }
        }
        out.push_str("\n</details>\n");
    }
    let _ = writeln!(out, "\n{}", summary_line(plan));
    out
}

/// Keeps a message quoting spec or CRM values from breaking the table or reading as HTML.
fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The JSON document: every change, with its reason.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncPlanDocument<'a> {
    pub format_version: u32,
    pub kind: &'static str,
    pub plan: &'a SyncPlan,
}

pub fn json(plan: &SyncPlan) -> serde_json::Value {
    serde_json::to_value(SyncPlanDocument {
        format_version: 1,
        kind: "Office365Integration",
        plan,
    })
    .expect("the plan serializes")
}
