//! Scripted stand-ins for Graph, for answers the sandbox never gives: a next link to another
//! host, a stale token, a 401 no new token fixes.

use super::*;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let hits = Arc::new(AtomicUsize::new(0));
    let other = serve(
        Router::new()
            .fallback(|State(hits): State<Arc<AtomicUsize>>| async move {
                hits.fetch_add(1, Ordering::SeqCst);
                axum::Json(json!({"value": []}))
            })
            .with_state(hits.clone()),
    )
    .await;
    let next = format!("{other}/graph/v1.0/users?$skiptoken=2");
    let graph = serve(
        Router::new()
            .route(
                "/login/{tenant}/oauth2/v2.0/token",
                post(|| async {
                    axum::Json(json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "tok-1"}))
                }),
            )
            .route(
                "/graph/v1.0/users",
                get(move || {
                    let next = next.clone();
                    async move {
                        axum::Json(json!({
                            "value": [{"id": "u1", "userPrincipalName": "a@acme.com"}],
                            "@odata.nextLink": next,
                        }))
                    }
                }),
            ),
    )
    .await;
    let client = GraphClient::connect(
        &GraphEndpoints::sandbox(&Url::parse(&graph).unwrap()),
        &GraphCredentials::new(TENANT, APP, SECRET),
        &options(),
    )
    .unwrap();
    let err = client.users().await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, GraphError::Malformed { .. }), "{text}");
    assert!(text.contains("refusing to follow"), "{text}");
    assert!(text.contains(&other), "{text}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the other host"
    );
    assert_eq!(client.stats().graph_calls, 1);
}

#[tokio::test]
async fn a_stale_token_is_replaced_once_and_sent_as_a_bearer_token() {
    #[derive(Clone, Default)]
    struct Seen {
        tokens: Arc<AtomicUsize>,
        authorizations: Arc<std::sync::Mutex<Vec<String>>>,
    }
    let seen = Seen::default();
    let router = Router::new()
        .route(
            "/login/{tenant}/oauth2/v2.0/token",
            post(|State(seen): State<Seen>| async move {
                let n = seen.tokens.fetch_add(1, Ordering::SeqCst) + 1;
                axum::Json(json!({"token_type": "Bearer", "expires_in": "3599", "access_token": format!("tok-{n}")}))
            }),
        )
        .route(
            "/graph/v1.0/users",
            get(|State(seen): State<Seen>, headers: HeaderMap| async move {
                let auth = headers["authorization"].to_str().unwrap().to_string();
                seen.authorizations.lock().unwrap().push(auth.clone());
                if auth == "Bearer tok-1" {
                    let body = json!({"error": {"code": "InvalidAuthenticationToken", "message": "Lifetime validation failed, the token is expired."}});
                    (StatusCode::UNAUTHORIZED, axum::Json(body))
                } else {
                    let body = json!({"value": [{"id": "u1", "userPrincipalName": "a@acme.com", "accountEnabled": true}]});
                    (StatusCode::OK, axum::Json(body))
                }
            }),
        )
        .route(
            "/graph/v1.0/users/{user}/calendars",
            get(|| async {
                let body = json!({"error": {"code": "Authorization_IdentityNotFound", "message": "The identity of the calling application could not be established."}});
                (StatusCode::UNAUTHORIZED, axum::Json(body))
            }),
        )
        .with_state(seen.clone());
    let url = serve(router).await;

    let client = GraphClient::connect(
        &GraphEndpoints::sandbox(&Url::parse(&url).unwrap()),
        &GraphCredentials::new(TENANT, APP, SECRET),
        &options(),
    )
    .unwrap();
    let users = client.users().await.unwrap();
    assert_eq!(users[0].account_enabled, Some(true));
    assert_eq!(
        *seen.authorizations.lock().unwrap(),
        ["Bearer tok-1", "Bearer tok-2"]
    );
    // A 401 that no new token can fix is answered as it is.
    let err = client
        .folders("a@acme.com", ItemKind::Event)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("Authorization_IdentityNotFound"));
    assert_eq!(seen.tokens.load(Ordering::SeqCst), 2);
    assert_eq!(client.stats().retries, 0);
}
