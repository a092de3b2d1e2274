//! A plan's estimate against what its apply spends, end to end: the API calls and CRM credits
//! a saved plan prints (reads, writes and the apply lease included) are held within 10% of
//! what `apply` of that plan then reports for its whole run, for a generated org's first
//! apply (batched link records, project creations and their write-backs, client mapping).

mod cli_support;

use std::time::Duration;

use cli_support::{Harness, Run};
use projectlink::sandbox::generate::{self, GenerateOptions};
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use serde_json::Value;

const SPEC: &str = r#"
apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata: {name: estimates}
spec:
  connection: {dataCenter: us, secretRef: {name: zoho-oauth}, portalSecretRef: {name: pm-admin-oauth}}
  portal: {name: Generated Delivery}
  clients: {accountMapping: Auto}
  relatedLists:
    modules:
      - module: Accounts
      - module: Deals
  permissions:
    profiles:
      - profile: Administrator
        access: false
        relatedList: {view: true, create: true, edit: true, delete: true}
  dealConversion: {stage: Closed Won, template: Standard Delivery}
"#;

/// The number after `label` in `text`.
fn number_after(text: &str, label: &str) -> u64 {
    let (_, rest) = text
        .split_once(label)
        .unwrap_or_else(|| panic!("\"{label}\" in:\n{text}"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

/// Plans into `name.json` and returns the estimated calls and credits of its apply.
fn estimate(h: &Harness, common: &[&str], name: &str) -> (u64, u64, usize) {
    let spec = h.write("estimates.yaml", SPEC);
    let saved = h.path(&format!("{name}.json"));
    let mut args = common.to_vec();
    args.extend(["plan", "-f", spec.to_str().unwrap()]);
    args.extend(["--format", "json", "-o", saved.to_str().unwrap()]);
    let planned = h.run(&args);
    assert_eq!(planned.code, 0, "{}", planned.all());
    let document: Value = serde_json::from_str(&planned.stdout).unwrap();
    let summary = &document["plan"]["summary"];
    let changes = document["plan"]["changes"].as_array().unwrap().len();
    (
        summary["estimated_api_calls"].as_u64().unwrap(),
        summary["estimated_credits"].as_u64().unwrap(),
        changes,
    )
}

/// Applies `name.json`; returns the calls (reads included) and credits its run reports.
fn spent(h: &Harness, common: &[&str], name: &str) -> (u64, u64) {
    let saved = h.path(&format!("{name}.json"));
    let mut args = common.to_vec();
    args.extend(["apply", saved.to_str().unwrap(), "--auto-approve"]);
    let applied: Run = h.run(&args);
    assert_eq!(applied.code, 0, "{}", applied.all());
    let line = applied
        .stdout
        .lines()
        .find(|l| l.starts_with("API calls: "))
        .unwrap_or_else(|| panic!("the apply reports its calls:\n{}", applied.all()));
    // "API calls: N to apply (CRM c, Projects p), T this run including reads and …"
    let calls = number_after(line, "), ");
    let credits = number_after(&applied.stdout, "CRM credits this run: ");
    (calls, credits)
}

fn assert_close(what: &str, estimated: u64, actual: u64) {
    let off = estimated.abs_diff(actual) as f64 / actual.max(1) as f64;
    assert!(
        off <= 0.10,
        "{what}: estimated {estimated}, spent {actual} ({:.0}% off)",
        off * 100.0
    );
}

#[test]
fn a_first_apply_spends_what_its_plan_estimated() {
    let seed = generate::generate(&GenerateOptions {
        users: 10,
        accounts: 60,
        contacts: 60,
        deals: Some(60),
        projects: 120,
        clients: Some(20),
        seed: 5,
        ..GenerateOptions::default()
    });
    // Neither side waits for Zoho Projects' limit: this test counts calls, not time.
    let h = Harness::with_config(&seed.to_yaml().unwrap(), |config| {
        config.projects_throttle = Some(ProjectsThrottle::per(1_000_000, Duration::from_secs(120)));
    });
    let creds = h.write("credentials.yaml", &cli_support::generated_credentials());
    let common = [
        "--credentials",
        creds.to_str().unwrap(),
        "--projects-rate-limit",
        "1000000/120",
    ];

    let (calls, credits, changes) = estimate(&h, &common, "first");
    assert!(changes > 50, "a large first apply: {changes} changes");
    let (spent_calls, spent_credits) = spent(&h, &common, "first");
    assert_close("first apply's calls", calls, spent_calls);
    assert_close("first apply's credits", credits, spent_credits);
}
