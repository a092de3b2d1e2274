//! The flags of the observation cache for `plan`, `apply` and the operator: incremental
//! observation from the cache in the state directory when it can be trusted, otherwise in
//! full, and a full resync on its own schedule (see `live::cached`).

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Args;

use super::GlobalArgs;
use super::duration::DurationError;
use super::target::Connected;
use crate::live::Observed;
use crate::live::cache::{CacheStore, ObservationKind, ResyncPolicy};
use crate::live::cached::{CacheUse, observe_cached};
use crate::plan::Desired;
use crate::plan::estimate::{ObservationReads, ReadCost, apply_reads};
use crate::zoho::stats::ApiStatsSnapshot;

/// Options of the observation cache.
#[derive(Debug, Clone, Args)]
pub struct ObservationArgs {
    /// Observe everything this run, whatever the cache in the state directory holds.
    #[arg(long, global = true, env = "PROJECTLINK_FULL_RESYNC")]
    pub full_resync: bool,
    /// How often a full observation runs; runs in between read only what changed since the
    /// last one (90s, 30m, 24h).
    #[arg(long, global = true, value_name = "DURATION", default_value = "24h",
          value_parser = parse_span, env = "PROJECTLINK_FULL_RESYNC_EVERY")]
    pub full_resync_every: Duration,
    /// How far before the last observation's start incremental reads begin, to cover clock
    /// differences between this machine and Zoho (90s, 5m).
    #[arg(long, global = true, value_name = "DURATION", default_value = "5m",
          value_parser = parse_span, env = "PROJECTLINK_OBSERVATION_OVERLAP")]
    pub observation_overlap: Duration,
    /// Neither read nor write the observation cache: every run observes everything.
    #[arg(long, global = true, env = "PROJECTLINK_NO_OBSERVATION_CACHE")]
    pub no_observation_cache: bool,
}

impl ObservationArgs {
    pub fn policy(&self) -> ResyncPolicy {
        ResyncPolicy {
            force_full: self.full_resync,
            full_every: self.full_resync_every,
            overlap: self.observation_overlap,
        }
    }
}

/// `90`, `90s`, `30m`, `2h` or `1d`.
fn parse_span(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let bad = || DurationError::Malformed {
        text: text.to_string(),
        examples: "like 90s, 30m, 24h or 1d",
    };
    let n: i64 = digits.parse().map_err(|_| bad())?;
    let unit_secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_secs)
        .filter(|s| *s <= 366 * 86_400)
        .map(Duration::seconds)
        .ok_or_else(|| DurationError::TooLong {
            text: text.to_string(),
        })
}

/// The cache in `--state-dir` and the schedule, or no cache with `--no-observation-cache`.
pub fn cache_use(global: &GlobalArgs) -> CacheUse {
    let args = &global.observation;
    CacheUse {
        store: (!args.no_observation_cache).then(|| CacheStore::new(&global.state_dir)),
        policy: args.policy(),
    }
}

/// One observation of a CLI verb, through the observation cache, with what it cost.
pub struct Observation {
    pub observed: Observed,
    pub kind: ObservationKind,
    /// The calls, credits and waits of the observation.
    pub spent: ApiStatsSnapshot,
    /// What an apply reads when it observes again right after (see [`apply_reads`]).
    pub apply_reads: ReadCost,
}

/// Observes `desired` the way every verb does: incrementally from the cache in the state
/// directory when it can be trusted, in full otherwise, writing the next cache; warnings
/// (an unusable cache, one not written) go to standard error.
pub async fn observe(
    global: &GlobalArgs,
    desired: &Desired,
    connected: &Connected,
) -> anyhow::Result<Observation> {
    let stats = &connected.clients.stats;
    let before = stats.snapshot();
    let by_api_before = stats.projects_calls_by_api();
    let started_at = Utc::now();
    let cache = cache_use(global);
    let cached = observe_cached(
        desired,
        &connected.clients.crm,
        &connected.clients.projects,
        connected.grant.clone(),
        &cache,
    )
    .await
    .with_context(|| {
        format!(
            "cannot observe the live integration for \"{}\"",
            desired.owner
        )
    })?;
    for warning in &cached.warnings {
        super::progress::say(&format!("warning: {warning}"));
    }
    let spent = stats.snapshot().since(&before);
    let projects_by_api = stats
        .projects_calls_by_api()
        .into_iter()
        .map(|(api, n)| {
            let earlier = by_api_before.get(&api).copied().unwrap_or(0);
            (api, n - earlier)
        })
        .filter(|(_, n)| *n > 0)
        .collect::<BTreeMap<_, _>>();
    let reads = ObservationReads {
        incremental: matches!(cached.kind, ObservationKind::Incremental { .. }),
        crm_calls: spent.crm_calls,
        projects_calls: spent.projects_calls,
        projects_by_api,
        next_listings: cached.next_listings.as_ref(),
        repeated_share: repeated_share(&cached.kind, started_at, cache.policy.overlap),
    };
    let apply_reads = apply_reads(&cached.observed, &reads);
    Ok(Observation {
        observed: cached.observed,
        kind: cached.kind,
        spent,
        apply_reads,
    })
}

/// Of the changes an incremental observation read (those since `since`, up to its start),
/// the share the next one, starting its reads `overlap` before this one's start, reads
/// again, taking them as spread evenly over the time. A full observation's changes are
/// unknown: none are counted.
fn repeated_share(
    kind: &ObservationKind,
    started_at: chrono::DateTime<Utc>,
    overlap: Duration,
) -> f64 {
    let ObservationKind::Incremental { since } = kind else {
        return 0.0;
    };
    let window = (started_at - *since).num_milliseconds();
    if window <= 0 {
        return 1.0;
    }
    (overlap.num_milliseconds() as f64 / window as f64).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_seconds_minutes_hours_or_days() {
        assert_eq!(parse_span("90").unwrap(), Duration::seconds(90));
        assert_eq!(parse_span("5m").unwrap(), Duration::minutes(5));
        assert_eq!(parse_span("24h").unwrap(), Duration::hours(24));
        assert_eq!(parse_span("2d").unwrap(), Duration::days(2));
        assert_eq!(parse_span("0s").unwrap(), Duration::zero());
        assert!(
            parse_span("5 weeks")
                .unwrap_err()
                .to_string()
                .contains("90s, 30m")
        );
        assert!(parse_span("-5m").is_err());
        assert!(
            parse_span("400d")
                .unwrap_err()
                .to_string()
                .contains("longer than a year")
        );
    }
}
