//! Human-readable plan output, in the spirit of `terraform plan`: one block per change with
//! its reason and a diff, then diagnostics, then a one-line summary.

use std::fmt::Write;

use super::diff_lines;
use crate::engine::diagnostic;
use crate::plan::{Action, Change, Plan, PlanDiagnostic, Severity};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";

struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

fn action_color(action: Action) -> &'static str {
    match action {
        Action::Create => GREEN,
        Action::Delete => RED,
        Action::Update | Action::Adopt => YELLOW,
        Action::NoOp => DIM,
    }
}

/// Changes of one kind shown before the rest of the run is counted.
const RUN_SHOWN: usize = 20;

/// Renders the plan as text; `color` adds ANSI colours (only on a terminal).
pub fn render(plan: &Plan, color: bool) -> String {
    let p = Paint { color };
    let mut out = String::new();
    if plan.changes.is_empty() {
        let _ = writeln!(
            out,
            "No changes. The live integration \"{}\" matches the spec.",
            plan.integration
        );
    } else {
        let _ = writeln!(
            out,
            "projectlink will perform these changes for \"{}\":",
            plan.integration
        );
        let _ = writeln!(out);
    }
    write_changes(&mut out, &p, &plan.changes);
    if let Some(report) = &plan.client_mapping {
        let _ = writeln!(out, "{}", super::mapping::text(report));
    }
    if !plan.diagnostics.is_empty() {
        write_diagnostics(&mut out, &p, &plan.diagnostics);
    }
    write_summary(&mut out, &p, plan);
    out
}

/// Every change; long runs of the same kind of change (thousands of link records) are
/// summarized after their first `RUN_SHOWN`.
fn write_changes(out: &mut String, p: &Paint, changes: &[Change]) {
    let mut run: Option<(&str, Action, usize)> = None;
    for (index, change) in changes.iter().enumerate() {
        let kind = change.address.kind.as_str();
        let seen = match run {
            Some((k, a, n)) if k == kind && a == change.action => n + 1,
            _ => 1,
        };
        run = Some((kind, change.action, seen));
        if seen > RUN_SHOWN {
            let next_differs = changes
                .get(index + 1)
                .is_none_or(|n| n.address.kind != change.address.kind || n.action != change.action);
            if next_differs {
                let _ = writeln!(
                    out,
                    "  … and {} more {} {} changes (all are in --format json)",
                    seen - RUN_SHOWN,
                    change.action.label(),
                    kind
                );
                let _ = writeln!(out);
            }
            continue;
        }
        write_change(out, p, change);
    }
}

/// One change: its address and action, its reason and its diff.
fn write_change(out: &mut String, p: &Paint, change: &Change) {
    let color = action_color(change.action);
    let mut head = format!(
        "{} {} {}",
        change.action.sign(),
        change.address,
        change.action.label()
    );
    if change.destructive {
        head.push_str("  [destructive]");
    }
    let _ = writeln!(out, "  {}", p.paint(&format!("{BOLD}{color}"), &head));
    let _ = writeln!(
        out,
        "      {}",
        p.paint(DIM, &format!("# {}", change.reason))
    );
    for (sign, line) in diff_lines(change.before.as_ref(), change.after.as_ref()) {
        let text = format!("{sign} {line}");
        let painted = match sign {
            '+' => p.paint(GREEN, &text),
            '-' => p.paint(RED, &text),
            _ => text,
        };
        let _ = writeln!(out, "      {painted}");
    }
    let _ = writeln!(out);
}

/// The diagnostics in the format every kind shares, labels coloured by severity.
fn write_diagnostics(out: &mut String, p: &Paint, diagnostics: &[PlanDiagnostic]) {
    let paint = |severity: Severity, label: &str| {
        let color = match severity {
            Severity::Error => RED,
            Severity::Warning => YELLOW,
            Severity::Info => CYAN,
        };
        p.paint(&format!("{BOLD}{color}"), label)
    };
    out.push_str(&diagnostic::text(diagnostics, &paint));
}

/// The summary line, the cost, the observation, then what stops the plan from applying.
fn write_summary(out: &mut String, p: &Paint, plan: &Plan) {
    let s = &plan.summary;
    let _ = writeln!(
        out,
        "{} {} to create, {} to update, {} to delete, {} to adopt ({} destructive); about {} API calls, {} credits.",
        p.paint(BOLD, "Plan:"),
        s.create,
        s.update,
        s.delete,
        s.adopt,
        s.destructive,
        s.estimated_api_calls,
        s.estimated_credits
    );
    if let Some(cost) = &plan.projects_cost {
        let _ = writeln!(out, "{}", cost.describe());
    }
    if let Some(observation) = &plan.observation {
        let _ = writeln!(out, "{}", observation.describe());
    }
    if s.errors > 0 {
        let _ = writeln!(
            out,
            "{}",
            p.paint(
                RED,
                &format!(
                    "{} error(s) must be fixed before this plan can be applied.",
                    s.errors
                )
            )
        );
    }
    if let Some(refusal) = &plan.refusal {
        out.push_str(&refusal.text(&p.paint(&format!("{BOLD}{RED}"), "Refused:")));
    }
    if plan.observe_only {
        let _ = writeln!(
            out,
            "policy.observeOnly is set: this plan is a drift report and will not be applied."
        );
    }
}
