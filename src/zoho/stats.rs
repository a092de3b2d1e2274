//! Per-run counters of API calls, rate-limit answers and CRM credits, shared by every client
//! of one [`super::ZohoClients`] (or one Microsoft Graph client) so plan/apply reports and
//! operator status can say what a run cost against the org's daily credit budget.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use serde::Serialize;

use super::error::System;

/// Live counters; cheap to update from many tasks at once.
#[derive(Debug, Default)]
pub struct ApiStats {
    accounts_calls: AtomicU64,
    crm_calls: AtomicU64,
    projects_calls: AtomicU64,
    identity_calls: AtomicU64,
    graph_calls: AtomicU64,
    crm_rate_limited: AtomicU64,
    projects_rate_limited: AtomicU64,
    graph_rate_limited: AtomicU64,
    crm_credits: AtomicU64,
    retries: AtomicU64,
    token_refreshes: AtomicU64,
    projects_paced_ms: AtomicU64,
    /// The last `X-API-CREDITS-REMAINING` a CRM answer carried, plus one (0: none seen).
    /// Zoho sends it only once more than half of the org's daily credits are spent.
    crm_credits_remaining: AtomicU64,
    /// Zoho Projects requests per API (method and path pattern), which its limit counts.
    projects_by_api: Mutex<BTreeMap<String, u64>>,
    /// The tightest bound seen on how far this machine's clock runs ahead of the services',
    /// in milliseconds (`i64::MAX`: no answer carried a `Date` yet). See
    /// [`ApiStats::clock_ahead`].
    clock_ahead_ms: ClockAhead,
    /// Projects calls waiting for their API's limit now, and since when one has been.
    pacing_waiters: Mutex<(u32, Option<std::time::Instant>)>,
}

/// A Projects call waiting for its rate limit; see [`ApiStats::pacing_wait`].
pub(crate) struct PacingWait<'a> {
    stats: &'a ApiStats,
}

impl Drop for PacingWait<'_> {
    fn drop(&mut self) {
        let stats = self.stats;
        let mut waiting = stats
            .pacing_waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        waiting.0 = waiting.0.saturating_sub(1);
        if waiting.0 == 0
            && let Some(since) = waiting.1.take()
        {
            let ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
            stats.projects_paced_ms.fetch_add(ms, Ordering::Relaxed);
        }
    }
}

/// The smallest clock difference seen; starts at "none seen".
#[derive(Debug)]
struct ClockAhead(AtomicI64);

impl Default for ClockAhead {
    fn default() -> ClockAhead {
        ClockAhead(AtomicI64::new(i64::MAX))
    }
}

/// A point-in-time copy of [`ApiStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ApiStatsSnapshot {
    /// HTTP requests sent to Zoho Accounts (token refreshes, including retried ones).
    pub accounts_calls: u64,
    /// HTTP requests sent to the CRM API, every attempt counted.
    pub crm_calls: u64,
    /// HTTP requests sent to the Projects API, every attempt counted.
    pub projects_calls: u64,
    /// HTTP requests sent to the Microsoft identity platform's token endpoint.
    pub identity_calls: u64,
    /// HTTP requests sent to Microsoft Graph, every attempt counted.
    pub graph_calls: u64,
    /// CRM answers with 429.
    pub crm_rate_limited: u64,
    /// Projects answers with 429.
    pub projects_rate_limited: u64,
    /// Microsoft Graph answers with 429.
    pub graph_rate_limited: u64,
    /// CRM credits by Zoho's price list: 1 per call, 1 per 10 records for
    /// insert/update/upsert; calls refused with 429 cost nothing.
    pub crm_credits: u64,
    /// Attempts repeated after a transient failure.
    pub retries: u64,
    /// Access tokens obtained.
    pub token_refreshes: u64,
    /// Time Projects calls waited for their API's rate limit, in milliseconds.
    pub projects_paced_ms: u64,
}

