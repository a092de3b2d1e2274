//! A CRM module larger than Zoho's 100,000-record paging reach is listed whole over HTTP
//! against the sandbox, at the call cost docs/large-modules.md gives: one call per 200
//! records plus one per restart.

use std::collections::HashSet;

use projectlink::sandbox::generate::{self, GenerateOptions};
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use projectlink::zoho::crm::RecordQuery;
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};

/// Records one page holds at most (`per_page`).
const PAGE_MAX: usize = 200;
/// Records one `page_token` listing reaches.
const REACH: usize = 100_000;

async fn sandbox_with_contacts(contacts: usize, dir: &tempfile::TempDir) -> SandboxHandle {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let seed = generate::generate(&GenerateOptions {
        users: 2,
        accounts: 0,
        contacts,
        deals: Some(0),
        projects: 0,
        clients: Some(0),
        seed: 12,
        ..GenerateOptions::default()
    });
    Sandbox::start(SandboxConfig {
        db: Some(dir.path().join("sandbox.db")),
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn clients(sandbox: &SandboxHandle) -> ZohoClients {
    let creds = ZohoCredentials {
        crm: Credentials::new(
            generate::CLIENT_ID,
            generate::CLIENT_SECRET,
            generate::ADMIN_REFRESH_TOKEN,
        ),
        portal: None,
    };
    let url = reqwest::Url::parse(&sandbox.url).unwrap();
    ZohoClients::connect(&Endpoints::single(url), &creds, &ClientOptions::default()).unwrap()
}

/// Calls a full listing of `n` records costs when each restart's boundary second holds at
/// most a page of records: a page per 200 records, plus one per restart.
fn listing_bound(n: usize) -> u64 {
    let restarts = n.saturating_sub(1) / REACH;
    (n.div_ceil(PAGE_MAX) + restarts) as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_past_the_paging_reach_is_listed_whole() {
    const CONTACTS: usize = 150_000;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = sandbox_with_contacts(CONTACTS, &dir).await;
    let crm = clients(&sandbox).crm;
    let fields = vec!["Last_Name".to_string(), "Email".to_string()];
    let before = crm.stats().crm_calls;

    let records = crm
        .records("Contacts", &fields, &RecordQuery::default())
        .await
        .unwrap();

    let calls = crm.stats().crm_calls - before;
    let ids: HashSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(records.len(), CONTACTS, "each record once");
    assert_eq!(ids.len(), CONTACTS, "every record, by distinct id");
    let emails: HashSet<&str> = records
        .iter()
        .map(|r| r["Email"].as_str().unwrap())
        .collect();
    assert!(emails.contains("contact0@customers.example"));
    assert!(emails.contains("contact149999@customers.example"));
    assert!(
        records.iter().all(|r| !r.contains_key("Modified_Time")),
        "the records carry the fields asked for, not the listing's sort key"
    );
    assert_eq!(calls, listing_bound(CONTACTS), "{calls} calls");
}
