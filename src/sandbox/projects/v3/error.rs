//! The V3 error answer: `{"error":{"status_code","title","error_type","details","instance",
//! "method"}}`, for every failure a V3 handler can meet, so no request ends in a panic, a
//! bare axum rejection or the legacy `{"code","message"}` body.

use axum::Json;
use axum::extract::{OriginalUri, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::wire::{self, Title, key};
use crate::sandbox::auth::AuthFailure;
use crate::sandbox::projects::rules::{Field, RuleError};

/// One entry of `details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub message: String,
    pub field_name: Option<String>,
}

/// A failed V3 request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", title.spec().0)]
pub struct V3Error {
    pub title: Title,
    pub details: Vec<Detail>,
}

/// What every V3 handler returns.
pub type V3Result<T> = Result<T, V3Error>;

impl V3Error {
    pub fn new(title: Title, message: impl Into<String>, field_name: Option<&str>) -> Self {
        V3Error {
            title,
            details: vec![Detail {
                message: message.into(),
                field_name: field_name.map(str::to_string),
            }],
        }
    }

    pub fn status(&self) -> StatusCode {
        self.title.spec().1
    }

    /// The title as sent.
    pub fn title_name(&self) -> &'static str {
        self.title.spec().0
    }

    /// A value the API cannot take, including conflicts with the portal's state.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(Title::InvalidParameterValue, message, Some(field))
    }

    /// A mandatory value that is absent or empty.
    pub fn missing(field: &str) -> Self {
        let message = format!("{field} is mandatory");
        Self::new(Title::LessThanMinOccurance, message, Some(field))
    }

    /// Text that is not JSON, or a value of the wrong JSON type (`field` when one is known).
    pub fn json(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::new(Title::JsonParseError, message, field)
    }

    /// A body the API cannot read at all (not JSON by its content type, or unreadable).
    pub fn input_stream(message: impl Into<String>) -> Self {
        Self::new(Title::InvalidInputStream, message, None)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Title::ResourceNotFound, message, None)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(Title::Forbidden, message, None)
    }

    /// A write to a project that is in the trash.
    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(Title::ResourceGone, message, None)
    }

    /// A path V3 has no rule for.
    pub fn unknown_url() -> Self {
        let message = "The URL is not configured in the API";
        Self::new(Title::UrlRuleNotConfigured, message, None)
    }

    /// A known path called with a method it does not take.
    pub fn invalid_method() -> Self {
        let message = "The method is not supported on this URL";
        Self::new(Title::InvalidMethod, message, None)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Title::InternalServerError, message, None)
    }

    /// The body, for a request to `instance` with `method`.
    pub fn body(&self, instance: &str, method: &str) -> Value {
        let details: Vec<Value> = self
            .details
            .iter()
            .map(|d| match &d.field_name {
                Some(f) => json!({"message": d.message, "field_name": f}),
                None => json!({"message": d.message}),
            })
            .collect();
        let (title, status, error_type) = self.title.spec();
        json!({"error": {
            "status_code": status.as_u16().to_string(),
            "title": title,
            "error_type": error_type,
            "details": details,
            "instance": instance,
            "method": method,
        }})
    }
}

impl From<AuthFailure> for V3Error {
    fn from(failure: AuthFailure) -> Self {
        match failure {
            AuthFailure::InvalidToken => Self::new(
                Title::InvalidOauthToken,
                "Invalid OAuth access token.",
                None,
            ),
            AuthFailure::ScopeMismatch { required } => Self::new(
                Title::InvalidOauthScope,
                format!("Invalid OAuth scope: the token lacks {required}"),
                None,
            ),
        }
    }
}

impl From<RuleError> for V3Error {
    fn from(err: RuleError) -> Self {
        match err {
            RuleError::Invalid { field, why } => {
                let name = field_name(&field);
                Self::invalid(&name, format!("Invalid value for {name}: {why}"))
            }
            RuleError::Conflict { field, message } => Self::invalid(&field_name(&field), message),
            RuleError::Mandatory(f) => {
                let mut e = Self::missing(&wire::api_name(&f.label_name));
                e.details[0].message = format!("The custom field {} is mandatory", f.label_name);
                e
            }
            RuleError::NotFound(message) => Self::not_found(message),
            RuleError::Forbidden(message) => Self::forbidden(message),
            RuleError::Internal(message) => Self::internal(message),
        }
    }
}

/// The V3 body key that carries `field`.
fn field_name(field: &Field) -> String {
    match field {
        Field::Name => key::NAME.into(),
        Field::Owner => key::OWNER.into(),
        Field::EndDate => key::END_DATE.into(),
        Field::Template => key::COPY_FROM.into(),
        Field::Status => key::PROJECT_TYPE.into(),
        Field::PercentComplete => key::PERCENT_COMPLETE.into(),
        Field::Custom(f) => wire::api_name(&f.label_name),
        Field::Email => key::EMAIL.into(),
        Field::Role => key::ROLE.into(),
    }
}

impl From<rusqlite::Error> for V3Error {
    fn from(err: rusqlite::Error) -> Self {
        RuleError::from(err).into()
    }
}

/// Rendered without `instance` and `method`; [`locate`] fills them in from the request,
/// which the error itself does not know.
impl IntoResponse for V3Error {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body("", ""))).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Middleware of the V3 router: writes the request's path and method into error bodies.
pub async fn locate(request: Request, next: Next) -> Response {
    let instance = request
        .extensions()
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let method = request.method().to_string();
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<V3Error>() {
        Some(err) => (err.status(), Json(err.body(&instance, &method))).into_response(),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failures_are_401_with_their_titles() {
        let e = V3Error::from(AuthFailure::InvalidToken);
        assert_eq!(
            (e.status(), e.title_name()),
            (StatusCode::UNAUTHORIZED, "INVALID_OAUTHTOKEN")
        );
        let e = V3Error::from(AuthFailure::ScopeMismatch {
            required: "ZohoProjects.users.READ".into(),
        });
        assert_eq!(
            (e.status(), e.title_name()),
            (StatusCode::UNAUTHORIZED, "INVALID_OAUTHSCOPE")
        );
        assert!(e.details[0].message.contains("ZohoProjects.users.READ"));
    }

    #[test]
    fn the_body_carries_the_status_as_text_and_the_field() {
        let body = V3Error::invalid("name", "bad").body("/api/v3/portal/1/projects", "POST");
        let error = &body["error"];
        assert_eq!(error["status_code"], "400");
        assert_eq!(error["title"], "INVALID_PARAMETER_VALUE");
        assert_eq!(error["error_type"], "FIELDS_VALIDATION_ERROR");
        assert_eq!(error["details"][0]["field_name"], "name");
        assert_eq!(error["instance"], "/api/v3/portal/1/projects");
        assert_eq!(error["method"], "POST");
    }

    #[test]
    fn rule_errors_name_v3_keys() {
        let e = V3Error::from(RuleError::Invalid {
            field: Field::Template,
            why: "x".into(),
        });
        assert_eq!(e.details[0].field_name.as_deref(), Some("copy_from"));
    }
}
