//! Zoho Projects locks an API for a user once they call it too often (observed: 100 calls per
//! API per 2 minutes, then about 20 minutes refused, each further call prolonging the lock);
//! the sandbox does the same so that clients meet the lock in tests, not in production.
//!
//! An API is a method and a route template (`GET /api/v3/portal/{portal_id}/projects`); the
//! user is the Zoho user whose grant issued the access token. Only accepted calls fill the
//! rolling window; a refused call instead pushes the lock's end to now + lockout. Time is
//! passed in by the caller so the rules can be tested without waiting.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Calls per API per window that a live client observed (Zoho's V3 docs say 200).
pub const DEFAULT_CALLS: u32 = 100;
/// The rolling window: 2 minutes in every source.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(120);
/// Observed locks lasted 17 to 22 minutes (the V3 docs say 10); 20 is in that range.
pub const DEFAULT_LOCKOUT: Duration = Duration::from_secs(1200);

/// How a refusal is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum ThrottleForm {
    /// What a live client saw: HTTP 400 `URL_ROLLING_THROTTLES_LIMIT_EXCEEDED`.
    #[default]
    Status400,
    /// What the V3 documentation describes: HTTP 429 with `Retry-After`.
    Status429,
}

impl ThrottleForm {
    pub fn status(self) -> StatusCode {
        match self {
            ThrottleForm::Status400 => StatusCode::BAD_REQUEST,
            ThrottleForm::Status429 => StatusCode::TOO_MANY_REQUESTS,
        }
    }
}

impl TryFrom<u16> for ThrottleForm {
    type Error = ThrottleConfigError;
    fn try_from(status: u16) -> Result<Self, Self::Error> {
        match status {
            400 => Ok(ThrottleForm::Status400),
            429 => Ok(ThrottleForm::Status429),
            other => Err(ThrottleConfigError::Status(other.to_string())),
        }
    }
}

impl From<ThrottleForm> for u16 {
    fn from(form: ThrottleForm) -> u16 {
        form.status().as_u16()
    }
}

impl FromStr for ThrottleForm {
    type Err = ThrottleConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .parse::<u16>()
            .map_err(|_| ThrottleConfigError::Status(s.to_string()))
            .and_then(ThrottleForm::try_from)
    }
}

/// Why a throttle setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThrottleConfigError {
    #[error("expected CALLS/SECONDS with both numbers above 0 (e.g. 100/120), got {0:?}")]
    RateLimit(String),
    #[error("expected a number of seconds above 0, got {0:?}")]
    Seconds(String),
    #[error("expected the throttle status 400 or 429, got {0:?}")]
    Status(String),
    #[error("the Projects throttle needs at least one call per window of at least a second")]
    Empty,
}

/// `CALLS/SECONDS`, as `--projects-throttle` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub calls: u32,
    pub window: Duration,
}

impl FromStr for RateLimit {
    type Err = ThrottleConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ThrottleConfigError::RateLimit(s.to_string());
        let (calls, secs) = s.trim().split_once('/').ok_or_else(bad)?;
        let calls = calls.trim().parse::<u32>().map_err(|_| bad())?;
        let secs = secs.trim().parse::<u64>().map_err(|_| bad())?;
        if calls == 0 || secs == 0 {
            return Err(bad());
        }
        Ok(RateLimit {
            calls,
            window: Duration::from_secs(secs),
        })
    }
}

/// Parses a positive number of seconds (`--projects-lockout-secs`).
pub fn parse_seconds(s: &str) -> Result<Duration, ThrottleConfigError> {
    match s.trim().parse::<u64>() {
        Ok(secs) if secs > 0 => Ok(Duration::from_secs(secs)),
        _ => Err(ThrottleConfigError::Seconds(s.to_string())),
    }
}

/// The throttle's settings; the default is what a live client observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectsThrottle {
    /// Calls one user may make to one API per window.
    pub calls: u32,
    pub window: Duration,
    /// How long an API stays refused after the limit is hit, counted from the last call.
    pub lockout: Duration,
    pub form: ThrottleForm,
}

