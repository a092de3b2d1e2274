//! The shape of a resource document in a spec file (`apiVersion`, `kind`, `metadata`,
//! `spec`), stricter than a Kubernetes object: unknown fields are errors and `status` is not
//! accepted, because files hold desired state only.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::types::{ProjectsIntegration, ProjectsIntegrationSpec};

/// The API group and version every projectlink kind uses.
pub const API_VERSION: &str = "projectlink.dev/v1alpha1";
/// The kind this version understands.
pub const KIND_PROJECTS_INTEGRATION: &str = "ProjectsIntegration";
/// Kinds of the `projectlink.dev` group that a later version will understand.
pub const PLANNED_KINDS: [&str; 1] = ["Office365Integration"];

/// A `ProjectsIntegration` document as written in a file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "ProjectsIntegration",
    description = "Zoho CRM <-> Zoho Projects integration kept as code by projectlink"
)]
pub struct IntegrationDocument {
    /// Always `projectlink.dev/v1alpha1`.
    #[schemars(extend("const" = "projectlink.dev/v1alpha1"))]
    pub api_version: String,
    /// Always `ProjectsIntegration`.
    #[schemars(extend("const" = "ProjectsIntegration"))]
    pub kind: String,
    /// Name and, for the operator, namespace of the integration.
    pub metadata: DocumentMetadata,
    /// The desired state.
    pub spec: ProjectsIntegrationSpec,
}

/// The metadata a spec file may set.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentMetadata {
    /// Name of the integration (a Kubernetes object name).
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Namespace, when the file is also applied to Kubernetes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels, kept as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Annotations, kept as given.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl IntegrationDocument {
    /// The custom resource this document describes (no status).
    pub fn into_resource(self) -> ProjectsIntegration {
        let DocumentMetadata {
            name,
            namespace,
            labels,
            annotations,
        } = self.metadata;
        ProjectsIntegration {
            metadata: ObjectMeta {
                name: Some(name),
                namespace,
                labels: (!labels.is_empty()).then_some(labels),
                annotations: (!annotations.is_empty()).then_some(annotations),
                ..ObjectMeta::default()
            },
            spec: self.spec,
            status: None,
        }
    }
}
