//! The operator end to end: kube-rs's real `Controller` runs against the in-repo fake API
//! server (tests/fake_kube) and reconciles against the sandbox over HTTP. Every test
//! asserts final states — conditions, what Zoho holds, what is stored in the fake cluster —
//! never how many reconciles it took.

mod fake_kube;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fake_kube::FakeKube;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use projectlink::live::ProjectsGrant;
use projectlink::live::observe::observe;
use projectlink::operator::probes::Health;
use projectlink::operator::{self, LeaderElection, Metrics, OperatorConfig};
use projectlink::plan::Desired;
use projectlink::plan::planner::{PlanOptions, plan};
use projectlink::sandbox::seed::{DEMO_SEED_YAML, Seed};
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use projectlink::spec::{IntegrationState, ProjectsIntegration, ProjectsIntegrationSpec};
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};
use tokio::sync::watch;

const NS: &str = "team-a";
const CLIENT_ID: &str = "1000.ACMEDEMOCLIENT";
const CLIENT_SECRET: &str = "acme-demo-secret";
const ADMIN_REFRESH: &str = "1000.acme-admin.refresh";
const PORTAL_REFRESH: &str = "1000.acme-portal-owner.refresh";

struct World {
    kube: FakeKube,
    sandbox: SandboxHandle,
    _dir: tempfile::TempDir,
}

impl World {
    async fn start() -> World {
        World::start_with(Duration::ZERO).await
    }

    /// A world whose sandbox adds `latency` to every request.
    async fn start_with(latency: Duration) -> World {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let seed = Seed::parse(DEMO_SEED_YAML, "demo seed").unwrap();
        let sandbox = Sandbox::start(SandboxConfig {
            db: Some(dir.path().join("sandbox.db")),
            seed: Some(seed),
            latency,
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        World {
            kube: FakeKube::start().await,
            sandbox,
            _dir: dir,
        }
    }

    fn client(&self) -> Client {
        self.kube.client()
    }

    fn config(&self, identity: &str) -> OperatorConfig {
        OperatorConfig {
            namespaces: vec![NS.into()],
            interval: Duration::from_millis(700),
            error_backoff: Duration::from_millis(200),
            error_backoff_cap: Duration::from_millis(800),
            rate_limit_backoff: Duration::from_millis(800),
            zoho_base_url: Some(self.sandbox.url.parse().unwrap()),
            graph_base_url: Some(self.sandbox.url.parse().unwrap()),
            concurrency: 4,
            projects_rate_limit: Default::default(),
            identity: identity.into(),
            leader_election: None,
            observation_cache: Default::default(),
            journal_dir: None,
            // Below `Running::shutdown`'s 30 s, so a stop that hangs fails the test.
            shutdown_grace: Duration::from_secs(10),
        }
    }

    fn spawn(&self, config: OperatorConfig) -> Running {
        let metrics = Arc::new(Metrics::default());
        let health = Arc::new(Health::default());
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(operator::run(
            self.client(),
            config,
            metrics.clone(),
            health.clone(),
            stop_rx,
        ));
        Running {
            stop,
            task,
            metrics,
            health,
        }
    }

    async fn create_secrets(&self) {
        self.create_named_secrets(&["zoho-oauth", "pm-admin-oauth"])
            .await;
    }

    /// Creates those of the connection's Secrets (the CRM grant, the portal owner's) named.
    async fn create_named_secrets(&self, names: &[&str]) {
        let secrets: Api<Secret> = Api::namespaced(self.client(), NS);
        for (name, data) in [
            (
                "zoho-oauth",
                vec![
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("refresh_token", ADMIN_REFRESH),
                ],
            ),
            ("pm-admin-oauth", vec![("refresh_token", PORTAL_REFRESH)]),
        ] {
            if !names.contains(&name) {
                continue;
            }
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(name.into()),
                    ..ObjectMeta::default()
                },
                data: Some(
                    data.into_iter()
                        .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                        .collect::<BTreeMap<_, _>>(),
                ),
                ..Secret::default()
            };
            secrets
                .create(&PostParams::default(), &secret)
                .await
                .unwrap();
        }
    }

    async fn create(&self, resource: &ProjectsIntegration) {
        self.api()
            .create(&PostParams::default(), resource)
            .await
            .unwrap();
    }