impl ApiStatsSnapshot {
    /// Calls to the CRM, Projects and Graph APIs (token requests excluded).
    pub fn api_calls(&self) -> u64 {
        self.crm_calls + self.projects_calls + self.graph_calls
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &ApiStatsSnapshot) -> ApiStatsSnapshot {
        ApiStatsSnapshot {
            accounts_calls: self.accounts_calls - earlier.accounts_calls,
            crm_calls: self.crm_calls - earlier.crm_calls,
            projects_calls: self.projects_calls - earlier.projects_calls,
            identity_calls: self.identity_calls - earlier.identity_calls,
            graph_calls: self.graph_calls - earlier.graph_calls,
            crm_rate_limited: self.crm_rate_limited - earlier.crm_rate_limited,
            projects_rate_limited: self.projects_rate_limited - earlier.projects_rate_limited,
            graph_rate_limited: self.graph_rate_limited - earlier.graph_rate_limited,
            crm_credits: self.crm_credits - earlier.crm_credits,
            retries: self.retries - earlier.retries,
            token_refreshes: self.token_refreshes - earlier.token_refreshes,
            projects_paced_ms: self.projects_paced_ms - earlier.projects_paced_ms,
        }
    }
}

/// Credits one CRM request costs: 1, or 1 per 10 records for insert/update/upsert.
pub fn crm_credit_cost(records_written: usize) -> u64 {
    (records_written as u64).div_ceil(10).max(1)
}

