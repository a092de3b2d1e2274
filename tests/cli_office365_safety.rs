//! End-to-end through the binary: the shared safety stage on the Office 365 kind. A CRM record
//! whose Outlook twin was deleted is planned for deletion, shown and refused without
//! `policy.prune`; it goes with the opt-in; and `policy.maxChangePercent` stops a mass
//! deletion unless forced.

mod cli_support;

use cli_support::office365::{Clients, writes};
use cli_support::{Harness, Run, read_example};

/// The example applied, with `policy` in place of its `policy` block.
fn synced(policy: &str) -> (Harness, String) {
    let harness = Harness::demo();
    let text =
        read_example("office365.yaml").replace("  policy:\n    observeOnly: false\n", policy);
    assert!(text.contains(policy), "the example changed: {text}");
    let spec = harness.write("o365.yaml", &text);
    let spec = spec.to_str().unwrap().to_string();
    // The second run settles the sync past the records' times (CRM keeps whole seconds), so
    // an item missing afterwards was deleted in Outlook rather than never made.
    for _ in 0..2 {
        let run = harness.run(&["apply", "-f", &spec, "--auto-approve"]);
        assert_eq!(run.code, 0, "{}", run.all());
        std::thread::sleep(std::time::Duration::from_millis(1100));
    }
    (harness, spec)
}

fn expect(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{}", run.all());
}

#[test]
fn a_crm_deletion_is_shown_and_refused_without_prune_and_applies_with_it() {
    let (harness, spec) = synced("  policy: {maxChangePercent: 100}\n");
    let clients = Clients::new(&harness);
    let gone = clients.delete_in_outlook(&harness, "admin@acme.com", 1);

    let plan = harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
    expect(&plan, 3);
    assert!(
        plan.stdout.contains("to CRM:") && plan.stdout.contains("1 delete"),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains(
            "Refused: the plan deletes 1 CRM record(s) whose Outlook twin was deleted (\""
        ) && plan
            .stdout
            .contains(&format!("(crm {})) and policy.prune is off", gone[0])),
        "{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains("set policy.prune: true"),
        "{}",
        plan.all()
    );
    let json = harness.run(&["plan", "-f", &spec, "--format", "json"]);
    let document: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert!(
        document["plan"]["refusal"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("policy.prune is off")),
        "{}",
        json.stdout
    );

    let before = writes(&harness);
    let refused = harness.run(&["apply", "-f", &spec, "--auto-approve"]);
    expect(&refused, 3);
    assert!(
        refused
            .stderr
            .contains("Nothing applied: the plan is refused (the plan deletes 1 CRM record(s)"),
        "{}",
        refused.all()
    );
    assert_eq!(writes(&harness), before, "a refused plan writes nothing");
    assert_eq!(clients.existing_contacts(&harness, &gone), gone);

    // `--prune` allows it once; the spec's opt-in allows it for good.
    let once = harness.run(&["plan", "-f", &spec, "--prune", "--detailed-exitcode"]);
    expect(&once, 2);
    let pruning = harness.write(
        "pruning.yaml",
        &std::fs::read_to_string(&spec).unwrap().replace(
            "policy: {maxChangePercent: 100}",
            "policy: {prune: true, maxChangePercent: 100}",
        ),
    );
    let pruning = pruning.to_str().unwrap();
    let applied = harness.run(&["apply", "-f", pruning, "--auto-approve"]);
    expect(&applied, 0);
    assert!(applied.stdout.contains("0 failed"), "{}", applied.all());
    assert!(
        clients.existing_contacts(&harness, &gone).is_empty(),
        "the record is deleted"
    );
    expect(
        &harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]),
        0,
    );
}

#[test]
fn max_change_percent_stops_a_mass_deletion_unless_forced() {
    let (harness, spec) = synced("  policy: {prune: true, maxChangePercent: 20}\n");
    let clients = Clients::new(&harness);
    let (_, linked) = clients.synced_contacts(&harness, "admin@acme.com");
    let gone = clients.delete_in_outlook(&harness, "admin@acme.com", linked.len());

    let plan = harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
    expect(&plan, 3);
    let reason = format!("Refused: the plan deletes {} of ", gone.len());
    assert!(plan.stdout.contains(&reason), "{}", plan.all());
    assert!(
        plan.stdout.contains("synced items")
            && plan
                .stdout
                .contains("more than policy.maxChangePercent (20%)"),
        "{}",
        plan.all()
    );
    let refused = harness.run(&["apply", "-f", &spec, "--auto-approve"]);
    expect(&refused, 3);
    assert_eq!(clients.existing_contacts(&harness, &gone).len(), gone.len());

    let forced = harness.run(&["apply", "-f", &spec, "--auto-approve", "--force"]);
    expect(&forced, 0);
    assert!(clients.existing_contacts(&harness, &gone).is_empty());
}

#[test]
fn max_change_percent_outside_its_range_is_a_spec_error() {
    let harness = Harness::demo();
    let text = read_example("office365.yaml").replace(
        "  policy:\n    observeOnly: false\n",
        "  policy:\n    maxChangePercent: 0\n",
    );
    let spec = harness.write("zero.yaml", &text);
    let run = harness.run(&["validate", "-f", spec.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.all().contains("maxChangePercent"), "{}", run.all());
}
