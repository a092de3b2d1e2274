//! Plan-time checks against the live org, over real HTTP against the sandbox: a grant
//! without admin rights and every misspelt deal stage, portal role, template and profile fail
//! `plan` (and `apply`) with exit 1 before anything is written, naming the value's place in
//! the spec and the names that exist; a portal owner's grant that is not there yet reads the
//! same whether the other credentials come from a file or from the environment.

mod cli_support;

use cli_support::{Harness, Run, read_example};
use projectlink::sandbox::seed::DEMO_SEED_YAML;

/// Runs `plan` and then `apply --auto-approve` on `spec`; both must fail with exit 1 and
/// say the same thing. Returns the plan's run.
fn plan_and_apply_fail(h: &Harness, spec: &str) -> Run {
    let path = h.write("spec.yaml", spec);
    let path = path.to_str().unwrap();
    let plan = h.run(&["plan", "-f", path]);
    assert_eq!(plan.code, 1, "plan: {}", plan.all());
    let apply = h.run(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(apply.code, 1, "apply: {}", apply.all());
    assert!(
        apply
            .all()
            .contains("must be fixed before this plan can be applied"),
        "{}",
        apply.all()
    );
    plan
}

/// The example with one value replaced; panics if the example no longer holds it.
fn acme_with(from: &str, to: &str) -> String {
    let spec = read_example("acme.yaml");
    assert!(spec.contains(from), "the example changed: no {from:?}");
    spec.replacen(from, to, 1)
}

/// The diagnostic block (its lines up to the next diagnostic) that starts with `head`.
fn diagnostic<'a>(run: &'a Run, head: &str) -> Vec<&'a str> {
    let mut lines = run.stdout.lines().skip_while(|l| !l.contains(head));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("no {head:?} in:\n{}", run.all()));
    let rest = lines.take_while(|l| l.starts_with("      "));
    std::iter::once(first).chain(rest).collect()
}

/// Nothing but reads and token requests reached the sandbox.
fn assert_nothing_written(h: &Harness) {
    let counters = &h.sandbox().counters;
    assert_eq!(
        counters.writes(),
        Default::default(),
        "{:?}",
        counters.snapshot()
    );
    let by_method = counters.by_method();
    assert!(by_method["GET"] > 0, "{by_method:?}");
}

#[test]
fn a_plan_by_a_user_without_admin_rights_fails_before_any_write() {
    let seed = DEMO_SEED_YAML.replacen(
        "{email: admin@acme.com, first_name: Ada, last_name: Admin, profile: Administrator",
        "{email: admin@acme.com, first_name: Ada, last_name: Admin, profile: Standard",
        1,
    );
    let h = Harness::with_seed_text(&seed);
    let run = plan_and_apply_fail(&h, &read_example("acme.yaml"));
    let block = diagnostic(&run, "error[NotAdministrator]").join("\n");
    assert!(
        block.contains("acting user admin@acme.com has the Standard profile, not Administrator"),
        "{block}"
    );
    assert!(
        block.contains("\"Customize Zoho CRM\" and \"Manage Users\" rights"),
        "{block}"
    );
    assert!(block.contains("in the spec at "), "{block}");
    assert!(
        block
            .contains("hint: use a grant (refresh token) of a user with the Administrator profile"),
        "{block}"
    );
    assert_nothing_written(&h);
}

