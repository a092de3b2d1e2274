//! Error bodies in Zoho's own formats: CRM's `{"code","details","message","status":"error"}`
//! and Projects' legacy `{"error":{"code","message"}}`.
//!
//! Every code and message the CRM part of the sandbox sends is built here, so a wording that
//! turns out to differ from the real service is corrected in one place. Messages follow the
//! enumerations in Zoho's OpenAPI files where those list them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::AuthFailure;

/// A whole-request CRM error: the bare `{code, details, message, status}` object.
#[derive(Debug, Clone)]
pub struct CrmError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl CrmError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        CrmError {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The JSON body, also used for per-item errors inside batch responses.
    pub fn body(&self) -> Value {
        json!({
            "code": self.code,
            "details": self.details,
            "message": self.message,
            "status": "error",
        })
    }

    pub fn invalid_token() -> Self {
        CrmError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "invalid oauth token",
        )
    }

    pub fn scope_mismatch() -> Self {
        CrmError::new(
            StatusCode::UNAUTHORIZED,
            "OAUTH_SCOPE_MISMATCH",
            "invalid oauth scope to access this URL",
        )
    }

    /// The token is valid but its user is not an active user of this CRM org.
    pub fn authentication_failure() -> Self {
        CrmError::new(
            StatusCode::UNAUTHORIZED,
            "AUTHENTICATION_FAILURE",
            "Authentication failed",
        )
    }

    pub fn no_permission(permissions: &[String]) -> Self {
        CrmError::new(StatusCode::FORBIDDEN, "NO_PERMISSION", "permission denied")
            .with_details(json!({ "permissions": permissions }))
    }

    pub fn invalid_url_pattern() -> Self {
        CrmError::new(
            StatusCode::NOT_FOUND,
            "INVALID_URL_PATTERN",
            "Please check if the URL trying to access is a correct one",
        )
    }

    pub fn invalid_request_method() -> Self {
        CrmError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "INVALID_REQUEST_METHOD",
            "The http request method type is not a valid one",
        )
    }

    /// An unknown module in the URL path (`resource_path_index` counts after `/crm/v8/`).
    pub fn invalid_module_in_path(index: u32) -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_MODULE",
            "The module name given seems to be invalid",
        )
        .with_details(json!({ "resource_path_index": index }))
    }

    /// An unknown module given as the `module` query parameter.
    pub fn invalid_module_param() -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_MODULE",
            "The module name given seems to be invalid",
        )
        .with_details(json!({ "param": "module", "api_name": "module" }))
    }

    pub fn required_param_missing(param: &str) -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "REQUIRED_PARAM_MISSING",
            "One of the expected parameter is missing",
        )
        .with_details(json!({ "param_name": param, "param": param }))
    }

    /// A query parameter with a value outside what the endpoint accepts.
    pub fn invalid_param(param: &str, message: impl Into<String>) -> Self {
        CrmError::new(StatusCode::BAD_REQUEST, "INVALID_DATA", message)
            .with_details(json!({ "param_name": param, "param": param }))
    }

    /// The request body is not valid JSON (or not a JSON object).
    // (unconfirmed) Zoho answers an unparsable body with INVALID_DATA and the message "body",
    // which is among the messages record.json enumerates.
    pub fn malformed_body() -> Self {
        CrmError::new(StatusCode::BAD_REQUEST, "INVALID_DATA", "body")
            .with_details(json!({ "expected_data_type": "jsonobject" }))
    }

    /// The wrapper key (`data`, `users`, `fields`...) is missing or not an array.
    pub fn mandatory_missing(api_name: &str, json_path: &str) -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "MANDATORY_NOT_FOUND",
            "required field not found",
        )
        .with_details(json!({ "api_name": api_name, "json_path": json_path }))
    }

    pub fn invalid_data(api_name: &str, json_path: &str) -> Self {
        CrmError::new(StatusCode::BAD_REQUEST, "INVALID_DATA", "invalid data")
            .with_details(json!({ "api_name": api_name, "json_path": json_path }))
    }

    pub fn expected_type(api_name: &str, json_path: &str, expected: &str) -> Self {
        CrmError::new(StatusCode::BAD_REQUEST, "INVALID_DATA", "invalid data").with_details(json!({
            "expected_data_type": expected,
            "api_name": api_name,
            "json_path": json_path,
        }))
    }

    pub fn max_length(api_name: &str, json_path: &str, maximum: u64) -> Self {
        CrmError::new(StatusCode::BAD_REQUEST, "INVALID_DATA", "invalid data").with_details(json!({
            "maximum_length": maximum,
            "api_name": api_name,
            "json_path": json_path,
        }))
    }

    pub fn duplicate(api_name: &str, json_path: &str) -> Self {
        CrmError::new(StatusCode::BAD_REQUEST, "DUPLICATE_DATA", "duplicate data")
            .with_details(json!({ "api_name": api_name, "json_path": json_path }))
    }

    pub fn invalid_id(id: &str) -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_DATA",
            "the id given seems to be invalid",
        )
        .with_details(json!({ "id": id }))
    }

    /// More records in one write than Zoho accepts.
    pub fn record_limit(limit: u64) -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "LIMIT_EXCEEDED",
            "Record count exceeded",
        )
        .with_details(json!({ "limit": limit }))
    }

    /// `page` × `per_page` beyond the first 2,000 records without `page_token`.
    pub fn discrete_pagination_limit() -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            "You can only get the first 2000 records without using page_token param.",
        )
        .with_details(json!({ "limit": 2000 }))
    }

    pub fn pagination_limit() -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "PAGINATION_LIMIT_EXCEEDED",
            "You can only get the first 100000 records using page_token param.",
        )
        .with_details(json!({ "limit": 100000 }))
    }

    /// Search matched more than the 2,000 records it may return.
    pub fn search_limit_reached() -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "LIMIT_REACHED",
            "Record count exceeded",
        )
        .with_details(json!({ "limit": 2000 }))
    }

    pub fn invalid_query(api_name: &str, reason: &str) -> Self {
        CrmError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY",
            "Invalid query formed",
        )
        .with_details(json!({
            "expected_data_type": "criteria",
            "reason": reason,
            "api_name": api_name,
        }))
    }

    pub fn not_allowed(api_name: &str, json_path: &str, message: impl Into<String>) -> Self {
        CrmError::new(StatusCode::BAD_REQUEST, "NOT_ALLOWED", message)
            .with_details(json!({ "api_name": api_name, "json_path": json_path }))
    }

    /// The edition's concurrency or 24-hour credit limit is exhausted.
    // (unconfirmed) Zoho's status-code page names the code but shows no message or details.
    pub fn too_many_requests(reason: &str) -> Self {
        CrmError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "The request limit has been exceeded. Please try again later.",
        )
        .with_details(json!({ "reason": reason }))
    }

    /// An injected or genuine server fault. `users.json` names the code
    /// `INTERNAL_SERVER_ERROR`; every other file and the status-code page say `INTERNAL_ERROR`.
    pub fn internal(users_api: bool) -> Self {
        CrmError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            if users_api {
                "INTERNAL_SERVER_ERROR"
            } else {
                "INTERNAL_ERROR"
            },
            "Internal server error occurred.",
        )
    }

    pub fn from_auth(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::InvalidToken => CrmError::invalid_token(),
            AuthFailure::ScopeMismatch { .. } => CrmError::scope_mismatch(),
        }
    }

    /// Wraps this error as the only item of `{"<wrapper>":[...]}`, the shape Zoho uses when a
    /// batch endpoint rejects the whole batch for a per-item reason.
    pub fn wrapped(self, wrapper: &str) -> Response {
        let body = json!({ wrapper: [self.body()] });
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<AuthFailure> for CrmError {
    fn from(failure: AuthFailure) -> Self {
        CrmError::from_auth(failure)
    }
}

impl IntoResponse for CrmError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

/// A database failure inside a handler: logged, answered as Zoho's 500.
impl From<rusqlite::Error> for CrmError {
    fn from(error: rusqlite::Error) -> Self {
        tracing::error!(%error, "sandbox database error");
        CrmError::internal(false)
    }
}

/// A Projects legacy error: `{"error":{"code":<int>,"message":"..."}}` with its HTTP status.
pub fn projects_error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message } })),
    )
        .into_response()
}

