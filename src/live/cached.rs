//! Observing through the observation cache, for the CLI and the operator alike: read the
//! org (the cache is the org's), decide between a full and an incremental observation,
//! observe, and write the next cache once the observation completed.

use chrono::Utc;

use super::cache::{
    CACHE_FORMAT, CRM_SOURCE, CacheStore, Decision, FullReason, ObservationCache, ObservationKind,
    ResyncPolicy, decide,
};
use super::incremental::CrmReads;
use super::observe::{ObserveError, observe_with, reading};
use super::projects_read::PROJECTS_SOURCE;
use super::snapshot::{Observed, ProjectsGrant};
use crate::plan::Desired;
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
    if let Some(store) = &cache.store
        && observed.org.id == org.id
    {
        let next = ObservationCache {
            format: CACHE_FORMAT,
            org_id: org.id.clone(),
            owner: owner.to_string(),
            full_at: decision.prior.as_ref().map_or(started_at, |p| p.full_at),
            watermarks: [CRM_SOURCE, PROJECTS_SOURCE]
                .into_iter()
                .map(|s| (s.to_string(), started_at))
                .collect(),
            listings: reads.into_listings(),
            observed: observed.clone(),
        };
        if let Err(e) = store.save(&next) {
            warnings.push(format!("the next run observes everything: {e}"));
        }
    }
    Ok(CachedObservation {
        observed,
        kind: decision.kind,
        warnings,
    })
}
