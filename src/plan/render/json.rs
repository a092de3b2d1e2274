//! Versioned JSON output. The same document is what `plan -o plan.json` saves and what
//! `apply plan.json` reads back: the plan, the desired state and options it was made with,
//! the target, and a seal of digests that makes an edited file refuse to load.

use serde::{Deserialize, Serialize};
use serde_json::json;

pub use crate::engine::saved::SavedOptions;
use crate::engine::seal::{self, Seal, Tampered};
use crate::plan::planner::PlanOptions;
use crate::plan::{Desired, FORMAT_VERSION, Plan};
use crate::spec::Connection;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDocument {
    pub format_version: u32,
    /// Where the plan was made (e.g. `zoho:us`, `sandbox:http://127.0.0.1:8787`).
    pub target: String,
    pub desired: Desired,
    /// The spec's connection (secret names only, never secrets), to reconnect on apply.
    pub connection: Connection,
    /// The command-line options the plan was made with; apply re-plans with them.
    pub options: SavedOptions,
    pub plan: Plan,
    /// Digests of every part and change; checked before anything is applied.
    pub seal: Seal,
}

impl From<&PlanOptions> for SavedOptions {
    fn from(options: &PlanOptions) -> Self {
        SavedOptions {
            prune: options.prune,
            force: options.force,
        }
    }
}

impl From<SavedOptions> for PlanOptions {
    fn from(options: SavedOptions) -> Self {
        PlanOptions {
            prune: options.prune,
            force: options.force,
        }
    }
}

/// Why a saved plan cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not a projectlink plan: {0}")]
    NotAPlan(String),
    #[error("plan format_version {found} is not supported (expected {FORMAT_VERSION})")]
    Version { found: String },
    #[error(transparent)]
    Tampered(#[from] Tampered),
}

impl PlanDocument {
    pub fn new(
        target: &str,
        desired: &Desired,
        connection: &Connection,
        options: &PlanOptions,
        plan: &Plan,
    ) -> Self {
        let mut document = PlanDocument {
            format_version: FORMAT_VERSION,
            target: target.to_string(),
            desired: desired.clone(),
            connection: connection.clone(),
            options: options.into(),
            plan: plan.clone(),
            seal: Seal {
                digest: String::new(),
                parts: Default::default(),
                changes: Vec::new(),
            },
        };
        document.seal = document.compute_seal();
        document
    }

    /// The seal of the document's current content.
    fn compute_seal(&self) -> Seal {
        let mut header = self.plan.clone();
        header.changes.clear();
        let parts = [
            ("format_version", json!(self.format_version)),
            ("target", json!(self.target)),
            ("desired", json!(self.desired)),
            ("connection", json!(self.connection)),
            ("options", json!(self.options)),
            ("plan (summary, diagnostics, fingerprints)", json!(header)),
        ];
        seal::seal(&parts, &self.plan.changes)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plans serialize")
    }

    /// Reads a saved plan, refusing other format versions and files edited since they were
    /// written (naming what was edited).
    pub fn from_json(text: &str) -> Result<Self, SavedPlanError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SavedPlanError::NotAPlan(e.to_string()))?;
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(FORMAT_VERSION as u64) {
            return Err(SavedPlanError::Version {
                found: version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "missing".into()),
            });
        }
        if value.get("seal").is_none() {
            return Err(Tampered::Unsealed.into());
        }
        let document: PlanDocument =
            serde_json::from_value(value).map_err(|e| SavedPlanError::NotAPlan(e.to_string()))?;
        seal::check(
            &document.seal,
            &document.compute_seal(),
            &document.plan.changes,
            |c| format!("{} {}", c.action.label(), c.address),
        )?;
        Ok(document)
    }
}
