//! Zoho Projects' per-API rate limit, kept on the client side. Zoho Projects allows each user
//! about 100 calls per API per two minutes and locks an API for a quarter of an hour or more
//! once that is exceeded, prolonging the lock with every further call. One lane per Zoho user
//! and API, shared by every client in the process (CLI runs, both operator kinds), keeps calls
//! under a configurable limit with headroom, remembers locks the service announced and sends
//! nothing to a locked API until its lock ends.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Waits shorter than this are not announced: they are part of ordinary pacing.
pub const ANNOUNCED_WAIT: Duration = Duration::from_secs(2);

/// How long an API stays locked when the service said it is locked but not for how long
/// (sources report 10 to 30 minutes; 20 is the middle of what live clients saw).
pub const DEFAULT_LOCKOUT: Duration = Duration::from_secs(20 * 60);

/// `CALLS/SECONDS`: at most `calls` calls per API in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub calls: u32,
    pub window: Duration,
}

impl RateLimit {
    /// What live clients use: 90 calls per 2 minutes, ten below the strictest limit observed.
    pub const DEFAULT: RateLimit = RateLimit {
        calls: 90,
        window: Duration::from_secs(120),
    };

    /// The time `calls` calls to one API take under this limit when sent as fast as allowed:
    /// every full window after the first batch.
    pub fn paced_duration(&self, calls: u64) -> Duration {
        let per_window = u64::from(self.calls.max(1));
        let extra_windows = calls.saturating_sub(1) / per_window;
        self.window
            .saturating_mul(u32::try_from(extra_windows).unwrap_or(u32::MAX))
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit::DEFAULT
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.calls, self.window.as_secs())
    }
}

impl FromStr for RateLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not CALLS/SECONDS (for example 90/120)");
        let (calls, secs) = s.trim().split_once('/').ok_or_else(bad)?;
        let calls: u32 = calls.trim().parse().map_err(|_| bad())?;
        let secs: u64 = secs.trim().parse().map_err(|_| bad())?;
        if calls == 0 || secs == 0 {
            return Err(format!(
                "{s:?}: both the number of calls and the window must be at least 1"
            ));
        }
        Ok(RateLimit {
            calls,
            window: Duration::from_secs(secs),
        })
    }
}

/// Describes a window for people: "2 minutes", "5 seconds".
pub fn describe_window(window: Duration) -> String {
    let secs = window.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) {
        let minutes = secs / 60;
        format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" })
    } else {
        format!("{secs} second{}", if secs == 1 { "" } else { "s" })
    }
}

/// Receives one line for every wait worth telling the user about.
pub type WaitNotice = Arc<dyn Fn(&str) + Send + Sync>;

/// An API the service has locked for this user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub until: DateTime<Utc>,
}

/// One user's calls to one API.
#[derive(Debug, Default)]
struct Lane {
    /// Send times granted, oldest first; only the last window's worth matters.
    granted: VecDeque<Instant>,
    locked_until: Option<(Instant, DateTime<Utc>)>,
    /// The service said no calls are left, or locked the API briefly: nothing before this.
    cooldown_until: Option<Instant>,
    cooldown_reason: String,
    /// The latest wait announced, so concurrent callers queueing behind it stay quiet.
    announced_until: Option<Instant>,
}

type Lanes = HashMap<(String, String), Arc<Mutex<Lane>>>;

/// Every lane of the process.
static LANES: LazyLock<Mutex<Lanes>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Paces one user's calls to Zoho Projects.
#[derive(Clone)]
pub struct Pacer {
    user: String,
    limit: RateLimit,
    notice: Option<WaitNotice>,
}

