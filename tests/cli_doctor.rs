//! `projectlink doctor` against the sandbox over real HTTP: all green and read-only against
//! the demo org, and each deliberate deviation (a dropped scope, a user without admin
//! rights, a changed response shape, a legacy-only Projects portal) reported precisely with
//! its exit code.

mod cli_support;

use cli_support::{Harness, Run, example};
use projectlink::sandbox::deviations::ShapeChange;
use projectlink::sandbox::seed::DEMO_SEED_YAML;

/// Runs doctor on the Projects and Office 365 examples.
fn doctor(harness: &Harness, extra: &[&str]) -> Run {
    let acme = example("acme.yaml");
    let o365 = example("office365.yaml");
    let mut args = vec!["doctor", "-f", acme.as_str(), "-f", o365.as_str()];
    args.extend_from_slice(extra);
    harness.run(&args)
}

/// The output with what changes from run to run taken out: the sandbox's ephemeral port,
/// and the calendar window's dates (it moves with today).
fn stable(harness: &Harness, text: &str) -> String {
    text.replace(&harness.url, "http://sandbox")
        .lines()
        .map(
            |l| match (l.find("calendar window "), l.find(" accepted")) {
                (Some(a), Some(b)) if a < b => {
                    format!(
                        "{}calendar window <today - pastDays> to <today + futureDays>{}",
                        &l[..a],
                        &l[b..]
                    )
                }
                _ => l.to_string(),
            },
        )
        .map(|l| l + "\n")
        .collect()
}

/// The line of the checklist that contains `needle`.
fn line<'a>(run: &'a Run, needle: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{}", run.all()))
}

#[test]
fn the_demo_org_is_all_green_and_only_read() {
    let harness = Harness::demo();
    let run = doctor(&harness, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        !run.stdout.contains('✗') && !run.stdout.contains("  ! "),
        "{}",
        run.stdout
    );
    insta::assert_snapshot!("doctor_all_green", stable(&harness, &run.stdout));

    let counters = &harness.sandbox().counters;
    // Nothing but reads reached CRM, Projects or Graph: the only other requests are the
    // OAuth token POSTs to Zoho Accounts and the Microsoft identity platform.
    assert_eq!(
        counters.writes(),
        Default::default(),
        "{:?}",
        counters.snapshot()
    );
    let by_method = counters.by_method();
    assert_eq!(
        by_method.keys().map(String::as_str).collect::<Vec<_>>(),
        ["GET", "POST"],
        "{by_method:?}"
    );
    let token_posts: u64 = counters
        .snapshot()
        .iter()
        .filter(|(k, _)| {
            k.starts_with("POST ")
                && (k.contains("/oauth/v2/token") || k.contains("/oauth2/v2.0/token"))
        })
        .map(|(_, n)| n)
        .sum();
    assert_eq!(token_posts, by_method["POST"]);
    // One refresh per Zoho grant (CRM and portal owner for the Projects spec, CRM for the
    // Office 365 one) and one Graph app token.
    assert_eq!(token_posts, 4, "{:?}", counters.snapshot());
    assert!(by_method["GET"] >= 20, "{by_method:?}");
    for secret in [
        "acme-demo-secret",
        "1000.acme-admin.refresh",
        "demo-graph-secret",
    ] {
        assert!(
            !run.all().contains(secret),
            "{secret} leaked:\n{}",
            run.all()
        );
    }
}

