//! What a run says while it runs, end to end against a sandbox: `-v` logs every API call
//! (method, path, status, duration, attempt) and `-vv` the bodies, never a secret, in text or
//! JSON lines; observing a large org and applying many changes show their progress in
//! plain lines off a terminal; a Zoho Projects lock says why the run waits and for how long;
//! and `sandbox serve` keeps its database in `--state-dir`.

mod cli_support;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use cli_support::{Harness, command, example};
use projectlink::sandbox::generate::{self, GenerateOptions};
use projectlink::sandbox::projects_throttle::ProjectsThrottle;

const SECRET: &str = "CANARY-client-secret-51d0";
const REFRESH: &str = "1000.CANARY-refresh-77e1";

/// The demo org with canary credentials, and the environment that uses them.
fn canary_harness() -> (Harness, [(&'static str, &'static str); 3]) {
    canary_harness_with(|_| {})
}

fn canary_harness_with(
    adjust: impl FnOnce(&mut projectlink::sandbox::SandboxConfig),
) -> (Harness, [(&'static str, &'static str); 3]) {
    let seed = projectlink::sandbox::seed::DEMO_SEED_YAML
        .replace("acme-demo-secret", SECRET)
        .replace("1000.acme-admin.refresh", REFRESH);
    let env = [
        ("ZOHO_CLIENT_ID", "1000.ACMEDEMOCLIENT"),
        ("ZOHO_CLIENT_SECRET", SECRET),
        ("ZOHO_REFRESH_TOKEN", REFRESH),
    ];
    (Harness::with_config(&seed, adjust), env)
}

/// A sandbox whose Zoho Projects count runs out after two calls per API in 5 seconds.
fn spent_window(config: &mut projectlink::sandbox::SandboxConfig) {
    config.projects_throttle = Some(ProjectsThrottle {
        lockout: Duration::from_secs(3),
        ..ProjectsThrottle::per(2, Duration::from_secs(5))
    });
}

fn assert_no_canary(text: &str) {
    for canary in [SECRET, REFRESH, "CANARY"] {
        assert!(!text.contains(canary), "{canary} leaked:\n{text}");
    }
}

