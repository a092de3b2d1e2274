//! The Microsoft Graph client over real HTTP against the sandbox's Graph: the
//! client-credentials grant, users across pages, folders, items with extended properties,
//! delta rounds with tombstones and expiry, throttling answered after Retry-After, and links
//! that would carry the token elsewhere refused.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use projectlink::graph::{
    DeltaFrom, DeltaOutcome, DeltaRound, GraphApi, GraphClient, GraphCredentials, GraphEndpoints,
    GraphError, GraphItem, ItemKind,
};
use projectlink::sandbox::graph::seed::{
    GENERATED_CLIENT_ID, GENERATED_CLIENT_SECRET, GENERATED_TENANT, GenerateTenantOptions, generate,
};
use projectlink::sandbox::graph::{GraphConfig, MailboxBudget};
use projectlink::sandbox::seed::Seed;
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use projectlink::zoho::{ClientOptions, RetryPolicy};
use reqwest::Url;
use serde_json::{Map, Value, json};

/// The demo seed's tenant and its app registrations (examples/sandbox/acme-seed.yaml).
const TENANT: &str = "7f3c2a10-ace0-4c6e-9d1b-000000000001";
const APP: &str = "5b7e9c1d-0000-4a2b-8c3d-000000000001";
const SECRET: &str = "demo-graph-secret";
const READER_APP: &str = "5b7e9c1d-0000-4a2b-8c3d-000000000002";
const READER_SECRET: &str = "demo-graph-reader";

const CRM_ID: &str = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name projectlinkCrmId";
const ORIGIN_ID: &str = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name projectlinkOrigin";

fn options() -> ClientOptions {
    ClientOptions {
        retry: RetryPolicy {
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        ..ClientOptions::default()
    }
}

async fn sandbox(config: SandboxConfig) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        seed: config.seed.clone().or_else(|| Some(Seed::demo())),
        ..config
    })
    .await
    .unwrap()
}

fn endpoints(sandbox: &SandboxHandle) -> GraphEndpoints {
    GraphEndpoints::sandbox(&Url::parse(&sandbox.url).unwrap())
}

fn client_for(sandbox: &SandboxHandle, client_id: &str, secret: &str) -> GraphClient {
    let creds = GraphCredentials::new(TENANT, client_id, secret);
    GraphClient::connect(&endpoints(sandbox), &creds, &options()).unwrap()
}

async fn demo() -> (SandboxHandle, GraphClient) {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let client = client_for(&sandbox, APP, SECRET);
    (sandbox, client)
}

fn props(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn ext(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn event(subject: &str, day: u32) -> Map<String, Value> {
    props(json!({
        "subject": subject,
        "start": {"dateTime": format!("2026-05-{day:02}T09:00:00"), "timeZone": "UTC"},
        "end": {"dateTime": format!("2026-05-{day:02}T10:00:00"), "timeZone": "UTC"},
    }))
}

fn contact(given: &str) -> Map<String, Value> {
    props(json!({
        "givenName": given,
        "surname": "Tester",
        "emailAddresses": [{"address": format!("{}@example.org", given.to_lowercase()), "name": given}],
    }))
}

fn round(outcome: DeltaOutcome) -> DeltaRound {
    match outcome {
        DeltaOutcome::Round(round) => round,
        DeltaOutcome::Expired => panic!("the delta link expired"),
    }
}

fn ids(items: &[GraphItem]) -> Vec<String> {
    let mut ids: Vec<String> = items.iter().map(|i| i.id.clone()).collect();
    ids.sort();
    ids
}

#[path = "graph_client/access.rs"]
mod access;
#[path = "graph_client/delta.rs"]
mod delta;
#[path = "graph_client/mailbox.rs"]
mod mailbox;
#[path = "graph_client/scripted.rs"]
mod scripted;
