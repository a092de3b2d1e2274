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
use tokio::sync::Notify;

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
    /// Calls granted whose answer has not come back yet.
    in_flight: u32,
    /// What the service's last answer said is left in its window (`RateLimit-Remaining`),
    /// less the calls granted since, and when it said so. Calls made by other processes or
    /// tools under the same user show up here, and nowhere else.
    service_left: Option<(u64, Instant)>,
    /// The service answered without `RateLimit-Remaining`: only the own count applies.
    uncounted: bool,
}

/// A lane and the signal that one of its answers came back.
#[derive(Debug, Default)]
struct LaneCell {
    lane: Mutex<Lane>,
    answered: Notify,
}

type Lanes = HashMap<(String, String), Arc<LaneCell>>;

/// Every lane of the process.
static LANES: LazyLock<Mutex<Lanes>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What a lane says about the next call.
#[derive(Debug)]
enum Slot {
    /// Send at this time, announcing the wait when there is something to say.
    At(Instant, Option<String>),
    /// The service's count is unknown or used up by calls still in flight: wait for one of
    /// their answers, which brings a fresh count.
    AwaitAnswer,
}

/// A granted call; tell it the answer's count, or drop it when there was no answer.
#[derive(Debug)]
pub struct Ticket {
    cell: Arc<LaneCell>,
    window: Duration,
    done: bool,
}

impl Ticket {
    /// The answer came back with `RateLimit-Remaining` (and `RateLimit-Window`), or without.
    pub fn answered(mut self, remaining: Option<u64>, window: Option<Duration>) {
        self.done = true;
        let now = Instant::now();
        let mut lane = locked(&self.cell.lane);
        lane.in_flight = lane.in_flight.saturating_sub(1);
        match remaining {
            Some(left) => {
                // Calls still in flight may not have been counted yet.
                let left = left.saturating_sub(u64::from(lane.in_flight));
                lane.service_left = Some((left, now));
                if left == 0 {
                    let until = now + window.unwrap_or(self.window);
                    if lane.cooldown_until.is_none_or(|c| c < until) {
                        lane.cooldown_until = Some(until);
                        lane.cooldown_reason =
                            "Zoho Projects reported no calls left in its window".into();
                    }
                }
            }
            None => lane.uncounted = true,
        }
        drop(lane);
        self.cell.answered.notify_waiters();
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.done {
            let mut lane = locked(&self.cell.lane);
            lane.in_flight = lane.in_flight.saturating_sub(1);
            drop(lane);
            self.cell.answered.notify_waiters();
        }
    }
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

    fn cell(&self, api: &str) -> Arc<LaneCell> {
        locked(&LANES)
            .entry((self.user.clone(), api.to_string()))
            .or_default()
            .clone()
    }

