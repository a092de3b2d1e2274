//! End-to-end through the binary: `plan` and `apply` of an `Office365Integration` against the
//! sandbox (CRM and Microsoft Graph), what the plan shows, exit codes, and an apply
//! interrupted part way that the next run finishes.

mod cli_support;

use cli_support::office365::writes;
use cli_support::{Harness, example, read_example};

fn run_ok(harness: &Harness, args: &[&str]) -> String {
    let run = harness.run(args);
    assert_eq!(run.code, 0, "{}", run.all());
    run.stdout
}

#[test]
fn plan_apply_then_plan_shows_no_changes() {
    let harness = Harness::demo();
    let spec = example("office365.yaml");
    let plan = run_ok(&harness, &["plan", "-f", &spec]);
    let plan = plan.split_once("\n\n").unwrap().1;
    insta::assert_snapshot!("office365_first_plan", plan);

    let run = harness.run(&[
        "plan",
        "-f",
        &spec,
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    assert_eq!(run.code, 2, "{}", run.all());
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["kind"], "Office365Integration");
    let plan = &document["plan"];
    assert_eq!(plan["invites"][0]["email"], "nora@acme.com");
    let changes: usize = plan["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["changes"].as_array().unwrap().len())
        .sum();
    assert!(changes > 0);
    assert!(
        plan["folders"][0]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["reason"].is_string())
    );

    let applied = run_ok(&harness, &["apply", "-f", &spec, "--auto-approve"]);
    assert!(applied.contains("Apply complete: 1 invite(s)"), "{applied}");
    assert!(applied.contains("0 failed"), "{applied}");
    let again = harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

#[test]
fn an_apply_interrupted_part_way_is_finished_by_the_next_run() {
    for calls in [2, 5, 9, 14, 20] {
        let harness = Harness::demo();
        let spec = example("office365.yaml");
        let calls = calls.to_string();
        let cut = harness.run_env(
            &["apply", "-f", &spec, "--auto-approve"],
            &[("PROJECTLINK_FAIL_AFTER_CALLS", &calls)],
        );
        assert_eq!(cut.code, 1, "interrupted after {calls}: {}", cut.all());
        run_ok(&harness, &["apply", "-f", &spec, "--auto-approve"]);
        let plan = harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "after {calls}: {}", plan.all());
    }
}

#[test]
fn observe_only_plans_but_writes_nothing() {
    let harness = Harness::demo();
    let spec = read_example("office365.yaml").replace("observeOnly: false", "observeOnly: true");
    let path = harness.write("observe.yaml", &spec);
    let path = path.to_str().unwrap();
    let applied = run_ok(&harness, &["apply", "-f", path, "--auto-approve"]);
    assert!(
        applied.contains("Nothing applied: policy.observeOnly is set."),
        "{applied}"
    );
    let plan = harness.run(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
}

#[test]
fn syncing_someone_who_is_not_a_crm_user_is_a_plan_error() {
    let harness = Harness::demo();
    let spec = read_example("office365.yaml").replace(
        "users: [admin@acme.com, pat@acme.com]",
        "users: [ghost@acme.com]",
    );
    let path = harness.write("ghost.yaml", &spec);
    let run = harness.run(&["apply", "-f", path.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("ghost@acme.com is not a CRM user"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("Nothing applied"), "{}", run.all());
}

#[test]
fn a_misspelt_field_map_entry_fails_plan_at_its_position_and_writes_nothing() {
    let harness = Harness::demo();
    let spec = read_example("office365.yaml").replace(
        "    excludeTags: [Imported]\n    # fieldMap is left out",
        "    excludeTags: [Imported]\n    fieldMap:\n      - {crmField: First_Name, office365Field: givenName}\n      - {crmField: Lst_Name, office365Field: surname}\n    # fieldMap is left out",
    );
    assert!(spec.contains("Lst_Name"), "the example changed: {spec}");
    let path = harness.write("misspelt.yaml", &spec);
    let path = path.to_str().unwrap();
    let line = spec.lines().position(|l| l.contains("Lst_Name")).unwrap() + 1;
    let before = writes(&harness);

    let plan = harness.run(&["plan", "-f", path]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    let out = plan.all();
    assert!(
        out.contains("CRM field Contacts.Lst_Name does not exist in this org"),
        "{out}"
    );
    assert!(
        out.contains("error[FieldNotFound] contactsSync.fieldMap: CRM field Contacts.Lst_Name"),
        "{out}"
    );
    assert!(
        out.contains(&format!("in the spec at {path}:{line}:")),
        "{out}"
    );
    assert!(out.contains("did you mean Last_Name?"), "{out}");
    assert!(out.contains("Contacts fields in this org: "), "{out}");
    assert!(out.contains("Secondary_Email"), "{out}");

    let apply = harness.run(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(apply.code, 1, "{}", apply.all());
    assert!(apply.stderr.contains("Nothing applied"), "{}", apply.all());
    assert_eq!(writes(&harness), before, "nothing may be written");
}

#[test]
fn a_refused_graph_secret_is_reported_as_microsofts_refusal_without_the_secret() {
    let harness = Harness::demo();
    let spec = example("office365.yaml");
    let canary = "canary-graph-secret-7d1f-do-not-print";
    let run = harness.run_env(
        &["plan", "-f", &spec],
        &[
            (
                "PROJECTLINK_GRAPH_TENANT_ID",
                "7f3c2a10-ace0-4c6e-9d1b-000000000001",
            ),
            (
                "PROJECTLINK_GRAPH_CLIENT_ID",
                "5b7e9c1d-0000-4a2b-8c3d-000000000001",
            ),
            ("PROJECTLINK_GRAPH_CLIENT_SECRET", canary),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    let error = run
        .stderr
        .lines()
        .find(|l| l.contains("Office 365 users"))
        .unwrap_or_else(|| panic!("{}", run.all()));
    assert!(
        error.contains(
            "the Microsoft identity platform refused a token for Microsoft Graph: invalid_client (AADSTS7000215"
        ),
        "{error}"
    );
    assert!(
        error.contains("the client secret is wrong or expired"),
        "{error}"
    );
    assert!(!error.contains("Zoho"), "{error}");
    assert!(!run.all().contains(canary), "{}", run.all());
}
