//! Projects: list (status, paging, 204), get, create (plain and from a template), update,
//! delete, custom fields.

use super::*;

fn projects_path(portal: &str) -> String {
    format!("/restapi/portal/{portal}/projects/")
}

#[tokio::test]
async fn list_shows_active_and_archived_and_templates_on_request() {
    let (env, ids) = Env::start().await;
    let t = env.token("eve@acme.com", ALL_SCOPES);
    let path = projects_path(&ids.acme);
    let (status, body) = env.get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        names(&body, "projects"),
        vec!["Website Redesign", "Old Intranet"]
    );
    let archived = env.get(&t, &path, &[("status", "archived")]).await.1;
    assert_eq!(names(&archived, "projects"), vec!["Old Intranet"]);
    let templates = env.get(&t, &path, &[("status", "template")]).await.1;
    assert_eq!(names(&templates, "projects"), vec!["Standard Delivery"]);
    assert_eq!(templates["projects"][0]["status"], "template");
    let msg = error(
        &env.get(&t, &path, &[("status", "deleted")]).await,
        400,
        6831,
    );
    assert!(msg.contains("status"), "{msg}");
}

#[tokio::test]
async fn an_empty_list_is_204_without_a_body() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let (status, body) = env.get(&t, &projects_path(&ids.empty), &[]).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(body, Value::Null);
}

#[tokio::test]
async fn paging_follows_index_and_range_and_caps_range_at_200() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = projects_path(&ids.empty);
    for i in 1..=5 {
        let name = format!("P{i}");
        let (status, _) = env.post(&t, &path, &[("name", name.as_str())]).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let page = |index: &'static str, range: &'static str| {
        let env = &env;
        let t = t.clone();
        let path = path.clone();
        async move {
            env.get(&t, &path, &[("index", index), ("range", range)])
                .await
        }
    };
    assert_eq!(names(&page("1", "2").await.1, "projects"), vec!["P1", "P2"]);
    assert_eq!(names(&page("3", "2").await.1, "projects"), vec!["P3", "P4"]);
    assert_eq!(names(&page("5", "2").await.1, "projects"), vec!["P5"]);
    assert_eq!(page("6", "2").await.0, StatusCode::NO_CONTENT);
    assert_eq!(names(&page("1", "200").await.1, "projects").len(), 5);
    let msg = error(&page("1", "201").await, 400, 6831);
    assert!(msg.contains("range"), "{msg}");
    error(&page("0", "10").await, 400, 6831);
    error(&page("1", "0").await, 400, 6831);
    error(&page("one", "10").await, 400, 6831);
}

#[tokio::test]
async fn get_returns_the_documented_shape() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let (status, body) = env
        .get(&t, &format!("{}{id}/", projects_path(&ids.acme)), &[])
        .await;
    assert_eq!(status, StatusCode::OK);
    let p = &body["projects"][0];
    assert_eq!(p["id"].as_u64().unwrap().to_string(), id);
    assert!(id.len() >= 15, "long ids like Zoho's: {id}");
    assert_eq!(p["status"], "active");
    assert_eq!(p["owner_name"], "Pat Doe");
    assert_eq!(p["owner_email"], "pat@acme.com");
    assert!(p["owner_id"].as_str().unwrap().parse::<u64>().is_ok());
    assert_eq!(p["start_date"], "01-15-2026");
    assert_eq!(p["end_date"], "03-31-2026");
    assert_eq!(p["percent_complete"], 40);
    assert!(p["created_date_long"].as_i64().unwrap() > 0);
    assert_eq!(p["custom_fields"][0]["column_name"], "UDF_CHAR1");
    assert_eq!(p["custom_fields"][0]["label_name"], "Budget Code");
    assert_eq!(p["custom_fields"][0]["value"], "X-1");
    assert_eq!(
        p["link"]["web"]["url"],
        format!("https://projects.zoho.com/portal/acmedelivery#project/{id}")
    );
    assert_eq!(
        p["link"]["self"]["url"],
        env.url(&format!("/restapi/portal/{}/projects/{id}/", ids.acme))
    );
    assert!(p.get("template_id").is_none());
}

#[tokio::test]
async fn unknown_projects_and_other_portals_projects_are_404() {
    let (env, ids) = Env::start().await;
    let other = env.token("other@else.example", ALL_SCOPES);
    let secret = project_id(&env, &other, &ids.other, "Secret Project").await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = projects_path(&ids.acme);
    error(
        &env.get(&t, &format!("{path}{secret}/"), &[]).await,
        404,
        6404,
    );
    error(&env.get(&t, &format!("{path}123/"), &[]).await, 404, 6404);
    error(&env.get(&t, &format!("{path}abc/"), &[]).await, 404, 6404);
    error(
        &env.post(&t, &format!("{path}123/"), &[("name", "x")]).await,
        404,
        6404,
    );
    error(&env.delete(&t, &format!("{path}123/")).await, 404, 6404);
}

