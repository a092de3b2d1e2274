//! The desired state of CRM's Office 365 integration: the `Office365Integration` kind (group
//! `projectlink.dev`, version `v1alpha1`), which Office 365 users are brought into CRM and
//! which CRM users' events and contacts sync two-way with their mailboxes.
//!
//! Field documentation here becomes the descriptions of the JSON Schema and the CRD.

pub mod contact_fields;
pub mod status;
pub mod validate;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::types::{DEFAULT_MAX_CHANGE_PERCENT, DataCenter, DeletionPolicy, SecretRef};
pub use contact_fields::{OFFICE365_CONTACT_FIELDS, default_contact_field_map};
pub use status::{Office365IntegrationStatus, Office365PlanSummary};

/// Desired state of CRM's Office 365 integration for one Zoho CRM org and one Microsoft
/// Entra tenant.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "projectlink.dev",
    version = "v1alpha1",
    kind = "Office365Integration",
    plural = "office365integrations",
    shortname = "o365",
    namespaced,
    status = "Office365IntegrationStatus",
    derive = "PartialEq",
    doc = "Zoho CRM <-> Office 365 integration kept as code by projectlink",
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"Tenant","type":"string","jsonPath":".spec.tenant"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Office365IntegrationSpec {
    /// Where the CRM and Microsoft Graph credentials are, and which Zoho data centre serves
    /// the org.
    pub connection: Office365Connection,
    /// The Microsoft Entra tenant: its ID (a GUID) or one of its verified domains, such as
    /// `acme.onmicrosoft.com`.
    #[schemars(length(min = 1))]
    pub tenant: String,
    /// Office 365 users to bring into CRM, each with a CRM profile and role.
    #[serde(default)]
    pub users: Vec<InvitedUser>,
    /// CRM users whose own events sync two-way with a "Zoho CRM" calendar in Office 365.
    #[serde(default)]
    pub calendar_sync: CalendarSyncSpec,
    /// CRM users whose own contacts sync two-way with a "Zoho CRM Contacts" folder in
    /// Office 365, and how contact fields map.
    #[serde(default)]
    pub contacts_sync: ContactsSyncSpec,
    /// Safety settings.
    #[serde(default)]
    pub policy: SyncPolicy,
    /// What deleting the custom resource does: `Deactivate` turns every sync off (the
    /// "Zoho CRM" calendars and "Zoho CRM Contacts" folders go from Office 365; CRM is not
    /// touched), `Orphan` leaves both systems as they are.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// Credential references and data centre. Credentials themselves never appear in a spec.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Office365Connection {
    /// Zoho data centre of the org (decides the accounts and API hosts).
    #[serde(default)]
    pub data_center: DataCenter,
    /// Secret holding `client_id`, `client_secret` and `refresh_token` of the CRM admin's
    /// grant, as for a ProjectsIntegration. The operator reads it from the resource's
    /// namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
    /// Secret holding `tenant_id`, `client_id` and `client_secret` of the Microsoft Entra
    /// application projectlink signs in to Microsoft Graph with.
    pub graph_secret_ref: SecretRef,
}

/// An Office 365 user to bring into CRM.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvitedUser {
    /// The user's Office 365 sign-in address; the CRM user gets the same email.
    #[schemars(email)]
    pub email: String,
    /// Name of the CRM profile the user gets.
    #[schemars(length(min = 1))]
    pub profile: String,
    /// Name of the CRM role the user gets.
    #[schemars(length(min = 1))]
    pub role: String,
}

/// Two-way sync of CRM users' own events with Office 365.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalendarSyncSpec {
    /// Emails of the CRM users whose own events sync (each needs an Office 365 mailbox).
    #[serde(default)]
    pub users: Vec<String>,
    /// CRM records carrying any of these tags are not synced: how records created by an
    /// import are recognised, since Zoho's API does not say whether a record was imported.
    #[serde(default = "default_exclude_tags")]
    pub exclude_tags: Vec<String>,
    /// Which events sync: those overlapping a window from `pastDays` before today to
    /// `futureDays` after it, moving forward each day. Events outside it are left as they
    /// are on both sides. Microsoft Graph serves at most 1,825 days in all.
    #[serde(default, skip_serializing_if = "CalendarWindowSpec::is_default")]
    pub window: CalendarWindowSpec,
}

impl Default for CalendarSyncSpec {
    fn default() -> Self {
        CalendarSyncSpec {
            users: Vec::new(),
            exclude_tags: default_exclude_tags(),
            window: CalendarWindowSpec::default(),
        }
    }
}

/// The span of the calendar window around today, in days.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CalendarWindowSpec {
    /// Days before today (default 365).
    #[serde(default = "default_past_days")]
    pub past_days: u32,
    /// Days after today (default 1460). `pastDays + futureDays` may be at most 1825.
    #[serde(default = "default_future_days")]
    pub future_days: u32,
}

impl Default for CalendarWindowSpec {
    fn default() -> Self {
        CalendarWindowSpec {
            past_days: default_past_days(),
            future_days: default_future_days(),
        }
    }
}

