//! Benchmark of the Office 365 two-way sync for a sales team: 50 CRM users, each with a
//! Microsoft 365 mailbox, 2,000 events and 5,000 contacts (350,000 records), served by the
//! sandbox with 20 ms latency per call. Measures the first sync from nothing, then a
//! steady-state run after 1% of each user's records changed in CRM and 1% of their Outlook
//! items changed in Office 365: API calls per system against a lower bound computed from the
//! data, wall time, and peak memory of the syncing process.
//!
//! The sandbox runs in a child process (this binary, started again), so the memory figure is
//! the sync's own. Run with:
//!
//!     cargo bench --bench office365               # full size
//!     cargo bench --bench office365 -- --quick    # a tenth of the records per user
//!
//! `PROJECTLINK_BENCH_VERBOSE=1` adds, per phase, the sandbox's request counts per path
//! template.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use projectlink::graph::{GraphClient, GraphCredentials, GraphEndpoints};
use projectlink::office365::apply::{ApplyContext, apply};
use projectlink::office365::model::{ItemAction, Target};
use projectlink::office365::observe::{item_kind, observe};
use projectlink::office365::state::LINK_PROPERTY;
use projectlink::office365::{Desired365, Observed365, SyncKind, SyncPlan, plan, render};
use projectlink::sandbox::generate::{
    ADMIN_REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET, GenerateOptions, generate,
};
use projectlink::sandbox::graph::seed::{
    GENERATED_CLIENT_ID, GENERATED_CLIENT_SECRET, GENERATED_TENANT,
};
use projectlink::sandbox::limits::Edition;
use projectlink::sandbox::seed::UserStatus;
use projectlink::sandbox::{Sandbox, SandboxConfig};
use projectlink::zoho::{
    ApiStatsSnapshot, ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials,
};
use serde_json::{Map, Value, json};

/// Set in the child process that serves the sandbox.
const CHILD_ENV: &str = "PROJECTLINK_O365_BENCH_SANDBOX";
const LATENCY: Duration = Duration::from_millis(20);
/// Records per CRM listing page and per write, ids per read by id (Zoho's maxima).
const CRM_PAGE: usize = 200;
const CRM_BATCH: usize = 100;
/// Items per Graph delta or listing page, users per Graph users page (Graph's maxima).
const GRAPH_PAGE: usize = 1000;
const GRAPH_USERS_PAGE: usize = 999;
/// One record in this many changes on each side between the runs.
const CHANGED_ONE_IN: usize = 100;

#[derive(Clone, Copy)]
struct Sizes {
    users: usize,
    events_per_user: usize,
    contacts_per_user: usize,
}

fn sizes(quick: bool) -> Sizes {
    let scale = if quick { 10 } else { 1 };
    Sizes {
        users: 50,
        events_per_user: 2_000 / scale,
        contacts_per_user: 5_000 / scale,
    }
}

fn quick() -> bool {
    std::env::args().any(|a| a == "--quick")
        || std::env::var("PROJECTLINK_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn verbose() -> bool {
    std::env::var("PROJECTLINK_BENCH_VERBOSE").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if std::env::var_os(CHILD_ENV).is_some() {
        runtime.block_on(serve_sandbox(sizes(quick())));
    } else {
        let mut sandbox = SandboxProcess::start(quick());
        runtime.block_on(run(sizes(quick()), &mut sandbox));
    }
}

/// The child: seeds and serves the sandbox, answers `counters` on stdin with the requests
/// seen per path template (one JSON line), and stops when stdin closes.
async fn serve_sandbox(sizes: Sizes) {
    let mut seed = generate(&GenerateOptions {
        users: sizes.users,
        mailboxes: sizes.users,
        events_per_user: sizes.events_per_user,
        contacts_per_user: sizes.contacts_per_user,
        accounts: 50,
        contacts: 0,
        deals: Some(0),
        projects: 0,
        clients: Some(0),
        seed: 365,
        ..GenerateOptions::default()
    });
    // Every user syncs: none inactive or unconfirmed.
    for user in &mut seed.users {
        user.status = UserStatus::Active;
        user.confirmed = true;
    }
    let sandbox = Sandbox::start(SandboxConfig {
        seed: Some(seed),
        latency: LATENCY,
        edition: Edition::Ultimate,
        token_requests_per_10_min: None,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    println!("{}", sandbox.url);
    let _ = std::io::stdout().flush();
    let counters = sandbox.counters.clone();
    tokio::task::spawn_blocking(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if line.trim() == "counters" {
                let text = serde_json::to_string(&counters.snapshot()).unwrap_or_default();
                println!("{text}");
                let _ = std::io::stdout().flush();
            }
        }
    })
    .await
    .expect("stdin reader");
    sandbox.stop().await;
}

/// The sandbox child process, stopped when dropped.
struct SandboxProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    url: String,
}

