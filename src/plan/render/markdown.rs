//! Markdown plan output for pull-request comments: a summary table, diagnostics, and the
//! changes in a collapsible block, kept safely below GitHub's 65,536-character limit.

use std::fmt::Write;

use super::diff_lines;
use crate::engine::diagnostic;
use crate::plan::{Change, Plan};

/// Upper bound for the rendered comment; GitHub rejects comments above 65,536 characters.
pub const MAX_CHARS: usize = 65_000;

pub fn render(plan: &Plan, target: &str) -> String {
    render_with_limit(plan, target, MAX_CHARS)
}

pub fn render_with_limit(plan: &Plan, target: &str, limit: usize) -> String {
    let mut head = String::new();
    let _ = writeln!(head, "### projectlink plan for `{}`", plan.integration);
    let _ = writeln!(head);
    let _ = writeln!(head, "Target: {target}");
    let _ = writeln!(head);
    if plan.changes.is_empty() {
        let _ = writeln!(
            head,
            "**No changes.** The live integration matches the spec."
        );
        let _ = writeln!(head);
    }
    write_summary(&mut head, plan);
    if let Some(report) = &plan.client_mapping {
        // At most half the comment: the diagnostics and changes need room too.
        head.push_str(&super::mapping::markdown(report, limit / 2));
    }
    if !plan.diagnostics.is_empty() {
        head.push_str(&diagnostic::markdown(&plan.diagnostics, &escape));
    }
    if plan.changes.is_empty() {
        return head;
    }
    let body = changes_block(&plan.changes, limit, head.len());
    head + &body
}

/// The summary table, the cost and observation, and what stops the plan from applying.
fn write_summary(head: &mut String, plan: &Plan) {
    let s = &plan.summary;
    let _ = writeln!(
        head,
        "| Create | Update | Delete | Adopt | Destructive | Errors | Warnings | API calls (est.) |"
    );
    let _ = writeln!(head, "|---:|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        head,
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        s.create,
        s.update,
        s.delete,
        s.adopt,
        s.destructive,
        s.errors,
        s.warnings,
        s.estimated_api_calls
    );
    let _ = writeln!(head);
    if let Some(cost) = &plan.projects_cost {
        let _ = writeln!(head, "{}\n", escape(&cost.describe()));
    }
    if let Some(observation) = &plan.observation {
        let _ = writeln!(head, "{}\n", escape(&observation.describe()));
    }
    if let Some(refusal) = &plan.refusal {
        head.push_str(&refusal.markdown(escape));
    }
    if plan.observe_only {
        let _ = writeln!(
            head,
            "> [!NOTE]\n> `policy.observeOnly` is set: this plan is a drift report only.\n"
        );
    }
}

/// The changes as a collapsed diff, as many as fit in what `limit` leaves after the
/// `head_len` characters before them.
fn changes_block(changes: &[Change], limit: usize, head_len: usize) -> String {
    let closing = "```\n\n</details>\n";
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<details><summary>{} change(s)</summary>\n",
        changes.len()
    );
    let _ = writeln!(body, "```diff");
    let budget = limit.saturating_sub(head_len + closing.len() + 200);
    let mut shown = 0;
    for change in changes {
        let block = change_lines(change);
        if body.len() + block.len() > budget {
            break;
        }
        body.push_str(&block);
        shown += 1;
    }
    if shown < changes.len() {
        let _ = writeln!(
            body,
            "# … {} more change(s) not shown to stay within the comment size limit; see `projectlink plan --format json`.",
            changes.len() - shown
        );
    }
    body.push_str(closing);
    body
}

/// One change in the diff: its address and action, its reason and its diff.
fn change_lines(change: &Change) -> String {
    let mut block = String::new();
    let marker = if change.destructive {
        " [destructive]"
    } else {
        ""
    };
    let sign = match change.action.sign() {
        "~" | "&" => "!",
        other => other,
    };
    let _ = writeln!(
        block,
        "{sign} {} ({}){marker}",
        change.address,
        change.action.label()
    );
    let _ = writeln!(block, "#   {}", change.reason.replace("```", "'''"));
    for (sign, line) in diff_lines(change.before.as_ref(), change.after.as_ref()) {
        let _ = writeln!(block, "{sign}   {}", line.replace("```", "'''"));
    }
    block
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
