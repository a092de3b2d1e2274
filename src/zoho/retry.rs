//! How long to wait before repeating a request that failed transiently: jittered exponential
//! backoff, stretched to honour a `Retry-After` answer. Jitter keeps many clients (or many
//! batches of one apply) from retrying in lock-step against a shared per-org limit.

use std::time::Duration;

use rand::Rng;

/// Retry budget and pacing for transient failures (429, 5xx, timeouts, broken connections).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included (1 disables retries).
    pub max_attempts: u32,
    /// Delay scale of the first retry; each further retry doubles it.
    pub base_delay: Duration,
    /// Upper bound of the exponential part.
    pub max_delay: Duration,
    /// Upper bound on a server-requested `Retry-After`, so a hostile or broken answer cannot
    /// park a run for hours.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry): a random point in the
    /// upper half of `base * 2^(retry-1)` (capped at `max_delay`), but at least the
    /// server's `Retry-After` (capped at `max_retry_after`).
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1).min(20));
        let exponential = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = exponential / 2;
        let jitter = if half.is_zero() {
            Duration::ZERO
        } else {
            Duration::from_nanos(rand::rng().random_range(0..=half.as_nanos() as u64))
        };
        let backoff = half + jitter;
        match retry_after {
            Some(asked) => backoff.max(asked.min(self.max_retry_after)),
            None => backoff,
        }
    }
}

impl RetryPolicy {
    /// The wait before retrying an answer that named its own `Retry-After`, for services that
    /// pace clients exactly (Microsoft Graph: waiting less fails again, waiting more only
    /// slows the run): that wait, capped at `max_retry_after`, without backoff or jitter.
    pub fn server_paced(&self, retry_after: Duration) -> Duration {
        retry_after.min(self.max_retry_after)
    }
}

/// Reads a `Retry-After` header: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_in_the_upper_half_and_respect_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(5),
        };
        for _ in 0..50 {
            let first = policy.delay(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.delay(3, None);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let tenth = policy.delay(10, None);
            assert!(tenth >= Duration::from_millis(500) && tenth <= Duration::from_millis(1000));
        }
        assert!(policy.delay(40, None) <= policy.max_delay);
    }

    #[test]
    fn retry_after_stretches_the_wait_up_to_its_cap() {
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(5),
        };
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn server_paced_waits_are_exact_up_to_the_cap() {
        let policy = RetryPolicy {
            max_retry_after: Duration::from_secs(60),
            ..RetryPolicy::default()
        };
        assert_eq!(
            policy.server_paced(Duration::from_secs(3)),
            Duration::from_secs(3)
        );
        assert_eq!(policy.server_paced(Duration::ZERO), Duration::ZERO);
        assert_eq!(
            policy.server_paced(Duration::from_secs(86_400)),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn retry_after_accepts_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }
}
