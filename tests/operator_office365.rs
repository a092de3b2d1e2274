//! The operator reconciling `Office365Integration` resources end to end: kube-rs's real
//! `Controller` runs against the in-repo fake API server (tests/fake_kube) and syncs the
//! sandbox's CRM with its Microsoft Graph over HTTP. Every test asserts final states —
//! conditions, what the sandbox's mailboxes and CRM hold, what the fake cluster stores —
//! never how many reconciles it took.

mod fake_kube;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fake_kube::FakeKube;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use projectlink::engine::journal::{self, Line};
use projectlink::graph::{GraphClient, GraphCredentials, GraphEndpoints, ItemKind};
use projectlink::operator::probes::Health;
use projectlink::operator::{self, Metrics, OperatorConfig};
use projectlink::sandbox::seed::{DEMO_SEED_YAML, Seed};
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use projectlink::spec::{Office365Integration, ProjectsIntegration};
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};
use tokio::sync::watch;

const NS: &str = "team-a";
const PLURAL: &str = "office365integrations";
const CLIENT_ID: &str = "1000.ACMEDEMOCLIENT";
const CLIENT_SECRET: &str = "acme-demo-secret";
const ADMIN_REFRESH: &str = "1000.acme-admin.refresh";
const PORTAL_REFRESH: &str = "1000.acme-portal-owner.refresh";
const TENANT: &str = "7f3c2a10-ace0-4c6e-9d1b-000000000001";
const GRAPH_CLIENT_ID: &str = "5b7e9c1d-0000-4a2b-8c3d-000000000001";
const GRAPH_SECRET: &str = "demo-graph-secret";
const CALENDAR: &str = "Zoho CRM";
const CONTACTS: &str = "Zoho CRM Contacts";

struct World {
    kube: FakeKube,
    sandbox: SandboxHandle,
    _dir: tempfile::TempDir,
    /// Where the operator keeps apply journals, when a test asks for them.
    journal_dir: Option<std::path::PathBuf>,
}

impl World {
    async fn start() -> World {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let seed = Seed::parse(DEMO_SEED_YAML, "demo seed").unwrap();
        let sandbox = Sandbox::start(SandboxConfig {
            db: Some(dir.path().join("sandbox.db")),
            seed: Some(seed),
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        World {
            kube: FakeKube::start().await,
            sandbox,
            _dir: dir,
            journal_dir: None,
        }
    }

    fn client(&self) -> Client {
        self.kube.client()
    }

    fn config(&self) -> OperatorConfig {
        let sandbox: reqwest::Url = self.sandbox.url.parse().unwrap();
        OperatorConfig {
            namespaces: vec![NS.into()],
            interval: Duration::from_millis(700),
            error_backoff: Duration::from_millis(200),
            error_backoff_cap: Duration::from_millis(800),
            rate_limit_backoff: Duration::from_millis(800),
            zoho_base_url: Some(sandbox.clone()),
            graph_base_url: Some(sandbox),
            concurrency: 4,
            projects_rate_limit: Default::default(),
            identity: "solo".into(),
            leader_election: None,
            observation_cache: Default::default(),
            journal_dir: self.journal_dir.clone(),
            shutdown_grace: Duration::from_secs(10),
        }
    }

    fn spawn(&self) -> Running {
        let metrics = Arc::new(Metrics::default());
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(operator::run(
            self.client(),
            self.config(),
            metrics.clone(),
            Arc::new(Health::default()),
            stop_rx,
        ));
        Running {
            stop,
            task,
            metrics,
        }
    }

    async fn create_secret(&self, name: &str, data: &[(&str, &str)]) {
        let secrets: Api<Secret> = Api::namespaced(self.client(), NS);
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            string_data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..Secret::default()
        };
        secrets
            .create(&PostParams::default(), &secret)
            .await
            .unwrap();
    }

    async fn create_crm_secret(&self) {
        self.create_secret(
            "zoho-oauth",
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("refresh_token", ADMIN_REFRESH),
            ],
        )
        .await;
    }

    async fn create_graph_secret(&self, client_secret: &str) {
        self.create_secret(
            "acme-graph",
            &[
                ("tenant_id", TENANT),
                ("client_id", GRAPH_CLIENT_ID),
                ("client_secret", client_secret),
            ],
        )
        .await;
    }

    fn api(&self) -> Api<Office365Integration> {
        Api::namespaced(self.client(), NS)
    }

