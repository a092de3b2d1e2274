//! The shape of a resource document in a spec file (`apiVersion`, `kind`, `metadata`,
//! `spec`), stricter than a Kubernetes object: unknown fields are errors and `status` is not
//! accepted, because files hold desired state only. One document type per kind, and the
//! [`SpecKind`] trait through which the loader treats every kind alike.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::office365::validate::validate_office365_resource;
use super::office365::{Office365Integration, Office365IntegrationSpec};
use super::types::{ProjectsIntegration, ProjectsIntegrationSpec};
use super::validate::{Finding, validate_resource};

/// The API group and version every projectlink kind uses.
pub const API_VERSION: &str = "projectlink.dev/v1alpha1";
/// The CRM <-> Projects integration kind.
pub const KIND_PROJECTS_INTEGRATION: &str = "ProjectsIntegration";
/// The CRM <-> Office 365 integration kind.
pub const KIND_OFFICE365_INTEGRATION: &str = "Office365Integration";

/// The kinds of the `projectlink.dev` group this version understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `ProjectsIntegration`.
    ProjectsIntegration,
    /// `Office365Integration`.
    Office365Integration,
}

impl Kind {
    /// Every kind, in the order generated artefacts list them.
    pub const ALL: [Kind; 2] = [Kind::ProjectsIntegration, Kind::Office365Integration];

    /// The kind as written in documents.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ProjectsIntegration => KIND_PROJECTS_INTEGRATION,
            Kind::Office365Integration => KIND_OFFICE365_INTEGRATION,
        }
    }

    /// The kind a document's `kind:` names, if this version understands it.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The names of every kind, for messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Kind::ALL.into_iter().map(Kind::name)
    }
}

/// What the loader needs to know about a kind: how its documents read, how its resources
/// are validated, and where its credentials are referenced (for the hint given when a spec
/// tries to hold a credential itself).
pub trait SpecKind: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + Sized {
    /// The kind's document as written in a file.
    type Document: DeserializeOwned + Into<Self>;
    /// Which kind this is.
    const KIND: Kind;
    /// Where a credential belongs instead of the spec, said as the end of a hint.
    const CREDENTIALS_HINT: &'static str;
    /// Every static validation finding of the resource.
    fn validate(&self) -> Vec<Finding>;
}

impl SpecKind for ProjectsIntegration {
    type Document = IntegrationDocument;
    const KIND: Kind = Kind::ProjectsIntegration;
    const CREDENTIALS_HINT: &'static str =
        "put them in a secret and name it in connection.secretRef (or connection.portalSecretRef)";
    fn validate(&self) -> Vec<Finding> {
        validate_resource(self)
    }
}

impl SpecKind for Office365Integration {
    type Document = Office365Document;
    const KIND: Kind = Kind::Office365Integration;
    const CREDENTIALS_HINT: &'static str = "put the Microsoft Entra application's tenant_id, client_id and client_secret in a secret and name it in connection.graphSecretRef";
    fn validate(&self) -> Vec<Finding> {
        validate_office365_resource(self)
    }
}

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

/// An `Office365Integration` document as written in a file.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(
    title = "Office365Integration",
    description = "Zoho CRM <-> Office 365 integration kept as code by projectlink"
)]
pub struct Office365Document {
    /// Always `projectlink.dev/v1alpha1`.
    #[schemars(extend("const" = "projectlink.dev/v1alpha1"))]
    pub api_version: String,
    /// Always `Office365Integration`.
    #[schemars(extend("const" = "Office365Integration"))]
    pub kind: String,
    /// Name and, for the operator, namespace of the integration.
    pub metadata: DocumentMetadata,
    /// The desired state.
    pub spec: Office365IntegrationSpec,
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

impl DocumentMetadata {
    /// The Kubernetes object metadata these fields stand for.
    pub fn into_object_meta(self) -> ObjectMeta {
        let DocumentMetadata {
            name,
            namespace,
            labels,
            annotations,
        } = self;
        ObjectMeta {
            name: Some(name),
            namespace,
            labels: (!labels.is_empty()).then_some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..ObjectMeta::default()
        }
    }
}

impl IntegrationDocument {
    /// The custom resource this document describes (no status).
    pub fn into_resource(self) -> ProjectsIntegration {
        ProjectsIntegration {
            metadata: self.metadata.into_object_meta(),
            spec: self.spec,
            status: None,
        }
    }
}

impl From<IntegrationDocument> for ProjectsIntegration {
    fn from(document: IntegrationDocument) -> Self {
        document.into_resource()
    }
}

impl Office365Document {
    /// The custom resource this document describes (no status).
    pub fn into_resource(self) -> Office365Integration {
        Office365Integration {
            metadata: self.metadata.into_object_meta(),
            spec: self.spec,
            status: None,
        }
    }
}

impl From<Office365Document> for Office365Integration {
    fn from(document: Office365Document) -> Self {
        document.into_resource()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_named_as_in_documents() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(
            Kind::names().collect::<Vec<_>>(),
            ["ProjectsIntegration", "Office365Integration"]
        );
        assert_eq!(Kind::from_name("office365integration"), None);
        assert_eq!(
            <Office365Integration as kube::Resource>::kind(&()),
            Office365Integration::KIND.name()
        );
        assert_eq!(
            <ProjectsIntegration as kube::Resource>::kind(&()),
            ProjectsIntegration::KIND.name()
        );
    }
}
