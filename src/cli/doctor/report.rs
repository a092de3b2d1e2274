//! The checklist `doctor` prints: one line per check with its verdict, a hint under each
//! problem, as text for people and JSON for scripts, and the exit code the verdicts add up to.

use serde::Serialize;

use crate::cli::exit;

/// A check's verdict, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Works today, but something needs attention (legacy API only, credits running low).
    Warn,
    /// Something projectlink needs will fail against this org.
    Fail,
}

impl Status {
    fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
        }
    }
}

/// One line of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// What part of the org the check is about: `token`, `scopes`, `crm`, `projects`, …
    pub area: &'static str,
    pub status: Status,
    /// What was found, naming the request, field or value concerned.
    pub detail: String,
    /// What to do about a warning or failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Check {
    pub fn ok(area: &'static str, detail: impl Into<String>) -> Check {
        Check {
            area,
            status: Status::Ok,
            detail: detail.into(),
            hint: None,
        }
    }

    pub fn warn(area: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
        Check {
            area,
            status: Status::Warn,
            detail: detail.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn fail(area: &'static str, detail: impl Into<String>, hint: impl Into<String>) -> Check {
        Check {
            area,
            status: Status::Fail,
            detail: detail.into(),
            hint: Some(hint.into()),
        }
    }
}

/// The checks of one spec resource.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    pub kind: &'static str,
    pub name: String,
    /// Which org was probed, as `plan` names it.
    pub target: String,
    pub checks: Vec<Check>,
}

impl Section {
    pub fn worst(&self) -> Status {
        self.checks
            .iter()
            .map(|c| c.status)
            .max()
            .unwrap_or(Status::Ok)
    }
}

/// Every section, in spec order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub sections: Vec<Section>,
}

impl Report {
    fn count(&self, status: Status) -> usize {
        self.sections
            .iter()
            .flat_map(|s| &s.checks)
            .filter(|c| c.status == status)
            .count()
    }

    /// 0 all good, 1 something will fail, 2 warnings only.
    pub fn exit_code(&self) -> u8 {
        match self.sections.iter().map(Section::worst).max() {
            Some(Status::Fail) => exit::ERROR,
            Some(Status::Warn) => exit::CHANGES,
            _ => exit::OK,
        }
    }

    /// The checklist as text, one line per check, hints indented under their check.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for section in &self.sections {
            out.push_str(&format!("{} \"{}\"\n", section.kind, section.name));
            out.push_str(&format!("{}\n", section.target));
            for check in &section.checks {
                out.push_str(&format!(
                    "  {} {:<9} {}\n",
                    check.status.mark(),
                    check.area,
                    check.detail
                ));
                if let Some(hint) = &check.hint {
                    out.push_str(&format!("      hint: {hint}\n"));
                }
            }
            out.push('\n');
        }
        let (ok, warn, fail) = (
            self.count(Status::Ok),
            self.count(Status::Warn),
            self.count(Status::Fail),
        );
        let verdict = match self.exit_code() {
            exit::ERROR => "something projectlink needs will fail",
            exit::CHANGES => "projectlink will work; see the warnings",
            _ => "projectlink will work with this org",
        };
        out.push_str(&format!(
            "Doctor: {ok} ok, {warn} warning(s), {fail} failure(s): {verdict}.\n"
        ));
        out
    }

    /// The checklist as a JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "sections": self.sections,
            "summary": {
                "ok": self.count(Status::Ok),
                "warnings": self.count(Status::Warn),
                "failures": self.count(Status::Fail),
                "exit_code": self.exit_code(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(checks: Vec<Check>) -> Report {
        Report {
            sections: vec![Section {
                kind: "ProjectsIntegration",
                name: "acme".into(),
                target: "Target: sandbox".into(),
                checks,
            }],
        }
    }

    #[test]
    fn the_worst_verdict_sets_the_exit_code() {
        assert_eq!(report(vec![Check::ok("token", "fine")]).exit_code(), 0);
        let warned = report(vec![Check::ok("a", "x"), Check::warn("b", "y", "z")]);
        assert_eq!(warned.exit_code(), 2);
        let failed = report(vec![Check::warn("b", "y", "z"), Check::fail("c", "x", "h")]);
        assert_eq!(failed.exit_code(), 1);
        assert_eq!(Report::default().exit_code(), 0);
    }

    #[test]
    fn text_puts_hints_under_their_check_and_json_counts() {
        let r = report(vec![
            Check::ok("token", "fine"),
            Check::fail("scopes", "none", "grant"),
        ]);
        let text = r.text();
        assert!(text.contains("  ✓ token     fine\n"), "{text}");
        assert!(
            text.contains("  ✗ scopes    none\n      hint: grant\n"),
            "{text}"
        );
        assert!(text.ends_with(
            "1 ok, 0 warning(s), 1 failure(s): something projectlink needs will fail.\n"
        ));
        let json = r.json();
        assert_eq!(json["summary"]["failures"], 1);
        assert_eq!(json["sections"][0]["checks"][1]["status"], "fail");
        assert!(json["sections"][0]["checks"][0].get("hint").is_none());
    }
}
