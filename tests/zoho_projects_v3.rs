//! The Projects client against the sandbox's Projects twin over HTTP: every V3 call the
//! client makes (paging across several pages, templates by `copy_from`, `cf_` fields, users
//! and roles, client companies), the V3 error envelope, the legacy fallback for what V3 does
//! not offer, the per-API lock and the pacing that keeps clear of it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use projectlink::sandbox::projects::seed::ProjectSeed;
use projectlink::sandbox::projects_throttle::ProjectsThrottle;
use projectlink::sandbox::seed::Seed;
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use projectlink::zoho::pacing::RateLimit;
use projectlink::zoho::projects::{
    NewClient, NewProject, PortalUserFilter, ProjectFilter, ProjectStatus, ProjectUpdate,
};
use projectlink::zoho::{
    ClientOptions, Credentials, Endpoints, ZohoClients, ZohoCredentials, ZohoError,
};
use serde_json::json;

const CLIENT_ID: &str = "1000.ACMEDEMOCLIENT";
const CLIENT_SECRET: &str = "acme-demo-secret";
const OWNER_REFRESH: &str = "1000.acme-portal-owner.refresh";

struct Env {
    sandbox: SandboxHandle,
    _dir: tempfile::TempDir,
}

async fn start(seed: Seed, throttle: ProjectsThrottle) -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let config = SandboxConfig {
        db: Some(dir.path().join("sandbox.db")),
        seed: Some(seed),
        projects_throttle: Some(throttle),
        ..SandboxConfig::default()
    };
    Env {
        sandbox: Sandbox::start(config).await.unwrap(),
        _dir: dir,
    }
}

/// A throttle no test here comes near, unless it means to.
fn roomy() -> ProjectsThrottle {
    ProjectsThrottle::per(10_000, Duration::from_secs(120))
}

fn clients_with(
    env: &Env,
    limit: RateLimit,
    notices: Option<Arc<Mutex<Vec<String>>>>,
) -> ZohoClients {
    let creds = ZohoCredentials {
        crm: Credentials::new(CLIENT_ID, CLIENT_SECRET, OWNER_REFRESH),
        portal: None,
    };
    let options = ClientOptions {
        projects_rate_limit: limit,
        wait_notice: notices.map(|n| {
            Arc::new(move |line: &str| n.lock().unwrap().push(line.to_string()))
                as projectlink::zoho::pacing::WaitNotice
        }),
        ..ClientOptions::default()
    };
    let url = reqwest::Url::parse(&env.sandbox.url).unwrap();
    ZohoClients::connect(&Endpoints::single(url), &creds, &options).unwrap()
}

fn clients(env: &Env) -> ZohoClients {
    clients_with(env, RateLimit::DEFAULT, None)
}

async fn portal_id(clients: &ZohoClients) -> String {
    let portals = clients.projects.portals().await.unwrap();
    portals
        .iter()
        .find(|p| p.name == "Acme Delivery")
        .unwrap()
        .id
        .clone()
}

