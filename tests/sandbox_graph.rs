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

/// Tenant, form, expected status and OAuth error.
type TokenCase<'a> = (&'a str, [(&'a str, &'a str); 4], StatusCode, &'a str);

#[tokio::test]
async fn the_client_credentials_grant_issues_bearer_tokens_and_refuses_bad_requests() {
    let env = Env::start().await;
    let ok = env
        .token_request(
            TENANT,
            &[
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(ok.body["expires_in"], 3600);
    assert!(ok.body["ext_expires_in"].is_u64());
    assert!(ok.body["access_token"].as_str().unwrap().len() > 20);

    let cases: [TokenCase; 5] = [
        (
            TENANT,
            [
                ("client_id", APP),
                ("client_secret", "wrong"),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            TENANT,
            [
                ("client_id", "nobody"),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
        ),
        (
            TENANT,
            [
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", "Calendars.Read"),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            TENANT,
            [
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "password"),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            "no-such-tenant",
            [
                ("client_id", APP),
                ("client_secret", SECRET),
                ("scope", SCOPE),
                ("grant_type", "client_credentials"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (tenant, form, status, error) in cases {
        let a = env.token_request(tenant, &form).await;
        assert_eq!(a.status, status, "{}", a.body);
        assert_eq!(a.body["error"], error, "{}", a.body);
        assert!(
            a.body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("AADSTS")
        );
    }
    let missing = env
        .token_request(TENANT, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.body["error_description"]
            .as_str()
            .unwrap()
            .contains("'client_id'")
    );
}

#[tokio::test]
async fn calls_need_a_live_token_and_the_right_application_role() {
    let env = Env::start().await;
    let none = env
        .call(reqwest::Method::GET, "/users", "", None, &[])
        .await;
    assert_graph_error(
        &none,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    );
    let bogus = env
        .call(reqwest::Method::GET, "/users", "nope", None, &[])
        .await;
    assert_graph_error(
        &bogus,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationToken",
    );

    let reader = env.grant(TENANT, "app-reader", "r").await;
    let read = env
        .call(
            reqwest::Method::GET,
            "/users/ada@acme.com/calendars",
            &reader,
            None,
            &[],
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let write = env
        .call(
            reqwest::Method::POST,
            "/users/ada@acme.com/calendars",
            &reader,
            Some(json!({"name": "X"})),
            &[],
        )
        .await;
    assert_graph_error(&write, StatusCode::FORBIDDEN, "ErrorAccessDenied");
    let contacts = env
        .call(
            reqwest::Method::GET,
            "/users/ada@acme.com/contactFolders",
            &reader,
            None,
            &[],
        )
        .await;
    assert_graph_error(&contacts, StatusCode::FORBIDDEN, "ErrorAccessDenied");
    let users = env
        .call(reqwest::Method::GET, "/users", &reader, None, &[])
        .await;
    assert_graph_error(&users, StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let env = Env::start_with(SandboxConfig {
        token_ttl: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await;
    let a = env.get("/users").await;
    assert_graph_error(&a, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn users_list_in_pages_and_resolve_by_id_or_principal_name_within_the_tenant() {
    let env = Env::start().await;
    let first = env.get("/users?$top=3&$select=displayName,mail").await;
    assert_eq!(first.status, StatusCode::OK);
    let page = first.body["value"].as_array().unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(page[0]["displayName"], "Ada Admin");
    assert_eq!(page[0]["mail"], "ada@acme.com");
    assert!(page[0]["id"].is_string());
    assert!(page[0].get("userPrincipalName").is_none());
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    let second = env.get(next).await;
    let rest = second.body["value"].as_array().unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["displayName"], "Room");
    assert!(
        rest[0].get("userPrincipalName").is_none(),
        "$select carries over"
    );
    assert!(second.body.get("@odata.nextLink").is_none());

    let by_upn = env.get("/users/PAT@acme.com").await;
    assert_eq!(by_upn.status, StatusCode::OK);
    assert_eq!(by_upn.body["userPrincipalName"], "pat@acme.com");
    let id = by_upn.body["id"].as_str().unwrap();
    let by_id = env.get(&format!("/users/{id}")).await;
    assert_eq!(by_id.body["displayName"], "Pat Doe");

    let other = env.get("/users/eve@other.example").await;
    assert_graph_error(&other, StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let filtered = env.get("/users?$filter=displayName eq 'dev builder'").await;
    assert_eq!(filtered.body["value"].as_array().unwrap().len(), 1);
    let bad_top = env.get("/users?$top=5000").await;
    assert_graph_error(
        &bad_top,
        StatusCode::BAD_REQUEST,
        "Request_UnsupportedQuery",
    );
}

#[tokio::test]
async fn calendars_are_listed_created_and_deleted() {
    let env = Env::start().await;
    let list = env.get("/users/pat@acme.com/calendars").await;
    let cals = list.body["value"].as_array().unwrap();
    assert_eq!(cals.len(), 1);
    assert_eq!(cals[0]["name"], "Calendar");
    assert_eq!(cals[0]["isDefaultCalendar"], true);

    let created = env
        .post("/users/pat@acme.com/calendars", json!({"name": "Projects"}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["isDefaultCalendar"], false);
    let again = env
        .post("/users/pat@acme.com/calendars", json!({"name": "projects"}))
        .await;
    assert_graph_error(&again, StatusCode::CONFLICT, "ErrorFolderExists");
    let nameless = env.post("/users/pat@acme.com/calendars", json!({})).await;
    assert_graph_error(&nameless, StatusCode::BAD_REQUEST, "ErrorInvalidRequest");
    let unknown_prop = env
        .post(
            "/users/pat@acme.com/calendars",
            json!({"name": "Y", "colour": "red"}),
        )
        .await;
    assert_graph_error(&unknown_prop, StatusCode::BAD_REQUEST, "BadRequest");

    let gone = env
        .delete(&format!("/users/pat@acme.com/calendars/{id}"))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing = env
        .delete(&format!("/users/pat@acme.com/calendars/{id}"))
        .await;
    assert_graph_error(&missing, StatusCode::NOT_FOUND, "ErrorItemNotFound");
    let default = env.default_calendar("pat@acme.com").await;
    let keep = env
        .delete(&format!("/users/pat@acme.com/calendars/{default}"))
        .await;
    assert_graph_error(&keep, StatusCode::BAD_REQUEST, "ErrorInvalidRequest");

    let no_user = env.get("/users/ghost@acme.com/calendars").await;
    assert_graph_error(&no_user, StatusCode::NOT_FOUND, "ErrorInvalidUser");
    let no_mailbox = env.get("/users/room@acme.com/calendars").await;
    assert_graph_error(
        &no_mailbox,
        StatusCode::NOT_FOUND,
        "MailboxNotEnabledForRESTAPI",
    );
    let foreign = env.get("/users/eve@other.example/calendars").await;
    assert_graph_error(&foreign, StatusCode::NOT_FOUND, "ErrorInvalidUser");
}

#[tokio::test]
async fn events_are_created_read_updated_and_deleted_with_graph_shapes() {
    let env = Env::start().await;
    let cal = env.default_calendar("pat@acme.com").await;
    let base = format!("/users/pat@acme.com/calendars/{cal}/events");
    let created = env
        .post(
            &base,
            json!({
                "subject": "Kickoff",
                "body": {"contentType": "html", "content": "<p>Agenda</p>"},
                "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"},
                "location": {"displayName": "Room 1"},
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let e = &created.body;
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(e["subject"], "Kickoff");
    assert_eq!(e["start"]["dateTime"], "2026-04-01T09:00:00.0000000");
    assert_eq!(e["start"]["timeZone"], "UTC");
    assert_eq!(e["isAllDay"], false);
    assert!(e["createdDateTime"].as_str().unwrap().ends_with('Z'));
    assert!(e["@odata.etag"].as_str().unwrap().starts_with("W/\""));
    let key = e["changeKey"].as_str().unwrap().to_string();

    let via_user = env.get(&format!("/users/pat@acme.com/events/{id}")).await;
    assert_eq!(via_user.body["location"]["displayName"], "Room 1");
    let via_cal = env.get(&format!("{base}/{id}?$select=subject")).await;
    assert_eq!(via_cal.body["subject"], "Kickoff");
    assert!(via_cal.body.get("location").is_none());

    let patched = env
        .patch(
            &format!("/users/pat@acme.com/events/{id}"),
            json!({"subject": "Kickoff v2"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["subject"], "Kickoff v2");
    assert_eq!(patched.body["location"]["displayName"], "Room 1");
    assert_ne!(patched.body["changeKey"], key.as_str());

    let bad = [
        json!({"subject": "x"}),
        json!({"subject": "x", "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
               "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}, "colour": 1}),
        json!({"subject": 5, "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
               "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}}),
        json!({"start": {"dateTime": "yesterday", "timeZone": "UTC"},
               "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}}),
    ];
    for body in bad {
        let a = env.post(&base, body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
        assert!(a.body["error"]["code"].is_string());
    }
    let reversed = env
        .patch(
            &format!("/users/pat@acme.com/events/{id}"),
            json!({"end": {"dateTime": "2026-03-01T10:00:00", "timeZone": "UTC"}}),
        )
        .await;
    assert_graph_error(&reversed, StatusCode::BAD_REQUEST, "ErrorInvalidRequest");
    let not_json = env
        .http
        .post(env.url(&base))
        .bearer_auth(&env.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);

    let deleted = env.delete(&format!("{base}/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let after = env.get(&format!("/users/pat@acme.com/events/{id}")).await;
    assert_graph_error(&after, StatusCode::NOT_FOUND, "ErrorItemNotFound");
}

#[tokio::test]
async fn event_listings_page_filter_and_select() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let base = format!("/users/ada@acme.com/calendars/{cal}/events");
    let first = env.get(&format!("{base}?$top=20&$select=subject")).await;
    assert_eq!(first.body["value"].as_array().unwrap().len(), 20);
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    let second = env.get(next).await;
    assert_eq!(second.body["value"].as_array().unwrap().len(), 7);
    assert!(second.body.get("@odata.nextLink").is_none());

    let march_late = env
        .get(&format!(
            "{base}?$filter=start/dateTime ge '2026-03-20T00:00:00' and start/dateTime lt '2026-04-01T00:00:00'&$top=100"
        ))
        .await;
    assert_eq!(march_late.status, StatusCode::OK, "{}", march_late.body);
    assert_eq!(march_late.body["value"].as_array().unwrap().len(), 6);
    let recent = env
        .get(&format!(
            "{base}?$filter=lastModifiedDateTime ge 2000-01-01T00:00:00Z&$top=100"
        ))
        .await;
    assert_eq!(recent.body["value"].as_array().unwrap().len(), 27);
    let default_events = env.get("/users/ada@acme.com/events?$top=1").await;
    assert_eq!(default_events.body["value"].as_array().unwrap().len(), 1);

    for bad in [
        "$filter=subject like 'x'",
        "$orderby=subject",
        "$top=many",
        "$expand=attachments",
    ] {
        let a = env.get(&format!("{base}?{bad}")).await;
        assert_graph_error(&a, StatusCode::BAD_REQUEST, "BadRequest");
    }
    let unknown = env.get("/users/ada@acme.com/mailFolders").await;
    assert_graph_error(&unknown, StatusCode::BAD_REQUEST, "BadRequest");
}

#[tokio::test]
async fn contact_folders_and_contacts_support_crud() {
    let env = Env::start().await;
    let folder = env
        .post(
            "/users/pat@acme.com/contactFolders",
            json!({"displayName": "Clients"}),
        )
        .await;
    assert_eq!(folder.status, StatusCode::CREATED, "{}", folder.body);
    let fid = folder.body["id"].as_str().unwrap().to_string();
    assert!(folder.body["parentFolderId"].is_string());
    let dup = env
        .post(
            "/users/pat@acme.com/contactFolders",
            json!({"displayName": "Clients"}),
        )
        .await;
    assert_graph_error(&dup, StatusCode::CONFLICT, "ErrorFolderExists");

    let base = format!("/users/pat@acme.com/contactFolders/{fid}/contacts");
    let created = env
        .post(
            &base,
            json!({
                "givenName": "Jane", "surname": "Bowman",
                "emailAddresses": [{"address": "jane@bowman.example", "name": "Jane Bowman"}],
                "businessPhones": ["+1 555 0100"], "companyName": "Bowman", "jobTitle": "Buyer",
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let cid = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["displayName"], "Jane Bowman");
    assert_eq!(created.body["parentFolderId"], fid.as_str());
    assert_eq!(created.body["mobilePhone"], Value::Null);

    let listed = env.get(&base).await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    let by_email = env
        .get(&format!(
            "{base}?$filter=emailAddresses/any(a:a/address eq 'JANE@bowman.example')"
        ))
        .await;
    assert_eq!(
        by_email.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        by_email.body
    );

    let patched = env
        .patch(
            &format!("/users/pat@acme.com/contacts/{cid}"),
            json!({"mobilePhone": "+1 555 0199"}),
        )
        .await;
    assert_eq!(patched.body["mobilePhone"], "+1 555 0199");
    assert_eq!(patched.body["givenName"], "Jane");
    let wrong = env
        .patch(
            &format!("/users/pat@acme.com/contacts/{cid}"),
            json!({"nick": "JB"}),
        )
        .await;
    assert_graph_error(&wrong, StatusCode::BAD_REQUEST, "BadRequest");

    let got = env.get(&format!("{base}/{cid}")).await;
    assert_eq!(got.body["mobilePhone"], "+1 555 0199");
    assert_eq!(
        env.delete(&format!("{base}/{cid}")).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = env
        .get(&format!("/users/pat@acme.com/contacts/{cid}"))
        .await;
    assert_graph_error(&gone, StatusCode::NOT_FOUND, "ErrorItemNotFound");

    assert_eq!(
        env.delete(&format!("/users/pat@acme.com/contactFolders/{fid}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let no_folder = env.get(&base).await;
    assert_graph_error(&no_folder, StatusCode::NOT_FOUND, "ErrorItemNotFound");
}

#[tokio::test]
async fn calendar_view_delta_pages_the_first_round_then_reports_only_changes() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let first = format!(
        "/users/ada@acme.com/calendars/{cal}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    );
    let (items, delta, pages) = env.delta_round(&first, Some(10)).await;
    assert_eq!(
        items.len(),
        25,
        "the two events outside the window are left out"
    );
    assert_eq!(pages, 3);
    assert!(items.iter().all(|i| i.get("@removed").is_none()));
    assert!(
        items
            .iter()
            .all(|i| i["subject"].as_str().unwrap().starts_with("Meeting"))
    );

    // Nothing changed: an empty round.
    let (none, delta, _) = env.delta_round(&delta, None).await;
    assert!(none.is_empty(), "{none:?}");

    let base = format!("/users/ada@acme.com/calendars/{cal}/events");
    let created = env
        .post(&base, json!({"subject": "New", "start": {"dateTime": "2026-05-01T09:00:00", "timeZone": "UTC"},
                            "end": {"dateTime": "2026-05-01T10:00:00", "timeZone": "UTC"}}))
        .await;
    let new_id = created.body["id"].as_str().unwrap().to_string();
    let updated_id = items[3]["id"].as_str().unwrap().to_string();
    let deleted_id = items[7]["id"].as_str().unwrap().to_string();
    env.patch(&format!("{base}/{updated_id}"), json!({"subject": "Moved"}))
        .await;
    env.delete(&format!("{base}/{deleted_id}")).await;
    // An event created and kept outside the window is not reported.
    env.post(
        &base,
        json!({"subject": "Later", "start": {"dateTime": "2031-05-01T09:00:00", "timeZone": "UTC"},
                           "end": {"dateTime": "2031-05-01T10:00:00", "timeZone": "UTC"}}),
    )
    .await;

    let (changes, _, _) = env.delta_round(&delta, Some(2)).await;
    let live: Vec<&Value> = changes
        .iter()
        .filter(|c| c.get("@removed").is_none())
        .collect();
    let removed: Vec<&Value> = changes
        .iter()
        .filter(|c| c.get("@removed").is_some())
        .collect();
    let mut expected_live = vec![new_id.clone(), updated_id.clone()];
    expected_live.sort();
    let live_ids: Vec<Value> = live.iter().map(|v| (*v).clone()).collect();
    assert_eq!(ids(&live_ids), expected_live);
    assert!(live.iter().any(|e| e["subject"] == "Moved"));
    // The deleted event and the one outside the window come as tombstones.
    assert!(
        removed
            .iter()
            .any(|r| r["id"] == deleted_id.as_str() && r["@removed"]["reason"] == "deleted")
    );
    assert_eq!(removed.len(), 2, "{changes:?}");
}

#[tokio::test]
async fn calendar_view_delta_requires_a_window_and_rejects_stale_tokens() {
    let env = Env::start_with(SandboxConfig {
        graph: GraphConfig {
            delta_token_ttl: Duration::ZERO,
            ..GraphConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let cal = env.default_calendar("ada@acme.com").await;
    let no_window = env
        .get(&format!(
            "/users/ada@acme.com/calendars/{cal}/calendarView/delta"
        ))
        .await;
    assert_graph_error(&no_window, StatusCode::BAD_REQUEST, "ErrorInvalidParameter");
    let first = format!(
        "/users/ada@acme.com/calendars/{cal}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    );
    let a = env
        .call(
            reqwest::Method::GET,
            &first,
            &env.token,
            None,
            &[("Prefer", "odata.maxpagesize=100")],
        )
        .await;
    let delta = a.body["@odata.deltaLink"].as_str().unwrap();
    let stale = env.get(delta).await;
    assert_graph_error(&stale, StatusCode::GONE, "SyncStateNotFound");
    let garbage = env
        .get(&format!(
            "/users/ada@acme.com/calendars/{cal}/calendarView/delta?$deltatoken=garbage"
        ))
        .await;
    assert_graph_error(&garbage, StatusCode::GONE, "SyncStateNotFound");
}

#[tokio::test]
async fn a_delta_token_from_another_folder_means_a_full_resync() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    let other = env
        .post("/users/ada@acme.com/calendars", json!({"name": "Side"}))
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let first = format!(
        "/users/ada@acme.com/calendars/{cal}/calendarView/delta?startDateTime=2026-01-01T00:00:00Z&endDateTime=2027-01-01T00:00:00Z"
    );
    let (_, delta, _) = env.delta_round(&first, Some(100)).await;
    let token = delta.split("$deltatoken=").nth(1).unwrap();
    let wrong = env
        .get(&format!(
            "/users/ada@acme.com/calendars/{other}/calendarView/delta?$deltatoken={token}"
        ))
        .await;
    assert_graph_error(&wrong, StatusCode::GONE, "SyncStateNotFound");
}

#[tokio::test]
async fn contacts_delta_reports_creates_updates_and_tombstones() {
    let env = Env::start().await;
    let folder = env.contact_folder("ada@acme.com").await;
    let first = format!("/users/ada@acme.com/contactFolders/{folder}/contacts/delta");
    let (items, delta, pages) = env.delta_round(&first, Some(2)).await;
    assert_eq!(items.len(), 3);
    assert_eq!(pages, 2);
    let base = format!("/users/ada@acme.com/contactFolders/{folder}/contacts");
    let jane = items.iter().find(|c| c["givenName"] == "Jane").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let hank = items.iter().find(|c| c["givenName"] == "Hank").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.patch(&format!("{base}/{jane}"), json!({"jobTitle": "Head Buyer"}))
        .await;
    env.delete(&format!("{base}/{hank}")).await;
    let (changes, _, _) = env.delta_round(&delta, None).await;
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(
        changes
            .iter()
            .any(|c| c["id"] == jane.as_str() && c["jobTitle"] == "Head Buyer")
    );
    assert!(
        changes
            .iter()
            .any(|c| c["id"] == hank.as_str() && c["@removed"]["reason"] == "deleted")
    );
}

#[tokio::test]
async fn extended_properties_are_written_expanded_and_filtered() {
    let env = Env::start().await;
    let cal = env.default_calendar("pat@acme.com").await;
    let base = format!("/users/pat@acme.com/calendars/{cal}/events");
    let mut made = Vec::new();
    for n in ["100", "200"] {
        let a = env
            .post(
                &base,
                json!({"subject": format!("Linked {n}"),
                       "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                       "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"},
                       "singleValueExtendedProperties": [{"id": CRM_ID, "value": n}]}),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        assert!(a.body.get("singleValueExtendedProperties").is_none());
        made.push(a.body["id"].as_str().unwrap().to_string());
    }
    let plain = env.get(&format!("{base}/{}", made[0])).await;
    assert!(plain.body.get("singleValueExtendedProperties").is_none());
    let expand = format!("$expand=singleValueExtendedProperties($filter=id eq '{CRM_ID}')");
    let expanded = env.get(&format!("{base}/{}?{expand}", made[0])).await;
    assert_eq!(
        expanded.body["singleValueExtendedProperties"],
        json!([{"id": CRM_ID, "value": "100"}])
    );

    let filter = |v: &str| {
        format!(
            "$filter=singleValueExtendedProperties/Any(ep: ep/id eq '{CRM_ID}' and ep/value eq '{v}')"
        )
    };
    let found = env.get(&format!("{base}?{}&{expand}", filter("200"))).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    let value = found.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["id"], made[1].as_str());
    assert_eq!(value[0]["singleValueExtendedProperties"][0]["value"], "200");

    env.patch(
        &format!("{base}/{}", made[1]),
        json!({"singleValueExtendedProperties": [{"id": CRM_ID, "value": "300"}]}),
    )
    .await;
    assert!(
        env.get(&format!("{base}?{}", filter("200"))).await.body["value"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        env.get(&format!("{base}?{}", filter("300"))).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let bad_id = env
        .post(
            &base,
            json!({"start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                   "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"},
                   "singleValueExtendedProperties": [{"id": "Nonsense", "value": "1"}]}),
        )
        .await;
    assert_graph_error(&bad_id, StatusCode::BAD_REQUEST, "BadRequest");

    let folder = env
        .post(
            "/users/pat@acme.com/contactFolders",
            json!({"displayName": "CRM"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cbase = format!("/users/pat@acme.com/contactFolders/{folder}/contacts");
    env.post(
        &cbase,
        json!({"givenName": "A", "singleValueExtendedProperties": [{"id": CRM_ID, "value": "c1"}]}),
    )
    .await;
    env.post(&cbase, json!({"givenName": "B"})).await;
    let c = env.get(&format!("{cbase}?{}&{expand}", filter("c1"))).await;
    let value = c.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["givenName"], "A");
    assert_eq!(value[0]["singleValueExtendedProperties"][0]["id"], CRM_ID);
}

#[tokio::test]
async fn a_mailbox_over_its_budget_gets_429_with_retry_after() {
    let env = Env::start_with(SandboxConfig {
        graph: GraphConfig {
            mailbox_budget: Some(MailboxBudget {
                requests: 3,
                per: Duration::from_secs(3600),
            }),
            ..GraphConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            env.get("/users/pat@acme.com/calendars").await.status,
            StatusCode::OK
        );
    }
    let refused = env.get("/users/pat@acme.com/calendars").await;
    assert_graph_error(
        &refused,
        StatusCode::TOO_MANY_REQUESTS,
        "ApplicationThrottled",
    );
    let wait: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait));
    // Another mailbox and the directory are not affected.
    assert_eq!(
        env.get("/users/ada@acme.com/calendars").await.status,
        StatusCode::OK
    );
    assert_eq!(env.get("/users").await.status, StatusCode::OK);
}

#[tokio::test]
async fn graph_calls_are_counted_per_template_and_spend_no_crm_credits() {
    let env = Env::start().await;
    let cal = env.default_calendar("ada@acme.com").await;
    for _ in 0..3 {
        env.get(&format!("/users/ada@acme.com/calendars/{cal}/events"))
            .await;
    }
    let counters = &env.sandbox.counters;
    assert_eq!(
        counters.get("GET /graph/v1.0/users/{user_id}/calendars/{calendar_id}/events"),
        3
    );
    assert_eq!(counters.get("GET /graph/v1.0/users/{user_id}/calendars"), 1);
    assert_eq!(counters.get("POST /login/{tenant}/oauth2/v2.0/token"), 1);
    assert_eq!(env.sandbox.limits.credits_used(), 0);
}

#[tokio::test]
async fn injected_faults_answer_in_graph_format_but_spare_the_token_endpoint() {
    let env = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::ServerError],
        },
        ..SandboxConfig::default()
    })
    .await;
    let a = env.get("/users").await;
    assert_graph_error(&a, StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError");
    let env429 = Env::start_with(SandboxConfig {
        faults: FaultConfig {
            rate: 1.0,
            kinds: vec![FaultKind::TooManyRequests],
        },
        ..SandboxConfig::default()
    })
    .await;
    let b = env429.get("/users").await;
    assert_eq!(b.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(b.headers.contains_key("retry-after"));
}

#[tokio::test]
async fn graph_data_and_tokens_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("sandbox.db");
    let config = || SandboxConfig {
        db: Some(db.clone()),
        ..SandboxConfig::default()
    };
    let env = Env::start_with(config()).await;
    let cal = env.default_calendar("dev@acme.com").await;
    let id = env
        .post(
            &format!("/users/dev@acme.com/calendars/{cal}/events"),
            json!({"subject": "Persisted", "start": {"dateTime": "2026-04-01T09:00:00", "timeZone": "UTC"},
                   "end": {"dateTime": "2026-04-01T10:00:00", "timeZone": "UTC"}}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let token = env.token.clone();
    let Env { sandbox, .. } = env;
    sandbox.stop().await;

    let again = Env::start_with(config()).await;
    let got = again
        .call(
            reqwest::Method::GET,
            &format!("/users/dev@acme.com/events/{id}"),
            &token,
            None,
            &[],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.body);
    assert_eq!(got.body["subject"], "Persisted");
}

#[tokio::test]
async fn the_demo_seed_has_a_tenant_matching_crm_users() {
    let env = Env::start_with(SandboxConfig {
        seed: Some(Seed::demo()),
        ..SandboxConfig::default()
    })
    .await;
    let demo = Seed::demo();
    let tenant = &demo.tenants[0];
    let app = &tenant.apps[0];
    let token = env
        .grant(&tenant.id, &app.client_id, &app.client_secret)
        .await;
    let users = env
        .call(reqwest::Method::GET, "/users", &token, None, &[])
        .await;
    let upns: Vec<&str> = users.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    assert!(upns.contains(&"admin@acme.com") && upns.contains(&"pat@acme.com"));
    assert!(
        upns.contains(&"nora@acme.com"),
        "a mailbox without a CRM user"
    );
}
