//! Table tests of the Office 365 validation rules: each case is a spec with one mistake and
//! the findings (path, summary) it must produce.

use super::*;

/// Validates a spec written as YAML and returns `(path, summary)` of each finding.
fn findings(spec_yaml: &str) -> Vec<(String, String)> {
    let spec: Office365IntegrationSpec = serde_saphyr::from_str(spec_yaml)
        .unwrap_or_else(|error| panic!("test spec does not parse: {error}\n{spec_yaml}"));
    validate_office365_spec(&spec)
        .into_iter()
        .map(|f| (f.path.to_string(), f.summary))
        .collect()
}

fn hints(spec_yaml: &str) -> Vec<String> {
    let spec: Office365IntegrationSpec = serde_saphyr::from_str(spec_yaml).unwrap();
    validate_office365_spec(&spec)
        .into_iter()
        .filter_map(|f| f.hint)
        .collect()
}

const BASE: &str =
    "connection: {graphSecretRef: {name: acme-graph}}\ntenant: acme.onmicrosoft.com\n";

fn with_base(rest: &str) -> String {
    format!("{BASE}{rest}")
}

fn expect(rest: &str, expected: &[(&str, &str)]) {
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(path, summary)| (path.to_string(), summary.to_string()))
        .collect();
    assert_eq!(findings(&with_base(rest)), expected, "{rest}");
}

#[test]
fn the_smallest_spec_is_valid() {
    expect("", &[]);
}

#[test]
fn a_spec_using_every_setting_is_valid() {
    expect(
        r#"
users:
  - {email: nora@acme.com, profile: Standard, role: Sales Rep}
calendarSync:
  users: [pat@acme.com, Admin@Acme.com]
  excludeTags: [Imported, Legacy Import]
contactsSync:
  users: [pat@acme.com]
  excludeTags: []
  fieldMap:
    - {crmField: First_Name, office365Field: givenName}
    - {crmField: Email, office365Field: 'emailAddresses[0].address', direction: toCrm}
    - {crmField: Email, office365Field: 'emailAddresses[1].address', direction: toOffice365}
    - {crmField: Account_Name, office365Field: companyName, direction: toOffice365}
    - {crmField: Account_Name, office365Field: officeLocation, direction: toOffice365}
    - {crmField: Home_City__c, office365Field: homeAddress.city, direction: toCrm}
    - {crmField: Other_City, office365Field: homeAddress.city, direction: toCrm}
policy: {observeOnly: true}
"#,
        &[],
    );
}

#[test]
fn tenant_is_a_guid_or_a_domain() {
    for tenant in [
        "7f3c2a10-ace0-4c6e-9d1b-000000000001",
        "acme.onmicrosoft.com",
        "Acme.com",
    ] {
        let spec = format!("connection: {{graphSecretRef: {{name: g}}}}\ntenant: {tenant}\n");
        assert_eq!(findings(&spec), [], "{tenant}");
    }
    let cases = [
        ("''", "tenant is empty"),
        ("'  '", "tenant is empty"),
        (
            "acme",
            "invalid tenant \"acme\": neither a GUID nor a domain name",
        ),
        (
            "7f3c2a10-ace0-4c6e-9d1b",
            "invalid tenant \"7f3c2a10-ace0-4c6e-9d1b\": neither a GUID nor a domain name",
        ),
        (
            "admin@acme.com",
            "invalid tenant \"admin@acme.com\": neither a GUID nor a domain name",
        ),
    ];
    for (tenant, summary) in cases {
        let spec = format!("connection: {{graphSecretRef: {{name: g}}}}\ntenant: {tenant}\n");
        assert_eq!(
            findings(&spec),
            [("spec.tenant".to_owned(), summary.to_owned())],
            "{tenant}"
        );
    }
    let spec = "connection: {graphSecretRef: {name: g}}\ntenant: admin@acme.com\n";
    assert_eq!(
        hints(spec),
        ["a tenant is not a user: write its domain, tenant: acme.com"]
    );
}

#[test]
fn secret_names_are_kubernetes_names_and_distinct() {
    let spec = "connection: {secretRef: {name: Zoho_OAuth}, graphSecretRef: {name: ''}}\ntenant: acme.com\n";
    assert_eq!(
        findings(spec),
        [
            (
                "spec.connection.secretRef.name".to_owned(),
                "invalid secret name \"Zoho_OAuth\"".to_owned()
            ),
            (
                "spec.connection.graphSecretRef.name".to_owned(),
                "invalid secret name \"\"".to_owned()
            ),
        ]
    );
    let spec = "connection: {secretRef: {name: shared}, graphSecretRef: {name: shared}}\ntenant: acme.com\n";
    assert_eq!(
        findings(spec),
        [(
            "spec.connection.graphSecretRef.name".to_owned(),
            "secretRef and graphSecretRef both name the secret \"shared\"".to_owned()
        )]
    );
}

