//! The observation cache: the last complete observation of one spec in one org, with the
//! watermarks that let the next observation read only what changed since. It is an
//! optimisation only: a cache that is missing, unreadable, of another format, of another org
//! or spec, or too old for the full-resync schedule means a full observation, never a plan
//! built on facts that may be wrong.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::metadata::CrmMetadata;
use super::snapshot::Observed;
use crate::zoho::crm::Record;

/// Format of the cache file; a cache of any other format is ignored (full observation).
/// 2: module fields and metadata stamps (`crm_metadata`), Projects listing counts.
pub const CACHE_FORMAT: u32 = 2;
/// Watermark key of the CRM reads.
pub const CRM_SOURCE: &str = "crm";
/// How far before a watermark incremental listings start by default: the machine's and
/// Zoho's clocks may disagree, and a change read twice costs only a comparison.
pub const DEFAULT_OVERLAP: Duration = Duration::minutes(5);
/// How often a full observation runs by default, to catch what incremental reads cannot see
/// (a deletion without a tombstone, a change made while a watermark was lost).
pub const DEFAULT_FULL_EVERY: Duration = Duration::hours(24);

/// One CRM listing as last read: the module and fields asked for (a listing with other
/// fields is read in full), and its records by id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CachedListing {
    pub module: String,
    pub fields: Vec<String>,
    pub records: BTreeMap<String, Record>,
}

/// What the cache file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationCache {
    pub format: u32,
    /// The CRM org id and the spec owner the cache belongs to.
    pub org_id: String,
    pub owner: String,
    /// When the last full observation started.
    pub full_at: DateTime<Utc>,
    /// Per source (`crm`, `projects`, ...): when the last complete observation that read it
    /// started, by this machine's clock, before any overlap is taken off.
    pub watermarks: BTreeMap<String, DateTime<Utc>>,
    /// CRM listings read by that observation, keyed by [`listing_key`].
    pub listings: BTreeMap<String, CachedListing>,
    /// The module fields read and, for them and the profiles' permissions in `observed`,
    /// Zoho's `modified_time` as listed before they were read.
    #[serde(default)]
    pub crm_metadata: CrmMetadata,
    /// The observation itself.
    pub observed: Observed,
    /// What the Projects listings said about their size, to tell the next observation
    /// whether they changed (absent in an older cache: those listings are read whole).
    #[serde(default)]
    pub projects: ProjectsSignals,
}

/// The counts Zoho Projects gave for listings that grow with the org (`page_info.count`),
/// as that observation saw them. They are compared as Zoho reported them, never with the
/// length of a list, so whatever Zoho counts, a changed number means the listing is read
/// whole again; `None` (not read, or no count given) means it is read whole.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectsSignals {
    /// Of the portal's users (`view_type=all`).
    pub users: Option<ListingCount>,
    /// Of the portal's client companies.
    pub clients: Option<ListingCount>,
}

/// The count Zoho gave for one listing of one portal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingCount {
    pub portal_id: String,
    pub count: u64,
}

impl ObservationCache {
    /// Where incremental reads of `source` start: its watermark less `overlap`.
    pub fn since(&self, source: &str, overlap: Duration) -> Option<DateTime<Utc>> {
        self.watermarks.get(source).map(|t| *t - overlap)
    }
}

/// The key of a listing of `module` with `fields` (in any order).
pub fn listing_key(module: &str, fields: &[String]) -> String {
    let mut sorted: Vec<&str> = fields.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    format!("{module}?{}", sorted.join(","))
}

/// Why an observation read everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FullReason {
    /// No cache for this org and spec (first run, or the file was removed).
    NoCache,
    /// `--full-resync` (or the operator's equivalent) asked for one.
    Forced,
    /// The last full observation is older than the full-resync interval.
    ScheduleDue { last_full: DateTime<Utc> },
    /// The cache exists but cannot be trusted.
    CacheInvalid { problem: String },
    /// Observation caching is off (`--no-observation-cache`).
    CacheOff,
}

/// Which kind of observation a plan was built on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObservationKind {
    Full {
        #[serde(flatten)]
        why: FullReason,
    },
    /// Only what changed since `since` (the watermark less the overlap) was read, plus the
    /// one-call metadata lists whose times say which fields and profiles changed.
    Incremental { since: DateTime<Utc> },
}

impl ObservationKind {
    /// One line for the plan's text and markdown output.
    pub fn describe(&self) -> String {
        match self {
            ObservationKind::Incremental { since } => format!(
                "Observation: incremental, changes since {}.",
                since.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            ObservationKind::Full { why } => {
                let why = match why {
                    FullReason::NoCache => "no cached observation".to_string(),
                    FullReason::Forced => "--full-resync".to_string(),
                    FullReason::ScheduleDue { last_full } => format!(
                        "the scheduled full resync is due (last {})",
                        last_full.format("%Y-%m-%d %H:%M:%S UTC")
                    ),
                    FullReason::CacheInvalid { problem } => {
                        format!("the cached observation is unusable: {problem}")
                    }
                    FullReason::CacheOff => "observation cache off".to_string(),
                };
                format!("Observation: full ({why}).")
            }
        }
    }
}

/// When a full observation runs and how far incremental reads overlap their watermark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResyncPolicy {
    pub force_full: bool,
    pub full_every: Duration,
    pub overlap: Duration,
}

