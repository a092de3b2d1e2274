//! Benchmark of a whole reconcile (configuration and data plane) on a large generated org:
//! API calls made against the lower bound (pages at the maximum page size plus writes at the
//! maximum batch size), wall time with injected latency, and peak memory of the reconciler.
//!
//! The sandbox runs as a separate `projectlink sandbox serve` process, so the memory figure
//! is the reconciler's own. Run with:
//!
//!     cargo bench --bench reconcile
//!
//! `PROJECTLINK_BENCH_SCALE=0.1` shrinks the org (default 1.0 = 10k users, 20k accounts,
//! 50k contacts, 10k projects); `PROJECTLINK_BENCH_LATENCY_MS` sets the latency (default 20).
//!
//! Zoho Projects calls are also shown on their own with their lower bound, and with the time
//! they take under the real service's limit (100 calls per API per 2 minutes): computed from
//! the calls each API received, since the busiest API sets the pace. The sandbox's and the
//! client's limits are widened so the run measures calls rather than waiting for them.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use projectlink::apply::{ApplyOptions, NoProgress, execute};
use projectlink::live::observe::observe;
use projectlink::live::{Observed, ProjectsGrant};
use projectlink::plan::planner::{PlanOptions, plan};
use projectlink::plan::{Desired, Operation, Plan};
use projectlink::sandbox::generate;
use projectlink::zoho::crm::UserType;
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};

const SPEC: &str = r#"
apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata: {name: bench}
spec:
  connection: {secretRef: {name: zoho-oauth}, portalSecretRef: {name: owner-oauth}}
  portal: {name: Generated Delivery}
  relatedLists:
    modules:
      - module: Deals
        fieldMap:
          - {projectField: name, crmField: Deal_Name, direction: ToProject}
      - module: Accounts
      - module: Contacts
  permissions:
    profiles:
      - {profile: Administrator, access: true, relatedList: {view: true, create: true, edit: true, delete: true}}
      - {profile: Standard, access: true, relatedList: {view: true, create: true, edit: false, delete: false}}
"#;

/// Records and users per page, and fields per create, at Zoho's maxima; portal users per
/// add as projectlink sends them (Zoho documents no maximum).
const PAGE: u64 = 200;

#[path = "support/data_reads.rs"]
mod data_reads;
#[path = "support/projects_bounds.rs"]
mod projects_bounds;

/// Wide enough that neither the sandbox nor the client ever waits in this benchmark.
const UNPACED: &str = "1000000/120";
const FIELDS_PER_CREATE: u64 = 25;
const PORTAL_USERS_PER_ADD: u64 = 20;
const RECORDS_PER_WRITE: u64 = 100;

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_projectlink")
}

fn scaled(n: f64, scale: f64) -> String {
    ((n * scale).round() as u64).max(1).to_string()
}

fn generate_seed(dir: &Path, scale: f64) -> std::path::PathBuf {
    let seed = dir.join("org.json");
    let status = Command::new(binary())
        .args([
            "sandbox",
            "generate",
            "--users",
            &scaled(10_000.0, scale),
            "--accounts",
            &scaled(20_000.0, scale),
        ])
        .args([
            "--contacts",
            &scaled(50_000.0, scale),
            "--projects",
            &scaled(10_000.0, scale),
        ])
        .arg("--out")
        .arg(&seed)
        .status()
        .expect("projectlink runs");
    assert!(status.success(), "generating the org failed");
    seed
}

fn serve(dir: &Path, seed: &Path, latency_ms: u64) -> (Server, String) {
    let port = free_port();
    let child = Command::new(binary())
        .args([
            "sandbox",
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--edition",
            "ultimate",
        ])
        .args(["--latency-ms", &latency_ms.to_string()])
        .args(["--projects-throttle", UNPACED, "--db"])
        .arg(dir.join("org.db"))
        .arg("--seed")
        .arg(seed)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sandbox starts");
    let server = Server { child };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the sandbox did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, format!("http://127.0.0.1:{port}"))
}

