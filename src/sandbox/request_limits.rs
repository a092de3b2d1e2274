//! The limits every request meets before its handler, and the net under axum's own
//! rejections: a body over its service's size limit is refused up front, and any plain-text
//! answer axum itself produces (a body over the limit sent without `Content-Length`, a path
//! that does not decode) is re-written in the error format of the service the path belongs
//! to, so no client of the twin sees an answer its real service would never give. A handler
//! that panics is answered as the service's own 500 rather than a dropped connection.

use std::panic::AssertUnwindSafe;

use axum::extract::Request;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use serde_json::json;

use super::error::CrmError;
use super::graph::error::{GraphError, oauth_error};
use super::projects::error::ApiError;
use super::projects::v3::error::V3Error;
use super::projects::v3::wire::Title;

/// Largest CRM request body: batches of 100 records with long text fields outgrow axum's
/// 2 MB default, and Zoho documents no smaller limit.
pub const CRM_MAX_BODY: usize = 64 * 1024 * 1024;
/// Largest Microsoft Graph request body (Graph's documented 4 MB request limit).
pub const GRAPH_MAX_BODY: usize = 4 * 1024 * 1024;
/// Largest body of the two token endpoints (a few form fields).
pub const TOKEN_MAX_BODY: usize = 64 * 1024;
/// Longest excerpt of a client's input an error message quotes.
pub const EXCERPT_CHARS: usize = 120;
/// A declared body up to this size is read and thrown away before the 413 goes out, so the
/// client, still sending, sees the answer rather than a connection reset; a larger one is
/// answered at once and the connection dropped.
const DRAIN_MAX: u64 = 128 * 1024 * 1024;

/// The API a path belongs to, which decides the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Accounts,
    Crm,
    ProjectsLegacy,
    ProjectsV3,
    Graph,
    GraphLogin,
}

impl Service {
    pub fn of(path: &str) -> Service {
        if path.starts_with("/oauth") {
            Service::Accounts
        } else if path.starts_with("/restapi") {
            Service::ProjectsLegacy
        } else if path.starts_with("/api/v3") {
            Service::ProjectsV3
        } else if path.starts_with("/graph") {
            Service::Graph
        } else if path.starts_with("/login") {
            Service::GraphLogin
        } else {
            Service::Crm
        }
    }

    /// The largest body checked here; Projects reads its bodies itself, with its own limit
    /// and its own 400.
    pub fn max_body(self) -> Option<usize> {
        match self {
            Service::Crm => Some(CRM_MAX_BODY),
            Service::Graph => Some(GRAPH_MAX_BODY),
            Service::Accounts | Service::GraphLogin => Some(TOKEN_MAX_BODY),
            Service::ProjectsLegacy | Service::ProjectsV3 => None,
        }
    }

    /// The service's answer to a body over `limit` bytes.
    // (unconfirmed) Zoho's status-code page lists 413 "REQUEST ENTITY TOO LARGE" without a
    // body, and Graph's error page the 413 status without a code; the codes are the sandbox's.
    pub fn too_large(self, limit: usize, method: &Method, path: &str) -> Response {
        let message = format!("The request body is larger than the {limit} bytes accepted.");
        let status = StatusCode::PAYLOAD_TOO_LARGE;
        match self {
            Service::Crm => CrmError::new(status, "REQUEST_ENTITY_TOO_LARGE", message)
                .with_details(json!({ "limit": limit }))
                .into_response(),
            Service::Graph => {
                GraphError::new(status, "RequestEntityTooLarge", message).into_response()
            }
            _ => self.refusal(status, &message, method, path),
        }
    }