/// Fallback for any path no router matched, in the format of the API the path belongs to.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/restapi") {
        projects_error(StatusCode::NOT_FOUND, 6404, "Given URL is wrong")
    } else if uri.path().starts_with("/oauth") {
        (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "error": "invalid_request" })),
        )
            .into_response()
    } else {
        CrmError::invalid_url_pattern().into_response()
    }
}

/// Fallback for a known path called with a method it does not serve.
pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/restapi") {
        projects_error(StatusCode::METHOD_NOT_ALLOWED, 6404, "Given URL is wrong")
    } else {
        CrmError::invalid_request_method().into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_carry_code_details_message_and_status() {
        let body = CrmError::required_param_missing("fields").body();
        assert_eq!(body["code"], "REQUIRED_PARAM_MISSING");
        assert_eq!(body["details"]["param_name"], "fields");
        assert_eq!(body["status"], "error");
    }

    #[test]
    fn auth_failures_map_to_401_codes() {
        let e = CrmError::from(AuthFailure::ScopeMismatch {
            required: "ZohoCRM.users.READ".into(),
        });
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert_eq!(e.code, "OAUTH_SCOPE_MISMATCH");
        assert_eq!(
            CrmError::from(AuthFailure::InvalidToken).code,
            "INVALID_TOKEN"
        );
    }
}
