//! The observed status the operator writes back on an `Office365Integration` resource: the
//! same conditions and counters as a `ProjectsIntegration`'s, with the Office 365 tenant in
//! place of the Projects portal.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Status of an `Office365Integration`, written by the operator. Its conditions are those
/// of a `ProjectsIntegration` (`Ready`, `Synced`, `Drifted`).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Office365IntegrationStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Synced` and `Drifted`, each with a reason and a message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// ID of the Microsoft Entra tenant the spec's `tenant` resolved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Summary of the last plan computed for this resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_plan: Option<Office365PlanSummary>,
    /// API calls made by the last reconcile (Zoho and Microsoft Graph together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<u64>,
    /// Zoho API credits spent by the last reconcile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<u64>,
    /// When a plan was last applied with at least one change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_applied_time: Option<Time>,
}

/// Counts of the last Office 365 plan.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Office365PlanSummary {
    /// Office 365 users to invite into CRM.
    #[serde(default)]
    pub invites: u32,
    /// Calendars and contact folders to create in, or delete from, Office 365.
    #[serde(default)]
    pub folder_changes: u32,
    /// Events and contacts to create, update, delete or link, on either side.
    #[serde(default)]
    pub item_changes: u32,
    /// Item changes where both sides changed since the last sync (the later change wins).
    #[serde(default)]
    pub conflicts: u32,
    /// Diagnostics (problems that need attention) the plan reported.
    #[serde(default)]
    pub diagnostics: u32,
}

impl Office365IntegrationStatus {
    /// The condition of this type, if present.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}
