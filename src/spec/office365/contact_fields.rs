//! Static facts about contacts the Office 365 spec is checked against: the Microsoft Graph
//! contact properties a field map may name (Graph's `contact` resource, v1.0), and the
//! built-in map used when a spec gives none.

use super::{ContactFieldMap, SyncDirection};

/// Microsoft Graph contact property paths projectlink reads and writes, as a field map names
/// them: `.` enters a nested object (`physicalAddress`, `emailAddress`), `[n]` picks an
/// element of a collection. Outlook keeps at most three email and IM addresses and two
/// business and home phone numbers per contact, hence the indices offered.
pub const OFFICE365_CONTACT_FIELDS: [&str; 36] = [
    "givenName",
    "middleName",
    "surname",
    "nickName",
    "displayName",
    "jobTitle",
    "department",
    "companyName",
    "officeLocation",
    "profession",
    "manager",
    "assistantName",
    "spouseName",
    "businessHomePage",
    "mobilePhone",
    "personalNotes",
    "emailAddresses[0].address",
    "emailAddresses[1].address",
    "emailAddresses[2].address",
    "businessPhones[0]",
    "businessPhones[1]",
    "homePhones[0]",
    "homePhones[1]",
    "imAddresses[0]",
    "imAddresses[1]",
    "imAddresses[2]",
    "businessAddress.street",
    "businessAddress.city",
    "businessAddress.state",
    "businessAddress.postalCode",
    "businessAddress.countryOrRegion",
    "homeAddress.street",
    "homeAddress.city",
    "homeAddress.state",
    "homeAddress.postalCode",
    "homeAddress.countryOrRegion",
];

/// Whether `path` is one of the [`OFFICE365_CONTACT_FIELDS`] (spelled exactly).
pub fn is_office365_contact_field(path: &str) -> bool {
    OFFICE365_CONTACT_FIELDS.contains(&path)
}

/// The built-in map: CRM Contacts field, Graph contact property, direction.
const DEFAULT_MAP: [(&str, &str, SyncDirection); 16] = [
    ("First_Name", "givenName", SyncDirection::Both),
    ("Last_Name", "surname", SyncDirection::Both),
    ("Email", "emailAddresses[0].address", SyncDirection::Both),
    (
        "Secondary_Email",
        "emailAddresses[1].address",
        SyncDirection::Both,
    ),
    ("Phone", "businessPhones[0]", SyncDirection::Both),
    ("Home_Phone", "homePhones[0]", SyncDirection::Both),
    ("Mobile", "mobilePhone", SyncDirection::Both),
    ("Title", "jobTitle", SyncDirection::Both),
    ("Department", "department", SyncDirection::Both),
    // Account_Name is a lookup to Accounts: a company name typed in Outlook cannot say
    // which Account it means, so it only flows out.
    ("Account_Name", "companyName", SyncDirection::ToOffice365),
    (
        "Mailing_Street",
        "businessAddress.street",
        SyncDirection::Both,
    ),
    ("Mailing_City", "businessAddress.city", SyncDirection::Both),
    (
        "Mailing_State",
        "businessAddress.state",
        SyncDirection::Both,
    ),
    (
        "Mailing_Zip",
        "businessAddress.postalCode",
        SyncDirection::Both,
    ),
    (
        "Mailing_Country",
        "businessAddress.countryOrRegion",
        SyncDirection::Both,
    ),
    ("Description", "personalNotes", SyncDirection::Both),
];

/// The map used when `contactsSync.fieldMap` is left out.
pub fn default_contact_field_map() -> Vec<ContactFieldMap> {
    DEFAULT_MAP
        .iter()
        .map(|&(crm, office365, direction)| ContactFieldMap::new(crm, office365, direction))
        .collect()
}

/// Standard CRM Contacts fields that are lookups (to Accounts, Vendors, Contacts, Users):
/// their value is a record reference, which a text from Office 365 cannot name, so a map
/// may only copy them to Office 365. Custom lookups are only known live.
pub const CRM_LOOKUP_CONTACT_FIELDS: [&str; 4] =
    ["Account_Name", "Vendor_Name", "Reporting_To", "Owner"];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::catalog::is_crm_api_name;

    #[test]
    fn the_built_in_map_names_known_fields_only() {
        let map = default_contact_field_map();
        assert_eq!(map.len(), 16);
        for entry in &map {
            assert!(is_crm_api_name(&entry.crm_field), "{}", entry.crm_field);
            assert!(
                is_office365_contact_field(&entry.office365_field),
                "{}",
                entry.office365_field
            );
        }
        let account = map.iter().find(|m| m.crm_field == "Account_Name").unwrap();
        assert_eq!(account.office365_field, "companyName");
        assert_eq!(account.direction, SyncDirection::ToOffice365);
        assert!(
            map.iter()
                .filter(|m| m.crm_field != "Account_Name")
                .all(|m| m.direction == SyncDirection::Both)
        );
    }

    #[test]
    fn catalog_paths_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for path in OFFICE365_CONTACT_FIELDS {
            assert!(seen.insert(path), "{path} listed twice");
            let parsed = crate::spec::FieldPath::parse(path);
            assert!(parsed.is_some(), "{path}");
        }
        assert!(is_office365_contact_field("homeAddress.countryOrRegion"));
        assert!(!is_office365_contact_field("emailAddresses[3].address"));
        assert!(!is_office365_contact_field("givenname"));
    }
}
