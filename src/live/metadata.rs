//! CRM metadata between full observations: a module's fields and a profile's permissions are
//! read again only when Zoho's own `modified_time` for that module or profile says they may
//! have changed. The lists that carry those times (`GET /settings/modules`,
//! `GET /settings/profiles`) are one call each whatever the org's size, so a no-change
//! observation reads no `GET /settings/fields` and no `GET /settings/profiles/{id}`.
//!
//! Zoho documents `modified_time` on both lists (crm-oas v8.0 `modules.json`, `profiles.json`)
//! as when the module or profile was last modified. That a field created, changed or deleted
//! moves its module's time is inferred, not stated: the module's time is its last
//! customisation, and Zoho's mobile SDK fetches customised modules with
//! `getModules(modifiedSince:)`. Should Zoho not move it, the scheduled full observation still
//! reads every field (docs/incremental-observation.md).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::snapshot::{Observed, ProfileFacts};
use crate::zoho::crm::{Field, Module, Profile};
use crate::zoho::{CrmApi, ZohoError};

/// Zoho's `modified_time` of a module or profile, with the id it was listed under (a module
/// deleted and created again under the same api name has a new id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub id: String,
    pub modified_time: DateTime<Utc>,
}

impl Stamp {
    fn of(id: &str, modified_time: Option<DateTime<Utc>>) -> Option<Stamp> {
        Some(Stamp {
            id: id.to_string(),
            modified_time: modified_time?,
        })
    }
}

/// A module's fields as read under its stamp. Field-level profile permissions are not kept:
/// observation does not use them, and they are most of a field's size in a large org.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedFields {
    pub stamp: Stamp,
    pub fields: Vec<Field>,
}

/// What the observation cache keeps of the CRM metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CrmMetadata {
    /// By module api name: the fields read, with the stamp listed before they were read.
    #[serde(default)]
    pub modules: BTreeMap<String, CachedFields>,
    /// By profile id: the stamp listed before the profile's link-module permissions (in the
    /// cached observation) were read.
    #[serde(default)]
    pub profiles: BTreeMap<String, Stamp>,
}

/// Whether facts read under `cached` still hold for a thing now listed as `listed`.
///
/// Zoho's times are whole seconds, so a change in the same second as the cached stamp would
/// leave it as it was. Cached facts stand only when that whole second lies before `settled`
/// (the last observation's watermark less the overlap): every change after that observation
/// read them is later, and so has another stamp. A thing listed without a time is read.
pub fn still_holds(cached: Option<&Stamp>, listed: Option<&Stamp>, settled: DateTime<Utc>) -> bool {
    match (cached, listed) {
        (Some(cached), Some(listed)) => {
            cached == listed && listed.modified_time + Duration::seconds(1) <= settled
        }
        _ => false,
    }
}

/// One observation's metadata reads: which cached facts stand, and what the next cache keeps.
#[derive(Debug, Default)]
pub struct MetadataReads<'a> {
    /// The cached observation, its metadata and the instant stamps must be settled before.
    prior: Option<(&'a Observed, &'a CrmMetadata, DateTime<Utc>)>,
    /// Module stamps from this observation's module list, by api name.
    listed: Mutex<BTreeMap<String, Stamp>>,
    next: Mutex<CrmMetadata>,
}

impl<'a> MetadataReads<'a> {
    /// Reads on `observed` and `metadata` cached by an observation whose watermark less the
    /// overlap is `settled`.
    pub fn on(observed: &'a Observed, metadata: &'a CrmMetadata, settled: DateTime<Utc>) -> Self {
        MetadataReads {
            prior: Some((observed, metadata, settled)),
            ..MetadataReads::default()
        }
    }

    /// Takes note of the module list's stamps; fields are read under them from now on. Call
    /// it only with a list that was answered before any field read this observation makes.
    pub fn listed_modules(&self, modules: &[Module]) {
        let mut listed = self.listed.lock().expect("metadata lock");
        for m in modules {
            if let Some(stamp) = Stamp::of(&m.id, m.modified_time) {
                listed.insert(m.api_name.clone(), stamp);
            }
        }
    }

    /// The fields of `module`: read once per observation, and not at all while the cached
    /// ones were read under the stamp the module is listed with now.
    pub async fn fields<C: CrmApi>(&self, crm: &C, module: &str) -> Result<Vec<Field>, ZohoError> {
        self.fields_or_read(module, || crm.fields(module)).await
    }

    /// [`Self::fields`] with `read` as the call that reads them.
    async fn fields_or_read<F, R>(&self, module: &str, read: F) -> Result<Vec<Field>, ZohoError>
    where
        F: FnOnce() -> R,
        R: Future<Output = Result<Vec<Field>, ZohoError>>,
    {
        let stamp = self
            .listed
            .lock()
            .expect("metadata lock")
            .get(module)
            .cloned();
        if let Some(kept) = self.next.lock().expect("metadata lock").modules.get(module)
            && Some(&kept.stamp) == stamp.as_ref()
        {
            return Ok(kept.fields.clone());
        }
        let cached = self.prior.and_then(|(_, metadata, settled)| {
            let cached = metadata.modules.get(module)?;
            still_holds(Some(&cached.stamp), stamp.as_ref(), settled).then_some(cached)
        });
        let fields = match cached {
            Some(cached) => cached.fields.clone(),
            None => read().await?,
        };
        if let Some(stamp) = stamp {
            let kept = fields
                .iter()
                .map(|f| Field {
                    profiles: Vec::new(),
                    ..f.clone()
                })
                .collect();
            let mut next = self.next.lock().expect("metadata lock");
            next.modules.insert(
                module.to_string(),
                CachedFields {
                    stamp,
                    fields: kept,
                },
            );
        }
        Ok(fields)
    }

    /// The cached facts of `profile` on the link module `link`, when they were read for this
    /// very module and the profile's stamp says they still hold. Its name is the listed one.
    pub fn cached_profile(&self, profile: &Profile, link: &Module) -> Option<ProfileFacts> {
        let (observed, metadata, settled) = self.prior?;
        let cached_link = observed.link_module.as_ref()?;
        let listed = Stamp::of(&profile.id, profile.modified_time);
        let holds = cached_link.id == link.id
            && cached_link.api_name == link.api_name
            && still_holds(metadata.profiles.get(&profile.id), listed.as_ref(), settled);
        if !holds {
            return None;
        }
        let cached = observed.profiles.iter().find(|p| p.id == profile.id)?;
        Some(ProfileFacts {
            name: profile.name.clone(),
            ..cached.clone()
        })
    }

    /// Keeps `profile`'s stamp, as listed before its permissions were read (or reused).
    pub fn note_profile(&self, profile: &Profile) {
        if let Some(stamp) = Stamp::of(&profile.id, profile.modified_time) {
            let mut next = self.next.lock().expect("metadata lock");
            next.profiles.insert(profile.id.clone(), stamp);
        }
    }

    /// What the next cache keeps: the metadata this observation holds.
    pub fn kept(&self) -> CrmMetadata {
        self.next.lock().expect("metadata lock").clone()
    }
}

#[cfg(test)]
#[path = "metadata_tests.rs"]
mod tests;
