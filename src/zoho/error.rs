//! Typed errors of the Zoho clients, each naming the request it belongs to (method, path and
//! query; never the host's token or a credential), so a failure in a plan/apply report says
//! exactly which call went wrong.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::quota::{QuotaExceeded, QuotaKind};

/// Which service a request went to: Zoho's three, or Microsoft's two (the Office 365 sync
/// shares the same HTTP core).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum System {
    Accounts,
    Crm,
    Projects,
    /// Microsoft Graph v1.0.
    Graph,
    /// The Microsoft identity platform's token endpoint.
    MicrosoftIdentity,
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            System::Accounts => "Zoho Accounts",
            System::Crm => "Zoho CRM",
            System::Projects => "Zoho Projects",
            System::Graph => "Microsoft Graph",
            System::MicrosoftIdentity => "Microsoft identity platform",
        })
    }
}

/// A request as it appears in errors and logs: `GET /crm/v8/users?type=ActiveUsers&page=2`.
/// Built from the method, path and query only; tokens travel in headers and form bodies and
/// never end up here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDescription {
    pub system: System,
    pub method: String,
    /// Path plus `?query` when there is one.
    pub target: String,
}

impl fmt::Display for RequestDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.target)
    }
}

/// How a request failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    Timeout,
    Connect,
    /// The connection broke while sending or receiving (reset, closed early, bad framing).
    Connection,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFailure::Timeout => "timed out",
            TransportFailure::Connect => "could not connect",
            TransportFailure::Connection => "connection failed",
        })
    }
}

/// A failure talking to a token endpoint (Zoho Accounts, the Microsoft identity platform)
/// about the grant itself.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// Zoho Accounts issues at most ten access tokens per refresh token per ten minutes and
    /// answers more with `{"error":"Access Denied","error_description":"You have made too
    /// many requests continuously…"}`. The grant is fine; only waiting helps.
    #[error(
        "Zoho Accounts refused a new access token: too many token requests for this grant ({origin}); Zoho allows ten per refresh token per ten minutes, wait a few minutes and retry"
    )]
    TooManyTokenRequests { origin: String },
    /// The token endpoint refused the refresh token (`{"error":"invalid_code"}` and the like).
    #[error("refresh token rejected by Zoho Accounts: {error}{}; check the credentials for {origin}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Rejected {
        error: String,
        description: Option<String>,
        origin: String,
    },
    /// The Microsoft identity platform refused the client-credentials grant
    /// (`{"error":"invalid_client","error_description":"AADSTS7000215: …"}` and the like).
    #[error("the Microsoft identity platform refused the client credentials: {error}{}; check the Microsoft Graph credentials for {origin}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    ClientCredentialsRejected {
        error: String,
        description: Option<String>,
        origin: String,
    },
    /// The token endpoint answered, but not with a token.
    #[error(
        "{service} returned no usable access token (HTTP {status}: {problem}); check the credentials for {origin}"
    )]
    Malformed {
        service: System,
        status: u16,
        problem: String,
        origin: String,
    },
}

/// An error answer from Zoho.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: u16,
    /// Zoho's code: `INVALID_DATA`, `TOO_MANY_REQUESTS`, … (CRM) or the legacy numeric code
    /// as text, e.g. `6404` (Projects); `HTTP_<status>` when the body carried none.
    pub code: String,
    pub message: String,
    /// e.g. `{"api_name":"Email","json_path":"$.data[0].Email"}`.
    pub details: Value,
    pub request: RequestDescription,
    /// The `Retry-After` the answer carried, if any.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
        request: RequestDescription,
    ) -> ApiError {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            details: Value::Null,
            request,
            retry_after: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: HTTP {} {}: {}",
            self.request, self.status, self.code, self.message
        )?;
        if let Some(field) = self.details.get("api_name").and_then(Value::as_str) {
            write!(f, " (field {field})")?;
        }
        Ok(())
    }
}

impl From<ApiError> for ZohoError {
    /// A license refusal is named as such; every other answer stays an API error.
    fn from(e: ApiError) -> ZohoError {
        match super::quota::license_exhausted(&e) {
            Some(quota) => ZohoError::Quota(Box::new(quota)),
            None => ZohoError::Api(Box::new(e)),
        }
    }
}

/// Every way a Zoho call can fail. Microsoft Graph calls meet it only inside the shared
/// transport: the Graph client hands its callers a `GraphError` (`crate::graph`) instead.
#[derive(Debug, thiserror::Error)]
pub enum ZohoError {
    /// Zoho answered with an error status and (usually) a code.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The request did not complete: timeout, refused or reset connection.
    #[error("{request}: {kind}: {source}")]
    Transport {
        request: RequestDescription,
        kind: TransportFailure,
        #[source]
        source: reqwest::Error,
    },
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Zoho answered success with a body this client cannot read.
    #[error("{request}: unexpected response: {message}")]
    Decode {
        request: RequestDescription,
        message: String,
    },
    /// Transient failures repeated until the retry budget ran out.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted { attempts: u32, last: Box<ZohoError> },
    /// A failure injected by a fault script before the request was sent.
    #[error("{request}: {reason}")]
    Injected {
        request: RequestDescription,
        reason: String,
    },
    /// The caller asked for something the API cannot express (empty id, bad batch…).
    #[error("invalid request: {0}")]
    InvalidInput(String),
    /// Zoho Projects locked this API for this user after too many calls. Never retried:
    /// every call during the lock prolongs it.
    #[error(
        "{request}: Zoho Projects has locked this API for this user until {} ({message}); nothing more is sent to it until then: run again after that time, and keep other tools that use the same Zoho user below the limit (see --projects-rate-limit)",
        until.format("%Y-%m-%d %H:%M:%S UTC")
    )]
    Locked {
        request: RequestDescription,
        until: chrono::DateTime<chrono::Utc>,
        message: String,
    },
    /// A quota only time or a purchase restores: the day's CRM API credits, or the org's
    /// user licenses. Never retried.
    #[error("{0}")]
    Quota(Box<QuotaExceeded>),
}

