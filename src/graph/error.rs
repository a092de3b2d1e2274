//! [`GraphError`]: every way a Microsoft Graph call can fail, worded for Microsoft Graph and
//! the Microsoft identity platform (never Zoho), naming the request by method and path only
//! and never a token or the client secret.
//!
//! The shared HTTP core (`crate::zoho::transport`) speaks one internal error for every
//! service; the Graph client turns it into a `GraphError` at its boundary ([`From`] below),
//! so nothing past `crate::graph` sees a Zoho type for a Graph failure.

use std::fmt;
use std::time::Duration;

use crate::zoho::error::TransportFailure;
use crate::zoho::{ApiError, AuthError, RequestDescription, ZohoError};

/// 404 codes that say the mailbox itself is missing, not the item asked for.
pub(crate) const MISSING_MAILBOX_CODES: &[&str] = &[
    "ErrorInvalidUser",
    "MailboxNotEnabledForRESTAPI",
    "MailboxNotSupportedForRESTAPI",
    "Request_ResourceNotFound",
];

/// An error answer from Microsoft Graph: `{"error":{"code","message","innerError":{
/// "request-id",…}}}` with its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphAnswer {
    pub request: RequestDescription,
    pub status: u16,
    /// Graph's code: `ErrorItemNotFound`, `ErrorAccessDenied`, `ApplicationThrottled`, … (or
    /// `HTTP_<status>` when the body carried none).
    pub code: String,
    pub message: String,
    /// `innerError.request-id`, what Microsoft support asks for.
    pub request_id: Option<String>,
    /// The `Retry-After` the answer carried.
    pub retry_after: Option<Duration>,
}

impl GraphAnswer {
    fn from_api(e: ApiError) -> GraphAnswer {
        let request_id = ["request-id", "requestId"]
            .iter()
            .find_map(|k| e.details.get(k).and_then(|v| v.as_str()))
            .map(str::to_string);
        GraphAnswer {
            request: e.request,
            status: e.status,
            code: e.code,
            message: e.message,
            request_id,
            retry_after: e.retry_after,
        }
    }

    /// What to do about a refusal, when its status or code says.
    fn hint(&self) -> Option<&'static str> {
        let code = self.code.as_str();
        Some(match self.status {
            401 => "check the app registration's client secret and that it has not expired",
            403 => {
                "grant the app registration the application permission this call needs (Calendars.ReadWrite, Contacts.ReadWrite, User.Read.All) and give admin consent"
            }
            404 if MISSING_MAILBOX_CODES.contains(&code) => {
                "the user has no Exchange Online mailbox the app may use"
            }
            s if s >= 500 => "Microsoft Graph failed on its side; run again later",
            _ => return None,
        })
    }
}

impl fmt::Display for GraphAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: HTTP {} {}: {}",
            self.request, self.status, self.code, self.message
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " (request-id {id})")?;
        }
        Ok(())
    }
}

/// Every way a Microsoft Graph call can fail.
#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    /// Graph answered with an error status.
    #[error("Microsoft Graph refused {}{}", .0, .0.hint().map(|h| format!("; {h}")).unwrap_or_default())]
    Api(Box<GraphAnswer>),
    /// Graph answered 429: too many requests for the app, the tenant or the mailbox.
    #[error("Microsoft Graph throttled {}{}; lower --concurrency or run again later", .0, .0.retry_after.map(|d| format!("; it asked to wait {} s", d.as_secs())).unwrap_or_default())]
    Throttled(Box<GraphAnswer>),
    /// The Microsoft identity platform refused the app registration's client-credentials
    /// grant (`{"error":"invalid_client","error_description":"AADSTS7000215: …"}`).
    #[error("the Microsoft identity platform refused a token for Microsoft Graph: {error}{}; {} ({origin})", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(), identity_hint(aadsts.as_deref()))]
    Identity {
        error: String,
        /// The `AADSTS…` code that starts the description, when there is one.
        aadsts: Option<String>,
        /// The description's first line (trace and correlation ids follow on later lines).
        description: Option<String>,
        /// Where the credentials came from.
        origin: String,
    },
    /// The token endpoint answered, but not with a token Graph calls can use.
    #[error(
        "the Microsoft identity platform gave no usable token for Microsoft Graph (HTTP {status}: {problem}); check the tenant id of the app registration ({origin})"
    )]
    TokenUnusable {
        status: u16,
        problem: String,
        origin: String,
    },
    /// The request did not complete: timeout, refused or broken connection.
    #[error("Microsoft Graph {request}: {kind}: {source}")]
    Transport {
        request: RequestDescription,
        kind: TransportFailure,
        #[source]
        source: reqwest::Error,
    },
    /// Graph answered success with a body this client cannot read, or a link it may not
    /// follow.
    #[error("Microsoft Graph {request}: unexpected answer: {message}")]
    Malformed {
        request: RequestDescription,
        message: String,
    },
    /// Transient failures repeated until the retry budget ran out.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        attempts: u32,
        last: Box<GraphError>,
    },
    /// A failure injected by a fault script before the request was sent (tests).
    #[error("Microsoft Graph {request}: {reason}")]
    Injected {
        request: RequestDescription,
        reason: String,
    },
    /// The caller asked for something Graph cannot express (an empty id, a foreign link…).
    #[error("invalid Microsoft Graph request: {0}")]
    InvalidInput(String),
}