impl Default for ProjectsThrottle {
    fn default() -> Self {
        ProjectsThrottle {
            calls: DEFAULT_CALLS,
            window: DEFAULT_WINDOW,
            lockout: DEFAULT_LOCKOUT,
            form: ThrottleForm::Status400,
        }
    }
}

impl ProjectsThrottle {
    /// `calls` per `window`, with the default lockout and form: what tests that call one API
    /// many times use to widen the limit without switching it off.
    pub fn per(calls: u32, window: Duration) -> Self {
        ProjectsThrottle {
            calls,
            window,
            ..ProjectsThrottle::default()
        }
    }

    /// The seed's `projects_throttle` block over the defaults (absent keys keep theirs).
    pub fn from_seed(block: Option<&ProjectsThrottleSeed>) -> Self {
        let mut throttle = ProjectsThrottle::default();
        if let Some(block) = block {
            if let Some(calls) = block.calls {
                throttle.calls = calls.get();
            }
            if let Some(secs) = block.window_secs {
                throttle.window = Duration::from_secs(secs.get().into());
            }
            if let Some(secs) = block.lockout_secs {
                throttle.lockout = Duration::from_secs(secs.get().into());
            }
            if let Some(form) = block.status {
                throttle.form = form;
            }
        }
        throttle
    }

    /// Refuses settings that would let every call through: no calls or a sub-second window
    /// or lockout would make the limit meaningless rather than wide.
    pub fn validate(&self) -> Result<(), ThrottleConfigError> {
        let second = Duration::from_secs(1);
        if self.calls == 0 || self.window < second || self.lockout < second {
            return Err(ThrottleConfigError::Empty);
        }
        Ok(())
    }
}

/// The seed's `projects_throttle:` block; every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectsThrottleSeed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<NonZeroU32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_secs: Option<NonZeroU32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lockout_secs: Option<NonZeroU32>,
    /// 400 (observed) or 429 (documented).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ThrottleForm>,
}

/// One user's use of one API.
#[derive(Debug, Default)]
struct Usage {
    /// When the accepted calls still inside the window were made, oldest first.
    accepted: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

/// The outcome of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Served; `remaining` more calls fit in the current window.
    Allowed { remaining: u32 },
    /// Refused; the API is locked for `retry_after`.
    Refused { retry_after: Duration },
}

/// Throttle state for every user and API the sandbox has seen.
#[derive(Debug)]
pub struct Throttle {
    config: ProjectsThrottle,
    /// Keyed by (user, API). Held only to update one entry, never across a request.
    usage: Mutex<HashMap<(String, String), Usage>>,
    refused: AtomicU64,
}

