//! How `plan` and `apply` observe: incrementally from the observation cache in the state
//! directory when it can be trusted, otherwise in full, and a full resync on its own
//! schedule. The cache is written only after an observation that completed.

use chrono::{Duration, Utc};
use clap::Args;

use super::GlobalArgs;
use crate::live::cache::{
    CRM_SOURCE, CacheStore, Decision, FullReason, ObservationCache, ObservationKind, ResyncPolicy,
    decide,
};
use crate::live::incremental::CrmReads;
use crate::live::{Observed, observe::ObserveError, observe::reading};
use crate::zoho::CrmApi;

/// Watermark key of the Projects reads: both sides are observed from the same start.
pub const PROJECTS_SOURCE: &str = "projects";

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
fn parse_span(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let bad = || format!("{text:?} is not a duration like 90s, 30m, 24h or 1d");
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
        .ok_or_else(|| format!("{text:?} is longer than a year"))
}

/// The observation decided for one spec, and when it started.
pub struct Chosen {
    pub decision: Decision,
    pub started_at: chrono::DateTime<Utc>,
    pub org_id: String,
}

impl Chosen {
    /// The CRM reads this observation makes.
    pub fn reads(&self, overlap: Duration) -> CrmReads<'_> {
        match &self.decision.prior {
            Some(cache) => CrmReads::incremental(cache, overlap),
            None => CrmReads::full(),
        }
    }

    pub fn kind(&self) -> ObservationKind {
        self.decision.kind.clone()
    }
}

/// Reads the org (the cache is the org's), loads its cache for `owner` and decides. An
/// unusable cache is announced on standard error; the plan says so too.
pub async fn choose<C: CrmApi>(
    global: &GlobalArgs,
    crm: &C,
    owner: &str,
) -> Result<Chosen, ObserveError> {
    let started_at = Utc::now();
    let org = crm.org().await.map_err(reading("the CRM org"))?;
    let args = &global.observation;
    let decision = if args.no_observation_cache {
        Decision::full(FullReason::CacheOff)
    } else {
        let loaded = CacheStore::new(&global.state_dir).load(&org.id, owner);
        decide(loaded, &org.id, owner, started_at, &args.policy())
    };
    if let ObservationKind::Full {
        why: FullReason::CacheInvalid { problem },
    } = &decision.kind
    {
        super::progress::say(&format!(
            "warning: observing everything: the observation cache is unusable: {problem}"
        ));
    }
    Ok(Chosen {
        decision,
        started_at,
        org_id: org.id,
    })
}

/// Saves the completed observation as the next cache. A cache that cannot be written only
/// costs the next run a full observation, so it is a warning, not a failure.
pub fn save(
    global: &GlobalArgs,
    chosen: &Chosen,
    owner: &str,
    listings: std::collections::BTreeMap<String, crate::live::cache::CachedListing>,
    observed: &Observed,
) {
    if global.observation.no_observation_cache || observed.org.id != chosen.org_id {
        return;
    }
    let full_at = match &chosen.decision.prior {
        Some(prior) => prior.full_at,
        None => chosen.started_at,
    };
    let cache = ObservationCache {
        format: crate::live::cache::CACHE_FORMAT,
        org_id: chosen.org_id.clone(),
        owner: owner.to_string(),
        full_at,
        watermarks: [CRM_SOURCE, PROJECTS_SOURCE]
            .into_iter()
            .map(|s| (s.to_string(), chosen.started_at))
            .collect(),
        listings,
        observed: observed.clone(),
    };
    if let Err(e) = CacheStore::new(&global.state_dir).save(&cache) {
        super::progress::say(&format!("warning: the next run observes everything: {e}"));
    }
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
        assert!(parse_span("5 weeks").unwrap_err().contains("90s, 30m"));
        assert!(parse_span("-5m").is_err());
        assert!(
            parse_span("400d")
                .unwrap_err()
                .contains("longer than a year")
        );
    }
}
