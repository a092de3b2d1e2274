//! End-to-end tests of the portal users and client companies between full observations: the
//! real binary against the sandbox over HTTP. A no-change plan reads one page of each
//! whatever the org's size; a portal user added or removed or a client company created
//! between two runs changes Zoho's count of the listing and is in the next incremental plan;
//! a role changed past the first page, which Zoho does not signal, waits for the full resync.

mod cli_support;

use std::collections::BTreeMap;
use std::time::Duration;

use cli_support::Harness;
use projectlink::sandbox::generate::{self, GenerateOptions, generate};
use projectlink::sandbox::projects::model::Role;
use projectlink::sandbox::projects::seed::{ClientSeed, PortalUserSeed};
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::zoho::projects::{NewClient, PortalUserFilter};
use projectlink::zoho::{ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials};
use serde_json::Value;

/// A generated org of 20 projects whose portal has `users` more users and `clients` more
/// client companies than the generator gives (so that both list across pages: 50 users and
/// 200 client companies to a page), applied once.
struct Org {
    h: Harness,
    spec: String,
    credentials: String,
}

impl Org {
    fn applied(users: usize, clients: usize) -> Org {
        let options = GenerateOptions {
            users: 10,
            accounts: 20,
            contacts: 20,
            deals: Some(5),
            projects: 20,
            seed: 11,
            ..GenerateOptions::default()
        };
        let mut seed = generate(&options);
        let portal = &mut seed.portals[0];
        portal.users.extend((0..users).map(|i| PortalUserSeed {
            email: format!("member{i:04}@generated.example"),
            name: Some(format!("Member {i}")),
            role: if i % 3 == 0 {
                Role::Manager
            } else {
                Role::Employee
            },
            active: i % 17 != 5,
        }));
        portal.clients.extend((0..clients).map(|i| ClientSeed {
            name: format!("Extra Client {i:04}"),
            website: None,
            phone: None,
            users: Vec::new(),
        }));
        let text = serde_json::to_string(&seed).unwrap();
        // The runs here stay far below Zoho's per-API limit; the tests are about reads.
        let h = Harness::with_config(&text, |config| {
            config.projects_throttle =
                Some(ProjectsThrottle::per(100_000, Duration::from_secs(120)));
        });
        let spec = h.write(
            "steady.yaml",
            &cli_support::generated_spec("steady", &["Accounts", "Deals"], false),
        );
        let credentials = h.write("credentials.yaml", &cli_support::generated_credentials());
        let org = Org {
            h,
            spec: spec.to_str().unwrap().to_string(),
            credentials: credentials.to_str().unwrap().to_string(),
        };
        org.ok(&["apply", "-f", &org.spec, "--auto-approve"]);
        org
    }

