//! Microsoft Graph in the sandbox over real HTTP: the client-credentials grant, application
//! roles, users, calendars, events, contact folders, contacts, delta rounds with tombstones
//! and expiry, extended properties, throttling, counters, faults and persistence.

use std::path::PathBuf;
use std::time::Duration;

use projectlink::sandbox::graph::{GraphConfig, MailboxBudget};
use projectlink::sandbox::limits::{FaultConfig, FaultKind};
use projectlink::sandbox::seed::Seed;
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

const TENANT: &str = "11111111-aaaa-4bbb-8ccc-000000000001";
const OTHER_TENANT: &str = "22222222-aaaa-4bbb-8ccc-000000000002";
const APP: &str = "app-full";
const SECRET: &str = "s3cret";
const SCOPE: &str = "https://graph.microsoft.com/.default";
const CRM_ID: &str = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name projectlinkCrmId";

fn seed_yaml() -> String {
    let mut events = String::new();
    for day in 1..=25 {
        events.push_str(&format!(
            "              - {{subject: Meeting {day}, start: {{dateTime: \"2026-03-{day:02}T09:00:00\", timeZone: UTC}}, end: {{dateTime: \"2026-03-{day:02}T10:00:00\", timeZone: UTC}}}}\n"
        ));
    }
    for year in [2020, 2030] {
        events.push_str(&format!(
            "              - {{subject: Far away {year}, start: {{dateTime: \"{year}-01-01T09:00:00\", timeZone: UTC}}, end: {{dateTime: \"{year}-01-01T10:00:00\", timeZone: UTC}}}}\n"
        ));
    }
    format!(
        r#"
tenants:
  - id: {TENANT}
    apps:
      - {{client_id: {APP}, client_secret: {SECRET}, roles: [Calendars.ReadWrite, Contacts.ReadWrite, User.Read.All]}}
      - {{client_id: app-reader, client_secret: r, roles: [Calendars.Read]}}
    users:
      - user_principal_name: ada@acme.com
        display_name: Ada Admin
        calendars:
          - name: Calendar
            events:
{events}
        contact_folders:
          - name: CRM Contacts
            contacts:
              - {{givenName: Jane, surname: Bowman, emailAddresses: [{{address: jane@bowman.example, name: Jane Bowman}}]}}
              - {{givenName: Hank, surname: Scorpio, companyName: Globex}}
              - {{givenName: Carl, surname: Carter}}
      - {{user_principal_name: pat@acme.com, display_name: Pat Doe}}
      - {{user_principal_name: dev@acme.com, display_name: Dev Builder}}
      - {{user_principal_name: room@acme.com, display_name: Room, mailbox: false}}
  - id: {OTHER_TENANT}
    apps:
      - {{client_id: other-app, client_secret: o, roles: [Calendars.ReadWrite, User.Read.All]}}
    users:
      - {{user_principal_name: eve@other.example, display_name: Eve Other}}
"#
    )
}

struct Env {
    sandbox: SandboxHandle,
    http: reqwest::Client,
    token: String,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Env {
    async fn start() -> Env {
        Env::start_with(SandboxConfig::default()).await
    }

    async fn start_with(config: SandboxConfig) -> Env {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let own_seed = config.seed.is_none();
        let seed = Seed::parse(&seed_yaml(), "test seed").unwrap();
        let sandbox = Sandbox::start(SandboxConfig {
            seed: config.seed.clone().or(Some(seed)),
            ..config
        })
        .await
        .unwrap();
        let mut env = Env {
            sandbox,
            http: reqwest::Client::new(),
            token: String::new(),
        };
        if own_seed {
            env.token = env.grant(TENANT, APP, SECRET).await;
        }
        env
    }

    async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> Answer {
        let resp = self
            .http
            .post(format!(
                "{}/login/{tenant}/oauth2/v2.0/token",
                self.sandbox.url
            ))
            .form(form)
            .send()
            .await
            .unwrap();
        answer(resp).await
    }

    async fn grant(&self, tenant: &str, client: &str, secret: &str) -> String {
        let a = self
            .token_request(
                tenant,
                &[
                    ("client_id", client),
                    ("client_secret", secret),
                    ("scope", SCOPE),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.body["access_token"].as_str().unwrap().to_string()
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}/graph/v1.0{path}", self.sandbox.url)
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.unwrap()).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, &self.token, None, &[])
            .await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, &self.token, Some(body), &[])
            .await
    }

    async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::PATCH, path, &self.token, Some(body), &[])
            .await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.call(reqwest::Method::DELETE, path, &self.token, None, &[])
            .await
    }

    async fn default_calendar(&self, user: &str) -> String {
        let a = self.get(&format!("/users/{user}/calendars")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["isDefaultCalendar"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn contact_folder(&self, user: &str) -> String {
        let a = self.get(&format!("/users/{user}/contactFolders")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        a.body["value"][0]["id"].as_str().unwrap().to_string()
    }

    /// Follows a delta round to its end: (items, delta link, pages).
    async fn delta_round(&self, first: &str, page: Option<usize>) -> (Vec<Value>, String, usize) {
        let prefer = page.map(|n| format!("odata.maxpagesize={n}"));
        let headers: Vec<(&str, &str)> = prefer
            .as_deref()
            .map(|p| vec![("Prefer", p)])
            .unwrap_or_default();
        let mut url = first.to_string();
        let mut items = Vec::new();
        let mut pages = 0;
        loop {
            let a = self
                .call(reqwest::Method::GET, &url, &self.token, None, &headers)
                .await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.body);
            pages += 1;
            let value = a.body["value"].as_array().unwrap();
            if let Some(n) = page {
                assert!(value.len() <= n);
                assert_eq!(
                    a.headers["preference-applied"].to_str().unwrap(),
                    format!("odata.maxpagesize={n}")
                );
            }
            items.extend(value.iter().cloned());
            if let Some(next) = a.body["@odata.nextLink"].as_str() {
                assert!(a.body.get("@odata.deltaLink").is_none());
                url = next.to_string();
            } else {
                let delta = a.body["@odata.deltaLink"].as_str().unwrap().to_string();
                return (items, delta, pages);
            }
        }
    }
}

async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn assert_graph_error(a: &Answer, status: StatusCode, code: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["error"]["code"], code, "{}", a.body);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

fn ids(items: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[path = "sandbox_graph/access.rs"]
mod access;
#[path = "sandbox_graph/delta.rs"]
mod delta;
#[path = "sandbox_graph/mailbox.rs"]
mod mailbox;
#[path = "sandbox_graph/strict.rs"]
mod strict;
