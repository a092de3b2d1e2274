//! Quotas that only time or a purchase restores: an org's rolling 24-hour CRM API credits
//! and its user licenses. Zoho answers an exhausted credit allowance with the same 429
//! `TOO_MANY_REQUESTS` it uses for a momentary concurrency overflow, so the two are told
//! apart here: retrying a concurrency refusal helps, retrying a spent allowance only burns
//! time (and, on a live org, more of the admins' patience). A license refusal is its own code.

use std::fmt;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::error::{ApiError, RequestDescription, System};

/// The header Zoho CRM sends once more than half of the day's credits are spent.
pub const CREDITS_REMAINING_HEADER: &str = "X-API-CREDITS-REMAINING";

/// Zoho CRM's code for adding a user beyond the purchased licenses.
pub const LICENSE_LIMIT_EXCEEDED: &str = "LICENSE_LIMIT_EXCEEDED";

/// What ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaKind {
    /// The org's API credits for the rolling 24 hours.
    DailyCredits,
    /// The org's purchased user licenses.
    UserLicenses,
}

/// A quota refusal, with everything a report needs to say what ran out and when it returns.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaExceeded {
    pub kind: QuotaKind,
    pub request: RequestDescription,
    pub status: u16,
    pub code: String,
    /// Zoho's own message, as it sent it.
    pub message: String,
    /// When the quota comes back, if the answer said (a `Retry-After`).
    pub resets_at: Option<DateTime<Utc>>,
    /// Set on the calls refused without being sent because an earlier call met the quota.
    pub stopped_early: bool,
}

impl QuotaExceeded {
    /// The same refusal, for a later call that was not sent because of it.
    pub fn for_later_call(&self, request: RequestDescription) -> QuotaExceeded {
        QuotaExceeded {
            request,
            stopped_early: true,
            ..self.clone()
        }
    }

    fn service(&self) -> System {
        self.request.system
    }
}

impl fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let service = self.service();
        match self.kind {
            QuotaKind::DailyCredits => {
                write!(
                    f,
                    "{}: {service}'s API credits for the org's rolling 24 hours are used up (HTTP {} {}: {})",
                    self.request, self.status, self.code, self.message
                )?;
                match self.resets_at {
                    Some(at) => write!(
                        f,
                        "; they come back at about {}",
                        at.format("%Y-%m-%d %H:%M:%S UTC")
                    )?,
                    None => f.write_str(
                        "; they come back as the calls of the last 24 hours age out (Zoho named no time)",
                    )?,
                }
                if self.stopped_early {
                    write!(f, "; not sent: nothing more goes to {service} in this run")
                } else {
                    write!(f, "; nothing more is sent to {service} in this run")
                }
            }
            QuotaKind::UserLicenses => write!(
                f,
                "{}: the org has no free user license (HTTP {} {}: {}); free or buy a license and run again",
                self.request, self.status, self.code, self.message
            ),
        }
    }
}