    /// Runs the binary; no overlap, since these runs are seconds apart and the listings'
    /// signals are what is tested.
    fn ok(&self, extra: &[&str]) -> String {
        let mut args = vec![
            "--credentials",
            &self.credentials,
            "--projects-rate-limit",
            "100000/120",
            "--observation-overlap",
            "0s",
        ];
        args.extend_from_slice(extra);
        let run = self.h.run(&args);
        assert_eq!(
            run.code, 0,
            "stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        run.stdout
    }

    /// A JSON plan and the Zoho Projects requests it made, by endpoint.
    fn plan(&self, extra: &[&str]) -> (Value, BTreeMap<String, u64>) {
        let before = self.h.sandbox().counters.snapshot();
        let mut args = vec!["plan", "-f", self.spec.as_str(), "--format", "json"];
        args.extend_from_slice(extra);
        let doc: Value = serde_json::from_str(&self.ok(&args)).unwrap();
        let spent = self
            .h
            .sandbox()
            .counters
            .snapshot()
            .into_iter()
            .filter(|(k, _)| k.contains("/restapi/") || k.contains("/api/v3"))
            .filter_map(|(k, n)| {
                let spent = n - before.get(&k).copied().unwrap_or(0);
                (spent > 0).then_some((k, spent))
            })
            .collect();
        (doc, spent)
    }

    /// API clients of the generated org: its CRM administrator, and its portal owner for
    /// Projects.
    fn zoho(&self) -> ZohoClients {
        let grant =
            |token: &str| Credentials::new(generate::CLIENT_ID, generate::CLIENT_SECRET, token);
        let creds = ZohoCredentials {
            crm: grant(generate::ADMIN_REFRESH_TOKEN),
            portal: Some(grant(generate::OWNER_REFRESH_TOKEN)),
        };
        let url = reqwest::Url::parse(&self.h.url).unwrap();
        ZohoClients::connect(&Endpoints::single(url), &creds, &ClientOptions::default()).unwrap()
    }

    fn portal_id(&self, zoho: &ZohoClients) -> String {
        self.h.runtime.block_on(async {
            let portals = zoho.projects.portals().await.unwrap();
            portals
                .into_iter()
                .find(|p| p.name == "Generated Delivery")
                .unwrap()
                .id
        })
    }

    /// The observation cache in the state directory.
    fn cache(&self) -> Value {
        let dir = self.h.path("state").join("observations");
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .unwrap_or_else(|| panic!("no cache in {}", dir.display()));
        serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap()
    }
}

fn observation_kind(doc: &Value) -> &str {
    doc["plan"]["observation"]["kind"].as_str().unwrap()
}

/// Requests to the listing at `path` (a path template's end).
fn calls_to(calls: &BTreeMap<String, u64>, path: &str) -> u64 {
    calls
        .iter()
        .filter(|(k, _)| k.starts_with("GET ") && k.ends_with(path))
        .map(|(_, n)| n)
        .sum()
}

/// The emails of the portal users in the cache.
fn cached_users(cache: &Value) -> Vec<String> {
    cache["observed"]["portal_users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_string())
        .collect()
}

/// The names of the client companies in the cache.
fn cached_clients(cache: &Value) -> Vec<String> {
    cache["observed"]["data"]["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Zoho Projects requests of a no-change incremental plan, with the portal users and client
/// companies as cached.
fn steady(org: &Org) -> (BTreeMap<String, u64>, usize, usize) {
    // Watermarks are set back by how far this machine's clock seems ahead of Zoho's, read
    // from whole-second `Date` headers: the apply's own writes of the last second would be
    // listed as changes again, so the runs start clear of them.
    std::thread::sleep(Duration::from_secs(2));
    org.plan(&[]);
    let (doc, calls) = org.plan(&[]);
    assert_eq!(observation_kind(&doc), "incremental", "{doc:#}");
    let cache = org.cache();
    (
        calls,
        cached_users(&cache).len(),
        cached_clients(&cache).len(),
    )
}

#[test]
fn a_no_change_plan_reads_one_page_of_users_and_of_clients_whatever_the_org_size() {
    let (small, small_users, small_clients) = steady(&Org::applied(60, 220));
    let (large, large_users, large_clients) = steady(&Org::applied(160, 640));
    // Both orgs list users and clients across pages (50 and 200 to a page).
    assert!(
        small_users > 50 && small_clients > 200,
        "{small_users} {small_clients}"
    );
    assert!(
        large_users > 100 && large_clients > 400,
        "{large_users} {large_clients}"
    );
    assert_eq!(small, large, "Projects calls of a no-change plan");
    assert_eq!(calls_to(&small, "/users"), 1, "{small:#?}");
    assert_eq!(calls_to(&small, "/clients"), 1, "{small:#?}");
}

#[test]
fn a_portal_user_added_between_runs_is_in_the_next_incremental_plan() {
    let org = Org::applied(70, 10);
    let (doc, _) = org.plan(&[]);
    assert_eq!(observation_kind(&doc), "incremental");
    let zoho = org.zoho();
    let portal = org.portal_id(&zoho);
    let newcomer = "newcomer@generated.example";
    org.h.runtime.block_on(async {
        zoho.projects
            .add_portal_users(&portal, &[newcomer.to_string()], "Employee")
            .await
            .unwrap();
    });
    let (doc, calls) = org.plan(&[]);
    assert_eq!(observation_kind(&doc), "incremental", "{doc:#}");
    assert!(cached_users(&org.cache()).contains(&newcomer.to_string()));
    assert!(calls_to(&calls, "/users") > 1, "read whole: {calls:#?}");
    let incremental = org.cache()["observed"]["portal_users"].clone();
    let (full, _) = org.plan(&["--full-resync"]);
    assert_eq!(observation_kind(&full), "full");
    assert_eq!(org.cache()["observed"]["portal_users"], incremental);
    assert_eq!(doc["plan"]["fingerprints"], full["plan"]["fingerprints"]);
}

#[test]
fn a_role_changed_past_the_first_page_waits_for_the_full_resync() {
    let org = Org::applied(70, 10);
    org.plan(&[]);
    let zoho = org.zoho();
    let portal = org.portal_id(&zoho);
    let last = org.h.runtime.block_on(async {
        let users = zoho
            .projects
            .portal_users(&portal, PortalUserFilter::All)
            .await
            .unwrap();
        assert!(users.len() > 50, "{} users", users.len());
        let last = users.last().unwrap().clone();
        let role = if last.role.as_deref() == Some("Manager") {
            "Employee"
        } else {
            "Manager"
        };
        zoho.projects
            .update_portal_user(&portal, last.zpuid.as_deref().unwrap(), role)
            .await
            .unwrap();
        (last.email.to_ascii_lowercase(), role)
    });
    let role_of = |cache: &Value| {
        cache["observed"]["portal_users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == last.0)
            .map(|u| u["role"].as_str().unwrap().to_string())
            .unwrap()
    };
    let (doc, _) = org.plan(&[]);
    assert_eq!(observation_kind(&doc), "incremental");
    assert_ne!(role_of(&org.cache()), last.1, "Zoho gives no signal for it");
    let (full, _) = org.plan(&["--full-resync"]);
    assert_eq!(observation_kind(&full), "full");
    assert_eq!(role_of(&org.cache()), last.1);
}

#[test]
fn a_client_company_created_between_runs_is_in_the_next_incremental_plan() {
    let org = Org::applied(10, 230);
    org.plan(&[]);
    let zoho = org.zoho();
    let portal = org.portal_id(&zoho);
    org.h.runtime.block_on(async {
        let client = NewClient {
            name: "Zenith Newcomers".into(),
            website: None,
            phone: None,
        };
        zoho.projects.create_client(&portal, &client).await.unwrap();
    });
    let (doc, calls) = org.plan(&[]);
    assert_eq!(observation_kind(&doc), "incremental", "{doc:#}");
    assert!(
        cached_clients(&org.cache()).contains(&"Zenith Newcomers".to_string()),
        "{calls:#?}"
    );
    let incremental = org.cache()["observed"]["data"]["clients"].clone();
    let (full, _) = org.plan(&["--full-resync"]);
    assert_eq!(org.cache()["observed"]["data"]["clients"], incremental);
    assert_eq!(doc["plan"]["fingerprints"], full["plan"]["fingerprints"]);
    assert_eq!(doc["plan"]["changes"], full["plan"]["changes"]);
}

#[test]
fn a_portal_user_removed_between_runs_is_gone_from_the_next_incremental_plan() {
    let org = Org::applied(70, 10);
    org.plan(&[]);
    let zoho = org.zoho();
    let portal = org.portal_id(&zoho);
    // Past the first page: only Zoho's count of the listing tells it went.
    let gone = "member0065@generated.example";
    let zpuid = org.h.runtime.block_on(async {
        let users = zoho
            .projects
            .portal_users(&portal, PortalUserFilter::All)
            .await
            .unwrap();
        users
            .into_iter()
            .find(|u| u.email == gone)
            .and_then(|u| u.zpuid)
            .unwrap()
    });
    // Through the legacy API's `DELETE /users/{UID}/`: the client has no removal, since
    // projectlink never removes portal users.
    org.h.runtime.block_on(async {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!("{}/oauth/v2/token", org.h.url))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", generate::CLIENT_ID),
                ("client_secret", generate::CLIENT_SECRET),
                ("refresh_token", generate::OWNER_REFRESH_TOKEN),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap();
        let removed = http
            .delete(format!(
                "{}/restapi/portal/{portal}/users/{zpuid}/",
                org.h.url
            ))
            .header("Authorization", format!("Zoho-oauthtoken {token}"))
            .send()
            .await
            .unwrap();
        assert!(
            removed.status().is_success(),
            "{}",
            removed.text().await.unwrap()
        );
    });
    let (doc, calls) = org.plan(&[]);
    assert_eq!(observation_kind(&doc), "incremental", "{doc:#}");
    assert!(!cached_users(&org.cache()).contains(&gone.to_string()));
    assert!(calls_to(&calls, "/users") > 1, "read whole: {calls:#?}");
    let (full, _) = org.plan(&["--full-resync"]);
    assert_eq!(doc["plan"]["fingerprints"], full["plan"]["fingerprints"]);
}