    fn api(&self) -> Api<ProjectsIntegration> {
        Api::namespaced(self.client(), NS)
    }

    /// Clients of the sandbox with the demo grants, for checking what Zoho holds.
    fn zoho(&self) -> ZohoClients {
        let credentials = ZohoCredentials {
            crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, ADMIN_REFRESH),
            portal: Some(Credentials::new(CLIENT_ID, CLIENT_SECRET, PORTAL_REFRESH)),
        };
        ZohoClients::connect(
            &Endpoints::single(self.sandbox.url.parse().unwrap()),
            &credentials,
            &ClientOptions::default(),
        )
        .unwrap()
    }

    /// Changes still needed for Zoho to match `spec`, planned independently of the operator.
    async fn pending_changes(
        &self,
        zoho: &ZohoClients,
        owner: &str,
        spec: &ProjectsIntegrationSpec,
    ) -> usize {
        let desired = Desired::from_spec(owner, spec);
        let observed = observe(
            &desired,
            &zoho.crm,
            &zoho.projects,
            ProjectsGrant::PortalOwner,
        )
        .await
        .unwrap();
        plan(&desired, &observed, &PlanOptions::default())
            .changes
            .len()
    }

    /// Requests to the sandbox that could change state (token requests excluded).
    fn sandbox_writes(&self) -> u64 {
        self.sandbox
            .counters
            .snapshot()
            .iter()
            .filter(|(k, _)| !k.starts_with("GET ") && !k.contains("/oauth/"))
            .map(|(_, v)| v)
            .sum()
    }
}

struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), operator::OperatorError>>,
    metrics: Arc<Metrics>,
    health: Arc<Health>,
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

fn acme(name: &str) -> ProjectsIntegration {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/acme.yaml"))
        .unwrap();
    let mut loaded = projectlink::spec::load_str("acme.yaml", &text).unwrap();
    let mut resource = loaded.remove(0).resource;
    resource.metadata.name = Some(name.into());
    resource.metadata.namespace = Some(NS.into());
    resource.status = None;
    resource
}

fn owner(name: &str) -> String {
    format!("{NS}/{name}")
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

/// (status, reason) of a condition on the stored resource.
fn condition(world: &World, name: &str, type_: &str) -> Option<(String, String)> {
    let object = world.kube.get("projectsintegrations", NS, name)?;
    object["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or("").to_string(),
                c["reason"].as_str().unwrap_or("").to_string(),
            )
        })
}

fn is_ready_at_current_generation(world: &World, name: &str) -> bool {
    let Some(object) = world.kube.get("projectsintegrations", NS, name) else {
        return false;
    };
    let ready = condition(world, name, "Ready").is_some_and(|(s, _)| s == "True");
    let synced = condition(world, name, "Synced").is_some_and(|(s, _)| s == "True");
    ready && synced && object["status"]["observedGeneration"] == object["metadata"]["generation"]
}

