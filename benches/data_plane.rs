//! Data-plane benchmark: a generated org (5,000 clients, 10,000 projects, about 2,000 deals at
//! the conversion stage) served by the sandbox with 20 ms latency per call; observe → plan →
//! execute in-process with the real clients. Prints API calls against a computed lower bound
//! and wall time for the first apply and for a steady-state re-plan.
//!
//! `cargo bench --bench data_plane` (add `-- --quick`, or set PROJECTLINK_BENCH_QUICK=1, for
//! a tenth of the sizes).

use std::time::{Duration, Instant};

use projectlink::apply::{ApplyOptions, NoProgress, execute};
use projectlink::live::ProjectsGrant;
use projectlink::live::observe::observe;
use projectlink::plan::planner::PlanOptions;
use projectlink::plan::{Desired, Operation, plan};
use projectlink::sandbox::generate::{
    ADMIN_REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET, GenerateOptions, generate,
};
use projectlink::sandbox::limits::Edition;
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::sandbox::{Sandbox, SandboxConfig};
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};

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
      - module: Deals
  permissions:
    profiles:
      - profile: Administrator
        access: false
        relatedList: {view: true, create: true, edit: true, delete: true}
  dealConversion: {stage: Closed Won, template: Standard Delivery}
"#;

#[path = "support/config_bounds.rs"]
mod config_bounds;
#[path = "support/data_reads.rs"]
mod data_reads;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("PROJECTLINK_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let scale = if quick { 10 } else { 1 };
    let options = GenerateOptions {
        users: 100,
        accounts: 6_000 / scale,
        contacts: 6_000 / scale,
        // About one deal in six is at "Closed Won": ~2,000 to convert.
        deals: Some(12_000 / scale),
        projects: 10_000 / scale,
        clients: Some(5_000 / scale),
        seed: 7,
        ..GenerateOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(options));
}