    async fn create(&self, resource: &Office365Integration) {
        self.api()
            .create(&PostParams::default(), resource)
            .await
            .unwrap();
    }

    async fn delete(&self, name: &str) {
        self.api()
            .delete(name, &DeleteParams::default())
            .await
            .unwrap();
        eventually("the resource gone", || async {
            self.kube.get(PLURAL, NS, name).is_none().then_some(())
        })
        .await;
    }

    /// The sandbox's Graph, signed in with the demo app registration.
    fn graph(&self) -> GraphClient {
        GraphClient::connect(
            &GraphEndpoints::sandbox(&self.sandbox.url.parse().unwrap()),
            &GraphCredentials::new(TENANT, GRAPH_CLIENT_ID, GRAPH_SECRET),
            &ClientOptions::default(),
        )
        .unwrap()
    }

    fn zoho(&self) -> ZohoClients {
        ZohoClients::connect(
            &Endpoints::single(self.sandbox.url.parse().unwrap()),
            &ZohoCredentials {
                crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, ADMIN_REFRESH),
                portal: None,
            },
            &ClientOptions::default(),
        )
        .unwrap()
    }

    /// Requests to the sandbox that could change state (token requests excluded).
    fn sandbox_writes(&self) -> u64 {
        self.sandbox
            .counters
            .snapshot()
            .iter()
            .filter(|(k, _)| !k.starts_with("GET ") && !k.contains("/oauth"))
            .map(|(_, v)| v)
            .sum()
    }
}

struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), operator::OperatorError>>,
    metrics: Arc<Metrics>,
}

impl Running {
    async fn shutdown(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .expect("the operator stops")
            .unwrap()
            .unwrap();
    }
}

/// examples/office365.yaml as a resource in the test namespace.
fn example(name: &str) -> Office365Integration {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/office365.yaml"
    ))
    .unwrap();
    let mut resource: Office365Integration = serde_saphyr::from_str(&text).unwrap();
    resource.metadata.name = Some(name.into());
    resource.metadata.namespace = Some(NS.into());
    resource.status = None;
    resource
}

/// Polls `check` until it yields a value, failing after a generous deadline.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (status, reason, message) of a condition on the stored resource.
fn condition(world: &World, name: &str, type_: &str) -> Option<(String, String, String)> {
    let object = world.kube.get(PLURAL, NS, name)?;
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            let text = |key: &str| c[key].as_str().unwrap_or("").to_string();
            (text("status"), text("reason"), text("message"))
        })
}

fn has_condition(world: &World, name: &str, type_: &str, status: &str, reason: &str) -> bool {
    condition(world, name, type_).is_some_and(|(s, r, _)| s == status && r == reason)
}

fn is_ready_at_current_generation(world: &World, name: &str) -> bool {
    let Some(object) = world.kube.get(PLURAL, NS, name) else {
        return false;
    };
    let ready = condition(world, name, "Ready").is_some_and(|(s, ..)| s == "True");
    let synced = condition(world, name, "Synced").is_some_and(|(s, ..)| s == "True");
    ready && synced && object["status"]["observedGeneration"] == object["metadata"]["generation"]
}

async fn ready(world: &World, name: &str) {
    eventually("Ready and Synced", || async {
        is_ready_at_current_generation(world, name).then_some(())
    })
    .await;
}

