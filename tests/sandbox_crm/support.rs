//! Shared by the CRM sandbox tests: start a sandbox on an ephemeral port with the demo org
//! (or a variant), obtain tokens through the real token endpoint, and call the API.

#![allow(dead_code)]

use projectlink::sandbox::seed::{RefreshTokenSeed, Seed};
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const CLIENT_ID: &str = "1000.ACMEDEMOCLIENT";
pub const CLIENT_SECRET: &str = "acme-demo-secret";
pub const ADMIN_REFRESH: &str = "1000.acme-admin.refresh";

/// A running sandbox and an HTTP client.
pub struct Env {
    pub sandbox: SandboxHandle,
    pub http: reqwest::Client,
    /// An access token of the CRM administrator's grant.
    pub admin: String,
    pub dir: tempfile::TempDir,
}

/// An answer: status, JSON body (`Null` when empty) and headers.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub headers: HeaderMap,
}

impl Answer {
    /// Asserts a whole-request Zoho error and returns its body.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], "error", "body: {}", self.body);
        &self.body
    }

    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(
            self.status.is_success(),
            "status {} body: {}",
            self.status,
            self.body
        );
        &self.body
    }
}

/// The demo seed with extra grants: `(refresh token, user email, scopes)`.
pub fn demo_with_grants(grants: &[(&str, &str, &[&str])]) -> Seed {
    let mut seed = Seed::demo();
    for (token, user, scopes) in grants {
        seed.oauth_clients[0].refresh_tokens.push(RefreshTokenSeed {
            token: token.to_string(),
            user: user.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        });
    }
    seed
}

impl Env {
    /// The demo org with default limits, in a fresh database file.
    pub async fn start() -> Env {
        Env::start_with(SandboxConfig::default()).await
    }

    /// A sandbox with `config` (the demo seed and a fresh database file unless given).
    pub async fn start_with(mut config: SandboxConfig) -> Env {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        if config.db.is_none() {
            config.db = Some(dir.path().join("sandbox.db"));
        }
        if config.seed.is_none() {
            config.seed = Some(Seed::demo());
        }
        let sandbox = Sandbox::start(config).await.unwrap();
        let http = reqwest::Client::new();
        let mut env = Env {
            sandbox,
            http,
            admin: String::new(),
            dir,
        };
        env.admin = env.token(ADMIN_REFRESH).await;
        env
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.url, path)
    }

    /// Exchanges a refresh token for an access token at `/oauth/v2/token`.
    pub async fn token(&self, refresh: &str) -> String {
        let answer = self.token_request(refresh).await;
        answer.body["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no token: {}", answer.body))
            .to_string()
    }

    pub async fn token_request(&self, refresh: &str) -> Answer {
        let req = self.http.post(self.url("/oauth/v2/token")).form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", refresh),
        ]);
        send(req).await
    }

    /// A request as the administrator.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        self.call_as(&self.admin, method, path, query, body).await
    }

    pub async fn call_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.url(path))
            .query(query)
            .header("Authorization", format!("Zoho-oauthtoken {token}"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        send(req).await
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.call(Method::GET, path, query, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, &[], Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, &[], Some(body)).await
    }

    /// Sends raw bytes (for malformed bodies).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &str,
    ) -> Answer {
        let req = self
            .http
            .request(method, self.url(path))
            .query(query)
            .header("Authorization", format!("Zoho-oauthtoken {}", self.admin))
            .header("Content-Type", "application/json")
            .body(body.to_string());
        send(req).await
    }

    /// The id of the first record of `module` whose `field` equals `value`.
    pub async fn record_id(&self, module: &str, field: &str, value: &str) -> String {
        let answer = self
            .get(
                &format!("/crm/v8/{module}"),
                &[("fields", field), ("per_page", "200")],
            )
            .await;
        answer.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[field] == value)
            .unwrap_or_else(|| panic!("no {module} with {field} = {value}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The id of the user with `email`.
    pub async fn user_id(&self, email: &str) -> String {
        let answer = self.get("/crm/v8/users", &[]).await;
        answer.body["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

pub async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    Answer {
        status,
        body,
        headers,
    }
}
