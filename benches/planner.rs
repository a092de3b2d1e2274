//! Benchmark of the pure planner at 100k objects: CPU time and peak memory of planning a
//! no-change state, a one-field change, a change to every project and a batch of Deals to
//! convert. Issue 12 asks for at most 1 s of CPU and 300 MB of peak RSS at 100k objects.
//!
//! The configuration-plane facts come from a real run: a small generated org is served by the
//! embedded sandbox, applied, and observed again. The data-plane facts are then grown to the
//! wanted size (Accounts mapped to clients, Contacts, Deals, projects with their link
//! records, CRM and portal users) consistently enough that the no-change state plans nothing,
//! which the bench checks. Planning runs in a child process of its own so the sandbox's
//! memory is not counted.
//!
//!     cargo bench --bench planner
//!
//! `PROJECTLINK_BENCH_OBJECTS` sets the number of objects (default 100000).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use projectlink::apply::{ApplyOptions, NoProgress, execute};
use projectlink::live::data::{
    AccountFacts, ClientFacts, ContactFacts, LinkRecordFacts, ProjectFacts, value_text,
};
use projectlink::live::observe::observe;
use projectlink::live::{CrmUserFacts, Observed, PortalUserFacts, ProjectsGrant};
use projectlink::plan::data_plane::detail_fields;
use projectlink::plan::planner::PlanOptions;
use projectlink::plan::{Desired, plan};
use projectlink::sandbox::generate::{
    ADMIN_REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET, GenerateOptions, generate,
};
use projectlink::sandbox::limits::Edition;
use projectlink::sandbox::{Sandbox, SandboxConfig};
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};
use serde_json::json;

const SPEC: &str = r#"
apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata: {name: bench}
spec:
  connection: {dataCenter: us, secretRef: {name: zoho-oauth}}
  portal: {name: Generated Delivery}
  clients: {accountMapping: Auto}
  relatedLists:
    modules:
      - module: Accounts
      - module: Contacts
      - module: Deals
        fieldMap:
          - {projectField: name, crmField: Deal_Name, direction: ToProject}
  permissions:
    profiles:
      - profile: Administrator
        access: true
        relatedList: {view: true, create: true, edit: true, delete: true}
      - profile: Standard
        access: true
        relatedList: {view: true, create: true, edit: false, delete: false}
  dealConversion: {stage: Closed Won, template: Standard Delivery}
"#;

/// Where the child finds the observed small org it grows.
const TEMPLATE_ENV: &str = "PROJECTLINK_PLANNER_BENCH_TEMPLATE";

fn desired() -> Desired {
    let loaded = projectlink::spec::load_str("bench.yaml", SPEC).expect("bench spec loads");
    Desired::from_spec("bench", &loaded[0].resource.spec)
}

