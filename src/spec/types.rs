//! The desired state of a CRM <-> Projects integration: the `ProjectsIntegration` kind
//! (group `projectlink.dev`, version `v1alpha1`), shared by the CLI's YAML files and the
//! operator's custom resources so both read exactly the same shape.
//!
//! Field documentation here becomes the descriptions of the JSON Schema and the CRD.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::catalog::{self, SupportedModule};
use super::status::ProjectsIntegrationStatus;

/// Desired state of the integration between one Zoho CRM org and one Zoho Projects portal.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "projectlink.dev",
    version = "v1alpha1",
    kind = "ProjectsIntegration",
    plural = "projectsintegrations",
    shortname = "pint",
    namespaced,
    status = "ProjectsIntegrationStatus",
    derive = "PartialEq",
    doc = "Zoho CRM <-> Zoho Projects integration kept as code by projectlink",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Portal","type":"string","jsonPath":".status.portal"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectsIntegrationSpec {
    /// `Active` keeps the integration live; `Deactivated` removes the link records and the
    /// link module permissions while leaving projects and their users in Zoho Projects.
    #[serde(default)]
    pub state: IntegrationState,
    /// Where the credentials are and which Zoho data centre serves the org.
    #[serde(default)]
    pub connection: Connection,
    /// The one Zoho Projects portal bound to the CRM org.
    pub portal: PortalSpec,
    /// How Projects client companies and client users map to CRM Accounts and Contacts.
    #[serde(default)]
    pub clients: ClientsSpec,
    /// CRM modules that show the "Zoho Projects" related list, and their field maps.
    #[serde(default)]
    pub related_lists: RelatedListsSpec,
    /// Which CRM profiles and users reach the portal, and their related-list permissions.
    #[serde(default)]
    pub permissions: PermissionsSpec,
    /// CRM users and contacts to import into Zoho Projects.
    #[serde(default, skip_serializing_if = "ImportsSpec::is_empty")]
    pub imports: ImportsSpec,
    /// Deals reaching this stage become projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_conversion: Option<DealConversion>,
    /// Safety limits for plans and applies.
    #[serde(default)]
    pub policy: Policy,
    /// What deleting the custom resource does: `Deactivate` the integration, or `Orphan` it
    /// (leave everything live as it is).
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

impl ProjectsIntegrationSpec {
    /// The related-list modules the spec enables, in declaration order, each with its
    /// catalogue entry (lookup field name). Entries naming an unsupported module are left
    /// out; validation reports them. The integration `state` is not considered here.
    pub fn enabled_modules(&self) -> Vec<(&'static SupportedModule, &RelatedModule)> {
        self.related_lists
            .modules
            .iter()
            .filter_map(|entry| catalog::supported_module(&entry.module).map(|m| (m, entry)))
            .collect()
    }

    /// Whether the spec asks for the integration to be live.
    pub fn is_active(&self) -> bool {
        self.state == IntegrationState::Active
    }
}

/// Whether the integration is live.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum IntegrationState {
    /// Projects are associated with CRM records and everything declared is kept in place.
    #[default]
    Active,
    /// Projects are no longer viewable in CRM; a later re-activation starts a new activation
    /// generation and does not restore old associations.
    Deactivated,
}

/// Credentials references and data centre. Credentials themselves never appear in a spec.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Connection {
    /// Zoho data centre of the org (decides the accounts and API hosts).
    #[serde(default)]
    pub data_center: DataCenter,
    /// Secret holding `client_id`, `client_secret` and `refresh_token` of the CRM admin's
    /// grant. The operator reads it from the resource's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// Optional secret with the portal owner's grant, for a portal owned by another user.
    /// Until that grant reaches the portal the integration is pending approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_secret_ref: Option<SecretRef>,
}

/// A reference to a secret by name.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    /// Name of the secret (a Kubernetes Secret for the operator).
    #[schemars(length(min = 1))]
    pub name: String,
}

pub use crate::zoho::DataCenter;

