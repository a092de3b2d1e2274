//! Graph's error answers: `{"error":{"code","message","innerError"}}` with the HTTP status
//! Microsoft uses for each case, plus the identity platform's OAuth error body.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One Graph error answer.
#[derive(Debug, Clone)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for a `Retry-After` header (throttling).
    pub retry_after: Option<u64>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// An OData query option the sandbox (or Graph) cannot parse.
    pub fn parse_uri(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ErrorInvalidRequest", message)
    }

    pub fn item_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ErrorItemNotFound",
            "The specified object was not found in the store.",
        )
    }

    pub fn invalid_user(user: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "ErrorInvalidUser",
            format!("The requested user '{user}' is invalid."),
        )
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// Missing application permission on a mailbox resource (Outlook's wording).
    pub fn mailbox_access_denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        )
    }

    /// Missing application permission on a directory resource (Entra ID's wording).
    pub fn directory_access_denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    pub fn sync_state_not_found() -> Self {
        Self::new(
            StatusCode::GONE,
            "SyncStateNotFound",
            "The sync state generation is not found. The delta token is expired or invalid; \
             start a full synchronization without a token.",
        )
    }

    pub fn throttled(retry_after: u64) -> Self {
        GraphError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "ApplicationThrottled",
                "Application is over its request limit for this mailbox.",
            )
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            message,
        )
    }
}

impl From<rusqlite::Error> for GraphError {
    fn from(e: rusqlite::Error) -> Self {
        GraphError::internal(format!("storage error: {e}"))
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        let body = json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "date": now,
                    "request-id": uuid_like(),
                    "client-request-id": uuid_like(),
                }
            }
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert("Retry-After", v);
        }
        response
    }
}

/// A random GUID-shaped string (request ids, user ids).
pub fn uuid_like() -> String {
    use rand::Rng;
    let b: [u8; 16] = rand::rng().random();
    guid_from_bytes(&b)
}

/// Formats 16 bytes as a GUID (`8-4-4-4-12` hex digits).
pub fn guid_from_bytes(b: &[u8; 16]) -> String {
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The identity platform's token endpoint errors: `{"error","error_description",...}`.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({
        "error": error,
        "error_description": description,
        "error_codes": [],
        "timestamp": chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
        "trace_id": uuid_like(),
        "correlation_id": uuid_like(),
    });
    (status, Json(body)).into_response()
}