fn main() {
    if let Ok(path) = std::env::var(TEMPLATE_ENV) {
        let text = std::fs::read_to_string(&path).expect("template readable");
        let observed: Observed = serde_json::from_str(&text).expect("template parses");
        drop(text);
        plan_grown(observed);
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let template = dir.path().join("observed.json");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let observed = runtime.block_on(observe_small_org());
    std::fs::write(&template, serde_json::to_vec(&observed).unwrap()).unwrap();
    let status = Command::new(std::env::current_exe().expect("own path"))
        .env(TEMPLATE_ENV, &template)
        .status()
        .expect("the planning process runs");
    assert!(status.success(), "planning failed: {status}");
}

/// A small generated org after its first apply, as the next plan observes it.
async fn observe_small_org() -> Observed {
    let options = GenerateOptions {
        users: 5,
        accounts: 20,
        contacts: 20,
        deals: Some(20),
        projects: 10,
        clients: Some(5),
        seed: 7,
        ..GenerateOptions::default()
    };
    let sandbox = Sandbox::start(SandboxConfig {
        seed: Some(generate(&options)),
        latency: Duration::ZERO,
        edition: Edition::Ultimate,
        token_requests_per_10_min: None,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let creds = ZohoCredentials {
        crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, ADMIN_REFRESH_TOKEN),
        portal: None,
    };
    let url = reqwest::Url::parse(&sandbox.url).expect("sandbox url");
    let clients = ZohoClients::connect(&Endpoints::single(url), &creds, &ClientOptions::default())
        .expect("clients");
    let desired = desired();
    let grant = ProjectsGrant::Connection;
    let observed = observe(&desired, &clients.crm, &clients.projects, grant.clone())
        .await
        .expect("observe");
    let first = plan(&desired, &observed, &PlanOptions::default());
    assert!(!first.has_errors(), "{:#?}", first.diagnostics);
    let options = ApplyOptions::default();
    let report = execute(
        &first,
        &clients.crm,
        &clients.projects,
        &options,
        &NoProgress,
    )
    .await;
    assert!(report.is_complete(), "the first apply failed");
    let observed = observe(&desired, &clients.crm, &clients.projects, grant)
        .await
        .expect("observe again");
    sandbox.stop().await;
    observed
}

/// Object counts per project: Accounts, Contacts, Deals, link records, clients, users.
struct Sizes {
    projects: usize,
    accounts: usize,
    contacts: usize,
    deals: usize,
    clients: usize,
    users: usize,
}

impl Sizes {
    /// 1 project : 1 link record : 1 Account : 1.25 Contacts : 0.5 Deals : 0.25 clients :
    /// 0.25 users, which is 5.25 objects per project.
    fn for_objects(objects: usize) -> Sizes {
        let projects = (objects * 4).div_ceil(21).max(4);
        Sizes {
            projects,
            accounts: projects,
            contacts: projects * 5 / 4,
            deals: projects / 2,
            clients: projects / 4,
            users: projects / 4,
        }
    }

    fn objects(&self) -> usize {
        2 * self.projects + self.accounts + self.contacts + self.deals + self.clients + self.users
    }
}

/// Replaces the template's data-plane facts and users with `sizes` of them, in a steady
/// state: every Account of a client mapped, every project linked, converted Deals linked.
fn grow(observed: &mut Observed, sizes: &Sizes) {
    let owner = "Owner Name".to_string();
    let data = observed.data.as_mut().expect("the data plane was observed");
    let portal_id = data.portal_id.clone();
    data.clients = (0..sizes.clients)
        .map(|i| ClientFacts {
            id: format!("c{i}"),
            name: format!("Client {i:06}"),
            users: None,
        })
        .collect();
    data.accounts = (0..sizes.accounts)
        .map(|i| AccountFacts {
            id: format!("a{i}"),
            name: format!("Account {i:06}"),
            client_id: (i < sizes.clients).then(|| format!("c{i}")),
        })
        .collect();
    data.contacts = (0..sizes.contacts)
        .map(|i| ContactFacts {
            id: format!("k{i}"),
            email: format!("contact{i}@customer.example"),
            account_id: Some(format!("a{}", i % sizes.accounts)),
            client_user_id: None,
        })
        .collect();
    let deals = (0..sizes.deals)
        .map(|i| {
            let record = json!({"id": format!("d{i}"), "Deal_Name": format!("Deal {i:06}"),
                "Stage": if i % 2 == 0 { "Closed Won" } else { "Qualification" }});
            let serde_json::Value::Object(record) = record else {
                unreachable!()
            };
            (format!("d{i}"), record)
        })
        .collect();
    data.records = BTreeMap::from([("Deals".to_string(), deals)]);
    data.projects = (0..sizes.projects)
        .map(|i| ProjectFacts {
            id: format!("p{i}"),
            name: format!("Project {i:06}"),
            status: "active".into(),
            owner: owner.clone(),
            start_date: Some("2026-01-15".into()),
            percent_complete: Some((i % 100) as u8),
            url: Some(format!("https://projects.example/portal/{portal_id}/p{i}")),
            ..ProjectFacts::default()
        })
        .collect();
    data.link_records = data
        .projects
        .iter()
        .enumerate()
        .map(|(i, p)| link_record(&portal_id, i, p, sizes))
        .collect();
    grow_users(observed, sizes.users);
}

fn link_record(portal_id: &str, i: usize, p: &ProjectFacts, sizes: &Sizes) -> LinkRecordFacts {
    let details = detail_fields(portal_id, p)
        .iter()
        .filter(|(k, _)| *k != "Name")
        .map(|(k, v)| (k.clone(), value_text(Some(v))))
        .collect();
    let mut lookups = BTreeMap::from([(
        "Account".to_string(),
        format!("a{}", i % sizes.clients.max(1)),
    )]);
    if i < sizes.deals {
        lookups.insert("Deal".into(), format!("d{i}"));
    }
    LinkRecordFacts {
        id: format!("l{i}"),
        name: p.name.clone(),
        project_id: Some(p.id.clone()),
        details,
        lookups,
        created_by: None,
    }
}

fn grow_users(observed: &mut Observed, n: usize) {
    for i in 0..n {
        let email = format!("user{i:06}@generated.example");
        observed.users.push(CrmUserFacts {
            id: format!("u{i}"),
            email: email.clone(),
            name: format!("User {i}"),
            profile: "Standard".into(),
            active: true,
            confirmed: true,
        });
        if let Some(portal) = observed.portal_users.as_mut() {
            portal.push(PortalUserFacts {
                id: format!("pu{i}"),
                email,
                name: format!("User {i}"),
                role: "Employee".into(),
                active: true,
                owner: false,
            });
        }
    }
    observed.users.sort_by(|a, b| a.email.cmp(&b.email));
}

/// CPU time this thread has run, from the scheduler's own account.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = text.split_whitespace().next().and_then(|n| n.parse().ok());
    Duration::from_nanos(ns.unwrap_or(0))
}

/// A `/proc/self/status` figure in MiB (`VmRSS`, `VmHWM`).
fn memory_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn plan_grown(mut observed: Observed) {
    let objects: usize = std::env::var("PROJECTLINK_BENCH_OBJECTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let sizes = Sizes::for_objects(objects);
    grow(&mut observed, &sizes);
    let desired = desired();
    println!(
        "{} objects: {} projects and link records each, {} Accounts, {} Contacts, {} Deals, {} clients, {} users; facts take {:.0} MiB",
        sizes.objects(),
        sizes.projects,
        sizes.accounts,
        sizes.contacts,
        sizes.deals,
        sizes.clients,
        sizes.users,
        memory_mib("VmRSS")
    );
    println!();
    println!("{:<36} {:>9} {:>10}", "state", "changes", "CPU (ms)");
    let run = |name: &str, observed: &Observed, expected: Option<usize>| {
        let started = thread_cpu();
        let planned = plan(&desired, observed, &PlanOptions::default());
        let cpu = thread_cpu() - started;
        println!(
            "{name:<36} {:>9} {:>10.0}",
            planned.changes.len(),
            cpu.as_secs_f64() * 1000.0
        );
        assert!(!planned.has_errors(), "{:#?}", planned.diagnostics);
        if let Some(n) = expected {
            assert_eq!(planned.changes.len(), n, "{name}: {:#?}", planned.changes);
        }
    };
    run("no change", &observed, Some(0));
    let data = observed.data.as_mut().unwrap();
    data.projects[0].status = "completed".into();
    run("one project's status", &observed, Some(1));
    let data = observed.data.as_mut().unwrap();
    for p in &mut data.projects {
        p.status = "completed".into();
    }
    run("every project's status", &observed, Some(sizes.projects));
    let data = observed.data.as_mut().unwrap();
    let won = (0..sizes.deals).step_by(2).count();
    for l in &mut data.link_records {
        l.lookups.remove("Deal");
    }
    // Each won Deal now has no project: a creation per Deal, besides the status updates.
    let label = format!("every project + {won} won Deals");
    run(&label, &observed, Some(sizes.projects + won));
    println!();
    println!(
        "peak RSS of the planning process: {:.0} MiB",
        memory_mib("VmHWM")
    );
}
