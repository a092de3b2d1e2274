//! Incremental observation end to end: the real binary against the sandbox over HTTP. A CRM
//! create, update and delete made between two runs are in the next incremental plan, one
//! made inside the overlap window too; a removed or corrupt cache means a full observation
//! and the same plan; and a no-change incremental plan costs the same CRM calls whatever the
//! org's size.

mod cli_support;

use std::path::PathBuf;

use cli_support::{Harness, Run, change_lines, example};
use projectlink::sandbox::generate::{self, GenerateOptions};
use projectlink::zoho::ZohoClients;
use projectlink::zoho::crm::{Record, RecordQuery, UserType, UserUpdate};
use serde_json::{Value, json};

fn assert_ok(run: &Run) {
    assert!(
        run.code == 0 || run.code == 2,
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// A plan of the acme example as JSON, with any extra arguments.
fn plan_json(h: &Harness, extra: &[&str]) -> Value {
    let spec = example("acme.yaml");
    let mut args = vec!["plan", "-f", spec.as_str(), "--format", "json"];
    args.extend(extra);
    let run = h.run(&args);
    assert_ok(&run);
    serde_json::from_str(&run.stdout).unwrap()
}

fn observation(doc: &Value) -> &Value {
    &doc["plan"]["observation"]
}

/// The one observation cache file of this harness's state folder.
fn cache_file(h: &Harness) -> PathBuf {
    let dir = h.path("state").join("observations");
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// The CRM facts of the cached observation: users and the data plane's CRM records.
fn crm_facts(h: &Harness) -> Value {
    let cache: Value = serde_json::from_slice(&std::fs::read(cache_file(h)).unwrap()).unwrap();
    let observed = &cache["observed"];
    let data = &observed["data"];
    json!({
        "users": observed["users"],
        "accounts": data["accounts"],
        "contacts": data["contacts"],
        "link_records": data["link_records"],
        "records": data["records"],
    })
}

fn record(value: Value) -> Record {
    value.as_object().unwrap().clone()
}

/// The id of the `module` record whose `field` is `value`.
fn id_of(h: &Harness, crm: &ZohoClients, module: &str, field: &str, value: &str) -> String {
    let records = h
        .runtime
        .block_on(
            crm.crm
                .records(module, &[field.to_string()], &RecordQuery::default()),
        )
        .unwrap();
    let found = records
        .iter()
        .find(|r| r.get(field).and_then(Value::as_str) == Some(value))
        .unwrap_or_else(|| panic!("no {module} record with {field} {value}"));
    found["id"].as_str().unwrap().to_string()
}

/// Sets a linked Deal's project status, a field projectlink keeps equal to its project's;
/// returns the Deal's id.
fn set_project_status(h: &Harness, crm: &ZohoClients, deal: &str, status: &str) -> String {
    let id = id_of(h, crm, "Deals", "Deal_Name", deal);
    let change = record(json!({"id": id, "Project_Status__c": status}));
    let written = h
        .runtime
        .block_on(crm.crm.update_records("Deals", &[change]))
        .unwrap();
    assert!(written[0].is_ok(), "{written:?}");
    id
}

/// Creates a won Deal of a mapped Account, which becomes a project; returns its id.
fn create_won_deal(h: &Harness, crm: &ZohoClients) -> String {
    let account = id_of(h, crm, "Accounts", "Account_Name", "Bowman Furniture Inc.");
    let deal = record(json!({
        "Deal_Name": "Bowman Outlet", "Stage": "Closed Won",
        "Account_Name": {"id": account}, "Closing_Date": "2027-03-01"
    }));
    let created = h
        .runtime
        .block_on(crm.crm.insert_records("Deals", &[deal]))
        .unwrap();
    created[0].as_ref().expect("the deal is created").id.clone()
}

/// Deletes the link record of `project`; the plan puts it back.
fn delete_link_record(h: &Harness, crm: &ZohoClients, project: &str) {
    let link = id_of(h, crm, "Linked_Projects", "Name", project);
    let deleted = h
        .runtime
        .block_on(crm.crm.delete_records("Linked_Projects", &[link]))
        .unwrap();
    assert!(deleted[0].is_ok(), "{deleted:?}");
}

fn deactivate_user(h: &Harness, crm: &ZohoClients, email: &str) {
    let user = h
        .runtime
        .block_on(crm.crm.users(UserType::AllUsers))
        .unwrap()
        .into_iter()
        .find(|u| u.email == email)
        .unwrap();
    let deactivate = UserUpdate {
        status: Some("inactive".into()),
        ..UserUpdate::default()
    };
    h.runtime
        .block_on(crm.crm.update_user(&user.id, &deactivate))
        .unwrap();
}

#[test]
fn crm_creates_updates_and_deletes_between_runs_are_in_the_next_incremental_plan() {
    let h = Harness::demo();
    let applied = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    assert!(
        applied
            .stdout
            .contains("Observation: full (no cached observation)."),
        "{}",
        applied.stdout
    );
    let quiet = plan_json(&h, &["--detailed-exitcode"]);
    assert_eq!(observation(&quiet)["kind"], "incremental", "{quiet:#}");
    assert_eq!(change_lines(&quiet), Vec::<String>::new());

    let crm = h.demo_admin();
    // Update: a linked Deal's project status, which the plan sets back.
    let initech = set_project_status(&h, &crm, "Initech Intranet", "on hold");
    let outlet = create_won_deal(&h, &crm);
    delete_link_record(&h, &crm, "Website Redesign");
    deactivate_user(&h, &crm, "quinn@acme.com");

    let incremental = plan_json(&h, &[]);
    assert_eq!(observation(&incremental)["kind"], "incremental");
    let merged = crm_facts(&h);
    let user = |facts: &Value| {
        facts["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == "quinn@acme.com")
            .cloned()
    };
    assert_eq!(user(&merged).unwrap()["active"], false, "{merged:#}");
    let seen = change_lines(&incremental);
    assert_eq!(seen.len(), 3, "{seen:#?}");
    assert!(
        seen.contains(&format!("record Deals/{initech} Update")),
        "{seen:#?}"
    );
    assert!(
        seen.contains(&format!("deal-project Deals/{outlet} Create")),
        "{seen:#?}"
    );
    // The link record of the project whose record was deleted is created again.
    let relinked = &incremental["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"]["kind"] == "link-record")
        .expect("a link record is planned")["after"];
    assert!(
        relinked.to_string().contains("Website Redesign"),
        "{relinked:#}"
    );
    let full = plan_json(&h, &["--full-resync"]);
    assert_eq!(observation(&full)["kind"], "full");
    assert_eq!(observation(&full)["reason"], "forced");
    assert_eq!(
        change_lines(&full),
        seen,
        "a full observation plans the same"
    );
    assert_eq!(crm_facts(&h), merged, "and observes the same CRM facts");
}

#[test]
fn a_change_inside_the_overlap_window_is_in_the_next_plan() {
    let h = Harness::demo();
    let applied = h.run(&["apply", "-f", &example("acme.yaml"), "--auto-approve"]);
    assert_eq!(applied.code, 0, "{}", applied.all());
    // The apply created the mapped fields, so this plan lists those modules whole once more;
    // from here on they are read incrementally.
    let settled = plan_json(&h, &["--detailed-exitcode"]);
    assert_eq!(change_lines(&settled), Vec::<String>::new());
    let crm = h.demo_admin();
    let initech = set_project_status(&h, &crm, "Initech Intranet", "on hold");
    // The last observation started (by this machine's clock) just after the change: its
    // Modified_Time is before the watermark, as when Zoho's clock runs behind ours.
    let path = cache_file(&h);
    let mut cache: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let after_change = chrono::Utc::now() + chrono::Duration::seconds(30);
    cache["watermarks"]["crm"] = json!(after_change);
    let edited = serde_json::to_vec(&cache).unwrap();

    // Without an overlap the change is hidden: this is what the overlap is for.
    std::fs::write(&path, &edited).unwrap();
    let blind = plan_json(&h, &["--observation-overlap", "0s"]);
    assert_eq!(observation(&blind)["kind"], "incremental");
    assert_eq!(change_lines(&blind), Vec::<String>::new());

    std::fs::write(&path, &edited).unwrap();
    let overlapped = plan_json(&h, &[]);
    assert_eq!(observation(&overlapped)["kind"], "incremental");
    let since: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(observation(&overlapped)["since"].clone()).unwrap();
    assert_eq!(since, after_change - chrono::Duration::minutes(5));
    assert_eq!(
        change_lines(&overlapped),
        [format!("record Deals/{initech} Update")]
    );
}

#[test]
fn a_removed_cache_means_a_full_observation_and_the_same_plan() {
    let h = Harness::demo();
    let first = plan_json(&h, &[]);
    assert_eq!(
        observation(&first),
        &json!({"kind": "full", "reason": "no_cache"})
    );
    let second = plan_json(&h, &[]);
    assert_eq!(observation(&second)["kind"], "incremental");
    assert!(!change_lines(&second).is_empty());
    assert_eq!(change_lines(&second), change_lines(&first));
    assert_eq!(
        second["plan"]["fingerprints"],
        first["plan"]["fingerprints"]
    );

    let spec = example("acme.yaml");
    let markdown = h.run(&["plan", "-f", &spec, "--format", "markdown"]);
    assert_ok(&markdown);
    assert!(
        markdown
            .stdout
            .contains("Observation: incremental, changes since "),
        "{}",
        markdown.stdout
    );

    std::fs::remove_file(cache_file(&h)).unwrap();
    let third = plan_json(&h, &[]);
    assert_eq!(
        observation(&third),
        &json!({"kind": "full", "reason": "no_cache"})
    );
    assert_eq!(change_lines(&third), change_lines(&first));
}

#[test]
fn a_corrupt_cache_means_a_full_observation_with_a_warning() {
    let h = Harness::demo();
    let first = plan_json(&h, &[]);
    let path = cache_file(&h);
    std::fs::write(&path, "{\"format\": 1, \"org_id\": tru").unwrap();
    let spec = example("acme.yaml");
    let run = h.run(&["plan", "-f", &spec]);
    assert_ok(&run);
    assert!(
        run.stderr
            .contains("warning: observing everything: the observation cache is unusable: ")
            && run.stderr.contains("is not an observation cache"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("Observation: full (the cached observation is unusable: "),
        "{}",
        run.stdout
    );
    // The full observation wrote a good cache again, and plans the same.
    let next = plan_json(&h, &[]);
    assert_eq!(observation(&next)["kind"], "incremental");
    assert_eq!(change_lines(&next), change_lines(&first));
}

type Calls = std::collections::BTreeMap<String, u64>;

/// CRM calls of a full plan and of the incremental no-change plan after it, by endpoint.
fn crm_calls_of_two_plans(options: &GenerateOptions) -> (Calls, Calls) {
    let seed = generate::generate(options);
    let h = Harness::with_seed_text(&seed.to_yaml().unwrap());
    let spec = h.write(
        "steady.yaml",
        &cli_support::generated_spec("steady", &["Accounts", "Contacts", "Deals"], true),
    );
    let creds = h.write("credentials.yaml", &cli_support::generated_credentials());
    let crm_calls = || -> Calls {
        let mut calls = h.sandbox().counters.snapshot();
        calls.retain(|k, _| k.contains(" /crm/"));
        calls
    };
    let plan = |expect: &str| {
        let before = crm_calls();
        // The generated org was written moments ago: with the default overlap the
        // incremental plan would re-read all of it, as it should for records that new.
        let run = h.run(&[
            "--credentials",
            creds.to_str().unwrap(),
            "--observation-overlap",
            "0s",
            "plan",
            "-f",
            spec.to_str().unwrap(),
        ]);
        assert_ok(&run);
        assert!(run.stdout.contains(expect), "{}", run.stdout);
        let mut calls = crm_calls();
        for (k, v) in calls.iter_mut() {
            *v -= before.get(k).copied().unwrap_or(0);
        }
        calls.retain(|_, v| *v > 0);
        calls
    };
    // Watermarks are whole seconds: let the second the org was written in pass, so that
    // only records written before the first observation started exist. Module fields are
    // read again until their modified time lies a whole second before the watermark, which
    // is set back by the clock lead the Date headers show (up to a second more under load).
    std::thread::sleep(std::time::Duration::from_millis(3_000));
    let full = plan("Observation: full (no cached observation).");
    let incremental = plan("Observation: incremental, changes since ");
    (full, incremental)
}

#[test]
fn a_no_change_incremental_plan_costs_the_same_crm_calls_at_any_org_size() {
    let small = GenerateOptions {
        users: 10,
        accounts: 40,
        contacts: 40,
        deals: Some(20),
        projects: 20,
        clients: Some(5),
        seed: 3,
        ..GenerateOptions::default()
    };
    let large = GenerateOptions {
        users: 450,
        accounts: 1_000,
        contacts: 1_000,
        deals: Some(600),
        projects: 40,
        clients: Some(10),
        ..small.clone()
    };
    let total = |calls: &Calls| calls.values().sum::<u64>();
    let (small_full, small_incremental) = crm_calls_of_two_plans(&small);
    let (large_full, large_incremental) = crm_calls_of_two_plans(&large);
    assert!(
        total(&large_full) > total(&small_full),
        "full observations grow with the org: {small_full:#?} then {large_full:#?}"
    );
    assert_eq!(
        small_incremental, large_incremental,
        "incremental CRM calls at the small org, then at the large one"
    );
    assert!(
        total(&large_incremental) <= 30,
        "CRM calls of a no-change plan: {large_incremental:#?}"
    );
}