/// What to check for an identity platform refusal, by its `AADSTS` code.
fn identity_hint(aadsts: Option<&str>) -> &'static str {
    match aadsts {
        Some("AADSTS7000215" | "AADSTS7000222") => {
            "the client secret is wrong or expired: create a new one for the app registration"
        }
        Some("AADSTS700016") => {
            "no app registration with this client id in the tenant: check the client id and the tenant"
        }
        Some("AADSTS90002" | "AADSTS900023") => "the tenant does not exist: check the tenant id",
        _ => "check the tenant id, client id and client secret of the app registration",
    }
}

/// `AADSTS7000215` from `AADSTS7000215: Invalid client secret provided…`.
fn aadsts_code(description: Option<&str>) -> Option<String> {
    let code: String = description?
        .trim_start()
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    (code.starts_with("AADSTS") && code.len() > 6).then_some(code)
}

impl GraphError {
    /// The error for an answer Graph sent.
    fn answered(e: ApiError) -> GraphError {
        let answer = Box::new(GraphAnswer::from_api(e));
        if answer.status == 429 {
            GraphError::Throttled(answer)
        } else {
            GraphError::Api(answer)
        }
    }

    /// A success answer this client cannot read.
    pub(crate) fn malformed(request: &RequestDescription, message: impl Into<String>) -> Self {
        GraphError::Malformed {
            request: request.clone(),
            message: message.into(),
        }
    }

    fn answer(&self) -> Option<&GraphAnswer> {
        match self {
            GraphError::Api(a) | GraphError::Throttled(a) => Some(a),
            GraphError::RetriesExhausted { last, .. } => last.answer(),
            _ => None,
        }
    }

    /// A failure after the request may have reached Graph and been carried out: it timed out
    /// or the connection broke (a refused connection sent nothing).
    pub fn outcome_unknown(&self) -> bool {
        match self {
            GraphError::Transport { kind, .. } => *kind != TransportFailure::Connect,
            GraphError::RetriesExhausted { last, .. } => last.outcome_unknown(),
            _ => false,
        }
    }

    /// Whether trying again later may succeed (throttling, 5xx, timeouts, broken connections).
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api(a) => a.status >= 500,
            GraphError::Throttled(_) | GraphError::Transport { .. } => true,
            GraphError::RetriesExhausted { last, .. } => last.is_retryable(),
            _ => false,
        }
    }

    /// Whether Graph throttled the call (the operator then backs off as for a rate limit).
    pub fn is_throttled(&self) -> bool {
        match self {
            GraphError::Throttled(_) => true,
            GraphError::RetriesExhausted { last, .. } => last.is_throttled(),
            _ => false,
        }
    }

    /// Whether the app registration's credentials were refused (by the identity platform, or
    /// by Graph with 401).
    pub fn is_credentials(&self) -> bool {
        match self {
            GraphError::Identity { .. } | GraphError::TokenUnusable { .. } => true,
            GraphError::RetriesExhausted { last, .. } => last.is_credentials(),
            other => other.status() == Some(401),
        }
    }

    /// The HTTP status Graph answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        self.answer().map(|a| a.status)
    }

    /// Graph's error code, when it answered with one.
    pub fn code(&self) -> Option<&str> {
        self.answer().map(|a| a.code.as_str())
    }

    /// The `Retry-After` Graph asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.answer().and_then(|a| a.retry_after)
    }

    /// The request the error belongs to.
    pub fn request(&self) -> Option<&RequestDescription> {
        match self {
            GraphError::Api(a) | GraphError::Throttled(a) => Some(&a.request),
            GraphError::Transport { request, .. }
            | GraphError::Malformed { request, .. }
            | GraphError::Injected { request, .. } => Some(request),
            GraphError::RetriesExhausted { last, .. } => last.request(),
            _ => None,
        }
    }
}

impl From<AuthError> for GraphError {
    fn from(e: AuthError) -> GraphError {
        match e {
            AuthError::ClientCredentialsRejected {
                error,
                description,
                origin,
            }
            | AuthError::Rejected {
                error,
                description,
                origin,
            } => GraphError::Identity {
                aadsts: aadsts_code(description.as_deref()),
                error,
                description,
                origin,
            },
            AuthError::Malformed {
                status,
                problem,
                origin,
                ..
            } => GraphError::TokenUnusable {
                status,
                problem,
                origin,
            },
            AuthError::TooManyTokenRequests { origin } => GraphError::Identity {
                error: "too many token requests".into(),
                aadsts: None,
                description: None,
                origin,
            },
        }
    }
}

