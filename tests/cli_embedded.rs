//! End-to-end: with no credentials and no `--target`, the CLI runs against the embedded
//! sandbox in its state folder — the README's first command.

mod cli_support;

use cli_support::{example, run_binary};

#[test]
fn repeated_runs_against_the_embedded_sandbox_reuse_its_token_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let state = state.to_str().unwrap();
    let apply = run_binary(
        &[
            "--state-dir",
            state,
            "apply",
            "-f",
            &example("acme.yaml"),
            "--auto-approve",
        ],
        &[],
    );
    assert_eq!(apply.code, 0, "{}", apply.all());
    assert!(
        apply.stdout.starts_with("Target: embedded sandbox"),
        "{}",
        apply.stdout
    );
    // Zoho issues ten access tokens per grant per ten minutes; a dozen runs must not need
    // a dozen tokens even though the embedded sandbox listens on a new port every run.
    for run in 0..12 {
        let plan = run_binary(
            &[
                "--state-dir",
                state,
                "plan",
                "-f",
                &example("acme.yaml"),
                "--detailed-exitcode",
            ],
            &[],
        );
        assert_eq!(plan.code, 0, "run {run}: {}", plan.all());
        assert!(
            plan.stdout.contains("No changes."),
            "the state persisted: {}",
            plan.stdout
        );
    }
}
