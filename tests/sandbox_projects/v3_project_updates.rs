//! V3 project updates: PATCH (values, clearing, ignored keys, errors) and the trash.

use super::projects::zpuid;
use super::*;

#[tokio::test]
async fn v3_patch_updates_and_clears_values() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let path = v3(&ids.acme, &format!("/projects/{id}"));
    let eve = zpuid(&env, &t, &ids.acme, "eve@acme.com").await;
    let body = json!({
        "name": "Website Relaunch", "description": "Second go", "owner": {"zpuid": eve},
        "end_date": "2026-04-30", "project_type": "archived", "percent_complete": 75,
        "cf_budget_code": "", "cf_seats": 30, "status_id": "ignored",
    });
    let (status, p) = env.v3_patch(&t, &path, &body).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["name"], "Website Relaunch");
    assert_eq!(p["description"], "Second go");
    assert_eq!(p["owner"]["email"], "eve@acme.com");
    assert_eq!(p["start_date"], "2026-01-15", "untouched");
    assert_eq!(p["end_date"], "2026-04-30");
    assert_eq!(p["project_type"], "archived");
    assert_eq!(p["status"]["name"], "Archived");
    assert_eq!(p["percent_complete"], 75);
    assert!(p.get("cf_budget_code").is_none(), "\"\" clears: {p}");
    assert_eq!(p["cf_seats"], "30");
    let clear = json!({"start_date": null, "cf_seats": null});
    let (status, p) = env.v3_patch(&t, &path, &clear).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert!(p.get("start_date").is_none(), "null clears: {p}");
    assert!(p.get("cf_seats").is_none(), "null clears: {p}");
    let unchanged = env.v3_patch(&t, &path, &json!({"unknown": 1})).await;
    assert_eq!(unchanged.0, StatusCode::OK);
    assert_eq!(unchanged.1["name"], "Website Relaunch");
    let same = json!({"name": "website relaunch"});
    let (status, body) = env.v3_patch(&t, &path, &same).await;
    assert_eq!(status, StatusCode::OK, "renaming to its own name: {body}");
    // The owner became a project user.
    let (_, users) = env.v3_get(&t, &format!("{path}/users"), &[]).await;
    let emails: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"eve@acme.com"), "{emails:?}");
}

#[tokio::test]
async fn v3_patch_errors_name_the_field() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let path = v3(&ids.acme, &format!("/projects/{id}"));
    let cases = [
        (json!({"percent_complete": 101}), BAD, "percent_complete"),
        (json!({"percent_complete": 7.5}), BAD, "percent_complete"),
        (
            json!({"percent_complete": "half"}),
            JSON,
            "percent_complete",
        ),
        (json!({"project_type": "template"}), BAD, "project_type"),
        (json!({"project_type": "closed"}), BAD, "project_type"),
        (json!({"name": "old intranet"}), BAD, "name"),
        (json!({"name": ""}), BAD, "name"),
        (json!({"start_date": "2026-05-01"}), BAD, "end_date"),
        (json!({"owner": {"zpuid": "1"}}), BAD, "owner"),
        (json!({"cf_typo": "x"}), BAD, "cf_typo"),
    ];
    for (body, title, field) in &cases {
        v3_field_error(&env.v3_patch(&t, &path, body).await, title, field);
    }
    let template = project_id(&env, &t, &ids.acme, "Standard Delivery").await;
    let template = v3(&ids.acme, &format!("/projects/{template}"));
    let archive = json!({"project_type": "archived"});
    let answer = env.v3_patch(&t, &template, &archive).await;
    v3_field_error(&answer, BAD, "project_type");
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let forbidden = env.v3_patch(&eve, &path, &json!({"name": "Mine"})).await;
    v3_error(&forbidden, 403, "FORBIDDEN");
    // Nothing above changed the project.
    let (_, p) = env.v3_get(&t, &path, &[]).await;
    assert_eq!(
        (&p["name"], &p["percent_complete"]),
        (&json!("Website Redesign"), &json!(40))
    );
}

#[tokio::test]
async fn v3_trash_is_204_then_get_is_404_and_patch_is_410() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Old Intranet").await;
    let path = v3(&ids.acme, &format!("/projects/{id}"));
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let refused = env
        .v3_post(&eve, &format!("{path}/trash"), &json!({}))
        .await;
    v3_error(&refused, 403, "FORBIDDEN");
    let req = env
        .http
        .post(env.url(&format!("{path}/trash")))
        .header("Authorization", format!("Zoho-oauthtoken {t}"));
    let (status, body) = env.send(req).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
    v3_error(&env.v3_get(&t, &path, &[]).await, 404, "RESOURCE_NOT_FOUND");
    let patch = env.v3_patch(&t, &path, &json!({"name": "Back"})).await;
    v3_error(&patch, 410, "RESOURCE_GONE");
    let again = env.v3_post(&t, &format!("{path}/trash"), &json!({})).await;
    v3_error(&again, 404, "RESOURCE_NOT_FOUND");
    let never = env
        .v3_patch(&t, &v3(&ids.acme, "/projects/123"), &json!({"name": "X"}))
        .await;
    v3_error(&never, 404, "RESOURCE_NOT_FOUND");
    let legacy = env
        .get(
            &t,
            &format!("/restapi/portal/{}/projects/{id}/", ids.acme),
            &[],
        )
        .await;
    error(&legacy, 404, 6404);
    // The name is free again.
    let reuse = env
        .v3_post(
            &t,
            &v3(&ids.acme, "/projects"),
            &json!({"name": "Old Intranet"}),
        )
        .await;
    assert_eq!(reuse.0, StatusCode::CREATED);
}
