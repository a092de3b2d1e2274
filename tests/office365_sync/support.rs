//! A sandbox with the demo org and tenant, the CRM and Graph clients connected to it, and
//! helpers to change either side and run the sync (observe → plan → apply) the way the CLI
//! and the operator do.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use projectlink::graph::{
    GraphClient, GraphCredentials, GraphEndpoints, GraphFolder, GraphItem, ItemKind,
};
use projectlink::live::observe::ObserveError;
use projectlink::office365::apply::{Applied365, ApplyContext, apply};
use projectlink::office365::observe::{observe, observe_on};
use projectlink::office365::state::LINK_PROPERTY;
use projectlink::office365::{Desired365, SyncKind, SyncPlan, plan};
use projectlink::sandbox::graph::GraphConfig;
use projectlink::sandbox::seed::Seed;
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use projectlink::zoho::crm::{Record, UserType};
use projectlink::zoho::{
    ClientOptions, Credentials, Endpoints, FaultScript, ZohoClients, ZohoCredentials, ZohoError,
};
use serde_json::{Map, Value, json};

pub const ADMIN: &str = "admin@acme.com";
pub const TENANT: &str = "7f3c2a10-ace0-4c6e-9d1b-000000000001";

pub struct World {
    pub sandbox: SandboxHandle,
    pub zoho: ZohoClients,
    pub graph: GraphClient,
}

/// Clients on `url`, optionally failing every call after the first `fail_after`.
fn connect(url: &str, fail_after: Option<u64>) -> (ZohoClients, GraphClient) {
    let mut options = ClientOptions::default();
    if let Some(limit) = fail_after {
        let calls = Arc::new(AtomicU64::new(0));
        let script: FaultScript = Arc::new(move |request| {
            if calls.fetch_add(1, Ordering::SeqCst) >= limit {
                Err(ZohoError::Injected {
                    request: request.clone(),
                    reason: format!("interrupted after {limit} calls"),
                })
            } else {
                Ok(())
            }
        });
        options.fault_script = Some(script);
    }
    let base = reqwest::Url::parse(url).unwrap();
    let creds = ZohoCredentials {
        crm: Credentials::new(
            "1000.ACMEDEMOCLIENT",
            "acme-demo-secret",
            "1000.acme-admin.refresh",
        ),
        portal: None,
    };
    let zoho = ZohoClients::connect(&Endpoints::single(base.clone()), &creds, &options).unwrap();
    let graph_creds = GraphCredentials::new(
        TENANT,
        "5b7e9c1d-0000-4a2b-8c3d-000000000001",
        "demo-graph-secret",
    );
    let graph =
        GraphClient::connect(&GraphEndpoints::sandbox(&base), &graph_creds, &options).unwrap();
    (zoho, graph)
}

/// The spec of an integration syncing these users' calendars and contacts.
pub fn spec(calendar: &[&str], contacts: &[&str]) -> Desired365 {
    spec_with(calendar, contacts, "")
}

