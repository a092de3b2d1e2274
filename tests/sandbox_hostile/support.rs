//! The harness of the hostile-request tests: one sandbox per test process on its own
//! runtime, real tokens from its token endpoints, a probe (one request of any shape) and
//! the check every answer must pass — below 500, the service's error envelope, and a
//! healthy sandbox afterwards.

use std::io::{Read, Write};
use std::sync::OnceLock;
use std::time::Duration;

use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::sandbox::seed::{RefreshTokenSeed, Seed};
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError};
use reqwest::Method;
use serde_json::Value;

const ZOHO_CLIENT: (&str, &str) = ("1000.ACMEDEMOCLIENT", "acme-demo-secret");
/// The administrator's grant with every scope the probes need, COQL's included.
const ZOHO_REFRESH: &str = "1000.hostile-admin.refresh";
const ZOHO_SCOPES: [&str; 9] = [
    "ZohoCRM.settings.ALL",
    "ZohoCRM.modules.ALL",
    "ZohoCRM.users.ALL",
    "ZohoCRM.org.READ",
    "ZohoCRM.coql.READ",
    "ZohoProjects.portals.READ",
    "ZohoProjects.projects.ALL",
    "ZohoProjects.users.ALL",
    "ZohoProjects.clients.ALL",
];
const TENANT: &str = "7f3c2a10-ace0-4c6e-9d1b-000000000001";
const GRAPH_APP: (&str, &str) = ("5b7e9c1d-0000-4a2b-8c3d-000000000001", "demo-graph-secret");

/// `cases` cases from a fixed seed, writing no regression files.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5A4D_B0C5),
        failure_persistence: None,
        ..Config::default()
    }
}

/// Text a careless or hostile client sends.
pub fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0usize..4_000, "[()\\[\\]{}]").prop_map(|(n, c)| c.repeat(n)),
        // Deep nesting around something each parser would otherwise accept.
        (0usize..5_000)
            .prop_map(|n| { format!("{}(Last_Name:equals:x){}", "(".repeat(n), ")".repeat(n)) }),
        (0usize..5_000).prop_map(|n| format!("{}Last_Name = 'x'{}", "(".repeat(n), ")".repeat(n))),
        "[0-9]{18,40}",
        "-?[0-9]{1,25}(\\.[0-9]{0,5})?",
        "\\PC{0,48}",
        "[\\x00-\\x1f\\x7f'\"\\\\%&=+#?/(),:]{0,48}",
        // Long, within what a URL can carry (the client refuses URIs past 64 KiB).
        (1usize..3_000).prop_map(|n| "é".repeat(n)),
        (1usize..12_000).prop_map(|n| "x".repeat(n)),
        prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        Just(String::new()),
    ]
}

/// The API a probe speaks to, which decides the error envelope it must get back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Accounts,
    Crm,
    ProjectsLegacy,
    ProjectsV3,
    Graph,
    GraphLogin,
}

/// A request body and the content type it is sent under.
#[derive(Debug, Clone)]
pub struct Body {
    content_type: String,
    bytes: Vec<u8>,
}

impl Body {
    pub fn json(value: Value) -> Body {
        Body::raw("application/json", value.to_string())
    }

    pub fn raw(content_type: &str, text: impl Into<String>) -> Body {
        Body {
            content_type: content_type.to_string(),
            bytes: text.into().into_bytes(),
        }
    }
}

/// One request of any shape.
#[derive(Debug, Clone)]
pub struct Probe {
    service: Service,
    method: Method,
    /// Already percent-encoded; `{portal}` and `{tenant}` are filled in when sent.
    path: String,
    query: Vec<(String, String)>,
    body: Option<Body>,
    authenticated: bool,
}

impl Probe {
    pub fn get(service: Service, path: &str) -> Probe {
        Probe {
            service,
            method: Method::GET,
            path: path.to_string(),
            query: Vec::new(),
            body: None,
            authenticated: true,
        }
    }

    pub fn post(service: Service, path: &str, body: Body) -> Probe {
        Probe {
            method: Method::POST,
            body: Some(body),
            ..Probe::get(service, path)
        }
    }

    pub fn with_query<K: ToString>(mut self, pairs: Vec<(K, String)>) -> Probe {
        self.query = pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        self
    }

    /// The path `prefix` followed by `text` as one percent-encoded segment.
    pub fn with_segment(mut self, prefix: &str, text: &str) -> Probe {
        let encoded: String = text
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        self.path = format!("{prefix}{encoded}");
        self
    }