#[test]
fn a_drift_report_by_a_user_without_admin_rights_only_warns() {
    let seed = DEMO_SEED_YAML.replacen(
        "{email: admin@acme.com, first_name: Ada, last_name: Admin, profile: Administrator",
        "{email: admin@acme.com, first_name: Ada, last_name: Admin, profile: Standard",
        1,
    );
    let h = Harness::with_seed_text(&seed);
    let spec = acme_with("observeOnly: false", "observeOnly: true");
    let path = h.write("spec.yaml", &spec);
    let run = h.run(&["plan", "-f", path.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("warning[NotAdministrator]"),
        "{}",
        run.all()
    );
    assert_nothing_written(&h);
}

#[test]
fn a_misspelt_deal_stage_fails_plan_with_the_stages_of_deals() {
    let h = Harness::demo();
    let run = plan_and_apply_fail(&h, &acme_with("stage: Closed Won", "stage: Closed-Won"));
    let block: Vec<String> = diagnostic(&run, "error[StageNotFound]")
        .iter()
        .map(|l| l.replace(h.path("spec.yaml").to_str().unwrap(), "spec.yaml"))
        .collect();
    insta::assert_snapshot!("misspelt_deal_stage", block.join("\n"));
    assert_nothing_written(&h);
}

#[test]
fn a_misspelt_default_role_fails_plan_with_the_portal_roles() {
    let h = Harness::demo();
    let run = plan_and_apply_fail(
        &h,
        &acme_with("defaultRole: Employee", "defaultRole: Employe"),
    );
    let block = diagnostic(&run, "error[RoleNotFound]").join("\n");
    assert!(
        block.contains("portal role \"Employe\" does not exist in portal \"Acme Delivery\""),
        "{block}"
    );
    assert!(block.contains("spec.yaml:34:18"), "{block}");
    assert!(
        block.contains(
            "did you mean \"Employee\"? roles of the portal: \"Manager\", \"Employee\", \"Contractor\""
        ),
        "{block}"
    );
    assert_nothing_written(&h);
}

#[test]
fn a_misspelt_role_of_an_imported_user_fails_plan_at_that_user() {
    let h = Harness::demo();
    let spec = acme_with("role: Manager, projects", "role: Manger, projects");
    let run = plan_and_apply_fail(&h, &spec);
    let block = diagnostic(&run, "error[RoleNotFound]").join("\n");
    assert!(block.contains("portal role \"Manger\""), "{block}");
    let line = spec.lines().position(|l| l.contains("Manger")).unwrap() + 1;
    assert!(block.contains(&format!("spec.yaml:{line}:")), "{block}");
    assert_nothing_written(&h);
}

#[test]
fn a_misspelt_template_fails_plan_with_the_portals_templates() {
    let h = Harness::demo();
    let spec = acme_with("template: Standard Delivery", "template: Standard Delivry");
    let run = plan_and_apply_fail(&h, &spec);
    let block = diagnostic(&run, "error[TemplateNotFound]").join("\n");
    assert!(
        block.contains(
            "project template \"Standard Delivry\" does not exist in portal \"Acme Delivery\""
        ),
        "{block}"
    );
    assert!(block.contains("spec.yaml:51:15"), "{block}");
    assert!(
        block.contains(
            "did you mean \"Standard Delivery\"? templates of the portal: \"Standard Delivery\""
        ),
        "{block}"
    );
    assert_nothing_written(&h);
}

#[test]
fn a_misspelt_profile_fails_plan_with_the_orgs_profiles() {
    let h = Harness::demo();
    let spec = acme_with("- profile: Standard\n", "- profile: Standrd\n");
    let run = plan_and_apply_fail(&h, &spec);
    let block = diagnostic(&run, "error[ProfileNotFound]").join("\n");
    assert!(
        block.contains("CRM profile \"Standrd\" does not exist"),
        "{block}"
    );
    assert!(block.contains("spec.yaml:39:18"), "{block}");
    assert!(
        block.contains(
            "did you mean \"Standard\"? profiles in this org: \"Administrator\", \"Sales\", \"Standard\""
        ),
        "{block}"
    );
    assert_nothing_written(&h);
}

#[test]
fn the_correctly_spelt_example_passes_every_check() {
    let h = Harness::demo();
    let path = cli_support::example("acme.yaml");
    let run = h.run(&["plan", "-f", &path]);
    assert_eq!(run.code, 0, "{}", run.all());
    for code in [
        "NotAdministrator",
        "StageNotFound",
        "RoleNotFound",
        "TemplateNotFound",
        "ProfileNotFound",
    ] {
        assert!(!run.stdout.contains(code), "{code}: {}", run.all());
    }
}

#[test]
fn a_missing_portal_owner_grant_is_pending_approval_from_a_file_as_from_the_environment() {
    let h = Harness::demo();
    // The CRM admin's grant only; the spec's portalSecretRef (pm-admin-oauth) has none.
    let file = h.write(
        "credentials.yaml",
        "zoho-oauth:\n  client_id: 1000.ACMEDEMOCLIENT\n  client_secret: acme-demo-secret\n  refresh_token: 1000.acme-admin.refresh\n",
    );
    let spec = cli_support::example("acme.yaml");
    // Both runs observe in full, so their output is the same line for line.
    let args = ["--no-observation-cache", "plan", "-f", spec.as_str()];
    let from_file = h.run_env(
        &args,
        &[("PROJECTLINK_CREDENTIALS", file.to_str().unwrap())],
    );
    let from_env = h.run_env(
        &args,
        &[
            ("ZOHO_CLIENT_ID", "1000.ACMEDEMOCLIENT"),
            ("ZOHO_CLIENT_SECRET", "acme-demo-secret"),
            ("ZOHO_REFRESH_TOKEN", "1000.acme-admin.refresh"),
        ],
    );
    for run in [&from_file, &from_env] {
        assert_eq!(run.code, 0, "{}", run.all());
        let block = diagnostic(run, "warning[PendingApproval]").join("\n");
        assert!(
            block.contains("portal \"Acme Delivery\" is another user's portal and its owner's grant is not configured yet"),
            "{block}"
        );
        assert!(!run.all().contains("acme-demo-secret"), "{}", run.all());
    }
    assert_eq!(from_file.stdout, from_env.stdout);
    assert_nothing_written(&h);
}
