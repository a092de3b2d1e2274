//! End-to-end through the binary: a Projects apply killed with -9 part way leaves a journal
//! of the changes it made, each flushed as soon as Zoho answered, and the next apply says so
//! and makes none of them again: it plans from what Zoho then holds.

mod cli_support;

use std::collections::BTreeSet;
use std::time::Duration;

use cli_support::{Harness, example};
use projectlink::engine::journal::{self, Line, Record};
use projectlink::sandbox::seed::DEMO_SEED_YAML;

fn journal_of(harness: &Harness) -> Record {
    let path = journal::path(&harness.path("state"), "projects", "acme");
    journal::read(&path).unwrap().unwrap_or_default()
}

/// The addresses a journal says were done.
fn done(record: &Record) -> BTreeSet<String> {
    record
        .lines
        .iter()
        .filter_map(|line| match line {
            Line::Done { what, .. } => Some(what.clone()),
            _ => None,
        })
        .collect()
}

/// Every address a journal names, done or not.
fn named(record: &Record) -> BTreeSet<String> {
    record
        .lines
        .iter()
        .filter_map(|line| match line {
            Line::Done { what, .. } | Line::Failed { what, .. } => Some(what.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn an_apply_killed_part_way_leaves_its_journal_and_the_next_makes_none_of_it_again() {
    // Every answer takes a while, so the kill falls between the apply's changes.
    let harness = Harness::with_config(DEMO_SEED_YAML, |config| {
        config.latency = Duration::from_millis(150);
    });
    let spec = example("acme.yaml");
    harness.kill_when(
        &["apply", "-f", &spec, "--auto-approve"],
        Duration::from_secs(120),
        "three changes were journaled",
        || done(&journal_of(&harness)).len() >= 3,
    );
    let at_kill = journal_of(&harness);
    assert!(!at_kill.finished(), "a killed apply has no closing line");
    let killed_done = done(&at_kill);

    let resumed = harness.run(&["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(resumed.code, 0, "{}", resumed.all());
    assert!(
        resumed.stdout.contains(&format!(
            "stopped before its end, after {} change(s)",
            killed_done.len()
        )),
        "{}",
        resumed.all()
    );
    let after = journal_of(&harness);
    assert!(after.finished(), "a whole apply closes its journal");
    let Some(Line::Started { resumed: count, .. }) = after.lines.first() else {
        panic!("a journal starts with its Started line: {:?}", after.lines)
    };
    assert_eq!(*count, killed_done.len());
    let repeated: Vec<_> = named(&after).intersection(&killed_done).cloned().collect();
    assert!(repeated.is_empty(), "made again: {repeated:?}");
    assert!(
        !named(&after).is_empty(),
        "the rest of the changes were made"
    );

    let plan = harness.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
}
