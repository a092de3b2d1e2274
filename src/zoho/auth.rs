//! Access tokens from Zoho Accounts by the refresh-token grant (and, for Microsoft Graph,
//! from the Microsoft identity platform by the client-credentials grant), cached until shortly
//! before they expire and refreshed by one caller at a time.
//!
//! Zoho allows only ten access tokens per refresh token per ten minutes, so concurrent
//! requests must share one refresh instead of each starting their own, and a 401 only drops
//! the token that was actually rejected (another task may already hold a newer one).

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::credentials::{Credentials, GraphCredentials, Secret};
use super::error::{AuthError, RequestDescription, System, ZohoError};
use super::pacing::WaitNotice;
use super::response;
use super::retry::RetryPolicy;
use super::stats::ApiStats;
use super::token_store::{StoredToken, TokenStore, grant_key};
use super::transport::{RetryLoop, Try, exchange, retry_after_of};

/// Refresh this long before Zoho's expiry at most (less for very short-lived tokens).
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A usable access token and the API domain Zoho said to call with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub value: Secret,
    /// `api_domain` from the token answer (`https://www.zohoapis.eu`, …).
    pub api_domain: Option<Url>,
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// What one token request returned, beyond the token itself: what a read-only probe
/// (`projectlink doctor`) reports about a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// The scopes Zoho says the grant holds (`scope` in the answer, space-separated), or
    /// `None` when the answer did not say.
    pub scopes: Option<Vec<String>>,
    /// `api_domain` from the answer.
    pub api_domain: Option<Url>,
    pub lifetime: Duration,
}

/// One token answer: the token, how long it lives, and the scopes it says it carries.
struct Issued {
    token: AccessToken,
    lifetime: Duration,
    scope: Option<String>,
}

/// The scope a client-credentials grant asks for: every application permission the app
/// registration was granted on Graph.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";

/// A token just cached by [`TokenSource::keep`].
struct KeptToken {
    token: AccessToken,
    lifetime: Duration,
}

/// How a token source obtains tokens.
enum Grant {
    /// Zoho's refresh-token grant.
    Refresh(Credentials),
    /// The Microsoft identity platform's client-credentials grant.
    ClientCredentials(GraphCredentials),
}

impl Grant {
    fn client_id(&self) -> &str {
        match self {
            Grant::Refresh(c) => &c.client_id,
            Grant::ClientCredentials(c) => &c.client_id,
        }
    }

    fn origin(&self) -> &str {
        match self {
            Grant::Refresh(c) => &c.origin,
            Grant::ClientCredentials(c) => &c.origin,
        }
    }

    fn system(&self) -> System {
        match self {
            Grant::Refresh(_) => System::Accounts,
            Grant::ClientCredentials(_) => System::MicrosoftIdentity,
        }
    }
}

