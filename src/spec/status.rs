//! The observed status the operator writes back on a `ProjectsIntegration` resource, in the
//! shape Kubernetes tooling expects (conditions, observed generation).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Condition type: the live integration matches the spec.
pub const CONDITION_READY: &str = "Ready";
/// Condition type: the last reconcile applied its plan (or had nothing to apply).
pub const CONDITION_SYNCED: &str = "Synced";
/// Condition type: the live systems were changed outside projectlink since the last apply.
pub const CONDITION_DRIFTED: &str = "Drifted";

/// Status of a `ProjectsIntegration`, written by the operator.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectsIntegrationStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Synced` and `Drifted`, each with a reason and a message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Name of the portal bound to the CRM org.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal: Option<String>,
    /// Summary of the last plan computed for this resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_plan: Option<PlanSummaryStatus>,
    /// API calls made by the last reconcile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<u64>,
    /// API credits spent by the last reconcile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<u64>,
    /// When a plan was last applied with at least one change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_time: Option<Time>,
}

/// Counts of the last plan's changes by action, and of its diagnostics.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlanSummaryStatus {
    /// Objects to create.
    #[serde(default)]
    pub create: u32,
    /// Objects to update.
    #[serde(default)]
    pub update: u32,
    /// Objects to delete.
    #[serde(default)]
    pub delete: u32,
    /// Existing objects to take ownership of.
    #[serde(default)]
    pub adopt: u32,
    /// Diagnostics (problems that need attention) the plan reported.
    #[serde(default)]
    pub diagnostics: u32,
}

impl ProjectsIntegrationStatus {
    /// The condition of this type, if present.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}