fn event_reasons(world: &World, kind: &str) -> Vec<String> {
    world
        .kube
        .list("events", NS)
        .iter()
        .filter(|e| e["regarding"]["kind"] == kind)
        .map(|e| e["reason"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Names of the calendars or contact folders of a mailbox.
async fn folders(graph: &GraphClient, user: &str, kind: ItemKind) -> BTreeSet<String> {
    graph
        .folders(user, kind)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect()
}

/// The value of one counter line of the metrics.
fn metric(metrics: &Metrics, series: &str) -> u64 {
    metrics
        .render()
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no metric {series}"))
}

/// Every CRM record of a module with its modification time.
async fn crm_records(zoho: &ZohoClients, module: &str) -> BTreeSet<(String, String)> {
    zoho.crm
        .records_modified_since(module, &["id"], None)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["Modified_Time"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Edits the resource "acme" so that only the admin's calendar syncs, and waits until the
/// edit is applied.
async fn sync_only_the_admins_calendar(world: &World) {
    let edit = serde_json::json!({"spec": {"calendarSync": {"users": ["admin@acme.com"]}}});
    world
        .api()
        .patch("acme", &PatchParams::default(), &Patch::Merge(edit))
        .await
        .unwrap();
    eventually("the edit applied", || async {
        let object = world.kube.get(PLURAL, NS, "acme")?;
        (object["status"]["observedGeneration"] == 2
            && is_ready_at_current_generation(world, "acme"))
        .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_resource_syncs_and_a_spec_edit_removes_a_calendar() {
    let world = World::start().await;
    world.create_crm_secret().await;
    world.create_graph_secret(GRAPH_SECRET).await;
    world
        .create_secret("pm-admin-oauth", &[("refresh_token", PORTAL_REFRESH)])
        .await;
    let running = world.spawn();
    let graph = world.graph();
    assert!(
        !folders(&graph, "pat@acme.com", ItemKind::Event)
            .await
            .contains(CALENDAR)
    );

    world.create(&example("acme")).await;
    // A ProjectsIntegration of the same name is reconciled alongside, without mixing up.
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/acme.yaml"))
        .unwrap();
    let mut projects: ProjectsIntegration = projectlink::spec::load_str("acme.yaml", &text)
        .unwrap()
        .remove(0)
        .resource;
    projects.metadata.namespace = Some(NS.into());
    projects.metadata.name = Some("acme".into());
    Api::<ProjectsIntegration>::namespaced(world.client(), NS)
        .create(&PostParams::default(), &projects)
        .await
        .unwrap();
    ready(&world, "acme").await;

    for user in ["admin@acme.com", "pat@acme.com"] {
        assert!(
            folders(&graph, user, ItemKind::Event)
                .await
                .contains(CALENDAR),
            "{user}"
        );
    }
    for user in ["admin@acme.com", "pat@acme.com", "dev@acme.com"] {
        assert!(
            folders(&graph, user, ItemKind::Contact)
                .await
                .contains(CONTACTS),
            "{user}"
        );
    }
    let stored = world.kube.get(PLURAL, NS, "acme").unwrap();
    assert_eq!(stored["metadata"]["finalizers"][0], operator::FINALIZER);
    assert_eq!(stored["status"]["tenantId"], TENANT);
    assert!(stored["status"]["apiCalls"].as_u64().unwrap() > 0);
    assert!(stored["status"]["lastAppliedTime"].is_string());
    assert!(
        event_reasons(&world, "Office365Integration")
            .iter()
            .any(|r| r == "Applied")
    );
    let applied: Vec<String> = world
        .kube
        .list("events", NS)
        .iter()
        .filter(|e| e["reason"] == "Applied" && e["regarding"]["kind"] == "Office365Integration")
        .map(|e| e["note"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        applied
            .iter()
            .any(|n| n.contains("calendar pat@acme.com: create folder \"Zoho CRM\"")),
        "{applied:?}"
    );

    // Turn Pat's calendar sync off: the calendar goes, the rest stays.
    sync_only_the_admins_calendar(&world).await;
    let pat = folders(&graph, "pat@acme.com", ItemKind::Event).await;
    assert!(!pat.contains(CALENDAR), "{pat:?}");
    assert!(
        pat.contains("Projects"),
        "Pat's own calendars stay: {pat:?}"
    );
    assert!(
        folders(&graph, "admin@acme.com", ItemKind::Event)
            .await
            .contains(CALENDAR)
    );
    assert!(
        folders(&graph, "pat@acme.com", ItemKind::Contact)
            .await
            .contains(CONTACTS)
    );

    eventually("the ProjectsIntegration Ready", || async {
        let object = world.kube.get("projectsintegrations", NS, "acme")?;
        let ready = object["status"]["conditions"]
            .as_array()?
            .iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        ready.then_some(())
    })
    .await;
    let metrics = &running.metrics;
    assert!(metric(metrics, "projectlink_api_calls_total{system=\"graph\"}") > 0);
    assert!(metric(metrics, "projectlink_api_calls_total{system=\"identity\"}") > 0);
    assert!(
        metric(
            metrics,
            "projectlink_reconciles_total{kind=\"Office365Integration\",result=\"success\"}"
        ) > 0
    );
    for kind in ["Office365Integration", "ProjectsIntegration"] {
        let gauge =
            format!("projectlink_drifted{{kind=\"{kind}\",namespace=\"{NS}\",name=\"acme\"}}");
        assert!(metrics.render().contains(&gauge), "{gauge}");
    }
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_only_reports_drift_writes_nothing_and_is_left_alone_on_delete() {
    let world = World::start().await;
    world.create_crm_secret().await;
    world.create_graph_secret(GRAPH_SECRET).await;
    let running = world.spawn();
    let mut observing = example("observing");
    observing.spec.policy.observe_only = true;
    world.create(&observing).await;
    eventually("observe-only drift reported", || async {
        has_condition(&world, "observing", "Drifted", "True", "ObserveOnly").then_some(())
    })
    .await;
    let stored = world.kube.get(PLURAL, NS, "observing").unwrap();
    let last_plan = &stored["status"]["lastPlan"];
    assert_eq!(last_plan["invites"], 1, "{last_plan}");
    assert_eq!(last_plan["folderChanges"], 5, "{last_plan}");
    assert!(
        last_plan["itemChanges"].as_u64().unwrap() > 0,
        "{last_plan}"
    );
    assert!(has_condition(
        &world,
        "observing",
        "Ready",
        "False",
        "ObserveOnly"
    ));

    world.delete("observing").await;
    assert!(
        event_reasons(&world, "Office365Integration")
            .iter()
            .any(|r| r == "Orphaned")
    );
    assert_eq!(
        world.sandbox_writes(),
        0,
        "nothing was written to CRM or Office 365"
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_turns_every_sync_off_and_leaves_crm_alone() {
    let world = World::start().await;
    world.create_crm_secret().await;
    world.create_graph_secret(GRAPH_SECRET).await;
    let running = world.spawn();
    world.create(&example("acme")).await;
    ready(&world, "acme").await;
    let zoho = world.zoho();
    let events = crm_records(&zoho, "Events").await;
    let contacts = crm_records(&zoho, "Contacts").await;
    assert!(!contacts.is_empty());

    world.delete("acme").await;
    let graph = world.graph();
    for user in ["admin@acme.com", "pat@acme.com", "dev@acme.com"] {
        let calendars = folders(&graph, user, ItemKind::Event).await;
        let contact_folders = folders(&graph, user, ItemKind::Contact).await;
        assert!(!calendars.contains(CALENDAR), "{user}: {calendars:?}");
        assert!(
            !contact_folders.contains(CONTACTS),
            "{user}: {contact_folders:?}"
        );
    }
    assert!(
        folders(&graph, "admin@acme.com", ItemKind::Event)
            .await
            .contains("Calendar")
    );
    assert_eq!(crm_records(&zoho, "Events").await, events);
    assert_eq!(crm_records(&zoho, "Contacts").await, contacts);
    assert!(
        event_reasons(&world, "Office365Integration")
            .iter()
            .any(|r| r == "Deactivated")
    );

    // The org is free again: an integration of another name takes it over.
    world.create(&example("successor")).await;
    ready(&world, "successor").await;
    assert!(
        folders(&graph, "pat@acme.com", ItemKind::Event)
            .await
            .contains(CALENDAR)
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_graph_secret_is_a_condition_until_the_secret_appears() {
    let world = World::start().await;
    world.create_crm_secret().await;
    let running = world.spawn();
    world.create(&example("acme")).await;
    eventually("the SecretMissing condition", || async {
        has_condition(&world, "acme", "Ready", "False", "SecretMissing").then_some(())
    })
    .await;
    let (_, _, message) = condition(&world, "acme", "Ready").unwrap();
    assert!(message.contains("team-a/acme-graph"), "{message}");
    assert!(
        event_reasons(&world, "Office365Integration")
            .iter()
            .any(|r| r == "SecretMissing")
    );
    assert_eq!(world.sandbox_writes(), 0);
    world.create_graph_secret(GRAPH_SECRET).await;
    ready(&world, "acme").await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_graph_credentials_are_a_condition_and_never_shown() {
    let world = World::start().await;
    world.create_crm_secret().await;
    let canary = "canary-graph-secret-5f1e";
    world.create_graph_secret(canary).await;
    let running = world.spawn();
    world.create(&example("acme")).await;
    eventually("the CredentialsRejected condition", || async {
        has_condition(&world, "acme", "Ready", "False", "CredentialsRejected").then_some(())
    })
    .await;
    let stored = world.kube.get(PLURAL, NS, "acme").unwrap();
    assert!(!stored["status"].to_string().contains(canary));
    let events = serde_json::to_string(&world.kube.list("events", NS)).unwrap();
    assert!(!events.contains(canary));
    assert_eq!(world.sandbox_writes(), 0);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_resource_on_the_same_org_conflicts_and_its_deletion_touches_nothing() {
    let world = World::start().await;
    world.create_crm_secret().await;
    world.create_graph_secret(GRAPH_SECRET).await;
    let running = world.spawn();
    world.create(&example("first")).await;
    ready(&world, "first").await;
    world.create(&example("second")).await;
    eventually("the second in Conflict", || async {
        has_condition(&world, "second", "Conflict", "True", "OrgBoundElsewhere").then_some(())
    })
    .await;
    assert!(has_condition(
        &world, "second", "Ready", "False", "Conflict"
    ));

    world.delete("second").await;
    let graph = world.graph();
    assert!(
        folders(&graph, "pat@acme.com", ItemKind::Event)
            .await
            .contains(CALENDAR)
    );
    assert!(
        folders(&graph, "dev@acme.com", ItemKind::Contact)
            .await
            .contains(CONTACTS)
    );
    assert!(is_ready_at_current_generation(&world, "first"));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_added_in_outlook_reaches_crm_on_the_next_check() {
    let world = World::start().await;
    world.create_crm_secret().await;
    world.create_graph_secret(GRAPH_SECRET).await;
    let running = world.spawn();
    world.create(&example("acme")).await;
    ready(&world, "acme").await;
    let zoho = world.zoho();
    let before = crm_records(&zoho, "Events").await;

    let graph = world.graph();
    let calendar = graph
        .folders("pat@acme.com", ItemKind::Event)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.name == CALENDAR)
        .unwrap();
    let body = serde_json::json!({
        "subject": "Design review booked in Outlook",
        "start": {"dateTime": "2026-03-02T10:00:00", "timeZone": "UTC"},
        "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "UTC"},
    });
    graph
        .create_item(
            "pat@acme.com",
            ItemKind::Event,
            &calendar.id,
            body.as_object().unwrap(),
            &BTreeMap::new(),
        )
        .await
        .unwrap();

    // The operator may sync it before a check here could see it pending: the Repaired
    // condition (set only for changes found on an unchanged, already applied spec) and the
    // new CRM record are the proof.
    eventually("the Outlook event synced", || async {
        has_condition(&world, "acme", "Drifted", "False", "Repaired").then_some(())
    })
    .await;
    let (_, _, message) = condition(&world, "acme", "Drifted").unwrap();
    assert!(message.starts_with("synced "), "{message}");
    assert!(message.contains("calendar pat@acme.com"), "{message}");
    let after = crm_records(&zoho, "Events").await;
    assert_eq!(after.len(), before.len() + 1);
    assert!(
        event_reasons(&world, "Office365Integration")
            .iter()
            .any(|r| r == "DriftRepaired")
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_journals_each_apply_and_resumes_one_that_was_stopped() {
    let mut world = World::start().await;
    let journals = world._dir.path().join("journals");
    world.journal_dir = Some(journals.clone());
    world.create_crm_secret().await;
    world.create_graph_secret(GRAPH_SECRET).await;
    let running = world.spawn();
    world.create(&example("acme")).await;
    ready(&world, "acme").await;
    running.shutdown().await;
    let path = journal::path(&journals, "office365", &format!("{NS}/acme"));
    let first = journal::read(&path)
        .unwrap()
        .expect("the apply kept a journal");
    assert!(first.finished(), "a whole apply closes its journal");
    assert!(first.done_count() > 0, "{first:?}");

    // An apply stopped part way (the pod killed) leaves a journal without its last line.
    let stopped: Vec<String> = first
        .lines
        .iter()
        .filter(|line| !matches!(line, Line::Finished { .. }))
        .take(3)
        .map(|line| serde_json::to_string(line).unwrap())
        .collect();
    std::fs::write(&path, stopped.join("\n") + "\n").unwrap();
    let done_before = journal::read(&path).unwrap().unwrap().done_count();

    // The next apply (a spec edit) resumes it and says how much it did not repeat.
    let running = world.spawn();
    sync_only_the_admins_calendar(&world).await;
    running.shutdown().await;
    let next = journal::read(&path).unwrap().unwrap();
    assert!(next.finished());
    let Some(Line::Started { resumed, name, .. }) = next.lines.first() else {
        panic!("no first line: {next:?}");
    };
    assert_eq!(*resumed, done_before);
    assert_eq!(name, &format!("{NS}/acme"));
}