#[test]
fn json_output_carries_every_check_and_the_summary() {
    let harness = Harness::demo();
    let run = doctor(&harness, &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(doc["summary"]["failures"], 0);
    assert_eq!(doc["summary"]["exit_code"], 0);
    let sections = doc["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0]["kind"], "ProjectsIntegration");
    assert_eq!(sections[1]["kind"], "Office365Integration");
    assert!(
        sections[0]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["status"] == "ok")
    );
}

#[test]
fn a_dropped_scope_is_named_with_the_feature_that_needs_it() {
    // The administrator's grant was made with read-only settings access.
    let seed = DEMO_SEED_YAML.replacen(
        "scopes: [ZohoCRM.settings.ALL,",
        "scopes: [ZohoCRM.settings.READ,",
        1,
    );
    let harness = Harness::with_seed_text(&seed);
    let run = doctor(&harness, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let failed = line(&run, "link module and fields needs");
    assert!(failed.contains("✗ scopes"), "{failed}");
    assert!(
        failed.contains("ZohoCRM.settings.modules.CREATE, ZohoCRM.settings.fields.ALL"),
        "{failed}"
    );
    assert!(
        !failed.contains("related_lists"),
        "READ still covers it: {failed}"
    );
    assert!(line(&run, "ownership marker needs").contains("ZohoCRM.settings.variables.ALL"));
    // Reads are still allowed, so every shape check passes.
    assert!(line(&run, "GET /crm/v8/settings/modules:").contains('✓'));
    insta::assert_snapshot!("doctor_dropped_scope", stable(&harness, &run.stdout));
}

#[test]
fn a_user_without_admin_rights_fails_the_admin_check() {
    let seed = DEMO_SEED_YAML.replacen(
        "{email: admin@acme.com, first_name: Ada, last_name: Admin, profile: Administrator",
        "{email: admin@acme.com, first_name: Ada, last_name: Admin, profile: Standard",
        1,
    );
    let harness = Harness::with_seed_text(&seed);
    let run = doctor(&harness, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let admin = line(&run, "acting user admin@acme.com has the Standard profile");
    assert!(admin.contains("✗ crm"), "{admin}");
    assert!(admin.contains("not Administrator"), "{admin}");
    assert!(
        run.stdout
            .contains("hint: use a grant (refresh token) of a user with the Administrator profile")
    );
    assert_eq!(harness.sandbox().counters.writes(), Default::default());
}

#[test]
fn a_renamed_field_is_named_with_its_request() {
    let change: ShapeChange = "GET /crm/v8/users:email=>mail".parse().unwrap();
    let harness = Harness::with_config(DEMO_SEED_YAML, |c| c.deviations.shape = Some(change));
    let run = doctor(&harness, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let shape = line(&run, "GET /crm/v8/users?type=CurrentUser:");
    assert!(shape.contains("✗ shape"), "{shape}");
    assert!(
        shape.ends_with("GET /crm/v8/users?type=CurrentUser: users[0].email: missing"),
        "{shape}"
    );
    // Every other endpoint still matches.
    assert!(line(&run, "GET /crm/v8/org:").contains('✓'));
    assert!(line(&run, "Portals: V3 answers").contains('✓'));
}

#[test]
fn a_field_of_another_type_is_caught_by_the_clients_own_decoding() {
    // The portal list gives the user's role as a bare string instead of {id, name}.
    let change: ShapeChange = r#"GET /api/v3/portals:role="admin""#.parse().unwrap();
    let harness = Harness::with_config(DEMO_SEED_YAML, |c| c.deviations.shape = Some(change));
    let run = doctor(&harness, &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let shape = line(&run, "Portals: GET /api/v3/portals:");
    assert!(shape.contains("✗ shape"), "{shape}");
    assert!(
        shape.contains("[0]: the client cannot read it: invalid type: string \"admin\""),
        "{shape}"
    );
}

#[test]
fn a_legacy_only_portal_is_a_warning_per_capability() {
    let harness =
        Harness::with_config(DEMO_SEED_YAML, |c| c.deviations.projects_legacy_only = true);
    let acme = example("acme.yaml");
    let run = harness.run(&["doctor", "-f", acme.as_str()]);
    assert_eq!(run.code, 2, "{}", run.all());
    for capability in [
        "Portals",
        "Portal",
        "ListProjects",
        "ProjectCustomFields",
        "PortalUsers",
        "Clients",
        "ProjectUsers",
    ] {
        let found = line(&run, &format!("{capability}: only legacy answers"));
        assert!(found.contains("! projects"), "{found}");
        assert!(found.contains("V3 said URL_RULE_NOT_CONFIGURED"), "{found}");
    }
    assert!(line(&run, "ProjectClients: legacy answers").contains('✓'));
    assert!(line(&run, "portal \"Acme Delivery\": the user's role is admin").contains('✓'));
    assert!(run.stdout.contains("retires at the end of 2026"));
    assert!(
        run.stdout
            .ends_with("0 failure(s): projectlink will work; see the warnings.\n"),
        "{}",
        run.stdout
    );
    assert_eq!(harness.sandbox().counters.writes(), Default::default());
}

#[test]
fn a_graph_permission_the_app_lacks_is_named() {
    let seed = DEMO_SEED_YAML.replacen(
        "roles: [Calendars.ReadWrite, Contacts.ReadWrite, User.Read.All]",
        "roles: [Calendars.ReadWrite, User.Read.All]",
        1,
    );
    let harness = Harness::with_seed_text(&seed);
    let o365 = example("office365.yaml");
    let run = harness.run(&["doctor", "-f", o365.as_str()]);
    assert_eq!(run.code, 1, "{}", run.all());
    let missing = line(&run, "contacts sync needs the application permission");
    assert!(missing.contains("✗ graph"), "{missing}");
    assert!(missing.contains("Contacts.ReadWrite"), "{missing}");
    assert!(line(&run, "calendar sync: permission granted").contains('✓'));
    assert!(
        line(
            &run,
            "application permissions: Calendars.ReadWrite, User.Read.All"
        )
        .contains('✓')
    );
    assert_eq!(harness.sandbox().counters.writes(), Default::default());
}

#[test]
fn credits_running_low_are_a_warning_with_the_count_left() {
    // A day's allowance of 12 credits: the eight CRM reads leave 4, and the sandbox, like
    // Zoho, reports the count once more than half is spent.
    let harness = Harness::with_config(DEMO_SEED_YAML, |c| c.credits_per_day = Some(12));
    let acme = example("acme.yaml");
    let run = harness.run(&["doctor", "-f", acme.as_str()]);
    assert_eq!(run.code, 2, "{}", run.all());
    let credits = line(&run, "Acme Corp: edition enterprise");
    assert!(credits.contains("! crm"), "{credits}");
    assert!(credits.ends_with(", 4 left"), "{credits}");
    assert!(
        run.stdout
            .contains("hint: a plan's apply may run out of credits")
    );
}

#[test]
fn a_portal_manager_is_a_warning_unless_the_spec_imports_portal_users() {
    // The minimal spec uses the CRM administrator's grant, a Manager in the portal.
    let harness = Harness::demo();
    let minimal = cli_support::read_example("minimal.yaml");
    let spec = harness.write("minimal.yaml", &minimal);
    let run = harness.run(&["doctor", "-f", spec.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.all());
    let role = line(&run, "the user's role is Manager");
    assert!(role.contains("! projects"), "{role}");

    let importing =
        format!("{minimal}  imports:\n    portalUsers:\n      - {{email: pat@acme.com}}\n");
    let spec = harness.write("importing.yaml", &importing);
    let run = harness.run(&["doctor", "-f", spec.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.all());
    let role = line(&run, "the user's role is Manager");
    assert!(role.contains("✗ projects"), "{role}");
    assert!(
        role.ends_with("imports.portalUsers needs an administrator to add users to the portal"),
        "{role}"
    );
}
