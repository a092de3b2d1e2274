//! The Projects client against a scripted portal that serves only the legacy API, answering
//! as `docs/zoho-projects-api.md` fixes it: every V3 path is `URL_RULE_NOT_CONFIGURED`, so the
//! client falls back to `index`/`range` paging, form-encoded writes with `MM-dd-yyyy` dates,
//! the legacy error body, 204 as empty, and the portal owner's separate grant.

mod zoho_support;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use projectlink::zoho::projects::{
    NewClient, NewProject, PortalUserFilter, ProjectFilter, ProjectStatus, ProjectUpdate,
};
use projectlink::zoho::{Credentials, ProjectsApi, ZohoClients, ZohoCredentials, ZohoError};
use serde_json::{Value, json};
use zoho_support::*;

/// A portal without V3 rules: V3 paths answer as Zoho does for a path it has no rule for.
async fn legacy_portal<F, Fut>(handler: F) -> FakeZoho
where
    F: Fn(Recorded, Ctx) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Reply> + Send + 'static,
{
    let handler = std::sync::Arc::new(handler);
    FakeZoho::api(move |request, ctx| {
        let handler = handler.clone();
        async move {
            if request.path.starts_with("/api/v3/") {
                Reply::json(
                    400,
                    json!({"error": {"status_code": "400", "title": "URL_RULE_NOT_CONFIGURED",
                        "error_type": "OPERATIONAL_VALIDATION_ERROR",
                        "details": [{"message": "The URL is not configured"}]}}),
                )
            } else {
                handler(request, ctx).await
            }
        }
    })
    .await
}

/// The legacy requests the client sent (its V3 attempts left out).
fn legacy_requests(fake: &FakeZoho) -> Vec<Recorded> {
    fake.api_requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/api/v3/"))
        .collect()
}

fn project_json(i: usize) -> Value {
    json!({"id": 170876000001000u64 + i as u64, "id_string": format!("{}", 170876000001000u64 + i as u64),
           "name": format!("Project {i}"), "status": "active", "start_date": "01-15-2026", "end_date": "03-31-2026",
           "percent_complete": "40", "owner_id": "7730421"})
}