fn peak_memory_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// Reads at the maximum page size: what any reconciler must request to see this state.
/// The data plane's reads are counted the way it must make them today: every listing paged
/// to its end, plus one read per project whose clients it needs and one per client whose
/// users it needs (the legacy Projects API has no bulk form of either).
fn observe_lower_bound(desired: &Desired, observed: &Observed, all_users: u64) -> u64 {
    let pages = |n: u64| n.div_ceil(PAGE).max(1);
    let mut calls = 4; // org, variables, modules, profiles
    calls += pages(all_users);
    calls += desired
        .modules
        .iter()
        .filter(|m| !m.field_map.is_empty())
        .count() as u64;
    if observed.link_module.is_some() {
        calls += 1 + observed.profiles.len() as u64; // its fields; each profile's permissions
    }
    calls += 1; // portals
    if let Some(users) = &observed.portal_users {
        // Zoho Projects V3 lists users 50 to a page.
        calls += (users.len() as u64).div_ceil(50).max(1);
    }
    if let Some(data) = &observed.data {
        calls += data_reads::listing_reads(data)
            + data_reads::project_client_reads(desired, data)
            + data_reads::client_user_reads(desired, observed);
    }
    calls
}

/// Writes at the maximum batch size, plus the reads a write cannot do without.
fn apply_lower_bound(plan: &Plan) -> u64 {
    let mut fields: u64 = 0;
    let mut users: u64 = 0;
    let mut records: u64 = 0;
    let mut calls: u64 = 0;
    for change in &plan.changes {
        match &change.operation {
            Operation::CreateField { .. } => fields += 1,
            Operation::AddPortalUser { .. } => users += 1,
            // Permission ids of a module created in the same run must be read first.
            Operation::SetLinkPermissions { .. } => calls += 2,
            // Record writes go 100 to a call.
            Operation::WriteRecordFields { .. } | Operation::UpsertLinkRecord { .. } => {
                records += 1
            }
            // One create, one client add when the project has a client, and its link record.
            Operation::CreateLinkedProject { request, .. } => {
                calls += 1 + u64::from(request.client_id.is_some());
                records += 1;
            }
            _ => calls += 1,
        }
    }
    calls
        + fields.div_ceil(FIELDS_PER_CREATE)
        + users.div_ceil(PORTAL_USERS_PER_ADD)
        + records.div_ceil(RECORDS_PER_WRITE)
}