impl SandboxProcess {
    fn start(quick: bool) -> SandboxProcess {
        let started = Instant::now();
        let mut command = Command::new(std::env::current_exe().expect("bench binary"));
        command.env(CHILD_ENV, "1");
        if quick {
            command.arg("--quick");
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sandbox process starts");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut url = String::new();
        stdout.read_line(&mut url).expect("sandbox URL");
        assert!(url.starts_with("http"), "the sandbox did not start");
        println!(
            "sandbox generated, seeded and serving in {:.1} s, {} ms latency per call",
            started.elapsed().as_secs_f64(),
            LATENCY.as_millis()
        );
        SandboxProcess {
            child,
            stdin,
            stdout,
            url: url.trim().to_string(),
        }
    }

    /// Requests the sandbox has seen, per `METHOD /path/template`.
    fn counters(&mut self) -> BTreeMap<String, u64> {
        writeln!(self.stdin, "counters").expect("sandbox stdin");
        self.stdin.flush().expect("sandbox stdin");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("sandbox counters");
        serde_json::from_str(&line).expect("counters are JSON")
    }

    fn peak_memory_mib(&self) -> f64 {
        peak_memory_mib(&format!("/proc/{}/status", self.child.id()))
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn peak_memory_mib(status_file: &str) -> f64 {
    memory_mib(status_file, "VmHWM:")
}

/// A memory figure (`VmHWM:`, `VmRSS:`) of a process's `/proc/<pid>/status`, in MiB.
fn memory_mib(status_file: &str, field: &str) -> f64 {
    let status = std::fs::read_to_string(status_file).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// The CRM and Graph clients, as the CLI builds them (default options: 10 requests in flight
/// per service, at most 4 per mailbox).
struct Clients {
    zoho: ZohoClients,
    graph: GraphClient,
}

impl Clients {
    fn connect(url: &str) -> Clients {
        let base = reqwest::Url::parse(url).expect("sandbox URL");
        let creds = ZohoCredentials {
            crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, ADMIN_REFRESH_TOKEN),
            portal: None,
        };
        let options = ClientOptions::default();
        let zoho = ZohoClients::connect(&Endpoints::single(base.clone()), &creds, &options)
            .expect("CRM client");
        let graph_creds =
            GraphCredentials::new(GENERATED_TENANT, GENERATED_CLIENT_ID, GENERATED_CLIENT_SECRET);
        let graph = GraphClient::connect(&GraphEndpoints::sandbox(&base), &graph_creds, &options)
            .expect("Graph client");
        Clients { zoho, graph }
    }

    fn stats(&self) -> (ApiStatsSnapshot, ApiStatsSnapshot) {
        (self.zoho.stats.snapshot(), self.graph.stats())
    }
}

/// API calls per system (token requests apart).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Calls {
    crm: u64,
    graph: u64,
}

impl std::ops::Add for Calls {
    type Output = Calls;
    fn add(self, other: Calls) -> Calls {
        Calls {
            crm: self.crm + other.crm,
            graph: self.graph + other.graph,
        }
    }
}

/// Counts the sync's own clients' calls (and the sandbox's view of them) over a phase.
struct Meter {
    crm: ApiStatsSnapshot,
    graph: ApiStatsSnapshot,
    counters: Option<BTreeMap<String, u64>>,
}

impl Meter {
    fn start(clients: &Clients, sandbox: &mut SandboxProcess) -> Meter {
        let (crm, graph) = clients.stats();
        Meter {
            crm,
            graph,
            counters: verbose().then(|| sandbox.counters()),
        }
    }

    /// Calls since the start, and token requests (Zoho Accounts, Microsoft identity).
    fn stop(
        self,
        clients: &Clients,
        sandbox: &mut SandboxProcess,
        phase: &str,
    ) -> (Calls, (u64, u64)) {
        let (crm, graph) = clients.stats();
        let crm = crm.since(&self.crm);
        let graph = graph.since(&self.graph);
        if let Some(before) = self.counters {
            dump_counters(phase, &before, &sandbox.counters());
            println!(
                "  syncing process after {phase}: {:.1} MiB resident, {:.1} MiB at most so far",
                memory_mib("/proc/self/status", "VmRSS:"),
                memory_mib("/proc/self/status", "VmHWM:")
            );
        }
        (
            Calls {
                crm: crm.crm_calls,
                graph: graph.graph_calls,
            },
            (
                crm.accounts_calls + graph.accounts_calls,
                crm.identity_calls + graph.identity_calls,
            ),
        )
    }
}

fn dump_counters(phase: &str, before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) {
    let mut used: Vec<(&str, u64)> = after
        .iter()
        .map(|(k, v)| (k.as_str(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    used.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!("  sandbox requests during {phase}:");
    for (template, n) in used {
        println!("    {n:>9}  {template}");
    }
}

fn pages(n: usize, size: usize) -> u64 {
    n.div_ceil(size).max(1) as u64
}

/// Pages of the delta round that moves a folder's feed past `written` writes of the run's
/// own (none when the run wrote nothing there).
fn closing_round(written: usize) -> u64 {
    if written == 0 {
        0
    } else {
        pages(written, GRAPH_PAGE)
    }
}

/// CRM org variables (the saved state), users (paged), profiles and roles; the tenant's
/// users (paged): read by every run.
fn metadata_reads(observed: &Observed365) -> Calls {
    Calls {
        crm: 3 + pages(observed.crm_users.len(), CRM_PAGE),
        graph: pages(observed.mailboxes.len(), GRAPH_USERS_PAGE),
    }
}

/// Reads of the first sync: both modules listed in full; per folder one listing of the
/// mailbox's folders to find out whether it already exists.
fn initial_observe_bound(observed: &Observed365, folders: usize) -> Calls {
    let listings: u64 = SyncKind::ALL
        .iter()
        .map(|k| pages(observed.crm[k].records.len(), CRM_PAGE))
        .sum();
    metadata_reads(observed)
        + Calls {
            crm: listings,
            graph: folders as u64,
        }
}

/// Writes of the first sync: per folder its creation, a first delta round while it is empty
/// (so that changes made by anyone during the run are seen by the next one), one create per
/// item (Graph's supported subset has no batch endpoint) and the delta round past the run's
/// own creates; in CRM, the saved state.
fn initial_apply_bound(planned: &SyncPlan) -> Calls {
    let graph = planned
        .folders
        .iter()
        .map(|f| {
            let created = f.count(Target::Office365, ItemAction::Create);
            2 + created as u64 + closing_round(created)
        })
        .sum();
    Calls { crm: 1, graph }
}

/// What changed between the runs, per folder (kind, user).
#[derive(Default)]
struct Changes {
    in_crm: BTreeMap<(SyncKind, String), usize>,
    in_outlook: BTreeMap<(SyncKind, String), usize>,
    /// Items in each folder.
    items: BTreeMap<(SyncKind, String), usize>,
}

impl Changes {
    fn total(map: &BTreeMap<(SyncKind, String), usize>, kind: SyncKind) -> usize {
        map.iter()
            .filter(|((k, _), _)| *k == kind)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Reads of a steady-state run. CRM: the records changed since the last run (one listing per
/// module) and deleted since (one per module), and, 100 ids a call, the records whose Outlook
/// item changed. Graph: per folder the delta round, and the folder's items in full: Graph
/// cannot filter items by more than one CRM id per request, so reading the folder (1,000
/// items a page) is the cheapest way to find the items of the records changed in CRM.
fn steady_observe_bound(observed: &Observed365, changes: &Changes) -> Calls {
    let mut bound = metadata_reads(observed);
    for kind in SyncKind::ALL {
        bound.crm += pages(Changes::total(&changes.in_crm, kind), CRM_PAGE)
            + 1
            + Changes::total(&changes.in_outlook, kind).div_ceil(CRM_BATCH) as u64;
    }
    for (folder, items) in &changes.items {
        let outlook = changes.in_outlook.get(folder).copied().unwrap_or(0);
        bound.graph += pages(outlook, GRAPH_PAGE) + pages(*items, GRAPH_PAGE);
    }
    bound
}

/// Writes of a steady-state run. Graph: one PATCH per item changed in CRM, one per item
/// changed in Outlook (the CRM write gives the record a new modification time, which must be
/// recorded on the item), and per folder the delta round past those writes. CRM: the records
/// changed in Outlook, 100 a call per module, and the saved state.
fn steady_apply_bound(changes: &Changes) -> Calls {
    let mut bound = Calls { crm: 1, graph: 0 };
    for kind in SyncKind::ALL {
        bound.crm += Changes::total(&changes.in_outlook, kind).div_ceil(CRM_BATCH) as u64;
    }
    for folder in changes.items.keys() {
        let written = changes.in_crm.get(folder).copied().unwrap_or(0)
            + changes.in_outlook.get(folder).copied().unwrap_or(0);
        bound.graph += written as u64 + closing_round(written);
    }
    bound
}

fn spec(users: &[String]) -> Desired365 {
    let list = users
        .iter()
        .map(|u| format!("\"{u}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "apiVersion: projectlink.dev/v1alpha1\nkind: Office365Integration\nmetadata: {{name: bench}}\nspec:\n  connection: {{graphSecretRef: {{name: graph}}}}\n  tenant: \"{GENERATED_TENANT}\"\n  calendarSync: {{users: [{list}]}}\n  contactsSync: {{users: [{list}]}}\n"
    );
    let report = projectlink::spec::load_str_report("bench.yaml", &text);
    assert!(
        !report.diagnostics.has_errors(),
        "{}",
        report.diagnostics.render(false)
    );
    Desired365::from_spec("bench", &report.office365[0].resource.spec).expect("bench spec")
}

struct Table {
    rows: Vec<String>,
}

impl Table {
    fn new() -> Table {
        Table {
            rows: vec![format!(
                "{:<28} {:>10} {:>10} {:>11} {:>11} {:>6} {:>9}",
                "phase", "CRM calls", "CRM bound", "Graph calls", "Graph bound", "ratio", "wall (s)"
            )],
        }
    }

    fn row(&mut self, phase: &str, calls: Calls, bound: Calls, wall: Duration) {
        let ratio = (calls.crm + calls.graph) as f64 / (bound.crm + bound.graph).max(1) as f64;
        self.rows.push(format!(
            "{phase:<28} {:>10} {:>10} {:>11} {:>11} {ratio:>6.2} {:>9.1}",
            calls.crm,
            bound.crm,
            calls.graph,
            bound.graph,
            wall.as_secs_f64()
        ));
    }

    fn print(&self) {
        for row in &self.rows {
            println!("{row}");
        }
    }
}

/// Per direction and action, how many item changes a plan has; and its conflicts.
fn describe_changes(planned: &SyncPlan) -> String {
    let mut parts = Vec::new();
    for target in [Target::Office365, Target::Crm] {
        let mut actions = Vec::new();
        for action in [
            ItemAction::Create,
            ItemAction::Update,
            ItemAction::Delete,
            ItemAction::Link,
        ] {
            let n: usize = planned.folders.iter().map(|f| f.count(target, action)).sum();
            if n > 0 {
                actions.push(format!("{n} {}", action.label()));
            }
        }
        if actions.is_empty() {
            actions.push("nothing".into());
        }
        parts.push(format!("{}: {}", target.label(), actions.join(", ")));
    }
    let conflicts: usize = planned.folders.iter().map(|f| f.conflicts()).sum();
    format!("{}; {conflicts} conflict(s)", parts.join("; "))
}

/// Observes and plans again and fails loudly unless there is nothing to do.
async fn assert_in_sync(desired: &Desired365, clients: &Clients, after: &str) -> SyncPlan {
    let t = Instant::now();
    let before = clients.stats();
    let observed = observe(desired, &clients.zoho.crm, &clients.graph)
        .await
        .expect("observe");
    let planned = plan(desired, &observed);
    let (crm, graph) = clients.stats();
    if !planned.is_empty() {
        let text = render::text(&planned);
        let head: Vec<&str> = text.lines().take(60).collect();
        panic!(
            "the plan right after {after} is not empty ({}):\n{}",
            describe_changes(&planned),
            head.join("\n")
        );
    }
    println!(
        "plan right after {after}: empty ({} CRM and {} Graph calls, {:.1} s; not counted above)",
        crm.since(&before.0).crm_calls,
        graph.since(&before.1).graph_calls,
        t.elapsed().as_secs_f64()
    );
    planned
}

/// Changes one record in a hundred of each user's events and contacts in CRM (updates of
/// 100 records a call) and a different one in a hundred of their Outlook items, through
/// clients of their own so none of it is counted as the sync's.
async fn change_both_sides(
    setup: &Clients,
    initial: &Observed365,
    in_sync: &SyncPlan,
) -> Changes {
    let mut changes = Changes::default();
    let email_of: HashMap<&str, &str> = initial
        .crm_users
        .iter()
        .map(|u| (u.id.as_str(), u.email.as_str()))
        .collect();
    // CRM times are whole seconds: the changes must fall after the last run's second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut outlook_targets: HashMap<(SyncKind, String), Vec<String>> = HashMap::new();
    for kind in SyncKind::ALL {
        let mut owned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for record in initial.crm[&kind].records.values() {
            if let Some(email) = record.owner_id.as_deref().and_then(|o| email_of.get(o)) {
                owned.entry(email).or_default().push(&record.id);
            }
        }
        let mut updates: Vec<Map<String, Value>> = Vec::new();
        for (email, ids) in &mut owned {
            ids.sort_unstable();
            let key = (kind, email.to_string());
            for (position, id) in ids.iter().enumerate() {
                match position % CHANGED_ONE_IN {
                    0 => {
                        let record = &initial.crm[&kind].records[*id];
                        let change = match kind {
                            SyncKind::Calendar => {
                                let title = record
                                    .fields
                                    .get("Event_Title")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default();
                                json!({"id": id, "Event_Title": format!("{title} (moved in CRM)")})
                            }
                            SyncKind::Contacts => json!({"id": id, "Title": "Changed in CRM"}),
                        };
                        updates.push(change.as_object().expect("object").clone());
                        *changes.in_crm.entry(key.clone()).or_default() += 1;
                    }
                    50 => outlook_targets
                        .entry(key.clone())
                        .or_default()
                        .push(id.to_string()),
                    _ => {}
                }
            }
        }
        for batch in updates.chunks(CRM_BATCH) {
            let results = setup
                .zoho
                .crm
                .update_records(kind.crm_module(), batch)
                .await
                .expect("CRM update");
            assert!(results.iter().all(Result::is_ok), "a CRM update failed");
        }
    }

    // Outlook: find the items of the chosen records, then PATCH them.
    let folders: Vec<_> = in_sync.folders.iter().collect();
    let listed: Vec<_> = futures::stream::iter(folders)
        .map(|folder| async move {
            let items = setup
                .graph
                .items(
                    &folder.mailbox_id,
                    item_kind(folder.kind),
                    folder.folder_id.as_deref().expect("synced folders exist"),
                    &[LINK_PROPERTY],
                )
                .await
                .expect("items");
            (folder, items)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut patches = Vec::new();
    for (folder, items) in listed {
        let key = (folder.kind, folder.user.clone());
        changes.items.insert(key.clone(), items.len());
        let wanted = outlook_targets.remove(&key).unwrap_or_default();
        for item in items {
            let linked = item
                .extended
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(LINK_PROPERTY))
                .and_then(|(_, v)| v.split('|').next())
                .unwrap_or_default();
            if !wanted.iter().any(|w| w == linked) {
                continue;
            }
            let patch = match folder.kind {
                SyncKind::Calendar => {
                    let subject = item
                        .properties
                        .get("subject")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    json!({"subject": format!("{subject} (moved in Outlook)")})
                }
                SyncKind::Contacts => json!({"jobTitle": "Changed in Outlook"}),
            };
            patches.push((folder, item.id, patch));
            *changes.in_outlook.entry(key.clone()).or_default() += 1;
        }
    }
    let results: Vec<bool> = futures::stream::iter(patches)
        .map(|(folder, id, patch)| async move {
            setup
                .graph
                .update_item(
                    &folder.mailbox_id,
                    item_kind(folder.kind),
                    &id,
                    patch.as_object().expect("object"),
                    &BTreeMap::new(),
                )
                .await
                .is_ok()
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(results.iter().all(|ok| *ok), "an Outlook update failed");
    changes
}

async fn run(sizes: Sizes, sandbox: &mut SandboxProcess) {
    let started = Instant::now();
    let sync = Clients::connect(&sandbox.url);
    let setup = Clients::connect(&sandbox.url);
    let mut users: Vec<String> = setup
        .graph
        .users()
        .await
        .expect("tenant users")
        .into_iter()
        .map(|u| u.mail.unwrap_or(u.user_principal_name).to_ascii_lowercase())
        .collect();
    users.sort();
    let desired = spec(&users);
    println!(
        "{} users with a mailbox × {} CRM events and {} CRM contacts each ({} records); calendar and contacts sync on for all",
        users.len(),
        sizes.events_per_user,
        sizes.contacts_per_user,
        users.len() * (sizes.events_per_user + sizes.contacts_per_user)
    );
    let mut table = Table::new();
    let mut tokens = (0, 0);
    let no_progress = |_: usize, _: usize| {};

    // 1. The first sync, from nothing.
    let meter = Meter::start(&sync, sandbox);
    let t = Instant::now();
    let initial = observe(&desired, &sync.zoho.crm, &sync.graph)
        .await
        .expect("observe");
    let first = plan(&desired, &initial);
    let observe_time = t.elapsed();
    let (observe_calls, used) = meter.stop(&sync, sandbox, "the first observe+plan");
    tokens = (tokens.0 + used.0, tokens.1 + used.1);
    assert!(!first.has_errors(), "{:#?}", first.diagnostics);
    assert!(
        first.folders.iter().all(|f| f.capped.is_none()),
        "the initial cap left records out"
    );
    let observe_bound = initial_observe_bound(&initial, first.folders.len());
    table.row(
        "initial: observe+plan",
        observe_calls,
        observe_bound,
        observe_time,
    );

    let meter = Meter::start(&sync, sandbox);
    let t = Instant::now();
    let context = ApplyContext {
        observed: &initial,
        progress: &no_progress,
    };
    let applied = apply(&first, &context, &sync.zoho.crm, &sync.graph).await;
    let apply_time = t.elapsed();
    let (apply_calls, used) = meter.stop(&sync, sandbox, "the first apply");
    tokens = (tokens.0 + used.0, tokens.1 + used.1);
    assert!(
        applied.failures.is_empty(),
        "{} failure(s), first: {:?}",
        applied.failures.len(),
        applied.failures.first()
    );
    assert!(applied.state_saved, "the sync state was not saved");
    let apply_bound = initial_apply_bound(&first);
    table.row(
        &format!("initial: apply ({} items)", applied.items),
        apply_calls,
        apply_bound,
        apply_time,
    );
    table.row(
        "initial: total",
        observe_calls + apply_calls,
        observe_bound + apply_bound,
        observe_time + apply_time,
    );
    println!("initial plan: {}", describe_changes(&first));
    let in_sync = assert_in_sync(&desired, &sync, "the first sync").await;

    // 2. Steady state: 1% changed on each side.
    let t = Instant::now();
    let changes = change_both_sides(&setup, &initial, &in_sync).await;
    drop(initial);
    drop(first);
    let changed = |map: &BTreeMap<(SyncKind, String), usize>| {
        SyncKind::ALL.map(|k| Changes::total(map, k))
    };
    let (crm_changed, outlook_changed) = (changed(&changes.in_crm), changed(&changes.in_outlook));
    println!(
        "changed between the runs ({:.1} s, not counted): in CRM {} events and {} contacts; in Outlook {} events and {} contacts",
        t.elapsed().as_secs_f64(),
        crm_changed[0],
        crm_changed[1],
        outlook_changed[0],
        outlook_changed[1]
    );

    let meter = Meter::start(&sync, sandbox);
    let t = Instant::now();
    let observed = observe(&desired, &sync.zoho.crm, &sync.graph)
        .await
        .expect("observe");
    let steady = plan(&desired, &observed);
    let observe_time = t.elapsed();
    let (observe_calls, used) = meter.stop(&sync, sandbox, "the steady-state observe+plan");
    tokens = (tokens.0 + used.0, tokens.1 + used.1);
    assert!(!steady.has_errors(), "{:#?}", steady.diagnostics);
    let observe_bound = steady_observe_bound(&observed, &changes);
    table.row(
        "steady: observe+plan",
        observe_calls,
        observe_bound,
        observe_time,
    );

    let meter = Meter::start(&sync, sandbox);
    let t = Instant::now();
    let context = ApplyContext {
        observed: &observed,
        progress: &no_progress,
    };
    let applied = apply(&steady, &context, &sync.zoho.crm, &sync.graph).await;
    let apply_time = t.elapsed();
    let (apply_calls, used) = meter.stop(&sync, sandbox, "the steady-state apply");
    tokens = (tokens.0 + used.0, tokens.1 + used.1);
    assert!(
        applied.failures.is_empty(),
        "{} failure(s), first: {:?}",
        applied.failures.len(),
        applied.failures.first()
    );
    assert!(applied.state_saved, "the sync state was not saved");
    let apply_bound = steady_apply_bound(&changes);
    table.row(
        &format!("steady: apply ({} items)", applied.items),
        apply_calls,
        apply_bound,
        apply_time,
    );
    table.row(
        "steady: total",
        observe_calls + apply_calls,
        observe_bound + apply_bound,
        observe_time + apply_time,
    );
    println!("steady-state plan: {}", describe_changes(&steady));
    assert_in_sync(&desired, &sync, "the steady-state sync").await;

    println!();
    table.print();
    println!();
    println!(
        "token requests (not in the table): Zoho Accounts {}, Microsoft identity {}",
        tokens.0, tokens.1
    );
    println!(
        "peak memory: syncing process {:.1} MiB, sandbox process {:.1} MiB; whole run {:.1} s",
        peak_memory_mib("/proc/self/status"),
        sandbox.peak_memory_mib(),
        started.elapsed().as_secs_f64()
    );
}
