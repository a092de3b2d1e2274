//! Unit tests of the observation cache: every cache that cannot be trusted means a full
//! observation, and the file round-trips.

use super::*;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn cache() -> ObservationCache {
    ObservationCache {
        format: CACHE_FORMAT,
        org_id: "org1".into(),
        owner: "acme".into(),
        full_at: at("2026-01-05T08:00:00Z"),
        watermarks: [(CRM_SOURCE.to_string(), at("2026-01-05T10:00:00Z"))].into(),
        listings: BTreeMap::new(),
        crm_metadata: Default::default(),
        observed: Observed::default(),
        projects: Default::default(),
    }
}

fn decided(cache: ObservationCache, policy: ResyncPolicy) -> ObservationKind {
    decide(
        Ok(Some(cache)),
        "org1",
        "acme",
        at("2026-01-05T10:30:00Z"),
        &policy,
    )
    .kind
}

fn invalid(kind: ObservationKind) -> String {
    match kind {
        ObservationKind::Full {
            why: FullReason::CacheInvalid { problem },
        } => problem,
        other => panic!("expected an invalid cache, got {other:?}"),
    }
}

#[test]
fn a_valid_cache_is_read_incrementally_from_the_watermark_less_the_overlap() {
    let kind = decided(cache(), ResyncPolicy::default());
    assert_eq!(
        kind,
        ObservationKind::Incremental {
            since: at("2026-01-05T09:55:00Z")
        }
    );
    assert_eq!(
        kind.describe(),
        "Observation: incremental, changes since 2026-01-05 09:55:00 UTC."
    );
}

#[test]
fn no_cache_forced_and_due_resyncs_are_full() {
    let policy = ResyncPolicy::default();
    let none = decide(
        Ok(None),
        "org1",
        "acme",
        at("2026-01-05T10:30:00Z"),
        &policy,
    );
    assert_eq!(
        none.kind,
        ObservationKind::Full {
            why: FullReason::NoCache
        }
    );
    assert!(none.prior.is_none());
    let forced = ResyncPolicy {
        force_full: true,
        ..policy
    };
    assert_eq!(
        decided(cache(), forced),
        ObservationKind::Full {
            why: FullReason::Forced
        }
    );
    let hourly = ResyncPolicy {
        full_every: Duration::hours(2),
        ..policy
    };
    assert_eq!(
        decided(cache(), hourly).describe(),
        "Observation: full (the scheduled full resync is due (last 2026-01-05 08:00:00 UTC))."
    );
}

#[test]
fn foreign_stale_format_and_future_caches_are_not_trusted() {
    let policy = ResyncPolicy::default();
    let mut other_org = cache();
    other_org.org_id = "org2".into();
    assert!(invalid(decided(other_org, policy)).contains("org org2"));
    let mut other_owner = cache();
    other_owner.owner = "beta".into();
    assert!(invalid(decided(other_owner, policy)).contains("\"beta\""));
    let mut old_format = cache();
    old_format.format = CACHE_FORMAT + 1;
    assert!(invalid(decided(old_format, policy)).contains("format"));
    let mut future = cache();
    future
        .watermarks
        .insert(CRM_SOURCE.into(), at("2026-01-06T10:00:00Z"));
    assert!(invalid(decided(future, policy)).contains("future"));
    let mut no_watermark = cache();
    no_watermark.watermarks.clear();
    assert!(invalid(decided(no_watermark, policy)).contains("no CRM watermark"));
}

#[test]
fn files_round_trip_and_corrupt_files_are_reported_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let store = CacheStore::new(dir.path());
    assert!(store.load("org1", "acme").unwrap().is_none());
    let path = store.save(&cache()).unwrap();
    assert!(path.ends_with("observations/org1-acme.json"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner reads the cache");
    }
    assert_eq!(store.load("org1", "acme").unwrap(), Some(cache()));
    std::fs::write(&path, "{\"format\": 1, \"org_id\": ").unwrap();
    let error = store.load("org1", "acme").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("org1-acme.json is not an observation cache"),
        "{error}"
    );
    let kind = decide(
        Err(error),
        "org1",
        "acme",
        at("2026-01-05T10:30:00Z"),
        &ResyncPolicy::default(),
    )
    .kind;
    assert!(invalid(kind).contains("not an observation cache"));
    store.remove("org1", "acme").unwrap();
    assert!(store.load("org1", "acme").unwrap().is_none());
}

#[test]
fn file_names_cannot_leave_the_cache_folder() {
    let store = CacheStore::new(Path::new("/state"));
    assert_eq!(
        store.path("1", "../x/y"),
        Path::new("/state/observations/1-%2E.%2Fx%2Fy.json")
    );
}
