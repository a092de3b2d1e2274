//! What a run says about its API calls: one log line per call at `-v` (method, path with its
//! secret parameters hidden, status, duration, attempt) and the bodies at `-vv` with every
//! secret hidden, under the `projectlink::api` target so `RUST_LOG` and the operator's
//! `--api-log` can turn it on alone; and the words of a retry's wait, which the run shows
//! (whatever the log level) when it is long enough to look like a hang.

use std::time::Duration;

use super::error::{RequestDescription, System, TransportFailure, ZohoError};
use super::redact::{redact_body, redact_form, redact_json, redact_query};
use super::transport::RequestBody;

/// Characters of a body shown at `-vv`; the rest is counted, not shown.
const BODY_LIMIT: usize = 4000;

/// Waits up to this long pass without a word (the pacer's threshold too).
pub const QUIET_WAIT: Duration = Duration::from_secs(2);

/// `GET /crm/v8/users?page=2` with secret query values hidden.
pub fn shown(description: &RequestDescription) -> String {
    format!(
        "{} {}",
        description.method,
        redact_query(&description.target)
    )
}

fn millis(elapsed: Duration) -> u128 {
    elapsed.as_millis()
}

/// Logs a request's body at debug level (`-vv`), secrets hidden.
pub fn request_body(description: &RequestDescription, body: &RequestBody) {
    if !tracing::enabled!(target: "projectlink::api", tracing::Level::DEBUG) {
        return;
    }
    let text = match body {
        RequestBody::None => return,
        RequestBody::Json(value) => redact_json(value).to_string(),
        RequestBody::Form(fields) => redact_form(fields),
    };
    tracing::debug!(target: "projectlink::api", "{} request body: {text}", shown(description));
}

/// Logs one answer (info) and its body (debug).
pub fn answer(
    description: &RequestDescription,
    status: u16,
    elapsed: Duration,
    attempt: u32,
    body: &[u8],
) {
    tracing::info!(
        target: "projectlink::api",
        system = %description.system,
        attempt,
        "{}: {status} in {} ms",
        shown(description),
        millis(elapsed)
    );
    if !body.is_empty() && tracing::enabled!(target: "projectlink::api", tracing::Level::DEBUG) {
        tracing::debug!(
            target: "projectlink::api",
            "{} answer body: {}",
            shown(description),
            redact_body(body, BODY_LIMIT)
        );
    }
}

/// Logs an attempt that got no answer (a timeout, a broken connection).
pub fn no_answer(
    description: &RequestDescription,
    error: &ZohoError,
    elapsed: Duration,
    attempt: u32,
) {
    tracing::info!(
        target: "projectlink::api",
        system = %description.system,
        attempt,
        "{}: no answer after {} ms ({})",
        shown(description),
        millis(elapsed),
        kind_text(error)
    );
}

/// Logs a retry about to wait.
pub fn retrying(description: &RequestDescription, wait: Duration, next: u32, of: u32) {
    tracing::info!(
        target: "projectlink::api",
        system = %description.system,
        attempt = next,
        "{}: retrying in {} ms (attempt {next} of {of})",
        shown(description),
        millis(wait)
    );
}

