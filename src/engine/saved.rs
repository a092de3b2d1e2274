//! What a saved plan of any kind carries and how `apply FILE` checks it: the fingerprints of
//! what the plan read (a plan is stale once a fresh observation gives other digests), the
//! options it was made with, and a sealed envelope for kinds that save their spec and plan as
//! one document (`SavedPlan`).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::seal::{self, Seal, Tampered};

/// Digests of what a plan read, keyed by what each covers (`crm/users`, `graph/...`).
pub type Fingerprints = BTreeMap<String, String>;

/// A short digest of one observed fact, for [`Fingerprints`].
pub fn fingerprint<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).expect("observed facts serialize");
    let hash = Sha256::digest(&bytes);
    hash.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// A saved plan whose fingerprints no longer match the live systems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The saved plan is stale: {} changed since it was made. Run `projectlink plan` again.",
    .0.join(", ")
)]
pub struct Stale(pub Vec<String>);

/// What apply says when another apply changed what a saved plan read while this one waited
/// for the org's lease.
pub const STALE_AFTER_WAIT: &str = "Nothing applied: another apply changed this org while this one waited, so the saved plan is stale. Run `projectlink plan` again.";

/// Compares the fingerprints a plan saved with those of a fresh observation.
pub fn check_fresh(saved: &Fingerprints, now: &Fingerprints) -> Result<(), Stale> {
    let changed: Vec<String> = saved
        .iter()
        .filter(|(k, v)| now.get(*k) != Some(v))
        .map(|(k, _)| k.clone())
        .collect();
    if changed.is_empty() {
        Ok(())
    } else {
        Err(Stale(changed))
    }
}

/// The command-line options a plan was made with, as a saved plan records them; apply
/// re-plans with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOptions {
    pub prune: bool,
    pub force: bool,
}

/// The `kind` a saved plan names, when it names one (the Projects kind's saved plans
/// predate the field and name none).
pub fn kind_of(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(value.get("kind")?.as_str()?.to_string())
}

/// Format of [`SavedPlan`] documents.
pub const SAVED_FORMAT_VERSION: u32 = 1;

/// Why a saved plan cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not a projectlink plan: {0}")]
    NotAPlan(String),
    #[error("plan format_version {found} is not supported (expected {expected})")]
    Version { found: String, expected: u32 },
    #[error("it is a plan of {found}, not of {expected}")]
    Kind { found: String, expected: String },
    #[error(transparent)]
    Tampered(#[from] Tampered),
}

/// A kind's saved plan: its spec and options to plan again with, the target and what the
/// plan read, the plan as shown, and a seal over all of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan<S, P> {
    pub format_version: u32,
    pub kind: String,
    /// Where the plan was made (e.g. `zoho:us`, `sandbox:http://127.0.0.1:8787`).
    pub target: String,
    /// The resource's name, which owns what the kind records in the live systems.
    pub name: String,
    pub spec: S,
    pub options: SavedOptions,
    pub fingerprints: Fingerprints,
    pub plan: P,
    pub seal: Seal,
}

impl<S: Serialize + DeserializeOwned, P: Serialize + DeserializeOwned> SavedPlan<S, P> {
    pub fn new(
        kind: &str,
        target: &str,
        name: &str,
        spec: S,
        options: SavedOptions,
        fingerprints: Fingerprints,
        plan: P,
    ) -> Self {
        let mut saved = SavedPlan {
            format_version: SAVED_FORMAT_VERSION,
            kind: kind.to_string(),
            target: target.to_string(),
            name: name.to_string(),
            spec,
            options,
            fingerprints,
            plan,
            seal: Seal {
                digest: String::new(),
                parts: Default::default(),
                changes: Vec::new(),
            },
        };
        saved.seal = saved.compute_seal();
        saved
    }

    fn compute_seal(&self) -> Seal {
        let parts = [
            ("format_version", json(&self.format_version)),
            ("kind", json(&self.kind)),
            ("target", json(&self.target)),
            ("name", json(&self.name)),
            ("spec", json(&self.spec)),
            ("options", json(&self.options)),
            ("fingerprints", json(&self.fingerprints)),
            ("plan", json(&self.plan)),
        ];
        seal::seal::<()>(&parts, &[])
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plans serialize")
    }

    /// Reads a saved plan of `kind`, refusing other kinds and versions and files edited since
    /// they were written (naming what was edited).
    pub fn from_json(text: &str, kind: &str) -> Result<Self, SavedPlanError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SavedPlanError::NotAPlan(e.to_string()))?;
        let found = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or("no kind");
        if found != kind {
            return Err(SavedPlanError::Kind {
                found: found.to_string(),
                expected: kind.to_string(),
            });
        }
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(u64::from(SAVED_FORMAT_VERSION)) {
            return Err(SavedPlanError::Version {
                found: version.map_or_else(|| "missing".into(), |v| v.to_string()),
                expected: SAVED_FORMAT_VERSION,
            });
        }
        if value.get("seal").is_none() {
            return Err(Tampered::Unsealed.into());
        }
        let saved: SavedPlan<S, P> =
            serde_json::from_value(value).map_err(|e| SavedPlanError::NotAPlan(e.to_string()))?;
        seal::check::<()>(&saved.seal, &saved.compute_seal(), &[], |_| String::new())?;
        Ok(saved)
    }
}

fn json<T: Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("plans serialize")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn saved() -> SavedPlan<serde_json::Value, serde_json::Value> {
        SavedPlan::new(
            "Thing",
            "sandbox:x",
            "acme",
            json!({"a": 1}),
            SavedOptions::default(),
            Fingerprints::from([("crm/users".to_string(), "ab".to_string())]),
            json!({"changes": [1, 2]}),
        )
    }

    #[test]
    fn a_saved_plan_reads_back_and_an_edit_is_named() {
        let text = saved().to_json();
        assert_eq!(kind_of(&text).as_deref(), Some("Thing"));
        let back = SavedPlan::<serde_json::Value, serde_json::Value>::from_json(&text, "Thing");
        assert_eq!(back.unwrap(), saved());
        let edited = text.replace("\"a\": 1", "\"a\": 2");
        let err = SavedPlan::<serde_json::Value, serde_json::Value>::from_json(&edited, "Thing")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the plan was edited after it was saved: its spec"
        );
        let err = SavedPlan::<serde_json::Value, serde_json::Value>::from_json(&text, "Other")
            .unwrap_err();
        assert_eq!(err.to_string(), "it is a plan of Thing, not of Other");
    }

    #[test]
    fn a_changed_fingerprint_makes_the_plan_stale() {
        let saved = Fingerprints::from([
            ("crm/users".to_string(), "ab".to_string()),
            ("graph/users".to_string(), "cd".to_string()),
        ]);
        assert_eq!(check_fresh(&saved, &saved.clone()), Ok(()));
        let mut now = saved.clone();
        now.insert("graph/users".into(), "ce".into());
        let stale = check_fresh(&saved, &now).unwrap_err();
        assert_eq!(
            stale.to_string(),
            "The saved plan is stale: graph/users changed since it was made. Run `projectlink plan` again."
        );
    }
}