impl fmt::Debug for Pacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl Pacer {
    /// `user` identifies the Zoho user (a digest of the grant, never the grant itself).
    pub fn new(user: String, limit: RateLimit, notice: Option<WaitNotice>) -> Pacer {
        Pacer {
            user,
            limit,
            notice,
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    fn lane(&self, api: &str) -> Arc<Mutex<Lane>> {
        locked(&LANES)
            .entry((self.user.clone(), api.to_string()))
            .or_default()
            .clone()
    }

    /// Waits for this API's next free slot; an API the service locked is refused at once.
    /// Returns how long it waited.
    pub async fn admit(&self, api: &str) -> Result<Duration, Locked> {
        let (at, announce) = self.reserve(api, Instant::now())?;
        let wait = at.saturating_duration_since(Instant::now());
        if let (Some(notice), Some(why)) = (&self.notice, announce) {
            notice(&why);
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        Ok(wait)
    }

    /// Grants the next slot at or after `now` and says whether the wait is worth announcing.
    fn reserve(&self, api: &str, now: Instant) -> Result<(Instant, Option<String>), Locked> {
        let lane = self.lane(api);
        let mut lane = locked(&lane);
        if let Some((until, wall)) = lane.locked_until {
            if until > now {
                return Err(Locked { until: wall });
            }
            lane.locked_until = None;
        }
        let window = self.limit.window;
        while lane
            .granted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            lane.granted.pop_front();
        }
        let calls = self.limit.calls.max(1) as usize;
        let mut at = now;
        if lane.granted.len() >= calls {
            // The call `calls` places back must have left the window first.
            at = at.max(lane.granted[lane.granted.len() - calls] + window);
        }
        let mut reason = format!(
            "Zoho Projects allows {} calls per API per {}",
            self.limit.calls,
            describe_window(window)
        );
        if let Some(cool) = lane.cooldown_until.filter(|c| *c > at) {
            at = cool;
            reason = lane.cooldown_reason.clone();
        }
        lane.granted.push_back(at);
        let wait = at.saturating_duration_since(now);
        let quiet = lane
            .announced_until
            .is_some_and(|u| at <= u + ANNOUNCED_WAIT);
        let announce = (wait > ANNOUNCED_WAIT && !quiet).then(|| {
            lane.announced_until = Some(at);
            format!("waiting {} s: {reason} ({api})", wait.as_secs().max(1))
        });
        Ok((at, announce))
    }

    /// Reads the service's own count (`RateLimit-Remaining`, `RateLimit-Window`): with no
    /// calls left, nothing more goes to this API until the window has passed.
    pub fn observe_remaining(&self, api: &str, remaining: u64, window: Option<Duration>) {
        if remaining == 0 {
            self.cool_down(
                api,
                window.unwrap_or(self.limit.window),
                "Zoho Projects reported no calls left in its window",
            );
        }
    }

    /// Sends nothing to this API for `lasting` (a lock short enough to wait out).
    pub fn cool_down(&self, api: &str, lasting: Duration, reason: &str) {
        let lane = self.lane(api);
        let mut lane = locked(&lane);
        let until = Instant::now() + lasting;
        if lane.cooldown_until.is_none_or(|c| c < until) {
            lane.cooldown_until = Some(until);
            lane.cooldown_reason = reason.to_string();
        }
    }

    /// Records that the service locked this API for `lasting`; returns when the lock ends.
    pub fn lock(&self, api: &str, lasting: Duration) -> DateTime<Utc> {
        let lane = self.lane(api);
        let mut lane = locked(&lane);
        let wall = Utc::now() + chrono::Duration::from_std(lasting).unwrap_or_default();
        lane.locked_until = Some((Instant::now() + lasting, wall));
        wall
    }
}

/// The API a request belongs to for rate limiting: its method and path with every id
/// (a segment of digits) replaced, e.g. `GET /api/v3/portal/{id}/projects/{id}/users`.
pub fn api_of(method: &str, path: &str) -> String {
    let pattern: Vec<&str> = path
        .trim_end_matches('/')
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect();
    format!("{method} {}", pattern.join("/"))
}

/// How long a lock lasts from the service's answer: `Retry-After`, else the "Try again
/// after N minutes" of its message, else [`DEFAULT_LOCKOUT`].
pub fn lock_duration(retry_after: Option<Duration>, message: &str) -> Duration {
    if let Some(after) = retry_after {
        return after;
    }
    let lower = message.to_ascii_lowercase();
    let minutes = lower.find("try again after ").and_then(|at| {
        let rest = &lower[at + "try again after ".len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: u64 = digits.parse().ok()?;
        let unit = rest[digits.len()..].trim_start();
        Some(if unit.starts_with("sec") { n } else { n * 60 })
    });
    minutes.map_or(DEFAULT_LOCKOUT, Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(user: &str, calls: u32, secs: u64) -> Pacer {
        Pacer::new(
            user.to_string(),
            RateLimit {
                calls,
                window: Duration::from_secs(secs),
            },
            None,
        )
    }

    #[test]
    fn limits_parse_and_reject_nonsense() {
        assert_eq!("90/120".parse::<RateLimit>().unwrap(), RateLimit::DEFAULT);
        assert_eq!(RateLimit::DEFAULT.to_string(), "90/120");
        for bad in ["", "90", "90/", "/120", "0/120", "90/0", "a/b", "-1/5"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn apis_are_method_and_path_with_ids_replaced() {
        assert_eq!(
            api_of(
                "GET",
                "/api/v3/portal/1023/projects/1708760000000001234/users"
            ),
            "GET /api/v3/portal/{id}/projects/{id}/users"
        );
        assert_eq!(
            api_of("POST", "/restapi/portal/1023/projects/"),
            "POST /restapi/portal/{id}/projects"
        );
    }

    #[test]
    fn the_call_past_the_limit_waits_for_the_oldest_to_leave_the_window() {
        let p = pacer("window-user", 3, 10);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(p.reserve("GET /x", t0).unwrap().0, t0);
        }
        let (at, announce) = p.reserve("GET /x", t0).unwrap();
        assert_eq!(at, t0 + Duration::from_secs(10));
        let text = announce.expect("a 10 s wait is announced");
        assert!(
            text.starts_with("waiting 10 s: Zoho Projects allows 3 calls per API per 10 seconds"),
            "{text}"
        );
        // A caller queued right behind it is not announced again.
        let (at2, again) = p.reserve("GET /x", t0).unwrap();
        assert_eq!(at2, t0 + Duration::from_secs(10));
        assert!(again.is_none());
        // Another API and another user have lanes of their own.
        assert_eq!(p.reserve("GET /y", t0).unwrap().0, t0);
        assert_eq!(
            pacer("other-user", 3, 10).reserve("GET /x", t0).unwrap().0,
            t0
        );
    }

    #[test]
    fn calls_spread_over_time_never_wait() {
        let p = pacer("spread-user", 2, 10);
        let t0 = Instant::now();
        for i in 0..10u64 {
            let now = t0 + Duration::from_secs(5 * i);
            assert_eq!(p.reserve("GET /spread", now).unwrap().0, now);
        }
    }

    #[test]
    fn a_locked_api_is_refused_until_the_lock_ends() {
        let p = pacer("locked-user", 100, 120);
        let until = p.lock("GET /locked", Duration::from_secs(600));
        let refused = p.reserve("GET /locked", Instant::now()).unwrap_err();
        assert_eq!(refused.until, until);
        assert!(p.reserve("GET /open", Instant::now()).is_ok());
        let later = Instant::now() + Duration::from_secs(601);
        assert!(p.reserve("GET /locked", later).is_ok());
    }

    #[test]
    fn no_calls_left_on_the_service_waits_a_window() {
        let p = pacer("cooldown-user", 100, 120);
        p.observe_remaining("GET /c", 0, Some(Duration::from_secs(30)));
        let now = Instant::now();
        let (at, announce) = p.reserve("GET /c", now).unwrap();
        assert!(at >= now + Duration::from_secs(29));
        assert!(announce.unwrap().contains("no calls left"));
    }

    #[test]
    fn lock_lengths_come_from_retry_after_then_the_message() {
        assert_eq!(
            lock_duration(Some(Duration::from_secs(42)), "Try again after 17 minutes."),
            Duration::from_secs(42)
        );
        assert_eq!(
            lock_duration(
                None,
                "Cannot execute more than 100 requests per API in 2 minutes. Try again after 17 minutes."
            ),
            Duration::from_secs(17 * 60)
        );
        assert_eq!(lock_duration(None, "locked"), DEFAULT_LOCKOUT);
    }

    #[test]
    fn paced_durations_count_the_windows_after_the_first() {
        let limit = RateLimit::DEFAULT;
        assert_eq!(limit.paced_duration(0), Duration::ZERO);
        assert_eq!(limit.paced_duration(90), Duration::ZERO);
        assert_eq!(limit.paced_duration(91), Duration::from_secs(120));
        assert_eq!(limit.paced_duration(541), Duration::from_secs(720));
    }
}
