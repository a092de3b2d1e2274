//! CRM reads of one observation, full or incremental. A full observation lists every record;
//! an incremental one lists only the records modified and deleted since the cached
//! watermark (less its overlap) and merges them into the cached listing by id, so the rest
//! of observation sees the same records either way. Every listing read is kept, to become
//! the next cache: a listing this observation did not read is not carried over, since its
//! changes since the last watermark were never looked at.

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::cache::{CRM_SOURCE, CachedListing, ObservationCache, ProjectsSignals, listing_key};
use super::metadata::MetadataReads;
use super::snapshot::CrmUserFacts;
use crate::zoho::crm::{CrmUser, DeletedRecord, Org, Record, RecordQuery, UserType};
use crate::zoho::{CrmApi, ZohoError};

/// The CRM reads of one observation.
#[derive(Debug, Default)]
pub struct CrmReads<'a> {
    prior: Option<(&'a ObservationCache, DateTime<Utc>)>,
    overlap: Duration,
    /// The org, when it was read already (to pick the cache).
    org: Option<Org>,
    read: Mutex<BTreeMap<String, CachedListing>>,
    /// Fields and profile permissions, read when their stamps moved (see [`super::metadata`]).
    metadata: MetadataReads<'a>,
    /// The Projects listing counts this observation saw, for the next cache.
    projects: Mutex<ProjectsSignals>,
}

impl<'a> CrmReads<'a> {
    /// Reads that list everything.
    pub fn full() -> CrmReads<'static> {
        CrmReads::default()
    }

    /// Reads of what changed since the cache's CRM watermark less `overlap`, merged into
    /// `cache`. A cache without a CRM watermark is read from its full observation's start.
    pub fn incremental(cache: &'a ObservationCache, overlap: Duration) -> CrmReads<'a> {
        let since = cache
            .since(CRM_SOURCE, overlap)
            .unwrap_or(cache.full_at - overlap);
        CrmReads {
            prior: Some((cache, since)),
            overlap,
            org: None,
            read: Mutex::default(),
            metadata: MetadataReads::on(&cache.observed, &cache.crm_metadata, since),
            projects: Mutex::default(),
        }
    }

    /// These reads with the org already read, so observation does not read it again.
    pub fn with_org(self, org: Org) -> CrmReads<'a> {
        CrmReads {
            org: Some(org),
            ..self
        }
    }

    /// The org, when it was read before observation started.
    pub fn org(&self) -> Option<&Org> {
        self.org.as_ref()
    }

    /// Where incremental reads of another `source` (its watermark key) start: its watermark
    /// less the same overlap; `None` on a full observation or when the cache has none.
    pub fn since(&self, source: &str) -> Option<DateTime<Utc>> {
        let (cache, _) = self.prior?;
        cache.since(source, self.overlap)
    }

    /// The cache and the instant incremental reads start at, when incremental.
    pub fn prior(&self) -> Option<(&'a ObservationCache, DateTime<Utc>)> {
        self.prior
    }

    /// The records of `module` with `fields`: listed whole, or, when the cache holds the
    /// same listing, the cached ones with the changes and deletions since merged in.
    pub async fn records<C: CrmApi>(
        &self,
        crm: &C,
        module: &str,
        fields: &[String],
    ) -> Result<Vec<Record>, ZohoError> {
        let key = listing_key(module, fields);
        let cached = self
            .prior
            .and_then(|(cache, since)| Some((cache.listings.get(&key)?, since)));
        let records = match cached {
            None => {
                let all = crm.records(module, fields, &RecordQuery::default()).await?;
                all.into_iter()
                    .filter_map(|r| Some((id_of(&r)?, r)))
                    .collect()
            }
            Some((cached, since)) => {
                let names: Vec<&str> = fields.iter().map(String::as_str).collect();
                let (changed, deleted) = futures::try_join!(
                    crm.records_modified_since(module, &names, Some(since)),
                    crm.deleted_records(module, Some(since))
                )?;
                merge(&cached.records, changed, &deleted, fields)
            }
        };
        let list: Vec<Record> = records.values().cloned().collect();
        let listing = CachedListing {
            module: module.to_string(),
            fields: fields.to_vec(),
            records,
        };
        self.read.lock().expect("listing lock").insert(key, listing);
        Ok(list)
    }

    /// The metadata reads of this observation: module fields and profile permissions.
    pub fn metadata(&self) -> &MetadataReads<'a> {
        &self.metadata
    }

    /// The Projects listing counts of the cached observation, when incremental.
    pub fn prior_projects(&self) -> Option<&'a ProjectsSignals> {
        self.prior.map(|(cache, _)| &cache.projects)
    }

    /// Keeps what `note` sets of the Projects listing counts, for the next cache.
    pub fn note_projects(&self, note: impl FnOnce(&mut ProjectsSignals)) {
        note(&mut self.projects.lock().expect("projects signals lock"));
    }

    /// The Projects listing counts this observation saw.
    pub fn projects_signals(&self) -> ProjectsSignals {
        self.projects.lock().expect("projects signals lock").clone()
    }

    /// The listings read, for the next cache.
    pub fn into_listings(self) -> BTreeMap<String, CachedListing> {
        self.read.into_inner().expect("listing lock")
    }
}

