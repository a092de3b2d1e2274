//! The HTTP core shared by the CRM, Projects and Microsoft Graph clients: one request in, one
//! final answer out, with bounded concurrency, token handling (refresh on 401, retry once),
//! retries with jittered backoff on transient failures (Graph: exactly its `Retry-After`),
//! call and credit counting, and an optional fault script that tests use to fail chosen calls
//! before they are sent. The one retry loop is `send_final` below; `attempt.rs` is one
//! attempt of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, Url};
use serde_json::Value;
use tokio::sync::Semaphore;

mod attempt;

use self::attempt::Attempt;
use super::auth::TokenSource;
use super::call_log;
use super::error::{RequestDescription, System, TransportFailure, ZohoError};
use super::pacing::Pacer;
use super::quota::QuotaExceeded;
use super::response;
use super::retry::{RetryPolicy, parse_retry_after};
use super::stats::ApiStats;

/// Most pages any listing follows. Zoho's own reach is 100,000 records (500 pages of 200);
/// a server that keeps saying "more" past this is answered with an error, not a hang.
pub const MAX_PAGES: u32 = 1000;

/// The error for a listing that would not end.
pub(crate) fn endless_listing(request: &RequestDescription) -> ZohoError {
    ZohoError::decode(
        request,
        format!("the listing did not end after {MAX_PAGES} pages"),
    )
}

/// Called before every attempt is sent; an `Err` fails that attempt as if Zoho had failed it
/// (a retryable error is retried like any other). Used by tests that interrupt a run after
/// each API call in turn.
pub type FaultScript = Arc<dyn Fn(&RequestDescription) -> Result<(), ZohoError> + Send + Sync>;

/// A request body.
#[derive(Debug, Clone)]
pub enum RequestBody {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

/// One logical API call.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    /// Absolute path below the service root, e.g. `/crm/v8/users`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: RequestBody,
    /// Records written by an insert/update/upsert (CRM credits: 1 per 10).
    pub records_written: usize,
    /// Extra request headers (`If-Modified-Since`, Graph's `Prefer`); never credentials.
    pub headers: Vec<(String, String)>,
    /// Not repeated after a failure that may have reached the service (a timeout, a broken
    /// connection): repeating a create could make it twice, so the caller finds out instead.
    pub at_most_once: bool,
}

impl ApiRequest {
    pub fn new(method: Method, path: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            body: RequestBody::None,
            records_written: 0,
            headers: Vec::new(),
            at_most_once: false,
        }
    }

    /// Sends this request at most once past a failure whose outcome is unknown
    /// ([`ZohoError::outcome_unknown`]); other transient failures are retried as usual.
    pub fn at_most_once(mut self) -> ApiRequest {
        self.at_most_once = true;
        self
    }

    pub fn get(path: impl Into<String>) -> ApiRequest {
        ApiRequest::new(Method::GET, path)
    }

    pub fn query(mut self, name: &str, value: impl Into<String>) -> ApiRequest {
        self.query.push((name.to_string(), value.into()));
        self
    }

    pub fn json(mut self, body: Value) -> ApiRequest {
        self.body = RequestBody::Json(body);
        self
    }

    pub fn form(mut self, fields: Vec<(String, String)>) -> ApiRequest {
        self.body = RequestBody::Form(fields);
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> ApiRequest {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn writes(mut self, records: usize) -> ApiRequest {
        self.records_written = records;
        self
    }
}

/// The final answer to a call.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    /// `None` for 204, 304 or an empty body.
    pub body: Option<Value>,
    pub request: RequestDescription,
}

