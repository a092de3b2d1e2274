//! End-to-end through the binary: an Office 365 apply killed with -9 part way leaves a journal
//! of what it did, flushed after every operation, and the next run resumes from it without
//! repeating what was done: the CRM records the killed run created for new Outlook contacts are
//! linked to them, not created a second time, even once someone edited them in CRM (which
//! leaves nothing but the journal to tell which record was made for which contact).

mod cli_support;

use std::time::Duration;

use cli_support::office365::Clients;
use cli_support::{Harness, example};
use projectlink::engine::journal::{self, Record};
use projectlink::sandbox::seed::DEMO_SEED_YAML;
use serde_json::json;

const ADMIN: &str = "admin@acme.com";
/// New Outlook contacts: more than Outlook's four writes at once, so linking them takes
/// several rounds of the sandbox's latency, the window the kill falls in.
const NEW: usize = 20;

fn journal_of(harness: &Harness) -> Record {
    let path = journal::path(&harness.path("state"), "office365", "acme-o365");
    journal::read(&path).unwrap().unwrap_or_default()
}

/// (records created for Outlook items, items linked) in a journal.
fn created_and_linked(record: &Record) -> (usize, usize) {
    let count = |key: &str| record.done().filter(|d| d.get(key).is_some()).count();
    (count("created"), count("linked"))
}

#[test]
fn an_apply_killed_part_way_is_resumed_without_creating_records_twice() {
    let harness = Harness::with_config(DEMO_SEED_YAML, |config| {
        config.latency = Duration::from_millis(60);
    });
    let spec = example("office365.yaml");
    let first = harness.run(&["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        journal_of(&harness).finished(),
        "a whole apply closes its journal"
    );

    // Contacts added in Outlook after the sync settled are new to CRM.
    std::thread::sleep(Duration::from_millis(1100));
    let clients = Clients::new(&harness);
    let bodies: Vec<_> = (0..NEW)
        .map(|i| json!({"givenName": "Kim", "surname": format!("Journal{i:02}")}))
        .collect();
    clients.create_in_outlook(&harness, ADMIN, &bodies);

    harness.kill_when(
        &["apply", "-f", &spec, "--auto-approve"],
        Duration::from_secs(60),
        "all records were created",
        || {
            let record = journal_of(&harness);
            !record.finished() && created_and_linked(&record).0 == NEW
        },
    );
    let at_kill = journal_of(&harness);
    // The journal says what the killed run did, up to its last operation.
    assert!(!at_kill.finished());
    let (created, linked) = created_and_linked(&at_kill);
    assert_eq!(created, NEW);
    assert!(linked < NEW, "the kill came after every link: {linked}");
    let names = clients.crm_contact_names(&harness);
    let journaled = |n: &String| n.starts_with("Journal");
    assert_eq!(names.iter().filter(|n| journaled(n)).count(), NEW);
    for record in unlinked(&at_kill) {
        clients.edit_in_crm(&harness, &record, json!({"Title": "Buyer"}));
    }

    let resumed = harness.run(&["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(resumed.code, 0, "{}", resumed.all());
    assert!(
        resumed.stdout.contains(&format!(
            "{} record(s) it created are linked instead of created again",
            NEW - linked
        )),
        "{}",
        resumed.all()
    );
    let mut names: Vec<String> = clients
        .crm_contact_names(&harness)
        .into_iter()
        .filter(|n| journaled(n))
        .collect();
    names.sort();
    let expected: Vec<String> = (0..NEW).map(|i| format!("Journal{i:02}")).collect();
    assert_eq!(
        names, expected,
        "each new contact has exactly one CRM record"
    );
    assert!(journal_of(&harness).finished());

    // The CRM edits are the later change: the next run takes them to Outlook, and then both
    // systems agree.
    let next = harness.run(&["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(next.code, 0, "{}", next.all());
    assert!(
        next.stdout
            .contains(&format!("to Office 365: {} update", NEW - linked)),
        "{}",
        next.all()
    );
    let plan = harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
}

/// The records a journal says were created for Outlook items that it does not say were
/// linked to them.
fn unlinked(record: &Record) -> Vec<String> {
    let of = |key: &str| -> Vec<(String, String)> {
        record
            .done()
            .filter_map(|d| {
                let entry = d.get(key)?;
                Some((
                    entry["item"].as_str()?.to_string(),
                    entry["record"].as_str()?.to_string(),
                ))
            })
            .collect()
    };
    let linked = of("linked");
    of("created")
        .into_iter()
        .filter(|pair| !linked.contains(pair))
        .map(|(_, record)| record)
        .collect()
}
