//! Benchmark of a reconciler's steady state, the way an operator or a CI job runs it: the
//! `projectlink` CLI against a generated org (served by the sandbox in a child process that
//! counts every request), one state directory for every run. After the first apply it
//! prints, for two consecutive no-change plans (the second can use what the first left in
//! the state directory) and for a one-field change: calls per system, the lower bound worked
//! out from the generated data, the ratio, CRM credits and the time the calls take at the
//! pace the client keeps under Zoho Projects' limit (90 of the allowed 100 calls per API per
//! 2 minutes, each API on its own). A full resync (`plan --full-resync`) is measured the same
//! way against the bound of reading every listing to its end. Then, for three change sizes,
//! the calls and credits the plan estimated against what its apply spent.
//!
//!     cargo bench --bench steady_state                 # 200 projects
//!     cargo bench --bench steady_state -- --projects 10000
//!
//! `PROJECTLINK_BENCH_PROJECTS` also sets the size. Users, Accounts, Contacts, Deals and
//! clients grow with the projects (a tenth, as many, twice, as many and a quarter).

// Shared with other benchmarks; this one does not read the sandbox's memory.
#[allow(dead_code)]
#[path = "support/sandbox_process.rs"]
mod sandbox_process;
#[path = "support/steady_bounds.rs"]
mod steady_bounds;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use projectlink::live::data::value_text;
use projectlink::sandbox::generate::{self, GenerateOptions, generate};
use projectlink::sandbox::limits::Edition;
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::sandbox::{Sandbox, SandboxConfig};
use projectlink::zoho::crm::RecordQuery;
use projectlink::zoho::projects::ProjectUpdate;
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};
use sandbox_process::SandboxProcess;
use serde_json::Value;
use steady_bounds::{Counts, Usage};

const CHILD_ENV: &str = "PROJECTLINK_STEADY_BENCH_SANDBOX";
/// Wide enough that neither the sandbox nor the client waits: calls are measured, and the
/// time the real limit would take is worked out from them.
const UNPACED: &str = "1000000/120";

const SPEC: &str = r#"
apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata: {name: steady}
spec:
  connection: {dataCenter: us, secretRef: {name: zoho-oauth}, portalSecretRef: {name: owner-oauth}}
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

fn projects_wanted() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let from_args = args
        .iter()
        .position(|a| a == "--projects")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());
    let from_env = std::env::var("PROJECTLINK_BENCH_PROJECTS")
        .ok()
        .and_then(|n| n.parse().ok());
    from_args.or(from_env).unwrap_or(200)
}