/// Whether an error answer is Zoho CRM saying the day's credits are spent: a 429
/// `TOO_MANY_REQUESTS` that says so in its text, or that comes with
/// `X-API-CREDITS-REMAINING: 0`. A 429 that names neither is a concurrency refusal and
/// stays retryable.
pub(crate) fn credits_exhausted(
    system: System,
    status: u16,
    headers: &HeaderMap,
    error: &ApiError,
    resets_at: Option<DateTime<Utc>>,
) -> Option<QuotaExceeded> {
    if system != System::Crm || status != 429 {
        return None;
    }
    let remaining = headers
        .get(CREDITS_REMAINING_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let says_so = names_credits(&error.message) || names_credits(&text_of(&error.details));
    if remaining != Some(0) && !says_so {
        return None;
    }
    Some(QuotaExceeded {
        kind: QuotaKind::DailyCredits,
        request: error.request.clone(),
        status,
        code: error.code.clone(),
        message: error.message.clone(),
        resets_at,
        stopped_early: false,
    })
}

/// A license refusal (`LICENSE_LIMIT_EXCEEDED`), whatever the status.
pub(crate) fn license_exhausted(error: &ApiError) -> Option<QuotaExceeded> {
    (error.code == LICENSE_LIMIT_EXCEEDED).then(|| QuotaExceeded {
        kind: QuotaKind::UserLicenses,
        request: error.request.clone(),
        status: error.status,
        code: error.code.clone(),
        message: error.message.clone(),
        resets_at: None,
        stopped_early: false,
    })
}

fn names_credits(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    ["credit", "quota", "24 hour", "24-hour", "24-h", "per day"]
        .iter()
        .any(|word| text.contains(word))
}

fn text_of(details: &Value) -> String {
    match details {
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn error(message: &str, details: Value) -> ApiError {
        ApiError {
            details,
            ..ApiError::new(
                429,
                "TOO_MANY_REQUESTS",
                message,
                RequestDescription {
                    system: System::Crm,
                    method: "POST".into(),
                    target: "/crm/v8/Contacts".into(),
                },
            )
        }
    }

    #[test]
    fn a_429_naming_credits_is_exhaustion_and_a_bare_one_is_not() {
        let none = HeaderMap::new();
        let spent = error(
            "The request limit has been exceeded. Please try again later.",
            json!({"reason": "credit limit exceeded"}),
        );
        let quota = credits_exhausted(System::Crm, 429, &none, &spent, None).unwrap();
        assert_eq!(quota.kind, QuotaKind::DailyCredits);
        let busy = error(
            "The request limit has been exceeded. Please try again later.",
            json!({"reason": "concurrency limit exceeded"}),
        );
        assert!(credits_exhausted(System::Crm, 429, &none, &busy, None).is_none());
        assert!(credits_exhausted(System::Projects, 429, &none, &spent, None).is_none());
        assert!(credits_exhausted(System::Crm, 400, &none, &spent, None).is_none());
    }

    #[test]
    fn zero_credits_remaining_is_exhaustion_whatever_the_text() {
        let mut headers = HeaderMap::new();
        headers.insert(CREDITS_REMAINING_HEADER, HeaderValue::from_static("0"));
        let busy = error("too many requests", Value::Null);
        assert!(credits_exhausted(System::Crm, 429, &headers, &busy, None).is_some());
        headers.insert(CREDITS_REMAINING_HEADER, HeaderValue::from_static("12"));
        assert!(credits_exhausted(System::Crm, 429, &headers, &busy, None).is_none());
    }

    #[test]
    fn the_report_says_what_ran_out_and_when_it_returns() {
        let spent = error("API credits exhausted", Value::Null);
        let mut quota = credits_exhausted(System::Crm, 429, &HeaderMap::new(), &spent, None)
            .expect("recognised");
        let text = quota.to_string();
        assert!(text.contains("Zoho CRM's API credits"), "{text}");
        assert!(text.contains("age out"), "{text}");
        quota.resets_at = Some("2026-01-02T03:04:05Z".parse().unwrap());
        let later = quota.for_later_call(RequestDescription {
            system: System::Crm,
            method: "GET".into(),
            target: "/crm/v8/Deals".into(),
        });
        let text = later.to_string();
        assert!(text.starts_with("GET /crm/v8/Deals"), "{text}");
        assert!(text.contains("2026-01-02 03:04:05 UTC"), "{text}");
        assert!(text.contains("not sent"), "{text}");
    }

    #[test]
    fn license_refusals_are_named() {
        let mut refused = error("license limit exceeded", Value::Null);
        refused.code = LICENSE_LIMIT_EXCEEDED.into();
        refused.status = 400;
        let quota = license_exhausted(&refused).unwrap();
        assert_eq!(quota.kind, QuotaKind::UserLicenses);
        assert!(quota.to_string().contains("no free user license"));
        assert!(license_exhausted(&error("x", Value::Null)).is_none());
    }
}