impl CalendarWindowSpec {
    fn is_default(&self) -> bool {
        *self == CalendarWindowSpec::default()
    }
}

fn default_past_days() -> u32 {
    crate::graph::DEFAULT_PAST_DAYS
}

fn default_future_days() -> u32 {
    crate::graph::DEFAULT_FUTURE_DAYS
}

/// Two-way sync of CRM users' own contacts with Office 365.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactsSyncSpec {
    /// Emails of the CRM users whose own contacts sync (each needs an Office 365 mailbox).
    #[serde(default)]
    pub users: Vec<String>,
    /// CRM records carrying any of these tags are not synced: how records created by an
    /// import are recognised, since Zoho's API does not say whether a record was imported.
    #[serde(default = "default_exclude_tags")]
    pub exclude_tags: Vec<String>,
    /// Which CRM Contacts fields map to which Office 365 contact properties. Leave it out
    /// for the built-in map; a map given here replaces the built-in one entirely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_map: Option<Vec<ContactFieldMap>>,
}

impl Default for ContactsSyncSpec {
    fn default() -> Self {
        ContactsSyncSpec {
            users: Vec::new(),
            exclude_tags: default_exclude_tags(),
            field_map: None,
        }
    }
}

impl ContactsSyncSpec {
    /// The field map in force: the spec's own, or the built-in one when it gives none.
    pub fn effective_field_map(&self) -> Vec<ContactFieldMap> {
        self.field_map
            .clone()
            .unwrap_or_else(default_contact_field_map)
    }
}

/// One CRM Contacts field kept equal to one Office 365 contact property.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContactFieldMap {
    /// API name of the field in CRM's Contacts module, e.g. `First_Name`.
    #[schemars(regex(pattern = r"^[A-Za-z][A-Za-z0-9_]{0,49}$"))]
    pub crm_field: String,
    /// Microsoft Graph contact property path: `.` enters a nested object, `[n]` picks an
    /// element of a collection, e.g. `givenName`, `emailAddresses[0].address`,
    /// `businessAddress.city`.
    #[schemars(length(min = 1))]
    pub office365_field: String,
    /// `both` keeps the two equal whichever side changes; `toOffice365` and `toCrm` copy
    /// one way only.
    #[serde(default)]
    pub direction: SyncDirection,
}

impl ContactFieldMap {
    /// A mapping in code, e.g. for the built-in map.
    pub fn new(crm_field: &str, office365_field: &str, direction: SyncDirection) -> Self {
        ContactFieldMap {
            crm_field: crm_field.to_owned(),
            office365_field: office365_field.to_owned(),
            direction,
        }
    }
}

/// Which way a mapped contact field flows.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SyncDirection {
    /// Both ways: a change on either side is copied to the other.
    #[default]
    Both,
    /// From CRM into Office 365 only.
    ToOffice365,
    /// From Office 365 into CRM only.
    ToCrm,
}

impl SyncDirection {
    /// Whether the CRM field is written by this mapping.
    pub fn writes_crm(self) -> bool {
        matches!(self, SyncDirection::Both | SyncDirection::ToCrm)
    }

    /// Whether the Office 365 property is written by this mapping.
    pub fn writes_office365(self) -> bool {
        matches!(self, SyncDirection::Both | SyncDirection::ToOffice365)
    }

    /// The spelling used in spec files.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncDirection::Both => "both",
            SyncDirection::ToOffice365 => "toOffice365",
            SyncDirection::ToCrm => "toCrm",
        }
    }
}

/// Safety settings of the Office 365 integration, with the same rules and defaults as a
/// ProjectsIntegration's.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncPolicy {
    /// Whether CRM records whose Outlook twin was deleted may be deleted. Without it such
    /// deletions are planned and shown, and the plan is refused.
    #[serde(default)]
    pub prune: bool,
    /// Plans deleting more than this percentage of the synced items (on either side) are
    /// refused unless forced.
    #[serde(default = "default_max_change_percent")]
    #[schemars(range(min = 1, max = 100))]
    pub max_change_percent: u32,
    /// Observe and report what would change, never write.
    #[serde(default)]
    pub observe_only: bool,
}

fn default_max_change_percent() -> u32 {
    DEFAULT_MAX_CHANGE_PERCENT
}

impl Default for SyncPolicy {
    fn default() -> Self {
        SyncPolicy {
            prune: false,
            max_change_percent: DEFAULT_MAX_CHANGE_PERCENT,
            observe_only: false,
        }
    }
}

/// The tag marking CRM records an import created, unless the spec names others.
pub const DEFAULT_EXCLUDE_TAG: &str = "Imported";

