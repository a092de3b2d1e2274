//! End-to-end: the real binary applies the examples to a sandbox over HTTP, and plans after
//! an apply are empty, with no writes.

mod cli_support;

use cli_support::{Harness, example, read_example};

fn assert_ok(run: &cli_support::Run) {
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

#[test]
fn every_example_applies_and_then_plans_empty_without_writes() {
    for name in ["acme.yaml", "minimal.yaml"] {
        let h = Harness::demo();
        let applied = h.run(&["apply", "-f", &example(name), "--auto-approve"]);
        assert_ok(&applied);
        assert!(
            applied.stdout.contains("Apply complete"),
            "{}",
            applied.stdout
        );
        let writes = h.writes();
        let plan = h.run(&["plan", "-f", &example(name), "--detailed-exitcode"]);
        assert_ok(&plan);
        assert!(
            plan.stdout.contains("No changes."),
            "{name}: {}",
            plan.stdout
        );
        assert_eq!(h.writes(), writes, "{name}: planning wrote something");
        let again = h.run(&["apply", "-f", &example(name), "--auto-approve"]);
        assert_ok(&again);
        assert_eq!(h.writes(), writes, "{name}: a second apply wrote something");
    }
}

#[test]
fn deactivating_after_activation_applies_and_plans_empty() {
    let h = Harness::demo();
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let off = h.run(&["apply", "-f", &example("deactivate.yaml"), "--auto-approve"]);
    assert_ok(&off);
    assert!(off.stdout.contains("deactivation"), "{}", off.stdout);
    let plan = h.run(&[
        "plan",
        "-f",
        &example("deactivate.yaml"),
        "--detailed-exitcode",
    ]);
    assert_ok(&plan);
    assert!(plan.stdout.contains("No changes."));
    // Re-activating starts a new generation.
    let on = h.run(&["plan", "-f", &example("acme.yaml"), "--format", "json"]);
    assert_ok(&on);
    let doc: serde_json::Value = serde_json::from_str(&on.stdout).unwrap();
    let marker = doc["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["operation"]["op"] == "write_marker")
        .expect("marker rewritten");
    assert_eq!(marker["operation"]["marker"]["generation"], 2);
}

#[test]
fn editing_one_setting_plans_exactly_that_change() {
    let h = Harness::demo();
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let edited = read_example("acme.yaml").replace(
        "relatedList: {view: true, create: true, edit: false, delete: false}",
        "relatedList: {view: true, create: true, edit: true, delete: false}",
    );
    let path = h.write("edited.yaml", &edited);
    let plan = h.run(&[
        "plan",
        "-f",
        path.to_str().unwrap(),
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    assert_eq!(plan.code, 2, "{}", plan.stderr);
    let doc: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let changes = doc["plan"]["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert_eq!(changes[0]["address"]["key"], "Standard/Linked_Projects");
    assert_eq!(changes[0]["after"]["edit"], true);
    assert_eq!(changes[0]["before"]["edit"], false);
}

#[test]
fn export_then_plan_is_empty() {
    let h = Harness::demo();
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let exported = h.run(&["export", "--portal-secret-ref", "pm-admin-oauth"]);
    assert_ok(&exported);
    assert!(
        exported.stdout.contains("kind: ProjectsIntegration"),
        "{}",
        exported.stdout
    );
    let path = h.write("exported.yaml", &exported.stdout);
    let validate = h.run(&["validate", "-f", path.to_str().unwrap()]);
    assert_ok(&validate);
    let writes = h.writes();
    let plan = h.run(&["plan", "-f", path.to_str().unwrap(), "--detailed-exitcode"]);
    assert_ok(&plan);
    assert!(
        plan.stdout.contains("No changes."),
        "{}\n{}",
        exported.stdout,
        plan.stdout
    );
    assert_eq!(h.writes(), writes);
}

#[test]
fn markdown_and_json_formats_name_the_target() {
    let h = Harness::demo();
    let md = h.run(&["plan", "-f", &example("acme.yaml"), "--format", "markdown"]);
    assert_ok(&md);
    assert!(md.stdout.starts_with("### projectlink plan for `acme`"));
    assert!(md.stdout.contains(&format!("Target: sandbox at {}", h.url)));
    assert!(md.stdout.contains("<details>"));
    let json = h.run(&["plan", "-f", &example("acme.yaml"), "--format", "json"]);
    assert_ok(&json);
    assert!(json.stderr.starts_with("Target: sandbox at"));
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("stdout is pure JSON");
    assert_eq!(doc["format_version"], 2);
    assert_eq!(doc["target"], format!("sandbox:{}", h.url));
}

#[test]
fn text_output_names_the_target_on_its_first_line() {
    let h = Harness::demo();
    let run = h.run(&["plan", "-f", &example("minimal.yaml")]);
    assert_ok(&run);
    assert_eq!(
        run.stdout.lines().next().unwrap(),
        format!("Target: sandbox at {}", h.url)
    );
    assert!(!run.stdout.contains('\x1b'), "no colours when piped");
}

#[test]
fn a_saved_plan_applies_when_current_and_is_refused_when_stale() {
    let h = Harness::demo();
    let saved = h.path("plan.json");
    let saved = saved.to_str().unwrap();
    let plan = h.run(&["plan", "-f", &example("minimal.yaml"), "-o", saved]);
    assert_ok(&plan);
    let applied = h.run(&["apply", saved, "--auto-approve"]);
    assert_ok(&applied);
    assert!(
        applied.stdout.contains("Apply complete"),
        "{}",
        applied.stdout
    );

    // A plan made before someone else changed the org no longer describes it.
    let h = Harness::demo();
    let stale = h.path("stale.json");
    let stale = stale.to_str().unwrap();
    assert_ok(&h.run(&["plan", "-f", &example("acme.yaml"), "-o", stale]));
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let writes = h.writes();
    let refused = h.run(&["apply", stale, "--auto-approve"]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(refused.stderr.contains("stale"), "{}", refused.stderr);
    assert_eq!(h.writes(), writes, "a stale plan wrote something");
}

#[test]
fn a_portal_change_is_refused_without_force_and_applied_with_it() {
    let seed = projectlink::sandbox::seed::DEMO_SEED_YAML.replace(
        "    owner: lab.owner@acme-labs.example\n    plan: Premium\n",
        "    owner: lab.owner@acme-labs.example\n    plan: Premium\n    users:\n      - {email: admin@acme.com, name: Ada Admin, role: Manager}\n",
    );
    let h = Harness::with_seed_text(&seed);
    assert_ok(&h.run(&["apply", "-f", &example("minimal.yaml"), "--auto-approve"]));
    let moved =
        cli_support::read_example("minimal.yaml").replace("name: Acme Delivery", "name: Acme Labs");
    assert_ne!(
        moved,
        cli_support::read_example("minimal.yaml"),
        "the example names the portal"
    );
    let path = h.write("moved.yaml", &moved);
    let path = path.to_str().unwrap();
    let plan = h.run(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_eq!(plan.code, 3, "{}", plan.all());
    assert!(plan.stdout.contains("[destructive]"));
    let writes = h.writes();
    let refused = h.run(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(refused.code, 3, "{}", refused.all());
    assert_eq!(h.writes(), writes);
    let forced = h.run(&["apply", "-f", path, "--auto-approve", "--force"]);
    assert_ok(&forced);
    assert_ok(&h.run(&["plan", "-f", path, "--detailed-exitcode"]));
}

#[test]
fn removing_a_module_needs_prune() {
    let h = Harness::demo();
    assert_ok(&h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let fewer = read_example("acme.yaml").replace("      - module: Contacts\n", "");
    let path = h.write("fewer.yaml", &fewer);
    let path = path.to_str().unwrap();
    let plan = h.run(&["plan", "-f", path, "--detailed-exitcode"]);
    assert_ok(&plan);
    assert!(plan.stdout.contains("PruneDisabled"), "{}", plan.stdout);
    let pruned = h.run(&["apply", "-f", path, "--auto-approve", "--prune"]);
    assert_ok(&pruned);
    assert!(
        pruned
            .stdout
            .contains("- crm/field/Linked_Projects.Contact delete"),
        "{}",
        pruned.stdout
    );
    let after = h.run(&["plan", "-f", path, "--prune", "--detailed-exitcode"]);
    assert_ok(&after);
}

#[test]
fn an_apply_interrupted_after_any_call_converges_on_the_next_run() {
    // How many calls a full first apply takes, including its reads.
    let probe = Harness::demo();
    assert_ok(&probe.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]));
    let total = probe.api_calls();
    assert!(total > 5);
    let converged = probe.data_state();
    // The demo converts two won deals and links the Bowman client's project.
    for expected in [
        "project Bowman Showroom Fit-out",
        "project Initech Intranet",
        "link Website Redesign deal=0 account=1",
        "link Bowman Showroom Fit-out deal=1 account=1",
        "project-client Bowman Showroom Fit-out Bowman Furniture primary=1",
        "account-mapping Bowman Furniture Inc. Bowman Furniture",
    ] {
        assert!(
            converged.iter().any(|r| r == expected),
            "{expected} missing from {converged:#?}"
        );
    }
    // The last two calls release the apply lease (read it, delete it); a run cut there has
    // done all its work and only warns, and the next run takes the dead holder's lease over.
    for cut in 0..total - 2 {
        let h = Harness::demo();
        let cut_text = cut.to_string();
        let interrupted = h.run_env(
            &["apply", "-f", &example("acme.yaml"), "--auto-approve"],
            &[("PROJECTLINK_FAIL_AFTER_CALLS", &cut_text)],
        );
        assert_ne!(
            interrupted.code,
            0,
            "cut after {cut} calls should fail: {}",
            interrupted.all()
        );
        let resumed = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
        assert_ok(&resumed);
        let plan = h.run(&[
            "plan",
            "-f",
            &example("acme.yaml"),
            "--format",
            "json",
            "--detailed-exitcode",
        ]);
        assert_eq!(plan.code, 0, "cut after {cut}: {}", plan.stdout);
        // Fields go to three modules (link module, Accounts, Contacts), each batch at most
        // once more after an interruption.
        let fields = h.sandbox().counters.get("POST /crm/v8/settings/fields");
        assert!(
            fields <= 6,
            "cut after {cut}: fields created in {fields} calls"
        );
        // No duplicate project, link record, client, client user or portal user.
        assert_eq!(h.data_state(), converged, "cut after {cut}");
    }
}