/// The portal bound to the CRM org.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortalSpec {
    /// Name of a portal visible to the Projects credentials. Changing it disassociates every
    /// project from CRM, so it needs an explicit force.
    #[schemars(length(min = 1))]
    pub name: String,
}

/// Client company and client user mapping.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientsSpec {
    /// `Auto` runs the one-time automatic mapping (client company to the Account of the
    /// same name, client users to Contacts by email); `Skip` never runs it.
    #[serde(default)]
    pub account_mapping: AccountMapping,
    /// Manual client company to Account mappings, always honoured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<ClientOverride>,
    /// Manual client user to Contact mappings, always honoured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_overrides: Vec<ClientUserOverride>,
}

/// Whether the one-time automatic client account mapping runs.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum AccountMapping {
    /// Match client companies to Accounts by exact name, once.
    #[default]
    Auto,
    /// Do not run the automatic mapping; only overrides apply.
    Skip,
}

/// One manual client company to Account mapping.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientOverride {
    /// Name of the client company in Zoho Projects.
    #[schemars(length(min = 1))]
    pub client: String,
    /// Name of the CRM Account it maps to (its exact `Account_Name`). Give `accountId`
    /// instead when several Accounts share the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub account: Option<String>,
    /// Record id of the CRM Account it maps to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{1,30}$"))]
    pub account_id: Option<String>,
}

/// One manual client user to Contact mapping.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientUserOverride {
    /// Email of the client user in Zoho Projects.
    #[schemars(length(min = 1))]
    pub client_user: String,
    /// Email of the CRM Contact it maps to. Give `contactId` instead when several Contacts
    /// share the email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub contact: Option<String>,
    /// Record id of the CRM Contact it maps to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{1,30}$"))]
    pub contact_id: Option<String>,
}

/// The link module and the modules showing the related list.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelatedListsSpec {
    /// API name of the CRM custom module holding one record per project association.
    #[serde(default = "default_link_module")]
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,49}$"))]
    pub link_module: String,
    /// Modules that get a lookup in the link module, hence the "Zoho Projects" related list.
    #[serde(default)]
    pub modules: Vec<RelatedModule>,
}

impl Default for RelatedListsSpec {
    fn default() -> Self {
        RelatedListsSpec {
            link_module: default_link_module(),
            modules: Vec::new(),
        }
    }
}

/// Default API name of the link module.
pub const DEFAULT_LINK_MODULE: &str = "Linked_Projects";

fn default_link_module() -> String {
    DEFAULT_LINK_MODULE.to_owned()
}

/// One CRM module showing the related list.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelatedModule {
    /// CRM API name of the module.
    #[schemars(extend("enum" = ["Contacts", "Accounts", "Deals", "Products", "Cases", "Quotes",
        "Sales_Orders", "Purchase_Orders", "Invoices", "Campaigns"]))]
    pub module: String,
    /// Fields kept equal between the module's records and their projects.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub field_map: Vec<FieldMapping>,
}

impl RelatedModule {
    /// The lookup field this module gets in the link module, when the module is supported.
    pub fn lookup_field(&self) -> Option<&'static str> {
        catalog::supported_module(&self.module).map(|m| m.lookup_field)
    }
}

/// One field kept equal between a CRM record and its project.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FieldMapping {
    /// Zoho Projects field: one of [`catalog::PROJECT_FIELDS`] or a custom field's column
    /// name (`UDF_...`).
    #[schemars(length(min = 1), description = catalog::project_field_description())]
    pub project_field: String,
    /// API name of the CRM field in this module.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,49}$"))]
    pub crm_field: String,
    /// `ToProject` fills the project field from the record when a project is created for it;
    /// `ToCrm` keeps the record's field equal to the project's.
    pub direction: Direction,
}

/// Which way a mapped field flows.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum Direction {
    /// From the CRM record into the project, when the project is created.
    ToProject,
    /// From the project into the CRM record, kept current.
    ToCrm,
}

