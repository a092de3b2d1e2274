//! A plan's estimate against what its apply spends, end to end: the API calls and CRM credits
//! a saved plan prints (reads, writes and the apply lease included) are held within 10% of
//! what `apply` of that plan then reports for its whole run: for a generated org's first
//! apply (batched link records, project creations and their write-backs, client mapping),
//! and, on an applied org whose observation cache is at hand, for a change of one project
//! and of a tenth of them (the apply observes incrementally, as the plan did).

mod cli_support;

use std::time::Duration;

use cli_support::{Harness, Run};
use projectlink::live::data::value_text;
use projectlink::sandbox::generate::{self, GenerateOptions};
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::zoho::crm::RecordQuery;
use projectlink::zoho::projects::{ProjectFilter, ProjectUpdate};
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};
use serde_json::Value;

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
    let spec = h.write(
        "estimates.yaml",
        &cli_support::generated_spec("estimates", &["Accounts", "Deals"], true),
    );
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

/// The generated org of these tests, served with Zoho Projects' limit out of the way (these
/// tests count calls, not time), and the arguments every run takes.
fn generated_org(projects: usize) -> (Harness, Vec<String>) {
    let seed = generate::generate(&GenerateOptions {
        users: 10,
        accounts: 60,
        contacts: 60,
        deals: Some(60),
        projects,
        clients: Some(20),
        seed: 5,
        ..GenerateOptions::default()
    });
    let h = Harness::with_config(&seed.to_yaml().unwrap(), |config| {
        config.projects_throttle = Some(ProjectsThrottle::per(1_000_000, Duration::from_secs(120)));
    });
    // Generated records carry the time they were generated: a second later they lie before
    // any watermark, as a real org's history does, and only changes made since are read.
    std::thread::sleep(Duration::from_secs(2));
    let creds = h.write("credentials.yaml", &cli_support::generated_credentials());
    let common = [
        "--credentials",
        creds.to_str().unwrap(),
        "--projects-rate-limit",
        "1000000/120",
        // These runs are seconds apart: with the default overlap every run would read again
        // everything changed in the last five minutes, which runs minutes apart do not.
        "--observation-overlap",
        "0s",
    ];
    (h, common.iter().map(|s| s.to_string()).collect())
}

fn strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

#[test]
fn a_first_apply_spends_what_its_plan_estimated() {
    let (h, common) = generated_org(120);
    let common = strs(&common);
    let (calls, credits, changes) = estimate(&h, &common, "first");
    assert!(changes > 50, "a large first apply: {changes} changes");
    let (spent_calls, spent_credits) = spent(&h, &common, "first");
    assert_close("first apply's calls", calls, spent_calls);
    assert_close("first apply's credits", credits, spent_credits);
}

/// Sets the completion of the first `n` projects a link record points at to `percent`, as
/// someone would in Zoho Projects: one field each, which their link records carry.
fn change_linked_projects(h: &Harness, n: usize, percent: u8) {
    let creds = ZohoCredentials {
        crm: Credentials::new(
            generate::CLIENT_ID,
            generate::CLIENT_SECRET,
            generate::ADMIN_REFRESH_TOKEN,
        ),
        portal: None,
    };
    let url = reqwest::Url::parse(&h.url).unwrap();
    let zoho =
        ZohoClients::connect(&Endpoints::single(url), &creds, &ClientOptions::default()).unwrap();
    h.runtime.block_on(async {
        let fields = ["Project_Id".to_string()];
        let links = zoho
            .crm
            .records("Linked_Projects", &fields, &RecordQuery::default())
            .await
            .unwrap();
        let linked: std::collections::BTreeSet<String> = links
            .iter()
            .map(|r| value_text(r.get("Project_Id")))
            .collect();
        let portals = zoho.projects.portals().await.unwrap();
        let portal = portals
            .iter()
            .find(|p| p.name == "Generated Delivery")
            .unwrap();
        let projects = zoho
            .projects
            .projects(&portal.id, ProjectFilter::ActiveAndArchived)
            .await
            .unwrap();
        let chosen: Vec<_> = projects
            .iter()
            .filter(|p| linked.contains(&p.id) && p.percent_complete != Some(percent))
            .take(n)
            .collect();
        assert_eq!(chosen.len(), n, "enough linked projects to change");
        for p in chosen {
            let update = ProjectUpdate {
                percent_complete: Some(percent),
                ..ProjectUpdate::default()
            };
            zoho.projects
                .update_project(&portal.id, &p.id, &update)
                .await
                .unwrap();
        }
    });
    // As for the generated records: the changes lie before the next run's watermark.
    std::thread::sleep(Duration::from_secs(2));
}

#[test]
fn small_and_medium_changes_of_an_applied_org_spend_what_their_plans_estimated() {
    let projects = 120;
    let (h, common) = generated_org(projects);
    let common = strs(&common);
    let spec = h.write(
        "estimates.yaml",
        &cli_support::generated_spec("estimates", &["Accounts", "Deals"], true),
    );
    let mut converge = common.clone();
    converge.extend(["apply", "-f", spec.to_str().unwrap(), "--auto-approve"]);
    assert_eq!(h.run(&converge).code, 0);
    // Its writes lie before the next run's watermark, as a real apply's do minutes later.
    std::thread::sleep(Duration::from_secs(2));
    // A plan after the apply reads its writes as changes; the one after it is steady.
    let (_, _, changes) = estimate(&h, &common, "steady");
    assert_eq!(changes, 0, "the apply converged");
    for (round, size) in [1, projects / 10].into_iter().enumerate() {
        change_linked_projects(&h, size, 11 + round as u8);
        let name = format!("change-{size}");
        let (calls, credits, changes) = estimate(&h, &common, &name);
        assert_eq!(changes, size, "one link record update per changed project");
        let (spent_calls, spent_credits) = spent(&h, &common, &name);
        assert_close(&format!("{name}: calls"), calls, spent_calls);
        assert_close(&format!("{name}: credits"), credits, spent_credits);
    }
}