impl From<ZohoError> for GraphError {
    /// The shared transport's error as a Graph call meets it. Zoho-only refusals (a Projects
    /// lock, spent CRM credits) never come from Graph; they keep their status and code.
    fn from(e: ZohoError) -> GraphError {
        match e {
            ZohoError::Api(api) => GraphError::answered(*api),
            ZohoError::Transport {
                request,
                kind,
                source,
            } => GraphError::Transport {
                request,
                kind,
                source,
            },
            ZohoError::Auth(auth) => auth.into(),
            ZohoError::Decode { request, message } => GraphError::Malformed { request, message },
            ZohoError::RetriesExhausted { attempts, last } => GraphError::RetriesExhausted {
                attempts,
                last: Box::new((*last).into()),
            },
            ZohoError::Injected { request, reason } => GraphError::Injected { request, reason },
            ZohoError::InvalidInput(message) => GraphError::InvalidInput(message),
            ZohoError::Locked {
                request, message, ..
            } => GraphError::answered(ApiError::new(429, "Locked", message, request)),
            ZohoError::Quota(q) => {
                GraphError::answered(ApiError::new(q.status, q.code, q.message, q.request))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zoho::System;

    fn answer(status: u16, code: &str) -> GraphError {
        let request = RequestDescription {
            system: System::Graph,
            method: "GET".into(),
            target: "/users/pat@acme.com/calendars".into(),
        };
        let mut api = ApiError::new(status, code, "Access is denied.", request);
        api.details = serde_json::json!({"request-id": "9f1c-42", "date": "2026-01-05T10:00:00"});
        api.retry_after = Some(Duration::from_secs(7));
        ZohoError::from(api).into()
    }

    #[test]
    fn refusals_name_graph_the_request_id_and_what_to_do() {
        let text = answer(403, "ErrorAccessDenied").to_string();
        assert_eq!(
            text,
            "Microsoft Graph refused GET /users/pat@acme.com/calendars: HTTP 403 ErrorAccessDenied: Access is denied. (request-id 9f1c-42); grant the app registration the application permission this call needs (Calendars.ReadWrite, Contacts.ReadWrite, User.Read.All) and give admin consent"
        );
        assert!(!text.contains("Zoho"));
        let missing = answer(404, "MailboxNotEnabledForRESTAPI").to_string();
        assert!(missing.contains("no Exchange Online mailbox"), "{missing}");
        assert!(!answer(404, "ErrorItemNotFound").to_string().contains(';'));
    }

    #[test]
    fn throttling_is_retryable_and_keeps_its_wait() {
        let throttled = answer(429, "ApplicationThrottled");
        assert!(throttled.is_throttled() && throttled.is_retryable());
        assert_eq!(throttled.retry_after(), Some(Duration::from_secs(7)));
        assert!(throttled.to_string().contains("asked to wait 7 s"));
        let exhausted: GraphError = ZohoError::RetriesExhausted {
            attempts: 4,
            last: Box::new(ZohoError::Api(Box::new(ApiError::new(
                429,
                "ApplicationThrottled",
                "busy",
                RequestDescription {
                    system: System::Graph,
                    method: "GET".into(),
                    target: "/users".into(),
                },
            )))),
        }
        .into();
        assert!(exhausted.is_throttled());
        assert_eq!(exhausted.status(), Some(429));
        assert!(!answer(403, "ErrorAccessDenied").is_retryable());
        assert!(answer(503, "ServiceUnavailable").is_retryable());
        assert!(answer(401, "InvalidAuthenticationToken").is_credentials());
    }

    #[test]
    fn identity_refusals_carry_the_aadsts_code_and_a_hint() {
        let e: GraphError = AuthError::ClientCredentialsRejected {
            error: "invalid_client".into(),
            description: Some("AADSTS7000215: Invalid client secret provided.".into()),
            origin: "Secret team-a/acme-graph".into(),
        }
        .into();
        let GraphError::Identity { aadsts, .. } = &e else {
            panic!("{e:?}");
        };
        assert_eq!(aadsts.as_deref(), Some("AADSTS7000215"));
        let text = e.to_string();
        assert!(text.contains("Microsoft identity platform"), "{text}");
        assert!(text.contains("client secret is wrong or expired"), "{text}");
        assert!(text.ends_with("(Secret team-a/acme-graph)"), "{text}");
        assert!(e.is_credentials() && !e.is_retryable());
        assert_eq!(aadsts_code(Some("invalid scope")), None);
        assert_eq!(aadsts_code(Some("AADSTS")), None);
    }
}