    /// The service's own internal error, for a handler that panicked.
    pub fn internal(self, method: &Method, path: &str) -> Response {
        let message = "Internal server error occurred.";
        match self {
            Service::Crm => CrmError::internal(path.starts_with("/crm/v8/users")).into_response(),
            Service::Accounts => (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({ "error": "server_error" })),
            )
                .into_response(),
            Service::ProjectsLegacy => ApiError::internal(message).into_response(),
            Service::ProjectsV3 => {
                let err = V3Error::internal(message);
                (err.status(), axum::Json(err.body(path, method.as_str()))).into_response()
            }
            Service::Graph => GraphError::internal(message).into_response(),
            Service::GraphLogin => {
                oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", message)
            }
        }
    }

    /// The service's answer to a request axum refused before any handler saw it.
    pub fn refusal(
        self,
        status: StatusCode,
        reason: &str,
        method: &Method,
        path: &str,
    ) -> Response {
        let reason = excerpt(reason);
        match self {
            Service::Crm if status.is_server_error() => CrmError::internal(false).into_response(),
            Service::Crm => CrmError::new(status, "INVALID_DATA", "invalid data")
                .with_details(json!({ "reason": reason }))
                .into_response(),
            // Zoho Accounts answers a bad request with 200 and an `error` member.
            Service::Accounts => (
                StatusCode::OK,
                axum::Json(json!({ "error": "invalid_request" })),
            )
                .into_response(),
            Service::ProjectsLegacy => {
                ApiError::new(status, super::projects::wire::code::INVALID_INPUT, reason)
                    .into_response()
            }
            Service::ProjectsV3 => {
                let err = V3Error::new(Title::InvalidInputStream, reason, None);
                (err.status(), axum::Json(err.body(path, method.as_str()))).into_response()
            }
            Service::Graph => GraphError::new(status, "BadRequest", reason).into_response(),
            Service::GraphLogin => oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("AADSTS900144: {reason}"),
            ),
        }
    }
}

/// At most [`EXCERPT_CHARS`] characters of a client's input, marked when cut, so an error
/// about a megabyte of text does not echo the megabyte.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => text.to_string(),
        Some((at, _)) => format!("{}… ({} characters)", &text[..at], text.chars().count()),
    }
}

/// Middleware over the whole router: refuses a declared body over its service's limit,
/// then re-writes axum's plain-text rejections in the service's own error format.
pub async fn guard(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let service = Service::of(&path);
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let (Some(limit), Some(length)) = (service.max_body(), declared)
        && length > limit as u64
    {
        if length <= DRAIN_MAX {
            discard(request.into_body()).await;
        }
        return service.too_large(limit, &method, &path);
    }
    let response = match AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(%method, %path, "a sandbox handler panicked");
            return service.internal(&method, &path);
        }
    };
    if !is_plain_rejection(&response) {
        return response;
    }
    let status = response.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE
        && let Some(limit) = service.max_body()
    {
        return service.too_large(limit, &method, &path);
    }
    let text = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    service.refusal(status, &text, &method, &path)
}

/// Reads a body to its end without keeping it: memory stays flat whatever its size.
async fn discard(body: axum::body::Body) {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        if chunk.is_err() {
            break;
        }
    }
}

/// An error answer axum produced itself: handlers of the twin answer only JSON.
fn is_plain_rejection(response: &Response) -> bool {
    let status = response.status();
    (status.is_client_error() || status.is_server_error())
        && response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_belong_to_their_services() {
        assert_eq!(Service::of("/crm/v8/Contacts"), Service::Crm);
        assert_eq!(Service::of("/oauth/v2/token"), Service::Accounts);
        assert_eq!(Service::of("/restapi/portals/"), Service::ProjectsLegacy);
        assert_eq!(Service::of("/api/v3/portals"), Service::ProjectsV3);
        assert_eq!(Service::of("/graph/v1.0/users"), Service::Graph);
        assert_eq!(
            Service::of("/login/t/oauth2/v2.0/token"),
            Service::GraphLogin
        );
        assert_eq!(Service::of("/%FF"), Service::Crm);
    }

    #[tokio::test]
    async fn a_panicking_handler_is_the_services_500_and_the_server_goes_on() {
        async fn boom() -> &'static str {
            panic!("a handler bug")
        }
        let app = axum::Router::new()
            .route("/crm/v8/boom", axum::routing::get(boom))
            .route("/graph/v1.0/boom", axum::routing::get(boom))
            .route("/crm/v8/org", axum::routing::get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(guard));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::new();
        let crm: serde_json::Value = http
            .get(format!("{base}/crm/v8/boom"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(crm["code"], "INTERNAL_ERROR");
        let graph = http
            .get(format!("{base}/graph/v1.0/boom"))
            .send()
            .await
            .unwrap();
        assert_eq!(graph.status(), 500);
        let graph: serde_json::Value = graph.json().await.unwrap();
        assert_eq!(graph["error"]["code"], "InternalServerError");
        let org = http.get(format!("{base}/crm/v8/org")).send().await.unwrap();
        assert_eq!(org.text().await.unwrap(), "ok");
        server.abort();
    }

    #[test]
    fn excerpts_cut_long_input_on_a_character_boundary() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(1_000_000);
        let cut = excerpt(&long);
        assert!(cut.starts_with(&"é".repeat(EXCERPT_CHARS)));
        assert!(cut.ends_with("(1000000 characters)"));
        assert!(cut.chars().count() < EXCERPT_CHARS + 30);
    }
}