    /// Appends `suffix` (already encoded) to the path.
    pub fn then(mut self, suffix: &str) -> Probe {
        self.path.push_str(suffix);
        self
    }

    pub fn with_body(mut self, body: Body) -> Probe {
        self.body = Some(body);
        self
    }

    pub fn with_method(mut self, method: Method) -> Probe {
        self.method = method;
        self
    }

    pub fn anonymous(mut self) -> Probe {
        self.authenticated = false;
        self
    }
}

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// A running sandbox with tokens for every API.
pub struct Twin {
    rt: tokio::runtime::Runtime,
    sandbox: SandboxHandle,
    http: reqwest::Client,
    zoho_token: String,
    graph_token: String,
    portal: String,
    /// Id of admin@acme.com's default calendar, for delta tokens that name it.
    pub calendar: String,
}

static TWIN: OnceLock<Twin> = OnceLock::new();

impl Twin {
    /// The sandbox of this test process (nextest runs each test in its own process).
    pub fn shared() -> &'static Twin {
        TWIN.get_or_init(Twin::start)
    }

    fn start() -> Twin {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let mut seed = Seed::demo();
        seed.oauth_clients[0].refresh_tokens.push(RefreshTokenSeed {
            token: ZOHO_REFRESH.to_string(),
            user: "admin@acme.com".to_string(),
            scopes: ZOHO_SCOPES.iter().map(|s| s.to_string()).collect(),
        });
        let config = SandboxConfig {
            seed: Some(seed),
            // Every probe is a call to the same few APIs: neither the Projects throttle
            // nor the token mint limit may turn the parsers' answers into refusals.
            projects_throttle: Some(ProjectsThrottle::per(1_000_000, Duration::from_secs(120))),
            token_requests_per_10_min: None,
            ..SandboxConfig::default()
        };
        let sandbox = rt.block_on(Sandbox::start(config)).expect("sandbox starts");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let url = sandbox.url.clone();
        let (zoho_token, graph_token, portal, calendar) = rt.block_on(async {
            let zoho: Value = http
                .post(format!("{url}/oauth/v2/token"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("client_id", ZOHO_CLIENT.0),
                    ("client_secret", ZOHO_CLIENT.1),
                    ("refresh_token", ZOHO_REFRESH),
                ])
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .expect("a Zoho token")
                .json()
                .await
                .expect("a token body");
            let graph: Value = http
                .post(format!("{url}/login/{TENANT}/oauth2/v2.0/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", GRAPH_APP.0),
                    ("client_secret", GRAPH_APP.1),
                    ("scope", "https://graph.microsoft.com/.default"),
                ])
                .send()
                .await
                .expect("a Graph token")
                .json()
                .await
                .expect("a token body");
            let zoho = zoho["access_token"]
                .as_str()
                .expect("access_token")
                .to_string();
            let portals: Value = http
                .get(format!("{url}/api/v3/portals"))
                .header("Authorization", format!("Zoho-oauthtoken {zoho}"))
                .send()
                .await
                .expect("portals")
                .json()
                .await
                .expect("a portals body");
            let portal = match &portals[0]["id"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let graph = graph["access_token"]
                .as_str()
                .expect("access_token")
                .to_string();
            let calendars: Value = http
                .get(format!("{url}/graph/v1.0/users/admin@acme.com/calendars"))
                .bearer_auth(&graph)
                .send()
                .await
                .expect("calendars")
                .json()
                .await
                .expect("a calendars body");
            let calendar = calendars["value"][0]["id"]
                .as_str()
                .expect("a calendar")
                .to_string();
            (zoho, graph, portal, calendar)
        });
        Twin {
            rt,
            sandbox,
            http,
            zoho_token,
            graph_token,
            portal,
            calendar,
        }
    }

    /// Sends `probe`, checks its answer and that the sandbox still serves afterwards.
    pub fn check(&self, probe: Probe) -> Result<Answer, TestCaseError> {
        self.rt.block_on(async {
            let answer = self
                .send(&probe)
                .await
                .map_err(|e| TestCaseError::fail(format!("no answer to {}: {e}", brief(&probe))))?;
            if answer.status >= 500 {
                return Err(TestCaseError::fail(format!(
                    "{} answered {}: {}",
                    brief(&probe),
                    answer.status,
                    answer.body
                )));
            }
            if let Err(why) = envelope(probe.service, &answer) {
                return Err(TestCaseError::fail(format!(
                    "{}: {why}: {} {}",
                    brief(&probe),
                    answer.status,
                    answer.body
                )));
            }
            self.healthy(&probe).await?;
            Ok(answer)
        })
    }

    async fn send(&self, probe: &Probe) -> Result<Answer, reqwest::Error> {
        let path = probe
            .path
            .replace("{portal}", &self.portal)
            .replace("{tenant}", TENANT);
        let mut request = self
            .http
            .request(probe.method.clone(), format!("{}{path}", self.sandbox.url))
            .query(&probe.query);
        if probe.authenticated {
            request = match probe.service {
                Service::Graph => request.bearer_auth(&self.graph_token),
                _ => request.header(
                    "Authorization",
                    format!("Zoho-oauthtoken {}", self.zoho_token),
                ),
            };
        }
        if let Some(body) = &probe.body {
            request = request
                .header("Content-Type", &body.content_type)
                .body(body.bytes.clone());
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Answer { status, body })
    }

    async fn healthy(&self, after: &Probe) -> Result<(), TestCaseError> {
        let org = self
            .http
            .get(format!("{}/crm/v8/org", self.sandbox.url))
            .header(
                "Authorization",
                format!("Zoho-oauthtoken {}", self.zoho_token),
            )
            .send()
            .await;
        match org {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(TestCaseError::fail(format!(
                "after {} the health request answered {}",
                brief(after),
                r.status()
            ))),
            Err(e) => Err(TestCaseError::fail(format!(
                "after {} the sandbox stopped answering: {e}",
                brief(after)
            ))),
        }
    }

    /// POSTs `size` bytes of JSON-ish text chunked (no Content-Length) over a raw socket and
    /// returns the head and start of the answer.
    pub fn raw_chunked(&self, path: &str, size: usize) -> String {
        let mut stream = std::net::TcpStream::connect(self.sandbox.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(20))).ok();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
             Connection: close\r\n\r\n",
            self.sandbox.addr, self.graph_token
        );
        let mut reader = stream.try_clone().expect("a second handle");
        let read = std::thread::spawn(move || {
            let mut got = Vec::new();
            let _ = reader.read_to_end(&mut got);
            String::from_utf8_lossy(&got).into_owned()
        });
        let _ = stream.write_all(head.as_bytes());
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..size.div_ceil(chunk.len()) {
            let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if stream.write_all(&framed).is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        read.join().expect("the reader")
    }
}