async fn run(options: GenerateOptions) {
    let started = Instant::now();
    let seed = generate(&options);
    let sandbox = Sandbox::start(SandboxConfig {
        seed: Some(seed.clone()),
        latency: Duration::from_millis(20),
        edition: Edition::Ultimate,
        token_requests_per_10_min: None,
        // Neither side paces or throttles Zoho Projects' calls: see the clients below.
        projects_throttle: Some(ProjectsThrottle::per(1_000_000, Duration::from_secs(120))),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    println!(
        "generated org: {} accounts, {} contacts, {} deals, {} projects, {} clients (seeded in {:.1?})",
        options.accounts,
        options.contacts,
        options.deals.unwrap_or_default(),
        options.projects,
        options.clients.unwrap_or_default(),
        started.elapsed()
    );
    let creds = ZohoCredentials {
        crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, ADMIN_REFRESH_TOKEN),
        portal: None,
    };
    let url = reqwest::Url::parse(&sandbox.url).expect("sandbox url");
    // Calls are what this measures: at the client's default pace under Zoho Projects' limit
    // (90 per API per 2 minutes) the first apply's per-project reads alone would wait for
    // most of an hour. The limit's time is the steady-state benchmark's column.
    let unpaced = ClientOptions {
        projects_rate_limit: "1000000/120".parse().expect("a rate limit"),
        ..ClientOptions::default()
    };
    let clients = ZohoClients::connect(&Endpoints::single(url), &creds, &unpaced).expect("clients");
    let loaded = projectlink::spec::load_str("bench.yaml", SPEC).expect("bench spec loads");
    let desired = Desired::from_spec("bench", &loaded[0].resource.spec);

    // First apply.
    let before = sandbox.counters.api_total();
    let writes_before = writes(&sandbox);
    let t = Instant::now();
    let observed = observe(
        &desired,
        &clients.crm,
        &clients.projects,
        ProjectsGrant::Connection,
    )
    .await
    .expect("observe");
    let observe_calls = sandbox.counters.api_total() - before;
    let first = plan(&desired, &observed, &PlanOptions::default());
    assert!(!first.has_errors(), "{:#?}", first.diagnostics);
    let report = execute(
        &first,
        &clients.crm,
        &clients.projects,
        &ApplyOptions::default(),
        &NoProgress,
    )
    .await;
    let first_time = t.elapsed();
    let first_calls = sandbox.counters.api_total() - before;
    let first_writes = writes(&sandbox) - writes_before;
    let failed = report.outcomes.iter().filter(|o| !o.succeeded()).count();

    let data = observed.data.as_ref().expect("data plane observed");
    let count =
        |f: &dyn Fn(&Operation) -> bool| first.changes.iter().filter(|c| f(&c.operation)).count();
    let created = count(&|op| matches!(op, Operation::CreateLinkedProject { .. }));
    let created_with_client = count(
        &|op| matches!(op, Operation::CreateLinkedProject { request, .. } if request.client_id.is_some()),
    );
    let mapping_writes = count(&|op| matches!(op, Operation::WriteRecordFields { .. }));
    // Record writes go 100 to a call within one module: the bound counts each module's batches.
    let mut writes_per_module = std::collections::BTreeMap::<&str, u64>::new();
    for change in &first.changes {
        if let Operation::WriteRecordFields { module, .. } = &change.operation {
            *writes_per_module.entry(module.as_str()).or_default() += 1;
        }
    }
    let mapping_write_calls: u64 = writes_per_module.values().map(|n| n.div_ceil(100)).sum();
    let link_writes = count(&|op| matches!(op, Operation::UpsertLinkRecord { .. }));
    // The configuration plane's writes and metadata reads, from the spec and the seed.
    let config_calls = config_bounds::first_config_calls(&desired);
    // Reads no run can avoid: every listing paged to its end, each unlinked project's clients
    // and (while the one-time mapping is pending) each client's users — Zoho Projects has no
    // bulk endpoint for either — plus the configuration plane's metadata.
    let listing_reads = data_reads::listing_reads(data);
    let per_item_reads = data_reads::project_client_reads(&desired, data)
        + data_reads::client_user_reads(&desired, &observed);
    let data_reads = listing_reads + per_item_reads;
    let metadata_reads = config_bounds::metadata_reads(&desired, &seed, false);
    // Writes: the configuration plane's, one create per project, one add per client of a
    // new project, record writes 100 per call and module, and the marker's mapping state.
    let first_bound = metadata_reads
        + data_reads
        + config_calls.total()
        + created as u64
        + created_with_client as u64
        + mapping_write_calls
        + ((link_writes + created) as u64).div_ceil(100)
        + 1;
    println!(
        "first apply: {} changes ({} projects created, {} link records, {} mapping writes), {} failed",
        first.changes.len(),
        created,
        link_writes,
        mapping_writes,
        failed
    );
    println!(
        "first apply: {first_calls} API calls (observe {observe_calls}), lower bound {first_bound}, ratio {:.2}; wall time {:.1?}",
        first_calls as f64 / first_bound as f64,
        first_time
    );

    let write_bound = first_bound - metadata_reads - data_reads - config_calls.reads;
    println!(
        "first apply writes: {first_writes}, lower bound {write_bound}, ratio {:.2}",
        first_writes as f64 / write_bound as f64
    );

    // Steady state: observe and plan again; nothing to do.
    let before = sandbox.counters.api_total();
    let t = Instant::now();
    let observed = observe(
        &desired,
        &clients.crm,
        &clients.projects,
        ProjectsGrant::Connection,
    )
    .await
    .expect("observe");
    let again = plan(&desired, &observed, &PlanOptions::default());
    let steady_time = t.elapsed();
    let steady_calls = sandbox.counters.api_total() - before;
    let data = observed.data.as_ref().expect("data plane observed");
    let steady_data_reads =
        data_reads::listing_reads(data) + data_reads::project_client_reads(&desired, data);
    // The link module exists now: its fields and each profile's permissions on it are read.
    let steady_bound = config_bounds::metadata_reads(&desired, &seed, true) + steady_data_reads;
    println!(
        "steady-state re-plan: {} changes; {steady_calls} API calls, lower bound {steady_bound}, ratio {:.2}; wall time {:.1?}",
        again.changes.len(),
        steady_calls as f64 / steady_bound as f64,
        steady_time
    );
    sandbox.stop().await;
}

/// Requests that may have changed state (not GET), token requests left out.
fn writes(sandbox: &projectlink::sandbox::SandboxHandle) -> u64 {
    sandbox.counters.writes().values().sum()
}