fn event_reasons(world: &World) -> Vec<String> {
    world
        .kube
        .list("events", NS)
        .iter()
        .map(|e| e["reason"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_resource_is_applied_and_a_spec_edit_moves_observed_generation() {
    let world = World::start().await;
    world.create_secrets().await;
    let running = world.spawn(world.config("solo"));
    let resource = acme("acme");
    let zoho = world.zoho();
    assert!(
        world
            .pending_changes(&zoho, &owner("acme"), &resource.spec)
            .await
            > 0
    );
    world.create(&resource).await;

    eventually("Ready and Synced", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;
    assert_eq!(
        world
            .pending_changes(&zoho, &owner("acme"), &resource.spec)
            .await,
        0
    );
    let stored = world.kube.get("projectsintegrations", NS, "acme").unwrap();
    assert_eq!(stored["metadata"]["finalizers"][0], operator::FINALIZER);
    assert_eq!(stored["status"]["portal"], "Acme Delivery");
    assert!(stored["status"]["apiCalls"].as_u64().unwrap() > 0);
    assert!(stored["status"]["lastAppliedTime"].is_string());
    assert!(event_reasons(&world).iter().any(|r| r == "Applied"));

    // Edit the spec: the Standard profile may now edit projects from the related list.
    let mut edited = resource.spec.clone();
    edited.permissions.profiles[1].related_list.edit = true;
    assert!(world.pending_changes(&zoho, &owner("acme"), &edited).await > 0);
    world
        .api()
        .patch(
            "acme",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": edited})),
        )
        .await
        .unwrap();
    eventually("the edit applied", || async {
        let object = world.kube.get("projectsintegrations", NS, "acme")?;
        (object["status"]["observedGeneration"] == 2
            && is_ready_at_current_generation(&world, "acme"))
        .then_some(())
    })
    .await;
    assert_eq!(
        world.pending_changes(&zoho, &owner("acme"), &edited).await,
        0
    );
    let metrics = running.metrics.render();
    let successes = metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(
                "projectlink_reconciles_total{kind=\"ProjectsIntegration\",result=\"success\"} ",
            )
        })
        .expect("the reconcile counter");
    assert_ne!(successes, "0");
    assert!(running.health.is_ready());
    running.shutdown().await;
}

/// Makes a change in Zoho behind the operator's back: the Standard profile loses its view
/// permission on the link module's related list.
async fn make_drift(zoho: &ZohoClients) {
    let profiles = zoho.crm.profiles().await.unwrap();
    let standard = profiles.iter().find(|p| p.name == "Standard").unwrap();
    let profile = zoho.crm.profile(&standard.id).await.unwrap();
    let permission = profile
        .permissions_details
        .iter()
        .find(|p| p.enabled && p.module.as_deref() == Some("Linked_Projects"))
        .expect("the Standard profile has a permission on the link module");
    zoho.crm
        .update_profile_permissions(&standard.id, &[(permission.id.clone(), false)])
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_made_in_zoho_is_detected_and_repaired() {
    let world = World::start().await;
    world.create_secrets().await;
    let running = world.spawn(world.config("solo"));
    let resource = acme("acme");
    world.create(&resource).await;
    eventually("Ready", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;

    let zoho = world.zoho();
    // The operator may repair it before a check here could see it: the Repaired condition
    // (set only when changes are found on an unchanged, already applied spec) is the proof.
    make_drift(&zoho).await;
    eventually("the drift repaired", || async {
        (condition(&world, "acme", "Drifted") == Some(("False".into(), "Repaired".into())))
            .then_some(())
    })
    .await;
    assert_eq!(
        world
            .pending_changes(&zoho, &owner("acme"), &resource.spec)
            .await,
        0
    );
    assert!(event_reasons(&world).iter().any(|r| r == "DriftRepaired"));
    running.shutdown().await;
}

/// The names of the link records in CRM.
async fn link_names(zoho: &ZohoClients) -> Vec<(String, String)> {
    let query = projectlink::zoho::crm::RecordQuery::default();
    let records = zoho
        .crm
        .records("Linked_Projects", &["Name".to_string()], &query)
        .await
        .unwrap();
    records
        .iter()
        .map(|r| {
            let text = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (text("Name"), text("id"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_observation_cache_crm_drift_is_repaired_between_full_resyncs() {
    use projectlink::live::cache::{CacheStore, ResyncPolicy};
    let world = World::start().await;
    world.create_secrets().await;
    let cache_dir = tempfile::tempdir().unwrap();
    let mut config = world.config("solo");
    config.observation_cache = projectlink::live::cached::CacheUse {
        store: Some(CacheStore::new(cache_dir.path())),
        policy: ResyncPolicy::default(),
    };
    let running = world.spawn(config);
    world.create(&acme("acme")).await;
    eventually("Ready", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;
    let read_cache = || {
        let dir = cache_dir.path().join("observations");
        let file = std::fs::read_dir(dir).ok()?.find_map(|e| {
            let path = e.ok()?.path();
            path.extension()
                .is_some_and(|x| x == "json")
                .then_some(path)
        })?;
        serde_json::from_slice::<serde_json::Value>(&std::fs::read(file).ok()?).ok()
    };
    let first = eventually("a cached observation", || async { read_cache() }).await;

    // A link record is deleted in CRM: only the deletion listing can tell.
    let zoho = world.zoho();
    let (_, website) = link_names(&zoho)
        .await
        .into_iter()
        .find(|(name, _)| name == "Website Redesign")
        .expect("the operator linked the project");
    zoho.crm
        .delete_records("Linked_Projects", &[website])
        .await
        .unwrap();
    eventually("the link record made again", || async {
        link_names(&zoho)
            .await
            .iter()
            .any(|(name, _)| name == "Website Redesign")
            .then_some(())
    })
    .await;
    let last = read_cache().unwrap();
    assert_eq!(
        last["full_at"], first["full_at"],
        "no full observation ran in between"
    );
    assert_ne!(last["watermarks"]["crm"], first["watermarks"]["crm"]);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_only_and_paused_resources_report_drift_and_write_nothing() {
    let world = World::start().await;
    world.create_secrets().await;
    let running = world.spawn(world.config("solo"));
    let mut observing = acme("observing");
    observing.spec.policy.observe_only = true;
    let mut paused = acme("paused");
    paused.metadata.annotations = Some(BTreeMap::from([(
        operator::ANNOTATION_PAUSED.to_string(),
        "true".to_string(),
    )]));
    world.create(&observing).await;
    eventually("observe-only drift reported", || async {
        (condition(&world, "observing", "Drifted") == Some(("True".into(), "ObserveOnly".into())))
            .then_some(())
    })
    .await;
    world
        .api()
        .delete("observing", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the observe-only resource gone", || async {
        world
            .kube
            .get("projectsintegrations", NS, "observing")
            .is_none()
            .then_some(())
    })
    .await;
    world.create(&paused).await;
    eventually("paused drift reported", || async {
        (condition(&world, "paused", "Drifted") == Some(("True".into(), "Paused".into())))
            .then_some(())
    })
    .await;
    assert_eq!(condition(&world, "paused", "Ready").unwrap().0, "False");
    assert_eq!(world.sandbox_writes(), 0, "nothing was written to Zoho");
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_resource_deactivates_then_releases_the_finalizer() {
    let world = World::start().await;
    world.create_secrets().await;
    let running = world.spawn(world.config("solo"));
    let resource = acme("acme");
    world.create(&resource).await;
    eventually("Ready", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;

    world
        .api()
        .delete("acme", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the resource gone", || async {
        world
            .kube
            .get("projectsintegrations", NS, "acme")
            .is_none()
            .then_some(())
    })
    .await;
    let mut deactivated = resource.spec.clone();
    deactivated.state = IntegrationState::Deactivated;
    let zoho = world.zoho();
    assert_eq!(
        world
            .pending_changes(&zoho, &owner("acme"), &deactivated)
            .await,
        0
    );
    assert!(
        world
            .pending_changes(&zoho, &owner("acme"), &resource.spec)
            .await
            > 0
    );
    assert!(event_reasons(&world).iter().any(|r| r == "Deactivated"));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_is_a_condition_until_the_secret_appears() {
    let world = World::start().await;
    let running = world.spawn(world.config("solo"));
    world.create(&acme("acme")).await;
    eventually("the SecretMissing condition", || async {
        (condition(&world, "acme", "Ready") == Some(("False".into(), "SecretMissing".into())))
            .then_some(())
    })
    .await;
    assert!(event_reasons(&world).iter().any(|r| r == "SecretMissing"));
    world.create_secrets().await;
    eventually("Ready once the Secret exists", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_portal_owner_grant_is_pending_approval_until_it_appears() {
    let world = World::start().await;
    world.create_named_secrets(&["zoho-oauth"]).await;
    let running = world.spawn(world.config("solo"));
    world.create(&acme("acme")).await;
    eventually("the PendingApproval condition", || async {
        (condition(&world, "acme", "Ready") == Some(("False".into(), "PendingApproval".into())))
            .then_some(())
    })
    .await;
    eventually("a PendingApproval Event", || async {
        event_reasons(&world)
            .iter()
            .any(|r| r == "PendingApproval")
            .then_some(())
    })
    .await;
    world.create_named_secrets(&["pm-admin-oauth"]).await;
    eventually("Ready once the portal owner's Secret exists", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_resource_on_the_same_org_gets_a_conflict() {
    let world = World::start().await;
    world.create_secrets().await;
    let running = world.spawn(world.config("solo"));
    world.create(&acme("first")).await;
    eventually("the first Ready", || async {
        is_ready_at_current_generation(&world, "first").then_some(())
    })
    .await;
    world.create(&acme("second")).await;
    eventually("the second in Conflict", || async {
        (condition(&world, "second", "Conflict")
            == Some(("True".into(), "OrgBoundElsewhere".into())))
        .then_some(())
    })
    .await;
    assert_eq!(condition(&world, "second", "Ready").unwrap().0, "False");
    assert!(is_ready_at_current_generation(&world, "first"));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_replicas_one_leads_and_the_other_takes_over_when_it_stops() {
    let world = World::start().await;
    world.create_secrets().await;
    let election = LeaderElection {
        lease_name: "projectlink-operator".into(),
        lease_namespace: NS.into(),
        lease_duration_seconds: 6,
    };
    let mut first_config = world.config("replica-1");
    first_config.leader_election = Some(election.clone());
    let mut second_config = world.config("replica-2");
    second_config.leader_election = Some(election);
    let first = world.spawn(first_config);
    let second = world.spawn(second_config);
    world.create(&acme("acme")).await;
    eventually("Ready", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;

    let holder = eventually("a lease holder", || async {
        let lease = world.kube.get("leases", NS, "projectlink-operator")?;
        lease["spec"]["holderIdentity"].as_str().map(str::to_string)
    })
    .await;
    let leading = |running: &Running| {
        running
            .metrics
            .render()
            .contains("\nprojectlink_leader 1\n")
    };
    let (leader, standby, standby_name) = if holder == "replica-1" {
        (first, second, "replica-2")
    } else {
        (second, first, "replica-1")
    };
    assert!(leading(&leader));
    assert!(!leading(&standby), "only the Lease holder reconciles");
    assert!(standby.health.is_ready(), "a standby replica is ready");

    leader.shutdown().await;
    eventually("the standby holds the lease", || async {
        let lease = world.kube.get("leases", NS, "projectlink-operator")?;
        (lease["spec"]["holderIdentity"] == standby_name && leading(&standby)).then_some(())
    })
    .await;
    standby.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_cancels_a_reconcile_still_running_after_the_shutdown_grace() {
    // Every request takes 2 s: the first reconcile of acme needs dozens of them.
    let world = World::start_with(Duration::from_secs(2)).await;
    world.create_secrets().await;
    let mut config = world.config("solo");
    config.shutdown_grace = Duration::from_secs(1);
    let running = world.spawn(config);
    world.create(&acme("acme")).await;
    eventually("a reconcile talking to Zoho", || async {
        (!world.sandbox.counters.snapshot().is_empty()).then_some(())
    })
    .await;
    let stopping = tokio::time::Instant::now();
    running.shutdown().await;
    let took = stopping.elapsed();
    assert!(
        took < Duration::from_secs(8),
        "the stop waited {took:?}, not the 1 s grace"
    );
    assert!(
        !is_ready_at_current_generation(&world, "acme"),
        "the reconcile was cut short"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spec_that_fails_validation_is_a_condition_until_it_is_fixed() {
    let world = World::start().await;
    world.create_secrets().await;
    let running = world.spawn(world.config("solo"));
    // Imports only make sense while active: validation rejects them on a deactivated spec.
    let mut invalid = acme("acme");
    invalid.spec.state = IntegrationState::Deactivated;
    world.create(&invalid).await;
    eventually("the InvalidSpec condition", || async {
        (condition(&world, "acme", "Ready") == Some(("False".into(), "InvalidSpec".into())))
            .then_some(())
    })
    .await;
    assert_eq!(world.sandbox_writes(), 0, "nothing was written to Zoho");
    world
        .api()
        .patch(
            "acme",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"state": "Active"}})),
        )
        .await
        .unwrap();
    eventually("Ready once the spec is fixed", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reconciles_serves_probes_and_metrics_and_stops_on_sigterm() {
    let world = World::start().await;
    world.create_secrets().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster: {{server: \"{}\"}}\nusers:\n- name: tester\n  user: {{}}\ncontexts:\n- name: fake\n  context: {{cluster: fake, user: tester}}\ncurrent-context: fake\n",
            world.kube.url
        ),
    )
    .unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_projectlink"))
        .args([
            "operator",
            "--namespace",
            NS,
            "--interval",
            "1s",
            "--log-format",
            "json",
            "--metrics",
            &format!("127.0.0.1:{port}"),
            "--zoho-base-url",
            &world.sandbox.url,
        ])
        .env_clear()
        .env("KUBECONFIG", &kubeconfig)
        .env("HOME", dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let mut child = KillOnDrop(Some(child));
    world.create(&acme("acme")).await;
    eventually("Ready", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;

    let http = reqwest::Client::new();
    let get = |path: &str| {
        let request = http.get(format!("http://127.0.0.1:{port}{path}"));
        async move {
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            Some((status, response.text().await.ok()?))
        }
    };
    let (status, _) = get("/healthz").await.expect("/healthz answers");
    assert_eq!(status, 200);
    let (status, _) = get("/readyz").await.expect("/readyz answers");
    assert_eq!(status, 200);
    let (status, metrics) = get("/metrics").await.expect("/metrics answers");
    assert_eq!(status, 200);
    assert!(metrics.contains("# TYPE projectlink_reconcile_duration_seconds histogram"));
    assert!(metrics.contains(
        "projectlink_drifted{kind=\"ProjectsIntegration\",namespace=\"team-a\",name=\"acme\"} 0"
    ));
    assert!(!metrics.contains("projectlink_api_calls_total{system=\"crm\"} 0\n"));

    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let running = child.0.take().unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || running.wait_with_output()),
    )
    .await
    .expect("the operator exits after SIGTERM")
    .unwrap()
    .unwrap();
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "exit {:?}: {logs}", output.status);
    let first = logs.lines().next().expect("the operator logs");
    let line: serde_json::Value = serde_json::from_str(first).expect("JSON log lines");
    assert!(line["fields"]["message"].is_string(), "{first}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_and_an_unreachable_zoho_are_conditions() {
    let world = World::start().await;
    let secrets: Api<Secret> = Api::namespaced(world.client(), NS);
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some("zoho-oauth".into()),
            ..ObjectMeta::default()
        },
        string_data: Some(BTreeMap::from([
            ("client_id".to_string(), CLIENT_ID.to_string()),
            ("client_secret".to_string(), CLIENT_SECRET.to_string()),
            (
                "refresh_token".to_string(),
                "1000.revoked.refresh".to_string(),
            ),
        ])),
        ..Secret::default()
    };
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    let mut resource = acme("acme");
    resource.spec.connection.portal_secret_ref = None;
    world.create(&resource).await;

    let running = world.spawn(world.config("solo"));
    eventually("the CredentialsRejected condition", || async {
        (condition(&world, "acme", "Ready") == Some(("False".into(), "CredentialsRejected".into())))
            .then_some(())
    })
    .await;
    running.shutdown().await;

    // Nothing listens on a port that was just freed.
    let closed = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap()
    };
    let mut unreachable = world.config("solo");
    unreachable.zoho_base_url = Some(format!("http://{closed}").parse().unwrap());
    let running = world.spawn(unreachable);
    eventually("the ZohoUnreachable condition", || async {
        (condition(&world, "acme", "Ready") == Some(("False".into(), "ZohoUnreachable".into())))
            .then_some(())
    })
    .await;
    running.shutdown().await;
}

/// Kills the operator process if a failed assertion leaves it running.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_lease_held_by_another_run_holds_the_operator_back_until_released() {
    use projectlink::apply::lease::{LeaseOptions, acquire};
    let world = World::start().await;
    world.create_secrets().await;
    let zoho = world.zoho();
    // A `projectlink apply` elsewhere holds the org's lease.
    let options = LeaseOptions {
        ttl: Duration::from_secs(300),
        wait: Duration::ZERO,
    };
    let held = acquire(&zoho.crm, &options, &mut |_| {})
        .await
        .expect("the lease is free");
    let running = world.spawn(world.config("solo"));
    let resource = acme("acme");
    world.create(&resource).await;
    eventually("Ready=False for the held lease", || async {
        (condition(&world, "acme", "Ready").map(|c| c.1) == Some("ApplyLeaseHeld".into()))
            .then_some(())
    })
    .await;
    assert!(
        world
            .pending_changes(&zoho, &owner("acme"), &resource.spec)
            .await
            > 0,
        "the operator wrote while another run held the lease"
    );
    held.release().await.unwrap();
    eventually("Ready once the lease is free", || async {
        is_ready_at_current_generation(&world, "acme").then_some(())
    })
    .await;
    assert_eq!(
        world
            .pending_changes(&zoho, &owner("acme"), &resource.spec)
            .await,
        0
    );
    running.shutdown().await;
}
