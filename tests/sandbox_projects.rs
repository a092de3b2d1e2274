//! The Projects part of the sandbox over real HTTP: every endpoint's success and its errors,
//! in the legacy `{"error":{"code","message"}}` format, and the per-user, per-API throttle.

use std::path::PathBuf;

use projectlink::sandbox::projects::seed::{PortalSeed, load};
use projectlink::sandbox::store::Store;
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use reqwest::StatusCode;
use serde_json::Value;

const ALL_SCOPES: &[&str] = &[
    "ZohoProjects.portals.READ",
    "ZohoProjects.projects.ALL",
    "ZohoProjects.users.ALL",
    "ZohoProjects.clients.ALL",
];

const SEED: &str = r#"
- name: Acme Delivery
  owner: owner@acme.com
  owner_name: Olive Owner
  users:
    - {email: pat@acme.com, name: Pat Doe, role: Manager}
    - {email: eve@acme.com, name: Eve Employee, role: Employee}
    - {email: sam@acme.com, name: Sam Roe, role: Employee, active: false}
  custom_fields:
    - {label_name: Budget Code, column_name: UDF_CHAR1, field_type: text}
    - {label_name: Seats, column_name: UDF_LONG1, field_type: number}
    - {label_name: Go-live, column_name: UDF_DATE1, field_type: date}
  templates:
    - name: Standard Delivery
      description: The usual
      users: [eve@acme.com]
      custom_fields: {UDF_CHAR1: TPL-1, UDF_LONG1: 7}
  clients:
    - name: Bowman Furniture
      users: [{email: jane@bowman.example, name: Jane Bowman}]
    - name: Carter Logistics
  projects:
    - name: Website Redesign
      owner: pat@acme.com
      start_date: 2026-01-15
      end_date: 2026-03-31
      percent_complete: 40
      users: [pat@acme.com]
      clients: [{name: Bowman Furniture, primary: true}]
      custom_fields: {UDF_CHAR1: X-1}
    - {name: Old Intranet, status: archived}
- name: Other Portal
  owner: other@else.example
  projects: [{name: Secret Project}]
- name: Empty Portal
  owner: owner@acme.com
"#;

struct Env {
    sandbox: SandboxHandle,
    store: Store,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The ids of the seeded portals, in seed order.
struct Ids {
    acme: String,
    other: String,
    empty: String,
}

impl Env {
    async fn start() -> (Env, Ids) {
        Env::start_with(SandboxConfig::default()).await
    }

    /// A sandbox over the test seed with `config` (its database is always the test's own).
    async fn start_with(config: SandboxConfig) -> (Env, Ids) {
        let env = Env::start_bare(config).await;
        let ids = env.portal_ids().await;
        (env, ids)
    }

    /// A sandbox over the test seed that has answered no call yet.
    async fn start_bare(config: SandboxConfig) -> Env {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let db: PathBuf = dir.path().join("sandbox.db");
        let store = Store::open(Some(&db)).unwrap();
        let portals: Vec<PortalSeed> = serde_saphyr::from_str(SEED).unwrap();
        store.with(|c| load(c, &portals)).unwrap();
        let sandbox = Sandbox::start(SandboxConfig {
            db: Some(db),
            ..config
        })
        .await
        .unwrap();
        Env {
            sandbox,
            store,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn portal_ids(&self) -> Ids {
        let owner = self.token("owner@acme.com", ALL_SCOPES);
        let body = self.get(&owner, "/restapi/portals/", &[]).await.1;
        let id_of = |name: &str| {
            body["portals"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["id_string"].as_str().unwrap().to_string())
        };
        let acme = id_of("Acme Delivery").unwrap();
        let empty = id_of("Empty Portal").unwrap();
        let other_token = self.token("other@else.example", ALL_SCOPES);
        let other_body = self.get(&other_token, "/restapi/portals/", &[]).await.1;
        let other = other_body["portals"][0]["id_string"]
            .as_str()
            .unwrap()
            .to_string();
        Ids { acme, other, empty }
    }

    /// Inserts a live access token for `email` with `scopes`, as the accounts endpoint would.
    fn token(&self, email: &str, scopes: &[&str]) -> String {
        self.token_expiring(email, scopes, 3_600_000)
    }

    fn token_expiring(&self, email: &str, scopes: &[&str], ttl_ms: i64) -> String {
        let token = format!("1000.test.{}.{}", email, rand_suffix());
        let expires = chrono::Utc::now().timestamp_millis() + ttl_ms;
        self.store.with(|c| {
            c.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
            c.execute(
                "INSERT INTO access_tokens
                     (token, refresh_token, client_id, user_email, scopes, expires_at_ms)
                 VALUES (?1, 'refresh', '1000.TEST', ?2, ?3, ?4)",
                rusqlite::params![token, email, scopes.join(" "), expires],
            )
            .unwrap();
        });
        token
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.url, path)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
        };
        (status, body)
    }

    async fn get(&self, token: &str, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let req = self
            .http
            .get(self.url(path))
            .query(query)
            .header("Authorization", format!("Zoho-oauthtoken {token}"));
        self.send(req).await
    }

    async fn post(&self, token: &str, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let req = self
            .http
            .post(self.url(path))
            .form(form)
            .header("Authorization", format!("Zoho-oauthtoken {token}"));
        self.send(req).await
    }

    async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let req = self
            .http
            .delete(self.url(path))
            .header("Authorization", format!("Zoho-oauthtoken {token}"));
        self.send(req).await
    }
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Asserts an error answer: status and code, and returns its message.
#[track_caller]
fn error(answer: &(StatusCode, Value), status: u16, code: u64) -> String {
    assert_eq!(answer.0.as_u16(), status, "body: {}", answer.1);
    assert_eq!(answer.1["error"]["code"], code, "body: {}", answer.1);
    answer.1["error"]["message"].as_str().unwrap().to_string()
}

fn names(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn project_id(env: &Env, token: &str, portal: &str, name: &str) -> String {
    let path = format!("/restapi/portal/{portal}/projects/");
    for status in ["active", "archived", "template"] {
        let (_, body) = env.get(token, &path, &[("status", status)]).await;
        if let Some(p) = body["projects"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["name"] == name))
        {
            return p["id_string"].as_str().unwrap().to_string();
        }
    }
    panic!("no project named {name}");
}

#[path = "sandbox_projects/auth_and_portals.rs"]
mod auth_and_portals;
#[path = "sandbox_projects/clients.rs"]
mod clients;
#[path = "sandbox_projects/projects.rs"]
mod projects;
#[path = "sandbox_projects/throttle.rs"]
mod throttle;
#[path = "sandbox_projects/users.rs"]
mod users;
#[path = "sandbox_projects/v3.rs"]
mod v3;
