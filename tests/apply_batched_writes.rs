//! Batched writes of the data plane's first apply, in-process against the sandbox over HTTP:
//! the link records of projects created for won deals go to CRM 100 to a call, and a record
//! CRM refuses fails only its own project's change.

use std::time::Duration;

use projectlink::apply::{ApplyOptions, ApplyReport, NoProgress, OutcomeStatus, execute};
use projectlink::live::ProjectsGrant;
use projectlink::live::observe::observe;
use projectlink::plan::planner::PlanOptions;
use projectlink::plan::{Desired, Operation, Plan, plan};
use projectlink::sandbox::generate::{
    ADMIN_REFRESH_TOKEN, CLIENT_ID, CLIENT_SECRET, GenerateOptions, generate,
};
use projectlink::sandbox::limits::{FaultConfig, FaultKind};
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};

const SPEC: &str = r#"
apiVersion: projectlink.dev/v1alpha1
kind: ProjectsIntegration
metadata: {name: batched}
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

const UPSERTS: &str = "POST /crm/v8/{module}/upsert";

struct Env {
    sandbox: SandboxHandle,
    clients: ZohoClients,
    desired: Desired,
}

/// A generated org with about 230 deals at "Closed Won" (one in six), none converted yet.
async fn start() -> Env {
    start_with(FaultConfig::default()).await
}

async fn start_with(faults: FaultConfig) -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seed = generate(&GenerateOptions {
        users: 10,
        accounts: 120,
        contacts: 60,
        deals: Some(1_400),
        projects: 40,
        clients: Some(20),
        seed: 12,
        ..GenerateOptions::default()
    });
    let sandbox = Sandbox::start(SandboxConfig {
        seed: Some(seed),
        token_requests_per_10_min: None,
        faults,
        // Hundreds of project creations: a throttle wide enough not to wait for.
        projects_throttle: Some(ProjectsThrottle {
            calls: 100_000,
            window: Duration::from_secs(120),
            ..ProjectsThrottle::default()
        }),
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    let creds = ZohoCredentials {
        crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, ADMIN_REFRESH_TOKEN),
        portal: None,
    };
    let options = ClientOptions {
        projects_rate_limit: "100000/120".parse().unwrap(),
        ..ClientOptions::default()
    };
    let url = reqwest::Url::parse(&sandbox.url).unwrap();
    let clients = ZohoClients::connect(&Endpoints::single(url), &creds, &options).unwrap();
    let loaded = projectlink::spec::load_str("batched.yaml", SPEC).unwrap();
    let desired = Desired::from_spec("batched", &loaded[0].resource.spec);
    Env {
        sandbox,
        clients,
        desired,
    }
}

impl Env {
    async fn plan(&self) -> Plan {
        let observed = observe(
            &self.desired,
            &self.clients.crm,
            &self.clients.projects,
            ProjectsGrant::Connection,
        )
        .await
        .expect("observe");
        let planned = plan(&self.desired, &observed, &PlanOptions::default());
        assert!(!planned.has_errors(), "{:#?}", planned.diagnostics);
        planned
    }

    async fn apply(&self, planned: &Plan) -> ApplyReport {
        execute(
            planned,
            &self.clients.crm,
            &self.clients.projects,
            &ApplyOptions::default(),
            &NoProgress,
        )
        .await
    }
}

/// Projects to create, and link records upserted for projects that exist.
fn link_writes(planned: &Plan) -> (usize, usize) {
    let count =
        |f: &dyn Fn(&Operation) -> bool| planned.changes.iter().filter(|c| f(&c.operation)).count();
    (
        count(&|op| matches!(op, Operation::CreateLinkedProject { .. })),
        count(&|op| {
            matches!(
                op,
                Operation::UpsertLinkRecord {
                    record_id: None,
                    ..
                }
            )
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_records_of_created_projects_go_100_to_a_call() {
    let env = start().await;
    let first = env.plan().await;
    let (created, upserted) = link_writes(&first);
    assert!(created > 200, "only {created} projects to create");
    let before = env.sandbox.counters.get(UPSERTS);
    let report = env.apply(&first).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    let upserts = env.sandbox.counters.get(UPSERTS) - before;
    assert_eq!(
        upserts as usize,
        created.div_ceil(100) + upserted.div_ceil(100),
        "{created} created, {upserted} other link records"
    );
    // Every project was linked: the next plan creates none.
    let again = env.plan().await;
    assert_eq!(link_writes(&again), (0, 0), "{:#?}", again.changes);
    env.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_to_batched_writes_link_each_project_once() {
    // Some writes are carried out and lose their answer; the client sends them again, and
    // an upsert on Project_Id meets the records its first send wrote.
    let env = start_with(FaultConfig {
        rate: 0.1,
        kinds: vec![FaultKind::Lost],
    })
    .await;
    let first = env.plan().await;
    let link_module = first
        .changes
        .iter()
        .find_map(|c| match &c.operation {
            Operation::CreateLinkedProject { link_module, .. } => Some(link_module.clone()),
            _ => None,
        })
        .expect("projects to create");
    let (created, _) = link_writes(&first);
    let report = env.apply(&first).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    // Answers were lost: more creates were sent than projects made.
    let creates: u64 = env
        .sandbox
        .counters
        .writes()
        .iter()
        .filter(|(k, _)| k.starts_with("POST ") && k.ends_with("/projects"))
        .map(|(_, n)| n)
        .sum();
    assert!(creates > created as u64, "{creates} creates for {created}");
    let links = env
        .clients
        .crm
        .records(&link_module, &["Project_Id".into()], &Default::default())
        .await
        .unwrap();
    let mut project_ids: Vec<&str> = links
        .iter()
        .filter_map(|r| r.get("Project_Id").and_then(|v| v.as_str()))
        .collect();
    let all = project_ids.len();
    project_ids.sort_unstable();
    project_ids.dedup();
    assert_eq!(project_ids.len(), all, "a project is linked twice");
    let again = env.plan().await;
    assert_eq!(link_writes(&again), (0, 0), "{:#?}", again.changes);
    env.sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_record_fails_only_its_own_change() {
    let env = start().await;
    let first = env.plan().await;
    // The plan links a project to a won deal; the deal is deleted before the apply, so CRM
    // refuses that one link record (its Deal lookup points nowhere) among its batch.
    let (index, deal_id) = first
        .changes
        .iter()
        .enumerate()
        .find_map(|(i, c)| match &c.operation {
            Operation::CreateLinkedProject { request, .. } => request
                .link_fields
                .get("Deal")
                .and_then(|d| d["id"].as_str())
                .map(|id| (i, id.to_string())),
            _ => None,
        })
        .expect("a project for a won deal");
    let deleted = env
        .clients
        .crm
        .delete_records("Deals", std::slice::from_ref(&deal_id))
        .await
        .unwrap();
    assert!(deleted[0].is_ok(), "{deleted:?}");

    let report = env.apply(&first).await;
    let failed: Vec<_> = report.outcomes.iter().filter(|o| !o.succeeded()).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].address, first.changes[index].address);
    let OutcomeStatus::Failed { error } = &failed[0].status else {
        panic!("{:?}", failed[0].status);
    };
    assert!(error.contains("Deal"), "{error}");
    // The rest of its batch was written: only the refused one is still to link.
    let again = env.plan().await;
    let (created, _) = link_writes(&again);
    assert_eq!(created, 0, "{:#?}", again.changes);
    env.sandbox.stop().await;
}
