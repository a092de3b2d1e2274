//! End-to-end reliability: applies against a sandbox that injects faults, and an apply
//! killed mid-way, converge on the next run with nothing lost or duplicated.

mod cli_support;

use std::time::Duration;

use cli_support::{Harness, command, example};
use projectlink::sandbox::limits::{FaultConfig, FaultKind};
use projectlink::sandbox::seed::DEMO_SEED_YAML;

/// Every created object is created exactly once: one link module, each field once, each
/// portal user once (creations of things that already exist are answered with errors the
/// executor treats as done, so the counts of successful creates matter, not of attempts).
fn assert_converged(h: &Harness) {
    let plan = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let exported = h.run(&["export", "--portal-secret-ref", "pm-admin-oauth"]);
    assert_eq!(exported.code, 0, "{}", exported.all());
    assert_eq!(
        exported.stdout.matches("module: ").count(),
        3,
        "{}",
        exported.stdout
    );
}

#[test]
fn an_apply_against_a_faulty_server_converges_with_retries_and_reruns() {
    let h = Harness::with_config(DEMO_SEED_YAML, |config| {
        config.faults = FaultConfig {
            rate: 0.25,
            kinds: vec![
                FaultKind::ServerError,
                FaultKind::TooManyRequests,
                FaultKind::Reset,
            ],
        };
    });
    let mut last = None;
    for _ in 0..5 {
        let run = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
        let done = run.code == 0 && run.stdout.contains("No changes")
            || run.stdout.contains("Apply complete");
        last = Some(run);
        if done {
            break;
        }
    }
    let last = last.unwrap();
    assert!(
        last.code == 0,
        "did not converge in five runs: {}",
        last.all()
    );
    // Faults stay on while checking: the check itself retries through them.
    let mut plan = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    for _ in 0..3 {
        if plan.code == 0 {
            break;
        }
        plan = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    }
    assert_eq!(plan.code, 0, "{}", plan.all());
}

#[test]
fn an_apply_killed_midway_converges_on_the_next_run() {
    // Latency makes the apply long enough to be killed in the middle.
    let h = Harness::with_config(DEMO_SEED_YAML, |config| {
        config.latency = Duration::from_millis(60)
    });
    let args = h.args(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = command(&args, &[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Reads take about a dozen sequential round trips; stop somewhere inside the writes.
    std::thread::sleep(Duration::from_millis(1100));
    child.kill().unwrap();
    let _ = child.wait();
    let rerun = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert_converged(&h);
}

#[test]
fn lost_answers_to_writes_leave_no_duplicates_and_no_failures() {
    // Some writes are carried out and then lose their answer, so the client's retry meets
    // work already done (DUPLICATE_DATA, "already a client", a lease that is its own).
    let h = Harness::with_config(DEMO_SEED_YAML, |config| {
        config.faults = FaultConfig {
            rate: 0.15,
            kinds: vec![FaultKind::Lost],
        };
    });
    let run = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("Apply complete"), "{}", run.all());
    // The next run finds nothing to do, and nothing was made twice.
    let again = h.run(&["plan", "-f", &example("acme.yaml"), "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let state = h.data_state();
    let mut unique = state.clone();
    unique.dedup();
    assert_eq!(state, unique, "duplicates: {state:#?}");
    assert_converged(&h);
}

#[test]
fn lost_answers_to_office365_writes_leave_no_duplicates_and_no_failures() {
    // Outlook item creates whose answers are lost are looked up by their CRM link before
    // being sent again, so a lost answer never makes a second event or contact.
    let h = Harness::with_config(DEMO_SEED_YAML, |config| {
        config.faults = FaultConfig {
            rate: 0.4,
            kinds: vec![FaultKind::Lost],
        };
    });
    let spec = example("office365.yaml");
    let run = h.run(&["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains(" 0 failed"), "{}", run.all());
    let again = h.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}