impl Default for ResyncPolicy {
    fn default() -> Self {
        ResyncPolicy {
            force_full: false,
            full_every: DEFAULT_FULL_EVERY,
            overlap: DEFAULT_OVERLAP,
        }
    }
}

/// A cache file that could not be used, with why.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not an observation cache: {source}")]
    Corrupt {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The decision for one observation: its kind and, when incremental, the cache it reads on.
#[derive(Debug)]
pub struct Decision {
    pub kind: ObservationKind,
    pub prior: Option<ObservationCache>,
}

impl Decision {
    pub fn full(why: FullReason) -> Decision {
        Decision {
            kind: ObservationKind::Full { why },
            prior: None,
        }
    }
}

/// Decides between a full and an incremental observation from what loading the cache gave.
pub fn decide(
    loaded: Result<Option<ObservationCache>, CacheError>,
    org_id: &str,
    owner: &str,
    now: DateTime<Utc>,
    policy: &ResyncPolicy,
) -> Decision {
    let cache = match loaded {
        Err(e) => {
            return Decision::full(FullReason::CacheInvalid {
                problem: e.to_string(),
            });
        }
        Ok(None) => return Decision::full(FullReason::NoCache),
        Ok(Some(cache)) => cache,
    };
    if policy.force_full {
        return Decision::full(FullReason::Forced);
    }
    if let Some(problem) = untrusted(&cache, org_id, owner, now) {
        return Decision::full(FullReason::CacheInvalid { problem });
    }
    if now - cache.full_at >= policy.full_every {
        return Decision::full(FullReason::ScheduleDue {
            last_full: cache.full_at,
        });
    }
    let Some(since) = cache.since(CRM_SOURCE, policy.overlap) else {
        return Decision::full(FullReason::CacheInvalid {
            problem: "it holds no CRM watermark".into(),
        });
    };
    Decision {
        kind: ObservationKind::Incremental { since },
        prior: Some(cache),
    }
}

/// Why a cache that parsed cannot be used, if it cannot.
fn untrusted(
    cache: &ObservationCache,
    org_id: &str,
    owner: &str,
    now: DateTime<Utc>,
) -> Option<String> {
    if cache.format != CACHE_FORMAT {
        return Some(format!(
            "it has format {}, this version reads format {CACHE_FORMAT}",
            cache.format
        ));
    }
    if cache.org_id != org_id || cache.owner != owner {
        return Some(format!(
            "it belongs to org {} and spec {:?}, not org {org_id} and spec {owner:?}",
            cache.org_id, cache.owner
        ));
    }
    // A watermark from the future would hide every change made until then.
    let skew = Duration::minutes(1);
    let future = std::iter::once(&cache.full_at)
        .chain(cache.watermarks.values())
        .any(|t| *t > now + skew);
    if future {
        return Some("its watermarks lie in the future of this machine's clock".into());
    }
    if cache.watermarks.values().any(|t| *t < cache.full_at) {
        return Some("a watermark is older than its full observation".into());
    }
    None
}

/// The cache files of one state directory: `<state-dir>/observations/<org>-<owner>.json`.
#[derive(Debug, Clone)]
pub struct CacheStore {
    dir: PathBuf,
}

impl CacheStore {
    pub fn new(state_dir: &Path) -> CacheStore {
        CacheStore {
            dir: state_dir.join("observations"),
        }
    }

    /// The file of `owner` in `org_id`; both are reduced to file-name-safe characters, and
    /// the file names its org and owner again inside so a collision is caught on load.
    pub fn path(&self, org_id: &str, owner: &str) -> PathBuf {
        self.dir
            .join(format!("{}-{}.json", safe_name(org_id), safe_name(owner)))
    }

    /// The cache, `None` when there is no file.
    pub fn load(&self, org_id: &str, owner: &str) -> Result<Option<ObservationCache>, CacheError> {
        let path = self.path(org_id, owner);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(CacheError::Read { path, source }),
        };
        serde_json::from_slice(&text)
            .map(Some)
            .map_err(|source| CacheError::Corrupt { path, source })
    }

    /// Writes the cache whole (a temporary file renamed over the old one, so a crash leaves
    /// the old cache or the new one, never half of one).
    pub fn save(&self, cache: &ObservationCache) -> Result<PathBuf, CacheError> {
        let path = self.path(&cache.org_id, &cache.owner);
        let write = |source| CacheError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(write)?;
        // One temporary name per process: two runs saving at once each rename a whole file.
        let partial = path.with_extension(format!("json.{}.partial", std::process::id()));
        let written = create_private(&partial).and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            serde_json::to_writer(&mut out, cache).map_err(std::io::Error::other)?;
            std::io::Write::flush(&mut out)?;
            std::fs::rename(&partial, &path)
        });
        if let Err(source) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(write(source));
        }
        Ok(path)
    }

    /// Removes the cache of `owner` in `org_id`, if there is one.
    pub fn remove(&self, org_id: &str, owner: &str) -> Result<(), CacheError> {
        let path = self.path(org_id, owner);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CacheError::Write { path, source }),
        }
    }
}

/// A new file only its owner can read: the cache holds the org's names and emails.
#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

/// Letters, digits, `.`, `_` and `-` as they are; anything else as `%XX` bytes.
fn safe_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-') || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
