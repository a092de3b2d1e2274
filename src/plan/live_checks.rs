//! Plan-time checks against the live org: the acting user must be a CRM administrator, and
//! every deal stage, portal role and project template the spec names must exist. Otherwise
//! the plan fails before anything is written (instead of a 403 or a bad-value error half-way
//! through apply), pointing at the value in the spec and listing the names that do exist.

use super::diagnostics::{DiagnosticCode as Code, PlanDiagnostic};
use super::planner::Planner;
pub use crate::domain::named::{NameKind, NamedInSpec};
use crate::live::Address;
use crate::spec::names::close_matches;
use crate::zoho::crm::ADMIN_PROFILE;

/// How many valid names a hint lists before "and N more".
const LISTED: usize = 20;

/// "did you mean X? <what>: a, b, c and N more": the closest existing name and the names
/// that exist, so a misspelt value can be fixed from the message alone.
pub fn valid_names_hint<'a>(
    wrong: &str,
    what: &str,
    existing: impl IntoIterator<Item = &'a str>,
) -> String {
    let names: Vec<&str> = existing.into_iter().collect();
    if names.is_empty() {
        return format!("{what}: none");
    }
    let mut hint = match close_matches(wrong, names.iter().copied(), 1)[..] {
        [closest] => format!("did you mean {closest:?}? "),
        _ => String::new(),
    };
    let shown: Vec<String> = names
        .iter()
        .take(LISTED)
        .map(|n| format!("{n:?}"))
        .collect();
    hint.push_str(&format!("{what}: {}", shown.join(", ")));
    if names.len() > LISTED {
        hint.push_str(&format!(" and {} more", names.len() - LISTED));
    }
    hint
}

impl Planner<'_> {
    /// The acting user's rights, always; the names the spec uses, when it is active.
    pub(super) fn check_live_names(&mut self) {
        self.check_acting_user();
        if !self.desired.active {
            return;
        }
        let names = &self.observed.names;
        let templates: Option<Vec<String>> = names
            .templates
            .as_ref()
            .map(|ts| ts.iter().map(|(_, name)| name.clone()).collect());
        let checks = [
            (NameKind::DealStage, names.deal_stages.as_deref(), true),
            (NameKind::PortalRole, names.portal_roles.as_deref(), false),
            (NameKind::Template, templates.as_deref(), true),
        ];
        let mut seen: Vec<(NameKind, &str)> = Vec::new();
        for (kind, live, exact) in checks {
            let Some(live) = live else { continue };
            for named in self.desired.named.iter().filter(|n| n.kind == kind) {
                let found = live.iter().any(|l| match exact {
                    true => *l == named.name,
                    false => l.eq_ignore_ascii_case(&named.name),
                });
                // A role named twice (default and per user) is reported at its first use.
                if found || seen.contains(&(kind, named.name.as_str())) {
                    continue;
                }
                seen.push((kind, named.name.as_str()));
                let diagnostic = missing(kind, named, live, &self.desired.portal_name);
                self.diag(diagnostic);
            }
        }
    }

    /// A user without the Administrator profile cannot apply anything this planner plans:
    /// the module, fields, permissions and org variable all need it.
    fn check_acting_user(&mut self) {
        let Some(user) = &self.observed.names.acting_user else {
            return;
        };
        if user.administrator {
            return;
        }
        let message = format!(
            "acting user {} has the {} profile, not {ADMIN_PROFILE}: it lacks the {ADMIN_PROFILE} profile's \"Customize Zoho CRM\" and \"Manage Users\" rights that creating the link module and its fields, setting profile permissions and writing the integration's org variable need",
            user.email, user.profile
        );
        let hint = format!(
            "use a grant (refresh token) of a user with the {ADMIN_PROFILE} profile in connection.secretRef, or give {} that profile; `projectlink doctor` checks a grant without planning",
            user.email
        );
        let address = Address::crm("user", user.email.clone());
        let diagnostic = match self.desired.observe_only {
            // A drift report writes nothing, so a read-only user may run it.
            true => PlanDiagnostic::warning(Code::NotAdministrator, message),
            false => PlanDiagnostic::error(Code::NotAdministrator, message),
        };
        self.diag(
            diagnostic
                .hint(hint)
                .at(address)
                .in_spec("spec.connection.secretRef"),
        );
    }

    /// The spec path of profile `name` (the first entry naming it).
    pub(super) fn profile_spec_path(&self, name: &str) -> Option<String> {
        self.desired
            .named
            .iter()
            .find(|n| n.kind == NameKind::Profile && n.name == name)
            .map(|n| n.spec_path.clone())
    }
}

