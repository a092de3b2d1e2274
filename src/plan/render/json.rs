//! Versioned JSON output. The same document is what `plan -o plan.json` saves and what
//! `apply plan.json` reads back: the plan, the desired state it was made for, and the target.

use serde::{Deserialize, Serialize};

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
    pub plan: Plan,
}

impl PlanDocument {
    pub fn new(target: &str, desired: &Desired, connection: &Connection, plan: &Plan) -> Self {
        PlanDocument {
            format_version: FORMAT_VERSION,
            target: target.to_string(),
            desired: desired.clone(),
            connection: connection.clone(),
            plan: plan.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("plans serialize")
    }

    /// Reads a saved plan, refusing other format versions.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a projectlink plan: {e}"))?;
        let version = value.get("format_version").and_then(|v| v.as_u64());
        if version != Some(FORMAT_VERSION as u64) {
            return Err(format!(
                "plan format_version {} is not supported (expected {FORMAT_VERSION})",
                version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "missing".into())
            ));
        }
        serde_json::from_value(value).map_err(|e| format!("not a projectlink plan: {e}"))
    }
}
