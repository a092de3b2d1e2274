//! The Projects API's error answer: an HTTP status plus `{"error":{"code","message"}}`, for
//! every failure a handler can meet, so no request ends in a panic or a bare axum rejection.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::rules::{Field, RuleError};
use super::wire::{code, param};
use crate::sandbox::auth::AuthFailure;

/// A failed request, rendered in the legacy Projects error format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: u32,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// A missing or invalid parameter (400).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code::INVALID_INPUT, message)
    }

    /// A parameter that must be present is not.
    pub fn missing(param: &str) -> Self {
        Self::invalid(format!("Input parameter missing: {param}"))
    }

    /// An unknown portal, project, user or client (404).
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code::NOT_FOUND, what)
    }

    /// The caller's role in the portal does not allow this (403).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code::FORBIDDEN, message)
    }

    /// Too many requests (429), in the Projects format.
    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            code::TOO_MANY_REQUESTS,
            "Too many requests. Please try again later.",
        )
    }

    /// A failure of the sandbox itself (500); Zoho answers the same way for its own faults.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, code::INTERNAL, message)
    }
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::InvalidToken => Self::new(
                StatusCode::UNAUTHORIZED,
                code::INVALID_TOKEN,
                "Invalid OAuth access token.",
            ),
            // As a live client recorded it: HTTP 403, although Zoho's error table lists 6403
            // under 400; like Zoho, it does not say which scope is missing.
            AuthFailure::ScopeMismatch { .. } => Self::new(
                StatusCode::FORBIDDEN,
                code::FORBIDDEN,
                "Invalid OAuth scope.",
            ),
        }
    }
}

impl From<RuleError> for ApiError {
    fn from(err: RuleError) -> Self {
        match err {
            RuleError::Invalid {
                field: Field::Custom(f),
                why,
            } => Self::invalid(format!(
                "Invalid value for {}: {}: {why}",
                param::CUSTOM_FIELDS,
                f.column_name
            )),
            RuleError::Invalid { field, why } => {
                Self::invalid(format!("Invalid value for {}: {why}", param_name(&field)))
            }
            RuleError::Conflict { message, .. } => Self::invalid(message),
            RuleError::Mandatory(f) => Self::invalid(format!(
                "Input parameter missing: custom field {} ({}) is mandatory",
                f.column_name, f.label_name
            )),
            RuleError::NotFound(message) => Self::not_found(message),
            RuleError::Forbidden(message) => Self::forbidden(message),
            RuleError::Internal(message) => Self::internal(message),
        }
    }
}

/// The legacy parameter that carries `field`.
fn param_name(field: &Field) -> &'static str {
    match field {
        Field::Name => param::NAME,
        Field::Owner => param::OWNER,
        Field::EndDate => param::END_DATE,
        Field::Template => param::TEMPLATE_ID,
        Field::Status => param::STATUS,
        Field::PercentComplete => param::PERCENT_COMPLETE,
        Field::Custom(_) => param::CUSTOM_FIELDS,
        Field::Email => param::EMAIL,
        Field::Role => param::ROLE,
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        tracing::error!(error = %err, "projects sandbox database error");
        Self::internal("Internal error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// What every handler returns.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_map_to_the_documented_codes() {
        let e = ApiError::from(AuthFailure::InvalidToken);
        assert_eq!((e.status, e.code), (StatusCode::UNAUTHORIZED, 6401));
        let e = ApiError::from(AuthFailure::ScopeMismatch {
            required: "ZohoProjects.projects.READ".into(),
        });
        assert_eq!((e.status, e.code), (StatusCode::FORBIDDEN, 6403));
        assert_eq!(e.message, "Invalid OAuth scope.");
    }
}
