//! Org, users, roles and profiles against org.json, users.json, roles.json, profiles.json.

use projectlink::sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::json;

use super::checker::Checker;
use super::support::{self, Env, demo_with_grants};

#[tokio::test]
async fn org_users_roles_and_profiles_match_the_oas() {
    let mut c = Checker::new();
    let seed = demo_with_grants(&[("1000.narrow", "admin@acme.com", &["ZohoCRM.users.READ"])]);
    let env = Env::start_with(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;
    let narrow = env.token("1000.narrow").await;

    c.check(
        "org.json",
        "/crm/v8/org",
        "GET",
        &env.get("/crm/v8/org", &[]).await,
        None,
    );
    let forged = env
        .call_as("1000.forged", Method::GET, "/crm/v8/org", &[], None)
        .await;
    c.check("org.json", "/crm/v8/org", "GET", &forged, None);

    let users = env.get("/crm/v8/users", &[]).await;
    c.check("users.json", "/crm/v8/users", "GET", &users, None);
    for query in [
        [("type", "Everyone")],
        [("type", "DeletedUsers")],
        [("per_page", "500")],
    ] {
        let answer = env.get("/crm/v8/users", &query).await;
        c.check("users.json", "/crm/v8/users", "GET", &answer, None);
    }
    let not_modified = support::send(
        env.http
            .get(env.url("/crm/v8/users"))
            .header("Authorization", format!("Zoho-oauthtoken {}", env.admin))
            .header("If-Modified-Since", "2099-01-01T00:00:00+00:00"),
    )
    .await;
    c.check("users.json", "/crm/v8/users", "GET", &not_modified, None);
    let pat = env.user_id("pat@acme.com").await;
    let one = env.get(&format!("/crm/v8/users/{pat}"), &[]).await;
    c.check("users.json", "/crm/v8/users/{user}", "GET", &one, None);
    let none = env.get("/crm/v8/users/4876876999999999999", &[]).await;
    c.check("users.json", "/crm/v8/users/{user}", "GET", &none, None);
    let count = env.get("/crm/v8/users/actions/count", &[]).await;
    c.check(
        "users.json",
        "/crm/v8/users/actions/count",
        "GET",
        &count,
        None,
    );
    let scope = env
        .call_as(&narrow, Method::GET, "/crm/v8/settings/roles", &[], None)
        .await;
    c.check("roles.json", "/crm/v8/settings/roles", "GET", &scope, None);

    let roles = env.get("/crm/v8/settings/roles", &[]).await;
    c.check("roles.json", "/crm/v8/settings/roles", "GET", &roles, None);
    let role_id = roles.body["roles"][1]["id"].as_str().unwrap().to_string();
    let role = env
        .get(&format!("/crm/v8/settings/roles/{role_id}"), &[])
        .await;
    c.check(
        "roles.json",
        "/crm/v8/settings/roles/{role_id}",
        "GET",
        &role,
        None,
    );
    let no_role = env
        .get("/crm/v8/settings/roles/4876876999999999999", &[])
        .await;
    c.check(
        "roles.json",
        "/crm/v8/settings/roles/{role_id}",
        "GET",
        &no_role,
        None,
    );

    let profiles = env.get("/crm/v8/settings/profiles", &[]).await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles",
        "GET",
        &profiles,
        None,
    );
    let list = profiles.body["profiles"].as_array().unwrap().clone();
    let standard = list.iter().find(|p| p["name"] == "Standard").unwrap();
    let standard_id = standard["id"].as_str().unwrap().to_string();
    let admin = list.iter().find(|p| p["name"] == "Administrator").unwrap();
    let one = env
        .get(&format!("/crm/v8/settings/profiles/{standard_id}"), &[])
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "GET",
        &one,
        None,
    );
    let gone = env
        .get("/crm/v8/settings/profiles/4876876999999999999", &[])
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "GET",
        &gone,
        None,
    );
    let perm = one.body["profiles"][0]["permissions_details"][3]["id"].clone();
    let updated = env
        .put(
            &format!("/crm/v8/settings/profiles/{standard_id}"),
            json!({"profiles": [{"permissions_details": [{"id": perm, "enabled": false}]}]}),
        )
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "PUT",
        &updated,
        None,
    );
    let bad = env
        .put(
            &format!("/crm/v8/settings/profiles/{standard_id}"),
            json!({"profiles": [{"permissions_details": [{"id": "42", "enabled": true}]}]}),
        )
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "PUT",
        &bad,
        None,
    );
    let locked = env
        .put(
            &format!(
                "/crm/v8/settings/profiles/{}",
                admin["id"].as_str().unwrap()
            ),
            json!({"profiles": [{"permissions_details": [
                {"id": admin["permissions_details"][0]["id"], "enabled": false}]}]}),
        )
        .await;
    c.check(
        "profiles.json",
        "/crm/v8/settings/profiles/{id}",
        "PUT",
        &locked,
        Some("NOT_ALLOWED for the Administrator profile is not among profiles.json's error codes"),
    );

    // Users: add one, refuse two, update.
    let role = roles.body["roles"][0]["id"].clone();
    let new_user = |email: &str| {
        json!({"first_name": "New", "last_name": "Hire", "email": email,
               "role": {"id": role}, "profile": {"id": standard_id}})
    };
    let added = env
        .post(
            "/crm/v8/users",
            json!({"users": [new_user("hire@acme.com")]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "POST", &added, None);
    let two = env
        .post(
            "/crm/v8/users",
            json!({"users": [new_user("a@acme.com"), new_user("b@acme.com")]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "POST", &two, None);
    let dup = env
        .post(
            "/crm/v8/users",
            json!({"users": [new_user("pat@acme.com")]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "POST", &dup, None);
    let malformed = env.raw(Method::POST, "/crm/v8/users", &[], "{oops").await;
    c.check("users.json", "/crm/v8/users", "POST", &malformed, None);
    let put = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": pat, "last_name": "Doe-Smith"}]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "PUT", &put, None);
    let put_bad = env
        .put(
            "/crm/v8/users",
            json!({"users": [{"id": "1", "last_name": "X"}]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users", "PUT", &put_bad, None);
    let put_one = env
        .put(
            &format!("/crm/v8/users/{pat}"),
            json!({"users": [{"first_name": "Patricia"}]}),
        )
        .await;
    c.check("users.json", "/crm/v8/users/{user}", "PUT", &put_one, None);

    c.finish();
}
