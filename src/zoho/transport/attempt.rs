//! One attempt of a call, which the transport's single retry loop (`Transport::send_final`)
//! repeats: the checks before sending (fault script, spent credits, Projects' pacing), the
//! request with its token, the exchange under the concurrency limit, and what the answer
//! means — a final answer, a stale token, or a transient failure to retry.

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::{
    Answer, ApiRequest, RequestBody, Transport, exchange, response, retry_after_of, url_query,
};
use crate::zoho::auth::AccessToken;
use crate::zoho::call_log;
use crate::zoho::error::{RequestDescription, System, ZohoError};
use crate::zoho::pacing::{self, Ticket};
use crate::zoho::quota;
use crate::zoho::stats::crm_credit_cost;

/// What one attempt came to.
pub(super) enum Attempt {
    Answer(Answer),
    /// The service refused the token as expired or revoked: drop it and repeat once.
    StaleToken(AccessToken, Answer),
    Transient(ZohoError),
}

impl Transport {
    pub(super) async fn attempt(
        &self,
        request: &ApiRequest,
        description: &RequestDescription,
        attempt: u32,
    ) -> Result<Attempt, ZohoError> {
        if let Some(fault) = &self.fault
            && let Err(injected) = fault(description)
        {
            return if injected.is_retryable() {
                Ok(Attempt::Transient(injected))
            } else {
                Err(injected)
            };
        }
        self.refuse_after_quota(description)?;
        // Only Zoho Projects limits calls per API.
        let api = match self.system {
            System::Projects => pacing::api_of(request.method.as_str(), &request.path),
            _ => String::new(),
        };
        let ticket = self.admit(&api, description).await?;
        let token = self.tokens.token().await?;
        let builder = self.build(request, &token)?;
        let answer = match self
            .exchange_counted(builder, description, &api, attempt)
            .await
        {
            Ok(answer) => answer,
            Err(e) if e.is_retryable() => return Ok(Attempt::Transient(e)),
            Err(e) => return Err(e),
        };
        self.note_answer(&answer, ticket);
        self.classify(request, &api, token, answer, description)
    }

    /// Waits for a slot in Zoho Projects' per-user, per-API lane (no wait for the other
    /// services); an API locked earlier in this run is refused at once.
    async fn admit(
        &self,
        api: &str,
        description: &RequestDescription,
    ) -> Result<Option<Ticket>, ZohoError> {
        let Some(pacer) = &self.pacer else {
            return Ok(None);
        };
        let waiting = self.stats.pacing_wait();
        let (granted, _) = pacer.admit(api).await.map_err(|locked| ZohoError::Locked {
            request: description.clone(),
            until: locked.until,
            message: "locked earlier in this run".into(),
        })?;
        drop(waiting);
        Ok(Some(granted))
    }

    /// The HTTP request: URL (CRM follows the token's `api_domain`), the token in a header
    /// marked sensitive, the caller's headers and body.
    fn build(
        &self,
        request: &ApiRequest,
        token: &AccessToken,
    ) -> Result<reqwest::RequestBuilder, ZohoError> {
        let base = match (&token.api_domain, self.follow_api_domain) {
            (Some(domain), true) if self.system == System::Crm => domain,
            _ => &self.base,
        };
        let mut url = crate::zoho::dc::join(base, &request.path);
        if !request.query.is_empty() {
            url.set_query(Some(&url_query(&request.query)));
        }
        let scheme = match self.system {
            System::Graph => "Bearer",
            _ => "Zoho-oauthtoken",
        };
        let mut auth = HeaderValue::from_str(&format!("{scheme} {}", token.value.expose()))
            .map_err(|_| {
                ZohoError::InvalidInput("the access token is not a valid header value".into())
            })?;
        auth.set_sensitive(true);
        let mut builder = self
            .http
            .request(request.method.clone(), url)
            .header(AUTHORIZATION, auth);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        Ok(match &request.body {
            RequestBody::None => builder,
            RequestBody::Json(value) => builder.json(value),
            RequestBody::Form(fields) => builder.form(fields),
        })
    }

    /// Sends within the concurrency limit, counts the call and logs its answer or failure.
    async fn exchange_counted(
        &self,
        builder: reqwest::RequestBuilder,
        description: &RequestDescription,
        api: &str,
        attempt: u32,
    ) -> Result<Answer, ZohoError> {
        let _permit = self
            .limiter
            .acquire()
            .await
            .map_err(|_| ZohoError::InvalidInput("the client was shut down".into()))?;
        self.stats.record_call(self.system);
        if self.system == System::Projects {
            self.stats.record_projects_api(api);
        }
        let sent = std::time::Instant::now();
        let outcome = exchange(builder, description).await;
        match &outcome {
            Ok(answer) => call_log::answer(
                description,
                answer.status,
                sent.elapsed(),
                attempt,
                &answer.body,
            ),
            Err(e) => call_log::no_answer(description, e, sent.elapsed(), attempt),
        }
        outcome
    }

