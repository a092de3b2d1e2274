//! End-to-end: `projectlink export --kind office365` against the embedded sandbox writes an
//! Office365Integration that validates and plans as no changes after the example was
//! applied, with the tenant's users who are not in CRM as commented candidates.

mod cli_support;

use cli_support::{Run, example, run_binary};

fn assert_ok(run: &Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// Runs the binary against the embedded sandbox kept in `state`.
fn embedded(state: &std::path::Path, args: &[&str]) -> Run {
    let mut all = vec!["--state-dir", state.to_str().unwrap()];
    all.extend_from_slice(args);
    run_binary(&all, &[])
}

#[test]
fn an_applied_office365_integration_exports_as_a_spec_that_plans_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let applied = embedded(
        &state,
        &["apply", "-f", &example("office365.yaml"), "--auto-approve"],
    );
    assert_ok(&applied);
    assert!(
        applied.stdout.contains("Sync state saved."),
        "{}",
        applied.stdout
    );

    let exported = embedded(&state, &["export", "--kind", "office365"]);
    assert_ok(&exported);
    assert!(
        exported.stderr.starts_with("Target: embedded sandbox"),
        "{}",
        exported.stderr
    );
    let text = &exported.stdout;
    let path = dir.path().join("exported.yaml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap();

    let validate = embedded(&state, &["validate", "-f", path]);
    assert_ok(&validate);
    assert!(
        validate
            .stdout
            .contains("Office365Integration/acme-o365 is valid"),
        "{}",
        validate.stdout
    );

    let plan = embedded(&state, &["plan", "-f", path, "--detailed-exitcode"]);
    assert_ok(&plan);
    assert!(
        plan.stdout.contains("No changes."),
        "{text}\n{}",
        plan.stdout
    );

    // The meeting-room account is an Office 365 user of the demo tenant and no CRM user;
    // Ada is a CRM user, and Nora became one when the example invited her.
    let candidates: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  #  - {email: "))
        .collect();
    assert_eq!(candidates.len(), 1, "{text}");
    assert!(candidates[0].contains("meetingroom@acme.com"), "{text}");
    for in_crm in ["admin@acme.com", "nora@acme.com"] {
        assert!(
            !candidates.iter().any(|c| c.contains(in_crm)),
            "{in_crm} is a CRM user: {text}"
        );
    }
    insta::assert_snapshot!(text);
}

#[test]
fn the_candidates_uncommented_plan_no_invite_for_crm_users_and_one_for_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert_ok(&embedded(
        &state,
        &["apply", "-f", &example("office365.yaml"), "--auto-approve"],
    ));
    let exported = embedded(
        &state,
        &["export", "--kind", "office365", "--name", "acme-o365"],
    );
    assert_ok(&exported);
    let edited = exported
        .stdout
        .replacen("\n  users: []\n", "\n  users:\n", 1)
        .replace("  #  - {email: ", "     - {email: ");
    let path = dir.path().join("edited.yaml");
    std::fs::write(&path, &edited).unwrap();
    let plan = embedded(
        &state,
        &["plan", "-f", path.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_eq!(plan.code, 2, "{edited}\n{}", plan.all());
    assert!(
        plan.stdout.contains("+ invite meetingroom@acme.com to CRM"),
        "{}",
        plan.stdout
    );
}

#[test]
fn before_any_sync_the_export_lists_no_sync_users_and_every_candidate() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let exported = embedded(
        &state,
        &["export", "--kind", "office365", "--name", "fresh"],
    );
    assert_ok(&exported);
    let text = &exported.stdout;
    assert!(
        text.contains("absent: nothing has been synced yet"),
        "{text}"
    );
    assert!(text.contains("name: fresh"), "{text}");
    // Nora is in the tenant but not yet in CRM; Ada is in both.
    assert!(text.contains("  #  - {email: nora@acme.com, "), "{text}");
    assert!(!text.contains("{email: admin@acme.com"), "{text}");
    let path = dir.path().join("fresh.yaml");
    std::fs::write(&path, text).unwrap();
    let plan = embedded(
        &state,
        &["plan", "-f", path.to_str().unwrap(), "--detailed-exitcode"],
    );
    assert_ok(&plan);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn a_name_the_sync_does_not_belong_to_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    assert_ok(&embedded(
        &state,
        &["apply", "-f", &example("office365.yaml"), "--auto-approve"],
    ));
    let exported = embedded(
        &state,
        &["export", "--kind", "office365", "--name", "other"],
    );
    assert_eq!(exported.code, 1, "{}", exported.all());
    assert!(
        exported
            .stderr
            .contains("belongs to the integration \"acme-o365\""),
        "{}",
        exported.stderr
    );
    assert!(exported.stdout.is_empty());
}

#[test]
fn zoho_needs_a_tenant_and_flags_of_the_other_kind_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let zoho = [
        ("ZOHO_CLIENT_ID", "1000.TEST"),
        ("ZOHO_CLIENT_SECRET", "secret"),
        ("ZOHO_REFRESH_TOKEN", "1000.refresh"),
    ];
    let args = [
        "--state-dir",
        state.to_str().unwrap(),
        "export",
        "--kind",
        "office365",
    ];
    let run = run_binary(&args, &zoho);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("--tenant is required"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());

    let run = embedded(
        &state,
        &["export", "--kind", "office365", "--portal-secret-ref", "pm"],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("--portal-secret-ref applies only to --kind projects"),
        "{}",
        run.stderr
    );
    let run = embedded(&state, &["export", "--tenant", "acme.onmicrosoft.com"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("--tenant applies only to --kind office365"),
        "{}",
        run.stderr
    );
}

#[test]
fn export_help_names_both_kinds_and_the_office365_flags() {
    let run = run_binary(&["export", "--help"], &[]);
    assert_ok(&run);
    for wanted in [
        "--kind <KIND>",
        "office365",
        "--tenant <TENANT>",
        "--graph-secret-ref <NAME>",
        "--name <NAME>",
        "shows no changes",
    ] {
        assert!(run.stdout.contains(wanted), "{wanted}: {}", run.stdout);
    }
}
