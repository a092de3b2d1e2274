//! End-to-end: bad input, unreachable targets and secrets. Every failure exits 1 with a
//! message naming the file position or the request, and bad specs cost zero API calls.

mod cli_support;

use cli_support::{Harness, example, run_binary};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/spec/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn bad_specs_exit_1_with_a_position_and_make_no_api_call() {
    let h = Harness::demo();
    let cases = [
        ("malformed.yaml", "malformed.yaml:"),
        ("unknown_field.yaml", "unknown_field.yaml:"),
        ("wrong_type.yaml", "wrong_type.yaml:"),
        ("unsupported_module.yaml", "unsupported_module.yaml:"),
        ("duplicates.yaml", "duplicates.yaml:"),
        ("invalid_email.yaml", "invalid_email.yaml:"),
    ];
    for (file, position) in cases {
        for verb in ["plan", "apply"] {
            let mut args = vec![verb, "-f"];
            let path = fixture(file);
            args.push(&path);
            if verb == "apply" {
                args.push("--auto-approve");
            }
            let run = h.run(&args);
            assert_eq!(run.code, 1, "{verb} {file}: {}", run.all());
            let located = run.stderr.lines().any(|l| {
                l.contains(position)
                    && l.split(position)
                        .nth(1)
                        .is_some_and(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_digit()))
            });
            assert!(
                located,
                "{verb} {file}: no file:line:column in\n{}",
                run.stderr
            );
            assert!(run.stderr.contains("error"), "{}", run.stderr);
        }
    }
    assert_eq!(
        h.sandbox().counters.total(),
        0,
        "bad specs must not reach the server"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let h = Harness::demo();
    let run = h.run(&["plan", "-f", "does/not/exist.yaml"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("does/not/exist.yaml"), "{}", run.stderr);
    assert_eq!(h.sandbox().counters.total(), 0);
}

#[test]
fn an_unreachable_target_names_the_request() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let state = dir.path().to_str().unwrap();
    let run = run_binary(
        &[
            "--target",
            &url,
            "--state-dir",
            state,
            "plan",
            "-f",
            &example("minimal.yaml"),
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("/oauth/v2/token"),
        "the failing request is named: {}",
        run.stderr
    );
}

#[test]
fn a_target_that_is_not_a_url_is_rejected() {
    let run = run_binary(
        &[
            "--target",
            "not a url",
            "plan",
            "-f",
            &example("minimal.yaml"),
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--target"), "{}", run.stderr);
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let h = Harness::demo();
    let run = h.run(&["apply", "-f", &example("minimal.yaml")]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("--auto-approve"), "{}", run.stderr);
    assert_eq!(h.writes(), 0);
}

#[test]
fn plan_exit_codes_follow_detailed_exitcode() {
    let h = Harness::demo();
    assert_eq!(h.run(&["plan", "-f", &example("minimal.yaml")]).code, 0);
    assert_eq!(
        h.run(&[
            "plan",
            "-f",
            &example("minimal.yaml"),
            "--detailed-exitcode"
        ])
        .code,
        2
    );
    assert_eq!(
        h.run(&["apply", "-f", &example("minimal.yaml"), "--auto-approve"])
            .code,
        0
    );
    assert_eq!(
        h.run(&[
            "plan",
            "-f",
            &example("minimal.yaml"),
            "--detailed-exitcode"
        ])
        .code,
        0
    );
}

#[test]
fn plan_with_live_metadata_errors_exits_1_and_apply_writes_nothing() {
    let h = Harness::demo();
    let spec = cli_support::read_example("acme.yaml")
        .replace("crmField: Closing_Date", "crmField: Closing_Dat");
    let path = h.write("typo.yaml", &spec);
    let path = path.to_str().unwrap();
    let plan = h.run(&["plan", "-f", path]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    assert!(
        plan.stdout.contains("Deals.Closing_Dat does not exist"),
        "{}",
        plan.stdout
    );
    let apply = h.run(&["apply", "-f", path, "--auto-approve"]);
    assert_eq!(apply.code, 1);
    assert_eq!(h.writes(), 0);
}

/// The credentials of this seed are canaries: no output, at any log level, may show them.
#[test]
fn secrets_never_appear_in_any_output_even_at_trace_level() {
    const SECRET: &str = "CANARY-client-secret-7f3a";
    const REFRESH: &str = "1000.CANARY-refresh-9b2c";
    let seed = projectlink::sandbox::seed::DEMO_SEED_YAML
        .replace("acme-demo-secret", SECRET)
        .replace("1000.acme-admin.refresh", REFRESH);
    let h = Harness::with_seed_text(&seed);
    let env = [
        ("ZOHO_CLIENT_ID", "1000.ACMEDEMOCLIENT"),
        ("ZOHO_CLIENT_SECRET", SECRET),
        ("ZOHO_REFRESH_TOKEN", REFRESH),
        ("RUST_LOG", "trace"),
    ];
    let runs = [
        h.run_env(
            &[
                "-vvv",
                "plan",
                "-f",
                &example("minimal.yaml"),
                "--format",
                "json",
            ],
            &env,
        ),
        h.run_env(
            &[
                "-vvv",
                "apply",
                "-f",
                &example("minimal.yaml"),
                "--auto-approve",
            ],
            &env,
        ),
        h.run_env(&["-vvv", "export"], &env),
        // Wrong secret: the error path must not echo it either.
        h.run_env(
            &["-vvv", "plan", "-f", &example("minimal.yaml")],
            &[
                ("ZOHO_CLIENT_ID", "1000.ACMEDEMOCLIENT"),
                ("ZOHO_CLIENT_SECRET", "CANARY-wrong-secret-11aa"),
                ("ZOHO_REFRESH_TOKEN", "1000.CANARY-unknown-refresh-5d"),
                ("RUST_LOG", "trace"),
            ],
        ),
    ];
    assert_eq!(runs[1].code, 0, "{}", runs[1].all());
    assert_ne!(runs[3].code, 0);
    for run in &runs {
        let all = run.all();
        assert!(all.len() > 100, "the run printed something to check: {all}");
        for canary in [SECRET, REFRESH, "CANARY-wrong-secret-11aa", "CANARY"] {
            assert!(!all.contains(canary), "{canary} leaked:\n{all}");
        }
    }
    // The token store holds access tokens only, under a digest of the grant.
    let tokens = std::fs::read_to_string(h.path("state").join("tokens.json")).unwrap();
    assert!(!tokens.contains("CANARY"));
}

#[test]
fn help_is_helpful() {
    let run = run_binary(&["--help"], &[]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
    for verb in [
        "validate", "plan", "apply", "export", "schema", "crd", "sandbox",
    ] {
        let run = run_binary(&[verb, "--help"], &[]);
        assert_eq!(run.code, 0, "{verb} --help");
        assert!(
            run.stdout.contains("Usage: projectlink"),
            "{verb}: {}",
            run.stdout
        );
    }
}

#[test]
fn unknown_flags_are_usage_errors() {
    let run = run_binary(&["plan", "--frobnicate"], &[]);
    // Not 2: CI reads 2 as "changes present".
    assert_eq!(run.code, 1, "usage errors are errors");
    assert!(run.stderr.contains("--frobnicate"));
}

#[test]
fn a_misspelt_projects_field_map_entry_fails_plan_with_the_fields_that_exist() {
    let h = Harness::demo();
    let spec = cli_support::read_example("acme.yaml")
        .replace("crmField: Closing_Date,", "crmField: Closing_Dat,");
    assert!(spec.contains("Closing_Dat,"), "the example changed");
    let path = h.write("misspelt.yaml", &spec);
    let path = path.to_str().unwrap();
    for verb in ["plan", "apply"] {
        let mut args = vec![verb, "-f", path];
        if verb == "apply" {
            args.push("--auto-approve");
        }
        let run = h.run(&args);
        assert_eq!(run.code, 1, "{verb}: {}", run.all());
        let out = run.all();
        assert!(
            out.contains("CRM field Deals.Closing_Dat does not exist"),
            "{out}"
        );
        assert!(out.contains("did you mean Closing_Date?"), "{out}");
        assert!(out.contains("fields of Deals in this org: "), "{out}");
        assert!(out.contains("Deal_Name"), "{out}");
    }
    assert_eq!(h.writes(), 0, "nothing may be written");
}
