//! Users, credentials, throttling and where the token may go.

use super::*;

#[tokio::test]
async fn users_are_listed_across_pages_and_only_from_the_own_tenant() {
    let mut seed = Seed::demo();
    seed.tenants.push(generate(
        &GenerateTenantOptions {
            mailboxes: 1001,
            ..GenerateTenantOptions::default()
        },
        &[],
    ));
    let sandbox = sandbox(SandboxConfig {
        seed: Some(seed),
        ..SandboxConfig::default()
    })
    .await;

    let demo = client_for(&sandbox, APP, SECRET);
    let users = demo.users().await.unwrap();
    let mut names: Vec<&str> = users
        .iter()
        .map(|u| u.user_principal_name.as_str())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "admin@acme.com",
            "dev@acme.com",
            "meetingroom@acme.com",
            "nora@acme.com",
            "pat@acme.com"
        ]
    );
    let pat = users
        .iter()
        .find(|u| u.user_principal_name == "pat@acme.com")
        .unwrap();
    assert_eq!(pat.display_name.as_deref(), Some("Pat Doe"));
    assert_eq!(pat.mail.as_deref(), Some("pat@acme.com"));
    assert!(!pat.id.is_empty());
    // Through the trait, on another task: its futures are Send.
    let via_trait = tokio::spawn({
        let client = demo.clone();
        async move { GraphApi::users(&client).await }
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(via_trait, users);

    let big = GraphClient::connect(
        &endpoints(&sandbox),
        &GraphCredentials::new(
            GENERATED_TENANT,
            GENERATED_CLIENT_ID,
            GENERATED_CLIENT_SECRET,
        ),
        &options(),
    )
    .unwrap();
    let users = big.users().await.unwrap();
    assert_eq!(users.len(), 1001);
    let distinct: std::collections::BTreeSet<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(distinct.len(), 1001, "no user is listed twice");
    // 999 users per page: two pages, one token.
    let stats = big.stats();
    assert_eq!(stats.graph_calls, 2);
    assert_eq!(stats.identity_calls, 1);
    assert_eq!(stats.token_refreshes, 1);
    assert_eq!(sandbox.counters.get("GET /graph/v1.0/users"), 4);
}

#[tokio::test]
async fn a_throttled_call_is_retried_after_retry_after_and_succeeds() {
    let sandbox = sandbox(SandboxConfig {
        graph: GraphConfig {
            mailbox_budget: Some(MailboxBudget {
                requests: 2,
                per: Duration::from_secs(2),
            }),
            ..GraphConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let client = client_for(&sandbox, APP, SECRET);
    for _ in 0..3 {
        let calendars = client
            .folders("pat@acme.com", ItemKind::Event)
            .await
            .unwrap();
        assert_eq!(calendars.len(), 2);
    }
    let stats = client.stats();
    assert_eq!(stats.graph_rate_limited, 1, "{stats:?}");
    assert_eq!(stats.retries, 1, "{stats:?}");
    assert_eq!(stats.graph_calls, 4, "{stats:?}");
    assert_eq!(
        sandbox
            .counters
            .get("GET /graph/v1.0/users/{user_id}/calendars"),
        4
    );
    // Another mailbox has its own budget.
    client
        .folders("nora@acme.com", ItemKind::Event)
        .await
        .unwrap();
    assert_eq!(client.stats().graph_rate_limited, 1);
}

#[tokio::test]
async fn refused_credentials_give_clear_errors_without_the_secret() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let canary = "canary-graph-secret-5ec2e7-do-not-print";
    let client = client_for(&sandbox, APP, canary);
    let err = client.users().await.unwrap_err();
    let GraphError::Identity { error, aadsts, .. } = &err else {
        panic!("unexpected error: {err:?}");
    };
    assert_eq!(error, "invalid_client");
    assert_eq!(aadsts.as_deref(), Some("AADSTS7000215"));
    let text = err.to_string();
    assert!(text.contains("Microsoft identity platform"), "{text}");
    assert!(text.contains("client secret is wrong or expired"), "{text}");
    assert!(!text.contains("Zoho"), "{text}");
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(text.contains("credentials given in code"), "{text}");
    assert!(!text.contains(canary), "{text}");
    assert!(!format!("{err:?}").contains(canary));
    assert!(!format!("{client:?}").contains(canary));
    let stats = client.stats();
    assert_eq!(stats.identity_calls, 1, "a refused grant is not retried");
    assert_eq!(stats.graph_calls, 0);

    let wrong_tenant = GraphClient::connect(
        &endpoints(&sandbox),
        &GraphCredentials::new("00000000-0000-0000-0000-000000000bad", APP, SECRET),
        &options(),
    )
    .unwrap();
    let err = wrong_tenant.users().await.unwrap_err().to_string();
    assert!(
        err.contains("invalid_request") && err.contains("AADSTS90002"),
        "{err}"
    );

    let bad_tenant = GraphClient::connect(
        &endpoints(&sandbox),
        &GraphCredentials::new("a/b", APP, SECRET),
        &options(),
    )
    .unwrap_err();
    assert!(
        matches!(bad_tenant, GraphError::InvalidInput(_)),
        "{bad_tenant}"
    );
}

#[tokio::test]
async fn stored_links_to_another_place_are_refused_before_anything_is_sent() {
    let (sandbox, client) = demo().await;
    let port = Url::parse(&sandbox.url).unwrap().port().unwrap();
    for link in [
        "http://evil.example/graph/v1.0/users/pat@acme.com/contactFolders/x/contacts/delta?$deltatoken=abc".to_string(),
        format!("http://127.0.0.1:{}/graph/v1.0/users/pat@acme.com/contacts/delta", port.wrapping_add(1)),
        format!("{}/other/users/pat@acme.com/contacts/delta", sandbox.url),
        "not a url".to_string(),
    ] {
        let err = client
            .delta("pat@acme.com", ItemKind::Contact, "x", &DeltaFrom::Link(link.clone()), 10)
            .await
            .unwrap_err();
        assert!(matches!(err, GraphError::InvalidInput(_)), "{link}: {err}");
        assert!(err.to_string().contains("refusing to follow"), "{err}");
    }
    let stats = client.stats();
    assert_eq!(stats.graph_calls + stats.identity_calls, 0);
}

#[tokio::test]
async fn a_throttled_wait_is_told_with_its_reason_and_length() {
    let sandbox = sandbox(SandboxConfig {
        graph: GraphConfig {
            mailbox_budget: Some(MailboxBudget {
                requests: 1,
                per: Duration::from_secs(2),
            }),
            ..GraphConfig::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = lines.clone();
    let options = ClientOptions {
        wait_notice: Some(Arc::new(move |line: &str| {
            seen.lock().unwrap().push(line.to_string())
        })),
        ..options()
    };
    let creds = GraphCredentials::new(TENANT, APP, SECRET);
    let client = GraphClient::connect(&endpoints(&sandbox), &creds, &options).unwrap();
    for _ in 0..2 {
        client
            .folders("pat@acme.com", ItemKind::Event)
            .await
            .unwrap();
    }
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line = &lines[0];
    assert!(
        line.starts_with("waiting 1 s: Microsoft Graph throttled GET ")
            || line.starts_with("waiting 2 s: Microsoft Graph throttled GET "),
        "{line}"
    );
    assert!(line.contains("/users/pat@acme.com/calendars"), "{line}");
    assert!(line.contains("ApplicationThrottled"), "{line}");
    assert!(!line.contains(SECRET), "{line}");
}

#[tokio::test]
async fn a_refused_call_names_microsoft_graph_and_never_the_token() {
    let sandbox = sandbox(SandboxConfig::default()).await;
    let reader = client_for(&sandbox, READER_APP, READER_SECRET);
    let token = reader.token().await.unwrap();
    let denied = reader
        .create_folder("pat@acme.com", ItemKind::Event, "Meetings")
        .await
        .unwrap_err();
    let GraphError::Api(answer) = &denied else {
        panic!("unexpected error: {denied:?}");
    };
    assert_eq!(
        (answer.status, answer.code.as_str()),
        (403, "ErrorAccessDenied")
    );
    assert!(answer.request_id.is_some(), "{answer:?}");
    let text = denied.to_string();
    assert!(
        text.starts_with(
            "Microsoft Graph refused POST /users/pat@acme.com/calendars: HTTP 403 ErrorAccessDenied"
        ),
        "{text}"
    );
    assert!(text.contains("(request-id "), "{text}");
    assert!(text.contains("give admin consent"), "{text}");
    assert!(!denied.is_retryable() && !denied.is_credentials());

    // A user without a mailbox, and a link that may not be followed: the same wording.
    let writer = client_for(&sandbox, APP, SECRET);
    let missing = writer
        .folders("meetingroom@acme.com", ItemKind::Contact)
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(404));
    assert!(
        missing.to_string().contains("no Exchange Online mailbox"),
        "{missing}"
    );
    let refused_link = reader
        .delta(
            "pat@acme.com",
            ItemKind::Contact,
            "x",
            &DeltaFrom::Link("https://evil.example/v1.0/users".into()),
            10,
        )
        .await
        .unwrap_err();
    for error in [&denied, &missing, &refused_link] {
        let (text, debug) = (error.to_string(), format!("{error:?}"));
        assert!(text.contains("Microsoft Graph"), "{text}");
        assert!(!text.to_lowercase().contains("zoho"), "{text}");
        for secret in [token.value.expose(), READER_SECRET] {
            assert!(!text.contains(secret), "{text}");
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}