/// Hands out access tokens for one grant.
pub struct TokenSource {
    http: reqwest::Client,
    token_url: Url,
    grant: Grant,
    retry: RetryPolicy,
    stats: Arc<ApiStats>,
    cached: Mutex<Option<Cached>>,
    /// Keeps tokens between runs; see `token_store`.
    store: Option<(Arc<dyn TokenStore>, String)>,
    /// Told of a retry wait worth announcing, as the API calls' waits are.
    notice: Option<WaitNotice>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.grant.client_id())
            .field("origin", &self.grant.origin())
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub fn new(
        http: reqwest::Client,
        accounts: &Url,
        credentials: Credentials,
        retry: RetryPolicy,
        stats: Arc<ApiStats>,
        store: Option<Arc<dyn TokenStore>>,
        store_scope: Option<&str>,
    ) -> TokenSource {
        let token_url = super::dc::join(accounts, "/oauth/v2/token");
        let store = store.map(|s| {
            let key = grant_key(
                store_scope.unwrap_or(token_url.as_str()),
                &credentials.client_id,
                credentials.refresh_token.expose(),
            );
            (s, key)
        });
        TokenSource {
            http,
            token_url,
            grant: Grant::Refresh(credentials),
            retry,
            stats,
            cached: Mutex::new(None),
            store,
            notice: None,
        }
    }

    /// Tokens for Microsoft Graph from `{login}/{tenant}/oauth2/v2.0/token`. Microsoft puts
    /// no small cap on token requests, so tokens are only kept in memory.
    pub fn client_credentials(
        http: reqwest::Client,
        login: &Url,
        credentials: GraphCredentials,
        retry: RetryPolicy,
        stats: Arc<ApiStats>,
    ) -> Result<TokenSource, ZohoError> {
        let tenant = super::transport::segment(&credentials.tenant, "the tenant id")?;
        let token_url = super::dc::join(login, &format!("/{tenant}/oauth2/v2.0/token"));
        Ok(TokenSource {
            http,
            token_url,
            grant: Grant::ClientCredentials(credentials),
            retry,
            stats,
            cached: Mutex::new(None),
            store: None,
            notice: None,
        })
    }

    /// Announces long retry waits of token requests through `notice`.
    pub fn with_notice(mut self, notice: Option<WaitNotice>) -> TokenSource {
        self.notice = notice;
        self
    }

    /// A token kept by an earlier run that is still good for a while.
    fn stored(&self) -> Option<Cached> {
        let (store, key) = self.store.as_ref()?;
        let stored = store.load(key)?;
        let left = stored.expires_at - chrono::Utc::now().timestamp();
        let left = Duration::from_secs(u64::try_from(left).ok()?);
        let margin = REFRESH_MARGIN.min(left / 2);
        if left <= margin {
            return None;
        }
        Some(Cached {
            token: AccessToken {
                value: Secret::new(stored.access_token),
                api_domain: stored.api_domain.and_then(|d| Url::parse(&d).ok()),
            },
            refresh_at: Instant::now() + left - margin,
        })
    }

    /// Who the grant acts as, for per-user rate limits: a digest of the token endpoint, client
    /// id and refresh token (or tenant), never the secret itself.
    pub fn pace_key(&self) -> String {
        match &self.grant {
            Grant::Refresh(c) => grant_key(
                self.token_url.as_str(),
                &c.client_id,
                c.refresh_token.expose(),
            ),
            Grant::ClientCredentials(c) => {
                grant_key(self.token_url.as_str(), &c.client_id, &c.tenant)
            }
        }
    }

    /// The token endpoint this grant is refreshed at (its data centre's accounts server).
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// Where the credentials came from, for messages.
    pub fn origin(&self) -> &str {
        self.grant.origin()
    }

    /// A valid access token: the cached one, or a fresh one. Concurrent callers queue on the
    /// cache lock, so a burst of requests causes a single refresh.
    pub async fn token(&self) -> Result<AccessToken, ZohoError> {
        let mut cached = self.cached.lock().await;
        if cached.is_none() {
            *cached = self.stored();
        }
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let issued = self.refresh().await?;
        Ok(self.keep(&mut cached, issued).token)
    }

    /// Always asks the token endpoint for a new token (even when one is cached), keeps it
    /// for the calls that follow, and says what the answer told about the grant. Costs one
    /// of the grant's ten tokens per ten minutes.
    pub async fn refresh_now(&self) -> Result<Refreshed, ZohoError> {
        let mut cached = self.cached.lock().await;
        let issued = self.refresh().await?;
        let scopes = issued.scope.as_deref().map(|s| {
            s.split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        });
        let kept = self.keep(&mut cached, issued);
        Ok(Refreshed {
            scopes,
            api_domain: kept.token.api_domain.clone(),
            lifetime: kept.lifetime,
        })
    }

    /// Caches (and stores) a freshly issued token.
    fn keep(&self, cached: &mut Option<Cached>, issued: Issued) -> KeptToken {
        let Issued {
            token, lifetime, ..
        } = issued;
        if let Some((store, key)) = &self.store {
            store.save(
                key,
                &StoredToken {
                    access_token: token.value.expose().to_string(),
                    api_domain: token.api_domain.as_ref().map(|u| u.to_string()),
                    expires_at: chrono::Utc::now().timestamp() + lifetime.as_secs() as i64,
                },
            );
        }
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        *cached = Some(Cached {
            token: token.clone(),
            refresh_at: Instant::now() + lifetime - margin,
        });
        KeptToken { token, lifetime }
    }

    /// Forgets `rejected` if it is still the cached token (Zoho answered 401 to it).
    pub async fn invalidate(&self, rejected: &AccessToken) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == rejected) {
            *cached = None;
            if let Some((store, key)) = &self.store {
                store.forget(key);
            }
        }
    }

    fn description(&self) -> RequestDescription {
        RequestDescription {
            system: self.grant.system(),
            method: "POST".into(),
            target: self.token_url.path().to_string(),
        }
    }

    /// The grant's token request, retried on transient failures like any API call.
    async fn refresh(&self) -> Result<Issued, ZohoError> {
        let request = self.description();
        let form: [(&str, &str); 4] = match &self.grant {
            Grant::Refresh(c) => [
                ("grant_type", "refresh_token"),
                ("client_id", c.client_id.as_str()),
                ("client_secret", c.client_secret.expose()),
                ("refresh_token", c.refresh_token.expose()),
            ],
            Grant::ClientCredentials(c) => [
                ("client_id", c.client_id.as_str()),
                ("client_secret", c.client_secret.expose()),
                ("scope", GRAPH_DEFAULT_SCOPE),
                ("grant_type", "client_credentials"),
            ],
        };
        let shown_form: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        super::call_log::request_body(&request, &super::transport::RequestBody::Form(shown_form));
        let retry = RetryLoop {
            policy: &self.retry,
            stats: &self.stats,
            notice: self.notice.as_ref(),
            request: &request,
            at_most_once: false,
        };
        let once = |attempt| {
            let (request, form) = (&request, &form);
            async move { self.request_token(request, form, attempt).await }
        };
        retry
            .run(once, |failure, attempt| {
                self.retry.delay(attempt, failure.retry_after())
            })
            .await
    }

    /// One token request: its answer read, or the failure to retry (an error status the
    /// endpoint may recover from, or no answer at all).
    async fn request_token(
        &self,
        request: &RequestDescription,
        form: &[(&str, &str); 4],
        attempt: u32,
    ) -> Result<Try<Issued>, ZohoError> {
        self.stats.record_call(request.system);
        let builder = self.http.post(self.token_url.clone()).form(form);
        let sent = Instant::now();
        let outcome = exchange(builder, request).await;
        let took = sent.elapsed();
        match &outcome {
            Ok(answer) => {
                super::call_log::answer(request, answer.status, took, attempt, &answer.body)
            }
            Err(e) => super::call_log::no_answer(request, e, took, attempt),
        }
        let answer = match outcome {
            Ok(answer) if answer.status == 429 || answer.status >= 500 => {
                let failure = response::api_error(
                    answer.status,
                    &answer.body,
                    retry_after_of(&answer.headers),
                    request,
                );
                return Ok(Try::Transient(failure, took));
            }
            Ok(answer) => answer,
            Err(e) => return Ok(Try::Transient(e, took)),
        };
        let issued = match &self.grant {
            Grant::Refresh(_) => self.read_token_answer(answer.status, &answer.body)?,
            Grant::ClientCredentials(_) => {
                self.read_identity_answer(answer.status, &answer.body)?
            }
        };
        self.stats.record_token_refresh();
        Ok(Try::Done(issued))
    }

    /// The identity platform's answer: `{token_type, expires_in, access_token}` or
    /// `{error, error_description: "AADSTS…: …\r\nTrace ID: …"}`.
    fn read_identity_answer(&self, status: u16, body: &[u8]) -> Result<Issued, ZohoError> {
        let origin = self.grant.origin().to_string();
        let malformed = |problem: &str| {
            ZohoError::Auth(AuthError::Malformed {
                service: System::MicrosoftIdentity,
                status,
                problem: problem.to_string(),
                origin: origin.clone(),
            })
        };
        let value: Value =
            serde_json::from_slice(body).map_err(|_| malformed("body is not JSON"))?;
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            // The first line is the AADSTS code and its explanation; trace and correlation
            // ids follow on their own lines.
            let description = value
                .get("error_description")
                .and_then(Value::as_str)
                .and_then(|d| d.lines().next())
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty());
            return Err(ZohoError::Auth(AuthError::ClientCredentialsRejected {
                error: error.to_string(),
                description,
                origin,
            }));
        }
        if !(200..300).contains(&status) {
            return Err(malformed("error status without an error code"));
        }
        let access = value
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| malformed("no access_token"))?;
        // v2.0 gives a number; the older endpoint gave a string.
        let seconds = match value.get("expires_in") {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        }
        .unwrap_or(3600);
        Ok(Issued {
            token: AccessToken {
                value: Secret::new(access),
                api_domain: None,
            },
            lifetime: Duration::from_secs(seconds.max(1)),
            scope: None,
        })
    }

    fn read_token_answer(&self, status: u16, body: &[u8]) -> Result<Issued, ZohoError> {
        let origin = self.grant.origin().to_string();
        let malformed = |problem: &str| {
            ZohoError::Auth(AuthError::Malformed {
                service: System::Accounts,
                status,
                problem: problem.to_string(),
                origin: origin.clone(),
            })
        };
        let value: Value =
            serde_json::from_slice(body).map_err(|_| malformed("body is not JSON"))?;
        // Zoho answers a refused grant with HTTP 200 (or 400) and {"error":"invalid_code"}.
        if let Some(error) = value.get("error") {
            let error = match error {
                Value::String(s) => s.clone(),
                other => response::error_fields(&serde_json::json!({ "error": other }))
                    .map(|(code, message, _)| format!("{code} {message}"))
                    .unwrap_or_else(|| "unknown error".into()),
            };
            let description = value
                .get("error_description")
                .and_then(Value::as_str)
                .map(str::to_string);
            if description
                .as_deref()
                .is_some_and(|d| d.to_ascii_lowercase().contains("too many requests"))
            {
                return Err(ZohoError::Auth(AuthError::TooManyTokenRequests { origin }));
            }
            return Err(ZohoError::Auth(AuthError::Rejected {
                error,
                description,
                origin,
            }));
        }
        if !(200..300).contains(&status) {
            return Err(malformed("error status without an error code"));
        }
        let access = value
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| malformed("no access_token"))?;
        let api_domain = value
            .get("api_domain")
            .and_then(Value::as_str)
            .and_then(|d| Url::parse(d).ok())
            // Never send a token over plain HTTP unless Accounts itself is plain HTTP (a
            // local stand-in).
            .filter(|u| u.scheme() == "https" || u.scheme() == self.token_url.scheme());
        Ok(Issued {
            token: AccessToken {
                value: Secret::new(access),
                api_domain,
            },
            lifetime: lifetime(&value),
            scope: value
                .get("scope")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

/// Token lifetime: `expires_in_sec` when present, else `expires_in` (which older Accounts
/// servers gave in milliseconds), else Zoho's documented hour.
fn lifetime(answer: &Value) -> Duration {
    let seconds = answer
        .get("expires_in_sec")
        .and_then(Value::as_u64)
        .or_else(|| {
            answer
                .get("expires_in")
                .and_then(Value::as_u64)
                .map(|v| if v > 100_000 { v / 1000 } else { v })
        })
        .unwrap_or(3600);
    Duration::from_secs(seconds.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lifetime_reads_seconds_and_legacy_milliseconds() {
        assert_eq!(
            lifetime(&json!({"expires_in": 3600})),
            Duration::from_secs(3600)
        );
        assert_eq!(
            lifetime(&json!({"expires_in": 3_600_000, "expires_in_sec": 3600})),
            Duration::from_secs(3600)
        );
        assert_eq!(
            lifetime(&json!({"expires_in": 3_600_000})),
            Duration::from_secs(3600)
        );
        assert_eq!(lifetime(&json!({})), Duration::from_secs(3600));
    }
}
