//! One store behind both APIs: what is written over V3 reads back over legacy, in legacy's
//! formats, and the other way round.

use super::*;

#[tokio::test]
async fn a_project_created_over_v3_is_visible_over_legacy() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let body = json!({
        "name": "Made Over V3", "start_date": "2026-02-01", "end_date": "2026-02-28",
        "cf_budget_code": "V3-1", "cf_go_live": "2026-02-20",
    });
    let (status, made) = env.v3_post(&t, &v3(&ids.acme, "/projects"), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_str().unwrap();
    let legacy = format!("/restapi/portal/{}/projects/{id}/", ids.acme);
    let (status, body) = env.get(&t, &legacy, &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let p = &body["projects"][0];
    assert_eq!(p["id_string"], id);
    assert_eq!(p["id"].as_u64().unwrap().to_string(), id, "exact as a u64");
    assert_eq!(p["start_date"], "02-01-2026");
    let field = |i: usize| {
        let f = &p["custom_fields"][i];
        (f["column_name"].as_str(), f["value"].as_str())
    };
    assert_eq!(field(0), (Some("UDF_CHAR1"), Some("V3-1")));
    assert_eq!(field(1), (Some("UDF_DATE1"), Some("02-20-2026")));
    let list = format!("/restapi/portal/{}/projects/", ids.acme);
    let (_, listed) = env.get(&t, &list, &[]).await;
    assert!(names(&listed, "projects").contains(&"Made Over V3".to_string()));
}

#[tokio::test]
async fn a_project_created_over_legacy_is_visible_over_v3() {
    let (env, ids) = Env::start().await;
    let t = env.token("owner@acme.com", ALL_SCOPES);
    let form = [
        ("name", "Made Over Legacy"),
        ("end_date", "05-31-2026"),
        (
            "custom_fields",
            r#"{"UDF_LONG1":"12","UDF_DATE1":"05-01-2026"}"#,
        ),
    ];
    let legacy = format!("/restapi/portal/{}/projects/", ids.acme);
    let (status, made) = env.post(&t, &legacy, &form).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["projects"][0]["id_string"].as_str().unwrap();
    let path = v3(&ids.acme, &format!("/projects/{id}"));
    let (status, p) = env.v3_get(&t, &path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["name"], "Made Over Legacy");
    assert_eq!(p["end_date"], "2026-05-31");
    assert_eq!(p["cf_seats"], "12");
    assert_eq!(p["cf_go_live"], "2026-05-01");
    let (_, list) = env.v3_get(&t, &v3(&ids.acme, "/projects"), &[]).await;
    assert!(v3_names(&list).contains(&"Made Over Legacy".to_string()));
    // A write over one API is a conflict over the other.
    let same_name = json!({"name": "made over legacy"});
    let again = env
        .v3_post(&t, &v3(&ids.acme, "/projects"), &same_name)
        .await;
    v3_field_error(&again, BAD, "name");
}