/// The error for a name the org does not have.
fn missing(kind: NameKind, named: &NamedInSpec, live: &[String], portal: &str) -> PlanDiagnostic {
    let name = &named.name;
    let existing = live.iter().map(String::as_str);
    let (code, message, what, address) = match kind {
        NameKind::DealStage => (
            Code::StageNotFound,
            format!("deal stage \"{name}\" is not a stage of Deals in this org"),
            "stages of Deals",
            Address::crm("deal-conversion", name.clone()),
        ),
        NameKind::PortalRole => (
            Code::RoleNotFound,
            format!("portal role \"{name}\" does not exist in portal \"{portal}\""),
            "roles of the portal",
            Address::projects("role", name.clone()),
        ),
        NameKind::Template => (
            Code::TemplateNotFound,
            format!("project template \"{name}\" does not exist in portal \"{portal}\""),
            "templates of the portal",
            Address::projects("template", name.clone()),
        ),
        NameKind::Profile => (
            Code::ProfileNotFound,
            format!("CRM profile \"{name}\" does not exist"),
            "profiles in this org",
            Address::crm("profile", name.clone()),
        ),
    };
    PlanDiagnostic::error(code, message)
        .hint(valid_names_hint(name, what, existing))
        .at(address)
        .in_spec(named.spec_path.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ProjectsIntegrationSpec;

    #[test]
    fn the_hint_names_the_closest_and_caps_the_list() {
        let many: Vec<String> = (0..25).map(|i| format!("Stage {i:02}")).collect();
        let hint = valid_names_hint("Stage 3", "stages", many.iter().map(String::as_str));
        assert!(
            hint.starts_with("did you mean \"Stage 03\"? stages: \"Stage 00\""),
            "{hint}"
        );
        assert!(hint.ends_with("\"Stage 19\" and 5 more"), "{hint}");
        assert_eq!(valid_names_hint("x", "roles", []), "roles: none");
    }

    fn plan_with(spec_tail: &str, names: crate::live::NamedFacts) -> crate::plan::Plan {
        let spec: ProjectsIntegrationSpec = serde_saphyr::from_str(&format!(
            "connection: {{secretRef: {{name: z}}}}\nportal: {{name: P}}\n{spec_tail}"
        ))
        .unwrap();
        let desired = crate::plan::Desired::from_spec("x", &spec);
        let observed = crate::live::Observed {
            names,
            ..Default::default()
        };
        crate::plan::planner::plan(&desired, &observed, &Default::default())
    }

    fn found(plan: &crate::plan::Plan) -> Vec<(Code, crate::plan::Severity, Option<&str>)> {
        plan.diagnostics
            .iter()
            .filter(|d| {
                matches!(
                    d.code,
                    Code::NotAdministrator | Code::StageNotFound | Code::RoleNotFound
                )
            })
            .map(|d| (d.code, d.severity, d.spec_at.as_deref()))
            .collect()
    }

    #[test]
    fn stages_match_exactly_roles_ignoring_case_and_a_non_admin_fails_unless_observing() {
        use crate::live::{ActingUserFacts, NamedFacts};
        use crate::plan::Severity;
        let names = |administrator| NamedFacts {
            acting_user: Some(ActingUserFacts {
                email: "pat@acme.com".into(),
                profile: "Standard".into(),
                administrator,
            }),
            deal_stages: Some(vec!["Closed Won".into()]),
            portal_roles: Some(vec!["Employee".into()]),
            ..Default::default()
        };
        let tail = "permissions: {defaultRole: employee}\ndealConversion: {stage: closed won}\n";
        assert_eq!(
            found(&plan_with(tail, names(true))),
            [(
                Code::StageNotFound,
                Severity::Error,
                Some("spec.dealConversion.stage")
            )]
        );
        let tail = "permissions: {defaultRole: Employee}\n";
        assert_eq!(
            found(&plan_with(tail, names(false))),
            [(
                Code::NotAdministrator,
                Severity::Error,
                Some("spec.connection.secretRef")
            )]
        );
        let observing = format!("{tail}policy: {{observeOnly: true}}\n");
        assert_eq!(
            found(&plan_with(&observing, names(false))),
            [(
                Code::NotAdministrator,
                Severity::Warning,
                Some("spec.connection.secretRef")
            )]
        );
    }
}