/// The default of `excludeTags`: records tagged [`DEFAULT_EXCLUDE_TAG`].
pub fn default_exclude_tags() -> Vec<String> {
    vec![DEFAULT_EXCLUDE_TAG.to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
apiVersion: projectlink.dev/v1alpha1
kind: Office365Integration
metadata:
  name: acme-o365
spec:
  connection:
    dataCenter: eu
    secretRef: {name: zoho-oauth}
    graphSecretRef: {name: acme-graph}
  tenant: acme.onmicrosoft.com
  users:
    - {email: nora@acme.com, profile: Standard, role: Sales Rep}
  calendarSync:
    users: [pat@acme.com]
    excludeTags: [Imported, Legacy]
  contactsSync:
    users: [admin@acme.com]
    excludeTags: []
    fieldMap:
      - {crmField: First_Name, office365Field: givenName}
      - {crmField: Account_Name, office365Field: companyName, direction: toOffice365}
      - {crmField: Lead_Source, office365Field: profession, direction: toCrm}
  policy:
    observeOnly: true
"#;

    #[test]
    fn a_full_resource_round_trips_through_yaml() {
        let resource: Office365Integration = serde_saphyr::from_str(FULL).unwrap();
        let spec = &resource.spec;
        assert_eq!(spec.connection.data_center, DataCenter::Eu);
        assert_eq!(spec.connection.graph_secret_ref.name, "acme-graph");
        assert_eq!(spec.calendar_sync.exclude_tags, ["Imported", "Legacy"]);
        assert!(spec.contacts_sync.exclude_tags.is_empty());
        let map = spec.contacts_sync.field_map.as_ref().unwrap();
        assert_eq!(
            map.iter().map(|m| m.direction).collect::<Vec<_>>(),
            [
                SyncDirection::Both,
                SyncDirection::ToOffice365,
                SyncDirection::ToCrm
            ]
        );
        assert!(spec.policy.observe_only);

        let yaml = serde_saphyr::to_string(&resource).unwrap();
        assert!(yaml.contains("direction: toOffice365"), "{yaml}");
        assert!(yaml.contains("graphSecretRef:"), "{yaml}");
        let again: Office365Integration = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(again, resource);
        let json = serde_json::to_value(&resource).unwrap();
        let from_json: Office365Integration = serde_json::from_value(json).unwrap();
        assert_eq!(from_json, resource);
    }

    #[test]
    fn left_out_settings_take_their_defaults() {
        let spec: Office365IntegrationSpec = serde_saphyr::from_str(
            "connection: {graphSecretRef: {name: g}}\ntenant: acme.onmicrosoft.com\n",
        )
        .unwrap();
        assert_eq!(spec.connection.data_center, DataCenter::default());
        assert_eq!(spec.connection.secret_ref, None);
        assert!(spec.users.is_empty());
        assert_eq!(spec.calendar_sync, CalendarSyncSpec::default());
        assert_eq!(spec.calendar_sync.exclude_tags, ["Imported"]);
        assert_eq!(spec.contacts_sync.exclude_tags, ["Imported"]);
        assert_eq!(spec.contacts_sync.field_map, None);
        assert_eq!(
            spec.contacts_sync.effective_field_map(),
            default_contact_field_map()
        );
        assert!(!spec.policy.observe_only);
        assert!(!spec.policy.prune);
        assert_eq!(spec.policy.max_change_percent, DEFAULT_MAX_CHANGE_PERCENT);
        // A default field map is not written back out.
        let yaml = serde_saphyr::to_string(&spec).unwrap();
        assert!(!yaml.contains("fieldMap"), "{yaml}");
    }

    #[test]
    fn a_given_field_map_replaces_the_built_in_one() {
        let sync: ContactsSyncSpec = serde_saphyr::from_str(
            "fieldMap: [{crmField: Email, office365Field: 'emailAddresses[0].address'}]\n",
        )
        .unwrap();
        assert_eq!(
            sync.effective_field_map(),
            [ContactFieldMap::new(
                "Email",
                "emailAddresses[0].address",
                SyncDirection::Both
            )]
        );
    }

    #[test]
    fn unknown_fields_and_directions_are_rejected() {
        for bad in [
            "connection: {graphSecretRef: {name: g}, clientSecret: s}\ntenant: t.com\n",
            "connection: {graphSecretRef: {name: g}}\ntenant: t.com\nextra: 1\n",
            "connection: {graphSecretRef: {name: g}}\ntenant: t.com\ncontactsSync: {fieldMap: [{crmField: A, office365Field: givenName, direction: ToCrm}]}\n",
            "connection: {secretRef: {name: z}}\ntenant: t.com\n",
        ] {
            assert!(
                serde_saphyr::from_str::<Office365IntegrationSpec>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn directions_say_which_side_they_write() {
        assert!(SyncDirection::Both.writes_crm() && SyncDirection::Both.writes_office365());
        assert!(!SyncDirection::ToOffice365.writes_crm());
        assert!(SyncDirection::ToOffice365.writes_office365());
        assert!(SyncDirection::ToCrm.writes_crm());
        assert!(!SyncDirection::ToCrm.writes_office365());
        for direction in [
            SyncDirection::Both,
            SyncDirection::ToOffice365,
            SyncDirection::ToCrm,
        ] {
            let json = serde_json::to_value(direction).unwrap();
            assert_eq!(json, direction.as_str());
        }
    }
}