    /// Waits for this API's next free slot; an API the service locked is refused at once.
    /// Returns the ticket to report the answer on and how long it waited.
    pub async fn admit(&self, api: &str) -> Result<(Ticket, Duration), Locked> {
        let cell = self.cell(api);
        let started = Instant::now();
        loop {
            // Registered before looking, so an answer arriving in between is not missed.
            let answered = cell.answered.notified();
            match self.reserve(&cell, api, Instant::now())? {
                Slot::At(at, announce) => {
                    if let (Some(notice), Some(why)) = (&self.notice, announce) {
                        notice(&why);
                    }
                    drop(answered);
                    // Made before sleeping, so a call abandoned while it waits gives its
                    // place back.
                    let ticket = Ticket {
                        cell: cell.clone(),
                        window: self.limit.window,
                        done: false,
                    };
                    tokio::time::sleep_until(at.into()).await;
                    return Ok((ticket, started.elapsed()));
                }
                Slot::AwaitAnswer => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), answered).await;
                }
            }
        }
    }

    /// Grants the next slot at or after `now` and says whether the wait is worth announcing.
    fn reserve(&self, cell: &LaneCell, api: &str, now: Instant) -> Result<Slot, Locked> {
        let mut lane = locked(&cell.lane);
        if let Some((until, wall)) = lane.locked_until {
            if until > now {
                return Err(Locked { until: wall });
            }
            lane.locked_until = None;
        }
        let window = self.limit.window;
        if lane.cooldown_until.is_some_and(|c| c <= now) {
            // The service's window has turned over: its count must be read afresh.
            lane.cooldown_until = None;
            lane.service_left = None;
        }
        if lane
            .service_left
            .is_some_and(|(_, when)| now.saturating_duration_since(when) >= window)
        {
            lane.service_left = None;
        }
        if !lane.uncounted {
            let cooling = lane.cooldown_until.is_some();
            match lane.service_left {
                // Unknown, used up, or about to be read afresh after a pause: one call at a
                // time until an answer says how many are left.
                Some((left, when)) if left > 0 && !cooling => {
                    lane.service_left = Some((left - 1, when));
                }
                _ if lane.in_flight > 0 => return Ok(Slot::AwaitAnswer),
                _ => {}
            }
        }
        let at = self.own_slot(&mut lane, now);
        let (at, reason) = match lane.cooldown_until.filter(|c| *c > at) {
            Some(cool) => (cool, lane.cooldown_reason.clone()),
            None => (
                at,
                format!(
                    "Zoho Projects allows {} calls per API per {}",
                    self.limit.calls,
                    describe_window(window)
                ),
            ),
        };
        lane.granted.push_back(at);
        lane.in_flight += 1;
        let wait = at.saturating_duration_since(now);
        let quiet = lane
            .announced_until
            .is_some_and(|u| at <= u + ANNOUNCED_WAIT);
        let announce = (wait > ANNOUNCED_WAIT && !quiet).then(|| {
            lane.announced_until = Some(at);
            format!("waiting {} s: {reason} ({api})", wait.as_secs().max(1))
        });
        Ok(Slot::At(at, announce))
    }

    /// The earliest time the own count allows: the call `calls` places back must have left
    /// the window.
    fn own_slot(&self, lane: &mut Lane, now: Instant) -> Instant {
        let window = self.limit.window;
        while lane
            .granted
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            lane.granted.pop_front();
        }
        let calls = self.limit.calls.max(1) as usize;
        if lane.granted.len() >= calls {
            now.max(lane.granted[lane.granted.len() - calls] + window)
        } else {
            now
        }
    }

    /// Sends nothing to this API for `lasting` (a lock short enough to wait out).
    pub fn cool_down(&self, api: &str, lasting: Duration, reason: &str) {
        let cell = self.cell(api);
        let mut lane = locked(&cell.lane);
        let until = Instant::now() + lasting;
        if lane.cooldown_until.is_none_or(|c| c < until) {
            lane.cooldown_until = Some(until);
            lane.cooldown_reason = reason.to_string();
        }
    }

    /// Records that the service locked this API for `lasting`; returns when the lock ends.
    pub fn lock(&self, api: &str, lasting: Duration) -> DateTime<Utc> {
        let cell = self.cell(api);
        let mut lane = locked(&cell.lane);
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

    /// Grants a slot as `admit` would, without waiting for it.
    fn slot(p: &Pacer, api: &str, now: Instant) -> Result<(Instant, Option<String>), Locked> {
        match p.reserve(&p.cell(api), api, now)? {
            Slot::At(at, announce) => Ok((at, announce)),
            Slot::AwaitAnswer => panic!("{api}: waits for an answer"),
        }
    }

    /// A service that sends no `RateLimit-Remaining`: only the own count applies.
    fn uncounted(p: &Pacer, api: &str) {
        locked(&p.cell(api).lane).uncounted = true;
    }

    fn ticket(p: &Pacer, api: &str) -> Ticket {
        Ticket {
            cell: p.cell(api),
            window: p.limit.window,
            done: false,
        }
    }

    #[test]
    fn the_call_past_the_limit_waits_for_the_oldest_to_leave_the_window() {
        let p = pacer("window-user", 3, 10);
        for api in ["GET /x", "GET /y"] {
            uncounted(&p, api);
        }
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(slot(&p, "GET /x", t0).unwrap().0, t0);
        }
        let (at, announce) = slot(&p, "GET /x", t0).unwrap();
        assert_eq!(at, t0 + Duration::from_secs(10));
        let text = announce.expect("a 10 s wait is announced");
        assert!(
            text.starts_with("waiting 10 s: Zoho Projects allows 3 calls per API per 10 seconds"),
            "{text}"
        );
        // A caller queued right behind it is not announced again.
        let (at2, again) = slot(&p, "GET /x", t0).unwrap();
        assert_eq!(at2, t0 + Duration::from_secs(10));
        assert!(again.is_none());
        // Another API and another user have lanes of their own.
        assert_eq!(slot(&p, "GET /y", t0).unwrap().0, t0);
        let other = pacer("other-user", 3, 10);
        uncounted(&other, "GET /x");
        assert_eq!(slot(&other, "GET /x", t0).unwrap().0, t0);
    }

    #[test]
    fn calls_spread_over_time_never_wait() {
        let p = pacer("spread-user", 2, 10);
        uncounted(&p, "GET /spread");
        let t0 = Instant::now();
        for i in 0..10u64 {
            let now = t0 + Duration::from_secs(5 * i);
            assert_eq!(slot(&p, "GET /spread", now).unwrap().0, now);
        }
    }

    #[test]
    fn the_service_count_lets_calls_through_only_while_some_are_left() {
        let p = pacer("counted-user", 100, 120);
        let api = "GET /counted";
        let now = Instant::now();
        // Unknown count: one call, then wait for its answer.
        slot(&p, api, now).unwrap();
        assert!(matches!(
            p.reserve(&p.cell(api), api, now),
            Ok(Slot::AwaitAnswer)
        ));
        // The answer says 3 are left (another process used the rest): three more go.
        ticket(&p, api).answered(Some(3), Some(Duration::from_secs(120)));
        for _ in 0..3 {
            slot(&p, api, now).unwrap();
        }
        assert!(matches!(
            p.reserve(&p.cell(api), api, now),
            Ok(Slot::AwaitAnswer)
        ));
        // None left: nothing goes until the window has passed, then one probe.
        ticket(&p, api).answered(Some(0), Some(Duration::from_secs(30)));
        for _ in 0..2 {
            ticket(&p, api).answered(Some(0), Some(Duration::from_secs(30)));
        }
        let (at, announce) = slot(&p, api, now).unwrap();
        assert!(at >= now + Duration::from_secs(29));
        assert!(announce.unwrap().contains("no calls left"));
        assert!(matches!(
            p.reserve(&p.cell(api), api, now),
            Ok(Slot::AwaitAnswer)
        ));
    }

    #[test]
    fn a_locked_api_is_refused_until_the_lock_ends() {
        let p = pacer("locked-user", 100, 120);
        let until = p.lock("GET /locked", Duration::from_secs(600));
        let refused = slot(&p, "GET /locked", Instant::now()).unwrap_err();
        assert_eq!(refused.until, until);
        assert!(slot(&p, "GET /open", Instant::now()).is_ok());
        let later = Instant::now() + Duration::from_secs(601);
        assert!(slot(&p, "GET /locked", later).is_ok());
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