fn id_of(record: &Record) -> Option<String> {
    match record.get("id") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `cached` with `changed` put in by id and `deleted` taken out. A record both changed and
/// deleted since the watermark stays only when its change came after its deletion (it was
/// restored). `Modified_Time`, which change listings always carry, is dropped unless asked
/// for, so merged records look like listed ones.
pub fn merge(
    cached: &BTreeMap<String, Record>,
    changed: Vec<Value>,
    deleted: &[DeletedRecord],
    fields: &[String],
) -> BTreeMap<String, Record> {
    let keep_modified = fields.iter().any(|f| f == "Modified_Time");
    let mut records = cached.clone();
    let deleted_at: BTreeMap<&str, Option<DateTime<Utc>>> = deleted
        .iter()
        .map(|d| (d.id.as_str(), d.deleted_time))
        .collect();
    for id in deleted_at.keys() {
        records.remove(*id);
    }
    for record in changed {
        let Value::Object(mut record) = record else {
            continue;
        };
        let Some(id) = id_of(&record) else { continue };
        if let Some(when) = deleted_at.get(id.as_str()) {
            let modified = record
                .get("Modified_Time")
                .and_then(Value::as_str)
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            let restored = matches!((modified, when), (Some(m), Some(d)) if m > *d);
            if !restored {
                continue;
            }
        }
        if !keep_modified {
            record.remove("Modified_Time");
        }
        records.insert(id, record);
    }
    records
}

/// The CRM users: listed whole, or the cached ones with the users changed since merged in
/// (a user Zoho lists as deleted is taken out).
pub async fn users<C: CrmApi>(
    reads: &CrmReads<'_>,
    crm: &C,
    facts: impl Fn(&CrmUser) -> CrmUserFacts,
) -> Result<Vec<CrmUserFacts>, ZohoError> {
    let mut users: BTreeMap<String, CrmUserFacts> = match reads.prior() {
        None => BTreeMap::new(),
        Some((cache, _)) => cache
            .observed
            .users
            .iter()
            .map(|u| (u.id.clone(), u.clone()))
            .collect(),
    };
    let listed = match reads.prior() {
        None => crm.users(UserType::AllUsers).await?,
        Some((_, since)) => crm.users_modified_since(UserType::AllUsers, since).await?,
    };
    for user in &listed {
        users.remove(&user.id);
        if !user.status.eq_ignore_ascii_case("deleted") {
            users.insert(user.id.clone(), facts(user));
        }
    }
    let mut users: Vec<CrmUserFacts> = users.into_values().collect();
    users.sort_by(|a, b| a.email.cmp(&b.email));
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(v: Value) -> Record {
        v.as_object().unwrap().clone()
    }

    fn deleted(id: &str, at: &str) -> DeletedRecord {
        serde_json::from_value(json!({"id": id, "deleted_time": at})).unwrap()
    }

    #[test]
    fn changes_replace_add_and_deletions_remove_by_id() {
        let cached: BTreeMap<String, Record> = [
            ("1", json!({"id": "1", "Account_Name": "Old"})),
            ("2", json!({"id": "2", "Account_Name": "Gone"})),
            ("3", json!({"id": "3", "Account_Name": "Same"})),
        ]
        .into_iter()
        .map(|(id, v)| (id.to_string(), record(v)))
        .collect();
        let changed = vec![
            json!({"id": "1", "Account_Name": "New", "Modified_Time": "2026-01-05T10:00:00+00:00"}),
            json!({"id": "4", "Account_Name": "Added", "Modified_Time": "2026-01-05T10:01:00+00:00"}),
        ];
        let merged = merge(
            &cached,
            changed,
            &[deleted("2", "2026-01-05T10:02:00+00:00")],
            &["Account_Name".to_string()],
        );
        let names: Vec<(&str, &str)> = merged
            .iter()
            .map(|(id, r)| (id.as_str(), r["Account_Name"].as_str().unwrap()))
            .collect();
        assert_eq!(names, [("1", "New"), ("3", "Same"), ("4", "Added")]);
        assert!(
            !merged["1"].contains_key("Modified_Time"),
            "not asked for, so not kept"
        );
    }

    #[test]
    fn a_deletion_wins_over_an_earlier_change_and_loses_to_a_later_one() {
        let cached = BTreeMap::new();
        let changed = vec![
            json!({"id": "5", "Modified_Time": "2026-01-05T10:00:00+00:00"}),
            json!({"id": "6", "Modified_Time": "2026-01-05T10:09:00+00:00"}),
        ];
        let merged = merge(
            &cached,
            changed,
            &[
                deleted("5", "2026-01-05T10:05:00+00:00"),
                deleted("6", "2026-01-05T10:05:00+00:00"),
            ],
            &["Modified_Time".to_string()],
        );
        assert_eq!(merged.keys().collect::<Vec<_>>(), ["6"]);
        assert!(merged["6"].contains_key("Modified_Time"), "asked for");
    }
}
