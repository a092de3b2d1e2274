//! Observing through the observation cache, for the CLI and the operator alike: read the
//! org (the cache is the org's), decide between a full and an incremental observation,
//! observe, and write the next cache once the observation completed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::cache::{
    CACHE_FORMAT, CRM_SOURCE, CacheStore, Decision, FullReason, ObservationCache, ObservationKind,
    ResyncPolicy, decide,
};
use super::incremental::CrmReads;
use super::observe::{ObserveError, observe_with, reading};
use super::projects_read::PROJECTS_SOURCE;
use super::snapshot::{Observed, ProjectsGrant};
use crate::domain::Desired;
use crate::zoho::{CrmApi, ProjectsApi};

/// Where the cache lives and when a full observation runs; no store means every
/// observation is full and nothing is written.
#[derive(Debug, Clone, Default)]
pub struct CacheUse {
    pub store: Option<CacheStore>,
    pub policy: ResyncPolicy,
}

/// An observation and how it was made.
#[derive(Debug)]
pub struct CachedObservation {
    pub observed: Observed,
    pub kind: ObservationKind,
    /// What the operator of the tool should hear: an unusable cache, a cache not written.
    pub warnings: Vec<String>,
    /// The records of each CRM listing in the cache this observation wrote, which the next
    /// observation reads by their changes alone; `None` when no cache was written (the next
    /// observation reads everything).
    pub next_listings: Option<BTreeMap<String, usize>>,
}

/// Observes `desired` fully or incrementally as the cache and `cache.policy` allow, and
/// writes the next cache when the observation completed.
pub async fn observe_cached<C: CrmApi, P: ProjectsApi>(
    desired: &Desired,
    crm: &C,
    projects: &P,
    grant: ProjectsGrant,
    cache: &CacheUse,
) -> Result<CachedObservation, ObserveError> {
    let started_at = Utc::now();
    let owner = desired.owner.as_str();
    let org = crm.org().await.map_err(reading("the CRM org"))?;
    let decision = match &cache.store {
        None => Decision::full(FullReason::CacheOff),
        Some(store) => decide(
            store.load(&org.id, owner),
            &org.id,
            owner,
            started_at,
            &cache.policy,
        ),
    };
    let mut warnings = Vec::new();
    if let ObservationKind::Full {
        why: FullReason::CacheInvalid { problem },
    } = &decision.kind
    {
        warnings.push(format!(
            "observing everything: the observation cache is unusable: {problem}"
        ));
    }
    let reads = match &decision.prior {
        Some(prior) => CrmReads::incremental(prior, cache.policy.overlap),
        None => CrmReads::full(),
    }
    .with_org(org.clone());
    let observed = observe_with(desired, crm, projects, grant, &reads).await?;
    let watermark = zoho_clock_watermark(started_at, crm.clock_ahead(), cache, &mut warnings);
    let mut next_listings = None;
    if let Some(store) = &cache.store
        && observed.org.id == org.id
    {
        let next = ObservationCache {
            format: CACHE_FORMAT,
            org_id: org.id.clone(),
            owner: owner.to_string(),
            // In the watermarks' clock and never after them: runs less than the clock
            // difference apart can set a watermark back past the last full observation's
            // start, and a full resync that comes due a moment early is harmless.
            full_at: decision
                .prior
                .as_ref()
                .map_or(watermark, |p| p.full_at.min(watermark)),
            watermarks: [CRM_SOURCE, PROJECTS_SOURCE]
                .into_iter()
                .map(|s| (s.to_string(), watermark))
                .collect(),
            crm_metadata: reads.metadata().kept(),
            projects: reads.projects_signals(),
            listings: reads.into_listings(),
            observed: observed.clone(),
        };
        let sizes = next
            .listings
            .iter()
            .map(|(key, listing)| (key.clone(), listing.records.len()))
            .collect();
        match store.save(&next) {
            Ok(_) => next_listings = Some(sizes),
            Err(e) => warnings.push(format!("the next run observes everything: {e}")),
        }
    }
    Ok(CachedObservation {
        observed,
        kind: decision.kind,
        warnings,
        next_listings,
    })
}

/// Where the next incremental reads start from: this observation's start, set back by how
/// far this machine's clock ran ahead of Zoho's (the services stamp changes with their own
/// clock, so a watermark ahead of it would hide the changes made just after this run
/// started). A clock behind Zoho's only makes the next run read a little more.
fn zoho_clock_watermark(
    started_at: DateTime<Utc>,
    ahead: Option<Duration>,
    cache: &CacheUse,
    warnings: &mut Vec<String>,
) -> DateTime<Utc> {
    let ahead = ahead.filter(|d| *d > Duration::zero()).unwrap_or_default();
    if cache.store.is_some() && ahead > cache.policy.overlap + Duration::seconds(2) {
        warnings.push(format!(
            "this machine's clock runs about {} s ahead of Zoho's, more than the observation overlap ({} s); the next run starts its reads that much earlier, but keep the clock synchronised (NTP)",
            ahead.num_seconds(),
            cache.policy.overlap.num_seconds()
        ));
    }
    started_at - ahead
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::cache::CacheStore;

    fn cache_use(overlap_secs: i64) -> CacheUse {
        CacheUse {
            store: Some(CacheStore::new(std::path::Path::new("unused"))),
            policy: ResyncPolicy {
                overlap: Duration::seconds(overlap_secs),
                ..ResyncPolicy::default()
            },
        }
    }

    #[test]
    fn a_clock_ahead_of_zohos_sets_the_watermark_back_and_one_behind_does_not() {
        let start = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .to_utc();
        let mut warnings = Vec::new();
        let ahead = Some(Duration::seconds(40));
        let mark = zoho_clock_watermark(start, ahead, &cache_use(300), &mut warnings);
        assert_eq!(mark, start - Duration::seconds(40));
        assert!(warnings.is_empty(), "within the overlap: {warnings:?}");
        let behind = Some(Duration::seconds(-90));
        assert_eq!(
            zoho_clock_watermark(start, behind, &cache_use(300), &mut warnings),
            start
        );
        assert_eq!(
            zoho_clock_watermark(start, None, &cache_use(300), &mut warnings),
            start
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_clock_further_ahead_than_the_overlap_is_named() {
        let start = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .to_utc();
        let mut warnings = Vec::new();
        let ahead = Some(Duration::seconds(600));
        let mark = zoho_clock_watermark(start, ahead, &cache_use(300), &mut warnings);
        assert_eq!(mark, start - Duration::seconds(600));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("about 600 s ahead"), "{warnings:?}");
    }
}