#[test]
fn invited_users_have_valid_unique_emails_a_profile_and_a_role() {
    expect(
        r#"
users:
  - {email: nora.acme.com, profile: Standard, role: Sales Rep}
  - {email: sam@acme.com, profile: '', role: ' '}
  - {email: Sam@ACME.com, profile: Sales, role: Manager}
"#,
        &[
            ("spec.users[0].email", "invalid email \"nora.acme.com\""),
            ("spec.users[1].profile", "profile name is empty"),
            ("spec.users[1].role", "role name is empty"),
            (
                "spec.users[2].email",
                "duplicate user \"Sam@ACME.com\" in users",
            ),
        ],
    );
}

#[test]
fn sync_users_have_valid_unique_emails_per_list() {
    expect(
        r#"
calendarSync:
  users: [pat@acme.com, pat@acme, PAT@acme.com]
contactsSync:
  users: [pat@acme.com, '', dev@acme.com, dev@acme.com]
"#,
        &[
            ("spec.calendarSync.users[1]", "invalid email \"pat@acme\""),
            (
                "spec.calendarSync.users[2]",
                "duplicate user \"PAT@acme.com\" in calendarSync.users",
            ),
            ("spec.contactsSync.users[1]", "invalid email \"\""),
            (
                "spec.contactsSync.users[3]",
                "duplicate user \"dev@acme.com\" in contactsSync.users",
            ),
        ],
    );
}

#[test]
fn exclude_tags_are_named_and_unique() {
    expect(
        r#"
calendarSync:
  excludeTags: [Imported, '', imported]
contactsSync:
  excludeTags: [' ', Legacy, Legacy]
"#,
        &[
            ("spec.calendarSync.excludeTags[1]", "tag name is empty"),
            (
                "spec.calendarSync.excludeTags[2]",
                "tag \"imported\" is listed twice in excludeTags",
            ),
            ("spec.contactsSync.excludeTags[0]", "tag name is empty"),
            (
                "spec.contactsSync.excludeTags[2]",
                "tag \"Legacy\" is listed twice in excludeTags",
            ),
        ],
    );
}

#[test]
fn the_calendar_window_stays_within_graphs_range() {
    expect(
        "calendarSync: {window: {pastDays: 30, futureDays: 1795}}\n",
        &[],
    );
    expect("calendarSync: {window: {futureDays: 1460}}\n", &[]);
    expect(
        "calendarSync: {window: {pastDays: 366, futureDays: 1460}}\n",
        &[(
            "spec.calendarSync.window.futureDays",
            "the calendar window spans 1826 days (pastDays 366 + futureDays 1460); Microsoft Graph serves at most 1825",
        )],
    );
    expect(
        "calendarSync: {window: {pastDays: 4000000000, futureDays: 4000000000}}\n",
        &[(
            "spec.calendarSync.window.futureDays",
            "the calendar window spans 8000000000 days (pastDays 4000000000 + futureDays 4000000000); Microsoft Graph serves at most 1825",
        )],
    );
    expect(
        "calendarSync: {window: {pastDays: 0, futureDays: 0}}\n",
        &[(
            "spec.calendarSync.window",
            "the calendar window is empty: no event would sync",
        )],
    );
    assert_eq!(
        hints(&with_base(
            "calendarSync: {window: {pastDays: 400, futureDays: 1460}}\n"
        )),
        [
            "shorten it so pastDays + futureDays is at most 1825, e.g. pastDays: 400, futureDays: 1425"
        ]
    );
}

#[test]
fn an_empty_field_map_is_an_error() {
    expect(
        "contactsSync: {fieldMap: []}\n",
        &[(
            "spec.contactsSync.fieldMap",
            "contactsSync.fieldMap is empty: no field would sync",
        )],
    );
    assert_eq!(
        hints(&with_base("contactsSync: {fieldMap: []}\n")),
        ["leave fieldMap out to use the built-in map (docs/spec.md lists it)"]
    );
}

#[test]
fn office365_fields_come_from_the_catalog() {
    let cases = [
        ("givenname", "did you mean \"givenName\"?"),
        ("surName", "did you mean \"surname\"?"),
        (
            "emailAddresses[3].address",
            "close matches: \"emailAddresses[0].address\", \"emailAddresses[1].address\", \"emailAddresses[2].address\"",
        ),
        (
            "businessAddress.zip",
            "close matches: \"businessAddress.city\", \"businessAddress.state\", \"businessAddress.street\", \"businessAddress.postalCode\", \"businessAddress.countryOrRegion\"",
        ),
        (
            "birthday",
            "name a Microsoft Graph contact property, e.g. givenName, emailAddresses[0].address or businessAddress.city; docs/spec.md lists every supported one",
        ),
    ];
    for (field, hint) in cases {
        let rest = format!(
            "contactsSync:\n  fieldMap:\n    - {{crmField: Foo, office365Field: '{field}'}}\n"
        );
        assert_eq!(
            findings(&with_base(&rest)),
            [(
                "spec.contactsSync.fieldMap[0].office365Field".to_owned(),
                format!("unknown Office 365 contact field {field:?}")
            )],
            "{field}"
        );
        assert_eq!(hints(&with_base(&rest)), [hint], "{field}");
    }
}

