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

#[path = "support/office365_bounds.rs"]
mod bounds;
#[path = "support/sandbox_process.rs"]
mod sandbox_process;

use bounds::{
    CRM_BATCH, Calls, Changes, initial_apply_bound, initial_observe_bound, steady_apply_bound,
    steady_observe_bound,
};
use sandbox_process::{SandboxProcess, dump_counters, memory_mib, peak_memory_mib};

/// Set in the child process that serves the sandbox.
const CHILD_ENV: &str = "PROJECTLINK_O365_BENCH_SANDBOX";
const LATENCY: Duration = Duration::from_millis(20);
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
        let started = Instant::now();
        let args: &[&str] = if quick() { &["--quick"] } else { &[] };
        let mut sandbox = SandboxProcess::start(CHILD_ENV, args);
        println!(
            "sandbox generated, seeded and serving in {:.1} s, {} ms latency per call",
            started.elapsed().as_secs_f64(),
            LATENCY.as_millis()
        );
        runtime.block_on(run(sizes(quick()), &mut sandbox));
    }
}

/// The child: seeds and serves the sandbox until the benchmark is done with it.
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
    sandbox_process::answer_parent(&sandbox.url, sandbox.counters.clone()).await;
    sandbox.stop().await;
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
        let graph_creds = GraphCredentials::new(
            GENERATED_TENANT,
            GENERATED_CLIENT_ID,
            GENERATED_CLIENT_SECRET,
        );
        let graph = GraphClient::connect(&GraphEndpoints::sandbox(&base), &graph_creds, &options)
            .expect("Graph client");
        Clients { zoho, graph }
    }

    fn stats(&self) -> (ApiStatsSnapshot, ApiStatsSnapshot) {
        (self.zoho.stats.snapshot(), self.graph.stats())
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
                "phase",
                "CRM calls",
                "CRM bound",
                "Graph calls",
                "Graph bound",
                "ratio",
                "wall (s)"
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
            let n: usize = planned
                .folders
                .iter()
                .map(|f| f.count(target, action))
                .sum();
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

/// The records to change between the runs, chosen from the first sync's complete view of
/// CRM: per user, in id order, the first of every hundred changes in CRM and the fifty-first
/// in Outlook, so no record changes on both sides. Small, so the first observation can be
/// dropped before the next run.
#[derive(Default)]
struct Picked {
    crm_updates: BTreeMap<SyncKind, Vec<Map<String, Value>>>,
    in_crm: BTreeMap<(SyncKind, String), usize>,
    /// CRM ids whose Outlook items change, per folder.
    in_outlook: HashMap<(SyncKind, String), Vec<String>>,
}

fn pick_changes(initial: &Observed365) -> Picked {
    let mut picked = Picked::default();
    let email_of: HashMap<&str, &str> = initial
        .crm_users
        .iter()
        .map(|u| (u.id.as_str(), u.email.as_str()))
        .collect();
    for kind in SyncKind::ALL {
        let records = &initial.crm[&kind].records;
        let mut owned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for record in records.values() {
            if let Some(email) = record.owner_id.as_deref().and_then(|o| email_of.get(o)) {
                owned.entry(email).or_default().push(&record.id);
            }
        }
        let updates = picked.crm_updates.entry(kind).or_default();
        for (email, ids) in &mut owned {
            ids.sort_unstable();
            let key = (kind, email.to_string());
            for (position, id) in ids.iter().enumerate() {
                match position % CHANGED_ONE_IN {
                    0 => {
                        let change = match kind {
                            SyncKind::Calendar => {
                                let title = records[*id]
                                    .fields
                                    .get("Event_Title")
                                    .and_then(Value::as_str)
                                    .unwrap_or_default();
                                json!({"id": id, "Event_Title": format!("{title} (moved in CRM)")})
                            }
                            SyncKind::Contacts => json!({"id": id, "Title": "Changed in CRM"}),
                        };
                        updates.push(change.as_object().expect("object").clone());
                        *picked.in_crm.entry(key.clone()).or_default() += 1;
                    }
                    50 => picked
                        .in_outlook
                        .entry(key.clone())
                        .or_default()
                        .push(id.to_string()),
                    _ => {}
                }
            }
        }
    }
    picked
}

/// Makes the picked changes: in CRM as updates of 100 records a call, in Outlook as one
/// PATCH per item, through clients of their own so none of it is counted as the sync's.
async fn change_both_sides(setup: &Clients, picked: Picked, in_sync: &SyncPlan) -> Changes {
    let mut changes = Changes {
        in_crm: picked.in_crm,
        ..Changes::default()
    };
    // CRM times are whole seconds: the changes must fall after the last run's second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for (kind, updates) in &picked.crm_updates {
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

    // Outlook: find the items of the picked records folder by folder, then PATCH them.
    let in_outlook = &picked.in_outlook;
    let listed: Vec<_> = futures::stream::iter(&in_sync.folders)
        .map(|folder| async move {
            let key = (folder.kind, folder.user.clone());
            let wanted = in_outlook.get(&key).cloned().unwrap_or_default();
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
            let count = items.len();
            let patches: Vec<(String, Value)> = items
                .into_iter()
                .filter(|item| {
                    let linked = item
                        .extended
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(LINK_PROPERTY))
                        .and_then(|(_, v)| v.split('|').next())
                        .unwrap_or_default();
                    wanted.iter().any(|w| w == linked)
                })
                .map(|item| {
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
                    (item.id, patch)
                })
                .collect();
            (folder, key, count, patches)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut patches = Vec::new();
    for (folder, key, count, found) in listed {
        changes.items.insert(key.clone(), count);
        if !found.is_empty() {
            changes.in_outlook.insert(key, found.len());
        }
        patches.extend(found.into_iter().map(|(id, patch)| (folder, id, patch)));
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
        journal: None,
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
    // One run's observation and plan at a time, as in the CLI.
    let picked = pick_changes(&initial);
    drop(initial);
    drop(first);
    let in_sync = assert_in_sync(&desired, &sync, "the first sync").await;

    // 2. Steady state: 1% changed on each side.
    let t = Instant::now();
    let changes = change_both_sides(&setup, picked, &in_sync).await;
    let changed =
        |map: &BTreeMap<(SyncKind, String), usize>| SyncKind::ALL.map(|k| Changes::total(map, k));
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
        journal: None,
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
    drop(steady);
    drop(observed);
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