/// [`spec`] with more `calendarSync` settings, e.g. `window: {pastDays: 30}`.
pub fn spec_with(calendar: &[&str], contacts: &[&str], calendar_extra: &str) -> Desired365 {
    let list = |users: &[&str]| {
        users
            .iter()
            .map(|u| format!("\"{u}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        "apiVersion: projectlink.dev/v1alpha1\nkind: Office365Integration\nmetadata: {{name: sync-test}}\nspec:\n  connection: {{graphSecretRef: {{name: graph}}}}\n  tenant: {TENANT}\n  calendarSync: {{users: [{}]{}}}\n  contactsSync: {{users: [{}]}}\n",
        list(calendar),
        if calendar_extra.is_empty() {
            String::new()
        } else {
            format!(", {calendar_extra}")
        },
        list(contacts)
    );
    let report = projectlink::spec::load_str_report("test.yaml", &text);
    assert!(
        !report.diagnostics.has_errors(),
        "{}",
        report.diagnostics.render(false)
    );
    Desired365::from_spec("sync-test", &report.office365[0].resource.spec).unwrap()
}

impl World {
    pub async fn start() -> World {
        World::start_with(GraphConfig::default()).await
    }

    pub async fn start_with(graph: GraphConfig) -> World {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sandbox = Sandbox::start(SandboxConfig {
            seed: Some(Seed::demo()),
            graph,
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
        let (zoho, graph) = connect(&sandbox.url, None);
        World {
            sandbox,
            zoho,
            graph,
        }
    }

    /// Observes and plans.
    pub async fn plan(&self, desired: &Desired365) -> SyncPlan {
        let observed = observe(desired, &self.zoho.crm, &self.graph).await.unwrap();
        plan(desired, &observed)
    }

    /// Observes and plans with the calendar window of `today`.
    pub async fn plan_on(&self, desired: &Desired365, today: DateTime<Utc>) -> SyncPlan {
        let observed = observe_on(desired, &self.zoho.crm, &self.graph, today)
            .await
            .unwrap();
        plan(desired, &observed)
    }

    /// A clean sync with the calendar window of `today`.
    pub async fn sync_on(&self, desired: &Desired365, today: DateTime<Utc>) -> SyncPlan {
        let (planned, applied) = self
            .sync_with_on(desired, &self.zoho, &self.graph, today)
            .await
            .unwrap();
        assert!(applied.failures.is_empty(), "{:?}", applied.failures);
        assert!(applied.state_saved);
        planned
    }

    /// Observes, plans and applies with these clients; the plan and what apply did.
    pub async fn sync_with(
        &self,
        desired: &Desired365,
        zoho: &ZohoClients,
        graph: &GraphClient,
    ) -> Result<(SyncPlan, Applied365), ObserveError> {
        self.sync_with_on(desired, zoho, graph, Utc::now()).await
    }

    async fn sync_with_on(
        &self,
        desired: &Desired365,
        zoho: &ZohoClients,
        graph: &GraphClient,
        today: DateTime<Utc>,
    ) -> Result<(SyncPlan, Applied365), ObserveError> {
        let observed = observe_on(desired, &zoho.crm, graph, today).await?;
        let planned = plan(desired, &observed);
        assert!(!planned.has_errors(), "{:?}", planned.diagnostics);
        let context = ApplyContext {
            journal: None,
            observed: &observed,
            progress: &|_, _| {},
        };
        let applied = apply(&planned, &context, &zoho.crm, graph).await;
        Ok((planned, applied))
    }

    /// A clean sync that must succeed completely.
    pub async fn sync(&self, desired: &Desired365) -> SyncPlan {
        let (planned, applied) = self
            .sync_with(desired, &self.zoho, &self.graph)
            .await
            .unwrap();
        assert!(applied.failures.is_empty(), "{:?}", applied.failures);
        assert!(applied.state_saved);
        planned
    }

    /// A sync whose clients fail every call after the first `calls`.
    pub async fn interrupted_sync(&self, desired: &Desired365, calls: u64) -> bool {
        let (zoho, graph) = connect(&self.sandbox.url, Some(calls));
        match self.sync_with(desired, &zoho, &graph).await {
            Ok((_, applied)) => applied.failures.is_empty() && applied.state_saved,
            Err(_) => false,
        }
    }

    pub async fn crm_user_id(&self, email: &str) -> String {
        let users = self.zoho.crm.users(UserType::AllUsers).await.unwrap();
        users
            .into_iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .unwrap()
            .id
    }

    /// Inserts records owned by `owner`; their ids in order.
    pub async fn insert(&self, module: &str, owner: &str, records: Vec<Value>) -> Vec<String> {
        let owner_id = self.crm_user_id(owner).await;
        let records: Vec<Record> = records
            .into_iter()
            .map(|r| {
                let mut record = r.as_object().unwrap().clone();
                record.insert("Owner".into(), json!({ "id": owner_id }));
                record
            })
            .collect();
        let mut ids = Vec::new();
        for chunk in records.chunks(100) {
            for result in self.zoho.crm.insert_records(module, chunk).await.unwrap() {
                ids.push(result.unwrap().id);
            }
        }
        ids
    }

    pub async fn update(&self, module: &str, id: &str, fields: Value) {
        let mut record = fields.as_object().unwrap().clone();
        record.insert("id".into(), json!(id));
        let results = self
            .zoho
            .crm
            .update_records(module, &[record])
            .await
            .unwrap();
        results[0].as_ref().unwrap();
    }

    pub async fn delete(&self, module: &str, id: &str) {
        let results = self
            .zoho
            .crm
            .delete_records(module, &[id.to_string()])
            .await
            .unwrap();
        results[0].as_ref().unwrap();
    }

    /// The records of `module` owned by `owner`, with `fields`.
    pub async fn records(
        &self,
        module: &str,
        owner: &str,
        fields: &[&str],
    ) -> Vec<Map<String, Value>> {
        let owner_id = self.crm_user_id(owner).await;
        let mut fields: Vec<&str> = fields.to_vec();
        fields.push("Owner");
        self.zoho
            .crm
            .records_modified_since(module, &fields, None)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.as_object().unwrap().clone())
            .filter(|r| r["Owner"]["id"] == json!(owner_id))
            .collect()
    }

    pub async fn mailbox(&self, email: &str) -> String {
        let users = self.graph.users().await.unwrap();
        users
            .into_iter()
            .find(|u| u.user_principal_name.eq_ignore_ascii_case(email))
            .unwrap()
            .id
    }

    /// The folder projectlink syncs `kind` into, when it exists.
    pub async fn folder(&self, user: &str, kind: SyncKind) -> Option<GraphFolder> {
        let mailbox = self.mailbox(user).await;
        self.graph
            .folders(&mailbox, item_kind(kind))
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.name == kind.folder_name())
    }

    /// Every item of the synced folder (empty when the folder does not exist).
    pub async fn items(&self, user: &str, kind: SyncKind) -> Vec<GraphItem> {
        let Some(folder) = self.folder(user, kind).await else {
            return Vec::new();
        };
        let mailbox = self.mailbox(user).await;
        self.graph
            .items(&mailbox, item_kind(kind), &folder.id, &[LINK_PROPERTY])
            .await
            .unwrap()
    }

    pub async fn create_item(&self, user: &str, kind: SyncKind, body: Value) -> String {
        let folder = self.folder(user, kind).await.unwrap();
        let mailbox = self.mailbox(user).await;
        self.graph
            .create_item(
                &mailbox,
                item_kind(kind),
                &folder.id,
                body.as_object().unwrap(),
                &BTreeMap::new(),
            )
            .await
            .unwrap()
            .id
    }

    pub async fn update_item(&self, user: &str, kind: SyncKind, id: &str, patch: Value) {
        let mailbox = self.mailbox(user).await;
        self.graph
            .update_item(
                &mailbox,
                item_kind(kind),
                id,
                patch.as_object().unwrap(),
                &BTreeMap::new(),
            )
            .await
            .unwrap();
    }

    pub async fn delete_item(&self, user: &str, kind: SyncKind, id: &str) {
        let mailbox = self.mailbox(user).await;
        self.graph
            .delete_item(&mailbox, item_kind(kind), id)
            .await
            .unwrap();
    }
}

pub fn item_kind(kind: SyncKind) -> ItemKind {
    projectlink::office365::observe::item_kind(kind)
}

/// The CRM record id an Outlook item is linked to.
pub fn linked_id(item: &GraphItem) -> Option<String> {
    let value = item
        .extended
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(LINK_PROPERTY))?
        .1;
    Some(value.split('|').next()?.to_string())
}

/// A CRM event starting `hours` from a fixed point, an hour long.
pub fn event(title: &str, start: chrono::DateTime<chrono::Utc>) -> Value {
    json!({
        "Event_Title": title,
        "Start_DateTime": start.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
        "End_DateTime": (start + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
    })
}

/// Asserts that no two Outlook items carry the same CRM record and every item is linked.
pub fn assert_no_duplicates(items: &[GraphItem]) {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        let id = linked_id(item).unwrap_or_else(|| panic!("item {} is not linked", item.id));
        assert!(seen.insert(id.clone()), "two items for CRM record {id}");
    }
}

impl World {
    /// Asserts that a fresh plan has no changes, showing it otherwise.
    pub async fn assert_in_sync(&self, desired: &Desired365) {
        let planned = self.plan(desired).await;
        assert!(
            planned.is_empty(),
            "{}\n{:#}",
            projectlink::office365::render::text(&planned),
            projectlink::office365::render::json(&planned)
        );
    }
}