#[tokio::test]
async fn projects_are_read_in_ranges_of_200_until_a_short_one() {
    let fake = legacy_portal(|request, _| async move {
        let index: usize = request.q("index").unwrap().parse().unwrap();
        let range: usize = request.q("range").unwrap().parse().unwrap();
        let start = index - 1;
        let end = (start + range).min(450);
        Reply::ok(json!({"projects": (start..end).map(project_json).collect::<Vec<_>>()}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let projects = clients
        .projects
        .projects("10234695", ProjectFilter::ActiveAndArchived)
        .await
        .unwrap();
    assert_eq!(projects.len(), 450);
    assert_eq!(projects[449].name, "Project 449");
    assert_eq!(projects[0].start_date, NaiveDate::from_ymd_opt(2026, 1, 15));
    assert_eq!(projects[0].percent_complete, Some(40));
    let requests = legacy_requests(&fake);
    let indexes: Vec<_> = requests
        .iter()
        .map(|r| {
            (
                r.q("index").unwrap().to_string(),
                r.q("range").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        indexes,
        vec![
            ("1".into(), "200".into()),
            ("201".into(), "200".into()),
            ("401".into(), "200".into())
        ]
    );
    assert!(
        requests
            .iter()
            .all(|r| r.path == "/restapi/portal/10234695/projects/" && r.q("status").is_none())
    );
}

#[tokio::test]
async fn an_exact_multiple_of_the_range_ends_on_no_content() {
    let fake = legacy_portal(|request, _| async move {
        match request.q("index") {
            Some("1") => {
                Reply::ok(json!({"projects": (0..200).map(project_json).collect::<Vec<_>>()}))
            }
            _ => Reply::empty(204),
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let templates = clients
        .projects
        .projects("1", ProjectFilter::Templates)
        .await
        .unwrap();
    assert_eq!(templates.len(), 200);
    let requests = legacy_requests(&fake);
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.q("status") == Some("template")));
}

#[tokio::test]
async fn projects_are_created_form_encoded_with_zoho_dates() {
    let fake = legacy_portal(|request, _| async move {
        let form = request.form();
        let name = form.iter().find(|(k, _)| k == "name").unwrap().1.clone();
        Reply::json(
            201,
            json!({"projects": [{"id": 99, "id_string": "99", "name": name, "status": "active",
            "start_date": "02-01-2026", "end_date": "04-30-2026", "template_id": "555",
            "link": {"web": {"url": "https://projects.example/portal/acme#project/99"}}}]}),
        )
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let new = NewProject {
        name: "Bowman & Sons: Website".into(),
        description: Some("From deal D-1".into()),
        owner: Some("170876000000054003".into()),
        start_date: NaiveDate::from_ymd_opt(2026, 2, 1),
        end_date: NaiveDate::from_ymd_opt(2026, 4, 30),
        template_id: Some("555".into()),
        custom_fields: BTreeMap::from([("UDF_CHAR1".to_string(), "X-1".to_string())]),
    };
    let project = clients
        .projects
        .create_project("10234695", &new)
        .await
        .unwrap();
    assert_eq!(project.id, "99");
    assert_eq!(project.name, "Bowman & Sons: Website");
    assert_eq!(project.end_date, NaiveDate::from_ymd_opt(2026, 4, 30));
    assert_eq!(project.template_id.as_deref(), Some("555"));
    assert_eq!(
        project.web_url.as_deref(),
        Some("https://projects.example/portal/acme#project/99")
    );

    let request = &legacy_requests(&fake)[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/restapi/portal/10234695/projects/")
    );
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        request.form_value("start_date").as_deref(),
        Some("02-01-2026")
    );
    assert_eq!(
        request.form_value("end_date").as_deref(),
        Some("04-30-2026")
    );
    assert_eq!(
        request.form_value("owner").as_deref(),
        Some("170876000000054003")
    );
    assert_eq!(request.form_value("template_id").as_deref(), Some("555"));
    let custom: Value =
        serde_json::from_str(&request.form_value("custom_fields").unwrap()).unwrap();
    assert_eq!(custom, json!({"UDF_CHAR1": "X-1"}));
}

#[tokio::test]
async fn updates_send_only_what_changes() {
    let fake = legacy_portal(|_, _| async {
        Reply::ok(json!({"projects": [{"id_string": "99", "name": "P", "status": "archived", "percent_complete": 100}]}))
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let update = ProjectUpdate {
        status: Some(ProjectStatus::Archived),
        percent_complete: Some(100),
        ..ProjectUpdate::default()
    };
    let project = clients
        .projects
        .update_project("1", "99", &update)
        .await
        .unwrap();
    assert_eq!(project.status, ProjectStatus::Archived);
    let request = &legacy_requests(&fake)[0];
    assert_eq!(request.path, "/restapi/portal/1/projects/99/");
    let mut form = request.form();
    form.sort();
    assert_eq!(
        form,
        vec![
            ("percent_complete".into(), "100".into()),
            ("status".into(), "archived".into())
        ]
    );
}

#[tokio::test]
async fn the_legacy_error_body_becomes_an_api_error() {
    let fake = legacy_portal(|request, _| async move {
        if request.path.ends_with("/projects/404/") {
            Reply::json(
                404,
                json!({"error": {"code": 6404, "message": "Resource not found"}}),
            )
        } else {
            Reply::json(
                400,
                json!({"error": {"code": 6831, "message": "Input Parameter Missing"}}),
            )
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    assert!(
        clients
            .projects
            .project("1", "404")
            .await
            .unwrap()
            .is_none()
    );
    let err = clients
        .projects
        .create_client(
            "1",
            &NewClient {
                name: "Bowman".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    let ZohoError::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        (api.status, api.code.as_str(), api.message.as_str()),
        (400, "6831", "Input Parameter Missing")
    );
    assert_eq!(
        err.to_string(),
        "POST /restapi/portal/1/clients/: HTTP 400 6831: Input Parameter Missing"
    );
}

#[tokio::test]
async fn an_invalid_token_code_refreshes_and_retries_once() {
    let fake = legacy_portal(|request, _| async move {
        if request.token().as_deref() == Some("tok-1") {
            Reply::json(401, json!({"error": {"code": 6401, "message": "Invalid OAuth access token."}}))
        } else {
            Reply::ok(json!({"login_id": "7730421", "portals": [{"id": 10234695, "id_string": "10234695", "name": "Acme Delivery",
                "default": true, "project_count": {"active": 12}, "avail_user_count": "40"}]}))
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let portals = clients.projects.portals().await.unwrap();
    assert_eq!(portals[0].id, "10234695");
    assert_eq!(portals[0].active_projects, Some(12));
    assert_eq!(portals[0].available_users, Some(40));
    assert_eq!(fake.token_requests().len(), 2);
}

#[tokio::test]
async fn users_and_clients_use_the_documented_parameters() {
    let fake = legacy_portal(|request, _| async move {
        let user = |email: &str| json!({"id": "7730421", "zpuid": "170876000000054003", "name": "Pat", "email": email,
                                         "active": true, "role": "Employee", "portal_profile_name": "Employee"});
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/restapi/portal/1/users/") => Reply::empty(204),
            ("POST", "/restapi/portal/1/users/") => Reply::json(201, json!({"users": [user("a@acme.com"), user("b@acme.com")]})),
            ("POST", "/restapi/portal/1/users/7730421/") => Reply::ok(json!({"users": [user("a@acme.com")]})),
            ("POST", "/restapi/portal/1/projects/99/users/") => Reply::json(201, json!({"users": [user("a@acme.com")]})),
            ("POST", "/restapi/portal/1/clients/321/users/") => Reply::json(201, json!({"users": [
                {"id": "7731001", "name": "Jane", "email": "jane@bowman.example", "client_id": "321", "project_ids": []}]})),
            ("POST", "/restapi/portal/1/clientusers/7731001/projects/") => Reply::ok(json!({"users": [
                {"id": "7731001", "name": "Jane", "email": "jane@bowman.example", "client_id": "321", "project_ids": [99, "100"]}]})),
            ("POST", "/restapi/portal/1/projects/99/clients/") => Reply::json(201, json!({"clients": [{"id": "321", "name": "Bowman", "primary": true}]})),
            ("GET", "/restapi/portal/1/projects/99/clients/") => Reply::empty(204),
            other => panic!("unexpected request {other:?}"),
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let p = &clients.projects;
    assert!(
        p.portal_users("1", PortalUserFilter::All)
            .await
            .unwrap()
            .is_empty()
    );
    let added = p
        .add_portal_users(
            "1",
            &["a@acme.com".into(), " b@acme.com".into()],
            "Employee",
        )
        .await
        .unwrap();
    assert_eq!(added.len(), 2);
    p.update_portal_user("1", "7730421", "Manager")
        .await
        .unwrap();
    p.add_project_users("1", "99", &["a@acme.com".into()], "Employee")
        .await
        .unwrap();
    let jane = p
        .add_client_user("1", "321", "jane@bowman.example", Some("Jane Bowman"))
        .await
        .unwrap();
    assert_eq!(jane.client_id.as_deref(), Some("321"));
    let jane = p
        .add_client_user_to_projects("1", &jane.id, &["99".into(), "100".into()])
        .await
        .unwrap();
    assert_eq!(jane.project_ids, vec!["99".to_string(), "100".to_string()]);
    let linked = p.add_project_client("1", "99", "321", true).await.unwrap();
    assert!(linked.primary);
    assert!(p.project_clients("1", "99").await.unwrap().is_empty());

    let requests = legacy_requests(&fake);
    assert_eq!(requests[0].q("user_type"), Some("all"));
    assert_eq!(
        requests[1].form_value("email").as_deref(),
        Some("a@acme.com,b@acme.com")
    );
    assert_eq!(requests[1].form_value("role").as_deref(), Some("Employee"));
    assert_eq!(requests[2].form_value("role").as_deref(), Some("Manager"));
    assert_eq!(
        requests[3].form_value("email").as_deref(),
        Some("a@acme.com")
    );
    assert_eq!(
        requests[4].form_value("name").as_deref(),
        Some("Jane Bowman")
    );
    assert_eq!(
        requests[5].form_value("project_ids").as_deref(),
        Some("99,100")
    );
    assert_eq!(requests[6].form_value("client_id").as_deref(), Some("321"));
    assert_eq!(requests[6].form_value("primary").as_deref(), Some("true"));

    let err = p
        .add_portal_users("1", &["not-an-email".into()], "Employee")
        .await
        .unwrap_err();
    assert!(matches!(err, ZohoError::InvalidInput(_)));
    assert_eq!(
        legacy_requests(&fake).len(),
        8,
        "bad input is refused before any call"
    );
}

#[tokio::test]
async fn the_portal_owners_grant_serves_the_projects_side() {
    let fake = FakeZoho::raw(|request, ctx| async move {
        if request.is_token_request() {
            return ctx.issue_token(None);
        }
        if request.path.starts_with("/api/v3/") {
            Reply::ok(json!([]))
        } else {
            Reply::ok(json!({"org": [{"id": "1", "company_name": "Acme"}]}))
        }
    })
    .await;
    let credentials = ZohoCredentials {
        crm: Credentials::new(CLIENT_ID, CANARY_SECRET, CANARY_REFRESH),
        portal: Some(Credentials::new(
            CLIENT_ID,
            CANARY_SECRET,
            CANARY_PORTAL_REFRESH,
        )),
    };
    let clients = ZohoClients::connect(&fake.endpoints(), &credentials, &fast_options()).unwrap();
    ProjectsApi::portals(&clients.projects).await.unwrap();
    clients.crm.org().await.unwrap();
    let grants: Vec<String> = fake
        .token_requests()
        .iter()
        .map(|r| r.form_value("refresh_token").unwrap())
        .collect();
    assert_eq!(
        grants,
        vec![
            CANARY_PORTAL_REFRESH.to_string(),
            CANARY_REFRESH.to_string()
        ]
    );
    let api = fake.api_requests();
    assert_eq!(api[0].token().as_deref(), Some("tok-1"));
    assert_eq!(api[1].token().as_deref(), Some("tok-2"));
    assert_no_secrets(&format!("{clients:?}"));
}

#[tokio::test]
async fn custom_fields_and_clients_are_listed() {
    let fake = legacy_portal(|request, _| async move {
        if request.path.ends_with("/customfields/") {
            Reply::ok(json!({"project_custom_fields": [{"label_name": "Budget Code", "column_name": "UDF_CHAR1", "field_type": "text", "is_mandatory": false}]}))
        } else {
            Reply::ok(json!({"clients": [{"id": 170876000000321u64, "name": "Bowman Furniture", "website": "", "phone": ""}]}))
        }
    })
    .await;
    let clients = connect(&fake, &fast_options());
    let fields = clients.projects.project_custom_fields("1").await.unwrap();
    assert_eq!(fields[0].column_name, "UDF_CHAR1");
    let companies = clients.projects.clients("1").await.unwrap();
    assert_eq!(companies[0].id, "170876000000321");
    assert_eq!(companies[0].website, None);
}

#[tokio::test]
async fn each_capability_tries_v3_once_then_stays_on_legacy() {
    let fake =
        legacy_portal(|_, _| async move { Reply::ok(json!({"projects": [project_json(1)]})) })
            .await;
    let clients = connect(&fake, &fast_options());
    for _ in 0..3 {
        clients
            .projects
            .projects("10234695", ProjectFilter::Active)
            .await
            .unwrap();
        clients
            .projects
            .project("10234695", "170876000001001")
            .await
            .unwrap();
    }
    let v3: Vec<String> = fake
        .api_requests()
        .iter()
        .filter(|r| r.path.starts_with("/api/v3/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        v3,
        vec![
            "GET /api/v3/portal/10234695/projects",
            "GET /api/v3/portal/10234695/projects/170876000001001"
        ]
    );
    assert_eq!(legacy_requests(&fake).len(), 6);
}
