//! Users: type filters, paging, ids, If-Modified-Since, one user per add and per update.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::Env;

fn emails(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|u| u["email"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn users_are_listed_by_type_and_paged() {
    let env = Env::start().await;
    let all = env.get("/crm/v8/users", &[]).await;
    let body = all.ok();
    assert_eq!(emails(body).len(), 10);
    assert_eq!(body["info"]["count"], 10);
    assert_eq!(body["info"]["more_records"], false);
    let admin = body["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "admin@acme.com")
        .unwrap();
    assert_eq!(admin["profile"]["name"], "Administrator");
    assert_eq!(admin["role"]["name"], "CEO");
    assert_eq!(admin["full_name"], "Ada Admin");
    assert_eq!(admin["confirm"], true);

    let inactive = env.get("/crm/v8/users", &[("type", "DeactiveUsers")]).await;
    assert_eq!(emails(inactive.ok()), vec!["lee@acme.com"]);
    let unconfirmed = env
        .get("/crm/v8/users", &[("type", "NotConfirmedUsers")])
        .await;
    assert_eq!(emails(unconfirmed.ok()), vec!["uma@acme.com"]);
    let admins = env.get("/crm/v8/users", &[("type", "AdminUsers")]).await;
    let mut admins = emails(admins.ok());
    admins.sort();
    assert_eq!(admins, vec!["admin@acme.com", "owner@acme.com"]);
    let me = env.get("/crm/v8/users", &[("type", "CurrentUser")]).await;
    assert_eq!(emails(me.ok()), vec!["admin@acme.com"]);
    let active_confirmed = env
        .get("/crm/v8/users", &[("type", "ActiveConfirmedUsers")])
        .await;
    assert_eq!(emails(active_confirmed.ok()).len(), 8);
    let deleted = env.get("/crm/v8/users", &[("type", "DeletedUsers")]).await;
    assert_eq!(deleted.status.as_u16(), 204);
    env.get("/crm/v8/users", &[("type", "Everyone")])
        .await
        .error(400, "INVALID_DATA");

    let page2 = env
        .get("/crm/v8/users", &[("per_page", "4"), ("page", "2")])
        .await;
    let body = page2.ok();
    assert_eq!(emails(body).len(), 4);
    assert_eq!(body["info"]["page"], 2);
    assert_eq!(body["info"]["more_records"], true);
    env.get("/crm/v8/users", &[("per_page", "201")])
        .await
        .error(400, "INVALID_DATA");

    let pat = env.user_id("pat@acme.com").await;
    let sam = env.user_id("sam@acme.com").await;
    let ids = format!("{pat},{sam}");
    let some = env.get("/crm/v8/users", &[("ids", ids.as_str())]).await;
    assert_eq!(emails(some.ok()).len(), 2);
    let one = env.get(&format!("/crm/v8/users/{pat}"), &[]).await;
    assert_eq!(
        one.ok()["users"][0]["Reporting_To"]["email"],
        "owner@acme.com"
    );
    let count = env
        .get("/crm/v8/users/actions/count", &[("type", "ActiveUsers")])
        .await;
    assert_eq!(count.ok()["count"], 9);
    let none = env.get("/crm/v8/users/4876876999999999999", &[]).await;
    assert_eq!(none.status.as_u16(), 204);
}

#[tokio::test]
async fn if_modified_since_on_users_answers_304_until_a_user_changes() {
    let env = Env::start().await;
    let later = chrono::Utc::now() + chrono::Duration::seconds(5);
    let header = later.format("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let ask = || {
        env.http
            .get(env.url("/crm/v8/users"))
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
            .header("If-Modified-Since", header.clone())
            .send()
    };
    assert_eq!(ask().await.unwrap().status().as_u16(), 304);
    let earlier = (chrono::Utc::now() - chrono::Duration::seconds(60))
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string();
    let changed = env
        .http
        .get(env.url("/crm/v8/users"))
        .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
        .header("If-Modified-Since", earlier)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
}

#[tokio::test]
async fn users_are_added_one_per_request() {
    let env = Env::start().await;
    let roles = env.get("/crm/v8/settings/roles", &[]).await;
    let role = roles.body["roles"][0]["id"].clone();
    let profiles = env.get("/crm/v8/settings/profiles", &[]).await;
    let profile = profiles.body["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Standard")
        .unwrap()["id"]
        .clone();
    let user = |email: &str| {
        json!({"first_name": "New", "last_name": "Hire", "email": email,
               "role": {"id": role}, "profile": {"id": profile}})
    };
    let two = env
        .post(
            "/crm/v8/users",
            json!({"users": [user("a@acme.com"), user("b@acme.com")]}),
        )
        .await;
    assert_eq!(two.status.as_u16(), 400);
    let item = &two.body["users"][0];
    assert_eq!(item["code"], "INVALID_DATA");
    assert_eq!(item["details"]["maximum_length"], 1);
    assert_eq!(item["details"]["api_name"], "users");

    let added = env
        .post(
            "/crm/v8/users",
            json!({"users": [user("new.hire@acme.com")]}),
        )
        .await;
    assert_eq!(added.status.as_u16(), 201, "{}", added.body);
    assert_eq!(added.body["users"][0]["message"], "User added");
    let id = added.body["users"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let read = env.get(&format!("/crm/v8/users/{id}"), &[]).await;
    let u = &read.ok()["users"][0];
    assert_eq!(u["status"], "active");
    assert_eq!(u["confirm"], false);

    let dup = env
        .post("/crm/v8/users", json!({"users": [user("PAT@acme.com")]}))
        .await;
    assert_eq!(dup.body["users"][0]["code"], "DUPLICATE_DATA");
    let no_email = env
        .post(
            "/crm/v8/users",
            json!({"users": [{"last_name": "X", "role": {"id": role}, "profile": {"id": profile}}]}),
        )
        .await;
    assert_eq!(no_email.body["users"][0]["code"], "MANDATORY_NOT_FOUND");
    let bad_role = env
        .post(
            "/crm/v8/users",
            json!({"users": [{"last_name": "X", "email": "x@acme.com", "role": {"id": "1"},
                              "profile": {"id": profile}}]}),
        )
        .await;
    assert_eq!(bad_role.body["users"][0]["details"]["api_name"], "role");
    let malformed = env
        .raw(Method::POST, "/crm/v8/users", &[], "{not json")
        .await;
    malformed.error(400, "INVALID_DATA");
}

#[tokio::test]
async fn users_are_updated_and_deactivated_one_at_a_time() {
    let env = Env::start().await;
    let pat = env.user_id("pat@acme.com").await;
    let updated = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": pat, "last_name": "Smith"}]}),
        )
        .await;
    assert_eq!(updated.ok()["users"][0]["message"], "User updated");
    let off = env
        .put(
            &format!("/crm/v8/users/{pat}"),
            json!({"users": [{"status": "inactive"}]}),
        )
        .await;
    off.ok();
    let inactive = env.get("/crm/v8/users", &[("type", "DeactiveUsers")]).await;
    assert!(emails(inactive.ok()).contains(&"pat@acme.com".to_string()));
    let frozen = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": pat, "first_name": "P"}]}),
        )
        .await;
    assert_eq!(frozen.status.as_u16(), 400);
    assert_eq!(frozen.body["users"][0]["code"], "INVALID_DATA");
    env.put(
        "/crm/v8/users",
        json!({"users": [{"id": pat, "status": "active"}]}),
    )
    .await
    .ok();

    let admin = env.user_id("admin@acme.com").await;
    let primary = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": admin, "status": "inactive"}]}),
        )
        .await;
    assert_eq!(primary.body["users"][0]["details"]["api_name"], "status");
    let two = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": pat, "last_name": "A"}, {"id": admin, "last_name": "B"}]}),
        )
        .await;
    assert_eq!(two.body["users"][0]["details"]["maximum_length"], 1);
}