fn options(projects: usize) -> GenerateOptions {
    GenerateOptions {
        users: (projects / 10).max(5),
        accounts: projects,
        contacts: projects * 2,
        deals: Some(projects),
        projects,
        clients: Some((projects / 4).max(1)),
        seed: 12,
        ..GenerateOptions::default()
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let projects = projects_wanted();
    if std::env::var_os(CHILD_ENV).is_some() {
        runtime.block_on(serve_sandbox(projects));
        return;
    }
    let started = Instant::now();
    let projects_arg = projects.to_string();
    let mut sandbox = SandboxProcess::start(CHILD_ENV, &["--projects", &projects_arg]);
    let o = options(projects);
    println!(
        "org: {} projects, {} users, {} Accounts, {} Contacts, {} Deals, {} clients; generated and served in {:.1} s",
        o.projects,
        o.users,
        o.accounts,
        o.contacts,
        o.deals.unwrap_or_default(),
        o.clients.unwrap_or_default(),
        started.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let cli = Cli::new(dir.path(), &sandbox.url);
    let counts = Counts::of(&o);
    run(&cli, &mut sandbox, &counts, &runtime);
}

/// The child: seeds and serves the sandbox until the benchmark is done with it.
async fn serve_sandbox(projects: usize) {
    let sandbox = Sandbox::start(SandboxConfig {
        seed: Some(generate(&options(projects))),
        latency: Duration::ZERO,
        edition: Edition::Ultimate,
        token_requests_per_10_min: None,
        projects_throttle: Some(ProjectsThrottle::per(1_000_000, Duration::from_secs(120))),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    sandbox_process::answer_parent(&sandbox.url, sandbox.counters.clone()).await;
    sandbox.stop().await;
}

/// The CLI with the spec, credentials and state directory of this benchmark.
struct Cli {
    spec: PathBuf,
    credentials: PathBuf,
    state: PathBuf,
    url: String,
    dir: PathBuf,
}

/// What one CLI run printed.
struct Run {
    code: i32,
    stdout: String,
}

impl Cli {
    fn new(dir: &Path, url: &str) -> Cli {
        let spec = dir.join("steady.yaml");
        std::fs::write(&spec, SPEC).unwrap();
        let credentials = dir.join("credentials.yaml");
        let creds = format!(
            "zoho-oauth:\n  client_id: {}\n  client_secret: {}\n  refresh_token: {}\nowner-oauth:\n  refresh_token: {}\n",
            generate::CLIENT_ID,
            generate::CLIENT_SECRET,
            generate::ADMIN_REFRESH_TOKEN,
            generate::OWNER_REFRESH_TOKEN
        );
        std::fs::write(&credentials, creds).unwrap();
        Cli {
            spec,
            credentials,
            state: dir.join("state"),
            url: url.to_string(),
            dir: dir.to_path_buf(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_projectlink"))
            .arg("--target")
            .arg(&self.url)
            .arg("--credentials")
            .arg(&self.credentials)
            .arg("--state-dir")
            .arg(&self.state)
            .args(["--projects-rate-limit", UNPACED, "--color", "never"])
            .args(args)
            .output()
            .expect("projectlink runs");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        };
        assert!(
            run.code == 0 || run.code == 2,
            "projectlink {args:?} failed ({}):\n{}\n{}",
            run.code,
            run.stdout,
            String::from_utf8_lossy(&output.stderr)
        );
        run
    }

    /// Plans into a saved plan; returns the plan document.
    fn plan(&self, name: &str) -> Value {
        self.plan_with(name, &[])
    }

    /// [`Cli::plan`] with further arguments.
    fn plan_with(&self, name: &str, extra: &[&str]) -> Value {
        let out = self.dir.join(format!("{name}.json"));
        let spec = self.spec.to_str().unwrap();
        let out_arg = out.to_str().unwrap();
        // The org was generated and applied moments ago, so every project sits inside the
        // default 5-minute overlap and would be read again; a steady state has had quiet
        // minutes since. The overlap is what the bench cannot wait for, not what it measures.
        // It does wait two seconds: the watermark is set back by this machine's clock lead
        // over the sandbox's, measured from whole-second `Date` headers (up to a second), and
        // writes inside it would be read again.
        std::thread::sleep(std::time::Duration::from_secs(2));
        let mut args = vec![
            "plan",
            "-f",
            spec,
            "--format",
            "json",
            "-o",
            out_arg,
            "--observation-overlap",
            "0s",
        ];
        args.extend(extra);
        let run = self.run(&args);
        serde_json::from_str(&run.stdout).expect("the plan is JSON")
    }

    /// Applies a saved plan; returns what the apply says it spent.
    fn apply_saved(&self, name: &str) -> Run {
        let saved = self.dir.join(format!("{name}.json"));
        // Observed as the plan was, and from the cache it wrote: the same overlap.
        let run = self.run(&[
            "apply",
            saved.to_str().unwrap(),
            "--auto-approve",
            "--observation-overlap",
            "0s",
        ]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        run
    }
}

/// The requests a closure's CLI runs made, by request template.
fn measured(sandbox: &mut SandboxProcess, f: impl FnOnce()) -> BTreeMap<String, u64> {
    let before = sandbox.counters();
    f();
    let after = sandbox.counters();
    after
        .into_iter()
        .map(|(k, n)| {
            let used = n - before.get(&k).copied().unwrap_or(0);
            (k, used)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn run(
    cli: &Cli,
    sandbox: &mut SandboxProcess,
    counts: &Counts,
    runtime: &tokio::runtime::Runtime,
) {
    let spec = cli.spec.to_str().unwrap();
    let t = Instant::now();
    let used = measured(sandbox, || {
        cli.run(&["apply", "-f", spec, "--auto-approve"]);
    });
    let first = Usage::of(&used);
    println!(
        "first apply: {} calls (CRM {}, Projects {}) in {:.1} s",
        first.total(),
        first.crm,
        first.projects,
        t.elapsed().as_secs_f64()
    );
    println!();
    println!(
        "plans run with --observation-overlap 0s, 2 s after the last write: everything here changed in the last minutes, which a 5-minute overlap would read again"
    );
    println!("{}", Usage::header());
    let mut steady = BTreeMap::new();
    for name in ["no-change plan 1", "no-change plan 2"] {
        let mut document = Value::Null;
        let used = measured(sandbox, || document = cli.plan(name));
        steady.clone_from(&used);
        let changes = document["plan"]["changes"].as_array().map_or(0, Vec::len);
        assert_eq!(changes, 0, "{name}: the apply converged");
        println!(
            "{}",
            Usage::of(&used).row(name, counts.no_change_bound(), &document)
        );
    }
    full_resync(cli, sandbox, counts);
    let editor = Editor::connect(&cli.url, runtime);
    editor.change_projects(1, 1);
    let mut document = Value::Null;
    let used = measured(sandbox, || document = cli.plan("one-field change"));
    let bound = counts.change_bound(1);
    let changes = document["plan"]["changes"].as_array().map_or(0, Vec::len);
    let phase = format!("one-field change ({changes})");
    println!("{}", Usage::of(&used).row(&phase, bound, &document));
    if changes != 1 {
        println!("  the plan misses the change made in Zoho Projects: {changes} change(s), not 1");
    }
    let full = counts.full_observation_bound();
    println!(
        "(a full observation of this org needs at least {} calls: CRM {}, Projects {})",
        full.total(),
        full.crm,
        full.projects
    );
    sandbox_process::dump_counters("no-change plan 2", &BTreeMap::new(), &steady);
    println!();
    println!(
        "{:<26} {:>8} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8}",
        "estimate vs apply",
        "changes",
        "est calls",
        "calls",
        "ratio",
        "est cred",
        "credits",
        "ratio"
    );
    let sizes = [
        1,
        (counts.projects / 20).max(2),
        (counts.projects / 2).max(3),
    ];
    for (round, size) in sizes.into_iter().enumerate() {
        editor.change_projects(size, round as u8 + 2);
        let name = format!("change of {size} project(s)");
        let document = cli.plan(&name);
        let mut stdout = String::new();
        let used = measured(sandbox, || stdout = cli.apply_saved(&name).stdout);
        let mut actual = Usage::of(&used);
        // An apply with nothing to do reports no credits: its reads cost one each.
        if let Some(credits) = steady_bounds::reported_credits(&stdout) {
            actual.crm_credits = credits;
        }
        let summary = &document["plan"]["summary"];
        let estimated_calls = summary["estimated_api_calls"].as_u64().unwrap_or(0);
        let estimated_credits = summary["estimated_credits"].as_u64().unwrap_or(0);
        let changes = document["plan"]["changes"].as_array().map_or(0, Vec::len);
        println!(
            "{name:<26} {changes:>8} {estimated_calls:>10} {:>10} {:>8.2} {estimated_credits:>10} {:>10} {:>8.2}",
            actual.total(),
            ratio(estimated_calls, actual.total()),
            actual.crm_credits,
            ratio(estimated_credits, actual.crm_credits),
        );
    }
    println!();
    println!(
        "calls: every request the sandbox received from the CLI (token requests apart); credits: CRM's price list (1 per call, 1 per 10 records written)"
    );
}

/// A plan with `--full-resync`: every listing read to its end, against the bound of a full
/// observation of the generated org, and how long its Zoho Projects calls take at the pace
/// the client keeps.
fn full_resync(cli: &Cli, sandbox: &mut SandboxProcess, counts: &Counts) {
    let mut document = Value::Null;
    let used = measured(sandbox, || {
        document = cli.plan_with("full resync", &["--full-resync"]);
    });
    let usage = Usage::of(&used);
    let bound = counts.full_observation_bound();
    println!("{}", usage.row("full resync", bound, &document));
    println!(
        "  full resync: CRM {} (bound {}), Projects {} (bound {}); its busiest Projects API takes {} calls, which the client sends at most {} per API in any {} s (Zoho's limit is {}): {:.0} s of waiting, and it never trips the limit",
        usage.crm,
        bound.crm,
        usage.projects,
        bound.projects,
        usage.busiest_api(),
        steady_bounds::CLIENT_PACE.calls,
        steady_bounds::CLIENT_PACE.window.as_secs(),
        steady_bounds::ZOHO_LIMIT.calls,
        usage.paced().as_secs_f64()
    );
}

fn ratio(estimate: u64, actual: u64) -> f64 {
    estimate as f64 / actual.max(1) as f64
}

/// Makes changes in the org between runs, as people would in Zoho Projects.
struct Editor<'r> {
    clients: ZohoClients,
    runtime: &'r tokio::runtime::Runtime,
}

impl<'r> Editor<'r> {
    fn connect(url: &str, runtime: &'r tokio::runtime::Runtime) -> Editor<'r> {
        let creds = ZohoCredentials {
            crm: Credentials::new(
                generate::CLIENT_ID,
                generate::CLIENT_SECRET,
                generate::ADMIN_REFRESH_TOKEN,
            ),
            portal: None,
        };
        let options = ClientOptions {
            projects_rate_limit: UNPACED.parse().unwrap(),
            ..ClientOptions::default()
        };
        let endpoints = Endpoints::single(url.parse().unwrap());
        let clients = ZohoClients::connect(&endpoints, &creds, &options).expect("clients");
        Editor { clients, runtime }
    }

    /// Sets the completion of the first `n` linked projects to `percent`: one field each,
    /// which their link records carry. Only a project with a link record is chosen: the
    /// completion of one that no CRM record links to is nothing the integration keeps, so
    /// changing it would rightly plan nothing.
    fn change_projects(&self, n: usize, percent: u8) {
        self.runtime.block_on(async {
            let linked: std::collections::BTreeSet<String> = self
                .clients
                .crm
                .records(
                    "Linked_Projects",
                    &["Project_Id".to_string()],
                    &RecordQuery::default(),
                )
                .await
                .expect("link records")
                .iter()
                .map(|r| value_text(r.get("Project_Id")))
                .filter(|id| !id.is_empty())
                .collect();
            let projects = &self.clients.projects;
            let portals = projects.portals().await.expect("portals");
            let portal = portals
                .iter()
                .find(|p| p.name == "Generated Delivery")
                .expect("the generated portal");
            let filter = Default::default();
            let listed = projects
                .projects(&portal.id, filter)
                .await
                .expect("projects");
            for p in listed.iter().filter(|p| linked.contains(&p.id)).take(n) {
                let update = ProjectUpdate {
                    percent_complete: Some(percent),
                    ..ProjectUpdate::default()
                };
                projects
                    .update_project(&portal.id, &p.id, &update)
                    .await
                    .expect("project updated");
            }
        });
    }
}