/// Requests the sandbox saw whose path template starts with `prefix`.
fn count(env: &Env, prefix: &str) -> u64 {
    env.sandbox
        .counters
        .snapshot()
        .iter()
        .filter(|(k, _)| {
            k.split_once(' ')
                .is_some_and(|(_, p)| p.starts_with(prefix))
        })
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn projects_are_listed_through_v3_across_pages_of_200() {
    let mut seed = Seed::demo();
    for i in 0..450 {
        let project: ProjectSeed =
            serde_json::from_value(json!({"name": format!("Bulk {i:03}")})).unwrap();
        seed.portals[0].projects.push(project);
    }
    let env = start(seed, roomy()).await;
    let clients = clients(&env);
    let portal = portal_id(&clients).await;
    let active = clients
        .projects
        .projects(&portal, ProjectFilter::Active)
        .await
        .unwrap();
    // The demo's two active projects and the 450 added.
    assert_eq!(active.len(), 452);
    assert!(
        active
            .iter()
            .all(|p| p.id.len() >= 16 && p.id.parse::<u64>().unwrap() > 1 << 53)
    );
    let all = clients
        .projects
        .projects(&portal, ProjectFilter::ActiveAndArchived)
        .await
        .unwrap();
    assert_eq!(all.len(), 453);
    let templates = clients
        .projects
        .projects(&portal, ProjectFilter::Templates)
        .await
        .unwrap();
    assert_eq!(templates.len(), 1);
    assert_eq!(templates[0].status, ProjectStatus::Template);
    assert_eq!(
        env.sandbox
            .counters
            .get("GET /api/v3/portal/{portal_id}/projects"),
        3 + 3 + 1
    );
    assert_eq!(count(&env, "/restapi"), 0, "nothing went to the legacy API");
}

#[tokio::test]
async fn a_project_is_created_from_a_template_updated_and_trashed_through_v3() {
    let env = start(Seed::demo(), roomy()).await;
    let clients = clients(&env);
    let portal = portal_id(&clients).await;
    let fields = clients
        .projects
        .project_custom_fields(&portal)
        .await
        .unwrap();
    assert_eq!(fields[0].column_name, "UDF_CHAR1");
    assert_eq!(fields[0].api_name.as_deref(), Some("cf_budget_code"));
    let template = &clients
        .projects
        .projects(&portal, ProjectFilter::Templates)
        .await
        .unwrap()[0];
    let owner = clients
        .projects
        .portal_users(&portal, PortalUserFilter::Active)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "pat@acme.com")
        .unwrap();
    let created = clients
        .projects
        .create_project(
            &portal,
            &NewProject {
                name: "Harbor Fitout".into(),
                description: Some("From the CRM".into()),
                owner: owner.zpuid.clone(),
                start_date: chrono::NaiveDate::from_ymd_opt(2026, 4, 1),
                end_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 30),
                template_id: Some(template.id.clone()),
                custom_fields: [("UDF_CHAR1".to_string(), "HB-1".to_string())].into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(created.template_id.as_deref(), Some(template.id.as_str()));
    assert_eq!(created.owner_email.as_deref(), Some("pat@acme.com"));
    assert_eq!(
        created.end_date,
        chrono::NaiveDate::from_ymd_opt(2026, 6, 30)
    );
    let updated = clients
        .projects
        .update_project(
            &portal,
            &created.id,
            &ProjectUpdate {
                name: Some("Harbor Fitout II".into()),
                status: Some(ProjectStatus::Archived),
                percent_complete: Some(55),
                custom_fields: [("UDF_CHAR1".to_string(), "HB-2".to_string())].into(),
                ..ProjectUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name, "Harbor Fitout II");
    assert_eq!(updated.status, ProjectStatus::Archived);
    assert_eq!(updated.percent_complete, Some(55));
    let read = clients
        .projects
        .project(&portal, &created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.custom_fields[0].value.as_deref(), Some("HB-2"));
    clients
        .projects
        .delete_project(&portal, &created.id)
        .await
        .unwrap();
    assert!(
        clients
            .projects
            .project(&portal, &created.id)
            .await
            .unwrap()
            .is_none()
    );
    let counters = env.sandbox.counters.snapshot();
    assert_eq!(counters["POST /api/v3/portal/{portal_id}/projects"], 1);
    assert_eq!(
        counters["PATCH /api/v3/portal/{portal_id}/projects/{project_id}"],
        1
    );
    assert_eq!(
        counters["POST /api/v3/portal/{portal_id}/projects/{project_id}/trash"],
        1
    );
    assert_eq!(count(&env, "/restapi"), 0);
}

#[tokio::test]
async fn v3_errors_arrive_with_their_title_and_message() {
    let env = start(Seed::demo(), roomy()).await;
    let clients = clients(&env);
    let portal = portal_id(&clients).await;
    let duplicate = clients
        .projects
        .create_project(
            &portal,
            &NewProject {
                name: "Website Redesign".into(),
                ..NewProject::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(duplicate.status(), Some(400));
    assert_eq!(
        duplicate.code(),
        Some("INVALID_PARAMETER_VALUE"),
        "{duplicate}"
    );
    assert!(
        duplicate.to_string().contains("POST /api/v3/portal/"),
        "{duplicate}"
    );
    let unknown_field = clients
        .projects
        .update_project(
            &portal,
            &clients
                .projects
                .projects(&portal, ProjectFilter::Active)
                .await
                .unwrap()[0]
                .id,
            &ProjectUpdate {
                custom_fields: [("UDF_NOPE".to_string(), "x".to_string())].into(),
                ..ProjectUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(unknown_field, ZohoError::InvalidInput(_)),
        "{unknown_field}"
    );
    assert!(
        clients
            .projects
            .project(&portal, "1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(clients.projects.portal("99").await.unwrap().is_none());
}

#[tokio::test]
async fn users_roles_clients_and_the_legacy_only_capabilities() {
    let env = start(Seed::demo(), roomy()).await;
    let clients = clients(&env);
    let portal = portal_id(&clients).await;
    let p = &clients.projects;
    let all = p
        .portal_users(&portal, PortalUserFilter::All)
        .await
        .unwrap();
    let active = p
        .portal_users(&portal, PortalUserFilter::Active)
        .await
        .unwrap();
    assert!(all.iter().any(|u| u.email == "lee@acme.com" && !u.active));
    assert!(active.iter().all(|u| u.active));
    assert!(
        all.iter().any(|u| u.role.as_deref() == Some("admin")),
        "the owner is the legacy admin"
    );
    let added = p
        .add_portal_users(&portal, &["new.hire@acme.com".into()], "Employee")
        .await
        .unwrap();
    assert_eq!(added[0].role.as_deref(), Some("Employee"));
    let zpuid = added[0].zpuid.clone().unwrap();
    let promoted = p
        .update_portal_user(&portal, &zpuid, "Manager")
        .await
        .unwrap();
    assert_eq!(promoted.role.as_deref(), Some("Manager"));
    let project = &p.projects(&portal, ProjectFilter::Active).await.unwrap()[0];
    p.add_project_users(
        &portal,
        &project.id,
        &["new.hire@acme.com".into()],
        "Employee",
    )
    .await
    .unwrap();
    let members = p.project_users(&portal, &project.id).await.unwrap();
    assert!(members.iter().any(|u| u.email == "new.hire@acme.com"));

    let companies = p.clients(&portal).await.unwrap();
    assert!(companies.iter().any(|c| c.name == "Bowman Furniture"));
    let created = p
        .create_client(
            &portal,
            &NewClient {
                name: "Initech".into(),
                website: Some("https://initech.example".into()),
                phone: None,
            },
        )
        .await
        .unwrap();
    let user = p
        .add_client_user(
            &portal,
            &created.id,
            "peter@initech.example",
            Some("Peter Gibbons"),
        )
        .await
        .unwrap();
    p.add_client_user_to_projects(&portal, &user.id, std::slice::from_ref(&project.id))
        .await
        .unwrap();
    let users = p.client_users(&portal, &created.id).await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email, "peter@initech.example");
    assert_eq!(users[0].client_id.as_deref(), Some(created.id.as_str()));
    p.add_project_client(&portal, &project.id, &created.id, false)
        .await
        .unwrap();
    let on_project = p.project_clients(&portal, &project.id).await.unwrap();
    assert!(on_project.iter().any(|c| c.id == created.id && !c.primary));

    let counters = env.sandbox.counters.snapshot();
    assert_eq!(
        counters["GET /api/v3/portal/{portal_id}/settings/roles"], 1,
        "roles are read once"
    );
    assert_eq!(counters["POST /api/v3/portal/{portal_id}/clients"], 1);
    assert_eq!(
        counters["GET /restapi/portal/{portal_id}/projects/{project_id}/clients/"],
        1
    );
    // Only the four capabilities without a V3 form touched the legacy API.
    assert_eq!(count(&env, "/restapi"), 4);
}

/// Another tool using the same Zoho user calls the portal listing `times` times.
async fn another_tool_lists_portals(env: &Env, times: usize) {
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{}/oauth/v2/token", env.sandbox.url))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", OWNER_REFRESH),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_string();
    for _ in 0..times {
        http.get(format!("{}/api/v3/portals", env.sandbox.url))
            .header("Authorization", format!("Zoho-oauthtoken {access}"))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_locked_api_is_reported_with_its_end_and_never_called_again_meanwhile() {
    let throttle = ProjectsThrottle {
        lockout: Duration::from_secs(600),
        ..ProjectsThrottle::per(5, Duration::from_secs(60))
    };
    let env = start(Seed::demo(), throttle).await;
    another_tool_lists_portals(&env, 5).await;
    let clients = clients(&env);
    let error = clients.projects.portals().await.unwrap_err();
    let ZohoError::Locked { until, .. } = &error else {
        panic!("not a lock: {error}");
    };
    let left = *until - chrono::Utc::now();
    assert!(
        left > chrono::Duration::seconds(550) && left <= chrono::Duration::seconds(600),
        "{left}"
    );
    assert!(!error.is_retryable());
    assert!(error.is_rate_limited());
    let text = error.to_string();
    assert!(
        text.contains("locked this API for this user until"),
        "{text}"
    );
    let sent = env.sandbox.counters.get("GET /api/v3/portals");
    assert_eq!(sent, 6, "the refused call was sent once, not retried");
    for _ in 0..3 {
        let again = clients.projects.portals().await.unwrap_err();
        assert!(matches!(again, ZohoError::Locked { .. }));
    }
    assert_eq!(
        env.sandbox.counters.get("GET /api/v3/portals"),
        sent,
        "nothing more reached the locked API"
    );
    assert_eq!(env.sandbox.limits.projects_throttled(), 1);
    // Other APIs are not locked.
    let portal = clients.projects.portal("10234695").await.unwrap();
    assert!(portal.is_some());
}

#[tokio::test]
async fn the_documented_429_form_is_a_lock_too() {
    let throttle = ProjectsThrottle {
        lockout: Duration::from_secs(300),
        form: projectlink::sandbox::projects_throttle::ThrottleForm::Status429,
        ..ProjectsThrottle::per(2, Duration::from_secs(60))
    };
    let env = start(Seed::demo(), throttle).await;
    another_tool_lists_portals(&env, 2).await;
    let clients = clients(&env);
    let error = clients.projects.portals().await.unwrap_err();
    let ZohoError::Locked { until, .. } = &error else {
        panic!("not a lock: {error}");
    };
    let left = *until - chrono::Utc::now();
    assert!(
        left > chrono::Duration::seconds(290) && left <= chrono::Duration::seconds(300),
        "{left}"
    );
    assert_eq!(env.sandbox.counters.get("GET /api/v3/portals"), 3);
}

#[tokio::test]
async fn a_lock_short_enough_to_wait_out_is_waited_out_and_said_so() {
    let throttle = ProjectsThrottle {
        lockout: Duration::from_secs(3),
        form: projectlink::sandbox::projects_throttle::ThrottleForm::Status429,
        ..ProjectsThrottle::per(2, Duration::from_secs(3))
    };
    let env = start(Seed::demo(), throttle).await;
    another_tool_lists_portals(&env, 2).await;
    let notices = Arc::new(Mutex::new(Vec::new()));
    let clients = clients_with(&env, RateLimit::DEFAULT, Some(notices.clone()));
    let portals = clients.projects.portals().await.unwrap();
    assert!(!portals.is_empty());
    assert_eq!(
        env.sandbox.limits.projects_throttled(),
        1,
        "refused once, then waited out"
    );
    let notices = notices.lock().unwrap();
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("waiting ")
                && n.contains("Zoho Projects locked this API for 3 s")),
        "{notices:?}"
    );
}

#[tokio::test]
async fn the_pacer_keeps_under_the_limit_and_says_why_it_waits() {
    let throttle = ProjectsThrottle {
        lockout: Duration::from_secs(600),
        ..ProjectsThrottle::per(4, Duration::from_secs(3))
    };
    let env = start(Seed::demo(), throttle).await;
    let notices = Arc::new(Mutex::new(Vec::new()));
    let clients = clients_with(&env, "3/3".parse().unwrap(), Some(notices.clone()));
    let portal = portal_id(&clients).await;
    for _ in 0..7 {
        clients
            .projects
            .projects(&portal, ProjectFilter::Active)
            .await
            .unwrap();
    }
    let stats = clients.stats.snapshot();
    assert_eq!(stats.projects_rate_limited, 0);
    assert_eq!(env.sandbox.limits.projects_throttled(), 0);
    assert!(stats.projects_paced_ms >= 2_000, "{stats:?}");
    let notices = notices.lock().unwrap();
    assert!(
        notices.iter().any(|n| n.starts_with("waiting ")
            && n.contains("Zoho Projects allows 3 calls per API per 3 seconds")),
        "{notices:?}"
    );
}