    /// Takes in what every answer tells besides its body: the server's clock, the Projects
    /// lane's remaining calls, CRM's remaining credits.
    fn note_answer(&self, answer: &Answer, ticket: Option<Ticket>) {
        let date = answer.headers.get(reqwest::header::DATE);
        self.stats
            .note_server_date(date.and_then(|v| v.to_str().ok()), chrono::Utc::now());
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(ticket) = ticket {
            let window = header("RateLimit-Window").map(Duration::from_secs);
            ticket.answered(header("RateLimit-Remaining"), window);
        }
        if self.system == System::Crm
            && let Some(left) = header("X-API-CREDITS-REMAINING")
        {
            self.stats.record_credits_remaining(left);
        }
    }

    /// What an answer means: a Projects lock, spent credits, a stale token, a transient
    /// failure to retry, or the final answer (success or an error not retried).
    fn classify(
        &self,
        request: &ApiRequest,
        api: &str,
        token: AccessToken,
        answer: Answer,
        description: &RequestDescription,
    ) -> Result<Attempt, ZohoError> {
        if self.system == System::Projects
            && let Some(short) = self.projects_limits(api, &answer, description)?
        {
            return Ok(Attempt::Transient(short));
        }
        if answer.status == 429 {
            self.stats.record_rate_limited(self.system);
            if let Some(spent) = self.credits_refusal(&answer, description) {
                return Err(spent);
            }
        } else {
            self.stats
                .record_credits(self.system, crm_credit_cost(request.records_written));
        }
        if answer.status == 401 && response::is_stale_token(self.system, &answer.body) {
            return Ok(Attempt::StaleToken(token, answer));
        }
        if answer.status == 429 || answer.status >= 500 {
            return Ok(Attempt::Transient(response::api_error(
                answer.status,
                &answer.body,
                retry_after_of(&answer.headers),
                description,
            )));
        }
        Ok(Attempt::Answer(answer))
    }

    /// Fails a call at once when an earlier one met the exhausted daily credits.
    fn refuse_after_quota(&self, description: &RequestDescription) -> Result<(), ZohoError> {
        match &*self.exhausted.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(quota) => Err(ZohoError::Quota(Box::new(
                quota.for_later_call(description.clone()),
            ))),
            None => Ok(()),
        }
    }

    /// Recognises a spent daily allowance in a 429, remembers it and names it.
    fn credits_refusal(
        &self,
        answer: &Answer,
        description: &RequestDescription,
    ) -> Option<ZohoError> {
        let retry_after = retry_after_of(&answer.headers);
        let ZohoError::Api(error) =
            response::api_error(answer.status, &answer.body, retry_after, description)
        else {
            return None;
        };
        let resets_at = retry_after
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| chrono::Utc::now() + d);
        let quota = quota::credits_exhausted(
            self.system,
            answer.status,
            &answer.headers,
            &error,
            resets_at,
        )?;
        tracing::debug!(request = %description, "the org's daily API credits are spent");
        *self.exhausted.lock().unwrap_or_else(|e| e.into_inner()) = Some(quota.clone());
        Some(ZohoError::Quota(Box::new(quota)))
    }

    /// Recognises a Zoho Projects lock (HTTP 400
    /// `URL_ROLLING_THROTTLES_LIMIT_EXCEEDED` as observed, or the documented 429). A lock
    /// short enough to wait out (up to the retry policy's `max_retry_after`) comes back as a
    /// transient error to retry once it ends; a longer one is [`ZohoError::Locked`], never
    /// retried, since every call during a lock prolongs it.
    fn projects_limits(
        &self,
        api: &str,
        answer: &Answer,
        description: &RequestDescription,
    ) -> Result<Option<ZohoError>, ZohoError> {
        let Some(message) = response::projects_lock(answer.status, &answer.body) else {
            return Ok(None);
        };
        self.stats.record_rate_limited(self.system);
        let lasting = pacing::lock_duration(retry_after_of(&answer.headers), &message);
        if lasting <= self.retry.max_retry_after {
            if let Some(pacer) = &self.pacer {
                let why = format!("Zoho Projects locked this API for {} s", lasting.as_secs());
                // A second's margin: a call that arrives just before the lock ends prolongs it.
                pacer.cool_down(api, lasting + Duration::from_secs(1), &why);
            }
            return Ok(Some(response::api_error(
                answer.status,
                &answer.body,
                Some(lasting),
                description,
            )));
        }
        let until = match &self.pacer {
            Some(pacer) => pacer.lock(api, lasting),
            None => chrono::Utc::now() + chrono::Duration::from_std(lasting).unwrap_or_default(),
        };
        tracing::debug!(request = %description, %until, "Zoho Projects locked an API");
        Err(ZohoError::Locked {
            request: description.clone(),
            until,
            message,
        })
    }
}