impl Throttle {
    pub fn new(config: ProjectsThrottle) -> Self {
        Throttle {
            config,
            usage: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    pub fn config(&self) -> &ProjectsThrottle {
        &self.config
    }

    /// Calls refused so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Counts a call by `user` to `api` at `now`, or refuses it.
    pub fn check(&self, user: &str, api: &str, now: Instant) -> Verdict {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        let entry = usage
            .entry((user.to_ascii_lowercase(), api.to_string()))
            .or_default();
        let locked = entry.locked_until.is_some_and(|until| now < until);
        let window = self.config.window;
        while entry
            .accepted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            entry.accepted.pop_front();
        }
        if locked || entry.accepted.len() >= self.config.calls as usize {
            entry.locked_until = Some(now + self.config.lockout);
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Verdict::Refused {
                retry_after: self.config.lockout,
            };
        }
        entry.locked_until = None;
        entry.accepted.push_back(now);
        Verdict::Allowed {
            remaining: self.config.calls - entry.accepted.len() as u32,
        }
    }

    /// Adds the `RateLimit*` headers (and `Retry-After` on a 429 refusal) to an answer.
    pub fn add_headers(&self, verdict: Verdict, headers: &mut HeaderMap) {
        let remaining = match verdict {
            Verdict::Allowed { remaining } => remaining,
            Verdict::Refused { .. } => 0,
        };
        let mut set = |name: &'static str, value: String| {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        set("ratelimit", self.config.calls.to_string());
        set("ratelimit-remaining", remaining.to_string());
        set(
            "ratelimit-window",
            whole_seconds(self.config.window).to_string(),
        );
        set("ratelimit-window-unit", "seconds".into());
        if let Verdict::Refused { retry_after } = verdict
            && self.config.form == ThrottleForm::Status429
        {
            set("retry-after", whole_seconds(retry_after).to_string());
        }
    }

    /// The answer to a refused call, in the configured form.
    pub fn refusal(&self, retry_after: Duration) -> Response {
        let status = self.config.form.status();
        let body = json!({
            "error": {
                "status_code": status.as_u16(),
                "error_type": "OPERATIONAL_VALIDATION_ERROR",
                "title": "URL_ROLLING_THROTTLES_LIMIT_EXCEEDED",
                "details": { "message": self.message(retry_after) },
            }
        });
        let mut response = (status, axum::Json(body)).into_response();
        self.add_headers(Verdict::Refused { retry_after }, response.headers_mut());
        response
    }

    /// Zoho's wording with this throttle's numbers. Units stay plural ("1 minutes") because
    /// clients parse "Try again after N minutes" from the observed text.
    fn message(&self, retry_after: Duration) -> String {
        let window = whole_seconds(self.config.window);
        let window = if window.is_multiple_of(60) {
            format!("{} minutes", window / 60)
        } else {
            format!("{window} seconds")
        };
        format!(
            "Cannot execute more than {} requests per API in {window}. Try again after {} minutes.",
            self.config.calls,
            whole_seconds(retry_after).div_ceil(60)
        )
    }
}

/// A duration in seconds, rounded up so that a client waiting that long is never early.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The API a request calls, as the throttle keys it. Legacy routes are served with and
/// without their trailing `/`; Zoho counts both spellings as one API.
pub fn api_key(method: &str, template: &str) -> String {
    let template = template.strip_suffix('/').unwrap_or(template);
    format!("{method} {template}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: &str = "GET /api/v3/portal/{portal_id}/projects";

    fn small() -> Throttle {
        Throttle::new(ProjectsThrottle {
            calls: 3,
            window: Duration::from_secs(10),
            lockout: Duration::from_secs(30),
            form: ThrottleForm::Status400,
        })
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_call_past_the_limit_is_refused_and_locks_the_api() {
        let throttle = small();
        let t0 = Instant::now();
        for left in [2, 1, 0] {
            assert_eq!(
                throttle.check("a@x.com", API, t0),
                Verdict::Allowed { remaining: left }
            );
        }
        let refused = Verdict::Refused {
            retry_after: secs(30),
        };
        assert_eq!(throttle.check("a@x.com", API, t0 + secs(1)), refused);
        // The window has long rolled over, but the lock holds until 30 s after that call.
        assert_eq!(throttle.check("a@x.com", API, t0 + secs(20)), refused);
        assert_eq!(throttle.refused(), 2);
    }

    #[test]
    fn every_call_during_the_lock_prolongs_it() {
        let throttle = small();
        let t0 = Instant::now();
        for _ in 0..4 {
            throttle.check("a@x.com", API, t0);
        }
        // Locked until t0+30; a call at t0+29 moves the end to t0+59.
        assert!(matches!(
            throttle.check("a@x.com", API, t0 + secs(29)),
            Verdict::Refused { .. }
        ));
        assert!(matches!(
            throttle.check("a@x.com", API, t0 + secs(58)),
            Verdict::Refused { .. }
        ));
        // Untouched for a full lockout: served again with a fresh window.
        assert_eq!(
            throttle.check("a@x.com", API, t0 + secs(88)),
            Verdict::Allowed { remaining: 2 }
        );
    }

    #[test]
    fn other_users_and_other_apis_keep_their_own_budget() {
        let throttle = small();
        let t0 = Instant::now();
        for _ in 0..4 {
            throttle.check("a@x.com", API, t0);
        }
        let other_api = "POST /api/v3/portal/{portal_id}/projects";
        assert_eq!(
            throttle.check("a@x.com", other_api, t0),
            Verdict::Allowed { remaining: 2 }
        );
        assert_eq!(
            throttle.check("b@x.com", API, t0),
            Verdict::Allowed { remaining: 2 }
        );
        // The user is an email address: case does not make a second user.
        assert!(matches!(
            throttle.check("A@X.com", API, t0),
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn the_window_rolls_call_by_call() {
        let throttle = small();
        let t0 = Instant::now();
        throttle.check("a@x.com", API, t0);
        throttle.check("a@x.com", API, t0 + secs(5));
        throttle.check("a@x.com", API, t0 + secs(6));
        // At t0+10 the first call has left the window: one slot, and only one.
        assert_eq!(
            throttle.check("a@x.com", API, t0 + secs(10)),
            Verdict::Allowed { remaining: 0 }
        );
        assert!(matches!(
            throttle.check("a@x.com", API, t0 + secs(11)),
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn refusals_carry_zohos_body_and_the_true_numbers() {
        let throttle = Throttle::new(ProjectsThrottle::default());
        assert_eq!(
            throttle.message(DEFAULT_LOCKOUT),
            "Cannot execute more than 100 requests per API in 2 minutes. Try again after 20 minutes."
        );
        let short = Throttle::new(ProjectsThrottle {
            calls: 5,
            window: secs(2),
            lockout: secs(61),
            form: ThrottleForm::Status429,
        });
        assert_eq!(
            short.message(secs(61)),
            "Cannot execute more than 5 requests per API in 2 seconds. Try again after 2 minutes."
        );
        let response = short.refusal(secs(61));
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        let headers = response.headers();
        assert_eq!(headers["retry-after"], "61");
        assert_eq!(headers["ratelimit"], "5");
        assert_eq!(headers["ratelimit-remaining"], "0");
        assert_eq!(headers["ratelimit-window"], "2");
        assert_eq!(headers["ratelimit-window-unit"], "seconds");
        let plain = throttle.refusal(DEFAULT_LOCKOUT);
        assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
        assert!(!plain.headers().contains_key("retry-after"));
    }

    #[test]
    fn settings_parse_and_reject_what_would_switch_the_limit_off() {
        let limit: RateLimit = "100/120".parse().unwrap();
        assert_eq!((limit.calls, limit.window), (100, secs(120)));
        for bad in ["100/0", "0/120", "abc", "100", "100/x", "/120", "-1/5"] {
            let err = bad.parse::<RateLimit>().unwrap_err();
            assert!(err.to_string().contains("CALLS/SECONDS"), "{bad}: {err}");
        }
        assert_eq!(parse_seconds("1200").unwrap(), secs(1200));
        assert!(parse_seconds("0").is_err() && parse_seconds("soon").is_err());
        assert_eq!("429".parse(), Ok(ThrottleForm::Status429));
        assert!("404".parse::<ThrottleForm>().is_err());
        assert!(ProjectsThrottle::per(0, secs(1)).validate().is_err());
        assert!(
            ProjectsThrottle::per(10, Duration::from_millis(10))
                .validate()
                .is_err()
        );
        assert!(ProjectsThrottle::default().validate().is_ok());
    }

    #[test]
    fn a_seed_block_overrides_only_the_keys_it_names() {
        let block = ProjectsThrottleSeed {
            calls: NonZeroU32::new(7),
            status: Some(ThrottleForm::Status429),
            ..ProjectsThrottleSeed::default()
        };
        let throttle = ProjectsThrottle::from_seed(Some(&block));
        assert_eq!(throttle.calls, 7);
        assert_eq!(throttle.window, DEFAULT_WINDOW);
        assert_eq!(throttle.lockout, DEFAULT_LOCKOUT);
        assert_eq!(throttle.form, ThrottleForm::Status429);
        assert_eq!(
            ProjectsThrottle::from_seed(None),
            ProjectsThrottle::default()
        );
    }

    #[test]
    fn both_spellings_of_a_legacy_route_are_one_api() {
        assert_eq!(
            api_key("GET", "/restapi/portal/{portal_id}/projects/"),
            api_key("GET", "/restapi/portal/{portal_id}/projects")
        );
    }
}
