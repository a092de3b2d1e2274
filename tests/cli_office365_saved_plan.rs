//! End-to-end through the binary: `plan -o FILE` and `apply FILE` of an Office365Integration
//! against the sandbox. The saved plan applies; it is refused once CRM or Office 365 changed
//! what it read, and when the file was edited.

mod cli_support;

use cli_support::office365::{Clients, writes};
use cli_support::{Harness, Run, example};
use serde_json::json;

const ADMIN: &str = "admin@acme.com";

fn expect(run: &Run, code: i32) {
    assert_eq!(run.code, code, "{}", run.all());
}

/// `plan -f SPEC -o NAME`, the saved plan's path.
fn save_plan(harness: &Harness, spec: &str, name: &str) -> String {
    let path = harness.path(name);
    let path = path.to_str().unwrap().to_string();
    let run = harness.run(&["plan", "-f", spec, "-o", &path]);
    expect(&run, 0);
    assert!(
        run.stderr
            .contains(&format!("apply it with `projectlink apply {path}`")),
        "{}",
        run.all()
    );
    path
}

/// `apply FILE` of a stale plan: refused, naming what changed, and nothing written.
fn refused_as_stale(harness: &Harness, path: &str, changed: &str) {
    let before = writes(harness);
    let run = harness.run(&["apply", path, "--auto-approve"]);
    expect(&run, 1);
    assert!(
        run.stderr.contains(&format!(
            "The saved plan is stale: {changed} changed since it was made. Run `projectlink plan` again."
        )),
        "{}",
        run.all()
    );
    assert_eq!(writes(harness), before, "a stale plan writes nothing");
}

#[test]
fn a_saved_plan_applies_and_is_refused_once_either_system_changed() {
    let harness = Harness::demo();
    let spec = example("office365.yaml");
    let first = save_plan(&harness, &spec, "first.json");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    assert_eq!(saved["kind"], "Office365Integration");
    assert_eq!(saved["plan"]["invites"][0]["email"], "nora@acme.com");
    assert!(saved["fingerprints"]["crm/Contacts"].is_string(), "{saved}");

    let applied = harness.run(&["apply", &first, "--auto-approve"]);
    expect(&applied, 0);
    assert!(
        applied.stdout.contains("Apply complete: 1 invite(s)")
            && applied.stdout.contains("0 failed"),
        "{}",
        applied.all()
    );
    expect(
        &harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]),
        0,
    );

    // Office 365 changes after the plan was saved.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let clients = Clients::new(&harness);
    let (_, linked) = clients.synced_contacts(&harness, ADMIN);
    let (item, record) = linked[0].clone();
    clients.edit_in_outlook(&harness, ADMIN, &item, json!({"jobTitle": "Buyer"}));
    let outlook = save_plan(&harness, &spec, "outlook.json");
    clients.edit_in_outlook(&harness, ADMIN, &item, json!({"jobTitle": "Head Buyer"}));
    refused_as_stale(&harness, &outlook, &format!("graph/contacts {ADMIN}"));

    // CRM changes after the plan was saved.
    let crm = save_plan(&harness, &spec, "crm.json");
    clients.edit_in_crm(&harness, &record, json!({"Department": "Purchasing"}));
    refused_as_stale(&harness, &crm, "crm/Contacts");

    // A plan of the current state applies, and leaves nothing to do.
    let current = save_plan(&harness, &spec, "current.json");
    let applied = harness.run(&["apply", &current, "--auto-approve"]);
    expect(&applied, 0);
    assert!(applied.stdout.contains("0 failed"), "{}", applied.all());
    expect(
        &harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]),
        0,
    );
}

#[test]
fn an_edited_saved_plan_is_refused() {
    let harness = Harness::demo();
    let path = save_plan(&harness, &example("office365.yaml"), "plan.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let edited = text.replace("\"nora@acme.com\"", "\"mallory@acme.com\"");
    assert_ne!(edited, text);
    std::fs::write(&path, edited).unwrap();
    let before = writes(&harness);
    let run = harness.run(&["apply", &path, "--auto-approve"]);
    expect(&run, 1);
    assert!(
        run.stderr
            .contains("is not a usable plan: the plan was edited after it was saved: its plan"),
        "{}",
        run.all()
    );
    assert_eq!(writes(&harness), before);
}