impl ApiStats {
    pub fn snapshot(&self) -> ApiStatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ApiStatsSnapshot {
            accounts_calls: get(&self.accounts_calls),
            crm_calls: get(&self.crm_calls),
            projects_calls: get(&self.projects_calls),
            identity_calls: get(&self.identity_calls),
            graph_calls: get(&self.graph_calls),
            crm_rate_limited: get(&self.crm_rate_limited),
            projects_rate_limited: get(&self.projects_rate_limited),
            graph_rate_limited: get(&self.graph_rate_limited),
            crm_credits: get(&self.crm_credits),
            retries: get(&self.retries),
            token_refreshes: get(&self.token_refreshes),
            projects_paced_ms: get(&self.projects_paced_ms),
        }
    }

    /// Notes an answer's `Date` header (RFC 9110: the server's clock when it answered, to
    /// the second) against this machine's clock when the answer arrived.
    pub(crate) fn note_server_date(
        &self,
        date: Option<&str>,
        received: chrono::DateTime<chrono::Utc>,
    ) {
        let Some(server) = date.and_then(|d| chrono::DateTime::parse_from_rfc2822(d.trim()).ok())
        else {
            return;
        };
        let ahead = (received - server.with_timezone(&chrono::Utc)).num_milliseconds();
        self.clock_ahead_ms.0.fetch_min(ahead, Ordering::Relaxed);
    }

    /// How far this machine's clock runs ahead of Zoho's (or Graph's), from the answers'
    /// `Date` headers; `None` when none carried one. The header truncates the server's clock
    /// to the second and the answer takes time to arrive, so each answer's difference is at
    /// least the true lead: the smallest difference seen is the tightest bound that is still
    /// never low, and a watermark set back by it stays safe. Answers landing at every phase
    /// of the second bring it within milliseconds of the true lead.
    pub fn clock_ahead(&self) -> Option<chrono::Duration> {
        let ms = self.clock_ahead_ms.0.load(Ordering::Relaxed);
        (ms != i64::MAX).then(|| chrono::Duration::milliseconds(ms))
    }

    pub(crate) fn record_call(&self, system: System) {
        let counter = match system {
            System::Accounts => &self.accounts_calls,
            System::Crm => &self.crm_calls,
            System::Projects => &self.projects_calls,
            System::MicrosoftIdentity => &self.identity_calls,
            System::Graph => &self.graph_calls,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_rate_limited(&self, system: System) {
        match system {
            System::Crm => self.crm_rate_limited.fetch_add(1, Ordering::Relaxed),
            System::Projects => self.projects_rate_limited.fetch_add(1, Ordering::Relaxed),
            System::Graph => self.graph_rate_limited.fetch_add(1, Ordering::Relaxed),
            System::Accounts | System::MicrosoftIdentity => 0,
        };
    }

    pub(crate) fn record_credits(&self, system: System, credits: u64) {
        if system == System::Crm {
            self.crm_credits.fetch_add(credits, Ordering::Relaxed);
        }
    }

    pub(crate) fn record_credits_remaining(&self, left: u64) {
        self.crm_credits_remaining
            .store(left.saturating_add(1), Ordering::Relaxed);
    }

    /// The org's remaining CRM credits as the last CRM answer reported them; `None` when no
    /// answer carried the count (Zoho sends it once more than half is spent).
    pub fn crm_credits_remaining(&self) -> Option<u64> {
        match self.crm_credits_remaining.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n - 1),
        }
    }

    pub(crate) fn record_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn record_projects_api(&self, api: &str) {
        let mut map = self
            .projects_by_api
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *map.entry(api.to_string()).or_default() += 1;
    }

    /// Zoho Projects requests sent so far per API (`GET /api/v3/portal/{id}/projects`).
    pub fn projects_calls_by_api(&self) -> BTreeMap<String, u64> {
        self.projects_by_api
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Marks a Projects call as waiting for its API's rate limit until the guard drops.
    /// `projects_paced_ms` grows by the time during which at least one call waited: many
    /// calls waiting side by side make one wait, which is what a run's length feels.
    pub(crate) fn pacing_wait(&self) -> PacingWait<'_> {
        let mut waiting = self
            .pacing_waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if waiting.0 == 0 {
            waiting.1 = Some(std::time::Instant::now());
        }
        waiting.0 += 1;
        PacingWait { stats: self }
    }

    pub(crate) fn record_token_refresh(&self) {
        self.token_refreshes.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credits_follow_zohos_price_list() {
        assert_eq!(crm_credit_cost(0), 1);
        assert_eq!(crm_credit_cost(1), 1);
        assert_eq!(crm_credit_cost(10), 1);
        assert_eq!(crm_credit_cost(11), 2);
        assert_eq!(crm_credit_cost(100), 10);
    }

    #[test]
    fn the_clock_difference_is_the_smallest_seen_and_ignores_unreadable_dates() {
        let stats = ApiStats::default();
        assert_eq!(stats.clock_ahead(), None);
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        stats.note_server_date(Some("not a date"), at("2026-12-03T10:00:00Z"));
        assert_eq!(stats.clock_ahead(), None);
        let date = Some("Thu, 03 Dec 2026 10:00:00 GMT");
        stats.note_server_date(date, at("2026-12-03T10:00:02.500Z"));
        stats.note_server_date(date, at("2026-12-03T10:00:03.900Z"));
        assert_eq!(
            stats.clock_ahead(),
            Some(chrono::Duration::milliseconds(2500))
        );
        stats.note_server_date(date, at("2026-12-03T09:59:30Z"));
        assert_eq!(stats.clock_ahead(), Some(chrono::Duration::seconds(-30)));
    }

    #[test]
    fn calls_waiting_side_by_side_count_as_one_wait() {
        let stats = ApiStats::default();
        let first = stats.pacing_wait();
        let second = stats.pacing_wait();
        std::thread::sleep(std::time::Duration::from_millis(30));
        drop(first);
        assert_eq!(
            stats.snapshot().projects_paced_ms,
            0,
            "one call still waits"
        );
        let third = stats.pacing_wait();
        std::thread::sleep(std::time::Duration::from_millis(30));
        drop(second);
        drop(third);
        let paced = stats.snapshot().projects_paced_ms;
        assert!(
            (60..1_000).contains(&paced),
            "one wait of about 60 ms, not 120: {paced}"
        );
    }

    #[test]
    fn snapshots_subtract() {
        let stats = ApiStats::default();
        stats.record_call(System::Crm);
        let before = stats.snapshot();
        stats.record_call(System::Crm);
        stats.record_call(System::Projects);
        stats.record_call(System::Graph);
        stats.record_call(System::MicrosoftIdentity);
        stats.record_rate_limited(System::Graph);
        stats.record_credits(System::Crm, 3);
        stats.record_credits(System::Projects, 3);
        stats.record_credits(System::Graph, 3);
        let delta = stats.snapshot().since(&before);
        assert_eq!(delta.crm_calls, 1);
        assert_eq!(delta.projects_calls, 1);
        assert_eq!(delta.graph_calls, 1);
        assert_eq!(delta.identity_calls, 1);
        assert_eq!(delta.graph_rate_limited, 1);
        assert_eq!(delta.crm_credits, 3);
        assert_eq!(delta.api_calls(), 3);
    }
}
