//! The CLI against a sandbox that enforces Zoho Projects' per-API lock: a whole apply and
//! plan of a generated org paced under a shrunk window without ever tripping it (the waits
//! shown as they happen), and a user already locked out getting one clear error, exit 1, no
//! retry storm, and a next run after the lock that converges.

mod cli_support;

use std::time::Duration;

use cli_support::Harness;
use projectlink::sandbox::generate::{self, GenerateOptions};
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use serde_json::Value;

/// Projects requests the sandbox refused for its throttle.
fn refused(h: &Harness) -> u64 {
    h.sandbox().limits.projects_throttled()
}

#[test]
fn a_generated_org_applies_and_plans_under_a_shrunk_window_without_a_lock() {
    let seed = generate::generate(&GenerateOptions {
        users: 20,
        accounts: 120,
        contacts: 120,
        deals: Some(60),
        projects: 240,
        clients: Some(40),
        seed: 11,
        ..GenerateOptions::default()
    });
    let text = seed.to_yaml().unwrap();
    let h = Harness::with_config(&text, |config| {
        config.projects_throttle = Some(ProjectsThrottle {
            lockout: Duration::from_secs(10),
            ..ProjectsThrottle::per(20, Duration::from_secs(3))
        });
    });
    let spec = h.write(
        "paced.yaml",
        &cli_support::generated_spec("paced", &["Accounts", "Deals"], true),
    );
    let creds = h.write("credentials.yaml", &cli_support::generated_credentials());
    let common = [
        "--credentials",
        creds.to_str().unwrap(),
        "--projects-rate-limit",
        "18/3",
    ];
    let mut apply: Vec<&str> = common.to_vec();
    apply.extend(["apply", "-f", spec.to_str().unwrap(), "--auto-approve"]);
    let applied = h.run(&apply);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied.stderr.lines().any(|l| l.starts_with("waiting ")
            && l.contains("Zoho Projects allows 18 calls per API per 3 seconds")),
        "the pacer's waits are shown:\n{}",
        applied.stderr
    );
    assert!(
        applied.stdout.contains("Zoho Projects: "),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("made this run wait"),
        "{}",
        applied.stdout
    );

    let mut plan: Vec<&str> = common.to_vec();
    plan.extend([
        "plan",
        "-f",
        spec.to_str().unwrap(),
        "--detailed-exitcode",
        "--format",
        "json",
    ]);
    let planned = h.run(&plan);
    assert_eq!(planned.code, 0, "the apply converged:\n{}", planned.all());
    let document: Value = serde_json::from_str(&planned.stdout).unwrap();
    let cost = &document["plan"]["projects_cost"];
    assert_eq!(cost["rate_limit"], "18/3");
    assert!(cost["observe_calls"].as_u64().unwrap() > 18, "{cost}");
    assert_eq!(refused(&h), 0, "no API was ever locked");
}

#[test]
fn a_locked_user_gets_one_clear_error_and_the_next_run_after_the_lock_converges() {
    let h = Harness::with_config(projectlink::sandbox::seed::DEMO_SEED_YAML, |config| {
        // Longer than any lock the client waits out (two minutes): this one ends the run.
        config.projects_throttle = Some(ProjectsThrottle {
            lockout: Duration::from_secs(125),
            ..ProjectsThrottle::per(20, Duration::from_secs(60))
        });
    });
    // Another tool, using the same Zoho users, exhausts the portal listing's limit.
    h.runtime.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        for refresh in ["1000.acme-admin.refresh", "1000.acme-portal-owner.refresh"] {
            let token: Value = http
                .post(format!("{}/oauth/v2/token", h.url))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", "1000.ACMEDEMOCLIENT"),
                    ("client_secret", "acme-demo-secret"),
                    ("refresh_token", refresh),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let access = token["access_token"].as_str().unwrap().to_string();
            for _ in 0..21 {
                http.get(format!("{}/api/v3/portals", h.url))
                    .header("Authorization", format!("Zoho-oauthtoken {access}"))
                    .send()
                    .await
                    .unwrap();
            }
        }
    });
    let before = h.sandbox().counters.get("GET /api/v3/portals");
    let spec = cli_support::example("acme.yaml");
    let locked = h.run(&["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(locked.code, 1, "{}", locked.all());
    let errors: Vec<&str> = locked
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", locked.stderr);
    assert!(
        locked
            .stderr
            .contains("has locked this API for this user until")
            && locked.stderr.contains("UTC"),
        "{}",
        locked.stderr
    );
    let sent = h.sandbox().counters.get("GET /api/v3/portals") - before;
    assert_eq!(sent, 1, "one refused call, no retries: {}", locked.stderr);
    assert_eq!(h.writes(), 0, "nothing was written");

    std::thread::sleep(Duration::from_secs(127));
    let applied = h.run(&["apply", "-f", &spec, "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let planned = h.run(&["plan", "-f", &spec, "--detailed-exitcode"]);
    assert_eq!(planned.code, 0, "{}", planned.all());
    assert!(planned.stdout.contains("No changes."), "{}", planned.stdout);
}
