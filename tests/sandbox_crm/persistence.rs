//! State survives a restart on the same database file; seeds load once, and bad seeds are
//! refused with a message naming the entry at fault.

use projectlink::sandbox::seed::Seed;
use projectlink::sandbox::{Sandbox, SandboxConfig, SandboxError};
use serde_json::json;

use super::support::{ADMIN_REFRESH, Env};

#[tokio::test]
async fn records_metadata_and_tokens_survive_a_restart() {
    let env = Env::start().await;
    let db = env.dir.path().join("sandbox.db");
    let created = env
        .post(
            "/crm/v8/Accounts",
            json!({"data": [{"Account_Name": "Persisted Ltd"}]}),
        )
        .await;
    let id = created.ok()["data"][0]["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.post(
        "/crm/v8/settings/fields?module=Accounts",
        json!({"fields": [{"field_label": "Region Code", "data_type": "text"}]}),
    )
    .await
    .ok();
    let token = env.admin.clone();
    let Env { sandbox, dir, .. } = env;
    sandbox.stop().await;

    // A different seed is ignored: the database already holds an org.
    let mut other = Seed::demo();
    other.org.company_name = "Someone Else".into();
    let restarted = Sandbox::start(SandboxConfig {
        db: Some(db),
        seed: Some(other),
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let get = |path: String| {
        http.get(format!("{}{path}", restarted.url))
            .header("Authorization", format!("Zoho-oauthtoken {token}"))
            .send()
    };
    let record: serde_json::Value = get(format!("/crm/v8/Accounts/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(record["data"][0]["Account_Name"], "Persisted Ltd");
    assert!(record["data"][0].get("Region_Code").is_some());
    let org: serde_json::Value = get("/crm/v8/org".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(org["org"][0]["company_name"], "Acme Corp");
    drop(dir);
}

#[tokio::test]
async fn seeds_with_dangling_references_are_refused_by_name() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut seed = Seed::demo();
    seed.users[3].profile = "Wizard".into();
    let err = Sandbox::start(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await
    .err()
    .expect("an unknown profile is an error");
    match err {
        SandboxError::Seed(e) => {
            let message = e.to_string();
            assert!(message.contains("users[3]"), "{message}");
            assert!(message.contains("Wizard"), "{message}");
        }
        other => panic!("unexpected error {other}"),
    }

    let mut seed = Seed::demo();
    seed.records.get_mut("Contacts").unwrap()[0]
        .insert("Account_Name".into(), json!({"_ref": "nobody"}));
    let err = Sandbox::start(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await
    .err()
    .unwrap();
    assert!(err.to_string().contains("records.Contacts[0]"), "{err}");
}

#[tokio::test]
async fn a_malformed_seed_file_is_reported_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    std::fs::write(
        &path,
        "org:\n  company_name: Acme\nusers:\n  - email: a@b.example\n    last_name: A\n    profile: Standard\n    role: CEO\n    shoe_size: 9\n",
    )
    .unwrap();
    let err = Seed::read(&path).unwrap_err().to_string();
    assert!(err.contains("seed.yaml:8:"), "{err}");
    assert!(err.contains("shoe_size"), "{err}");
}

#[tokio::test]
async fn a_fresh_demo_sandbox_answers_the_token_endpoint_after_restart_too() {
    let env = Env::start().await;
    let db = env.dir.path().join("sandbox.db");
    let Env { sandbox, dir, .. } = env;
    sandbox.stop().await;
    let restarted = Env::start_with(SandboxConfig {
        db: Some(db),
        ..SandboxConfig::default()
    })
    .await;
    assert!(restarted.token_request(ADMIN_REFRESH).await.body["access_token"].is_string());
    drop(dir);
}