fn brief(probe: &Probe) -> String {
    let query: String = probe
        .query
        .iter()
        .map(|(k, v)| format!("{k}={}", cut(v)))
        .collect::<Vec<_>>()
        .join("&");
    let body = probe
        .body
        .as_ref()
        .map(|b| {
            format!(
                " [{}] {}",
                b.content_type,
                cut(&String::from_utf8_lossy(&b.bytes))
            )
        })
        .unwrap_or_default();
    format!("{} {}?{query}{body}", probe.method, cut(&probe.path))
}

fn cut(s: &str) -> String {
    let short: String = s.chars().take(80).collect();
    if short.len() < s.len() {
        format!("{short}…({} chars)", s.chars().count())
    } else {
        short
    }
}

/// Whether an answer is a success or the error envelope of `service`.
fn envelope(service: Service, answer: &Answer) -> Result<(), &'static str> {
    let b = &answer.body;
    let failed = answer.status >= 400;
    let ok = match service {
        Service::Crm if !failed => true,
        Service::Crm => {
            let bare = |v: &Value| v["code"].is_string() && v["status"] == "error";
            // A batch refused for a per-item reason: `{"data": [{code, status, ...}]}`.
            let wrapped = b.as_object().is_some_and(|o| {
                o.len() == 1
                    && o.values().all(|v| {
                        v.as_array()
                            .is_some_and(|items| !items.is_empty() && items.iter().all(bare))
                    })
            });
            bare(b) || wrapped
        }
        Service::ProjectsLegacy => {
            !failed || (b["error"]["code"].is_u64() && b["error"]["message"].is_string())
        }
        Service::ProjectsV3 => {
            // V3 spells `status_code` as a string.
            !failed || (b["error"]["title"].is_string() && !b["error"]["status_code"].is_null())
        }
        Service::Graph => {
            !failed || (b["error"]["code"].is_string() && b["error"]["message"].is_string())
        }
        // Zoho Accounts answers a refused grant with 200 and an `error` member.
        Service::Accounts => b["error"].is_string() || b["access_token"].is_string(),
        Service::GraphLogin => {
            (b["error"].is_string() && b["error_description"].is_string())
                || b["access_token"].is_string()
        }
    };
    if ok {
        Ok(())
    } else {
        Err("not the service's error envelope")
    }
}