#[tokio::test]
async fn create_makes_a_project_with_owner_dates_and_custom_fields() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let path = projects_path(&ids.acme);
    let owner_zpuid = zpuid_of(&env, &t, &ids.acme, "eve@acme.com").await;
    let (status, body) = env
        .post(
            &t,
            &path,
            &[
                ("name", "Data Migration"),
                ("description", "Move the data"),
                ("owner", owner_zpuid.as_str()),
                ("start_date", "02-01-2026"),
                ("end_date", "02-28-2026"),
                (
                    "custom_fields",
                    r#"{"UDF_CHAR1":"DM-9","UDF_LONG1":12,"UDF_DATE1":"03-01-2026"}"#,
                ),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let p = &body["projects"][0];
    assert_eq!(p["name"], "Data Migration");
    assert_eq!(p["owner_email"], "eve@acme.com");
    assert_eq!(p["start_date"], "02-01-2026");
    assert_eq!(p["percent_complete"], 0);
    let values: Vec<(String, String)> = p["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["column_name"].as_str().unwrap().into(),
                f["value"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        values,
        vec![
            ("UDF_CHAR1".into(), "DM-9".into()),
            ("UDF_LONG1".into(), "12".into()),
            ("UDF_DATE1".into(), "03-01-2026".into())
        ]
    );
    let id = p["id_string"].as_str().unwrap();
    let users = env.get(&t, &format!("{path}{id}/users/"), &[]).await.1;
    let mut emails: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    emails.sort();
    assert_eq!(
        emails,
        vec!["eve@acme.com", "pat@acme.com"],
        "owner and creator"
    );
    let list = env.get(&t, &path, &[]).await.1;
    assert!(names(&list, "projects").contains(&"Data Migration".to_string()));
}

#[tokio::test]
async fn create_rejects_bad_input_with_6831() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let path = projects_path(&ids.acme);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "name"),
        (&[("name", "   ")], "name"),
        (&[("name", "website REDESIGN")], "already exists"),
        (&[("name", "N"), ("start_date", "2026-01-01")], "start_date"),
        (
            &[
                ("name", "N"),
                ("start_date", "02-01-2026"),
                ("end_date", "01-01-2026"),
            ],
            "end_date",
        ),
        (&[("name", "N"), ("owner", "12345")], "owner"),
        (
            &[("name", "N"), ("custom_fields", "{not json")],
            "custom_fields",
        ),
        (&[("name", "N"), ("custom_fields", "[1]")], "custom_fields"),
        (
            &[("name", "N"), ("custom_fields", r#"{"UDF_NOPE":"x"}"#)],
            "UDF_NOPE",
        ),
        (
            &[("name", "N"), ("custom_fields", r#"{"UDF_LONG1":"many"}"#)],
            "UDF_LONG1",
        ),
        (&[("name", "N"), ("template_id", "abc")], "template_id"),
    ];
    for (form, expected) in cases {
        let msg = error(&env.post(&t, &path, form).await, 400, 6831);
        assert!(msg.contains(expected), "{form:?}: {msg}");
    }
    // The inactive user cannot own a project.
    let sam = zpuid_of(&env, &t, &ids.acme, "sam@acme.com").await;
    let msg = error(
        &env.post(&t, &path, &[("name", "N"), ("owner", sam.as_str())])
            .await,
        400,
        6831,
    );
    assert!(msg.contains("owner"), "{msg}");
}

#[tokio::test]
async fn an_employee_may_read_but_not_create_projects() {
    let (env, ids) = Env::start().await;
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let path = projects_path(&ids.acme);
    assert_eq!(env.get(&eve, &path, &[]).await.0, StatusCode::OK);
    error(&env.post(&eve, &path, &[("name", "Mine")]).await, 403, 6403);
}

#[tokio::test]
async fn creating_from_a_template_copies_its_values_and_users() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let path = projects_path(&ids.acme);
    let template = project_id(&env, &t, &ids.acme, "Standard Delivery").await;
    let (status, body) = env
        .post(
            &t,
            &path,
            &[
                ("name", "Delivery for Bowman"),
                ("template_id", template.as_str()),
                ("custom_fields", r#"{"UDF_LONG1":"9"}"#),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let p = &body["projects"][0];
    assert_eq!(p["template_id"], template);
    assert_eq!(p["description"], "The usual");
    let value = |col: &str| {
        p["custom_fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["column_name"] == col)
            .map(|f| f["value"].clone())
    };
    assert_eq!(
        value("UDF_CHAR1"),
        Some("TPL-1".into()),
        "copied from the template"
    );
    assert_eq!(
        value("UDF_LONG1"),
        Some("9".into()),
        "the explicit value wins"
    );
    let id = p["id_string"].as_str().unwrap();
    let users = env.get(&t, &format!("{path}{id}/users/"), &[]).await.1;
    let emails: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    for expected in ["owner@acme.com", "eve@acme.com", "pat@acme.com"] {
        assert!(emails.contains(&expected), "{expected} in {emails:?}");
    }
    // A normal project is not a template.
    let plain = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let msg = error(
        &env.post(&t, &path, &[("name", "X"), ("template_id", plain.as_str())])
            .await,
        400,
        6831,
    );
    assert!(msg.contains("template"), "{msg}");
}

#[tokio::test]
async fn update_changes_fields_and_rejects_bad_values() {
    let (env, ids) = Env::start().await;
    let t = env.token("pat@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Website Redesign").await;
    let path = format!("{}{id}/", projects_path(&ids.acme));
    let (status, body) = env
        .post(
            &t,
            &path,
            &[
                ("name", "Website Relaunch"),
                ("status", "archived"),
                ("percent_complete", "75"),
                ("end_date", "04-30-2026"),
                ("custom_fields", r#"{"UDF_CHAR1":""}"#),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = &body["projects"][0];
    assert_eq!(p["name"], "Website Relaunch");
    assert_eq!(p["status"], "archived");
    assert_eq!(p["percent_complete"], 75);
    assert_eq!(p["end_date"], "04-30-2026");
    assert_eq!(
        p["custom_fields"],
        serde_json::json!([]),
        "an empty value clears"
    );
    assert_eq!(
        env.get(&t, &path, &[]).await.1["projects"][0]["status"],
        "archived"
    );

    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "Input parameter missing"),
        (&[("percent_complete", "101")], "percent_complete"),
        (&[("percent_complete", "half")], "percent_complete"),
        (&[("status", "template")], "status"),
        (&[("name", "old intranet")], "already exists"),
        (&[("name", "")], "name"),
        (&[("start_date", "05-01-2026")], "end_date"),
    ];
    for (form, expected) in cases {
        let msg = error(&env.post(&t, &path, form).await, 400, 6831);
        assert!(msg.contains(expected), "{form:?}: {msg}");
    }
    // Renaming to its own name is not a duplicate.
    let same = env.post(&t, &path, &[("name", "website relaunch")]).await;
    assert_eq!(same.0, StatusCode::OK, "{}", same.1);
}

#[tokio::test]
async fn delete_trashes_the_project_and_frees_its_name() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let id = project_id(&env, &t, &ids.acme, "Old Intranet").await;
    let path = format!("{}{id}/", projects_path(&ids.acme));
    let (status, body) = env.delete(&t, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["response"], "Project Trashed successfully");
    error(&env.get(&t, &path, &[]).await, 404, 6404);
    error(&env.delete(&t, &path).await, 404, 6404);
    let again = env
        .post(&t, &projects_path(&ids.acme), &[("name", "Old Intranet")])
        .await;
    assert_eq!(again.0, StatusCode::CREATED);
    let eve = env.token("eve@acme.com", ALL_SCOPES);
    let fresh = again.1["projects"][0]["id_string"]
        .as_str()
        .unwrap()
        .to_string();
    let eve_delete = env
        .delete(&eve, &format!("{}{fresh}/", projects_path(&ids.acme)))
        .await;
    error(&eve_delete, 403, 6403);
}

#[tokio::test]
async fn custom_fields_are_listed_in_order_and_204_when_none() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let (status, body) = env
        .get(
            &t,
            &format!("/restapi/portal/{}/projects/customfields/", ids.acme),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let fields = body["project_custom_fields"].as_array().unwrap();
    assert_eq!(fields.len(), 3);
    assert_eq!(
        fields[1],
        serde_json::json!({"label_name": "Seats", "column_name": "UDF_LONG1",
                           "field_type": "number", "is_mandatory": false})
    );
    let (status, _) = env
        .get(
            &t,
            &format!("/restapi/portal/{}/projects/customfields/", ids.empty),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

pub async fn zpuid_of(env: &Env, token: &str, portal: &str, email: &str) -> String {
    let body = env
        .get(
            token,
            &format!("/restapi/portal/{portal}/users/"),
            &[("user_type", "all")],
        )
        .await
        .1;
    body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .map(|u| u["zpuid"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no user {email}"))
}