fn main() {
    let scale: f64 = std::env::var("PROJECTLINK_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let latency: u64 = std::env::var("PROJECTLINK_BENCH_LATENCY_MS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    // `cargo bench` passes `--bench`; nothing to filter here.
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let seed = generate_seed(dir.path(), scale);
    println!(
        "generated org (scale {scale}) in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let (_server, url) = serve(dir.path(), &seed, latency);
    println!(
        "sandbox loaded and serving in {:.1} s with {latency} ms latency per call",
        t.elapsed().as_secs_f64()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let loaded = projectlink::spec::load_str("bench.yaml", SPEC).expect("bench spec is valid");
        let desired = Desired::from_spec("bench", &loaded[0].resource.spec);
        let creds = ZohoCredentials {
            crm: Credentials::new(generate::CLIENT_ID, generate::CLIENT_SECRET, generate::ADMIN_REFRESH_TOKEN),
            portal: Some(Credentials::new(generate::CLIENT_ID, generate::CLIENT_SECRET, generate::OWNER_REFRESH_TOKEN)),
        };
        let options = ClientOptions { projects_rate_limit: UNPACED.parse().unwrap(), ..ClientOptions::default() };
        let clients = ZohoClients::connect(&Endpoints::single(url.parse().unwrap()), &creds, &options).unwrap();
        // The number of users sets the lower bound; read it before the measured phases.
        let users_total = clients.crm.users(UserType::AllUsers).await.expect("users").len() as u64;

        println!();
        println!("{:<28} {:>10} {:>12} {:>10}", "phase", "API calls", "lower bound", "wall (s)");
        let step = |name: &str, calls: u64, bound: u64, secs: f64| {
            println!("{name:<28} {calls:>10} {bound:>12} {secs:>10.2}");
        };
        let mut projects_rows = Vec::new();
        let mut by_api = clients.stats.projects_calls_by_api();
        let mut projects_step = |name: &str, bound: projects_bounds::Calls| {
            let now = clients.stats.projects_calls_by_api();
            let used: Vec<u64> = now.iter().map(|(k, n)| n - by_api.get(k).copied().unwrap_or(0)).collect();
            let busiest = now.iter().map(|(k, n)| (n - by_api.get(k).copied().unwrap_or(0), k.clone())).max().unwrap_or_default();
            by_api = now;
            projects_rows.push(format!(
                "{name:<28} {:>10} {:>12} {:>12.0} {:>12.0}  {} ({})",
                used.iter().sum::<u64>(),
                bound.total(),
                projects_bounds::paced(used.iter().copied()).as_secs_f64(),
                bound.paced().as_secs_f64(),
                busiest.1,
                busiest.0
            ));
        };

        let before = clients.stats.snapshot();
        let t = Instant::now();
        let observed = observe(&desired, &clients.crm, &clients.projects, ProjectsGrant::PortalOwner).await.expect("observe");
        let first = plan(&desired, &observed, &PlanOptions { prune: false, force: true });
        let used = clients.stats.snapshot().since(&before);
        step("plan (first)", used.api_calls(), observe_lower_bound(&desired, &observed, users_total), t.elapsed().as_secs_f64());
        projects_step("plan (first)", projects_bounds::observe(&desired, &observed));
        assert!(first.diagnostics.iter().all(|d| d.severity != projectlink::plan::Severity::Error), "{:#?}", first.diagnostics);

        let before = clients.stats.snapshot();
        let t = Instant::now();
        let report = execute(&first, &clients.crm, &clients.projects, &ApplyOptions::default(), &NoProgress).await;
        let used = clients.stats.snapshot().since(&before);
        step(&format!("apply ({} changes)", first.changes.len()), used.api_calls(), apply_lower_bound(&first), t.elapsed().as_secs_f64());
        projects_step(&format!("apply ({} changes)", first.changes.len()), projects_bounds::apply(&first));
        assert!(report.is_complete(), "apply failed: {} failed", report.failed());

        let before = clients.stats.snapshot();
        let t = Instant::now();
        let observed = observe(&desired, &clients.crm, &clients.projects, ProjectsGrant::PortalOwner).await.expect("observe");
        let steady = plan(&desired, &observed, &PlanOptions::default());
        let used = clients.stats.snapshot().since(&before);
        step("plan (steady state)", used.api_calls(), observe_lower_bound(&desired, &observed, users_total), t.elapsed().as_secs_f64());
        projects_step("plan (steady state)", projects_bounds::observe(&desired, &observed));
        assert!(steady.changes.is_empty(), "steady state should plan no changes");
        println!();
        println!("Zoho Projects alone, paced under {} calls per API per {} s:", projects_bounds::ZOHO_LIMIT.calls, projects_bounds::ZOHO_LIMIT.window.as_secs());
        println!("{:<28} {:>10} {:>12} {:>12} {:>12}  busiest API (calls)", "phase", "calls", "lower bound", "paced (s)", "bound (s)");
        for row in &projects_rows {
            println!("{row}");
        }
        println!();
        println!(
            "users {users_total}, portal users after apply {}, peak memory of the reconciler {:.1} MiB",
            observed.portal_users.as_ref().map_or(0, Vec::len),
            peak_memory_mib()
        );
    });
}