/// Profiles and users reaching the portal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PermissionsSpec {
    /// Portal role given to users pushed into Projects. Users already in the portal keep
    /// their role.
    #[serde(default = "default_role")]
    #[schemars(length(min = 1))]
    pub default_role: String,
    /// Per-profile access and related-list permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<ProfilePermissions>,
    /// Per-user overrides of their profile's access.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserAccess>,
}

impl Default for PermissionsSpec {
    fn default() -> Self {
        PermissionsSpec {
            default_role: default_role(),
            profiles: Vec::new(),
            users: Vec::new(),
        }
    }
}

/// Portal role given to users pushed into Projects unless the spec says otherwise.
pub const DEFAULT_ROLE: &str = "Employee";

fn default_role() -> String {
    DEFAULT_ROLE.to_owned()
}

/// What one CRM profile gets.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfilePermissions {
    /// Name of the CRM profile.
    #[schemars(length(min = 1))]
    pub profile: String,
    /// Whether the profile's active, confirmed users are pushed into the portal.
    #[serde(default)]
    pub access: bool,
    /// The profile's permissions on the link module (the related list).
    #[serde(default)]
    pub related_list: RelatedListPermissions,
}

/// CRM permissions on the link module.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RelatedListPermissions {
    /// See projects in the related list.
    #[serde(default)]
    pub view: bool,
    /// Create projects from the related list.
    #[serde(default)]
    pub create: bool,
    /// Edit associations.
    #[serde(default)]
    pub edit: bool,
    /// Remove associations.
    #[serde(default)]
    pub delete: bool,
}

impl RelatedListPermissions {
    /// Whether a permission other than view is granted without view. CRM switches view on
    /// with any of the others, so such a spec could never match what Zoho keeps.
    pub fn grants_without_view(&self) -> bool {
        !self.view && *self != RelatedListPermissions::default()
    }
}

/// A per-user override of the profile's access.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserAccess {
    /// Email of the CRM user.
    #[schemars(email)]
    pub email: String,
    /// `true` includes the user even if the profile has no access; `false` excludes them.
    pub access: bool,
}

/// Users imported from CRM into Projects.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportsSpec {
    /// CRM users added to the portal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub portal_users: Vec<PortalUserImport>,
    /// CRM Contacts added as client users of the client company their Account maps to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_users: Vec<ClientUserImport>,
}

impl ImportsSpec {
    /// Whether nothing is imported.
    pub fn is_empty(&self) -> bool {
        self.portal_users.is_empty() && self.client_users.is_empty()
    }
}

/// A CRM user to add to the portal.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PortalUserImport {
    /// Email of the CRM user.
    #[schemars(email)]
    pub email: String,
    /// Portal role; `permissions.defaultRole` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Names of projects the user is added to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
}

/// A CRM Contact to add as a client user.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientUserImport {
    /// Email of the CRM Contact.
    #[schemars(email)]
    pub email: String,
    /// Names of projects the client user is added to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub projects: Vec<String>,
}

/// Turning won deals into projects.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DealConversion {
    /// Deal stage that triggers the project creation.
    #[schemars(length(min = 1))]
    pub stage: String,
    /// Optional project template the new projects start from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
}

/// Safety limits.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Policy {
    /// Whether objects the spec no longer declares may be deleted.
    #[serde(default)]
    pub prune: bool,
    /// Plans updating or deleting more than this percentage of the managed objects are
    /// refused unless forced.
    #[serde(default = "default_max_change_percent")]
    #[schemars(range(min = 1, max = 100))]
    pub max_change_percent: u32,
    /// Plan and report drift, never write.
    #[serde(default)]
    pub observe_only: bool,
}

/// Default share of managed objects a plan may touch before it is refused.
pub const DEFAULT_MAX_CHANGE_PERCENT: u32 = 30;

fn default_max_change_percent() -> u32 {
    DEFAULT_MAX_CHANGE_PERCENT
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            prune: false,
            max_change_percent: DEFAULT_MAX_CHANGE_PERCENT,
            observe_only: false,
        }
    }
}

/// What deleting the custom resource does.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    /// Run the deactivation before the resource goes away.
    #[default]
    Deactivate,
    /// Leave the live integration untouched.
    Orphan,
}