/// What to tell the user before a retry, when there is something worth telling: a wait
/// Microsoft Graph asked for (it paces clients exactly, so every one is told), a call that
/// went unanswered long enough to look like a hang, or a wait longer than [`QUIET_WAIT`].
/// `took` is how long the failed attempt lasted; `attempt` the one that failed.
pub fn retry_notice(
    description: &RequestDescription,
    failure: &ZohoError,
    took: Duration,
    wait: Duration,
    attempt: u32,
    of: u32,
) -> Option<String> {
    let system = description.system;
    let call = shown(description);
    let next = attempt + 1;
    if system == System::Graph && failure.retry_after().is_some() {
        let failure = failure.to_string();
        let failure = failure.replace(&description.target, &redact_query(&description.target));
        return Some(format!(
            "waiting {} s: Microsoft Graph throttled {call} ({failure})",
            whole_seconds(wait)
        ));
    }
    if is_timeout(failure) && took > QUIET_WAIT {
        return Some(format!(
            "{system} did not answer {call} within {} s; retrying in {} (attempt {next} of {of})",
            took.as_secs(),
            seconds(wait)
        ));
    }
    if wait <= QUIET_WAIT {
        return None;
    }
    let why = match failure.status() {
        Some(429) => format!("{system} throttled {call}"),
        Some(status) => format!("{system} answered {status} to {call}"),
        None => format!("{call} failed ({})", kind_text(failure)),
    };
    let asked = if failure.retry_after().is_some() {
        ", as its Retry-After asked"
    } else {
        ""
    };
    Some(format!(
        "waiting {} s: {why}{asked}; retrying (attempt {next} of {of})",
        whole_seconds(wait)
    ))
}

fn is_timeout(error: &ZohoError) -> bool {
    matches!(
        error,
        ZohoError::Transport {
            kind: TransportFailure::Timeout,
            ..
        }
    )
}

/// What went wrong, without the request (which the line names already) and with the secret
/// query values of any request it names hidden.
fn kind_text(error: &ZohoError) -> String {
    match error {
        ZohoError::Transport { kind, .. } => kind.to_string(),
        ZohoError::Injected { reason, .. } => reason.clone(),
        other => {
            let text = other.to_string();
            match other.request() {
                Some(request) => {
                    let named = format!("{request}: ");
                    let text = text.strip_prefix(&named).unwrap_or(&text);
                    text.replace(&request.target, &redact_query(&request.target))
                }
                None => text,
            }
        }
    }
}

fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// `1 s`, or `0.4 s` for a wait under a second.
fn seconds(wait: Duration) -> String {
    if wait >= Duration::from_secs(1) {
        format!("{} s", whole_seconds(wait))
    } else {
        format!("{:.1} s", wait.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description() -> RequestDescription {
        RequestDescription {
            system: System::Crm,
            method: "GET".into(),
            target: "/crm/v8/users?page=2&page_token=abc".into(),
        }
    }

    #[test]
    fn short_waits_are_quiet_and_long_ones_say_why_and_how_long() {
        let server_error = ZohoError::decode(&description(), "boom");
        assert_eq!(
            retry_notice(
                &description(),
                &server_error,
                Duration::from_millis(5),
                Duration::from_millis(1900),
                1,
                5
            ),
            None
        );
        let shown = retry_notice(
            &description(),
            &server_error,
            Duration::from_millis(5),
            Duration::from_millis(2100),
            3,
            5,
        )
        .unwrap();
        assert!(shown.starts_with("waiting 3 s: "), "{shown}");
        assert_eq!(
            shown,
            "waiting 3 s: GET /crm/v8/users?page=2&page_token=*** failed (unexpected response: \
             boom); retrying (attempt 4 of 5)"
        );
        assert!(!shown.contains("abc"), "{shown}");
    }

    #[test]
    fn a_timeout_says_how_long_the_call_went_unanswered() {
        let timeout = ZohoError::Transport {
            request: description(),
            kind: TransportFailure::Timeout,
            source: reqwest_timeout(),
        };
        let shown = retry_notice(
            &description(),
            &timeout,
            Duration::from_secs(30),
            Duration::from_millis(400),
            1,
            5,
        )
        .unwrap();
        assert_eq!(
            shown,
            "Zoho CRM did not answer GET /crm/v8/users?page=2&page_token=*** within 30 s; \
             retrying in 0.4 s (attempt 2 of 5)"
        );
    }

    /// A real reqwest timeout error, from a request that cannot finish in a nanosecond.
    fn reqwest_timeout() -> reqwest::Error {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/", listener.local_addr().unwrap());
            reqwest::Client::builder()
                .timeout(Duration::from_millis(1))
                .build()
                .unwrap()
                .get(url)
                .send()
                .await
                .unwrap_err()
        })
    }
}