#[test]
fn crm_fields_are_api_names() {
    expect(
        r#"
contactsSync:
  fieldMap:
    - {crmField: First Name, office365Field: givenName}
    - {crmField: 1st_Name, office365Field: middleName}
    - {crmField: '', office365Field: nickName}
"#,
        &[
            (
                "spec.contactsSync.fieldMap[0].crmField",
                "invalid CRM field name \"First Name\"",
            ),
            (
                "spec.contactsSync.fieldMap[1].crmField",
                "invalid CRM field name \"1st_Name\"",
            ),
            (
                "spec.contactsSync.fieldMap[2].crmField",
                "invalid CRM field name \"\"",
            ),
        ],
    );
}

#[test]
fn a_crm_field_is_written_by_one_entry_only() {
    // Email is written by both (toCrm, both); a second read (toOffice365) is fine.
    expect(
        r#"
contactsSync:
  fieldMap:
    - {crmField: Email, office365Field: 'emailAddresses[0].address', direction: toCrm}
    - {crmField: email, office365Field: 'emailAddresses[1].address'}
    - {crmField: Email, office365Field: 'emailAddresses[2].address', direction: toOffice365}
"#,
        &[(
            "spec.contactsSync.fieldMap[1].crmField",
            "CRM field \"email\" is written by two entries of contactsSync.fieldMap",
        )],
    );
}

#[test]
fn an_office365_field_is_written_by_one_entry_only() {
    expect(
        r#"
contactsSync:
  fieldMap:
    - {crmField: Title, office365Field: jobTitle}
    - {crmField: Job_Title__c, office365Field: jobTitle, direction: toOffice365}
    - {crmField: Role__c, office365Field: jobTitle, direction: toCrm}
"#,
        &[(
            "spec.contactsSync.fieldMap[1].office365Field",
            "Office 365 field \"jobTitle\" is written by two entries of contactsSync.fieldMap",
        )],
    );
}

#[test]
fn lookup_fields_only_flow_to_office365() {
    expect(
        r#"
contactsSync:
  fieldMap:
    - {crmField: Account_Name, office365Field: companyName}
    - {crmField: Reporting_To, office365Field: manager, direction: toCrm}
    - {crmField: Owner, office365Field: assistantName, direction: toOffice365}
"#,
        &[
            (
                "spec.contactsSync.fieldMap[0].crmField",
                "CRM field \"Account_Name\" is a lookup and cannot be written from Office 365 (direction: both)",
            ),
            (
                "spec.contactsSync.fieldMap[1].crmField",
                "CRM field \"Reporting_To\" is a lookup and cannot be written from Office 365 (direction: toCrm)",
            ),
        ],
    );
}

#[test]
fn the_built_in_map_passes_the_rules_it_would_be_held_to() {
    let map = serde_json::to_string(&crate::spec::office365::default_contact_field_map()).unwrap();
    expect(&format!("contactsSync: {{fieldMap: {map}}}\n"), &[]);
}

#[test]
fn resource_names_follow_kubernetes_rules() {
    let resource: Office365Integration = serde_saphyr::from_str(&format!(
        "apiVersion: projectlink.dev/v1alpha1\nkind: Office365Integration\nmetadata: {{name: Acme_O365, namespace: Team.A}}\nspec:\n{}",
        BASE.lines().map(|l| format!("  {l}\n")).collect::<String>()
    ))
    .unwrap();
    let paths: Vec<String> = validate_office365_resource(&resource)
        .into_iter()
        .map(|f| f.path.to_string())
        .collect();
    assert_eq!(paths, ["metadata.name", "metadata.namespace"]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let spec = r#"
connection: {graphSecretRef: {name: Bad_Name}}
tenant: nope
users: [{email: x, profile: '', role: R}]
calendarSync: {users: [y], excludeTags: ['']}
contactsSync: {users: [z], fieldMap: [{crmField: '?', office365Field: '?'}]}
"#;
    let paths: Vec<String> = findings(spec).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "spec.connection.graphSecretRef.name",
            "spec.tenant",
            "spec.users[0].email",
            "spec.users[0].profile",
            "spec.calendarSync.users[0]",
            "spec.calendarSync.excludeTags[0]",
            "spec.contactsSync.users[0]",
            "spec.contactsSync.fieldMap[0].office365Field",
            "spec.contactsSync.fieldMap[0].crmField",
        ]
    );
}