/// Replaces every run of at least `min` digits with `[n]`.
fn scrub_digits(line: &str, min: usize) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in line.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if run.len() >= min {
            out.push_str("[n]");
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// A `-v` log line without what changes from run to run: the time stamp, the duration and
/// the ids.
fn scrub_log_line(line: &str) -> String {
    let line = match line.find(" INFO ") {
        Some(at) => &line[at + 1..],
        None => line,
    };
    let line = match line.split_once(": ") {
        Some((head, tail)) if tail.contains(" in ") && tail.contains(" ms ") => {
            let (call, rest) = tail.rsplit_once(" in ").unwrap();
            let after_ms = rest.split_once(" ms").map_or("", |(_, r)| r);
            format!("{head}: {call} in [ms] ms{after_ms}")
        }
        _ => line.to_string(),
    };
    scrub_digits(&line, 6)
}

#[test]
fn verbose_logs_every_api_call_without_a_secret() {
    let (h, env) = canary_harness();
    let run = h.run_env(&["-v", "plan", "-f", &example("minimal.yaml")], &env);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_no_canary(&run.all());
    // Calls run concurrently: their order varies, their set does not.
    let mut lines: Vec<String> = run
        .stderr
        .lines()
        .filter(|l| l.contains("projectlink::api"))
        .map(scrub_log_line)
        .collect();
    lines.sort();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn very_verbose_adds_the_bodies_with_their_secrets_hidden() {
    let (h, env) = canary_harness();
    let run = h.run_env(&["-vv", "plan", "-f", &example("minimal.yaml")], &env);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_no_canary(&run.all());
    let token_request = run
        .stderr
        .lines()
        .find(|l| l.contains("POST /oauth/v2/token request body:"))
        .expect("the token request's body is logged");
    assert!(
        token_request.ends_with(
            "grant_type=refresh_token&client_id=1000.ACMEDEMOCLIENT&client_secret=***&refresh_token=***"
        ),
        "{token_request}"
    );
    let token_answer = run
        .stderr
        .lines()
        .find(|l| l.contains("POST /oauth/v2/token answer body:"))
        .expect("the token answer is logged");
    assert!(
        token_answer.contains(r#""access_token":"***""#),
        "{token_answer}"
    );
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("GET /crm/v8/org answer body: {\"org\":")),
        "{}",
        run.stderr
    );
}

#[test]
fn json_logs_carry_each_call_as_fields_and_the_waits_as_events() {
    let (h, env) = canary_harness_with(spent_window);
    let run = h.run_env(
        &[
            "-v",
            "--log-format",
            "json",
            "--projects-rate-limit",
            "50/60",
            "plan",
            "-f",
            &example("minimal.yaml"),
        ],
        &env,
    );
    assert_eq!(run.code, 0, "{}", run.all());
    assert_no_canary(&run.all());
    // Standard error is JSON lines only, waits included.
    let events: Vec<serde_json::Value> = run
        .stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        events.iter().any(|e| e["target"] == "projectlink::progress"
            && e["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("waiting "))),
        "{}",
        run.stderr
    );
    let calls: Vec<&serde_json::Value> = events
        .iter()
        .filter(|v| v["target"] == "projectlink::api")
        .collect();
    let org = calls
        .iter()
        .find(|c| {
            c["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("GET /crm/v8/org: 200 in "))
        })
        .expect("the org read is logged");
    assert_eq!(org["level"], "INFO");
    assert_eq!(org["fields"]["system"], "Zoho CRM");
    assert_eq!(org["fields"]["attempt"], 1);
}

#[test]
fn observing_a_large_org_off_a_terminal_prints_progress_lines_as_it_goes() {
    let seed = generate::generate(&GenerateOptions {
        users: 10,
        accounts: 1100,
        contacts: 20,
        deals: Some(10),
        projects: 20,
        clients: Some(5),
        seed: 5,
        ..GenerateOptions::default()
    });
    let h = Harness::with_seed_text(&seed.to_yaml().unwrap());
    let spec = h.write(
        "large.yaml",
        &cli_support::generated_spec("large", &["Accounts"], false),
    );
    let creds = h.write("credentials.yaml", &cli_support::generated_credentials());
    let run = h.run(&[
        "--credentials",
        creds.to_str().unwrap(),
        "plan",
        "-f",
        spec.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    // The other listings are short and say nothing; this one speaks as it goes.
    let progress: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("reading ") || l.starts_with("read "))
        .collect();
    insta::assert_snapshot!(progress.join("\n"));
}

#[test]
fn a_spent_projects_window_says_why_the_run_waits_and_for_how_long() {
    // Fewer calls than the client expects: Zoho's own count runs out first.
    let h = Harness::with_config(projectlink::sandbox::seed::DEMO_SEED_YAML, spent_window);
    let run = h.run(&[
        "--projects-rate-limit",
        "50/60",
        "plan",
        "-f",
        &example("minimal.yaml"),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let waits: Vec<(u64, &str)> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("waiting "))
        .map(|l| {
            let (seconds, why) = l.split_once(" s: ").unwrap();
            (seconds.parse().unwrap(), why)
        })
        .collect();
    assert!(!waits.is_empty(), "{}", run.stderr);
    // The rest of the 5-second window, said as the wait starts.
    for (seconds, why) in &waits {
        assert!((3..=5).contains(seconds), "{seconds} s: {why}");
    }
    let mut waits: Vec<String> = waits
        .iter()
        .map(|(_, why)| format!("waiting [s] s: {}", scrub_digits(why, 6)))
        .collect();
    waits.sort();
    waits.dedup();
    insta::assert_snapshot!(waits.join("\n"));
}

#[test]
fn sandbox_serve_keeps_its_database_in_the_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let mut child = command(
        &[
            "--state-dir",
            state.to_str().unwrap(),
            "sandbox",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let db = state.join("sandbox.db");
    assert!(
        first.contains(&format!("(database {})", db.display())),
        "{first}"
    );
    assert!(db.is_file(), "{} was created", db.display());
}

#[test]
fn an_apply_off_a_terminal_says_how_far_it_got_every_tenth_of_the_way() {
    let h = Harness::demo();
    let run = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let said: Vec<(usize, usize)> = run
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("applying: "))
        .map(|l| {
            let (done, total) = l.strip_suffix(" done").unwrap().split_once(" of ").unwrap();
            (done.parse().unwrap(), total.parse().unwrap())
        })
        .collect();
    let total = said.first().map(|(_, t)| *t).expect("progress lines");
    assert!(total >= 10, "{}", run.stderr);
    let step = total.div_ceil(10);
    let expected: Vec<(usize, usize)> = (1..)
        .map(|k| (k * step, total))
        .take_while(|(done, _)| *done < total)
        .collect();
    assert_eq!(said, expected, "{}", run.stderr);
}