/// Raw HTTP exchange result.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Sends one request and reads its whole body, mapping failures below HTTP to
/// [`ZohoError::Transport`] (without the URL, which the description already names).
pub(crate) async fn exchange(
    builder: reqwest::RequestBuilder,
    request: &RequestDescription,
) -> Result<Answer, ZohoError> {
    let failed = |e: reqwest::Error| transport_error(e, request);
    let reply = builder.send().await.map_err(failed)?;
    let status = reply.status().as_u16();
    let headers = reply.headers().clone();
    let body = reply.bytes().await.map_err(failed)?.to_vec();
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn transport_error(e: reqwest::Error, request: &RequestDescription) -> ZohoError {
    if e.is_builder() {
        return ZohoError::InvalidInput(format!("{request}: {}", e.without_url()));
    }
    let kind = if e.is_timeout() {
        TransportFailure::Timeout
    } else if e.is_connect() {
        TransportFailure::Connect
    } else {
        TransportFailure::Connection
    };
    ZohoError::Transport {
        request: request.clone(),
        kind,
        source: e.without_url(),
    }
}

pub(crate) fn retry_after_of(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Everything one service's client needs to send requests.
pub struct Transport {
    system: System,
    http: reqwest::Client,
    base: Url,
    follow_api_domain: bool,
    tokens: Arc<TokenSource>,
    limiter: Arc<Semaphore>,
    retry: RetryPolicy,
    stats: Arc<ApiStats>,
    fault: Option<FaultScript>,
    /// Zoho Projects' per-API limit; `None` for the other services.
    pacer: Option<Pacer>,
    /// Told of each wait a throttling answer imposes (Graph's `Retry-After`), with its reason
    /// and length, as the pacer tells of Projects' waits.
    notice: Option<super::pacing::WaitNotice>,
    /// Told of every page a listing reads.
    progress: Option<super::listing::ListingProgress>,
    /// Set once the service said the org's daily credits are spent: every later call fails
    /// at once with the same reason instead of spending a retry budget against it.
    exhausted: std::sync::Mutex<Option<QuotaExceeded>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("system", &self.system)
            .field("base", &self.base.as_str())
            .field("tokens", &self.tokens)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// How a transport is wired; built by [`super::ZohoClients::connect`].
pub struct TransportParts {
    pub system: System,
    pub http: reqwest::Client,
    pub base: Url,
    pub follow_api_domain: bool,
    pub tokens: Arc<TokenSource>,
    pub limiter: Arc<Semaphore>,
    pub retry: RetryPolicy,
    pub stats: Arc<ApiStats>,
    pub fault: Option<FaultScript>,
    pub pacer: Option<Pacer>,
    pub notice: Option<super::pacing::WaitNotice>,
    pub progress: Option<super::listing::ListingProgress>,
}

impl Transport {
    pub fn new(parts: TransportParts) -> Transport {
        Transport {
            system: parts.system,
            http: parts.http,
            base: parts.base,
            follow_api_domain: parts.follow_api_domain,
            tokens: parts.tokens,
            limiter: parts.limiter,
            retry: parts.retry,
            stats: parts.stats,
            fault: parts.fault,
            pacer: parts.pacer,
            notice: parts.notice,
            progress: parts.progress,
            exhausted: std::sync::Mutex::new(None),
        }
    }

    /// The quota refusal that stopped this service's calls in this run, if one did.
    pub fn quota_exhausted(&self) -> Option<QuotaExceeded> {
        self.exhausted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Tells of a listing's page: `pages` read so far, `items` records so far, and whether
    /// that was the last. `request` is the listing's first request (its path names it).
    pub(crate) fn page_read(&self, request: &ApiRequest, pages: u32, items: usize, done: bool) {
        if let Some(progress) = &self.progress {
            progress(&super::listing::PageRead {
                system: self.system,
                listing: super::listing::label(&request.path),
                pages,
                items,
                done,
            });
        }
    }

    pub fn system(&self) -> System {
        self.system
    }

    pub fn stats(&self) -> &Arc<ApiStats> {
        &self.stats
    }

    /// The grant this transport's calls are made with.
    pub fn tokens(&self) -> &Arc<TokenSource> {
        &self.tokens
    }

    /// `GET /crm/v8/users?type=ActiveUsers&page=2`, as used in errors.
    pub fn describe(&self, request: &ApiRequest) -> RequestDescription {
        let mut target = request.path.clone();
        if !request.query.is_empty() {
            let query: String = url_query(&request.query);
            target.push('?');
            target.push_str(&query);
        }
        RequestDescription {
            system: self.system,
            method: request.method.to_string(),
            target,
        }
    }

    /// Sends the call and returns a successful answer (status below 400); any error status
    /// becomes [`ZohoError::Api`].
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ZohoError> {
        let (answer, description) = self.send_final(request).await?;
        if answer.status >= 400 {
            return Err(response::api_error(
                answer.status,
                &answer.body,
                retry_after_of(&answer.headers),
                &description,
            ));
        }
        let body = response::parse_body(answer.status, &answer.body, &description)?;
        Ok(ApiResponse {
            status: answer.status,
            body,
            request: description,
        })
    }

    /// Like [`Transport::send`] but also hands back error answers whose body carries the
    /// per-item array `{"<items_key>":[...]}`: Zoho reports a batch in which every item
    /// failed with 400 and the items' own errors.
    pub async fn send_batch(
        &self,
        request: ApiRequest,
        items_key: &str,
    ) -> Result<ApiResponse, ZohoError> {
        let (answer, description) = self.send_final(request).await?;
        if answer.status < 400 {
            let body = response::parse_body(answer.status, &answer.body, &description)?;
            return Ok(ApiResponse {
                status: answer.status,
                body,
                request: description,
            });
        }
        match serde_json::from_slice::<Value>(&answer.body) {
            Ok(body) if body.get(items_key).is_some_and(Value::is_array) => Ok(ApiResponse {
                status: answer.status,
                body: Some(body),
                request: description,
            }),
            _ => Err(response::api_error(
                answer.status,
                &answer.body,
                retry_after_of(&answer.headers),
                &description,
            )),
        }
    }

    /// Runs the retry loop until an answer that is not retried (or the budget is spent).
    async fn send_final(
        &self,
        request: ApiRequest,
    ) -> Result<(Answer, RequestDescription), ZohoError> {
        let description = self.describe(&request);
        call_log::request_body(&description, &request.body);
        let refreshed_after_401 = AtomicBool::new(false);
        let retry = RetryLoop {
            policy: &self.retry,
            stats: &self.stats,
            notice: self.notice.as_ref(),
            request: &description,
            at_most_once: request.at_most_once,
        };
        let once = |attempt| {
            let (request, description, refreshed) = (&request, &description, &refreshed_after_401);
            async move {
                let started = std::time::Instant::now();
                Ok(match self.attempt(request, description, attempt).await? {
                    Attempt::Answer(answer) => Try::Done(answer),
                    Attempt::StaleToken(_, answer) if refreshed.load(Ordering::Relaxed) => {
                        Try::Done(answer)
                    }
                    Attempt::StaleToken(token, _) => {
                        // The service revoked or expired the token early: drop it, fetch a
                        // new one and repeat once, without spending the transient budget.
                        self.tokens.invalidate(&token).await;
                        refreshed.store(true, Ordering::Relaxed);
                        Try::Again
                    }
                    Attempt::Transient(failure) => Try::Transient(failure, started.elapsed()),
                })
            }
        };
        let answer = retry
            .run(once, |failure, attempt| self.wait(failure, attempt))
            .await?;
        Ok((answer, description))
    }

    /// How long to wait before repeating a call that failed with `failure`.
    fn wait(&self, failure: &ZohoError, attempt: u32) -> Duration {
        match (self.system, failure.retry_after()) {
            (System::Graph, Some(asked)) => self.retry.server_paced(asked),
            // A short Projects lock: the pacer holds the retry until it ends, and says so.
            (System::Projects, _) if self.pacer.is_some() && failure.is_rate_limited() => {
                Duration::ZERO
            }
            (_, retry_after) => self.retry.delay(attempt, retry_after),
        }
    }
}

/// What one try of a call came to, for [`RetryLoop::run`].
pub(crate) enum Try<T> {
    /// A final result: the answer to hand back.
    Done(T),
    /// Repeat at once without spending an attempt (a stale token was dropped).
    Again,
    /// A failure worth retrying, and how long the try took.
    Transient(ZohoError, Duration),
}

/// The one retry loop of every call, API calls and token requests alike: what it retries
/// with, and whom it tells of its waits.
pub(crate) struct RetryLoop<'a> {
    pub policy: &'a RetryPolicy,
    pub stats: &'a ApiStats,
    pub notice: Option<&'a super::pacing::WaitNotice>,
    pub request: &'a RequestDescription,
    /// A failure that may have reached the service ends the loop
    /// ([`ApiRequest::at_most_once`]).
    pub at_most_once: bool,
}

impl RetryLoop<'_> {
    /// Tries `once(attempt)` until it gives a final result or an error, waiting
    /// `wait(failure, attempt)` after each transient failure, up to the policy's attempts;
    /// the last failure then comes back as [`ZohoError::RetriesExhausted`].
    pub(crate) async fn run<T, F, Fut>(
        &self,
        mut once: F,
        wait: impl Fn(&ZohoError, u32) -> Duration,
    ) -> Result<T, ZohoError>
    where
        F: FnMut(u32) -> Fut,
        Fut: std::future::Future<Output = Result<Try<T>, ZohoError>>,
    {
        let max = self.policy.max_attempts.max(1);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let (failure, took) = match once(attempt).await? {
                Try::Done(done) => return Ok(done),
                Try::Again => {
                    attempt -= 1;
                    continue;
                }
                Try::Transient(failure, took) => (failure, took),
            };
            if self.at_most_once && failure.outcome_unknown() {
                return Err(failure);
            }
            if attempt >= max {
                return Err(if attempt > 1 {
                    ZohoError::RetriesExhausted {
                        attempts: attempt,
                        last: Box::new(failure),
                    }
                } else {
                    failure
                });
            }
            let wait = wait(&failure, attempt);
            if let (Some(notice), Some(line)) = (
                self.notice,
                call_log::retry_notice(self.request, &failure, took, wait, attempt, max),
            ) {
                notice(&line);
            }
            self.stats.record_retry();
            call_log::retrying(self.request, wait, attempt + 1, max);
            tokio::time::sleep(wait).await;
        }
    }
}

/// `a=1&b=x%20y`, encoded the way `application/x-www-form-urlencoded` queries are.
fn url_query(pairs: &[(String, String)]) -> String {
    let mut scratch = Url::parse("http://query.invalid/").expect("static URL");
    scratch
        .query_pairs_mut()
        .extend_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    scratch.query().unwrap_or_default().to_string()
}

/// Rejects values that would change the meaning of a URL path (ids, module API names).
pub(crate) fn segment<'a>(value: &'a str, what: &str) -> Result<&'a str, ZohoError> {
    let bad = value.is_empty()
        || value == "."
        || value == ".."
        || value.chars().any(|c| {
            matches!(c, '/' | '\\' | '?' | '#' | '%') || c.is_whitespace() || c.is_control()
        });
    if bad {
        Err(ZohoError::InvalidInput(format!(
            "{what} {value:?} is not a valid path segment"
        )))
    } else {
        Ok(value)
    }
}