impl ZohoError {
    /// A failure after the request may have reached the service and been carried out: it
    /// timed out or the connection broke (a refused connection sent nothing).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ZohoError::Transport { kind, .. } => *kind != TransportFailure::Connect,
            ZohoError::RetriesExhausted { last, .. } => last.outcome_unknown(),
            _ => false,
        }
    }

    /// Whether trying again later may succeed (429, 5xx, timeouts, broken connections).
    pub fn is_retryable(&self) -> bool {
        match self {
            ZohoError::Api(e) => e.status == 429 || e.status >= 500,
            ZohoError::Transport { .. } => true,
            ZohoError::RetriesExhausted { last, .. } => last.is_retryable(),
            ZohoError::Auth(_)
            | ZohoError::Decode { .. }
            | ZohoError::Injected { .. }
            | ZohoError::InvalidInput(_)
            | ZohoError::Locked { .. }
            | ZohoError::Quota(_) => false,
        }
    }

    /// Whether Zoho refused the call for rate or credit limits.
    pub fn is_rate_limited(&self) -> bool {
        match self {
            ZohoError::Api(e) => e.status == 429 || e.code == super::response::PROJECTS_THROTTLED,
            ZohoError::Auth(AuthError::TooManyTokenRequests { .. }) => true,
            ZohoError::Locked { .. } => true,
            ZohoError::Quota(q) => q.kind == QuotaKind::DailyCredits,
            ZohoError::RetriesExhausted { last, .. } => last.is_rate_limited(),
            _ => false,
        }
    }

    /// The HTTP status Zoho answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ZohoError::Api(e) => Some(e.status),
            ZohoError::Quota(q) => Some(q.status),
            ZohoError::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// Zoho's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ZohoError::Api(e) => Some(&e.code),
            ZohoError::Quota(q) => Some(&q.code),
            ZohoError::RetriesExhausted { last, .. } => last.code(),
            _ => None,
        }
    }

    /// The request the error belongs to.
    pub fn request(&self) -> Option<&RequestDescription> {
        match self {
            ZohoError::Api(e) => Some(&e.request),
            ZohoError::Quota(q) => Some(&q.request),
            ZohoError::Transport { request, .. }
            | ZohoError::Decode { request, .. }
            | ZohoError::Injected { request, .. }
            | ZohoError::Locked { request, .. } => Some(request),
            ZohoError::RetriesExhausted { last, .. } => last.request(),
            ZohoError::Auth(_) | ZohoError::InvalidInput(_) => None,
        }
    }

    /// The `Retry-After` Zoho asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ZohoError::Api(e) => e.retry_after,
            ZohoError::Locked { until, .. } => {
                Some((*until - chrono::Utc::now()).to_std().unwrap_or_default())
            }
            ZohoError::RetriesExhausted { last, .. } => last.retry_after(),
            _ => None,
        }
    }

    pub(crate) fn decode(request: &RequestDescription, message: impl Into<String>) -> ZohoError {
        ZohoError::Decode {
            request: request.clone(),
            message: message.into(),
        }
    }
}

/// Why one item of a batch write did not succeed.
#[derive(Debug, Clone)]
pub enum ItemError {
    /// Zoho processed the batch and refused this item (`INVALID_DATA`, `DUPLICATE_DATA`, …).
    Rejected {
        code: String,
        message: String,
        /// e.g. `{"api_name":"Email","json_path":"$.data[3].Email"}`.
        details: Value,
    },
    /// The request carrying this item failed as a whole; for transport failures Zoho may or
    /// may not have applied it.
    Request(Arc<ZohoError>),
}

impl ItemError {
    pub fn code(&self) -> Option<&str> {
        match self {
            ItemError::Rejected { code, .. } => Some(code),
            ItemError::Request(e) => e.code(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            ItemError::Rejected { .. } => false,
            ItemError::Request(e) => e.is_retryable(),
        }
    }
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ItemError::Rejected {
                code,
                message,
                details,
            } => {
                write!(f, "{code}: {message}")?;
                if let Some(field) = details.get("api_name").and_then(Value::as_str) {
                    write!(f, " (field {field})")?;
                }
                Ok(())
            }
            ItemError::Request(e) => write!(f, "request failed: {e}"),
        }
    }
}

impl std::error::Error for ItemError {}
